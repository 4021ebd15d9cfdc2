//! The events calendar `/events` and an event's page `/events/{id}`,
//! through the same use cases as `GET /api/v1/events` and
//! `GET /api/v1/events/{id}`: published events for everyone, all for staff
//! (unpublished ones marked). On an event's page a member of an approved
//! organization registers it while registration is open (the use case of
//! `POST /api/v1/events/{id}/registrations`), then sees the registration's
//! status and, once meetings are published, the agenda with its `.ics` and
//! `.xlsx` downloads (the API's agenda endpoint, authenticated by the
//! session cookie).

use crate::server::AppState;
use crate::web::field_errors::FieldErrors;
use crate::web::form::Form;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use crate::web::redirect::{query, see_other};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use minijinja::context;
use qiao_app::events::meetings::RequestDraft;
use qiao_app::events::registrations::{
    AttendeeDraft, Registration, RegistrationDraft, RegistrationFilter,
};
use qiao_app::events::{EventFilter, EventRow};
use qiao_app::{Principal, Viewer};
use qiao_core::record::{CapabilityRecord, NeedRecord};
use qiao_core::stored::ListQuery;
use qiao_core::vocab::{
    EventKind, EventStatus, MeetingRequestStatus, RegistrationStatus, ReviewStatus, Vocabulary,
};
use serde::{Deserialize, Serialize};

/// Events on one page of the calendar (the API's largest page).
const PER_PAGE: u64 = 100;
/// Attendee rows of the registration form (the use case takes up to 20).
const ATTENDEE_ROWS: usize = 3;
/// Registrations read while looking for the viewer's own.
const REGISTRATION_PAGES: u64 = 20;

fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

fn china_year() -> i32 {
    Utc::now().with_timezone(&china()).year()
}

fn clock(t: DateTime<Utc>) -> String {
    t.with_timezone(&china()).format("%H:%M").to_string()
}

fn day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china()).date_naive()
}

/// Where registration stands for a visitor: `open`, `not_open` (not yet)
/// or `closed` — the rule `register_for_event` applies.
fn window(e: &EventRow, now: DateTime<Utc>) -> &'static str {
    match e.status {
        EventStatus::Planned => "not_open",
        EventStatus::RegistrationOpen => {
            let f = &e.fields;
            if f.registration_opens_at.is_some_and(|t| now < t) {
                "not_open"
            } else if f.registration_closes_at.is_some_and(|t| now >= t) {
                "closed"
            } else {
                "open"
            }
        }
        _ => "closed",
    }
}

/// A month's heading: `2026年3月`, `March 2026`.
fn month_heading(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Zh => lang.format(
            "events.month",
            &[
                ("year", &d.year().to_string()),
                ("month", &d.month().to_string()),
            ],
        ),
        Lang::En => d.format("%B %Y").to_string(),
    }
}

/// An event as the calendar and the event's page show it.
#[derive(Serialize)]
struct EventCard {
    id: i64,
    name: String,
    kind: &'static str,
    kind_code: &'static str,
    status: &'static str,
    status_code: &'static str,
    published: bool,
    /// RFC 3339, for the `date` filter.
    starts_at: String,
    ends_at: String,
    same_day: bool,
    start_clock: String,
    end_clock: String,
    venue: String,
    district: Option<String>,
    /// `open`, `not_open` or `closed`.
    window: &'static str,
    window_label: String,
}

impl EventCard {
    fn new(e: &EventRow, lang: Lang, now: DateTime<Utc>) -> Self {
        let f = &e.fields;
        let window = window(e, now);
        EventCard {
            id: e.id,
            name: f.name.clone(),
            kind: f.kind.label(lang.code()),
            kind_code: f.kind.code(),
            status: e.status.label(lang.code()),
            status_code: e.status.code(),
            published: f.published,
            starts_at: f.starts_at.to_rfc3339(),
            ends_at: f.ends_at.to_rfc3339(),
            same_day: day(f.starts_at) == day(f.ends_at - chrono::Duration::seconds(1)),
            start_clock: clock(f.starts_at),
            end_clock: clock(f.ends_at),
            venue: f.venue.clone(),
            district: f.district.clone(),
            window,
            window_label: lang.text(&format!("events.window.{window}")).to_string(),
        }
    }
}

