//! CSV output: UTF-8 with BOM and CRLF, which is what Excel opens cleanly.
//! Text that could run as a formula gets a `'` prefix (see `formula`).

use std::borrow::Cow;

use crate::formula::escape;
use crate::{Cell, HeaderStyle, Table, TabularError};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn write(table: &Table, header: HeaderStyle) -> Result<Vec<u8>, TabularError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    let names: Vec<_> = table
        .columns
        .iter()
        .map(|c| escape(header.name(c)))
        .collect();
    writer
        .write_record(names.iter().map(|n| n.as_bytes()))
        .map_err(write_error)?;
    for row in table.padded_rows() {
        let cells: Vec<_> = row.map(cell_text).collect();
        writer
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(write_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| write_error(e.into_error().into()))
}

fn cell_text(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(s) => escape(s),
        // Numbers are typed, not user text: "-5" stays a number in Excel.
        Cell::Number(n) => n.to_string().into(),
        Cell::Int(i) => i.to_string().into(),
    }
}

// Writing to a Vec cannot really fail; keep a mapping anyway.
fn write_error(e: csv::Error) -> TabularError {
    TabularError::InvalidTable(format!("cannot write CSV: {e}"))
}
