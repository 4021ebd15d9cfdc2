//! `qiao match`: the plan-wide assignment written to a file for review.

use crate::args::GlobalArgs;
use qiao_app::App;
use qiao_app::matchmaking::{NeedSelection, PlanOptions, run_to_file};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The plan year.
    #[arg(long)]
    pub year: i32,
    /// Where to write the proposals (.xlsx, .csv or .jsonl): one row per proposal with its explanation.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Proposals per need.
    #[arg(long, default_value_t = 3)]
    pub k: u32,
    /// At most this many proposals per university or institute.
    #[arg(long, value_name = "M")]
    pub per_university: Option<u32>,
    /// Only these needs (ids, comma-separated), instead of every open need.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub needs: Option<Vec<i64>>,
    /// Only needs flagged for the year's key-project plan.
    #[arg(long)]
    pub key_projects: bool,
    /// Propose weak pairs too. By default a pair whose confidence is weak
    /// (see `matching.json`) is left out, so a need without a good match gets
    /// no proposal rather than a poor one.
    #[arg(long)]
    pub include_weak: bool,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::config(global);
    let store = config.open_store().await?;
    let app = App::without_follower(store, config).await?;
    let selection = NeedSelection {
        need_ids: args.needs,
        key_projects: args.key_projects,
    };
    let options = PlanOptions {
        k: args.k,
        per_university: args.per_university,
        include_weak: args.include_weak,
        ..PlanOptions::default()
    };
    let started = std::time::Instant::now();
    let plan = run_to_file(&app, args.year, &selection, options, &args.out).await?;
    let weak = if args.include_weak {
        "weak pairs included".to_string()
    } else {
        format!(
            "{} weak pairs left out (--include-weak proposes them)",
            plan.weak_left_out
        )
    };
    println!(
        "{} open needs, {} proposals for {} of them (total score {:.3}; greedy would cover {} with {:.3}; {weak}) in {:.2} s; written to {}",
        plan.needs,
        plan.proposals.len(),
        plan.needs_covered,
        plan.total_score,
        plan.greedy_needs_covered,
        plan.greedy_total_score,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
