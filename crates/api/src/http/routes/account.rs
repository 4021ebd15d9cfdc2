//! Accounts: registration, login and logout with a session cookie, the
//! current user, password change and personal API tokens.

use super::users::{create_account, user_json};
use crate::credentials;
use crate::http::auth::{AuthMethod, ClientIp, SESSION_COOKIE, Viewer, is_https};
use crate::http::error::{AppError, ProblemDoc};
use crate::http::extract::{Json, Path};
use crate::server::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qiao_core::record::FieldError;
use qiao_core::vocab::Role;
use qiao_store::audit::Actor;
use qiao_store::users::UserChange;
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Instant;
use utoipa::ToSchema;

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn invalid(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    pub email: String,
    /// At least 10 characters, not one of the most common passwords.
    pub password: String,
    /// `enterprise` or `university`.
    pub role: String,
    /// The organization to join or create (new ones await staff approval).
    pub org_name: String,
    pub display_name: Option<String>,
}

/// Self-registration of an enterprise or university user.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = super::users::UserDoc), (status = 409, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn register(
    State(s): State<AppState>,
    Json(body): Json<RegisterBody>,
) -> Result<impl IntoResponse, AppError> {
    let role = body.role.parse::<Role>().map_err(|e| invalid("role", e))?;
    if !role.needs_organization() {
        return Err(invalid(
            "role",
            "self-registration is for enterprise and university users",
        ));
    }
    let actor = Actor::system(&format!("register:{}", body.email.trim().to_lowercase()));
    let id = create_account(
        &s,
        &body.email,
        &body.password,
        role,
        Some(&body.org_name),
        body.display_name.as_deref(),
        actor,
    )
    .await?;
    let user = s.store.user_by_id(id).await?.ok_or(AppError::NotFound)?;
    Ok((StatusCode::CREATED, axum::Json(user_json(&user))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

/// The signed-in user and, for a web session, the CSRF token to send with writes.
#[derive(serde::Serialize, ToSchema)]
pub struct SessionDoc {
    pub user: super::users::UserDoc,
    pub csrf_token: Option<String>,
}

fn session_cookie(value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .expect("cookie is ASCII")
}

/// Log in with e-mail and password; sets an HTTP-only session cookie. Repeated failures are throttled per account and per address.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = SessionDoc), (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 429, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<LoginBody>,
) -> Result<Response, AppError> {
    let account = body.email.trim().to_lowercase();
    s.login_limiter
        .check(ip, &account, Instant::now())
        .map_err(AppError::TooManyAttempts)?;
    let user = s.store.user_by_email(&account).await.ok().flatten();
    // Verify against a real hash even for unknown accounts, so timing does not reveal which exist.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| s.dummy_hash.clone());
    let password = body.password.clone();
    let ok = tokio::task::spawn_blocking(move || credentials::verify_password(&password, &hash))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|u| ok && !u.disabled) else {
        s.login_limiter.record_failure(ip, &account, Instant::now());
        return Err(AppError::BadCredentials);
    };
    s.login_limiter.record_success(ip, &account);
    let secret = random_hex(32);
    let csrf = random_hex(16);
    s.store
        .create_session(
            &credentials::token_digest(&secret),
            user.id,
            &csrf,
            s.sessions.absolute,
        )
        .await?;
    s.store.record_login(user.id).await?;
    let mut response =
        axum::Json(json!({"user": user_json(&user), "csrf_token": csrf})).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(
            &secret,
            s.sessions.absolute.num_seconds(),
            is_https(&headers),
        ),
    );
    Ok(response)
}

/// End the web session (send the CSRF token).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn logout(
    State(s): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let who = viewer.require()?;
    if let AuthMethod::Session { digest, .. } = &who.method {
        s.store.delete_session(digest).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie("", 0, is_https(&headers)),
    );
    Ok(response)
}

/// The current user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = SessionDoc), (status = 401, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn me(State(s): State<AppState>, viewer: Viewer) -> Result<axum::Json<Value>, AppError> {
    let who = viewer.require()?;
    let user = s
        .store
        .user_by_id(who.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let csrf = match &who.method {
        AuthMethod::Session { csrf, .. } => Some(csrf.clone()),
        AuthMethod::Token => None,
    };
    Ok(axum::Json(
        json!({"user": user_json(&user), "csrf_token": csrf}),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
    pub new_password: String,
}

/// Change one's password.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordBody,
    responses((status = 204), (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn change_password(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<PasswordBody>,
) -> Result<StatusCode, AppError> {
    let who = viewer.require()?;
    let user = s
        .store
        .user_by_id(who.id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    credentials::check_password(&body.new_password).map_err(|e| invalid("new_password", e))?;
    let (current, stored, new) = (body.current_password, user.password_hash, body.new_password);
    let hash = tokio::task::spawn_blocking(move || {
        if credentials::verify_password(&current, &stored) {
            credentials::hash_password(&new).map(Some)
        } else {
            Ok(None)
        }
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)?
    .ok_or_else(|| invalid("current_password", "is not the current password"))?;
    let change = UserChange {
        password_hash: Some(hash),
        action: "change_password",
        ..Default::default()
    };
    s.store.update_user(who.id, change, &who.actor()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    /// What the token is for, e.g. "ERP 对接".
    pub name: String,
}

/// An API token; `token` is present only in the answer that creates it.
#[derive(serde::Serialize, ToSchema)]
pub struct TokenDoc {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub token: Option<String>,
}

/// Create an API token for `Authorization: Bearer …`; it is shown once.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenBody,
    responses((status = 201, body = TokenDoc), (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_token(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<TokenBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "must have 1 to 100 characters"));
    }
    let (token, digest, prefix) = credentials::new_api_token();
    let id = s
        .store
        .create_api_token(who.id, name, &digest, &prefix, &who.actor())
        .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(
            json!({"id": id, "name": name, "prefix": prefix, "token": token, "created_at": chrono::Utc::now().to_rfc3339()}),
        ),
    ))
}

/// The caller's API tokens (without the secret).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenDoc>), (status = 401, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_tokens(
    State(s): State<AppState>,
    viewer: Viewer,
) -> Result<axum::Json<Value>, AppError> {
    let who = viewer.require()?;
    let tokens = s.store.list_api_tokens(who.id).await?;
    Ok(axum::Json(json!(tokens
        .iter()
        .map(|t| json!({"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at.to_rfc3339(),
            "last_used_at": t.last_used_at.map(|x| x.to_rfc3339()), "revoked_at": t.revoked_at.map(|x| x.to_rfc3339())}))
        .collect::<Vec<_>>())))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth", params(("id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn revoke_token(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let who = viewer.require()?;
    if s.store.revoke_api_token(who.id, id, &who.actor()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}
