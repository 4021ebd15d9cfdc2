//! Match suggestions for long, vague texts: the research teams that could
//! take on an enterprise's need, or the needs a capability could serve.
//!
//! A need is not a keyword query: much of it is company language, and its
//! topic is spread over a title, indicators and a description. So the text
//! is reduced to weighted key terms and ranked in two rounds:
//!
//! 1. **Key terms.** Each part (title, indicators, keywords, description) is
//!    segmented with jieba as the index is. A word's weight is the sum over
//!    the parts of `part weight × (1 + ln occurrences)`, times its rarity in
//!    the index (BM25 IDF over the word fields), halved for a word that only
//!    occurs inside a longer one. Boilerplate and generic request words
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
//!    (coverage), the latter divided by a mild power of the listing's length
//!    so that a short listing that names the topic competes with a long one
//!    that mentions many words in passing.
//! 4. **Feedback.** The best listing's most characteristic bigrams join the
//!    bigram terms, and recall and re-ranking run again: listings about the
//!    same subject as the best match rise, although they share fewer words
//!    with the enterprise's wording.
//!
//! A need of a few words only (at most [`SHORT_CHARS`] characters) has no
//! story to weigh: it is ranked by the search query over its words instead,
//! which finds the listing naming them best.
//!
//! Measured on 40 real enterprise needs against 24k CSL papers
//! (`tests/suggestions.rs`): nDCG@10 0.71 against 0.63 for bigram BM25 over
//! the whole text.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED, TantivyDocument, Term};

use crate::analyzer::{bigrams, is_cjk, is_stop_word, normalize};
use crate::index::SearchIndex;
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

/// A key term of the query that a suggested listing contains.
#[derive(Clone, Debug, Serialize)]
pub struct MatchedTerm {
    pub term: String,
    /// Where the listing has it: `title`, `description`, `keywords`, `fields`.
    pub found_in: Vec<String>,
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
    /// Higher is better; comparable within one result list only.
    pub score: f32,
    /// The query's key terms this listing contains, most important first,
    /// at most [`MAX_MATCHED_TERMS`].
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

/// Share of the re-ranking score that comes from key-word coverage (the
/// rest from the first round's BM25 score, relative to the best).
const COVERAGE: f32 = 0.5;

/// Coverage is divided by `(length / average length) ^ LENGTH_EXPONENT`,
/// the relative length taken as at least `LENGTH_FLOOR`.
const LENGTH_EXPONENT: f32 = 0.2;
const LENGTH_FLOOR: f32 = 0.1;

/// Feedback: bigrams taken from the best listing of the first ranking, and
/// the boost of the most characteristic one (a query bigram has 1).
const FEEDBACK_BIGRAMS: usize = 50;
const FEEDBACK_BOOST: f32 = 0.5;

/// Words that say nothing about a need's topic: company boilerplate, the
/// language of requests, cooperation modes and targets, and generic words.
/// Rare in research text, they would otherwise get a high IDF.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    // Who is asking.
    "我公司", "本公司", "公司", "我司", "我单位", "本单位", "单位", "我方", "企业", "本企业",
    "我们", "厂家", "厂商", "客户", "用户", "团队", "专业", "机构", "高校", "院所",
    // Asking.
    "希望", "需要", "需求", "寻求", "寻找", "合作", "开发", "研发", "技术", "问题", "目前",
    "现在", "当前", "现有", "已有", "提高", "提升", "改善", "改进", "解决", "方案", "项目",
    "进行", "实现", "能够", "要求", "能否", "是否", "如何", "怎样", "怎么", "可以", "可能",
    "帮助", "协助", "支持", "提供", "形成", "建立", "完成", "开展", "一套", "一种", "整套",
    "完整", "相关", "具体", "有效", "指导", "建议", "意见", "服务", "咨询", "委托", "转让",
    "许可", "共建", "联合", "申报", "交付", "落地", "推广", "应用", "实际", "实际上",
    "合作开发", "委托开发", "技术服务", "技术咨询", "技术转让", "技术开发", "攻关", "合作攻关",
    // The business.
    "产品", "生产", "成本", "周期", "效果", "价格", "费用", "预算", "投入", "市场", "行业",
    "国内", "国外", "国际", "领先", "水平", "订单", "批量", "量产", "规模", "规模化",
    "产业化", "工程化", "示范", "主要", "主营", "从事", "每年", "年产", "计划", "拟", "打算",
    "准备", "考虑", "顾虑", "担心", "质疑", "困扰", "痛点", "难题", "瓶颈",
    // How things stand.
    "已经", "经常", "常常", "往往", "一直", "严重", "明显", "较大", "较高", "较低", "偏低",
    "偏高", "不足", "缺乏", "存在", "导致", "造成", "只能", "只有", "依靠", "主要靠", "人工",
    "经验", "不断", "逐渐", "越来越", "大量", "部分", "全部", "整体", "各种", "多种", "不同",
    "一些", "一定", "很多", "较多", "更多", "同时", "其中", "由于", "因此", "所以", "但是",
    "然而", "而且", "并且", "以及", "或者", "通过", "利用", "采用", "使用", "基于", "针对",
    "对于", "关于", "以上", "以下", "左右", "达到", "不低于", "不高于", "不超过", "不少于",
    "低于", "高于", "小于", "大于", "至少", "以内", "之内", "以来", "期间", "过程", "情况",
    "方面", "方式", "方法", "能力", "工作", "工作日", "时间", "小时", "个月", "月份", "年度",
    "一年", "半年", "万元", "元", "万吨", "吨", "公斤", "其他", "包括", "一个", "一批",
];