#[derive(Serialize)]
struct MonthGroup {
    heading: String,
    events: Vec<EventCard>,
}

/// The calendar's filters as the address gives them.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct CalendarQuery {
    kind: Option<String>,
    year: Option<String>,
    month: Option<String>,
    offset: Option<String>,
}

/// The filters understood; a value that is not one answers 400.
#[derive(Default, Clone)]
struct Filters {
    kind: Option<EventKind>,
    year: Option<i32>,
    month: Option<u32>,
    offset: u64,
}

impl Filters {
    fn parse(q: CalendarQuery) -> Option<Self> {
        fn blank(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let kind = match blank(&q.kind) {
            Some(k) => Some(EventKind::from_code(k)?),
            None => None,
        };
        let year = match blank(&q.year) {
            Some(y) => Some(
                y.parse::<i32>()
                    .ok()
                    .filter(|y| (2000..=2100).contains(y))?,
            ),
            None => None,
        };
        let month = match blank(&q.month) {
            Some(m) => Some(m.parse::<u32>().ok().filter(|m| (1..=12).contains(m))?),
            None => None,
        };
        let offset = match blank(&q.offset) {
            Some(o) => o.parse::<u64>().ok().filter(|o| *o <= 1_000_000)?,
            None => 0,
        };
        Some(Filters {
            kind,
            // A month alone is that month of the current year, as in the API.
            year: year.or(month.map(|_| china_year())),
            month,
            offset,
        })
    }

    /// `/events?…` with these filters (paging starts over unless given).
    fn link(&self) -> String {
        let kind = self.kind.map(|k| k.code().to_string());
        let year = self.year.map(|y| y.to_string());
        let month = self.month.map(|m| m.to_string());
        let offset = (self.offset > 0).then(|| self.offset.to_string());
        let pairs: Vec<(&str, &str)> = [
            ("kind", kind.as_deref()),
            ("year", year.as_deref()),
            ("month", month.as_deref()),
            ("offset", offset.as_deref()),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        if pairs.is_empty() {
            "/events".to_string()
        } else {
            format!("/events?{}", query(&pairs))
        }
    }
}

#[derive(Serialize)]
struct Choice {
    label: String,
    href: String,
    current: bool,
}

/// The filter links: each keeps the other filters.
fn choices(f: &Filters, lang: Lang) -> (Vec<Choice>, Vec<Choice>, Vec<Choice>) {
    let base = Filters {
        offset: 0,
        ..f.clone()
    };
    let mut kinds = vec![Choice {
        label: lang.text("events.filter.all_kinds").to_string(),
        href: Filters {
            kind: None,
            ..base.clone()
        }
        .link(),
        current: f.kind.is_none(),
    }];
    for k in EventKind::ALL {
        kinds.push(Choice {
            label: k.label(lang.code()).to_string(),
            href: Filters {
                kind: Some(*k),
                ..base.clone()
            }
            .link(),
            current: f.kind == Some(*k),
        });
    }
    let this = china_year();
    let mut years_list = vec![this - 1, this, this + 1];
    if let Some(y) = f.year
        && !years_list.contains(&y)
    {
        years_list.push(y);
        years_list.sort();
    }
    let mut years = vec![Choice {
        label: lang.text("events.filter.all_years").to_string(),
        href: Filters {
            year: None,
            month: None,
            ..base.clone()
        }
        .link(),
        current: f.year.is_none(),
    }];
    for y in years_list {
        years.push(Choice {
            label: lang.format("events.filter.year", &[("year", &y.to_string())]),
            href: Filters {
                year: Some(y),
                ..base.clone()
            }
            .link(),
            current: f.year == Some(y),
        });
    }
    let mut months = Vec::new();
    if f.year.is_some() {
        months.push(Choice {
            label: lang.text("events.filter.all_months").to_string(),
            href: Filters {
                month: None,
                ..base.clone()
            }
            .link(),
            current: f.month.is_none(),
        });
        for m in 1..=12u32 {
            months.push(Choice {
                label: lang.format("events.filter.month", &[("month", &m.to_string())]),
                href: Filters {
                    month: Some(m),
                    ..base.clone()
                }
                .link(),
                current: f.month == Some(m),
            });
        }
    }
    (kinds, years, months)
}

/// `GET /events`: the calendar, grouped by month.
pub async fn calendar(
    State(s): State<AppState>,
    page: Page,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let Some(filters) = Filters::parse(q) else {
        return page.problem(StatusCode::BAD_REQUEST);
    };
    let filter = EventFilter {
        kind: filters.kind,
        status: None,
        theme: None,
        year: filters.year,
        month: filters.month,
        q: None,
        limit: PER_PAGE,
        offset: filters.offset,
    };
    let listed = match s.app.events(&page.viewer, &filter).await {
        Ok(p) => p,
        Err(e) => return page.error(e),
    };
    let now = Utc::now();
    let mut months: Vec<MonthGroup> = Vec::new();
    let mut last: Option<(i32, u32)> = None;
    for e in &listed.items {
        let d = day(e.fields.starts_at);
        let key = (d.year(), d.month());
        if last != Some(key) {
            months.push(MonthGroup {
                heading: month_heading(d, page.lang),
                events: Vec::new(),
            });
            last = Some(key);
        }
        if let Some(group) = months.last_mut() {
            group.events.push(EventCard::new(e, page.lang, now));
        }
    }
    let (kinds, years, month_choices) = choices(&filters, page.lang);
    let next = (filters.offset + PER_PAGE < listed.total).then(|| {
        Filters {
            offset: filters.offset + PER_PAGE,
            ..filters.clone()
        }
        .link()
    });
    let previous = (filters.offset > 0).then(|| {
        Filters {
            offset: filters.offset.saturating_sub(PER_PAGE),
            ..filters.clone()
        }
        .link()
    });
    let filtered = filters.kind.is_some() || filters.year.is_some();
    page.render(
        "events.html",
        context! {
            months,
            total => listed.total,
            kinds,
            years,
            month_choices,
            next,
            previous,
            filtered,
        },
    )
}

/// One attendee row of the form, as typed.
#[derive(Default, Clone, Serialize)]
struct AttendeeRow {
    name: String,
    title: String,
    phone: String,
}

/// The registration form as typed (or as first shown).
#[derive(Clone, Serialize)]
struct RegistrationForm {
    attendees: Vec<AttendeeRow>,
    wants_meetings: bool,
    need_ids: Vec<i64>,
    capability_ids: Vec<i64>,
}

impl Default for RegistrationForm {
    fn default() -> Self {
        RegistrationForm {
            attendees: vec![AttendeeRow::default(); ATTENDEE_ROWS],
            wants_meetings: true,
            need_ids: Vec::new(),
            capability_ids: Vec::new(),
        }
    }
}

impl RegistrationForm {
    /// From the posted pairs: `attendees[0].name`, …, `wants_meetings`,
    /// `need_ids` and `capability_ids` (repeated); ids that are not
    /// numbers are left out (the use case checks the rest).
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = RegistrationForm {
            wants_meetings: false,
            ..RegistrationForm::default()
        };
        for (key, value) in pairs {
            match key.as_str() {
                "wants_meetings" => form.wants_meetings = true,
                "need_ids" => form.need_ids.extend(value.trim().parse::<i64>().ok()),
                "capability_ids" => form.capability_ids.extend(value.trim().parse::<i64>().ok()),
                _ => {
                    let Some(rest) = key.strip_prefix("attendees[") else {
                        continue;
                    };
                    let Some((index, field)) = rest.split_once("].") else {
                        continue;
                    };
                    let Some(row) = index
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| form.attendees.get_mut(i))
                    else {
                        continue;
                    };
                    match field {
                        "name" => row.name = value.clone(),
                        "title" => row.title = value.clone(),
                        "phone" => row.phone = value.clone(),
                        _ => {}
                    }
                }
            }
        }
        form
    }

