//! File export (what the caller may see) and bulk import (staff) over HTTP.

use crate::http::auth::Viewer;
use crate::http::error::{AppError, ProblemDoc};
use crate::http::extract::{Path, Query};
use crate::http::policy::{Action, Resource, authorize};
use crate::server::AppState;
use crate::transfer::{self, ImportFailure, Kind};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use qiao_core::record::FieldError;
use qiao_tabular::Format;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

/// Upload limit of the import endpoint (the hardening ceiling); every other route keeps the small default.
pub const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FormatParams {
    /// `xlsx`, `csv` or `jsonl` (default `xlsx`).
    pub format: Option<String>,
    /// Only the header row, as a template to fill in.
    pub template: Option<bool>,
}

fn kind_of(name: &str) -> Result<Kind, AppError> {
    match name {
        "organizations" => Ok(Kind::Organizations),
        "needs" => Ok(Kind::Needs),
        "capabilities" => Ok(Kind::Capabilities),
        "projects" => Ok(Kind::Projects),
        _ => Err(AppError::NotFound),
    }
}

fn format_of(name: Option<&str>) -> Result<Format, AppError> {
    match name.unwrap_or("xlsx") {
        "xlsx" => Ok(Format::Xlsx),
        "csv" => Ok(Format::Csv),
        "jsonl" => Ok(Format::Jsonl),
        other => Err(AppError::Validation(vec![FieldError {
            field: "format".into(),
            message: format!("\"{other}\" is not one of xlsx, csv, jsonl"),
        }])),
    }
}

/// Download organizations, needs, capabilities or projects as a file, with exactly what the caller may see.
#[utoipa::path(get, path = "/api/v1/export/{kind}", tag = "transfer",
    params(("kind" = String, Path, description = "organizations, needs, capabilities or projects"), FormatParams),
    responses((status = 200, description = "the file", content_type = "application/octet-stream"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn export(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
    Query(p): Query<FormatParams>,
) -> Result<Response, AppError> {
    let kind = kind_of(&kind)?;
    let format = format_of(p.format.as_deref())?;
    if kind == Kind::Projects {
        authorize(&viewer.clone().require()?, Resource::Bureau, Action::Read)?;
    }
    let (bytes, _) = transfer::export_bytes(
        &s.store,
        kind,
        viewer.scope(),
        format,
        p.template.unwrap_or(false),
    )
    .await?;
    let (mime, ext) = match format {
        Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Jsonl => ("application/jsonl; charset=utf-8", "jsonl"),
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let disposition = format!("attachment; filename=\"qiao-{:?}.{ext}\"", kind).to_lowercase();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// Import a file of organizations, needs or capabilities (staff). All rows or none: a bad file answers 422 with every bad row.
#[utoipa::path(post, path = "/api/v1/import/{kind}", tag = "transfer",
    params(("kind" = String, Path, description = "organizations, needs or capabilities"), FormatParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 200, description = "created / updated / unchanged counts"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn import(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(kind): Path<String>,
    Query(p): Query<FormatParams>,
    body: Bytes,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    let who = viewer.require()?;
    authorize(&who, Resource::Bureau, Action::Create)?;
    let kind = kind_of(&kind)?;
    let format = format_of(p.format.as_deref())?;
    let rows = qiao_tabular::read_rows_from_bytes(format, &body)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    match transfer::import_rows(&s.store, kind, rows, &who.actor(), "upload").await {
        Ok(report) => Ok(axum::Json(json!(report))),
        Err(ImportFailure::Rows(rows)) => Err(AppError::Validation(
            rows.into_iter()
                .map(|r| FieldError {
                    field: r.field,
                    message: format!("line {}: {}", r.line, r.message),
                })
                .collect(),
        )),
        Err(ImportFailure::File(msg)) => Err(AppError::BadRequest(msg)),
        Err(ImportFailure::Store(msg)) => Err(AppError::Internal(msg)),
    }
}
