//! The plan dashboard and the annual report (staff). Both come from one
//! computation in the application layer, so their numbers agree.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Path, Query, plan_year};
use crate::routes::events::reports::{CountDoc, EventsSummaryDoc};
use crate::server::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(dashboard))
        .routes(routes!(report))
}

/// One target of the plan against its actual figure.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetProgressDoc {
    pub code: String,
    pub label: String,
    pub unit: String,
    pub target: f64,
    #[schema(required = true)]
    pub min: Option<f64>,
    /// Null: a manual target nobody has entered yet.
    #[schema(required = true)]
    pub actual: Option<f64>,
    /// actual / target.
    #[schema(required = true)]
    pub progress: Option<f64>,
    /// `counted` from the records, or `manual` (entered by staff; the latest entry by date counts).
    #[schema(pattern = "^(counted|manual)$")]
    pub source: String,
    /// 平台统计 or 手工填报.
    pub source_label: String,
    /// How the figure is counted.
    pub basis: String,
    /// The date of the manual figure that counts.
    #[schema(required = true, format = Date)]
    pub as_of: Option<String>,
    /// Cumulative to each month's end (12 values); null for months still to come.
    pub monthly: Vec<Option<f64>>,
    /// Last year's cumulative curve, where last year has figures.
    #[schema(required = true)]
    pub last_year: Option<Vec<Option<f64>>>,
}

/// The year's projects in one field or district.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakdownDoc {
    /// The field's code or the district's name; null when not recorded.
    #[schema(required = true)]
    pub code: Option<String>,
    pub label: String,
    pub projects: u64,
    pub key_projects: u64,
    /// Signed, in progress or completed.
    pub contracted: u64,
    /// 万元, of the contracted projects.
    pub contract_amount: f64,
}

/// The year's projects in figures.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFiguresDoc {
    pub total: u64,
    pub key_projects: u64,
    pub contracted: u64,
    pub completed: u64,
    pub terminated: u64,
    /// 万元.
    pub contract_amount: f64,
    pub by_status: Vec<CountDoc>,
    pub key_by_status: Vec<CountDoc>,
    pub by_field: Vec<BreakdownDoc>,
    pub by_district: Vec<BreakdownDoc>,
}

/// An open milestone past its due date.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OverdueMilestoneDoc {
    pub milestone_id: i64,
    pub project_id: i64,
    pub project_title: String,
    pub key_project: bool,
    pub title: String,
    #[schema(format = Date)]
    pub due_on: String,
    pub days_overdue: i64,
}

/// One stage of the funnel from a published need to a completed project.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunnelStageDoc {
    /// `published`, `suggested`, `accepted`, `met_at_event`, `agreement`, `signed`, `completed`.
    pub code: String,
    pub label: String,
    /// Needs of the year that reached this stage or a later one (`met_at_event`: that met at an event).
    pub count: u64,
    /// A stage needs may skip.
    pub optional: bool,
    /// count / the previous stage that is not optional.
    #[schema(required = true)]
    pub conversion: Option<f64>,
    /// count / needs published.
    #[schema(required = true)]
    pub of_published: Option<f64>,
    /// Median days since the previous stage that is not optional.
    #[schema(required = true)]
    pub median_days: Option<f64>,
    /// Needs the median is taken over.
    pub timed: u64,
}

/// The dashboard of a plan year.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DashboardDoc {
    pub year: i32,
    /// The plan's name.
    pub plan: String,
    /// The day the figures stand for (China time).
    #[schema(format = Date)]
    pub as_of: String,
    /// Months of the year with figures.
    pub months: u32,
    pub targets: Vec<TargetProgressDoc>,
    pub projects: ProjectFiguresDoc,
    pub overdue_milestones: Vec<OverdueMilestoneDoc>,
    pub funnel: Vec<FunnelStageDoc>,
    /// Organizations taking part: partners of the year's projects and confirmed participants of events held.
    pub organizations: u64,
    /// The events summary of the year (`GET /api/v1/events/summary`).
    pub events: EventsSummaryDoc,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnnualReportParams {
    /// `xlsx` (the only format).
    #[param(schema_with = xlsx_only)]
    pub format: Option<String>,
}

fn xlsx_only() -> utoipa::openapi::schema::Schema {
    crate::schema::one_of(&["xlsx"], "`xlsx` (default and only format).")
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The year's targets against actual figures (counted, or 手工填报), by month with last year's curve, by field and district; key projects by status; overdue milestones; the funnel (staff).
#[utoipa::path(get, path = "/api/v1/plans/{year}/dashboard", tag = "projects",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")),
    responses((status = 200, body = DashboardDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a year out of range")))]
pub async fn dashboard(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
) -> Result<axum::Json<DashboardDoc>, AppError> {
    let who = viewer.require()?;
    plan_year(year)?;
    let d = s.app.plan_dashboard(&who, year).await?;
    Ok(axum::Json(crate::views::typed_from(&d)?))
}

/// The annual report as a workbook: 概况 (targets), 项目, 活动, 参与单位, 漏斗 — the dashboard's numbers (staff).
#[utoipa::path(get, path = "/api/v1/plans/{year}/report", tag = "projects",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)"), AnnualReportParams),
    responses((status = 200, description = "the workbook (with `Content-Disposition: attachment`)",
            content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a year out of range or an unknown format")))]
pub async fn report(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
    Query(p): Query<AnnualReportParams>,
) -> Result<Response, AppError> {
    let who = viewer.require()?;
    plan_year(year)?;
    if !matches!(p.format.as_deref(), None | Some("xlsx")) {
        return Err(qiao_app::Error::field("format", "xlsx").into());
    }
    let (_, bytes) = s.app.annual_report(&who, year).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(XLSX));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"qiao-annual-report-{year}.xlsx\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}
