//! JSON Lines input: one JSON object per non-blank line.

use serde_json::Value;

use crate::{Row, TabularError};

pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Row>, TabularError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rows = Vec::new();
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
        let value: Value = serde_json::from_str(text).map_err(|e| TabularError::Parse {
            line,
            message: json_message(&e),
        })?;
        match value {
            Value::Object(values) => rows.push(Row { line, values }),
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
