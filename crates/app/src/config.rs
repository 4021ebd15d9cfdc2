//! Where the data lives: the data directory and the database URL. The
//! command line resolves flags, then the environment, then these defaults.

use anyhow::Context;
use qiao_store::{Store, sqlite_url};
use std::path::PathBuf;

pub const DEFAULT_DATA_DIR: &str = "./qiao-data";
pub const DEFAULT_DEMO_DIR: &str = "./qiao-demo";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub database_url: String,
}

impl Config {
    /// Resolves the configuration; `database_url` falls back to the SQLite
    /// file in the data directory.
    pub fn new(data_dir: PathBuf, database_url: Option<String>) -> Self {
        let database_url = database_url
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| sqlite_url(&data_dir));
        Self {
            data_dir,
            database_url,
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Creates the data directory, connects and migrates.
    pub async fn open_store(&self) -> anyhow::Result<Store> {
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!(
                "cannot create the data directory {}",
                self.data_dir.display()
            )
        })?;
        let store = Store::connect(&self.database_url).await?;
        store.migrate().await.context("migrating the database")?;
        Ok(store)
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    /// Where project attachments are kept (files, not rows: a database
    /// reset or restore leaves them to the operator).
    pub fn attachments_dir(&self) -> PathBuf {
        self.data_dir.join("attachments")
    }
}
