#![no_main]

use std::io::{Cursor, Write};

use libfuzzer_sys::fuzz_target;
use qiao_tabular::{Format, read_rows_from_bytes};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

fuzz_target!(|data: &[u8]| {
    let _ = read_rows_from_bytes(Format::Xlsx, data);
    // Nearly every mutation of a zip breaks a checksum, so also wrap the
    // bytes into a well-formed workbook: sheet XML, then after the first
    // NUL byte the shared strings. That way mutations reach the XML readers.
    let (sheet, shared) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let _ = read_rows_from_bytes(Format::Xlsx, &workbook(sheet, shared));
});

const RELS: &[u8] = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &[u8] = br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &[u8] = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;

fn workbook(sheet: &[u8], shared: Option<&[u8]>) -> Vec<u8> {
    let mut parts = vec![
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    if let Some(shared) = shared {
        parts.push(("xl/sharedStrings.xml", shared));
    }
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        zip.start_file(name, stored).expect("start entry");
        zip.write_all(bytes).expect("write entry");
    }
    zip.finish().expect("finish archive").into_inner()
}
