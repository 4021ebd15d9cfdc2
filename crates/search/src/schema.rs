//! The tantivy schema and how a [`Doc`] becomes a tantivy document.
//!
//! Text is indexed twice: as jieba words (precise, rankable) and as CJK
//! character bigrams (recall for compounds the dictionary splits oddly, and
//! positions for the phrase boost). Filters and facets are raw keyword terms
//! `key:value`, so one fast column serves every facet count.

use qiao_core::Trl;
use qiao_core::access::{ListingFacts, ListingKind};
use qiao_core::trl::Stage;
use qiao_core::vocab::{Field as FieldVocab, Vocabulary};
use tantivy::TantivyDocument;
use tantivy::schema::Value as _;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analyzer::{BIGRAMS_TOKENIZER, WORDS_TOKENIZER};
use crate::{Doc, DocKind};

/// Bumped whenever the schema or the analysis changes what is indexed; an
/// index written by another version is rebuilt from scratch.
/// 2: `org_id` is stored, for suggestions.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Facet dimensions, as keys of [`crate::Results::facets`] and prefixes of
/// the terms in the `facets` field.
pub(crate) const FACET_KEYS: [&str; 6] =
    ["field", "org_kind", "region", "mode", "maturity", "status"];

#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    /// `need:12`: the identity that upserts and deletes address.
    pub key: Field,
    pub external_id: Field,
    /// The listing's text as given, for hits and snippets.
    pub stored_title: Field,
    pub stored_body: Field,
    pub stored_org_name: Field,
    pub title: Field,
    pub title_bigrams: Field,
    pub body: Field,
    pub body_bigrams: Field,
    pub keywords: Field,
    pub keyword_bigrams: Field,
    pub labels: Field,
    pub org_name: Field,
    /// `key:value` terms counted as facets (and filtered on).
    pub facets: Field,
    /// `key:value` terms only filtered on.
    pub tags: Field,
    pub org_id: Field,
    pub trl: Field,
    pub updated_at: Field,
}

pub(crate) const FACETS_FIELD: &str = "facets";
pub(crate) const UPDATED_AT_FIELD: &str = "updated_at";

fn words() -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(WORDS_TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqs);
    TextOptions::default().set_indexing_options(indexing)
}

fn bigrams() -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(BIGRAMS_TOKENIZER)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    TextOptions::default().set_indexing_options(indexing)
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        external_id: b.add_text_field("external_id", STORED),
        stored_title: b.add_text_field("stored_title", STORED),
        stored_body: b.add_text_field("stored_body", STORED),
        stored_org_name: b.add_text_field("stored_org_name", STORED),
        title: b.add_text_field("title", words()),
        title_bigrams: b.add_text_field("title_bigrams", bigrams()),
        body: b.add_text_field("body", words()),
        body_bigrams: b.add_text_field("body_bigrams", bigrams()),
        keywords: b.add_text_field("keywords", words()),
        keyword_bigrams: b.add_text_field("keyword_bigrams", bigrams()),
        labels: b.add_text_field("labels", words()),
        org_name: b.add_text_field("org_name", words()),
        facets: b.add_text_field(FACETS_FIELD, STRING | FAST),
        tags: b.add_text_field("tags", STRING),
        org_id: b.add_i64_field("org_id", INDEXED | STORED),
        trl: b.add_u64_field("trl", INDEXED | FAST),
        updated_at: b.add_i64_field(UPDATED_AT_FIELD, FAST),
    };
    (b.build(), fields)
}

pub(crate) fn key(kind: DocKind, id: i64) -> String {
    format!("{}:{id}", kind.code())
}

pub(crate) fn parse_key(key: &str) -> Option<(DocKind, i64)> {
    let (kind, id) = key.split_once(':')?;
    Some((DocKind::from_code(kind)?, id.parse().ok()?))
}

/// Whether anyone may see the listing, by the one rule of `qiao_core::access`.
/// Deleted listings are not in the index at all.
pub(crate) fn is_public(doc: &Doc) -> bool {
    ListingFacts {
        kind: match doc.kind {
            DocKind::Need => ListingKind::Need,
            DocKind::Capability => ListingKind::Capability,
        },
        org_id: doc.org_id,
        status: &doc.status,
        visibility: &doc.visibility,
        deleted: false,
        org_review: &doc.org_review,
        org_deleted: doc.org_deleted,
    }
    .is_public()
}

