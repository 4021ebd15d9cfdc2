//! The REST API under `/api/v1` and the operational endpoints.

pub mod account;
pub mod attachments;
pub mod dashboard;
pub mod events;
pub mod inputs;
pub mod listings;
pub mod membership;
pub mod organizations;
pub mod plans;
pub mod projects;
pub mod search;
pub mod suggestions;
pub mod system;
pub mod transfer;
pub mod transparency;
pub mod users;

use crate::schema;
use qiao_core::vocab::{
    CapabilityKind, CapabilityStatus, Field, NeedStatus, OrgKind, ReviewStatus, Visibility,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

pub const MAX_LIMIT: u64 = qiao_app::limits::MAX_LIMIT;

/// `sort` of the list endpoints: a key, `-` first for descending.
fn sort_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(qiao_app::limits::SORT_KEYS.iter().flat_map(|k| [k.to_string(), format!("-{k}")])))
        .description(Some(
            "Sort key, `-` first for descending (`title` and `name` are the same key). Default `-updated_at`.",
        ))
        .into()
}

/// Filters, sorting and paging of `GET /api/v1/needs`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NeedListParams {
    /// Exact external id.
    pub external_id: Option<String>,
    /// Owner organization id.
    pub org_id: Option<i64>,
    #[param(schema_with = schema::code::<NeedStatus>)]
    pub status: Option<String>,
    #[param(schema_with = schema::code::<Field>)]
    pub field: Option<String>,
    #[param(schema_with = schema::code::<Visibility>)]
    pub visibility: Option<String>,
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// Filters, sorting and paging of `GET /api/v1/capabilities`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CapabilityListParams {
    /// Exact external id.
    pub external_id: Option<String>,
    /// Owner organization id.
    pub org_id: Option<i64>,
    #[param(schema_with = schema::code::<CapabilityStatus>)]
    pub status: Option<String>,
    #[param(schema_with = schema::code::<Field>)]
    pub field: Option<String>,
    #[param(schema_with = schema::code::<CapabilityKind>)]
    pub kind: Option<String>,
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// Filters, sorting and paging of `GET /api/v1/organizations`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationListParams {
    /// Exact external id.
    pub external_id: Option<String>,
    /// Review status (staff see every organization; others only approved ones).
    #[param(schema_with = schema::code::<ReviewStatus>)]
    pub status: Option<String>,
    #[param(schema_with = schema::code::<Field>)]
    pub field: Option<String>,
    #[param(schema_with = schema::code::<OrgKind>)]
    pub kind: Option<String>,
    #[param(schema_with = sort_schema)]
    pub sort: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// The list query of the application; its codes, sort and paging are checked there.
fn list_query(
    external_id: Option<String>,
    sort: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
) -> qiao_core::stored::ListQuery {
    qiao_core::stored::ListQuery {
        external_id,
        sort,
        limit: limit.unwrap_or(20),
        offset: offset.unwrap_or(0),
        ..Default::default()
    }
}

impl NeedListParams {
    pub fn query(self) -> qiao_core::stored::ListQuery {
        qiao_core::stored::ListQuery {
            org_id: self.org_id,
            status: self.status,
            field: self.field,
            visibility: self.visibility,
            ..list_query(self.external_id, self.sort, self.limit, self.offset)
        }
    }
}

impl CapabilityListParams {
    pub fn query(self) -> qiao_core::stored::ListQuery {
        qiao_core::stored::ListQuery {
            org_id: self.org_id,
            status: self.status,
            field: self.field,
            kind: self.kind,
            ..list_query(self.external_id, self.sort, self.limit, self.offset)
        }
    }
}

impl OrganizationListParams {
    pub fn query(self) -> qiao_core::stored::ListQuery {
        qiao_core::stored::ListQuery {
            status: self.status,
            field: self.field,
            kind: self.kind,
            ..list_query(self.external_id, self.sort, self.limit, self.offset)
        }
    }
}
