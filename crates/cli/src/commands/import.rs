//! `qiao import`: one file of organizations, needs, capabilities or projects;
//! all rows or none. Projects read back what `qiao export projects` writes
//! and name organizations that exist.

use crate::args::GlobalArgs;
use qiao_app::Actor;
use qiao_app::transfer::{self, ImportFailure};
use std::path::PathBuf;
use std::process::ExitCode;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Organizations,
    Needs,
    Capabilities,
    Projects,
}

impl From<Kind> for transfer::Kind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Organizations => Self::Organizations,
            Kind::Needs => Self::Needs,
            Kind::Capabilities => Self::Capabilities,
            Kind::Projects => Self::Projects,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The file; the format follows the extension.
    pub file: PathBuf,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let store = super::config(global).open_store().await?;
    let file = &args.file;
    match transfer::import_file(&store, args.kind.into(), file, &Actor::system("cli")).await {
        Ok(report) => {
            println!(
                "imported {}: {} created, {} updated, {} unchanged",
                file.display(),
                report.created,
                report.updated,
                report.unchanged
            );
            if !report.new_organizations.is_empty() {
                println!(
                    "{} new organization(s) created as pending review: {}",
                    report.new_organizations.len(),
                    report.new_organizations.join("、")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportFailure::Rows(rows)) => {
            eprintln!(
                "{}: {} invalid row(s); nothing was written",
                file.display(),
                rows.len()
            );
            for row in &rows {
                eprintln!("  {row}");
            }
            Ok(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("{}: {e}; nothing was written", file.display());
            Ok(ExitCode::from(2))
        }
    }
}
