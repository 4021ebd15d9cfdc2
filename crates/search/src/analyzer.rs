//! The Chinese analyzer: normalisation, jieba words in search mode, and
//! character bigrams of the CJK text as a recall backstop.
//!
//! Text is normalised before segmentation so that the index and the queries
//! see the same characters: NFKC folds full-width Latin and digits to ASCII,
//! everything is lower-cased, and traditional characters become simplified
//! (so a query typed in traditional script finds simplified listings).

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use jieba_rs::Jieba;
use qiao_core::vocab::{Field as FieldVocab, Vocabulary};
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub(crate) use crate::normalize::normalize;

/// Tokenizer names registered on the index.
pub(crate) const WORDS_TOKENIZER: &str = "qiao_words";
pub(crate) const BIGRAMS_TOKENIZER: &str = "qiao_bigrams";

/// Whether jieba's HMM guesses words missing from the dictionary. Off: the
/// guesses depend on context, so the same term can come out differently in a
/// listing and in a short query, and the bigram field already covers words
/// the dictionary lacks.
const HMM: bool = false;

/// CJK ideographs (unified, extension A, compatibility, and the
/// supplementary-plane extensions).
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

/// Letters and digits of scripts written with spaces between words.
fn is_latin_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Characters that join a model number or code into one token when letters
/// or digits follow them.
fn is_connector(c: char) -> bool {
    matches!(c, '-' | '.' | '_')
}

/// End (byte offset) of the run of characters matching `class` from `at`.
fn run_end(text: &str, at: usize, class: fn(char) -> bool) -> usize {
    text[at..]
        .char_indices()
        .find(|&(_, c)| !class(c))
        .map_or(text.len(), |(i, _)| at + i)
}

/// End of the Latin word or model number starting at `at`: letters and
/// digits, joined by connectors that have a letter or digit on both sides,
/// and a trailing `+` or `#` (`c++`, `c#`).
fn latin_word_end(text: &str, at: usize) -> usize {
    let mut end = run_end(text, at, is_latin_word_char);
    while let Some(c) = text[end..].chars().next().filter(|&c| is_connector(c)) {
        let next = end + c.len_utf8();
        if !text[next..].chars().next().is_some_and(is_latin_word_char) {
            break;
        }
        end = run_end(text, next, is_latin_word_char);
    }
    run_end(text, end, |c| matches!(c, '+' | '#'))
}

/// Emits a Latin word whole, then its parts of two or more characters with a
/// letter (`ti-6al-4v` → `ti`, `6al`, `4v`), so each part is findable too.
fn latin_word<'a>(
    word: &'a str,
    at: usize,
    pos: usize,
    emit: &mut impl FnMut(&'a str, usize, usize),
) {
    emit(word, at, pos);
    if !word.contains(is_connector) {
        return;
    }
    let mut offset = 0;
    for part in word.split(is_connector) {
        if part.chars().count() >= 2 && part.chars().any(char::is_alphabetic) {
            emit(part, at + offset, pos + word[..offset].chars().count());
        }
        offset += part.len() + 1;
    }
}

/// The segmenter with its dictionary, shared (tantivy clones tokenizers, and
/// a jieba dictionary is tens of megabytes).
#[derive(Clone)]
pub(crate) struct Analyzer {
    jieba: Arc<Jieba>,
}

impl Analyzer {
    /// The embedded dictionary, the field vocabulary and `user_words`.
    pub(crate) fn new(user_words: &[String]) -> Self {
        let words: Vec<String> = user_words
            .iter()
            .filter_map(|w| dictionary_word(w))
            .filter(|w| !base_jieba().has_word(w))
            .collect();
        if words.is_empty() {
            return Self::default_shared();
        }
        // Cloning the prepared base is much cheaper than parsing the
        // embedded dictionary again.
        let mut jieba = Jieba::clone(base_jieba());
        for word in &words {
            jieba.add_word(word, None, None);
        }
        Self {
            jieba: Arc::new(jieba),
        }
    }

