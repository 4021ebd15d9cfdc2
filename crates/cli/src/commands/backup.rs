//! `qiao backup`: a consistent copy of the SQLite database while it is in use.

use crate::args::GlobalArgs;
use anyhow::bail;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the copy (must not exist).
    pub file: PathBuf,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::config(global);
    if !config.is_sqlite() {
        bail!(
            "qiao backup copies the SQLite database; for PostgreSQL use pg_dump (e.g. pg_dump -Fc \"$DATABASE_URL\" > qiao.dump)"
        );
    }
    let store = config.open_store().await?;
    store.backup_sqlite(&args.file).await?;
    println!(
        "wrote a consistent copy of the database to {}",
        args.file.display()
    );
    Ok(ExitCode::SUCCESS)
}
