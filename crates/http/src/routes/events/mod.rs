//! Events: set-up and life cycle, registration and check-in, meeting
//! requests and the schedule, agendas and table plans, and reports. Each
//! part brings its own router; they are merged here.

pub mod agenda;
pub mod calendar;
pub mod meetings;
pub mod registrations;
pub mod reports;

use crate::server::AppState;
use utoipa_axum::router::OpenApiRouter;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(calendar::router())
        .merge(registrations::router())
        .merge(meetings::router())
        .merge(agenda::router())
        .merge(reports::router())
}
