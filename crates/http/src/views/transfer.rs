//! The report of a file import.

use qiao_app::transfer::ImportReport;
use serde::Serialize;
use utoipa::ToSchema;

/// What an import did, row by row.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportReportDoc {
    pub created: usize,
    pub updated: usize,
    /// Rows equal to what was already stored.
    pub unchanged: usize,
    /// Organizations created as pending because a row named them.
    pub new_organizations: Vec<String>,
}

impl From<ImportReport> for ImportReportDoc {
    fn from(r: ImportReport) -> Self {
        let ImportReport {
            created,
            updated,
            unchanged,
            new_organizations,
        } = r;
        Self {
            created,
            updated,
            unchanged,
            new_organizations,
        }
    }
}
