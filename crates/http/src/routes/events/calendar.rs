//! Events: the calendar, one event, and staff's set-up and life cycle.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query, plan_year, term as vocab, whole};
use crate::schema;
use crate::server::AppState;
use crate::views::{EventDoc, EventPage, WindowDoc};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use qiao_app::events::{CloneDraft, EventDraft, EventFilter};
use qiao_core::event::Window;
use qiao_core::vocab::{EventKind, EventStatus, Field};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_events, create_event))
        .routes(routes!(get_event, patch_event))
        .routes(routes!(clone_event))
}

/// Filters and paging of the calendar.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    #[param(schema_with = schema::code::<EventKind>)]
    pub kind: Option<String>,
    #[param(schema_with = schema::code::<EventStatus>)]
    pub status: Option<String>,
    /// A field code the event has among its themes.
    #[param(schema_with = schema::code::<Field>)]
    pub theme: Option<String>,
    /// Events starting in this year (China time).
    #[param(minimum = 2000, maximum = 2100)]
    pub year: Option<i32>,
    /// Events starting in this month (of `year`, else of the current year).
    #[param(minimum = 1, maximum = 12)]
    pub month: Option<u32>,
    /// Text in the event's name.
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// An event's fields as staff send them; on a change, absent fields keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    #[schema(max_length = 100)]
    pub external_id: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// A kind code or its Chinese label (综合性, 专题性, 科技特派员培训, 国际合作).
    #[schema(schema_with = schema::code_or_null::<EventKind>)]
    pub kind: Option<String>,
    /// On a change: the next status (only allowed moves; see `next_statuses`).
    #[schema(schema_with = schema::code_or_null::<EventStatus>)]
    pub status: Option<String>,
    /// Field codes or labels.
    #[schema(max_items = 30)]
    pub themes: Option<Vec<String>>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    #[schema(format = DateTime)]
    pub ends_at: Option<DateTime<Utc>>,
    #[schema(max_length = 5000)]
    pub venue: Option<String>,
    /// The district (区/市) where it takes place.
    #[schema(max_length = 200)]
    pub district: Option<String>,
    #[schema(max_length = 200)]
    pub organizer: Option<String>,
    #[schema(max_items = 20)]
    pub co_organizers: Option<Vec<String>>,
    #[schema(minimum = 0, maximum = 100000)]
    #[serde(default, deserialize_with = "whole::option")]
    pub capacity: Option<i32>,
    #[schema(format = DateTime)]
    pub registration_opens_at: Option<DateTime<Utc>>,
    #[schema(format = DateTime)]
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub published: Option<bool>,
    pub auto_confirm: Option<bool>,
    /// Length of a 1:1 meeting slot in minutes.
    #[schema(minimum = 5, maximum = 240)]
    #[serde(default, deserialize_with = "whole::option")]
    pub slot_minutes: Option<i32>,
    /// Windows for 1:1 meetings within the event; the gaps are breaks.
    #[schema(max_items = 20)]
    pub meeting_hours: Option<Vec<WindowDoc>>,
    #[schema(minimum = 0, maximum = 500)]
    #[serde(default, deserialize_with = "whole::option")]
    pub tables: Option<i32>,
    /// Share of tables kept free, 0–0.9.
    #[schema(minimum = 0.0, maximum = 0.9)]
    pub spare_share: Option<f64>,
    /// The version being edited; a mismatch answers 409.
    #[serde(default, deserialize_with = "whole::option")]
    pub version: Option<i32>,
}

