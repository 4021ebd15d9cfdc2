//! Match suggestions, staff decisions and the plan-wide assignment as the
//! API returns them. Suggestion items and decisions are built as JSON by
//! `qiao_app::suggestions`; explanations are stored as JSON.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::Schema;

fn schema_of(value: serde_json::Value) -> Schema {
    serde_json::from_value(value).expect("a hand-written schema deserializes")
}

fn confidence() -> Schema {
    crate::schema::one_of(
        &["strong", "fair", "weak"],
        "How far the suggestion can be trusted, from its relevance (not the whole score): `strong` (强), `fair` (中) or `weak` (弱).",
    )
}

fn found_by() -> Schema {
    crate::schema::one_of(
        &["words", "meaning", "both"],
        "How the partner was found: by shared `words`, by `meaning` (an embedding model), or `both`.",
    )
}

fn verdict() -> Schema {
    schema_of(serde_json::json!({
        "type": ["string", "null"],
        "enum": ["good_match", "no_good_match", null],
        "description": "`no_good_match` when no suggestion is better than weak (the list is then no match to present), `good_match` otherwise; null in an owner's view, which lists staff decisions.",
    }))
}

/// A listing as a suggestion names it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingRef {
    pub id: i64,
    #[schema(required = true)]
    pub external_id: Option<String>,
    pub title: String,
    pub org_name: String,
}

impl From<qiao_app::matchmaking::ListingRef> for ListingRef {
    fn from(r: qiao_app::matchmaking::ListingRef) -> Self {
        let qiao_app::matchmaking::ListingRef {
            id,
            external_id,
            title,
            org_name,
        } = r;
        Self {
            id,
            external_id,
            title,
            org_name,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchedTermDoc {
    pub term: String,
    /// Where the term was found: `title`, `body`, `keywords`…
    pub found_in: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorDoc {
    /// `text`, `field`, `mode`, `maturity`, `budget`, `region`, `capacity`, `history`.
    pub code: String,
    pub label: String,
    /// The factor's value, 0–1.
    pub value: f64,
    /// Its share of the score: value × weight.
    pub contribution: f64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationDoc {
    /// One line in Chinese, e.g. `关键词：动力电池、热管理；领域一致：新能源；成熟度：中试（需求：中试及以上）；仅按关键词匹配（未启用语义模型）`.
    pub summary: String,
    /// The need's distinctive terms the partner contains, most important
    /// first: no generic word (分子, 性能, 系统 …) and no word that is part of
    /// another listed one.
    pub matched_terms: Vec<MatchedTermDoc>,
    /// Every factor; with `semantic`, their contributions sum to the score.
    pub factors: Vec<FactorDoc>,
    #[serde(default = "words")]
    #[schema(schema_with = found_by)]
    pub found_by: String,
    /// Similarity by meaning (`code` `semantic`); null when no embedding
    /// model is active.
    #[serde(default)]
    #[schema(required = true)]
    pub semantic: Option<FactorDoc>,
    /// The need and the capability are in different languages (a Chinese
    /// need, an English capability of a foreign university): no words can
    /// be shared, so similarity by meaning takes the whole text weight.
    #[serde(default)]
    pub cross_lingual: bool,
}

/// Explanations stored before `found_by` existed were found by words.
fn words() -> String {
    "words".to_string()
}

/// A suggested partner. It names either `capability` (a need's suggestions)
/// or `need` (a capability's), never both.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionDoc {
    /// The stored suggestion, to decide on.
    pub id: i64,
    /// `suggested`, `accepted`, `contacted` or `rejected`.
    pub status: String,
    /// The suggested capability, in a need's suggestions.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub capability: Option<ListingRef>,
    /// The suggested need, in a capability's suggestions.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub need: Option<ListingRef>,
    pub score: f64,
    #[schema(schema_with = confidence)]
    pub confidence: String,
    pub explanation: ExplanationDoc,
    /// Which scoring produced it: `qiao-match-2` (words), `qiao-match-3-hybrid` (words and meaning).
    pub algorithm_version: String,
    /// The staff's reason code, once rejected.
    #[schema(required = true)]
    pub reject_reason: Option<String>,
    /// When staff decided.
    #[schema(required = true, format = DateTime)]
    pub decided_at: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestionListDoc {
    pub items: Vec<SuggestionDoc>,
    #[schema(schema_with = verdict, required = true)]
    pub verdict: Option<String>,
    /// `未找到合适的匹配` with the verdict `no_good_match`, else null.
    #[schema(required = true)]
    pub message: Option<String>,
}

/// A suggestion after a staff decision.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionDoc {
    pub id: i64,
    pub need_id: i64,
    pub capability_id: i64,
    /// `accepted`, `contacted` or `rejected`.
    pub status: String,
    #[schema(required = true)]
    pub reject_reason: Option<String>,
    #[schema(required = true)]
    pub reject_note: Option<String>,
    /// The cooperation project an acceptance opened.
    #[schema(required = true)]
    pub project_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalDoc {
    /// The stored suggestion, to decide on.
    pub id: i64,
    pub status: String,
    pub need: ListingRef,
    pub capability: ListingRef,
    pub score: f64,
    #[schema(schema_with = confidence)]
    pub confidence: String,
    pub explanation: ExplanationDoc,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentDoc {
    pub year: i32,
    pub k: u32,
    /// Open needs considered.
    pub needs: usize,
    /// Needs that got at least one proposal.
    pub needs_covered: usize,
    pub total_score: f64,
    /// Whether weak pairs were proposed too.
    pub include_weak: bool,
    /// Weak candidate pairs left out (0 with `include_weak`).
    pub weak_left_out: usize,
    /// What best-first greedy selection would reach on the same candidates.
    pub greedy: GreedyDoc,
    pub proposals: Vec<ProposalDoc>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GreedyDoc {
    pub needs_covered: usize,
    pub total_score: f64,
}
