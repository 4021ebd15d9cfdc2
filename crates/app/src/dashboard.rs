//! The plan dashboard: each target of the stored plan against what the
//! records show (or staff's latest 手工填报 figure where the platform cannot
//! count), month by month with last year's curve; the year's projects by
//! field, district and status; overdue milestones; and the funnel from a
//! published need to a completed project. Event figures are the events
//! summary's ([`App::events_summary`]); the annual report is built from this.

use crate::events::reports::{Count, EventsSummary};
use crate::plans::{Actual, Plan};
use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use qiao_core::vocab::{ContractType, EventKind, ProjectStatus, SuggestionStatus, Vocabulary};
use qiao_store::plan_facts::PlanFacts;
use qiao_store::projects::ProjectRow;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Where a target's actual figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Counted from the platform's records.
    Counted,
    /// Entered by staff (手工填报): the latest entry by date counts.
    Manual,
}

impl Source {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Counted => "平台统计",
            Self::Manual => "手工填报",
        }
    }
}

/// One target against its actual figure.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TargetProgress {
    pub code: String,
    pub label: String,
    pub unit: String,
    pub target: f64,
    pub min: Option<f64>,
    /// None: a manual target nobody has entered yet.
    pub actual: Option<f64>,
    /// actual / target.
    pub progress: Option<f64>,
    pub source: Source,
    pub source_label: String,
    /// How the platform counts it, or that staff enter it.
    pub basis: String,
    /// The date of the manual figure that counts.
    pub as_of: Option<NaiveDate>,
    /// Cumulative to the end of each month; None for months still to come
    /// (and for manual months before the first entry).
    pub monthly: Vec<Option<f64>>,
    /// Last year's cumulative curve, where last year has figures.
    pub last_year: Option<Vec<Option<f64>>>,
}

/// The year's projects in one field or district.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Breakdown {
    /// The field's code or the district's name; None when not recorded.
    pub code: Option<String>,
    pub label: String,
    pub projects: u64,
    pub key_projects: u64,
    /// Signed, in progress or completed.
    pub contracted: u64,
    /// Contract amount of the contracted ones, 万元.
    pub contract_amount: f64,
}

/// An open milestone past its due date.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct OverdueMilestone {
    pub milestone_id: i64,
    pub project_id: i64,
    pub project_title: String,
    pub key_project: bool,
    pub title: String,
    pub due_on: NaiveDate,
    pub days_overdue: i64,
}

/// One stage of the funnel.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FunnelStage {
    pub code: String,
    pub label: String,
    /// Needs that reached this stage or a later one (the optional event
    /// stage: needs that met there).
    pub count: u64,
    /// A stage needs may skip (meeting at an event).
    pub optional: bool,
    /// count / count of the previous stage that is not optional.
    pub conversion: Option<f64>,
    /// count / needs published.
    pub of_published: Option<f64>,
    /// Median days from the previous stage that is not optional, over the
    /// needs with both dates in order (records entered after the fact can
    /// date a later stage before an earlier one; those are left out).
    pub median_days: Option<f64>,
    /// How many needs the median is taken over.
    pub timed: u64,
}

/// The year's projects in figures.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProjectFigures {
    /// Projects of the plan year.
    pub total: u64,
    pub key_projects: u64,
    pub contracted: u64,
    pub completed: u64,
    pub terminated: u64,
    /// 万元, of the contracted projects of the plan year.
    pub contract_amount: f64,
    pub by_status: Vec<Count>,
    pub key_by_status: Vec<Count>,
    pub by_field: Vec<Breakdown>,
    pub by_district: Vec<Breakdown>,
}

/// The dashboard of one plan year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Dashboard {
    pub year: i32,
    pub plan: String,
    /// The day the figures are for (China time).
    pub as_of: NaiveDate,
    /// Months of the year with figures (12 for past years).
    pub months: u32,
    pub targets: Vec<TargetProgress>,
    pub projects: ProjectFigures,
    pub overdue_milestones: Vec<OverdueMilestone>,
    pub funnel: Vec<FunnelStage>,
    /// Organizations taking part: partners of the year's projects and
    /// confirmed participants of the events held.
    pub organizations: u64,
    pub events: EventsSummary,
}

/// How the platform counts a target, by its code; None: entered by staff.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Measure {
    /// Key projects of the plan year that are signed or later, by signing date.
    KeyProjects,
    /// Events of a kind held, from the events summary.
    Events(EventKind),
    /// Projects signed in the year (and not terminated) with one of these contract types.
    Contracts(&'static [ContractType]),
    /// Needs published in the year.
    Needs,
    /// Capabilities listed in the year.
    Capabilities,
}

