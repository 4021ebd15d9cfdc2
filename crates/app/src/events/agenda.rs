//! Agendas and table plans. An organization's agenda is its meetings at an
//! event with their tables, counterparts and reasons, as a calendar file, a
//! workbook or (rendered by the web layer) a printable page carrying the
//! registration's check-in QR code. Only staff and the organization's own
//! members see it; members see meetings once the schedule is published
//! (`qiao_core::access::meeting_visible_to`). The table plan is staff work.

use super::registrations::CHECKIN_PREFIX;
use crate::policy::Action;
use crate::{App, Error, Principal, Result, Viewer};
use chrono::{DateTime, FixedOffset, Utc};
use qiao_core::Scope;
use qiao_core::event::Window;
use qiao_core::vocab::RegistrationStatus;
use qiao_store::events::EventRow;
pub use qiao_store::events::agenda::{
    AgendaMeeting, AgendaRegistration, ListingTitle, PlannedMeeting,
};
use qiao_tabular::{Cell, Column, HeaderStyle, Table};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::Path;

pub const ICS_MIME: &str = "text/calendar; charset=utf-8";
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const SVG_MIME: &str = "image/svg+xml";

/// The sheet of an agenda workbook.
pub const AGENDA_SHEET: &str = "日程";
/// The columns of an agenda, in the workbook and on the page.
pub const AGENDA_COLUMNS: [&str; 5] = ["时间", "桌号", "洽谈对象", "事由", "涉及需求/成果"];
/// The sheet of a table-plan workbook.
pub const TABLE_PLAN_SHEET: &str = "桌位安排";

/// Times are shown in China's time (one zone, no daylight saving).
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

fn clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%H:%M").to_string()
}

fn day(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y年%-m月%-d日")
        .to_string()
}

fn short_day(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%-m月%-d日").to_string()
}

/// `09:00–09:20`, with the day in front when the event lasts several days.
fn span(start: DateTime<Utc>, end: DateTime<Utc>, with_day: bool) -> String {
    let times = format!("{}–{}", clock(start), clock(end));
    if with_day {
        format!("{} {times}", short_day(start))
    } else {
        times
    }
}

/// The event's dates and hours as a heading line.
pub fn event_period(event: &EventRow) -> String {
    let (start, end) = (event.fields.starts_at, event.fields.ends_at);
    if day(start) == day(end) {
        format!("{} {}–{}", day(start), clock(start), clock(end))
    } else {
        format!(
            "{} {} – {} {}",
            day(start),
            clock(start),
            day(end),
            clock(end)
        )
    }
}

fn multi_day(event: &EventRow) -> bool {
    // The last instant inside the event decides, so an event ending at midnight stays one day.
    let last = event.fields.ends_at - chrono::Duration::seconds(1);
    day(event.fields.starts_at) != day(last.max(event.fields.starts_at))
}

/// A calendar file keeps one line per property: CR alone or CRLF become LF,
/// which the writer escapes as `\n`.
fn one_kind_of_newline(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// The format of an agenda download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgendaFormat {
    Ics,
    Xlsx,
    Html,
}

impl AgendaFormat {
    /// `ics`, `xlsx` or `html` (the default: the printable page).
    pub fn parse(name: Option<&str>) -> Result<Self> {
        match name.unwrap_or("html") {
            "ics" => Ok(Self::Ics),
            "xlsx" => Ok(Self::Xlsx),
            "html" => Ok(Self::Html),
            other => Err(Error::field(
                "format",
                format!("\"{other}\" is not one of ics, xlsx, html"),
            )),
        }
    }

    /// By a file's extension (the command line).
    pub fn from_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_string_lossy().to_lowercase();
        match ext.as_str() {
            "ics" => Some(Self::Ics),
            "xlsx" => Some(Self::Xlsx),
            "html" | "htm" => Some(Self::Html),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Ics => "ics",
            Self::Xlsx => "xlsx",
            Self::Html => "html",
        }
    }
}

