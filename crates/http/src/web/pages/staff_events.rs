//! Staff's event set-up and scheduling (staff and admins):
//!
//! - `/staff/events`: every event, soonest first, with its status and
//!   registration counts, and the way to a new one;
//! - `/staff/events/new` and `/staff/events/{id}/edit`: the event form, through
//!   the use cases of `POST /api/v1/events` and `PATCH /api/v1/events/{id}`
//!   (times are China time; meeting hours one window a line);
//! - `/staff/events/{id}`: the event's console — registrations confirmed,
//!   waitlisted or declined (`PATCH …/registrations/{rid}`), the meeting
//!   requests, proposals from match suggestions and sending them
//!   (`POST …/meeting-requests/propose` and `…/send`), the scheduler
//!   (`POST …/schedule`) and its slots × tables grid with the requests it
//!   could not place, publication (`POST …/schedule/publish`), and links to
//!   the table plan and each participant's agenda.
//!
//! Every action is a small form that works without JavaScript and comes
//! back to the console with a message (`?done=…`). The proposal run and the
//! scheduler run synchronously within the request: a demo-sized event takes
//! well under a second; a large one would want a background job.

use crate::server::AppState;
use crate::web::field_errors::{FieldErrors, translate};
use crate::web::form::Form;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use crate::web::redirect::{query, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use minijinja::context;
use qiao_app::Principal;
use qiao_app::events::meetings::{Mode, ProposeOptions};
use qiao_app::events::registrations::{RegistrationDraft, RegistrationFilter};
use qiao_app::events::{EventDraft, EventFilter, EventRow};
use qiao_core::event::Window;
use qiao_core::vocab::{
    EventKind, EventStatus, Field, MeetingRequestStatus, RegistrationStatus, Vocabulary,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Events, registrations and requests read at once (the API's largest page).
const LISTED: u64 = 100;

/// What the last action did, as `?done=` names it.
const DONE: &[&str] = &[
    "created",
    "updated",
    "confirmed",
    "waitlisted",
    "declined",
    "proposed",
    "sent",
    "scheduled",
    "published",
];

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// `2026-12-10T09:00`, what a `datetime-local` input holds, in China time.
fn local_input(t: DateTime<Utc>) -> String {
    t.with_timezone(&china())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%H:%M").to_string()
}

/// A time typed as `2026-12-10T09:00` or `2026-12-10 09:00` (seconds
/// allowed), read in China time.
fn parse_local(value: &str) -> Option<DateTime<Utc>> {
    let v = value.trim().replacen(' ', "T", 1);
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&v, f).ok())
        .and_then(|n| china().from_local_datetime(&n).single())
        .map(|t| t.to_utc())
}

/// One window of meeting hours as a line: `2026-12-10 09:00-12:00`.
fn window_line(w: &Window) -> String {
    let start = w.start.with_timezone(&china());
    format!(
        "{} {}-{}",
        start.format("%Y-%m-%d"),
        start.format("%H:%M"),
        clock(w.end)
    )
}

/// A line `2026-12-10 09:00-12:00` (also `–`, `~` or `至` between the times).
fn parse_window(line: &str) -> Option<Window> {
    let line = line.trim();
    let (date, times) = line.split_once(char::is_whitespace)?;
    let date = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let times: String = times
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| {
            if matches!(c, '–' | '—' | '~' | '至') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let (from, to) = times.split_once('-')?;
    let at = |t: &str| {
        let time = NaiveTime::parse_from_str(t, "%H:%M").ok()?;
        china()
            .from_local_datetime(&date.and_time(time))
            .single()
            .map(|t| t.to_utc())
    };
    Some(Window {
        start: at(from)?,
        end: at(to)?,
    })
}

/// The signed-in staff member or admin; else the answer: the sign-in page
/// for visitors, the 403 page for everyone else.
fn staff_only(page: &Page) -> Result<Principal, Box<Response>> {
    match page.principal() {
        None => Err(Box::new(see_other(&page.login_url()))),
        Some(p) if !p.is_staff() => Err(Box::new(page.problem(StatusCode::FORBIDDEN))),
        Some(p) => Ok(p.clone()),
    }
}

fn event_id(id: &str) -> Option<i64> {
    id.parse::<i64>().ok().filter(|id| *id > 0)
}

/// Staff, and the event the path names (the 404 page for a malformed id).
fn staff_event(page: &Page, id: &str) -> Result<(Principal, i64), Box<Response>> {
    let who = staff_only(page)?;
    let id = event_id(id).ok_or_else(|| Box::new(page.problem(StatusCode::NOT_FOUND)))?;
    Ok((who, id))
}

// ---------------------------------------------------------------- the list

#[derive(Serialize)]
struct ListRow {
    id: i64,
    name: String,
    kind: &'static str,
    status: &'static str,
    status_code: &'static str,
    published: bool,
    starts_at: String,
    registrations: u64,
    confirmed: u64,
}

/// `GET /staff/events`.
pub async fn list(State(s): State<AppState>, page: Page) -> Response {
    if let Err(r) = staff_only(&page) {
        return *r;
    }
    let filter = EventFilter {
        kind: None,
        status: None,
        theme: None,
        year: None,
        month: None,
        q: None,
        limit: LISTED,
        offset: 0,
    };
    let listed = match s.app.events(&page.viewer, &filter).await {
        Ok(p) => p,
        Err(e) => return page.error(e),
    };
    let code = page.lang.code();
    let mut rows = Vec::new();
    for e in &listed.items {
        let count = |status: Option<&str>| RegistrationFilter {
            status: status.map(str::to_string),
            limit: 1,
            offset: 0,
        };
        let all = s.app.registrations(&page.viewer, e.id, count(None)).await;
        let confirmed = s
            .app
            .registrations(&page.viewer, e.id, count(Some("confirmed")))
            .await;
        rows.push(ListRow {
            id: e.id,
            name: e.fields.name.clone(),
            kind: e.fields.kind.label(code),
            status: e.status.label(code),
            status_code: e.status.code(),
            published: e.fields.published,
            starts_at: e.fields.starts_at.to_rfc3339(),
            registrations: all.map_or(0, |p| p.total),
            confirmed: confirmed.map_or(0, |p| p.total),
        });
    }
    page.render(
        "staff_events.html",
        context! { events => rows, total => listed.total, shown => listed.items.len() },
    )
}

// ---------------------------------------------------------------- the form

/// The event form as typed (or as the event stands).
#[derive(Default, Clone, Serialize)]
struct EventForm {
    name: String,
    kind: String,
    status: String,
    themes: Vec<String>,
    description: String,
    starts_at: String,
    ends_at: String,
    venue: String,
    district: String,
    organizer: String,
    registration_opens_at: String,
    registration_closes_at: String,
    capacity: String,
    tables: String,
    slot_minutes: String,
    meeting_hours: String,
    published: bool,
    auto_confirm: bool,
    version: String,
}

impl EventForm {
    /// A new event's form: planned, unpublished, 20-minute slots.
    fn blank() -> Self {
        EventForm {
            status: EventStatus::Planned.code().to_string(),
            capacity: "100".into(),
            tables: "0".into(),
            slot_minutes: "20".into(),
            ..EventForm::default()
        }
    }

    fn of(e: &EventRow) -> Self {
        let f = &e.fields;
        EventForm {
            name: f.name.clone(),
            kind: f.kind.code().to_string(),
            status: e.status.code().to_string(),
            themes: f.themes.iter().map(|t| t.code().to_string()).collect(),
            description: f.description.clone(),
            starts_at: local_input(f.starts_at),
            ends_at: local_input(f.ends_at),
            venue: f.venue.clone(),
            district: f.district.clone().unwrap_or_default(),
            organizer: f.organizer.clone(),
            registration_opens_at: f.registration_opens_at.map(local_input).unwrap_or_default(),
            registration_closes_at: f
                .registration_closes_at
                .map(local_input)
                .unwrap_or_default(),
            capacity: f.capacity.to_string(),
            tables: f.meeting.tables.to_string(),
            slot_minutes: f.meeting.slot_minutes.to_string(),
            meeting_hours: f
                .meeting
                .hours
                .iter()
                .map(window_line)
                .collect::<Vec<_>>()
                .join("\n"),
            published: f.published,
            auto_confirm: f.auto_confirm,
            version: e.version.to_string(),
        }
    }

    /// From the posted pairs (`themes` repeated, checkboxes present or not).
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = EventForm::default();
        for (key, value) in pairs {
            let v = value.clone();
            match key.as_str() {
                "name" => f.name = v,
                "kind" => f.kind = v,
                "status" => f.status = v,
                "themes" => f.themes.push(v),
                "description" => f.description = v,
                "starts_at" => f.starts_at = v,
                "ends_at" => f.ends_at = v,
                "venue" => f.venue = v,
                "district" => f.district = v,
                "organizer" => f.organizer = v,
                "registration_opens_at" => f.registration_opens_at = v,
                "registration_closes_at" => f.registration_closes_at = v,
                "capacity" => f.capacity = v,
                "tables" => f.tables = v,
                "slot_minutes" => f.slot_minutes = v,
                "meeting_hours" => f.meeting_hours = v,
                "published" => f.published = true,
                "auto_confirm" => f.auto_confirm = true,
                "version" => f.version = v,
                _ => {}
            }
        }
        f
    }

    /// The use case's draft, or the fields the page itself cannot read.
    /// `current`: the status of the event being edited.
    fn draft(&self, lang: Lang, current: Option<EventStatus>) -> Result<EventDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut time = |name: &str, value: &str| -> Option<DateTime<Utc>> {
            if value.trim().is_empty() {
                return None;
            }
            let t = parse_local(value);
            if t.is_none() {
                errors.field(name, lang.text("sevents.error.datetime"));
            }
            t
        };
        let starts_at = time("starts_at", &self.starts_at);
        let ends_at = time("ends_at", &self.ends_at);
        let registration_opens_at = time("registration_opens_at", &self.registration_opens_at);
        let registration_closes_at = time("registration_closes_at", &self.registration_closes_at);
        let mut whole = |name: &str, value: &str| -> Option<i32> {
            if value.trim().is_empty() {
                return None;
            }
            let n = value.trim().parse::<i32>().ok();
            if n.is_none() {
                errors.field(name, lang.text("needform.error.whole"));
            }
            n
        };
        let capacity = whole("capacity", &self.capacity);
        let tables = whole("tables", &self.tables);
        let slot_minutes = whole("slot_minutes", &self.slot_minutes);
        let mut hours = Vec::new();
        for (i, line) in self.meeting_hours.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match parse_window(line) {
                Some(w) => hours.push(w),
                None => {
                    let n = (i + 1).to_string();
                    errors.field(
                        "meeting_hours",
                        lang.format("sevents.error.window_line", &[("n", &n)]),
                    );
                }
            }
        }
        let status = match (current, EventStatus::from_code(self.status.trim())) {
            (Some(now), Some(s)) if s == now => None,
            (None, Some(EventStatus::Planned)) => None,
            (_, Some(s)) => Some(s.code().to_string()),
            (_, None) if self.status.trim().is_empty() => None,
            (_, None) => {
                errors.field("status", lang.text("needform.error.choice"));
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let kept = |v: &str| Some(v.trim().to_string());
        Ok(EventDraft {
            name: kept(&self.name),
            kind: Some(self.kind.trim().to_string()).filter(|k| !k.is_empty()),
            status,
            themes: Some(self.themes.clone()),
            description: Some(self.description.clone()),
            starts_at,
            ends_at,
            venue: kept(&self.venue),
            district: kept(&self.district),
            organizer: kept(&self.organizer),
            capacity,
            registration_opens_at,
            registration_closes_at,
            published: Some(self.published),
            auto_confirm: Some(self.auto_confirm),
            slot_minutes,
            meeting_hours: Some(hours),
            tables,
            version: self.version.trim().parse().ok(),
            ..EventDraft::default()
        })
    }
}

/// The numbers of a message such as `0–100000` or `5–240 minutes`.
fn bounds(message: &str) -> Option<(String, String)> {
    let (a, b) = message.split_once('–')?;
    let lo: String = a.chars().rev().take_while(char::is_ascii_digit).collect();
    let hi: String = b.chars().take_while(char::is_ascii_digit).collect();
    (!lo.is_empty() && !hi.is_empty()).then(|| (lo.chars().rev().collect(), hi))
}

/// An event field error of the use case in the page's language.
fn event_message(message: &str, lang: Lang) -> String {
    const KNOWN: &[(&str, &str)] = &[
        ("must be after starts_at", "sevents.error.ends_after"),
        ("at most 14 days", "sevents.error.max_days"),
        (
            "must be after registration_opens_at",
            "sevents.error.closes_after",
        ),
        (
            "must not be after the event ends",
            "sevents.error.closes_by_end",
        ),
        ("end after it starts", "sevents.error.window_order"),
        ("lie within the event", "sevents.error.window_inside"),
        ("must not overlap", "sevents.error.window_overlap"),
        ("windows", "sevents.error.windows_max"),
    ];
    if let Some((_, key)) = KNOWN.iter().find(|(words, _)| message.contains(words)) {
        return lang.text(key).to_string();
    }
    if let Some((min, max)) = bounds(message) {
        return lang.format("sevents.error.range", &[("min", &min), ("max", &max)]);
    }
    translate(message, lang)
}

/// The form's errors of a failed use case, or the failure for a problem page.
fn form_errors(e: qiao_app::Error, lang: Lang) -> Result<FieldErrors, qiao_app::Error> {
    match e {
        qiao_app::Error::Invalid(list) => {
            let mut errors = FieldErrors::default();
            for f in list {
                errors.field(&f.field, event_message(&f.message, lang));
            }
            Ok(errors)
        }
        qiao_app::Error::Conflict(msg) if msg.contains("cannot go from") => Ok(FieldErrors {
            form: Some(lang.text("sevents.error.status_move").to_string()),
            ..FieldErrors::default()
        }),
        e => FieldErrors::from_app(e, lang),
    }
}

/// The form page: a new event (`event` none) or an edit.
fn form_page(
    page: &Page,
    status: StatusCode,
    event: Option<&EventRow>,
    form: &EventForm,
    errors: &FieldErrors,
) -> Response {
    let code = page.lang.code();
    let kinds: Vec<(&str, &str)> = EventKind::ALL
        .iter()
        .map(|k| (k.code(), k.label(code)))
        .collect();
    let themes: Vec<(&str, &str)> = Field::ALL
        .iter()
        .map(|f| (f.code(), f.label(code)))
        .collect();
    let statuses: Vec<(&str, &str)> = match event {
        None => [EventStatus::Planned, EventStatus::RegistrationOpen]
            .iter()
            .map(|s| (s.code(), s.label(code)))
            .collect(),
        Some(e) => std::iter::once(e.status)
            .chain(e.status.next().iter().copied())
            .map(|s| (s.code(), s.label(code)))
            .collect(),
    };
    let (action, id) = match event {
        Some(e) => (format!("/staff/events/{}/edit", e.id), Some(e.id)),
        None => ("/staff/events/new".to_string(), None),
    };
    page.render_status(
        status,
        "staff_event_form.html",
        context! {
            form,
            errors,
            kinds,
            themes,
            statuses,
            action,
            id,
            event_name => event.map(|e| e.fields.name.clone()),
        },
    )
}

/// `GET /staff/events/new`.
pub async fn new_form(page: Page) -> Response {
    if let Err(r) = staff_only(&page) {
        return *r;
    }
    form_page(
        &page,
        StatusCode::OK,
        None,
        &EventForm::blank(),
        &FieldErrors::default(),
    )
}

/// `POST /staff/events/new`: creates the event, then its console.
pub async fn create(
    State(s): State<AppState>,
    Form { page, data }: Form<Vec<(String, String)>>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let form = EventForm::from_pairs(&data);
    let errors = match form.draft(page.lang, None) {
        Err(errors) => errors,
        Ok(draft) => match s.app.create_event(&who, draft).await {
            Ok(e) => return see_other(&format!("/staff/events/{}?done=created", e.id)),
            Err(e) => match form_errors(e, page.lang) {
                Ok(errors) => errors,
                Err(e) => return page.error(e),
            },
        },
    };
    form_page(
        &page,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
        &form,
        &errors,
    )
}

/// `GET /staff/events/{id}/edit`.
pub async fn edit_form(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    if let Err(r) = staff_only(&page) {
        return *r;
    }
    let Some(id) = event_id(&id) else {
        return page.problem(StatusCode::NOT_FOUND);
    };
    match s.app.event(&page.viewer, id).await {
        Ok(e) => form_page(
            &page,
            StatusCode::OK,
            Some(&e),
            &EventForm::of(&e),
            &FieldErrors::default(),
        ),
        Err(e) => page.error(e),
    }
}

/// `POST /staff/events/{id}/edit`: saves the event, then its console.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form { page, data }: Form<Vec<(String, String)>>,
) -> Response {
    let (who, id) = match staff_event(&page, &id) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let event = match s.app.event(&page.viewer, id).await {
        Ok(e) => e,
        Err(e) => return page.error(e),
    };
    let form = EventForm::from_pairs(&data);
    let errors = match form.draft(page.lang, Some(event.status)) {
        Err(errors) => errors,
        Ok(draft) => match s.app.update_event(&who, id, draft).await {
            Ok(_) => return see_other(&format!("/staff/events/{id}?done=updated")),
            Err(e) => match form_errors(e, page.lang) {
                Ok(errors) => errors,
                Err(e) => return page.error(e),
            },
        },
    };
    form_page(
        &page,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some(&event),
        &form,
        &errors,
    )
}