    /// The use case's draft, and for each attendee sent the form row it came from.
    fn draft(&self) -> (RegistrationDraft, Vec<usize>) {
        let mut rows = Vec::new();
        let mut attendees = Vec::new();
        for (i, a) in self.attendees.iter().enumerate() {
            if [&a.name, &a.title, &a.phone]
                .iter()
                .all(|v| v.trim().is_empty())
            {
                continue;
            }
            rows.push(i);
            attendees.push(AttendeeDraft {
                name: Some(a.name.trim().to_string()),
                title: Some(a.title.trim().to_string()),
                phone: Some(a.phone.trim().to_string()),
            });
        }
        let draft = RegistrationDraft {
            attendees: Some(attendees),
            need_ids: Some(self.need_ids.clone()),
            capability_ids: Some(self.capability_ids.clone()),
            wants_meetings: Some(self.wants_meetings),
            ..RegistrationDraft::default()
        };
        (draft, rows)
    }
}

/// The use case names attendees by their place among those sent; the form
/// by its row (blank rows are not sent).
fn field_of_row(field: &str, rows: &[usize]) -> String {
    if let Some(rest) = field.strip_prefix("attendees[")
        && let Some((index, tail)) = rest.split_once(']')
        && let Some(row) = index.parse::<usize>().ok().and_then(|i| rows.get(i))
    {
        return format!("attendees[{row}]{tail}");
    }
    field.to_string()
}