    /// The analyzer without user words, built once per process.
    pub(crate) fn default_shared() -> Self {
        Self {
            jieba: base_jieba().clone(),
        }
    }

    /// Search-mode words of already normalised text, with their byte
    /// offsets and char positions. CJK runs go to jieba; Latin words and
    /// model numbers (`ti-6al-4v`, `5g`, `3.5`) are kept whole by our own
    /// scanner, which also offers the lettered parts of a joined token.
    pub(crate) fn words<'a>(
        &self,
        normalized: &'a str,
        mut emit: impl FnMut(&'a str, usize, usize),
    ) {
        let mut at = 0;
        let mut pos = 0;
        while let Some(c) = normalized[at..].chars().next() {
            let end = if is_cjk(c) {
                let end = run_end(normalized, at, is_cjk);
                for token in self.jieba.cut_for_search(&normalized[at..end], HMM) {
                    emit(token.word, at + token.byte_start, pos + token.start);
                }
                end
            } else if c.is_alphanumeric() {
                let end = latin_word_end(normalized, at);
                latin_word(&normalized[at..end], at, pos, &mut emit);
                end
            } else {
                at + c.len_utf8()
            };
            pos += normalized[at..end].chars().count();
            at = end;
        }
    }

    /// The words of already normalised text for choosing key terms, as
    /// `(word, part-of-speech tag, is a part, char position)`: each word of
    /// jieba's default segmentation with its dictionary tag (`n`, `v`, `m`,
    /// …; a guess for words outside the dictionary), then the parts search
    /// mode adds (the 2- and 3-character dictionary words inside a longer
    /// word), flagged. Latin words and model numbers are tagged `eng` (digits
    /// only: `m`), their lettered parts flagged too. Search mode indexes all
    /// of these, so every word given here is a term of the word fields.
    pub(crate) fn tagged_words(
        &self,
        normalized: &str,
        mut emit: impl FnMut(&str, &str, bool, usize),
    ) {
        let mut at = 0;
        let mut pos = 0;
        while let Some(c) = normalized[at..].chars().next() {
            let end = if is_cjk(c) {
                let end = run_end(normalized, at, is_cjk);
                for tagged in self.jieba.tag(&normalized[at..end], HMM) {
                    emit(tagged.word, tagged.tag, false, pos + tagged.start);
                    if tagged.word.chars().count() <= 2 {
                        continue;
                    }
                    for part in self.jieba.cut_for_search(tagged.word, HMM) {
                        if part.word.len() < tagged.word.len() {
                            let tags = self.jieba.tag(part.word, HMM);
                            let tag = match tags.as_slice() {
                                [one] => one.tag,
                                _ => "x",
                            };
                            emit(part.word, tag, true, pos + tagged.start + part.start);
                        }
                    }
                }
                end
            } else if c.is_alphanumeric() {
                let end = latin_word_end(normalized, at);
                let word = &normalized[at..end];
                let tag = if word.chars().any(char::is_alphabetic) {
                    "eng"
                } else {
                    "m"
                };
                latin_word(word, at, pos, &mut |part, _, part_pos| {
                    emit(part, tag, part.len() < word.len(), part_pos);
                });
                end
            } else {
                at + c.len_utf8()
            };
            pos += normalized[at..end].chars().count();
            at = end;
        }
    }

    pub(crate) fn word_tokenizer(&self) -> WordTokenizer {
        WordTokenizer {
            analyzer: self.clone(),
            tokens: TokenBuffer::default(),
        }
    }
}

/// The default dictionary plus the Chinese labels of the industry fields,
/// so that labels such as 海工装备 or 新能源汽车 are indexed whole.
fn base_jieba() -> &'static Arc<Jieba> {
    static BASE: OnceLock<Arc<Jieba>> = OnceLock::new();
    BASE.get_or_init(|| {
        let mut jieba = Jieba::new();
        for field in FieldVocab::ALL {
            let label = field.label_zh();
            // A label like 船舶与海工装备 names two things; each part is a term.
            let parts = label.split(['与', '和', '及']);
            for word in std::iter::once(label).chain(parts) {
                if let Some(word) = dictionary_word(word)
                    && !jieba.has_word(&word)
                {
                    jieba.add_word(&word, None, None);
                }
            }
        }
        Arc::new(jieba)
    })
}

