//! The command line's shape: global options and one subcommand each.

use crate::commands::{
    backup, bench, demo, embed, event, export, import, match_plan, model, report, serve, token,
    user,
};
use clap::parser::ValueSource;
use clap::{ArgMatches, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "qiao", version, about = "Qiao (桥): industry–academia matchmaking platform", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Data directory (database file, search index). [default: ./qiao-data; ./qiao-demo for `demo`, which ignores the environment variable]
    #[arg(long, global = true, value_name = "DIR", env = "QIAO_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL, sqlite://… or postgres://… [default: the SQLite file in the data directory]
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Whether `data_dir` came from the environment rather than the flag.
    #[arg(skip)]
    pub data_dir_from_env: bool,
}

impl Cli {
    /// Notes where values came from, which `clap`'s derive does not keep.
    pub fn with_sources(mut self, matches: &ArgMatches) -> Self {
        let from_env =
            |m: &ArgMatches| m.value_source("data_dir") == Some(ValueSource::EnvVariable);
        let sub = matches.subcommand().map(|(_, m)| m);
        self.global.data_dir_from_env = from_env(matches) && sub.is_none_or(from_env);
        self
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve(serve::Args),
    /// Run the platform with demo data in a data directory of its own.
    Demo(demo::Args),
    /// Apply pending database migrations.
    Migrate,
    /// Import organizations, needs, capabilities or projects from .jsonl, .csv or .xlsx; all rows or none.
    Import(import::Args),
    /// Export organizations, needs, capabilities or projects to .jsonl, .csv or .xlsx.
    Export(export::Args),
    /// Rebuild the search index from the database into a new directory and switch to it atomically.
    Reindex,
    /// Write a consistent copy of the SQLite database while it is in use.
    Backup(backup::Args),
    /// Manage user accounts.
    #[command(subcommand)]
    User(user::Command),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(token::Command),
    /// Propose matches for the year's planned cooperation projects: every open need gets up to k capabilities, maximising the total score within each team's capacity; the proposals are stored as suggestions for staff review and written to a file.
    Match(match_plan::Args),
    /// Write the annual report of a plan year (.xlsx): targets against actual figures, projects, events held, organizations, the funnel.
    Report(report::Args),
    /// The embedding model (meaning as well as words): install it, see what it covers.
    #[command(subcommand)]
    Model(model::Command),
    /// Embed every listing that has no vector of the installed model (or a changed text); resumable.
    Embed(embed::Args),
    /// Events: schedule the 1:1 meetings, write agendas.
    #[command(subcommand)]
    Event(event::Command),
    /// Measure speed and relevance on the real documents in ../shared/data.
    #[command(subcommand)]
    Bench(bench::Command),
}
