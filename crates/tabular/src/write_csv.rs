//! CSV output: UTF-8 with BOM and CRLF, which is what Excel opens cleanly.

use crate::{Cell, HeaderStyle, Table, TabularError};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

pub(crate) fn write(table: &Table, header: HeaderStyle) -> Result<Vec<u8>, TabularError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    let names = table.columns.iter().map(|c| header.name(c));
    writer.write_record(names).map_err(write_error)?;
    for row in table.padded_rows() {
        writer
            .write_record(row.map(cell_text))
            .map_err(write_error)?;
    }
    writer
        .into_inner()
        .map_err(|e| write_error(e.into_error().into()))
}

fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Number(n) => n.to_string(),
        Cell::Int(i) => i.to_string(),
    }
}

// Writing to a Vec cannot really fail; keep a mapping anyway.
fn write_error(e: csv::Error) -> TabularError {
    TabularError::InvalidTable(format!("cannot write CSV: {e}"))
}
