//! Who is asking: an API token (`Authorization: Bearer …`), a session cookie,
//! or nobody. Cookie-authenticated writes must carry the session's CSRF token
//! in `X-CSRF-Token`; token-authenticated requests are not exposed to CSRF.

use crate::error::AppError;
use crate::server::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
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

/// The session cookie: HTTP-only, same-site lax, for the whole site, and
/// Secure over HTTPS. An empty secret with a zero lifetime ends the session.
pub fn session_cookie(secret: String, lifetime: chrono::Duration, secure: bool) -> Cookie<'static> {
    // A negative lifetime expires the cookie at once, like zero.
    let max_age = lifetime.to_std().unwrap_or_default();
    Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        // std's Duration converts to the cookie crate's `time::Duration`;
        // chrono's durations (at most i64::MAX s) always fit.
        .max_age(max_age.try_into().expect("a session lifetime fits"))
        .build()
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

/// Who sent the request — an API token's or a live session's user, or
/// nobody — without the CSRF check of writes: pages check their forms' own
/// token (see `web::form`). A token that is not live is refused.
pub(crate) async fn principal(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<Principal>, AppError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(AppError::Unauthenticated)?;
        let principal = state.app.principal_by_token(token).await?;
        return principal.map(Some).ok_or(AppError::Unauthenticated);
    }
    let jar = CookieJar::from_headers(&parts.headers);
    let Some(secret) = jar.get(SESSION_COOKIE).map(Cookie::value) else {
        return Ok(None);
    };
    Ok(state
        .app
        .principal_by_session(secret, state.sessions.idle)
        .await?)
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Viewer, AppError> {
    let principal = principal(parts, state).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn attributes(cookie: &Cookie<'_>) -> Vec<String> {
        let mut parts: Vec<String> = cookie.to_string().split("; ").map(String::from).collect();
        parts.sort();
        parts
    }

    #[test]
    fn the_session_cookie_keeps_its_attributes() {
        let week = chrono::Duration::days(7);
        let plain = session_cookie("ab12".into(), week, false);
        assert_eq!(
            attributes(&plain),
            [
                "HttpOnly",
                "Max-Age=604800",
                "Path=/",
                "SameSite=Lax",
                "qiao_session=ab12"
            ]
        );
        let secure = session_cookie("ab12".into(), week, true);
        assert!(attributes(&secure).contains(&"Secure".to_string()));
        let ended = session_cookie(String::new(), chrono::Duration::zero(), false);
        assert_eq!(
            attributes(&ended),
            [
                "HttpOnly",
                "Max-Age=0",
                "Path=/",
                "SameSite=Lax",
                "qiao_session="
            ]
        );
    }

    #[test]
    fn the_session_is_read_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("lang=zh;  qiao_session=ab12 ; x=1"),
        );
        let jar = CookieJar::from_headers(&headers);
        assert_eq!(jar.get(SESSION_COOKIE).map(Cookie::value), Some("ab12"));
        assert!(
            CookieJar::from_headers(&HeaderMap::new())
                .get(SESSION_COOKIE)
                .is_none()
        );
    }
}
