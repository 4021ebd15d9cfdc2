//! Registrations (one per organization and event), the waitlist, check-in,
//! attendance and training hours.
//!
//! The capacity of an event is never exceeded, also under concurrent
//! writers: every write that may change the number of confirmed
//! registrations runs in one write transaction that first locks the event
//! row. On PostgreSQL that is `SELECT … FOR UPDATE`; on SQLite the IMMEDIATE
//! transaction of `begin_write` already admits one writer at a time, and
//! sea-query leaves the locking clause out.

use super::{EventRow, event_row, period, registration_token};
use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::entities::{attendance, capability, event, need, organization, registration};
use crate::error::StoreError;
use crate::listings::scope_condition;
use chrono::{DateTime, Utc};
use qiao_core::Scope;
use qiao_core::access::{ListingKind, registration_visible_to};
use qiao_core::event::Window;
use qiao_core::stored::Page;
use qiao_core::vocab::{EventKind, RegistrationStatus, Vocabulary};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};

/// One person an organization sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub name: String,
    #[serde(default)]
    pub title: String,
    /// Empty when not given.
    #[serde(default)]
    pub phone: String,
}

/// A registration as stored, with its organization's name.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationRow {
    pub id: i64,
    pub event_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub status: RegistrationStatus,
    pub attendees: Vec<Attendee>,
    pub need_ids: Vec<i64>,
    pub capability_ids: Vec<i64>,
    /// Empty: the whole event.
    pub availability: Vec<Window>,
    pub wants_meetings: bool,
    pub checkin_token: Option<String>,
    pub registered_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// What an organization says when it registers.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistrationFields {
    pub attendees: Vec<Attendee>,
    pub need_ids: Vec<i64>,
    pub capability_ids: Vec<i64>,
    pub availability: Vec<Window>,
    pub wants_meetings: bool,
}

/// A change of a registration: the fields given, and a new status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegistrationChange {
    pub attendees: Option<Vec<Attendee>>,
    pub need_ids: Option<Vec<i64>>,
    pub capability_ids: Option<Vec<i64>>,
    pub availability: Option<Vec<Window>>,
    pub wants_meetings: Option<bool>,
    pub status: Option<RegistrationStatus>,
}

impl RegistrationChange {
    fn edits_fields(&self) -> bool {
        self.attendees.is_some()
            || self.need_ids.is_some()
            || self.capability_ids.is_some()
            || self.availability.is_some()
            || self.wants_meetings.is_some()
    }
}

/// Filters and paging of an event's registrations.
#[derive(Debug, Clone, Default)]
pub struct RegistrationQuery {
    pub status: Option<RegistrationStatus>,
    pub limit: u64,
    pub offset: u64,
}

/// How a check-in names the registration: by id, or by the secret on the agenda.
#[derive(Debug, Clone, Copy)]
pub enum RegistrationKey<'a> {
    Id(i64),
    Token(&'a str),
}

/// One attendee's arrival (and hours, for trainings).
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceRow {
    pub registration_id: i64,
    pub attendee_index: usize,
    pub name: String,
    pub phone: Option<String>,
    pub checked_in_at: DateTime<Utc>,
    pub late: bool,
    pub hours: Option<f64>,
}

/// One attendance at a training, with the training.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingAttendance {
    pub event_id: i64,
    pub event_name: String,
    pub starts_at: DateTime<Utc>,
    pub attendance: AttendanceRow,
}

const CONFIRMED: RegistrationStatus = RegistrationStatus::Confirmed;

fn status_of(code: &str) -> RegistrationStatus {
    RegistrationStatus::from_code(code).unwrap_or(RegistrationStatus::Pending)
}