/// A user word as the dictionary must hold it: normalised like the text it
/// will be matched in, at least two characters, no spaces.
fn dictionary_word(word: &str) -> Option<String> {
    let word = normalize(word.trim());
    let chars = word.chars().count();
    let usable = (2..=32).contains(&chars)
        && !word.chars().any(char::is_whitespace)
        && word.chars().any(is_cjk);
    usable.then_some(word)
}

/// Character bigrams of each run of CJK characters (a run of one character
/// gives that character), with the char position of their first character.
/// Positions leave a gap between runs, so a phrase never spans punctuation.
pub(crate) fn bigrams<'a>(normalized: &'a str, mut emit: impl FnMut(&'a str, usize, usize)) {
    // (byte offset, char position) of the current run's characters so far.
    let mut prev: Option<(usize, usize)> = None;
    let mut run_len = 0usize;
    let mut char_pos = 0usize;
    let mut iter = normalized.char_indices().peekable();
    while let Some((byte, c)) = iter.next() {
        if is_cjk(c) {
            if let Some((prev_byte, prev_pos)) = prev {
                let end = byte + c.len_utf8();
                emit(&normalized[prev_byte..end], prev_byte, prev_pos);
            }
            run_len += 1;
            let run_ends = !iter.peek().is_some_and(|&(_, next)| is_cjk(next));
            if run_ends && run_len == 1 {
                emit(&normalized[byte..byte + c.len_utf8()], byte, char_pos);
            }
            prev = Some((byte, char_pos));
        } else {
            prev = None;
            run_len = 0;
        }
        char_pos += 1;
    }
}

/// Longest CJK run (in bigrams) looked up as a phrase.
const MAX_PHRASE_BIGRAMS: usize = 16;

/// Single characters that are grammar rather than content; as query words
/// they would match nearly every listing.
const STOP_CHARS: &str = "的了和与及或在是对等中为以于将并由从其之而被把这那也就都有个向到给让用来着所各每该此即则但如若又还再可能会要";

pub(crate) fn is_stop_word(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if STOP_CHARS.contains(c))
}

/// The terms of one whitespace-separated part of a query: its words, its
/// bigrams, and the bigram sequences of its CJK runs (for the phrase boost).
/// Terms already taken by an earlier part are left out, so every term counts
/// once per query.
#[derive(Debug, Default)]
pub(crate) struct PartTerms {
    pub words: Vec<String>,
    pub bigrams: Vec<String>,
    pub phrases: Vec<Vec<String>>,
}

impl PartTerms {
    fn is_empty(&self) -> bool {
        self.words.is_empty() && self.bigrams.is_empty()
    }
}

/// What a query text becomes: the terms of each of its parts.
#[derive(Debug, Default)]
pub(crate) struct QueryTerms {
    pub parts: Vec<PartTerms>,
}

impl QueryTerms {
    pub(crate) fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// Terms to mark in snippets: every word and bigram.
    pub(crate) fn highlight_terms(&self) -> Vec<String> {
        self.parts
            .iter()
            .flat_map(|p| p.words.iter().chain(&p.bigrams))
            .cloned()
            .collect()
    }
}

