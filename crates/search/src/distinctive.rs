//! Distinctive terms: what an explanation may name, and what counts fully
//! in a listing's share of a need's key words.
//!
//! A term is **generic** when it names a kind of thing or of work rather
//! than a subject (分子, 生物, 性能, 系统, 方法 …): sharing it says little
//! about whether a team works on the problem. Two sources decide:
//!
//! - the index itself: a word found in more than [`GENERIC_SHARE`] of the
//!   listings is common currency of the whole collection (Luhn's upper
//!   cut-off). The share is only judged on an index of at least
//!   [`GENERIC_MIN_DOCS`] listings, where it means something;
//! - a short curated list of the category words of technical and research
//!   Chinese, which stay generic in a small index and in a collection of
//!   one discipline, where document frequency alone would not show it.
//!
//! A term is a **sub-word** of another when it is a substring of it (分子 of
//! 分子量, 降解 of 生物降解): a listing holding the longer term holds the
//! shorter one too, so the shorter one adds nothing where the longer one
//! matched.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Share of the listings above which a word is generic.
pub(crate) const GENERIC_SHARE: f64 = 0.05;

/// Listings below which the share is not judged.
pub(crate) const GENERIC_MIN_DOCS: u64 = 1_000;

/// Category words of technical and research writing: what is studied in
/// general (材料, 系统, 分子), its qualities (性能, 特性) and research as
/// such (研究, 分析). Words for a kind of task (仿真, 检测, 控制, 制备)
/// are not among them: a need often names its task that way, and where
/// such a word is common currency the share of listings says so.
#[rustfmt::skip]
const GENERIC_WORDS: &[&str] = &[
    // Kinds of thing.
    "材料", "系统", "结构", "装置", "设备", "器件", "体系", "模型", "数据", "分子", "生物",
    "化学", "物理", "物质", "样品", "方法", "技术", "工艺", "手段", "方案", "原理", "理论",
    "机理", "机制", "规律", "因素", "条件", "参数", "指标", "标准", "领域", "行业",
    // Qualities and outcomes.
    "性能", "特性", "性质", "特征", "功能", "作用", "效果", "效率", "质量", "影响", "变化",
    "结果", "问题", "能力", "水平", "程度",
    // Research as such.
    "研究", "分析", "应用", "实验", "试验", "测试",
];

fn curated(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| GENERIC_WORDS.iter().copied().collect())
        .contains(word)
}

/// Whether a word is generic: curated, or in more than [`GENERIC_SHARE`] of
/// the `docs` listings (`df` of them hold it) of a large enough index.
pub(crate) fn is_generic(word: &str, df: u64, docs: u64) -> bool {
    curated(word) || (docs >= GENERIC_MIN_DOCS && df as f64 > GENERIC_SHARE * docs as f64)
}

/// For each term, the indices of the longer terms it is a substring of.
pub(crate) fn containers<S: AsRef<str>>(terms: &[S]) -> Vec<Vec<usize>> {
    terms
        .iter()
        .map(|short| {
            let short = short.as_ref();
            terms
                .iter()
                .enumerate()
                .filter(|(_, long)| {
                    let long = long.as_ref();
                    long.len() > short.len() && long.contains(short)
                })
                .map(|(i, _)| i)
                .collect()
        })
        .collect()
}

/// The terms (most important first) without those that are a substring of
/// another term of the list.
pub(crate) fn without_sub_words<T>(terms: Vec<T>, text: impl Fn(&T) -> &str) -> Vec<T> {
    let texts: Vec<String> = terms.iter().map(|t| text(t).to_string()).collect();
    let inside = containers(&texts);
    terms
        .into_iter()
        .zip(inside)
        .filter(|(_, longer)| longer.is_empty())
        .map(|(t, _)| t)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_words_are_curated_or_common_in_a_large_index() {
        assert!(is_generic("分子", 0, 10));
        assert!(is_generic("性能", 0, 10));
        assert!(!is_generic("分子量", 0, 10));
        // Common in a large index: generic; in a small one the share says nothing.
        assert!(is_generic("表明", 3_000, 20_000));
        assert!(!is_generic("表明", 3, 20));
        assert!(!is_generic("阻垢剂", 12, 20_000));
    }

    #[test]
    fn sub_words_give_way_to_the_longer_term() {
        let terms = vec!["分子量", "分子", "降解", "生物降解", "阻垢"];
        assert_eq!(
            containers(&terms),
            vec![vec![], vec![0], vec![3], vec![], vec![]]
        );
        assert_eq!(
            without_sub_words(terms, |t| t),
            vec!["分子量", "生物降解", "阻垢"]
        );
    }
}
