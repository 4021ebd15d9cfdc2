//! Turning string records (CSV lines, XLSX rows) into `Row`s; shared so both
//! formats apply the same header and blank-row rules.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::error::{preview, short_list};
use crate::{Limit, Limits, Row, TabularError};

/// How a format's cells become values.
#[derive(Clone, Copy)]
pub(crate) struct Rules<'a> {
    pub limits: &'a Limits,
    /// Applied after trimming (CSV undoes its formula escape here).
    pub unescape: fn(&str) -> &str,
}

/// Builds rows from `(line, cells)` records. The first non-blank record is
/// the header; blank records are skipped.
pub(crate) fn build_rows<I>(records: I, rules: Rules<'_>) -> Result<Vec<Row>, TabularError>
where
    I: IntoIterator<Item = Result<(usize, Vec<String>), TabularError>>,
{
    let limits = rules.limits;
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut cells_seen = 0usize;
    for record in records {
        let (line, cells) = record?;
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let Some(names) = &header else {
            header = Some(parse_header(cells, rules)?);
            continue;
        };
        if rows.len() == limits.max_rows {
            let found = format!("line {line} is data row {}", rows.len() + 1);
            return Err(limits.exceeded(Limit::Rows, found));
        }
        let row = build_row(names, line, cells, rules)?;
        cells_seen += row.values.len();
        if cells_seen > limits.max_cells {
            let found = format!("line {line} brings the count to {cells_seen}");
            return Err(limits.exceeded(Limit::Cells, found));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn parse_header(cells: Vec<String>, rules: Rules<'_>) -> Result<Vec<String>, TabularError> {
    let limits = rules.limits;
    let name_of = |i: usize, cell: &str| {
        let raw = if i == 0 {
            cell.trim_start_matches('\u{feff}')
        } else {
            cell
        };
        (rules.unescape)(raw.trim()).to_owned()
    };
    let used = cells
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1);
    if used > limits.max_columns {
        let first: Vec<String> = (cells.iter().enumerate())
            .map(|(i, c)| name_of(i, c))
            .filter(|n| !n.is_empty())
            .take(5)
            .collect();
        let found = format!(
            "the header has {used} columns: {}, ...",
            short_list(&first, 5)
        );
        return Err(limits.exceeded(Limit::Columns, found));
    }
    let mut seen = HashSet::new();
    let mut names = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        let name = name_of(i, cell);
        let chars = name.chars().count();
        if chars > limits.max_header_chars {
            let found = format!("column {} ({}) has {chars}", i + 1, preview(&name, 32));
            return Err(limits.exceeded(Limit::HeaderChars, found));
        }
        // Several blank headers are fine (trailing empty columns are common).
        if !name.is_empty() && !seen.insert(name.clone()) {
            return Err(TabularError::DuplicateHeader(name));
        }
        names.push(name);
    }
    Ok(names)
}

fn build_row(
    header: &[String],
    line: usize,
    cells: Vec<String>,
    rules: Rules<'_>,
) -> Result<Row, TabularError> {
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
    for (i, cell) in cells.iter().enumerate().take(used) {
        let value = (rules.unescape)(cell.trim());
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
        let limits = rules.limits;
        // Bytes bound characters from above, so most cells skip the count.
        if value.len() > limits.max_cell_chars {
            let chars = value.chars().count();
            if chars > limits.max_cell_chars {
                let found = format!("line {line}, column \"{name}\" has {chars}");
                return Err(limits.exceeded(Limit::CellChars, found));
            }
        }
        values.insert(name.clone(), Value::String(value.to_owned()));
    }
    Ok(Row { line, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_rows: 2,
        max_columns: 3,
        max_cells: 4,
        max_cell_chars: 5,
        max_header_chars: 6,
        max_xlsx_unpacked_bytes: 0,
    };

    fn build<const N: usize>(
        records: [Result<(usize, Vec<String>), TabularError>; N],
    ) -> Result<Vec<Row>, TabularError> {
        build_rows(
            records,
            Rules {
                limits: &Limits::default(),
                unescape: |s| s,
            },
        )
    }

    fn build_limited<const N: usize>(
        records: [Result<(usize, Vec<String>), TabularError>; N],
    ) -> Result<Vec<Row>, TabularError> {
        let rules = Rules {
            limits: &LIMITS,
            unescape: |s| s,
        };
        build_rows(records, rules)
    }

    fn limit_of(result: Result<Vec<Row>, TabularError>) -> Limit {
        match result {
            Err(TabularError::LimitExceeded { limit, .. }) => limit,
            other => panic!("expected a limit error, got {other:?}"),
        }
    }

    #[test]
    fn enforces_each_limit() {
        assert!(build_limited([rec(1, &["a", "b", "", " "]), rec(2, &["12345", "x"])]).is_ok());
        let too_wide = build_limited([rec(1, &["a", "b", "c", "d"])]);
        assert_eq!(limit_of(too_wide), Limit::Columns);
        assert_eq!(
            limit_of(build_limited([rec(1, &["abcdefg"])])),
            Limit::HeaderChars
        );
        let long_cell = build_limited([rec(1, &["a"]), rec(2, &["甲乙丙丁戊己"])]);
        assert_eq!(limit_of(long_cell), Limit::CellChars);
        let rows = [
            rec(1, &["a"]),
            rec(2, &["1"]),
            rec(3, &["2"]),
            rec(4, &["3"]),
        ];
        assert_eq!(limit_of(build_limited(rows)), Limit::Rows);
        let cells = [
            rec(1, &["a", "b", "c"]),
            rec(2, &["1", "2", "3"]),
            rec(3, &["1", "2"]),
        ];
        assert_eq!(limit_of(build_limited(cells)), Limit::Cells);
    }

    #[test]
    fn column_limit_error_is_short() {
        let wide: Vec<String> = (0..100_000).map(|i| format!("unknown_{i}")).collect();
        let err = build_rows(
            [Ok((1, wide))],
            Rules {
                limits: &Limits::default(),
                unescape: |s| s,
            },
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.len() < 300, "{text}");
        assert!(text.contains("100000 columns"), "{text}");
    }

    fn rec(line: usize, cells: &[&str]) -> Result<(usize, Vec<String>), TabularError> {
        Ok((line, cells.iter().map(|c| (*c).to_owned()).collect()))
    }

    #[test]
    fn skips_blank_rows_and_omits_empty_cells() {
        let rows = build([
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
        let err = build([rec(1, &["a", " a"])]).unwrap_err();
        assert!(matches!(err, TabularError::DuplicateHeader(ref h) if h == "a"));
    }

    #[test]
    fn tolerates_trailing_empty_cells_only() {
        assert!(build([rec(1, &["a"]), rec(2, &["1", " ", ""])]).is_ok());
        let err = build([rec(1, &["a"]), rec(2, &["1", "", "2"])]).unwrap_err();
        assert_eq!(err.to_string(), "line 2: 3 cells but the header has 1");
    }

    #[test]
    fn rejects_value_under_blank_header() {
        let err = build([rec(1, &["a", "", "c"]), rec(2, &["1", "2", "3"])]).unwrap_err();
        assert!(matches!(err, TabularError::Parse { line: 2, .. }));
    }
}
