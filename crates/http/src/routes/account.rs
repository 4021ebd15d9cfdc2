//! Accounts: registration, login and logout with a session cookie, the
//! current user, password change and personal API tokens.

use super::users::parse_role;
use crate::auth::{Viewer, is_https, session_cookie};
use crate::client_ip::ClientIp;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path};
use crate::schema;
use crate::server::AppState;
use crate::views::{SessionDoc, TokenDoc, UserDoc};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::CookieJar;
use qiao_app::AuthMethod;
use qiao_app::accounts::AccountInput;
use serde::Deserialize;
use std::time::Instant;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    #[schema(schema_with = schema::email)]
    pub email: String,
    #[schema(schema_with = schema::new_password)]
    pub password: String,
    #[schema(schema_with = schema::registrable_role)]
    pub role: String,
    /// The organization to join or create (new ones await staff approval).
    #[schema(schema_with = schema::org_name)]
    pub org_name: String,
    #[schema(schema_with = schema::new_display_name)]
    pub display_name: Option<String>,
}

/// Self-registration of an enterprise or university user.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody,
    responses((status = 201, body = UserDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the e-mail is taken, or the organization named is of a kind the user cannot belong to"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 503, body = ProblemDoc, content_type = "application/problem+json", description = "too many password checks at once; try again shortly")))]
pub async fn register(
    State(s): State<AppState>,
    Json(body): Json<RegisterBody>,
) -> Result<(StatusCode, axum::Json<UserDoc>), AppError> {
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
    Ok((StatusCode::CREATED, axum::Json(user.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

/// Log in with e-mail and password; sets an HTTP-only session cookie. Repeated failures are throttled per account and per address.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, body = SessionDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "a wrong e-mail or password"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 429, body = ProblemDoc, content_type = "application/problem+json", description = "too many failures; see Retry-After"),
        (status = 503, body = ProblemDoc, content_type = "application/problem+json", description = "too many password checks at once; try again shortly")))]
pub async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(body): Json<LoginBody>,
) -> Result<(CookieJar, axum::Json<SessionDoc>), AppError> {
    let account = body.email.trim().to_lowercase();
    // Counted before the password is checked, so concurrent guesses are throttled too.
    s.login_limiter
        .attempt(ip, &account, Instant::now())
        .map_err(AppError::TooManyAttempts)?;
    let session = s
        .app
        .sign_in(&account, &body.password, &s.dummy_hash, s.sessions.absolute)
        .await?;
    let Some(session) = session else {
        return Err(AppError::BadCredentials);
    };
    s.login_limiter.record_success(ip, &account);
    let (user, secret, csrf) = (session.account, session.secret, session.csrf);
    let cookie = session_cookie(secret, s.sessions.absolute, is_https(&headers));
    let session = SessionDoc {
        user: user.into(),
        csrf_token: Some(csrf),
    };
    Ok((CookieJar::new().add(cookie), axum::Json(session)))
}

/// End the web session (send the CSRF token).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "a missing CSRF token")))]
pub async fn logout(
    State(s): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<(CookieJar, StatusCode), AppError> {
    s.app.sign_out(&viewer.require()?).await?;
    // The same cookie, emptied and expired at once.
    let ended = session_cookie(String::new(), chrono::Duration::zero(), is_https(&headers));
    Ok((CookieJar::new().add(ended), StatusCode::NO_CONTENT))
}

/// The current user.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses((status = 200, body = SessionDoc), (status = 401, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn me(
    State(s): State<AppState>,
    viewer: Viewer,
) -> Result<axum::Json<SessionDoc>, AppError> {
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
    Ok(axum::Json(SessionDoc {
        user: user.into(),
        csrf_token: csrf,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
    #[schema(schema_with = schema::new_password)]
    pub new_password: String,
}

/// Change one's password.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", request_body = PasswordBody,
    responses((status = 204),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "a missing CSRF token"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a wrong current password, or a weak new one"),
        (status = 503, body = ProblemDoc, content_type = "application/problem+json", description = "too many password checks at once; try again shortly")))]
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
    #[schema(schema_with = schema::short_name)]
    pub name: String,
}

/// Create an API token for `Authorization: Bearer …`; it is shown once.
#[utoipa::path(post, path = "/api/v1/auth/tokens", tag = "auth", request_body = TokenBody,
    responses((status = 201, body = TokenDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "a missing CSRF token"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_token(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<TokenBody>,
) -> Result<(StatusCode, axum::Json<TokenDoc>), AppError> {
    let created = s.app.create_token(&viewer.require()?, &body.name).await?;
    let doc = TokenDoc {
        token: Some(created.secret),
        ..TokenDoc::listed(created.token)
    };
    Ok((StatusCode::CREATED, axum::Json(doc)))
}

/// The caller's API tokens (without the secret).
#[utoipa::path(get, path = "/api/v1/auth/tokens", tag = "auth",
    responses((status = 200, body = Vec<TokenDoc>), (status = 401, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_tokens(
    State(s): State<AppState>,
    viewer: Viewer,
) -> Result<axum::Json<Vec<TokenDoc>>, AppError> {
    let tokens = s.app.tokens(&viewer.require()?).await?;
    Ok(axum::Json(
        tokens.into_iter().map(TokenDoc::listed).collect(),
    ))
}

/// Revoke one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/auth/tokens/{id}", tag = "auth", params(("id" = i64, Path, minimum = 1, description = "Token id")),
    responses((status = 204),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn revoke_token(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    s.app.revoke_token(&viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