fn is_boilerplate(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
        .contains(word)
}

/// Number and unit-only tokens (`3000`, `20%`, `300mhz`, `10kg`).
fn is_quantity(word: &str) -> bool {
    const UNITS: &[&str] = &[
        "mm", "cm", "m", "km", "um", "nm", "mhz", "ghz", "khz", "hz", "kg", "g", "mg", "t", "db",
        "w", "kw", "mw", "v", "kv", "mv", "a", "ma", "h", "min", "s", "ms", "l", "ml", "mpa",
        "kpa", "pa", "k", "wt", "ppm", "ppb", "rpm", "x",
    ];
    let Some(first) = word.chars().next() else {
        return true;
    };
    if !first.is_ascii_digit() {
        return false;
    }
    let letters: String = word.chars().filter(|c| c.is_alphabetic()).collect();
    letters.is_empty() || UNITS.contains(&letters.as_str())
}

/// Function words by jieba's part-of-speech tags: pronouns, prepositions,
/// conjunctions, particles, interjections, onomatopoeia, localisers,
/// numerals and quantifiers. Nouns, verbs (often processes in technical
/// Chinese: 提取, 降解), adjectives and adverbs (jieba tags 仿真 and 高速
/// so) may all name a topic.
fn is_function_tag(tag: &str) -> bool {
    const TAGS: &[&str] = &[
        "r", "rr", "rz", "rg", "p", "c", "u", "uj", "ud", "ug", "ul", "uv", "uz", "y", "e", "o",
        "f", "m", "mq", "mg", "q", "k", "h",
    ];
    TAGS.contains(&tag)
}

/// A word that may be a key word: two characters or more (two CJK ones if
/// any), not a quantity, not boilerplate.
fn usable(word: &str) -> bool {
    if word.chars().count() < 2 || is_quantity(word) {
        return false;
    }
    let cjk = word.chars().filter(|&c| is_cjk(c)).count();
    // A CJK word of one character mixed with digits (3米, 10万): noise.
    if cjk == 1 {
        return false;
    }
    !is_boilerplate(word)
}

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

