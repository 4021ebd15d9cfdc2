//! Schemas of request and response bodies for the OpenAPI description. The
//! handlers validate bodies field by field (so one response lists every bad
//! field); these types describe the same shapes for clients.

#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct IndicatorDoc {
    /// What is measured, e.g. 焊缝一次合格率.
    pub name: String,
    /// The target value, e.g. ≥99.5%.
    pub target: String,
}

/// A technology need (技术需求). Enumerations take codes or Chinese labels; amounts are 万元.
#[derive(Serialize, ToSchema)]
pub struct NeedDoc {
    pub id: i64,
    pub org_id: i64,
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
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
    pub budget_min: Option<f64>,
    pub budget_max: Option<f64>,
    /// YYYY-MM-DD
    pub deadline: Option<String>,
    /// `enterprise`, `shared`, `provider` or `negotiable`.
    pub ip_ownership: Option<String>,
    /// TRL 1–9.
    pub required_trl: Option<u8>,
    /// `public` or `staff_only`.
    pub visibility: String,
    /// `draft`, `published`, `matched` or `closed`.
    pub status: String,
}

/// Body of POST/PATCH for a need: the fields of [`NeedDoc`] without the bookkeeping;
/// `title` is required on creation, `org_name` for staff. PATCH may carry `version`.
#[derive(Serialize, ToSchema)]
pub struct NeedInputDoc {
    pub external_id: Option<String>,
    pub org_name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub indicators: Option<Vec<IndicatorDoc>>,
    pub fields: Option<Vec<String>>,
    pub keywords: Option<Vec<String>>,
    pub cooperation_modes: Option<Vec<String>>,
    pub budget_min: Option<f64>,
    pub budget_max: Option<f64>,
    pub deadline: Option<String>,
    pub ip_ownership: Option<String>,
    pub required_trl: Option<u8>,
    pub visibility: Option<String>,
    pub status: Option<String>,
    /// The version being edited (PATCH); a mismatch answers 409.
    pub version: Option<i32>,
}

/// A capability (科技成果/研发能力).
#[derive(Serialize, ToSchema)]
pub struct CapabilityDoc {
    pub id: i64,
    pub org_id: i64,
    pub version: i32,
    pub created_at: String,
    pub updated_at: String,
    pub external_id: Option<String>,
    pub org_name: String,
    /// `achievement`, `team`, `patent`, `instrument` or `expert`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub fields: Vec<String>,
    pub keywords: Vec<String>,
    /// TRL 1–9 (GB/T 22900).
    pub trl: Option<u8>,
    pub cooperation_modes: Vec<String>,
    pub patents: Vec<String>,
    pub capacity: i32,
    pub lead: String,
    pub terms: String,
    /// `draft`, `published` or `withdrawn`.
    pub status: String,
}

/// Body of POST/PATCH for a capability.
#[derive(Serialize, ToSchema)]
pub struct CapabilityInputDoc {
    pub external_id: Option<String>,
    pub org_name: Option<String>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Option<Vec<String>>,
    pub keywords: Option<Vec<String>>,
    pub trl: Option<u8>,
    pub cooperation_modes: Option<Vec<String>>,
    pub patents: Option<Vec<String>>,
    pub capacity: Option<i32>,
    pub lead: Option<String>,
    pub terms: Option<String>,
    pub status: Option<String>,
    pub version: Option<i32>,
}

/// An organization (机构).
#[derive(Serialize, ToSchema)]
pub struct OrganizationDoc {
    pub id: i64,
    pub version: i32,
    /// `pending`, `approved` or `rejected`.
    pub review_status: String,
    pub created_at: String,
    pub updated_at: String,
    pub external_id: Option<String>,
    pub name: String,
    /// `enterprise`, `university`, `research_institute`, `new_rd_institution`, `foreign_institution`, `service_agency`.
    pub kind: String,
    /// Unified social credit code (GB 32100-2015).
    pub credit_code: Option<String>,
    pub region: Option<String>,
    pub flags: Vec<String>,
    pub fields: Vec<String>,
    pub description: String,
    /// Contact details are shown to signed-in users only.
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrganizationInputDoc {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub credit_code: Option<String>,
    pub region: Option<String>,
    pub flags: Option<Vec<String>>,
    pub fields: Option<Vec<String>>,
    pub description: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub version: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct PageDoc {
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    /// The page's items, in the shape of the resource.
    pub items: Vec<serde_json::Value>,
}
