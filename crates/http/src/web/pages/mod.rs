//! The page handlers, one module per screen.

pub mod account;
pub mod events;
pub mod me;
pub mod my_capabilities;
pub mod my_needs;
mod owned;
pub mod portal;
// The public portal: search, listing details, the transparency list.
pub mod key_projects;
pub mod listing;
pub mod search;
// Staff: the console and the plan dashboard.
pub mod staff;
pub mod staff_dashboard;
// Admins: users and roles.
pub mod admin;
// Cooperation projects: the board and a project's page.
pub mod projects;
// Staff: events set-up and scheduling.
pub mod staff_events;
