//! File export (what the caller may see) and bulk import (staff) over HTTP.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Path, Query};
use crate::server::AppState;
use crate::views::ImportReportDoc;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

/// Upload limit of the import endpoint (the hardening ceiling); every other route keeps the small default.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    #[param(schema_with = format_schema)]
    pub format: Option<String>,
    /// Only the header row, as a template to fill in.
    pub template: Option<bool>,
}

fn format_schema() -> utoipa::openapi::schema::Schema {
    crate::schema::one_of(
        &["xlsx", "csv", "jsonl"],
        "`xlsx` (default), `csv` or `jsonl`.",
    )
}

/// Download organizations, needs, capabilities or projects as a file, with exactly what the caller may see.
#[utoipa::path(get, path = "/api/v1/export/{kind}", tag = "transfer",
    params(("kind" = inline(ExportKind), Path, description = "What to export."), FormatParams),
    responses((status = 200, description = "the file (with `Content-Disposition: attachment`)", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
            (String = "application/jsonl"))),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token, or projects without signing in"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown kind"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown format")))]
pub async fn export(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
    Query(p): Query<FormatParams>,
) -> Result<Response, AppError> {
    let file = s
        .app
        .export(
            &viewer,
            &kind,
            p.format.as_deref(),
            p.template.unwrap_or(false),
        )
        .await?;
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.mime));
    let disposition = format!("attachment; filename=\"{}\"", file.file_name);
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// What to export.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ExportKind {
    Organizations,
    Needs,
    Capabilities,
    Projects,
}

/// What to import.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum ImportKind {
    Organizations,
    Needs,
    Capabilities,
    Projects,
}

/// Import a file of organizations, needs, capabilities or projects (staff). All rows or none: a bad file answers 422 with every bad row. Projects take the columns of their export, by `external_id`, and name existing organizations.
#[utoipa::path(post, path = "/api/v1/import/{kind}", tag = "transfer",
    params(("kind" = inline(ImportKind), Path, description = "What to import."), FormatParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 200, body = ImportReportDoc, description = "created / updated / unchanged counts"),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a file that cannot be read, or an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown kind"),
        (status = 413, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid rows (all listed), or an unknown format")))]
pub async fn import(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
    Query(p): Query<FormatParams>,
    body: Bytes,
) -> Result<axum::Json<ImportReportDoc>, AppError> {
    let who = viewer.require()?;
    let report = s
        .app
        .import(&who, &kind, p.format.as_deref(), &body)
        .await?;
    Ok(axum::Json(report.into()))
}
