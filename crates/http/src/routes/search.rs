//! Full-text search over needs and capabilities, with facets and highlights.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc, wants_chinese};
use crate::extract::Query;
use crate::server::AppState;
use crate::views::{SearchResultsDoc, typed};
use axum::extract::State;
use axum::http::HeaderMap;
use qiao_app::search::SearchRequest;
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Search text (Chinese or English); empty lists by recency. At most 500 characters.
    #[param(max_length = 500)]
    pub q: Option<String>,
    #[serde(rename = "type")]
    #[param(schema_with = type_schema)]
    pub kind: Option<String>,
    /// Field code, e.g. `new_energy`.
    pub field: Option<String>,
    /// Organization kind code, e.g. `university`.
    pub org_kind: Option<String>,
    /// `local`, `domestic`, `abroad` or a district name.
    pub region: Option<String>,
    /// Cooperation mode code.
    pub mode: Option<String>,
    /// Lowest technology readiness level (1–9).
    #[param(minimum = 1, maximum = 9)]
    pub trl_min: Option<u8>,
    /// Highest technology readiness level (1–9).
    #[param(minimum = 1, maximum = 9)]
    pub trl_max: Option<u8>,
    /// Status code.
    pub status: Option<String>,
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// 1–100, default 10.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    /// Default 0; hits beyond the 10,000th are not returned.
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<usize>,
}

fn type_schema() -> utoipa::openapi::schema::Schema {
    crate::schema::one_of(
        &["need", "capability", ""],
        "`need` or `capability`; empty or absent for both.",
    )
}

fn sort_schema() -> utoipa::openapi::schema::Schema {
    crate::schema::one_of(
        &["relevance", "updated", ""],
        "`relevance` (default; empty means the same) or `updated`.",
    )
}

impl From<SearchParams> for SearchRequest {
    fn from(p: SearchParams) -> Self {
        Self {
            q: p.q,
            kind: p.kind,
            field: p.field,
            org_kind: p.org_kind,
            region: p.region,
            mode: p.mode,
            trl_min: p.trl_min,
            trl_max: p.trl_max,
            status: p.status,
            sort: p.sort,
            limit: p.limit,
            offset: p.offset,
        }
    }
}

/// Search needs and capabilities. Staff-only needs appear only to their owner and staff, in hits, totals and facets alike.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResultsDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "text over 500 characters or without words to search for (only punctuation), or an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a bad filter")))]
pub async fn search(
    State(s): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(p): Query<SearchParams>,
) -> Result<axum::Json<SearchResultsDoc>, AppError> {
    // Chinese labels unless the client prefers another language.
    let zh = wants_chinese(&headers) || headers.get(axum::http::header::ACCEPT_LANGUAGE).is_none();
    Ok(axum::Json(typed(
        s.app.search(&viewer, &p.into(), zh).await?,
    )?))
}
