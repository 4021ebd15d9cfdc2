use std::path::Path;

use qiao_tabular::{Format, TabularError, read_rows};
use serde_json::json;
use tempfile::TempDir;

#[test]
fn jsonl_keeps_values_and_physical_lines() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("in.jsonl");
    std::fs::write(
        &path,
        "{\"title\":\"储能\",\"tags\":[\"a\",\"b\"],\"n\":5}\r\n\n  \n{\"title\":\"氢能\"}",
    )
    .unwrap();
    let rows = read_rows(&path).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 1);
    assert_eq!(rows[0].values["tags"], json!(["a", "b"]));
    assert_eq!(rows[0].values["n"], json!(5));
    assert_eq!(rows[1].line, 4);
}

#[test]
fn jsonl_bad_line_three() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("bad.jsonl");
    std::fs::write(&path, "{\"a\":1}\n{\"a\":2}\n{\"a\":\n{\"a\":4}\n").unwrap();
    let err = read_rows(&path).unwrap_err();
    assert!(
        matches!(err, TabularError::Parse { line: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("line 3: "), "{err}");
}

#[test]
fn jsonl_non_object_line() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("arr.jsonl");
    std::fs::write(&path, "{\"a\":1}\n[1,2]\n").unwrap();
    let err = read_rows(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 2: expected a JSON object, found an array"
    );
}

#[test]
fn format_from_extension() {
    assert_eq!(
        Format::from_path(Path::new("a/b.JSONL")).unwrap(),
        Format::Jsonl
    );
    assert_eq!(Format::from_path(Path::new("b.Csv")).unwrap(), Format::Csv);
    assert_eq!(
        Format::from_path(Path::new("b.xlsx")).unwrap(),
        Format::Xlsx
    );
}

#[test]
fn unsupported_extension() {
    let err = Format::from_path(Path::new("data.xls")).unwrap_err();
    assert!(
        matches!(err, TabularError::UnsupportedFormat(ref e) if e == "xls"),
        "{err:?}"
    );
    assert!(err.to_string().contains(".xls"), "{err}");
    let err = read_rows(Path::new("no_extension")).unwrap_err();
    assert!(matches!(err, TabularError::UnsupportedFormat(ref e) if e.is_empty()));
}
