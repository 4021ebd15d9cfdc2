//! User accounts: admins manage them, staff may disable one.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query};
use crate::schema;
use crate::server::AppState;
use crate::views::{UserDoc, UserPage};
use axum::extract::State;
use axum::http::StatusCode;
use qiao_app::accounts::AccountInput;
use qiao_core::record::FieldError;
use qiao_core::vocab::Role;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn parse_role(role: &str) -> Result<Role, AppError> {
    role.parse::<Role>().map_err(|e| invalid("role", e))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UserListParams {
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip.
    #[param(maximum = 9223372036854775807_u64)]
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
    responses((status = 200, body = UserPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a value out of range")))]
pub async fn list_users(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<UserListParams>,
) -> Result<axum::Json<UserPage>, AppError> {
    let who = viewer.require()?;
    let limit = p.limit.unwrap_or(20);
    if !(1..=super::MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 100"));
    }
    let offset = p.offset.unwrap_or(0);
    if offset > qiao_app::limits::MAX_OFFSET {
        return Err(invalid(
            "offset",
            format!("must be at most {}", qiao_app::limits::MAX_OFFSET),
        ));
    }
    let (users, total) = s.app.users(&who, limit, offset).await?;
    Ok(axum::Json(UserPage {
        total,
        limit,
        offset,
        items: users.into_iter().map(UserDoc::from).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    pub email: String,
    pub password: String,
    pub role: String,
    /// Name of the user's organization (enterprise and university users); created pending if new.
    pub org_name: Option<String>,
    pub display_name: Option<String>,
}

/// Enterprise and university users name their organization; staff and admins belong to none.
impl schema::Json for NewUserBody {
    fn json() -> serde_json::Value {
        let user = |roles: &[&str], org_name: serde_json::Value| {
            let mut required = vec!["email", "password", "role"];
            if org_name["type"] == "string" {
                required.push("org_name");
            }
            serde_json::json!({
                "type": "object",
                "additionalProperties": false,
                "required": required,
                "properties": {
                    "email": schema::email(),
                    "password": schema::new_password(),
                    "role": {"type": "string", "enum": roles},
                    "org_name": org_name,
                    "display_name": schema::new_display_name(),
                },
            })
        };
        serde_json::json!({
            "description": "A new account: enterprise and university users name their organization (created pending if new).",
            "oneOf": [
                user(&["enterprise", "university"], serde_json::to_value(schema::org_name()).unwrap_or_default()),
                user(&["staff", "admin"], serde_json::json!({"type": ["string", "null"], "maxLength": 200})),
            ],
        })
    }
}
schema::as_schema!(NewUserBody);

/// Create a user (admins).
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUserBody,
    responses((status = 201, body = UserDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not an admin, or a missing CSRF token"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the e-mail is taken, or the organization named is of a kind the user cannot belong to"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, body = ProblemDoc, content_type = "application/problem+json", description = "too many password checks at once; try again shortly")))]
pub async fn create_user(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<NewUserBody>,
) -> Result<(StatusCode, axum::Json<UserDoc>), AppError> {
    let who = viewer.require()?;
    let user = s
        .app
        .create_user(
            &who,
            AccountInput {
                email: &body.email,
                password: &body.password,
                role: parse_role(&body.role)?,
                org_name: body.org_name.as_deref(),
                display_name: body.display_name.as_deref(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(user.into())))
}

/// One user (admins and staff; users may read their own).
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, minimum = 1, description = "User id")),
    responses((status = 200, body = UserDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_user(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<UserDoc>, AppError> {
    let user = s.app.user(&viewer.require()?, id).await?;
    Ok(axum::Json(user.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(schema_with = schema::code_or_null::<Role>)]
    pub role: Option<String>,
    pub disabled: Option<bool>,
    #[schema(schema_with = schema::display_name_or_null)]
    pub display_name: Option<String>,
}

/// Change a user: admins anything here, staff only `disabled`. Disabling ends the user's sessions.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, minimum = 1, description = "User id")), request_body = UserPatch,
    responses((status = 200, body = UserDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not allowed, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_user(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(patch): Json<UserPatch>,
) -> Result<axum::Json<UserDoc>, AppError> {
    let who = viewer.require()?;
    let role = match &patch.role {
        Some(r) => Some(parse_role(r)?),
        None => None,
    };
    let user = s
        .app
        .update_user(&who, id, role, patch.disabled, patch.display_name)
        .await?;
    Ok(axum::Json(user.into()))
}
