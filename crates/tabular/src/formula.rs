//! CSV formula-injection guard.
//!
//! Spreadsheet programs run a CSV cell that starts with `=`, `+`, `-` or `@`
//! as a formula (and TAB or CR can hide such a start), so an exported need
//! titled `=HYPERLINK(...)` would run in the reader's Excel. The CSV writer
//! therefore prefixes such a cell with one `'`, which Excel shows as text.
//!
//! The CSV reader undoes exactly that: it strips one leading `'` when the
//! rest of the cell, after any further `'`, starts with one of those
//! characters. So every exported cell imports back unchanged, including one
//! that already started with `'=`: it is written as `''=` and read as `'=`.
//! The reader unescapes after trimming, so `'\tx` imports as `\tx`.
//!
//! XLSX needs none of this: cells are written as typed strings, never as
//! formulas. JSONL has no formulas.

/// Characters that make a spreadsheet treat a CSV cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn is_risky(s: &str) -> bool {
    s.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The CSV text of a cell: `s` itself, or `'` + `s` if it could run as a formula.
pub(crate) fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    if is_risky(s) {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

/// The inverse of [`escape`].
pub(crate) fn unescape(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if is_risky(rest) => rest,
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_round_trips() {
        for s in [
            "", "'", "''", "'a", "a=b", "=1", "'=1", "''=1", "-40℃", "\tx", "\rx", "@a", "+86",
            " =1",
        ] {
            assert_eq!(unescape(&escape(s)), s, "{s:?}");
        }
        assert_eq!(escape("=1"), "'=1");
        assert_eq!(escape("'=1"), "''=1");
        assert_eq!(escape("'a"), "'a");
        assert_eq!(escape("a"), "a");
    }
}
