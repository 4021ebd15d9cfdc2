//! Needs and capabilities: the two kinds of listing share one implementation
//! in the application layer; the annotated handlers below name the routes
//! for the OpenAPI description.

use super::ListParams;
use super::docs::{CapabilityDoc, CapabilityInputDoc, NeedDoc, NeedInputDoc, PageDoc};
use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qiao_app::listings::{create, delete, get, list, update};
use qiao_core::record::{CapabilityRecord, NeedRecord};
use serde_json::{Map, Value};

// ---- routes ---------------------------------------------------------------

/// List technology needs visible to the caller.
#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", params(ListParams),
    responses((status = 200, body = PageDoc), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_needs(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(
        list::<NeedRecord>(&s.app, &viewer, &p.query()?).await?,
    ))
}

/// Post a technology need (enterprise members for their organization; staff for any).
#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", request_body = NeedInputDoc,
    responses((status = 201, body = NeedDoc), (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(create::<NeedRecord>(&s.app, viewer.require()?, body).await?),
    ))
}

/// One need; staff-only needs answer 404 to everyone but their owner and staff.
#[utoipa::path(get, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, description = "Need id")),
    responses((status = 200, body = NeedDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(get::<NeedRecord>(&s.app, &viewer, id).await?))
}

/// Change some fields of a need; send `version` to refuse a lost update (409).
#[utoipa::path(patch, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, description = "Need id")), request_body = NeedInputDoc,
    responses((status = 200, body = NeedDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<Map<String, Value>>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(
        update::<NeedRecord>(&s.app, viewer.require()?, id, body).await?,
    ))
}

/// Delete a need (kept for history, gone from every list).
#[utoipa::path(delete, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, description = "Need id")),
    responses((status = 204), (status = 404, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    delete::<NeedRecord>(&s.app, viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List capabilities visible to the caller.
#[utoipa::path(get, path = "/api/v1/capabilities", tag = "capabilities", params(ListParams),
    responses((status = 200, body = PageDoc), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_capabilities(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(
        list::<CapabilityRecord>(&s.app, &viewer, &p.query()?).await?,
    ))
}

/// List a capability (university/institute members for their organization; staff for any).
#[utoipa::path(post, path = "/api/v1/capabilities", tag = "capabilities", request_body = CapabilityInputDoc,
    responses((status = 201, body = CapabilityDoc), (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(create::<CapabilityRecord>(&s.app, viewer.require()?, body).await?),
    ))
}

/// One capability.
#[utoipa::path(get, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, description = "Capability id")),
    responses((status = 200, body = CapabilityDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(
        get::<CapabilityRecord>(&s.app, &viewer, id).await?,
    ))
}

/// Change some fields of a capability.
#[utoipa::path(patch, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, description = "Capability id")), request_body = CapabilityInputDoc,
    responses((status = 200, body = CapabilityDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<Map<String, Value>>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(
        update::<CapabilityRecord>(&s.app, viewer.require()?, id, body).await?,
    ))
}

/// Delete a capability.
#[utoipa::path(delete, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, description = "Capability id")),
    responses((status = 204), (status = 404, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    delete::<CapabilityRecord>(&s.app, viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
