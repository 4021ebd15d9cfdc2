//! `qiao reindex`: a new index generation, switched to atomically.

use crate::args::GlobalArgs;
use std::process::ExitCode;

pub async fn run(global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let config = super::config(global);
    let store = config.open_store().await?;
    let n = qiao_app::indexer::rebuild(&config.index_dir(), &store).await?;
    println!(
        "rebuilt the search index: {n} documents; running servers switch to it within a second"
    );
    Ok(ExitCode::SUCCESS)
}
