//! Schemas for the OpenAPI description that a derive cannot infer from a
//! Rust type: vocabulary codes (a `String` in Rust, an `enum` on the wire),
//! texts with the hygiene of `qiao_core::text` (no control characters, not
//! blank), bounds the application checks. A request that fits is accepted
//! unless a rule on stored data or between fields refuses it (listed in
//! `routes::inputs`); one that does not fit is refused. `.ci/schemathesis`
//! holds the two to that.

use qiao_core::vocab::Vocabulary;
use serde_json::{Value, json};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};

/// Text: no control characters but line breaks and tabs (which become
/// spaces outside descriptions and terms), no bidirectional controls.
pub const ONE_LINE: &str = r"^[^\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]*$";
/// One line holding something besides white space (as Rust trims it) and
/// the invisible characters dropped before the emptiness check.
pub const LINE_NOT_BLANK: &str = concat!(
    r"^[^\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]*",
    r"[^\u0000-\u0020\u007F-\u00A0\u00AD\u1680\u2000-\u200F\u2028-\u202F\u205F-\u2069\u3000\uFEFF]",
    r"[^\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
);
/// White space as Rust's `trim` takes it away.
macro_rules! white_space {
    () => {
        r"\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"
    };
}
/// Nothing but white space and invisible characters: a field left empty.
pub const BLANK_LINE: &str = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u00AD\u1680\u2000-\u200D\u2028\u2029\u202F\u205F-\u2064\u3000\uFEFF]*$";
/// Something besides white space: token names and notes are only trimmed.
pub const NOT_BLANK: &str = concat!("[^", white_space!(), "]");
/// What the account e-mail check takes: blanks around, then no white space
/// or control character, something before the first `@`, a dot after it.
pub const EMAIL: &str = concat!(
    "^[",
    white_space!(),
    r"]*[^@\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]+",
    r"@[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*\.",
    r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[",
    white_space!(),
    "]*$"
);
/// A contact e-mail of a profile: one line besides, and no dot right after the `@`.
pub const CONTACT_EMAIL: &str = concat!(
    r"^[^@\u0000-\u0020\u007F-\u00A0\u00AD\u1680\u2000-\u200F\u2028-\u202F\u205F-\u2069\u3000\uFEFF]+",
    r"@[^ .\u0000-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]",
    r"[^ \u0000-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]*\.",
    r"[^ \u0000-\u001F\u007F-\u009F\u200E\u200F\u202A-\u202E\u2066-\u2069]*$"
);

/// A body schema written as JSON, for types the handlers read field by field.
pub trait Json {
    fn json() -> Value;
}

/// Implements `utoipa::ToSchema` for a [`Json`] type, under the type's name.
macro_rules! as_schema {
    ($name:ident) => {
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                serde_json::from_value(<$name as $crate::schema::Json>::json())
                    .expect("a hand-written schema deserializes")
            }
        }
        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use as_schema;

/// Optional text of at most `max` characters (a number is taken as its text).
pub fn text(max: u32) -> Value {
    json!({"type": ["string", "number", "null"], "maxLength": max, "pattern": ONE_LINE})
}

/// `schema` made a text that must hold something: not null, not blank.
pub fn required_text(mut schema: Value) -> Value {
    schema["type"] = json!(["string", "number"]);
    schema["pattern"] = json!(LINE_NOT_BLANK);
    schema
}

/// A list of short one-line texts: an array, or one text separated by `；`, `;` or `、`.
pub fn text_list(max_items: u32, max_len: u32) -> Value {
    json!({"type": ["array", "string", "null"], "maxItems": max_items,
        "items": {"type": ["string", "number"], "maxLength": max_len, "pattern": ONE_LINE},
        "description": "An array, or one text whose items are separated by `；`, `;` or `、`."})
}

/// An amount in 万元.
pub fn money() -> Value {
    json!({"type": ["number", "string", "null"], "minimum": 0, "maximum": 1_000_000_000,
        "description": "万元 (ten thousand yuan): a number, or text such as `50万` or `1,200`."})
}

/// A technology readiness level.
pub fn trl() -> Value {
    json!({"type": ["integer", "string", "null"], "minimum": 1, "maximum": 9,
        "description": "TRL 1–9 (GB/T 22900), or a stage name: 实验室, 小试, 中试, 产业化."})
}

/// `value`, or what a field left empty may be: null, or blank text.
pub fn or_empty(description: impl Into<String>, value: Value) -> Value {
    json!({"description": description.into(), "anyOf": [
        {"type": "null"},
        {"type": "string", "pattern": BLANK_LINE},
        value,
    ]})
}

/// A date from 2000 to 2100.
pub fn date() -> Value {
    or_empty(
        "YYYY-MM-DD, years 2000–2100.",
        json!({"type": "string", "format": "date", "pattern": r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"}),
    )
}

/// A code of `V`, null, or blank, as JSON.
pub fn code_value<V: Vocabulary>() -> Value {
    or_empty(
        code_description::<V>(),
        json!({"type": "string", "enum": codes::<V>().collect::<Vec<_>>()}),
    )
}

/// A list of codes of `V` (an array, or one text separated by `；`, `;` or `、`), or null, as JSON.
pub fn code_list<V: Vocabulary>() -> Value {
    json!({"type": ["array", "string", "null"],
        "items": {"type": "string", "enum": codes::<V>().collect::<Vec<_>>()},
        "description": code_description::<V>()})
}

fn codes<V: Vocabulary>() -> impl Iterator<Item = Value> {
    V::ALL.iter().map(|v| Value::from(v.code()))
}

fn code_description<V: Vocabulary>() -> String {
    format!(
        "A {} code (the Chinese label is accepted too): {}.",
        V::NAME,
        V::ALL
            .iter()
            .map(|v| format!("`{}` {}", v.code(), v.label_zh()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A code of the vocabulary `V`.
pub fn code<V: Vocabulary>() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(codes::<V>()))
        .description(Some(code_description::<V>()))
        .into()
}

/// A code of the vocabulary `V`, or null (an optional body field).
pub fn code_or_null<V: Vocabulary>() -> Schema {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(codes::<V>().chain([Value::Null])))
        .description(Some(code_description::<V>()))
        .into()
}

fn from_json(v: Value) -> Schema {
    serde_json::from_value(v).expect("a hand-written schema deserializes")
}

/// An account's e-mail address.
pub fn email() -> Schema {
    from_json(
        json!({"type": "string", "maxLength": qiao_app::accounts::MAX_EMAIL_CHARS, "pattern": EMAIL}),
    )
}

/// A new password: the most common ones are refused whatever their case.
pub fn new_password() -> Schema {
    let any_case = |word: &str| -> String {
        word.chars()
            .map(|c| {
                if c.is_ascii_alphabetic() {
                    format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                } else {
                    regex_escape(c)
                }
            })
            .collect()
    };
    let common: Vec<String> = qiao_app::credentials::COMMON_PASSWORDS
        .iter()
        .map(|w| any_case(w))
        .collect();
    from_json(json!({"type": "string", "minLength": 10, "maxLength": 256,
        "pattern": format!("^(?!(?:{})$)", common.join("|")),
        "description": "10–256 characters, not among the most common passwords."}))
}

fn regex_escape(c: char) -> String {
    if r"\^$.|?*+()[]{}".contains(c) {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// A token's name: 1–100 characters, not blank.
pub fn short_name() -> Schema {
    from_json(json!({"type": "string", "maxLength": 100, "pattern": NOT_BLANK}))
}

/// A user's new display name (cleaned like the texts of listings), or null.
pub fn display_name_or_null() -> Schema {
    from_json(json!({"type": ["string", "null"], "maxLength": 100, "pattern": LINE_NOT_BLANK}))
}

/// A new account's display name: blank or null for the e-mail's local part.
pub fn new_display_name() -> Schema {
    from_json(
        json!({"type": ["string", "null"], "maxLength": 100, "pattern": ONE_LINE,
        "description": "Default (blank or null): the part of the e-mail before `@`."}),
    )
}

/// The organization a new enterprise or university user names.
pub fn org_name() -> Schema {
    from_json(json!({"type": "string", "maxLength": 200, "pattern": LINE_NOT_BLANK}))
}

/// A closed list of values.
pub fn one_of(values: &[&str], description: &str) -> Schema {
    from_json(json!({"type": "string", "enum": values, "description": description}))
}

/// Roles one may register for.
pub fn registrable_role() -> Schema {
    one_of(
        &["enterprise", "university"],
        "`enterprise` (企业用户) or `university` (高校院所用户).",
    )
}

/// What a review decides.
pub fn review_decision() -> Schema {
    one_of(
        &["approved", "rejected"],
        "`approved` (已通过) or `rejected` (已驳回).",
    )
}

/// Status of a membership request.
pub fn membership_status() -> Schema {
    one_of(
        &["pending", "approved", "refused"],
        "`pending`, `approved` or `refused`.",
    )
}

/// A plan year, or null for the current year.
pub fn plan_year_or_null() -> Schema {
    from_json(
        json!({"type": ["integer", "null"], "minimum": 2000, "maximum": 2100,
        "description": "The project's plan year (2000–2100); default the current year."}),
    )
}

/// Ids of needs in a body.
pub fn need_ids() -> Schema {
    from_json(
        json!({"type": "array", "maxItems": qiao_app::limits::MAX_IDS,
        "items": {"type": "integer", "format": "int64", "minimum": 1}}),
    )
}
