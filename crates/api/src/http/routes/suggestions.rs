//! Match suggestions: ranked, explained partners for a need or a capability;
//! staff decisions on them; and the plan-wide assignment of a year.
//!
//! Staff see live suggestions (recorded for review, so each has an id to
//! decide on). Owners see only what staff accepted: a need's owner the
//! accepted capabilities, a capability's owner the accepted needs, never a
//! staff-only need of someone else.

use crate::http::auth::{Principal, Viewer};
use crate::http::error::{AppError, ProblemDoc};
use crate::http::extract::{Json, Path, Query};
use crate::http::policy::{Action, Resource, authorize};
use crate::matchmaking::{
    History, ListingRef, NeedSelection, PlanOptions, Suggestion, listing_ref, run_plan,
};
use crate::server::AppState;
use axum::extract::State;
use chrono::Datelike;
use qiao_core::record::FieldError;
use qiao_core::vocab::{RejectReason, SuggestionStatus, Visibility, Vocabulary};
use qiao_store::entities::{capability, match_suggestion, need};
use qiao_store::suggestions::Decision;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// 1–50, default 10.
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct MatchedTermDoc {
    pub term: String,
    /// Where the term was found: `title`, `body`, `keywords`…
    pub found_in: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct FactorDoc {
    /// `text`, `field`, `mode`, `maturity`, `budget`, `region`, `capacity`, `history`.
    pub code: String,
    pub label: String,
    /// The factor's value, 0–1.
    pub value: f64,
    /// Its share of the score: value × weight.
    pub contribution: f64,
}

#[derive(Serialize, ToSchema)]
pub struct ExplanationDoc {
    /// One line in Chinese, e.g. `关键词：动力电池、热管理；领域一致：新能源；成熟度：中试（需求：中试及以上）`.
    pub summary: String,
    pub matched_terms: Vec<MatchedTermDoc>,
    pub factors: Vec<FactorDoc>,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionDoc {
    /// The stored suggestion, to decide on.
    pub id: i64,
    /// `suggested`, `accepted`, `contacted` or `rejected`.
    pub status: String,
    /// The suggested partner: `capability` for a need's suggestions, `need` for a capability's.
    pub capability: Option<ListingRef>,
    pub need: Option<ListingRef>,
    pub score: f64,
    pub explanation: ExplanationDoc,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionListDoc {
    pub items: Vec<SuggestionDoc>,
}

fn limit_of(p: &SuggestionParams) -> Result<usize, AppError> {
    let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(limit)
    } else {
        Err(invalid(
            "limit",
            &format!("must be between 1 and {MAX_LIMIT}"),
        ))
    }
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// Which side of the pair an item names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Partner {
    Capability,
    Need,
}

fn item(stored: &match_suggestion::Model, partner: Partner, other: &ListingRef) -> Value {
    let key = match partner {
        Partner::Capability => "capability",
        Partner::Need => "need",
    };
    json!({
        "id": stored.id,
        "status": stored.status,
        key: other,
        "score": stored.score,
        "explanation": stored.explanation,
        "algorithm_version": stored.algorithm_version,
        "reject_reason": stored.reject_reason,
        "decided_at": stored.decided_at,
    })
}

/// Records live suggestions for review and shapes them.
async fn live_items(
    s: &AppState,
    list: Vec<Suggestion>,
    partner: Partner,
) -> Result<Value, AppError> {
    let news: Vec<_> = list.iter().map(Suggestion::to_new).collect();
    let stored = s
        .store
        .save_suggestions(&news, crate::matchmaking::ALGORITHM)
        .await?;
    let items: Vec<Value> = list
        .iter()
        .zip(&stored)
        .map(|(sug, row)| {
            let other = match partner {
                Partner::Capability => &sug.capability,
                Partner::Need => &sug.need,
            };
            item(row, partner, other)
        })
        .collect();
    Ok(json!({ "items": items }))
}

async fn need_model(s: &AppState, id: i64) -> Result<need::Model, AppError> {
    s.store
        .needs_by_ids(&[id])
        .await?
        .remove(&id)
        .ok_or(AppError::NotFound)
}

async fn capability_model(s: &AppState, id: i64) -> Result<capability::Model, AppError> {
    s.store
        .capabilities_by_ids(&[id])
        .await?
        .remove(&id)
        .ok_or(AppError::NotFound)
}

fn decided_for_owner(m: &match_suggestion::Model) -> bool {
    m.status == SuggestionStatus::Accepted.code() || m.status == SuggestionStatus::Contacted.code()
}

/// Capabilities suggested for a need, best first. Staff get live suggestions
/// (recorded for review); the need's owner gets those staff accepted; anyone
/// else who can see the need is refused, and a need they cannot see is 404.
#[utoipa::path(get, path = "/api/v1/needs/{id}/suggestions", tag = "suggestions",
    params(("id" = i64, Path, description = "Need id"), SuggestionParams),
    responses((status = 200, body = SuggestionListDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn need_suggestions(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<SuggestionParams>,
) -> Result<axum::Json<Value>, AppError> {
    let limit = limit_of(&p)?;
    let who = viewer.require()?;
    if who.is_staff() {
        let n = need_model(&s, id).await?;
        let history = History::load(&s.store).await?;
        let list = s.matcher().for_need(&n, limit, &history).await?;
        return Ok(axum::Json(live_items(&s, list, Partner::Capability).await?));
    }
    let visible = s.store.get_need(id, who.scope()).await?;
    let visible = visible.ok_or(AppError::NotFound)?;
    if who.org_id != Some(visible.org_id) {
        return Err(AppError::Forbidden);
    }
    let stored: Vec<_> = s
        .store
        .suggestions_of(Some(id), None)
        .await?
        .into_iter()
        .filter(decided_for_owner)
        .take(limit)
        .collect();
    let cap_ids: Vec<i64> = stored.iter().map(|m| m.capability_id).collect();
    let caps = s.store.capabilities_by_ids(&cap_ids).await?;
    let orgs = s.matcher().orgs(caps.values().map(|c| c.org_id)).await?;
    let items: Vec<Value> = stored
        .iter()
        .filter_map(|m| {
            let c = caps.get(&m.capability_id)?;
            let r = listing_ref(c.id, &c.external_id, &c.title, orgs.get(&c.org_id));
            Some(item(m, Partner::Capability, &r))
        })
        .collect();
    Ok(axum::Json(json!({ "items": items })))
}

/// Needs suggested for a capability, best first. Staff get live suggestions
/// (recorded for review); the capability's owner gets the needs staff
/// accepted, without staff-only ones; anyone else is refused.
#[utoipa::path(get, path = "/api/v1/capabilities/{id}/suggestions", tag = "suggestions",
    params(("id" = i64, Path, description = "Capability id"), SuggestionParams),
    responses((status = 200, body = SuggestionListDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn capability_suggestions(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<SuggestionParams>,
) -> Result<axum::Json<Value>, AppError> {
    let limit = limit_of(&p)?;
    let who = viewer.require()?;
    if who.is_staff() {
        let c = capability_model(&s, id).await?;
        let history = History::load(&s.store).await?;
        let list = s.matcher().for_capability(&c, limit, &history).await?;
        return Ok(axum::Json(live_items(&s, list, Partner::Need).await?));
    }
    let visible = s.store.get_capability(id, who.scope()).await?;
    let visible = visible.ok_or(AppError::NotFound)?;
    if who.org_id != Some(visible.org_id) {
        return Err(AppError::Forbidden);
    }
    let stored: Vec<_> = s
        .store
        .suggestions_of(None, Some(id))
        .await?
        .into_iter()
        .filter(decided_for_owner)
        .collect();
    let need_ids: Vec<i64> = stored.iter().map(|m| m.need_id).collect();
    let needs = s.store.needs_by_ids(&need_ids).await?;
    let orgs = s.matcher().orgs(needs.values().map(|n| n.org_id)).await?;
    let items: Vec<Value> = stored
        .iter()
        .filter_map(|m| {
            let n = needs.get(&m.need_id)?;
            // A staff-only need stays hidden from everyone but its owner and staff.
            let hidden =
                n.visibility == Visibility::StaffOnly.code() && who.org_id != Some(n.org_id);
            let r = listing_ref(n.id, &n.external_id, &n.title, orgs.get(&n.org_id));
            (!hidden).then(|| item(m, Partner::Need, &r))
        })
        .take(limit)
        .collect();
    Ok(axum::Json(json!({ "items": items })))
}

// ---- decisions ------------------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// Open a cooperation project (status planned, origin match) for the pair.
    #[serde(default)]
    pub create_project: bool,
    /// The project's plan year; default the current year.
    pub plan_year: Option<i32>,
    /// Count the project among the year's key projects (重点项目).
    #[serde(default)]
    pub key_project: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectInput {
    /// `direction_mismatch` (方向不符), `insufficient_maturity` (成熟度不足), `budget_mismatch` (预算不符), `existing_cooperation` (已有合作) or `other` (其他, with a note).
    pub reason: String,
    /// Free text; required for `other`.
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct DecisionDoc {
    pub id: i64,
    pub need_id: i64,
    pub capability_id: i64,
    pub status: String,
    pub reject_reason: Option<String>,
    pub reject_note: Option<String>,
    /// The cooperation project an acceptance opened.
    pub project_id: Option<i64>,
}

fn staff(viewer: Viewer) -> Result<Principal, AppError> {
    let who = viewer.require()?;
    authorize(&who, Resource::Bureau, Action::Update)?;
    Ok(who)
}

async fn decide(
    s: &AppState,
    who: &Principal,
    id: i64,
    decision: Decision,
) -> Result<axum::Json<Value>, AppError> {
    let (m, project_id) = s
        .store
        .decide_suggestion(id, decision, &who.actor())
        .await?;
    Ok(axum::Json(json!({
        "id": m.id,
        "need_id": m.need_id,
        "capability_id": m.capability_id,
        "status": m.status,
        "reject_reason": m.reject_reason,
        "reject_note": m.reject_note,
        "project_id": project_id,
    })))
}

/// Accept a suggestion (staff); optionally open a planned cooperation project for the pair.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/accept", tag = "suggestions",
    params(("id" = i64, Path, description = "Suggestion id")), request_body = AcceptInput,
    responses((status = 200, body = DecisionDoc),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already accepted or rejected")))]
pub async fn accept(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(input): Json<AcceptInput>,
) -> Result<axum::Json<Value>, AppError> {
    let who = staff(viewer)?;
    let plan_year = input.plan_year.unwrap_or_else(|| chrono::Utc::now().year());
    if !(2000..=2100).contains(&plan_year) {
        return Err(invalid("plan_year", "must be between 2000 and 2100"));
    }
    decide(
        &s,
        &who,
        id,
        Decision::Accept {
            create_project: input.create_project,
            plan_year,
            key_project: input.key_project,
        },
    )
    .await
}

/// Reject a suggestion (staff) with a reason; the pair is never suggested again.
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/reject", tag = "suggestions",
    params(("id" = i64, Path, description = "Suggestion id")), request_body = RejectInput,
    responses((status = 200, body = DecisionDoc),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown reason, or `other` without a note")))]
pub async fn reject(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(input): Json<RejectInput>,
) -> Result<axum::Json<Value>, AppError> {
    let who = staff(viewer)?;
    let reason = RejectReason::parse(&input.reason).ok_or_else(|| {
        invalid(
            "reason",
            "must be one of direction_mismatch, insufficient_maturity, budget_mismatch, existing_cooperation, other",
        )
    })?;
    let note = input.note.trim().to_string();
    if reason == RejectReason::Other && note.is_empty() {
        return Err(invalid("note", "is required when the reason is other"));
    }
    if note.chars().count() > 1000 {
        return Err(invalid("note", "must be at most 1000 characters"));
    }
    decide(&s, &who, id, Decision::Reject { reason, note }).await
}

/// Mark a suggestion as contacted (staff got in touch with both sides).
#[utoipa::path(post, path = "/api/v1/suggestions/{id}/contacted", tag = "suggestions",
    params(("id" = i64, Path, description = "Suggestion id")),
    responses((status = 200, body = DecisionDoc),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn contacted(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    let who = staff(viewer)?;
    decide(&s, &who, id, Decision::Contacted).await
}

// ---- plan-wide assignment -------------------------------------------------

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    /// Proposals per need, 1–10 (default 3).
    pub k: Option<u32>,
    /// At most this many proposals per university or institute.
    pub per_university: Option<u32>,
    /// Only these open needs.
    pub need_ids: Option<Vec<i64>>,
    /// Only the needs flagged for the year's key-project plan.
    #[serde(default)]
    pub key_projects: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProposalDoc {
    /// The stored suggestion, to decide on.
    pub id: i64,
    pub status: String,
    pub need: ListingRef,
    pub capability: ListingRef,
    pub score: f64,
    pub explanation: ExplanationDoc,
}

#[derive(Serialize, ToSchema)]
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

#[derive(Serialize, ToSchema)]
pub struct GreedyDoc {
    pub needs_covered: usize,
    pub total_score: f64,
}

fn check_year(year: i32) -> Result<(), AppError> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Propose matches for the year's planned cooperation projects (staff): up to
/// `k` capabilities per open need, maximising the total score within each
/// team's remaining capacity (exactly, as a min-cost flow); rejected pairs are
/// excluded. The proposals are stored as suggestions for review.
#[utoipa::path(post, path = "/api/v1/plans/{year}/assignments", tag = "suggestions",
    params(("year" = i32, Path, description = "Plan year")), request_body = AssignmentInput,
    responses((status = 200, body = AssignmentDoc),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn assignments(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
    Json(input): Json<AssignmentInput>,
) -> Result<axum::Json<Value>, AppError> {
    let who = viewer.require()?;
    authorize(&who, Resource::Bureau, Action::Create)?;
    check_year(year)?;
    let k = input.k.unwrap_or(3);
    if !(1..=10).contains(&k) {
        return Err(invalid("k", "must be between 1 and 10"));
    }
    if input.per_university == Some(0) {
        return Err(invalid("per_university", "must be at least 1"));
    }
    let selection = NeedSelection {
        need_ids: input.need_ids,
        key_projects: input.key_projects,
    };
    let options = PlanOptions {
        k,
        per_university: input.per_university,
        ..PlanOptions::default()
    };
    let run = run_plan(&s.matcher(), year, &selection, options, &who.actor()).await?;
    let plan = &run.plan;
    let proposals: Vec<Value> = plan
        .proposals
        .iter()
        .zip(&run.stored)
        .map(|(p, row)| {
            json!({"id": row.id, "status": row.status, "need": p.need, "capability": p.capability,
                "score": p.score, "explanation": p.explanation})
        })
        .collect();
    Ok(axum::Json(json!({
        "year": year,
        "k": k,
        "needs": plan.needs,
        "needs_covered": plan.needs_covered,
        "total_score": plan.total_score,
        "greedy": {"needs_covered": plan.greedy_needs_covered, "total_score": plan.greedy_total_score},
        "proposals": proposals,
    })))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyNeedsDoc {
    /// Needs flagged for the year's key-project plan.
    pub need_ids: Vec<i64>,
}

/// Needs flagged for the year's key-project plan (staff).
#[utoipa::path(get, path = "/api/v1/plans/{year}/key-needs", tag = "suggestions",
    params(("year" = i32, Path, description = "Plan year")),
    responses((status = 200, body = KeyNeedsDoc),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_key_needs(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
) -> Result<axum::Json<KeyNeedsDoc>, AppError> {
    let who = viewer.require()?;
    authorize(&who, Resource::Bureau, Action::Read)?;
    check_year(year)?;
    Ok(axum::Json(KeyNeedsDoc {
        need_ids: s.store.key_need_ids(year).await?,
    }))
}

/// Replace the needs flagged for the year's key-project plan (staff; audited).
#[utoipa::path(put, path = "/api/v1/plans/{year}/key-needs", tag = "suggestions",
    params(("year" = i32, Path, description = "Plan year")), request_body = KeyNeedsDoc,
    responses((status = 200, body = KeyNeedsDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an id names no need"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn put_key_needs(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
    Json(input): Json<KeyNeedsDoc>,
) -> Result<axum::Json<KeyNeedsDoc>, AppError> {
    let who = viewer.require()?;
    authorize(&who, Resource::Bureau, Action::Update)?;
    check_year(year)?;
    let need_ids = s
        .store
        .set_key_needs(year, &input.need_ids, &who.actor())
        .await?;
    Ok(axum::Json(KeyNeedsDoc { need_ids }))
}
