//! What every page handler starts from: the [`Page`] extractor (viewer,
//! language, CSRF token, current path) and its `render`, `problem` and
//! `error` answers, all in the one layout.

use super::i18n::Lang;
use super::redirect::{query, see_other};
use super::templates;
use crate::auth::{self, is_https};
use crate::error::AppError;
use crate::server::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use minijinja::value::merge_maps;
use minijinja::{Value, context};
use qiao_app::{AuthMethod, Principal};
use qiao_core::vocab::Vocabulary;

/// The double-submit cookie of visitors without a session (see [`Page::csrf`]).
pub const CSRF_COOKIE: &str = "qiao_csrf";

/// A page request: who asks (through an API token or the session cookie,
/// without the API's header check — page forms carry their token in a
/// field, checked by `web::form::Form`), in which language, from where.
pub struct Page {
    pub viewer: qiao_app::Viewer,
    pub lang: Lang,
    /// The value of every form's hidden `csrf` field: the session's CSRF
    /// token, or for visitors without a session a random token also set as
    /// the `qiao_csrf` cookie (double submit).
    pub csrf: String,
    /// The request's path and query (`/search?q=…`), for `back` and `next`.
    pub path: String,
    /// What a submitted token must equal; `None` when the visitor sent no
    /// `qiao_csrf` cookie, so no form can pass.
    expected_csrf: Option<String>,
    /// A `qiao_csrf` cookie to set with the answer.
    new_cookie: bool,
    https: bool,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::of_request(&parts.headers);
        let path = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        let https = is_https(&parts.headers);
        match auth::principal(parts, state).await {
            Ok(principal) => Ok(Page::new(principal, lang, path, https, &parts.headers)),
            // An API token that is not live, or the database down: the
            // problem page (never the sign-in page, which would fail alike).
            Err(e) => {
                let page = Page::new(None, lang, path, https, &parts.headers);
                Err(page.problem_of(e))
            }
        }
    }
}

fn usable_token(value: &str) -> bool {
    (16..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Page {
    fn new(
        principal: Option<Principal>,
        lang: Lang,
        path: String,
        https: bool,
        headers: &axum::http::HeaderMap,
    ) -> Self {
        let session_csrf = match &principal {
            Some(Principal {
                method: AuthMethod::Session { csrf, .. },
                ..
            }) => Some(csrf.clone()),
            _ => None,
        };
        let cookie = CookieJar::from_headers(headers)
            .get(CSRF_COOKIE)
            .map(|c| c.value().to_string())
            .filter(|v| usable_token(v));
        let (csrf, expected_csrf, new_cookie) = match (session_csrf, cookie) {
            (Some(token), _) => (token.clone(), Some(token), false),
            (None, Some(token)) => (token.clone(), Some(token), false),
            (None, None) => (qiao_app::credentials::random_hex(16), None, true),
        };
        Page {
            viewer: qiao_app::Viewer(principal),
            lang,
            csrf,
            path,
            expected_csrf,
            new_cookie,
            https,
        }
    }

    /// The signed-in user, if any.
    pub fn principal(&self) -> Option<&Principal> {
        self.viewer.principal()
    }

    /// Whether a submitted token is the one this visitor's forms carry (constant time).
    pub fn csrf_matches(&self, sent: Option<&str>) -> bool {
        match (&self.expected_csrf, sent) {
            (Some(expected), Some(sent)) => same(expected.as_bytes(), sent.as_bytes()),
            _ => false,
        }
    }

    /// A catalogue string in the page's language.
    pub fn text<'a>(&self, key: &'a str) -> &'a str {
        self.lang.text(key)
    }

    /// `/login?next=<this page>` (just `/login` from the sign-in and registration pages).
    pub fn login_url(&self) -> String {
        if self.path.starts_with("/login") || self.path.starts_with("/register") {
            "/login".to_string()
        } else {
            format!("/login?{}", query(&[("next", &self.path)]))
        }
    }

    /// What the layout needs; a page's own context comes first and may shadow it.
    fn globals(&self) -> Value {
        let user = self.principal().map(|p| {
            context! {
                email => p.email,
                role => p.role.code(),
                staff => p.is_staff(),
            }
        });
        let other = self.lang.other();
        context! {
            lang => self.lang.code(),
            html_lang => self.lang.html(),
            other_html_lang => other.html(),
            csrf => self.csrf,
            path => self.path,
            user,
            lang_switch => format!("/lang?{}", query(&[("to", other.code()), ("back", &self.path)])),
            login_url => self.login_url(),
        }
    }

    /// The template with the page's context, answered with 200.
    pub fn render(&self, template: &str, ctx: Value) -> Response {
        self.render_status(StatusCode::OK, template, ctx)
    }

    /// The template with the page's context, answered with `status`.
    pub fn render_status(&self, status: StatusCode, template: &str, ctx: Value) -> Response {
        match templates::render(template, merge_maps([ctx, self.globals()])) {
            Ok(html) => self.finish((status, Html(html)).into_response()),
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), template, "template failed");
                let title = self.text("problem.500.title").to_string();
                let mut r = (StatusCode::INTERNAL_SERVER_ERROR, title).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                r
            }
        }
    }

    /// The headers of every page: not cached by others, varying with the
    /// language and session cookies, and the double-submit cookie if new.
    fn finish(&self, mut response: Response) -> Response {
        let h = response.headers_mut();
        let cache = if self.principal().is_some() {
            "private, no-store"
        } else {
            "no-cache"
        };
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        h.insert(header::VARY, HeaderValue::from_static("Cookie"));
        if self.new_cookie {
            let cookie = Cookie::build((CSRF_COOKIE, self.csrf.clone()))
                .path("/")
                .http_only(true)
                .same_site(SameSite::Lax)
                .secure(self.https)
                .build();
            if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
                h.append(header::SET_COOKIE, v);
            }
        }
        response
    }

    /// The problem page for a status (404, 403, …) in the layout.
    pub fn problem(&self, status: StatusCode) -> Response {
        self.problem_with(status, None)
    }

    /// The problem page with a detail of its own (a catalogue key).
    pub fn problem_with(&self, status: StatusCode, detail_key: Option<&str>) -> Response {
        let code = match status.as_u16() {
            c @ (400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 429 | 500 | 503) => c,
            c if c >= 500 => 500,
            _ => 400,
        };
        let title = self.text(&format!("problem.{code}.title")).to_string();
        let detail = match detail_key {
            Some(key) => self.text(key).to_string(),
            None => self.text(&format!("problem.{code}.detail")).to_string(),
        };
        let sign_in = matches!(code, 401 | 403) && self.principal().is_none();
        let ctx = context! { status => status.as_u16(), title, detail, sign_in };
        self.render_status(status, "problem.html", ctx)
    }

    /// The answer to a failed request: the problem page of its status
    /// (hidden records are 404, as in the API), or the sign-in page when a
    /// page needs a user and there is none.
    pub fn error(&self, e: impl Into<AppError>) -> Response {
        let e = e.into();
        if matches!(e, AppError::Unauthenticated) && self.principal().is_none() {
            return see_other(&self.login_url());
        }
        self.problem_of(e)
    }

    /// The problem page of an error's status; internal causes are logged, never shown.
    fn problem_of(&self, e: AppError) -> Response {
        match &e {
            AppError::Internal(cause) => tracing::error!(error = %cause, "page failed"),
            AppError::Unavailable(cause) => tracing::warn!(error = %cause, "page unavailable"),
            _ => {}
        }
        let detail = matches!(e, AppError::Csrf).then_some("problem.csrf.detail");
        self.problem_with(e.problem().status, detail)
    }
}

