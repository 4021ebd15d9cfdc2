//! The HTTP server: application state, routes and the demo runner.

pub(crate) mod pages;

use crate::cli::{DemoArgs, mark_demo};
use crate::config::{self, Config, DEFAULT_BIND};
use crate::credentials;
use crate::http::auth::SessionPolicy;
use crate::http::error::AppError;
use crate::http::hardening::HardeningConfig;
use crate::http::login_limit::{LimitPolicy, LoginLimiter};
use crate::http::metrics::Metrics;
use crate::indexer::SearchService;
use anyhow::{Context, bail};
use axum::{Router, middleware};
use qiao_core::vocab::{OrgKind, Role, Vocabulary};
use qiao_store::Store;
use qiao_store::audit::Actor;
use qiao_store::users::NewUser;
use std::sync::Arc;
use utoipa_swagger_ui::SwaggerUi;

/// Shared by every request handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub sessions: SessionPolicy,
    pub login_limiter: Arc<LoginLimiter>,
    pub metrics: Metrics,
    /// A real argon2 hash checked when an e-mail is unknown, so login timing does not reveal accounts.
    pub dummy_hash: String,
    pub search: Arc<SearchService>,
    /// Match score weights, from `$QIAO_DATA_DIR/matching.json` or the defaults.
    pub weights: Arc<qiao_matching::weights::Weights>,
}

impl AppState {
    /// Opens the search index under the data directory and starts following the outbox.
    pub async fn new(store: Store, config: Config) -> anyhow::Result<Self> {
        let search = Arc::new(SearchService::open(&config.index_dir(), &store).await?);
        search.catch_up(&store).await?;
        search.spawn_follower(store.clone());
        let weights = Arc::new(crate::matchmaking::load_weights(&config.data_dir)?);
        Ok(Self {
            search,
            weights,
            store,
            config: Arc::new(config),
            sessions: SessionPolicy::default(),
            login_limiter: Arc::new(LoginLimiter::new(LimitPolicy::default())),
            metrics: Metrics::new(),
            dummy_hash: credentials::hash_password("qiao-timing-equaliser").unwrap_or_default(),
        })
    }
}

impl AppState {
    pub fn matcher(&self) -> crate::matchmaking::Matcher {
        crate::matchmaking::Matcher {
            store: self.store.clone(),
            index: self.search.index(),
            weights: self.weights.clone(),
        }
    }
}

/// The whole application: the documented routes, the OpenAPI description and
/// its docs page, problem documents for unknown routes, and the hardening layers.
pub fn router(state: AppState) -> Router {
    let (api, doc) = crate::http::api();
    let hardening = HardeningConfig::from_env();
    let metrics = state.metrics.clone();
    let app = api
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", doc))
        .fallback(|| async { AppError::NoRoute })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(middleware::from_fn(crate::http::error::localize))
        .layer(middleware::from_fn_with_state(
            metrics,
            crate::http::metrics::track,
        ))
        .with_state(state);
    crate::http::hardening::apply(app, &hardening)
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(store: Store, config: Config, bind: &str) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    println!("Qiao is listening on http://{addr}/");
    let state = AppState::new(store, config).await?;
    serve_on(listener, state).await
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

/// Demo accounts, one per role. The password is printed by `qiao demo`.
pub const DEMO_PASSWORD: &str = "qiao-demo-2026";
pub const DEMO_ACCOUNTS: &[(&str, Role)] = &[
    ("admin@demo.qiao.cn", Role::Admin),
    ("staff@demo.qiao.cn", Role::Staff),
    ("enterprise@demo.qiao.cn", Role::Enterprise),
    ("university@demo.qiao.cn", Role::University),
];

async fn create_demo_users(store: &Store) -> anyhow::Result<Vec<(String, Role, Option<String>)>> {
    let orgs = store.export_organizations().await?;
    let first_of = |kind: OrgKind| orgs.iter().find(|o| o.kind == kind).map(|o| o.name.clone());
    let hash = credentials::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    let mut accounts = Vec::new();
    for (email, role) in DEMO_ACCOUNTS {
        let org = match role {
            Role::Enterprise => first_of(OrgKind::Enterprise),
            Role::University => first_of(OrgKind::University),
            _ => None,
        };
        store
            .create_user(
                NewUser {
                    email,
                    display_name: role.label_zh(),
                    role: *role,
                    org_name: org.as_deref(),
                    password_hash: hash.clone(),
                },
                &Actor::system("demo-seed"),
            )
            .await?;
        accounts.push((email.to_string(), *role, org));
    }
    Ok(accounts)
}

async fn load_demo(store: &Store, dir: &std::path::Path) -> anyhow::Result<crate::seeds::Loaded> {
    let loaded = crate::seeds::load(store, dir).await?;
    create_demo_users(store).await?;
    mark_demo(store).await?;
    Ok(loaded)
}

/// `qiao demo`: migrate, load the seeds into a new database, print the
/// accounts and serve.
pub async fn demo(config: Config, args: DemoArgs) -> anyhow::Result<()> {
    let store = config.open_store().await?;
    if args.reset {
        if !(store.is_empty().await? || store.is_demo().await?) {
            bail!(
                "refusing --reset: the database at {} holds data that did not come from the demo",
                config.data_dir.display()
            );
        }
        store.reset().await?;
        println!("demo database reset");
    }
    if store.is_empty().await? {
        let dir = crate::seeds::seeds_dir();
        let loaded = match load_demo(&store, &dir).await {
            Ok(loaded) => loaded,
            Err(e) => {
                // Leave an empty database rather than half a demo.
                store.reset().await?;
                return Err(e);
            }
        };
        println!(
            "loaded demo data from {}: {} organizations, {} needs, {} capabilities, {} events",
            dir.display(),
            loaded.organizations,
            loaded.needs,
            loaded.capabilities,
            loaded.events
        );
    } else if !store.is_demo().await? {
        println!(
            "note: this database already holds other data; serving it without loading demo data"
        );
    }
    println!("demo data directory: {}", config.data_dir.display());
    println!("demo accounts (password: {DEMO_PASSWORD}):");
    for (email, role) in DEMO_ACCOUNTS {
        println!("  {:<26} {} ({})", email, role.code(), role.label_zh());
    }
    if args.no_serve {
        return Ok(());
    }
    let bind = config::flag_or_env(args.bind, "QIAO_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
    serve(store, config, &bind).await
}