/// The key words (best first, at most [`KEY_WORDS`]) and then the bigram
/// terms (at most [`KEY_BIGRAMS`]) of a weighted query.
fn select_key_terms(index: &SearchIndex, searcher: &Searcher, q: &WeightedQuery) -> Vec<KeyTerm> {
    let mut words: HashMap<String, (f32, bool)> = HashMap::new();
    let mut grams: HashMap<String, (f32, bool)> = HashMap::new();
    for (text, weight) in &q.parts {
        // Also skips NaN.
        if weight.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            continue;
        }
        let (w, g) = part_terms(index, &normalize(text));
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
                let part = if whole { 1.0 } else { PART_ONLY };
                // A term no listing has cannot help.
                (df > 0).then(|| KeyTerm {
                    weight: part * raw * bm25_idf(df, n),
                    boost: match kind {
                        TermKind::Word => 0.0,
                        TermKind::Bigram => 1.0,
                    },
                    text,
                    kind,
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
    terms.extend(choose(grams, TermKind::Bigram, KEY_BIGRAMS));
    terms
}

/// A listing of a ranking: its score and, per key term, a bit mask of the
/// word fields it was found in (bit `i` for `word_fields()[i]`; bigram
/// terms stay 0).
struct Ranked {
    address: DocAddress,
    score: f32,
    found: Vec<u8>,
}

impl SearchIndex {
    /// Listings of `q.kind` that match the weighted query's key terms, best
    /// first, visible to `q.audience` and not in `q.exclude_ids`. A text
    /// without key terms gives no candidates.
    pub fn candidates(&self, q: &WeightedQuery) -> Result<Vec<Candidate>, SearchError> {
        let chars: usize = q.parts.iter().map(|(text, _)| text.chars().count()).sum();
        if chars > MAX_QUERY_CHARS {
            return Err(SearchError::InvalidQuery(format!(
                "the text is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        let limit = q.limit.min(MAX_LIMIT);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.searcher();
        let mut terms = select_key_terms(self, &searcher, q);
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let f = self.fields();
        let present = Present::in_searcher(f, &searcher);
        let depth = DEPTH.max(limit);

        let short = short_text(q);
        let mut ranked = match &short {
            Some(text) => rank_short(self, &searcher, present, q, &terms, text, limit)?,
            None => rank(&searcher, f, present, q, &terms, depth)?,
        };
        if short.is_none()
            && let Some(best) = ranked.first()
        {
            let added = self.feedback(&searcher, best.address, &mut terms)?;
            if added {
                ranked = rank(&searcher, f, present, q, &terms, depth)?;
            }
        }
        ranked.truncate(limit);

        let words = word_fields(f, present);
        ranked
            .into_iter()
            .map(|r| {
                let matched = terms
                    .iter()
                    .zip(&r.found)
                    .filter(|(_, mask)| **mask != 0)
                    .take(MAX_MATCHED_TERMS)
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
                self.candidate(&searcher, r.address, r.score, matched)
            })
            .filter_map(Result::transpose)
            .collect()
    }

    /// The key terms chosen from a weighted query, with their weights (for
    /// explanations and debugging), most important first. These are the
    /// key words; the character bigrams searched alongside them are not
    /// listed.
    pub fn key_terms(&self, q: &WeightedQuery) -> Vec<(String, f32)> {
        let searcher = self.searcher();
        select_key_terms(self, &searcher, q)
            .into_iter()
            .filter(|k| k.kind == TermKind::Word)
            .map(|k| (k.text, k.weight))
            .collect()
    }

    fn candidate(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: f32,
        matched_terms: Vec<MatchedTerm>,
    ) -> Result<Option<Candidate>, SearchError> {
        let f = self.fields();
        let Some(stored) = schema::StoredListing::load(searcher, f, address)? else {
            return Ok(None);
        };
        Ok(Some(Candidate {
            kind: stored.kind,
            id: stored.id,
            external_id: stored.external_id(f),
            title: stored.text(f.stored_title),
            org_name: stored.text(f.stored_org_name),
            org_id: stored.org_id(f),
            score,
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
        let coverage =
            covered_weight(terms, r) / total / length.max(LENGTH_FLOOR).powf(LENGTH_EXPONENT);
        r.score = (1.0 - COVERAGE) * r.score / best + COVERAGE * coverage;
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

/// The weight of the key terms a ranked listing contains.
fn covered_weight(terms: &[KeyTerm], r: &Ranked) -> f32 {
    terms
        .iter()
        .zip(&r.found)
        .filter(|(_, mask)| **mask != 0)
        .map(|(k, _)| k.weight)
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
/// Parts weighted below 1 are context (a field label) and stay out.
fn short_text(q: &WeightedQuery) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for (text, weight) in &q.parts {
        let text = text.trim();
        if *weight >= 1.0 && !text.is_empty() && !parts.contains(&text) {
            parts.push(text);
        }
    }
    let text = parts.join(" ");
    (text.chars().count() <= SHORT_CHARS).then_some(text)
}

/// A short need ranked by the search query over its words: with a few
/// words there is no story to weigh, and the search ranking (words, bigrams,
/// phrases, title boost, coordination) finds the listing that names them
/// best. Scores are BM25 relative to the best, scaled by the share of the
/// key-word weight the best listing contains, so that a list whose best
/// match is weak does not look strong.
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
    let best_coverage = covered_weight(terms, &ranked[0]) / key_word_weight(terms);
    let scale = (1.0 - COVERAGE) + COVERAGE * best_coverage.min(1.0);
    for r in &mut ranked {
        r.score = scale * r.score / best;
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
        assert_eq!(short_text(&q).as_deref(), Some("减压 气调"));
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
        assert!(short_text(&q).is_none());
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
