//! The REST API under `/api/v1` and the operational endpoints.

pub mod account;
pub mod inputs;
pub mod listings;
pub mod membership;
pub mod organizations;
pub mod search;
pub mod suggestions;
pub mod system;
pub mod transfer;
pub mod users;

use serde::Deserialize;
use utoipa::IntoParams;

pub const MAX_LIMIT: u64 = 100;

/// Filters, sorting and paging shared by list endpoints.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Exact external id.
    pub external_id: Option<String>,
    /// Owner organization id.
    pub org_id: Option<i64>,
    /// Status code (need: draft/published/matched/closed; capability: draft/published/withdrawn; organization: pending/approved/rejected).
    pub status: Option<String>,
    /// Field code, e.g. `new_energy`.
    pub field: Option<String>,
    /// Capability kind or organization kind code.
    pub kind: Option<String>,
    /// Need visibility: `public` or `staff_only`.
    pub visibility: Option<String>,
    /// `updated_at`, `created_at`, `title`/`name` or `id`; prefix `-` for descending. Default `-updated_at`.
    pub sort: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

impl ListParams {
    pub fn query(&self) -> Result<qiao_core::stored::ListQuery, crate::error::AppError> {
        let limit = self.limit.unwrap_or(20);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(crate::error::AppError::Validation(vec![
                qiao_core::record::FieldError {
                    field: "limit".into(),
                    message: format!("must be between 1 and {MAX_LIMIT}"),
                },
            ]));
        }
        Ok(qiao_core::stored::ListQuery {
            external_id: self.external_id.clone(),
            org_id: self.org_id,
            status: self.status.clone(),
            field: self.field.clone(),
            kind: self.kind.clone(),
            visibility: self.visibility.clone(),
            sort: self.sort.clone(),
            limit,
            offset: self.offset.unwrap_or(0),
        })
    }
}
