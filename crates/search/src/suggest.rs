//! Match suggestions for long, vague texts: the research teams that could
//! take on an enterprise's need, or the needs a capability could serve.
//!
//! A need is not a keyword query: much of it is company language, and its
//! topic is spread over a title, indicators and a description. So the text
//! is reduced to weighted key terms and ranked in rounds:
//!
//! 1. **Key terms.** Each part (title, indicators, keywords, description)
//!    loses the clauses that do not describe the need: the company's
//!    self-description, courtesy, requests for cooperation without a topic
//!    ([`crate::phrasing`]). What remains is segmented with jieba as the
//!    index is. A word's weight is the sum over the parts of `part weight ×
//!    (1 + ln occurrences)`, times its rarity in the index (BM25 IDF over the
//!    word fields), halved for a word that only occurs inside a longer one,
//!    and lowered for a generic word (分子, 性能, 系统 …; see
//!    [`crate::distinctive`]). Boilerplate and generic request words
//!    (我公司, 希望, 技术, 提高 …), numbers and units, single characters and
//!    function words (by jieba's part-of-speech tags) carry no topic and are
//!    dropped; the best [`KEY_WORDS`] words remain. The CJK character
//!    bigrams of the text are the bigram terms, except those touching
//!    boilerplate, a quantity or a function character (的, 和, 在 …).
//! 2. **Broad recall.** A BM25 disjunction of every bigram term in the
//!    title, body and keyword bigram fields, each clause counting alike
//!    (BM25's own IDF weighs them): bigrams match whatever way a compound is
//!    segmented, which a long text needs more than a short query does.
//! 3. **Re-ranking** of the best [`DEPTH`] listings by a mix of the BM25
//!    score and the share of the key-word weight a listing contains
//!    (coverage; a word inside a longer matched word is not counted again),
//!    the latter divided by a mild power of the listing's length so that a
//!    short listing that names the topic competes with a long one that
//!    mentions many words in passing.
//! 4. **Feedback.** The best listing's most characteristic bigrams join the
//!    bigram terms, and recall and re-ranking run again: listings about the
//!    same subject as the best match rise, although they share fewer words
//!    with the enterprise's wording.
//! 5. **Scale.** The BM25 half of the score is relative to the best listing,
//!    which would make every list's best look good. So all scores are
//!    scaled by how much of the text the best listing covers (up to
//!    [`SuggestParams::full_coverage`]): the order stays, and a list whose
//!    best match names little of the need scores low.
//!
//! A need of a few words only (at most [`SHORT_CHARS`] characters, parts
//! that repeat earlier words left out) has no story to weigh: it is ranked
//! by the search query over its words instead, which finds the listing
//! naming them best. A description that restates its keywords
//! ("寻求以下方向的技术合作：A、B") thus ranks as the keywords do.
//!
//! Explanations name the distinctive matched terms only: no generic word,
//! no word that is part of another named one.
//!
//! Measured on 40 real enterprise needs against 24k CSL papers
//! (`tests/suggestions.rs`, and `qiao bench match` through the platform's
//! code with 5-fold cross-validation of the parameters).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use crate::analyzer::{bigrams, is_stop_word, normalize};
use crate::distinctive;
use crate::index::SearchIndex;
use crate::phrasing::{self, is_boilerplate, is_function_tag, is_quantity, usable};
use crate::query::{self, Present, WEIGHTS};
use crate::schema::{self, Fields};
use crate::{Audience, DocKind, SearchError, SearchQuery};

/// A long text split into weighted parts (e.g. title ×3, indicators ×1.5,
/// keywords ×2, description ×1), for suggestions.
#[derive(Clone, Debug)]
pub struct WeightedQuery {
    /// Text and weight; parts with a weight of zero or less are ignored.
    pub parts: Vec<(String, f32)>,
    /// What to find: capabilities for a need, needs for a capability.
    pub kind: DocKind,
    pub audience: Audience,
    /// At most 1,000.
    pub limit: usize,
    /// Listings of `kind` never to suggest (e.g. pairs staff rejected).
    pub exclude_ids: Vec<i64>,
}

/// The tunable parameters of the ranking of long texts. The defaults are
/// what `qiao bench match` cross-validates; matching configuration may
/// override them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SuggestParams {
    /// Share of the re-ranking score that comes from key-word coverage (the
    /// rest from the first round's BM25 score, relative to the best), 0–1.
    pub coverage: f32,
    /// Coverage is divided by `(length / average length) ^ length_exponent`,
    /// so that a short listing naming the topic competes with a long one
    /// mentioning many words in passing.
    pub length_exponent: f32,
    /// Weight factor of a generic key word (分子, 性能, 系统 …), 0–1: IDF
    /// lowers common words already, not the category words of one field.
    pub generic_weight: f32,
    /// The coverage at which the best listing of a long text counts as fully
    /// on topic, 0–1. Scores are scaled by the best listing's coverage over
    /// this (at most 1), which keeps the order of a list and lowers a whole
    /// list whose best match names little of the text. A listing rarely
    /// names more than a third of a long need's key words, while it may name
    /// all of a short one's, for which it is 1.
    pub full_coverage: f32,
}

impl Default for SuggestParams {
    fn default() -> Self {
        Self {
            coverage: 0.5,
            length_exponent: 0.2,
            generic_weight: 0.5,
            full_coverage: 0.25,
        }
    }
}

impl SuggestParams {
    /// Whether every parameter is within its range.
    pub fn is_valid(&self) -> bool {
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        unit(self.coverage)
            && unit(self.generic_weight)
            && (0.0..=2.0).contains(&self.length_exponent)
            && self.full_coverage > 0.0
            && self.full_coverage <= 1.0
    }
}

/// A key term of the query that a suggested listing contains.
#[derive(Clone, Debug, Serialize)]
pub struct MatchedTerm {
    pub term: String,
    /// Where the listing has it: `title`, `description`, `keywords`, `fields`.
    pub found_in: Vec<String>,
}

