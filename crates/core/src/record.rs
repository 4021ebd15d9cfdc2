//! Validation of incoming records (file rows and API bodies) into checked
//! domain records. Every problem is reported with its field and a reason, and
//! all problems of a record are collected, not just the first.

mod columns;
mod project;
mod reader;
mod to_map;

pub use columns::{
    CAPABILITY_COLUMNS, Column, NEED_COLUMNS, ORGANIZATION_COLUMNS, PROJECT_COLUMNS, canonical_key,
};
pub use project::ProjectRecord;
pub use reader::FieldError;

use crate::credit_code::CreditCode;
use crate::money::Wan;
use crate::region::Region;
use crate::trl::Trl;
use crate::vocab::{
    CapabilityKind, CapabilityStatus, CooperationMode, Field, IpOwnership, NeedStatus, OrgKind,
    Visibility,
};
use chrono::NaiveDate;
use reader::Reader;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A key indicator of a need (核心指标): what is measured and the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Indicator {
    pub name: String,
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationRecord {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: OrgKind,
    pub credit_code: Option<CreditCode>,
    pub region: Option<Region>,
    pub flags: Vec<String>,
    pub fields: Vec<Field>,
    pub description: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedRecord {
    pub external_id: Option<String>,
    pub org_name: String,
    pub title: String,
    pub description: String,
    pub indicators: Vec<Indicator>,
    pub fields: Vec<Field>,
    pub keywords: Vec<String>,
    pub cooperation_modes: Vec<CooperationMode>,
    pub budget_min: Option<Wan>,
    pub budget_max: Option<Wan>,
    pub deadline: Option<NaiveDate>,
    pub ip_ownership: Option<IpOwnership>,
    pub required_trl: Option<Trl>,
    pub visibility: Visibility,
    pub status: NeedStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CapabilityRecord {
    pub external_id: Option<String>,
    pub org_name: String,
    pub kind: CapabilityKind,
    pub title: String,
    pub description: String,
    pub fields: Vec<Field>,
    pub keywords: Vec<String>,
    pub trl: Option<Trl>,
    pub cooperation_modes: Vec<CooperationMode>,
    pub patents: Vec<String>,
    pub capacity: i32,
    pub lead: String,
    pub terms: String,
    pub status: CapabilityStatus,
}

/// How strictly `external_id` is required: files must carry it, API bodies may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalId {
    Required,
    Optional,
}

impl OrganizationRecord {
    pub fn from_map(input: &Map<String, Value>, ext: ExternalId) -> Result<Self, Vec<FieldError>> {
        let mut r = Reader::new(input, ORGANIZATION_COLUMNS);
        let external_id = r.external_id(ext);
        let name = r.required_text("name", 200);
        let kind = r.vocab::<OrgKind>("kind").unwrap_or(OrgKind::Enterprise);
        let credit_code = r.optional_text("credit_code", 18).and_then(|s| {
            CreditCode::parse(&s)
                .map_err(|e| r.error("credit_code", format!("\"{s}\": {e}")))
                .ok()
        });
        let region = r
            .optional_text("region", 80)
            .and_then(|s| Region::parse(&s).map_err(|e| r.error("region", e)).ok());
        let record = Self {
            external_id,
            name,
            kind,
            credit_code,
            region,
            flags: r.text_list("flags", 20, 40),
            fields: r.vocab_list::<Field>("fields"),
            description: r.text("description", 5_000),
            contact_name: r.text("contact_name", 50),
            contact_phone: r.phone("contact_phone"),
            contact_email: r.email("contact_email"),
        };
        r.finish(record)
    }
}

impl NeedRecord {
    pub fn from_map(input: &Map<String, Value>, ext: ExternalId) -> Result<Self, Vec<FieldError>> {
        let mut r = Reader::new(input, NEED_COLUMNS);
        let external_id = r.external_id(ext);
        let org_name = r.required_text("org_name", 200);
        let title = r.required_text("title", 200);
        let description = r.text("description", 20_000);
        let indicators = r.indicators("indicators");
        let fields = r.vocab_list::<Field>("fields");
        let keywords = r.text_list("keywords", 30, 50);
        let cooperation_modes = r.vocab_list::<CooperationMode>("cooperation_modes");
        let budget_min = r.money("budget_min");
        let budget_max = r.money("budget_max");
        if let (Some(min), Some(max)) = (budget_min, budget_max)
            && min > max
        {
            r.error(
                "budget_max",
                format!("budget_max ({max}) is below budget_min ({min})"),
            );
        }
        let record = Self {
            external_id,
            org_name,
            title,
            description,
            indicators,
            fields,
            keywords,
            cooperation_modes,
            budget_min,
            budget_max,
            deadline: r.date("deadline"),
            ip_ownership: r.vocab::<IpOwnership>("ip_ownership"),
            required_trl: r.trl("required_trl"),
            visibility: r
                .vocab::<Visibility>("visibility")
                .unwrap_or(Visibility::Public),
            status: r
                .vocab::<NeedStatus>("status")
                .unwrap_or(NeedStatus::Published),
        };
        r.finish(record)
    }
}

impl CapabilityRecord {
    pub fn from_map(input: &Map<String, Value>, ext: ExternalId) -> Result<Self, Vec<FieldError>> {
        let mut r = Reader::new(input, CAPABILITY_COLUMNS);
        let external_id = r.external_id(ext);
        let org_name = r.required_text("org_name", 200);
        let kind = r
            .vocab::<CapabilityKind>("kind")
            .unwrap_or(CapabilityKind::Achievement);
        let title = r.required_text("title", 300);
        let record = Self {
            external_id,
            org_name,
            kind,
            title,
            description: r.text("description", 20_000),
            fields: r.vocab_list::<Field>("fields"),
            keywords: r.text_list("keywords", 30, 50),
            trl: r.trl("trl"),
            cooperation_modes: r.vocab_list::<CooperationMode>("cooperation_modes"),
            patents: r.text_list("patents", 50, 40),
            capacity: r.integer("capacity", 0, 1_000).unwrap_or(1) as i32,
            lead: r.text("lead", 100),
            terms: r.text("terms", 2_000),
            status: r
                .vocab::<CapabilityStatus>("status")
                .unwrap_or(CapabilityStatus::Published),
        };
        r.finish(record)
    }
}

/// Drops null values (the interchange shape leaves absent fields out).
pub fn without_nulls(mut map: Map<String, Value>) -> Map<String, Value> {
    map.retain(|_, v| !v.is_null());
    map
}

#[cfg(test)]
mod tests;
