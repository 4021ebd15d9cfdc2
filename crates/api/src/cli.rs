//! The `qiao` command line. Configuration comes from flags, then the
//! environment, then defaults.

use crate::config::{self, Config, DEFAULT_BIND, DEFAULT_DATA_DIR, DEFAULT_DEMO_DIR};
use crate::credentials;
use crate::transfer::{self, ImportFailure, Kind};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use qiao_core::vocab::{Role, Vocabulary};
use qiao_store::audit::{self, Actor, Entry};
use qiao_store::users::NewUser;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "qiao", version, about = "Qiao (桥): industry–academia matchmaking platform", long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Data directory (database file, search index). [env: QIAO_DATA_DIR] [default: ./qiao-data; ./qiao-demo for `demo`]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL, sqlite://… or postgres://… [env: DATABASE_URL] [default: the SQLite file in the data directory]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (migrates the database first).
    Serve(ServeArgs),
    /// Run the platform with demo data in a data directory of its own.
    Demo(DemoArgs),
    /// Apply pending database migrations.
    Migrate,
    /// Import organizations, needs or capabilities from .jsonl, .csv or .xlsx; all rows or none.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: Kind,
        /// The file; the format follows the extension.
        file: PathBuf,
    },
    /// Export organizations, needs, capabilities or projects to .jsonl, .csv or .xlsx.
    Export {
        #[arg(value_enum)]
        kind: Kind,
        /// The file to write; the format follows the extension.
        file: PathBuf,
        /// Write only the header row, as a template to fill in.
        #[arg(long)]
        template: bool,
    },
    /// Rebuild the search index from the database into a new directory and switch to it atomically.
    Reindex,
    /// Write a consistent copy of the SQLite database while it is in use.
    Backup {
        /// Where to write the copy (must not exist).
        file: PathBuf,
    },
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Propose matches for the year's planned cooperation projects: every open need gets up to k capabilities, maximising the total score within each team's capacity; the proposals are stored as suggestions for staff review and written to a file.
    Match(MatchArgs),
    /// Measure speed and relevance on the real documents in ../shared/data.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Args, Debug)]
