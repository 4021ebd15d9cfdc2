//! `qiao serve`: the web server on the configured database.

use crate::args::GlobalArgs;
use qiao_app::App;
use qiao_app::config::DEFAULT_BIND;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, value_name = "ADDR", env = "QIAO_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
}

pub async fn run(global: &GlobalArgs, args: Args) -> anyhow::Result<ExitCode> {
    super::init_tracing();
    let config = super::config(global);
    let store = config.open_store().await?;
    let listener = qiao_http::listen(&args.bind).await?;
    let app = App::start(store, config).await?;
    qiao_http::serve(listener, app).await?;
    Ok(ExitCode::SUCCESS)
}
