//! Which words of a need carry its topic, and which of its sentences do not.
//!
//! Enterprises write needs in company language: who they are, what they
//! ask for, how politely. None of that says what the need is about, yet its
//! words are rare in research text and would get a high IDF. Two layers keep
//! it out of the query:
//!
//! - **Words.** [`usable`] drops boilerplate and request words, numbers and
//!   units; [`is_function_tag`] drops function words by part of speech.
//! - **Clauses.** [`strip`] removes whole clauses before any word is chosen:
//!   the company's self-description (我公司是一家…, 成立于…), courtesy
//!   (诚邀, 欢迎…) and requests for cooperation without a topic
//!   (寻求以下方向的技术合作：, 希望与高校合作). Their leftover words
//!   (方向, 以下, 长期, 关系 …) are not boilerplate everywhere, so they are
//!   removed with their clause rather than listed as stop words, and the
//!   character bigrams of such a clause do not reach the query either.
//!
//! A need that restates its keywords in a sentence of this kind
//! ("寻求以下方向的技术合作：A、B") thus forms the same query as the keywords.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::analyzer::{Analyzer, is_cjk};

/// Words that say nothing about a need's topic: company boilerplate, the
/// language of requests, cooperation modes and targets, and generic words.
/// Rare in research text, they would otherwise get a high IDF.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    // Who is asking.
    "我公司", "本公司", "公司", "我司", "我单位", "本单位", "单位", "我方", "企业", "本企业",
    "我们", "厂家", "厂商", "客户", "用户", "团队", "专业", "机构", "高校", "院所",
    // Asking.
    "希望", "需要", "需求", "寻求", "寻找", "合作", "开发", "研发", "技术", "问题", "目前",
    "现在", "当前", "现有", "已有", "提高", "提升", "改善", "改进", "解决", "方案", "项目",
    "进行", "实现", "能够", "要求", "能否", "是否", "如何", "怎样", "怎么", "可以", "可能",
    "帮助", "协助", "支持", "提供", "形成", "建立", "完成", "开展", "一套", "一种", "整套",
    "完整", "相关", "具体", "有效", "指导", "建议", "意见", "服务", "咨询", "委托", "转让",
    "许可", "共建", "联合", "申报", "交付", "落地", "推广", "应用", "实际", "实际上",
    "合作开发", "委托开发", "技术服务", "技术咨询", "技术转让", "技术开发", "攻关", "合作攻关",
    // The business.
    "产品", "生产", "成本", "周期", "效果", "价格", "费用", "预算", "投入", "市场", "行业",
    "国内", "国外", "国际", "领先", "水平", "订单", "批量", "量产", "规模", "规模化",
    "产业化", "工程化", "示范", "主要", "主营", "从事", "每年", "年产", "计划", "拟", "打算",
    "准备", "考虑", "顾虑", "担心", "质疑", "困扰", "痛点", "难题", "瓶颈",
    // How things stand.
    "已经", "经常", "常常", "往往", "一直", "严重", "明显", "较大", "较高", "较低", "偏低",
    "偏高", "不足", "缺乏", "存在", "导致", "造成", "只能", "只有", "依靠", "主要靠", "人工",
    "经验", "不断", "逐渐", "越来越", "大量", "部分", "全部", "整体", "各种", "多种", "不同",
    "一些", "一定", "很多", "较多", "更多", "同时", "其中", "由于", "因此", "所以", "但是",
    "然而", "而且", "并且", "以及", "或者", "通过", "利用", "采用", "使用", "基于", "针对",
    "对于", "关于", "以上", "以下", "左右", "达到", "不低于", "不高于", "不超过", "不少于",
    "低于", "高于", "小于", "大于", "至少", "以内", "之内", "以来", "期间", "过程", "情况",
    "方面", "方式", "方法", "能力", "工作", "工作日", "时间", "小时", "个月", "月份", "年度",
    "一年", "半年", "万元", "元", "万吨", "吨", "公斤", "其他", "包括", "一个", "一批",
];

/// Words of courtesy and of the search for a partner. They carry no topic
/// in a clause that asks for cooperation, but some name one elsewhere (the
/// 方向 of 方向控制, the 专家 of 专家系统), so they only decide whether such
/// a clause has a topic; they are not stop words.
#[rustfmt::skip]
const COURTESY_WORDS: &[&str] = &[
    "诚邀", "邀请", "诚挚", "真诚", "诚意", "欢迎", "期待", "期望", "敬请", "感谢", "竭诚",
    "热忱", "热诚", "携手", "共赢", "双赢", "互利", "有意者", "有意", "有意向", "意向", "联系",
    "洽谈", "来电", "垂询", "方向", "如下", "下列", "长期", "稳定", "关系", "伙伴", "共同",
    "一起", "参与", "加入", "对接", "产学研", "科研", "科研院所", "高等院校", "大学", "院校",
    "研究所", "研究院", "研究机构", "科研机构", "科研单位", "专家", "学者", "教授", "老师",
    "人才", "征集", "寻觅", "诚征", "愿意", "愿", "欲", "想", "优秀", "知名", "有实力",
    "国内外", "广大", "各位", "各方", "领域", "深度", "深入", "全面", "开放", "交流",
];

