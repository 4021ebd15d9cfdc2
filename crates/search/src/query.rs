//! Turning a [`SearchQuery`] into a tantivy query, without tantivy's query
//! syntax: users type Chinese, punctuation and quotes, none of which should
//! be read as operators.
//!
//! Ranking is a sum of BM25 scores over optional term clauses: every query
//! word in the title, body, keywords, field labels and organization name,
//! every query bigram in the title, body and keywords, and each contiguous
//! CJK run of the query as a bigram phrase in title and body. A listing that
//! contains a query term exactly as typed thus gets the word, its parts, all
//! its bigrams and the phrase, while one that only shares scattered
//! characters gets a few bigrams.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use crate::analyzer::{PartTerms, QueryTerms};
use crate::coord::CoordQuery;
use crate::schema::{AUDIENCE_PUBLIC_TAG, Fields, tag};
use crate::{Audience, SearchQuery};

/// Relative weights of the clauses. Word and bigram matches count alike:
/// bigrams are not only a backstop, they also reward the exact character
/// sequence of a term jieba splits differently in the listing. The title
/// weighs a little more than the body, on top of BM25 already favouring a
/// match in a short field.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Weights {
    pub title: f32,
    pub body: f32,
    pub keywords: f32,
    pub labels: f32,
    pub org_name: f32,
    /// A query part's CJK run found as a contiguous phrase (title, body).
    pub phrase: f32,
    /// Exponent of the coordination factor over query parts.
    pub coord_exponent: f32,
}

pub(crate) const WEIGHTS: Weights = Weights {
    title: 1.2,
    body: 1.0,
    // Keywords are chosen by a person, like a title.
    keywords: 1.2,
    // Field labels and the organization name say little about the content.
    labels: 0.5,
    org_name: 0.5,
    phrase: 0.5,
    // Classic coordination: the score scales with the share of parts found.
    coord_exponent: 1.0,
};

fn term_clause(field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
    let term = Term::from_field_text(field, text);
    let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
    (
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(query), boost)),
    )
}

fn phrase_clause(field: Field, grams: &[String], boost: f32) -> (Occur, Box<dyn Query>) {
    let terms = grams
        .iter()
        .map(|g| Term::from_field_text(field, g))
        .collect();
    (
        Occur::Should,
        Box::new(BoostQuery::new(Box::new(PhraseQuery::new(terms)), boost)),
    )
}

/// Which optional text fields hold anything in the index: clauses on a field
/// no listing fills would only cost time.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Present {
    pub keywords: bool,
    pub labels: bool,
    pub org_name: bool,
}

impl Present {
    pub(crate) fn in_searcher(f: &Fields, searcher: &Searcher) -> Self {
        let filled = |field: Field| {
            searcher.segment_readers().iter().any(|segment| {
                segment
                    .inverted_index(field)
                    .is_ok_and(|index| index.total_num_tokens() > 0)
            })
        };
        Self {
            keywords: filled(f.keywords),
            labels: filled(f.labels),
            org_name: filled(f.org_name),
        }
    }
}

/// The scored part: matches listings sharing at least one term with the query.
pub(crate) fn text_query(
    f: &Fields,
    terms: &QueryTerms,
    w: &Weights,
    present: Present,
) -> Box<dyn Query> {
    let mut parts: Vec<Box<dyn Query>> = terms
        .parts
        .iter()
        .map(|p| part_query(f, p, w, present))
        .collect();
    if parts.len() == 1 {
        return parts.remove(0);
    }
    Box::new(CoordQuery::new(parts, w.coord_exponent))
}

/// One whitespace-separated part of the query: each word in every text
/// field, each bigram in the bigram fields, each CJK run as a phrase.
fn part_query(f: &Fields, terms: &PartTerms, w: &Weights, present: Present) -> Box<dyn Query> {
    let mut clauses = Vec::new();
    let word_fields = [
        (f.title, w.title, true),
        (f.body, w.body, true),
        (f.keywords, w.keywords, present.keywords),
        (f.labels, w.labels, present.labels),
        (f.org_name, w.org_name, present.org_name),
    ];
    let bigram_fields = [
        (f.title_bigrams, w.title, true),
        (f.body_bigrams, w.body, true),
        (f.keyword_bigrams, w.keywords, present.keywords),
    ];
    for (terms, fields) in [
        (&terms.words, &word_fields[..]),
        (&terms.bigrams, &bigram_fields[..]),
    ] {
        for term in terms {
            for &(field, boost, _) in fields.iter().filter(|(_, _, present)| *present) {
                clauses.push(term_clause(field, term, boost));
            }
        }
    }
    for phrase in &terms.phrases {
        clauses.push(phrase_clause(f.title_bigrams, phrase, w.title * w.phrase));
        clauses.push(phrase_clause(f.body_bigrams, phrase, w.body * w.phrase));
    }
    Box::new(BooleanQuery::new(clauses))
}

fn raw_term(field: Field, key: &str, value: &str) -> Box<dyn Query> {
    let term = Term::from_field_text(field, &tag(key, value));
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

fn any_of(queries: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    Box::new(BooleanQuery::union(queries))
}

/// A filter value, unless absent or blank (an empty form field).
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Who may see what, and the user's filters; none of them affects scores.
pub(crate) fn filters(f: &Fields, q: &SearchQuery) -> Vec<Box<dyn Query>> {
    let mut out: Vec<Box<dyn Query>> = Vec::new();
    let public = || -> Box<dyn Query> {
        let term = Term::from_field_text(f.tags, AUDIENCE_PUBLIC_TAG);
        Box::new(TermQuery::new(term, IndexRecordOption::Basic))
    };
    match q.audience {
        Audience::Public => out.push(public()),
        Audience::Member(org) => {
            let own = TermQuery::new(
                Term::from_field_i64(f.org_id, org),
                IndexRecordOption::Basic,
            );
            out.push(any_of(vec![public(), Box::new(own)]));
        }
        Audience::All => {}
    }
    if let Some(kind) = q.kind {
        out.push(raw_term(f.tags, "kind", kind.code()));
    }
    let facet_filters = [
        ("field", &q.field),
        ("org_kind", &q.org_kind),
        ("mode", &q.mode),
        ("status", &q.status),
    ];
    for (key, value) in facet_filters {
        if let Some(value) = given(value) {
            out.push(raw_term(f.facets, key, value));
        }
    }
    if let Some(region) = given(&q.region) {
        out.push(any_of(vec![
            raw_term(f.facets, "region", region),
            raw_term(f.tags, "region_name", region),
        ]));
    }
    if q.trl_min.is_some() || q.trl_max.is_some() {
        let bound = |v: Option<u8>| match v {
            Some(v) => Bound::Included(Term::from_field_u64(f.trl, u64::from(v))),
            None => Bound::Unbounded,
        };
        // A listing without a TRL is outside any TRL range.
        let lower = bound(Some(q.trl_min.unwrap_or(0)));
        out.push(Box::new(RangeQuery::new(lower, bound(q.trl_max))));
    }
    out
}

/// The text query (if any) restricted by the filters.
pub(crate) fn combine(
    text: Option<Box<dyn Query>>,
    filters: Vec<Box<dyn Query>>,
) -> Box<dyn Query> {
    if filters.is_empty() {
        return text.unwrap_or_else(|| Box::new(AllQuery));
    }
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if let Some(text) = text {
        clauses.push((Occur::Must, text));
    }
    for filter in filters {
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
    }
    Box::new(BooleanQuery::new(clauses))
}
