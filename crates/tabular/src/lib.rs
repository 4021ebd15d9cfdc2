//! Reading and writing the tabular interchange files: JSON Lines (`.jsonl`),
//! CSV (`.csv`) and Excel (`.xlsx`). The crate knows nothing about the
//! domain: it turns a file into rows of (line number, header → cell) and
//! writes rows back. Domain mapping lives elsewhere.
//!
//! Input is untrusted: every reader enforces [`Limits`] (rows, columns,
//! cells, cell and header length, unpacked XLSX size) and fails with
//! [`TabularError::LimitExceeded`] before allocating beyond them.
//!
//! # CSV formula injection
//!
//! A CSV cell starting with `=`, `+`, `-`, `@`, TAB or CR runs as a formula
//! when the file is opened in a spreadsheet. CSV export therefore writes such
//! a cell with a leading `'` (`=SUM(1)` becomes `'=SUM(1)`, shown as text), and
//! CSV import strips one leading `'` when the rest, after any further `'`,
//! starts with one of those characters, so exported files import back
//! unchanged. XLSX cells are written as typed strings and need no prefix.

mod error;
mod formula;
mod limits;
mod read_csv;
mod read_jsonl;
mod read_xlsx;
mod records;
mod table;
mod write_csv;
mod write_jsonl;
mod write_xlsx;
mod xlsx_guard;

use std::path::Path;

pub use error::{TabularError, short_list};
pub use limits::{
    Limit, Limits, MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, MAX_HEADER_CHARS, MAX_ROWS,
    MAX_XLSX_UNPACKED_BYTES,
};
pub use table::{Cell, Column, HeaderStyle, Table};

/// A supported file format, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

impl Format {
    /// Picks the format from the extension (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Format, TabularError> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        match ext.as_str() {
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(TabularError::UnsupportedFormat(ext)),
        }
    }
}

/// One input record.
///
/// `line` is 1-based and means: for JSONL the physical line number; for CSV
/// the physical line where the record starts (header is line 1, so the first
/// data row is line 2 unless multi-line quoted cells shift it); for XLSX the
/// spreadsheet row number (header row 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: usize,
    pub values: serde_json::Map<String, serde_json::Value>,
}

/// Reads a file, choosing the format by extension, with default [`Limits`].
pub fn read_rows(path: &Path) -> Result<Vec<Row>, TabularError> {
    read_rows_with(path, &Limits::default())
}

/// Reads a file, choosing the format by extension.
pub fn read_rows_with(path: &Path, limits: &Limits) -> Result<Vec<Row>, TabularError> {
    let format = Format::from_path(path)?;
    let bytes = std::fs::read(path).map_err(|source| TabularError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read_rows_from_bytes_with(format, &bytes, limits)
}

/// Reads in-memory file contents (e.g. an HTTP upload) with default [`Limits`].
pub fn read_rows_from_bytes(format: Format, bytes: &[u8]) -> Result<Vec<Row>, TabularError> {
    read_rows_from_bytes_with(format, bytes, &Limits::default())
}

/// Reads in-memory file contents (e.g. an HTTP upload).
pub fn read_rows_from_bytes_with(
    format: Format,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Vec<Row>, TabularError> {
    match format {
        Format::Jsonl => read_jsonl::read(bytes, limits),
        Format::Csv => read_csv::read(bytes, limits),
        Format::Xlsx => read_xlsx::read(bytes, limits),
    }
}

/// Writes a table to a file, choosing the format by extension.
pub fn write_table(path: &Path, table: &Table, header: HeaderStyle) -> Result<(), TabularError> {
    let format = Format::from_path(path)?;
    let bytes = write_table_to_bytes(format, table, header)?;
    std::fs::write(path, bytes).map_err(|source| TabularError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// An .xlsx workbook of named sheets (names ≤ 31 characters, no `[]:*?/\\`), in order.
pub fn write_workbook_to_bytes(
    sheets: &[(&str, &Table)],
    header: HeaderStyle,
) -> Result<Vec<u8>, TabularError> {
    for (_, table) in sheets {
        table.validate()?;
    }
    write_xlsx::write_sheets(sheets, header)
}

/// Serializes a table in memory (e.g. for an HTTP download).
pub fn write_table_to_bytes(
    format: Format,
    table: &Table,
    header: HeaderStyle,
) -> Result<Vec<u8>, TabularError> {
    table.validate()?;
    match format {
        Format::Jsonl => write_jsonl::write(table),
        Format::Csv => write_csv::write(table, header),
        Format::Xlsx => write_xlsx::write(table, header),
    }
}
