//! `qiao token`: API tokens for integrations.

use crate::args::GlobalArgs;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an API token for a user and print it once on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
    },
}

pub async fn run(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    let Command::Create { email, name } = command;
    let store = super::config(global).open_store().await?;
    let token = qiao_app::accounts::create_operator_token(&store, &email, &name).await?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
