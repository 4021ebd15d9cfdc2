//! Checks an XLSX archive before calamine opens it. calamine reads parts
//! whole: quick-xml buffers each text run in full (and copies it several
//! times), and the shared-string table reserves `uniqueCount` entries up
//! front, so a 200 KB zip could otherwise take gigabytes or abort the process.
//! Cell references that would overflow calamine's arithmetic are refused
//! here too: they panic in builds with overflow checks.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use crate::error::preview;
use crate::{Limit, Limits, TabularError};

pub(crate) fn check(bytes: &[u8], limits: &Limits) -> Result<(), TabularError> {
    let mut zip =
        ZipArchive::new(Cursor::new(bytes)).map_err(|e| TabularError::Xlsx(e.to_string()))?;
    let max = limits.max_xlsx_unpacked_bytes;
    let declared = (0..zip.len())
        .filter_map(|i| zip.by_index_raw(i).ok().map(|entry| entry.size()))
        .fold(0u64, u64::saturating_add);
    if declared > max {
        let found = format!("its entries declare {declared} bytes");
        return Err(limits.exceeded(Limit::XlsxUnpackedBytes, found));
    }
    // Declared sizes can lie, so count what actually comes out.
    let mut left = max;
    let mut buf = vec![0; 64 * 1024];
    for i in 0..zip.len() {
        // An entry zip cannot open, calamine cannot read either.
        let Ok(mut entry) = zip.by_index(i) else {
            continue;
        };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let mut scan = PartScan::new(&name, limits);
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            left = left.checked_sub(n as u64).ok_or_else(|| {
                let found = format!("it unpacks to more than {max} bytes");
                limits.exceeded(Limit::XlsxUnpackedBytes, found)
            })?;
            scan.feed(&buf[..n]).map_err(|problem| {
                let part = preview(&name, 64);
                match problem {
                    Problem::LongRun(cap) => limits.exceeded(
                        Limit::CellChars,
                        format!("part {part} has a run of more than {cap} bytes without markup"),
                    ),
                    Problem::UniqueCount(n) => limits.exceeded(
                        Limit::Cells,
                        format!("part {part} declares {n} shared strings"),
                    ),
                    Problem::Reference(value) => TabularError::Xlsx(format!(
                        "part {part} has a malformed cell reference {}",
                        preview(&value, 32)
                    )),
                }
            })?;
        }
    }
    Ok(())
}

enum Problem {
    LongRun(usize),
    UniqueCount(u64),
    Reference(String),
}

/// Streaming checks over one part, whatever its name or content: calamine
/// finds parts through relationships, so any entry may end up parsed as XML.
struct PartScan {
    /// Bytes since the last `<`: bounds any single text event of quick-xml.
    run: usize,
    /// Largest run a cell of `max_cell_chars` characters needs: 8 bytes a
    /// character covers UTF-8 and entity escapes, 64 KiB the markup.
    max_run: usize,
    unique: Option<UniqueCount>,
    references: References,
}

impl PartScan {
    fn new(name: &str, limits: &Limits) -> Self {
        // Matches calamine's lookup, which lowercases and turns `\` into `/`.
        let shared = name.to_ascii_lowercase().contains("sharedstrings");
        PartScan {
            run: 0,
            max_run: limits
                .max_cell_chars
                .saturating_mul(8)
                .saturating_add(64 * 1024),
            // The cells of a sheet plus its header row.
            unique: shared.then(|| {
                UniqueCount::new(limits.max_cells.saturating_add(limits.max_columns) as u64)
            }),
            references: References::default(),
        }
    }

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Problem> {
        for piece in chunk.split_inclusive(|&b| b == b'<') {
            self.run += piece.len();
            if self.run > self.max_run {
                return Err(Problem::LongRun(self.max_run));
            }
            if piece.ends_with(b"<") {
                self.run = 0;
            }
        }
        if let Some(unique) = &mut self.unique {
            chunk.iter().try_for_each(|&b| unique.push(b))?;
        }
        chunk.iter().try_for_each(|&b| self.references.push(b))
    }
}

/// Finds `uniqueCount = "N"` anywhere in the shared-string part, whatever
/// the context, so no trick of XML syntax can hide the one calamine uses to
/// reserve memory.
struct UniqueCount {
    max: u64,
    window: [u8; 11],
    state: Attr,
}

#[derive(Clone, Copy)]
enum Attr {
    Idle,
    Key,
    Eq,
    Value { quote: u8, n: u64, digits: bool },
}

impl UniqueCount {
    fn new(max: u64) -> Self {
        UniqueCount {
            max,
            window: [0; 11],
            state: Attr::Idle,
        }
    }

    fn push(&mut self, b: u8) -> Result<(), Problem> {
        self.state = match self.state {
            Attr::Key | Attr::Eq if b.is_ascii_whitespace() => self.state,
            Attr::Key if b == b'=' => Attr::Eq,
            Attr::Eq if b == b'"' || b == b'\'' => Attr::Value {
                quote: b,
                n: 0,
                digits: true,
            },
            // calamine parses only plain digits; anything else reserves nothing.
            Attr::Value { quote, n, digits } if b == quote => {
                if digits && n > self.max {
                    return Err(Problem::UniqueCount(n));
                }
                Attr::Idle
            }
            Attr::Value { quote, n, digits } => Attr::Value {
                quote,
                n: n.saturating_mul(10)
                    .saturating_add(u64::from(b.wrapping_sub(b'0'))),
                digits: digits && b.is_ascii_digit(),
            },
            _ => Attr::Idle,
        };
        self.window.copy_within(1.., 0);
        self.window[10] = b;
        if &self.window == b"uniqueCount" {
            self.state = Attr::Key;
        }
        Ok(())
    }
}

