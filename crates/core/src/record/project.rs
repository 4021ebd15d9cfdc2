//! A cooperation project as a file row: the columns `qiao export projects`
//! writes, so an export imports back. Organizations are named, not created;
//! the store resolves the names.

use super::columns::PROJECT_COLUMNS;
use super::reader::Reader;
use super::{ExternalId, FieldError};
use crate::money::Wan;
use crate::project::{
    MAX_AMOUNT_WAN, MAX_DISTRICT_CHARS, MAX_NOTE_CHARS, MAX_REG_NO_CHARS, MAX_TITLE_CHARS,
    ProjectFields, check_termination,
};
use crate::vocab::{
    ContractType, Field, ProjectOrigin, ProjectStatus, TerminationReason, Vocabulary,
};
use chrono::NaiveDate;
use serde_json::{Map, Value};

/// Longest organization name, as organizations are imported.
const MAX_ORG_NAME_CHARS: usize = 200;

/// A project recorded before (or outside) the platform, with its status as
/// it stands: imports set the status directly rather than walk the moves.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRecord {
    pub external_id: String,
    pub title: String,
    /// The enterprise's name.
    pub enterprise: String,
    /// The university's or institute's name.
    pub institution: String,
    pub origin: ProjectOrigin,
    pub plan_year: i32,
    pub key_project: bool,
    pub status: ProjectStatus,
    pub contract_type: Option<ContractType>,
    pub contract_amount: Option<Wan>,
    pub gov_funding: Option<Wan>,
    pub signed_on: Option<NaiveDate>,
    pub due_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    /// The termination's note (the `termination_reason` column).
    pub termination_note: Option<String>,
    pub field: Option<Field>,
    pub district: Option<String>,
    pub contract_reg_no: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub termination: Option<TerminationReason>,
}

/// The column a [`ProjectFields::check`] or [`check_termination`] error belongs to.
fn column_of(field: &str) -> &str {
    match field {
        "expected_end" => "due_on",
        "reason" => "termination_code",
        "institution_org_id" => "institution",
        "enterprise_org_id" => "enterprise",
        other => other,
    }
}

impl ProjectRecord {
    /// One row, with every problem named by its column; the row must pass
    /// the checks the platform applies to its own project writes.
    pub fn from_map(input: &Map<String, Value>) -> Result<Self, Vec<FieldError>> {
        let mut r = Reader::new(input, PROJECT_COLUMNS);
        let external_id = r.external_id(ExternalId::Required).unwrap_or_default();
        let title = r.required_text("title", MAX_TITLE_CHARS);
        let enterprise = r.required_text("enterprise", MAX_ORG_NAME_CHARS);
        let institution = r.required_text("institution", MAX_ORG_NAME_CHARS);
        if !enterprise.is_empty() && enterprise == institution {
            r.error(
                "institution",
                "names the enterprise; a project joins two organizations",
            );
        }
        let origin = r
            .vocab::<ProjectOrigin>("origin")
            .unwrap_or(ProjectOrigin::Manual);
        let plan_year = r.integer("plan_year", 2000, 2100);
        if plan_year.is_none() && !r.has_error("plan_year") {
            r.error("plan_year", "is required");
        }
        let key_project = r.boolean("is_key").unwrap_or(false);
        let status = r
            .vocab::<ProjectStatus>("status")
            .unwrap_or(ProjectStatus::Planned);
        let gov_funding = r.money("gov_funding");
        if gov_funding.is_some_and(|w| w.as_wan() > MAX_AMOUNT_WAN) {
            r.error("gov_funding", format!("must be 0 to {MAX_AMOUNT_WAN} 万元"));
        }
        let record = Self {
            external_id,
            title,
            enterprise,
            institution,
            origin,
            plan_year: plan_year.unwrap_or_default() as i32,
            key_project,
            status,
            contract_type: r.vocab::<ContractType>("contract_type"),
            contract_amount: r.money("contract_amount"),
            gov_funding,
            signed_on: r.date("signed_on"),
            due_on: r.date("due_on"),
            completed_on: r.date("completed_on"),
            termination_note: r.optional_text("termination_reason", MAX_NOTE_CHARS),
            field: r.vocab::<Field>("field"),
            district: r.optional_text("district", MAX_DISTRICT_CHARS),
            contract_reg_no: r.optional_text("contract_reg_no", MAX_REG_NO_CHARS),
            started_on: r.date("started_on"),
            termination: r.vocab::<TerminationReason>("termination_code"),
        };
        // The platform's own rules; placeholder ids, as the names were compared above.
        let mut rules = record.fields(1, 2, None).check(status);
        if !r.has_error("termination_code") {
            rules.extend(check_termination(status, record.termination));
        }
        for e in rules {
            let column = column_of(&e.field);
            if !r.has_error(column) {
                r.error(column, e.message);
            }
        }
        if status != ProjectStatus::Terminated {
            for (column, present) in [
                ("termination_code", record.termination.is_some()),
                ("termination_reason", record.termination_note.is_some()),
            ] {
                if present {
                    r.error(
                        column,
                        format!(
                            "only a terminated project has one, not a {} one",
                            status.code()
                        ),
                    );
                }
            }
        }
        r.finish(record)
    }