/// How a candidate was found: by the words it shares with the query, by
/// meaning (an embedding model's similarity), or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    Words,
    Meaning,
    Both,
}

/// One suggested listing.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub kind: DocKind,
    pub id: i64,
    pub external_id: Option<String>,
    pub title: String,
    pub org_name: String,
    pub org_id: i64,
    /// Lexical relevance in 0..=1, higher is better: the ranking score,
    /// scaled by how much of the query the best listing covers, so that a
    /// list whose best match is weak does not look strong.
    pub score: f32,
    /// Share of the query's key-word weight this listing contains, 0..=1
    /// (generic words weighed down, a word inside a longer matched word not
    /// counted again): absolute, comparable across queries.
    pub coverage: f32,
    /// Similarity by meaning, 0..=1, when an embedding model ranked the
    /// candidate too; `None` for the lexical ranking alone.
    pub semantic: Option<f32>,
    pub found_by: FoundBy,
    /// The listing is in another language than the query, so words cannot
    /// match and meaning alone says whether it fits.
    pub cross_lingual: bool,
    /// The query is a few words, ranked by its words even when a model is
    /// active (see [`SearchIndex::is_short`]).
    pub few_words: bool,
    /// The query's distinctive key terms this listing contains, most
    /// important first, at most [`MAX_MATCHED_TERMS`]: no generic word, and
    /// no word that is part of another listed one.
    pub matched_terms: Vec<MatchedTerm>,
}

/// Most matched terms reported per candidate.
const MAX_MATCHED_TERMS: usize = 8;

/// Longest text accepted over all parts, in characters.
const MAX_QUERY_CHARS: usize = 20_000;

/// Most candidates returned.
const MAX_LIMIT: usize = 1_000;

/// Key words kept (by weight). Fewer lose the secondary aspects of a need,
/// more let incidental words into the coverage.
const KEY_WORDS: usize = 30;

/// Weight factor of a word the text has only inside longer words (the 二氧化
/// of 二氧化碳, which search mode indexes too): it lets a listing that
/// words the compound differently match in part, without counting the
/// compound many times over.
const PART_ONLY: f32 = 0.5;

/// Bigram terms kept (by weight), which bounds the work for very long texts;
/// a need of a few hundred characters has fewer.
const KEY_BIGRAMS: usize = 200;

/// Texts up to this many characters (distinct parts together, e.g. a title
/// of two keywords repeated as keywords) are ranked as a search query.
const SHORT_CHARS: usize = 24;

/// Listings re-ranked after the broad first round.
const DEPTH: usize = 300;

/// The relative length below which a listing is not favoured further.
const LENGTH_FLOOR: f32 = 0.1;

/// Feedback: bigrams taken from the best listing of the first ranking, and
/// the boost of the most characteristic one (a query bigram has 1).
const FEEDBACK_BIGRAMS: usize = 50;
const FEEDBACK_BOOST: f32 = 0.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TermKind {
    /// A word, searched in the word fields; key words make the coverage.
    Word,
    /// A character bigram, searched in the bigram fields.
    Bigram,
}

/// A key term of a weighted query.
#[derive(Clone, Debug)]
struct KeyTerm {
    text: String,
    kind: TermKind,
    /// Part weights × occurrences × IDF: the term's importance.
    weight: f32,
    /// Boost of its clauses in the first round (0: not searched there).
    boost: f32,
    /// A generic word (see [`distinctive`]): weighed down, never named in
    /// an explanation.
    generic: bool,
    /// The key words that contain this one (分子量 for 分子), by index:
    /// where one of them matched, this one adds nothing.
    containers: Vec<usize>,
}

