//! Helpers shared by the tests on real Chinese data: where the data lives
//! and how CSL papers become capabilities.
//!
//! The data lives outside the repository, in `../shared/data` of the
//! project root (or `QIAO_SHARED_DATA`). Without it these tests skip with a
//! printed reason, except under `CI=true`, where missing data fails them.

// Each test binary uses its own subset of the helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use flate2::read::GzDecoder;
use qiao_search::{Doc, DocKind};
use serde_json::Value;

fn shared_dir() -> PathBuf {
    std::env::var_os("QIAO_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

/// Whether the test may run: true when the shared data holds `files`; false
/// (with the reason printed) when it is missing outside CI; under `CI=true`
/// missing data is a failure.
pub fn have_data(test: &str, files: &[&str]) -> bool {
    let dir = shared_dir();
    let missing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return true;
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
    false
}

/// The shared data folder, asserting that it holds `files`.
pub fn data_dir(files: &[&str]) -> PathBuf {
    let dir = shared_dir();
    for file in files {
        assert!(
            dir.join(file).is_file(),
            "relevance data missing: expected {} in {} \
             (set QIAO_SHARED_DATA to the folder holding them)",
            files.join(", "),
            dir.display()
        );
    }
    dir
}

pub struct Paper {
    pub id: String,
    pub title: String,
    pub abstract_: String,
}

/// A title for a paper without one, as the platform makes it: the opening
/// clause of the abstract (up to the first clause mark, at least 6
/// characters), at most 60 characters.
pub fn title_from_abstract(text: &str) -> String {
    const MARKS: [char; 6] = ['。', '；', ';', '.', '，', ','];
    let mut clause = String::new();
    for (len, c) in text.trim().chars().enumerate() {
        if (MARKS.contains(&c) && len >= 6) || len == 60 {
            break;
        }
        clause.push(c);
    }
    clause
}

/// The first `limit` CSL papers with a title or an abstract.
pub fn load_papers(limit: usize) -> Vec<Paper> {
    let path = data_dir(&["csl-papers.jsonl.gz"]).join("csl-papers.jsonl.gz");
    let file = std::fs::File::open(path).expect("open papers");
    let mut papers = Vec::new();
    for line in BufReader::new(GzDecoder::new(file)).lines().take(limit) {
        let v: Value = serde_json::from_str(&line.expect("read papers")).expect("paper json");
        let text = |k: &str| v[k].as_str().unwrap_or_default().trim().to_string();
        let abstract_ = text("abstract");
        let mut title = text("title");
        if title.is_empty() {
            title = title_from_abstract(&abstract_);
        }
        if title.is_empty() && abstract_.is_empty() {
            continue;
        }
        papers.push(Paper {
            id: text("id"),
            title,
            abstract_,
        });
    }
    papers
}

/// The `i`th paper as a published university capability: title and
/// abstract only (a listing written by a person carries no author keywords).
pub fn capability(i: usize, paper: &Paper) -> Doc {
    Doc {
        kind: DocKind::Capability,
        id: i as i64 + 1,
        external_id: Some(paper.id.clone()),
        title: paper.title.clone(),
        body: paper.abstract_.clone(),
        keywords: Vec::new(),
        fields: Vec::new(),
        org_id: 1,
        org_name: String::new(),
        org_kind: "university".to_string(),
        region: String::new(),
        region_scope: String::new(),
        modes: Vec::new(),
        trl: None,
        status: "published".to_string(),
        visibility: "public".to_string(),
        org_review: "approved".to_string(),
        org_deleted: false,
        updated_at: 1_700_000_000 + i as i64,
    }
}
