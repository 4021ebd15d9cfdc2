//! The year's plan: its name and target figures, each read elsewhere by its
//! `code` (the events summary, the dashboard), never hard-coded. Everyone
//! may read a plan (the home page shows it); staff edit it, audited.

use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result};
use qiao_core::record::FieldError;
pub use qiao_store::plans::{Actual, Plan, Target};
use std::collections::HashSet;

/// Targets in one plan at most.
pub const MAX_TARGETS: usize = 100;
/// The largest target figure (万元 of contract turnover are the largest).
pub const MAX_FIGURE: f64 = 1e12;

fn error(field: String, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

fn is_code(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && code.len() <= 50
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Every problem of a plan, each named by its field (`targets[2].min`).
pub fn check_plan(plan: &Plan) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = plan.name.trim().chars().count();
    if name == 0 || name > 200 {
        errors.push(error("name".into(), "1 to 200 characters"));
    }
    if plan.targets.len() > MAX_TARGETS {
        errors.push(error(
            "targets".into(),
            format!("at most {MAX_TARGETS} targets"),
        ));
    }
    let mut codes = HashSet::new();
    for (i, t) in plan.targets.iter().enumerate() {
        let at = |f: &str| format!("targets[{i}].{f}");
        if !is_code(&t.code) {
            errors.push(error(
                at("code"),
                "lower-case letters, digits and _, starting with a letter, at most 50",
            ));
        } else if !codes.insert(t.code.as_str()) {
            errors.push(error(at("code"), format!("{} appears twice", t.code)));
        }
        let label = t.label.trim().chars().count();
        if label == 0 || label > 100 {
            errors.push(error(at("label"), "1 to 100 characters"));
        }
        let unit = t.unit.trim().chars().count();
        if unit == 0 || unit > 20 {
            errors.push(error(at("unit"), "1 to 20 characters"));
        }
        if !(t.target.is_finite() && (0.0..=MAX_FIGURE).contains(&t.target)) {
            errors.push(error(at("target"), format!("0 to {MAX_FIGURE}")));
        }
        if let Some(min) = t.min
            && !(min.is_finite() && min >= 0.0 && min <= t.target)
        {
            errors.push(error(at("min"), "from 0 to the target"));
        }
    }
    errors
}

impl App {
    /// The plan of a year.
    pub async fn annual_plan(&self, year: i32) -> Result<Plan> {
        self.store().plan(year).await?.ok_or(Error::NotFound)
    }

    /// Staff create or replace the plan of a year (audited with before and after).
    pub async fn save_annual_plan(
        &self,
        who: &Principal,
        year: i32,
        name: String,
        targets: Vec<Target>,
    ) -> Result<Plan> {
        authorize(who, Resource::Bureau, Action::Update)?;
        if !(2000..=2100).contains(&year) {
            return Err(Error::field("year", "must be 2000–2100"));
        }
        let plan = Plan {
            year,
            name: name.trim().to_string(),
            targets: targets
                .into_iter()
                .map(|t| Target {
                    code: t.code.trim().to_string(),
                    label: t.label.trim().to_string(),
                    unit: t.unit.trim().to_string(),
                    ..t
                })
                .collect(),
        };
        let errors = check_plan(&plan);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.store().save_plan(&plan, &who.actor()).await?;
        self.annual_plan(year).await
    }
}

impl App {
    /// Actual figures staff entered for the year's targets (staff only).
    pub async fn plan_actuals(&self, who: &Principal, year: i32) -> Result<Vec<Actual>> {
        authorize(who, Resource::Bureau, Action::Read)?;
        self.annual_plan(year).await?;
        Ok(self.store().actuals(year).await?)
    }

    /// Staff enter an actual figure for a target the platform cannot count
    /// (手工填报): the code must name a target of the year's plan, the date
    /// lie in that year. Entries are kept, never overwritten; the latest by
    /// date counts.
    pub async fn record_plan_actual(
        &self,
        who: &Principal,
        year: i32,
        code: &str,
        value: f64,
        as_of: chrono::NaiveDate,
        note: Option<String>,
    ) -> Result<Actual> {
        authorize(who, Resource::Bureau, Action::Create)?;
        let plan = self.annual_plan(year).await?;
        let mut errors = Vec::new();
        if !plan.targets.iter().any(|t| t.code == code) {
            errors.push(error(
                "code".into(),
                format!("the {year} plan has no target {code:?}"),
            ));
        }
        if !(value.is_finite() && (0.0..=MAX_FIGURE).contains(&value)) {
            errors.push(error("value".into(), format!("0 to {MAX_FIGURE}")));
        }
        if chrono::Datelike::year(&as_of) != year {
            errors.push(error("as_of".into(), format!("a date in {year}")));
        }
        let note = match note {
            Some(n) => match qiao_core::text::clean(&n, true) {
                Ok(n) if n.chars().count() <= 2_000 => n,
                Ok(_) => {
                    errors.push(error("note".into(), "at most 2,000 characters"));
                    String::new()
                }
                Err(m) => {
                    errors.push(error("note".into(), m));
                    String::new()
                }
            },
            None => String::new(),
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(self
            .store()
            .record_actual(year, code, value, as_of, &note, &who.actor())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(code: &str, target: f64, min: Option<f64>) -> Target {
        Target {
            code: code.into(),
            label: "重点产学研合作项目".into(),
            target,
            min,
            unit: "项".into(),
        }
    }

    #[test]
    fn bad_targets_are_named_by_their_place() {
        let plan = Plan {
            year: 2026,
            name: "2026年计划".into(),
            targets: vec![
                target("key_projects", 300.0, None),
                target("key_projects", 3.0, Some(2.0)),
                target("Events", 3.0, Some(4.0)),
                target("turnover", f64::NAN, None),
            ],
        };
        let fields: Vec<String> = check_plan(&plan).into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "targets[1].code",
                "targets[2].code",
                "targets[2].min",
                "targets[3].target"
            ]
        );
        let good = Plan {
            targets: vec![target("key_projects", 300.0, Some(280.0))],
            ..plan
        };
        assert!(check_plan(&good).is_empty());
    }
}
