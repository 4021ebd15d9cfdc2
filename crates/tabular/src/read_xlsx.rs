//! XLSX input: the first worksheet, cells rendered as text.

use std::io::Cursor;

use calamine::{Data, ExcelDateTime, Reader, SheetType, Xlsx};

use crate::records::build_rows;
use crate::{Row, TabularError};

pub(crate) fn read(bytes: &[u8]) -> Result<Vec<Row>, TabularError> {
    let mut workbook =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| TabularError::Xlsx(e.to_string()))?;
    // Chart sheets come back as empty ranges, so skip to a real worksheet.
    let name = workbook
        .sheets_metadata()
        .iter()
        .find(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .ok_or_else(|| TabularError::Xlsx("the workbook has no worksheet".to_owned()))?;
    let range = workbook
        .worksheet_range(&name)
        .map_err(|e| TabularError::Xlsx(format!("worksheet \"{name}\": {e}")))?;
    // The range starts at the first non-empty cell, not necessarily at A1.
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let records = range
        .rows()
        .enumerate()
        .map(|(i, cells)| Ok((first_row + i + 1, cells.iter().map(cell_text).collect())));
    build_rows(records)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        // f64 Display is the shortest round-trip form: 50.0 -> "50".
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) => s.strip_suffix("T00:00:00").unwrap_or(s).replace('T', " "),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
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
        assert_eq!(cell_text(&Data::Float(50.0)), "50");
        assert_eq!(cell_text(&Data::Float(12.5)), "12.5");
        assert_eq!(
            cell_text(&Data::DateTimeIso("2024-01-02T00:00:00".into())),
            "2024-01-02"
        );
    }
}
