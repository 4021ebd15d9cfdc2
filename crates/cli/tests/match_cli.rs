//! `qiao match` on the demo data: proposals within k and each team's capacity,
//! fair or strong ones only unless `--include-weak`, stored for review and
//! written with their explanations.

use qiao_app::Config;
use qiao_store::entities::{capability, match_suggestion};
use qiao_store::sea_orm::EntityTrait;
use std::collections::HashMap;
use std::process::Command;

fn text(row: &qiao_tabular::Row, key: &str) -> String {
    match &row.values[key] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs `qiao match` on the data directory, writing `out`; its standard output.
fn run_match(dir: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_qiao"))
        .arg("--data-dir")
        .arg(dir)
        .args(["match", "--year", "2026", "--k", "2", "--out"])
        .arg(out)
        .args(extra)
        .env("QIAO_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout).to_string();
    assert!(
        run.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("open needs"), "{stdout}");
    stdout
}

/// Proposals per need within k, per capability within its capacity.
fn check_limits(rows: &[qiao_tabular::Row], capacity: &HashMap<String, i32>) {
    let mut per_need: HashMap<String, usize> = HashMap::new();
    let mut per_cap: HashMap<String, i32> = HashMap::new();
    for row in rows {
        *per_need.entry(text(row, "需求编号")).or_default() += 1;
        *per_cap.entry(text(row, "成果编号")).or_default() += 1;
        assert!(!text(row, "匹配说明").is_empty(), "{row:?}");
        assert_eq!(text(row, "状态"), "待审核");
    }
    assert!(per_need.values().all(|n| *n <= 2), "{per_need:?}");
    for (cap, used) in &per_cap {
        assert!(
            *used <= capacity[cap],
            "capability {cap}: {used} > {}",
            capacity[cap]
        );
    }
}

#[tokio::test]
async fn match_writes_proposals_within_k_and_capacity() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::new(dir.path().to_path_buf(), None);
    let store = config.open_store().await.unwrap();
    qiao_app::seeds::load(&store, &qiao_app::seeds::seeds_dir())
        .await
        .unwrap();
    let capacity: HashMap<String, i32> = capability::Entity::find()
        .all(store.conn())
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id.to_string(), c.capacity))
        .collect();

    // By default weak pairs are left out: every proposal is a fair or strong match.
    let out = dir.path().join("proposals.xlsx");
    let stdout = run_match(dir.path(), &out, &[]);
    assert!(stdout.contains("weak pairs left out"), "{stdout}");
    let rows = qiao_tabular::read_rows(&out).unwrap();
    assert!(!rows.is_empty());
    check_limits(&rows, &capacity);
    for row in &rows {
        assert!(
            ["强", "中"].contains(&text(row, "匹配强度").as_str()),
            "{row:?}"
        );
    }
    // Every proposal is stored as a suggestion for staff to decide on.
    let stored = match_suggestion::Entity::find()
        .all(store.conn())
        .await
        .unwrap();
    assert_eq!(stored.len(), rows.len());
    assert!(
        stored
            .iter()
            .all(|s| s.algorithm_version.ends_with("/plan-2026"))
    );

    // Asked for, weak pairs are proposed too: every need gets its k.
    let all = dir.path().join("all.xlsx");
    let stdout = run_match(dir.path(), &all, &["--include-weak"]);
    assert!(stdout.contains("weak pairs included"), "{stdout}");
    let with_weak = qiao_tabular::read_rows(&all).unwrap();
    assert!(with_weak.len() > 100, "{} proposals", with_weak.len());
    assert!(with_weak.len() > rows.len());
    assert!(with_weak.iter().any(|r| text(r, "匹配强度") == "弱"));
    check_limits(&with_weak, &capacity);
    let ids: std::collections::HashSet<String> = match_suggestion::Entity::find()
        .all(store.conn())
        .await
        .unwrap()
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    assert!(with_weak.iter().all(|r| ids.contains(&text(r, "建议编号"))));
}
