//! Listings and organizations as stored: the record with its bookkeeping,
//! and the filters, sorting and paging of a list request.

use crate::record::OrganizationRecord;
use crate::vocab::ReviewStatus;
use chrono::Utc;

/// Filters, sorting and paging of a list request.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub external_id: Option<String>,
    pub org_id: Option<i64>,
    pub status: Option<String>,
    pub field: Option<String>,
    pub kind: Option<String>,
    pub visibility: Option<String>,
    /// `updated_at`, `created_at`, `title`/`name` or `id`; a leading `-` sorts descending.
    pub sort: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

/// A stored listing with its bookkeeping.
#[derive(Debug, Clone)]
pub struct Stored<R> {
    pub id: i64,
    pub org_id: i64,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    pub record: R,
}

/// An organization with its bookkeeping.
#[derive(Debug, Clone)]
pub struct StoredOrg {
    pub id: i64,
    pub version: i32,
    pub review_status: ReviewStatus,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
    pub record: OrganizationRecord,
}
