//! Operational endpoints and the HTML pages, listed in the OpenAPI description like every other route.

use crate::error::AppError;
use crate::server::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use qiao_app::system::NotReady;

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, description = "alive", body = String, content_type = "text/plain")))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers and the search index has caught up with it.
#[utoipa::path(get, path = "/readyz", tag = "system",
    responses((status = 200, description = "ready", body = String, content_type = "text/plain"),
        (status = 503, description = "database unreachable or index not caught up", body = String, content_type = "text/plain")))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.readiness().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(NotReady::IndexCatchingUp) => {
            (StatusCode::SERVICE_UNAVAILABLE, "search index catching up").into_response()
        }
        Err(NotReady::DatabaseUnreachable) => {
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
        }
    }
}

/// Prometheus metrics: request counts and latencies by route, outbox position and search index lag.
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
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response())
}

/// The home page: platform figures, the year's plan and the newest public needs.
#[utoipa::path(get, path = "/", tag = "pages", responses((status = 200, description = "HTML page", body = String, content_type = "text/html"),
    (status = 401, body = crate::error::ProblemDoc, content_type = "application/problem+json", description = "an invalid API token")))]
pub async fn home(state: State<AppState>, viewer: crate::auth::Viewer) -> Response {
    crate::pages::home(state, viewer).await
}

/// The site's stylesheet.
#[utoipa::path(get, path = "/static/app.css", tag = "pages", responses((status = 200, description = "CSS", body = String, content_type = "text/css")))]
pub async fn stylesheet() -> impl IntoResponse {
    crate::pages::stylesheet().await
}
