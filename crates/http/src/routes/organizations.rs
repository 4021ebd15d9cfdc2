//! Organizations: public profiles of approved ones, staff review, members
//! keeping their own profile up to date.

use super::ListParams;
use super::docs::{OrganizationDoc, OrganizationInputDoc, PageDoc};
use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qiao_app::organizations::organization_json;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

/// List organizations: approved ones for everyone; all for staff (filter `status=pending` to review).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(ListParams),
    responses((status = 200, body = PageDoc), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_organizations(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<Value>, AppError> {
    let q = p.query()?;
    let page = s.app.organizations(&viewer, &q).await?;
    Ok(axum::Json(json!({
        "total": page.total, "limit": q.limit, "offset": q.offset,
        "items": page.items.iter().map(|o| organization_json(o, &viewer)).collect::<Vec<_>>(),
    })))
}

/// Register an organization (staff; it is approved at once).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrganizationInputDoc,
    responses((status = 201, body = OrganizationDoc), (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, AppError> {
    let saved = s
        .app
        .create_organization(&viewer.clone().require()?, body)
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(organization_json(&saved, &viewer)),
    ))
}

/// One organization (pending ones only for staff and their members).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    let org = s.app.organization(&viewer, id).await?;
    Ok(axum::Json(organization_json(&org, &viewer)))
}

/// Update an organization's profile (its members or staff).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, description = "Organization id")),
    request_body = OrganizationInputDoc,
    responses((status = 200, body = OrganizationDoc), (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"), (status = 409, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(patch): Json<Map<String, Value>>,
) -> Result<axum::Json<Value>, AppError> {
    let saved = s
        .app
        .update_organization(&viewer.clone().require()?, id, patch)
        .await?;
    Ok(axum::Json(organization_json(&saved, &viewer)))
}

/// Delete an organization (staff).
#[utoipa::path(delete, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, description = "Organization id")),
    responses((status = 204), (status = 403, body = ProblemDoc, content_type = "application/problem+json"), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    s.app.delete_organization(&viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `approved` or `rejected` (or 已通过 / 已驳回).
    pub status: String,
}

/// Approve or reject an organization (staff). Listings of an organization are public only once it is approved.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/review", tag = "organizations", params(("id" = i64, Path, description = "Organization id")),
    request_body = ReviewBody,
    responses((status = 200, body = OrganizationDoc), (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn review_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<ReviewBody>,
) -> Result<axum::Json<Value>, AppError> {
    let saved = s
        .app
        .review_organization(&viewer.clone().require()?, id, &body.status)
        .await?;
    Ok(axum::Json(organization_json(&saved, &viewer)))
}
