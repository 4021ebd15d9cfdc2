//! Accounts: registration, login and logout with a session cookie, the
//! current user, password change and personal API tokens.

use super::users::{parse_role, user_json};
use crate::auth::{SESSION_COOKIE, Viewer, is_https};
use crate::client_ip::ClientIp;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path};
use crate::server::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qiao_app::AuthMethod;
use qiao_app::accounts::{AccountInput, Token};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Instant;
use utoipa::ToSchema;

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
    let user = s
        .app
        .register(AccountInput {
            email: &body.email,
            password: &body.password,
            role: parse_role(&body.role)?,
            org_name: Some(&body.org_name),
            display_name: body.display_name.as_deref(),
        })
        .await?;
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
    let session = s
        .app
        .sign_in(&account, &body.password, &s.dummy_hash, s.sessions.absolute)
        .await?;
    let Some(session) = session else {
        s.login_limiter.record_failure(ip, &account, Instant::now());
        return Err(AppError::BadCredentials);
    };
    s.login_limiter.record_success(ip, &account);
    let (user, secret, csrf) = (session.account, session.secret, session.csrf);
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
    s.app.sign_out(&viewer.require()?).await?;
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
        .app
        .account(who.id)
        .await
        .map_err(|_| AppError::Unauthenticated)?;
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
    s.app
        .change_password(&who, &body.current_password, &body.new_password)
        .await?;
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
    let created = s.app.create_token(&viewer.require()?, &body.name).await?;
    let mut doc = token_json(&created.token);
    doc["token"] = json!(created.secret);
    Ok((StatusCode::CREATED, axum::Json(doc)))
}

/// The caller's API tokens (without the secret).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenDoc>), (status = 401, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_tokens(
    State(s): State<AppState>,
    viewer: Viewer,
) -> Result<axum::Json<Value>, AppError> {
    let tokens = s.app.tokens(&viewer.require()?).await?;
    Ok(axum::Json(json!(
        tokens.iter().map(token_json).collect::<Vec<_>>()
    )))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth", params(("id" = i64, Path, description = "Token id")),
    responses((status = 204), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn revoke_token(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    s.app.revoke_token(&viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn token_json(t: &Token) -> Value {
    json!({"id": t.id, "name": t.name, "prefix": t.prefix, "created_at": t.created_at.to_rfc3339(),
        "last_used_at": t.last_used_at.map(|x| x.to_rfc3339()), "revoked_at": t.revoked_at.map(|x| x.to_rfc3339())})
}