/// One line of an agenda as people read it (the page and the workbook).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgendaRow {
    pub time: String,
    pub table_no: i32,
    pub counterpart: String,
    pub reason: String,
    /// `需求：…；成果：…`
    pub listings: String,
    /// Placed but not yet published (only staff see such meetings).
    pub unpublished: bool,
}

/// One organization's agenda at an event.
#[derive(Debug, Clone)]
pub struct Agenda {
    pub event: EventRow,
    pub registration: AgendaRegistration,
    /// In time order.
    pub meetings: Vec<AgendaMeeting>,
}

fn listings_line(m: &AgendaMeeting) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &m.need {
        parts.push(format!("需求：{}", n.title));
    }
    if let Some(c) = &m.capability {
        parts.push(format!("成果：{}", c.title));
    }
    parts.join("；")
}

impl Agenda {
    /// The meetings as rows of the agenda table.
    pub fn rows(&self) -> Vec<AgendaRow> {
        let with_day = multi_day(&self.event);
        self.meetings
            .iter()
            .map(|m| AgendaRow {
                time: span(m.slot_start, m.slot_end, with_day),
                table_no: m.table_no,
                counterpart: m.counterpart.clone(),
                reason: m.reason.clone(),
                listings: listings_line(m),
                unpublished: !m.published,
            })
            .collect()
    }

    /// `{venue} 第N桌`
    pub fn location(&self, table_no: i32) -> String {
        let venue = self.event.fields.venue.trim();
        if venue.is_empty() {
            format!("第{table_no}桌")
        } else {
            format!("{venue} 第{table_no}桌")
        }
    }

    /// The check-in code's SVG, while the registration is confirmed and has a token.
    pub fn checkin_svg(&self) -> Option<String> {
        checkin_code(&self.registration).map(|token| checkin_svg(&token))
    }

    /// Download names: an ASCII fallback and the Chinese one, both with the event id.
    pub fn file_names(&self, format: AgendaFormat) -> (String, String) {
        let ext = format.extension();
        let event = self.event.id;
        let org = self.registration.org_id;
        (
            format!("qiao-event-{event}-agenda-{org}.{ext}"),
            format!(
                "活动{event}-日程-{}.{ext}",
                file_safe(&self.registration.org_name)
            ),
        )
    }

    /// The agenda as an iCalendar file: the event itself, then one event per
    /// meeting, in UTC.
    pub fn to_ics(&self) -> String {
        use icalendar::{Calendar, Component, EventLike, EventStatus, Property};
        let now = Utc::now();
        let e = &self.event.fields;
        let mut calendar = Calendar::empty();
        for (key, value) in [
            ("VERSION", "2.0"),
            ("PRODID", "-//Qiao//Agenda 1.0//ZH"),
            ("CALSCALE", "GREGORIAN"),
            ("METHOD", "PUBLISH"),
        ] {
            calendar.append_property(Property::new(key, value));
        }
        calendar.name(&one_kind_of_newline(&format!(
            "{} · {}",
            e.name, self.registration.org_name
        )));

        let mut event = icalendar::Event::new();
        event
            .uid(&format!("event-{}@qiao", self.event.id))
            .timestamp(now)
            .starts(e.starts_at)
            .ends(e.ends_at)
            .summary(&one_kind_of_newline(&e.name))
            .status(EventStatus::Confirmed);
        if !e.venue.trim().is_empty() {
            event.location(&one_kind_of_newline(&e.venue));
        }
        if !e.description.trim().is_empty() {
            event.description(&one_kind_of_newline(&e.description));
        }
        calendar.push(event.done());

        for m in &self.meetings {
            let mut lines = Vec::new();
            if !m.reason.trim().is_empty() {
                lines.push(format!("事由：{}", m.reason));
            }
            if let Some(n) = &m.need {
                lines.push(format!("涉及需求：{}", n.title));
            }
            if let Some(c) = &m.capability {
                lines.push(format!("涉及成果：{}", c.title));
            }
            lines.push(format!("活动：{}", e.name));
            let mut meeting = icalendar::Event::new();
            meeting
                .uid(&format!("meeting-{}@qiao", m.id))
                .timestamp(now)
                .starts(m.slot_start)
                .ends(m.slot_end)
                .summary(&one_kind_of_newline(&format!(
                    "对接洽谈：{}",
                    m.counterpart
                )))
                .location(&one_kind_of_newline(&self.location(m.table_no)))
                .description(&one_kind_of_newline(&lines.join("\n")))
                .status(if m.published {
                    EventStatus::Confirmed
                } else {
                    EventStatus::Tentative
                });
            calendar.push(meeting.done());
        }
        calendar.done().to_string()
    }

