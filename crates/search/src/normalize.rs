//! Text normalisation shared by indexing, queries and snippets: NFKC (full
//! width to half width, compatibility forms), lower case, and traditional to
//! simplified characters.
//!
//! Both steps have fast paths, because normalisation runs on every indexed
//! field twice (word and bigram analyzers) and on every snippet: ASCII and
//! CJK ideographs are already NFKC, and the traditional → simplified
//! conversion only runs when the text holds a character that has a
//! simplified form.

use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;
use zhconv::tables::expand_table;
use zhconv::{Variant, get_builtin_converter, get_builtin_tables};

/// Characters NFKC leaves alone and that have no case: nothing to do.
fn is_plain(c: char) -> bool {
    c.is_ascii() || matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}')
}

fn push_lower(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        out.extend(c.to_lowercase());
    }
}

/// NFKC and lower case. Runs of other characters are normalised together
/// with the plain character before them, so a combining mark still composes
/// with its base letter.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // (output length before, input offset) of the last plain character.
    let mut last_plain: Option<(usize, usize)> = None;
    let mut rest = text.char_indices().peekable();
    while let Some((at, c)) = rest.next() {
        if is_plain(c) {
            last_plain = Some((out.len(), at));
            push_lower(&mut out, c);
            continue;
        }
        let mut end = at + c.len_utf8();
        while let Some(&(next_at, next)) = rest.peek() {
            if is_plain(next) {
                break;
            }
            end = next_at + next.len_utf8();
            rest.next();
        }
        let start = match last_plain {
            Some((out_len, plain_at)) if text[plain_at..at].chars().count() == 1 => {
                out.truncate(out_len);
                plain_at
            }
            _ => at,
        };
        for n in text[start..end].nfkc() {
            push_lower(&mut out, n);
        }
        last_plain = None;
    }
    out
}

/// Characters with a different simplified form (from zhconv's own table).
fn traditional_chars() -> &'static TraditionalSet {
    static SET: OnceLock<TraditionalSet> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = TraditionalSet {
            bmp: vec![0; 1024],
            astral: Vec::new(),
        };
        for &table in get_builtin_tables(Variant::ZhHans) {
            for (from, to) in expand_table(table) {
                // Phrase rules start with a character that also converts on
                // its own, or only choose between simplified spellings; the
                // single-character rules decide whether text needs work.
                let mut chars = from.chars();
                if let (Some(c), None) = (chars.next(), chars.next())
                    && from != to
                {
                    set.insert(c);
                }
            }
        }
        set
    })
}

struct TraditionalSet {
    bmp: Vec<u64>,
    astral: Vec<char>,
}

impl TraditionalSet {
    fn insert(&mut self, c: char) {
        let n = c as usize;
        if n < 0x10000 {
            self.bmp[n / 64] |= 1 << (n % 64);
        } else if !self.astral.contains(&c) {
            self.astral.push(c);
        }
    }

    fn contains(&self, c: char) -> bool {
        let n = c as usize;
        if n < 0x10000 {
            self.bmp[n / 64] & (1 << (n % 64)) != 0
        } else {
            self.astral.contains(&c)
        }
    }
}

/// Whether the text holds a character that converts to simplified.
pub(crate) fn has_traditional(text: impl IntoIterator<Item = char>) -> bool {
    let set = traditional_chars();
    text.into_iter().any(|c| !c.is_ascii() && set.contains(c))
}

/// Converts to simplified characters.
pub(crate) fn to_simplified(text: &str) -> String {
    get_builtin_converter(Variant::ZhHans).convert(text)
}

/// NFKC, lower case, traditional → simplified.
pub(crate) fn normalize(text: &str) -> String {
    let folded = fold(text);
    if has_traditional(folded.chars()) {
        to_simplified(&folded)
    } else {
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_script() {
        assert_eq!(normalize("ＰＬＣ控制，Ａ１"), "plc控制,a1");
        assert_eq!(normalize("動力電池"), "动力电池");
        assert_eq!(normalize("Ti-6Al-4V钛合金"), "ti-6al-4v钛合金");
        // A combining accent composes with its base letter.
        assert_eq!(normalize("Cafe\u{301}"), "café");
        assert_eq!(normalize("㎡"), "m2");
    }

    #[test]
    fn fast_path_agrees_with_plain_nfkc() {
        let text = "采用修正的Rodrigues参数(MRP)，建立了ＡＢＣ模型；Ⅲ型 e\u{301} ﬁ";
        let expected: String = text.nfkc().flat_map(char::to_lowercase).collect();
        assert_eq!(fold(text), expected);
    }

    #[test]
    fn knows_traditional_characters() {
        assert!(has_traditional("電池".chars()));
        assert!(!has_traditional("电池 plc".chars()));
    }
}