// ---------------------------------------------------------------- the console

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ConsoleQuery {
    done: Option<String>,
    n: Option<String>,
    u: Option<String>,
}

#[derive(Serialize)]
struct RegistrationRow {
    id: i64,
    org_id: i64,
    org_name: String,
    status: &'static str,
    status_code: &'static str,
    attendees: String,
    wants_meetings: bool,
    created_at: String,
    /// The decisions open to staff: `confirmed`, `waitlisted`, `declined`.
    actions: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct RequestView {
    id: i64,
    from: String,
    to: String,
    reason: String,
    status: &'static str,
    status_code: &'static str,
    mutual: bool,
    proposal: bool,
}

#[derive(Serialize)]
struct GridCell {
    free: bool,
    org_a: String,
    org_b: String,
    unpublished: bool,
}

#[derive(Serialize)]
struct GridRow {
    time: String,
    cells: Vec<GridCell>,
}

#[derive(Serialize)]
struct Unplaced {
    request_id: i64,
    orgs: String,
    reason: String,
}

/// The last scheduler run, as the event keeps its report.
#[derive(Serialize, Default)]
struct LastRun {
    ran_at: Option<String>,
    placed: u64,
    unplaced: Vec<Unplaced>,
}

fn last_run(e: &EventRow, names: &HashMap<i64, String>, lang: Lang) -> Option<LastRun> {
    let report = e.schedule_report.as_ref()?;
    let name = |id: Option<i64>| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "—".to_string())
    };
    let unplaced = report["unplaced"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            let orgs = u["org_ids"].as_array();
            let side = |i: usize| name(orgs.and_then(|o| o.get(i)).and_then(|v| v.as_i64()));
            let reason = u["reason"].as_str().unwrap_or("invalid");
            let key = format!("sevents.unplaced.{reason}");
            Unplaced {
                request_id: u["request_id"].as_i64().unwrap_or(0),
                orgs: format!("{} ↔ {}", side(0), side(1)),
                reason: if crate::web::i18n::has(&key) {
                    lang.text(&key).to_string()
                } else {
                    u["reason_label"].as_str().unwrap_or(reason).to_string()
                },
            }
        })
        .collect();
    Some(LastRun {
        ran_at: report["ran_at"].as_str().map(str::to_string),
        placed: report["placed"].as_u64().unwrap_or(0),
        unplaced,
    })
}

