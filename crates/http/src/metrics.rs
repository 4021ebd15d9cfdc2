//! A tiny Prometheus registry: request counts and latencies by route, plus a
//! few gauges set by whoever knows their value (outbox position, index lag).
//! It renders the text exposition format 0.0.4 itself, so the platform needs
//! no metrics crate for a handful of series. Kept on purpose rather than the
//! `metrics` facade: the facade records into one process-wide recorder,
//! while each server here (and each of the many servers a test process
//! starts) owns its registry, and this one is small and tested.
//!
//! Label values come from route templates (`/api/v1/needs/{id}`), never from
//! raw URLs, and unusual methods are folded into `OTHER`: a client cannot grow
//! the number of series by making up paths or methods.

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

const REQUESTS_TOTAL: &str = "qiao_http_requests_total";
const REQUEST_DURATION: &str = "qiao_http_request_duration_seconds";

/// Upper bounds (seconds) of the latency histogram buckets; `+Inf` is implied.
const BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The route label of requests no route matched.
const UNMATCHED: &str = "unmatched";

/// Shared, cheap to clone: every clone records into the same registry.
#[derive(Clone, Default, Debug)]
pub struct Metrics {
    inner: Arc<Mutex<Registry>>,
}

#[derive(Default, Debug)]
struct Registry {
    /// (method, route, status) → count. BTreeMaps keep the output sorted.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route) → latency histogram.
    durations: BTreeMap<(String, String), Histogram>,
    /// name → (help, value).
    gauges: BTreeMap<String, (String, f64)>,
    /// name → (help, value): totals kept elsewhere, rendered as counters.
    counters: BTreeMap<String, (String, f64)>,
}

#[derive(Default, Debug)]
struct Histogram {
    /// Observations per bucket, not cumulative; cumulated when rendered.
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut registry = self.lock();
        *registry
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        let histogram = registry
            .durations
            .entry((method.to_string(), route.to_string()))
            .or_default();
        if let Some(i) = BUCKETS.iter().position(|le| seconds <= *le) {
            histogram.buckets[i] += 1;
        }
        histogram.sum += seconds;
        histogram.count += 1;
    }

    /// Sets a gauge, e.g. `qiao_outbox_last_seq`. A name that Prometheus
    /// would reject is ignored (and logged) rather than breaking the scrape.
    pub fn set_gauge(&self, name: &str, help: &str, value: f64) {
        if !valid_metric_name(name) {
            tracing::warn!(name, "ignoring gauge with an invalid metric name");
            return;
        }
        self.lock()
            .gauges
            .insert(name.to_string(), (help.to_string(), value));
    }

    /// Sets a counter whose running total is kept by its owner, e.g.
    /// `qiao_embeddings_total`; same naming rule as [`Metrics::set_gauge`].
    pub fn set_counter(&self, name: &str, help: &str, value: f64) {
        if !valid_metric_name(name) {
            tracing::warn!(name, "ignoring counter with an invalid metric name");
            return;
        }
        self.lock()
            .counters
            .insert(name.to_string(), (help.to_string(), value));
    }

    /// Everything in the text exposition format 0.0.4, in a stable order.
    pub fn render(&self) -> String {
        let registry = self.lock();
        let mut out = String::new();

        family(
            &mut out,
            REQUESTS_TOTAL,
            "HTTP requests by method, route and status.",
            "counter",
        );
        for ((method, route, status), count) in &registry.requests {
            let labels = labels(&[
                ("method", method),
                ("route", route),
                ("status", &status.to_string()),
            ]);
            let _ = writeln!(out, "{REQUESTS_TOTAL}{labels} {count}");
        }

        family(
            &mut out,
            REQUEST_DURATION,
            "HTTP request latency by method and route.",
            "histogram",
        );
        for ((method, route), histogram) in &registry.durations {
            let mut cumulative = 0;
            for (le, n) in BUCKETS.iter().zip(histogram.buckets) {
                cumulative += n;
                let labels = labels(&[("method", method), ("route", route), ("le", &float(*le))]);
                let _ = writeln!(out, "{REQUEST_DURATION}_bucket{labels} {cumulative}");
            }
            let inf = labels(&[("method", method), ("route", route), ("le", "+Inf")]);
            let _ = writeln!(out, "{REQUEST_DURATION}_bucket{inf} {}", histogram.count);
            let plain = labels(&[("method", method), ("route", route)]);
            let _ = writeln!(
                out,
                "{REQUEST_DURATION}_sum{plain} {}",
                float(histogram.sum)
            );
            let _ = writeln!(out, "{REQUEST_DURATION}_count{plain} {}", histogram.count);
        }

        for (name, (help, value)) in &registry.gauges {
            family(&mut out, name, help, "gauge");
            let _ = writeln!(out, "{name} {}", float(*value));
        }
        for (name, (help, value)) in &registry.counters {
            family(&mut out, name, help, "counter");
            let _ = writeln!(out, "{name} {}", float(*value));
        }
        out
    }

    /// A panic elsewhere while holding the lock must not take metrics down
    /// with it: the counters stay usable, so the poison is ignored.
    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Times each request and records it under its route template. Use with
