//! Limits on CSV and JSONL input.

use qiao_tabular::{
    Format, Limit, Limits, Row, TabularError, read_rows_from_bytes, read_rows_from_bytes_with,
};

fn limit_error(result: Result<Vec<Row>, TabularError>) -> (Limit, String) {
    match result {
        Err(e @ TabularError::LimitExceeded { limit, .. }) => (limit, e.to_string()),
        other => panic!("expected a limit error, got {other:?}"),
    }
}

const TIGHT: Limits = Limits {
    max_rows: 2,
    max_columns: 3,
    max_cells: 5,
    max_cell_chars: 4,
    max_header_chars: 5,
    max_xlsx_unpacked_bytes: 0,
};

fn csv(text: &str) -> Result<Vec<Row>, TabularError> {
    read_rows_from_bytes_with(Format::Csv, text.as_bytes(), &TIGHT)
}

fn jsonl(text: &str) -> Result<Vec<Row>, TabularError> {
    read_rows_from_bytes_with(Format::Jsonl, text.as_bytes(), &TIGHT)
}

#[test]
fn many_unknown_columns_give_a_short_error() {
    // Used to pass through and end as a 25 MB "unknown column" report.
    let header: Vec<String> = (0..100_000).map(|i| format!("列{i}")).collect();
    let text = format!("{}\n1\n", header.join(","));
    let (limit, message) = limit_error(read_rows_from_bytes(Format::Csv, text.as_bytes()));
    assert_eq!(limit, Limit::Columns);
    assert_eq!(
        message,
        "too many columns (limit 200): the header has 100000 columns: \
         \"列0\", \"列1\", \"列2\", \"列3\", \"列4\", ..."
    );
}

#[test]
fn csv_limits() {
    assert_eq!(csv("a,b,c,,\n1234,2,3\n1,2\n").unwrap().len(), 2);
    assert_eq!(limit_error(csv("a,b,c,d\n")).0, Limit::Columns);
    assert_eq!(limit_error(csv("abcdef\n")).0, Limit::HeaderChars);
    assert_eq!(limit_error(csv("a\n12345\n")).0, Limit::CellChars);
    let (limit, message) = limit_error(csv("a\n1\n\n2\n3\n"));
    assert_eq!(limit, Limit::Rows);
    assert_eq!(
        message,
        "too many data rows (limit 2): line 5 is data row 3"
    );
    assert_eq!(limit_error(csv("a,b,c\n1,2,3\n4,5,6\n")).0, Limit::Cells);
}

#[test]
fn csv_cell_limit_counts_characters_not_bytes() {
    let limits = Limits::default();
    let at_limit = format!("描述\n{}\n", "需".repeat(limits.max_cell_chars));
    assert_eq!(
        read_rows_from_bytes(Format::Csv, at_limit.as_bytes())
            .unwrap()
            .len(),
        1
    );
    let over = format!("描述\n{}\n", "需".repeat(limits.max_cell_chars + 1));
    let (limit, message) = limit_error(read_rows_from_bytes(Format::Csv, over.as_bytes()));
    assert_eq!(limit, Limit::CellChars);
    assert_eq!(
        message,
        "too many characters in one cell (limit 100000): line 2, column \"描述\" has 100001"
    );
}

#[test]
fn long_header_error_shows_a_preview() {
    let text = format!("{}\n", "h".repeat(1000));
    let (limit, message) = limit_error(read_rows_from_bytes(Format::Csv, text.as_bytes()));
    assert_eq!(limit, Limit::HeaderChars);
    assert!(message.len() < 150, "{message}");
    assert!(message.ends_with("…\") has 1000"), "{message}");
}

#[test]
fn jsonl_limits() {
    assert_eq!(
        jsonl("{\"a\":\"1234\",\"b\":[1,2]}\n{}\n").unwrap().len(),
        2
    );
    assert_eq!(
        limit_error(jsonl(r#"{"a":1,"b":2,"c":3,"d":4}"#)).0,
        Limit::Columns
    );
    assert_eq!(limit_error(jsonl(r#"{"abcdef":1}"#)).0, Limit::HeaderChars);
    assert_eq!(limit_error(jsonl(r#"{"a":["12345"]}"#)).0, Limit::CellChars);
    assert_eq!(limit_error(jsonl("{}\n{}\n\n{}\n")).0, Limit::Rows);
    // Counted before parsing, so a huge array is never built.
    let (limit, message) = limit_error(jsonl(r#"{"a":[1,2,3,4,5,6]}"#));
    assert_eq!(limit, Limit::Cells);
    assert_eq!(
        message,
        "too many non-blank cells (limit 5): line 1 brings the count to 7"
    );
}