/// Equal bytes, compared in time that does not depend on where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    fn visitor(cookie: Option<&str>) -> Page {
        let mut headers = HeaderMap::new();
        if let Some(c) = cookie {
            headers.insert(header::COOKIE, HeaderValue::from_str(c).unwrap());
        }
        Page::new(None, Lang::Zh, "/login".into(), false, &headers)
    }

    fn session(csrf: &str) -> Page {
        let principal = Principal {
            id: 1,
            email: "a@example.com".into(),
            role: qiao_core::vocab::Role::Enterprise,
            org_id: Some(3),
            org_admin: false,
            method: AuthMethod::Session {
                digest: "d".into(),
                csrf: csrf.into(),
            },
        };
        let headers = HeaderMap::new();
        Page::new(Some(principal), Lang::Zh, "/me".into(), false, &headers)
    }

    #[test]
    fn a_session_form_must_carry_the_session_token() {
        let page = session("0123456789abcdef0123456789abcdef");
        assert_eq!(page.csrf, "0123456789abcdef0123456789abcdef");
        assert!(page.csrf_matches(Some("0123456789abcdef0123456789abcdef")));
        assert!(!page.csrf_matches(Some("0123456789abcdef0123456789abcdee")));
        assert!(!page.csrf_matches(Some("")));
        assert!(!page.csrf_matches(None));
        assert!(!page.new_cookie);
    }

    #[test]
    fn visitors_double_submit_their_cookie() {
        let fresh = visitor(None);
        assert!(fresh.new_cookie);
        assert_eq!(fresh.csrf.len(), 32);
        // No cookie came with the request: nothing can match, not even the new token.
        assert!(!fresh.csrf_matches(Some(&fresh.csrf.clone())));

        let back = visitor(Some("qiao_csrf=00112233445566778899aabbccddeeff"));
        assert!(!back.new_cookie);
        assert_eq!(back.csrf, "00112233445566778899aabbccddeeff");
        assert!(back.csrf_matches(Some("00112233445566778899aabbccddeeff")));
        assert!(!back.csrf_matches(Some("00112233445566778899aabbccddeefe")));

        // A cookie that is not one of ours is replaced.
        let odd = visitor(Some("qiao_csrf=<script>"));
        assert!(odd.new_cookie);
        assert!(!odd.csrf_matches(Some("<script>")));
    }

    #[test]
    fn equal_bytes_only() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"abcd"));
        assert!(same(b"", b""));
    }

    #[test]
    fn sign_in_links_come_back_here() {
        let page = session("0123456789abcdef0123456789abcdef");
        assert_eq!(page.login_url(), "/login?next=%2Fme");
        assert_eq!(visitor(None).login_url(), "/login");
    }
}
