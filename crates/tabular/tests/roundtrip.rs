use qiao_tabular::{
    Cell, Column, Format, HeaderStyle, Row, Table, TabularError, read_rows, read_rows_from_bytes,
    write_table, write_table_to_bytes,
};
use serde_json::{Value, json};
use tempfile::TempDir;

fn sample() -> Table {
    let column = |key: &str, label: &str| Column {
        key: key.to_owned(),
        label: label.to_owned(),
        width: 16.0,
    };
    Table {
        columns: vec![
            column("title", "标题"),
            column("code", "信用代码"),
            column("budget", "预算"),
            column("count", "数量"),
        ],
        rows: vec![
            vec![
                Cell::Text("智能巡检, \"无人机\"\n第二行".to_owned()),
                Cell::Text("0012".to_owned()),
                Cell::Number(12.5),
                Cell::Int(50),
            ],
            // Short row: trailing cells are empty.
            vec![
                Cell::Text("低温电池".to_owned()),
                Cell::Empty,
                Cell::Number(50.0),
            ],
        ],
    }
}

fn get<'a>(row: &'a Row, key: &str) -> Option<&'a str> {
    row.values.get(key).and_then(Value::as_str)
}

fn assert_text_rows(rows: &[Row], title: &str, code: &str) {
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(get(&rows[0], title), Some("智能巡检, \"无人机\"\n第二行"));
    assert_eq!(get(&rows[0], code), Some("0012"));
    assert_eq!(get(&rows[1], title), Some("低温电池"));
    assert!(!rows[1].values.contains_key(code));
}

#[test]
fn xlsx_round_trip_with_labels() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("out.xlsx");
    write_table(&path, &sample(), HeaderStyle::Labels).unwrap();
    let rows = read_rows(&path).unwrap();
    assert_text_rows(&rows, "标题", "信用代码");
    assert_eq!(get(&rows[0], "预算"), Some("12.5"));
    assert_eq!(get(&rows[0], "数量"), Some("50"));
    assert_eq!(get(&rows[1], "预算"), Some("50"));
    assert_eq!((rows[0].line, rows[1].line), (2, 3));
}

#[test]
fn csv_round_trip_has_bom_and_crlf() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("out.csv");
    write_table(&path, &sample(), HeaderStyle::Keys).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFtitle,code,budget,count\r\n"));
    let rows = read_rows(&path).unwrap();
    assert_text_rows(&rows, "title", "code");
    assert_eq!(get(&rows[0], "budget"), Some("12.5"));
    assert_eq!(get(&rows[1], "budget"), Some("50"));
    // The first record spans lines 2-3, so the second starts on line 4.
    assert_eq!((rows[0].line, rows[1].line), (2, 4));
}

#[test]
fn jsonl_round_trip_keeps_types() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("out.jsonl");
    write_table(&path, &sample(), HeaderStyle::Labels).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.starts_with('\u{feff}'));
    assert!(text.contains("低温电池"), "no ASCII escaping: {text}");
    let rows = read_rows(&path).unwrap();
    assert_text_rows(&rows, "title", "code");
    assert_eq!(rows[0].values["budget"], json!(12.5));
    assert_eq!(rows[0].values["count"], json!(50));
    assert_eq!(rows[1].values.len(), 2);
}

#[test]
fn xlsx_date_cells_read_as_iso_dates() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
    sheet.write_string(2, 1, "截止日期").unwrap();
    sheet
        .write_number_with_format(3, 1, 45943.0, &date)
        .unwrap();
    let bytes = workbook.save_to_buffer().unwrap();

    let rows = read_rows_from_bytes(Format::Xlsx, &bytes).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].line, 4, "spreadsheet row number");
    assert_eq!(get(&rows[0], "截止日期"), Some("2025-10-13"));
}

#[test]
fn invalid_tables_are_rejected() {
    let mut table = sample();
    table.rows[1][2] = Cell::Number(f64::NAN);
    let err = write_table_to_bytes(Format::Csv, &table, HeaderStyle::Keys).unwrap_err();
    assert!(matches!(err, TabularError::InvalidTable(_)), "{err:?}");

    let mut table = sample();
    table.rows[0].push(Cell::Empty);
    let err = write_table_to_bytes(Format::Xlsx, &table, HeaderStyle::Keys).unwrap_err();
    assert!(matches!(err, TabularError::InvalidTable(_)), "{err:?}");
}

#[test]
fn garbage_xlsx_is_an_xlsx_error() {
    let err = read_rows_from_bytes(Format::Xlsx, b"not a zip").unwrap_err();
    assert!(matches!(err, TabularError::Xlsx(_)), "{err:?}");
}

#[test]
fn a_workbook_keeps_its_sheets_in_order_with_their_names() {
    use calamine::{Reader, Xlsx};
    let one = Table {
        columns: vec![Column {
            key: "item".into(),
            label: "项目".into(),
            width: 10.0,
        }],
        rows: vec![vec![Cell::Text("参会单位".into())]],
    };
    let two = Table {
        columns: vec![Column {
            key: "count".into(),
            label: "数量".into(),
            width: 10.0,
        }],
        rows: vec![vec![Cell::Int(7)], vec![Cell::Int(8)]],
    };
    let bytes = qiao_tabular::write_workbook_to_bytes(
        &[("概况", &one), ("洽谈", &two)],
        HeaderStyle::Labels,
    )
    .unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["概况", "洽谈"]);
    let range = book.worksheet_range("洽谈").unwrap();
    assert_eq!(range.height(), 3);
    assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "数量");
}
