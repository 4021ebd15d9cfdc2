//! Reading a client's draft field by field: vocabulary terms, cleaned text
//! and life-cycle moves, each problem named by its field so that a draft
//! answers with all of them at once. Shared by events and projects.

use crate::{Error, Result};
use qiao_core::record::FieldError;
use qiao_core::vocab::Vocabulary;

/// A term by code or Chinese label, or a note that names the allowed ones.
pub(crate) fn vocab<V: Vocabulary>(
    field: &str,
    value: &str,
    errors: &mut Vec<FieldError>,
) -> Option<V> {
    let parsed = V::parse(value);
    if parsed.is_none() {
        let allowed: Vec<String> = V::ALL
            .iter()
            .map(|t| format!("{} ({})", t.code(), t.label_zh()))
            .collect();
        errors.push(FieldError {
            field: field.into(),
            message: format!("unknown {}; one of {}", V::NAME, allowed.join(", ")),
        });
    }
    parsed
}

/// Cleans one text field (see `qiao_core::text::clean`), noting why it is refused.
pub(crate) fn text(
    field: &str,
    v: Option<String>,
    multiline: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = v?;
    match qiao_core::text::clean(&v, multiline) {
        Ok(s) => Some(s),
        Err(message) => {
            errors.push(FieldError {
                field: field.into(),
                message,
            });
            None
        }
    }
}

/// Moves `from` to `to` by the vocabulary's `transition`, or answers 409
/// naming the allowed moves; `what` is the thing moved ("an event").
pub(crate) fn check_move<V: Vocabulary + PartialEq>(
    what: &str,
    from: V,
    to: V,
    transition: fn(V, V) -> std::result::Result<(), &'static [V]>,
) -> Result<()> {
    if from == to {
        return Ok(());
    }
    transition(from, to).map_err(|allowed| {
        let allowed: Vec<&str> = allowed.iter().map(|s| s.code()).collect();
        Error::Conflict(format!(
            "{what} cannot go from {} to {}; allowed next: {}",
            from.code(),
            to.code(),
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        ))
    })
}
