//! Match suggestions for long enterprise needs on real Chinese papers: the
//! CSL papers are imported as capabilities (title and abstract only, as in
//! `relevance.rs`), each need of `needs-dev.jsonl` becomes a weighted query
//! (title, indicators, description, field label), and its top 10
//! capabilities are scored with nDCG@10 against the graded judgments of
//! `needs-dev-qrels.jsonl` (gain 2^grade − 1; unjudged papers count 0).
//!
//! The data lives outside the repository, in `../shared/data` of the
//! project root (or `QIAO_SHARED_DATA`); without it these tests fail.
//!
//! Reference figures on this set: character-bigram BM25 0.641, jieba-word
//! BM25 0.621, words + bigrams + title 0.641, BM25 + a multilingual
//! embedding model 0.722.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use common::{capability, data_dir, have_data, load_papers};
use qiao_core::vocab::{Field, Vocabulary};
use qiao_search::eval::ndcg_at;
use qiao_search::{Audience, Candidate, Change, DocKind, SearchIndex, WeightedQuery};
use serde_json::Value;

const PAPERS: &str = "csl-papers.jsonl.gz";
const NEEDS: &str = "needs-dev.jsonl";
const QRELS: &str = "needs-dev-qrels.jsonl";

/// Part weights: the title says most, an indicator names what must be
/// measured, the description tells the story, the field label is context.
const TITLE: f32 = 3.0;
const INDICATOR: f32 = 1.5;
const DESCRIPTION: f32 = 1.0;
const FIELD: f32 = 0.5;

struct Need {
    n: u64,
    title: String,
    description: String,
    /// (name, target)
    indicators: Vec<(String, String)>,
    field: String,
}

fn read_lines(file: &str) -> Vec<Value> {
    let dir = data_dir(&[PAPERS, NEEDS, QRELS]);
    let file = std::fs::File::open(dir.join(file)).expect("open data file");
    BufReader::new(file)
        .lines()
        .map(|line| serde_json::from_str(&line.expect("read line")).expect("json line"))
        .collect()
}

fn load_needs() -> Vec<Need> {
    read_lines(NEEDS)
        .into_iter()
        .map(|v| {
            let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().trim().to_string();
            let indicators = v["indicators"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .map(|i| (text(i, "name"), text(i, "target")))
                        .collect()
                })
                .unwrap_or_default();
            Need {
                n: v["n"].as_u64().expect("need n"),
                title: text(&v, "title"),
                description: text(&v, "description"),
                indicators,
                field: text(&v, "field"),
            }
        })
        .collect()
}

/// need n → paper id → grade
fn load_qrels() -> HashMap<u64, HashMap<String, u8>> {
    let mut out: HashMap<u64, HashMap<String, u8>> = HashMap::new();
    for v in read_lines(QRELS) {
        let n = v["n"].as_u64().expect("qrel n");
        let id = v["id"].as_str().expect("qrel id").to_string();
        let grade = u8::try_from(v["grade"].as_u64().expect("qrel grade")).expect("grade");
        out.entry(n).or_default().insert(id, grade);
    }
    out
}

/// The need as staff ask for suggestions: its top 10 capabilities.
fn need_query(need: &Need) -> WeightedQuery {
    let mut parts = vec![(need.title.clone(), TITLE)];
    for (name, target) in &need.indicators {
        parts.push((format!("{name} {target}"), INDICATOR));
    }
    parts.push((need.description.clone(), DESCRIPTION));
    let field = Field::parse(&need.field).map_or(need.field.as_str(), |f| f.label_zh());
    parts.push((field.to_string(), FIELD));
    WeightedQuery {
        parts,
        kind: DocKind::Capability,
        audience: Audience::Public,
        limit: 10,
        exclude_ids: Vec::new(),
    }
}

fn build_index() -> SearchIndex {
    let papers = load_papers(usize::MAX);
    let index = SearchIndex::open_in_ram(&[]).expect("index");
    let changes: Vec<Change> = papers
        .iter()
        .enumerate()
        .map(|(i, p)| Change::Upsert(capability(i, p)))
        .collect();
    index.apply(changes, 1).expect("apply");
    assert_eq!(index.num_docs(), papers.len() as u64);
    index
}

struct PerNeed {
    n: u64,
    title: String,
    ndcg: f64,
    found: Vec<Candidate>,
    grades: HashMap<String, u8>,
}

impl PerNeed {
    fn grade(&self, c: &Candidate) -> Option<u8> {
        self.grades
            .get(c.external_id.as_deref().unwrap_or_default())
            .copied()
    }

