//! Conversions between checked domain records and database rows.

use crate::entities::{capability, need, organization};
use qiao_core::record::{CapabilityRecord, Indicator, NeedRecord, OrganizationRecord};
use qiao_core::vocab::Vocabulary;
use qiao_core::{CreditCode, Region, Trl, Wan};
use sea_orm::ActiveValue::Set;
use serde_json::Value;

pub(crate) fn codes<V: Vocabulary>(items: &[V]) -> Value {
    Value::Array(
        items
            .iter()
            .map(|v| Value::String(v.code().into()))
            .collect(),
    )
}

pub(crate) fn from_codes<V: Vocabulary>(value: &Value) -> Vec<V> {
    strings(value)
        .iter()
        .filter_map(|c| V::from_code(c))
        .collect()
}

pub(crate) fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn string_list(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

fn vocab_or<V: Vocabulary>(code: &str, default: V) -> V {
    V::from_code(code).unwrap_or(default)
}

pub(crate) fn organization_record(m: &organization::Model) -> OrganizationRecord {
    OrganizationRecord {
        external_id: m.external_id.clone(),
        name: m.name.clone(),
        kind: vocab_or(&m.kind, qiao_core::vocab::OrgKind::Enterprise),
        credit_code: m
            .credit_code
            .as_deref()
            .and_then(|c| CreditCode::parse(c).ok()),
        region: match (&m.region_scope, &m.region_name) {
            (Some(s), Some(n)) => Region::from_parts(s, n),
            _ => None,
        },
        flags: strings(&m.flags),
        fields: from_codes(&m.fields),
        description: m.description.clone(),
        contact_name: m.contact_name.clone(),
        contact_phone: m.contact_phone.clone(),
        contact_email: m.contact_email.clone(),
    }
}

pub(crate) fn organization_values(r: &OrganizationRecord, am: &mut organization::ActiveModel) {
    am.external_id = Set(r.external_id.clone());
    am.name = Set(r.name.clone());
    am.kind = Set(r.kind.code().into());
    am.credit_code = Set(r.credit_code.as_ref().map(|c| c.as_str().to_string()));
    am.region_scope = Set(r.region.as_ref().map(|g| g.scope.code().to_string()));
    am.region_name = Set(r.region.as_ref().map(|g| g.name.clone()));
    am.flags = Set(string_list(&r.flags));
    am.fields = Set(codes(&r.fields));
    am.description = Set(r.description.clone());
    am.contact_name = Set(r.contact_name.clone());
    am.contact_phone = Set(r.contact_phone.clone());
    am.contact_email = Set(r.contact_email.clone());
}

pub(crate) fn need_record(m: &need::Model, org_name: &str) -> NeedRecord {
    use qiao_core::vocab::{IpOwnership, NeedStatus, Visibility};
    NeedRecord {
        external_id: m.external_id.clone(),
        org_name: org_name.to_string(),
        title: m.title.clone(),
        description: m.description.clone(),
        indicators: serde_json::from_value::<Vec<Indicator>>(m.indicators.clone())
            .unwrap_or_default(),
        fields: from_codes(&m.fields),
        keywords: strings(&m.keywords),
        cooperation_modes: from_codes(&m.cooperation_modes),
        budget_min: m.budget_min_yuan.map(Wan::from_yuan),
        budget_max: m.budget_max_yuan.map(Wan::from_yuan),
        deadline: m.deadline,
        ip_ownership: m.ip_ownership.as_deref().and_then(IpOwnership::from_code),
        required_trl: m.required_trl.and_then(|t| Trl::new(t as u8)),
        visibility: vocab_or(&m.visibility, Visibility::Public),
        status: vocab_or(&m.status, NeedStatus::Published),
    }
}

pub(crate) fn need_values(r: &NeedRecord, org_id: i64, am: &mut need::ActiveModel) {
    am.external_id = Set(r.external_id.clone());
    am.org_id = Set(org_id);
    am.title = Set(r.title.clone());
    am.description = Set(r.description.clone());
    am.indicators = Set(serde_json::to_value(&r.indicators).unwrap_or(Value::Array(vec![])));
    am.fields = Set(codes(&r.fields));
    am.keywords = Set(string_list(&r.keywords));
    am.cooperation_modes = Set(codes(&r.cooperation_modes));
    am.budget_min_yuan = Set(r.budget_min.map(Wan::yuan));
    am.budget_max_yuan = Set(r.budget_max.map(Wan::yuan));
    am.deadline = Set(r.deadline);
    am.ip_ownership = Set(r.ip_ownership.map(|v| v.code().to_string()));
    am.required_trl = Set(r.required_trl.map(|t| t.level() as i16));
    am.visibility = Set(r.visibility.code().into());
    am.status = Set(r.status.code().into());
}

pub(crate) fn capability_record(m: &capability::Model, org_name: &str) -> CapabilityRecord {
    use qiao_core::vocab::{CapabilityKind, CapabilityStatus};
    CapabilityRecord {
        external_id: m.external_id.clone(),
        org_name: org_name.to_string(),
        kind: vocab_or(&m.kind, CapabilityKind::Achievement),
        title: m.title.clone(),
        description: m.description.clone(),
        fields: from_codes(&m.fields),
        keywords: strings(&m.keywords),
        trl: m.trl.and_then(|t| Trl::new(t as u8)),
        cooperation_modes: from_codes(&m.cooperation_modes),
        patents: strings(&m.patents),
        capacity: m.capacity,
        lead: m.lead.clone(),
        terms: m.terms.clone(),
        status: vocab_or(&m.status, CapabilityStatus::Published),
    }
}

pub(crate) fn capability_values(
    r: &CapabilityRecord,
    org_id: i64,
    am: &mut capability::ActiveModel,
) {
    am.external_id = Set(r.external_id.clone());
    am.org_id = Set(org_id);
    am.kind = Set(r.kind.code().into());
    am.title = Set(r.title.clone());
    am.description = Set(r.description.clone());
    am.fields = Set(codes(&r.fields));
    am.keywords = Set(string_list(&r.keywords));
    am.trl = Set(r.trl.map(|t| t.level() as i16));
    am.cooperation_modes = Set(codes(&r.cooperation_modes));
    am.patents = Set(string_list(&r.patents));
    am.lead = Set(r.lead.clone());
    am.capacity = Set(r.capacity);
    am.terms = Set(r.terms.clone());
    am.status = Set(r.status.code().into());
}
