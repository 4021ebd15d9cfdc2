//! Schemas of request bodies for the OpenAPI description. The handlers read
//! listing and organization bodies as maps and validate them field by field
//! in `qiao_core::record` (so one answer lists every bad field), with the
//! import format's leniency: text for numbers and lists (`"50万"`,
//! `"新能源；新材料"`), blank for absent. The schemas below describe the same
//! fields, forms and bounds. What the handlers answer is typed in
//! `crate::views`.
//!
//! Some rules depend on stored data or on other fields and are not in the
//! schemas (`.ci/schemathesis.toml` lets these operations refuse a
//! schema-valid body with 422): an `org_name` must name an organization of
//! the right kind (staff) or the writer's own (members), `budget_min` may
//! not exceed `budget_max`, a credit code must pass its check digit, a region
//! must be one the gazetteer knows, text amounts and dates must parse.

use crate::schema::{self, Json};
use qiao_core::vocab::{
    CapabilityKind, CapabilityStatus, CooperationMode, Field, IpOwnership, NeedStatus, OrgKind,
    Visibility,
};
use serde_json::{Value, json};

/// Which body: creation (POST) or change (PATCH, which may carry `version`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Write {
    Create,
    Patch,
}

fn version() -> Value {
    json!({"type": ["integer", "null"], "minimum": i32::MIN, "maximum": i32::MAX,
        "description": "The version being edited; a mismatch answers 409."})
}

/// An object of the given properties; on creation `required` must be there.
fn object(
    description: &str,
    write: Write,
    mut properties: Vec<(&str, Value)>,
    required: &[&str],
) -> Value {
    if write == Write::Patch {
        properties.push(("version", version()));
    }
    let mut props = serde_json::Map::new();
    for (name, mut schema) in properties {
        // A required field cannot be cleared: on creation it must be text, on a change it may be left out.
        if required.contains(&name) {
            schema = schema::required_text(schema);
        }
        props.insert(name.to_string(), schema);
    }
    let mut o = json!({
        "type": "object",
        "description": description,
        "additionalProperties": false,
        "properties": props,
    });
    if write == Write::Create && !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// Blank (trimmed to nothing; any length), null, a value of `filled`, or
/// (a phone number) a whole number of at least 7 digits.
fn blank_or(description: &str, filled: Value, number: bool) -> Value {
    let mut o = schema::or_empty(description, filled);
    if number && let Some(branches) = o["anyOf"].as_array_mut() {
        branches.push(json!({"type": "integer", "minimum": 1_000_000}));
    }
    o
}

fn indicators() -> Value {
    json!({
        "type": ["array", "string", "null"],
        "maxItems": 30,
        "description": "Key indicators, e.g. `{\"name\": \"焊缝一次合格率\", \"target\": \"≥99.5%\"}`, or `名称：目标` texts separated by `；`.",
        "items": {
            "type": ["object", "string"],
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "maxLength": 200, "pattern": schema::LINE_NOT_BLANK},
                "target": {"type": ["string", "number", "null"], "maxLength": 200, "pattern": schema::ONE_LINE},
            },
        },
    })
}

fn need(write: Write) -> Value {
    object(
        "A technology need: `title` is required on creation, and `org_name` for staff (members write for their own organization).",
        write,
        vec![
            ("external_id", schema::text(64)),
            ("org_name", schema::text(200)),
            ("title", schema::text(200)),
            ("description", schema::text(20_000)),
            ("indicators", indicators()),
            ("fields", schema::code_list::<Field>()),
            ("keywords", schema::text_list(30, 50)),
            ("cooperation_modes", schema::code_list::<CooperationMode>()),
            ("budget_min", schema::money()),
            ("budget_max", schema::money()),
            ("deadline", schema::date()),
            ("ip_ownership", schema::code_value::<IpOwnership>()),
            ("required_trl", schema::trl()),
            ("visibility", schema::code_value::<Visibility>()),
            ("status", schema::code_value::<NeedStatus>()),
        ],
        &["title"],
    )
}

fn capability(write: Write) -> Value {
    object(
        "A capability: `title` is required on creation, and `org_name` for staff (members write for their own organization).",
        write,
        vec![
            ("external_id", schema::text(64)),
            ("org_name", schema::text(200)),
            ("kind", schema::code_value::<CapabilityKind>()),
            ("title", schema::text(300)),
            ("description", schema::text(20_000)),
            ("fields", schema::code_list::<Field>()),
            ("keywords", schema::text_list(30, 50)),
            ("trl", schema::trl()),
            ("cooperation_modes", schema::code_list::<CooperationMode>()),
            ("patents", schema::text_list(50, 40)),
            (
                "capacity",
                json!({"type": ["integer", "string", "null"], "minimum": 0, "maximum": 1000,
                    "description": "How many projects the team can take on (default 1)."}),
            ),
            ("lead", schema::text(100)),
            ("terms", schema::text(2_000)),
            ("status", schema::code_value::<CapabilityStatus>()),
        ],
        &["title"],
    )
}

fn organization(write: Write) -> Value {
    object(
        "An organization: `name` is required on creation.",
        write,
        vec![
            ("external_id", schema::text(64)),
            ("name", schema::text(200)),
            ("kind", schema::code_value::<OrgKind>()),
            (
                "credit_code",
                schema::or_empty(
                    "Unified social credit code (GB 32100-2015), check digit included.",
                    json!({"type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"}),
                ),
            ),
            (
                "region",
                json!({"type": ["string", "number", "null"], "maxLength": 80, "pattern": schema::ONE_LINE,
                    "description": "A district of the city, a province or city of China, or a country."}),
            ),
            ("flags", schema::text_list(20, 40)),
            ("fields", schema::code_list::<Field>()),
            ("description", schema::text(5_000)),
            ("contact_name", schema::text(50)),
            (
                "contact_phone",
                blank_or(
                    "Digits (at least 7), spaces and `()+-转`.",
                    json!({"type": "string", "maxLength": 40, "pattern": r"^[ ()+转-]*(?:[0-9][ ()+转-]*){7,}$"}),
                    true,
                ),
            ),
            (
                "contact_email",
                blank_or(
                    "An e-mail address.",
                    json!({"type": "string", "maxLength": 120, "pattern": schema::CONTACT_EMAIL}),
                    false,
                ),
            ),
        ],
        &["name"],
    )
}

macro_rules! body {
    ($name:ident, $build:expr) => {
        pub struct $name;
        impl Json for $name {
            fn json() -> Value {
                $build
            }
        }
        schema::as_schema!($name);
    };
}

body!(NeedCreateDoc, need(Write::Create));
body!(NeedPatchDoc, need(Write::Patch));
body!(CapabilityCreateDoc, capability(Write::Create));
body!(CapabilityPatchDoc, capability(Write::Patch));
body!(OrganizationCreateDoc, organization(Write::Create));
body!(OrganizationPatchDoc, organization(Write::Patch));