impl From<EventBody> for EventDraft {
    fn from(b: EventBody) -> Self {
        Self {
            external_id: b.external_id,
            name: b.name,
            kind: b.kind,
            status: b.status,
            themes: b.themes,
            description: b.description,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            venue: b.venue,
            district: b.district,
            organizer: b.organizer,
            co_organizers: b.co_organizers,
            capacity: b.capacity,
            registration_opens_at: b.registration_opens_at,
            registration_closes_at: b.registration_closes_at,
            published: b.published,
            auto_confirm: b.auto_confirm,
            slot_minutes: b.slot_minutes,
            meeting_hours: b.meeting_hours.map(|ws| {
                ws.into_iter()
                    .map(|w| Window {
                        start: w.start,
                        end: w.end,
                    })
                    .collect()
            }),
            tables: b.tables,
            spare_share: b.spare_share,
            version: b.version,
        }
    }
}

/// What a copy changes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloneBody {
    /// The copy's start; every time of the event shifts with it.
    #[schema(format = DateTime)]
    pub starts_at: Option<DateTime<Utc>>,
    /// Default: the source's name with （副本）.
    #[schema(max_length = 200)]
    pub name: Option<String>,
}

/// The calendar: published events for everyone, all events for staff; soonest first.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams),
    responses((status = 200, body = EventPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown code or a page out of bounds")))]
pub async fn list_events(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<EventParams>,
) -> Result<axum::Json<EventPage>, AppError> {
    p.year.map(plan_year).transpose()?;
    if p.q.as_deref().is_some_and(|q| q.chars().count() > 100) {
        return Err(qiao_app::Error::field("q", "at most 100 characters").into());
    }
    // A month alone means that month of the current year (China time).
    let year = p.year.or_else(|| {
        p.month.map(|_| {
            use chrono::Datelike;
            (Utc::now() + chrono::Duration::hours(8)).year()
        })
    });
    let filter = EventFilter {
        kind: vocab("kind", p.kind.as_deref())?,
        status: vocab("status", p.status.as_deref())?,
        theme: vocab("theme", p.theme.as_deref())?,
        year,
        month: p.month,
        q: p.q,
        limit: p.limit.unwrap_or(20),
        offset: p.offset.unwrap_or(0),
    };
    let page = s.app.events(&viewer.0, &filter).await?;
    Ok(axum::Json(EventPage {
        total: page.total,
        limit: filter.limit,
        offset: filter.offset,
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}

/// Create an event (staff). Status `planned` and unpublished unless given.
#[utoipa::path(post, path = "/api/v1/events", tag = "events", request_body = EventBody,
    responses((status = 201, body = EventDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the external id is taken"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, each named")))]
pub async fn create_event(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<EventBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    let event = s.app.create_event(&who, body.into()).await?;
    Ok((StatusCode::CREATED, axum::Json(EventDoc::from(event))))
}

/// One event (published ones for everyone, all for staff).
#[utoipa::path(get, path = "/api/v1/events/{id}", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id")),
    responses((status = 200, body = EventDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_event(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<EventDoc>, AppError> {
    Ok(axum::Json(s.app.event(&viewer.0, id).await?.into()))
}

/// Edit an event, open or close registration, publish, mark held, cancel (staff).
/// A `status` must be an allowed move; otherwise 409 names the allowed ones.
#[utoipa::path(patch, path = "/api/v1/events/{id}", tag = "events", request_body = EventBody,
    params(("id" = i64, Path, minimum = 1, description = "Event id")),
    responses((status = 200, body = EventDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "a status move that is not allowed, a stale version or a taken external id"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, each named")))]
pub async fn patch_event(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<EventBody>,
) -> Result<axum::Json<EventDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app.update_event(&who, id, body.into()).await?.into(),
    ))
}

/// Copy an event (e.g. last year's) as a new planned, unpublished one (staff).
#[utoipa::path(post, path = "/api/v1/events/{id}/clone", tag = "events", request_body = CloneBody,
    params(("id" = i64, Path, minimum = 1, description = "Event id")),
    responses((status = 201, body = EventDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn clone_event(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<CloneBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    let event = s
        .app
        .clone_event(
            &who,
            id,
            CloneDraft {
                starts_at: body.starts_at,
                name: body.name,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(EventDoc::from(event))))
}
