//! Matchmaking events: the events themselves (this module), registrations
//! and attendance, meeting requests and meetings, agendas, and the figures of
//! events held. Every reader filters by the visibility rules of
//! `qiao_core::access`.

pub mod agenda;
pub mod meetings;
pub mod registrations;
pub mod reports;
mod seed;
pub use seed::{NewEvent, NewRegistration};

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::convert::{codes, from_codes, strings};
use crate::entities::event;
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use qiao_core::Scope;
use qiao_core::access::event_visible_to;
use qiao_core::event::{EventFields, MeetingSettings, Window};
use qiao_core::stored::Page;
use qiao_core::vocab::{EventKind, EventStatus, Field, Vocabulary};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};

/// An event as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub status: EventStatus,
    pub fields: EventFields,
    pub cloned_from: Option<i64>,
    pub schedule_report: Option<Value>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EventRow {
    pub fn window(&self) -> Window {
        Window {
            start: self.fields.starts_at,
            end: self.fields.ends_at,
        }
    }
}

/// Filters and paging of the event list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub kind: Option<EventKind>,
    pub status: Option<EventStatus>,
    pub theme: Option<Field>,
    /// Events starting in this year (and `month`, 1–12, when given), in China's time.
    pub year: Option<i32>,
    pub month: Option<u32>,
    /// Text contained in the name.
    pub q: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

