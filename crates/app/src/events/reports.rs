//! The record of events held: each event's report (registrations,
//! attendance, meetings, outcomes, agreements, projects) and the year's
//! events by kind against the stored plan. The plan dashboard takes its
//! event figures from [`App::events_summary`], so both count alike.

use crate::policy::Action;
use crate::{App, Principal, Result};
use qiao_core::vocab::{
    EventKind, FollowUpStatus, MeetingOutcome, MeetingRequestStatus, MeetingStatus, OrgKind,
    RegistrationStatus, Vocabulary,
};
use qiao_store::events::EventRow;
use qiao_store::events::reports::EventFacts;
use qiao_tabular::{Cell, Column, HeaderStyle, Table};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A count under a code, with its Chinese label.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Count {
    pub code: String,
    pub label: String,
    pub count: u64,
}

fn counts<V: Vocabulary>(tally: &BTreeMap<String, u64>) -> Vec<Count> {
    V::ALL
        .iter()
        .map(|v| Count {
            code: v.code().into(),
            label: v.label_zh().into(),
            count: tally.get(v.code()).copied().unwrap_or(0),
        })
        .collect()
}

/// The figures of one event.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventFigures {
    /// Registrations by status.
    pub registrations: Vec<Count>,
    /// Confirmed registrations by kind of organization.
    pub participants_by_org_kind: Vec<Count>,
    /// Confirmed organizations.
    pub participants: u64,
    /// Attendees named on confirmed registrations.
    pub attendees_registered: u64,
    pub attendees_checked_in: u64,
    pub attendees_late: u64,
    /// Organizations with at least one attendee checked in.
    pub organizations_present: u64,
    /// Requests sent (staff drafts not counted), by status.
    pub meeting_requests: Vec<Count>,
    pub meetings_requested: u64,
    pub meetings_scheduled: u64,
    pub meetings_held: u64,
    /// Each side's recorded outcome, counted per side.
    pub outcomes: Vec<Count>,
    pub follow_ups: Vec<Count>,
    /// Meetings whose follow-up reached an agreement.
    pub agreements: u64,
    /// Cooperation projects opened from the event's meetings.
    pub projects_opened: u64,
}

impl EventFigures {
    pub(crate) fn of(facts: &EventFacts) -> Self {
        let confirmed = RegistrationStatus::Confirmed.code();
        let mut by_status = BTreeMap::new();
        let mut by_kind = BTreeMap::new();
        let mut attendees_registered = 0;
        for r in &facts.registrations {
            *by_status.entry(r.status.clone()).or_insert(0) += 1;
            if r.status == confirmed {
                *by_kind.entry(r.org_kind.clone()).or_insert(0) += 1;
                attendees_registered += r.attendees as u64;
            }
        }
        let present: BTreeSet<i64> = facts.checked_in.iter().map(|(r, _)| *r).collect();
        let mut requests = BTreeMap::new();
        for s in &facts.requests {
            *requests.entry(s.clone()).or_insert(0) += 1;
        }
        let meetings_requested = facts
            .requests
            .iter()
            .filter(|s| s.as_str() != MeetingRequestStatus::Draft.code())
            .count() as u64;
        let mut outcomes = BTreeMap::new();
        let mut follow_ups = BTreeMap::new();
        let mut projects = BTreeSet::new();
        for m in &facts.meetings {
            for o in [&m.outcome_a, &m.outcome_b].into_iter().flatten() {
                *outcomes.entry(o.clone()).or_insert(0) += 1;
            }
            if let Some(f) = &m.follow_up_status {
                *follow_ups.entry(f.clone()).or_insert(0) += 1;
            }
            if let Some(p) = m.project_id {
                projects.insert(p);
            }
        }
        let scheduled = facts
            .meetings
            .iter()
            .filter(|m| m.status != MeetingStatus::Cancelled.code())
            .count() as u64;
        let held = facts
            .meetings
            .iter()
            .filter(|m| m.status == MeetingStatus::Held.code())
            .count() as u64;
        Self {
            registrations: counts::<RegistrationStatus>(&by_status),
            participants_by_org_kind: counts::<OrgKind>(&by_kind),
            participants: by_status.get(confirmed).copied().unwrap_or(0),
            attendees_registered,
            attendees_checked_in: facts.checked_in.len() as u64,
            attendees_late: facts.checked_in.iter().filter(|(_, late)| *late).count() as u64,
            organizations_present: present.len() as u64,
            meeting_requests: counts::<MeetingRequestStatus>(&requests),
            meetings_requested,
            meetings_scheduled: scheduled,
            meetings_held: held,
            outcomes: counts::<MeetingOutcome>(&outcomes),
            agreements: follow_ups
                .get(FollowUpStatus::Agreed.code())
                .copied()
                .unwrap_or(0),
            follow_ups: counts::<FollowUpStatus>(&follow_ups),
            projects_opened: projects.len() as u64,
        }
    }
}

