//! Input limits. Uploads are untrusted: without these a 1 KB XLSX can make
//! calamine allocate the whole sheet grid, and a small zip can unpack to
//! gigabytes. Every reader checks them before or while it allocates.

use std::fmt;

/// Default for [`Limits::max_rows`].
pub const MAX_ROWS: usize = 200_000;
/// Default for [`Limits::max_columns`].
pub const MAX_COLUMNS: usize = 200;
/// Default for [`Limits::max_cells`].
pub const MAX_CELLS: usize = 2_000_000;
/// Default for [`Limits::max_cell_chars`]: room for a long need description
/// (a few pages of Chinese text), far below anything that strains memory.
pub const MAX_CELL_CHARS: usize = 100_000;
/// Default for [`Limits::max_header_chars`].
pub const MAX_HEADER_CHARS: usize = 128;
/// Default for [`Limits::max_xlsx_unpacked_bytes`]: 256 MiB.
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// How much input the readers accept. `Limits::default()` uses the constants
/// above; callers may pass tighter ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Data rows after the header. For XLSX a cell more than this many rows
    /// below the first used row is refused even if the rows between are blank.
    pub max_rows: usize,
    /// Used columns: up to the last non-blank header cell (CSV, XLSX), keys
    /// of one object (JSONL). For XLSX the span of used columns counts.
    pub max_columns: usize,
    /// Non-blank data cells in the whole file. For JSONL every JSON value
    /// counts, an array and each of its elements included.
    pub max_cells: usize,
    /// Characters (Unicode scalar values) in one cell, after trimming.
    pub max_cell_chars: usize,
    /// Characters in one column header (JSONL: one key).
    pub max_header_chars: usize,
    /// Bytes an XLSX archive unpacks to, all entries together.
    pub max_xlsx_unpacked_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rows: MAX_ROWS,
            max_columns: MAX_COLUMNS,
            max_cells: MAX_CELLS,
            max_cell_chars: MAX_CELL_CHARS,
            max_header_chars: MAX_HEADER_CHARS,
            max_xlsx_unpacked_bytes: MAX_XLSX_UNPACKED_BYTES,
        }
    }
}

/// Which limit an input exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    Rows,
    Columns,
    Cells,
    CellChars,
    HeaderChars,
    XlsxUnpackedBytes,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::Rows => "data rows",
            Limit::Columns => "columns",
            Limit::Cells => "non-blank cells",
            Limit::CellChars => "characters in one cell",
            Limit::HeaderChars => "characters in one column header",
            Limit::XlsxUnpackedBytes => "unpacked XLSX bytes",
        })
    }
}

impl Limits {
    /// The error for exceeding `limit`; `found` says where and how much.
    pub(crate) fn exceeded(&self, limit: Limit, found: String) -> crate::TabularError {
        let max = match limit {
            Limit::Rows => self.max_rows as u64,
            Limit::Columns => self.max_columns as u64,
            Limit::Cells => self.max_cells as u64,
            Limit::CellChars => self.max_cell_chars as u64,
            Limit::HeaderChars => self.max_header_chars as u64,
            Limit::XlsxUnpackedBytes => self.max_xlsx_unpacked_bytes,
        };
        crate::TabularError::LimitExceeded { limit, max, found }
    }
}