pub(crate) fn windows(value: &Option<Value>) -> Vec<Window> {
    value
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

pub(crate) fn event_row(m: event::Model) -> EventRow {
    EventRow {
        id: m.id,
        status: EventStatus::from_code(&m.status).unwrap_or(EventStatus::Planned),
        fields: EventFields {
            external_id: m.external_id,
            name: m.name,
            kind: EventKind::from_code(&m.kind).unwrap_or(EventKind::Thematic),
            themes: from_codes(&m.themes),
            description: m.description.unwrap_or_default(),
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            venue: m.venue,
            district: m.district,
            organizer: m.organizer.unwrap_or_default(),
            co_organizers: m.co_organizers.as_ref().map(strings).unwrap_or_default(),
            capacity: m.capacity,
            registration_opens_at: m.registration_opens_at,
            registration_closes_at: m.registration_closes_at,
            published: m.published,
            auto_confirm: m.auto_confirm,
            meeting: MeetingSettings {
                slot_minutes: m.slot_minutes,
                hours: windows(&m.meeting_hours),
                tables: m.tables,
                spare_share: m.spare_share,
            },
        },
        cloned_from: m.cloned_from,
        schedule_report: m.schedule_report,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn set_fields(f: &EventFields, am: &mut event::ActiveModel) {
    am.external_id = Set(f.external_id.clone());
    am.name = Set(f.name.trim().to_string());
    am.kind = Set(f.kind.code().into());
    am.themes = Set(codes(&f.themes));
    am.description = Set(Some(f.description.clone()));
    am.starts_at = Set(f.starts_at);
    am.ends_at = Set(f.ends_at);
    am.venue = Set(f.venue.clone());
    am.district = Set(f.district.clone());
    am.organizer = Set(Some(f.organizer.clone()));
    am.co_organizers = Set(Some(json!(f.co_organizers)));
    am.capacity = Set(f.capacity);
    am.registration_opens_at = Set(f.registration_opens_at);
    am.registration_closes_at = Set(f.registration_closes_at);
    am.published = Set(f.published);
    am.auto_confirm = Set(f.auto_confirm);
    am.slot_minutes = Set(f.meeting.slot_minutes);
    am.meeting_hours = Set(Some(json!(f.meeting.hours)));
    am.tables = Set(f.meeting.tables);
    am.spare_share = Set(f.meeting.spare_share);
}

fn audit_view(row: &EventRow) -> Value {
    json!({
        "name": row.fields.name,
        "kind": row.fields.kind.code(),
        "status": row.status.code(),
        "starts_at": row.fields.starts_at,
        "ends_at": row.fields.ends_at,
        "venue": row.fields.venue,
        "capacity": row.fields.capacity,
        "published": row.fields.published,
        "tables": row.fields.meeting.tables,
        "slot_minutes": row.fields.meeting.slot_minutes,
        "spare_share": row.fields.meeting.spare_share,
        "meeting_hours": row.fields.meeting.hours,
    })
}

/// China has one time zone and no daylight saving: year and month of an
/// event are read there, not in UTC.
pub(crate) fn china_month_start(year: i32, month: u32) -> Option<DateTime<Utc>> {
    use chrono::{FixedOffset, TimeZone};
    let china = FixedOffset::east_opt(8 * 3600)?;
    china
        .with_ymd_and_hms(year, month, 1, 0, 0, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// `[start, end)` of a year, or of one month of it, in China's time.
pub(crate) fn period(year: i32, month: Option<u32>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    match month {
        Some(m) if (1..=12).contains(&m) => {
            let start = china_month_start(year, m)?;
            let end = if m == 12 {
                china_month_start(year + 1, 1)?
            } else {
                china_month_start(year, m + 1)?
            };
            Some((start, end))
        }
        Some(_) => None,
        None => Some((china_month_start(year, 1)?, china_month_start(year + 1, 1)?)),
    }
}

impl Store {
    /// Creates an event from staff's fields.
    pub async fn insert_event(
        &self,
        fields: &EventFields,
        status: EventStatus,
        cloned_from: Option<i64>,
        actor: &Actor,
    ) -> Result<EventRow, StoreError> {
        let tx = self.begin_write().await?;
        let now = Utc::now();
        let mut am = event::ActiveModel {
            id: NotSet,
            status: Set(status.code().into()),
            created_at: Set(now),
            updated_at: Set(now),
            cloned_from: Set(cloned_from),
            schedule_report: Set(None),
            version: Set(1),
            ..Default::default()
        };
        set_fields(fields, &mut am);
        if let Some(ext) = &fields.external_id {
            let taken = event::Entity::find()
                .filter(event::Column::ExternalId.eq(ext.clone()))
                .count(&tx)
                .await?;
            if taken > 0 {
                return Err(StoreError::Conflict(format!(
                    "an event with external id {ext} exists"
                )));
            }
        }
        let model = event::Entity::insert(am).exec_with_returning(&tx).await?;
        let row = event_row(model);
        audit::record(
            &tx,
            actor,
            Entry {
                action: if cloned_from.is_some() {
                    "clone"
                } else {
                    "create"
                },
                entity_type: "event",
                entity_id: Some(row.id.to_string()),
                before: None,
                after: Some(audit_view(&row)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// One event, whoever asks (the caller applies the visibility rule).
    pub async fn event(&self, id: i64) -> Result<Option<EventRow>, StoreError> {
        Ok(event::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .map(event_row))
    }

    /// One event if `scope` may see it.
    pub async fn visible_event(&self, scope: Scope, id: i64) -> Result<EventRow, StoreError> {
        match self.event(id).await? {
            Some(row) if event_visible_to(scope, row.fields.published) => Ok(row),
            _ => Err(StoreError::NotFound(format!("event {id}"))),
        }
    }

    /// Replaces an event's fields (and optionally its status) if it still has
    /// `version`; the status move must be checked by the caller.
    pub async fn update_event(
        &self,
        id: i64,
        version: i32,
        fields: &EventFields,
        status: EventStatus,
        actor: &Actor,
    ) -> Result<EventRow, StoreError> {
        let tx = self.begin_write().await?;
        let before = event::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .map(event_row)
            .ok_or_else(|| StoreError::NotFound(format!("event {id}")))?;
        if before.version != version {
            return Err(StoreError::Conflict(format!(
                "event {id} changed meanwhile (version {} now)",
                before.version
            )));
        }
        if let Some(ext) = &fields.external_id {
            let taken = event::Entity::find()
                .filter(event::Column::ExternalId.eq(ext.clone()))
                .filter(event::Column::Id.ne(id))
                .count(&tx)
                .await?;
            if taken > 0 {
                return Err(StoreError::Conflict(format!(
                    "an event with external id {ext} exists"
                )));
            }
        }
        let mut am = event::ActiveModel {
            id: Set(id),
            status: Set(status.code().into()),
            updated_at: Set(Utc::now()),
            version: Set(version + 1),
            ..Default::default()
        };
        set_fields(fields, &mut am);
        let result = event::Entity::update_many()
            .set(am)
            .filter(event::Column::Id.eq(id))
            .filter(event::Column::Version.eq(version))
            .exec(&tx)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::Conflict(format!(
                "event {id} changed meanwhile"
            )));
        }
        let after = event::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .map(event_row)
            .ok_or_else(|| StoreError::NotFound(format!("event {id}")))?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: if before.status != after.status {
                    "status"
                } else {
                    "update"
                },
                entity_type: "event",
                entity_id: Some(id.to_string()),
                before: Some(audit_view(&before)),
                after: Some(audit_view(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Records the outcome of the last scheduler run on the event.
    pub async fn set_schedule_report(&self, id: i64, report: Value) -> Result<(), StoreError> {
        event::Entity::update_many()
            .col_expr(event::Column::ScheduleReport, Expr::value(report))
            .filter(event::Column::Id.eq(id))
            .exec(self.conn())
            .await?;
        Ok(())
    }

    /// The events `scope` may see, soonest first.
    pub async fn list_events(
        &self,
        scope: Scope,
        filter: &EventFilter,
    ) -> Result<Page<EventRow>, StoreError> {
        let mut cond = Condition::all();
        // The rule shows published events to everyone; only a scope that may
        // see unpublished ones goes unfiltered.
        if !event_visible_to(scope, false) {
            cond = cond.add(event::Column::Published.eq(true));
        }
        if let Some(kind) = filter.kind {
            cond = cond.add(event::Column::Kind.eq(kind.code()));
        }
        if let Some(status) = filter.status {
            cond = cond.add(event::Column::Status.eq(status.code()));
        }
        if let Some(year) = filter.year {
            let (start, end) = period(year, filter.month)
                .ok_or_else(|| StoreError::Invalid("month must be 1–12".into()))?;
            cond = cond
                .add(event::Column::StartsAt.gte(start))
                .add(event::Column::StartsAt.lt(end));
        }
        if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            cond = cond.add(event::Column::Name.contains(q.trim()));
        }
        if let Some(theme) = filter.theme {
            // Themes are a JSON array of codes; codes are plain snake_case,
            // so the quoted code cannot occur inside another code.
            cond = cond.add(
                Expr::col(event::Column::Themes)
                    .cast_as(sea_orm::sea_query::Alias::new("TEXT"))
                    .like(format!("%\"{}\"%", theme.code())),
            );
        }
        let query = event::Entity::find().filter(cond);
        let total = query.clone().count(self.conn()).await?;
        let items = query
            .order_by_asc(event::Column::StartsAt)
            .order_by_asc(event::Column::Id)
            .limit(filter.limit)
            .offset(filter.offset)
            .all(self.conn())
            .await?
            .into_iter()
            .map(event_row)
            .collect();
        Ok(Page { items, total })
    }

    /// Held events (held or closed) starting in `year`, by kind.
    pub async fn events_held(&self, year: i32) -> Result<Vec<EventRow>, StoreError> {
        let (start, end) =
            period(year, None).ok_or_else(|| StoreError::Invalid("not a year".into()))?;
        let held: Vec<&str> = EventStatus::ALL
            .iter()
            .filter(|s| s.was_held())
            .map(|s| s.code())
            .collect();
        Ok(event::Entity::find()
            .filter(event::Column::StartsAt.gte(start))
            .filter(event::Column::StartsAt.lt(end))
            .filter(event::Column::Status.is_in(held))
            .order_by_asc(event::Column::StartsAt)
            .all(self.conn())
            .await?
            .into_iter()
            .map(event_row)
            .collect())
    }
}

/// A fresh check-in secret: 128 random bits, URL-safe.
pub(crate) fn registration_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
