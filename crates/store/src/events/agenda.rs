//! Read models of agendas and table plans: one organization's meetings at an
//! event with the counterpart, the reason and the listings concerned, and the
//! whole event's tables per slot. Meetings pass `meeting_visible_to`; listing
//! titles pass the listing rule, so an agenda never names a hidden need.

use crate::Store;
use crate::entities::{capability, meeting, meeting_request, need, organization, registration};
use crate::error::StoreError;
use chrono::{DateTime, Utc};
use qiao_core::Scope;
use qiao_core::access::{ListingFacts, ListingKind, meeting_visible_to};
use qiao_core::vocab::{MeetingStatus, RegistrationStatus, Vocabulary};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{HashMap, HashSet};

/// Ids per `IN (…)` list: well below every backend's parameter limit.
const CHUNK: usize = 500;

/// A registration as its agenda and check-in code need it.
#[derive(Debug, Clone, PartialEq)]
pub struct AgendaRegistration {
    pub id: i64,
    pub event_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub status: RegistrationStatus,
    pub checkin_token: Option<String>,
}

/// A need or capability named by its title.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingTitle {
    pub id: i64,
    pub title: String,
}

/// One meeting of an organization's agenda, seen from that organization.
#[derive(Debug, Clone, PartialEq)]
pub struct AgendaMeeting {
    pub id: i64,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    /// 1-based.
    pub table_no: i32,
    pub status: MeetingStatus,
    pub published: bool,
    pub counterpart_org_id: i64,
    pub counterpart: String,
    /// Why the meeting was asked for (empty when placed without a request).
    pub reason: String,
    pub need: Option<ListingTitle>,
    pub capability: Option<ListingTitle>,
}

/// One meeting of the table plan: the two organizations at a table in a slot.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMeeting {
    pub id: i64,
    pub slot_start: DateTime<Utc>,
    pub slot_end: DateTime<Utc>,
    pub table_no: i32,
    pub status: MeetingStatus,
    pub published: bool,
    pub org_a: String,
    pub org_b: String,
}

/// Registrations that still take part come before withdrawn ones.
fn active(status: &str) -> bool {
    !matches!(
        RegistrationStatus::from_code(status),
        Some(RegistrationStatus::Cancelled | RegistrationStatus::Declined)
    )
}

impl Store {
    /// The organization's registration for the event: the newest that still
    /// takes part, else the newest (whoever asks; the caller applies the rule).
    pub async fn agenda_registration(
        &self,
        event_id: i64,
        org_id: i64,
    ) -> Result<Option<AgendaRegistration>, StoreError> {
        let mut regs = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .filter(registration::Column::OrgId.eq(org_id))
            .order_by_desc(registration::Column::Id)
            .all(self.conn())
            .await?;
        let pick = match regs.iter().position(|r| active(&r.status)) {
            Some(i) => Some(regs.swap_remove(i)),
            None => regs.into_iter().next(),
        };
        match pick {
            Some(r) => Ok(Some(agenda_row(self, r).await?)),
            None => Ok(None),
        }
    }

    /// One registration of the event by id (whoever asks; the caller applies the rule).
    pub async fn event_registration(
        &self,
        event_id: i64,
        registration_id: i64,
    ) -> Result<Option<AgendaRegistration>, StoreError> {
        match registration::Entity::find_by_id(registration_id)
            .filter(registration::Column::EventId.eq(event_id))
            .one(self.conn())
            .await?
        {
            Some(r) => Ok(Some(agenda_row(self, r).await?)),
            None => Ok(None),
        }
    }

