//! Registration for events, the waitlist, check-in, attendance, and the
//! yearly roster of technology commissioner training hours.
//!
//! Members register their own organization ([`Resource::Organization`]:
//! acting for it), staff any organization and decide (confirm, waitlist,
//! decline); staff run the check-in desk and record hours
//! ([`Resource::Bureau`]). Who sees which registration, phone number and
//! listing is decided by `qiao_core::access`.

use crate::policy::{Action, Resource, authorize};
use crate::transfer::Download;
use crate::{App, Error, Principal, Result, Viewer};
use chrono::{DateTime, Duration, Utc};
use qiao_core::Scope;
use qiao_core::access::{
    ListingKind, event_visible_to, mask_phone, phone_visible_to, registration_visible_to,
};
use qiao_core::event::{Window, check_availability};
use qiao_core::record::FieldError;
use qiao_core::stored::Page;
use qiao_core::vocab::{EventStatus, RegistrationStatus, ReviewStatus, Vocabulary};
use qiao_store::StoreError;
use qiao_store::events::EventRow;
pub use qiao_store::events::registrations::{AttendanceRow, Attendee, RegistrationRow};
use qiao_store::events::registrations::{
    RegistrationChange, RegistrationFields, RegistrationKey, RegistrationQuery,
};
use qiao_tabular::{Cell, Column, Format, HeaderStyle, Table};
use std::collections::{BTreeMap, HashSet};

/// People one organization may send.
pub const MAX_ATTENDEES: usize = 20;
/// Characters of an attendee's name or title.
pub const MAX_PERSON_CHARS: usize = 50;
/// Phone numbers: 5–20 characters of digits, `+`, `-` and spaces.
pub const MIN_PHONE_CHARS: usize = 5;
pub const MAX_PHONE_CHARS: usize = 20;
/// Needs (or capabilities) one registration brings.
pub const MAX_LISTINGS: usize = 50;
/// An attendee checked in more than this after the event starts is late.
pub const LATE_AFTER_MINUTES: i64 = 15;
/// Hours of one attendee at one training.
pub const MAX_HOURS: f64 = 24.0;
/// A check-in time given explicitly lies within this of the event.
const CHECK_IN_MARGIN_HOURS: i64 = 24;
/// What the QR code on an agenda encodes before the token.
pub const CHECKIN_PREFIX: &str = "QIAO-CHECKIN:";
/// Years of the training roster.
pub const ROSTER_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;
/// Longest check-in text accepted (prefix and a 32-character token fit easily).
const MAX_TOKEN_CHARS: usize = 200;

/// An attendee as a client sends them.
#[derive(Debug, Clone, Default)]
pub struct AttendeeDraft {
    pub name: Option<String>,
    pub title: Option<String>,
    pub phone: Option<String>,
}

/// A registration as a client sends it: on creation, absent fields take
/// their defaults; on a change, absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct RegistrationDraft {
    /// The organization (staff registering one; members may name their own).
    pub org_id: Option<i64>,
    pub attendees: Option<Vec<AttendeeDraft>>,
    pub need_ids: Option<Vec<i64>>,
    pub capability_ids: Option<Vec<i64>>,
    pub availability: Option<Vec<Window>>,
    pub wants_meetings: Option<bool>,
    /// Changes only: `confirmed`, `waitlisted`, `declined` (staff) or `cancelled`.
    pub status: Option<String>,
}

/// Filters and paging of an event's registrations.
#[derive(Debug, Clone, Default)]
pub struct RegistrationFilter {
    pub status: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

/// A registration as one viewer may see it: phones masked unless theirs to
/// read, only the listings they may see, the check-in secret only for staff
/// and the registering organization.
#[derive(Debug, Clone, PartialEq)]
pub struct Registration {
    pub id: i64,
    pub event_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub status: RegistrationStatus,
    pub attendees: Vec<Attendee>,
    pub need_ids: Vec<i64>,
    pub capability_ids: Vec<i64>,
    pub availability: Vec<Window>,
    pub wants_meetings: bool,
    pub created_at: DateTime<Utc>,
    pub checkin_token: Option<String>,
}

/// A registration with its attendees' check-ins.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckIn {
    pub registration: Registration,
    pub attendance: Vec<AttendanceRow>,
}

