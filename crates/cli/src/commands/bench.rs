//! `qiao bench`: speed and relevance on the real documents.

use crate::args::GlobalArgs;
use clap::Subcommand;
use qiao_app::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import the ~114k real documents as capabilities into an empty database and report the rate.
    Import {
        /// The shared data folder. [default: ../shared/data]
        #[arg(long, value_name = "DIR", env = "QIAO_SHARED_DATA")]
        data: Option<PathBuf>,
    },
    /// Search relevance (MRR@10, hit@10 on the CSL dev queries) and speed (indexing, latency, HTTP throughput), with SQLite FTS5 trigram alongside.
    Search {
        /// The shared data folder. [default: ../shared/data]
        #[arg(long, value_name = "DIR", env = "QIAO_SHARED_DATA")]
        data: Option<PathBuf>,
        /// Only the relevance part (fast).
        #[arg(long)]
        relevance_only: bool,
    },
    /// Match suggestions on the CSL papers as capabilities: MRR@10, hit@10 and discipline share on one need per dev query, latency, nDCG@10 on the enterprise needs, and the 300-need plan assignment, exact against greedy.
    Match {
        /// The shared data folder. [default: ../shared/data]
        #[arg(long, value_name = "DIR", env = "QIAO_SHARED_DATA")]
        data: Option<PathBuf>,
    },
}

pub async fn run(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Import { data } => {
            let scratch = tempfile::tempdir()?;
            let dir = global
                .data_dir
                .clone()
                .unwrap_or_else(|| scratch.path().to_path_buf());
            let config = Config::new(dir, global.database_url.clone());
            let data = data.unwrap_or_else(qiao_bench::shared_data_dir);
            qiao_bench::import(&config, &data).await?;
        }
        Command::Search {
            data,
            relevance_only,
        } => {
            let data = data.unwrap_or_else(qiao_bench::shared_data_dir);
            qiao_bench::search::run(&data, relevance_only).await?;
        }
        Command::Match { data } => {
            let data = data.unwrap_or_else(qiao_bench::shared_data_dir);
            qiao_bench::matching::run(&data).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