    /// The agenda as a workbook: one sheet `日程`.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        let rows = self
            .rows()
            .into_iter()
            .map(|r| {
                vec![
                    Cell::Text(r.time),
                    Cell::Int(r.table_no.into()),
                    Cell::Text(r.counterpart),
                    Cell::Text(r.reason),
                    Cell::Text(r.listings),
                ]
            })
            .collect();
        let keys = ["time", "table_no", "counterpart", "reason", "listings"];
        let widths = [24.0, 8.0, 30.0, 50.0, 50.0];
        let columns = AGENDA_COLUMNS
            .iter()
            .zip(keys)
            .zip(widths)
            .map(|((label, key), width)| Column {
                key: key.into(),
                label: (*label).into(),
                width,
            })
            .collect();
        workbook(AGENDA_SHEET, Table { columns, rows })
    }
}

/// A name as it may stand in a file name: no path separators or characters
/// that some systems refuse.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}

/// The check-in token of a registration that may check in.
fn checkin_code(r: &AgendaRegistration) -> Option<String> {
    if r.status != RegistrationStatus::Confirmed {
        return None;
    }
    r.checkin_token.clone().filter(|t| !t.is_empty())
}

/// What the QR code encodes: `QIAO-CHECKIN:<token>`.
pub fn checkin_payload(token: &str) -> String {
    format!("{CHECKIN_PREFIX}{token}")
}

/// The check-in QR code as an `<svg>` element, fit to stand inline in a page:
/// no XML declaration, no `style` attributes (the pages' policy refuses them),
/// colours as presentation attributes.
pub fn checkin_svg(token: &str) -> String {
    use qrcode::render::svg;
    use qrcode::{EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(checkin_payload(token), EcLevel::M)
        .expect("a check-in payload of a few dozen bytes fits a QR code");
    let rendered = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .quiet_zone(true)
        .build();
    let element = match rendered.find("<svg") {
        Some(i) => &rendered[i..],
        None => rendered.as_str(),
    };
    element.replacen(
        "<svg ",
        "<svg class=\"qr\" role=\"img\" aria-label=\"签到二维码\" ",
        1,
    )
}

/// A stand-alone SVG file of the check-in code.
pub fn checkin_svg_document(token: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        checkin_svg(token)
    )
}

/// One table in one slot of the plan: a meeting, or free.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanCell {
    pub table_no: i32,
    pub meeting_id: Option<i64>,
    pub org_a: String,
    pub org_b: String,
    pub unpublished: bool,
}

impl PlanCell {
    pub fn is_free(&self) -> bool {
        self.meeting_id.is_none()
    }
}

/// One slot of the plan with every table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanSlot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub time: String,
    pub cells: Vec<PlanCell>,
    pub free: usize,
}

/// The whole event's tables per slot, for staff.
#[derive(Debug, Clone)]
pub struct TablePlan {
    pub event: EventRow,
    pub tables: i32,
    pub slots: Vec<PlanSlot>,
    pub meetings: usize,
    pub unpublished: usize,
}

/// Free-table text, in the workbook and on the page.
pub const FREE: &str = "空闲";
/// Between the two organizations of a meeting in a table-plan cell.
pub const PAIR: &str = " ↔ ";

