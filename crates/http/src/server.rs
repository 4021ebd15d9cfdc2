//! The server: the state every handler shares, the router and serving.

use crate::client_ip::TrustedProxies;
use crate::error::AppError;
use crate::hardening::HardeningConfig;
use crate::login_limit::{LimitPolicy, LoginLimiter};
use crate::metrics::Metrics;
use anyhow::Context;
use axum::{Router, middleware};
use qiao_app::App;
use qiao_app::accounts::SessionPolicy;
use std::sync::Arc;
use utoipa_swagger_ui::SwaggerUi;

/// Shared by every request handler: the application and what only the web needs.
#[derive(Clone)]
pub struct AppState {
    pub app: App,
    pub sessions: SessionPolicy,
    pub login_limiter: Arc<LoginLimiter>,
    pub metrics: Metrics,
    /// A real argon2 hash checked when an e-mail is unknown, so login timing does not reveal accounts.
    pub dummy_hash: Arc<str>,
    /// Proxies whose `X-Forwarded-For`/`Forwarded` headers name the client.
    pub trusted_proxies: Arc<TrustedProxies>,
}

impl AppState {
    pub fn new(app: App) -> Self {
        Self {
            app,
            sessions: SessionPolicy::from_env(),
            login_limiter: Arc::new(LoginLimiter::new(LimitPolicy::default())),
            metrics: Metrics::new(),
            dummy_hash: qiao_app::credentials::hash_password("qiao-timing-equaliser")
                .unwrap_or_default()
                .into(),
            trusted_proxies: Arc::new(TrustedProxies::from_env()),
        }
    }
}

/// The whole application: the documented routes, the pages, the OpenAPI
/// description and its docs page, problem documents (or the 404 page, for
/// browsers) for unknown routes, and the hardening layers.
pub fn router(state: AppState) -> Router {
    let (api, doc) = crate::api();
    let hardening = HardeningConfig::from_env();
    let metrics = state.metrics.clone();
    crate::web::init();
    let app = api
        .merge(crate::web::router())
        .merge(
            Router::from(SwaggerUi::new("/api/docs").url("/api/openapi.json", doc))
                .layer(middleware::from_fn(crate::hardening::docs_policy)),
        )
        .fallback(crate::web::fallback)
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(middleware::from_fn(crate::error::localize))
        .layer(middleware::from_fn_with_state(
            metrics,
            crate::metrics::track,
        ))
        .with_state(state);
    crate::hardening::apply(app, &hardening)
}

/// Binds and prints the address, before the application opens, so clients
/// queue instead of being refused while the index catches up.
pub async fn listen(bind: &str) -> anyhow::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    println!("Qiao is listening on http://{addr}/");
    Ok(listener)
}

/// Serves the application on a bound listener until Ctrl-C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, app: App) -> anyhow::Result<()> {
    serve_on(listener, AppState::new(app)).await
}

/// Serves on a bound listener until Ctrl-C or SIGTERM.
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> anyhow::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