/// Attendees as stored; entries that are not attendee objects (older bulk
/// loads) are read as far as they go rather than failing the whole list.
pub(crate) fn attendees_of(value: &Value) -> Vec<Attendee> {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|v| {
                    serde_json::from_value(v.clone()).unwrap_or_else(|_| Attendee {
                        name: v.get("name").and_then(Value::as_str).unwrap_or("").into(),
                        title: String::new(),
                        phone: String::new(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

fn ids_of(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn windows_of(value: &Value) -> Vec<Window> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn row(m: registration::Model, org_name: String) -> RegistrationRow {
    RegistrationRow {
        id: m.id,
        event_id: m.event_id,
        org_id: m.org_id,
        org_name,
        status: status_of(&m.status),
        attendees: attendees_of(&m.attendees),
        need_ids: ids_of(&m.need_ids),
        capability_ids: ids_of(&m.capability_ids),
        availability: windows_of(&m.availability),
        wants_meetings: m.wants_meetings,
        checkin_token: m.checkin_token,
        registered_by: m.registered_by,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn attendance_row(m: attendance::Model) -> AttendanceRow {
    AttendanceRow {
        registration_id: m.registration_id,
        attendee_index: usize::try_from(m.attendee_index).unwrap_or(0),
        name: m.name,
        phone: m.phone,
        checked_in_at: m.checked_in_at,
        late: m.late,
        hours: m.hours,
    }
}

/// The registration as the audit log keeps it (the check-in secret left out).
fn audit_view(r: &RegistrationRow) -> Value {
    json!({
        "event_id": r.event_id,
        "org_id": r.org_id,
        "status": r.status.code(),
        "attendees": r.attendees,
        "need_ids": r.need_ids,
        "capability_ids": r.capability_ids,
        "availability": r.availability,
        "wants_meetings": r.wants_meetings,
    })
}

async fn org_names<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>, StoreError> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

async fn rows<C: ConnectionTrait>(
    conn: &C,
    models: Vec<registration::Model>,
) -> Result<Vec<RegistrationRow>, StoreError> {
    let names = org_names(conn, models.iter().map(|m| m.org_id)).await?;
    Ok(models
        .into_iter()
        .map(|m| {
            let name = names.get(&m.org_id).cloned().unwrap_or_default();
            row(m, name)
        })
        .collect())
}

async fn one_row<C: ConnectionTrait>(
    conn: &C,
    m: registration::Model,
) -> Result<RegistrationRow, StoreError> {
    Ok(rows(conn, vec![m]).await?.remove(0))
}

/// The event, locked against other writers until the transaction ends.
async fn locked_event(tx: &DatabaseTransaction, id: i64) -> Result<EventRow, StoreError> {
    event::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .map(event_row)
        .ok_or_else(|| StoreError::NotFound(format!("event {id}")))
}

async fn confirmed_count<C: ConnectionTrait>(conn: &C, event_id: i64) -> Result<u64, StoreError> {
    Ok(registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::Status.eq(CONFIRMED.code()))
        .count(conn)
        .await?)
}

async fn find_registration<C: ConnectionTrait>(
    conn: &C,
    event_id: i64,
    key: RegistrationKey<'_>,
) -> Result<registration::Model, StoreError> {
    let query = registration::Entity::find().filter(registration::Column::EventId.eq(event_id));
    let found = match key {
        RegistrationKey::Id(id) => query.filter(registration::Column::Id.eq(id)),
        RegistrationKey::Token(token) => {
            query.filter(registration::Column::CheckinToken.eq(token.to_string()))
        }
    }
    .one(conn)
    .await?;
    found.ok_or_else(|| StoreError::NotFound(format!("registration of event {event_id}")))
}

fn full(confirmed: u64, capacity: i32) -> bool {
    confirmed >= u64::try_from(capacity.max(0)).unwrap_or(0)
}

/// Confirms waitlisted registrations in order of arrival (created_at, id)
/// while places are free; returns them.
async fn promote(
    tx: &DatabaseTransaction,
    event: &EventRow,
    actor: &Actor,
) -> Result<Vec<i64>, StoreError> {
    let mut promoted = Vec::new();
    loop {
        if full(confirmed_count(tx, event.id).await?, event.fields.capacity) {
            return Ok(promoted);
        }
        let Some(next) = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event.id))
            .filter(registration::Column::Status.eq(RegistrationStatus::Waitlisted.code()))
            .order_by_asc(registration::Column::CreatedAt)
            .order_by_asc(registration::Column::Id)
            .one(tx)
            .await?
        else {
            return Ok(promoted);
        };
        registration::Entity::update_many()
            .col_expr(
                registration::Column::Status,
                sea_orm::sea_query::Expr::value(CONFIRMED.code()),
            )
            .col_expr(
                registration::Column::Validated,
                sea_orm::sea_query::Expr::value(true),
            )
            .col_expr(
                registration::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(registration::Column::Id.eq(next.id))
            .exec(tx)
            .await?;
        audit::record(
            tx,
            actor,
            Entry {
                action: "promote",
                entity_type: "registration",
                entity_id: Some(next.id.to_string()),
                before: Some(json!({"status": RegistrationStatus::Waitlisted.code()})),
                after: Some(json!({"status": CONFIRMED.code()})),
            },
        )
        .await?;
        promoted.push(next.id);
    }
}

/// Which registrations of an event `scope` may see, as a SQL condition
/// built by asking the rule about each class of row: the viewer's own, and
/// other organizations' confirmed and unconfirmed ones. `None`: none.
fn visibility_condition(scope: Scope, viewer_confirmed: bool) -> Option<Condition> {
    let own = match scope {
        Scope::Member(org) => Some(org),
        _ => None,
    };
    // Any organization other than the viewer's stands for "someone else".
    let other = own.map_or(0, |org| if org == i64::MAX { org - 1 } else { org + 1 });
    let mut any = Condition::any();
    let mut classes = 0;
    if let Some(org) = own
        && registration_visible_to(scope, org, true, viewer_confirmed)
        && registration_visible_to(scope, org, false, viewer_confirmed)
    {
        any = any.add(registration::Column::OrgId.eq(org));
        classes += 1;
    }
    if registration_visible_to(scope, other, true, viewer_confirmed) {
        any = any.add(registration::Column::Status.eq(CONFIRMED.code()));
        classes += 1;
    }
    if registration_visible_to(scope, other, false, viewer_confirmed) {
        any = any.add(registration::Column::Status.ne(CONFIRMED.code()));
        classes += 1;
    }
    (classes > 0).then_some(any)
}

impl Store {
    /// Whether `org` has a confirmed registration for the event.
    pub async fn org_confirmed_at(&self, event_id: i64, org: i64) -> Result<bool, StoreError> {
        let n = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .filter(registration::Column::OrgId.eq(org))
            .filter(registration::Column::Status.eq(CONFIRMED.code()))
            .count(self.conn())
            .await?;
        Ok(n > 0)
    }

    /// The registrations of an event that `scope` may see, in order of arrival.
    pub async fn list_registrations(
        &self,
        scope: Scope,
        event_id: i64,
        q: &RegistrationQuery,
    ) -> Result<Page<RegistrationRow>, StoreError> {
        let viewer_confirmed = match scope {
            Scope::Member(org) => self.org_confirmed_at(event_id, org).await?,
            _ => false,
        };
        let Some(visible) = visibility_condition(scope, viewer_confirmed) else {
            return Ok(Page {
                items: Vec::new(),
                total: 0,
            });
        };
        let mut query = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .filter(visible);
        if let Some(status) = q.status {
            query = query.filter(registration::Column::Status.eq(status.code()));
        }
        let total = query.clone().count(self.conn()).await?;
        let models = query
            .order_by_asc(registration::Column::CreatedAt)
            .order_by_asc(registration::Column::Id)
            .limit(q.limit)
            .offset(q.offset)
            .all(self.conn())
            .await?;
        let items = rows(self.conn(), models)
            .await?
            .into_iter()
            .filter(|r| {
                registration_visible_to(scope, r.org_id, r.status == CONFIRMED, viewer_confirmed)
            })
            .collect();
        Ok(Page { items, total })
    }

    /// Every registration of an event (optionally of one status), in order of
    /// arrival, whoever asks: for staff views and the scheduler.
    pub async fn event_registrations(
        &self,
        event_id: i64,
        status: Option<RegistrationStatus>,
    ) -> Result<Vec<RegistrationRow>, StoreError> {
        let mut query =
            registration::Entity::find().filter(registration::Column::EventId.eq(event_id));
        if let Some(status) = status {
            query = query.filter(registration::Column::Status.eq(status.code()));
        }
        let models = query
            .order_by_asc(registration::Column::CreatedAt)
            .order_by_asc(registration::Column::Id)
            .all(self.conn())
            .await?;
        rows(self.conn(), models).await
    }

    /// One registration of an event, whoever asks (the caller applies the rule).
    pub async fn registration(
        &self,
        event_id: i64,
        key: RegistrationKey<'_>,
    ) -> Result<Option<RegistrationRow>, StoreError> {
        match find_registration(self.conn(), event_id, key).await {
            Ok(m) => Ok(Some(one_row(self.conn(), m).await?)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Of `ids`, the listings of `kind` that `scope` may see (by the one rule).
    pub async fn visible_listing_ids(
        &self,
        scope: Scope,
        kind: ListingKind,
        ids: &[i64],
    ) -> Result<HashSet<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: BTreeSet<i64> = ids.iter().copied().collect();
        let found: Vec<i64> = match kind {
            ListingKind::Need => {
                need::Entity::find()
                    .select_only()
                    .column(need::Column::Id)
                    .filter(need::Column::Id.is_in(ids))
                    .filter(need::Column::DeletedAt.is_null())
                    .filter(scope_condition(scope, kind))
                    .into_tuple()
                    .all(self.conn())
                    .await?
            }
            ListingKind::Capability => {
                capability::Entity::find()
                    .select_only()
                    .column(capability::Column::Id)
                    .filter(capability::Column::Id.is_in(ids))
                    .filter(capability::Column::DeletedAt.is_null())
                    .filter(scope_condition(scope, kind))
                    .into_tuple()
                    .all(self.conn())
                    .await?
            }
        };
        Ok(found.into_iter().collect())
    }

    /// Of `ids`, the live listings of `kind` that `org` owns.
    pub async fn owned_listing_ids(
        &self,
        org: i64,
        kind: ListingKind,
        ids: &[i64],
    ) -> Result<HashSet<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let ids: BTreeSet<i64> = ids.iter().copied().collect();
        let found: Vec<i64> = match kind {
            ListingKind::Need => {
                need::Entity::find()
                    .select_only()
                    .column(need::Column::Id)
                    .filter(need::Column::Id.is_in(ids))
                    .filter(need::Column::OrgId.eq(org))
                    .filter(need::Column::DeletedAt.is_null())
                    .into_tuple()
                    .all(self.conn())
                    .await?
            }
            ListingKind::Capability => {
                capability::Entity::find()
                    .select_only()
                    .column(capability::Column::Id)
                    .filter(capability::Column::Id.is_in(ids))
                    .filter(capability::Column::OrgId.eq(org))
                    .filter(capability::Column::DeletedAt.is_null())
                    .into_tuple()
                    .all(self.conn())
                    .await?
            }
        };
        Ok(found.into_iter().collect())
    }

    /// Registers `org_id` for the event, or registers it again over its
    /// cancelled or declined registration (which then queues anew). `open`
    /// sees the event as locked and refuses when registration is not open.
    /// The status on arrival: with `auto_confirm`, confirmed while places
    /// remain and waitlisted after; without, pending.
    pub async fn register(
        &self,
        event_id: i64,
        org_id: i64,
        fields: &RegistrationFields,
        registered_by: Option<i64>,
        open: impl FnOnce(&EventRow) -> Result<(), StoreError> + Send,
        actor: &Actor,
    ) -> Result<RegistrationRow, StoreError> {
        let tx = self.begin_write().await?;
        let event = locked_event(&tx, event_id).await?;
        open(&event)?;
        let existing = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .filter(registration::Column::OrgId.eq(org_id))
            .one(&tx)
            .await?;
        if let Some(e) = &existing
            && !matches!(
                status_of(&e.status),
                RegistrationStatus::Cancelled | RegistrationStatus::Declined
            )
        {
            return Err(StoreError::Conflict(format!(
                "the organization is already registered for this event (registration {}, {})",
                e.id, e.status
            )));
        }
        let status = if !event.fields.auto_confirm {
            RegistrationStatus::Pending
        } else if full(confirmed_count(&tx, event_id).await?, event.fields.capacity) {
            RegistrationStatus::Waitlisted
        } else {
            CONFIRMED
        };
        let now = Utc::now();
        let mut am = registration::ActiveModel {
            event_id: Set(event_id),
            org_id: Set(org_id),
            attendees: Set(json!(fields.attendees)),
            need_ids: Set(json!(fields.need_ids)),
            capability_ids: Set(json!(fields.capability_ids)),
            availability: Set(json!(fields.availability)),
            validated: Set(status == CONFIRMED),
            // A registration made again queues behind those already waiting.
            created_at: Set(now),
            status: Set(status.code().into()),
            wants_meetings: Set(fields.wants_meetings),
            registered_by: Set(registered_by),
            updated_at: Set(Some(now)),
            ..Default::default()
        };
        let (model, before) = match existing {
            Some(e) => {
                let before = one_row(&tx, e.clone()).await?;
                am.id = Set(e.id);
                am.checkin_token = Set(Some(e.checkin_token.unwrap_or_else(registration_token)));
                let model = registration::Entity::update(am).exec(&tx).await?;
                (model, Some(before))
            }
            None => {
                am.id = NotSet;
                am.checkin_token = Set(Some(registration_token()));
                let model = registration::Entity::insert(am)
                    .exec_with_returning(&tx)
                    .await
                    .map_err(|e| {
                        let text = e.to_string();
                        if text.contains("UNIQUE") || text.contains("duplicate key") {
                            StoreError::Conflict(
                                "the organization is already registered for this event".into(),
                            )
                        } else {
                            StoreError::Db(e)
                        }
                    })?;
                (model, None)
            }
        };
        let after = one_row(&tx, model).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: if before.is_some() {
                    "register_again"
                } else {
                    "register"
                },
                entity_type: "registration",
                entity_id: Some(after.id.to_string()),
                before: before.as_ref().map(audit_view),
                after: Some(audit_view(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a registration's fields and status. A cancelled registration
    /// is not edited; confirming needs a free place; cancelling or declining
    /// a confirmed registration confirms the first waitlisted ones (by
    /// arrival) while places are free, in the same transaction.
    pub async fn change_registration(
        &self,
        event_id: i64,
        id: i64,
        change: &RegistrationChange,
        actor: &Actor,
    ) -> Result<RegistrationRow, StoreError> {
        use RegistrationStatus::*;
        let tx = self.begin_write().await?;
        let event = locked_event(&tx, event_id).await?;
        let current = find_registration(&tx, event_id, RegistrationKey::Id(id)).await?;
        let before = one_row(&tx, current.clone()).await?;
        let from = before.status;
        if change.edits_fields() && from == Cancelled {
            return Err(StoreError::Conflict(
                "the registration is cancelled; register again instead of editing it".into(),
            ));
        }
        let to = change.status.unwrap_or(from);
        if to != from {
            if from == Cancelled {
                return Err(StoreError::Conflict(
                    "the organization cancelled this registration; it may register again".into(),
                ));
            }
            if to == Pending {
                return Err(StoreError::Invalid(
                    "a registration cannot be set back to pending".into(),
                ));
            }
            if to == Confirmed {
                let confirmed = confirmed_count(&tx, event_id).await?;
                if full(confirmed, event.fields.capacity) {
                    return Err(StoreError::Conflict(format!(
                        "the event is full ({confirmed} of {} places confirmed); waitlist the registration instead",
                        event.fields.capacity
                    )));
                }
            }
        }
        let now = Utc::now();
        let mut am = registration::ActiveModel {
            id: Set(id),
            status: Set(to.code().into()),
            validated: Set(to == Confirmed),
            updated_at: Set(Some(now)),
            ..Default::default()
        };
        if let Some(a) = &change.attendees {
            am.attendees = Set(json!(a));
        }
        if let Some(ids) = &change.need_ids {
            am.need_ids = Set(json!(ids));
        }
        if let Some(ids) = &change.capability_ids {
            am.capability_ids = Set(json!(ids));
        }
        if let Some(w) = &change.availability {
            am.availability = Set(json!(w));
        }
        if let Some(w) = change.wants_meetings {
            am.wants_meetings = Set(w);
        }
        let model = registration::Entity::update(am).exec(&tx).await?;
        let after = one_row(&tx, model).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: if to != from { "status" } else { "update" },
                entity_type: "registration",
                entity_id: Some(id.to_string()),
                before: Some(audit_view(&before)),
                after: Some(audit_view(&after)),
            },
        )
        .await?;
        if from == Confirmed && matches!(to, Cancelled | Declined) {
            promote(&tx, &event, actor).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Checks in attendees of a confirmed registration (all when `indexes`
    /// is `None`) at `at`; late when after `late_after`. Someone already
    /// checked in keeps their first time. Answers the registration and its
    /// attendance.
    pub async fn check_in(
        &self,
        event_id: i64,
        key: RegistrationKey<'_>,
        indexes: Option<&[usize]>,
        at: DateTime<Utc>,
        late_after: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<(RegistrationRow, Vec<AttendanceRow>), StoreError> {
        let tx = self.begin_write().await?;
        locked_event(&tx, event_id).await?;
        let m = find_registration(&tx, event_id, key).await?;
        let reg = one_row(&tx, m).await?;
        if reg.status != CONFIRMED {
            return Err(StoreError::Conflict(format!(
                "only confirmed registrations check in; this one is {}",
                reg.status.code()
            )));
        }
        let wanted: BTreeSet<usize> = match indexes {
            Some(list) => list.iter().copied().collect(),
            None => (0..reg.attendees.len()).collect(),
        };
        if let Some(bad) = wanted.iter().find(|i| **i >= reg.attendees.len()) {
            return Err(StoreError::Invalid(format!(
                "attendee {bad} does not exist; the registration has {}",
                reg.attendees.len()
            )));
        }
        let present: HashSet<usize> = attendance::Entity::find()
            .filter(attendance::Column::RegistrationId.eq(reg.id))
            .all(&tx)
            .await?
            .into_iter()
            .filter_map(|a| usize::try_from(a.attendee_index).ok())
            .collect();
        let mut arrived = Vec::new();
        for i in wanted.into_iter().filter(|i| !present.contains(i)) {
            let person = &reg.attendees[i];
            let phone = person.phone.trim();
            attendance::Entity::insert(attendance::ActiveModel {
                id: NotSet,
                event_id: Set(event_id),
                registration_id: Set(reg.id),
                attendee_index: Set(i32::try_from(i).unwrap_or(i32::MAX)),
                name: Set(person.name.clone()),
                phone: Set((!phone.is_empty()).then(|| phone.to_string())),
                checked_in_at: Set(at),
                late: Set(at > late_after),
                hours: Set(None),
                recorded_by: Set(actor.user_id),
            })
            .exec(&tx)
            .await?;
            arrived.push(i);
        }
        if !arrived.is_empty() {
            audit::record(
                &tx,
                actor,
                Entry {
                    action: "check_in",
                    entity_type: "registration",
                    entity_id: Some(reg.id.to_string()),
                    before: None,
                    after: Some(json!({"attendees": arrived, "at": at, "late": at > late_after})),
                },
            )
            .await?;
        }
        let rows = registration_attendance(&tx, reg.id).await?;
        tx.commit().await?;
        Ok((reg, rows))
    }

    /// Records training hours of checked-in attendees, `(attendee, hours)`.
    pub async fn set_hours(
        &self,
        event_id: i64,
        id: i64,
        hours: &[(usize, f64)],
        actor: &Actor,
    ) -> Result<Vec<AttendanceRow>, StoreError> {
        let tx = self.begin_write().await?;
        let event = locked_event(&tx, event_id).await?;
        if event.fields.kind != EventKind::CommissionerTraining {
            return Err(StoreError::Conflict(format!(
                "hours are recorded for {} events only; this one is {}",
                EventKind::CommissionerTraining.code(),
                event.fields.kind.code()
            )));
        }
        let reg = find_registration(&tx, event_id, RegistrationKey::Id(id)).await?;
        let before = registration_attendance(&tx, reg.id).await?;
        for (index, h) in hours {
            if !before.iter().any(|a| a.attendee_index == *index) {
                return Err(StoreError::Conflict(format!(
                    "attendee {index} has not checked in; check in before recording hours"
                )));
            }
            attendance::Entity::update_many()
                .col_expr(
                    attendance::Column::Hours,
                    sea_orm::sea_query::Expr::value(*h),
                )
                .col_expr(
                    attendance::Column::RecordedBy,
                    sea_orm::sea_query::Expr::value(actor.user_id),
                )
                .filter(attendance::Column::RegistrationId.eq(reg.id))
                .filter(attendance::Column::AttendeeIndex.eq(i32::try_from(*index).unwrap_or(-1)))
                .exec(&tx)
                .await?;
        }
        let after = registration_attendance(&tx, reg.id).await?;
        let view = |rows: &[AttendanceRow]| -> Value {
            rows.iter()
                .map(|a| json!({"attendee": a.attendee_index, "hours": a.hours}))
                .collect()
        };
        audit::record(
            &tx,
            actor,
            Entry {
                action: "hours",
                entity_type: "registration",
                entity_id: Some(reg.id.to_string()),
                before: Some(view(&before)),
                after: Some(view(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Every check-in at an event, by registration and attendee.
    pub async fn event_attendance(&self, event_id: i64) -> Result<Vec<AttendanceRow>, StoreError> {
        Ok(attendance::Entity::find()
            .filter(attendance::Column::EventId.eq(event_id))
            .order_by_asc(attendance::Column::RegistrationId)
            .order_by_asc(attendance::Column::AttendeeIndex)
            .all(self.conn())
            .await?
            .into_iter()
            .map(attendance_row)
            .collect())
    }

    /// The check-ins of one registration.
    pub async fn attendance_of(&self, id: i64) -> Result<Vec<AttendanceRow>, StoreError> {
        registration_attendance(self.conn(), id).await
    }

    /// Every attendance at the technology commissioner trainings starting
    /// in `year` (China's time), by training.
    pub async fn training_attendance(
        &self,
        year: i32,
    ) -> Result<Vec<TrainingAttendance>, StoreError> {
        let (start, end) =
            period(year, None).ok_or_else(|| StoreError::Invalid("not a year".into()))?;
        let events: HashMap<i64, event::Model> = event::Entity::find()
            .filter(event::Column::Kind.eq(EventKind::CommissionerTraining.code()))
            .filter(event::Column::StartsAt.gte(start))
            .filter(event::Column::StartsAt.lt(end))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let rows = attendance::Entity::find()
            .filter(attendance::Column::EventId.is_in(events.keys().copied()))
            .order_by_asc(attendance::Column::EventId)
            .order_by_asc(attendance::Column::RegistrationId)
            .order_by_asc(attendance::Column::AttendeeIndex)
            .all(self.conn())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|a| {
                let e = events.get(&a.event_id)?;
                Some(TrainingAttendance {
                    event_id: e.id,
                    event_name: e.name.clone(),
                    starts_at: e.starts_at,
                    attendance: attendance_row(a),
                })
            })
            .collect())
    }
}

async fn registration_attendance<C: ConnectionTrait>(
    conn: &C,
    id: i64,
) -> Result<Vec<AttendanceRow>, StoreError> {
    Ok(attendance::Entity::find()
        .filter(attendance::Column::RegistrationId.eq(id))
        .order_by_asc(attendance::Column::AttendeeIndex)
        .all(conn)
        .await?
        .into_iter()
        .map(attendance_row)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_classes_follow_the_rule() {
        assert!(visibility_condition(Scope::Public, false).is_none());
        assert!(visibility_condition(Scope::Public, true).is_none());
        assert!(visibility_condition(Scope::All, false).is_some());
        // A member sees its own, plus confirmed others once confirmed itself.
        assert!(visibility_condition(Scope::Member(i64::MAX), false).is_some());
    }

    #[test]
    fn stored_attendees_are_read_leniently() {
        let v =
            json!([{"name": "江明远", "title": "主任", "phone": "15851675165"}, {"name": "王"}, 7]);
        let a = attendees_of(&v);
        assert_eq!(a.len(), 3);
        assert_eq!(a[1].phone, "");
        assert_eq!(a[2].name, "");
    }
}
