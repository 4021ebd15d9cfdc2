//! HTML snippets with the query's terms marked.
//!
//! Matching happens on a normalised copy of the text (the same folding the
//! analyzer applies) that keeps, for each of its characters, the index of the
//! original character it came from; the marks are then placed in the
//! original text, which is HTML-escaped everywhere else.

use unicode_normalization::UnicodeNormalization;

use crate::normalize::{has_traditional, to_simplified};

/// Target snippet length in characters.
const SNIPPET_CHARS: usize = 120;
/// Characters of context kept before the first mark of the window.
const LEAD_CHARS: usize = 20;

/// The text folded char by char, with the original char index of each.
struct Folded {
    chars: Vec<char>,
    origin: Vec<usize>,
}

/// Lower case, NFKC and simplified characters, per character.
fn fold(original: &[char]) -> Folded {
    let mut chars = Vec::with_capacity(original.len());
    let mut origin = Vec::with_capacity(original.len());
    for (i, &c) in original.iter().enumerate() {
        if c.is_ascii() {
            chars.push(c.to_ascii_lowercase());
            origin.push(i);
        } else if matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}') {
            // Unified ideographs are unchanged by NFKC and have no case.
            chars.push(c);
            origin.push(i);
        } else {
            for n in std::iter::once(c).nfkc() {
                for l in n.to_lowercase() {
                    chars.push(l);
                    origin.push(i);
                }
            }
        }
    }
    if has_traditional(chars.iter().copied()) {
        // Almost always one character for one; otherwise the text is matched
        // as it is.
        let text: String = chars.iter().collect();
        let converted: Vec<char> = to_simplified(&text).chars().collect();
        if converted.len() == chars.len() {
            chars = converted;
        }
    }
    Folded { chars, origin }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// Ranges (original char indices, end exclusive) where the terms occur,
/// sorted and merged.
fn find_matches(original: &[char], terms: &[Vec<char>]) -> Vec<(usize, usize)> {
    let folded = fold(original);
    let hay = &folded.chars;
    // Terms grouped by first character, and a bit mask of those characters,
    // so most positions are rejected by one test.
    let mut groups: Vec<(char, Vec<&[char]>)> = Vec::new();
    let mut mask = 0u128;
    for term in terms.iter().filter(|t| !t.is_empty()) {
        mask |= 1 << (term[0] as u32 % 128);
        match groups.iter_mut().find(|(c, _)| *c == term[0]) {
            Some((_, group)) => group.push(term),
            None => groups.push((term[0], vec![term])),
        }
    }
    let mut ranges = Vec::new();
    for (start, &c) in hay.iter().enumerate() {
        if mask & (1 << (c as u32 % 128)) == 0 {
            continue;
        }
        let Some((_, candidates)) = groups.iter().find(|(first, _)| *first == c) else {
            continue;
        };
        for term in candidates {
            let end = start + term.len();
            if end > hay.len() || hay[start..end] != **term {
                continue;
            }
            // Latin terms must match whole words: `plc` is not in `plcs`.
            let latin = term.iter().all(char::is_ascii);
            if latin
                && ((start > 0 && is_word_char(hay[start - 1]))
                    || (end < hay.len() && is_word_char(hay[end])))
            {
                continue;
            }
            ranges.push((folded.origin[start], folded.origin[end - 1] + 1));
        }
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

fn escape_into(out: &mut String, chars: &[char]) {
    for &c in chars {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// The window of about [`SNIPPET_CHARS`] that covers the most marked text,
/// starting a little before its first mark.
fn best_window(len: usize, matches: &[(usize, usize)]) -> (usize, usize) {
    if len <= SNIPPET_CHARS {
        return (0, len);
    }
    let mut best = (0, 0usize);
    for &(s, _) in matches {
        let start = s.saturating_sub(LEAD_CHARS).min(len - SNIPPET_CHARS);
        let end = start + SNIPPET_CHARS;
        let covered: usize = matches
            .iter()
            .map(|&(ms, me)| me.min(end).saturating_sub(ms.max(start)))
            .sum();
        if covered > best.1 {
            best = (start, covered);
        }
    }
    (best.0, best.0 + SNIPPET_CHARS)
}

fn render(chars: &[char], matches: &[(usize, usize)]) -> String {
    let (start, end) = best_window(chars.len(), matches);
    let mut out = String::with_capacity((end - start) * 3 + 32);
    if start > 0 {
        out.push('…');
    }
    let mut at = start;
    for &(s, e) in matches {
        let (s, e) = (s.max(start), e.min(end));
        if s >= e || s < at {
            continue;
        }
        escape_into(&mut out, &chars[at..s]);
        out.push_str("<mark>");
        escape_into(&mut out, &chars[s..e]);
        out.push_str("</mark>");
        at = e;
    }
    escape_into(&mut out, &chars[at..end]);
    if end < chars.len() {
        out.push('…');
    }
    out
}

/// The snippet of a listing: from the body where the terms occur there, else
/// from the title, else the start of the body (or title) unmarked.
pub(crate) fn snippet(title: &str, body: &str, terms: &[String]) -> String {
    let terms: Vec<Vec<char>> = terms.iter().map(|t| t.chars().collect()).collect();
    let body_chars: Vec<char> = body.trim().chars().collect();
    let matches = find_matches(&body_chars, &terms);
    if !matches.is_empty() {
        return render(&body_chars, &matches);
    }
    let title_chars: Vec<char> = title.trim().chars().collect();
    let matches = find_matches(&title_chars, &terms);
    if !matches.is_empty() || body_chars.is_empty() {
        return render(&title_chars, &matches);
    }
    render(&body_chars, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn marks_terms_and_escapes_the_rest() {
        let s = snippet(
            "标题",
            "<script>alert(1)</script> 动力电池热管理",
            &terms(&["电池", "热管理"]),
        );
        assert_eq!(
            s,
            "&lt;script&gt;alert(1)&lt;/script&gt; 动力<mark>电池热管理</mark>"
        );
    }

    #[test]
    fn falls_back_to_the_title() {
        let s = snippet("储能电池", "一段无关的描述", &terms(&["电池"]));
        assert_eq!(s, "储能<mark>电池</mark>");
        let s = snippet("储能", "一段描述", &terms(&["电池"]));
        assert_eq!(s, "一段描述");
    }

    #[test]
    fn matches_full_width_and_traditional_text() {
        let s = snippet("", "采用ＰＬＣ控制的動力電池", &terms(&["plc", "电池"]));
        assert_eq!(s, "采用<mark>ＰＬＣ</mark>控制的動力<mark>電池</mark>");
        let s = snippet("", "plcs and plc", &terms(&["plc"]));
        assert_eq!(s, "plcs and <mark>plc</mark>");
    }

    #[test]
    fn long_text_is_cut_around_the_matches() {
        let body = format!("{}目标词{}", "前".repeat(300), "后".repeat(300));
        let s = snippet("", &body, &terms(&["目标词"]));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>目标词</mark>"));
        assert_eq!(s.chars().filter(|&c| c == '前').count(), LEAD_CHARS);
    }
}
