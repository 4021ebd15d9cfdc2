//! `qiao demo`: the platform with demo data, in a data directory of its own.

use crate::args::GlobalArgs;
use qiao_app::App;
use qiao_app::config::{DEFAULT_BIND, DEFAULT_DEMO_DIR};
use qiao_app::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD, Prepared};
use qiao_core::vocab::Vocabulary;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", env = "QIAO_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// Start from a fresh demo database, discarding changes made in earlier demo runs.
    #[arg(long)]
    pub reset: bool,
    /// Load the demo data and exit without serving.
    #[arg(long, hide = true)]
    pub no_serve: bool,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    super::init_tracing();
    // The demo never takes QIAO_DATA_DIR, so it cannot touch a real data directory by accident.
    let config = super::config_in(global, DEFAULT_DEMO_DIR, false);
    let (store, prepared) = qiao_app::demo::prepare(&config, args.reset).await?;
    if args.reset {
        println!("demo database reset");
    }
    let just_loaded = matches!(prepared, Prepared::Loaded { .. });
    match prepared {
        Prepared::Loaded { from, loaded } => println!(
            "loaded demo data from {}: {} organizations, {} needs, {} capabilities, {} events, {} projects",
            from.display(),
            loaded.organizations,
            loaded.needs,
            loaded.capabilities,
            loaded.events,
            loaded.projects
        ),
        Prepared::Existing => {}
        Prepared::Foreign => println!(
            "note: this database already holds other data; serving it without loading demo data"
        ),
    }
    println!("demo data directory: {}", config.data_dir.display());
    println!("demo accounts (password: {DEMO_PASSWORD}):");
    for (email, role) in DEMO_ACCOUNTS {
        println!("  {:<26} {} ({})", email, role.code(), role.label_zh());
    }
    let listener = if args.no_serve {
        None
    } else {
        Some(qiao_http::listen(&args.bind).await?)
    };
    let app = if args.no_serve {
        App::without_follower(store.clone(), config).await?
    } else {
        App::start(store.clone(), config).await?
    };
    if just_loaded {
        // Events get their history through the use cases, which need the app.
        match app.stage_demo_events().await {
            Ok(staged) => println!(
                "demo events: {} meeting requests, {} meetings scheduled, {} outcomes, {} projects from agreements",
                staged.requests, staged.meetings, staged.outcomes, staged.projects
            ),
            Err(e) => {
                // Leave an empty database rather than half a demo.
                store.reset().await?;
                return Err(e.context("staging the demo events"));
            }
        }
    }
    if let Some(listener) = listener {
        qiao_http::serve(listener, app).await?;
    }
    Ok(ExitCode::SUCCESS)
}
