//! A small cursor over one input record that converts fields and collects
//! errors, so a record reports every bad field at once.

use super::Indicator;
use super::columns::{Column, canonical_key};
use crate::money::Wan;
use crate::trl::Trl;
use crate::vocab::{Vocabulary, unknown_term};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Longest name or target of a need's key indicator, in characters.
const MAX_INDICATOR: usize = 200;

/// Fields that may hold line breaks and tabs; every other text is one line.
const MULTILINE: &[&str] = &["description", "terms", "termination_reason"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

pub(super) struct Reader<'a> {
    values: HashMap<&'static str, &'a Value>,
    errors: Vec<FieldError>,
}

/// Separators of list cells in CSV/XLSX: full-width and ASCII semicolons, 顿号, newlines.
const LIST_SEPARATORS: &[char] = &['；', ';', '、', '\n'];

impl<'a> Reader<'a> {
    pub fn new(input: &'a Map<String, Value>, columns: &[Column]) -> Self {
        let mut reader = Self {
            values: HashMap::new(),
            errors: Vec::new(),
        };
        for (key, value) in input {
            match canonical_key(columns, key) {
                Some(k) => {
                    if reader.values.insert(k, value).is_some() {
                        reader.error(k, format!("\"{key}\" repeats the field {k}"));
                    }
                }
                None => reader.error(key, format!("unknown field \"{key}\"")),
            }
        }
        reader
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// Whether `field` has a problem already (so a later check need not repeat it).
    pub fn has_error(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }

    pub fn finish<T>(self, record: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(record)
        } else {
            Err(self.errors)
        }
    }

