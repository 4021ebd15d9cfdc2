use std::path::PathBuf;

use crate::Limit;

/// Everything that can go wrong while reading or writing a tabular file.
#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    #[error("cannot access {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", unsupported_message(.0))]
    UnsupportedFormat(String),
    #[error("{0}")]
    Encoding(String),
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
    #[error("XLSX: {0}")]
    Xlsx(String),
    #[error("duplicate column header \"{0}\"")]
    DuplicateHeader(String),
    /// The caller handed `write_table` a table that cannot be written.
    #[error("invalid table: {0}")]
    InvalidTable(String),
    /// The input is larger than the caller's `Limits` allow; `found` is a
    /// short human description of what was found and where.
    #[error("too many {limit} (limit {max}): {found}")]
    LimitExceeded {
        limit: Limit,
        max: u64,
        found: String,
    },
}

/// Shows at most `shown` items, each cut to 32 characters, then how many
/// were left out: `"a", "b", "c" and 97 more`. Keeps error messages short however
/// many names a hostile file brings.
pub fn short_list<S: AsRef<str>>(items: &[S], shown: usize) -> String {
    let head: Vec<String> = items
        .iter()
        .take(shown)
        .map(|s| preview(s.as_ref(), 32))
        .collect();
    let mut text = head.join(", ");
    let rest = items.len().saturating_sub(shown);
    if rest > 0 {
        text.push_str(&format!(" and {rest} more"));
    }
    text
}

/// The first `max` characters of `s` in quotes, with `…` if cut.
pub(crate) fn preview(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("\"{}…\"", &s[..i]),
        None => format!("\"{s}\""),
    }
}

fn unsupported_message(ext: &str) -> String {
    if ext.is_empty() {
        "file has no extension; expected .jsonl, .csv or .xlsx".to_owned()
    } else {
        format!("unsupported file extension \".{ext}\"; expected .jsonl, .csv or .xlsx")
    }
}
