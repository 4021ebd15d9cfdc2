//! Schemas of request bodies for the OpenAPI description. The handlers read
//! listing and organization bodies as maps and validate them field by field
//! (so one answer lists every bad field); these types describe the same
//! shapes for clients. What the handlers answer is typed in `crate::views`.

#![allow(dead_code)]

use serde::Serialize;
use utoipa::ToSchema;

/// A key indicator of a need; `"name：target"` text is accepted too.
#[derive(Serialize, ToSchema)]
pub struct IndicatorInputDoc {
    /// What is measured, e.g. 焊缝一次合格率.
    pub name: String,
    /// The target value, e.g. ≥99.5%.
    pub target: String,
}

/// Body of POST/PATCH for a need: the fields of [`NeedDoc`] without the bookkeeping;
/// `title` is required on creation, `org_name` for staff. PATCH may carry `version`.
#[derive(Serialize, ToSchema)]
pub struct NeedInputDoc {
    pub external_id: Option<String>,
    pub org_name: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub indicators: Option<Vec<IndicatorInputDoc>>,
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
