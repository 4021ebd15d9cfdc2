//! Errors as RFC 9457 `application/problem+json`. Each kind has a stable
//! `type`; titles and details exist in English and Chinese, and the
//! `localize` middleware picks the language from `Accept-Language`.
//! Internal errors are logged with the request id and answered generically:
//! no SQL, paths or stack traces reach a client.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qiao_core::record::FieldError;
use serde::Serialize;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("authentication required")]
    Unauthenticated,
    #[error("wrong e-mail or password")]
    BadCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too many attempts")]
    TooManyAttempts(Duration),
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// What a problem says, in both languages.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub kind: &'static str,
    pub title: (&'static str, &'static str),
    pub detail: (String, String),
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn body(&self, zh: bool) -> ProblemDoc {
        let pick = |pair: &(String, String)| if zh { pair.1.clone() } else { pair.0.clone() };
        let errors = self.errors.iter().map(|e| FieldErrorDoc {
            field: e.field.clone(),
            message: e.message.clone(),
        });
        ProblemDoc {
            kind: format!("/problems/{}", self.kind),
            title: (if zh { self.title.1 } else { self.title.0 }).to_string(),
            status: self.status.as_u16(),
            detail: pick(&self.detail),
            errors: (!self.errors.is_empty()).then(|| errors.collect()),
        }
    }
}

fn both(en: impl Into<String>, zh: impl Into<String>) -> (String, String) {
    (en.into(), zh.into())
}

impl AppError {
    pub fn problem(&self) -> Problem {
        use AppError::*;
        let (status, kind, title, detail, errors) = match self {
            Validation(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation-failed",
                ("Validation failed", "数据校验未通过"),
                both(
                    format!("{} field(s) are invalid", errors.len()),
                    format!("有 {} 个字段不符合要求", errors.len()),
                ),
                errors.clone(),
            ),
            BadRequest(msg) => (
                StatusCode::BAD_REQUEST,
                "bad-request",
                ("Bad request", "请求格式错误"),
                both(msg.clone(), format!("请求无法解析：{msg}")),
                vec![],
            ),
            UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                ("Unsupported media type", "不支持的内容类型"),
                both(
                    "send JSON with Content-Type: application/json",
                    "请以 application/json 格式提交",
                ),
                vec![],
            ),
            Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                ("Authentication required", "需要登录"),
                both("log in or send an API token", "请先登录或提供 API 令牌"),
                vec![],
            ),
            BadCredentials => (
                StatusCode::UNAUTHORIZED,
                "bad-credentials",
                ("Wrong e-mail or password", "邮箱或密码错误"),
                both(
                    "the e-mail or the password is wrong, or the account is disabled",
                    "邮箱或密码错误，或账号已停用",
                ),
                vec![],
            ),
            Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                ("Forbidden", "无权操作"),
                both("your account may not do this", "当前账号无权执行此操作"),
                vec![],
            ),
            Csrf => (
                StatusCode::FORBIDDEN,
                "csrf",
                ("CSRF check failed", "CSRF 校验失败"),
                both(
                    "send the session's CSRF token in the X-CSRF-Token header",
                    "请在 X-CSRF-Token 请求头中携带会话的 CSRF 令牌",
                ),
                vec![],
            ),
            NotFound => (
                StatusCode::NOT_FOUND,
                "not-found",
                ("Not found", "未找到"),
                both("no such resource", "资源不存在"),
                vec![],
            ),
            NoRoute => (
                StatusCode::NOT_FOUND,
                "no-such-route",
                ("No such route", "接口不存在"),
                both("no endpoint answers this path", "该路径没有对应的接口"),
                vec![],
            ),
            MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                ("Method not allowed", "不支持的请求方法"),
                both(
                    "this endpoint does not answer this method",
                    "该接口不支持此请求方法",
                ),
                vec![],
            ),
            PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                ("Payload too large", "请求体过大"),
                both(
                    "the request body exceeds the size limit",
                    "请求体超过大小限制",
                ),
                vec![],
            ),
            Conflict(msg) => (
                StatusCode::CONFLICT,
                "conflict",
                ("Conflict", "数据冲突"),
                both(msg.clone(), format!("数据冲突：{msg}")),
                vec![],
            ),
            TooManyAttempts(wait) => (
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                ("Too many attempts", "尝试次数过多"),
                both(
                    format!("try again in {} s", wait.as_secs().max(1)),
                    format!("请 {} 秒后再试", wait.as_secs().max(1)),
                ),
                vec![],
            ),
            Unavailable(msg) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                ("Service unavailable", "服务暂时不可用"),
                both(msg.clone(), format!("服务暂时不可用：{msg}")),
                vec![],
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                ("Internal error", "服务器内部错误"),
                both(
                    "the request could not be completed; it has been logged",
                    "请求未能完成，已记录日志",
                ),
                vec![],
            ),
        };
        Problem {
            status,
            kind,
            title,
            detail,
            errors,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = %cause, "request failed");
        }
        let problem = self.problem();
        let mut response = (problem.status, axum::Json(problem.body(false))).into_response();
        set_problem_type(response.headers_mut());
        if let AppError::TooManyAttempts(wait) = &self
            && let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(problem);
        response
    }
}

fn set_problem_type(headers: &mut HeaderMap) {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
}

/// Each kind of application error keeps its meaning on the wire: a hidden
/// record is 404, a refused write 403, a stale version 409, bad fields 422.
impl From<qiao_app::Error> for AppError {
    fn from(e: qiao_app::Error) -> Self {
        use qiao_app::Error as E;
        match e {
            E::NotFound => AppError::NotFound,
            E::Unauthenticated => AppError::Unauthenticated,
            E::Forbidden => AppError::Forbidden,
            E::Conflict(msg) => AppError::Conflict(msg),
            E::Invalid(errors) => AppError::Validation(errors),
            E::BadRequest(msg) => AppError::BadRequest(msg),
            E::Unavailable(msg) => AppError::Unavailable(msg),
            E::Internal(e) => AppError::Internal(format!("{e:#}")),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(format!("{e:#}"))
    }
}

/// Whether the client prefers Chinese.
pub fn wants_chinese(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| first.trim().to_ascii_lowercase().starts_with("zh"))
}

/// Re-renders problem responses in Chinese for clients that ask for it.
pub async fn localize(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let zh = wants_chinese(req.headers());
    let response = next.run(req).await;
    if !zh {
        return response;
    }
    let Some(problem) = response.extensions().get::<Problem>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    let body = serde_json::to_vec(&problem.body(true)).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    set_problem_type(&mut parts.headers);
    Response::from_parts(parts, axum::body::Body::from(body))
}

/// A problem document (RFC 9457), as every error is answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemDoc {
    /// Stable problem type, e.g. `/problems/validation-failed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Per-field problems of a validation failure (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldErrorDoc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldErrorDoc {
    pub field: String,
    pub message: String,
}
