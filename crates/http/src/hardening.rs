//! The layers every request passes through before it reaches a route:
//! request ids, access logs, security headers, CORS, and limits on
//! concurrency, time and body size. Limits answer with RFC 9457 problem
//! documents, like every other error of the API, instead of a hang or a bare
//! text body.
//!
//! Everything is added with `Router::layer`, so it wraps each route (and the
//! fallback) after routing: the access log can name the route template.

use super::error::wants_chinese;
use axum::Router;
use axum::body::HttpBody;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower_http::LatencyUnit;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Pages and API share one policy: nothing from other origins, no inline
/// script or style, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
     script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

/// The API's documentation page alone: Swagger UI sets inline styles,
/// so only `/api/docs` allows them (scripts stay same-origin files).
pub const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; base-uri 'self'; \
     form-action 'self'";

/// Gives the responses under `/api/docs` their own policy (see [`DOCS_CONTENT_SECURITY_POLICY`]).
pub async fn docs_policy(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut response = next.run(req).await;
    if docs {
        response.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CONTENT_SECURITY_POLICY),
        );
    }
    response
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HardeningConfig {
    /// Largest request body accepted by a route that sets no limit of its own, in bytes.
    pub body_limit: usize,
    /// Absolute ceiling for any body, including routes (file import) that raise
    /// their own limit with `DefaultBodyLimit`.
    pub max_upload: usize,
    /// Time a request may take until its response starts.
    pub request_timeout: Duration,
    /// Requests handled at once; more are refused with 503 rather than queued.
    pub max_concurrent: usize,
    /// Exact origins (`https://host[:port]`) allowed cross-origin, with
    /// credentials. Empty: no CORS headers at all, browsers stay same-origin.
    pub cors_origins: Vec<String>,
}

impl Default for HardeningConfig {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            max_upload: 64 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_concurrent: 512,
            cors_origins: Vec::new(),
        }
    }
}

impl HardeningConfig {
    /// Reads `QIAO_BODY_LIMIT_BYTES`, `QIAO_REQUEST_TIMEOUT_SECS`,
    /// `QIAO_MAX_CONCURRENT` and `QIAO_CORS_ORIGINS` (comma-separated). A
    /// value that does not parse is logged and its default kept, so a typo
    /// cannot switch a limit off.
    pub fn from_env() -> Self {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut config = Self::default();
        if let Some(n) = positive(&get, "QIAO_BODY_LIMIT_BYTES") {
            config.body_limit = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = positive(&get, "QIAO_REQUEST_TIMEOUT_SECS") {
            config.request_timeout = Duration::from_secs(n);
        }
        if let Some(n) = positive(&get, "QIAO_MAX_CONCURRENT") {
            config.max_concurrent = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(list) = get("QIAO_CORS_ORIGINS") {
            for origin in list
                .split(',')
                .map(|o| o.trim().trim_end_matches('/'))
                .filter(|o| !o.is_empty())
            {
                if valid_origin(origin) {
                    config.cors_origins.push(origin.to_string());
                } else {
                    tracing::warn!(
                        origin,
                        "QIAO_CORS_ORIGINS: ignoring what is not an exact http(s) origin"
                    );
                }
            }
        }
        config
    }
}

fn positive(get: &impl Fn(&str) -> Option<String>, key: &str) -> Option<u64> {
    let raw = get(key)?;
    match raw.trim().parse::<u64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            tracing::warn!(key, value = %raw, "not a positive whole number; using the default");
            None
        }
    }
}

/// `http(s)://host[:port]`: no wildcard, no `null`, no path.
fn valid_origin(origin: &str) -> bool {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    rest.is_some_and(|host| {
        !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    })
}

