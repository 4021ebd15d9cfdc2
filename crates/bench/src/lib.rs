//! `qiao bench`: measurements on the real Chinese documents in
//! `../shared/data` (see its README). Figures go to standard output.

pub mod dashboard;
pub mod embed;
pub mod embed_cache;
pub mod matching;
pub mod pages;
pub mod schedule;
pub mod search;

use anyhow::{Context, bail};
use qiao_app::Config;
use qiao_app::transfer::{self, Kind};
use qiao_core::Actor;
use qiao_tabular::Row;
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// `$QIAO_SHARED_DATA`, else `../shared/data` from the working directory or the source tree.
pub fn shared_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QIAO_SHARED_DATA") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("../shared/data");
    if local.exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// The shared data folder for a test that needs `files` in it. Without them
/// the test is skipped with the reason printed, except under `CI=true`, where
/// missing data is a failure.
pub fn shared_data_or_skip(test: &str, files: &[&str]) -> Option<PathBuf> {
    let dir = shared_data_dir();
    let missing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return Some(dir);
    }
    let reason = format!(
        "{test}: skipped, the real data is missing ({} not in {}; set QIAO_SHARED_DATA)",
        missing.join(", "),
        dir.display()
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{reason}; CI must run it"
    );
    // Straight to stderr: the test harness captures eprintln! of passing tests.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{reason}");
    None
}

/// Reads a (gzipped) JSON Lines file of the shared data, failing loudly when absent.
pub fn read_jsonl(path: &Path, limit: Option<usize>) -> anyhow::Result<Vec<Map<String, Value>>> {
    if !path.exists() {
        bail!(
            "{} is missing: the real-data tests and benchmarks need ../shared/data (or QIAO_SHARED_DATA)",
            path.display()
        );
    }
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut out = Vec::new();
    for line in reader.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        if limit.is_some_and(|n| out.len() >= n) {
            break;
        }
        let value: Value = serde_json::from_str(&line)?;
        if let Value::Object(map) = value {
            out.push(map);
        }
    }
    Ok(out)
}

fn row(line: usize, value: Value) -> Row {
    Row {
        line,
        values: value.as_object().cloned().unwrap_or_default(),
    }
}

/// The CSL papers as university capabilities: title and abstract only, as the
/// data README prescribes (author keywords would make retrieval too easy).
pub fn csl_capability_rows(dir: &Path, limit: Option<usize>) -> anyhow::Result<Vec<Row>> {
    let papers = read_jsonl(&dir.join("csl-papers.jsonl.gz"), limit)?;
    Ok(papers
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            row(
                i + 1,
                json!({
                    "external_id": p["id"],
                    "org_name": "CSL 论文作者团队",
                    "kind": "achievement",
                    "title": paper_title(&p),
                    "description": p["abstract"],
                }),
            )
        })
        .collect())
}

/// A paper's title, or for the many CSL records without one, the opening
/// clause of its abstract (a listing always has a title).
pub fn paper_title(p: &Map<String, Value>) -> String {
    let title = p["title"].as_str().unwrap_or("").trim();
    if !title.is_empty() {
        return title.to_string();
    }
    let text = p["abstract"].as_str().unwrap_or("").trim();
    let clause = text
        .split(['。', '；', ';', '.', '，', ','])
        .find(|c| c.chars().count() >= 6)
        .unwrap_or(text);
    clause.chars().take(60).collect()
}

/// All ~114k real documents as capabilities: papers, funded research projects, patent titles.
pub fn all_capability_rows(dir: &Path) -> anyhow::Result<Vec<Row>> {
    let mut rows = csl_capability_rows(dir, None)?;
    // The funded-project listing repeats some ids; a clean import file would not.
    let mut seen = std::collections::HashSet::new();
    for p in read_jsonl(&dir.join("research-projects.jsonl.gz"), None)? {
        // A project without a title describes nothing a user could find.
        if p["title"].as_str().is_none_or(str::is_empty) || !seen.insert(p["id"].to_string()) {
            continue;
        }
        let n = rows.len() + 1;
        let institution = p["institution"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or("未署名单位");
        rows.push(row(
            n,
            json!({
                "external_id": p["id"],
                "org_name": institution,
                "kind": "team",
                "title": p["title"],
                "description": format!("{} {}", p["discipline"].as_str().unwrap_or(""), p["outcome_title"].as_str().unwrap_or("")).trim(),
            }),
        ));
    }
    for p in read_jsonl(&dir.join("patent-titles.jsonl.gz"), None)? {
        let n = rows.len() + 1;
        let numbers: Vec<Value> = p["publication_numbers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let ext = numbers
            .first()
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        rows.push(row(
            n,
            json!({
                "external_id": format!("patent-{ext}"),
                "org_name": "专利文献库",
                "kind": "patent",
                "title": p["title"],
                "patents": numbers,
            }),
        ));
    }
    Ok(rows)
}

/// Imports every real document as a capability into a fresh database and reports the rate.
pub async fn import(config: &Config, data: &Path) -> anyhow::Result<()> {
    let rows = all_capability_rows(data)?;
    let n = rows.len();
    let store = config.open_store().await?;
    if !store.is_empty().await? {
        bail!("qiao bench import needs an empty database; give it a fresh --data-dir");
    }
    let started = Instant::now();
    let report = transfer::import_rows(
        &store,
        Kind::Capabilities,
        rows,
        &Actor::system("bench"),
        "bench",
    )
    .await
    .map_err(describe)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "import: {n} capabilities ({} created, {} organizations) in {secs:.2} s = {:.0} records/s on {}",
        report.created,
        report.new_organizations.len(),
        n as f64 / secs,
        if config.is_sqlite() {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    );
    let started = Instant::now();
    let rows = all_capability_rows(data)?;
    let again = transfer::import_rows(
        &store,
        Kind::Capabilities,
        rows,
        &Actor::system("bench"),
        "bench",
    )
    .await
    .map_err(describe)?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "re-import of the same file: {} unchanged in {secs:.2} s = {:.0} records/s",
        again.unchanged,
        n as f64 / secs
    );
    Ok(())
}

fn describe(e: transfer::ImportFailure) -> anyhow::Error {
    match e {
        transfer::ImportFailure::Rows(rows) => {
            let first: Vec<String> = rows.iter().take(5).map(ToString::to_string).collect();
            anyhow::anyhow!("{} invalid row(s), e.g. {}", rows.len(), first.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// Percent-encodes a query-string value (every byte but ASCII letters and
/// digits), for the HTTP clients of the benchmarks and tests.
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
