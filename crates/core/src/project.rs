//! Cooperation projects (产学研合作项目): their fields and checks, the life
//! cycle's allowed moves, and milestones. Pure rules; the store keeps them
//! and the application applies them.

use crate::record::FieldError;
use crate::vocab::{
    ContractType, Field, ProjectOrigin, ProjectStatus, TerminationReason, Vocabulary,
};
use chrono::NaiveDate;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_REG_NO_CHARS: usize = 40;
pub const MAX_DISTRICT_CHARS: usize = 50;
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Other partner organizations beyond the enterprise and the university.
pub const MAX_PARTNERS: usize = 20;
/// The largest contract amount accepted, in 万元 (1,000 亿元).
pub const MAX_AMOUNT_WAN: f64 = 10_000_000.0;

/// What the transparency list may show of a project; staff choose among them.
pub const PUBLISHABLE_FIELDS: [&str; 9] = [
    "title",
    "partners",
    "field",
    "district",
    "contract_type",
    "status",
    "plan_year",
    "signed_on",
    "contract_amount",
];

/// What it shows until staff choose: amounts stay off.
pub const DEFAULT_PUBLISHED_FIELDS: [&str; 5] =
    ["title", "partners", "field", "contract_type", "status"];

impl ProjectStatus {
    /// The statuses a project may move to from this one: forward one step
    /// at a time, or terminated from any open state.
    pub fn next(self) -> &'static [ProjectStatus] {
        use ProjectStatus::*;
        match self {
            Planned => &[Negotiating, Terminated],
            Negotiating => &[Signed, Terminated],
            Signed => &[InProgress, Terminated],
            InProgress => &[Completed, Terminated],
            Completed | Terminated => &[],
        }
    }

    /// Completed and terminated projects are closed.
    pub fn is_open(self) -> bool {
        !matches!(self, Self::Completed | Self::Terminated)
    }

    /// A contract exists from signing on.
    pub fn is_contracted(self) -> bool {
        matches!(self, Self::Signed | Self::InProgress | Self::Completed)
    }
}

/// The move `from` → `to`, or the moves allowed from `from`.
pub fn transition(from: ProjectStatus, to: ProjectStatus) -> Result<(), &'static [ProjectStatus]> {
    if from.next().contains(&to) {
        Ok(())
    } else {
        Err(from.next())
    }
}

/// What staff record of a project (the status moves separately).
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectFields {
    pub external_id: Option<String>,
    pub title: String,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub enterprise_org_id: i64,
    pub institution_org_id: i64,
    /// Further partner organizations.
    pub partners: Vec<i64>,
    pub origin: ProjectOrigin,
    pub plan_year: i32,
    /// 重点产学研合作项目.
    pub key_project: bool,
    pub field: Option<Field>,
    /// The enterprise's district (its `region`).
    pub district: Option<String>,
    pub contract_type: Option<ContractType>,
    /// 万元, up to four decimals (whole yuan).
    pub contract_amount_wan: Option<f64>,
    /// 技术合同登记号.
    pub contract_reg_no: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    /// Staff publish this project on the transparency list even if the
    /// list's rule would leave it off.
    pub published: bool,
}

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

impl ProjectFields {
    /// Every field's own check, and what the status requires: from
    /// `signed` on, the contract type, amount and signing date.
    pub fn check(&self, status: ProjectStatus) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let title = self.title.chars().count();
        if title == 0 {
            errors.push(error("title", "required"));
        } else if title > MAX_TITLE_CHARS {
            errors.push(error(
                "title",
                format!("at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        if !(2000..=2100).contains(&self.plan_year) {
            errors.push(error("plan_year", "must be a year from 2000 to 2100"));
        }
        if self.enterprise_org_id == self.institution_org_id {
            errors.push(error(
                "institution_org_id",
                "must be another organization than the enterprise",
            ));
        }
        if self.partners.len() > MAX_PARTNERS {
            errors.push(error(
                "partners",
                format!("at most {MAX_PARTNERS} further partners"),
            ));
        }
        if let Some(a) = self.contract_amount_wan
            && !(a.is_finite() && (0.0..=MAX_AMOUNT_WAN).contains(&a))
        {
            errors.push(error(
                "contract_amount",
                format!("must be 0 to {MAX_AMOUNT_WAN} 万元"),
            ));
        }
        if self
            .contract_reg_no
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_REG_NO_CHARS)
        {
            errors.push(error(
                "contract_reg_no",
                format!("at most {MAX_REG_NO_CHARS} characters"),
            ));
        }
        if self
            .district
            .as_ref()
            .is_some_and(|d| d.chars().count() > MAX_DISTRICT_CHARS)
        {
            errors.push(error(
                "district",
                format!("at most {MAX_DISTRICT_CHARS} characters"),
            ));
        }
        if let (Some(signed), Some(end)) = (self.signed_on, self.expected_end)
            && end < signed
        {
            errors.push(error("expected_end", "before the signing date"));
        }
        if status.is_contracted() {
            for (field, present) in [
                ("contract_type", self.contract_type.is_some()),
                ("contract_amount", self.contract_amount_wan.is_some()),
                ("signed_on", self.signed_on.is_some()),
            ] {
                if !present {
                    errors.push(error(
                        field,
                        format!("required once the project is {}", status.code()),
                    ));
                }
            }
        }
        errors
    }
}

/// A termination needs its reason code.
pub fn check_termination(to: ProjectStatus, reason: Option<TerminationReason>) -> Vec<FieldError> {
    if to == ProjectStatus::Terminated && reason.is_none() {
        let codes: Vec<&str> = TerminationReason::ALL.iter().map(|r| r.code()).collect();
        vec![error(
            "reason",
            format!("required to terminate: one of {}", codes.join(", ")),
        )]
    } else {
        Vec::new()
    }
}

/// A milestone of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneFields {
    pub title: String,
    pub due_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    /// What shows it was reached (a report, a test record).
    pub evidence: String,
}