/// Wraps every route of `router` in the hardening layers; see the module docs.
pub fn apply<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    config: &HardeningConfig,
) -> Router<S> {
    let permits = Arc::new(Semaphore::new(
        config.max_concurrent.clamp(1, Semaphore::MAX_PERMITS),
    ));
    // `Router::layer` wraps what is already there, so the innermost layer comes first.
    let router = router
        // Extractors (Json, Form, Bytes) stop reading at the limit…
        .layer(DefaultBodyLimit::max(config.body_limit))
        // …and nothing reads past the ceiling, whatever a route allows;
        // a too-large Content-Length is refused before the handler runs.
        .layer(RequestBodyLimitLayer::new(
            config.max_upload.max(config.body_limit),
        ))
        .layer(middleware::from_fn_with_state(
            config.request_timeout,
            enforce_timeout,
        ))
        // Outside the timeout, so an abandoned request frees its permit.
        .layer(middleware::from_fn_with_state(permits, limit_concurrency))
        // Turns the plain 413/408/503 answers of the layers above and of
        // axum's extractors into problem documents.
        .layer(middleware::from_fn_with_state(
            config.body_limit,
            problem_bodies,
        ));
    // Outside the limits, so refusals carry CORS headers and browsers can read them.
    let router = match cors_layer(&config.cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(make_span)
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        // Outermost: a client's id is kept only if it is short and plain,
        // since it ends up in logs and in the response.
        .layer(middleware::map_request(drop_unusable_request_id))
}

/// An RFC 9457 problem document (`application/problem+json`).
pub fn problem_response(status: StatusCode, type_: &str, title: &str, detail: &str) -> Response {
    let body = crate::error::ProblemDoc {
        kind: type_.into(),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        errors: None,
    };
    let body = serde_json::to_string(&body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response()
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    // Checked again here: `HardeningConfig` may be built without `from_env`,
    // and `AllowOrigin::list` panics on `*`.
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter(|o| valid_origin(o))
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::AUTHORIZATION,
                HeaderName::from_static("x-csrf-token"),
            ])
            .allow_credentials(true)
            .expose_headers([X_REQUEST_ID, header::RETRY_AFTER])
            .max_age(Duration::from_secs(600)),
    )
}

/// One span per request, so every log line of a request carries its id.
/// The query string is left out: it may hold tokens.
fn make_span(req: &Request) -> tracing::Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str());
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", method = %req.method(), route, path = req.uri().path(), request_id)
}

async fn drop_unusable_request_id(mut req: Request) -> Request {
    let usable = |v: &HeaderValue| {
        (1..=128).contains(&v.len())
            && v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    if req.headers().get(&X_REQUEST_ID).is_some_and(|v| !usable(v)) {
        req.headers_mut().remove(&X_REQUEST_ID);
    }
    req
}

async fn enforce_timeout(State(limit): State<Duration>, req: Request, next: Next) -> Response {
    let zh = wants_chinese(req.headers());
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout = ?limit, "request timed out");
            // 503 rather than 408: the server was slow, not the client, and
            // browsers silently resend requests answered with 408.
            let (title, detail) = if zh {
                ("请求超时", format!("请求处理超过 {limit:?}，已中止"))
            } else {
                (
                    "Request timed out",
                    format!("the request took longer than {limit:?} and was abandoned"),
                )
            };
            problem_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "/problems/timeout",
                title,
                &detail,
            )
        }
    }
}

/// Refuses at once when full: queueing would only make every client wait.
async fn limit_concurrency(
    State(permits): State<Arc<Semaphore>>,
    req: Request,
    next: Next,
) -> Response {
    let Ok(_permit) = permits.try_acquire_owned() else {
        tracing::warn!("too many requests in progress; refusing");
        let (title, detail) = if wants_chinese(req.headers()) {
            ("服务器繁忙", "当前请求过多，请稍后再试")
        } else {
            (
                "Server overloaded",
                "too many requests are in progress; try again shortly",
            )
        };
        let mut response = problem_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "/problems/overloaded",
            title,
            detail,
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };
    next.run(req).await
}