#[derive(Serialize)]
struct ListingChoice {
    id: i64,
    title: String,
    checked: bool,
}

/// The organization's own needs or capabilities, through the API's list use case.
async fn own_listings<R: qiao_app::listings::Listing>(
    s: &AppState,
    viewer: &Viewer,
    org: i64,
    checked: &[i64],
) -> Vec<ListingChoice> {
    let q = ListQuery {
        org_id: Some(org),
        limit: 100,
        ..ListQuery::default()
    };
    let Ok(list) = qiao_app::listings::list::<R>(&s.app, viewer, &q).await else {
        return Vec::new();
    };
    list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| {
            let id = item["id"].as_i64()?;
            let title = item["title"].as_str()?.to_string();
            Some(ListingChoice {
                id,
                title,
                checked: checked.contains(&id),
            })
        })
        .collect()
}

/// The viewer's organization's registration for the event, if any.
async fn own_registration(
    s: &AppState,
    viewer: &Viewer,
    event_id: i64,
    org: i64,
) -> Result<Option<Registration>, qiao_app::Error> {
    for p in 0..REGISTRATION_PAGES {
        let page = s
            .app
            .registrations(
                viewer,
                event_id,
                RegistrationFilter {
                    status: None,
                    limit: 100,
                    offset: p * 100,
                },
            )
            .await?;
        let done = (p + 1) * 100 >= page.total;
        if let Some(r) = page.items.into_iter().find(|r| r.org_id == org) {
            return Ok(Some(r));
        }
        if done {
            break;
        }
    }
    Ok(None)
}