/// Markers of a clause that asks for cooperation or is courtesy. Such a
/// clause is removed when it names no topic.
#[rustfmt::skip]
const REQUEST_MARKERS: &[&str] = &[
    "合作", "对接", "产学研", "寻求", "寻找", "征集", "诚邀", "邀请", "欢迎", "期待", "敬请",
    "感谢", "携手", "共赢", "双赢", "有意", "联系", "洽谈", "如下",
];

/// Markers of a company's self-description, wherever they stand in a
/// clause. Only phrases that describe an organization and nothing else:
/// 上市公司 or 高新技术企业 may be what a need or a paper is about, and a
/// clause with the company as its subject is recognised without them.
#[rustfmt::skip]
const PROFILE_MARKERS: &[&str] = &[
    "是一家", "成立于", "始建于", "创建于", "创立于", "注册资本", "注册资金", "占地面积",
    "年产值", "年销售额", "年销售收入", "年营业收入", "现有员工", "员工人数", "职工人数",
];

/// The company as the subject of a clause.
#[rustfmt::skip]
const COMPANY_SUBJECTS: &[&str] = &[
    "我公司", "本公司", "我司", "本司", "我单位", "本单位", "我厂", "本厂", "我集团", "本集团",
    "该公司", "公司",
];

/// What the company is or does, right after it as subject (我公司是…,
/// 公司位于…, 我司主要从事…): a profile, not the need.
#[rustfmt::skip]
const PROFILE_VERBS: &[&str] = &[
    "是", "为", "系", "成立", "始建", "创建", "创立", "位于", "坐落", "地处", "主营",
    "主要从事", "专业从事", "从事", "专注", "致力", "拥有", "隶属", "属于", "现有员工",
];

/// Clauses that go on with the profile of the clause before them
/// (我公司成立于2005年，主营…).
#[rustfmt::skip]
const PROFILE_CONTINUATIONS: &[&str] = &[
    "是一家", "主营", "主要从事", "专业从事", "从事", "专注", "致力", "拥有", "主要产品",
    "产品远销", "产品销往", "现有员工", "年产值", "年销售",
];

fn set(
    words: &'static [&'static str],
    cell: &'static OnceLock<HashSet<&'static str>>,
) -> &'static HashSet<&'static str> {
    cell.get_or_init(|| words.iter().copied().collect())
}

pub(crate) fn is_boilerplate(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    set(STOP_WORDS, &SET).contains(word)
}

fn is_courtesy(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    set(COURTESY_WORDS, &SET).contains(word)
}

/// Number and unit-only tokens (`3000`, `20%`, `300mhz`, `10kg`).
pub(crate) fn is_quantity(word: &str) -> bool {
    const UNITS: &[&str] = &[
        "mm", "cm", "m", "km", "um", "nm", "mhz", "ghz", "khz", "hz", "kg", "g", "mg", "t", "db",
        "w", "kw", "mw", "v", "kv", "mv", "a", "ma", "h", "min", "s", "ms", "l", "ml", "mpa",
        "kpa", "pa", "k", "wt", "ppm", "ppb", "rpm", "x",
    ];
    let Some(first) = word.chars().next() else {
        return true;
    };
    if !first.is_ascii_digit() {
        return false;
    }
    let letters: String = word.chars().filter(|c| c.is_alphabetic()).collect();
    letters.is_empty() || UNITS.contains(&letters.as_str())
}

/// Function words by jieba's part-of-speech tags: pronouns, prepositions,
/// conjunctions, particles, interjections, onomatopoeia, localisers,
/// numerals and quantifiers. Nouns, verbs (often processes in technical
/// Chinese: 提取, 降解), adjectives and adverbs (jieba tags 仿真 and 高速
/// so) may all name a topic.
pub(crate) fn is_function_tag(tag: &str) -> bool {
    const TAGS: &[&str] = &[
        "r", "rr", "rz", "rg", "p", "c", "u", "uj", "ud", "ug", "ul", "uv", "uz", "y", "e", "o",
        "f", "m", "mq", "mg", "q", "k", "h",
    ];
    TAGS.contains(&tag)
}

/// A word that may be a key word: two characters or more (two CJK ones if
/// any), not a quantity, not boilerplate.
pub(crate) fn usable(word: &str) -> bool {
    if word.chars().count() < 2 || is_quantity(word) {
        return false;
    }
    let cjk = word.chars().filter(|&c| is_cjk(c)).count();
    // A CJK word of one character mixed with digits (3米, 10万): noise.
    if cjk == 1 {
        return false;
    }
    !is_boilerplate(word)
}

/// Characters that end a sentence, and those that end a clause within one.
/// The list separator 、 is not among them: "A、B" is one clause of topics.
fn is_sentence_end(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '\n' | '\r')
}

fn is_clause_end(c: char) -> bool {
    matches!(c, '，' | ',' | '：' | ':')
}

