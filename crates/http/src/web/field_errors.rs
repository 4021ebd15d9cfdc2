//! The application's validation answers, shown beside the fields of a form
//! in the page's language. The use cases word their field errors in English
//! for the API ("a password needs at least 10 characters"); the patterns
//! below give each known wording its catalogue string (`error.*`), and
//! anything else reads "此项填写有误" in Chinese and as written in English.
//! Screens with new fields add their wordings to [`PATTERNS`].

use super::i18n::Lang;
use serde::Serialize;
use std::collections::BTreeMap;

/// Errors of a form for its template: `errors.fields.email`, `errors.form`,
/// and `errors.order` (field names as the errors came, for the summary).
#[derive(Debug, Default, Serialize)]
pub struct FieldErrors {
    /// By field name, one message each.
    pub fields: BTreeMap<String, String>,
    pub order: Vec<String>,
    /// A problem of the form as a whole.
    pub form: Option<String>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.form.is_none()
    }

    /// Sets the message of a field (the first one stays).
    pub fn field(&mut self, name: &str, message: impl Into<String>) {
        if !self.fields.contains_key(name) {
            self.fields.insert(name.to_string(), message.into());
            self.order.push(name.to_string());
        }
    }

    /// "此项为必填项" beside each named field left blank.
    pub fn required(&mut self, lang: Lang, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            if value.trim().is_empty() {
                self.field(name, lang.text("error.required"));
            }
        }
    }

    /// The form's errors if the failure is the user's to correct (invalid
    /// fields, a taken e-mail, a busy server); other failures come back to
    /// be answered with a problem page.
    pub fn from_app(e: qiao_app::Error, lang: Lang) -> Result<Self, qiao_app::Error> {
        use qiao_app::Error as E;
        let mut errors = FieldErrors::default();
        match e {
            E::Invalid(list) => {
                for f in list {
                    errors.field(&f.field, translate(&f.message, lang));
                }
            }
            E::Conflict(msg) | E::BadRequest(msg) if msg.contains("cannot belong to") => {
                errors.field("org_name", lang.text("error.org_kind"));
            }
            E::Conflict(msg) if msg.contains("e-mail") && msg.contains("already exists") => {
                errors.field("email", lang.text("error.email_taken"));
            }
            E::Conflict(_) => errors.form = Some(lang.text("error.conflict").to_string()),
            E::BadRequest(msg) if msg.contains("e-mail address") => {
                errors.field("email", lang.text("error.email_invalid"));
            }
            E::Unavailable(_) => errors.form = Some(lang.text("error.busy").to_string()),
            other => return Err(other),
        }
        Ok(errors)
    }
}