fn measure(code: &str) -> Option<Measure> {
    if let Some(kind) = EventKind::ALL.iter().find(|k| k.plan_target_code() == code) {
        return Some(Measure::Events(*kind));
    }
    Some(match code {
        "key_projects" => Measure::KeyProjects,
        "university_transfer_projects" => {
            Measure::Contracts(&[ContractType::Transfer, ContractType::License])
        }
        "joint_rd_platforms" => Measure::Contracts(&[ContractType::JointPlatform]),
        "published_needs" => Measure::Needs,
        "listed_achievements" => Measure::Capabilities,
        _ => return None,
    })
}

impl Measure {
    fn basis(self) -> String {
        match self {
            Self::KeyProjects => {
                "计划年度内已签约（含实施中、已完成）的重点项目，按签约日期".into()
            }
            Self::Events(kind) => format!("已举办的{}，按举办日期", kind.label_zh()),
            Self::Contracts(types) => format!(
                "年内签约且未终止的{}项目，按签约日期",
                types
                    .iter()
                    .map(|t| t.label_zh())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            Self::Needs => "年内发布的技术需求，按发布日期".into(),
            Self::Capabilities => "年内入库的科技成果与能力，按入库日期".into(),
        }
    }
}

const MANUAL_BASIS: &str = "平台无法统计，由工作人员手工填报（以最近日期的填报为准）";

fn china_date(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

/// Cumulative monthly counts of dated items of `year`; months after
/// `months` are None. Items dated outside the year are left out.
fn cumulative(dates: impl Iterator<Item = NaiveDate>, year: i32, months: u32) -> Vec<Option<f64>> {
    let mut per_month = [0u64; 12];
    for d in dates.filter(|d| d.year() == year) {
        per_month[d.month0() as usize] += 1;
    }
    let mut total = 0;
    per_month
        .iter()
        .enumerate()
        .map(|(m, n)| {
            total += n;
            ((m as u32) < months).then_some(total as f64)
        })
        .collect()
}

/// Months of `year` with figures on `today`.
fn months_elapsed(year: i32, today: NaiveDate) -> u32 {
    match today.year().cmp(&year) {
        std::cmp::Ordering::Less => 0,
        std::cmp::Ordering::Equal => today.month(),
        std::cmp::Ordering::Greater => 12,
    }
}

fn first_day(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN)
}

fn last_day(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

fn signed(p: &ProjectRow) -> Option<NaiveDate> {
    p.fields.signed_on.filter(|_| p.status.is_contracted())
}

/// The dates a measure counts in `year`.
fn dated(m: Measure, year: i32, facts: &PlanFacts, events: &EventsSummary) -> Vec<NaiveDate> {
    match m {
        Measure::KeyProjects => facts
            .projects
            .iter()
            .filter(|p| p.fields.key_project && p.fields.plan_year == year)
            .filter_map(signed)
            // A key project of the year signed outside it counts in its
            // first or last month.
            .map(|d| d.clamp(first_day(year), last_day(year)))
            .collect(),
        Measure::Events(kind) => events
            .events
            .iter()
            .filter(|e| e.kind == kind.code())
            .map(|e| china_date(e.starts_at))
            .collect(),
        Measure::Contracts(types) => facts
            .projects
            .iter()
            .filter(|p| p.fields.contract_type.is_some_and(|t| types.contains(&t)))
            .filter_map(signed)
            .filter(|d| d.year() == year)
            .collect(),
        Measure::Needs => facts
            .needs
            .iter()
            .map(|n| china_date(n.published_at))
            .filter(|d| d.year() == year)
            .collect(),
        Measure::Capabilities => facts
            .capabilities
            .iter()
            .map(|t| china_date(*t))
            .filter(|d| d.year() == year)
            .collect(),
    }
}

/// The latest manual figure on or before each month's end.
fn manual_curve(entries: &[&Actual], year: i32, months: u32) -> Vec<Option<f64>> {
    (1..=12u32)
        .map(|m| {
            if m > months {
                return None;
            }
            let end = if m == 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(year, m + 1, 1)
            }?;
            latest(entries.iter().copied().filter(|a| a.as_of < end)).map(|a| a.value)
        })
        .collect()
}

/// The entry that counts: the latest by date, then the latest recorded.
fn latest<'a>(entries: impl Iterator<Item = &'a Actual>) -> Option<&'a Actual> {
    entries.max_by_key(|a| (a.as_of, a.id))
}

