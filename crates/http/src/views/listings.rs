//! Needs, capabilities and organizations as the API returns them: the
//! record's interchange map (`to_map` in `qiao_core::record`) plus the
//! bookkeeping the application adds.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorDoc {
    /// What is measured, e.g. 焊缝一次合格率.
    pub name: String,
    /// The target value, e.g. ≥99.5%.
    pub target: String,
}

/// A technology need (技术需求). Enumerations are codes; amounts are 万元.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedDoc {
    pub id: i64,
    pub org_id: i64,
    pub version: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(required = true)]
    pub external_id: Option<String>,
    pub org_name: String,
    pub title: String,
    pub description: String,
    pub indicators: Vec<IndicatorDoc>,
    /// Field codes, e.g. `new_energy`.
    pub fields: Vec<String>,
    pub keywords: Vec<String>,
    /// Cooperation mode codes, e.g. `joint_development`.
    pub cooperation_modes: Vec<String>,
    #[schema(required = true)]
    pub budget_min: Option<f64>,
    #[schema(required = true)]
    pub budget_max: Option<f64>,
    /// YYYY-MM-DD
    #[schema(required = true, format = Date)]
    pub deadline: Option<String>,
    /// `enterprise`, `shared`, `provider` or `negotiable`.
    #[schema(required = true)]
    pub ip_ownership: Option<String>,
    /// TRL 1–9.
    #[schema(required = true, minimum = 1, maximum = 9)]
    pub required_trl: Option<u8>,
    /// `public` or `staff_only`.
    pub visibility: String,
    /// `draft`, `published`, `matched` or `closed`.
    pub status: String,
}

/// A capability (科技成果/研发能力).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CapabilityDoc {
    pub id: i64,
    pub org_id: i64,
    pub version: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(required = true)]
    pub external_id: Option<String>,
    pub org_name: String,
    /// `achievement`, `team`, `patent`, `instrument` or `expert`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub fields: Vec<String>,
    pub keywords: Vec<String>,
    /// TRL 1–9 (GB/T 22900).
    #[schema(required = true, minimum = 1, maximum = 9)]
    pub trl: Option<u8>,
    pub cooperation_modes: Vec<String>,
    pub patents: Vec<String>,
    /// How many projects the team can take on.
    pub capacity: i32,
    pub lead: String,
    pub terms: String,
    /// `draft`, `published` or `withdrawn`.
    pub status: String,
}

/// An organization (机构).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationDoc {
    pub id: i64,
    pub version: i32,
    /// `pending`, `approved` or `rejected`.
    pub review_status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(required = true)]
    pub external_id: Option<String>,
    pub name: String,
    /// `enterprise`, `university`, `research_institute`, `new_rd_institution`, `foreign_institution`, `service_agency`.
    pub kind: String,
    /// Unified social credit code (GB 32100-2015).
    #[schema(required = true)]
    pub credit_code: Option<String>,
    #[schema(required = true)]
    pub region: Option<String>,
    pub flags: Vec<String>,
    pub fields: Vec<String>,
    pub description: String,
    /// Contact details are shown to signed-in users only (absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact_email: Option<String>,
}
