//! The output model handed to `write_table`.

use crate::TabularError;

/// One output column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// English field name (JSONL keys, `HeaderStyle::Keys`).
    pub key: String,
    /// Chinese header shown to people (`HeaderStyle::Labels`).
    pub label: String,
    /// XLSX column width in characters, as computed by the caller.
    pub width: f64,
}

/// One output cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    /// Always written as text, so codes keep their leading zeros.
    Text(String),
    Number(f64),
    Int(i64),
}

/// Columns plus rows of cells; each row has at most `columns.len()` cells
/// (missing trailing cells are empty).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
}

/// What the header row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderStyle {
    /// Chinese labels.
    Labels,
    /// English keys.
    Keys,
}

impl HeaderStyle {
    pub(crate) fn name(self, column: &Column) -> &str {
        match self {
            HeaderStyle::Labels => &column.label,
            HeaderStyle::Keys => &column.key,
        }
    }
}

impl Table {
    /// Rejects what no format can represent, so writers stay simple and all
    /// formats fail alike.
    pub(crate) fn validate(&self) -> Result<(), TabularError> {
        for (r, row) in self.rows.iter().enumerate() {
            if row.len() > self.columns.len() {
                return Err(TabularError::InvalidTable(format!(
                    "row {} has {} cells but there are {} columns",
                    r + 1,
                    row.len(),
                    self.columns.len()
                )));
            }
            for (c, cell) in row.iter().enumerate() {
                if let Cell::Number(n) = cell
                    && !n.is_finite()
                {
                    return Err(TabularError::InvalidTable(format!(
                        "row {}, column \"{}\": {n} is not a finite number",
                        r + 1,
                        self.columns[c].key
                    )));
                }
            }
        }
        Ok(())
    }

    /// Each row padded to the column count, so writers need no bounds checks.
    pub(crate) fn padded_rows(&self) -> impl Iterator<Item = impl Iterator<Item = &Cell>> {
        let width = self.columns.len();
        self.rows.iter().map(move |row| {
            row.iter()
                .chain(std::iter::repeat(&Cell::Empty))
                .take(width)
        })
    }
}