fn ratio(n: f64, d: f64) -> Option<f64> {
    (d > 0.0).then(|| n / d)
}

/// Everything the dashboard reads, gathered by [`App::plan_dashboard`].
pub(crate) struct Inputs<'a> {
    pub year: i32,
    pub today: NaiveDate,
    pub plan: &'a Plan,
    pub actuals: &'a [Actual],
    pub last_actuals: &'a [Actual],
    pub facts: &'a PlanFacts,
    pub events: EventsSummary,
    pub last_events: &'a EventsSummary,
    /// (event, organization) confirmed at the year's events held.
    pub event_orgs: &'a [(i64, i64)],
}

/// What the dashboard and the annual report are computed from.
pub(crate) struct Gathered {
    pub year: i32,
    pub today: NaiveDate,
    pub plan: Plan,
    pub actuals: Vec<Actual>,
    pub last_actuals: Vec<Actual>,
    pub facts: PlanFacts,
    pub events: EventsSummary,
    pub last_events: EventsSummary,
    pub event_orgs: Vec<(i64, i64)>,
}

impl Gathered {
    pub fn dashboard(&self) -> Dashboard {
        compute(Inputs {
            year: self.year,
            today: self.today,
            plan: &self.plan,
            actuals: &self.actuals,
            last_actuals: &self.last_actuals,
            facts: &self.facts,
            events: self.events.clone(),
            last_events: &self.last_events,
            event_orgs: &self.event_orgs,
        })
    }
}

pub(crate) fn china_year(t: DateTime<Utc>) -> i32 {
    china_date(t).year()
}

fn targets(i: &Inputs) -> Vec<TargetProgress> {
    let months = months_elapsed(i.year, i.today);
    i.plan
        .targets
        .iter()
        .map(|t| {
            let (source, actual, as_of, monthly, last_year, basis) = match measure(&t.code) {
                Some(m) => {
                    let dates = dated(m, i.year, i.facts, &i.events);
                    let last = dated(m, i.year - 1, i.facts, i.last_events);
                    let last_year =
                        (!last.is_empty()).then(|| cumulative(last.into_iter(), i.year - 1, 12));
                    let actual = dates.len() as f64;
                    (
                        Source::Counted,
                        Some(actual),
                        None,
                        cumulative(dates.into_iter(), i.year, months),
                        last_year,
                        m.basis(),
                    )
                }
                None => {
                    let mine: Vec<&Actual> =
                        i.actuals.iter().filter(|a| a.code == t.code).collect();
                    let last: Vec<&Actual> =
                        i.last_actuals.iter().filter(|a| a.code == t.code).collect();
                    let counts = latest(mine.iter().copied());
                    (
                        Source::Manual,
                        counts.map(|a| a.value),
                        counts.map(|a| a.as_of),
                        manual_curve(&mine, i.year, months),
                        (!last.is_empty()).then(|| manual_curve(&last, i.year - 1, 12)),
                        MANUAL_BASIS.to_string(),
                    )
                }
            };
            TargetProgress {
                code: t.code.clone(),
                label: t.label.clone(),
                unit: t.unit.clone(),
                target: t.target,
                min: t.min,
                progress: actual.and_then(|a| ratio(a, t.target)),
                actual,
                source,
                source_label: source.label_zh().into(),
                basis,
                as_of,
                monthly,
                last_year,
            }
        })
        .collect()
}

fn status_counts<'a>(projects: impl Iterator<Item = &'a ProjectRow>) -> Vec<Count> {
    let mut tally: BTreeMap<&str, u64> = BTreeMap::new();
    for p in projects {
        *tally.entry(p.status.code()).or_insert(0) += 1;
    }
    ProjectStatus::ALL
        .iter()
        .map(|s| Count {
            code: s.code().into(),
            label: s.label_zh().into(),
            count: tally.get(s.code()).copied().unwrap_or(0),
        })
        .collect()
}