    fn unjudged(&self) -> impl Iterator<Item = &Candidate> {
        self.found.iter().filter(|c| self.grade(c).is_none())
    }
}

struct Report {
    needs: Vec<PerNeed>,
    mean_ndcg: f64,
    p50: Duration,
    p99: Duration,
}

/// Passes over the needs for the latency figures (a shared machine makes
/// single timings noisy).
const TIMED_PASSES: usize = 3;

fn evaluate(index: &SearchIndex) -> Report {
    let qrels = load_qrels();
    let mut needs = Vec::new();
    let mut times = Vec::new();
    for need in load_needs() {
        let q = need_query(&need);
        let mut found = Vec::new();
        for _ in 0..TIMED_PASSES {
            let started = Instant::now();
            found = index.candidates(&q).expect("candidates");
            times.push(started.elapsed());
        }
        let grades = qrels.get(&need.n).cloned().unwrap_or_default();
        assert!(!grades.is_empty(), "need {} has no judgments", need.n);
        let ranked: Vec<String> = found
            .iter()
            .map(|c| c.external_id.clone().unwrap_or_default())
            .collect();
        needs.push(PerNeed {
            n: need.n,
            title: need.title,
            ndcg: ndcg_at(&ranked, &grades, 10),
            found,
            grades,
        });
    }
    assert!(!needs.is_empty(), "no needs in {NEEDS}");
    let mean_ndcg = needs.iter().map(|p| p.ndcg).sum::<f64>() / needs.len() as f64;
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Report {
        mean_ndcg,
        p50: at(0.5),
        p99: at(0.99),
        needs,
    }
}

fn print_summary(r: &Report) {
    let unjudged: Vec<String> = r
        .needs
        .iter()
        .map(|p| format!("{}:{}", p.n, p.unjudged().count()))
        .collect();
    println!(
        "suggestions: {} needs, mean nDCG@10 {:.4}; latency per need p50 {:.2} ms, p99 {:.2} ms",
        r.needs.len(),
        r.mean_ndcg,
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
    );
    println!(
        "unjudged papers in the top 10s: {} in all; per need {}",
        r.needs.iter().map(|p| p.unjudged().count()).sum::<usize>(),
        unjudged.join(" ")
    );
}

/// Mean nDCG@10 over the development needs must stay above a floor a
/// little below what the ranking reaches, so that it cannot drop unnoticed.
#[test]
fn suggestions_for_needs_reach_the_floor() {
    if !have_data(
        "suggestions_for_needs_reach_the_floor",
        &[PAPERS, NEEDS, QRELS],
    ) {
        return;
    }
    let index = build_index();
    let r = evaluate(&index);
    print_summary(&r);
    // Measured: 0.7198 (release p50 2.7 ms, p99 6.3 ms a need on 2 cores).
    assert!(
        r.mean_ndcg >= 0.70,
        "mean nDCG@10 {:.4} fell below the floor of 0.70",
        r.mean_ndcg
    );
}

/// Per need: nDCG@10, the key terms, and the top 10 with their grades,
/// unjudged papers marked (a better system finds papers nobody judged).
/// `cargo test -p qiao-search --release --test suggestions -- --ignored --nocapture`
#[test]
#[ignore = "prints a long report; run explicitly"]
fn suggestions_report() {
    if !have_data("suggestions_report", &[PAPERS, NEEDS, QRELS]) {
        return;
    }
    let index = build_index();
    let r = evaluate(&index);
    let needs = load_needs();
    for (p, need) in r.needs.iter().zip(&needs) {
        let terms: Vec<String> = index
            .key_terms(&need_query(need))
            .into_iter()
            .take(15)
            .map(|(t, w)| format!("{t}:{w:.0}"))
            .collect();
        println!(
            "\n#{} {} — nDCG@10 {:.3}, {} unjudged\n  key terms: {}",
            p.n,
            p.title,
            p.ndcg,
            p.unjudged().count(),
            terms.join(" ")
        );
        for (i, c) in p.found.iter().enumerate() {
            let grade = p.grade(c).map_or("unjudged".to_string(), |g| g.to_string());
            let matched: Vec<&str> = c.matched_terms.iter().map(|m| m.term.as_str()).collect();
            let title: String = c.title.chars().take(40).collect();
            println!(
                "  {:>2}. {:<8} {} score {:.3} coverage {:.3} {} [{}]",
                i + 1,
                grade,
                c.external_id.as_deref().unwrap_or_default(),
                c.score,
                c.coverage,
                title,
                matched.join(",")
            );
        }
    }
    println!();
    print_summary(&r);
}
