//! `qiao report`: the bureau's annual report of a plan year as a workbook.

use crate::args::GlobalArgs;
use qiao_app::App;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The plan year.
    #[arg(long)]
    pub year: i32,
    /// Where to write the workbook (.xlsx).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let is_xlsx = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if !is_xlsx {
        eprintln!("{}: the report is an .xlsx workbook", args.out.display());
        return Ok(ExitCode::from(2));
    }
    let config = super::config(global);
    let store = config.open_store().await?;
    let app = App::without_follower(store, config).await?;
    let today = qiao_app::projects::today();
    let (dashboard, bytes) = match app.annual_report_on(args.year, today).await {
        Ok(done) => done,
        Err(qiao_app::Error::NotFound) => {
            eprintln!("there is no plan for {}", args.year);
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    std::fs::write(&args.out, bytes)?;
    let key = dashboard.targets.iter().find(|t| t.code == "key_projects");
    println!(
        "{}: {} targets, {} projects, {} events held, {} organizations; key projects {}; written to {}",
        dashboard.plan,
        dashboard.targets.len(),
        dashboard.projects.total,
        dashboard.events.events_held,
        dashboard.organizations,
        key.map_or("not in the plan".to_string(), |t| format!(
            "{} of {}",
            t.actual.unwrap_or(0.0),
            t.target
        )),
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