impl Analyzer {
    pub(crate) fn query_terms(&self, text: &str) -> QueryTerms {
        let normalized = normalize(text);
        let mut terms = QueryTerms::default();
        let mut seen_words = HashSet::new();
        let mut seen_bigrams = HashSet::new();
        // Each whitespace-separated part is segmented on its own: the user
        // put the boundary there.
        for part in normalized.split_whitespace() {
            let mut out = PartTerms::default();
            self.words(part, |word, _, _| {
                if !is_stop_word(word) && seen_words.insert(word) {
                    out.words.push(word.to_string());
                }
            });
            let mut runs: Vec<Vec<String>> = Vec::new();
            let mut last_pos: Option<usize> = None;
            bigrams(part, |gram, _, pos| {
                if last_pos.is_none_or(|p| p + 1 != pos) {
                    runs.push(Vec::new());
                }
                last_pos = Some(pos);
                if let Some(run) = runs.last_mut() {
                    run.push(gram.to_string());
                }
                if seen_bigrams.insert(gram) {
                    out.bigrams.push(gram.to_string());
                }
            });
            // A run of 3 to 17 characters is a term worth finding as typed;
            // a longer one is a sentence, which phrase matching cannot help.
            out.phrases.extend(
                runs.into_iter()
                    .filter(|r| (2..=MAX_PHRASE_BIGRAMS).contains(&r.len())),
            );
            if !out.is_empty() {
                terms.parts.push(out);
            }
        }
        terms
    }
}

/// The tokens of a text as the index sees them: its words, then its bigrams.
pub fn analyze(text: &str) -> Vec<String> {
    let analyzer = Analyzer::default_shared();
    let normalized = normalize(text);
    let mut out = Vec::new();
    analyzer.words(&normalized, |w, _, _| out.push(w.to_string()));
    bigrams(&normalized, |g, _, _| out.push(g.to_string()));
    out
}

/// Tantivy tokenizer for the word fields.
#[derive(Clone)]
pub(crate) struct WordTokenizer {
    analyzer: Analyzer,
    tokens: TokenBuffer,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        let tokens = &mut self.tokens;
        tokens.clear();
        with_normalized(text, |normalized| {
            self.analyzer.words(normalized, |word, byte, pos| {
                tokens.push(text.len(), word, byte, pos);
            });
        });
        tokens.stream()
    }
}

/// Tantivy tokenizer for the bigram fields.
#[derive(Clone, Default)]
pub(crate) struct BigramTokenizer {
    tokens: TokenBuffer,
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = VecTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream<'a> {
        let tokens = &mut self.tokens;
        tokens.clear();
        with_normalized(text, |normalized| {
            bigrams(normalized, |gram, byte, pos| {
                tokens.push(text.len(), gram, byte, pos);
            });
        });
        tokens.stream()
    }
}

/// Runs `f` on the normalised text. Every text is indexed by a word field
/// and then by a bigram field on the same indexing thread, so the last
/// result is kept per thread and the second analyzer reuses it.
fn with_normalized(text: &str, f: impl FnOnce(&str)) {
    thread_local! {
        static LAST: RefCell<(String, String)> = const { RefCell::new((String::new(), String::new())) };
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != text {
            last.1 = normalize(text);
            last.0.clear();
            last.0.push_str(text);
        }
        f(&last.1);
    });
}

/// Tokens of the current text; the `Token`s (and their strings) are reused
/// from one text to the next instead of being allocated per token.
#[derive(Clone, Default)]
pub(crate) struct TokenBuffer {
    tokens: Vec<Token>,
    len: usize,
}

impl TokenBuffer {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// Offsets refer to the normalised text, which may differ in length
    /// from the original; they are clamped to stay inside it (nothing here
    /// uses tantivy's offset-based highlighting).
    fn push(&mut self, text_len: usize, word: &str, byte: usize, pos: usize) {
        if self.len == self.tokens.len() {
            self.tokens.push(Token::default());
        }
        let token = &mut self.tokens[self.len];
        self.len += 1;
        let from = byte.min(text_len);
        token.offset_from = from;
        token.offset_to = (byte + word.len()).min(text_len).max(from);
        token.position = pos;
        token.position_length = 1;
        token.text.clear();
        token.text.push_str(word);
    }

    fn stream(&mut self) -> VecTokenStream<'_> {
        VecTokenStream {
            tokens: &mut self.tokens[..self.len],
            next: 0,
        }
    }
}

