//! Registration for events: members register their organization, staff
//! confirm, waitlist or decline, the check-in desk records arrivals (by
//! registration, or by the QR code `QIAO-CHECKIN:<token>` on the agenda),
//! staff see who is missing, and record hours at technology commissioner
//! trainings for the yearly roster.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query, whole};
use crate::schema;
use crate::server::AppState;
use crate::views::WindowDoc;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, Utc};
use qiao_app::events::registrations::{
    AttendanceEntry, AttendanceRow, AttendeeDraft, CheckIn, Registration, RegistrationDraft,
    RegistrationFilter, Roster, RosterPerson,
};
use qiao_core::event::Window;
use qiao_core::vocab::{RegistrationStatus, Vocabulary};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::openapi::schema::Schema;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_registrations, register))
        .routes(routes!(patch_registration))
        .routes(routes!(check_in))
        .routes(routes!(check_in_by_token))
        .routes(routes!(attendance))
        .routes(routes!(put_hours))
        .routes(routes!(commissioner_roster))
}

fn from_json(v: serde_json::Value) -> Schema {
    serde_json::from_value(v).expect("a hand-written schema deserializes")
}

fn person_name() -> Schema {
    from_json(
        json!({"type": "string", "maxLength": 50, "pattern": schema::LINE_NOT_BLANK,
        "description": "The attendee's name, 1–50 characters."}),
    )
}

fn person_title() -> Schema {
    from_json(
        json!({"type": ["string", "null"], "maxLength": 50, "pattern": schema::ONE_LINE,
        "description": "Job title, at most 50 characters."}),
    )
}

fn phone() -> Schema {
    from_json(
        json!({"description": "5–20 characters of digits, `+`, `-` and spaces, with a digit; empty or null for none.",
        "anyOf": [
            {"type": "null"},
            {"type": "string", "maxLength": 0},
            {"type": "string", "minLength": 5, "maxLength": 20, "pattern": "^[0-9+\\- ]*[0-9][0-9+\\- ]*$"},
        ]}),
    )
}

fn listing_ids() -> Schema {
    from_json(json!({"type": ["array", "null"], "maxItems": 50,
        "items": {"type": "integer", "format": "int64", "minimum": 1},
        "description": "Ids of the registering organization's own listings, at most 50."}))
}

fn org_id_schema() -> Schema {
    from_json(
        json!({"type": ["integer", "null"], "format": "int64", "minimum": 1,
        "description": "The organization registered: required for staff; members register their own (and may name it)."}),
    )
}

fn attendee_positions() -> Schema {
    from_json(json!({"type": ["array", "null"], "maxItems": 20,
        "items": {"type": "integer", "minimum": 0, "maximum": 19},
        "description": "Positions (from 0) of the attendees arriving; default all."}))
}

fn token_schema() -> Schema {
    from_json(
        json!({"type": "string", "maxLength": 200, "pattern": schema::NOT_BLANK,
        "description": "`QIAO-CHECKIN:<token>` as the agenda's QR code holds it, or the bare token."}),
    )
}

fn decision() -> Schema {
    from_json(json!({"type": ["string", "null"],
        "enum": ["confirmed", "waitlisted", "declined", "cancelled", null],
        "description": "`confirmed`, `waitlisted` or `declined` (staff), or `cancelled` (the registrant or staff); null keeps the status."}))
}

fn status_code() -> Schema {
    schema::code::<RegistrationStatus>()
}

// ---- views ------------------------------------------------------------------

/// One person an organization sends.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendeeDoc {
    pub name: String,
    pub title: String,
    /// Masked (`138****1234`) for everyone but staff and the registering organization; empty when not given.
    pub phone: String,
}

/// An organization's registration for an event, as the viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationDoc {
    pub id: i64,
    pub event_id: i64,
    pub org_id: i64,
    pub org_name: String,
    #[schema(schema_with = status_code)]
    pub status: String,
    pub attendees: Vec<AttendeeDoc>,
    /// The needs it brings that the viewer may see.
    pub need_ids: Vec<i64>,
    /// The capabilities it brings that the viewer may see.
    pub capability_ids: Vec<i64>,
    /// When its people are available; empty: the whole event.
    pub availability: Vec<WindowDoc>,
    pub wants_meetings: bool,
    #[schema(format = DateTime)]
    pub created_at: DateTime<Utc>,
    /// The check-in secret (staff and the registering organization only); the
    /// agenda's QR code holds `QIAO-CHECKIN:<token>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkin_token: Option<String>,
}

