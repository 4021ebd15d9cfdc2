//! Cooperation projects: the list with its filters, one project with its
//! milestones and notes, staff's record and life cycle, and partners'
//! progress reports.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query, plan_year, term as vocab, whole};
use crate::schema;
use crate::server::AppState;
use crate::views::{MilestoneDoc, NoteDoc, ProjectDetailDoc, ProjectDoc, ProjectPage};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use qiao_app::projects::{MilestoneDraft, ProjectDraft, ProjectFilter, ProjectSort};
use qiao_core::vocab::{ContractType, Field, ProjectOrigin, ProjectStatus, TerminationReason};
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, patch_project))
        .routes(routes!(transition_project))
        .routes(routes!(list_milestones, create_milestone))
        .routes(routes!(patch_milestone))
        .routes(routes!(create_note))
}

/// Filters, order and paging of the project list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProjectParams {
    /// The plan year.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[param(schema_with = schema::code::<ProjectStatus>)]
    pub status: Option<String>,
    /// Key projects (重点项目) only, or the others.
    pub key_project: Option<bool>,
    #[param(schema_with = schema::code::<Field>)]
    pub field: Option<String>,
    /// The enterprise's district.
    #[param(max_length = 50)]
    pub district: Option<String>,
    /// Projects this organization takes part in.
    #[param(minimum = 1)]
    pub org_id: Option<i64>,
    #[param(schema_with = schema::code::<ProjectOrigin>)]
    pub origin: Option<String>,
    /// With (true) or without (false) an overdue milestone.
    pub overdue: Option<bool>,
    /// `updated` (default: last changed first), `signed` (latest signed first) or `amount` (largest first).
    #[param(pattern = "^(updated|signed|amount)$")]
    pub sort: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// A project's fields as staff send them; on a change, absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectBody {
    #[schema(max_length = 100)]
    pub external_id: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 1)]
    pub need_id: Option<i64>,
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 1)]
    pub capability_id: Option<i64>,
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 1)]
    pub meeting_id: Option<i64>,
    /// The enterprise (required on creation).
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 1)]
    pub enterprise_org_id: Option<i64>,
    /// The university or institute (required on creation).
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 1)]
    pub institution_org_id: Option<i64>,
    /// Further partner organizations.
    #[serde(default, deserialize_with = "whole::option_vec")]
    #[schema(max_items = 20)]
    pub partners: Option<Vec<i64>>,
    #[schema(schema_with = schema::code_or_null::<ProjectOrigin>)]
    pub origin: Option<String>,
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(minimum = 2000, maximum = 2100)]
    pub plan_year: Option<i32>,
    pub key_project: Option<bool>,
    #[schema(schema_with = schema::code_or_null::<Field>)]
    pub field: Option<String>,
    /// Default: the enterprise's district.
    #[schema(max_length = 50)]
    pub district: Option<String>,
    #[schema(schema_with = schema::code_or_null::<ContractType>)]
    pub contract_type: Option<String>,
    /// 万元.
    #[schema(minimum = 0.0, maximum = 10000000.0)]
    pub contract_amount: Option<f64>,
    /// 技术合同登记号.
    #[schema(max_length = 40)]
    pub contract_reg_no: Option<String>,
    #[schema(format = Date)]
    pub signed_on: Option<NaiveDate>,
    #[schema(format = Date)]
    pub expected_end: Option<NaiveDate>,
    /// Publish on the transparency list.
    pub published: Option<bool>,
    /// On a change: the next status (an allowed move; see `next_statuses`).
    #[schema(schema_with = schema::code_or_null::<ProjectStatus>)]
    pub status: Option<String>,
    /// With `status` `terminated`: why.
    #[schema(schema_with = schema::code_or_null::<TerminationReason>)]
    pub reason: Option<String>,
    #[schema(max_length = 2000)]
    pub reason_note: Option<String>,
    /// The version being edited; a mismatch answers 409.
    #[serde(default, deserialize_with = "whole::option")]
    pub version: Option<i32>,
}

impl From<ProjectBody> for ProjectDraft {
    fn from(b: ProjectBody) -> Self {
        Self {
            external_id: b.external_id,
            title: b.title,
            need_id: b.need_id,
            capability_id: b.capability_id,
            meeting_id: b.meeting_id,
            enterprise_org_id: b.enterprise_org_id,
            institution_org_id: b.institution_org_id,
            partners: b.partners,
            origin: b.origin,
            plan_year: b.plan_year,
            key_project: b.key_project,
            field: b.field,
            district: b.district,
            contract_type: b.contract_type,
            contract_amount: b.contract_amount,
            contract_reg_no: b.contract_reg_no,
            signed_on: b.signed_on,
            expected_end: b.expected_end,
            published: b.published,
            status: b.status,
            reason: b.reason,
            reason_note: b.reason_note,
            version: b.version,
        }
    }
}

/// A move in the life cycle.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    /// The next status.
    #[schema(schema_with = schema::code::<ProjectStatus>)]
    pub to: String,
    /// Required to terminate: the reason code.
    #[schema(schema_with = schema::code_or_null::<TerminationReason>)]
    pub reason: Option<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A milestone's fields; on a change, absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(format = Date)]
    pub due_on: Option<NaiveDate>,
    /// When it was reached; null: not (yet).
    #[serde(default, deserialize_with = "present")]
    #[schema(format = Date, value_type = Option<String>)]
    pub done_on: Option<Option<NaiveDate>>,
    /// What shows it was reached.
    #[schema(max_length = 2000)]
    pub evidence: Option<String>,
    #[serde(default, deserialize_with = "whole::option")]
    pub version: Option<i32>,
}

/// Tells a null (`Some(None)`) from an absent field (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NaiveDate>>, D::Error> {
    Option::<NaiveDate>::deserialize(d).map(Some)
}

