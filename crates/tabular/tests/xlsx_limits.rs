//! XLSX inputs that once crashed the process or took gigabytes.

mod common;

use common::{shared_strings, xlsx};
use qiao_tabular::{
    Format, Limit, Limits, TabularError, read_rows_from_bytes, read_rows_from_bytes_with,
};

fn limit_error(result: Result<Vec<qiao_tabular::Row>, TabularError>) -> (Limit, String) {
    match result {
        Err(e @ TabularError::LimitExceeded { limit, .. }) => (limit, e.to_string()),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn far_apart_cells_are_refused_not_allocated() {
    // Used to abort: "memory allocation of 549755813888 bytes failed".
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "标题").unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    assert!(bytes.len() < 10_000);

    let (limit, text) = limit_error(read_rows_from_bytes(Format::Xlsx, &bytes));
    assert_eq!(limit, Limit::Columns);
    assert_eq!(
        text,
        "too many columns (limit 200): the worksheet uses columns A to XFD (16384)"
    );
}

#[test]
fn rows_far_below_the_header_are_refused() {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.write_string(0, 0, "标题").unwrap();
    sheet.write_string(1_048_575, 0, "x").unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let (limit, text) = limit_error(read_rows_from_bytes(Format::Xlsx, &bytes));
    assert_eq!(limit, Limit::Rows);
    assert!(
        text.ends_with("the worksheet uses rows 1 to 1048576"),
        "{text}"
    );

    // Exactly at the limit is fine: header row plus max_rows data rows.
    let limits = Limits {
        max_rows: 3,
        ..Limits::default()
    };
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for row in 0..4 {
        sheet.write_string(row, 0, format!("v{row}")).unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    assert_eq!(
        read_rows_from_bytes_with(Format::Xlsx, &bytes, &limits)
            .unwrap()
            .len(),
        3
    );
    let tighter = Limits {
        max_rows: 2,
        ..limits
    };
    let result = read_rows_from_bytes_with(Format::Xlsx, &bytes, &tighter);
    assert_eq!(limit_error(result).0, Limit::Rows);
}

#[test]
fn a_huge_cell_is_refused_before_parsing() {
    // A 2 MB cell zips to a few KB; 200 MB used to grow memory to 1.7 GB.
    let big = "a".repeat(2_000_000);
    let bytes = xlsx(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>"#,
        Some(&shared_strings(&["描述", &big])),
        &[],
    );
    assert!(bytes.len() < 50_000, "{}", bytes.len());
    let (limit, text) = limit_error(read_rows_from_bytes(Format::Xlsx, &bytes));
    assert_eq!(limit, Limit::CellChars);
    assert!(text.contains("xl/sharedStrings.xml"), "{text}");
}

#[test]
fn a_long_cell_is_refused_after_parsing() {
    // Rich text: many short runs, each under the pre-check, together too long.
    let run = "甲".repeat(10_000);
    let runs: String = (0..11).map(|_| format!("<r><t>{run}</t></r>")).collect();
    let shared = format!(r#"<sst uniqueCount="2"><si><t>描述</t></si><si>{runs}</si></sst>"#);
    let bytes = xlsx(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>"#,
        Some(&shared),
        &[],
    );
    let (limit, text) = limit_error(read_rows_from_bytes(Format::Xlsx, &bytes));
    assert_eq!(limit, Limit::CellChars);
    assert_eq!(
        text,
        "too many characters in one cell (limit 100000): line 2, column \"描述\" has 110000"
    );

    // Inline strings are checked too.
    let limits = Limits {
        max_cell_chars: 3,
        ..Limits::default()
    };
    let inline = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>h</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>abcd</t></is></c></row>"#;
    let result = read_rows_from_bytes_with(Format::Xlsx, &xlsx(inline, None, &[]), &limits);
    assert_eq!(limit_error(result).0, Limit::CellChars);
}

#[test]
fn a_lying_shared_string_count_is_refused() {
    // calamine reserves uniqueCount strings up front: 2.4 TB, an abort.
    let shared = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="100000000000"><si><t>a</t></si></sst>"#;
    let bytes = xlsx(
        r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#,
        Some(shared),
        &[],
    );
    let (limit, text) = limit_error(read_rows_from_bytes(Format::Xlsx, &bytes));
    assert_eq!(limit, Limit::Cells);
    assert!(
        text.contains("declares 100000000000 shared strings"),
        "{text}"
    );
}

#[test]
fn unpacked_size_is_limited() {
    let sheet = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>"#;
    let padding = vec![b' '; 100_000];
    let bytes = xlsx(sheet, None, &[("xl/media/padding.bin", &padding)]);
    assert!(bytes.len() < 5_000);
    let limits = Limits {
        max_xlsx_unpacked_bytes: 50_000,
        ..Limits::default()
    };
    let (limit, text) = limit_error(read_rows_from_bytes_with(Format::Xlsx, &bytes, &limits));
    assert_eq!(limit, Limit::XlsxUnpackedBytes);
    assert!(text.contains("limit 50000"), "{text}");
    // The same file is fine under the default limit.
    assert!(
        read_rows_from_bytes(Format::Xlsx, &bytes)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn cell_count_is_limited() {
    let limits = Limits {
        max_cells: 3,
        ..Limits::default()
    };
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for col in 0..2 {
        sheet.write_string(0, col, format!("h{col}")).unwrap();
        sheet.write_string(1, col, "v").unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    assert_eq!(
        read_rows_from_bytes_with(Format::Xlsx, &bytes, &limits)
            .unwrap()
            .len(),
        1
    );
    sheet_with_more_cells(&limits);
}

fn sheet_with_more_cells(limits: &Limits) {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for col in 0..2 {
        sheet.write_string(0, col, format!("h{col}")).unwrap();
        sheet.write_string(1, col, "v").unwrap();
        sheet.write_string(2, col, "w").unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let (limit, text) = limit_error(read_rows_from_bytes_with(Format::Xlsx, &bytes, limits));
    assert_eq!(limit, Limit::Cells);
    assert!(text.ends_with("line 3 brings the count to 4"), "{text}");
}

#[test]
fn malformed_cell_references_are_errors_not_panics() {
    // calamine's reference parser overflows on these: a panic in builds
    // with overflow checks, garbage positions without.
    for reference in ["AAAAAAAAAAAAAAAA1", "A99999999999999", "B2:A1"] {
        let sheet = format!(
            r#"<dimension ref="{reference}"/><row r="1"><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>"#
        );
        let err = read_rows_from_bytes(Format::Xlsx, &xlsx(&sheet, None, &[])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("malformed cell reference"),
            "{reference}: {text}"
        );
    }
}
