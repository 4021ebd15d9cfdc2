//! The record of events held: one event's report and the year's summary
//! against the plan (staff).

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Path, Query};
use crate::server::AppState;
use crate::views::EventDoc;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use qiao_app::events::reports::{EventsSummary, report_workbook};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(event_report))
        .routes(routes!(events_summary))
}

/// A count under a code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountDoc {
    pub code: String,
    pub label: String,
    pub count: u64,
}

/// What came of an event.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventFiguresDoc {
    /// Registrations by status.
    pub registrations: Vec<CountDoc>,
    /// Confirmed registrations by kind of organization.
    pub participants_by_org_kind: Vec<CountDoc>,
    pub participants: u64,
    pub attendees_registered: u64,
    pub attendees_checked_in: u64,
    pub attendees_late: u64,
    pub organizations_present: u64,
    /// Requests by status (staff drafts included, under `draft`).
    pub meeting_requests: Vec<CountDoc>,
    /// Requests sent to participants (drafts not counted).
    pub meetings_requested: u64,
    pub meetings_scheduled: u64,
    pub meetings_held: u64,
    /// Outcomes as each side recorded them.
    pub outcomes: Vec<CountDoc>,
    pub follow_ups: Vec<CountDoc>,
    pub agreements: u64,
    pub projects_opened: u64,
}

/// One event's report.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventReportDoc {
    pub event: EventDoc,
    pub figures: EventFiguresDoc,
}

/// A held event in the year's summary.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldEventDoc {
    pub id: i64,
    pub name: String,
    pub kind: String,
    #[schema(format = DateTime)]
    pub starts_at: String,
    pub participants: u64,
    pub meetings_held: u64,
    pub agreements: u64,
    pub projects_opened: u64,
}

/// Events of one kind held in the year against the plan's target.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KindLineDoc {
    pub kind: String,
    pub label: String,
    /// The plan target's code (e.g. `thematic_events`).
    pub target_code: String,
    #[schema(required = true)]
    pub target: Option<f64>,
    #[schema(required = true)]
    pub min: Option<f64>,
    pub held: u64,
    #[schema(required = true)]
    pub progress: Option<f64>,
}

/// The year's events held by kind against the stored plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventsSummaryDoc {
    pub year: i32,
    #[schema(required = true)]
    pub plan: Option<String>,
    pub by_kind: Vec<KindLineDoc>,
    pub events_held: u64,
    pub participants: u64,
    pub meetings_held: u64,
    pub agreements: u64,
    pub projects_opened: u64,
    pub events: Vec<HeldEventDoc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// `json` (default) or `xlsx`.
    #[param(schema_with = report_format)]
    pub format: Option<String>,
}

fn report_format() -> utoipa::openapi::schema::Schema {
    crate::schema::one_of(&["json", "xlsx"], "`json` (default) or `xlsx`.")
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    /// The plan year.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: i32,
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One event's report: registrations, attendance, meetings, outcomes, agreements, projects (staff).
#[utoipa::path(get, path = "/api/v1/events/{id}/report", tag = "events", params(("id" = i64, Path, minimum = 1, description = "Event id"), ReportParams),
    responses((status = 200, description = "the report; `xlsx` as a file (with `Content-Disposition: attachment`)", content(
            (EventReportDoc = "application/json"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown format")))]
pub async fn event_report(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<ReportParams>,
) -> Result<Response, AppError> {
    let who = viewer.require()?;
    let xlsx = match p.format.as_deref() {
        None | Some("json") => false,
        Some("xlsx") => true,
        Some(_) => return Err(qiao_app::Error::field("format", "json or xlsx").into()),
    };
    let report = s.app.event_report(&who, id).await?;
    if xlsx {
        let bytes = report_workbook(&report)?;
        let mut response = bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
        if let Ok(v) =
            HeaderValue::from_str(&format!("attachment; filename=\"event-{id}-report.xlsx\""))
        {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(response);
    }
    let figures: EventFiguresDoc = crate::views::typed_from(&report.figures)?;
    Ok(axum::Json(EventReportDoc {
        event: report.event.into(),
        figures,
    })
    .into_response())
}

/// The year's events held by kind against the stored plan's targets (read by code), with each event's figures (staff).
#[utoipa::path(get, path = "/api/v1/events/summary", tag = "events", params(SummaryParams),
    responses((status = 200, body = EventsSummaryDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn events_summary(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<SummaryParams>,
) -> Result<axum::Json<EventsSummaryDoc>, AppError> {
    let who = viewer.require()?;
    let summary: EventsSummary = s.app.events_summary_for(&who, p.year).await?;
    Ok(axum::Json(crate::views::typed_from(&summary)?))
}