    /// The raw scalar text of a field; `None` when absent, null or blank.
    fn scalar(&mut self, field: &'static str) -> Option<String> {
        match self.values.get(field).copied() {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => match crate::text::clean(s, MULTILINE.contains(&field)) {
                Ok(t) => (!t.is_empty()).then_some(t),
                Err(why) => {
                    self.error(field, why);
                    None
                }
            },
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::Bool(_)) => {
                self.error(field, "expected text or a number, not true or false");
                None
            }
            Some(_) => {
                self.error(field, "expected a single value, not a list or object");
                None
            }
        }
    }

    fn check_length(&mut self, field: &'static str, s: String, max: usize) -> String {
        let n = s.chars().count();
        if n > max {
            self.error(
                field,
                format!("is {n} characters long; at most {max} are allowed"),
            );
        }
        s
    }

    pub fn optional_text(&mut self, field: &'static str, max: usize) -> Option<String> {
        self.scalar(field).map(|s| self.check_length(field, s, max))
    }

    pub fn text(&mut self, field: &'static str, max: usize) -> String {
        self.optional_text(field, max).unwrap_or_default()
    }

    pub fn required_text(&mut self, field: &'static str, max: usize) -> String {
        match self.optional_text(field, max) {
            Some(s) => s,
            None => {
                self.error(field, "is required");
                String::new()
            }
        }
    }

    pub fn external_id(&mut self, ext: super::ExternalId) -> Option<String> {
        let id = self.optional_text("external_id", 64);
        if id.is_none() && ext == super::ExternalId::Required {
            self.error("external_id", "is required");
        }
        id
    }

    /// A list from a JSON array of strings or a separated cell.
    fn raw_list(&mut self, field: &'static str) -> Vec<String> {
        let items: Vec<String> = match self.values.get(field).copied() {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for item in items {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        Value::Number(n) => out.push(n.to_string()),
                        _ => self.error(field, "list items must be strings"),
                    }
                }
                out
            }
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.starts_with('[') {
                    match serde_json::from_str::<Vec<String>>(t) {
                        Ok(v) => v,
                        Err(_) => {
                            self.error(field, "starts with '[' but is not a JSON array of strings");
                            Vec::new()
                        }
                    }
                } else {
                    t.split(LIST_SEPARATORS).map(str::to_string).collect()
                }
            }
            Some(_) => {
                self.error(field, "expected a list");
                Vec::new()
            }
        };
        let mut seen = Vec::new();
        for item in items {
            let t = match crate::text::clean(&item, false) {
                Ok(t) => t,
                Err(why) => {
                    self.error(field, why);
                    continue;
                }
            };
            if !t.is_empty() && !seen.contains(&t) {
                seen.push(t);
            }
        }
        seen
    }

    pub fn text_list(
        &mut self,
        field: &'static str,
        max_items: usize,
        max_len: usize,
    ) -> Vec<String> {
        let items = self.raw_list(field);
        if items.len() > max_items {
            self.error(
                field,
                format!("has {} items; at most {max_items} are allowed", items.len()),
            );
        }
        if let Some(long) = items.iter().find(|s| s.chars().count() > max_len) {
            let long = long.clone();
            self.error(
                field,
                format!("\"{long}\" is longer than {max_len} characters"),
            );
        }
        items
    }

    pub fn vocab<V: Vocabulary>(&mut self, field: &'static str) -> Option<V> {
        let s = self.scalar(field)?;
        match V::parse(&s) {
            Some(v) => Some(v),
            None => {
                self.error(field, unknown_term::<V>(&s));
                None
            }
        }
    }

    pub fn vocab_list<V: Vocabulary + PartialEq>(&mut self, field: &'static str) -> Vec<V> {
        let mut out = Vec::new();
        for item in self.raw_list(field) {
            match V::parse(&item) {
                Some(v) if !out.contains(&v) => out.push(v),
                Some(_) => {}
                None => self.error(field, unknown_term::<V>(&item)),
            }
        }
        out
    }

    pub fn money(&mut self, field: &'static str) -> Option<Wan> {
        let s = self.scalar(field)?;
        Wan::parse(&s).map_err(|e| self.error(field, e)).ok()
    }

    pub fn trl(&mut self, field: &'static str) -> Option<Trl> {
        let s = self.scalar(field)?;
        Trl::parse(&s).map_err(|e| self.error(field, e)).ok()
    }

    pub fn integer(&mut self, field: &'static str, min: i64, max: i64) -> Option<i64> {
        let s = self.scalar(field)?;
        match s.parse::<f64>() {
            Ok(v) if v.fract() == 0.0 && (min as f64..=max as f64).contains(&v) => Some(v as i64),
            _ => {
                self.error(
                    field,
                    format!("\"{s}\" is not a whole number from {min} to {max}"),
                );
                None
            }
        }
    }

    /// 是/否 as spreadsheets hold them, true/false, 1/0.
    pub fn boolean(&mut self, field: &'static str) -> Option<bool> {
        if let Some(Value::Bool(b)) = self.values.get(field).copied() {
            return Some(*b);
        }
        let s = self.scalar(field)?;
        match s.to_ascii_lowercase().as_str() {
            "是" | "true" | "1" => Some(true),
            "否" | "false" | "0" => Some(false),
            _ => {
                self.error(field, format!("\"{s}\" is not 是 or 否 (true or false)"));
                None
            }
        }
    }

    pub fn date(&mut self, field: &'static str) -> Option<NaiveDate> {
        let s = self.scalar(field)?;
        match parse_date(&s) {
            Some(d) if (2000..=2100).contains(&d.year()) => Some(d),
            Some(_) => {
                self.error(field, format!("\"{s}\" is out of range (years 2000-2100)"));
                None
            }
            None => {
                self.error(field, format!("\"{s}\" is not a date (YYYY-MM-DD)"));
                None
            }
        }
    }

    pub fn phone(&mut self, field: &'static str) -> String {
        let s = self.text(field, 40);
        let ok = s.is_empty()
            || (s.chars().filter(char::is_ascii_digit).count() >= 7
                && s.chars()
                    .all(|c| c.is_ascii_digit() || " -+()转".contains(c)));
        if !ok {
            self.error(field, format!("\"{s}\" is not a phone number"));
        }
        s
    }

    pub fn email(&mut self, field: &'static str) -> String {
        let s = self.text(field, 120);
        let ok = s.is_empty()
            || s.split_once('@').is_some_and(|(user, domain)| {
                !user.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !s.contains(' ')
            });
        if !ok {
            self.error(field, format!("\"{s}\" is not an e-mail address"));
        }
        s
    }

    pub fn indicators(&mut self, field: &'static str) -> Vec<Indicator> {
        let mut out = Vec::new();
        match self.values.get(field).copied() {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    match item {
                        Value::Object(o) => {
                            let name = o.get("name").and_then(Value::as_str).unwrap_or("");
                            let target = match o.get("target") {
                                Some(Value::String(s)) => s.clone(),
                                Some(Value::Number(n)) => n.to_string(),
                                None | Some(Value::Null) => String::new(),
                                Some(_) => {
                                    self.error(field, "an indicator's target is text or a number");
                                    continue;
                                }
                            };
                            out.push(Indicator {
                                name: name.to_string(),
                                target,
                            });
                        }
                        Value::String(s) => out.extend(parse_indicator(s)),
                        _ => self.error(
                            field,
                            "indicators are objects {name, target} or \"name：target\" text",
                        ),
                    }
                }
            }
            Some(Value::String(s)) => {
                let t = s.trim();
                if t.starts_with('[') {
                    match serde_json::from_str::<Vec<Indicator>>(t) {
                        Ok(v) => out = v,
                        Err(_) => self.error(
                            field,
                            "starts with '[' but is not a JSON list of {name, target}",
                        ),
                    }
                } else {
                    out.extend(t.split(['；', ';', '\n']).filter_map(parse_indicator));
                }
            }
            Some(_) => self.error(field, "expected a list of indicators"),
        }
        if out.len() > 30 {
            self.error(field, "at most 30 indicators are allowed");
        }
        // The same hygiene as every other text, whichever form the indicators came in.
        let mut clean = Vec::with_capacity(out.len());
        for Indicator { name, target } in out {
            match (
                crate::text::clean(&name, false),
                crate::text::clean(&target, false),
            ) {
                (Ok(name), _) if name.is_empty() => {
                    self.error(field, "every indicator needs a name")
                }
                (Ok(name), Ok(target))
                    if name.chars().count() > MAX_INDICATOR
                        || target.chars().count() > MAX_INDICATOR =>
                {
                    self.error(
                        field,
                        format!(
                            "an indicator's name and target have at most {MAX_INDICATOR} characters"
                        ),
                    )
                }
                (Ok(name), Ok(target)) => clean.push(Indicator { name, target }),
                (Err(why), _) | (_, Err(why)) => self.error(field, why),
            }
        }
        clean
    }
}

fn parse_indicator(s: &str) -> Option<Indicator> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let (name, target) = match t.split_once(['：', ':']) {
        Some((n, v)) => (n.trim(), v.trim()),
        None => (t, ""),
    };
    Some(Indicator {
        name: name.to_string(),
        target: target.to_string(),
    })
}

/// Dates as people type them: 2026-12-31, 2026/12/31, 2026.12.31, 2026年12月31日.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let t = s.trim().trim_end_matches('日');
    let t: String = t
        .chars()
        .map(|c| {
            if matches!(c, '/' | '.' | '年' | '月') {
                '-'
            } else {
                c
            }
        })
        .collect();
    // Spreadsheet date-times such as "2026-12-31 00:00:00" keep only the date.
    let t = t.split([' ', 'T']).next().unwrap_or("");
    NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
}
