//! CSV export must not hand spreadsheets a formula; import undoes the escape.

use calamine::{Data, Reader, Xlsx};
use qiao_tabular::{
    Cell, Column, Format, HeaderStyle, Table, read_rows_from_bytes, write_table_to_bytes,
};
use serde_json::Value;

const RISKY: [&str; 9] = [
    "-40℃电池",
    "=SUM(1)",
    "+86 138",
    "@home",
    "'=already quoted",
    "''+twice",
    "\tx",
    "\rx",
    "'plain",
];

fn table() -> Table {
    Table {
        columns: vec![Column {
            key: "title".to_owned(),
            label: "=标题".to_owned(),
            width: 10.0,
        }],
        rows: RISKY
            .iter()
            .map(|s| vec![Cell::Text((*s).to_owned())])
            .collect(),
    }
}

#[test]
fn csv_export_neutralises_formulas_and_imports_back_unchanged() {
    let bytes = write_table_to_bytes(Format::Csv, &table(), HeaderStyle::Labels).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    for line in [
        "'=标题\r\n",
        "'-40℃电池\r\n",
        "'=SUM(1)\r\n",
        "'+86 138\r\n",
        "'@home\r\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text:?}");
    }
    assert!(text.contains("''=already quoted\r\n"), "{text:?}");
    assert!(text.contains("'''+twice\r\n"), "{text:?}");
    assert!(text.contains("'\tx\r\n"), "{text:?}");
    assert!(text.contains("\"'\rx\"\r\n"), "{text:?}");
    assert!(text.contains("\r\n'plain\r\n"), "{text:?}");

    let rows = read_rows_from_bytes(Format::Csv, &bytes).unwrap();
    let back: Vec<&str> = rows
        .iter()
        .map(|r| r.values.get("=标题").and_then(Value::as_str).unwrap())
        .collect();
    assert_eq!(back, RISKY);
}

#[test]
fn numbers_are_not_escaped() {
    let table = Table {
        columns: vec![Column {
            key: "n".to_owned(),
            label: "n".to_owned(),
            width: 10.0,
        }],
        rows: vec![vec![Cell::Int(-5)], vec![Cell::Number(-0.5)]],
    };
    let bytes = write_table_to_bytes(Format::Csv, &table, HeaderStyle::Keys).unwrap();
    assert!(bytes.ends_with(b"n\r\n-5\r\n-0.5\r\n"));
}

#[test]
fn xlsx_writes_risky_text_as_strings_not_formulas() {
    let bytes = write_table_to_bytes(Format::Xlsx, &table(), HeaderStyle::Labels).unwrap();
    let mut workbook = Xlsx::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let formulas = workbook.worksheet_formula("Sheet1").unwrap();
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()));
    let range = workbook.worksheet_range("Sheet1").unwrap();
    let cells: Vec<&Data> = range.rows().skip(1).map(|row| &row[0]).collect();
    let expected: Vec<Data> = RISKY
        .iter()
        .map(|s| Data::String((*s).to_owned()))
        .collect();
    assert_eq!(cells, expected.iter().collect::<Vec<_>>());

    // And the reader keeps a leading ' in XLSX: only CSV escapes.
    let rows = read_rows_from_bytes(Format::Xlsx, &bytes).unwrap();
    assert_eq!(rows[4].values["=标题"], "'=already quoted");
    assert_eq!(rows[0].values["=标题"], "-40℃电池");
}
