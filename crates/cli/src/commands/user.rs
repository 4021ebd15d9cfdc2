//! `qiao user`: an operator's account management.

use crate::args::GlobalArgs;
use anyhow::Context;
use clap::Subcommand;
use qiao_core::vocab::{Role, Vocabulary};
use std::io::Read;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        email: String,
        /// enterprise, university, staff or admin
        #[arg(long)]
        role: String,
        /// The user's organization (created as pending if it does not exist).
        #[arg(long, value_name = "NAME")]
        org: Option<String>,
        /// Display name (defaults to the e-mail's local part).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (required; keeps it out of the shell history).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub async fn run(global: &GlobalArgs, command: Command) -> anyhow::Result<ExitCode> {
    let Command::Create {
        email,
        role,
        org,
        name,
        ..
    } = command;
    let role = role.parse::<Role>().map_err(anyhow::Error::msg)?;
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    qiao_app::credentials::check_password(password).map_err(anyhow::Error::msg)?;
    let store = super::config(global).open_store().await?;
    let (id, created_org) = qiao_app::accounts::create_operator_account(
        &store,
        &email,
        password,
        role,
        org.as_deref(),
        name.as_deref(),
    )
    .await?;
    println!("created user {email} ({}) with id {id}", role.code());
    if created_org {
        println!(
            "organization \"{}\" was created and awaits staff review",
            org.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