/// `axum::middleware::from_fn_with_state(metrics.clone(), track)` as a
/// `Router::layer`, so routing has already set `MatchedPath`.
pub async fn track(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, |p| p.as_str())
        .to_string();
    let response = next.run(req).await;
    metrics.observe(
        method,
        &route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// Standard methods by name; anything else is one label value.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn family(out: &mut String, name: &str, help: &str, kind: &str) {
    let help = help.replace('\\', "\\\\").replace('\n', "\\n");
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// `{a="x",b="y"}` with values escaped as the format requires.
fn labels(pairs: &[(&str, &str)]) -> String {
    let body: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let value = value
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{name}=\"{value}\"")
        })
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Prometheus spells infinities `+Inf`/`-Inf`; Rust's `Display` does not.
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        v.to_string()
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    #[test]
    fn observe_renders_counter_and_histogram() {
        let m = Metrics::new();
        m.observe("GET", "/api/v1/needs/{id}", 200, 0.003);
        m.observe("GET", "/api/v1/needs/{id}", 200, 20.0);
        m.observe("GET", "/api/v1/needs/{id}", 404, 0.0005);
        let out = m.render();

        assert!(out.contains("# TYPE qiao_http_requests_total counter\n"));
        assert!(out.contains(
            r#"qiao_http_requests_total{method="GET",route="/api/v1/needs/{id}",status="200"} 2"#
        ));
        assert!(out.contains(
            r#"qiao_http_requests_total{method="GET",route="/api/v1/needs/{id}",status="404"} 1"#
        ));
        assert!(out.contains("# TYPE qiao_http_request_duration_seconds histogram\n"));
        let h = "qiao_http_request_duration_seconds";
        assert!(out.contains(&format!(
            r#"{h}_bucket{{method="GET",route="/api/v1/needs/{{id}}",le="0.001"}} 1"#
        )));
        assert!(out.contains(&format!(
            r#"{h}_bucket{{method="GET",route="/api/v1/needs/{{id}}",le="0.005"}} 2"#
        )));
        assert!(out.contains(&format!(
            r#"{h}_bucket{{method="GET",route="/api/v1/needs/{{id}}",le="10"}} 2"#
        )));
        assert!(out.contains(&format!(
            r#"{h}_bucket{{method="GET",route="/api/v1/needs/{{id}}",le="+Inf"}} 3"#
        )));
        assert!(out.contains(&format!(
            r#"{h}_sum{{method="GET",route="/api/v1/needs/{{id}}"}} 20.0035"#
        )));
        assert!(out.contains(&format!(
            r#"{h}_count{{method="GET",route="/api/v1/needs/{{id}}"}} 3"#
        )));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new();
        m.observe("GET", "/a\\b\"c\nd", 200, 0.1);
        let out = m.render();
        assert!(out.contains(r#"route="/a\\b\"c\nd""#), "{out}");
        // The raw newline must not split a sample line.
        assert!(
            out.lines()
                .all(|l| l.starts_with('#') || l.starts_with("qiao_")),
            "{out}"
        );
    }

    #[test]
    fn output_is_sorted_and_gauges_render() {
        let m = Metrics::new();
        m.observe("POST", "/b", 201, 0.1);
        m.observe("GET", "/a", 200, 0.1);
        m.set_gauge("qiao_outbox_last_seq", "Last outbox sequence", 42.0);
        m.set_gauge("qiao_index_lag", "Index lag\nin events", 3.0);
        m.set_gauge("bad name", "ignored", 1.0);
        let out = m.render();
        let get = out
            .find(r#"{method="GET",route="/a",status="200"}"#)
            .unwrap();
        let post = out
            .find(r#"{method="POST",route="/b",status="201"}"#)
            .unwrap();
        assert!(get < post);
        assert!(out.contains("# HELP qiao_index_lag Index lag\\nin events\n# TYPE qiao_index_lag gauge\nqiao_index_lag 3\n"));
        assert!(out.contains("# TYPE qiao_outbox_last_seq gauge\nqiao_outbox_last_seq 42\n"));
        assert!(
            out.find("qiao_index_lag 3").unwrap() < out.find("qiao_outbox_last_seq 42").unwrap()
        );
        assert!(!out.contains("bad name"));
        assert_eq!(out, m.render(), "rendering is stable");
    }

    #[test]
    fn counters_render_as_counters() {
        let m = Metrics::new();
        m.set_counter("qiao_embeddings_total", "Vectors computed", 7.0);
        m.set_counter("bad name", "ignored", 1.0);
        let out = m.render();
        assert!(
            out.contains("# HELP qiao_embeddings_total Vectors computed\n# TYPE qiao_embeddings_total counter\nqiao_embeddings_total 7\n"),
            "{out}"
        );
        assert!(!out.contains("bad name"));
    }

    #[tokio::test]
    async fn track_uses_route_templates() {
        let m = Metrics::new();
        let app = Router::new()
            .route("/needs/{id}", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn_with_state(m.clone(), track));
        for uri in ["/needs/1", "/needs/2", "/nope/3"] {
            let req = axum::http::Request::builder()
                .uri(uri)
                .body(Body::empty())
                .unwrap();
            app.clone().oneshot(req).await.unwrap();
        }
        let req = axum::http::Request::builder()
            .method("BREW")
            .uri("/needs/1")
            .body(Body::empty())
            .unwrap();
        app.oneshot(req).await.unwrap();
        let out = m.render();
        assert!(
            out.contains(
                r#"qiao_http_requests_total{method="GET",route="/needs/{id}",status="200"} 2"#
            ),
            "{out}"
        );
        assert!(
            out.contains(
                r#"qiao_http_requests_total{method="GET",route="unmatched",status="404"} 1"#
            ),
            "{out}"
        );
        assert!(
            out.contains(r#"{method="OTHER",route="/needs/{id}",status="405"} 1"#),
            "{out}"
        );
        assert!(!out.contains("/nope"), "{out}");
    }
}
