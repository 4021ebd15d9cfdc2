//! Helpers for the black-box tests in `tests/tests/`: the platform on a
//! loopback port, a real HTTP client, and fixtures made only through the
//! REST API or import files — the one exception being the first admin
//! account, which the operator creates on the command line.

mod accounts;
pub mod browser;
mod client;
mod demo;
mod fixtures;
mod server;
mod visitor;

pub use accounts::{PASSWORD, login_token, org_of, registered, user_with_token};
pub use client::{Response, call, get, send};
pub use demo::{demo_platform, demo_platform_with_staged_events};
pub use fixtures::{
    approved_org, capability_of, import_jsonl, need_of, organization_named, review,
};
pub use server::{Server, serve, serve_another, settle};
pub use visitor::{Visitor, encode, field_error, field_value, hidden, location};
