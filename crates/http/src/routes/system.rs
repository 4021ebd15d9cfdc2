//! Operational endpoints, listed in the OpenAPI description like every other route.

use crate::error::AppError;
use crate::server::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use qiao_app::system::NotReady;
use serde::Serialize;
use utoipa::ToSchema;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "alive", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// What `/readyz` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, `search index catching up` or `database unreachable`.
    pub status: String,
    /// Outbox rows not yet in the search index, as of the follower's last poll.
    pub search_index_lag: i64,
    /// Embeddings: `disabled: …` (search and suggestions are then lexical)
    /// or the model, listings embedded and backlog. Never makes the server unready.
    pub embeddings: String,
    /// Listings waiting for a vector, once counted.
    pub embeddings_backlog: Option<u64>,
}

/// Readiness: the database answers and the search index has caught up with
/// it; the body details both, and where embeddings stand.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, description = "ready", body = Readiness),
        (status = 503, description = "database unreachable or index not caught up", body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let (code, status) = match state.app.readiness().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(NotReady::IndexCatchingUp) => {
            (StatusCode::SERVICE_UNAVAILABLE, "search index catching up")
        }
        Err(NotReady::DatabaseUnreachable) => {
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    };
    let embeddings = state.app.embeddings_health();
    let body = Readiness {
        status: status.to_string(),
        search_index_lag: state.app.search_service().lag(),
        embeddings: embeddings.detail,
        embeddings_backlog: embeddings.backlog,
    };
    (code, Json(body)).into_response()
}

/// Prometheus metrics: request counts and latencies by route, outbox position, search index lag and embeddings.
#[utoipa::path(get, path = "/metrics", tag = "system",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, AppError> {
    let position = state.app.outbox_position().await?;
    let (last, applied) = (position.last_seq, position.applied_seq);
    state.metrics.set_gauge(
        "qiao_outbox_last_seq",
        "Last sequence number written to the outbox",
        last as f64,
    );
    state.metrics.set_gauge(
        "qiao_index_applied_seq",
        "Last outbox sequence applied to the search index",
        applied as f64,
    );
    state.metrics.set_gauge(
        "qiao_index_lag",
        "Outbox rows not yet in the search index",
        (last - applied).max(0) as f64,
    );
    let embeddings = state.app.embeddings_health();
    state.metrics.set_gauge(
        "qiao_embeddings_enabled",
        "1 when an embedding model is loaded, 0 when search is lexical only",
        f64::from(u8::from(embeddings.enabled)),
    );
    if let Some(backlog) = embeddings.backlog {
        state.metrics.set_gauge(
            "qiao_embeddings_backlog",
            "Listings waiting for a vector of the model, as last counted",
            backlog as f64,
        );
    }
    state.metrics.set_gauge(
        "qiao_embeddings_vectors",
        "Listing vectors held in memory for nearest-neighbour search",
        embeddings.vectors as f64,
    );
    state.metrics.set_counter(
        "qiao_embeddings_total",
        "Listing vectors this process computed and stored",
        embeddings.computed as f64,
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response())
}
