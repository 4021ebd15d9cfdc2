//! Connecting to the database and running migrations.

use crate::error::StoreError;
use crate::migration::Migrator;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};
use sea_orm_migration::MigratorTrait;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
}

/// The URL of the SQLite database file in a data directory.
pub fn sqlite_url(data_dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("qiao.db").display())
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…`. SQLite connections run in
    /// WAL mode with foreign keys enforced and a busy timeout (set per
    /// connection by the driver and checked in the tests).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Invalid(format!(
                "unsupported database URL (expected sqlite:// or postgres://): {}",
                redact(url)
            )));
        };
        let mut options = ConnectOptions::new(url.to_string());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .max_connections(if backend == Backend::Sqlite { 8 } else { 16 });
        let db = Database::connect(options).await?;
        if backend == Backend::Sqlite {
            // WAL and foreign keys are the driver's defaults; stating them keeps
            // them true if the defaults ever change.
            for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA foreign_keys = ON"] {
                db.execute_unprepared(pragma).await?;
            }
        }
        Ok(Self { db, backend })
    }

    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// The raw connection stays inside the crate: every query is a method
    /// here, so visibility and the outbox cannot be bypassed. Benchmarks that
    /// compare against raw SQL (FTS5) enable the `raw` feature.
    #[cfg(not(feature = "raw"))]
    pub(crate) fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    #[cfg(feature = "raw")]
    pub fn conn(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a transaction that will write. On SQLite it takes the write
    /// lock at BEGIN (IMMEDIATE): a deferred transaction that reads first
    /// cannot upgrade once another connection has written, and fails with
    /// "database is locked" at once instead of waiting for the busy timeout.
    pub(crate) async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let sqlite_transaction_mode = match self.backend {
            Backend::Sqlite => Some(SqliteTransactionMode::Immediate),
            Backend::Postgres => None,
        };
        self.db
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode,
                ..TransactionOptions::default()
            })
            .await
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// True when the database holds no organizations, needs, capabilities or users.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        for table in ["organizations", "needs", "capabilities", "users", "events"] {
            let row = self
                .db
                .query_one_raw(Statement::from_string(
                    self.db_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table}"),
                ))
                .await?
                .ok_or_else(|| StoreError::Invalid("count returned no row".into()))?;
            let n: i64 = row.try_get("", "n")?;
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes a consistent copy of a SQLite database to `target` while it is in use.
    pub async fn backup_sqlite(&self, target: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Invalid(
                "online backup is for SQLite; back up PostgreSQL with pg_dump".into(),
            ));
        }
        if target.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists",
                target.display()
            )));
        }
        let path = target.to_string_lossy().replace('\'', "''");
        self.db
            .execute_unprepared(&format!("VACUUM INTO '{path}'"))
            .await?;
        Ok(())
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }
}

/// Hides the password of a database URL for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// True when this database was filled by `qiao demo`.
    pub async fn is_demo(&self) -> Result<bool, StoreError> {
        use crate::entities::audit_log;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let n = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("load_demo"))
            .count(&self.db)
            .await?;
        Ok(n > 0)
    }

    /// Drops every table and migrates again. Only for demo databases.
    pub async fn reset(&self) -> Result<(), StoreError> {
        // `down` drops tables dependents-first, which foreign keys require.
        Migrator::refresh(&self.db).await?;
        Ok(())
    }
}
