//! Qiao's application layer: one [`App`] holding the store, the search
//! service, the match weights and the configuration, and the use cases the
//! HTTP API, the command line and the benchmarks share. Every read asks the
//! one visibility rule of `qiao_core::access`; every write asks [`policy`].
//! Nothing here knows about HTTP, command-line parsing or OpenAPI.

pub mod accounts;
pub mod annual_report;
pub mod attachments;
pub mod config;
pub mod credentials;
pub mod dashboard;
pub mod demo;
pub mod embeddings;
mod error;
pub mod events;
mod fields;
pub mod home;
pub mod indexer;
pub mod limits;
pub mod listings;
pub mod matchmaking;
pub mod membership;
pub mod need_completeness;
pub mod organizations;
pub mod plans;
pub mod policy;
mod principal;
pub mod projects;
pub mod review_queue;
pub mod search;
pub mod seeds;
pub mod suggestions;
pub mod system;
pub mod transfer;
pub mod transparency;

pub use config::Config;
pub use error::{Error, Result};
pub use principal::{AuthMethod, Principal, Viewer};
pub use qiao_core::{Actor, Scope};

use indexer::SearchService;
use qiao_matching::weights::Weights;
use qiao_store::Store;
use std::sync::Arc;

/// The running application; cheap to clone, shared by every request.
#[derive(Clone)]
pub struct App {
    store: Store,
    search: Arc<SearchService>,
    weights: Arc<Weights>,
    config: Arc<Config>,
    embeddings: embeddings::Embeddings,
}

impl App {
    /// Connects, migrates, opens the search index, catches it up with the
    /// outbox and keeps following it in the background.
    pub async fn open(config: Config) -> anyhow::Result<Self> {
        let store = config.open_store().await?;
        Self::start(store, config).await
    }

    /// Like [`App::open`] on a store already opened.
    pub async fn start(store: Store, config: Config) -> anyhow::Result<Self> {
        let app = Self::build(store, config, embeddings::server_threads()).await?;
        app.search.spawn_follower(app.store.clone());
        if let Some(semantic) = app.semantic() {
            semantic.spawn_worker(app.store.clone());
        }
        Ok(app)
    }

    /// The application with a caught-up index that does not follow later
    /// writes: for one-shot commands.
    pub async fn without_follower(store: Store, config: Config) -> anyhow::Result<Self> {
        Self::build(store, config, 0).await
    }

    /// The application with the model (if installed) on `threads` engine
    /// threads (0: every core).
    async fn build(store: Store, config: Config, threads: usize) -> anyhow::Result<Self> {
        let search = Arc::new(SearchService::open(&config.index_dir(), &store).await?);
        search.catch_up(&store).await?;
        let weights = Arc::new(matchmaking::load_weights(&config.data_dir)?);
        let embeddings = embeddings::Embeddings::open(&config, &store, threads).await;
        Ok(Self {
            store,
            search,
            weights,
            config: Arc::new(config),
            embeddings,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub fn search_service(&self) -> &Arc<SearchService> {
        &self.search
    }

    /// The suggestion engine over this application's store, index and weights.
    pub fn matcher(&self) -> matchmaking::Matcher {
        matchmaking::Matcher {
            store: self.store.clone(),
            index: self.search.index(),
            weights: self.weights.clone(),
            semantic: self.semantic().cloned(),
        }
    }
}
