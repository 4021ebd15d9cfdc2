//! Files attached to cooperation projects: the list, upload as raw bytes,
//! download and removal. Whoever may not see the project gets 404 here too.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc, wants_chinese};
use crate::extract::{Path, Query};
use crate::schema;
use crate::server::AppState;
use crate::views::AttachmentDoc;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qiao_app::attachments::{MAX_ATTACHMENT_BYTES, Upload};
use qiao_core::vocab::AttachmentKind;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(
            routes!(list_attachments, upload_attachment)
                .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES)),
        )
        .routes(routes!(download_attachment, delete_attachment))
}

/// What the uploaded file is.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadParams {
    /// Default `other`.
    #[param(schema_with = schema::code::<AttachmentKind>)]
    pub kind: Option<String>,
    /// The file's name, e.g. `合同.pdf`: a path is cut to its last part, at
    /// most 200 characters are kept, and it ends in the extension of the
    /// content. Default: the kind's name.
    pub name: Option<String>,
}

/// A project's attachments, oldest first (staff, or members of its partners).
#[utoipa::path(get, path = "/api/v1/projects/{id}/attachments", tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "Project id")),
    responses((status = 200, body = Vec<AttachmentDoc>),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no such project, or one the caller may not see")))]
pub async fn list_attachments(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<AttachmentDoc>>, AppError> {
    let list = s.app.attachments(&viewer.0, id).await?;
    Ok(axum::Json(list.into_iter().map(Into::into).collect()))
}

/// Attach a file to a project (staff, or a member of a partner): the raw
/// bytes of a PDF, PNG, JPEG, WebP or GIF file of at most 20 MiB, sent as
/// `application/octet-stream` or as its own type. The type is read from
/// the content; a declared type or a file name extension that says
/// otherwise is refused. At most 50 files per project.
#[utoipa::path(post, path = "/api/v1/projects/{id}/attachments", tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "Project id"), UploadParams),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file's bytes"),
    responses((status = 201, body = AttachmentDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff nor a partner, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the project holds 50 attachments"),
        (status = 413, body = ProblemDoc, content_type = "application/problem+json", description = "larger than 20 MiB"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an empty file, a type not accepted, a declared type or extension the content contradicts, an unknown kind")))]
pub async fn upload_attachment(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<UploadParams>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AppError> {
    let who = viewer.require()?;
    let body = match body {
        Ok(body) => body,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Ok(too_large(wants_chinese(&headers)));
        }
        Err(e) => return Err(AppError::BadRequest(e.body_text())),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let upload = Upload {
        kind: p.kind.as_deref(),
        name: p.name.as_deref(),
        content_type: content_type.as_deref(),
        bytes: &body,
    };
    let a = s.app.upload_attachment(&who, id, upload).await?;
    Ok((StatusCode::CREATED, axum::Json(AttachmentDoc::from(a))).into_response())
}

/// 413 naming this route's limit (the hardening layer's answer names the
/// default one).
fn too_large(zh: bool) -> Response {
    let mib = MAX_ATTACHMENT_BYTES / (1024 * 1024);
    let (title, detail) = if zh {
        ("请求体过大", format!("附件不能超过 {mib} MiB"))
    } else {
        (
            "Payload too large",
            format!("an attachment may be at most {mib} MiB"),
        )
    };
    crate::hardening::problem_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "/problems/payload-too-large",
        title,
        &detail,
    )
}

/// Download an attachment (staff, or members of the project's partners),
/// always as a download (`Content-Disposition: attachment`).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "Attachment id")),
    responses((status = 200, description = "the file, with `Content-Disposition: attachment`", content(
            (String = "application/pdf"),
            (String = "image/png"),
            (String = "image/jpeg"),
            (String = "image/webp"),
            (String = "image/gif"))),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no such attachment, or one of a project the caller may not see")))]
pub async fn download_attachment(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let file = s.app.attachment_file(&viewer.0, id).await?;
    let a = file.attachment;
    let mut response = file.bytes.into_response();
    let headers = response.headers_mut();
    let media = HeaderValue::from_str(&a.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media);
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&a.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    // Should a browser render it after all, it runs nothing.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}

/// Remove an attachment (staff, or the partner member who uploaded it).
#[utoipa::path(delete, path = "/api/v1/attachments/{id}", tag = "projects",
    params(("id" = i64, Path, minimum = 1, description = "Attachment id")),
    responses((status = 204, description = "removed"),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "neither staff nor its uploader, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_attachment(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    let who = viewer.require()?;
    s.app.delete_attachment(&who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC
/// 6266): the plain name for old clients, the exact one for the rest.
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(
            content_disposition("合同 v2.pdf"),
            "attachment; filename=\"__ v2.pdf\"; filename*=UTF-8''%E5%90%88%E5%90%8C%20v2.pdf"
        );
        assert_eq!(
            content_disposition("a\"b\\c.pdf"),
            "attachment; filename=\"a_b_c.pdf\"; filename*=UTF-8''a%22b%5Cc.pdf"
        );
    }
}