/// One attendee of an event, arrived or not.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceEntry {
    pub registration_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub attendee: usize,
    pub name: String,
    pub title: String,
    pub phone: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub late: bool,
    pub hours: Option<f64>,
}

/// Who arrived at an event and who is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceReport {
    pub event_id: i64,
    /// Checked in after this is late.
    pub late_after: DateTime<Utc>,
    pub arrived: Vec<AttendanceEntry>,
    /// Attendees of confirmed registrations not checked in.
    pub missing: Vec<AttendanceEntry>,
}

/// One training a person attended.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterEvent {
    pub event_id: i64,
    pub name: String,
    pub starts_at: DateTime<Utc>,
    pub hours: Option<f64>,
}

/// One person (name and phone) on the yearly training roster.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterPerson {
    pub name: String,
    pub phone: String,
    pub events: Vec<RosterEvent>,
    pub total_hours: f64,
}

/// The roster, as data or as a file.
pub enum Roster {
    Json {
        year: i32,
        people: Vec<RosterPerson>,
    },
    File(Download),
}

/// Whether `scope` may read a registration's check-in secret: staff, who
/// run the desk, and the registering organization, who prints the agenda.
fn token_visible_to(scope: Scope, reg_org: i64) -> bool {
    match scope {
        Scope::All => true,
        Scope::Member(org) => org == reg_org,
        Scope::Public => false,
    }
}

