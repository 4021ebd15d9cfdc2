//! One module per subcommand; `run` dispatches.

pub mod backup;
pub mod bench;
pub mod demo;
pub mod embed;
pub mod event;
pub mod export;
pub mod import;
pub mod match_plan;
pub mod model;
pub mod reindex;
pub mod report;
pub mod serve;
pub mod token;
pub mod user;

use crate::args::{Cli, Command, GlobalArgs};
use qiao_app::Config;
use qiao_app::config::DEFAULT_DATA_DIR;
use std::process::ExitCode;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(&global, args).await,
        Command::Demo(args) => demo::run(&global, args).await,
        Command::Migrate => {
            config(&global).open_store().await?;
            println!("database is up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Import(args) => import::run(&global, args).await,
        Command::Export(args) => export::run(&global, args).await,
        Command::Reindex => reindex::run(&global).await,
        Command::Backup(args) => backup::run(&global, args).await,
        Command::User(command) => user::run(&global, command).await,
        Command::Token(command) => token::run(&global, command).await,
        Command::Match(args) => match_plan::run(&global, args).await,
        Command::Report(args) => report::run(&global, args).await,
        Command::Model(command) => model::run(&global, command).await,
        Command::Embed(args) => embed::run(&global, args).await,
        Command::Event(command) => event::run(&global, command).await,
        Command::Bench(command) => bench::run(&global, command).await,
    }
}

/// The configuration of every command but `demo`: flag, then environment, then default.
pub fn config(global: &GlobalArgs) -> Config {
    config_in(global, DEFAULT_DATA_DIR, true)
}

/// The configuration with `default_dir`; `use_env_dir` false ignores `QIAO_DATA_DIR`.
pub fn config_in(global: &GlobalArgs, default_dir: &str, use_env_dir: bool) -> Config {
    let data_dir = global
        .data_dir
        .clone()
        .filter(|d| !d.as_os_str().is_empty())
        .filter(|_| use_env_dir || !global.data_dir_from_env)
        .unwrap_or_else(|| default_dir.into());
    let database_url = global.database_url.clone().filter(|u| !u.trim().is_empty());
    Config::new(data_dir, database_url)
}

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("QIAO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}
