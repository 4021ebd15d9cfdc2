//! Match suggestions: ranked, explained partners for a need or a capability;
//! staff decisions on them; and the plan-wide assignment of a year.
//!
//! Staff see live suggestions (recorded for review, so each has an id to
//! decide on). Owners see only what staff accepted: a need's owner the
//! accepted capabilities, a capability's owner the accepted needs, never a
//! staff-only need of someone else.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query, whole};
use crate::schema;
use crate::server::AppState;
use crate::views::{
    AssignmentDoc, DecisionDoc, GreedyDoc, ProposalDoc, SuggestionListDoc, typed, typed_from,
};
use axum::extract::State;
use chrono::Datelike;
use qiao_app::suggestions::{AssignmentRequest, DEFAULT_LIMIT};
use qiao_core::vocab::{RejectReason, Vocabulary};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// 1–50, default 10.
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<usize>,
}

/// Capabilities suggested for a need, best first. Staff get live suggestions
/// (recorded for review) with a verdict: `no_good_match` (未找到合适的匹配)
/// when none is better than weak. The need's owner gets those staff
/// accepted; anyone else who can see the need is refused, and a need they
/// cannot see is 404.
#[utoipa::path(get, path = "/api/v1/needs/{id}/suggestions", tag = "suggestions",
    params(("id" = i64, Path, minimum = 1, description = "Need id"), SuggestionParams),
    responses((status = 200, body = SuggestionListDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a limit out of range")))]
pub async fn need_suggestions(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<SuggestionParams>,
) -> Result<axum::Json<SuggestionListDoc>, AppError> {
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    let who = viewer.require()?;
    Ok(axum::Json(typed(
        s.app.need_suggestions(&who, id, limit).await?,
    )?))
}

/// Needs suggested for a capability, best first. Staff get live suggestions
/// (recorded for review) with a verdict: `no_good_match` (未找到合适的匹配)
/// when none is better than weak. The capability's owner gets the needs
/// staff accepted, without staff-only ones; anyone else is refused.
#[utoipa::path(get, path = "/api/v1/capabilities/{id}/suggestions", tag = "suggestions",
    params(("id" = i64, Path, minimum = 1, description = "Capability id"), SuggestionParams),
    responses((status = 200, body = SuggestionListDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a limit out of range")))]
pub async fn capability_suggestions(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<SuggestionParams>,
) -> Result<axum::Json<SuggestionListDoc>, AppError> {
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    let who = viewer.require()?;
    Ok(axum::Json(typed(
        s.app.capability_suggestions(&who, id, limit).await?,
    )?))
}

// ---- decisions ------------------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// Open a cooperation project (status planned, origin match) for the pair.
    #[serde(default)]
    pub create_project: bool,
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(schema_with = schema::plan_year_or_null)]
    pub plan_year: Option<i32>,
    /// Count the project among the year's key projects (重点项目).
    #[serde(default)]
    pub key_project: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RejectInput {
    /// `direction_mismatch` (方向不符), `insufficient_maturity` (成熟度不足), `budget_mismatch` (预算不符), `existing_cooperation` (已有合作) or `other` (其他, with a note).
    pub reason: String,
    /// Free text; required for `other`.
    #[serde(default)]
    pub note: String,
}

/// The reason, and a note of at most 1,000 characters that `other` requires.
impl schema::Json for RejectInput {
    fn json() -> serde_json::Value {
        let reasons: Vec<&str> = RejectReason::ALL
            .iter()
            .map(|r| r.code())
            .filter(|r| *r != RejectReason::Other.code())
            .collect();
        let note = |required: bool| {
            let mut note = serde_json::json!({"type": "string", "maxLength": 1000});
            if required {
                note["pattern"] = schema::NOT_BLANK.into();
            }
            note
        };
        serde_json::json!({
            "description": "Why the suggestion is rejected: `direction_mismatch` (方向不符), `insufficient_maturity` (成熟度不足), `budget_mismatch` (预算不符), `existing_cooperation` (已有合作), or `other` (其他) with a note.",
            "oneOf": [
                {"type": "object", "additionalProperties": false, "required": ["reason"],
                 "properties": {"reason": {"type": "string", "enum": reasons}, "note": note(false)}},
                {"type": "object", "additionalProperties": false, "required": ["reason", "note"],
                 "properties": {"reason": {"type": "string", "enum": [RejectReason::Other.code()]}, "note": note(true)}},
            ],
        })
    }
}
schema::as_schema!(RejectInput);

/// Accept a suggestion (staff); optionally open a planned cooperation project for the pair.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/accept", tag = "suggestions",
    params(("id" = i64, Path, minimum = 1, description = "Suggestion id")), request_body = AcceptInput,
    responses((status = 200, body = DecisionDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already accepted or rejected"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a plan year out of range")))]
pub async fn accept(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(input): Json<AcceptInput>,
) -> Result<axum::Json<DecisionDoc>, AppError> {
    let plan_year = input.plan_year.unwrap_or_else(|| chrono::Utc::now().year());
    let decided = s
        .app
        .accept_suggestion(
            &viewer.require()?,
            id,
            input.create_project,
            plan_year,
            input.key_project,
        )
        .await?;
    Ok(axum::Json(typed(decided)?))
}

/// Reject a suggestion (staff) with a reason; the pair is never suggested again.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/reject", tag = "suggestions",
    params(("id" = i64, Path, minimum = 1, description = "Suggestion id")), request_body = RejectInput,
    responses((status = 200, body = DecisionDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already decided"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown reason, or `other` without a note")))]
