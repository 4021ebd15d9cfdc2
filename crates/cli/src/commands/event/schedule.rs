//! `qiao event schedule`: the scheduler run staff start over the API, from
//! the command line (audited as the command line).

use crate::args::GlobalArgs;
use qiao_app::App;
use qiao_app::events::meetings::Mode;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The event id.
    #[arg(long, value_name = "ID")]
    pub event: i64,
    /// Re-plan every meeting; by default published meetings stay where they are while they still fit.
    #[arg(long)]
    pub full: bool,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let config = crate::commands::config(global);
    let store = config.open_store().await?;
    let app = App::without_follower(store, config).await?;
    let mode = if args.full {
        Mode::Full
    } else {
        Mode::Incremental
    };
    let run = match app.schedule_event_as_operator(args.event, mode).await {
        Ok(run) => run,
        Err(qiao_app::Error::NotFound) => anyhow::bail!("there is no event {}", args.event),
        Err(e) => return Err(e.into()),
    };
    let tiers = |c: [usize; 3]| format!("mutual {}, accepted {}, staff {}", c[0], c[1], c[2]);
    println!(
        "event {} ({}): {} meeting(s) placed of {} accepted request(s) ({} new, {} kept, {} moved); {} unplaced; {} removed",
        run.event_id,
        if args.full { "full" } else { "incremental" },
        run.placed,
        run.requests,
        run.inserted,
        run.kept,
        run.moved.len(),
        run.unplaced.len(),
        run.removed.len(),
    );
    println!(
        "placed per tier: {}; {} of {} reachable participant(s) meet someone; {} slot(s) × {} usable table(s)",
        tiers(run.stats.per_tier),
        run.stats.participants_met,
        run.stats.participants_reachable,
        run.slots,
        run.usable_tables,
    );
    println!(
        "upper bound: {} meeting(s) ({}), {} participant(s), weight {:.3} (placed weight {:.3})",
        run.upper_bound.cumulative[2],
        tiers(run.upper_bound.per_tier),
        run.upper_bound.participants,
        run.upper_bound.weight,
        run.stats.total_weight,
    );
    for u in &run.unplaced {
        println!(
            "unplaced: request {} (organizations {} and {}): {} — {}",
            u.request_id, u.org_ids[0], u.org_ids[1], u.reason, u.reason_label
        );
    }
    for m in &run.moved {
        let to = m.to.map_or_else(
            || "unplaced".to_string(),
            |t| format!("{} table {}", t.starts_at.to_rfc3339(), t.table),
        );
        println!(
            "moved: request {} from {} table {} to {}: {} — {}",
            m.request_id,
            m.from.starts_at.to_rfc3339(),
            m.from.table,
            to,
            m.reason,
            m.reason_label
        );
    }
    for r in &run.removed {
        println!(
            "removed: meeting {} (organizations {} and {}): {} — {}",
            r.meeting_id, r.org_ids[0], r.org_ids[1], r.reason, r.reason_label
        );
    }
    Ok(ExitCode::SUCCESS)
}