/// Maturity stage of a TRL (its serde code in `qiao_core`).
pub(crate) fn maturity(trl: u8) -> Option<&'static str> {
    Some(match Trl::new(trl)?.stage() {
        Stage::Laboratory => "laboratory",
        Stage::Bench => "bench",
        Stage::Pilot => "pilot",
        Stage::Industrial => "industrial",
    })
}

pub(crate) fn tag(key: &str, value: &str) -> String {
    format!("{key}:{value}")
}

pub(crate) const AUDIENCE_PUBLIC_TAG: &str = "audience:public";

pub(crate) fn to_document(f: &Fields, doc: &Doc) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(f.key, key(doc.kind, doc.id));
    if let Some(external_id) = &doc.external_id {
        d.add_text(f.external_id, external_id);
    }
    d.add_text(f.stored_title, &doc.title);
    d.add_text(f.stored_body, &doc.body);
    d.add_text(f.stored_org_name, &doc.org_name);
    // A title the platform derived from the description (its opening
    // clause) adds no evidence of its own: indexed as a title it would count
    // the same words twice and outrank listings with real titles.
    let title = doc.title.trim();
    if title.is_empty() || !doc.body.trim_start().starts_with(title) {
        d.add_text(f.title, title);
        d.add_text(f.title_bigrams, title);
    }
    d.add_text(f.body, &doc.body);
    d.add_text(f.body_bigrams, &doc.body);
    for keyword in &doc.keywords {
        d.add_text(f.keywords, keyword);
        d.add_text(f.keyword_bigrams, keyword);
    }
    for code in &doc.fields {
        if let Some(field) = FieldVocab::from_code(code) {
            d.add_text(f.labels, field.label_zh());
        }
    }
    d.add_text(f.org_name, &doc.org_name);

    let mut facet = |key: &str, value: &str| {
        if !value.is_empty() {
            d.add_text(f.facets, tag(key, value));
        }
    };
    for code in &doc.fields {
        facet("field", code);
    }
    facet("org_kind", &doc.org_kind);
    facet("region", &doc.region_scope);
    for mode in &doc.modes {
        facet("mode", mode);
    }
    if let Some(stage) = doc.trl.and_then(maturity) {
        facet("maturity", stage);
    }
    facet("status", &doc.status);

    d.add_text(f.tags, tag("kind", doc.kind.code()));
    if !doc.region.is_empty() {
        d.add_text(f.tags, tag("region_name", &doc.region));
    }
    d.add_text(f.tags, tag("visibility", &doc.visibility));
    d.add_text(f.tags, tag("org_review", &doc.org_review));
    if is_public(doc) {
        d.add_text(f.tags, AUDIENCE_PUBLIC_TAG);
    }
    d.add_i64(f.org_id, doc.org_id);
    if let Some(trl) = doc.trl {
        d.add_u64(f.trl, u64::from(trl));
    }
    d.add_i64(f.updated_at, doc.updated_at);
    d
}

/// A listing as stored in the index, read back for a hit or a candidate.
pub(crate) struct StoredListing {
    doc: TantivyDocument,
    pub kind: DocKind,
    pub id: i64,
}

impl StoredListing {
    /// The stored document at `address`; `None` if it carries no valid key.
    pub(crate) fn load(
        searcher: &tantivy::Searcher,
        f: &Fields,
        address: tantivy::DocAddress,
    ) -> tantivy::Result<Option<Self>> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let key = stored_text(&doc, f.key);
        Ok(parse_key(&key).map(|(kind, id)| Self { doc, kind, id }))
    }

    /// A stored text field, empty when absent.
    pub(crate) fn text(&self, field: Field) -> String {
        stored_text(&self.doc, field)
    }

    pub(crate) fn external_id(&self, f: &Fields) -> Option<String> {
        Some(self.text(f.external_id)).filter(|s| !s.is_empty())
    }

    pub(crate) fn org_id(&self, f: &Fields) -> i64 {
        self.doc
            .get_first(f.org_id)
            .and_then(|v| v.as_i64())
            .unwrap_or_default()
    }
}

fn stored_text(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}
