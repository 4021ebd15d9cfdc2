//! Qiao's outer layer: the axum HTTP server with its HTML pages, and the
//! `qiao` command-line tool (serve, demo, migrate, import/export, backup,
//! users and tokens, match, bench). It wires match suggestions and the
//! plan-wide assignment to the database and the index (`matchmaking`). It validates input at the edge and delegates to the
//! store and the domain core; nothing below it knows about HTTP or files.

pub mod bench;
pub mod bench_match;
pub mod bench_search;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod http;
pub mod indexer;
pub mod matchmaking;
pub mod seeds;
pub mod server;
pub mod transfer;
