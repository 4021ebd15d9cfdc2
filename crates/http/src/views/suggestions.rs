//! Match suggestions, staff decisions and the plan-wide assignment as the
//! API returns them. Suggestion items and decisions are built as JSON by
//! `qiao_app::suggestions`; explanations are stored as JSON.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
    /// One line in Chinese, e.g. `关键词：动力电池、热管理；领域一致：新能源；成熟度：中试（需求：中试及以上）`.
    pub summary: String,
    pub matched_terms: Vec<MatchedTermDoc>,
    pub factors: Vec<FactorDoc>,
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
    pub explanation: ExplanationDoc,
    /// Which scoring produced it, e.g. `qiao-match-1`.
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