fn breakdown<'a>(
    projects: &[&'a ProjectRow],
    key: impl Fn(&'a ProjectRow) -> (Option<String>, String),
) -> Vec<Breakdown> {
    let mut groups: BTreeMap<Option<String>, Breakdown> = BTreeMap::new();
    for p in projects {
        let (code, label) = key(p);
        let b = groups.entry(code.clone()).or_insert(Breakdown {
            code,
            label,
            projects: 0,
            key_projects: 0,
            contracted: 0,
            contract_amount: 0.0,
        });
        b.projects += 1;
        b.key_projects += u64::from(p.fields.key_project);
        if p.status.is_contracted() {
            b.contracted += 1;
            b.contract_amount += p.fields.contract_amount_wan.unwrap_or(0.0);
        }
    }
    let mut out: Vec<Breakdown> = groups.into_values().collect();
    // Most projects first; the unrecorded group last.
    out.sort_by(|a, b| {
        (a.code.is_none(), std::cmp::Reverse(a.projects), &a.code).cmp(&(
            b.code.is_none(),
            std::cmp::Reverse(b.projects),
            &b.code,
        ))
    });
    out
}

fn project_figures(year: i32, facts: &PlanFacts) -> ProjectFigures {
    let mine: Vec<&ProjectRow> = facts
        .projects
        .iter()
        .filter(|p| p.fields.plan_year == year)
        .collect();
    let count = |f: &dyn Fn(&ProjectRow) -> bool| mine.iter().filter(|p| f(p)).count() as u64;
    ProjectFigures {
        total: mine.len() as u64,
        key_projects: count(&|p| p.fields.key_project),
        contracted: count(&|p| p.status.is_contracted()),
        completed: count(&|p| p.status == ProjectStatus::Completed),
        terminated: count(&|p| p.status == ProjectStatus::Terminated),
        contract_amount: mine
            .iter()
            .filter(|p| p.status.is_contracted())
            .filter_map(|p| p.fields.contract_amount_wan)
            .sum(),
        by_status: status_counts(mine.iter().copied()),
        key_by_status: status_counts(mine.iter().copied().filter(|p| p.fields.key_project)),
        by_field: breakdown(&mine, |p| match p.fields.field {
            Some(f) => (Some(f.code().to_string()), f.label_zh().to_string()),
            None => (None, "未填写".into()),
        }),
        by_district: breakdown(&mine, |p| match &p.fields.district {
            Some(d) => (Some(d.clone()), d.clone()),
            None => (None, "未填写".into()),
        }),
    }
}

fn overdue(today: NaiveDate, facts: &PlanFacts) -> Vec<OverdueMilestone> {
    let projects: HashMap<i64, &ProjectRow> = facts.projects.iter().map(|p| (p.id, p)).collect();
    facts
        .overdue
        .iter()
        .filter_map(|o| {
            let p = projects.get(&o.project_id)?;
            Some(OverdueMilestone {
                milestone_id: o.milestone_id,
                project_id: o.project_id,
                project_title: p.fields.title.clone(),
                key_project: p.fields.key_project,
                title: o.title.clone(),
                due_on: o.due_on,
                days_overdue: (today - o.due_on).num_days(),
            })
        })
        .collect()
}

/// The funnel's stages in order: (code, label, optional).
pub const STAGES: [(&str, &str, bool); 7] = [
    ("published", "发布需求", false),
    ("suggested", "推荐匹配", false),
    ("accepted", "采纳推荐", false),
    ("met_at_event", "活动洽谈", true),
    ("agreement", "达成意向", false),
    ("signed", "签订合同", false),
    ("completed", "项目完成", false),
];

fn earliest(slot: &mut Option<NaiveDate>, d: NaiveDate) {
    if slot.is_none_or(|s| d < s) {
        *slot = Some(d);
    }
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// Needs published in `year`, each with the day it reached each stage.
fn funnel(year: i32, facts: &PlanFacts) -> Vec<FunnelStage> {
    let mut dates: BTreeMap<i64, [Option<NaiveDate>; 7]> = facts
        .needs
        .iter()
        .filter(|n| china_date(n.published_at).year() == year)
        .map(|n| {
            let mut d = [None; 7];
            d[0] = Some(china_date(n.published_at));
            (n.id, d)
        })
        .collect();
    for s in &facts.suggestions {
        let Some(d) = dates.get_mut(&s.need_id) else {
            continue;
        };
        earliest(&mut d[1], china_date(s.created_at));
        if matches!(
            s.status,
            SuggestionStatus::Accepted | SuggestionStatus::Contacted
        ) {
            earliest(&mut d[2], china_date(s.decided_at.unwrap_or(s.created_at)));
        }
    }
    for m in &facts.meetings {
        let Some(d) = dates.get_mut(&m.need_id) else {
            continue;
        };
        if m.held {
            earliest(&mut d[3], china_date(m.slot_start));
        }
        if let Some(on) = m.agreed_on {
            earliest(&mut d[4], on);
        }
    }
    for p in &facts.projects {
        let Some(d) = p.fields.need_id.and_then(|n| dates.get_mut(&n)) else {
            continue;
        };
        earliest(&mut d[4], china_date(p.created_at));
        if let Some(s) = p
            .fields
            .signed_on
            .filter(|_| p.status.is_contracted() || p.status == ProjectStatus::Terminated)
        {
            earliest(&mut d[5], s);
        }
        if p.status == ProjectStatus::Completed {
            earliest(
                &mut d[6],
                p.completed_on.unwrap_or_else(|| china_date(p.updated_at)),
            );
        }
    }
    // The furthest stage each need reached that is not optional; meeting at
    // an event also means it was suggested and accepted.
    let furthest = |d: &[Option<NaiveDate>; 7]| {
        (0..7)
            .rev()
            .find(|&k| d[k].is_some())
            .map(|k| if k == 3 { 2 } else { k })
            .unwrap_or(0)
    };
    let mut counts = [0u64; 7];
    for d in dates.values() {
        let f = furthest(d);
        for (k, (_, _, optional)) in STAGES.iter().enumerate() {
            if if *optional { d[k].is_some() } else { f >= k } {
                counts[k] += 1;
            }
        }
    }
    let previous = |k: usize| (0..k).rev().find(|&j| !STAGES[j].2);
    STAGES
        .iter()
        .enumerate()
        .map(|(k, (code, label, optional))| {
            let prev = previous(k);
            let days: Vec<i64> = prev
                .map(|p| {
                    dates
                        .values()
                        .filter_map(|d| Some((d[k]? - d[p]?).num_days()))
                        .filter(|&n| n >= 0)
                        .collect()
                })
                .unwrap_or_default();
            FunnelStage {
                code: code.to_string(),
                label: label.to_string(),
                count: counts[k],
                optional: *optional,
                conversion: prev.and_then(|p| ratio(counts[k] as f64, counts[p] as f64)),
                of_published: ratio(counts[k] as f64, counts[0] as f64),
                timed: days.len() as u64,
                median_days: median(days),
            }
        })
        .collect()
}

/// The dashboard from what [`App::plan_dashboard`] gathered.
pub(crate) fn compute(i: Inputs) -> Dashboard {
    let mut orgs: std::collections::BTreeSet<i64> = i.event_orgs.iter().map(|(_, o)| *o).collect();
    for p in i
        .facts
        .projects
        .iter()
        .filter(|p| p.fields.plan_year == i.year)
    {
        orgs.extend(p.partner_orgs());
    }
    Dashboard {
        year: i.year,
        plan: i.plan.name.clone(),
        as_of: i.today,
        months: months_elapsed(i.year, i.today),
        targets: targets(&i),
        projects: project_figures(i.year, i.facts),
        overdue_milestones: overdue(i.today, i.facts),
        funnel: funnel(i.year, i.facts),
        organizations: orgs.len() as u64,
        events: i.events,
    }
}

impl App {
    /// The dashboard of a plan year (staff), on today's date in China.
    pub async fn plan_dashboard(&self, who: &Principal, year: i32) -> Result<Dashboard> {
        authorize(who, Resource::Bureau, Action::Read)?;
        self.dashboard_on(year, crate::projects::today()).await
    }

    /// The dashboard of `year` as it stands on `today` (no permission check:
    /// for callers that already checked, and the benchmark).
    pub async fn dashboard_on(&self, year: i32, today: NaiveDate) -> Result<Dashboard> {
        Ok(self.gather_dashboard(year, today).await?.dashboard())
    }

    pub(crate) async fn gather_dashboard(&self, year: i32, today: NaiveDate) -> Result<Gathered> {
        if !(2000..=2100).contains(&year) {
            return Err(Error::field("year", "must be 2000–2100"));
        }
        let plan = self.annual_plan(year).await?;
        let store = self.store();
        let (events, facts) = self.events_summary_with_facts(year).await?;
        let confirmed = qiao_core::vocab::RegistrationStatus::Confirmed.code();
        let mut event_orgs: Vec<(i64, i64)> = facts
            .into_iter()
            .flat_map(|(event, f)| {
                f.registrations
                    .into_iter()
                    .filter(|r| r.status == confirmed)
                    .map(move |r| (event, r.org_id))
            })
            .collect();
        event_orgs.sort_unstable();
        event_orgs.dedup();
        Ok(Gathered {
            year,
            today,
            actuals: store.actuals(year).await?,
            last_actuals: store.actuals(year - 1).await?,
            facts: store.plan_facts(year, today).await?,
            last_events: self.events_summary(year - 1).await?,
            events,
            event_orgs,
            plan,
        })
    }
}

#[cfg(test)]
mod tests;
