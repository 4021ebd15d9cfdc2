//! Hygiene of free text from files and forms: invisible characters are
//! dropped (so a title of only zero-width spaces counts as empty), while
//! control characters and bidirectional overrides are refused — a U+202E in
//! a title would reverse what readers see, and NUL/ESC/BEL have no place in
//! a listing or an export.

/// Characters that render as nothing and carry no meaning in a listing.
fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// Bidirectional embeddings, overrides and isolates.
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// Cleans one text value: drops invisible characters and trims; in a
/// single-line field a line break or tab becomes a space (titles copied from
/// documents often carry them); refuses every other control character and
/// the bidirectional controls, saying which.
pub fn clean(input: &str, multiline: bool) -> Result<String, String> {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if invisible(c) {
            continue;
        }
        if bidi_control(c) {
            return Err(format!(
                "contains the bidirectional control U+{:04X}, which would change how the text reads",
                c as u32
            ));
        }
        if matches!(c, '\n' | '\r' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}') {
            if multiline && matches!(c, '\n' | '\r' | '\t') {
                out.push(c);
            } else if !out.ends_with([' ', '\n']) {
                out.push(' ');
            }
            continue;
        }
        if c.is_control() {
            return Err(format!("contains the control character U+{:04X}", c as u32));
        }
        out.push(c);
    }
    Ok(out.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn invisible_characters_do_not_make_a_title() {
        assert_eq!(clean("\u{200B}\u{FEFF}\u{200D}", false).unwrap(), "");
        assert_eq!(clean(" 锂\u{200B}电池 ", false).unwrap(), "锂电池");
    }

    #[test]
    fn controls_and_overrides_are_refused() {
        for bad in ["a\u{0}b", "a\u{1b}[31m", "bell\u{7}", "abc\u{202E}gpj.exe"] {
            assert!(clean(bad, true).is_err(), "{bad:?}");
        }
        assert_eq!(clean("line\r\nbreak", false).unwrap(), "line break");
        assert_eq!(clean("line\nbreak", true).unwrap(), "line\nbreak");
    }
}
