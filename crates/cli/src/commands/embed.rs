//! `qiao embed`: back-fill the vectors of every listing that lacks one.

use crate::args::GlobalArgs;
use qiao_app::embeddings::{self, Done};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Embed at most this many listings, then stop (run again for the rest).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Listings per committed batch.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub batch: u64,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let config = super::config(global);
    let store = config.open_store().await?;
    let started = Instant::now();
    let mut shown = false;
    let report = embeddings::backfill(&config, &store, args.limit, args.batch, |done, total| {
        progress(done, total, started);
        shown = true;
    })
    .await?;
    if shown {
        eprintln!();
    }
    let secs = report.elapsed.as_secs_f64();
    println!(
        "embedded {} listings in {:.1} s ({:.1}/s); {} unchanged texts confirmed; {} left",
        report.done.embedded,
        secs,
        report.done.embedded as f64 / secs.max(1e-9),
        report.done.confirmed,
        report.backlog_after
    );
    Ok(ExitCode::SUCCESS)
}

/// One line on standard error, rewritten in place.
fn progress(done: Done, total: u64, started: Instant) {
    let n = done.embedded + done.confirmed;
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    let rate = n as f64 / secs;
    let eta = if rate > 0.0 && total > n {
        format!(", {:.0} s left", (total - n) as f64 / rate)
    } else {
        String::new()
    };
    let pct = if total > 0 {
        (100.0 * n as f64 / total as f64).min(100.0)
    } else {
        100.0
    };
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\rembedding {n}/{total} listings ({pct:.0} %, {rate:.1}/s{eta})   "
    );
    let _ = err.flush();
}