/// What the event's page says about the viewer and registration.
#[derive(Serialize, Default)]
struct RegistrationView {
    /// `anonymous`, `staff`, `no_org`, `pending_org`, `member`.
    who: &'static str,
    /// The registration form is shown.
    can_register: bool,
    registration: Option<minijinja::Value>,
    agenda: Option<minijinja::Value>,
    needs: Vec<ListingChoice>,
    capabilities: Vec<ListingChoice>,
    /// Why there is no form for a member (registration not open or closed).
    window_note: String,
    /// 1:1 meeting requests, for a confirmed participant while they are asked and answered.
    meetings: Option<MeetingsView>,
}

/// One meeting request from or to the viewer's organization.
#[derive(Serialize)]
struct RequestView {
    id: i64,
    incoming: bool,
    other: String,
    reason: String,
    status: &'static str,
    status_code: &'static str,
    mutual: bool,
    /// The viewer's organization may accept or decline it now.
    can_answer: bool,
}

/// The meeting requests section: requests, and whom one may ask.
#[derive(Serialize)]
struct MeetingsView {
    requests: Vec<RequestView>,
    /// (registration id, organization name) of the other confirmed participants.
    participants: Vec<(i64, String)>,
}

fn active(status: RegistrationStatus) -> bool {
    !matches!(
        status,
        RegistrationStatus::Cancelled | RegistrationStatus::Declined
    )
}

async fn registration_view(
    s: &AppState,
    page: &Page,
    event: &EventRow,
    window: &str,
    form: &RegistrationForm,
) -> Result<RegistrationView, qiao_app::Error> {
    let Some(who) = page.principal() else {
        return Ok(RegistrationView {
            who: "anonymous",
            ..RegistrationView::default()
        });
    };
    if who.is_staff() {
        return Ok(RegistrationView {
            who: "staff",
            ..RegistrationView::default()
        });
    }
    let Some(org) = who.org_id.filter(|_| who.role.needs_organization()) else {
        return Ok(RegistrationView {
            who: "no_org",
            ..RegistrationView::default()
        });
    };
    let approved = s
        .app
        .organization(&page.viewer, org)
        .await
        .is_ok_and(|o| o.review_status == ReviewStatus::Approved);
    if !approved {
        return Ok(RegistrationView {
            who: "pending_org",
            ..RegistrationView::default()
        });
    }
    let code = page.lang.code();
    let registration = own_registration(s, &page.viewer, event.id, org).await?;
    let mut view = RegistrationView {
        who: "member",
        ..RegistrationView::default()
    };
    if let Some(r) = registration.as_ref().filter(|r| active(r.status)) {
        view.registration = Some(minijinja::Value::from_serialize(context! {
            id => r.id,
            org_id => r.org_id,
            org_name => r.org_name,
            status => r.status.label(code),
            status_code => r.status.code(),
            attendees => r.attendees.iter().map(|a| context! {
                name => a.name, title => a.title, phone => a.phone,
            }).collect::<Vec<_>>(),
            wants_meetings => r.wants_meetings,
            // Once the event took place, what the status promises is past.
            hint => (!event.status.was_held())
                .then(|| page.lang.text(&format!("events.reg.status_hint.{}", r.status.code())).to_string()),
        }));
        view.agenda = agenda_view(s, page, event.id, r.org_id).await;
        let asking = matches!(
            event.status,
            EventStatus::RegistrationOpen | EventStatus::RegistrationClosed
        );
        if asking && r.status == RegistrationStatus::Confirmed && r.wants_meetings {
            view.meetings = Some(meetings_view(s, page, who, event.id, r).await?);
        }
    } else if window != "open" {
        view.window_note = page
            .lang
            .text(&format!("events.reg.window.{window}"))
            .to_string();
    } else {
        view.can_register = true;
        view.needs = own_listings::<NeedRecord>(s, &page.viewer, org, &form.need_ids).await;
        view.capabilities =
            own_listings::<CapabilityRecord>(s, &page.viewer, org, &form.capability_ids).await;
    }
    Ok(view)
}

