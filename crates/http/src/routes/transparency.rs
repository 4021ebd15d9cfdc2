//! The transparency list (阳光科技) of the year's key projects, for
//! everyone, and the staff setting of which fields it publishes.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Query, plan_year};
use crate::server::AppState;
use crate::views::{KeyProjectsDoc, TransparencySettingsDoc};
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(key_projects))
        .routes(routes!(get_settings, put_settings))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct YearParams {
    /// The plan year (default: this year, China time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
}

/// The year's key projects (重点产学研合作项目) with the fields staff
/// publish; no sign-in needed. A project whose need is staff-only or one of
/// whose partners is not approved stays off unless staff publish it.
#[utoipa::path(get, path = "/api/v1/public/key-projects", tag = "projects", params(YearParams),
    responses((status = 200, body = KeyProjectsDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a year out of range")))]
pub async fn key_projects(
    State(s): State<AppState>,
    Query(p): Query<YearParams>,
) -> Result<axum::Json<KeyProjectsDoc>, AppError> {
    let year = match p.year {
        Some(y) => plan_year(y)?,
        None => chrono::Datelike::year(&qiao_app::projects::today()),
    };
    let list = s.app.transparency_list(year).await?;
    Ok(axum::Json(KeyProjectsDoc {
        year: list.year,
        fields: list.fields,
        items: list.items.into_iter().map(Into::into).collect(),
    }))
}

/// Which fields the transparency list publishes.
#[utoipa::path(get, path = "/api/v1/settings/transparency", tag = "projects",
    responses((status = 200, body = TransparencySettingsDoc)))]
pub async fn get_settings(
    State(s): State<AppState>,
) -> Result<axum::Json<TransparencySettingsDoc>, AppError> {
    Ok(axum::Json(TransparencySettingsDoc {
        fields: s.app.transparency_fields().await?,
    }))
}

/// Choose the published fields (staff; the title always, amounts only if chosen).
#[utoipa::path(put, path = "/api/v1/settings/transparency", tag = "projects", request_body = TransparencySettingsDoc,
    responses((status = 200, body = TransparencySettingsDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a field that cannot be published, or no title")))]
pub async fn put_settings(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<TransparencySettingsDoc>,
) -> Result<axum::Json<TransparencySettingsDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(TransparencySettingsDoc {
        fields: s.app.set_transparency_fields(&who, body.fields).await?,
    }))
}
