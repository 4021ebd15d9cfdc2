//! Forms posted by pages, with or without JavaScript: the
//! [`Form`] extractor reads an `application/x-www-form-urlencoded` body
//! whose hidden `csrf` field (or, from htmx, `X-CSRF-Token` header) equals
//! the visitor's token — the session's, or the `qiao_csrf` cookie before
//! sign-in — and answers the 403 problem page otherwise.

use super::page::Page;
use crate::auth::CSRF_HEADER;
use crate::server::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A submitted form that passed the CSRF check, with the page it came from.
/// Form structs should be `#[serde(default)]` so that a missing field is
/// a field error of the form, not a bad request.
pub struct Form<T> {
    pub page: Page,
    pub data: T,
}

#[derive(Default, Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

fn is_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The token a form sent: the htmx header, else the hidden field (sent twice counts as not sent).
fn sent_token(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    if let Some(v) = headers.get(CSRF_HEADER) {
        return v.to_str().ok().map(str::to_string);
    }
    serde_urlencoded::from_bytes::<CsrfField>(body)
        .ok()
        .and_then(|f| f.csrf)
}

impl<T: DeserializeOwned> FromRequest<AppState> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let page = Page::from_request_parts(&mut parts, state).await?;
        if !is_urlencoded(&parts.headers) {
            return Err(page.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
        let headers = parts.headers.clone();
        let bytes = match Bytes::from_request(Request::from_parts(parts, body), state).await {
            Ok(b) => b,
            Err(rejection) => return Err(page.problem(rejection.into_response().status())),
        };
        if !page.csrf_matches(sent_token(&headers, &bytes).as_deref()) {
            return Err(page.problem_with(StatusCode::FORBIDDEN, Some("problem.csrf.detail")));
        }
        match serde_urlencoded::from_bytes(&bytes) {
            Ok(data) => Ok(Form { page, data }),
            Err(_) => Err(page.problem(StatusCode::BAD_REQUEST)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn only_urlencoded_bodies_are_forms() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(v));
            is_urlencoded(&h)
        };
        assert!(with("application/x-www-form-urlencoded"));
        assert!(with("application/x-www-form-urlencoded; charset=UTF-8"));
        assert!(!with("application/json"));
        assert!(!with("multipart/form-data; boundary=x"));
        assert!(!is_urlencoded(&HeaderMap::new()));
    }

    #[test]
    fn the_token_comes_from_the_header_or_the_field() {
        let none = HeaderMap::new();
        assert_eq!(
            sent_token(&none, b"email=a%40b.cn&csrf=abc123"),
            Some("abc123".into())
        );
        assert_eq!(sent_token(&none, b"email=a%40b.cn"), None);
        assert_eq!(sent_token(&none, b"csrf=a&csrf=b"), None, "sent twice");
        let mut htmx = HeaderMap::new();
        htmx.insert(CSRF_HEADER, HeaderValue::from_static("fromheader"));
        assert_eq!(
            sent_token(&htmx, b"csrf=fromfield"),
            Some("fromheader".into())
        );
    }
}
