//! Membership requests: joining an existing organization is asked for, and
//! decided by the organization's admin member or staff.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Path, Query};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qiao_app::membership::MembershipRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A request to join an organization.
#[derive(Serialize, ToSchema)]
pub struct MembershipRequestView {
    pub id: i64,
    pub user_id: i64,
    pub org_id: i64,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl From<MembershipRequest> for MembershipRequestView {
    fn from(m: MembershipRequest) -> Self {
        Self {
            id: m.id,
            user_id: m.user_id,
            org_id: m.org_id,
            status: m.status,
            created_at: m.created_at.to_rfc3339(),
            decided_at: m.decided_at.map(|t| t.to_rfc3339()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MembershipRequestList {
    pub items: Vec<MembershipRequestView>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MembershipParams {
    #[param(schema_with = crate::schema::membership_status)]
    pub status: Option<String>,
}

/// Ask to join an organization (a signed-in enterprise or university user without one).
#[utoipa::path(post, path = "/api/v1/organizations/{id}/membership-requests", tag = "organizations",
    params(("id" = i64, Path, minimum = 1, description = "Organization id")),
    responses((status = 201, body = MembershipRequestView),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already a member somewhere, or a request is pending"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn request_membership(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, AppError> {
    let request = s.app.request_membership(&viewer.require()?, id).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(MembershipRequestView::from(request)),
    ))
}

/// Membership requests: staff see all, an organization's admin member those to it, others their own.
#[utoipa::path(get, path = "/api/v1/membership-requests", tag = "organizations", params(MembershipParams),
    responses((status = 200, body = MembershipRequestList),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown status")))]
pub async fn list_membership_requests(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<MembershipParams>,
) -> Result<axum::Json<MembershipRequestList>, AppError> {
    let items = s
        .app
        .membership_requests(&viewer.require()?, p.status.as_deref())
        .await?;
    Ok(axum::Json(MembershipRequestList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Approve a membership request (the organization's admin member or staff); the user joins.
#[utoipa::path(post, path = "/api/v1/membership-requests/{id}/approve", tag = "organizations",
    params(("id" = i64, Path, minimum = 1, description = "Membership request id")),
    responses((status = 200, body = MembershipRequestView),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already decided")))]
pub async fn approve_membership(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<MembershipRequestView>, AppError> {
    let decided = s
        .app
        .decide_membership(&viewer.require()?, id, true)
        .await?;
    Ok(axum::Json(decided.into()))
}

/// Refuse a membership request (the organization's admin member or staff).
#[utoipa::path(post, path = "/api/v1/membership-requests/{id}/refuse", tag = "organizations",
    params(("id" = i64, Path, minimum = 1, description = "Membership request id")),
    responses((status = 200, body = MembershipRequestView),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already decided")))]
pub async fn refuse_membership(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<MembershipRequestView>, AppError> {
    let decided = s
        .app
        .decide_membership(&viewer.require()?, id, false)
        .await?;
    Ok(axum::Json(decided.into()))
}