/// One event's report.
#[derive(Debug, Clone)]
pub struct EventReport {
    pub event: EventRow,
    pub figures: EventFigures,
}

/// A held event in the year's summary.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HeldEvent {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub participants: u64,
    pub meetings_held: u64,
    pub agreements: u64,
    pub projects_opened: u64,
}

/// Events of one kind held in the year against the plan's target.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KindLine {
    pub kind: String,
    pub label: String,
    /// The plan target counting this kind.
    pub target_code: String,
    /// From the stored plan; absent when the plan has no such target.
    pub target: Option<f64>,
    pub min: Option<f64>,
    pub held: u64,
    /// held / target, when there is a target.
    pub progress: Option<f64>,
}

/// The year's events held, by kind, against the stored plan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EventsSummary {
    pub year: i32,
    /// The plan's name, when a plan for the year is stored.
    pub plan: Option<String>,
    pub by_kind: Vec<KindLine>,
    pub events_held: u64,
    pub participants: u64,
    pub meetings_held: u64,
    pub agreements: u64,
    pub projects_opened: u64,
    pub events: Vec<HeldEvent>,
}

impl App {
    /// One event's report (staff).
    pub async fn event_report(&self, who: &Principal, id: i64) -> Result<EventReport> {
        self.require_staff(who, Action::Read)?;
        let event = self.store().visible_event(who.scope(), id).await?;
        let facts = self.store().event_facts(&[id]).await?;
        let figures = EventFigures::of(facts.get(&id).unwrap_or(&EventFacts::default()));
        Ok(EventReport { event, figures })
    }

    /// The year's events held against the plan (staff).
    pub async fn events_summary_for(&self, who: &Principal, year: i32) -> Result<EventsSummary> {
        self.require_staff(who, Action::Read)?;
        if !(2000..=2100).contains(&year) {
            return Err(crate::Error::field("year", "must be 2000–2100"));
        }
        self.events_summary(year).await
    }

    /// The year's events held (status held or closed, starting in the year,
    /// China time) by kind, against the targets read from the stored plan by
    /// their codes. The plan dashboard reads its event figures here.
    pub async fn events_summary(&self, year: i32) -> Result<EventsSummary> {
        Ok(self.events_summary_with_facts(year).await?.0)
    }

    /// The summary with the facts it counted, by event, for callers that
    /// read more of them (the dashboard's organizations).
    pub(crate) async fn events_summary_with_facts(
        &self,
        year: i32,
    ) -> Result<(EventsSummary, std::collections::HashMap<i64, EventFacts>)> {
        let held = self.store().events_held(year).await?;
        let ids: Vec<i64> = held.iter().map(|e| e.id).collect();
        let facts = self.store().event_facts(&ids).await?;
        let plan = self.store().plan(year).await?;
        let mut events = Vec::new();
        let mut tally: BTreeMap<EventKind, u64> = BTreeMap::new();
        for e in &held {
            let f = EventFigures::of(facts.get(&e.id).unwrap_or(&EventFacts::default()));
            *tally.entry(e.fields.kind).or_insert(0) += 1;
            events.push(HeldEvent {
                id: e.id,
                name: e.fields.name.clone(),
                kind: e.fields.kind.code().into(),
                starts_at: e.fields.starts_at,
                participants: f.participants,
                meetings_held: f.meetings_held,
                agreements: f.agreements,
                projects_opened: f.projects_opened,
            });
        }
        let by_kind = EventKind::ALL
            .iter()
            .map(|&kind| {
                let target = plan
                    .as_ref()
                    .and_then(|p| p.targets.iter().find(|t| t.code == kind.plan_target_code()));
                let held = tally.get(&kind).copied().unwrap_or(0);
                KindLine {
                    kind: kind.code().into(),
                    label: kind.label_zh().into(),
                    target_code: kind.plan_target_code().into(),
                    target: target.map(|t| t.target),
                    min: target.and_then(|t| t.min),
                    held,
                    progress: target
                        .filter(|t| t.target > 0.0)
                        .map(|t| held as f64 / t.target),
                }
            })
            .collect();
        let sum = |f: fn(&HeldEvent) -> u64| events.iter().map(f).sum::<u64>();
        let summary = EventsSummary {
            year,
            plan: plan.map(|p| p.name),
            by_kind,
            events_held: events.len() as u64,
            participants: sum(|e| e.participants),
            meetings_held: sum(|e| e.meetings_held),
            agreements: sum(|e| e.agreements),
            projects_opened: sum(|e| e.projects_opened),
            events,
        };
        Ok((summary, facts))
    }
}