impl From<Registration> for RegistrationDoc {
    fn from(r: Registration) -> Self {
        Self {
            id: r.id,
            event_id: r.event_id,
            org_id: r.org_id,
            org_name: r.org_name,
            status: r.status.code().into(),
            attendees: r
                .attendees
                .into_iter()
                .map(|a| AttendeeDoc {
                    name: a.name,
                    title: a.title,
                    phone: a.phone,
                })
                .collect(),
            need_ids: r.need_ids,
            capability_ids: r.capability_ids,
            availability: r
                .availability
                .into_iter()
                .map(|w| WindowDoc {
                    start: w.start,
                    end: w.end,
                })
                .collect(),
            wants_meetings: r.wants_meetings,
            created_at: r.created_at,
            checkin_token: r.checkin_token,
        }
    }
}

/// One page of an event's registrations.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationPage {
    /// Registrations matching the filters that the viewer may see, on all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub items: Vec<RegistrationDoc>,
}

/// One attendee's check-in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArrivalDoc {
    /// Position of the attendee in the registration, from 0.
    pub attendee: u32,
    pub name: String,
    #[schema(format = DateTime)]
    pub checked_in_at: DateTime<Utc>,
    /// Checked in more than 15 minutes after the event started.
    pub late: bool,
    /// Training hours recorded by staff.
    pub hours: Option<f64>,
}

fn arrival(a: AttendanceRow) -> ArrivalDoc {
    ArrivalDoc {
        attendee: u32::try_from(a.attendee_index).unwrap_or(u32::MAX),
        name: a.name,
        checked_in_at: a.checked_in_at,
        late: a.late,
        hours: a.hours,
    }
}

/// A registration with its attendees' check-ins.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInDoc {
    pub registration: RegistrationDoc,
    pub attendance: Vec<ArrivalDoc>,
}

impl From<CheckIn> for CheckInDoc {
    fn from(c: CheckIn) -> Self {
        Self {
            registration: c.registration.into(),
            attendance: c.attendance.into_iter().map(arrival).collect(),
        }
    }
}

/// The check-ins of one registration, with hours.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursDoc {
    pub registration_id: i64,
    pub attendance: Vec<ArrivalDoc>,
}

/// An attendee of the event, arrived or not.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntryDoc {
    pub registration_id: i64,
    pub org_id: i64,
    pub org_name: String,
    /// Position of the attendee in the registration, from 0.
    pub attendee: u32,
    pub name: String,
    pub title: String,
    pub phone: String,
    /// When they checked in; null: not (yet).
    #[schema(format = DateTime)]
    pub checked_in_at: Option<DateTime<Utc>>,
    pub late: bool,
    pub hours: Option<f64>,
}

impl From<AttendanceEntry> for AttendanceEntryDoc {
    fn from(e: AttendanceEntry) -> Self {
        Self {
            registration_id: e.registration_id,
            org_id: e.org_id,
            org_name: e.org_name,
            attendee: u32::try_from(e.attendee).unwrap_or(u32::MAX),
            name: e.name,
            title: e.title,
            phone: e.phone,
            checked_in_at: e.checked_in_at,
            late: e.late,
            hours: e.hours,
        }
    }
}

/// Who arrived at an event, and who of the confirmed registrations is missing.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceDoc {
    pub event_id: i64,
    /// Whoever checks in after this (15 minutes after the start) is late.
    #[schema(format = DateTime)]
    pub late_after: DateTime<Utc>,
    /// Attendees expected: those of confirmed registrations, plus anyone who checked in.
    pub expected: u64,
    /// In order of arrival.
    pub arrived: Vec<AttendanceEntryDoc>,
    pub missing: Vec<AttendanceEntryDoc>,
}

/// One training a person attended.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterEventDoc {
    pub event_id: i64,
    pub name: String,
    #[schema(format = DateTime)]
    pub starts_at: DateTime<Utc>,
    /// Hours recorded; null: none yet.
    pub hours: Option<f64>,
}

/// One technology commissioner (a person: name and phone).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterPersonDoc {
    pub name: String,
    pub phone: String,
    /// Trainings attended in the year.
    pub events_attended: u32,
    pub total_hours: f64,
    pub events: Vec<RosterEventDoc>,
}

impl From<RosterPerson> for RosterPersonDoc {
    fn from(p: RosterPerson) -> Self {
        Self {
            name: p.name,
            phone: p.phone,
            events_attended: u32::try_from(p.events.len()).unwrap_or(u32::MAX),
            total_hours: p.total_hours,
            events: p
                .events
                .into_iter()
                .map(|e| RosterEventDoc {
                    event_id: e.event_id,
                    name: e.name,
                    starts_at: e.starts_at,
                    hours: e.hours,
                })
                .collect(),
        }
    }
}