pub struct MatchArgs {
    /// The plan year.
    #[arg(long)]
    pub year: i32,
    /// Where to write the proposals (.xlsx, .csv or .jsonl): one row per proposal with its explanation.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Proposals per need.
    #[arg(long, default_value_t = 3)]
    pub k: u32,
    /// At most this many proposals per university or institute.
    #[arg(long, value_name = "M")]
    pub per_university: Option<u32>,
    /// Only these needs (ids, comma-separated), instead of every open need.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub needs: Option<Vec<i64>>,
    /// Only needs flagged for the year's key-project plan.
    #[arg(long)]
    pub key_projects: bool,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Import the ~114k real documents as capabilities into an empty database and report the rate.
    Import {
        /// The shared data folder. [env: QIAO_SHARED_DATA] [default: ../shared/data]
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Search relevance (MRR@10, hit@10 on the CSL dev queries) and speed (indexing, latency, HTTP throughput), with SQLite FTS5 trigram alongside.
    Search {
        /// The shared data folder. [env: QIAO_SHARED_DATA] [default: ../shared/data]
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Only the relevance part (fast).
        #[arg(long)]
        relevance_only: bool,
    },
    /// Match suggestions on the CSL papers as capabilities: MRR@10, hit@10 and discipline share on one need per dev query, latency, nDCG@10 on the enterprise needs, and the 300-need plan assignment, exact against greedy.
    Match {
        /// The shared data folder. [env: QIAO_SHARED_DATA] [default: ../shared/data]
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. [env: QIAO_BIND] [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Address to listen on. [env: QIAO_BIND] [default: 127.0.0.1:8080]
    #[arg(long, value_name = "ADDR")]
    pub bind: Option<String>,
    /// Start from a fresh demo database, discarding changes made in earlier demo runs.
    #[arg(long)]
    pub reset: bool,
    /// Load the demo data and exit without serving.
    #[arg(long, hide = true)]
    pub no_serve: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
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

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a user and print it once on standard output.
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("QIAO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

fn config_for(global: &GlobalArgs, default_dir: &str, use_env_dir: bool) -> Config {
    let data_dir = if use_env_dir {
        config::path_flag_or_env(global.data_dir.clone(), "QIAO_DATA_DIR", default_dir)
    } else {
        global
            .data_dir
            .clone()
            .unwrap_or_else(|| default_dir.into())
    };
    Config::new(
        data_dir,
        config::flag_or_env(global.database_url.clone(), "DATABASE_URL"),
    )
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Demo(args) => {
            init_tracing();
            // The demo never takes QIAO_DATA_DIR, so it cannot touch a real data directory by accident.
            let config = config_for(&global, DEFAULT_DEMO_DIR, false);
            crate::server::demo(config, args).await?;
        }
        Command::Serve(args) => {
            init_tracing();
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            let bind =
                config::flag_or_env(args.bind, "QIAO_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
            let store = config.open_store().await?;
            crate::server::serve(store, config, &bind).await?;
        }
        Command::Migrate => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            config.open_store().await?;
            println!("database is up to date");
        }
        Command::Import { kind, file } => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            let store = config.open_store().await?;
            let actor = Actor::system("cli");
            match transfer::import_file(&store, kind, &file, &actor).await {
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
                    return Ok(ExitCode::from(2));
                }
                Err(e) => {
                    eprintln!("{}: {e}; nothing was written", file.display());
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Command::Export {
            kind,
            file,
            template,
        } => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            let store = config.open_store().await?;
            let n = transfer::export_file(&store, kind, &file, template).await?;
            if template {
                println!("wrote a template to {}", file.display());
            } else {
                println!("exported {n} row(s) to {}", file.display());
            }
        }
        Command::Backup { file } => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            if !config.is_sqlite() {
                bail!(
                    "qiao backup copies the SQLite database; for PostgreSQL use pg_dump (e.g. pg_dump -Fc \"$DATABASE_URL\" > qiao.dump)"
                );
            }
            let store = config.open_store().await?;
            store.backup_sqlite(&file).await?;
            println!(
                "wrote a consistent copy of the database to {}",
                file.display()
            );
        }
        Command::User(UserCommand::Create {
            email,
            role,
            org,
            name,
            ..
        }) => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            let role = role.parse::<Role>().map_err(anyhow::Error::msg)?;
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            credentials::check_password(password).map_err(anyhow::Error::msg)?;
            let hash = credentials::hash_password(password).map_err(anyhow::Error::msg)?;
            let store = config.open_store().await?;
            let display =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
            let created = store
                .create_user(
                    NewUser {
                        email: &email,
                        display_name: &display,
                        role,
                        org_name: org.as_deref(),
                        password_hash: hash,
                    },
                    &Actor::system("cli"),
                )
                .await?;
            println!(
                "created user {email} ({}) with id {}",
                role.code(),
                created.id
            );
            if created.created_org {
                println!(
                    "organization \"{}\" was created and awaits staff review",
                    org.unwrap_or_default()
                );
            }
        }
        Command::Reindex => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            let store = config.open_store().await?;
            let n = crate::indexer::rebuild(&config.index_dir(), &store).await?;
            println!(
                "rebuilt the search index: {n} documents; running servers switch to it within a second"
            );
        }
        Command::Bench(BenchCommand::Search {
            data,
            relevance_only,
        }) => {
            let data = data.unwrap_or_else(crate::bench::shared_data_dir);
            crate::bench_search::run(&data, relevance_only).await?;
        }
        Command::Bench(BenchCommand::Match { data }) => {
            let data = data.unwrap_or_else(crate::bench::shared_data_dir);
            crate::bench_match::run(&data).await?;
        }
        Command::Match(args) => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            crate::matchmaking::run_cli(&config, args).await?;
        }
        Command::Bench(BenchCommand::Import { data }) => {
            let scratch = tempfile::tempdir()?;
            let dir = global
                .data_dir
                .clone()
                .unwrap_or_else(|| scratch.path().to_path_buf());
            let config = Config::new(
                dir,
                config::flag_or_env(global.database_url.clone(), "DATABASE_URL"),
            );
            let data = data.unwrap_or_else(crate::bench::shared_data_dir);
            crate::bench::import(&config, &data).await?;
        }
        Command::Token(TokenCommand::Create { email, name }) => {
            let config = config_for(&global, DEFAULT_DATA_DIR, true);
            let store = config.open_store().await?;
            let user = store
                .user_by_email(&email)
                .await?
                .with_context(|| format!("no user with e-mail {email}"))?;
            let (token, digest, prefix) = credentials::new_api_token();
            store
                .create_api_token(user.id, &name, &digest, &prefix, &Actor::system("cli"))
                .await?;
            println!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Marks a database as filled by the demo, so `--reset` may wipe it later.
pub async fn mark_demo(store: &qiao_store::Store) -> anyhow::Result<()> {
    audit::record(
        store.conn(),
        &Actor::system("demo-seed"),
        Entry {
            action: "load_demo",
            entity_type: "database",
            entity_id: None,
            before: None,
            after: None,
        },
    )
    .await?;
    Ok(())
}