/// The organization's published meetings at the event and the download links.
async fn agenda_view(
    s: &AppState,
    page: &Page,
    event_id: i64,
    org: i64,
) -> Option<minijinja::Value> {
    let agenda = s.app.agenda(&page.viewer, event_id, Some(org)).await.ok()?;
    let rows = agenda.rows();
    let base = format!("/api/v1/events/{event_id}/agenda?org_id={org}");
    Some(minijinja::Value::from_serialize(context! {
        rows,
        ics => format!("{base}&format=ics"),
        xlsx => format!("{base}&format=xlsx"),
        html => format!("{base}&format=html"),
    }))
}

/// The organization's meeting requests at the event and the other confirmed
/// participants who want meetings (the API's request and registration use cases).
async fn meetings_view(
    s: &AppState,
    page: &Page,
    who: &Principal,
    event_id: i64,
    own: &Registration,
) -> Result<MeetingsView, qiao_app::Error> {
    let code = page.lang.code();
    let listed = s.app.meeting_requests(who, event_id, None, 100, 0).await?;
    let requests = listed
        .items
        .into_iter()
        .map(|row| {
            let incoming = row.to.org_id == own.org_id;
            let status = row.status();
            let pending = status == Some(MeetingRequestStatus::Pending);
            RequestView {
                id: row.request.id,
                incoming,
                other: if incoming {
                    row.from.org_name.clone()
                } else {
                    row.to.org_name.clone()
                },
                reason: row.request.reason.clone(),
                status: status.map_or("", |st| st.label(code)),
                status_code: status.map_or("", |st| st.code()),
                mutual: row.request.mutual,
                can_answer: pending && (incoming || row.is_staff_proposal()),
            }
        })
        .collect();
    let confirmed = s
        .app
        .registrations(
            &page.viewer,
            event_id,
            RegistrationFilter {
                status: Some("confirmed".into()),
                limit: 100,
                offset: 0,
            },
        )
        .await?;
    let participants = confirmed
        .items
        .into_iter()
        .filter(|r| r.org_id != own.org_id && r.wants_meetings)
        .map(|r| (r.id, r.org_name))
        .collect();
    Ok(MeetingsView {
        requests,
        participants,
    })
}

/// A request for a meeting as the form sends it.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct AskForm {
    to_registration: String,
    reason: String,
}

/// `POST /events/{id}/meeting-requests`: asks another participant for a 1:1 meeting.
pub async fn ask(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form { page, data }: Form<AskForm>,
) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let Some(event_id) = id.parse::<i64>().ok().filter(|id| *id > 0) else {
        return page.problem(StatusCode::NOT_FOUND);
    };
    let lang = page.lang;
    let mut errors = FieldErrors::default();
    let to = data.to_registration.trim().parse::<i64>().ok();
    if to.is_none() {
        errors.field("to_registration", lang.text("error.required"));
    }
    errors.required(lang, &[("reason", &data.reason)]);
    if let (Some(to), true) = (to, errors.is_empty()) {
        let draft = RequestDraft {
            to_registration: to,
            reason: Some(data.reason.clone()),
            ..RequestDraft::default()
        };
        match s.app.ask_for_meeting(&who, event_id, draft).await {
            Ok(_) => return see_other(&format!("/events/{event_id}?asked=1#meetings")),
            Err(e) => match FieldErrors::from_app(e, lang) {
                Ok(found) => errors = found,
                Err(e) => return page.error(e),
            },
        }
    }
    detail_page(
        &s,
        &page,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Details {
            ask: data,
            errors,
            ..Details::default()
        },
    )
    .await
}

/// A decline as the form sends it.
#[derive(Default, Deserialize)]
#[serde(default)]
pub struct AnswerForm {
    reason: String,
}

