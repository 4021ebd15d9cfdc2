//! Turning string records (CSV lines, XLSX rows) into `Row`s; shared so both
//! formats apply the same header and blank-row rules.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::{Row, TabularError};

/// Builds rows from `(line, cells)` records. The first non-blank record is
/// the header; blank records are skipped.
pub(crate) fn build_rows<I>(records: I) -> Result<Vec<Row>, TabularError>
where
    I: IntoIterator<Item = Result<(usize, Vec<String>), TabularError>>,
{
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for record in records {
        let (line, cells) = record?;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        match &header {
            None => header = Some(parse_header(cells)?),
            Some(names) => rows.push(build_row(names, line, cells)?),
        }
    }
    Ok(rows)
}

fn parse_header(cells: Vec<String>) -> Result<Vec<String>, TabularError> {
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(cells.len());
    for (i, cell) in cells.into_iter().enumerate() {
        let raw = if i == 0 {
            cell.trim_start_matches('\u{feff}')
        } else {
            &cell
        };
        let name = raw.trim().to_owned();
        // Several blank headers are fine (trailing empty columns are common).
        if !name.is_empty() && !seen.insert(name.clone()) {
            return Err(TabularError::DuplicateHeader(name));
        }
        names.push(name);
    }
    Ok(names)
}

fn build_row(header: &[String], line: usize, cells: Vec<String>) -> Result<Row, TabularError> {
    // Trailing empty cells (stray delimiters) are tolerated; data is not.
    let used = cells
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1);
    if used > header.len() {
        return Err(TabularError::Parse {
            line,
            message: format!("{} cells but the header has {}", cells.len(), header.len()),
        });
    }
    let mut values = Map::new();
    for (i, cell) in cells.into_iter().enumerate().take(used) {
        let value = cell.trim();
        if value.is_empty() {
            continue;
        }
        let name = &header[i];
        if name.is_empty() {
            return Err(TabularError::Parse {
                line,
                message: format!("cell {} has a value but its column has no header", i + 1),
            });
        }
        values.insert(name.clone(), Value::String(value.to_owned()));
    }
    Ok(Row { line, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: usize, cells: &[&str]) -> Result<(usize, Vec<String>), TabularError> {
        Ok((line, cells.iter().map(|c| (*c).to_owned()).collect()))
    }

    #[test]
    fn skips_blank_rows_and_omits_empty_cells() {
        let rows = build_rows([
            rec(1, &["", ""]),
            rec(2, &[" a ", "b"]),
            rec(3, &[" x ", ""]),
            rec(4, &["", " "]),
            rec(5, &["y"]),
        ])
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].values.get("a"), Some(&Value::from("x")));
        assert!(!rows[0].values.contains_key("b"));
        assert_eq!(rows[1].line, 5);
    }

    #[test]
    fn rejects_duplicate_header_after_trim() {
        let err = build_rows([rec(1, &["a", " a"])]).unwrap_err();
        assert!(matches!(err, TabularError::DuplicateHeader(ref h) if h == "a"));
    }

    #[test]
    fn tolerates_trailing_empty_cells_only() {
        assert!(build_rows([rec(1, &["a"]), rec(2, &["1", " ", ""])]).is_ok());
        let err = build_rows([rec(1, &["a"]), rec(2, &["1", "", "2"])]).unwrap_err();
        assert_eq!(err.to_string(), "line 2: 3 cells but the header has 1");
    }

    #[test]
    fn rejects_value_under_blank_header() {
        let err = build_rows([rec(1, &["a", "", "c"]), rec(2, &["1", "2", "3"])]).unwrap_err();
        assert!(matches!(err, TabularError::Parse { line: 2, .. }));
    }
}
