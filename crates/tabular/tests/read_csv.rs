use std::path::{Path, PathBuf};

use qiao_tabular::{TabularError, read_rows};
use serde_json::Value;
use tempfile::TempDir;

fn write_file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn text<'a>(row: &'a qiao_tabular::Row, key: &str) -> &'a str {
    row.values
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| {
            panic!("missing {key} in {:?}", row.values);
        })
}

#[test]
fn utf8_bom_with_chinese_headers() {
    let dir = TempDir::new().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(
        " 标题 ,需求描述\r\n智能巡检, 需要 算法 \r\n,\r\n低温电池,\r\n".as_bytes(),
    );
    let rows = read_rows(&write_file(&dir, "in.CSV", &bytes)).unwrap();

    assert_eq!(rows.len(), 2, "blank row skipped: {rows:?}");
    assert_eq!(rows[0].line, 2);
    assert_eq!(text(&rows[0], "标题"), "智能巡检");
    assert_eq!(text(&rows[0], "需求描述"), "需要 算法");
    assert_eq!(rows[1].line, 4);
    assert_eq!(text(&rows[1], "标题"), "低温电池");
    assert!(!rows[1].values.contains_key("需求描述"));
    assert!(rows[0].values.keys().all(|k| !k.starts_with('\u{feff}')));
}

#[test]
fn gbk_with_multiline_quoted_cell() {
    let dir = TempDir::new().unwrap();
    let source = "标题,需求描述\r\n\
                  储能,\"容量大,寿命长\r\n第二行\"\r\n\
                  氢能,制氢\r\n";
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(source);
    assert!(!had_errors);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "test input must not be UTF-8"
    );
    let rows = read_rows(&write_file(&dir, "gbk.csv", &bytes)).unwrap();

    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(text(&rows[0], "标题"), "储能");
    assert_eq!(text(&rows[0], "需求描述"), "容量大,寿命长\r\n第二行");
    assert_eq!(
        rows[1].line, 4,
        "record after a 2-line cell starts on line 4"
    );
    assert_eq!(text(&rows[1], "需求描述"), "制氢");
}

#[test]
fn semicolon_delimiter_is_sniffed() {
    let dir = TempDir::new().unwrap();
    let path = write_file(&dir, "s.csv", "a;b\n1,5;2\n".as_bytes());
    let rows = read_rows(&path).unwrap();
    assert_eq!(text(&rows[0], "a"), "1,5");
    assert_eq!(text(&rows[0], "b"), "2");
}

#[test]
fn too_many_cells_names_the_line() {
    let dir = TempDir::new().unwrap();
    let path = write_file(&dir, "wide.csv", b"a,b\n1,2\n\"x\ny\",2\n1,2,3\n");
    let err = read_rows(&path).unwrap_err();
    assert!(
        matches!(err, TabularError::Parse { line: 5, .. }),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "line 5: 3 cells but the header has 2");
}

#[test]
fn fewer_cells_are_empty() {
    let dir = TempDir::new().unwrap();
    let rows = read_rows(&write_file(&dir, "short.csv", b"a,b,c\n1\n")).unwrap();
    assert_eq!(rows[0].values.len(), 1);
    assert_eq!(text(&rows[0], "a"), "1");
}

#[test]
fn duplicate_header_is_rejected() {
    let dir = TempDir::new().unwrap();
    let err = read_rows(&write_file(&dir, "dup.csv", "标题,标题 \n1,2\n".as_bytes())).unwrap_err();
    assert!(
        matches!(err, TabularError::DuplicateHeader(ref h) if h == "标题"),
        "{err:?}"
    );
}

#[test]
fn missing_file_names_the_path() {
    let err = read_rows(Path::new("/nonexistent/dir/x.csv")).unwrap_err();
    assert!(matches!(err, TabularError::Io { .. }));
    assert!(err.to_string().contains("/nonexistent/dir/x.csv"), "{err}");
}
