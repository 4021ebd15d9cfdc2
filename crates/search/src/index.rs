//! The index: opening it, applying outbox changes, and searching.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::merge_policy::NoMergePolicy;
use tantivy::query::Query;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{
    DocAddress, Index, IndexReader, IndexSettings, IndexWriter, Order, ReloadPolicy, Searcher,
    TantivyDocument, TantivyError, Term,
};

use crate::analyzer::{Analyzer, BIGRAMS_TOKENIZER, BigramTokenizer, WORDS_TOKENIZER};
use crate::facets::{self, FacetCollector};
use crate::query::{self, Present, WEIGHTS};
use crate::schema::{self, Fields, SCHEMA_VERSION, UPDATED_AT_FIELD};
use crate::snippet::snippet;
use crate::{Change, Hit, Results, SearchError, SearchQuery, SortBy};

/// Indexing memory, shared by the writer's threads. Large enough that a
/// full rebuild of the platform's listings stays in one segment per thread.
const WRITER_MEMORY: usize = 256 * 1024 * 1024;

/// Longest query text accepted, in characters.
const MAX_QUERY_CHARS: usize = 500;

/// Deepest result (offset + limit) returned; paging further gives no hits
/// (total and facets stay exact). Bounds the memory a request can ask for.
const MAX_WINDOW: usize = 10_000;

/// What each commit records besides the documents.
#[derive(Serialize, Deserialize)]
struct CommitPayload {
    /// The last outbox sequence the commit covers.
    seq: i64,
    /// [`SCHEMA_VERSION`] of the writer.
    schema_version: u32,
}

/// The full-text index of needs and capabilities. Searches run concurrently
/// on a shared reader; changes go through one writer behind a mutex.
pub struct SearchIndex {
    fields: Fields,
    analyzer: Analyzer,
    reader: IndexReader,
    writer: Mutex<IndexWriter<TantivyDocument>>,
    applied_seq: AtomicI64,
}