/// Finds the values of attributes named `r` or `ref` (cell references and
/// ranges), in any part and any context, and refuses those calamine cannot
/// parse without overflow: over 6 letters or 9 digits, or a range whose end
/// comes before its start. Values may overlap (a key inside another value),
/// so each is followed on its own.
#[derive(Default)]
struct References {
    window: [u8; 4],
    key: Key,
    values: Vec<(u8, Vec<u8>)>,
}

#[derive(Clone, Copy, Default)]
enum Key {
    #[default]
    Idle,
    Name,
    Eq,
}

impl References {
    /// Longer values are judged by their start.
    const KEEP: usize = 32;

    fn push(&mut self, b: u8) -> Result<(), Problem> {
        for (quote, value) in &mut self.values {
            if b != *quote {
                value.push(b);
            }
        }
        let mut bad = None;
        self.values.retain(|(quote, value)| {
            let done = b == *quote || value.len() > Self::KEEP;
            if done && !is_safe_reference(value) {
                bad = Some(String::from_utf8_lossy(value).into_owned());
            }
            !done
        });
        if let Some(value) = bad {
            return Err(Problem::Reference(value));
        }
        self.key = match self.key {
            Key::Name | Key::Eq if b.is_ascii_whitespace() => self.key,
            Key::Name if b == b'=' => Key::Eq,
            Key::Eq if b == b'"' || b == b'\'' => {
                self.values.push((b, Vec::new()));
                Key::Idle
            }
            _ => Key::Idle,
        };
        self.window.copy_within(1.., 0);
        self.window[3] = b;
        let separated = |c: u8| c.is_ascii_whitespace() || c == b'"' || c == b'\'';
        let [a, b2, c, d] = self.window;
        if (d == b'r' && separated(c)) || (&[b2, c, d] == b"ref" && separated(a)) {
            self.key = Key::Name;
        }
        Ok(())
    }
}

/// False if calamine's parser could overflow on `value` (or on a value
/// starting with it, when it is longer than `References::KEEP`). It reads
/// `:`-separated parts of letters then digits and stops at anything else.
fn is_safe_reference(value: &[u8]) -> bool {
    let mut cells = Vec::new();
    let mut complete = value.len() <= References::KEEP;
    for part in value.split(|&b| b == b':') {
        let letters = part.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let digits = part[letters..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if letters > 6 || digits > 9 {
            return false;
        }
        if letters + digits < part.len() {
            // calamine gives up here with an error.
            complete = false;
            break;
        }
        let (col, row) = part.split_at(letters);
        let col = col.iter().fold(0u32, |n, c| {
            n * 26 + u32::from(c.to_ascii_uppercase() - b'A') + 1
        });
        let row = row.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0'));
        cells.push((row, col));
    }
    // get_dimension subtracts start from end.
    !(complete && matches!(cells[..], [(r0, c0), (r1, c1)] if r1 < r0 || c1 < c0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str, max_cell_chars: usize) -> Result<(), Problem> {
        let limits = Limits {
            max_cell_chars,
            max_cells: 800,
            max_columns: 200,
            ..Limits::default()
        };
        let mut scan = PartScan::new("xl/SharedStrings.xml", &limits);
        // Feed in small pieces: matches must survive chunk boundaries.
        text.as_bytes().chunks(3).try_for_each(|c| scan.feed(c))
    }

    #[test]
    fn finds_unique_count_however_written() {
        assert!(scan(r#"<sst uniqueCount="1000">"#, 10).is_ok());
        assert!(scan(r#"<sst count="5000" uniqueCount="7">"#, 10).is_ok());
        for text in [
            r#"<sst uniqueCount="1001">"#,
            r#"<sst a=">" uniqueCount = '0000099999999999'>"#,
            r#"<!-- uniqueCount --><x:sst x:uniqueCount="99999999999999999999999"/>"#,
        ] {
            assert!(
                matches!(scan(text, 10), Err(Problem::UniqueCount(_))),
                "{text}"
            );
        }
        // Not plain digits: calamine reserves nothing.
        assert!(scan(r#"<sst uniqueCount="9e99">"#, 10).is_ok());
    }

    #[test]
    fn refuses_references_that_overflow() {
        for ok in [
            r#"<c r="A1"/><c r="XFD1048576"/>"#,
            r#"<dimension ref="A1:C3"/><row r="1" spans="1:3">"#,
            r#"<mergeCell ref="B2:B2"/><c r="gar%bage"/><x r:id="rId1" attr="r"/>"#,
            r#"<c r="ZZZZZZ999999999"/>"#,
        ] {
            assert!(scan(ok, 10).is_ok(), "{ok}");
        }
        for bad in [
            r#"<c r="AAAAAAA1"/>"#,
            r#"<c r = 'A1234567890'/>"#,
            r#"<dimension ref="B2:A1"/>"#,
            r#"<x a="1"ref="A2:A1"/>"#,
            r#"<c r="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1"/>"#,
            // A key inside a value must not hide that value.
            "<row r=\"imension ref=\n\"A1:C3\">",
            r#"<t>a r="</t><c r="AAAAAAAAA1"/>"#,
        ] {
            assert!(matches!(scan(bad, 10), Err(Problem::Reference(_))), "{bad}");
        }
    }

    #[test]
    fn bounds_runs_between_markup() {
        let max_run = 8 + 64 * 1024;
        let ok = format!(
            "<t>{}</t><t>{}</t>",
            "a".repeat(max_run - 3),
            "b".repeat(max_run - 3)
        );
        assert!(scan(&ok, 1).is_ok());
        let long = format!("<t>{}</t>", "a".repeat(max_run));
        assert!(matches!(scan(&long, 1), Err(Problem::LongRun(_))));
    }
}