fn bm25_idf(df: u64, n: u64) -> f32 {
    let (df, n) = (df as f32, n.max(1) as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// Documents with the term in one of `fields` (the largest count, an
/// approximation of the union). Counted over the whole index: needs and
/// capabilities share the fields.
fn doc_freq(searcher: &Searcher, fields: &[Field], term: &str) -> u64 {
    fields
        .iter()
        .map(|&field| {
            searcher
                .doc_freq(&Term::from_field_text(field, term))
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// The word fields searched, with the name reported in `found_in`.
fn word_fields(f: &Fields, present: Present) -> Vec<(Field, &'static str)> {
    let mut out = vec![(f.title, "title"), (f.body, "description")];
    if present.keywords {
        out.push((f.keywords, "keywords"));
    }
    if present.labels {
        out.push((f.labels, "fields"));
    }
    out
}

/// The bigram fields searched, with their weights.
fn bigram_fields(f: &Fields, present: Present) -> Vec<(Field, f32)> {
    let mut out = vec![
        (f.title_bigrams, WEIGHTS.title),
        (f.body_bigrams, WEIGHTS.body),
    ];
    if present.keywords {
        out.push((f.keyword_bigrams, WEIGHTS.keywords));
    }
    out
}

/// Occurrences of each term in one part, and whether it occurs as a word of
/// its own (not only as a search-mode part of a longer word).
type Counts = HashMap<String, (f32, bool)>;

/// The key-word and bigram candidates of one normalised part.
fn part_terms(index: &SearchIndex, normalized: &str) -> (Counts, Counts) {
    let mut words = Counts::new();
    // Per char position: whether the default-mode word there may be part of
    // a bigram term (jieba's tags are too unreliable to decide that: 系/v).
    let mut content_at = vec![false; normalized.chars().count()];
    index
        .analyzer()
        .tagged_words(normalized, |word, tag, part, pos| {
            if !part {
                let content = !(is_boilerplate(word) || is_quantity(word) || is_stop_word(word));
                for slot in content_at.iter_mut().skip(pos).take(word.chars().count()) {
                    *slot = content;
                }
            }
            if !is_function_tag(tag) && usable(word) {
                let entry = words.entry(word.to_string()).or_default();
                entry.0 += 1.0;
                entry.1 |= !part;
            }
        });
    let mut grams = Counts::new();
    bigrams(normalized, |gram, _, pos| {
        let content = |at: usize| content_at.get(at).copied().unwrap_or(false);
        if gram.chars().count() == 2 && content(pos) && content(pos + 1) {
            let entry = grams.entry(gram.to_string()).or_default();
            entry.0 += 1.0;
            entry.1 = true;
        }
    });
    (words, grams)
}

/// The parts of a query with a positive weight, each normalised and
/// without the clauses that do not describe it (see [`phrasing::strip`]).
fn topical_parts(index: &SearchIndex, q: &WeightedQuery) -> Vec<(String, f32)> {
    q.parts
        .iter()
        // Also skips NaN.
        .filter(|(_, weight)| weight.partial_cmp(&0.0) == Some(std::cmp::Ordering::Greater))
        .map(|(text, weight)| (phrasing::strip(index.analyzer(), &normalize(text)), *weight))
        .collect()
}

/// The key words (best first, at most [`KEY_WORDS`]) and then the bigram
/// terms (at most [`KEY_BIGRAMS`]) of a weighted query.
fn select_key_terms(
    index: &SearchIndex,
    searcher: &Searcher,
    parts: &[(String, f32)],
    params: &SuggestParams,
) -> Vec<KeyTerm> {
    let mut words: HashMap<String, (f32, bool)> = HashMap::new();
    let mut grams: HashMap<String, (f32, bool)> = HashMap::new();
    for (text, weight) in parts {
        let (w, g) = part_terms(index, text);
        for (into, counts) in [(&mut words, w), (&mut grams, g)] {
            for (term, (occurrences, whole)) in counts {
                let entry = into.entry(term).or_default();
                entry.0 += weight * (1.0 + occurrences.ln());
                entry.1 |= whole;
            }
        }
    }
    let f = index.fields();
    let n = searcher.num_docs();
    let choose = |raw: HashMap<String, (f32, bool)>, kind: TermKind, max: usize| {
        let fields = match kind {
            TermKind::Word => vec![f.title, f.body, f.keywords, f.labels],
            TermKind::Bigram => vec![f.title_bigrams, f.body_bigrams, f.keyword_bigrams],
        };
        let mut terms: Vec<KeyTerm> = raw
            .into_iter()
            .filter_map(|(text, (raw, whole))| {
                let df = doc_freq(searcher, &fields, &text);
                // A term no listing has cannot help.
                if df == 0 {
                    return None;
                }
                let part = if whole { 1.0 } else { PART_ONLY };
                let generic = kind == TermKind::Word && distinctive::is_generic(&text, df, n);
                let rarity = if generic { params.generic_weight } else { 1.0 };
                Some(KeyTerm {
                    weight: part * rarity * raw * bm25_idf(df, n),
                    boost: match kind {
                        TermKind::Word => 0.0,
                        TermKind::Bigram => 1.0,
                    },
                    text,
                    kind,
                    generic,
                    containers: Vec::new(),
                })
            })
            .collect();
        terms.sort_by(|a, b| {
            b.weight
                .total_cmp(&a.weight)
                .then_with(|| a.text.cmp(&b.text))
        });
        terms.truncate(max);
        terms
    };
    let mut terms = choose(words, TermKind::Word, KEY_WORDS);
    let texts: Vec<String> = terms.iter().map(|k| k.text.clone()).collect();
    for (term, containers) in terms.iter_mut().zip(distinctive::containers(&texts)) {
        term.containers = containers;
    }
    terms.extend(choose(grams, TermKind::Bigram, KEY_BIGRAMS));
    terms
}

/// A listing of a ranking: its score, its coverage and, per key term, a
/// bit mask of the word fields it was found in (bit `i` for
/// `word_fields()[i]`; bigram terms stay 0).
struct Ranked {
    address: DocAddress,
    score: f32,
    coverage: f32,
    found: Vec<u8>,
}

impl SearchIndex {
    /// Listings of `q.kind` that match the weighted query's key terms, best
    /// first, visible to `q.audience` and not in `q.exclude_ids`. A text
    /// without key terms gives no candidates.
    pub fn candidates(&self, q: &WeightedQuery) -> Result<Vec<Candidate>, SearchError> {
        self.candidates_with(q, &SuggestParams::default())
    }

    /// [`Self::candidates`] with other ranking parameters.
    pub fn candidates_with(
        &self,
        q: &WeightedQuery,
        params: &SuggestParams,
    ) -> Result<Vec<Candidate>, SearchError> {
        let chars: usize = q.parts.iter().map(|(text, _)| text.chars().count()).sum();
        if chars > MAX_QUERY_CHARS {
            return Err(SearchError::InvalidQuery(format!(
                "the text is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        if !params.is_valid() {
            return Err(SearchError::InvalidQuery(format!(
                "suggestion parameters out of range: {params:?}"
            )));
        }
        let limit = q.limit.min(MAX_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.searcher();
        let parts = topical_parts(self, q);
        let mut terms = select_key_terms(self, &searcher, &parts, params);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.fields();
        let present = Present::in_searcher(f, &searcher);
        let depth = DEPTH.max(limit);

        let short = short_text(self, &parts);
        let mut ranked = match &short {
            Some(text) => rank_short(self, &searcher, present, q, &terms, text, limit)?,
            None => rank(&searcher, f, present, q, &terms, depth, params)?,
        };
        if short.is_none()
            && let Some(best) = ranked.first()
        {
            let added = self.feedback(&searcher, best.address, &mut terms)?;
            if added {
                ranked = rank(&searcher, f, present, q, &terms, depth, params)?;
            }
        }
        ranked.truncate(limit);
        let full = if short.is_some() {
            1.0
        } else {
            params.full_coverage
        };
        let quality = ranked
            .first()
            .map_or(0.0, |best| (best.coverage / full).min(1.0));
        for r in &mut ranked {
            r.score *= quality;
        }

        let words = word_fields(f, present);
        ranked
            .into_iter()
            .map(|r| {
                let matched = terms
                    .iter()
                    .zip(&r.found)
                    .filter(|(k, mask)| **mask != 0 && !k.generic)
                    .map(|(k, mask)| MatchedTerm {
                        term: k.text.clone(),
                        found_in: words
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0)
                            .map(|(_, (_, name))| name.to_string())
                            .collect(),
                    })
                    .collect();
                let mut matched = distinctive::without_sub_words(matched, |m| m.term.as_str());
                matched.truncate(MAX_MATCHED_TERMS);
                self.candidate(&searcher, &r, matched)
            })
            .filter_map(Result::transpose)
            .collect()
    }

    /// Whether the text is only a few words (boilerplate and restating parts
    /// aside), which is ranked as a search query: its exact words say what
    /// is wanted better than an embedding of two or three words does.
    pub fn is_short(&self, q: &WeightedQuery) -> bool {
        short_text(self, &topical_parts(self, q)).is_some()
    }

    /// The key terms chosen from a weighted query, with their weights (for
    /// explanations and debugging), most important first. These are the
    /// key words; the character bigrams searched alongside them are not
    /// listed.
    pub fn key_terms(&self, q: &WeightedQuery) -> Vec<(String, f32)> {
        let searcher = self.searcher();
        let parts = topical_parts(self, q);
        select_key_terms(self, &searcher, &parts, &SuggestParams::default())
            .into_iter()
            .filter(|k| k.kind == TermKind::Word)
            .map(|k| (k.text, k.weight))
            .collect()
    }

    fn candidate(
        &self,
        searcher: &Searcher,
        ranked: &Ranked,
        matched_terms: Vec<MatchedTerm>,
    ) -> Result<Option<Candidate>, SearchError> {
        let f = self.fields();
        let Some(stored) = schema::StoredListing::load(searcher, f, ranked.address)? else {
            return Ok(None);
        };
        Ok(Some(Candidate {
            kind: stored.kind,
            id: stored.id,
            external_id: stored.external_id(f),
            title: stored.text(f.stored_title),
            org_name: stored.text(f.stored_org_name),
            org_id: stored.org_id(f),
            score: ranked.score.clamp(0.0, 1.0),
            coverage: ranked.coverage.clamp(0.0, 1.0),
            semantic: None,
            found_by: FoundBy::Words,
            cross_lingual: false,
            few_words: false,
            matched_terms,
        }))
    }

    /// Pseudo-relevance feedback: the bigrams most characteristic of the
    /// best listing (frequency in it × IDF) join the bigram terms, boosted
    /// up to [`FEEDBACK_BOOST`]. Whether any term changed.
    fn feedback(
        &self,
        searcher: &Searcher,
        best: DocAddress,
        terms: &mut Vec<KeyTerm>,
    ) -> Result<bool, SearchError> {
        let f = self.fields();
        let doc: TantivyDocument = searcher.doc(best)?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
        let text = normalize(&format!("{} {}", text(f.stored_title), text(f.stored_body)));
        let mut tf: HashMap<&str, f32> = HashMap::new();
        let mut total = 0.0f32;
        bigrams(&text, |gram, _, _| {
            if gram.chars().count() == 2 {
                *tf.entry(gram).or_default() += 1.0;
                total += 1.0;
            }
        });
        let n = searcher.num_docs();
        let fields = [f.title_bigrams, f.body_bigrams, f.keyword_bigrams];
        let mut scored: Vec<(&str, f32)> = tf
            .into_iter()
            .map(|(gram, count)| {
                let idf = bm25_idf(doc_freq(searcher, &fields, gram), n);
                (gram, count / total.max(1.0) * idf)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        scored.truncate(FEEDBACK_BIGRAMS);
        let Some(&(_, top)) = scored.first() else {
            return Ok(false);
        };
        for (gram, score) in scored {
            let boost = FEEDBACK_BOOST * score / top.max(f32::MIN_POSITIVE);
            match terms
                .iter_mut()
                .find(|k| k.kind == TermKind::Bigram && k.text == gram)
            {
                Some(k) => k.boost += boost,
                None => terms.push(KeyTerm {
                    text: gram.to_string(),
                    kind: TermKind::Bigram,
                    weight: 0.0,
                    boost,
                    generic: false,
                    containers: Vec::new(),
                }),
            }
        }
        Ok(true)
    }
}

/// The first round (BM25 over the bigram terms, filtered) to `depth`,
/// re-ranked with key-word coverage.
fn rank(
    searcher: &Searcher,
    f: &Fields,
    present: Present,
    q: &WeightedQuery,
    terms: &[KeyTerm],
    depth: usize,
    params: &SuggestParams,
) -> Result<Vec<Ranked>, SearchError> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let grams = bigram_fields(f, present);
    for k in terms.iter().filter(|k| k.boost > 0.0) {
        for &(field, w) in &grams {
            let term = Term::from_field_text(field, &k.text);
            let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(Box::new(query), k.boost * w)),
            ));
        }
    }
    let scored: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
    let mut ranked = first_round(searcher, f, q, scored, terms.len(), depth)?;
    let Some(best) = ranked.first().map(|r| r.score.max(f32::MIN_POSITIVE)) else {
        return Ok(ranked);
    };
    mark_found(searcher, &word_fields(f, present), terms, &mut ranked)?;
    let lengths = relative_lengths(searcher, &[f.title_bigrams, f.body_bigrams], &ranked)?;
    let total = key_word_weight(terms);
    for (r, length) in ranked.iter_mut().zip(lengths) {
        r.coverage = covered_weight(terms, r) / total;
        let favoured = r.coverage / length.max(LENGTH_FLOOR).powf(params.length_exponent);
        r.score = (1.0 - params.coverage) * r.score / best + params.coverage * favoured;
    }
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(ranked)
}

/// The summed weight of the key words (never zero).
fn key_word_weight(terms: &[KeyTerm]) -> f32 {
    terms
        .iter()
        .filter(|k| k.kind == TermKind::Word)
        .map(|k| k.weight)
        .sum::<f32>()
        .max(f32::MIN_POSITIVE)
}

/// The weight of the key terms a ranked listing contains; a word inside a
/// longer key word the listing contains too (分子 of 分子量) is not counted
/// again.
fn covered_weight(terms: &[KeyTerm], r: &Ranked) -> f32 {
    let found = |i: usize| r.found.get(i).is_some_and(|mask| *mask != 0);
    terms
        .iter()
        .enumerate()
        .filter(|&(i, k)| found(i) && !k.containers.iter().any(|&c| found(c)))
        .map(|(_, k)| k.weight)
        .sum()
}

/// The best `depth` listings for a scoring query, within the query's kind,
/// audience and exclusions, with no key term marked found yet.
fn first_round(
    searcher: &Searcher,
    f: &Fields,
    q: &WeightedQuery,
    scored: Box<dyn Query>,
    terms: usize,
    depth: usize,
) -> Result<Vec<Ranked>, SearchError> {
    let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, scored)];
    all.extend(visibility_clauses(f, q));
    let top = searcher.search(
        &BooleanQuery::new(all),
        &TopDocs::with_limit(depth).order_by_score(),
    )?;
    Ok(top
        .into_iter()
        .map(|(score, address)| Ranked {
            address,
            score,
            coverage: 0.0,
            found: vec![0; terms],
        })
        .collect())
}

/// The kind and audience filters and the excluded listings of a query.
fn visibility_clauses(f: &Fields, q: &WeightedQuery) -> Vec<(Occur, Box<dyn Query>)> {
    let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut visible = SearchQuery::new("", q.audience);
    visible.kind = Some(q.kind);
    for filter in query::filters(f, &visible) {
        out.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
    }
    for id in &q.exclude_ids {
        let term = Term::from_field_text(f.key, &schema::key(q.kind, *id));
        out.push((
            Occur::MustNot,
            Box::new(TermQuery::new(term, IndexRecordOption::Basic)),
        ));
    }
    out
}

/// The text of a need that is only a few words (its distinct parts
/// together), which is ranked as a search query is; `None` for a longer text.
/// Parts weighted below 1 are context (a field label) and stay out, and so
/// does a part that only repeats words of the parts before it (a
/// description restating the keywords).
fn short_text(index: &SearchIndex, parts: &[(String, f32)]) -> Option<String> {
    let mut kept: Vec<&str> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (text, weight) in parts {
        let text = text.trim();
        if *weight < 1.0 || text.is_empty() {
            continue;
        }
        let mut words = Vec::new();
        index.analyzer().tagged_words(text, |word, tag, part, _| {
            if !part && !is_function_tag(tag) && usable(word) {
                words.push(word.to_string());
            }
        });
        // A part without usable words is kept unless it repeats a kept one.
        let new = words.is_empty() || words.iter().any(|w| !seen.contains(w));
        seen.extend(words);
        if new && !kept.contains(&text) {
            kept.push(text);
        }
    }
    let text = kept.join(" ");
    (!text.is_empty() && text.chars().count() <= SHORT_CHARS).then_some(text)
}

/// A short need ranked by the search query over its words: with a few
/// words there is no story to weigh, and the search ranking (words, bigrams,
/// phrases, title boost, coordination) finds the listing that names them
/// best. Scores are BM25 relative to the best.
fn rank_short(
    index: &SearchIndex,
    searcher: &Searcher,
    present: Present,
    q: &WeightedQuery,
    terms: &[KeyTerm],
    text: &str,
    limit: usize,
) -> Result<Vec<Ranked>, SearchError> {
    let f = index.fields();
    let query_terms = index.analyzer().query_terms(text);
    if query_terms.is_empty() {
        return Ok(Vec::new());
    }
    let scored = query::text_query(f, &query_terms, &query::WEIGHTS, present);
    let mut ranked = first_round(searcher, f, q, scored, terms.len(), limit)?;
    let Some(best) = ranked.first().map(|r| r.score.max(f32::MIN_POSITIVE)) else {
        return Ok(ranked);
    };
    mark_found(searcher, &word_fields(f, present), terms, &mut ranked)?;
    let total = key_word_weight(terms);
    for r in &mut ranked {
        r.coverage = covered_weight(terms, r) / total;
        r.score /= best;
    }
    Ok(ranked)
}

/// Each ranked listing's length in `fields` (tokens), relative to the
/// average listing.
fn relative_lengths(
    searcher: &Searcher,
    fields: &[Field],
    ranked: &[Ranked],
) -> Result<Vec<f32>, SearchError> {
    let mut total = 0u64;
    for segment in searcher.segment_readers() {
        for &field in fields {
            total += segment.inverted_index(field)?.total_num_tokens();
        }
    }
    let average = (total as f32 / searcher.num_docs().max(1) as f32).max(1.0);
    let mut norms = HashMap::new();
    let mut out = Vec::with_capacity(ranked.len());
    for r in ranked {
        let segment = r.address.segment_ord;
        let readers = match norms.entry(segment) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let reader = searcher.segment_reader(segment);
                let readers = fields
                    .iter()
                    .map(|&field| reader.get_fieldnorms_reader(field))
                    .collect::<tantivy::Result<Vec<_>>>()?;
                entry.insert(readers)
            }
        };
        let length: u32 = readers.iter().map(|n| n.fieldnorm(r.address.doc_id)).sum();
        out.push(length as f32 / average);
    }
    Ok(out)
}

/// Marks, for each ranked listing, the word fields holding each key word
/// (from the postings, so as the index sees the listing).
fn mark_found(
    searcher: &Searcher,
    words: &[(Field, &'static str)],
    terms: &[KeyTerm],
    ranked: &mut [Ranked],
) -> Result<(), SearchError> {
    let mut by_segment: HashMap<u32, Vec<(u32, usize)>> = HashMap::new();
    for (i, r) in ranked.iter().enumerate() {
        by_segment
            .entry(r.address.segment_ord)
            .or_default()
            .push((r.address.doc_id, i));
    }
    for (segment, mut docs) in by_segment {
        docs.sort_unstable();
        let reader = searcher.segment_reader(segment);
        for (bit, &(field, _)) in words.iter().enumerate() {
            let inverted = reader.inverted_index(field)?;
            for (k, term) in terms.iter().enumerate() {
                if term.kind != TermKind::Word {
                    continue;
                }
                let term = Term::from_field_text(field, &term.text);
                let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)?
                else {
                    continue;
                };
                for &(doc, i) in &docs {
                    if postings.doc() > doc {
                        continue;
                    }
                    let found = postings.seek(doc);
                    if found == TERMINATED {
                        break;
                    }
                    if found == doc {
                        ranked[i].found[k] |= 1 << bit;
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Change, Doc};

    fn doc(kind: DocKind, id: i64, title: &str, body: &str) -> Doc {
        Doc {
            kind,
            id,
            external_id: Some(format!("{}-{id}", kind.code())),
            title: title.to_string(),
            body: body.to_string(),
            keywords: Vec::new(),
            fields: Vec::new(),
            org_id: 100 + id,
            org_name: format!("机构{id}"),
            org_kind: "enterprise".to_string(),
            region: String::new(),
            region_scope: String::new(),
            modes: Vec::new(),
            trl: None,
            status: match kind {
                DocKind::Need => "matched".to_string(),
                DocKind::Capability => "published".to_string(),
            },
            visibility: "public".to_string(),
            org_review: "approved".to_string(),
            org_deleted: false,
            updated_at: 1_700_000_000 + id,
        }
    }

    fn index(docs: Vec<Doc>) -> SearchIndex {
        let index = SearchIndex::open_in_ram(&[]).unwrap();
        index
            .apply(docs.into_iter().map(Change::Upsert).collect(), 1)
            .unwrap();
        index
    }

    fn query(kind: DocKind, audience: Audience, parts: &[(&str, f32)]) -> WeightedQuery {
        WeightedQuery {
            parts: parts.iter().map(|(t, w)| (t.to_string(), *w)).collect(),
            kind,
            audience,
            limit: 10,
            exclude_ids: Vec::new(),
        }
    }

    fn short(index: &SearchIndex, q: &WeightedQuery) -> Option<String> {
        short_text(index, &topical_parts(index, q))
    }

    fn ids(index: &SearchIndex, q: &WeightedQuery) -> Vec<i64> {
        let mut ids: Vec<i64> = index
            .candidates(q)
            .unwrap()
            .iter()
            .map(|c| {
                assert_eq!(c.kind, q.kind);
                c.id
            })
            .collect();
        ids.sort_unstable();
        ids
    }

    #[test]
    fn candidates_respect_audience_kind_and_exclusions() {
        let body = "锂电池隔膜涂覆陶瓷浆料，提高隔膜耐热收缩性能。";
        let mut staff_only = doc(DocKind::Need, 2, "锂电池隔膜涂覆工艺优化", body);
        staff_only.visibility = "staff_only".to_string();
        let mut draft = doc(DocKind::Need, 3, "锂电池隔膜涂覆设备", body);
        draft.status = "draft".to_string();
        let index = index(vec![
            doc(DocKind::Need, 1, "锂电池隔膜涂覆浆料开发", body),
            staff_only,
            draft,
            doc(DocKind::Need, 4, "果园病虫害监测", "果树叶片病斑识别。"),
            doc(DocKind::Capability, 1, "锂电池隔膜陶瓷涂覆技术", body),
            doc(DocKind::Capability, 2, "隔膜涂覆浆料配方", body),
        ]);
        let parts = [("锂电池隔膜涂覆", 3.0), ("隔膜耐热收缩性能不达标", 1.0)];

        let mut q = query(DocKind::Need, Audience::Public, &parts);
        assert_eq!(ids(&index, &q), vec![1]);
        // The organization sees its own staff-only need and its draft.
        q.audience = Audience::Member(102);
        assert_eq!(ids(&index, &q), vec![1, 2]);
        q.audience = Audience::Member(103);
        assert_eq!(ids(&index, &q), vec![1, 3]);
        q.audience = Audience::All;
        assert_eq!(ids(&index, &q), vec![1, 2, 3]);
        q.exclude_ids = vec![1, 3];
        assert_eq!(ids(&index, &q), vec![2]);

        let mut q = query(DocKind::Capability, Audience::Public, &parts);
        assert_eq!(ids(&index, &q), vec![1, 2]);
        q.exclude_ids = vec![2];
        assert_eq!(ids(&index, &q), vec![1]);
        q.limit = 0;
        assert!(index.candidates(&q).unwrap().is_empty());
    }

    #[test]
    fn a_short_need_is_ranked_as_a_search_for_its_words() {
        let index = index(vec![
            doc(
                DocKind::Capability,
                1,
                "果蔬减压气调贮藏保鲜技术",
                "减压与气调结合，延长果蔬贮藏期。",
            ),
            doc(
                DocKind::Capability,
                2,
                "冷库节能改造",
                "冷库减压阀与制冷系统，气调库门密封。",
            ),
            doc(DocKind::Capability, 3, "风电齿轮箱", "齿轮箱故障诊断。"),
        ]);
        let q = query(
            DocKind::Capability,
            Audience::Public,
            &[("减压 气调", 3.0), ("减压 气调", 2.0), ("现代农业", 0.5)],
        );
        assert_eq!(short(&index, &q).as_deref(), Some("减压 气调"));
        let found = index.candidates(&q).unwrap();
        let ids: Vec<i64> = found.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![1, 2], "{found:?}");
        assert!(found[0].score > found[1].score && found[0].score <= 1.0);
        let terms: Vec<&str> = found[0]
            .matched_terms
            .iter()
            .map(|m| m.term.as_str())
            .collect();
        assert!(
            terms.contains(&"减压") && terms.contains(&"气调"),
            "{terms:?}"
        );
        let mut q = q;
        q.exclude_ids = vec![1];
        let ids: Vec<i64> = index.candidates(&q).unwrap().iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![2]);
        // A need with a story is not short.
        q.parts.push((
            "我公司的果蔬在长途运输中腐烂严重，希望延长保鲜期".into(),
            1.0,
        ));
        assert!(short(&index, &q).is_none());
    }

    /// A small corpus on fruit and vegetable storage, with neighbours that
    /// share some of its words.
    fn storage_corpus() -> SearchIndex {
        index(vec![
            doc(
                DocKind::Capability,
                1,
                "果蔬减压气调贮藏保鲜技术",
                "减压与气调结合，延长果蔬贮藏期，降低腐烂率。",
            ),
            doc(
                DocKind::Capability,
                2,
                "冷库节能改造",
                "冷库减压阀与制冷系统，气调库门密封。",
            ),
            doc(
                DocKind::Capability,
                3,
                "果蔬冷链物流温度监测",
                "冷链运输中果蔬温度与湿度的实时监测，贮藏期预测。",
            ),
            doc(DocKind::Capability, 4, "风电齿轮箱", "齿轮箱故障诊断。"),
        ])
    }

    /// (id, score) of each candidate, best first.
    fn ranking(index: &SearchIndex, q: &WeightedQuery) -> Vec<(i64, f32)> {
        index
            .candidates(q)
            .unwrap()
            .iter()
            .map(|c| (c.id, c.score))
            .collect()
    }

    #[test]
    fn a_sentence_restating_the_keywords_does_not_change_the_ranking() {
        let index = storage_corpus();
        let title_only = query(
            DocKind::Capability,
            Audience::Public,
            &[("减压 气调", 3.0), ("减压 气调", 2.0)],
        );
        let mut restating = title_only.clone();
        restating
            .parts
            .push(("寻求以下方向的技术合作：减压、气调".into(), 1.0));
        let expected = ranking(&index, &title_only);
        assert_eq!(expected.first().map(|r| r.0), Some(1), "{expected:?}");
        let same = |got: Vec<(i64, f32)>| {
            assert_eq!(got.len(), expected.len(), "{got:?} vs {expected:?}");
            for (g, e) in got.iter().zip(&expected) {
                assert!(
                    g.0 == e.0 && (g.1 - e.1).abs() < 1e-5,
                    "{got:?} vs {expected:?}"
                );
            }
        };
        same(ranking(&index, &restating));
        // Courtesy and the company's profile around it change nothing either.
        restating.parts.push((
            "我公司成立于2008年，是一家专业从事果蔬批发的企业。诚邀高校院所与我们联系，欢迎洽谈合作！"
                .into(),
            1.0,
        ));
        same(ranking(&index, &restating));
    }

    #[test]
    fn boilerplate_around_a_long_need_does_not_change_its_ranking() {
        let index = storage_corpus();
        let need = query(
            DocKind::Capability,
            Audience::Public,
            &[
                ("果蔬长途运输保鲜", 3.0),
                (
                    "果蔬在长途冷链运输中腐烂率高，需要贮藏期预测和温度监测，延长保鲜期。",
                    1.0,
                ),
            ],
        );
        let mut wordy = need.clone();
        wordy.parts[1].0 = format!(
            "我公司是一家集果蔬种植、收购、销售于一体的国家高新技术企业，成立于2005年。{}希望与高校合作，诚邀有意向的专家团队洽谈，欢迎各方联系。",
            need.parts[1].0
        );
        let plain: Vec<i64> = ranking(&index, &need).iter().map(|r| r.0).collect();
        assert_eq!(
            ranking(&index, &wordy)
                .iter()
                .map(|r| r.0)
                .collect::<Vec<_>>(),
            plain
        );
        let terms: Vec<String> = index
            .key_terms(&wordy)
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        for t in ["种植", "销售", "专家", "高新技术", "意向"] {
            assert!(!terms.iter().any(|k| k == t), "{t} in {terms:?}");
        }
    }

    #[test]
    fn explanations_name_distinctive_terms_only() {
        let index = index(vec![
            doc(
                DocKind::Capability,
                1,
                "一种低分子量岩藻多糖的定向酶解制备方法",
                "采用岩藻多糖酶进行定向降解，获得重均分子量5000～10000Da的产品，分子量分布指数小于1.4。",
            ),
            doc(DocKind::Capability, 2, "风电齿轮箱", "齿轮箱故障诊断。"),
            // The need is indexed too, as on the platform.
            doc(
                DocKind::Need,
                3,
                "聚天冬氨酸绿色阻垢剂分子量调控与性能提升",
                "聚天冬氨酸是可生物降解的绿色阻垢剂，希望合作研究聚合工艺对分子量的控制，以及接枝改性提升阻垢分散性能的方法。",
            ),
        ]);
        let q = query(
            DocKind::Capability,
            Audience::Public,
            &[
                ("聚天冬氨酸绿色阻垢剂分子量调控与性能提升", 3.0),
                ("产品重均分子量 3000～5000", 1.5),
                ("生物降解率（28天） ≥60%", 1.5),
                (
                    "聚天冬氨酸是可生物降解的绿色阻垢剂，希望合作研究聚合工艺对分子量的控制，以及接枝改性提升阻垢分散性能的方法。",
                    1.0,
                ),
            ],
        );
        let found = index.candidates(&q).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        let terms: Vec<&str> = found[0]
            .matched_terms
            .iter()
            .map(|m| m.term.as_str())
            .collect();
        assert!(terms.contains(&"分子量"), "{terms:?}");
        for generic in ["分子", "生物", "性能", "方法"] {
            assert!(!terms.contains(&generic), "{generic} in {terms:?}");
        }
        for (i, a) in terms.iter().enumerate() {
            for (j, b) in terms.iter().enumerate() {
                assert!(i == j || !b.contains(a), "{a} is part of {b}: {terms:?}");
            }
        }
        // It names little of the need: its relevance is low, not near the top.
        assert!(found[0].coverage < 0.25, "{:?}", found[0]);
        assert!(found[0].score < 0.5, "{:?}", found[0]);
        assert_eq!(found[0].found_by, FoundBy::Words);
        assert_eq!(found[0].semantic, None);
    }

    #[test]
    fn a_word_inside_a_longer_matched_word_counts_once() {
        let word = |text: &str, weight: f32, containers: Vec<usize>| KeyTerm {
            text: text.to_string(),
            kind: TermKind::Word,
            weight,
            boost: 0.0,
            generic: false,
            containers,
        };
        // 分子 is part of 分子量 (index 0).
        let terms = vec![
            word("分子量", 4.0, vec![]),
            word("分子", 1.0, vec![0]),
            word("调控", 2.0, vec![]),
        ];
        let listing = |found: Vec<u8>| Ranked {
            address: DocAddress::new(0, 0),
            score: 0.0,
            coverage: 0.0,
            found,
        };
        // With 分子量 matched, 分子 adds nothing; alone, it counts.
        assert_eq!(covered_weight(&terms, &listing(vec![1, 1, 1])), 6.0);
        assert_eq!(covered_weight(&terms, &listing(vec![0, 1, 1])), 3.0);
        assert_eq!(key_word_weight(&terms), 7.0);
    }

    #[test]
    fn parameters_out_of_range_are_refused() {
        let index = storage_corpus();
        let q = query(DocKind::Capability, Audience::Public, &[("减压 气调", 3.0)]);
        for bad in [
            SuggestParams {
                coverage: 1.5,
                ..SuggestParams::default()
            },
            SuggestParams {
                full_coverage: 0.0,
                ..SuggestParams::default()
            },
        ] {
            assert!(index.candidates_with(&q, &bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn matched_terms_say_where_each_term_was_found() {
        let mut cap = doc(
            DocKind::Capability,
            7,
            "钙钛矿太阳能电池",
            "研究钙钛矿薄膜的封装与湿热老化。",
        );
        cap.keywords = vec!["光伏组件".to_string()];
        cap.fields = vec!["new_energy".to_string()];
        cap.org_id = 42;
        let index = index(vec![
            cap,
            doc(DocKind::Capability, 8, "风电齿轮箱", "齿轮箱故障诊断。"),
        ]);
        let q = query(
            DocKind::Capability,
            Audience::Public,
            &[
                ("钙钛矿电池封装", 3.0),
                ("我公司希望解决光伏组件湿热老化问题", 1.0),
                ("新能源", 0.5),
            ],
        );
        let found = index.candidates(&q).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        let c = &found[0];
        assert_eq!((c.id, c.org_id), (7, 42));
        assert_eq!(c.external_id.as_deref(), Some("capability-7"));
        assert_eq!(c.title, "钙钛矿太阳能电池");
        assert_eq!(c.org_name, "机构7");
        let found_in = |term: &str| -> Vec<String> {
            c.matched_terms
                .iter()
                .find(|m| m.term == term)
                .unwrap_or_else(|| panic!("{term} not matched: {:?}", c.matched_terms))
                .found_in
                .clone()
        };
        assert_eq!(found_in("钙钛矿"), ["title", "description"]);
        assert_eq!(found_in("封装"), ["description"]);
        assert_eq!(found_in("光伏"), ["keywords"]);
        assert_eq!(found_in("新能源"), ["fields"]);
        assert!(c.matched_terms.len() <= MAX_MATCHED_TERMS);
        // Most important first: the title's terms lead.
        assert!(["钙钛矿", "封装", "电池"].contains(&c.matched_terms[0].term.as_str()));
        assert!(c.matched_terms.iter().all(|m| m.term != "我公司"));
    }

    #[test]
    fn key_terms_leave_out_boilerplate_quantities_and_single_characters() {
        let index = index(vec![doc(
            DocKind::Capability,
            1,
            "二氧化碳加氢制甲醇催化剂",
            "我公司希望合作开发技术，提高单程转化率与甲醇选择性，每年10万吨，300mhz，碳。",
        )]);
        let q = query(
            DocKind::Capability,
            Audience::All,
            &[
                ("二氧化碳加氢制甲醇催化剂开发", 3.0),
                ("CO2单程转化率 ≥20%", 1.5),
                (
                    "我公司希望合作开发技术，提高甲醇选择性，每年10万吨，300MHz，碳。",
                    1.0,
                ),
            ],
        );
        let terms: Vec<String> = index.key_terms(&q).into_iter().map(|(t, _)| t).collect();
        for expected in ["甲醇", "催化剂", "二氧化碳", "转化率", "选择性"] {
            assert!(
                terms.iter().any(|t| t == expected),
                "{expected} missing: {terms:?}"
            );
        }
        for t in &terms {
            assert!(t.chars().count() >= 2, "single character {t} in {terms:?}");
            assert!(
                ![
                    "我公司",
                    "希望",
                    "合作开发",
                    "技术",
                    "提高",
                    "10",
                    "20",
                    "万吨",
                    "300mhz"
                ]
                .contains(&t.as_str()),
                "{t} in {terms:?}"
            );
        }
        // Weighted by part: the title's words lead.
        assert!(["甲醇", "催化剂", "二氧化碳", "加氢"].contains(&terms[0].as_str()));
        // Without usable words there is nothing to search for.
        let q = query(
            DocKind::Capability,
            Audience::All,
            &[("我公司希望合作", 1.0)],
        );
        assert!(index.key_terms(&q).is_empty());
        assert!(index.candidates(&q).unwrap().is_empty());
    }
}
