//! `qiao event …`: staff work on events from the command line.

mod agenda;
mod schedule;

use crate::args::GlobalArgs;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Place the accepted 1:1 meetings of an event into slots and tables.
    Schedule(schedule::Args),
    /// Write one organization's agenda at an event (.ics or .xlsx by the file's extension).
    Agenda(agenda::Args),
}

pub async fn run(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Schedule(args) => schedule::run(global, args).await,
        Command::Agenda(args) => agenda::run(global, args).await,
    }
}