    /// The organization's meetings at the event that `scope` may see, in
    /// time order; cancelled meetings are no longer on anyone's agenda.
    pub async fn agenda_meetings(
        &self,
        scope: Scope,
        event_id: i64,
        org_id: i64,
    ) -> Result<Vec<AgendaMeeting>, StoreError> {
        let registrations = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .all(self.conn())
            .await?;
        let org_of: HashMap<i64, i64> = registrations.iter().map(|r| (r.id, r.org_id)).collect();
        let own: Vec<i64> = registrations
            .iter()
            .filter(|r| r.org_id == org_id)
            .map(|r| r.id)
            .collect();
        if own.is_empty() {
            return Ok(Vec::new());
        }
        let mut cond = Condition::all()
            .add(meeting::Column::EventId.eq(event_id))
            .add(meeting::Column::Status.ne(MeetingStatus::Cancelled.code()))
            .add(
                Condition::any()
                    .add(meeting::Column::RegistrationA.is_in(own.clone()))
                    .add(meeting::Column::RegistrationB.is_in(own.clone())),
            );
        // The rule shows unpublished meetings to staff only; others get the
        // published ones from the database, and the rule again below.
        if !meeting_visible_to(scope, org_id, org_id, false) {
            cond = cond.add(meeting::Column::Published.eq(true));
        }
        let meetings = meeting::Entity::find()
            .filter(cond)
            .order_by_asc(meeting::Column::SlotStart)
            .order_by_asc(meeting::Column::TableNo)
            .order_by_asc(meeting::Column::Id)
            .all(self.conn())
            .await?;
        let side = |rid: i64| org_of.get(&rid).copied().unwrap_or_default();
        let meetings: Vec<meeting::Model> = meetings
            .into_iter()
            .filter(|m| {
                meeting_visible_to(
                    scope,
                    side(m.registration_a),
                    side(m.registration_b),
                    m.published,
                )
            })
            .collect();

        let request_ids: HashSet<i64> = meetings.iter().filter_map(|m| m.request_id).collect();
        let requests: HashMap<i64, meeting_request::Model> = if request_ids.is_empty() {
            HashMap::new()
        } else {
            meeting_request::Entity::find()
                .filter(meeting_request::Column::EventId.eq(event_id))
                .all(self.conn())
                .await?
                .into_iter()
                .filter(|r| request_ids.contains(&r.id))
                .map(|r| (r.id, r))
                .collect()
        };
        let need_ids: HashSet<i64> = requests.values().filter_map(|r| r.need_id).collect();
        let capability_ids: HashSet<i64> =
            requests.values().filter_map(|r| r.capability_id).collect();
        let needs = visible_need_titles(self, scope, &need_ids).await?;
        let capabilities = visible_capability_titles(self, scope, &capability_ids).await?;

        let counterparts: HashSet<i64> = meetings
            .iter()
            .flat_map(|m| [side(m.registration_a), side(m.registration_b)])
            .collect();
        let names = org_names(self, &counterparts).await?;
        Ok(meetings
            .into_iter()
            .map(|m| {
                let other = if own.contains(&m.registration_a) {
                    side(m.registration_b)
                } else {
                    side(m.registration_a)
                };
                let request = m.request_id.and_then(|id| requests.get(&id));
                AgendaMeeting {
                    id: m.id,
                    slot_start: m.slot_start,
                    slot_end: m.slot_end,
                    table_no: m.table_no,
                    status: MeetingStatus::from_code(&m.status).unwrap_or(MeetingStatus::Scheduled),
                    published: m.published,
                    counterpart_org_id: other,
                    counterpart: names.get(&other).cloned().unwrap_or_default(),
                    reason: request.map(|r| r.reason.clone()).unwrap_or_default(),
                    need: request
                        .and_then(|r| r.need_id)
                        .and_then(|id| needs.get(&id).cloned()),
                    capability: request
                        .and_then(|r| r.capability_id)
                        .and_then(|id| capabilities.get(&id).cloned()),
                }
            })
            .collect())
    }

    /// Every meeting of the event that `scope` may see (cancelled ones
    /// aside), by slot and table, with both organizations' names.
    pub async fn table_plan_meetings(
        &self,
        scope: Scope,
        event_id: i64,
    ) -> Result<Vec<PlannedMeeting>, StoreError> {
        let org_of: HashMap<i64, i64> = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|r| (r.id, r.org_id))
            .collect();
        let side = |rid: i64| org_of.get(&rid).copied().unwrap_or_default();
        let meetings: Vec<meeting::Model> = meeting::Entity::find()
            .filter(meeting::Column::EventId.eq(event_id))
            .filter(meeting::Column::Status.ne(MeetingStatus::Cancelled.code()))
            .order_by_asc(meeting::Column::SlotStart)
            .order_by_asc(meeting::Column::TableNo)
            .order_by_asc(meeting::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .filter(|m| {
                meeting_visible_to(
                    scope,
                    side(m.registration_a),
                    side(m.registration_b),
                    m.published,
                )
            })
            .collect();
        let orgs: HashSet<i64> = org_of.values().copied().collect();
        let names = org_names(self, &orgs).await?;
        let name = |rid: i64| names.get(&side(rid)).cloned().unwrap_or_default();
        Ok(meetings
            .into_iter()
            .map(|m| PlannedMeeting {
                id: m.id,
                slot_start: m.slot_start,
                slot_end: m.slot_end,
                table_no: m.table_no,
                status: MeetingStatus::from_code(&m.status).unwrap_or(MeetingStatus::Scheduled),
                published: m.published,
                org_a: name(m.registration_a),
                org_b: name(m.registration_b),
            })
            .collect())
    }
}

