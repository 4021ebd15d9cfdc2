//! Organizations: public profiles of approved ones, staff review, members
//! keeping their own profile up to date.

use super::OrganizationListParams;
use super::inputs::{OrganizationCreateDoc, OrganizationPatchDoc};
use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query};
use crate::server::AppState;
use crate::views::{OrganizationDoc, OrganizationPage, typed};
use axum::extract::State;
use axum::http::StatusCode;
use qiao_app::organizations::organization_json;
use qiao_core::stored::StoredOrg;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// An organization as the viewer may read it (contact details for signed-in users only).
fn view(o: &StoredOrg, viewer: &Viewer) -> Result<OrganizationDoc, AppError> {
    typed(organization_json(o, viewer))
}

/// List organizations: approved ones for everyone; all for staff (filter `status=pending` to review).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(OrganizationListParams),
    responses((status = 200, body = OrganizationPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a value out of range or not a known code")))]
pub async fn list_organizations(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<OrganizationListParams>,
) -> Result<axum::Json<OrganizationPage>, AppError> {
    let q = p.query();
    let page = s.app.organizations(&viewer, &q).await?;
    Ok(axum::Json(OrganizationPage {
        total: page.total,
        limit: q.limit,
        offset: q.offset,
        items: page
            .items
            .iter()
            .map(|o| view(o, &viewer))
            .collect::<Result<_, _>>()?,
    }))
}

/// Register an organization (staff; it is approved at once).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrganizationCreateDoc,
    responses((status = 201, body = OrganizationDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "not a JSON object"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the name or external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<(StatusCode, axum::Json<OrganizationDoc>), AppError> {
    let saved = s
        .app
        .create_organization(&viewer.clone().require()?, body)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(view(&saved, &viewer)?)))
}

/// One organization (pending ones only for staff and their members).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, minimum = 1, description = "Organization id")),
    responses((status = 200, body = OrganizationDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<OrganizationDoc>, AppError> {
    let org = s.app.organization(&viewer, id).await?;
    Ok(axum::Json(view(&org, &viewer)?))
}

/// Update an organization's profile (its members or staff).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, minimum = 1, description = "Organization id")),
    request_body = OrganizationPatchDoc,
    responses((status = 200, body = OrganizationDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "not a JSON object"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "a stale version, or the name or external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(patch): Json<Map<String, Value>>,
) -> Result<axum::Json<OrganizationDoc>, AppError> {
    let saved = s
        .app
        .update_organization(&viewer.clone().require()?, id, patch)
        .await?;
    Ok(axum::Json(view(&saved, &viewer)?))
}

/// Delete an organization (staff).
#[utoipa::path(delete, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, minimum = 1, description = "Organization id")),
    responses((status = 204),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
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
    #[schema(schema_with = crate::schema::review_decision)]
    pub status: String,
}

/// Approve or reject an organization (staff). Listings of an organization are public only once it is approved.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/review", tag = "organizations", params(("id" = i64, Path, minimum = 1, description = "Organization id")),
    request_body = ReviewBody,
    responses((status = 200, body = OrganizationDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn review_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<ReviewBody>,
) -> Result<axum::Json<OrganizationDoc>, AppError> {
    let saved = s
        .app
        .review_organization(&viewer.clone().require()?, id, &body.status)
        .await?;
    Ok(axum::Json(view(&saved, &viewer)?))
}
