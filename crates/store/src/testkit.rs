//! Running a test against every configured database: SQLite always, and
//! PostgreSQL when `QIAO_TEST_POSTGRES_URL` is set. Each run gets a database
//! of its own, so tests run in parallel. When `QIAO_TEST_PG_LOG` names a
//! file, every PostgreSQL run appends its test name there, so CI can say how
//! many tests ran against PostgreSQL.

use crate::{Store, StoreError};
use sea_orm::{ConnectionTrait, Database};
use std::io::Write;
use std::path::PathBuf;

/// A migrated, empty database for one test. Dropping it removes the SQLite
/// directory; PostgreSQL test databases are dropped at the end of `each_backend`.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub label: &'static str,
    /// The data directory (SQLite's home, and where an index may live).
    pub dir: PathBuf,
    _tmp: tempfile::TempDir,
    pg_admin: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> Result<Self, StoreError> {
        let tmp = tempfile::tempdir().map_err(|e| StoreError::Invalid(e.to_string()))?;
        let url = crate::sqlite_url(tmp.path());
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        Ok(Self {
            store,
            url,
            label: "sqlite",
            dir: tmp.path().to_path_buf(),
            _tmp: tmp,
            pg_admin: None,
        })
    }

    /// A fresh database on the server of `admin_url`.
    pub async fn postgres(admin_url: &str) -> Result<Self, StoreError> {
        let name = format!("qiao_test_{:016x}", rand::random::<u64>());
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        admin.close().await?;
        let url = replace_database(admin_url, &name);
        let store = Store::connect(&url).await?;
        store.migrate().await?;
        let tmp = tempfile::tempdir().map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(Self {
            store,
            url,
            label: "postgres",
            dir: tmp.path().to_path_buf(),
            _tmp: tmp,
            pg_admin: Some((admin_url.to_string(), name)),
        })
    }

    async fn drop_database(self) {
        let Self {
            store, pg_admin, ..
        } = self;
        drop(store.conn().clone().close().await);
        if let Some((admin_url, name)) = pg_admin
            && let Ok(admin) = Database::connect(&admin_url).await
        {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await;
            let _ = admin.close().await;
        }
    }
}

/// Swaps the database name in a PostgreSQL URL, keeping any query string.
pub fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Runs `body` on SQLite, then on PostgreSQL when configured.
pub async fn each_backend<F, Fut>(test_name: &str, body: F)
where
    F: Fn(TestDb) -> Fut,
    Fut: std::future::Future<Output = TestDb>,
{
    let db = TestDb::sqlite().await.expect("SQLite test database");
    body(db).await;
    if let Ok(url) = std::env::var("QIAO_TEST_POSTGRES_URL")
        && !url.is_empty()
    {
        let db = TestDb::postgres(&url)
            .await
            .unwrap_or_else(|e| panic!("QIAO_TEST_POSTGRES_URL is set but unusable: {e}"));
        let db = body(db).await;
        db.drop_database().await;
        if let Ok(log) = std::env::var("QIAO_TEST_PG_LOG")
            && let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
        {
            let _ = writeln!(f, "{test_name}");
        }
    }
}