/// The yearly roster of technology commissioner trainings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterDoc {
    pub year: i32,
    pub items: Vec<RosterPersonDoc>,
}

// ---- inputs -------------------------------------------------------------------

/// Filters and paging of an event's registrations.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegistrationParams {
    #[param(schema_with = status_code)]
    pub status: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// One person an organization sends.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendeeBody {
    #[schema(schema_with = person_name)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = person_title)]
    pub title: Option<String>,
    #[serde(default)]
    #[schema(schema_with = phone)]
    pub phone: Option<String>,
}

fn attendees(list: Vec<AttendeeBody>) -> Vec<AttendeeDraft> {
    list.into_iter()
        .map(|a| AttendeeDraft {
            name: Some(a.name),
            title: a.title,
            phone: a.phone,
        })
        .collect()
}

fn windows(list: Vec<WindowDoc>) -> Vec<Window> {
    list.into_iter()
        .map(|w| Window {
            start: w.start,
            end: w.end,
        })
        .collect()
}

/// A registration. Availability windows must each overlap the event; listing
/// ids must be the organization's own.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationBody {
    #[serde(default, deserialize_with = "whole::option")]
    #[schema(schema_with = org_id_schema)]
    pub org_id: Option<i64>,
    /// The people coming, 1–20.
    #[schema(min_items = 1, max_items = 20)]
    pub attendees: Vec<AttendeeBody>,
    #[serde(default, deserialize_with = "whole::option_vec")]
    #[schema(schema_with = listing_ids)]
    pub need_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "whole::option_vec")]
    #[schema(schema_with = listing_ids)]
    pub capability_ids: Option<Vec<i64>>,
    /// When the people are available for 1:1 meetings, at most 20 windows; empty or absent: the whole event.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub availability: Option<Vec<WindowDoc>>,
    /// Default true.
    #[serde(default)]
    pub wants_meetings: Option<bool>,
}

/// A change of a registration; absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrationPatch {
    /// The people coming, 1–20 (attendees who checked in cannot be dropped).
    #[serde(default)]
    #[schema(min_items = 1, max_items = 20)]
    pub attendees: Option<Vec<AttendeeBody>>,
    #[serde(default, deserialize_with = "whole::option_vec")]
    #[schema(schema_with = listing_ids)]
    pub need_ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "whole::option_vec")]
    #[schema(schema_with = listing_ids)]
    pub capability_ids: Option<Vec<i64>>,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub availability: Option<Vec<WindowDoc>>,
    #[serde(default)]
    pub wants_meetings: Option<bool>,
    #[serde(default)]
    #[schema(schema_with = decision)]
    pub status: Option<String>,
}

/// Who arrives, and when.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInBody {
    #[serde(default, deserialize_with = "whole::option_vec")]
    #[schema(schema_with = attendee_positions)]
    pub attendees: Option<Vec<i64>>,
    /// Default now; a time given must lie within 24 hours of the event.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub at: Option<DateTime<Utc>>,
}

/// What the scanner read from the agenda's QR code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInTokenBody {
    /// `QIAO-CHECKIN:<token>` or the bare token.
    #[schema(schema_with = token_schema)]
    pub token: String,
}

/// One attendee's hours.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursEntry {
    /// Position of the attendee in the registration, from 0.
    #[serde(deserialize_with = "whole_i64")]
    #[schema(minimum = 0, maximum = 19)]
    pub attendee: i64,
    #[schema(minimum = 0.0, maximum = 24.0)]
    pub hours: f64,
}

fn whole_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    whole::option(d)?.ok_or_else(|| serde::de::Error::custom("a whole number is required"))
}

/// Hours of checked-in attendees of a training, each attendee at most once.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursBody {
    #[schema(min_items = 1, max_items = 20)]
    pub hours: Vec<HoursEntry>,
}

/// The roster's year and form.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RosterParams {
    /// Trainings starting in this year (China time); default the current year.
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    #[param(schema_with = roster_format)]
    pub format: Option<String>,
}

fn roster_format() -> Schema {
    schema::one_of(
        &["json", "xlsx", "csv"],
        "`json` (default), `xlsx` or `csv` (a Chinese header row; CSV in UTF-8 with BOM).",
    )
}

// ---- handlers -----------------------------------------------------------------