impl MilestoneFields {
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let title = self.title.chars().count();
        if title == 0 {
            errors.push(error("title", "required"));
        } else if title > MAX_TITLE_CHARS {
            errors.push(error(
                "title",
                format!("at most {MAX_TITLE_CHARS} characters"),
            ));
        }
        if self.evidence.chars().count() > MAX_NOTE_CHARS {
            errors.push(error(
                "evidence",
                format!("at most {MAX_NOTE_CHARS} characters"),
            ));
        }
        errors
    }

    /// Due before `today` and not done.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        is_overdue(self.due_on, self.done_on, today)
    }
}

/// A milestone due before `today` and not done is overdue.
pub fn is_overdue(due_on: NaiveDate, done_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    done_on.is_none() && due_on < today
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ProjectFields {
        ProjectFields {
            external_id: None,
            title: "海上风电导管架焊接残余应力调控".into(),
            need_id: None,
            capability_id: None,
            meeting_id: None,
            enterprise_org_id: 1,
            institution_org_id: 2,
            partners: vec![],
            origin: ProjectOrigin::Manual,
            plan_year: 2026,
            key_project: true,
            field: None,
            district: None,
            contract_type: None,
            contract_amount_wan: None,
            contract_reg_no: None,
            signed_on: None,
            expected_end: None,
            published: false,
        }
    }

    #[test]
    fn projects_move_forward_one_step_or_terminate() {
        use ProjectStatus::*;
        assert!(transition(Planned, Negotiating).is_ok());
        assert_eq!(
            transition(Planned, Signed),
            Err(&[Negotiating, Terminated][..])
        );
        assert!(transition(InProgress, Terminated).is_ok());
        assert_eq!(transition(Completed, Terminated), Err(&[][..]));
        assert_eq!(transition(Terminated, Planned), Err(&[][..]));
        for s in ProjectStatus::ALL {
            assert_eq!(s.is_open(), !s.next().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn signing_requires_the_contract() {
        let f = fields();
        assert!(f.check(ProjectStatus::Negotiating).is_empty());
        let missing: Vec<String> = f
            .check(ProjectStatus::Signed)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(missing, ["contract_type", "contract_amount", "signed_on"]);
        let signed = ProjectFields {
            contract_type: Some(ContractType::Development),
            contract_amount_wan: Some(120.5),
            signed_on: NaiveDate::from_ymd_opt(2026, 3, 1),
            ..fields()
        };
        assert!(signed.check(ProjectStatus::Completed).is_empty());
    }

    #[test]
    fn bad_values_name_their_field() {
        let f = ProjectFields {
            title: String::new(),
            plan_year: 1999,
            institution_org_id: 1,
            contract_amount_wan: Some(-1.0),
            signed_on: NaiveDate::from_ymd_opt(2026, 3, 1),
            expected_end: NaiveDate::from_ymd_opt(2026, 2, 1),
            ..fields()
        };
        let names: Vec<String> = f
            .check(ProjectStatus::Planned)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            names,
            [
                "title",
                "plan_year",
                "institution_org_id",
                "contract_amount",
                "expected_end"
            ]
        );
        assert_eq!(check_termination(ProjectStatus::Terminated, None).len(), 1);
        assert!(
            check_termination(ProjectStatus::Terminated, Some(TerminationReason::Funding))
                .is_empty()
        );
    }

    #[test]
    fn overdue_means_due_before_today_and_not_done() {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        assert!(is_overdue(d(3, 1), None, d(3, 2)));
        assert!(!is_overdue(d(3, 1), None, d(3, 1)));
        assert!(!is_overdue(d(3, 1), Some(d(3, 5)), d(4, 1)));
    }
}