pub(crate) struct VecTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for VecTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words_of(analyzer: &Analyzer, text: &str) -> Vec<String> {
        let normalized = normalize(text);
        let mut out = Vec::new();
        analyzer.words(&normalized, |w, _, _| out.push(w.to_string()));
        out
    }

    #[test]
    fn search_mode_gives_the_parts_of_a_compound() {
        let tokens = analyze("动力电池");
        for expected in ["动力", "电池", "动力电池"] {
            assert!(
                tokens.iter().any(|t| t == expected),
                "{expected} missing from {tokens:?}"
            );
        }
    }

    #[test]
    fn full_width_latin_is_folded_and_lower_cased() {
        assert_eq!(normalize("ＰＬＣ控制"), "plc控制");
        assert!(analyze("ＰＬＣ").contains(&"plc".to_string()));
    }

    #[test]
    fn model_numbers_stay_whole() {
        let tokens = analyze("采用Ti-6Al-4V钛合金和5G模组，C++与3.5mm接口。");
        for expected in [
            "ti-6al-4v",
            "ti",
            "6al",
            "4v",
            "5g",
            "c++",
            "3.5mm",
            "钛合金",
        ] {
            assert!(
                tokens.contains(&expected.to_string()),
                "{expected} missing from {tokens:?}"
            );
        }
        // A trailing connector is punctuation, not part of the word.
        assert!(analyze("PLC-").contains(&"plc".to_string()));
    }

    #[test]
    fn punctuation_is_dropped() {
        let tokens = analyze("电池，（储能）！“热管理”…… ; - /");
        assert!(!tokens.is_empty());
        for t in &tokens {
            assert!(t.chars().all(char::is_alphanumeric), "punctuation in {t:?}");
        }
    }

    #[test]
    fn user_words_stay_whole() {
        let plain = Analyzer::default_shared();
        let with_words = Analyzer::new(&["热管理".to_string(), "数控机床".to_string()]);
        let text = "电池包热管理与数控机床";
        let words = words_of(&with_words, text);
        assert!(words.contains(&"热管理".to_string()), "{words:?}");
        assert!(words.contains(&"数控机床".to_string()), "{words:?}");
        // The field vocabulary is always in the dictionary.
        let words = words_of(&plain, "研发海工装备");
        assert!(words.contains(&"海工装备".to_string()), "{words:?}");
    }

    #[test]
    fn traditional_becomes_simplified() {
        assert_eq!(normalize("動力電池"), "动力电池");
        assert!(analyze("電池").contains(&"电池".to_string()));
    }

    #[test]
    fn bigrams_do_not_cross_punctuation() {
        let mut grams = Vec::new();
        bigrams("锂电池,正极", |g, _, p| grams.push((g.to_string(), p)));
        assert_eq!(
            grams,
            vec![
                ("锂电".to_string(), 0),
                ("电池".to_string(), 1),
                ("正极".to_string(), 4)
            ]
        );
        let mut grams = Vec::new();
        bigrams("a锂b", |g, _, p| grams.push((g.to_string(), p)));
        assert_eq!(grams, vec![("锂".to_string(), 1)]);
    }

    #[test]
    fn query_terms_are_distinct_and_phrases_follow_runs() {
        let terms = Analyzer::default_shared().query_terms("锂离子电池 电池的 正极材料");
        let mut words: Vec<&String> = terms.parts.iter().flat_map(|p| &p.words).collect();
        let n = words.len();
        words.sort();
        words.dedup();
        assert_eq!(words.len(), n);
        assert!(!words.contains(&&"的".to_string()));
        assert_eq!(terms.parts.len(), 3);
        assert_eq!(
            terms.parts[0].phrases[0],
            vec!["锂离", "离子", "子电", "电池"]
        );
        assert_eq!(terms.parts[2].phrases[0], vec!["正极", "极材", "材料"]);
    }
}