/// `POST /events/{id}/meeting-requests/{rid}/accept` and `…/decline` (with a reason).
pub async fn answer(
    State(s): State<AppState>,
    Path((id, rid, verb)): Path<(String, String, String)>,
    Form { page, data }: Form<AnswerForm>,
) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let (Some(event_id), Some(request)) = (
        id.parse::<i64>().ok().filter(|id| *id > 0),
        rid.parse::<i64>().ok().filter(|id| *id > 0),
    ) else {
        return page.problem(StatusCode::NOT_FOUND);
    };
    // The request must be one of this event's, as the address says.
    let ours = s
        .app
        .meeting_requests(&who, event_id, None, 100, 0)
        .await
        .is_ok_and(|p| p.items.iter().any(|r| r.request.id == request));
    if !ours {
        return page.problem(StatusCode::NOT_FOUND);
    }
    let lang = page.lang;
    let answered = match verb.as_str() {
        "accept" => s.app.accept_meeting_request(&who, request).await,
        "decline" => {
            let reason = Some(data.reason.clone()).filter(|r| !r.trim().is_empty());
            s.app.decline_meeting_request(&who, request, reason).await
        }
        _ => return page.problem(StatusCode::NOT_FOUND),
    };
    let errors = match answered {
        Ok(_) => return see_other(&format!("/events/{event_id}?answered=1#meetings")),
        Err(e) => match FieldErrors::from_app(e, lang) {
            Ok(found) => found,
            Err(e) => return page.error(e),
        },
    };
    // Each request's decline field is its own: `decline-<id>`.
    let mut shown = FieldErrors {
        form: errors.form,
        ..FieldErrors::default()
    };
    for name in &errors.order {
        let field = if name == "reason" {
            format!("decline-{request}")
        } else {
            name.clone()
        };
        shown.field(&field, errors.fields[name].clone());
    }
    detail_page(
        &s,
        &page,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Details {
            errors: shown,
            ..Details::default()
        },
    )
    .await
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct DetailQuery {
    registered: Option<String>,
    asked: Option<String>,
    answered: Option<String>,
}

/// What a page shows besides the event: forms as typed, their errors, and
/// which action just succeeded.
#[derive(Default)]
struct Details {
    form: RegistrationForm,
    ask: AskForm,
    errors: FieldErrors,
    /// `registered`, `asked` or `answered`.
    done: Option<&'static str>,
}

/// The event's page with the registration form as given.
async fn detail_page(
    s: &AppState,
    page: &Page,
    id: &str,
    status: StatusCode,
    shown: Details,
) -> Response {
    let Details {
        form,
        ask,
        errors,
        done,
    } = shown;
    let Some(id) = id.parse::<i64>().ok().filter(|id| *id > 0) else {
        return page.problem(StatusCode::NOT_FOUND);
    };
    let event = match s.app.event(&page.viewer, id).await {
        Ok(e) => e,
        Err(e) => return page.error(e),
    };
    let code = page.lang.code();
    let card = EventCard::new(&event, page.lang, Utc::now());
    let f = &event.fields;
    let meeting_hours: Vec<_> = f
        .meeting
        .hours
        .iter()
        .map(|w| {
            context! {
                date => w.start.to_rfc3339(),
                start => clock(w.start),
                end => clock(w.end),
            }
        })
        .collect();
    let details = context! {
        themes => f.themes.iter().map(|t| t.label(code)).collect::<Vec<_>>(),
        description => f.description,
        organizer => f.organizer,
        co_organizers => f.co_organizers,
        capacity => f.capacity,
        opens_at => f.registration_opens_at.map(|t| t.to_rfc3339()),
        opens_clock => f.registration_opens_at.map(clock),
        closes_at => f.registration_closes_at.map(|t| t.to_rfc3339()),
        closes_clock => f.registration_closes_at.map(clock),
        meeting_hours,
        slot_minutes => f.meeting.slot_minutes,
        tables => f.meeting.tables,
    };
    let view = match registration_view(s, page, &event, card.window, &form).await {
        Ok(v) => v,
        Err(e) => return page.error(e),
    };
    page.render_status(
        status,
        "event.html",
        context! {
            e => card,
            details,
            reg => view,
            form,
            ask => context! { to_registration => ask.to_registration, reason => ask.reason },
            errors,
            done,
        },
    )
}

