//! `qiao export`: organizations, needs, capabilities or projects to a file.

use super::import::Kind;
use crate::args::GlobalArgs;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(value_enum)]
    pub kind: Kind,
    /// The file to write; the format follows the extension.
    pub file: PathBuf,
    /// Write only the header row, as a template to fill in.
    #[arg(long)]
    pub template: bool,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    let store = super::config(global).open_store().await?;
    let n = qiao_app::transfer::export_file(&store, args.kind.into(), &args.file, args.template)
        .await?;
    if args.template {
        println!("wrote a template to {}", args.file.display());
    } else {
        println!("exported {n} row(s) to {}", args.file.display());
    }
    Ok(ExitCode::SUCCESS)
}