async fn org_names(store: &Store, ids: &HashSet<i64>) -> Result<HashMap<i64, String>, StoreError> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut names = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for o in organization::Entity::find()
            .filter(organization::Column::Id.is_in(chunk.to_vec()))
            .all(store.conn())
            .await?
        {
            names.insert(o.id, o.name);
        }
    }
    Ok(names)
}

async fn agenda_row(
    store: &Store,
    r: registration::Model,
) -> Result<AgendaRegistration, StoreError> {
    let org_name = organization::Entity::find_by_id(r.org_id)
        .one(store.conn())
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    Ok(AgendaRegistration {
        id: r.id,
        event_id: r.event_id,
        org_id: r.org_id,
        org_name,
        status: RegistrationStatus::from_code(&r.status).unwrap_or(RegistrationStatus::Pending),
        checkin_token: r.checkin_token,
    })
}

/// Titles of the needs among `ids` that `scope` may see.
async fn visible_need_titles(
    store: &Store,
    scope: Scope,
    ids: &HashSet<i64>,
) -> Result<HashMap<i64, ListingTitle>, StoreError> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        rows.extend(
            need::Entity::find()
                .filter(need::Column::Id.is_in(chunk.to_vec()))
                .all(store.conn())
                .await?,
        );
    }
    let orgs = org_reviews(store, &rows.iter().map(|n| n.org_id).collect()).await?;
    Ok(rows
        .into_iter()
        .filter(|n| {
            let (review, org_deleted) = orgs
                .get(&n.org_id)
                .map(|(r, d)| (r.as_str(), *d))
                .unwrap_or(("", true));
            ListingFacts {
                kind: ListingKind::Need,
                org_id: n.org_id,
                status: &n.status,
                visibility: &n.visibility,
                deleted: n.deleted_at.is_some(),
                org_review: review,
                org_deleted,
            }
            .visible_to(scope)
        })
        .map(|n| {
            (
                n.id,
                ListingTitle {
                    id: n.id,
                    title: n.title,
                },
            )
        })
        .collect())
}

/// Titles of the capabilities among `ids` that `scope` may see.
async fn visible_capability_titles(
    store: &Store,
    scope: Scope,
    ids: &HashSet<i64>,
) -> Result<HashMap<i64, ListingTitle>, StoreError> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        rows.extend(
            capability::Entity::find()
                .filter(capability::Column::Id.is_in(chunk.to_vec()))
                .all(store.conn())
                .await?,
        );
    }
    let orgs = org_reviews(store, &rows.iter().map(|c| c.org_id).collect()).await?;
    Ok(rows
        .into_iter()
        .filter(|c| {
            let (review, org_deleted) = orgs
                .get(&c.org_id)
                .map(|(r, d)| (r.as_str(), *d))
                .unwrap_or(("", true));
            ListingFacts {
                kind: ListingKind::Capability,
                org_id: c.org_id,
                status: &c.status,
                visibility: "",
                deleted: c.deleted_at.is_some(),
                org_review: review,
                org_deleted,
            }
            .visible_to(scope)
        })
        .map(|c| {
            (
                c.id,
                ListingTitle {
                    id: c.id,
                    title: c.title,
                },
            )
        })
        .collect())
}

/// Review status and deletion of each organization, for the listing rule.
async fn org_reviews(
    store: &Store,
    ids: &HashSet<i64>,
) -> Result<HashMap<i64, (String, bool)>, StoreError> {
    let ids: Vec<i64> = ids.iter().copied().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for o in organization::Entity::find()
            .filter(organization::Column::Id.is_in(chunk.to_vec()))
            .all(store.conn())
            .await?
        {
            out.insert(o.id, (o.review_status, o.deleted_at.is_some()));
        }
    }
    Ok(out)
}