/// Whether a clause names a topic: a word that may be a key word and is
/// neither a function word nor courtesy.
fn has_topic(analyzer: &Analyzer, clause: &str) -> bool {
    let mut topic = false;
    analyzer.tagged_words(clause, |word, tag, part, _| {
        topic |= !part && !is_function_tag(tag) && usable(word) && !is_courtesy(word);
    });
    topic
}

/// The clause without leading spaces and punctuation.
fn trimmed(clause: &str) -> &str {
    clause.trim_start_matches(|c: char| !(c.is_alphanumeric()))
}

fn starts_with_any(text: &str, prefixes: &[&str]) -> bool {
    prefixes.iter().any(|p| text.starts_with(p))
}

/// A clause of the company's self-description.
fn is_profile(clause: &str) -> bool {
    let text = trimmed(clause);
    if PROFILE_MARKERS.iter().any(|m| text.contains(m)) {
        return true;
    }
    COMPANY_SUBJECTS.iter().any(|subject| {
        text.strip_prefix(subject).is_some_and(|rest| {
            let rest = rest
                .trim_start_matches("目前")
                .trim_start_matches("现")
                .trim_start_matches("主要");
            // 是否 and 为了 ask or give a purpose: the problem, not the company.
            starts_with_any(rest, PROFILE_VERBS)
                && !starts_with_any(rest, &["是否", "为了", "为此"])
        })
    })
}

/// A clause of courtesy or of asking for a partner, without a topic.
fn is_request(analyzer: &Analyzer, clause: &str) -> bool {
    REQUEST_MARKERS.iter().any(|m| clause.contains(m)) && !has_topic(analyzer, clause)
}

/// The text without the clauses that do not describe the need: the
/// company's self-description, courtesy, and requests for cooperation that
/// name no topic. `normalized` is normalised text; what remains keeps the
/// punctuation between the clauses, so no word or bigram spans a removed one.
pub(crate) fn strip(analyzer: &Analyzer, normalized: &str) -> String {
    let mut out = String::with_capacity(normalized.len());
    for sentence in normalized.split_inclusive(is_sentence_end) {
        let mut after_profile = false;
        for clause in sentence.split_inclusive(is_clause_end) {
            let profile = is_profile(clause)
                || (after_profile && starts_with_any(trimmed(clause), PROFILE_CONTINUATIONS));
            after_profile = profile;
            if profile || is_request(analyzer, clause) {
                // Keep the clause's closing mark as a boundary.
                if let Some(end) = clause
                    .chars()
                    .last()
                    .filter(|&c| is_clause_end(c) || is_sentence_end(c))
                {
                    out.push(end);
                } else {
                    out.push('，');
                }
                continue;
            }
            out.push_str(clause);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyzer::normalize;

    fn stripped(text: &str) -> String {
        strip(&Analyzer::default_shared(), &normalize(text))
    }

    /// The words of a text that could be key words.
    fn topic_words(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        Analyzer::default_shared().tagged_words(&normalize(text), |w, tag, part, _| {
            if !part && !is_function_tag(tag) && usable(w) {
                out.push(w.to_string());
            }
        });
        out
    }

    #[test]
    fn a_restating_sentence_keeps_only_its_topics() {
        assert_eq!(
            topic_words(&stripped("寻求以下方向的技术合作：减压、气调")),
            ["减压", "气调"]
        );
        assert_eq!(
            topic_words(&stripped("希望与高校合作。诚邀有意向的专家与我们联系！")),
            Vec::<String>::new()
        );
        // A request that names its topic keeps it.
        let kept = topic_words(&stripped("希望与高校合作开发耐高温涂层"));
        assert!(kept.contains(&"涂层".to_string()), "{kept:?}");
    }

    #[test]
    fn the_company_profile_goes_and_the_problem_stays() {
        let text = "我公司成立于2005年，是一家专业从事水处理剂生产的国家高新技术企业，年产值2亿元。\
                    目前聚天冬氨酸阻垢剂在高硬度循环水中阻垢效果差，欢迎各高校院所洽谈合作。";
        let words = topic_words(&stripped(text));
        for gone in ["水处理剂", "高新技术", "产值"] {
            assert!(!words.iter().any(|w| w == gone), "{gone} in {words:?}");
        }
        for kept in ["天冬氨酸", "阻垢剂", "高硬度", "循环"] {
            assert!(
                words.iter().any(|w| w == kept),
                "{kept} missing from {words:?}"
            );
        }
        // The company as the subject of its problem is not a profile.
        let words = topic_words(&stripped(
            "我公司需要开发动力电池包液冷热管理系统，控制电池温差。",
        ));
        assert!(words.contains(&"动力电池".to_string()), "{words:?}");
        assert!(words.contains(&"温差".to_string()), "{words:?}");
    }

    #[test]
    fn removed_clauses_leave_a_boundary() {
        // No bigram may join the text before and after a removed clause.
        let s = stripped("焊缝开裂，我公司位于高新区，疲劳寿命");
        assert!(!s.contains("裂疲"), "{s}");
        assert!(s.contains("焊缝开裂") && s.contains("疲劳寿命"), "{s}");
        assert!(!s.contains("高新区"), "{s}");
    }
}
