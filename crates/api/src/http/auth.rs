//! Who is asking: an API token (`Authorization: Bearer …`), a session cookie,
//! or nobody. Cookie-authenticated writes must carry the session's CSRF token
//! in `X-CSRF-Token`; token-authenticated requests are not exposed to CSRF.

use super::error::AppError;
use crate::credentials::token_digest;
use crate::server::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use qiao_core::vocab::{Role, Vocabulary};
use qiao_store::audit::Actor;
use qiao_store::entities::user;
use qiao_store::listings::Scope;

pub const SESSION_COOKIE: &str = "qiao_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Debug, Clone)]
pub enum AuthMethod {
    Session { digest: String, csrf: String },
    Token,
}

/// An authenticated user.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub org_id: Option<i64>,
    pub method: AuthMethod,
}

impl Principal {
    fn from_user(u: user::Model, method: AuthMethod) -> Option<Self> {
        if u.disabled {
            return None;
        }
        Some(Self {
            id: u.id,
            email: u.email,
            role: Role::from_code(&u.role)?,
            org_id: u.org_id,
            method,
        })
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.email)
    }

    pub fn scope(&self) -> Scope {
        if self.is_staff() {
            Scope::All
        } else {
            self.org_id.map_or(Scope::Public, Scope::Member)
        }
    }
}

/// The requester, authenticated or not.
#[derive(Debug, Clone)]
pub struct Viewer(pub Option<Principal>);

impl Viewer {
    pub fn scope(&self) -> Scope {
        self.0.as_ref().map_or(Scope::Public, Principal::scope)
    }

    pub fn require(self) -> Result<Principal, AppError> {
        self.0.ok_or(AppError::Unauthenticated)
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
        let user = state.store.user_by_token_hash(&token_digest(token)).await?;
        let principal = user.and_then(|u| Principal::from_user(u, AuthMethod::Token));
        return principal
            .map(|p| Viewer(Some(p)))
            .ok_or(AppError::Unauthenticated);
    }
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(Viewer(None));
    };
    let digest = token_digest(secret);
    let Some((session, user)) = state
        .store
        .touch_session(&digest, state.sessions.idle)
        .await?
    else {
        return Ok(Viewer(None));
    };
    if !is_safe(&parts.method) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if sent != Some(session.csrf_token.as_str()) {
            return Err(AppError::Csrf);
        }
    }
    let method = AuthMethod::Session {
        digest,
        csrf: session.csrf_token,
    };
    Ok(Viewer(Principal::from_user(user, method)))
}

/// Session lifetimes.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    pub idle: chrono::Duration,
    pub absolute: chrono::Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: chrono::Duration::hours(8),
            absolute: chrono::Duration::days(7),
        }
    }
}

/// The client's address as the socket saw it (proxies' headers are not trusted).
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST));
        Ok(ClientIp(ip))
    }
}

/// Whether the request came over HTTPS (directly or via a proxy that says so), for the cookie's Secure flag.
pub fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}