    /// The fields to store for the resolved organizations. What a file does
    /// not carry (links to a need, capability or meeting, further partners,
    /// publication) stays as in `base`, the project being updated.
    pub fn fields(
        &self,
        enterprise_org_id: i64,
        institution_org_id: i64,
        base: Option<&ProjectFields>,
    ) -> ProjectFields {
        ProjectFields {
            external_id: Some(self.external_id.clone()),
            title: self.title.clone(),
            need_id: base.and_then(|b| b.need_id),
            capability_id: base.and_then(|b| b.capability_id),
            meeting_id: base.and_then(|b| b.meeting_id),
            enterprise_org_id,
            institution_org_id,
            partners: base.map(|b| b.partners.clone()).unwrap_or_default(),
            origin: self.origin,
            plan_year: self.plan_year,
            key_project: self.key_project,
            field: self.field,
            district: self.district.clone(),
            contract_type: self.contract_type,
            contract_amount_wan: self.contract_amount.map(Wan::as_wan),
            contract_reg_no: self.contract_reg_no.clone(),
            signed_on: self.signed_on,
            expected_end: self.due_on,
            published: base.is_some_and(|b| b.published),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().cloned().expect("object")
    }

    fn fields_of(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn labels_and_codes_both_read() {
        let by_label = map(json!({
            "外部编号": "P-1",
            "项目名称": "导管架焊接残余应力调控",
            "企业": "甲海工装备有限公司",
            "高校院所": "乙理工大学",
            "项目来源": "匹配推荐",
            "计划年度": "2026",
            "重点项目": "是",
            "项目状态": "已签约",
            "合同类型": "技术开发",
            "合同金额（万元）": "120.5",
            "签约日期": "2026/3/1",
            "计划完成日期": "2027年2月28日",
            "所属领域": "船舶与海工装备",
        }));
        let by_code = map(json!({
            "external_id": "P-1",
            "title": "导管架焊接残余应力调控",
            "enterprise": "甲海工装备有限公司",
            "institution": "乙理工大学",
            "origin": "match",
            "plan_year": 2026,
            "is_key": true,
            "status": "signed",
            "contract_type": "development",
            "contract_amount": 120.5,
            "signed_on": "2026-03-01",
            "due_on": "2027-02-28",
            "field": "marine_equipment",
        }));
        let a = ProjectRecord::from_map(&by_label).expect("labels");
        let b = ProjectRecord::from_map(&by_code).expect("codes");
        assert_eq!(a, b);
        assert_eq!(a.status, ProjectStatus::Signed);
        assert_eq!(a.origin, ProjectOrigin::Match);
        assert!(a.key_project);
        assert_eq!(a.contract_amount.unwrap().yuan(), 1_205_000);
        assert_eq!(a.due_on, NaiveDate::from_ymd_opt(2027, 2, 28));
        let f = a.fields(7, 8, None);
        assert_eq!(f.expected_end, a.due_on);
        assert_eq!(f.contract_amount_wan, Some(120.5));
        assert_eq!(f.external_id.as_deref(), Some("P-1"));
    }

    #[test]
    fn defaults_and_booleans() {
        let row = |is_key: Value| {
            map(
                json!({"external_id": "P-2", "title": "t", "enterprise": "甲",
                "institution": "乙", "plan_year": "2026", "is_key": is_key}),
            )
        };
        let p = ProjectRecord::from_map(&row(json!("否"))).unwrap();
        assert_eq!(p.status, ProjectStatus::Planned);
        assert_eq!(p.origin, ProjectOrigin::Manual);
        assert!(!p.key_project);
        for yes in [json!("TRUE"), json!("1"), json!(1), json!(true)] {
            assert!(ProjectRecord::from_map(&row(yes)).unwrap().key_project);
        }
        let errors = ProjectRecord::from_map(&row(json!("也许"))).unwrap_err();
        assert_eq!(fields_of(&errors), ["is_key"]);
    }

    #[test]
    fn bad_vocabulary_and_missing_values_are_named() {
        let input = map(json!({
            "external_id": "P-3",
            "enterprise": "甲",
            "institution": "甲",
            "origin": "路边捡的",
            "status": "快好了",
            "field": "火星开发",
            "plan_year": "1999",
            "signed_on": "三月",
        }));
        let errors = ProjectRecord::from_map(&input).unwrap_err();
        let fields = fields_of(&errors);
        for f in [
            "title",
            "institution",
            "origin",
            "status",
            "field",
            "plan_year",
            "signed_on",
        ] {
            assert!(fields.contains(&f), "{f} missing from {errors:?}");
        }
        let status = errors.iter().find(|e| e.field == "status").unwrap();
        assert!(status.message.contains("signed (已签约)"), "{status:?}");
        let missing = ProjectRecord::from_map(&map(json!({"title": "t"}))).unwrap_err();
        let fields = fields_of(&missing);
        for f in ["external_id", "enterprise", "institution", "plan_year"] {
            assert!(fields.contains(&f), "{f} missing from {missing:?}");
        }
    }

    #[test]
    fn signed_needs_the_contract() {
        let input = map(
            json!({"external_id": "P-4", "title": "t", "enterprise": "甲",
            "institution": "乙", "plan_year": 2026, "status": "实施中"}),
        );
        let errors = ProjectRecord::from_map(&input).unwrap_err();
        assert_eq!(
            fields_of(&errors),
            ["contract_type", "contract_amount", "signed_on"]
        );
        assert!(errors[0].message.contains("in_progress"), "{errors:?}");
        let mut bad_end = input.clone();
        bad_end.insert("status".into(), json!("negotiating"));
        bad_end.insert("signed_on".into(), json!("2026-03-01"));
        bad_end.insert("due_on".into(), json!("2026-02-01"));
        let errors = ProjectRecord::from_map(&bad_end).unwrap_err();
        assert_eq!(fields_of(&errors), ["due_on"]);
    }

    #[test]
    fn terminated_needs_its_code_and_only_it_has_one() {
        let input = map(
            json!({"external_id": "P-5", "title": "t", "enterprise": "甲",
            "institution": "乙", "plan_year": 2026, "status": "已终止",
            "termination_reason": "企业转产\n不再需要"}),
        );
        let errors = ProjectRecord::from_map(&input).unwrap_err();
        assert_eq!(fields_of(&errors), ["termination_code"]);
        let mut coded = input.clone();
        coded.insert("termination_code".into(), json!("合作方退出"));
        let p = ProjectRecord::from_map(&coded).unwrap();
        assert_eq!(p.termination, Some(TerminationReason::PartnerWithdrew));
        assert_eq!(p.termination_note.as_deref(), Some("企业转产\n不再需要"));
        coded.insert("termination_code".into(), json!("放弃了"));
        let errors = ProjectRecord::from_map(&coded).unwrap_err();
        assert_eq!(fields_of(&errors), ["termination_code"]);
        assert!(errors[0].message.contains("partner_withdrew"), "{errors:?}");
        let mut open = input.clone();
        open.insert("status".into(), json!("planned"));
        open.insert("termination_code".into(), json!("funding"));
        let errors = ProjectRecord::from_map(&open).unwrap_err();
        assert_eq!(
            fields_of(&errors),
            ["termination_code", "termination_reason"]
        );
    }
}
