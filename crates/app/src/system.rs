//! Readiness and the outbox position, for operators.

use crate::{App, Error, Result};

/// Outbox rows the index may trail by and still be ready: a few ordinary
/// writes in flight (the follower polls every 100 ms), not a bulk import.
pub const READY_LAG: i64 = 100;

/// Why the application is not ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    DatabaseUnreachable,
    IndexCatchingUp,
}

/// Where the outbox and the index stand.
#[derive(Debug, Clone, Copy)]
pub struct OutboxPosition {
    pub last_seq: i64,
    pub applied_seq: i64,
}

impl App {
    /// Ready means the database answers and the index has caught up with
    /// it: no more than [`READY_LAG`] outbox rows behind.
    pub async fn readiness(&self) -> Result<(), NotReady> {
        let position = match self.outbox_position().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "database unreachable");
                return Err(NotReady::DatabaseUnreachable);
            }
        };
        let lag = position.last_seq - position.applied_seq;
        if !self.search_service().is_caught_up() || lag > READY_LAG {
            return Err(NotReady::IndexCatchingUp);
        }
        Ok(())
    }

    pub async fn outbox_position(&self) -> Result<OutboxPosition> {
        let last_seq = self.store().last_outbox_seq().await.map_err(Error::from)?;
        Ok(OutboxPosition {
            last_seq,
            applied_seq: self.search_service().index().applied_seq(),
        })
    }
}

/// Where embeddings stand, for `/readyz` and `/metrics`. Never part of
/// readiness: without a model, or while a backlog is embedded, the
/// platform answers lexically.
#[derive(Debug, Clone)]
pub struct EmbeddingsHealth {
    pub enabled: bool,
    /// `disabled: …`, or the model, listings embedded and backlog.
    pub detail: String,
    /// Listings waiting for a vector, as last counted.
    pub backlog: Option<u64>,
    /// Vectors held in memory for nearest-neighbour search.
    pub vectors: u64,
    /// Vectors this process computed since it started.
    pub computed: u64,
}

impl App {
    pub fn embeddings_health(&self) -> EmbeddingsHealth {
        let semantic = self.semantic();
        EmbeddingsHealth {
            enabled: semantic.is_some(),
            detail: self.embeddings().detail(),
            backlog: semantic.and_then(|s| s.backlog()),
            vectors: semantic.map_or(0, |s| s.vector_counts().total()),
            computed: semantic.map_or(0, |s| s.embedded_total()),
        }
    }
}