impl SearchIndex {
    /// Opens the index in `dir` (created if absent). `user_words`: domain
    /// terms to add to the jieba dictionary (field labels, listing keywords)
    /// so they stay whole. Words added on a later open only change how new
    /// text is segmented; listings indexed before stay findable through the
    /// bigram fields.
    ///
    /// An index written with another schema or analysis is discarded and
    /// recreated empty, so [`SearchIndex::applied_seq`] is 0 and the caller
    /// rebuilds it from the database.
    pub fn open(dir: &Path, user_words: &[String]) -> Result<Self, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema::build();
        let existing = Index::builder()
            .schema(schema.clone())
            .settings(settings())
            .open_or_create(MmapDirectory::open(dir)?);
        match existing {
            Ok(index) if payload(&index)?.is_none_or(|p| p.schema_version == SCHEMA_VERSION) => {
                return Self::with_index(index, fields, user_words);
            }
            // Released before the directory is overwritten.
            Ok(index) => drop(index),
            Err(TantivyError::SchemaError(_)) => {}
            Err(e) => return Err(e.into()),
        }
        tracing::warn!(dir = %dir.display(), "search index has another layout; recreating it empty");
        // `Index::create` replaces whatever index the directory held.
        let index = Index::create(MmapDirectory::open(dir)?, schema, settings())?;
        Self::with_index(index, fields, user_words)
    }

    /// An index in memory, for tests and benchmarks.
    pub fn open_in_ram(user_words: &[String]) -> Result<Self, SearchError> {
        let (schema, fields) = schema::build();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()?;
        Self::with_index(index, fields, user_words)
    }

    fn with_index(
        index: Index,
        fields: Fields,
        user_words: &[String],
    ) -> Result<Self, SearchError> {
        let analyzer = Analyzer::new(user_words);
        index.tokenizers().register(
            WORDS_TOKENIZER,
            TextAnalyzer::from(analyzer.word_tokenizer()),
        );
        index.tokenizers().register(
            BIGRAMS_TOKENIZER,
            TextAnalyzer::from(BigramTokenizer::default()),
        );
        let applied_seq = payload(&index)?.map_or(0, |p| p.seq);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer(WRITER_MEMORY)?;
        Ok(Self {
            fields,
            analyzer,
            reader,
            writer: Mutex::new(writer),
            applied_seq: AtomicI64::new(applied_seq),
        })
    }

    /// Applies changes and commits them together with `seq` (the last outbox
    /// sequence they cover), so after a crash the index knows exactly where
    /// it stopped. The changes are visible to searches when this returns.
    pub fn apply(&self, changes: Vec<Change>, seq: i64) -> Result<(), SearchError> {
        let mut writer = self.lock_writer();
        if changes.is_empty() && seq == self.applied_seq() {
            return Ok(());
        }
        if let Err(e) = self.write(&mut writer, changes, seq) {
            // Drop the half-applied batch so a later commit cannot publish it
            // under a sequence it does not cover.
            if let Err(rollback) = writer.rollback() {
                tracing::error!(error = %rollback, "rolling back the search index writer failed");
            }
            return Err(e);
        }
        self.applied_seq.store(seq, Ordering::SeqCst);
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    fn write(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        changes: Vec<Change>,
        seq: i64,
    ) -> Result<(), SearchError> {
        for change in changes {
            match change {
                Change::Upsert(doc) => {
                    writer.delete_term(self.key_term(doc.kind, doc.id));
                    writer.add_document(schema::to_document(&self.fields, &doc))?;
                }
                Change::Delete { kind, id } => {
                    writer.delete_term(self.key_term(kind, id));
                }
            }
        }
        let payload = CommitPayload {
            seq,
            schema_version: SCHEMA_VERSION,
        };
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&serde_json::to_string(&payload).unwrap_or_default());
        prepared.commit()?;
        Ok(())
    }

    /// The writer; if a panic interrupted an earlier batch, its uncommitted
    /// part is rolled back first.
    /// Merges all segments into one and waits for it. A bulk build commits
    /// batch after batch and leaves many small segments, each of which every
    /// query must visit (a 17-segment index answered suggestions about four
    /// times slower than a 2-segment one); the commit payload is kept.
    pub fn optimize(&self) -> Result<(), SearchError> {
        let mut writer = self.lock_writer();
        let policy = writer.get_merge_policy();
        // No new background merges; one already running holds its segments,
        // and merging them again is refused until it ends.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let mut result = Ok(());
        for _ in 0..OPTIMIZE_ATTEMPTS {
            let index = self.reader.searcher().index().clone();
            let segments = index.searchable_segment_ids()?;
            if segments.len() <= 1 {
                result = Ok(());
                break;
            }
            result = writer.merge(&segments).wait().map(|_| ());
            match &result {
                Ok(()) => break,
                Err(tantivy::TantivyError::InvalidArgument(_)) => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(_) => break,
            }
        }
        writer.set_merge_policy(Box::new(ArcPolicy(policy)));
        drop(writer);
        result?;
        self.reader.reload()?;
        Ok(())
    }

    /// Number of segments readers see (for tests and diagnostics).
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    fn lock_writer(&self) -> MutexGuard<'_, IndexWriter<TantivyDocument>> {
        self.writer.lock().unwrap_or_else(|poisoned| {
            let mut writer = poisoned.into_inner();
            if let Err(e) = writer.rollback() {
                tracing::error!(error = %e, "rolling back the search index writer failed");
            }
            self.writer.clear_poison();
            writer
        })
    }

    pub(crate) fn fields(&self) -> &Fields {
        &self.fields
    }

    pub(crate) fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    pub(crate) fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    fn key_term(&self, kind: crate::DocKind, id: i64) -> Term {
        Term::from_field_text(self.fields.key, &schema::key(kind, id))
    }

    /// The outbox sequence of the last commit (0 for a new index).
    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(Ordering::SeqCst)
    }

    /// Makes committed changes visible to searches now (reloads the reader).
    /// [`SearchIndex::apply`] does this itself before returning.
    pub fn reload(&self) -> Result<(), SearchError> {
        Ok(self.reader.reload()?)
    }

    /// Number of listings in the index (all audiences).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn search(&self, q: &SearchQuery) -> Result<Results, SearchError> {
        let text = q.text.trim();
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(SearchError::InvalidQuery(format!(
                "the query is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let terms = if text.is_empty() {
            None
        } else {
            let terms = self.analyzer.query_terms(text);
            if terms.is_empty() {
                return Err(SearchError::InvalidQuery(
                    "the query has no words to search for".to_string(),
                ));
            }
            Some(terms)
        };
        let searcher = self.reader.searcher();
        let present = Present::in_searcher(&self.fields, &searcher);
        let text_query = terms
            .as_ref()
            .map(|t| query::text_query(&self.fields, t, &WEIGHTS, present));
        let by_relevance = terms.is_some() && q.sort == SortBy::Relevance;
        let query = query::combine(text_query, query::filters(&self.fields, q));

        let (top, total, facet_counts) = collect(&searcher, query.as_ref(), q, by_relevance)?;
        let highlight = terms.map(|t| t.highlight_terms()).unwrap_or_default();
        let hits = top
            .into_iter()
            .map(|(score, address)| self.hit(&searcher, address, score, &highlight))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Results {
            total,
            hits: hits.into_iter().flatten().collect(),
            facets: facets::group(facet_counts),
        })
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: f32,
        highlight: &[String],
    ) -> Result<Option<Hit>, SearchError> {
        let f = &self.fields;
        let Some(stored) = schema::StoredListing::load(searcher, f, address)? else {
            return Ok(None);
        };
        let title = stored.text(f.stored_title);
        let body = stored.text(f.stored_body);
        Ok(Some(Hit {
            kind: stored.kind,
            id: stored.id,
            external_id: stored.external_id(f),
            snippet: snippet(&title, &body, highlight),
            title,
            org_name: stored.text(f.stored_org_name),
            score,
        }))
    }
}

