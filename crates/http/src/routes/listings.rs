//! Needs and capabilities: the two kinds of listing share one implementation
//! in the application layer; the annotated handlers below name the routes
//! for the OpenAPI description and type what each answers.

use super::inputs::{CapabilityCreateDoc, CapabilityPatchDoc, NeedCreateDoc, NeedPatchDoc};
use super::{CapabilityListParams, NeedListParams};
use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query};
use crate::server::AppState;
use crate::views::{CapabilityDoc, CapabilityPage, NeedDoc, NeedPage, typed};
use axum::extract::State;
use axum::http::StatusCode;
use qiao_app::listings::{create, delete, get, list, update};
use qiao_core::record::{CapabilityRecord, NeedRecord};
use serde_json::{Map, Value};

/// List technology needs visible to the caller.
#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", params(NeedListParams),
    responses((status = 200, body = NeedPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a value out of range or not a known code")))]
pub async fn list_needs(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<NeedListParams>,
) -> Result<axum::Json<NeedPage>, AppError> {
    let page = list::<NeedRecord>(&s.app, &viewer, &p.query()).await?;
    Ok(axum::Json(typed(page)?))
}

/// Post a technology need (enterprise members for their organization; staff for any).
#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", request_body = NeedCreateDoc,
    responses((status = 201, body = NeedDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "not a JSON object"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<(StatusCode, axum::Json<NeedDoc>), AppError> {
    let saved = create::<NeedRecord>(&s.app, viewer.require()?, body).await?;
    Ok((StatusCode::CREATED, axum::Json(typed(saved)?)))
}

/// One need; staff-only needs answer 404 to everyone but their owner and staff.
#[utoipa::path(get, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, minimum = 1, description = "Need id")),
    responses((status = 200, body = NeedDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<NeedDoc>, AppError> {
    Ok(axum::Json(typed(
        get::<NeedRecord>(&s.app, &viewer, id).await?,
    )?))
}

/// Change some fields of a need; send `version` to refuse a lost update (409).
#[utoipa::path(patch, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, minimum = 1, description = "Need id")), request_body = NeedPatchDoc,
    responses((status = 200, body = NeedDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "not a JSON object"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "a stale version, or the external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<Map<String, Value>>,
) -> Result<axum::Json<NeedDoc>, AppError> {
    let saved = update::<NeedRecord>(&s.app, viewer.require()?, id, body).await?;
    Ok(axum::Json(typed(saved)?))
}

/// Delete a need (kept for history, gone from every list).
#[utoipa::path(delete, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, minimum = 1, description = "Need id")),
    responses((status = 204),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    delete::<NeedRecord>(&s.app, viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List capabilities visible to the caller.
#[utoipa::path(get, path = "/api/v1/capabilities", tag = "capabilities", params(CapabilityListParams),
    responses((status = 200, body = CapabilityPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a value out of range or not a known code")))]
pub async fn list_capabilities(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<CapabilityListParams>,
) -> Result<axum::Json<CapabilityPage>, AppError> {
    let page = list::<CapabilityRecord>(&s.app, &viewer, &p.query()).await?;
    Ok(axum::Json(typed(page)?))
}

/// List a capability (university/institute members for their organization; staff for any).
#[utoipa::path(post, path = "/api/v1/capabilities", tag = "capabilities", request_body = CapabilityCreateDoc,
    responses((status = 201, body = CapabilityDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "not a JSON object"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<(StatusCode, axum::Json<CapabilityDoc>), AppError> {
    let saved = create::<CapabilityRecord>(&s.app, viewer.require()?, body).await?;
    Ok((StatusCode::CREATED, axum::Json(typed(saved)?)))
}

/// One capability.
#[utoipa::path(get, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, minimum = 1, description = "Capability id")),
    responses((status = 200, body = CapabilityDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<CapabilityDoc>, AppError> {
    Ok(axum::Json(typed(
        get::<CapabilityRecord>(&s.app, &viewer, id).await?,
    )?))
}

/// Change some fields of a capability.
#[utoipa::path(patch, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, minimum = 1, description = "Capability id")), request_body = CapabilityPatchDoc,
    responses((status = 200, body = CapabilityDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "not a JSON object"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "a stale version, or the external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<Map<String, Value>>,
) -> Result<axum::Json<CapabilityDoc>, AppError> {
    let saved = update::<CapabilityRecord>(&s.app, viewer.require()?, id, body).await?;
    Ok(axum::Json(typed(saved)?))
}

/// Delete a capability.
#[utoipa::path(delete, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, minimum = 1, description = "Capability id")),
    responses((status = 204),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    delete::<CapabilityRecord>(&s.app, viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
