//! The page handlers, one module per screen.

pub mod account;
pub mod me;
pub mod portal;