/// `GET /events/{id}`: the event, and registration for members.
pub async fn event(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> Response {
    let done = if q.registered.is_some() {
        Some("registered")
    } else if q.asked.is_some() {
        Some("asked")
    } else if q.answered.is_some() {
        Some("answered")
    } else {
        None
    };
    detail_page(
        &s,
        &page,
        &id,
        StatusCode::OK,
        Details {
            done,
            ..Details::default()
        },
    )
    .await
}

/// `POST /events/{id}/registration`: registers the member's organization.
pub async fn register(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form { page, data }: Form<Vec<(String, String)>>,
) -> Response {
    let Some(who): Option<Principal> = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let Some(event_id) = id.parse::<i64>().ok().filter(|id| *id > 0) else {
        return page.problem(StatusCode::NOT_FOUND);
    };
    let form = RegistrationForm::from_pairs(&data);
    let (draft, rows) = form.draft();
    let lang = page.lang;
    let errors = match s.app.register_for_event(&who, event_id, draft).await {
        Ok(_) => return see_other(&format!("/events/{event_id}?registered=1#registration")),
        Err(qiao_app::Error::Conflict(_)) => FieldErrors {
            form: Some(lang.text("events.error.conflict").to_string()),
            ..FieldErrors::default()
        },
        Err(e) => match FieldErrors::from_app(e, lang) {
            Ok(errors) => errors,
            Err(e) => return page.error(e),
        },
    };
    let mut shown = FieldErrors {
        form: errors.form,
        ..FieldErrors::default()
    };
    for name in &errors.order {
        shown.field(&field_of_row(name, &rows), errors.fields[name].clone());
    }
    detail_page(
        &s,
        &page,
        &id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Details {
            form,
            errors: shown,
            ..Details::default()
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_repeated_and_indexed_fields() {
        let pairs: Vec<(String, String)> = [
            ("attendees[0].name", "张三"),
            ("attendees[2].phone", "138"),
            ("attendees[9].name", "ignored"),
            ("need_ids", "4"),
            ("need_ids", "x"),
            ("need_ids", "7"),
            ("csrf", "t"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let form = RegistrationForm::from_pairs(&pairs);
        assert_eq!(form.attendees.len(), ATTENDEE_ROWS);
        assert_eq!(form.attendees[0].name, "张三");
        assert_eq!(form.need_ids, [4, 7]);
        assert!(!form.wants_meetings);
        let (draft, rows) = form.draft();
        assert_eq!(rows, [0, 2]);
        assert_eq!(draft.attendees.unwrap().len(), 2);
        assert_eq!(
            field_of_row("attendees[1].phone", &rows),
            "attendees[2].phone"
        );
        assert_eq!(field_of_row("need_ids", &rows), "need_ids");
    }

    #[test]
    fn filters_keep_each_other() {
        let f = Filters::parse(CalendarQuery {
            kind: Some("thematic".into()),
            year: Some("2026".into()),
            month: Some("3".into()),
            offset: None,
        })
        .unwrap();
        assert_eq!(f.link(), "/events?kind=thematic&year=2026&month=3");
        let (kinds, years, months) = choices(&f, Lang::Zh);
        assert_eq!(kinds[0].href, "/events?year=2026&month=3");
        assert!(years[0].href == "/events?kind=thematic");
        assert!(months.iter().any(|m| m.current && m.label == "3月"));
        assert!(
            Filters::parse(CalendarQuery {
                kind: Some("party".into()),
                ..CalendarQuery::default()
            })
            .is_none()
        );
        assert_eq!(
            month_heading(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap(), Lang::Zh),
            "2026年3月"
        );
    }
}