fn col(key: &str, label: &str, width: f64) -> Column {
    Column {
        key: key.into(),
        label: label.into(),
        width,
    }
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// The report as a workbook: 概况 (headline figures) and one sheet per breakdown.
pub fn report_workbook(report: &EventReport) -> Result<Vec<u8>> {
    let e = &report.event.fields;
    let f = &report.figures;
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let when = format!(
        "{} – {}",
        e.starts_at.with_timezone(&china).format("%Y-%m-%d %H:%M"),
        e.ends_at.with_timezone(&china).format("%Y-%m-%d %H:%M")
    );
    let pairs: Vec<(&str, &str, Cell)> = vec![
        ("name", "活动名称", text(e.name.clone())),
        ("kind", "活动类型", text(e.kind.label_zh())),
        ("status", "状态", text(report.event.status.label_zh())),
        ("time", "时间", text(when)),
        ("venue", "地点", text(e.venue.clone())),
        (
            "participants",
            "参会单位（已确认）",
            Cell::Int(f.participants as i64),
        ),
        (
            "attendees_registered",
            "报名人数",
            Cell::Int(f.attendees_registered as i64),
        ),
        (
            "attendees_checked_in",
            "签到人数",
            Cell::Int(f.attendees_checked_in as i64),
        ),
        (
            "attendees_late",
            "迟到人数",
            Cell::Int(f.attendees_late as i64),
        ),
        (
            "organizations_present",
            "到场单位",
            Cell::Int(f.organizations_present as i64),
        ),
        (
            "meetings_requested",
            "洽谈申请",
            Cell::Int(f.meetings_requested as i64),
        ),
        (
            "meetings_scheduled",
            "安排洽谈",
            Cell::Int(f.meetings_scheduled as i64),
        ),
        (
            "meetings_held",
            "实际洽谈",
            Cell::Int(f.meetings_held as i64),
        ),
        ("agreements", "达成合作", Cell::Int(f.agreements as i64)),
        (
            "projects_opened",
            "转化为合作项目",
            Cell::Int(f.projects_opened as i64),
        ),
    ];
    let summary = Table {
        columns: vec![col("item", "项目", 22.0), col("value", "数值", 48.0)],
        rows: pairs
            .into_iter()
            .map(|(_, label, v)| vec![text(label), v])
            .collect(),
    };
    let breakdown = |groups: &[(&str, &Vec<Count>)]| Table {
        columns: vec![
            col("group", "分类", 16.0),
            col("code", "代码", 22.0),
            col("label", "名称", 20.0),
            col("count", "数量", 10.0),
        ],
        rows: groups
            .iter()
            .flat_map(|(group, counts)| {
                counts.iter().map(move |c| {
                    vec![
                        text(*group),
                        text(c.code.clone()),
                        text(c.label.clone()),
                        Cell::Int(c.count as i64),
                    ]
                })
            })
            .collect(),
    };
    let registrations = breakdown(&[
        ("报名状态", &f.registrations),
        ("参会单位类型", &f.participants_by_org_kind),
    ]);
    let meetings = breakdown(&[
        ("洽谈申请", &f.meeting_requests),
        ("洽谈结果（每方）", &f.outcomes),
        ("跟踪回访", &f.follow_ups),
    ]);
    qiao_tabular::write_workbook_to_bytes(
        &[
            ("概况", &summary),
            ("报名", &registrations),
            ("洽谈", &meetings),
        ],
        HeaderStyle::Labels,
    )
    .map_err(|e| crate::Error::Internal(anyhow::anyhow!(e)))
}