impl From<MilestoneBody> for MilestoneDraft {
    fn from(b: MilestoneBody) -> Self {
        Self {
            title: b.title,
            due_on: b.due_on,
            done_on: b.done_on,
            evidence: b.evidence,
            version: b.version,
        }
    }
}

/// A note on the timeline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    #[schema(min_length = 1, max_length = 2000)]
    pub body: String,
}

/// The projects the caller may see: staff all, members their
/// organization's; filtered and ordered.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects", params(ProjectParams),
    responses((status = 200, body = ProjectPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown code or a page out of bounds")))]
pub async fn list_projects(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ProjectParams>,
) -> Result<axum::Json<ProjectPage>, AppError> {
    p.year.map(plan_year).transpose()?;
    if p.district
        .as_deref()
        .is_some_and(|d| d.chars().count() > 50)
    {
        return Err(qiao_app::Error::field("district", "at most 50 characters").into());
    }
    if p.org_id.is_some_and(|o| o < 1) {
        return Err(qiao_app::Error::field("org_id", "must be positive").into());
    }
    let sort = match p.sort.as_deref() {
        None | Some("updated") => ProjectSort::Updated,
        Some("signed") => ProjectSort::Signed,
        Some("amount") => ProjectSort::Amount,
        Some(_) => {
            return Err(qiao_app::Error::field("sort", "one of updated, signed, amount").into());
        }
    };
    let filter = ProjectFilter {
        year: p.year,
        status: vocab("status", p.status.as_deref())?,
        key_project: p.key_project,
        field: vocab("field", p.field.as_deref())?,
        district: p.district,
        org_id: p.org_id,
        origin: vocab("origin", p.origin.as_deref())?,
        overdue: p.overdue,
        today: None,
        sort,
        limit: p.limit.unwrap_or(20),
        offset: p.offset.unwrap_or(0),
    };
    let page = s.app.projects(&viewer.0, &filter).await?;
    Ok(axum::Json(ProjectPage {
        total: page.total,
        limit: filter.limit,
        offset: filter.offset,
        items: page.items.into_iter().map(ProjectDoc::from).collect(),
    }))
}

/// Record a project (staff). Status `planned` unless given; `signed` and
/// later need the contract's type, amount and date.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects", request_body = ProjectBody,
    responses((status = 201, body = ProjectDetailDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, each named")))]
pub async fn create_project(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<ProjectBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    let p = s.app.create_project(&who, body.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(ProjectDetailDoc::from(p))))
}

/// One project with its milestones and notes (staff, or members of its partners).
#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "Project id")),
    responses((status = 200, body = ProjectDetailDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_project(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<ProjectDetailDoc>, AppError> {
    Ok(axum::Json(s.app.project(&viewer.0, id).await?.into()))
}

/// Edit a project (staff). A `status` must be an allowed move; otherwise
/// 409 names the allowed ones.
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects", request_body = ProjectBody,
    params(("id" = i64, Path, minimum = 1, description = "Project id")),
    responses((status = 200, body = ProjectDetailDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "a move that is not allowed, a stale version or a taken external id"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, each named")))]
pub async fn patch_project(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<ProjectBody>,
) -> Result<axum::Json<ProjectDetailDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app.update_project(&who, id, body.into()).await?.into(),
    ))
}

/// Move a project to its next status (staff): forward one step, or
/// `terminated` from any open state with a reason code.
#[utoipa::path(post, path = "/api/v1/projects/{id}/transition", tag = "projects", request_body = TransitionBody,
    params(("id" = i64, Path, minimum = 1, description = "Project id")),
    responses((status = 200, body = ProjectDetailDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "not an allowed move; the detail names the allowed next states"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a missing reason, or a contract incomplete for signing")))]
pub async fn transition_project(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<TransitionBody>,
) -> Result<axum::Json<ProjectDetailDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app
            .transition_project(&who, id, &body.to, body.reason, body.note)
            .await?
            .into(),
    ))
}

/// A project's milestones, by due date.
#[utoipa::path(get, path = "/api/v1/projects/{id}/milestones", tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "Project id")),
    responses((status = 200, body = Vec<MilestoneDoc>),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_milestones(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<MilestoneDoc>>, AppError> {
    let list = s.app.milestones(&viewer.0, id).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

/// Add a milestone (staff).
#[utoipa::path(post, path = "/api/v1/projects/{id}/milestones", tag = "projects", request_body = MilestoneBody,
    params(("id" = i64, Path, minimum = 1, description = "Project id")),
    responses((status = 201, body = MilestoneDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_milestone(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<MilestoneBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    let m = s.app.add_milestone(&who, id, body.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(MilestoneDoc::from(m))))
}

/// Change a milestone: staff anything; a partner reports it reached
/// (`done_on`, `evidence`).
#[utoipa::path(patch, path = "/api/v1/milestones/{id}", tag = "projects", request_body = MilestoneBody,
    params(("id" = i64, Path, minimum = 1, description = "Milestone id")),
    responses((status = 200, body = MilestoneDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "a stale version"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_milestone(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<MilestoneBody>,
) -> Result<axum::Json<MilestoneDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app.update_milestone(&who, id, body.into()).await?.into(),
    ))
}

/// Add a note to a project's timeline (staff or a partner).
#[utoipa::path(post, path = "/api/v1/projects/{id}/notes", tag = "projects", request_body = NoteBody,
    params(("id" = i64, Path, minimum = 1, description = "Project id")),
    responses((status = 201, body = NoteDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_note(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<NoteBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    let n = s.app.add_project_note(&who, id, &body.body).await?;
    Ok((StatusCode::CREATED, axum::Json(NoteDoc::from(n))))
}
