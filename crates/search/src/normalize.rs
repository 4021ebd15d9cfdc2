//! Text normalisation shared by indexing, queries and snippets: NFKC (full
//! width to half width, compatibility forms), lower case, and traditional to
//! simplified characters.
//!
//! Both steps have fast paths, because normalisation runs on every indexed
//! field twice (word and bigram analyzers) and on every snippet: ASCII and
//! CJK ideographs are already NFKC, and the traditional → simplified
//! conversion only runs when the text holds a character that has a
//! simplified form.
//!
//! The conversion is OpenCC's `t2s` (its character table plus a few phrase
//! rules), through `ferrous-opencc`, whose dictionaries are compiled into
//! the binary: nothing is read or downloaded at run time.

use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use unicode_normalization::UnicodeNormalization;

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

/// The traditional → simplified converter, built on first use.
fn converter() -> &'static OpenCC {
    static CONVERTER: OnceLock<OpenCC> = OnceLock::new();
    CONVERTER.get_or_init(|| {
        OpenCC::from_config(BuiltinConfig::T2s).expect("the built-in t2s configuration loads")
    })
}

/// Code points that may hold traditional characters: CJK Extension A, the
/// unified ideographs, the compatibility ideographs and the supplementary
/// ideographic planes (Extensions B to H). OpenCC's character table has no
/// key outside them.
const HAN_RANGES: [(u32, u32); 4] = [
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x2_0000, 0x3_23AF),
];

/// Characters that convert to something else on their own (found by
/// running the converter over every ideograph once).
fn traditional_chars() -> &'static TraditionalSet {
    static SET: OnceLock<TraditionalSet> = OnceLock::new();
    SET.get_or_init(|| {
        let chars: Vec<char> = HAN_RANGES
            .iter()
            .flat_map(|&(first, last)| (first..=last).filter_map(char::from_u32))
            .collect();
        // One character a line: phrase rules cannot span the line breaks, so
        // each line is the character's own conversion. Phrase rules hold a
        // character that also converts on its own, or only choose between
        // spellings in simplified use (反覆 → 反复, 瞭解 → 了解); the
        // single-character rules decide whether text needs work.
        let mut text = String::with_capacity(chars.len() * 5);
        for &c in &chars {
            text.push(c);
            text.push('\n');
        }
        let converted = converter().convert(&text);
        let mut set = TraditionalSet {
            bmp: vec![0; 1024],
            astral: Vec::new(),
        };
        for (&c, line) in chars.iter().zip(converted.split('\n')) {
            let mut line_chars = line.chars();
            if (line_chars.next(), line_chars.next()) != (Some(c), None) {
                set.insert(c);
            }
        }
        set.astral.sort_unstable();
        set
    })
}

/// A bit per BMP code point, and the few supplementary-plane characters
/// sorted.
struct TraditionalSet {
    bmp: Vec<u64>,
    astral: Vec<char>,
}

impl TraditionalSet {
    fn insert(&mut self, c: char) {
        let n = c as usize;
        if n < 0x10000 {
            self.bmp[n / 64] |= 1 << (n % 64);
        } else {
            self.astral.push(c);
        }
    }

    fn contains(&self, c: char) -> bool {
        let n = c as usize;
        if n < 0x10000 {
            self.bmp[n / 64] & (1 << (n % 64)) != 0
        } else {
            self.astral.binary_search(&c).is_ok()
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
    converter().convert(text)
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
        // Supplementary-plane characters too.
        assert!(has_traditional("𠁞".chars()));
        assert!(!has_traditional("𠀾".chars()));
    }

    #[test]
    fn converts_traditional_phrases() {
        for (traditional, simplified) in [
            ("電池循環穩定性", "电池循环稳定性"),
            ("機器學習", "机器学习"),
            ("臺灣", "台湾"),
            ("發動機葉片", "发动机叶片"),
            ("乾燥後的頭髮", "干燥后的头发"),
        ] {
            assert_eq!(normalize(traditional), simplified, "{traditional}");
        }
    }

    #[test]
    fn leaves_simplified_text_alone() {
        // Characters some converters wrongly treat as traditional.
        let text = "黏合剂 捍卫 煅烧 磐石 薰衣草 电池 干燥 皇后";
        assert!(!has_traditional(text.chars()));
        assert_eq!(to_simplified(text), text);
        assert_eq!(normalize(text), text);
    }
}