pub async fn reject(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(input): Json<RejectInput>,
) -> Result<axum::Json<DecisionDoc>, AppError> {
    let decided = s
        .app
        .reject_suggestion(&viewer.require()?, id, &input.reason, &input.note)
        .await?;
    Ok(axum::Json(typed(decided)?))
}

/// Mark a suggestion as contacted (staff got in touch with both sides).
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/contacted", tag = "suggestions",
    params(("id" = i64, Path, minimum = 1, description = "Suggestion id")),
    responses((status = 200, body = DecisionDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already rejected")))]
pub async fn contacted(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<DecisionDoc>, AppError> {
    Ok(axum::Json(typed(
        s.app.mark_contacted(&viewer.require()?, id).await?,
    )?))
}

// ---- plan-wide assignment -------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    /// Proposals per need, 1–10 (default 3).
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 1, maximum = 10)]
    pub k: Option<u32>,
    /// At most this many proposals per university or institute.
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 1)]
    pub per_university: Option<u32>,
    /// Only these open needs.
    #[serde(default, deserialize_with = "whole::option_vec")]
    #[schema(max_items = 1000)]
    pub need_ids: Option<Vec<i64>>,
    /// Only the needs flagged for the year's key-project plan.
    #[serde(default)]
    pub key_projects: bool,
    /// Propose weak pairs too; by default a pair whose confidence is weak is
    /// left out, so a need without a good match gets no proposal.
    #[serde(default)]
    pub include_weak: bool,
}

/// Propose matches for the year's planned cooperation projects (staff): up to
/// `k` capabilities per open need, maximising the total score within each
/// team's remaining capacity (exactly, as a min-cost flow); rejected pairs are
/// excluded, and weak pairs too unless `include_weak`. The proposals are
/// stored as suggestions for review.
#[utoipa::path(post, path = "/api/v1/plans/{year}/assignments", tag = "suggestions",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")), request_body = AssignmentInput,
    responses((status = 200, body = AssignmentDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year (2000–2100)"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn assignments(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
    Json(input): Json<AssignmentInput>,
) -> Result<axum::Json<AssignmentDoc>, AppError> {
    let who = viewer.require()?;
    let include_weak = input.include_weak;
    let request = AssignmentRequest {
        k: input.k.unwrap_or(3),
        per_university: input.per_university,
        need_ids: input.need_ids,
        key_projects: input.key_projects,
        include_weak,
    };
    let assignment = s.app.assign(&who, year, request).await?;
    let plan = assignment.run.plan;
    let proposals = plan
        .proposals
        .into_iter()
        .zip(assignment.run.stored)
        .map(|(p, row)| {
            Ok(ProposalDoc {
                id: row.id,
                status: row.status,
                need: p.need.into(),
                capability: p.capability.into(),
                score: p.score,
                confidence: p.confidence.code().to_string(),
                explanation: typed_from(&p.explanation)?,
            })
        })
        .collect::<Result<_, AppError>>()?;
    Ok(axum::Json(AssignmentDoc {
        year: assignment.year,
        k: assignment.k,
        needs: plan.needs,
        needs_covered: plan.needs_covered,
        total_score: plan.total_score,
        include_weak,
        weak_left_out: plan.weak_left_out,
        greedy: GreedyDoc {
            needs_covered: plan.greedy_needs_covered,
            total_score: plan.greedy_total_score,
        },
        proposals,
    }))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyNeedsDoc {
    /// Needs flagged for the year's key-project plan.
    #[serde(deserialize_with = "whole::vec")]
    #[schema(schema_with = schema::need_ids)]
    pub need_ids: Vec<i64>,
}

/// Needs flagged for the year's key-project plan (staff).
#[utoipa::path(get, path = "/api/v1/plans/{year}/key-needs", tag = "suggestions",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")),
    responses((status = 200, body = KeyNeedsDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year (2000–2100)")))]
pub async fn get_key_needs(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
) -> Result<axum::Json<KeyNeedsDoc>, AppError> {
    Ok(axum::Json(KeyNeedsDoc {
        need_ids: s.app.key_needs(&viewer.require()?, year).await?,
    }))
}

/// Replace the needs flagged for the year's key-project plan (staff; audited).
#[utoipa::path(put, path = "/api/v1/plans/{year}/key-needs", tag = "suggestions",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")), request_body = KeyNeedsDoc,
    responses((status = 200, body = KeyNeedsDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an id names no need, or a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year (2000–2100)"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "too many ids")))]
pub async fn put_key_needs(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
    Json(input): Json<KeyNeedsDoc>,
) -> Result<axum::Json<KeyNeedsDoc>, AppError> {
    let need_ids = s
        .app
        .set_key_needs(&viewer.require()?, year, &input.need_ids)
        .await?;
    Ok(axum::Json(KeyNeedsDoc { need_ids }))
}
