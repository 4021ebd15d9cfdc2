//! `qiao event agenda`: one organization's agenda at an event, written to a
//! calendar file or a workbook as staff see it.

use crate::args::GlobalArgs;
use qiao_app::App;
use qiao_app::events::agenda::write_agenda;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The event id.
    #[arg(long, value_name = "ID")]
    pub event: i64,
    /// The organization: its id or exact name.
    #[arg(long, value_name = "ORG")]
    pub org: String,
    /// Where to write: `.ics` (calendar, one entry per meeting) or `.xlsx` (sheet 日程).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let config = crate::commands::config(global);
    let store = config.open_store().await?;
    let app = App::without_follower(store, config).await?;
    let meetings = write_agenda(&app, args.event, &args.org, &args.out).await?;
    println!(
        "{meetings} meeting(s) of \"{}\" at event {} written to {}",
        args.org,
        args.event,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
