//! Readiness and the outbox position, for operators.

use crate::{App, Error, Result};

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
    /// Ready means the database answers and the index has caught up with it.
    pub async fn readiness(&self) -> Result<(), NotReady> {
        if let Err(e) = self.store().ping().await {
            tracing::warn!(error = %e, "database unreachable");
            return Err(NotReady::DatabaseUnreachable);
        }
        if !self.search_service().is_caught_up() {
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
