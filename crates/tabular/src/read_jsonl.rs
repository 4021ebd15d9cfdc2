//! JSON Lines input: one JSON object per non-blank line.

use serde_json::Value;

use crate::error::preview;
use crate::{Limit, Limits, Row, TabularError};

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Row>, TabularError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rows = Vec::new();
    let mut values_seen = 0usize;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = index + 1;
        let text = std::str::from_utf8(raw).map_err(|_| {
            TabularError::Encoding(format!(
                "line {line}: not valid UTF-8 (JSONL must be UTF-8)"
            ))
        })?;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if rows.len() == limits.max_rows {
            let found = format!("line {line} is data row {}", rows.len() + 1);
            return Err(limits.exceeded(Limit::Rows, found));
        }
        // Counted before parsing: a Value costs far more than its text.
        values_seen = values_seen.saturating_add(count_values(text));
        if values_seen > limits.max_cells {
            let found = format!("line {line} brings the count to {values_seen}");
            return Err(limits.exceeded(Limit::Cells, found));
        }
        let value: Value = serde_json::from_str(text).map_err(|e| TabularError::Parse {
            line,
            message: json_message(&e),
        })?;
        match value {
            Value::Object(values) => {
                check_object(&values, line, limits)?;
                rows.push(Row { line, values });
            }
            other => {
                return Err(TabularError::Parse {
                    line,
                    message: format!("expected a JSON object, found {}", kind(&other)),
                });
            }
        }
    }
    Ok(rows)
}

/// The JSON values inside an object's text, from its syntax: each one
/// follows a `{`, `[` or `,` outside strings (an empty container counts one
/// too many, which is harmless for a limit).
fn count_values(text: &str) -> usize {
    let (mut count, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => in_string = true,
                b',' | b'[' | b'{' => count += 1,
                _ => {}
            }
        }
    }
    count
}

fn check_object(
    values: &serde_json::Map<String, Value>,
    line: usize,
    limits: &Limits,
) -> Result<(), TabularError> {
    if values.len() > limits.max_columns {
        let found = format!("line {line} has {} keys", values.len());
        return Err(limits.exceeded(Limit::Columns, found));
    }
    for (key, value) in values {
        let chars = key.chars().count();
        if chars > limits.max_header_chars {
            let found = format!("line {line}, key {} has {chars}", preview(key, 32));
            return Err(limits.exceeded(Limit::HeaderChars, found));
        }
        if let Some(chars) = longest_string(value)
            && chars > limits.max_cell_chars
        {
            let found = format!("line {line}, key \"{key}\" has {chars}");
            return Err(limits.exceeded(Limit::CellChars, found));
        }
    }
    Ok(())
}

/// Characters in the longest string inside `value`; serde_json's recursion
/// limit (128) bounds the depth.
fn longest_string(value: &Value) -> Option<usize> {
    match value {
        Value::String(s) => Some(s.chars().count()),
        Value::Array(items) => items.iter().filter_map(longest_string).max(),
        Value::Object(map) => map.values().filter_map(longest_string).max(),
        _ => None,
    }
}

/// serde_json appends "at line 1 column N", which is misleading here: the
/// line is ours, only the column is useful.
fn json_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let reason = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    format!("invalid JSON at column {}: {reason}", e.column())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_values_outside_strings() {
        assert_eq!(count_values(r#"{"a":1}"#), 1);
        assert_eq!(count_values(r#"{"a":1,"b":[1,2,3]}"#), 5);
        assert_eq!(count_values(r#"{"a":"x,[{\"y,"}"#), 1);
    }
}
