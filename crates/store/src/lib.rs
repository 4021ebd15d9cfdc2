//! Qiao's persistence layer: the sea-orm entities and migrations of the whole
//! domain model, and the queries the rest of the platform needs, on SQLite
//! (the embedded default) and PostgreSQL alike. Every write of a need,
//! capability or organization also writes an outbox row in the same
//! transaction, which is what the search index follows. The database is the
//! source of truth.

pub mod attachments;
pub mod audit;
mod convert;
mod db;
pub mod embeddings;
pub mod entities;
mod error;
pub mod events;
pub mod import;
pub mod index_feed;
pub mod listings;
pub mod membership;
pub mod migration;
pub mod outbox;
pub mod plan_facts;
pub mod plans;
pub mod projects;
pub mod queries;
pub mod settings;
pub mod suggestions;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod users;

pub use db::{Backend, Store, sqlite_url};
pub use error::StoreError;
#[cfg(feature = "raw")]
pub use sea_orm;
