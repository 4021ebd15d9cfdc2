//! Chinese needs find English capabilities of foreign universities: with
//! the real model (`QIAO_E5_MODEL`), each of the 20 English demo
//! capabilities (`cap-en-*`, the international track) is among the top 5
//! suggestions of the Chinese demo need on its topic
//! (`tests/data/cross_lingual.json`), although no word of theirs matches.
//!
//! At most 200 documents are embedded: the 20 needs, the 20 English
//! capabilities and 160 Chinese ones (the 72 written teams, patents and
//! instruments, then CSL papers) that compete with them.

#[path = "common/model.rs"]
mod model;

use qiao_app::embeddings::{self, Pass, Semantic};
use qiao_app::matchmaking::History;
use qiao_app::{App, Config};
use qiao_store::testkit::TestDb;
use serde_json::Value;
use std::collections::HashSet;
use std::path::Path;

const CHINESE_CAPABILITIES: usize = 160;
const TOP: usize = 5;

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn write_lines(path: &Path, values: &[Value]) {
    let text: Vec<String> = values.iter().map(Value::to_string).collect();
    std::fs::write(path, text.join("\n") + "\n").unwrap();
}

/// The demo seeds cut down to the pairs' needs and 200 listings in all.
fn seeds_subset(dir: &Path, pairs: &[(String, String)]) {
    let seeds = qiao_app::seeds::seeds_dir();
    let wanted: HashSet<&str> = pairs.iter().map(|(_, need)| need.as_str()).collect();
    let needs: Vec<Value> = lines(&seeds.join("needs.jsonl"))
        .into_iter()
        .filter(|n| wanted.contains(n["external_id"].as_str().unwrap()))
        .collect();
    assert_eq!(needs.len(), pairs.len(), "every pair's need is a demo need");
    let all = lines(&seeds.join("capabilities.jsonl"));
    let (english, chinese): (Vec<Value>, Vec<Value>) = all
        .into_iter()
        .partition(|c| c["external_id"].as_str().unwrap().starts_with("cap-en-"));
    assert_eq!(english.len(), 20);
    let mut capabilities: Vec<Value> = chinese.into_iter().take(CHINESE_CAPABILITIES).collect();
    capabilities.extend(english);
    std::fs::copy(
        seeds.join("organizations.jsonl"),
        dir.join("organizations.jsonl"),
    )
    .unwrap();
    std::fs::copy(seeds.join("plan.json"), dir.join("plan.json")).unwrap();
    write_lines(&dir.join("needs.jsonl"), &needs);
    write_lines(&dir.join("capabilities.jsonl"), &capabilities);
    std::fs::write(dir.join("events.jsonl"), "").unwrap();
}

#[tokio::test]
async fn chinese_needs_get_the_english_capabilities_on_their_topic() {
    let Some(file) = model::model_file("cross-lingual suggestions") else {
        return;
    };
    let pairs: Vec<(String, String)> = serde_json::from_str::<Vec<Value>>(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cross_lingual.json"),
        )
        .unwrap(),
    )
    .unwrap()
    .iter()
    .map(|p| {
        (
            p["capability"].as_str().unwrap().to_string(),
            p["need"].as_str().unwrap().to_string(),
        )
    })
    .collect();
    assert_eq!(pairs.len(), 20);

    let db = TestDb::sqlite().await.unwrap();
    let store = &db.store;
    let seeds = tempfile::tempdir().unwrap();
    seeds_subset(seeds.path(), &pairs);
    qiao_app::seeds::load(store, seeds.path()).await.unwrap();
    let config = Config::new(db.dir.clone(), Some(db.url.clone()));
    let installed = embeddings::import_model(&config, &file).await.unwrap();
    let semantic = Semantic::load(&installed.path, 0).await.unwrap();
    let done = semantic
        .embed_backlog(
            store,
            Pass {
                limit: Some(200),
                batch: 50,
                chunk: 25,
            },
            || async { Ok(true) },
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(done.embedded, 200);
    assert_eq!(semantic.count_backlog(store).await.unwrap().total(), 0);

    let app = App::without_follower(store.clone(), config).await.unwrap();
    let matcher = app.matcher();
    assert!(matcher.semantic.is_some(), "the model is active");
    let history = History::load(store).await.unwrap();
    let needs = store.open_needs(None).await.unwrap();
    let mut misses = Vec::new();
    for (capability, need) in &pairs {
        let n = needs
            .iter()
            .find(|n| n.external_id.as_deref() == Some(need.as_str()))
            .unwrap();
        let long = matcher.for_need(n, 30, &history).await.unwrap();
        let rank = long
            .iter()
            .position(|s| s.capability.external_id.as_deref() == Some(capability.as_str()));
        let list = &long[..TOP.min(long.len())];
        let found = list
            .iter()
            .find(|s| s.capability.external_id.as_deref() == Some(capability.as_str()));
        match found {
            Some(s) => {
                let e = &s.explanation;
                assert!(e.cross_lingual, "{capability}: judged by meaning alone");
                assert!(e.matched_terms.is_empty(), "{capability}: no shared words");
                assert!(e.summary.contains("跨语言"), "{}", e.summary);
            }
            None => misses.push(format!(
                "{need} {} → {capability} at rank {:?} ({:?}), top {TOP}: {:?}",
                n.title,
                rank.map(|r| r + 1),
                rank.map(|r| (long[r].score, long[r].explanation.summary.clone())),
                list.iter()
                    .map(|s| format!(
                        "{} {:.3} {}",
                        s.capability.external_id.clone().unwrap_or_default(),
                        s.score,
                        s.explanation.summary
                    ))
                    .collect::<Vec<_>>()
            )),
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} English capabilities missing from their need's top {TOP}:\n{}",
        misses.len(),
        pairs.len(),
        misses.join("\n")
    );
}