/// The console with a message or an error.
async fn console_page(
    s: &AppState,
    page: &Page,
    id: i64,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
) -> Response {
    let who = match staff_only(page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let event = match s.app.event(&page.viewer, id).await {
        Ok(e) => e,
        Err(e) => return page.error(e),
    };
    let code = page.lang.code();
    let all = RegistrationFilter {
        status: None,
        limit: LISTED,
        offset: 0,
    };
    let registrations = match s.app.registrations(&page.viewer, id, all).await {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let names: HashMap<i64, String> = registrations
        .items
        .iter()
        .map(|r| (r.org_id, r.org_name.clone()))
        .collect();
    let decisions = [
        (RegistrationStatus::Confirmed, "sevents.reg.confirm"),
        (RegistrationStatus::Waitlisted, "sevents.reg.waitlist"),
        (RegistrationStatus::Declined, "sevents.reg.decline"),
    ];
    let mut confirmed = Vec::new();
    let regs: Vec<RegistrationRow> = registrations
        .items
        .iter()
        .map(|r| {
            if r.status == RegistrationStatus::Confirmed {
                confirmed.push((r.org_id, r.org_name.clone()));
            }
            let actions = if r.status == RegistrationStatus::Cancelled {
                Vec::new()
            } else {
                decisions
                    .iter()
                    .filter(|(st, _)| *st != r.status)
                    .map(|(st, key)| (st.code(), page.text(key).to_string()))
                    .collect()
            };
            RegistrationRow {
                id: r.id,
                org_id: r.org_id,
                org_name: r.org_name.clone(),
                status: r.status.label(code),
                status_code: r.status.code(),
                attendees: r
                    .attendees
                    .iter()
                    .map(|a| a.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
                wants_meetings: r.wants_meetings,
                created_at: r.created_at.to_rfc3339(),
                actions,
            }
        })
        .collect();
    let requests = match s.app.meeting_requests(&who, id, None, LISTED, 0).await {
        Ok(r) => r,
        Err(e) => return page.error(e),
    };
    let mut counts: HashMap<&str, u64> = HashMap::new();
    let request_rows: Vec<RequestView> = requests
        .items
        .iter()
        .map(|row| {
            let st = row.status();
            if let Some(st) = st {
                *counts.entry(st.code()).or_default() += 1;
            }
            RequestView {
                id: row.request.id,
                from: row.from.org_name.clone(),
                to: row.to.org_name.clone(),
                reason: row.request.reason.clone(),
                status: st.map_or("", |st| st.label(code)),
                status_code: st.map_or("", |st| st.code()),
                mutual: row.request.mutual,
                proposal: row.is_staff_proposal(),
            }
        })
        .collect();
    let request_counts: Vec<(&str, &str, u64)> = MeetingRequestStatus::ALL
        .iter()
        .map(|st| {
            (
                st.code(),
                st.label(code),
                counts.get(st.code()).copied().unwrap_or(0),
            )
        })
        .collect();
    let plan = match s.app.table_plan(&who, id).await {
        Ok(p) => p,
        Err(e) => return page.error(e),
    };
    let grid: Vec<GridRow> = plan
        .slots
        .iter()
        .map(|slot| GridRow {
            time: slot.time.clone(),
            cells: slot
                .cells
                .iter()
                .map(|c| GridCell {
                    free: c.is_free(),
                    org_a: c.org_a.clone(),
                    org_b: c.org_b.clone(),
                    unpublished: c.unpublished,
                })
                .collect(),
        })
        .collect();
    let scheduling = matches!(
        event.status,
        EventStatus::RegistrationOpen | EventStatus::RegistrationClosed
    );
    let f = &event.fields;
    let agendas: Vec<_> = confirmed
        .into_iter()
        .map(|(org, name)| {
            context! {
                org_name => name,
                html => format!("/api/v1/events/{id}/agenda?org_id={org}&format=html"),
                ics => format!("/api/v1/events/{id}/agenda?org_id={org}&format=ics"),
            }
        })
        .collect();
    let summary = context! {
        id,
        name => f.name,
        kind => f.kind.label(code),
        status => event.status.label(code),
        status_code => event.status.code(),
        published => f.published,
        auto_confirm => f.auto_confirm,
        starts_at => f.starts_at.to_rfc3339(),
        start_clock => clock(f.starts_at),
        end_clock => clock(f.ends_at),
        venue => f.venue,
        capacity => f.capacity,
        tables => f.meeting.tables,
        slot_minutes => f.meeting.slot_minutes,
        hours => f.meeting.hours.iter().map(window_line).collect::<Vec<_>>(),
    };
    page.render_status(
        status,
        "staff_event.html",
        context! {
            ev => summary,
            flash,
            error,
            registrations => regs,
            registration_total => registrations.total,
            requests => request_rows,
            request_total => requests.total,
            request_counts,
            drafts => counts.get("draft").copied().unwrap_or(0),
            grid,
            grid_tables => plan.tables,
            grid_meetings => plan.meetings,
            grid_unpublished => plan.unpublished,
            run => last_run(&event, &names, page.lang),
            scheduling,
            agendas,
        },
    )
}

/// `GET /staff/events/{id}?done=…`.
pub async fn console(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<ConsoleQuery>,
) -> Response {
    if let Err(r) = staff_only(&page) {
        return *r;
    }
    let Some(id) = event_id(&id) else {
        return page.problem(StatusCode::NOT_FOUND);
    };
    let number = |v: &Option<String>| {
        v.as_deref()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
            .to_string()
    };
    let flash = q.done.as_deref().filter(|d| DONE.contains(d)).map(|d| {
        page.lang.format(
            &format!("sevents.done.{d}"),
            &[("n", &number(&q.n)), ("u", &number(&q.u))],
        )
    });
    console_page(&s, &page, id, StatusCode::OK, flash, None).await
}

/// A refused action on the console: its problem page, or for a conflict
/// (the event not taking requests, a stale state) the console saying why.
async fn refused(s: &AppState, page: &Page, id: i64, e: qiao_app::Error) -> Response {
    match e {
        qiao_app::Error::Conflict(_) | qiao_app::Error::Invalid(_) => {
            let why = page.text("sevents.error.action").to_string();
            console_page(s, page, id, StatusCode::CONFLICT, None, Some(why)).await
        }
        e => page.error(e),
    }
}

#[derive(Deserialize)]
pub struct NoFields {}

/// `POST /staff/events/{id}/registrations/{rid}/{confirmed|waitlisted|declined}`.
pub async fn decide(
    State(s): State<AppState>,
    Path((id, rid, decision)): Path<(String, String, String)>,
    Form { page, .. }: Form<NoFields>,
) -> Response {
    let who = match staff_only(&page) {
        Ok(w) => w,
        Err(r) => return *r,
    };
    let (Some(id), Some(rid)) = (event_id(&id), event_id(&rid)) else {
        return page.problem(StatusCode::NOT_FOUND);
    };
    let status = match RegistrationStatus::from_code(&decision) {
        Some(
            st @ (RegistrationStatus::Confirmed
            | RegistrationStatus::Waitlisted
            | RegistrationStatus::Declined),
        ) => st,
        _ => return page.problem(StatusCode::NOT_FOUND),
    };
    let draft = RegistrationDraft {
        status: Some(status.code().to_string()),
        ..RegistrationDraft::default()
    };
    match s.app.update_registration(&who, id, rid, draft).await {
        Ok(_) => see_other(&format!(
            "/staff/events/{id}?{}#registrations",
            query(&[("done", status.code())])
        )),
        Err(e) => refused(&s, &page, id, e).await,
    }
}

/// `POST /staff/events/{id}/propose`: drafts from match suggestions.
pub async fn propose(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form { page, .. }: Form<NoFields>,
) -> Response {
    let (who, id) = match staff_event(&page, &id) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    match s
        .app
        .propose_meetings(&who, id, ProposeOptions::default())
        .await
    {
        Ok(drafts) => see_other(&format!(
            "/staff/events/{id}?done=proposed&n={}#requests",
            drafts.len()
        )),
        Err(e) => refused(&s, &page, id, e).await,
    }
}

/// `POST /staff/events/{id}/send`: sends every draft to both sides.
pub async fn send(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form { page, .. }: Form<NoFields>,
) -> Response {
    let (who, id) = match staff_event(&page, &id) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    match s.app.send_meeting_requests(&who, id, None).await {
        Ok(sent) => see_other(&format!(
            "/staff/events/{id}?done=sent&n={}#requests",
            sent.len()
        )),
        Err(e) => refused(&s, &page, id, e).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct ScheduleForm {
    mode: String,
}

/// `POST /staff/events/{id}/schedule` (`mode=incremental|full`): runs the
/// scheduler within the request.
pub async fn schedule(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form { page, data }: Form<ScheduleForm>,
) -> Response {
    let (who, id) = match staff_event(&page, &id) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    let mode = match data.mode.as_str() {
        "" | "incremental" => Mode::Incremental,
        "full" => Mode::Full,
        _ => return page.problem(StatusCode::BAD_REQUEST),
    };
    match s.app.schedule_event(&who, id, mode).await {
        Ok(run) => see_other(&format!(
            "/staff/events/{id}?done=scheduled&n={}&u={}#grid",
            run.placed,
            run.unplaced.len()
        )),
        Err(e) => refused(&s, &page, id, e).await,
    }
}

/// `POST /staff/events/{id}/publish`: both sides of every meeting see it.
pub async fn publish(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form { page, .. }: Form<NoFields>,
) -> Response {
    let (who, id) = match staff_event(&page, &id) {
        Ok(found) => found,
        Err(r) => return *r,
    };
    match s.app.publish_schedule(&who, id).await {
        Ok(n) => see_other(&format!("/staff/events/{id}?done=published&n={n}#grid")),
        Err(e) => refused(&s, &page, id, e).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_china_time() {
        let t = parse_local("2026-12-10T09:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-10T01:00:00+00:00");
        assert_eq!(
            parse_local("2026-12-10 09:00:30").map(local_input).unwrap(),
            "2026-12-10T09:00"
        );
        assert!(parse_local("12/10/2026").is_none());
        let w = parse_window("2026-12-10 09:00 – 12:00").unwrap();
        assert_eq!(window_line(&w), "2026-12-10 09:00-12:00");
        assert!(parse_window("2026-12-10 9点-12点").is_none());
        assert!(parse_window("09:00-12:00").is_none());
    }

    #[test]
    fn event_errors_read_in_chinese() {
        assert_eq!(
            event_message("must be after starts_at", Lang::Zh),
            Lang::Zh.text("sevents.error.ends_after")
        );
        assert_eq!(bounds("5–240 minutes"), Some(("5".into(), "240".into())));
        assert_eq!(bounds("0–100000"), Some(("0".into(), "100000".into())));
        assert_eq!(event_message("required", Lang::Zh), "此项为必填项。");
    }

    #[test]
    fn the_form_reads_repeated_fields_and_checkboxes() {
        let pairs: Vec<(String, String)> = [
            ("name", "对接会"),
            ("themes", "marine_engineering"),
            ("themes", "new_energy"),
            ("published", "1"),
            ("meeting_hours", "2026-12-10 09:00-10:00\n\nbad"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = EventForm::from_pairs(&pairs);
        assert_eq!(form.themes.len(), 2);
        assert!(form.published && !form.auto_confirm);
        let errors = form.draft(Lang::Zh, None).unwrap_err();
        assert!(errors.fields["meeting_hours"].contains('3'), "{errors:?}");
    }
}