/// Rewrites 413 and 408 answers, and empty 503 answers, that are not
/// problem documents yet. A 503 with a body (such as `/readyz` saying the
/// database is down) is left alone.
async fn problem_bodies(State(body_limit): State<usize>, req: Request, next: Next) -> Response {
    let zh = wants_chinese(req.headers());
    let response = next.run(req).await;
    if is_problem(response.headers()) {
        return response;
    }
    let status = response.status();
    let (type_, title, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE if zh => (
            "/problems/payload-too-large",
            "请求体过大",
            format!("请求体超过 {body_limit} 字节的上限"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "/problems/payload-too-large",
            "Payload too large",
            format!("the request body exceeds the limit of {body_limit} bytes"),
        ),
        StatusCode::REQUEST_TIMEOUT if zh => (
            "/problems/timeout",
            "请求超时",
            "请求未能及时完成".to_string(),
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "/problems/timeout",
            "Request timed out",
            "the request did not complete in time".to_string(),
        ),
        StatusCode::SERVICE_UNAVAILABLE if response.body().size_hint().exact() == Some(0) => {
            if zh {
                (
                    "/problems/overloaded",
                    "服务器繁忙",
                    "服务暂时不可用，请稍后再试".to_string(),
                )
            } else {
                (
                    "/problems/overloaded",
                    "Server overloaded",
                    "the service is unavailable; try again shortly".to_string(),
                )
            }
        }
        _ => return response,
    };
    let (mut parts, _) = response.into_parts();
    let (problem_parts, body) = problem_response(status, type_, title, &detail).into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.extend(problem_parts.headers);
    Response::from_parts(parts, body)
}

fn is_problem(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, Bytes};
    use axum::routing::{get, post};
    use tower::ServiceExt;

    fn app(config: &HardeningConfig) -> Router {
        let router = Router::new()
            .route("/ok", get(|| async { "ok" }))
            .route("/needs/{id}", get(|| async { "need" }))
            .route(
                "/echo",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .route(
                "/slow",
                get(|| async { tokio::time::sleep(Duration::from_millis(400)).await }),
            )
            .route(
                "/framed",
                get(|| async {
                    (
                        [(header::CONTENT_SECURITY_POLICY, "default-src 'none'")],
                        "custom",
                    )
                }),
            )
            .route(
                "/down",
                get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "database unreachable") }),
            );
        apply(router, config)
    }

    async fn send(app: &Router, req: axum::http::Request<Body>) -> (Response, serde_json::Value) {
        let response = app.clone().oneshot(req).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (Response::from_parts(parts, Body::empty()), json)
    }

    fn get_req(uri: &str) -> axum::http::Request<Body> {
        axum::http::Request::builder()
            .uri(uri)
            .body(Body::empty())
            .unwrap()
    }

    fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn security_headers_on_every_response_unless_set() {
        let app = app(&HardeningConfig::default());
        for uri in ["/ok", "/nowhere"] {
            let (r, _) = send(&app, get_req(uri)).await;
            assert_eq!(
                header(&r, "content-security-policy"),
                Some(CONTENT_SECURITY_POLICY),
                "{uri}"
            );
            assert_eq!(header(&r, "x-content-type-options"), Some("nosniff"));
            assert_eq!(
                header(&r, "referrer-policy"),
                Some("strict-origin-when-cross-origin")
            );
            assert_eq!(header(&r, "x-frame-options"), Some("DENY"));
            assert_eq!(
                header(&r, "cross-origin-opener-policy"),
                Some("same-origin")
            );
        }
        let (r, _) = send(&app, get_req("/framed")).await;
        assert_eq!(
            header(&r, "content-security-policy"),
            Some("default-src 'none'")
        );
    }

    #[tokio::test]
    async fn request_ids_are_made_kept_or_replaced() {
        let app = app(&HardeningConfig::default());
        let (r, _) = send(&app, get_req("/ok")).await;
        let id = header(&r, "x-request-id").unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));

        let mut req = get_req("/nowhere");
        req.headers_mut()
            .insert("x-request-id", HeaderValue::from_static("abc-123"));
        let (r, _) = send(&app, req).await;
        assert_eq!(header(&r, "x-request-id"), Some("abc-123"));

        let mut req = get_req("/ok");
        req.headers_mut()
            .insert("x-request-id", HeaderValue::from_static("bad id\"<script>"));
        let (r, _) = send(&app, req).await;
        assert_eq!(header(&r, "x-request-id").unwrap().len(), 36);
    }

    #[tokio::test]
    async fn oversize_bodies_get_413_problems() {
        let config = HardeningConfig {
            body_limit: 16,
            ..HardeningConfig::default()
        };
        let app = app(&config);
        // Declared too large: refused before the handler.
        let req = axum::http::Request::post("/echo")
            .header(header::CONTENT_LENGTH, "17")
            .body(Body::from("x".repeat(17)))
            .unwrap();
        let (r, json) = send(&app, req).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(header(&r, "content-type"), Some(PROBLEM_JSON));
        assert_eq!(json["type"], "/problems/payload-too-large");
        assert_eq!(json["title"], "Payload too large");
        assert_eq!(json["status"], 413);
        assert!(json["detail"].as_str().unwrap().contains("16 bytes"));
        assert!(header(&r, "x-request-id").is_some());

        // No length given: the extractor stops at the limit.
        let req = axum::http::Request::post("/echo")
            .body(Body::from("y".repeat(100)))
            .unwrap();
        let (r, json) = send(&app, req).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(header(&r, "content-type"), Some(PROBLEM_JSON));
        assert_eq!(json["type"], "/problems/payload-too-large");

        let req = axum::http::Request::post("/echo")
            .header("accept-language", "zh-CN,zh;q=0.9")
            .body(Body::from("y".repeat(100)))
            .unwrap();
        let (_, json) = send(&app, req).await;
        assert_eq!(json["title"], "请求体过大");

        let req = axum::http::Request::post("/echo")
            .body(Body::from("z".repeat(16)))
            .unwrap();
        let (r, _) = send(&app, req).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    // Paused clock: tokio advances it only when every task waits, so the
    // timeout and the slow handler fire in their order, however busy the machine.
    #[tokio::test(start_paused = true)]
    async fn slow_requests_time_out_with_a_problem() {
        let config = HardeningConfig {
            request_timeout: Duration::from_millis(50),
            ..HardeningConfig::default()
        };
        let app = app(&config);
        let (r, json) = send(&app, get_req("/slow")).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&r, "content-type"), Some(PROBLEM_JSON));
        assert_eq!(json["type"], "/problems/timeout");
        assert_eq!(json["status"], 503);
        let (r, _) = send(&app, get_req("/ok")).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    // Paused clock: the busy request runs until it waits in its handler (its
    // permit taken) before the clock reaches the second request.
    #[tokio::test(start_paused = true)]
    async fn too_many_requests_at_once_are_refused() {
        let config = HardeningConfig {
            max_concurrent: 1,
            ..HardeningConfig::default()
        };
        let app = app(&config);
        let busy = tokio::spawn({
            let app = app.clone();
            async move { app.oneshot(get_req("/slow")).await.unwrap().status() }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The limit is shared by all routes.
        let (r, json) = send(&app, get_req("/ok")).await;
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&r, "retry-after"), Some("1"));
        assert_eq!(json["type"], "/problems/overloaded");
        assert_eq!(busy.await.unwrap(), StatusCode::OK);
        let (r, _) = send(&app, get_req("/ok")).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn other_503_and_errors_are_left_alone() {
        let app = app(&HardeningConfig::default());
        let response = app.clone().oneshot(get_req("/down")).await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!is_problem(response.headers()));
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], b"database unreachable");
    }

    #[tokio::test]
    async fn empty_503_and_408_are_rewritten() {
        let router = Router::new()
            .route("/a", get(|| async { StatusCode::SERVICE_UNAVAILABLE }))
            .route(
                "/b",
                get(|| async { (StatusCode::REQUEST_TIMEOUT, "slow") }),
            )
            .route(
                "/c",
                get(|| async {
                    problem_response(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "/problems/mine",
                        "Mine",
                        "kept",
                    )
                }),
            );
        let app = apply(router, &HardeningConfig::default());
        let (r, json) = send(&app, get_req("/a")).await;
        assert_eq!(
            (r.status(), json["type"].as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some("/problems/overloaded")
            )
        );
        let (r, json) = send(&app, get_req("/b")).await;
        assert_eq!(
            (r.status(), json["type"].as_str()),
            (StatusCode::REQUEST_TIMEOUT, Some("/problems/timeout"))
        );
        assert_eq!(json["status"], 408);
        let (_, json) = send(&app, get_req("/c")).await;
        assert_eq!(json["type"], "/problems/mine");
    }

    #[tokio::test]
    async fn cors_closed_by_default() {
        let app = app(&HardeningConfig::default());
        let mut req = get_req("/ok");
        req.headers_mut()
            .insert("origin", HeaderValue::from_static("https://evil.example"));
        let (r, _) = send(&app, req).await;
        assert!(
            r.headers()
                .keys()
                .all(|k| !k.as_str().starts_with("access-control-"))
        );
    }

    #[tokio::test]
    async fn cors_allows_exactly_the_configured_origins() {
        let config = HardeningConfig {
            cors_origins: vec!["https://portal.example.cn".into()],
            ..HardeningConfig::default()
        };
        let app = app(&config);
        let preflight = axum::http::Request::builder()
            .method(Method::OPTIONS)
            .uri("/needs/1")
            .header("origin", "https://portal.example.cn")
            .header("access-control-request-method", "PATCH")
            .header(
                "access-control-request-headers",
                "content-type,x-csrf-token",
            )
            .body(Body::empty())
            .unwrap();
        let (r, _) = send(&app, preflight).await;
        assert!(r.status().is_success(), "{}", r.status());
        assert_eq!(
            header(&r, "access-control-allow-origin"),
            Some("https://portal.example.cn")
        );
        assert_eq!(header(&r, "access-control-allow-credentials"), Some("true"));
        assert!(
            header(&r, "access-control-allow-methods")
                .unwrap()
                .contains("PATCH")
        );
        assert!(
            header(&r, "access-control-allow-headers")
                .unwrap()
                .contains("x-csrf-token")
        );

        let mut req = get_req("/ok");
        req.headers_mut()
            .insert("origin", HeaderValue::from_static("https://evil.example"));
        let (r, _) = send(&app, req).await;
        assert_eq!(header(&r, "access-control-allow-origin"), None);
    }

    #[test]
    fn config_from_environment() {
        let vars = [
            (
                "QIAO_CORS_ORIGINS",
                " https://a.example.cn/, http://localhost:5173,*,null,https://b.cn/path ,",
            ),
            ("QIAO_REQUEST_TIMEOUT_SECS", "10"),
            ("QIAO_MAX_CONCURRENT", "0"),
            ("QIAO_BODY_LIMIT_BYTES", "lots"),
        ];
        let config = HardeningConfig::from_lookup(|k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        });
        assert_eq!(
            config.cors_origins,
            ["https://a.example.cn", "http://localhost:5173"]
        );
        assert_eq!(config.request_timeout, Duration::from_secs(10));
        assert_eq!(config.max_concurrent, 512);
        assert_eq!(config.body_limit, 1024 * 1024);
        assert_eq!(
            HardeningConfig::from_lookup(|_| None),
            HardeningConfig::default()
        );
    }

    #[tokio::test]
    async fn wildcard_in_code_built_config_does_not_panic() {
        let config = HardeningConfig {
            cors_origins: vec!["*".into()],
            ..HardeningConfig::default()
        };
        let (r, _) = send(&app(&config), get_req("/ok")).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
}
