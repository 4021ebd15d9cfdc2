//! Records back to the interchange shape: English keys, vocabulary codes,
//! JSON arrays, amounts in 万元. This is what JSON Lines exports and API
//! responses carry, and what PATCH requests are merged into.

use super::{CapabilityRecord, NeedRecord, OrganizationRecord};
use crate::vocab::Vocabulary;
use serde_json::{Map, Value, json};

fn codes<V: Vocabulary>(items: &[V]) -> Value {
    json!(items.iter().map(|v| v.code()).collect::<Vec<_>>())
}

fn put(map: &mut Map<String, Value>, key: &str, value: Value) {
    map.insert(key.to_string(), value);
}

fn opt<T: ToString>(v: &Option<T>) -> Value {
    v.as_ref().map_or(Value::Null, |v| json!(v.to_string()))
}

impl OrganizationRecord {
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        put(&mut m, "external_id", opt(&self.external_id));
        put(&mut m, "name", json!(self.name));
        put(&mut m, "kind", json!(self.kind.code()));
        put(&mut m, "credit_code", opt(&self.credit_code));
        put(&mut m, "region", opt(&self.region));
        put(&mut m, "flags", json!(self.flags));
        put(&mut m, "fields", codes(&self.fields));
        put(&mut m, "description", json!(self.description));
        put(&mut m, "contact_name", json!(self.contact_name));
        put(&mut m, "contact_phone", json!(self.contact_phone));
        put(&mut m, "contact_email", json!(self.contact_email));
        m
    }
}

impl NeedRecord {
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        put(&mut m, "external_id", opt(&self.external_id));
        put(&mut m, "org_name", json!(self.org_name));
        put(&mut m, "title", json!(self.title));
        put(&mut m, "description", json!(self.description));
        put(&mut m, "indicators", json!(self.indicators));
        put(&mut m, "fields", codes(&self.fields));
        put(&mut m, "keywords", json!(self.keywords));
        put(&mut m, "cooperation_modes", codes(&self.cooperation_modes));
        put(
            &mut m,
            "budget_min",
            self.budget_min.map_or(Value::Null, |w| json!(w.as_wan())),
        );
        put(
            &mut m,
            "budget_max",
            self.budget_max.map_or(Value::Null, |w| json!(w.as_wan())),
        );
        put(&mut m, "deadline", opt(&self.deadline));
        put(
            &mut m,
            "ip_ownership",
            self.ip_ownership.map_or(Value::Null, |v| json!(v.code())),
        );
        put(
            &mut m,
            "required_trl",
            self.required_trl.map_or(Value::Null, |t| json!(t.level())),
        );
        put(&mut m, "visibility", json!(self.visibility.code()));
        put(&mut m, "status", json!(self.status.code()));
        m
    }
}

impl CapabilityRecord {
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        put(&mut m, "external_id", opt(&self.external_id));
        put(&mut m, "org_name", json!(self.org_name));
        put(&mut m, "kind", json!(self.kind.code()));
        put(&mut m, "title", json!(self.title));
        put(&mut m, "description", json!(self.description));
        put(&mut m, "fields", codes(&self.fields));
        put(&mut m, "keywords", json!(self.keywords));
        put(
            &mut m,
            "trl",
            self.trl.map_or(Value::Null, |t| json!(t.level())),
        );
        put(&mut m, "cooperation_modes", codes(&self.cooperation_modes));
        put(&mut m, "patents", json!(self.patents));
        put(&mut m, "capacity", json!(self.capacity));
        put(&mut m, "lead", json!(self.lead));
        put(&mut m, "terms", json!(self.terms));
        put(&mut m, "status", json!(self.status.code()));
        m
    }
}
