//! Qiao's HTTP surface: the axum router with its state, problem documents,
//! sessions and CSRF, login throttling, hardening layers, metrics, thin routes
//! (extract → application → view) and the server-rendered pages (`web`). Everything a
//! route does beyond that lives in `qiao_app`.

mod api;
pub mod auth;
pub mod client_ip;
pub mod error;
mod extract;
pub mod hardening;
mod login_limit;
mod metrics;
mod routes;
mod schema;
mod server;
mod views;
pub mod web;

pub use api::api;
pub use server::{AppState, listen, router, serve, serve_on};
