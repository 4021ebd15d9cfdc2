//! The year's plan: its name and targets, read by everyone (the home page
//! shows it) and edited by staff.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path};
use crate::server::AppState;
use axum::extract::State;
use qiao_app::plans::{Plan, Target};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_plan, put_plan))
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

fn year_in_range(year: i32) -> Result<(), AppError> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(qiao_app::Error::field("year", "must be 2000–2100").into())
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
    year_in_range(year)?;
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
    year_in_range(year)?;
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