/// Reads a body that must be a JSON object, with objects as the items of
/// `lists`: serde reads a struct from an array of its fields in order as
/// readily as from an object, which the description does not allow.
fn body<T: DeserializeOwned>(raw: Value, lists: &[&str]) -> Result<T, AppError> {
    let Some(map) = raw.as_object() else {
        return Err(AppError::BadRequest(
            "the body must be a JSON object".into(),
        ));
    };
    for key in lists {
        if let Some(Value::Array(items)) = map.get(*key)
            && items.iter().any(|item| !item.is_object())
        {
            return Err(AppError::BadRequest(format!(
                "each item of {key} must be a JSON object"
            )));
        }
    }
    serde_json::from_value(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// An event's registrations: staff see all; an organization its own;
/// organizations with a confirmed registration also the other confirmed
/// ones; anyone else (anonymous included) an empty list. Phones are masked
/// for everyone but staff and the registering organization; listing ids
/// are only those the viewer may see. A hidden event is 404.
#[utoipa::path(get, path = "/api/v1/events/{id}/registrations", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id"), RegistrationParams),
    responses((status = 200, body = RegistrationPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json", description = "an invalid API token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown status or a page out of bounds")))]
pub async fn list_registrations(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<RegistrationParams>,
) -> Result<axum::Json<RegistrationPage>, AppError> {
    let filter = RegistrationFilter {
        status: p.status,
        limit: p.limit.unwrap_or(20),
        offset: p.offset.unwrap_or(0),
    };
    let (limit, offset) = (filter.limit, filter.offset);
    let page = s.app.registrations(&viewer.0, id, filter).await?;
    Ok(axum::Json(RegistrationPage {
        total: page.total,
        limit,
        offset,
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}

/// Register an organization (its member; staff name any organization by
/// `org_id`). Only while the event's registration is open (409 says why);
/// one registration per organization, though a cancelled or declined one may
/// register again. With `auto_confirm` the registration is confirmed while
/// places remain and waitlisted after; otherwise it waits for staff
/// (`pending`).
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations", tag = "events", request_body = RegistrationBody,
    params(("id" = i64, Path, minimum = 1, description = "Event id")),
    responses((status = 201, body = RegistrationDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not a member of the organization, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "registration not open, already registered, or the organization awaits review"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, each named")))]
pub async fn register(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(raw): Json<Value>,
) -> Result<impl IntoResponse, AppError> {
    let body: RegistrationBody = body(raw, &["attendees", "availability"])?;
    let who = viewer.require()?;
    let draft = RegistrationDraft {
        org_id: body.org_id,
        attendees: Some(attendees(body.attendees)),
        need_ids: body.need_ids,
        capability_ids: body.capability_ids,
        availability: body.availability.map(windows),
        wants_meetings: body.wants_meetings,
        status: None,
    };
    let registration = s.app.register_for_event(&who, id, draft).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(RegistrationDoc::from(registration)),
    ))
}

/// Change a registration: the registering organization (or staff) edits
/// attendees, listings, availability and `wants_meetings`, or cancels
/// (`status: cancelled`); staff confirm (409 when the event is full: waitlist
/// instead), waitlist or decline. Cancelling or declining a confirmed
/// registration confirms the first waitlisted ones while places are free.
#[utoipa::path(patch, path = "/api/v1/events/{id}/registrations/{rid}", tag = "events", request_body = RegistrationPatch,
    params(("id" = i64, Path, minimum = 1, description = "Event id"),
        ("rid" = i64, Path, minimum = 1, description = "Registration id")),
    responses((status = 200, body = RegistrationDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not the registrant (or staff for decisions), or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the event is full, the registration is cancelled, or the event has taken place"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, each named")))]
pub async fn patch_registration(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((id, rid)): Path<(i64, i64)>,
    Json(raw): Json<Value>,
) -> Result<axum::Json<RegistrationDoc>, AppError> {
    let body: RegistrationPatch = body(raw, &["attendees", "availability"])?;
    let who = viewer.require()?;
    let draft = RegistrationDraft {
        org_id: None,
        attendees: body.attendees.map(attendees),
        need_ids: body.need_ids,
        capability_ids: body.capability_ids,
        availability: body.availability.map(windows),
        wants_meetings: body.wants_meetings,
        status: body.status,
    };
    Ok(axum::Json(
        s.app
            .update_registration(&who, id, rid, draft)
            .await?
            .into(),
    ))
}

/// Check in attendees of a confirmed registration (staff): the positions
/// given (default all) at `at` (default now). Whoever checks in more than
/// 15 minutes after the event starts is late. Checking in again keeps the
/// first time.
#[utoipa::path(post, path = "/api/v1/events/{id}/registrations/{rid}/check-in", tag = "events", request_body = CheckInBody,
    params(("id" = i64, Path, minimum = 1, description = "Event id"),
        ("rid" = i64, Path, minimum = 1, description = "Registration id")),
    responses((status = 200, body = CheckInDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the registration is not confirmed"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a position the registration does not have, or a time far from the event")))]
pub async fn check_in(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((id, rid)): Path<(i64, i64)>,
    Json(raw): Json<Value>,
) -> Result<axum::Json<CheckInDoc>, AppError> {
    let body: CheckInBody = body(raw, &[])?;
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app
            .check_in(&who, id, rid, body.attendees, body.at)
            .await?
            .into(),
    ))
}

/// Check in by the QR code on the agenda (staff): `QIAO-CHECKIN:<token>`
/// or the bare token checks in every attendee of that registration now and
/// answers it. A token of another event is 404.
#[utoipa::path(post, path = "/api/v1/events/{id}/check-in", tag = "events", request_body = CheckInTokenBody,
    params(("id" = i64, Path, minimum = 1, description = "Event id")),
    responses((status = 200, body = CheckInDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json", description = "no such event, or no registration of it with this token"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the registration is not confirmed"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a blank or overlong token")))]
pub async fn check_in_by_token(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(raw): Json<Value>,
) -> Result<axum::Json<CheckInDoc>, AppError> {
    let body: CheckInTokenBody = body(raw, &[])?;
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app.check_in_by_token(&who, id, &body.token).await?.into(),
    ))
}

/// Who arrived (when, whether late, hours) and who of the confirmed
/// registrations is missing (staff).
#[utoipa::path(get, path = "/api/v1/events/{id}/attendance", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id")),
    responses((status = 200, body = AttendanceDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn attendance(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<AttendanceDoc>, AppError> {
    let who = viewer.require()?;
    let report = s.app.attendance(&who, id).await?;
    Ok(axum::Json(AttendanceDoc {
        event_id: report.event_id,
        late_after: report.late_after,
        expected: (report.arrived.len() + report.missing.len()) as u64,
        arrived: report.arrived.into_iter().map(Into::into).collect(),
        missing: report.missing.into_iter().map(Into::into).collect(),
    }))
}

/// Record training hours (0–24) of checked-in attendees of a technology
/// commissioner training (staff); other kinds of event answer 409.
#[utoipa::path(put, path = "/api/v1/events/{id}/registrations/{rid}/hours", tag = "events", request_body = HoursBody,
    params(("id" = i64, Path, minimum = 1, description = "Event id"),
        ("rid" = i64, Path, minimum = 1, description = "Registration id")),
    responses((status = 200, body = HoursDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "a malformed body"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff, or a missing CSRF token"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "not a training, or an attendee who has not checked in"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a position the registration does not have, an attendee twice, or hours out of range")))]
pub async fn put_hours(
    State(s): State<AppState>,
    viewer: Viewer,
    Path((id, rid)): Path<(i64, i64)>,
    Json(raw): Json<Value>,
) -> Result<axum::Json<HoursDoc>, AppError> {
    let body: HoursBody = body(raw, &["hours"])?;
    let who = viewer.require()?;
    let hours = body
        .hours
        .into_iter()
        .map(|h| (h.attendee, h.hours))
        .collect();
    let rows = s.app.set_hours(&who, id, rid, hours).await?;
    Ok(axum::Json(HoursDoc {
        registration_id: rid,
        attendance: rows.into_iter().map(arrival).collect(),
    }))
}

/// The yearly roster of technology commissioner trainings (staff): per
/// person (name and phone) the trainings attended and the total hours, as
/// JSON or a spreadsheet.
#[utoipa::path(get, path = "/api/v1/events/commissioners/roster", tag = "events", params(RosterParams),
    responses((status = 200, description = "the roster; `xlsx` and `csv` as a file (with `Content-Disposition: attachment`)", content(
            (RosterDoc = "application/json"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"))),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not staff"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a year out of range or an unknown format")))]
pub async fn commissioner_roster(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<RosterParams>,
) -> Result<Response, AppError> {
    let who = viewer.require()?;
    // The current year in China's time (UTC+8).
    let year = p
        .year
        .unwrap_or_else(|| (Utc::now() + chrono::Duration::hours(8)).year());
    match s
        .app
        .commissioner_roster(&who, year, p.format.as_deref())
        .await?
    {
        Roster::Json { year, people } => Ok(axum::Json(RosterDoc {
            year,
            items: people.into_iter().map(Into::into).collect(),
        })
        .into_response()),
        Roster::File(file) => {
            let mut response = file.bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(file.mime));
            let disposition = format!("attachment; filename=\"{}\"", file.file_name);
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(response)
        }
    }
}