fn err(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// One line of text of at most `max` characters as sent (so that the
/// description's `maxLength` and this check agree), cleaned.
fn line(field: &str, raw: &str, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    if raw.chars().count() > max {
        errors.push(err(field, format!("at most {max} characters")));
        return None;
    }
    match qiao_core::text::clean(raw, false) {
        Ok(s) => Some(s),
        Err(message) => {
            errors.push(err(field, message));
            None
        }
    }
}

/// A phone number: 5–20 characters of digits, `+`, `-` and spaces with at
/// least one digit; empty means none.
fn phone(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    if raw.is_empty() {
        return Some(String::new());
    }
    let n = raw.chars().count();
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
    if !allowed || !raw.chars().any(|c| c.is_ascii_digit()) {
        errors.push(err(
            field,
            "digits, +, - and spaces only, with at least one digit",
        ));
        None
    } else if !(MIN_PHONE_CHARS..=MAX_PHONE_CHARS).contains(&n) {
        errors.push(err(
            field,
            format!("{MIN_PHONE_CHARS}–{MAX_PHONE_CHARS} characters"),
        ));
        None
    } else {
        Some(raw.trim().to_string())
    }
}

fn check_attendees(list: Vec<AttendeeDraft>, errors: &mut Vec<FieldError>) -> Vec<Attendee> {
    if list.is_empty() || list.len() > MAX_ATTENDEES {
        errors.push(err(
            "attendees",
            format!("1–{MAX_ATTENDEES} attendees, not {}", list.len()),
        ));
        return Vec::new();
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, a) in list.into_iter().enumerate() {
        let at = |f: &str| format!("attendees[{i}].{f}");
        let name = line(
            &at("name"),
            a.name.as_deref().unwrap_or(""),
            MAX_PERSON_CHARS,
            errors,
        );
        if name.as_deref() == Some("") {
            errors.push(err(at("name"), "required"));
        }
        let title = line(
            &at("title"),
            a.title.as_deref().unwrap_or(""),
            MAX_PERSON_CHARS,
            errors,
        );
        let phone = phone(&at("phone"), a.phone.as_deref().unwrap_or(""), errors);
        if let (Some(name), Some(title), Some(phone)) = (name, title, phone) {
            out.push(Attendee { name, title, phone });
        }
    }
    out
}

/// Ids without repeats, in the order given; at most [`MAX_LISTINGS`].
fn check_ids(field: &str, ids: Vec<i64>, errors: &mut Vec<FieldError>) -> Vec<i64> {
    if ids.len() > MAX_LISTINGS {
        errors.push(err(
            field,
            format!("at most {MAX_LISTINGS} ids, not {}", ids.len()),
        ));
        return Vec::new();
    }
    let mut seen = HashSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

fn check_windows(
    windows: Vec<Window>,
    event: &EventRow,
    errors: &mut Vec<FieldError>,
) -> Vec<Window> {
    match check_availability(&windows, event.window()) {
        Ok(()) => {
            let mut w = windows;
            w.sort_by_key(|w| w.start);
            w
        }
        Err(message) => {
            errors.push(err("availability", message));
            Vec::new()
        }
    }
}

/// Fields checked on their own (not against stored listings).
struct Checked {
    attendees: Option<Vec<Attendee>>,
    need_ids: Option<Vec<i64>>,
    capability_ids: Option<Vec<i64>>,
    availability: Option<Vec<Window>>,
}

fn check_fields(d: &mut RegistrationDraft, event: &EventRow) -> Result<Checked> {
    let mut errors = Vec::new();
    let checked = Checked {
        attendees: d.attendees.take().map(|a| check_attendees(a, &mut errors)),
        need_ids: d
            .need_ids
            .take()
            .map(|ids| check_ids("need_ids", ids, &mut errors)),
        capability_ids: d
            .capability_ids
            .take()
            .map(|ids| check_ids("capability_ids", ids, &mut errors)),
        availability: d
            .availability
            .take()
            .map(|w| check_windows(w, event, &mut errors)),
    };
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(Error::Invalid(errors))
    }
}

/// Whether registration is open for the event now, or why not.
fn registration_open(event: &EventRow, now: DateTime<Utc>) -> std::result::Result<(), String> {
    if event.status != EventStatus::RegistrationOpen {
        return Err(format!(
            "registration is not open: the event is {} ({})",
            event.status.code(),
            event.status.label_zh()
        ));
    }
    if let Some(opens) = event.fields.registration_opens_at
        && now < opens
    {
        return Err(format!("registration opens at {}", opens.to_rfc3339()));
    }
    if let Some(closes) = event.fields.registration_closes_at
        && now >= closes
    {
        return Err(format!("registration closed at {}", closes.to_rfc3339()));
    }
    Ok(())
}

fn late_after(event: &EventRow) -> DateTime<Utc> {
    event.fields.starts_at + Duration::minutes(LATE_AFTER_MINUTES)
}

/// A person on the roster: the name as written and the phone's digits (and `+`).
fn person_key(name: &str, phone: &str) -> (String, String) {
    let digits: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    (name.trim().to_string(), digits)
}

impl App {
    /// Presents registrations to `scope`: phones, listings and the secret as the rules allow.
    async fn present(&self, scope: Scope, rows: Vec<RegistrationRow>) -> Result<Vec<Registration>> {
        let needs: Vec<i64> = rows.iter().flat_map(|r| r.need_ids.clone()).collect();
        let caps: Vec<i64> = rows.iter().flat_map(|r| r.capability_ids.clone()).collect();
        let store = self.store();
        let needs = store
            .visible_listing_ids(scope, ListingKind::Need, &needs)
            .await?;
        let caps = store
            .visible_listing_ids(scope, ListingKind::Capability, &caps)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let phones = phone_visible_to(scope, r.org_id);
                Registration {
                    id: r.id,
                    event_id: r.event_id,
                    org_id: r.org_id,
                    org_name: r.org_name,
                    status: r.status,
                    attendees: r
                        .attendees
                        .into_iter()
                        .map(|a| Attendee {
                            phone: if phones || a.phone.is_empty() {
                                a.phone
                            } else {
                                mask_phone(&a.phone)
                            },
                            ..a
                        })
                        .collect(),
                    need_ids: r
                        .need_ids
                        .into_iter()
                        .filter(|id| needs.contains(id))
                        .collect(),
                    capability_ids: r
                        .capability_ids
                        .into_iter()
                        .filter(|id| caps.contains(id))
                        .collect(),
                    availability: r.availability,
                    wants_meetings: r.wants_meetings,
                    created_at: r.created_at,
                    checkin_token: r
                        .checkin_token
                        .filter(|_| token_visible_to(scope, r.org_id)),
                }
            })
            .collect())
    }

    async fn present_one(&self, scope: Scope, row: RegistrationRow) -> Result<Registration> {
        self.present(scope, vec![row])
            .await?
            .pop()
            .ok_or(Error::NotFound)
    }

    /// A registration of a visible event that `scope` may see, else 404.
    async fn visible_registration(
        &self,
        scope: Scope,
        event_id: i64,
        id: i64,
    ) -> Result<(EventRow, RegistrationRow)> {
        let event = self.store().visible_event(scope, event_id).await?;
        let row = self
            .store()
            .registration(event_id, RegistrationKey::Id(id))
            .await?
            .ok_or(Error::NotFound)?;
        let viewer_confirmed = match scope {
            Scope::Member(org) => self.store().org_confirmed_at(event_id, org).await?,
            _ => false,
        };
        let confirmed = row.status == RegistrationStatus::Confirmed;
        if registration_visible_to(scope, row.org_id, confirmed, viewer_confirmed) {
            Ok((event, row))
        } else {
            Err(Error::NotFound)
        }
    }

    /// Listing ids must be the organization's own live listings.
    async fn check_owned(&self, org: i64, checked: &Checked) -> Result<()> {
        let mut errors = Vec::new();
        for (field, kind, ids) in [
            ("need_ids", ListingKind::Need, &checked.need_ids),
            (
                "capability_ids",
                ListingKind::Capability,
                &checked.capability_ids,
            ),
        ] {
            let Some(ids) = ids else { continue };
            let owned = self.store().owned_listing_ids(org, kind, ids).await?;
            let foreign: Vec<String> = ids
                .iter()
                .filter(|id| !owned.contains(id))
                .map(i64::to_string)
                .collect();
            if !foreign.is_empty() {
                errors.push(err(
                    field,
                    format!(
                        "not listings of the registering organization: {}",
                        foreign.join(", ")
                    ),
                ));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(errors))
        }
    }

    /// The registrations of an event the viewer may see: staff all, an
    /// organization its own, confirmed participants the other confirmed
    /// ones; anyone else none (an empty list). A hidden event is 404.
    pub async fn registrations(
        &self,
        viewer: &Viewer,
        event_id: i64,
        filter: RegistrationFilter,
    ) -> Result<Page<Registration>> {
        crate::limits::check_page(filter.limit, filter.offset)?;
        let status = match filter.status.as_deref() {
            Some(s) => Some(RegistrationStatus::parse(s).ok_or_else(|| {
                Error::field(
                    "status",
                    qiao_core::vocab::unknown_term::<RegistrationStatus>(s),
                )
            })?),
            None => None,
        };
        let scope = viewer.scope();
        self.store().visible_event(scope, event_id).await?;
        let page = self
            .store()
            .list_registrations(
                scope,
                event_id,
                &RegistrationQuery {
                    status,
                    limit: filter.limit,
                    offset: filter.offset,
                },
            )
            .await?;
        Ok(Page {
            items: self.present(scope, page.items).await?,
            total: page.total,
        })
    }

    /// Registers an organization: a member their own, staff any (by
    /// `org_id`). Only while registration is open (409 says why); one
    /// registration per organization, though a cancelled or declined one
    /// may register again.
    pub async fn register_for_event(
        &self,
        who: &Principal,
        event_id: i64,
        mut draft: RegistrationDraft,
    ) -> Result<Registration> {
        let scope = who.scope();
        let event = self.store().visible_event(scope, event_id).await?;
        let org_id = if who.is_staff() {
            let id = draft.org_id.ok_or_else(|| {
                Error::field("org_id", "staff register an organization: give its id")
            })?;
            self.store()
                .get_organization(id, Scope::All)
                .await?
                .ok_or_else(|| Error::field("org_id", format!("no organization {id}")))?;
            id
        } else {
            let own = who
                .org_id
                .filter(|_| who.role.needs_organization())
                .ok_or(Error::Forbidden)?;
            if draft.org_id.is_some_and(|id| id != own) {
                return Err(Error::Forbidden);
            }
            own
        };
        authorize(who, Resource::Organization { id: org_id }, Action::Update)?;
        if !who.is_staff() {
            let org = self
                .store()
                .get_organization(org_id, scope)
                .await?
                .ok_or(Error::Forbidden)?;
            if org.review_status != ReviewStatus::Approved {
                return Err(Error::Conflict(
                    "the organization is awaiting review by staff; it may register once approved"
                        .into(),
                ));
            }
        }
        if draft.attendees.is_none() {
            return Err(Error::field("attendees", "required: 1–20 attendees"));
        }
        let checked = check_fields(&mut draft, &event)?;
        self.check_owned(org_id, &checked).await?;
        let fields = RegistrationFields {
            attendees: checked.attendees.unwrap_or_default(),
            need_ids: checked.need_ids.unwrap_or_default(),
            capability_ids: checked.capability_ids.unwrap_or_default(),
            availability: checked.availability.unwrap_or_default(),
            wants_meetings: draft.wants_meetings.unwrap_or(true),
        };
        let now = Utc::now();
        let row = self
            .store()
            .register(
                event_id,
                org_id,
                &fields,
                Some(who.id),
                move |locked| {
                    if !event_visible_to(scope, locked.fields.published) {
                        return Err(StoreError::NotFound(format!("event {event_id}")));
                    }
                    registration_open(locked, now).map_err(StoreError::Conflict)
                },
                &who.actor(),
            )
            .await?;
        self.present_one(scope, row).await
    }

    /// Changes a registration: the registrant (or staff) edits its fields
    /// and may cancel it; staff confirm, waitlist or decline.
    pub async fn update_registration(
        &self,
        who: &Principal,
        event_id: i64,
        id: i64,
        mut draft: RegistrationDraft,
    ) -> Result<Registration> {
        use RegistrationStatus::*;
        let scope = who.scope();
        let (event, current) = self.visible_registration(scope, event_id, id).await?;
        let status = match draft.status.as_deref() {
            None => None,
            Some(s) => match RegistrationStatus::parse(s) {
                Some(s @ (Confirmed | Waitlisted | Declined | Cancelled)) => Some(s),
                _ => {
                    return Err(Error::field(
                        "status",
                        "one of confirmed, waitlisted, declined (staff) or cancelled",
                    ));
                }
            },
        };
        if draft.org_id.is_some_and(|o| o != current.org_id) {
            return Err(Error::field(
                "org_id",
                "a registration stays with its organization",
            ));
        }
        let edits = draft.attendees.is_some()
            || draft.need_ids.is_some()
            || draft.capability_ids.is_some()
            || draft.availability.is_some()
            || draft.wants_meetings.is_some();
        let decides = status.is_some_and(|s| s != Cancelled && s != current.status);
        if edits || status == Some(Cancelled) {
            authorize(
                who,
                Resource::Organization { id: current.org_id },
                Action::Update,
            )?;
        }
        if decides {
            self.require_staff(who, Action::Review)?;
        }
        if !who.is_staff()
            && matches!(
                event.status,
                EventStatus::Held | EventStatus::Closed | EventStatus::Cancelled
            )
        {
            return Err(Error::Conflict(format!(
                "the event is {}; registrations no longer change",
                event.status.code()
            )));
        }
        let checked = check_fields(&mut draft, &event)?;
        self.check_owned(current.org_id, &checked).await?;
        if let Some(a) = &checked.attendees {
            // Check-ins refer to attendees by position; dropping one that arrived would orphan it.
            let arrived = self.store().attendance_of(id).await?;
            if let Some(gone) = arrived.iter().find(|r| r.attendee_index >= a.len()) {
                return Err(Error::field(
                    "attendees",
                    format!(
                        "attendee {} ({}) has checked in and cannot be removed",
                        gone.attendee_index, gone.name
                    ),
                ));
            }
        }
        let change = RegistrationChange {
            attendees: checked.attendees,
            need_ids: checked.need_ids,
            capability_ids: checked.capability_ids,
            availability: checked.availability,
            wants_meetings: draft.wants_meetings,
            status,
        };
        let row = self
            .store()
            .change_registration(event_id, id, &change, &who.actor())
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => Error::field("status", m),
                e => e.into(),
            })?;
        self.present_one(scope, row).await
    }

    /// Staff check in attendees of a confirmed registration (by position,
    /// default all) at `at` (default now). Late: more than
    /// [`LATE_AFTER_MINUTES`] after the event starts. A second check-in keeps
    /// the first time.
    pub async fn check_in(
        &self,
        who: &Principal,
        event_id: i64,
        id: i64,
        attendees: Option<Vec<i64>>,
        at: Option<DateTime<Utc>>,
    ) -> Result<CheckIn> {
        self.require_staff(who, Action::Update)?;
        let (event, row) = self.visible_registration(who.scope(), event_id, id).await?;
        let indexes = match attendees {
            None => None,
            Some(list) => {
                if list.len() > MAX_ATTENDEES {
                    return Err(Error::field(
                        "attendees",
                        format!("at most {MAX_ATTENDEES} positions"),
                    ));
                }
                let n = row.attendees.len();
                let mut out = Vec::with_capacity(list.len());
                for i in list {
                    match usize::try_from(i).ok().filter(|i| *i < n) {
                        Some(i) => out.push(i),
                        None => {
                            return Err(Error::field(
                                "attendees",
                                format!("no attendee {i}: positions are 0–{}", n.saturating_sub(1)),
                            ));
                        }
                    }
                }
                Some(out)
            }
        };
        let at = match at {
            Some(t) => {
                let margin = Duration::hours(CHECK_IN_MARGIN_HOURS);
                if t < event.fields.starts_at - margin || t > event.fields.ends_at + margin {
                    return Err(Error::field(
                        "at",
                        format!("must lie within {CHECK_IN_MARGIN_HOURS} hours of the event"),
                    ));
                }
                t
            }
            None => Utc::now(),
        };
        self.do_check_in(who, &event, RegistrationKey::Id(id), indexes.as_deref(), at)
            .await
    }

    /// Staff scan the QR code of an agenda (`QIAO-CHECKIN:<token>`, or the
    /// bare token): every attendee of that registration checks in now.
    pub async fn check_in_by_token(
        &self,
        who: &Principal,
        event_id: i64,
        scanned: &str,
    ) -> Result<CheckIn> {
        self.require_staff(who, Action::Update)?;
        let event = self.store().visible_event(who.scope(), event_id).await?;
        if scanned.chars().count() > MAX_TOKEN_CHARS {
            return Err(Error::field(
                "token",
                format!("at most {MAX_TOKEN_CHARS} characters"),
            ));
        }
        let text = scanned.trim();
        if text.is_empty() {
            return Err(Error::field(
                "token",
                format!("the check-in token, or {CHECKIN_PREFIX}<token> as the QR code holds it"),
            ));
        }
        // No registration has an empty token: the prefix alone names nothing.
        let token = text.strip_prefix(CHECKIN_PREFIX).unwrap_or(text).trim();
        if token.is_empty() {
            return Err(Error::NotFound);
        }
        self.do_check_in(who, &event, RegistrationKey::Token(token), None, Utc::now())
            .await
    }

    async fn do_check_in(
        &self,
        who: &Principal,
        event: &EventRow,
        key: RegistrationKey<'_>,
        indexes: Option<&[usize]>,
        at: DateTime<Utc>,
    ) -> Result<CheckIn> {
        let (row, attendance) = self
            .store()
            .check_in(event.id, key, indexes, at, late_after(event), &who.actor())
            .await
            .map_err(|e| match e {
                StoreError::Invalid(m) => Error::field("attendees", m),
                e => e.into(),
            })?;
        Ok(CheckIn {
            registration: self.present_one(who.scope(), row).await?,
            attendance,
        })
    }

    /// Who arrived at an event (when, whether late, hours) and who of the
    /// confirmed registrations is missing (staff).
    pub async fn attendance(&self, who: &Principal, event_id: i64) -> Result<AttendanceReport> {
        authorize(who, Resource::Bureau, Action::Read)?;
        let event = self.store().visible_event(who.scope(), event_id).await?;
        let registrations = self.store().event_registrations(event_id, None).await?;
        let rows = self.store().event_attendance(event_id).await?;
        let mut arrived = Vec::new();
        let mut missing = Vec::new();
        for r in &registrations {
            let mine: Vec<&AttendanceRow> =
                rows.iter().filter(|a| a.registration_id == r.id).collect();
            for (i, a) in r.attendees.iter().enumerate() {
                let entry = |row: Option<&AttendanceRow>| AttendanceEntry {
                    registration_id: r.id,
                    org_id: r.org_id,
                    org_name: r.org_name.clone(),
                    attendee: i,
                    name: row.map_or_else(|| a.name.clone(), |x| x.name.clone()),
                    title: a.title.clone(),
                    phone: a.phone.clone(),
                    checked_in_at: row.map(|x| x.checked_in_at),
                    late: row.is_some_and(|x| x.late),
                    hours: row.and_then(|x| x.hours),
                };
                match mine.iter().find(|x| x.attendee_index == i) {
                    Some(row) => arrived.push(entry(Some(row))),
                    None if r.status == RegistrationStatus::Confirmed => missing.push(entry(None)),
                    None => {}
                }
            }
        }
        arrived.sort_by_key(|e| (e.checked_in_at, e.registration_id, e.attendee));
        Ok(AttendanceReport {
            event_id,
            late_after: late_after(&event),
            arrived,
            missing,
        })
    }

    /// Staff record hours (0–24 each) of checked-in attendees of a
    /// technology commissioner training, `(position, hours)`.
    pub async fn set_hours(
        &self,
        who: &Principal,
        event_id: i64,
        id: i64,
        hours: Vec<(i64, f64)>,
    ) -> Result<Vec<AttendanceRow>> {
        self.require_staff(who, Action::Update)?;
        let (_, row) = self.visible_registration(who.scope(), event_id, id).await?;
        if hours.is_empty() || hours.len() > MAX_ATTENDEES {
            return Err(Error::field("hours", format!("1–{MAX_ATTENDEES} entries")));
        }
        let n = row.attendees.len();
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(hours.len());
        for (i, h) in hours {
            let Some(index) = usize::try_from(i).ok().filter(|i| *i < n) else {
                return Err(Error::field(
                    "hours",
                    format!("no attendee {i}: positions are 0–{}", n.saturating_sub(1)),
                ));
            };
            if !seen.insert(index) {
                return Err(Error::field(
                    "hours",
                    format!("attendee {index} appears more than once"),
                ));
            }
            if !(0.0..=MAX_HOURS).contains(&h) {
                return Err(Error::field("hours", format!("hours are 0–{MAX_HOURS}")));
            }
            out.push((index, h));
        }
        Ok(self
            .store()
            .set_hours(event_id, id, &out, &who.actor())
            .await?)
    }

    /// The technology commissioners trained in `year` (staff): per person
    /// (name and phone) the trainings attended and the total hours, as data
    /// (`json`, the default) or a spreadsheet (`xlsx`, `csv`).
    pub async fn commissioner_roster(
        &self,
        who: &Principal,
        year: i32,
        format: Option<&str>,
    ) -> Result<Roster> {
        authorize(who, Resource::Bureau, Action::Read)?;
        if !ROSTER_YEARS.contains(&year) {
            return Err(Error::field(
                "year",
                format!("{}–{}", ROSTER_YEARS.start(), ROSTER_YEARS.end()),
            ));
        }
        let format = match format.unwrap_or("json") {
            "json" => None,
            "xlsx" => Some(Format::Xlsx),
            "csv" => Some(Format::Csv),
            other => {
                return Err(Error::field(
                    "format",
                    format!("\"{other}\" is not one of json, xlsx, csv"),
                ));
            }
        };
        let mut people: BTreeMap<(String, String), RosterPerson> = BTreeMap::new();
        for t in self.store().training_attendance(year).await? {
            let a = &t.attendance;
            let phone = a.phone.clone().unwrap_or_default();
            let person = people
                .entry(person_key(&a.name, &phone))
                .or_insert_with(|| RosterPerson {
                    name: a.name.trim().to_string(),
                    phone: phone.clone(),
                    events: Vec::new(),
                    total_hours: 0.0,
                });
            person.total_hours += a.hours.unwrap_or(0.0);
            match person.events.iter_mut().find(|e| e.event_id == t.event_id) {
                // The same person sent twice to one training (by two organizations) counts once.
                Some(e) => {
                    e.hours = match (e.hours, a.hours) {
                        (Some(x), Some(y)) => Some(x.max(y)),
                        (x, y) => x.or(y),
                    };
                }
                None => person.events.push(RosterEvent {
                    event_id: t.event_id,
                    name: t.event_name.clone(),
                    starts_at: t.starts_at,
                    hours: a.hours,
                }),
            }
        }
        let mut people: Vec<RosterPerson> = people.into_values().collect();
        for p in &mut people {
            p.events.sort_by_key(|e| (e.starts_at, e.event_id));
            p.total_hours = p.events.iter().filter_map(|e| e.hours).sum();
        }
        let Some(format) = format else {
            return Ok(Roster::Json { year, people });
        };
        let column = |key: &str, label: &str, width: f64| Column {
            key: key.into(),
            label: label.into(),
            width,
        };
        let table = Table {
            columns: vec![
                column("name", "姓名", 12.0),
                column("phone", "联系电话", 18.0),
                column("trainings", "参加培训次数", 14.0),
                column("total_hours", "累计学时", 10.0),
                column("events", "参加的培训", 60.0),
            ],
            rows: people
                .iter()
                .map(|p| {
                    vec![
                        Cell::Text(p.name.clone()),
                        Cell::Text(p.phone.clone()),
                        Cell::Int(p.events.len() as i64),
                        Cell::Number(p.total_hours),
                        Cell::Text(
                            p.events
                                .iter()
                                .map(|e| match e.hours {
                                    Some(h) => format!("{}（{h}学时）", e.name),
                                    None => e.name.clone(),
                                })
                                .collect::<Vec<_>>()
                                .join("；"),
                        ),
                    ]
                })
                .collect(),
        };
        let bytes = qiao_tabular::write_table_to_bytes(format, &table, HeaderStyle::Labels)
            .map_err(|e| Error::Internal(e.into()))?;
        let (mime, ext) = match format {
            Format::Csv => ("text/csv; charset=utf-8", "csv"),
            _ => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        };
        Ok(Roster::File(Download {
            bytes,
            mime,
            file_name: format!("qiao-commissioner-roster-{year}.{ext}"),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_checked_as_described() {
        let mut errors = Vec::new();
        for ok in ["13812341234", "+49 471 48230 102", "0532-8888", ""] {
            assert!(phone("p", ok, &mut errors).is_some(), "{ok}");
        }
        assert!(errors.is_empty());
        for bad in [
            "1234",
            "+++++",
            "138-1234-1234-1234-12",
            "138x1234",
            "１３８１２３４",
        ] {
            assert!(phone("p", bad, &mut errors).is_none(), "{bad}");
        }
    }

    #[test]
    fn attendees_are_bounded_and_named() {
        let one = |name: &str| AttendeeDraft {
            name: Some(name.into()),
            ..Default::default()
        };
        let mut errors = Vec::new();
        assert_eq!(check_attendees(vec![one("王工")], &mut errors).len(), 1);
        assert!(errors.is_empty());
        check_attendees(vec![one("王工"); 21], &mut errors);
        assert_eq!(errors[0].field, "attendees");
        let mut errors = Vec::new();
        check_attendees(vec![one(" \u{200b} "), one(&"名".repeat(51))], &mut errors);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["attendees[0].name", "attendees[1].name"]);
    }

    #[test]
    fn the_roster_knows_a_person_by_name_and_phone_digits() {
        assert_eq!(
            person_key(" 王海涛 ", "138-1234 1234"),
            person_key("王海涛", "13812341234")
        );
        assert_ne!(
            person_key("王海涛", "13812341234"),
            person_key("王海涛", "")
        );
    }
}
