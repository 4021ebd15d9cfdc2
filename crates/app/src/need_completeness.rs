//! Is a need ready to be published? A pure check of what matching relies
//! on: key indicators, fields, a description long enough to match words
//! against, a budget, keywords, cooperation modes, the maturity wanted and
//! a deadline still ahead. Blocking gaps keep a need from being published
//! through the workspace form (a draft may be saved with them); the others
//! are advice. Each finding names the form field it concerns, so a page
//! can show it beside that field.

use crate::Error;
use chrono::NaiveDate;
use qiao_core::record::{FieldError, NeedRecord};
use serde::Serialize;

/// A description shorter than this (in characters) gives matching too few words.
pub const MIN_DESCRIPTION_CHARS: usize = 50;

/// One gap of a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code: `no_indicators`, `no_fields`, `short_description`,
    /// `deadline_passed`, `no_budget`, `no_keywords`, `no_modes`, `no_trl`,
    /// `no_deadline`.
    pub code: &'static str,
    /// The record field (and form field) it concerns.
    pub field: &'static str,
    /// Publishing is refused while it is open.
    pub blocking: bool,
    /// What is missing and why it matters, in English (the API's wording).
    pub message: &'static str,
}

const fn finding(
    code: &'static str,
    field: &'static str,
    blocking: bool,
    message: &'static str,
) -> Finding {
    Finding {
        code,
        field,
        blocking,
        message,
    }
}

/// The gaps of a need on `today`, blocking ones first.
pub fn check(need: &NeedRecord, today: NaiveDate) -> Vec<Finding> {
    let mut out = Vec::new();
    if need.indicators.is_empty() {
        out.push(finding(
            "no_indicators",
            "indicators",
            true,
            "no key indicators: without measurable targets matching is less precise",
        ));
    }
    if need.fields.is_empty() {
        out.push(finding(
            "no_fields",
            "fields",
            true,
            "no field: capabilities are first compared by field",
        ));
    }
    if need.description.trim().chars().count() < MIN_DESCRIPTION_CHARS {
        out.push(finding(
            "short_description",
            "description",
            true,
            "the description is shorter than 50 characters: too few words to match on",
        ));
    }
    if need.deadline.is_some_and(|d| d < today) {
        out.push(finding(
            "deadline_passed",
            "deadline",
            true,
            "the deadline has passed",
        ));
    }
    if need.budget_min.is_none() && need.budget_max.is_none() {
        out.push(finding(
            "no_budget",
            "budget_min",
            false,
            "no budget: capabilities whose terms fit cannot be preferred",
        ));
    }
    if need.keywords.is_empty() {
        out.push(finding(
            "no_keywords",
            "keywords",
            false,
            "no keywords: the need is harder to find by search",
        ));
    }
    if need.cooperation_modes.is_empty() {
        out.push(finding(
            "no_modes",
            "cooperation_modes",
            false,
            "no cooperation mode: partners who work the way you want cannot be preferred",
        ));
    }
    if need.required_trl.is_none() {
        out.push(finding(
            "no_trl",
            "required_trl",
            false,
            "no maturity wanted: capabilities are not told apart by readiness",
        ));
    }
    if need.deadline.is_none() {
        out.push(finding(
            "no_deadline",
            "deadline",
            false,
            "no deadline: staff cannot plan the matching in time",
        ));
    }
    out
}

/// Whether any finding keeps the need from being published.
pub fn has_blocking(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.blocking)
}

/// Refuses to publish a need with blocking gaps: each gap as a field error.
pub fn ready_to_publish(need: &NeedRecord, today: NaiveDate) -> Result<(), Error> {
    let errors: Vec<FieldError> = check(need, today)
        .into_iter()
        .filter(|f| f.blocking)
        .map(|f| FieldError {
            field: f.field.to_string(),
            message: f.message.to_string(),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qiao_core::record::{ExternalId, Indicator};
    use serde_json::json;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    fn need(v: serde_json::Value) -> NeedRecord {
        let mut m = json!({"org_name": "琴岛海工装备有限公司", "title": "深水系泊链疲劳监测"})
            .as_object()
            .cloned()
            .unwrap();
        m.extend(v.as_object().cloned().unwrap());
        NeedRecord::from_map(&m, ExternalId::Optional).expect("valid")
    }

    fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.code).collect()
    }

    fn complete() -> NeedRecord {
        need(json!({
            "description": "深水系泊链长期服役后疲劳裂纹难以及时发现，需要一套可在海上长期运行的在线监测系统，覆盖链环应力、腐蚀和磨损。",
            "indicators": [{"name": "监测精度", "target": "≤1mm"}],
            "fields": ["marine_equipment"],
            "keywords": ["系泊链", "疲劳"],
            "cooperation_modes": ["joint_development"],
            "budget_max": 120,
            "required_trl": 6,
            "deadline": "2027-06-30",
        }))
    }

    #[test]
    fn a_complete_need_has_no_gaps() {
        let n = complete();
        assert!(n.description.chars().count() >= MIN_DESCRIPTION_CHARS);
        assert_eq!(check(&n, today()), vec![]);
        assert!(ready_to_publish(&n, today()).is_ok());
    }

    #[test]
    fn a_thin_need_is_told_everything_blocking_first() {
        let n = need(json!({"description": "需要监测。"}));
        let found = check(&n, today());
        assert_eq!(
            codes(&found),
            [
                "no_indicators",
                "no_fields",
                "short_description",
                "no_budget",
                "no_keywords",
                "no_modes",
                "no_trl",
                "no_deadline"
            ]
        );
        assert!(has_blocking(&found));
        let Err(Error::Invalid(errors)) = ready_to_publish(&n, today()) else {
            panic!("refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["indicators", "fields", "description"]);
    }

    #[test]
    fn advice_alone_does_not_block() {
        let mut n = complete();
        n.budget_min = None;
        n.budget_max = None;
        n.keywords.clear();
        let found = check(&n, today());
        assert_eq!(codes(&found), ["no_budget", "no_keywords"]);
        assert!(!has_blocking(&found));
        assert!(ready_to_publish(&n, today()).is_ok());
        // One end of the budget is enough.
        n.budget_min = qiao_core::Wan::from_wan_f64(30.0);
        assert_eq!(codes(&check(&n, today())), ["no_keywords"]);
    }

    #[test]
    fn each_blocking_gap_alone() {
        let mut n = complete();
        n.indicators.clear();
        assert_eq!(codes(&check(&n, today())), ["no_indicators"]);
        n.indicators.push(Indicator {
            name: "续航".into(),
            target: String::new(),
        });
        n.fields.clear();
        assert_eq!(codes(&check(&n, today())), ["no_fields"]);
        let mut n = complete();
        // Counted in characters, not bytes; white space around does not count.
        n.description = format!("  {}  ", "监".repeat(MIN_DESCRIPTION_CHARS - 1));
        assert_eq!(codes(&check(&n, today())), ["short_description"]);
        n.description = "监".repeat(MIN_DESCRIPTION_CHARS);
        assert!(check(&n, today()).is_empty());
        n.deadline = NaiveDate::from_ymd_opt(2026, 11, 29);
        let found = check(&n, today());
        assert_eq!(codes(&found), ["deadline_passed"]);
        assert_eq!(found[0].field, "deadline");
        n.deadline = Some(today());
        assert!(check(&n, today()).is_empty(), "due today is not past");
    }
}
