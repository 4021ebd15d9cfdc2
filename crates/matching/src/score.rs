//! Scoring one need–capability pair: each factor gives a value in 0..=1,
//! weighted by `Weights`; the explanation lists every factor's contribution
//! (they sum to the score), how the pair was found, and a one-line Chinese
//! summary staff can read at a glance. The pair's relevance also gives its
//! confidence band (`crate::confidence`).
//!
//! Relevance comes from the words the two listings share (the `text`
//! factor) and, once an embedding model is active, from their similarity by
//! meaning (the `semantic` factor, which then takes `semantic_share` of the
//! text weight). Without a model the `semantic` slot is empty and the
//! summary says that only words were compared.

use crate::confidence;
use crate::weights::Weights;
use qiao_core::trl::Trl;
use qiao_core::vocab::{Confidence, CooperationMode, Field, Vocabulary};
use serde::{Deserialize, Serialize};

/// What the scorer needs to know about a need.
#[derive(Debug, Clone, Default)]
pub struct NeedSide {
    pub fields: Vec<String>,
    pub modes: Vec<String>,
    pub required_trl: Option<u8>,
    pub budget_max_yuan: Option<i64>,
    /// The need belongs to an international cooperation track: foreign universities are welcome.
    pub international: bool,
}

/// What the scorer needs to know about a capability and its organization.
#[derive(Debug, Clone, Default)]
pub struct CapabilitySide {
    pub fields: Vec<String>,
    pub modes: Vec<String>,
    pub trl: Option<u8>,
    pub capacity: i32,
    pub open_projects: i32,
    /// A price found in the terms, in yuan.
    pub price_yuan: Option<i64>,
    /// `local`, `domestic`, `abroad` or empty.
    pub region_scope: String,
    /// The two organizations completed a project together before.
    pub worked_together: bool,
}

/// A term of the need found in the capability, and where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchedTerm {
    pub term: String,
    /// `title`, `description`, `keywords`…
    pub found_in: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Factor {
    pub code: String,
    pub label: String,
    /// The factor's value, 0..=1.
    pub value: f64,
    /// value × weight, its share of the score.
    pub contribution: f64,
}

/// How a pair was found: by the words the listings share, by meaning (an
/// embedding model's similarity), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    #[default]
    Words,
    Meaning,
    Both,
}

/// Why the pair is about the same thing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Relevance {
    /// The search relevance of the shared words, 0..=1.
    pub text: f64,
    /// The similarity by meaning, 0..=1, when an embedding model is active.
    pub semantic: Option<f64>,
    pub found_by: FoundBy,
    /// The two listings are in different languages: with a similarity by
    /// meaning, it takes the whole text weight, since shared words cannot
    /// exist and their absence says nothing.
    pub cross_lingual: bool,
    /// The need is a few keywords, matched by its words although a model is
    /// active (its vector of two or three words is a poor guide).
    pub few_words: bool,
}

impl Relevance {
    /// Relevance from shared words alone.
    pub fn words(text: f64) -> Self {
        Self {
            text,
            semantic: None,
            found_by: FoundBy::Words,
            cross_lingual: false,
            few_words: false,
        }
    }
}

/// Explanations are stored with each suggestion: fields added later have
/// defaults, so that rows stored before still read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    pub summary: String,
    pub matched_terms: Vec<MatchedTerm>,
    /// `text`, `field`, `mode`, `maturity`, `budget`, `region`, `capacity`,
    /// `history`; with `semantic` their contributions sum to the score.
    pub factors: Vec<Factor>,
    #[serde(default)]
    pub found_by: FoundBy,
    /// Similarity by meaning; `None` when no embedding model is active.
    #[serde(default)]
    pub semantic: Option<Factor>,
    /// Listings in two languages, judged by meaning alone.
    #[serde(default)]
    pub cross_lingual: bool,
}

impl Explanation {
    fn value(&self, code: &str) -> Option<f64> {
        self.factors
            .iter()
            .find(|f| f.code == code)
            .map(|f| f.value)
    }

    /// The relevance its confidence band is read from.
    pub fn relevance(&self, weights: &Weights) -> f64 {
        let share = if self.cross_lingual {
            1.0
        } else {
            weights.semantic_share
        };
        confidence::relevance(
            self.value("text").unwrap_or(0.0),
            self.semantic.as_ref().map(|f| f.value),
            share,
        )
    }