impl TablePlan {
    /// Lays meetings out by slot and table: the event's slots (from its
    /// meeting hours), plus any slot a meeting sits in that the settings no
    /// longer produce; as many tables as the event has, or the highest table used.
    pub fn build(event: EventRow, meetings: Vec<PlannedMeeting>) -> Self {
        let tables = meetings
            .iter()
            .map(|m| m.table_no)
            .max()
            .unwrap_or(0)
            .max(event.fields.meeting.tables)
            .max(0);
        let mut windows: BTreeSet<(DateTime<Utc>, DateTime<Utc>)> = event
            .fields
            .meeting
            .slots(event.fields.starts_at, event.fields.ends_at)
            .into_iter()
            .map(|w: Window| (w.start, w.end))
            .collect();
        windows.extend(meetings.iter().map(|m| (m.slot_start, m.slot_end)));
        let with_day = multi_day(&event);
        let slots = windows
            .into_iter()
            .map(|(start, end)| {
                let mut cells: Vec<PlanCell> = (1..=tables)
                    .map(|table_no| PlanCell {
                        table_no,
                        meeting_id: None,
                        org_a: String::new(),
                        org_b: String::new(),
                        unpublished: false,
                    })
                    .collect();
                for m in meetings
                    .iter()
                    .filter(|m| m.slot_start == start && m.slot_end == end)
                {
                    let Some(cell) = usize::try_from(m.table_no - 1)
                        .ok()
                        .and_then(|i| cells.get_mut(i))
                    else {
                        continue;
                    };
                    // Two meetings at one table would be a scheduling fault;
                    // the first (by table, then id) is shown.
                    if cell.meeting_id.is_none() {
                        *cell = PlanCell {
                            table_no: m.table_no,
                            meeting_id: Some(m.id),
                            org_a: m.org_a.clone(),
                            org_b: m.org_b.clone(),
                            unpublished: !m.published,
                        };
                    }
                }
                let free = cells.iter().filter(|c| c.is_free()).count();
                PlanSlot {
                    start,
                    end,
                    time: span(start, end, with_day),
                    cells,
                    free,
                }
            })
            .collect();
        let unpublished = meetings.iter().filter(|m| !m.published).count();
        Self {
            event,
            tables,
            slots,
            meetings: meetings.len(),
            unpublished,
        }
    }

    /// The plan as a workbook: one sheet `桌位安排`, a row per slot and a
    /// column per table; a meeting's cell names both organizations.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        let mut columns = vec![Column {
            key: "time".into(),
            label: "时间".into(),
            width: 24.0,
        }];
        columns.extend((1..=self.tables).map(|t| Column {
            key: format!("table_{t}"),
            label: format!("第{t}桌"),
            width: 36.0,
        }));
        let rows = self
            .slots
            .iter()
            .map(|s| {
                let mut row = vec![Cell::Text(s.time.clone())];
                row.extend(s.cells.iter().map(|c| {
                    Cell::Text(if c.is_free() {
                        FREE.to_string()
                    } else {
                        format!("{}{PAIR}{}", c.org_a, c.org_b)
                    })
                }));
                row
            })
            .collect();
        workbook(TABLE_PLAN_SHEET, Table { columns, rows })
    }

    pub fn file_names(&self, format: AgendaFormat) -> (String, String) {
        let ext = format.extension();
        let event = self.event.id;
        (
            format!("qiao-event-{event}-table-plan.{ext}"),
            format!("活动{event}-桌位安排.{ext}"),
        )
    }
}

/// A workbook of one named sheet with a Chinese header row.
fn workbook(sheet: &str, table: Table) -> Result<Vec<u8>> {
    qiao_tabular::write_workbook_to_bytes(&[(sheet, &table)], HeaderStyle::Labels)
        .map_err(|e| Error::Internal(anyhow::anyhow!("writing the workbook: {e}")))
}