/// The first whole number in a message ("at least 10 characters" → 10).
fn first_number(message: &str) -> Option<&str> {
    let start = message.find(|c: char| c.is_ascii_digit())?;
    let rest = &message[start..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// (words in the message, catalogue key, name of the number argument if any).
const PATTERNS: &[(&[&str], &str, Option<&str>)] = &[
    // The need form (`pages::my_needs`): the record reader's wordings. The
    // length message names the current length first, so it comes before
    // the general "at most … characters".
    (
        &["characters long; at most"],
        "needform.error.length",
        Some("n"),
    ),
    (&["is not a number of 万元"], "needform.error.money", None),
    (
        &["is below budget_min"],
        "needform.error.budget_order",
        None,
    ),
    (&["is not a date"], "needform.error.date", None),
    (
        &["is out of range (years"],
        "needform.error.date_range",
        None,
    ),
    (
        &["is not a technology readiness level"],
        "needform.error.trl",
        None,
    ),
    (&["is not a known field;"], "needform.error.choice", None),
    (
        &["is not a known cooperation mode"],
        "needform.error.choice",
        None,
    ),
    (
        &["is not a known IP ownership"],
        "needform.error.choice",
        None,
    ),
    (
        &["is not a known visibility"],
        "needform.error.choice",
        None,
    ),
    (&["items; at most"], "needform.error.too_many", Some("n")),
    (
        &["every indicator needs a name"],
        "needform.error.indicator_name",
        None,
    ),
    (
        &["indicators are allowed"],
        "needform.error.indicators_max",
        Some("max"),
    ),
    (
        &["is not a whole number from"],
        "needform.error.whole",
        None,
    ),
    (
        &["is not a known capability kind"],
        "needform.error.choice",
        None,
    ),
    (&["at least", "characters"], "error.too_short", Some("min")),
    (&["at most", "characters"], "error.too_long", Some("max")),
    (
        &["longer than", "characters"],
        "error.too_long",
        Some("max"),
    ),
    (&["most common"], "error.password_common", None),
    (&["not an e-mail address"], "error.email_invalid", None),
    (
        &["spaces or control characters"],
        "error.email_invalid",
        None,
    ),
    (&["belong to an organization"], "error.org_required", None),
    (&["self-registration is for"], "error.role_invalid", None),
    (&["control character"], "error.text_control", None),
    (&["bidirectional control"], "error.text_control", None),
    (&["is required"], "error.required", None),
    (&["must not be empty"], "error.required", None),
    // Event registration (`pages::events`).
    (&["attendees, not"], "events.error.attendees", None),
    (&["1–20 attendees"], "events.error.attendees", None),
    (&["digits, +, - and spaces"], "events.error.phone", None),
    (&["5–20 characters"], "events.error.phone", None),
    (
        &["not listings of the registering organization"],
        "events.error.listing_foreign",
        None,
    ),
    (&["required"], "error.required", None),
];

/// A field error of the use cases in the page's language.
pub fn translate(message: &str, lang: Lang) -> String {
    for (words, key, arg) in PATTERNS {
        if !words.iter().all(|w| message.contains(w)) {
            continue;
        }
        match (arg, first_number(message)) {
            (Some(name), Some(n)) => return lang.format(key, &[(name, n)]),
            (Some(_), None) => continue,
            (None, _) => return lang.text(key).to_string(),
        }
    }
    match lang {
        Lang::Zh => lang.text("error.invalid").to_string(),
        Lang::En => capitalized(message),
    }
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qiao_core::record::FieldError;

    fn invalid(field: &str, message: &str) -> qiao_app::Error {
        qiao_app::Error::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    #[test]
    fn registration_errors_read_in_chinese() {
        let cases = [
            (
                "password",
                "a password needs at least 10 characters",
                "至少需要 10 个字符。",
            ),
            (
                "password",
                "a password has at most 256 characters",
                "最多 256 个字符。",
            ),
            (
                "password",
                "this password is among the most common ones; choose another",
                "这是最常见的密码之一，请换一个。",
            ),
            (
                "email",
                "\"x\" is not an e-mail address",
                "请填写有效的电子邮箱地址。",
            ),
            (
                "email",
                "may not contain spaces or control characters",
                "请填写有效的电子邮箱地址。",
            ),
            (
                "org_name",
                "enterprise and university users belong to an organization",
                "请填写所属机构名称。",
            ),
            (
                "org_name",
                "is longer than 200 characters",
                "最多 200 个字符。",
            ),
            (
                "display_name",
                "contains the control character U+0007",
                "含有不允许的控制字符。",
            ),
            (
                "role",
                "self-registration is for enterprise and university users",
                "请选择企业或高校院所。",
            ),
            ("title", "something new", "此项填写有误。"),
        ];
        for (field, message, zh) in cases {
            let errors = FieldErrors::from_app(invalid(field, message), Lang::Zh).unwrap();
            assert_eq!(errors.fields[field], zh, "{message}");
        }
        let en = FieldErrors::from_app(invalid("title", "something new"), Lang::En).unwrap();
        assert_eq!(en.fields["title"], "Something new");
    }

    #[test]
    fn conflicts_land_on_their_field() {
        let taken = qiao_app::Error::Conflict("a user with e-mail a@b.cn already exists".into());
        let errors = FieldErrors::from_app(taken, Lang::Zh).unwrap();
        assert_eq!(errors.fields["email"], "该邮箱已注册，请直接登录。");
        let kind = qiao_app::Error::Conflict(
            "\"甲大学\" is a university, which a enterprise user cannot belong to".into(),
        );
        let errors = FieldErrors::from_app(kind, Lang::En).unwrap();
        assert!(errors.fields["org_name"].contains("cannot join"));
        let busy = qiao_app::Error::Unavailable("too many sign-ins".into());
        assert_eq!(
            FieldErrors::from_app(busy, Lang::Zh)
                .unwrap()
                .form
                .as_deref(),
            Some("服务器繁忙，请稍后再试。")
        );
    }

    #[test]
    fn other_failures_are_not_the_forms() {
        assert!(FieldErrors::from_app(qiao_app::Error::Forbidden, Lang::Zh).is_err());
        assert!(FieldErrors::from_app(qiao_app::Error::NotFound, Lang::Zh).is_err());
    }

    #[test]
    fn the_first_message_of_a_field_stays() {
        let mut errors = FieldErrors::default();
        assert!(errors.is_empty());
        errors.field("email", "first");
        errors.field("email", "second");
        errors.required(Lang::Zh, &[("password", " "), ("role", "enterprise")]);
        assert_eq!(errors.fields["email"], "first");
        assert_eq!(errors.fields["password"], "此项为必填项。");
        assert_eq!(errors.order, ["email", "password"]);
    }
}
