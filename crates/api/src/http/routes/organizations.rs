//! Organizations: public profiles of approved ones, staff review, members
//! keeping their own profile up to date.

use super::ListParams;
use super::docs::{OrganizationDoc, OrganizationInputDoc, PageDoc};
use crate::http::auth::Viewer;
use crate::http::error::{AppError, ProblemDoc};
use crate::http::extract::{Json, Path, Query};
use crate::http::policy::{Action, Resource, authorize};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qiao_core::record::{ExternalId, FieldError, OrganizationRecord, without_nulls};
use qiao_core::vocab::{ReviewStatus, Vocabulary};
use qiao_store::listings::StoredOrg;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa::ToSchema;

const CONTACT_FIELDS: &[&str] = &["contact_name", "contact_phone", "contact_email"];

fn org_json(o: &StoredOrg, signed_in: bool) -> Value {
    let mut m = o.record.to_map();
    if !signed_in {
        // Contact details are for signed-in users, not for scrapers.
        for f in CONTACT_FIELDS {
            m.remove(*f);
        }
    }
    m.insert("id".into(), json!(o.id));
    m.insert("version".into(), json!(o.version));
    m.insert("review_status".into(), json!(o.review_status.code()));
    m.insert("created_at".into(), json!(o.created_at.to_rfc3339()));
    m.insert("updated_at".into(), json!(o.updated_at.to_rfc3339()));
    Value::Object(m)
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

fn take_version(body: &mut Map<String, Value>) -> Result<Option<i32>, AppError> {
    for key in ["id", "review_status", "created_at", "updated_at"] {
        if body.contains_key(key) {
            return Err(invalid(key, "is set by the server"));
        }
    }
    match body.remove("version") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| invalid("version", "must be a whole number")),
    }
}

/// List organizations: approved ones for everyone; all for staff (filter `status=pending` to review).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations", params(ListParams),
    responses((status = 200, body = PageDoc), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_organizations(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<Value>, AppError> {
    let q = p.query()?;
    let page = s.store.list_organizations(viewer.scope(), &q).await?;
    let signed_in = viewer.0.is_some();
    Ok(axum::Json(json!({
        "total": page.total, "limit": q.limit, "offset": q.offset,
        "items": page.items.iter().map(|o| org_json(o, signed_in)).collect::<Vec<_>>(),
    })))
}

/// Register an organization (staff; it is approved at once).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations", request_body = OrganizationInputDoc,
    responses((status = 201, body = OrganizationDoc), (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(mut body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    authorize(&who, Resource::Bureau, Action::Create)?;
    if take_version(&mut body)?.is_some() {
        return Err(invalid("version", "is set by the server"));
    }
    let record =
        OrganizationRecord::from_map(&body, ExternalId::Optional).map_err(AppError::Validation)?;
    let saved = s
        .store
        .create_organization(&record, ReviewStatus::Approved, &who.actor())
        .await?;
    Ok((StatusCode::CREATED, axum::Json(org_json(&saved, true))))
}

/// One organization (pending ones only for staff and their members).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, description = "Organization id")),
    responses((status = 200, body = OrganizationDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    let org = s
        .store
        .get_organization(id, viewer.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(org_json(&org, viewer.0.is_some())))
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
    Json(mut patch): Json<Map<String, Value>>,
) -> Result<axum::Json<Value>, AppError> {
    let who = viewer.require()?;
    let existing = s
        .store
        .get_organization(id, who.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(&who, Resource::Organization { id }, Action::Update)?;
    let version = take_version(&mut patch)?;
    let mut merged = existing.record.to_map();
    merged.extend(patch);
    let record = OrganizationRecord::from_map(&without_nulls(merged), ExternalId::Optional)
        .map_err(AppError::Validation)?;
    let saved = s
        .store
        .update_organization(id, &record, None, version, &who.actor())
        .await?;
    Ok(axum::Json(org_json(&saved, true)))
}

/// Delete an organization (staff).
#[utoipa::path(delete, path = "/api/v1/organizations/{id}", tag = "organizations", params(("id" = i64, Path, description = "Organization id")),
    responses((status = 204), (status = 403, body = ProblemDoc, content_type = "application/problem+json"), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_organization(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let who = viewer.require()?;
    s.store
        .get_organization(id, who.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(&who, Resource::Organization { id }, Action::Delete)?;
    s.store.delete_organization(id, &who.actor()).await?;
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
    let who = viewer.require()?;
    let existing = s
        .store
        .get_organization(id, who.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(&who, Resource::Organization { id }, Action::Review)?;
    let status = ReviewStatus::parse(&body.status)
        .filter(|s| *s != ReviewStatus::Pending)
        .ok_or_else(|| invalid("status", "must be approved or rejected"))?;
    let saved = s
        .store
        .update_organization(id, &existing.record, Some(status), None, &who.actor())
        .await?;
    Ok(axum::Json(org_json(&saved, true)))
}
