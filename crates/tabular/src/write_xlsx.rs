//! XLSX output: worksheets with a bold, frozen, filterable header.

use rust_xlsxwriter::{Format as XlsxFormat, Workbook, Worksheet, XlsxError};

use crate::{Cell, HeaderStyle, Table, TabularError};

pub(crate) fn write(table: &Table, header: HeaderStyle) -> Result<Vec<u8>, TabularError> {
    let mut workbook = Workbook::new();
    fill(workbook.add_worksheet(), table, header)?;
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// A workbook of named sheets, in order.
pub(crate) fn write_sheets(
    sheets: &[(&str, &Table)],
    header: HeaderStyle,
) -> Result<Vec<u8>, TabularError> {
    let mut workbook = Workbook::new();
    for (name, table) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(*name).map_err(xlsx_error)?;
        fill(sheet, table, header)?;
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

fn fill(sheet: &mut Worksheet, table: &Table, header: HeaderStyle) -> Result<(), TabularError> {
    let bold = XlsxFormat::new().set_bold();

    for (c, column) in table.columns.iter().enumerate() {
        let col = col_num(c)?;
        sheet
            .write_string_with_format(0, col, header.name(column), &bold)
            .map_err(xlsx_error)?;
        sheet
            .set_column_width(col, column.width)
            .map_err(xlsx_error)?;
    }

    for (r, row) in table.padded_rows().enumerate() {
        let row_num = u32::try_from(r + 1).map_err(|_| too_many_rows())?;
        for (c, cell) in row.enumerate() {
            let col = col_num(c)?;
            match cell {
                Cell::Empty => continue,
                // Strings stay strings: credit codes like "0012" keep zeros.
                Cell::Text(s) => sheet.write_string(row_num, col, s.as_str()),
                Cell::Number(n) => sheet.write_number(row_num, col, *n),
                // Excel stores every number as f64 anyway.
                Cell::Int(i) => sheet.write_number(row_num, col, *i as f64),
            }
            .map_err(xlsx_error)?;
        }
    }

    if !table.columns.is_empty() {
        let last_row = u32::try_from(table.rows.len()).map_err(|_| too_many_rows())?;
        let last_col = col_num(table.columns.len() - 1)?;
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        sheet
            .autofilter(0, 0, last_row, last_col)
            .map_err(xlsx_error)?;
    }
    Ok(())
}

fn col_num(c: usize) -> Result<u16, TabularError> {
    u16::try_from(c).map_err(|_| TabularError::Xlsx(format!("too many columns ({})", c + 1)))
}

fn too_many_rows() -> TabularError {
    TabularError::Xlsx("too many rows for a worksheet".to_owned())
}

fn xlsx_error(e: XlsxError) -> TabularError {
    TabularError::Xlsx(e.to_string())
}