    /// The band of its relevance: with a semantic factor, by the bands
    /// calibrated for words and meaning together.
    pub fn confidence(&self, weights: &Weights) -> Confidence {
        let bands = match self.semantic {
            Some(_) => &weights.semantic.confidence,
            None => &weights.confidence,
        };
        bands.band(self.relevance(weights))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub score: f64,
    pub confidence: Confidence,
    pub explanation: Explanation,
}

/// Modes a need may be served by, beyond the same mode.
fn modes_compatible(need: &str, cap: &str) -> bool {
    use CooperationMode::*;
    let (Some(n), Some(c)) = (
        CooperationMode::from_code(need),
        CooperationMode::from_code(cap),
    ) else {
        return false;
    };
    n == c
        || matches!(
            (n, c),
            (Transfer, License)
                | (License, Transfer)
                | (JointDevelopment, CommissionedDevelopment)
                | (CommissionedDevelopment, JointDevelopment)
                | (Consulting, TechnicalService)
                | (TechnicalService, Consulting)
        )
}

/// Whether the need asks for development work, where a less mature result is a fine start.
fn wants_development(modes: &[String]) -> bool {
    modes.iter().any(|m| {
        m == "joint_development" || m == "commissioned_development" || m == "joint_institute"
    })
}

fn field_overlap(need: &[String], cap: &[String]) -> f64 {
    if need.is_empty() || cap.is_empty() {
        return 0.5;
    }
    let shared = need.iter().filter(|f| cap.contains(f)).count();
    shared as f64 / need.len() as f64
}

fn mode_fit(need: &[String], cap: &[String]) -> f64 {
    if need.is_empty() || cap.is_empty() {
        return 0.5;
    }
    if need.iter().any(|n| cap.contains(n)) {
        1.0
    } else if need
        .iter()
        .any(|n| cap.iter().any(|c| modes_compatible(n, c)))
    {
        0.7
    } else {
        0.1
    }
}

fn maturity_fit(need: &NeedSide, cap: &CapabilitySide) -> f64 {
    let (Some(required), Some(trl)) = (need.required_trl, cap.trl) else {
        return 0.5;
    };
    if trl >= required {
        return 1.0;
    }
    let gap = f64::from(required - trl);
    // Development work can start from a less mature result; a purchase cannot.
    let per_level = if wants_development(&need.modes) {
        0.1
    } else {
        0.25
    };
    (1.0 - per_level * gap).max(0.0)
}

fn budget_fit(need: &NeedSide, cap: &CapabilitySide) -> f64 {
    match (need.budget_max_yuan, cap.price_yuan) {
        (Some(budget), Some(price)) if budget > 0 => {
            if price <= budget {
                1.0
            } else {
                (1.0 - (price - budget) as f64 / budget as f64).max(0.0)
            }
        }
        _ => 0.5,
    }
}

fn region_fit(need: &NeedSide, cap: &CapabilitySide) -> f64 {
    match cap.region_scope.as_str() {
        "local" => 1.0,
        "abroad" if need.international => 1.0,
        "abroad" => 0.4,
        "domestic" => 0.6,
        _ => 0.5,
    }
}

fn capacity_fit(cap: &CapabilitySide) -> Option<f64> {
    if cap.capacity <= 0 {
        return Some(0.5);
    }
    let remaining = cap.capacity - cap.open_projects;
    if remaining <= 0 {
        return None;
    }
    Some(f64::from(remaining) / f64::from(cap.capacity))
}

fn stage_label(trl: Option<u8>) -> String {
    trl.and_then(Trl::new).map_or_else(
        || "未注明".to_string(),
        |t| t.stage().label_zh().to_string(),
    )
}

/// Scores a pair; `None` when the team has no capacity left.
pub fn score(
    need: &NeedSide,
    cap: &CapabilitySide,
    relevance: Relevance,
    matched_terms: Vec<MatchedTerm>,
    weights: &Weights,
) -> Option<Scored> {
    let capacity = capacity_fit(cap)?;
    // With a similarity by meaning, words keep the rest of the text weight.
    let cross_lingual = relevance.cross_lingual && relevance.semantic.is_some();
    let words_weight = match relevance.semantic {
        Some(_) if cross_lingual => 0.0,
        Some(_) => weights.text * (1.0 - weights.semantic_share.clamp(0.0, 1.0)),
        None => weights.text,
    };
    let values = [
        (
            "text",
            "文本相关度",
            relevance.text.clamp(0.0, 1.0),
            words_weight,
        ),
        (
            "field",
            "领域一致",
            field_overlap(&need.fields, &cap.fields),
            weights.field,
        ),
        (
            "mode",
            "合作方式",
            mode_fit(&need.modes, &cap.modes),
            weights.mode,
        ),
        (
            "maturity",
            "成熟度",
            maturity_fit(need, cap),
            weights.maturity,
        ),
        ("budget", "预算", budget_fit(need, cap), weights.budget),
        ("region", "地域", region_fit(need, cap), weights.region),
        ("capacity", "承接能力", capacity, weights.capacity),
        (
            "history",
            "合作历史",
            if cap.worked_together { 1.0 } else { 0.0 },
            weights.history,
        ),
    ];
    let factors: Vec<Factor> = values
        .iter()
        .map(|(code, label, value, weight)| Factor {
            code: code.to_string(),
            label: label.to_string(),
            value: *value,
            contribution: value * weight,
        })
        .collect();
    let semantic = relevance.semantic.map(|meaning| {
        let value = meaning.clamp(0.0, 1.0);
        Factor {
            code: "semantic".to_string(),
            label: "语义相似度".to_string(),
            value,
            contribution: value * (weights.text - words_weight),
        }
    });
    let score = factors
        .iter()
        .chain(&semantic)
        .map(|f| f.contribution)
        .sum();
    let summary = summary(
        need,
        cap,
        &matched_terms,
        semantic.as_ref(),
        cross_lingual,
        relevance.few_words,
    );
    let explanation = Explanation {
        summary,
        matched_terms,
        factors,
        found_by: relevance.found_by,
        semantic,
        cross_lingual,
    };
    Some(Scored {
        score,
        confidence: explanation.confidence(weights),
        explanation,
    })
}

/// The summary's last part when no embedding model compared the listings.
pub const WORDS_ONLY: &str = "仅按关键词匹配（未启用语义模型）";
/// … when the need is only a few keywords, whose exact words decide.
pub const FEW_WORDS: &str = "按关键词匹配（需求仅含几个关键词）";

/// e.g. `关键词：动力电池、热管理；领域一致：新能源；成熟度：中试（需求：中试及以上）；仅按关键词匹配（未启用语义模型）`
fn summary(
    need: &NeedSide,
    cap: &CapabilitySide,
    terms: &[MatchedTerm],
    semantic: Option<&Factor>,
    cross_lingual: bool,
    few_words: bool,
) -> String {
    let mut parts = Vec::new();
    if !terms.is_empty() {
        let words: Vec<&str> = terms.iter().take(5).map(|t| t.term.as_str()).collect();
        parts.push(format!("关键词：{}", words.join("、")));
    }
    let shared: Vec<&str> = need
        .fields
        .iter()
        .filter(|f| cap.fields.contains(f))
        .filter_map(|f| Field::from_code(f).map(Field::label_zh))
        .collect();
    if !shared.is_empty() {
        parts.push(format!("领域一致：{}", shared.join("、")));
    }
    match need.required_trl {
        Some(r) => parts.push(format!(
            "成熟度：{}（需求：{}及以上）",
            stage_label(cap.trl),
            stage_label(Some(r))
        )),
        None if cap.trl.is_some() => parts.push(format!("成熟度：{}", stage_label(cap.trl))),
        None => {}
    }
    let modes: Vec<&str> = need
        .modes
        .iter()
        .filter(|m| cap.modes.contains(m))
        .filter_map(|m| CooperationMode::from_code(m).map(CooperationMode::label_zh))
        .collect();
    if !modes.is_empty() {
        parts.push(format!("合作方式：{}", modes.join("、")));
    }
    if cap.worked_together {
        parts.push("曾有合作".to_string());
    }
    match semantic {
        Some(f) if cross_lingual => parts.push(format!("跨语言，按语义匹配：{:.2}", f.value)),
        Some(f) => parts.push(format!("语义相似度：{:.2}", f.value)),
        None if few_words => parts.push(FEW_WORDS.to_string()),
        None => parts.push(WORDS_ONLY.to_string()),
    }
    parts.join("；")
}

/// A price in the terms text, e.g. "技术转让费80万元" → 800,000 yuan.
pub fn price_in_terms(terms: &str) -> Option<i64> {
    let idx = terms.find('万')?;
    let digits: String = terms[..idx]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse::<f64>()
        .ok()
        .map(|w| (w * 10_000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need() -> NeedSide {
        NeedSide {
            fields: vec!["new_energy".into()],
            modes: vec!["transfer".into()],
            required_trl: Some(6),
            budget_max_yuan: Some(1_000_000),
            international: false,
        }
    }

    fn cap() -> CapabilitySide {
        CapabilitySide {
            fields: vec!["new_energy".into()],
            modes: vec!["license".into()],
            trl: Some(6),
            capacity: 2,
            open_projects: 0,
            price_yuan: Some(800_000),
            region_scope: "local".into(),
            worked_together: false,
        }
    }

    fn terms() -> Vec<MatchedTerm> {
        ["动力电池", "热管理"]
            .iter()
            .map(|t| MatchedTerm {
                term: t.to_string(),
                found_in: vec!["title".into()],
            })
            .collect()
    }

    #[test]
    fn explains_every_factor_and_summarises_in_chinese() {
        let s = score(
            &need(),
            &cap(),
            Relevance::words(0.9),
            terms(),
            &Weights::default(),
        )
        .unwrap();
        assert_eq!(
            s.explanation.summary,
            "关键词：动力电池、热管理；领域一致：新能源；成熟度：中试（需求：中试及以上）；仅按关键词匹配（未启用语义模型）"
        );
        assert_eq!(s.explanation.factors.len(), 8);
        let total: f64 = s.explanation.factors.iter().map(|f| f.contribution).sum();
        assert!((total - s.score).abs() < 1e-12);
        assert_eq!(s.explanation.found_by, FoundBy::Words);
        assert_eq!(s.explanation.semantic, None);
        let json = serde_json::to_value(&s.explanation).unwrap();
        assert_eq!(json["found_by"], "words");
        assert!(json["semantic"].is_null());
    }

    #[test]
    fn similarity_by_meaning_takes_its_share_of_the_text_weight() {
        let w = Weights::default();
        let both = Relevance {
            text: 0.6,
            semantic: Some(0.8),
            found_by: FoundBy::Both,
            cross_lingual: false,
            few_words: false,
        };
        let s = score(&need(), &cap(), both, terms(), &w).unwrap();
        let e = &s.explanation;
        let semantic = e.semantic.as_ref().unwrap();
        assert_eq!(semantic.code, "semantic");
        assert!((semantic.contribution - 0.8 * w.text * w.semantic_share).abs() < 1e-12);
        let text = &e.factors[0];
        assert!((text.contribution - 0.6 * w.text * (1.0 - w.semantic_share)).abs() < 1e-12);
        let total: f64 = e
            .factors
            .iter()
            .chain(&e.semantic)
            .map(|f| f.contribution)
            .sum();
        assert!((total - s.score).abs() < 1e-12);
        assert_eq!(e.factors.len(), 8, "every wave-one factor stays");
        assert!(e.summary.ends_with("语义相似度：0.80"), "{}", e.summary);
        assert!(!e.summary.contains(WORDS_ONLY));
        assert_eq!(serde_json::to_value(e).unwrap()["found_by"], "both");
        assert!((e.relevance(&w) - 0.7).abs() < 1e-12);
    }

    #[test]
    fn a_few_keywords_say_they_were_matched_by_words() {
        let w = Weights::default();
        let few = Relevance {
            few_words: true,
            ..Relevance::words(0.5)
        };
        let s = score(&need(), &cap(), few, terms(), &w).unwrap();
        assert!(
            s.explanation.summary.ends_with(FEW_WORDS),
            "{}",
            s.explanation.summary
        );
        assert!(s.explanation.semantic.is_none());
        let s = score(&need(), &cap(), Relevance::words(0.5), terms(), &w).unwrap();
        assert!(s.explanation.summary.ends_with(WORDS_ONLY));
    }

    #[test]
    fn across_languages_meaning_takes_the_whole_text_weight() {
        let w = Weights::default();
        let english = Relevance {
            text: 0.0,
            semantic: Some(0.8),
            found_by: FoundBy::Meaning,
            cross_lingual: true,
            few_words: false,
        };
        let s = score(&need(), &cap(), english, Vec::new(), &w).unwrap();
        let e = &s.explanation;
        assert!((e.semantic.as_ref().unwrap().contribution - 0.8 * w.text).abs() < 1e-12);
        assert_eq!(e.factors[0].contribution, 0.0);
        assert!((e.relevance(&w) - 0.8).abs() < 1e-12);
        assert!(
            e.summary.ends_with("跨语言，按语义匹配：0.80"),
            "{}",
            e.summary
        );
        assert_eq!(serde_json::to_value(e).unwrap()["cross_lingual"], true);
        // Within one language, missing words still count against a pair.
        let chinese = Relevance {
            cross_lingual: false,
            ..english
        };
        let t = score(&need(), &cap(), chinese, Vec::new(), &w).unwrap();
        assert!(t.score < s.score);
        assert_eq!(
            serde_json::to_value(&t.explanation).unwrap()["cross_lingual"],
            false
        );
    }

    #[test]
    fn confidence_follows_relevance_not_the_other_factors() {
        let w = Weights::default();
        let strong = score(&need(), &cap(), Relevance::words(0.9), terms(), &w).unwrap();
        assert_eq!(strong.confidence, Confidence::Strong);
        // A team that fits in every other way still does not make a weak text match strong.
        let mut friends = cap();
        friends.worked_together = true;
        let weak = score(&need(), &friends, Relevance::words(0.05), terms(), &w).unwrap();
        assert_eq!(weak.confidence, Confidence::Weak);
        assert_eq!(weak.explanation.confidence(&w), Confidence::Weak);
    }

    #[test]
    fn explanations_stored_before_found_by_and_semantic_still_read() {
        let stored = serde_json::json!({
            "summary": "关键词：热管理", "matched_terms": [{"term": "热管理", "found_in": ["title"]}],
            "factors": [{"code": "text", "label": "文本相关度", "value": 0.5, "contribution": 0.3}],
        });
        let e: Explanation = serde_json::from_value(stored).unwrap();
        assert_eq!(e.found_by, FoundBy::Words);
        assert_eq!(e.semantic, None);
        assert_eq!(e.relevance(&Weights::default()), 0.5);
    }

    #[test]
    fn maturity_matters_more_for_purchases_than_for_development() {
        let mut lab = cap();
        lab.trl = Some(3);
        let buy = score(
            &need(),
            &lab,
            Relevance::words(0.9),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        let mut develop = need();
        develop.modes = vec!["joint_development".into()];
        let dev = score(
            &develop,
            &lab,
            Relevance::words(0.9),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        let m = |s: &Scored| {
            s.explanation
                .factors
                .iter()
                .find(|f| f.code == "maturity")
                .unwrap()
                .value
        };
        assert!(m(&dev) > m(&buy), "{} vs {}", m(&dev), m(&buy));
        let ready = score(
            &need(),
            &cap(),
            Relevance::words(0.9),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        assert!(ready.score > buy.score);
    }

    #[test]
    fn full_teams_are_not_suggested_and_history_helps() {
        let mut full = cap();
        full.open_projects = 2;
        assert!(
            score(
                &need(),
                &full,
                Relevance::words(1.0),
                vec![],
                &Weights::default()
            )
            .is_none()
        );
        let mut friends = cap();
        friends.worked_together = true;
        let a = score(
            &need(),
            &cap(),
            Relevance::words(0.5),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        let b = score(
            &need(),
            &friends,
            Relevance::words(0.5),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        assert!(b.score > a.score && b.score - a.score <= Weights::default().history + 1e-12);
    }

    #[test]
    fn local_first_but_foreign_welcome_on_international_tracks() {
        let mut abroad = cap();
        abroad.region_scope = "abroad".into();
        let local = score(
            &need(),
            &cap(),
            Relevance::words(0.5),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        let far = score(
            &need(),
            &abroad,
            Relevance::words(0.5),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        assert!(local.score > far.score);
        let mut intl = need();
        intl.international = true;
        let welcome = score(
            &intl,
            &abroad,
            Relevance::words(0.5),
            vec![],
            &Weights::default(),
        )
        .unwrap();
        assert!((welcome.score - local.score).abs() < 1e-12);
    }

    #[test]
    fn prices_are_read_from_terms() {
        assert_eq!(
            price_in_terms("技术转让费80万元，可分期支付"),
            Some(800_000)
        );
        assert_eq!(price_in_terms("许可费12.5万元/年"), Some(125_000));
        assert_eq!(price_in_terms("面议"), None);
    }
}