type Collected = (
    Vec<(f32, DocAddress)>,
    usize,
    std::collections::HashMap<String, u64>,
);

/// Runs the query once for the page of hits, the total and the facet counts.
fn collect(
    searcher: &Searcher,
    query: &dyn Query,
    q: &SearchQuery,
    by_relevance: bool,
) -> Result<Collected, SearchError> {
    let offset = q.offset.min(MAX_WINDOW);
    let limit = q.limit.min(MAX_WINDOW - offset);
    // TopDocs needs a limit of at least one; a page of zero is cut afterwards.
    let top_docs = TopDocs::with_limit(limit.max(1)).and_offset(offset);
    let (mut top, total, facets) = if by_relevance {
        // Two passes: alone, the top-k collector may skip documents that
        // cannot enter the top (block-max WAND); counts and facets visit
        // every match but need no scores.
        let top = searcher.search(query, &top_docs.order_by_score())?;
        let (total, facets) = searcher.search(query, &(Count, FacetCollector))?;
        (top, total, facets)
    } else {
        let by_updated = top_docs.order_by_fast_field::<i64>(UPDATED_AT_FIELD, Order::Desc);
        let (top, total, facets) = searcher.search(query, &(by_updated, Count, FacetCollector))?;
        // Recency order carries no relevance score.
        let top = top.into_iter().map(|(_, address)| (0.0, address)).collect();
        (top, total, facets)
    };
    top.truncate(limit);
    Ok((top, total, facets))
}

/// Doc store blocks of 4 KiB instead of 16: each hit decompresses one block,
/// and a listing is well under a kilobyte or two.
fn settings() -> IndexSettings {
    IndexSettings {
        docstore_blocksize: 4096,
        ..IndexSettings::default()
    }
}

fn payload(index: &Index) -> Result<Option<CommitPayload>, SearchError> {
    let metas = index.load_metas()?;
    Ok(metas
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok()))
}

/// How often `optimize` retries while a background merge holds segments.
const OPTIMIZE_ATTEMPTS: usize = 200;

/// Puts the writer's shared merge policy back after `optimize`.
#[derive(Debug)]
struct ArcPolicy(std::sync::Arc<dyn tantivy::merge_policy::MergePolicy>);

impl tantivy::merge_policy::MergePolicy for ArcPolicy {
    fn compute_merge_candidates(
        &self,
        segments: &[tantivy::SegmentMeta],
    ) -> Vec<tantivy::merge_policy::MergeCandidate> {
        self.0.compute_merge_candidates(segments)
    }
}