/// Staff, and the organization's own members, see its agenda.
fn own_or_staff(scope: Scope, org_id: i64) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(org) => org == org_id,
        Scope::Public => false,
    }
}

impl App {
    async fn agenda_in_scope(&self, scope: Scope, event_id: i64, org_id: i64) -> Result<Agenda> {
        let event = self.store().visible_event(scope, event_id).await?;
        if !own_or_staff(scope, org_id) {
            return Err(Error::NotFound);
        }
        let registration = self
            .store()
            .agenda_registration(event_id, org_id)
            .await?
            .ok_or(Error::NotFound)?;
        let meetings = self
            .store()
            .agenda_meetings(scope, event_id, org_id)
            .await?;
        Ok(Agenda {
            event,
            registration,
            meetings,
        })
    }

    /// An organization's agenda at an event: staff name any organization,
    /// members get their own (`org_id` may be left out). Anyone else, or an
    /// organization not registered there, finds nothing.
    pub async fn agenda(
        &self,
        viewer: &Viewer,
        event_id: i64,
        org_id: Option<i64>,
    ) -> Result<Agenda> {
        let who = viewer.principal().ok_or(Error::Unauthenticated)?;
        let scope = who.scope();
        // The event first: an unknown event is 404 whatever else is asked.
        self.store().visible_event(scope, event_id).await?;
        let org_id = match (org_id, who.org_id) {
            (Some(org), _) => org,
            (None, Some(own)) => own,
            (None, None) if scope == Scope::All => {
                return Err(Error::field(
                    "org_id",
                    "staff name the organization whose agenda they want",
                ));
            }
            (None, None) => return Err(Error::NotFound),
        };
        self.agenda_in_scope(scope, event_id, org_id).await
    }

    /// The operator's view (command line): any organization, by id or exact name.
    pub async fn operator_agenda(&self, event_id: i64, org: &str) -> Result<Agenda> {
        let org = org.trim();
        let org_id = match self.store().organization_id_by_name(org).await? {
            Some(id) => id,
            None => org
                .parse::<i64>()
                .map_err(|_| Error::field("org", format!("no organization named \"{org}\"")))?,
        };
        self.agenda_in_scope(Scope::All, event_id, org_id).await
    }

    /// The check-in QR code of a registration as an SVG file: for staff and
    /// the registering organization's members, once the registration is confirmed.
    pub async fn checkin_code_svg(
        &self,
        viewer: &Viewer,
        event_id: i64,
        registration_id: i64,
    ) -> Result<String> {
        let who = viewer.principal().ok_or(Error::Unauthenticated)?;
        let scope = who.scope();
        self.store().visible_event(scope, event_id).await?;
        let registration = self
            .store()
            .event_registration(event_id, registration_id)
            .await?
            .filter(|r| own_or_staff(scope, r.org_id))
            .ok_or(Error::NotFound)?;
        match checkin_code(&registration) {
            Some(token) => Ok(checkin_svg_document(&token)),
            None => Err(Error::Conflict(format!(
                "registration {registration_id} is {}: the check-in code comes with confirmation",
                qiao_core::vocab::Vocabulary::code(registration.status)
            ))),
        }
    }

    /// The event's table plan (staff).
    pub async fn table_plan(&self, who: &Principal, event_id: i64) -> Result<TablePlan> {
        self.require_staff(who, Action::Read)?;
        let scope = who.scope();
        let event = self.store().visible_event(scope, event_id).await?;
        let meetings = self.store().table_plan_meetings(scope, event_id).await?;
        Ok(TablePlan::build(event, meetings))
    }
}

