//! Who is asking: an API token (`Authorization: Bearer …`), a session cookie,
//! or nobody. Cookie-authenticated writes must carry the session's CSRF token
//! in `X-CSRF-Token`; token-authenticated requests are not exposed to CSRF.

use crate::error::AppError;
use crate::server::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use qiao_app::{AuthMethod, Principal};

pub const SESSION_COOKIE: &str = "qiao_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The requester, authenticated or not, as an extractor.
#[derive(Debug, Clone)]
pub struct Viewer(pub qiao_app::Viewer);

impl Viewer {
    pub fn require(self) -> Result<Principal, AppError> {
        self.0.0.ok_or(AppError::Unauthenticated)
    }
}

impl std::ops::Deref for Viewer {
    type Target = qiao_app::Viewer;
    fn deref(&self) -> &qiao_app::Viewer {
        &self.0
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(cached) = parts.extensions.get::<Viewer>() {
            return Ok(cached.clone());
        }
        let viewer = resolve(parts, state).await?;
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Viewer, AppError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let principal = state.app.principal_by_token(token).await?;
        return principal
            .map(|p| Viewer(qiao_app::Viewer(Some(p))))
            .ok_or(AppError::Unauthenticated);
    }
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(Viewer(qiao_app::Viewer(None)));
    };
    let principal = state
        .app
        .principal_by_session(secret, state.sessions.idle)
        .await?;
    if let Some(Principal {
        method: AuthMethod::Session { csrf, .. },
        ..
    }) = &principal
        && !is_safe(&parts.method)
    {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(csrf.as_str()) {
            return Err(AppError::Csrf);
        }
    }
    Ok(Viewer(qiao_app::Viewer(principal)))
}

/// Whether the request came over HTTPS (directly or via a proxy that says so), for the cookie's Secure flag.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}
