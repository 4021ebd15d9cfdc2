//! XLSX input: the first worksheet, cells rendered as text.
//!
//! Cells are streamed and checked against the limits one by one: calamine's
//! `worksheet_range` allocates the whole bounding box of the used cells, so
//! a sheet with just `A1` and `XFD1048576` would ask for 512 GiB.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use calamine::{DataRef, ExcelDateTime, Reader, SheetType, Xlsx};

use crate::records::{Rules, build_rows};
use crate::{Limit, Limits, Row, TabularError, xlsx_guard};

/// A non-blank cell: 0-based row and column, text.
type Found = (u32, u32, String);

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Row>, TabularError> {
    xlsx_guard::check(bytes, limits)?;
    // calamine has arithmetic that panics in debug builds on malformed cell
    // references; a bad upload must be an error, not a crash.
    let cells = catch_unwind(AssertUnwindSafe(|| read_cells(bytes, limits)))
        .unwrap_or_else(|_| Err(TabularError::Xlsx("the workbook is malformed".to_owned())))?;
    let rules = Rules {
        limits,
        unescape: |s| s,
    };
    build_rows(records(cells), rules)
}

fn read_cells(bytes: &[u8], limits: &Limits) -> Result<Vec<Found>, TabularError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    // Chart sheets come back as empty ranges, so skip to a real worksheet.
    let name = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .ok_or_else(|| TabularError::Xlsx("the workbook has no worksheet".to_owned()))?;
    let mut reader = match workbook.worksheet_cells_reader(&name) {
        Ok(reader) => reader,
        // As calamine's own ranges do: such a sheet reads as empty.
        Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()),
        Err(e) => return Err(xlsx_error(e)),
    };
    let mut span = Span::default();
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(xlsx_error)? {
        let (row, col) = cell.get_position();
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        span.add(row, col, limits)?;
        // build_rows counts data cells exactly; this only bounds memory.
        if cells.len() >= limits.max_cells.saturating_add(limits.max_columns) {
            let found = format!(
                "worksheet cell {} is non-blank cell {}",
                a1(row, col),
                cells.len() + 1
            );
            return Err(limits.exceeded(Limit::Cells, found));
        }
        cells.push((row, col, text));
    }
    Ok(cells)
}

/// The bounding box of the non-blank cells seen so far.
#[derive(Default)]
struct Span(Option<(u32, u32, u32, u32)>);

impl Span {
    fn add(&mut self, row: u32, col: u32, limits: &Limits) -> Result<(), TabularError> {
        let (r0, r1, c0, c1) = match self.0 {
            None => (row, row, col, col),
            Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(col)),
        };
        self.0 = Some((r0, r1, c0, c1));
        let columns = u64::from(c1 - c0) + 1;
        if columns > limits.max_columns as u64 {
            let found = format!(
                "the worksheet uses columns {} to {} ({columns})",
                column_name(c0),
                column_name(c1)
            );
            return Err(limits.exceeded(Limit::Columns, found));
        }
        // Rows below the first used one (the header) are data rows.
        if u64::from(r1 - r0) > limits.max_rows as u64 {
            let found = format!(
                "the worksheet uses rows {} to {}",
                r0 + 1,
                u64::from(r1) + 1
            );
            return Err(limits.exceeded(Limit::Rows, found));
        }
        Ok(())
    }
}

/// Groups cells into `(spreadsheet row, cells)` records, columns counted
/// from the leftmost used column, as calamine's ranges did.
fn records(
    mut cells: Vec<Found>,
) -> impl Iterator<Item = Result<(usize, Vec<String>), TabularError>> {
    // Stable, so of two cells at one position the later one wins, as in calamine.
    cells.sort_by_key(|&(row, col, _)| (row, col));
    let first_col = cells.iter().map(|&(_, col, _)| col).min().unwrap_or(0);
    let mut cells = cells.into_iter().peekable();
    std::iter::from_fn(move || {
        let (row, col, text) = cells.next()?;
        let mut record = Vec::new();
        let mut put = |col: u32, text: String| {
            let i = (col - first_col) as usize;
            if record.len() <= i {
                record.resize(i + 1, String::new());
            }
            record[i] = text;
        };
        put(col, text);
        while let Some((col, text)) = cells.next_if(|c| c.0 == row).map(|(_, c, t)| (c, t)) {
            put(col, text);
        }
        Some(Ok((row as usize + 1, record)))
    })
}

/// `A1` notation, for messages.
fn a1(row: u32, col: u32) -> String {
    format!("{}{}", column_name(col), u64::from(row) + 1)
}

fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut name = Vec::new();
    while n > 0 {
        n -= 1;
        name.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// calamine errors can quote cell content; keep messages short.
fn xlsx_error(e: calamine::XlsxError) -> TabularError {
    let text = e.to_string();
    let short = match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text,
    };
    TabularError::Xlsx(short)
}

fn cell_text(cell: &DataRef<'_>) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        // f64 Display is the shortest round-trip form: 50.0 -> "50".
        DataRef::Float(f) => f.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::DateTime(dt) => datetime_text(dt),
        DataRef::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).replace('T', " "),
        DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

fn datetime_text(dt: &ExcelDateTime) -> String {
    if dt.is_duration() {
        return dt.as_f64().to_string();
    }
    let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
    let date = format!("{y:04}-{mo:02}-{d:02}");
    let time = format!("{h:02}:{mi:02}:{s:02}");
    match (dt.as_f64() < 1.0, (h, mi, s) == (0, 0, 0)) {
        (true, _) => time,
        (false, true) => date,
        (false, false) => format!("{date} {time}"),
    }
}

#[cfg(test)]
mod tests {
    use calamine::ExcelDateTimeType;

    use super::*;

    fn dt(value: f64) -> String {
        datetime_text(&ExcelDateTime::new(
            value,
            ExcelDateTimeType::DateTime,
            false,
        ))
    }

    #[test]
    fn formats_dates_and_numbers() {
        assert_eq!(dt(45943.0), "2025-10-13");
        assert_eq!(dt(45943.5), "2025-10-13 12:00:00");
        assert_eq!(dt(0.5), "12:00:00");
        assert_eq!(cell_text(&DataRef::Float(50.0)), "50");
        assert_eq!(cell_text(&DataRef::Float(12.5)), "12.5");
        assert_eq!(
            cell_text(&DataRef::DateTimeIso("2024-01-02T00:00:00".into())),
            "2024-01-02"
        );
    }
}