/// Writes an organization's agenda to `path` (`.ics` or `.xlsx`, by its
/// extension) as the operator sees it; returns the number of meetings.
pub async fn write_agenda(
    app: &App,
    event_id: i64,
    org: &str,
    path: &Path,
) -> anyhow::Result<usize> {
    let format = match AgendaFormat::from_path(path) {
        Some(f @ (AgendaFormat::Ics | AgendaFormat::Xlsx)) => f,
        _ => anyhow::bail!("{}: the agenda is written as .ics or .xlsx", path.display()),
    };
    let agenda = app
        .operator_agenda(event_id, org)
        .await
        .map_err(|e| match e {
            Error::NotFound => {
                anyhow::anyhow!("no event {event_id} with a registration of \"{org}\"")
            }
            Error::Invalid(errors) => anyhow::anyhow!(
                "{}",
                errors
                    .iter()
                    .map(|e| e.message.clone())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            other => anyhow::Error::new(other),
        })?;
    let bytes = match format {
        AgendaFormat::Ics => agenda.to_ics().into_bytes(),
        _ => agenda.to_xlsx()?,
    };
    std::fs::write(path, bytes)?;
    Ok(agenda.meetings.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike};
    use qiao_core::event::{EventFields, MeetingSettings};
    use qiao_core::vocab::{EventKind, EventStatus, MeetingStatus};

    /// China time on the event's day.
    fn at(h: u32, m: u32) -> DateTime<Utc> {
        china()
            .with_ymd_and_hms(2026, 5, 21, h, m, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn event() -> EventRow {
        EventRow {
            id: 7,
            status: EventStatus::RegistrationClosed,
            fields: EventFields {
                external_id: None,
                name: "2026 新能源产学研对接会".into(),
                kind: EventKind::Thematic,
                themes: vec![],
                description: "上午对接，下午参观".into(),
                starts_at: at(9, 0),
                ends_at: at(17, 0),
                venue: "琴岛国际会议中心, A厅".into(),
                district: None,
                organizer: "琴岛市科学技术局".into(),
                co_organizers: vec![],
                capacity: 100,
                registration_opens_at: None,
                registration_closes_at: None,
                published: true,
                auto_confirm: false,
                meeting: MeetingSettings {
                    slot_minutes: 20,
                    hours: vec![Window {
                        start: at(9, 0),
                        end: at(10, 0),
                    }],
                    tables: 3,
                    spare_share: 0.0,
                },
            },
            cloned_from: None,
            schedule_report: None,
            version: 1,
            created_at: at(0, 0),
            updated_at: at(0, 0),
        }
    }

    const TRICKY: &str = "电池热管理, 低温; 启动\\方案\n第二行：验证";

    fn meeting(id: i64, start: DateTime<Utc>, table_no: i32, counterpart: &str) -> AgendaMeeting {
        AgendaMeeting {
            id,
            slot_start: start,
            slot_end: start + chrono::Duration::minutes(20),
            table_no,
            status: MeetingStatus::Scheduled,
            published: true,
            counterpart_org_id: 100 + id,
            counterpart: counterpart.into(),
            reason: String::new(),
            need: None,
            capability: None,
        }
    }

    fn agenda() -> Agenda {
        let mut first = meeting(11, at(9, 0), 2, "琴岛理工大学");
        first.reason = TRICKY.into();
        first.need = Some(ListingTitle {
            id: 5,
            title: "动力电池热管理系统开发".into(),
        });
        first.capability = Some(ListingTitle {
            id: 6,
            title: "相变储热材料".into(),
        });
        Agenda {
            event: event(),
            registration: AgendaRegistration {
                id: 3,
                event_id: 7,
                org_id: 42,
                org_name: "甲新能源科技有限公司".into(),
                status: RegistrationStatus::Confirmed,
                checkin_token: Some("0123456789abcdef0123456789abcdef".into()),
            },
            meetings: vec![first, meeting(12, at(9, 20), 1, "海洋研究所, 青岛")],
        }
    }

    fn utc(t: Option<DatePerhapsTime>) -> DateTime<Utc> {
        match t {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(dt))) => dt,
            other => panic!("not a UTC date-time: {other:?}"),
        }
    }

    #[test]
    fn ics_parses_back_with_every_meeting() {
        let a = agenda();
        let text = a.to_ics();
        // Every line ends in CRLF and none is longer than 75 octets.
        assert!(text.ends_with("\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "unfolded line: {line:?}");
            assert!(!line.contains('\n') && !line.contains('\r'), "{line:?}");
        }
        let calendar: Calendar = text.parse().expect("the file parses");
        let events: Vec<_> = calendar.events().collect();
        assert_eq!(events.len(), a.meetings.len() + 1);

        let whole = events
            .iter()
            .find(|e| e.get_uid() == Some("event-7@qiao"))
            .expect("the event itself");
        assert_eq!(whole.get_summary(), Some("2026 新能源产学研对接会"));
        assert_eq!(whole.get_location(), Some("琴岛国际会议中心, A厅"));
        assert_eq!(utc(whole.get_start()), at(9, 0));
        assert_eq!(utc(whole.get_end()), at(17, 0));

        let first = events
            .iter()
            .find(|e| e.get_uid() == Some("meeting-11@qiao"))
            .expect("meeting 11");
        assert_eq!(first.get_summary(), Some("对接洽谈：琴岛理工大学"));
        assert_eq!(first.get_location(), Some("琴岛国际会议中心, A厅 第2桌"));
        assert_eq!(utc(first.get_start()), at(9, 0));
        assert_eq!(utc(first.get_end()), at(9, 20));
        let description = first.get_description().expect("a description");
        assert!(
            description.contains(&format!("事由：{TRICKY}")),
            "{description:?}"
        );
        assert!(description.contains("涉及需求：动力电池热管理系统开发"));
        assert!(description.contains("涉及成果：相变储热材料"));

        let second = events
            .iter()
            .find(|e| e.get_uid() == Some("meeting-12@qiao"))
            .expect("meeting 12");
        assert_eq!(second.get_summary(), Some("对接洽谈：海洋研究所, 青岛"));
        assert_eq!(utc(second.get_start()), at(9, 20));

        // The writer escaped what TEXT values must escape, in UTC.
        assert!(text.contains("DTSTART:20260521T010000Z"), "{text}");
        assert!(text.contains(r"低温\; 启动\\方案\n第二行"), "{text}");
        assert!(text.contains(r"电池热管理\,"), "{text}");
    }

    #[test]
    fn carriage_returns_become_escaped_newlines() {
        let mut a = agenda();
        a.meetings[0].reason = "一\r\n二\r三".into();
        let text = a.to_ics();
        let calendar: Calendar = text.parse().unwrap();
        let first = calendar
            .events()
            .find(|e| e.get_uid() == Some("meeting-11@qiao"))
            .unwrap();
        assert!(
            first
                .get_description()
                .unwrap()
                .contains("事由：一\n二\n三")
        );
    }

    #[test]
    fn an_agenda_without_meetings_still_holds_the_event() {
        let mut a = agenda();
        a.meetings.clear();
        let calendar: Calendar = a.to_ics().parse().unwrap();
        assert_eq!(calendar.events().count(), 1);
    }

    fn sheet(bytes: Vec<u8>, name: &str) -> Vec<Vec<String>> {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("a workbook");
        assert_eq!(book.sheet_names(), vec![name.to_string()]);
        let range = book.worksheet_range(name).expect("the sheet");
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn xlsx_reads_back() {
        let rows = sheet(agenda().to_xlsx().unwrap(), AGENDA_SHEET);
        assert_eq!(rows[0], AGENDA_COLUMNS.map(String::from).to_vec());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1][0], "09:00–09:20");
        assert_eq!(rows[1][1], "2");
        assert_eq!(rows[1][2], "琴岛理工大学");
        assert_eq!(rows[1][3], TRICKY);
        assert_eq!(
            rows[1][4],
            "需求：动力电池热管理系统开发；成果：相变储热材料"
        );
        assert_eq!(rows[2][0], "09:20–09:40");
        assert_eq!(rows[2][2], "海洋研究所, 青岛");
    }

    fn planned(id: i64, start: DateTime<Utc>, table_no: i32, a: &str, b: &str) -> PlannedMeeting {
        PlannedMeeting {
            id,
            slot_start: start,
            slot_end: start + chrono::Duration::minutes(20),
            table_no,
            status: MeetingStatus::Scheduled,
            published: id != 3,
            org_a: a.into(),
            org_b: b.into(),
        }
    }

    #[test]
    fn table_plan_lays_out_every_slot_and_table() {
        let plan = TablePlan::build(
            event(),
            vec![
                planned(1, at(9, 0), 1, "甲", "乙"),
                planned(2, at(9, 0), 3, "丙", "丁"),
                planned(3, at(9, 40), 2, "甲", "丁"),
            ],
        );
        assert_eq!(plan.tables, 3);
        assert_eq!(plan.slots.len(), 3, "9:00, 9:20 and 9:40");
        assert_eq!(plan.slots[0].free, 1);
        assert_eq!(plan.slots[1].free, 3);
        assert_eq!(plan.unpublished, 1);
        let rows = sheet(plan.to_xlsx().unwrap(), TABLE_PLAN_SHEET);
        assert_eq!(rows[0], ["时间", "第1桌", "第2桌", "第3桌"]);
        assert_eq!(rows[1], ["09:00–09:20", "甲 ↔ 乙", FREE, "丙 ↔ 丁"]);
        assert_eq!(rows[2], ["09:20–09:40", FREE, FREE, FREE]);
        assert_eq!(rows[3], ["09:40–10:00", FREE, "甲 ↔ 丁", FREE]);
    }

    #[test]
    fn a_meeting_outside_the_settings_still_gets_its_slot_and_table() {
        let plan = TablePlan::build(event(), vec![planned(9, at(14, 0), 5, "甲", "乙")]);
        assert_eq!(plan.tables, 5);
        assert_eq!(plan.slots.len(), 4);
        assert_eq!(plan.slots[3].cells[4].meeting_id, Some(9));
    }

    #[test]
    fn check_in_code_is_inline_svg_without_styles() {
        let a = agenda();
        let svg = a
            .checkin_svg()
            .expect("a confirmed registration has a code");
        assert!(svg.starts_with("<svg class=\"qr\""), "{svg}");
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("style"), "{svg}");
        assert!(!svg.contains("<?xml"));
        assert!(!svg.contains("<script"));
        let doc = checkin_svg_document("abc");
        assert!(doc.starts_with("<?xml"));

        let mut pending = a.clone();
        pending.registration.status = RegistrationStatus::Pending;
        assert_eq!(pending.checkin_svg(), None);
    }

    #[test]
    fn multi_day_events_show_the_day() {
        let mut a = agenda();
        a.event.fields.ends_at = at(17, 0) + chrono::Duration::days(1);
        assert_eq!(a.rows()[0].time, "5月21日 09:00–09:20");
        assert_eq!(
            event_period(&a.event),
            "2026年5月21日 09:00 – 2026年5月22日 17:00"
        );
        assert_eq!(event_period(&event()), "2026年5月21日 09:00–17:00");
    }

    #[test]
    fn file_names_carry_the_event_id() {
        let (ascii, chinese) = agenda().file_names(AgendaFormat::Ics);
        assert_eq!(ascii, "qiao-event-7-agenda-42.ics");
        assert_eq!(chinese, "活动7-日程-甲新能源科技有限公司.ics");
        assert!(ascii.is_ascii());
    }

    #[test]
    fn formats() {
        assert_eq!(AgendaFormat::parse(None).unwrap(), AgendaFormat::Html);
        assert_eq!(AgendaFormat::parse(Some("ics")).unwrap(), AgendaFormat::Ics);
        assert!(matches!(
            AgendaFormat::parse(Some("pdf")),
            Err(Error::Invalid(_))
        ));
        assert_eq!(
            AgendaFormat::from_path(Path::new("a/B.XLSX")),
            Some(AgendaFormat::Xlsx)
        );
    }
}
