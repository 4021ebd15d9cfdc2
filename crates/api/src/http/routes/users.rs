//! User accounts: admins manage them, staff may disable one.

use super::docs::PageDoc;
use crate::credentials;
use crate::http::auth::Viewer;
use crate::http::error::{AppError, ProblemDoc};
use crate::http::extract::{Json, Path, Query};
use crate::http::policy::{Action, Resource, authorize};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qiao_core::record::FieldError;
use qiao_core::vocab::Role;
use qiao_store::entities::user;
use qiao_store::users::{NewUser, UserChange};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

pub fn user_json(u: &user::Model) -> Value {
    json!({
        "id": u.id, "email": u.email, "display_name": u.display_name, "role": u.role,
        "org_id": u.org_id, "disabled": u.disabled, "created_at": u.created_at.to_rfc3339(),
        "last_login_at": u.last_login_at.map(|t| t.to_rfc3339()),
    })
}

/// A user account.
#[derive(serde::Serialize, ToSchema)]
pub struct UserDoc {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// `enterprise`, `university`, `staff` or `admin`.
    pub role: String,
    pub org_id: Option<i64>,
    pub disabled: bool,
    pub created_at: String,
    pub last_login_at: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Page size, 1–100 (default 20).
    pub limit: Option<u64>,
    /// Items to skip.
    pub offset: Option<u64>,
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// List users (admins and staff).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(UserListParams),
    responses((status = 200, body = PageDoc), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_users(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<UserListParams>,
) -> Result<axum::Json<Value>, AppError> {
    let who = viewer.require()?;
    if !who.is_staff() {
        return Err(AppError::Forbidden);
    }
    let limit = p.limit.unwrap_or(20);
    if !(1..=super::MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 100"));
    }
    let offset = p.offset.unwrap_or(0);
    let (users, total) = s.store.list_users(limit, offset).await?;
    Ok(axum::Json(
        json!({"total": total, "limit": limit, "offset": offset, "items": users.iter().map(user_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub email: String,
    pub password: String,
    pub role: String,
    /// Name of the user's organization (enterprise and university users); created pending if new.
    pub org_name: Option<String>,
    pub display_name: Option<String>,
}

/// Create a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserDoc), (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_user(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<NewUserBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    authorize(&who, Resource::User { id: 0 }, Action::Create)?;
    let role = body.role.parse::<Role>().map_err(|e| invalid("role", e))?;
    let created = create_account(
        &s,
        &body.email,
        &body.password,
        role,
        body.org_name.as_deref(),
        body.display_name.as_deref(),
        who.actor(),
    )
    .await?;
    let user = s
        .store
        .user_by_id(created)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, axum::Json(user_json(&user))))
}

/// Shared by admin creation and self-registration: checks and hashes the password off the async threads.
pub async fn create_account(
    s: &AppState,
    email: &str,
    password: &str,
    role: Role,
    org_name: Option<&str>,
    display_name: Option<&str>,
    actor: qiao_store::audit::Actor,
) -> Result<i64, AppError> {
    qiao_store::users::normalize_email(email).map_err(|e| invalid("email", e.to_string()))?;
    credentials::check_password(password).map_err(|e| invalid("password", e))?;
    if role.needs_organization() && org_name.is_none_or(|n| n.trim().is_empty()) {
        return Err(invalid(
            "org_name",
            "enterprise and university users belong to an organization",
        ));
    }
    if let Some(n) = org_name
        && n.chars().count() > 200
    {
        return Err(invalid("org_name", "is longer than 200 characters"));
    }
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || credentials::hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(AppError::Internal)?;
    let display = display_name
        .map(str::to_string)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_string());
    let org = if role.needs_organization() {
        org_name.map(str::trim)
    } else {
        None
    };
    let created = s
        .store
        .create_user(
            NewUser {
                email,
                display_name: &display,
                role,
                org_name: org,
                password_hash: hash,
            },
            &actor,
        )
        .await?;
    Ok(created.id)
}

/// One user (admins and staff; users may read their own).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    responses((status = 200, body = UserDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_user(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    let who = viewer.require()?;
    if authorize(&who, Resource::User { id }, Action::Read).is_err() {
        return Err(AppError::NotFound);
    }
    let user = s.store.user_by_id(id).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(user_json(&user)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub role: Option<String>,
    pub disabled: Option<bool>,
    pub display_name: Option<String>,
}

/// Change a user: admins anything here, staff only `disabled`. Disabling ends the user's sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")), request_body = UserPatch,
    responses((status = 200, body = UserDoc), (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_user(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(patch): Json<UserPatch>,
) -> Result<axum::Json<Value>, AppError> {
    let who = viewer.require()?;
    let only_disable = patch.role.is_none() && patch.display_name.is_none();
    let action = if only_disable {
        Action::Disable
    } else {
        Action::Update
    };
    authorize(&who, Resource::User { id }, action)?;
    if who.id == id && patch.disabled == Some(true) {
        return Err(invalid("disabled", "you cannot disable your own account"));
    }
    let role = match &patch.role {
        Some(r) => Some(r.parse::<Role>().map_err(|e| invalid("role", e))?),
        None => None,
    };
    if let Some(name) = &patch.display_name
        && (name.trim().is_empty() || name.chars().count() > 100)
    {
        return Err(invalid("display_name", "must have 1 to 100 characters"));
    }
    let change = UserChange {
        role,
        disabled: patch.disabled,
        display_name: patch.display_name.map(|n| n.trim().to_string()),
        password_hash: None,
        action: if only_disable { "disable" } else { "update" },
    };
    let user = s.store.update_user(id, change, &who.actor()).await?;
    Ok(axum::Json(user_json(&user)))
}
