//! CSV input: encoding detection, delimiter sniffing, record parsing.

use std::borrow::Cow;

use encoding_rs::{Encoding, GB18030};

use crate::records::{Rules, build_rows};
use crate::{Limits, Row, TabularError, formula};

pub(crate) fn read(bytes: &[u8], limits: &Limits) -> Result<Vec<Row>, TabularError> {
    let text = decode(bytes)?;
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut lines = LineCounter::new(&text);
    let records = reader.records().map(|record| {
        let record = record.map_err(|e| csv_error(&e))?;
        let line = record
            .position()
            .map_or(0, |p| lines.line_at(p.byte() as usize));
        Ok((line, record.iter().map(str::to_owned).collect()))
    });
    let rules = Rules {
        limits,
        unescape: formula::unescape,
    };
    build_rows(records, rules)
}

/// The csv crate's own line numbers lag by one after CRLF endings (it records
/// the position before consuming the `\n`), so count lines from byte offsets.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// Line of the record starting at `start`; offsets must not decrease.
    fn line_at(&mut self, start: usize) -> usize {
        // A record never starts with a line break; skip the previous one.
        let mut start = start.min(self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let newlines = self.bytes[self.offset..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line += newlines;
        self.offset = start;
        self.line
    }
}

/// BOM (UTF-8/UTF-16) wins; then UTF-8 if valid; else GB18030, which is a
/// superset of GBK, the encoding Excel uses for CSV on Chinese Windows.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, TabularError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_len..]);
        if had_errors {
            return Err(TabularError::Encoding(format!(
                "the file starts with a {} byte order mark but is not valid {}",
                encoding.name(),
                encoding.name()
            )));
        }
        return Ok(text);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(TabularError::Encoding(
            "the file is neither UTF-8 nor GBK/GB18030 text; save it as \"CSV UTF-8\"".to_owned(),
        ));
    }
    Ok(text)
}

/// The most frequent of `,` `\t` `;` outside quotes on the header line;
/// ties and absence fall back in that order.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b'\t', 0), (b';', 0)];
    let mut in_quotes = false;
    for b in text.bytes() {
        match b {
            b'"' => in_quotes = !in_quotes,
            b'\n' | b'\r' if !in_quotes => break,
            _ if !in_quotes => {
                if let Some(entry) = counts.iter_mut().find(|(d, _)| *d == b) {
                    entry.1 += 1;
                }
            }
            _ => {}
        }
    }
    // max_by_key returns the last maximum; iterate reversed to prefer the first.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

fn csv_error(e: &csv::Error) -> TabularError {
    let line = e.position().map_or(0, |p| p.line() as usize);
    // Strip the crate's own position prefix; `Parse` already names the line.
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("invalid UTF-8 in field {}", err.field() + 1),
        _ => e.to_string(),
    };
    TabularError::Parse { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(sniff_delimiter("a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(sniff_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(sniff_delimiter("a;b;\"c,d,e\"\n"), b';');
        assert_eq!(sniff_delimiter("a;b,c\n"), b',');
        assert_eq!(sniff_delimiter("single\n"), b',');
        assert_eq!(sniff_delimiter(""), b',');
    }

    #[test]
    fn decodes_utf16le_bom() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "标题\t描述\r\n甲\t乙\r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let rows = read(&bytes, &Limits::default()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].values["描述"], "乙");
    }

    #[test]
    fn line_numbers_survive_blank_lines_and_crlf() {
        let rows = read(
            "a\r\n\r\n\r\nx\r\n\ny\n\r\nz".as_bytes(),
            &Limits::default(),
        )
        .unwrap();
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [4, 6, 8]);
    }

    #[test]
    fn rejects_undecodable_bytes() {
        let err = read(b"a,b\n\xff\xff,1\n", &Limits::default()).unwrap_err();
        assert!(matches!(err, TabularError::Encoding(_)));
    }
}
