//! The year's plan: its name and targets, read by everyone (the home page
//! shows it) and edited by staff.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, plan_year};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use qiao_app::plans::{Actual, Plan, Target};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_plan, put_plan))
        .routes(routes!(list_actuals, record_actual))
}

/// A target figure of the plan, read elsewhere by its `code`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetDoc {
    /// e.g. `key_projects`, `thematic_events`, `tech_contract_turnover`.
    #[schema(pattern = "^[a-z][a-z0-9_]*$", min_length = 1, max_length = 50)]
    pub code: String,
    #[schema(min_length = 1, max_length = 100)]
    pub label: String,
    #[schema(minimum = 0.0, maximum = 1e12)]
    pub target: f64,
    /// The least that still counts as met (e.g. 2 of 3 city-wide events).
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 1e12)]
    pub min: Option<f64>,
    /// 项, 场, 万元 …
    #[schema(min_length = 1, max_length = 20)]
    pub unit: String,
}

/// A year's plan.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanDoc {
    pub year: i32,
    pub name: String,
    pub targets: Vec<TargetDoc>,
}

/// A plan as staff send it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_items = 100)]
    pub targets: Vec<TargetDoc>,
}

impl From<Plan> for PlanDoc {
    fn from(p: Plan) -> Self {
        Self {
            year: p.year,
            name: p.name,
            targets: p
                .targets
                .into_iter()
                .map(|t| TargetDoc {
                    code: t.code,
                    label: t.label,
                    target: t.target,
                    min: t.min,
                    unit: t.unit,
                })
                .collect(),
        }
    }
}

/// The plan of a year: its name and targets.
#[utoipa::path(get, path = "/api/v1/plans/{year}", tag = "projects",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")),
    responses((status = 200, body = PlanDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a year out of range")))]
pub async fn get_plan(
    State(s): State<AppState>,
    Path(year): Path<i32>,
) -> Result<axum::Json<PlanDoc>, AppError> {
    plan_year(year)?;
    Ok(axum::Json(s.app.annual_plan(year).await?.into()))
}

/// Create or replace the plan of a year (staff; audited with before and
/// after). Codes are unique; a `min` lies between 0 and its target.
#[utoipa::path(put, path = "/api/v1/plans/{year}", tag = "projects", request_body = PlanBody,
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")),
    responses((status = 200, body = PlanDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "a year that is not a whole number names nothing"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid targets, each named (`targets[2].min`)")))]
pub async fn put_plan(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
    Json(body): Json<PlanBody>,
) -> Result<axum::Json<PlanDoc>, AppError> {
    let who = viewer.require()?;
    plan_year(year)?;
    let targets = body
        .targets
        .into_iter()
        .map(|t| Target {
            code: t.code,
            label: t.label,
            target: t.target,
            min: t.min,
            unit: t.unit,
        })
        .collect();
    Ok(axum::Json(
        s.app
            .save_annual_plan(&who, year, body.name, targets)
            .await?
            .into(),
    ))
}

/// An actual figure staff entered (手工填报).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualDoc {
    pub id: i64,
    /// The target's code.
    pub code: String,
    pub value: f64,
    /// The day the figure stands for.
    #[schema(format = Date)]
    pub as_of: String,
    pub note: String,
    /// Always `manual`: entered by staff, not counted from the records.
    pub source: String,
    /// 手工填报.
    pub source_label: String,
    pub recorded_by: String,
    #[schema(format = DateTime)]
    pub recorded_at: String,
}

impl From<Actual> for ActualDoc {
    fn from(a: Actual) -> Self {
        Self {
            id: a.id,
            code: a.code,
            value: a.value,
            as_of: a.as_of.to_string(),
            note: a.note,
            source: "manual".into(),
            source_label: "手工填报".into(),
            recorded_by: a.recorded_by,
            recorded_at: a.created_at.to_rfc3339(),
        }
    }
}

/// An actual figure as staff enter it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActualBody {
    /// A target code of the year's plan.
    #[schema(min_length = 1, max_length = 50)]
    pub code: String,
    #[schema(minimum = 0.0, maximum = 1e12)]
    pub value: f64,
    /// A day of the plan's year.
    #[schema(format = Date)]
    pub as_of: NaiveDate,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// The actual figures staff entered for the year's targets (staff).
#[utoipa::path(get, path = "/api/v1/plans/{year}/actuals", tag = "projects",
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")),
    responses((status = 200, body = Vec<ActualDoc>),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a year out of range")))]
pub async fn list_actuals(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
) -> Result<axum::Json<Vec<ActualDoc>>, AppError> {
    let who = viewer.require()?;
    plan_year(year)?;
    let list = s.app.plan_actuals(&who, year).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

/// Enter an actual figure for a target the platform cannot count (staff;
/// dated, audited, kept beside earlier entries).
#[utoipa::path(post, path = "/api/v1/plans/{year}/actuals", tag = "projects", request_body = ActualBody,
    params(("year" = i32, Path, minimum = 2000, maximum = 2100, description = "Plan year (2000–2100)")),
    responses((status = 201, body = ActualDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no plan for the year"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a code the plan does not have, a date outside the year, a value out of range")))]
pub async fn record_actual(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(year): Path<i32>,
    Json(body): Json<ActualBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    plan_year(year)?;
    let a = s
        .app
        .record_plan_actual(&who, year, &body.code, body.value, body.as_of, body.note)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(ActualDoc::from(a))))
}
