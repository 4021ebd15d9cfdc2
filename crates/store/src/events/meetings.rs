//! 1:1 meetings at an event: requests between two registrations (asked by a
//! participant or proposed by staff), the meetings the scheduler places, and
//! what each side says came of them. Readers apply the rules of
//! `qiao_core::access` (`meeting_request_visible_to`, `meeting_visible_to`).

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::entities::{event, meeting, meeting_request, organization, project, registration};
use crate::error::StoreError;
use chrono::{NaiveDate, Utc};
use qiao_core::Scope;
use qiao_core::access::{meeting_request_visible_to, meeting_visible_to};
use qiao_core::event::Window;
use qiao_core::stored::Page;
use qiao_core::vocab::{
    FollowUpStatus, MeetingOutcome, MeetingRequestStatus, MeetingStatus, MeetingTier, OrgKind,
    ProjectOrigin, ProjectStatus, RegistrationStatus, Vocabulary,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// Who asked: a participant, or staff from match suggestions.
pub const ORIGIN_PARTICIPANT: &str = "participant";
pub const ORIGIN_STAFF: &str = "staff";

/// Statuses in which a request still counts for its pair.
const OPEN: [MeetingRequestStatus; 3] = [
    MeetingRequestStatus::Draft,
    MeetingRequestStatus::Pending,
    MeetingRequestStatus::Accepted,
];

fn codes(statuses: &[MeetingRequestStatus]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.code()).collect()
}

fn ids(value: &Value) -> Vec<i64> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// A registration as the meeting use cases see it.
#[derive(Debug, Clone)]
pub struct Participant {
    pub registration_id: i64,
    pub event_id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub org_kind: Option<OrgKind>,
    pub status: Option<RegistrationStatus>,
    pub wants_meetings: bool,
    /// Empty: the whole event.
    pub availability: Vec<Window>,
    /// Listings the organization brings to the event (empty: none named).
    pub need_ids: Vec<i64>,
    pub capability_ids: Vec<i64>,
}

impl Participant {
    /// Confirmed and wanting 1:1 meetings: someone to meet.
    pub fn meets(&self) -> bool {
        self.status == Some(RegistrationStatus::Confirmed) && self.wants_meetings
    }
}

/// One side of a request or meeting.
#[derive(Debug, Clone, PartialEq)]
pub struct Side {
    pub registration_id: i64,
    pub org_id: i64,
    pub org_name: String,
}

/// A request with the organizations on its two sides.
#[derive(Debug, Clone)]
pub struct RequestRow {
    pub request: meeting_request::Model,
    pub from: Side,
    pub to: Side,
}

impl RequestRow {
    pub fn status(&self) -> Option<MeetingRequestStatus> {
        MeetingRequestStatus::from_code(&self.request.status)
    }

    /// Staff-only under the visibility rule (see [`unsent`]).
    pub fn unsent(&self) -> bool {
        unsent(&self.request)
    }

    pub fn is_staff_proposal(&self) -> bool {
        self.request.origin == ORIGIN_STAFF
    }

    /// The tier a meeting for this request has: both asked, one asked and
    /// the other accepted, or staff proposed.
    pub fn tier(&self) -> MeetingTier {
        tier_of(&self.request)
    }
}

/// Whether a request never reached its two sides: a staff draft, or one
/// staff discarded (declined or withdrawn) before sending it, which keeps an
/// empty `responded_at`. The visibility rule treats these as drafts.
pub fn unsent(r: &meeting_request::Model) -> bool {
    r.status == MeetingRequestStatus::Draft.code()
        || (r.origin == ORIGIN_STAFF
            && r.responded_at.is_none()
            && [
                MeetingRequestStatus::Declined,
                MeetingRequestStatus::Withdrawn,
            ]
            .iter()
            .any(|s| s.code() == r.status))
}

/// The SQL form of [`unsent`].
fn unsent_condition() -> Condition {
    Condition::any()
        .add(meeting_request::Column::Status.eq(MeetingRequestStatus::Draft.code()))
        .add(
            Condition::all()
                .add(meeting_request::Column::Origin.eq(ORIGIN_STAFF))
                .add(meeting_request::Column::RespondedAt.is_null())
                .add(meeting_request::Column::Status.is_in(codes(&[
                    MeetingRequestStatus::Declined,
                    MeetingRequestStatus::Withdrawn,
                ]))),
        )
}

pub fn tier_of(r: &meeting_request::Model) -> MeetingTier {
    if r.mutual {
        MeetingTier::Mutual
    } else if r.origin == ORIGIN_STAFF {
        MeetingTier::Staff
    } else {
        MeetingTier::Accepted
    }
}

/// Filters and paging of an event's requests.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub status: Option<MeetingRequestStatus>,
    pub limit: u64,
    pub offset: u64,
}

/// A request to store.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub event_id: i64,
    pub from_registration: i64,
    pub to_registration: i64,
    pub reason: String,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
    pub weight: f64,
}

/// What asking for a meeting did.
#[derive(Debug, Clone)]
pub enum Asked {
    Created(RequestRow),
    /// The other side had asked already: its request is now accepted and mutual.
    Merged(RequestRow),
}

/// A meeting the scheduler placed.
#[derive(Debug, Clone)]
pub struct PlacedMeeting {
    pub request_id: i64,
    pub registration_a: i64,
    pub registration_b: i64,
    pub slot: Window,
    /// 1-based.
    pub table_no: i32,
    pub tier: MeetingTier,
    pub weight: f64,
}

/// What writing a schedule changed.
#[derive(Debug, Clone, Default)]
pub struct ScheduleWrite {
    pub inserted: usize,
    /// Existing meetings given another slot or table (unpublished again).
    pub moved: Vec<i64>,
    pub kept: usize,
    /// Meetings of the event that are no longer placed, as they were.
    pub removed: Vec<meeting::Model>,
}

/// A meeting with its two sides and the listings of its request.
#[derive(Debug, Clone)]
pub struct MeetingRow {
    pub meeting: meeting::Model,
    pub a: Side,
    pub b: Side,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
}

/// Which side of a meeting speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingSide {
    A,
    B,
}

/// Filters and paging of an event's meetings.
#[derive(Debug, Clone, Default)]
pub struct MeetingFilter {
    pub org_id: Option<i64>,
    pub limit: u64,
    pub offset: u64,
}

/// Staff's follow-up of a meeting.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub due_on: NaiveDate,
    pub status: FollowUpStatus,
    pub note: Option<String>,
}

/// The cooperation project an agreed follow-up opens.
#[derive(Debug, Clone)]
pub struct NewProject {
    pub title: String,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
    pub enterprise_org_id: i64,
    pub institution_org_id: i64,
    pub plan_year: i32,
}

/// The two sides of each registration among `reg_ids`.
async fn sides<C: ConnectionTrait>(
    conn: &C,
    reg_ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Side>, StoreError> {
    let mut reg_ids: Vec<i64> = reg_ids.into_iter().collect();
    reg_ids.sort_unstable();
    reg_ids.dedup();
    let mut regs = Vec::new();
    for chunk in reg_ids.chunks(500) {
        regs.extend(
            registration::Entity::find()
                .filter(registration::Column::Id.is_in(chunk.to_vec()))
                .all(conn)
                .await?,
        );
    }
    let orgs = orgs(conn, regs.iter().map(|r| r.org_id)).await?;
    Ok(regs
        .into_iter()
        .map(|r| {
            let side = Side {
                registration_id: r.id,
                org_id: r.org_id,
                org_name: orgs
                    .get(&r.org_id)
                    .map(|o| o.name.clone())
                    .unwrap_or_default(),
            };
            (r.id, side)
        })
        .collect())
}

async fn orgs<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, organization::Model>, StoreError> {
    let mut ids: Vec<i64> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::new();
    for chunk in ids.chunks(500) {
        for o in organization::Entity::find()
            .filter(organization::Column::Id.is_in(chunk.to_vec()))
            .all(conn)
            .await?
        {
            out.insert(o.id, o);
        }
    }
    Ok(out)
}

fn unknown_side(id: i64) -> Side {
    Side {
        registration_id: id,
        org_id: 0,
        org_name: String::new(),
    }
}

async fn request_rows<C: ConnectionTrait>(
    conn: &C,
    models: Vec<meeting_request::Model>,
) -> Result<Vec<RequestRow>, StoreError> {
    let sides = sides(
        conn,
        models
            .iter()
            .flat_map(|m| [m.from_registration, m.to_registration]),
    )
    .await?;
    Ok(models
        .into_iter()
        .map(|m| {
            let side = |id: i64| sides.get(&id).cloned().unwrap_or_else(|| unknown_side(id));
            RequestRow {
                from: side(m.from_registration),
                to: side(m.to_registration),
                request: m,
            }
        })
        .collect())
}

async fn request_row<C: ConnectionTrait>(
    conn: &C,
    m: meeting_request::Model,
) -> Result<RequestRow, StoreError> {
    request_rows(conn, vec![m])
        .await?
        .pop()
        .ok_or_else(|| StoreError::NotFound("meeting request".into()))
}

async fn meeting_rows<C: ConnectionTrait>(
    conn: &C,
    models: Vec<meeting::Model>,
) -> Result<Vec<MeetingRow>, StoreError> {
    let sides = sides(
        conn,
        models
            .iter()
            .flat_map(|m| [m.registration_a, m.registration_b]),
    )
    .await?;
    let request_ids: Vec<i64> = models.iter().filter_map(|m| m.request_id).collect();
    let mut requests = HashMap::new();
    for chunk in request_ids.chunks(500) {
        for r in meeting_request::Entity::find()
            .filter(meeting_request::Column::Id.is_in(chunk.to_vec()))
            .all(conn)
            .await?
        {
            requests.insert(r.id, r);
        }
    }
    Ok(models
        .into_iter()
        .map(|m| {
            let side = |id: i64| sides.get(&id).cloned().unwrap_or_else(|| unknown_side(id));
            let request = m.request_id.and_then(|id| requests.get(&id));
            MeetingRow {
                a: side(m.registration_a),
                b: side(m.registration_b),
                need_id: request.and_then(|r| r.need_id),
                capability_id: request.and_then(|r| r.capability_id),
                meeting: m,
            }
        })
        .collect())
}

async fn meeting_row<C: ConnectionTrait>(
    conn: &C,
    m: meeting::Model,
) -> Result<MeetingRow, StoreError> {
    meeting_rows(conn, vec![m])
        .await?
        .pop()
        .ok_or_else(|| StoreError::NotFound("meeting".into()))
}

/// The event, locked for the rest of the transaction (PostgreSQL; SQLite's
/// write transactions are serialized anyway), so that concurrent writers
/// on one event's requests or meetings take turns.
async fn lock_event(tx: &DatabaseTransaction, event_id: i64) -> Result<event::Model, StoreError> {
    event::Entity::find_by_id(event_id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("event {event_id}")))
}

/// The registration of `org_id` at an event (there is at most one).
async fn registration_of<C: ConnectionTrait>(
    conn: &C,
    event_id: i64,
    org_id: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(registration::Entity::find()
        .filter(registration::Column::EventId.eq(event_id))
        .filter(registration::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .map(|r| r.id))
}

fn request_audit(m: &meeting_request::Model) -> Value {
    json!({
        "event_id": m.event_id,
        "from_registration": m.from_registration,
        "to_registration": m.to_registration,
        "origin": m.origin,
        "status": m.status,
        "mutual": m.mutual,
        "weight": m.weight,
        "need_id": m.need_id,
        "capability_id": m.capability_id,
        "decline_reason": m.decline_reason,
    })
}

fn meeting_audit(m: &meeting::Model) -> Value {
    json!({
        "event_id": m.event_id,
        "request_id": m.request_id,
        "registration_a": m.registration_a,
        "registration_b": m.registration_b,
        "slot_start": m.slot_start,
        "table_no": m.table_no,
        "status": m.status,
        "published": m.published,
        "outcome_a": m.outcome_a,
        "note_a": m.note_a,
        "outcome_b": m.outcome_b,
        "note_b": m.note_b,
        "follow_up_on": m.follow_up_on,
        "follow_up_status": m.follow_up_status,
        "follow_up_note": m.follow_up_note,
        "project_id": m.project_id,
    })
}

/// Staff drafts of a pair are dropped when a participant asks for the pair
/// itself: the participant's own request supersedes staff's idea.
async fn withdraw_drafts(
    tx: &DatabaseTransaction,
    drafts: Vec<meeting_request::Model>,
    actor: &Actor,
) -> Result<(), StoreError> {
    for d in drafts {
        let before = request_audit(&d);
        let mut am = d.into_active_model();
        // No `responded_at`: the draft never reached the two sides (see [`unsent`]).
        am.status = Set(MeetingRequestStatus::Withdrawn.code().into());
        let after = am.update(tx).await?;
        audit::record(
            tx,
            actor,
            Entry {
                action: "withdraw",
                entity_type: "meeting_request",
                entity_id: Some(after.id.to_string()),
                before: Some(before),
                after: Some(request_audit(&after)),
            },
        )
        .await?;
    }
    Ok(())
}

impl Store {
    /// Every registration of an event, with its organization.
    pub async fn event_participants(&self, event_id: i64) -> Result<Vec<Participant>, StoreError> {
        let regs = registration::Entity::find()
            .filter(registration::Column::EventId.eq(event_id))
            .order_by_asc(registration::Column::Id)
            .all(self.conn())
            .await?;
        let orgs = orgs(self.conn(), regs.iter().map(|r| r.org_id)).await?;
        Ok(regs
            .into_iter()
            .map(|r| {
                let org = orgs.get(&r.org_id);
                Participant {
                    registration_id: r.id,
                    event_id: r.event_id,
                    org_id: r.org_id,
                    org_name: org.map(|o| o.name.clone()).unwrap_or_default(),
                    org_kind: org.and_then(|o| OrgKind::from_code(&o.kind)),
                    status: RegistrationStatus::from_code(&r.status),
                    wants_meetings: r.wants_meetings,
                    availability: super::windows(&Some(r.availability.clone())),
                    need_ids: ids(&r.need_ids),
                    capability_ids: ids(&r.capability_ids),
                }
            })
            .collect())
    }

    /// The requests of an event that `scope` may see, newest first.
    pub async fn list_meeting_requests(
        &self,
        scope: Scope,
        event_id: i64,
        filter: &RequestFilter,
    ) -> Result<Page<RequestRow>, StoreError> {
        let mut cond = Condition::all().add(meeting_request::Column::EventId.eq(event_id));
        match scope {
            Scope::All => {}
            Scope::Member(org) => {
                let Some(reg) = registration_of(self.conn(), event_id, org).await? else {
                    return Ok(Page {
                        items: vec![],
                        total: 0,
                    });
                };
                cond = cond.add(
                    Condition::any()
                        .add(meeting_request::Column::FromRegistration.eq(reg))
                        .add(meeting_request::Column::ToRegistration.eq(reg)),
                );
                // The rule hides staff drafts (and unsent ones) from the two organizations.
                if !meeting_request_visible_to(scope, org, org, true) {
                    cond = cond.add(unsent_condition().not());
                }
            }
            Scope::Public => {
                return Ok(Page {
                    items: vec![],
                    total: 0,
                });
            }
        }
        if let Some(status) = filter.status {
            cond = cond.add(meeting_request::Column::Status.eq(status.code()));
        }
        let query = meeting_request::Entity::find().filter(cond);
        let total = query.clone().count(self.conn()).await?;
        let models = query
            .order_by_desc(meeting_request::Column::Id)
            .limit(filter.limit)
            .offset(filter.offset)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: request_rows(self.conn(), models).await?,
            total,
        })
    }

    /// One request, whoever asks (the caller applies the visibility rule).
    pub async fn meeting_request(&self, id: i64) -> Result<Option<RequestRow>, StoreError> {
        match meeting_request::Entity::find_by_id(id)
            .one(self.conn())
            .await?
        {
            Some(m) => Ok(Some(request_row(self.conn(), m).await?)),
            None => Ok(None),
        }
    }

    /// The accepted requests of an event: what the scheduler places.
    pub async fn accepted_meeting_requests(
        &self,
        event_id: i64,
    ) -> Result<Vec<meeting_request::Model>, StoreError> {
        Ok(meeting_request::Entity::find()
            .filter(meeting_request::Column::EventId.eq(event_id))
            .filter(meeting_request::Column::Status.eq(MeetingRequestStatus::Accepted.code()))
            .order_by_asc(meeting_request::Column::Id)
            .all(self.conn())
            .await?)
    }

    /// Unordered registration pairs of an event that have a request in any status.
    pub async fn requested_pairs(&self, event_id: i64) -> Result<HashSet<(i64, i64)>, StoreError> {
        Ok(meeting_request::Entity::find()
            .filter(meeting_request::Column::EventId.eq(event_id))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|r| pair(r.from_registration, r.to_registration))
            .collect())
    }

    /// A participant asks another for a meeting. One open request per
    /// ordered pair; if the other side asked already (pending or accepted),
    /// its request becomes accepted and mutual instead of a second one.
    pub async fn ask_for_meeting(
        &self,
        new: &NewRequest,
        actor: &Actor,
    ) -> Result<Asked, StoreError> {
        let tx = self.begin_write().await?;
        lock_event(&tx, new.event_id).await?;
        let (from, to) = (new.from_registration, new.to_registration);
        let open = meeting_request::Entity::find()
            .filter(meeting_request::Column::EventId.eq(new.event_id))
            .filter(meeting_request::Column::Status.is_in(codes(&OPEN)))
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(meeting_request::Column::FromRegistration.eq(from))
                            .add(meeting_request::Column::ToRegistration.eq(to)),
                    )
                    .add(
                        Condition::all()
                            .add(meeting_request::Column::FromRegistration.eq(to))
                            .add(meeting_request::Column::ToRegistration.eq(from)),
                    ),
            )
            .order_by_asc(meeting_request::Column::Id)
            .all(&tx)
            .await?;
        let (drafts, answered): (Vec<_>, Vec<_>) = open
            .into_iter()
            .partition(|r| r.status == MeetingRequestStatus::Draft.code());
        if let Some(same) = answered.iter().find(|r| r.from_registration == from) {
            return Err(StoreError::Conflict(format!(
                "request {} for this meeting is already open ({})",
                same.id, same.status
            )));
        }
        if let Some(staff) = answered.iter().find(|r| r.origin == ORIGIN_STAFF) {
            return Err(StoreError::Conflict(format!(
                "staff proposed this meeting (request {}): accept or decline it instead",
                staff.id
            )));
        }
        withdraw_drafts(&tx, drafts, actor).await?;
        let now = Utc::now();
        let asked = if let Some(earlier) = answered.into_iter().next() {
            let before = request_audit(&earlier);
            let weight = earlier.weight.max(new.weight);
            let was_pending = earlier.status == MeetingRequestStatus::Pending.code();
            let mut am = earlier.into_active_model();
            am.status = Set(MeetingRequestStatus::Accepted.code().into());
            am.mutual = Set(true);
            am.weight = Set(weight);
            if was_pending {
                am.responded_at = Set(Some(now));
            }
            let merged = am.update(&tx).await?;
            audit::record(
                &tx,
                actor,
                Entry {
                    action: "merge",
                    entity_type: "meeting_request",
                    entity_id: Some(merged.id.to_string()),
                    before: Some(before),
                    after: Some(request_audit(&merged)),
                },
            )
            .await?;
            Asked::Merged(request_row(&tx, merged).await?)
        } else {
            let created = meeting_request::ActiveModel {
                id: NotSet,
                event_id: Set(new.event_id),
                from_registration: Set(from),
                to_registration: Set(to),
                origin: Set(ORIGIN_PARTICIPANT.into()),
                status: Set(MeetingRequestStatus::Pending.code().into()),
                mutual: Set(false),
                reason: Set(new.reason.clone()),
                need_id: Set(new.need_id),
                capability_id: Set(new.capability_id),
                weight: Set(new.weight),
                decline_reason: Set(None),
                created_by: Set(actor.user_id),
                created_at: Set(now),
                responded_at: Set(None),
            }
            .insert(&tx)
            .await?;
            audit::record(
                &tx,
                actor,
                Entry {
                    action: "create",
                    entity_type: "meeting_request",
                    entity_id: Some(created.id.to_string()),
                    before: None,
                    after: Some(request_audit(&created)),
                },
            )
            .await?;
            Asked::Created(request_row(&tx, created).await?)
        };
        tx.commit().await?;
        Ok(asked)
    }

    /// Staff's proposals as drafts, skipping pairs that have a request in
    /// any status (a declined or withdrawn pair is not proposed again).
    pub async fn insert_draft_requests(
        &self,
        event_id: i64,
        drafts: &[NewRequest],
        actor: &Actor,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let tx = self.begin_write().await?;
        lock_event(&tx, event_id).await?;
        let mut taken: HashSet<(i64, i64)> = meeting_request::Entity::find()
            .filter(meeting_request::Column::EventId.eq(event_id))
            .all(&tx)
            .await?
            .into_iter()
            .map(|r| pair(r.from_registration, r.to_registration))
            .collect();
        let now = Utc::now();
        let mut created = Vec::new();
        for d in drafts {
            if !taken.insert(pair(d.from_registration, d.to_registration)) {
                continue;
            }
            created.push(
                meeting_request::ActiveModel {
                    id: NotSet,
                    event_id: Set(event_id),
                    from_registration: Set(d.from_registration),
                    to_registration: Set(d.to_registration),
                    origin: Set(ORIGIN_STAFF.into()),
                    status: Set(MeetingRequestStatus::Draft.code().into()),
                    mutual: Set(false),
                    reason: Set(d.reason.clone()),
                    need_id: Set(d.need_id),
                    capability_id: Set(d.capability_id),
                    weight: Set(d.weight),
                    decline_reason: Set(None),
                    created_by: Set(actor.user_id),
                    created_at: Set(now),
                    responded_at: Set(None),
                }
                .insert(&tx)
                .await?,
            );
        }
        audit::record(
            &tx,
            actor,
            Entry {
                action: "propose_meetings",
                entity_type: "event",
                entity_id: Some(event_id.to_string()),
                before: None,
                after: Some(json!({
                    "drafts": created.iter().map(|c| c.id).collect::<Vec<_>>(),
                })),
            },
        )
        .await?;
        let rows = request_rows(&tx, created).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Moves a request from one of `from` to `to` (audited as `action`);
    /// a request in another status is a conflict.
    pub async fn move_meeting_request(
        &self,
        id: i64,
        from: &[MeetingRequestStatus],
        to: MeetingRequestStatus,
        decline_reason: Option<String>,
        action: &str,
        actor: &Actor,
    ) -> Result<RequestRow, StoreError> {
        let tx = self.begin_write().await?;
        let current = meeting_request::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("meeting request {id}")))?;
        if !from.iter().any(|s| s.code() == current.status) {
            return Err(StoreError::Conflict(format!(
                "the request is {}; it can be {action} only when {}",
                current.status,
                codes(from).join(" or ")
            )));
        }
        let before = request_audit(&current);
        // A discarded draft never reached the sides and stays unsent.
        let answered = current.status != MeetingRequestStatus::Draft.code()
            && to != MeetingRequestStatus::Pending;
        let mut am = current.into_active_model();
        am.status = Set(to.code().into());
        if answered {
            am.responded_at = Set(Some(Utc::now()));
        }
        if decline_reason.is_some() {
            am.decline_reason = Set(decline_reason);
        }
        let after = am.update(&tx).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action,
                entity_type: "meeting_request",
                entity_id: Some(id.to_string()),
                before: Some(before),
                after: Some(request_audit(&after)),
            },
        )
        .await?;
        let row = request_row(&tx, after).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Sends staff drafts to both sides (draft → pending): all drafts of the
    /// event, or those of `only`, each of which must be a draft of the event.
    pub async fn send_draft_requests(
        &self,
        event_id: i64,
        only: Option<&[i64]>,
        actor: &Actor,
    ) -> Result<Vec<RequestRow>, StoreError> {
        let tx = self.begin_write().await?;
        lock_event(&tx, event_id).await?;
        let mut q = meeting_request::Entity::find()
            .filter(meeting_request::Column::EventId.eq(event_id))
            .filter(meeting_request::Column::Status.eq(MeetingRequestStatus::Draft.code()));
        if let Some(ids) = only {
            q = q.filter(meeting_request::Column::Id.is_in(ids.to_vec()));
        }
        let drafts = q.order_by_asc(meeting_request::Column::Id).all(&tx).await?;
        if let Some(ids) = only {
            let found: HashSet<i64> = drafts.iter().map(|d| d.id).collect();
            let mut missing: Vec<i64> =
                ids.iter().copied().filter(|i| !found.contains(i)).collect();
            missing.sort_unstable();
            missing.dedup();
            if !missing.is_empty() {
                let list: Vec<String> = missing.iter().map(i64::to_string).collect();
                return Err(StoreError::Conflict(format!(
                    "not drafts of this event: {}",
                    list.join(", ")
                )));
            }
        }
        let mut sent = Vec::with_capacity(drafts.len());
        for d in drafts {
            let before = request_audit(&d);
            let mut am = d.into_active_model();
            am.status = Set(MeetingRequestStatus::Pending.code().into());
            let after = am.update(&tx).await?;
            audit::record(
                &tx,
                actor,
                Entry {
                    action: "send",
                    entity_type: "meeting_request",
                    entity_id: Some(after.id.to_string()),
                    before: Some(before),
                    after: Some(request_audit(&after)),
                },
            )
            .await?;
            sent.push(after);
        }
        let rows = request_rows(&tx, sent).await?;
        tx.commit().await?;
        Ok(rows)
    }

    /// Every meeting of an event, in slot order.
    pub async fn event_meetings(&self, event_id: i64) -> Result<Vec<meeting::Model>, StoreError> {
        Ok(meeting::Entity::find()
            .filter(meeting::Column::EventId.eq(event_id))
            .order_by_asc(meeting::Column::SlotStart)
            .order_by_asc(meeting::Column::TableNo)
            .order_by_asc(meeting::Column::Id)
            .all(self.conn())
            .await?)
    }

    /// Writes a scheduler run in one transaction, if the event is still at
    /// `event_version`: placed meetings are inserted or updated (a meeting
    /// that keeps its slot and table keeps its publication; a moved one is
    /// unpublished until staff publish again), meetings no longer placed are
    /// removed and returned, and the run's report (made from what changed)
    /// is stored on the event.
    pub async fn write_schedule(
        &self,
        event_id: i64,
        event_version: i32,
        placed: &[PlacedMeeting],
        report: impl FnOnce(&ScheduleWrite) -> Value,
        actor: &Actor,
    ) -> Result<ScheduleWrite, StoreError> {
        let tx = self.begin_write().await?;
        let ev = lock_event(&tx, event_id).await?;
        if ev.version != event_version {
            return Err(StoreError::Conflict(
                "the event changed while its schedule was computed; run the scheduler again".into(),
            ));
        }
        let existing = meeting::Entity::find()
            .filter(meeting::Column::EventId.eq(event_id))
            .order_by_asc(meeting::Column::Id)
            .all(&tx)
            .await?;
        let mut by_request: HashMap<i64, meeting::Model> = HashMap::new();
        let mut leftover = Vec::new();
        for m in existing {
            match m.request_id {
                Some(r) if !by_request.contains_key(&r) => {
                    by_request.insert(r, m);
                }
                _ => leftover.push(m),
            }
        }
        let now = Utc::now();
        let mut out = ScheduleWrite::default();
        for p in placed {
            let tier = Some(p.tier.code().to_string());
            match by_request.remove(&p.request_id) {
                Some(m)
                    if m.slot_start == p.slot.start
                        && m.slot_end == p.slot.end
                        && m.table_no == p.table_no =>
                {
                    if m.tier != tier || m.weight != p.weight {
                        let mut am = m.into_active_model();
                        am.tier = Set(tier);
                        am.weight = Set(p.weight);
                        am.updated_at = Set(Some(now));
                        am.update(&tx).await?;
                    }
                    out.kept += 1;
                }
                Some(m) => {
                    let id = m.id;
                    let mut am = m.into_active_model();
                    am.registration_a = Set(p.registration_a);
                    am.registration_b = Set(p.registration_b);
                    am.slot_start = Set(p.slot.start);
                    am.slot_end = Set(p.slot.end);
                    am.table_no = Set(p.table_no);
                    am.tier = Set(tier);
                    am.weight = Set(p.weight);
                    am.status = Set(MeetingStatus::Scheduled.code().into());
                    am.published = Set(false);
                    am.updated_at = Set(Some(now));
                    am.update(&tx).await?;
                    out.moved.push(id);
                }
                None => {
                    meeting::ActiveModel {
                        id: NotSet,
                        event_id: Set(event_id),
                        registration_a: Set(p.registration_a),
                        registration_b: Set(p.registration_b),
                        slot_start: Set(p.slot.start),
                        slot_end: Set(p.slot.end),
                        table_no: Set(p.table_no),
                        status: Set(MeetingStatus::Scheduled.code().into()),
                        rating_a: Set(None),
                        rating_b: Set(None),
                        created_at: Set(now),
                        request_id: Set(Some(p.request_id)),
                        published: Set(false),
                        tier: Set(tier),
                        weight: Set(p.weight),
                        outcome_a: Set(None),
                        note_a: Set(None),
                        outcome_b: Set(None),
                        note_b: Set(None),
                        follow_up_on: Set(None),
                        follow_up_status: Set(None),
                        follow_up_note: Set(None),
                        project_id: Set(None),
                        updated_at: Set(Some(now)),
                    }
                    .insert(&tx)
                    .await?;
                    out.inserted += 1;
                }
            }
        }
        leftover.extend(by_request.into_values());
        leftover.sort_by_key(|m| m.id);
        for m in &leftover {
            meeting::Entity::delete_by_id(m.id).exec(&tx).await?;
        }
        out.removed = leftover;
        let mut am = ev.into_active_model();
        am.schedule_report = Set(Some(report(&out)));
        am.update(&tx).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "schedule",
                entity_type: "event",
                entity_id: Some(event_id.to_string()),
                before: None,
                after: Some(json!({
                    "inserted": out.inserted,
                    "moved": out.moved,
                    "kept": out.kept,
                    "removed": out.removed.iter().map(meeting_audit).collect::<Vec<_>>(),
                })),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Publishes every meeting of an event to its two sides; returns how
    /// many were not published before.
    pub async fn publish_meetings(&self, event_id: i64, actor: &Actor) -> Result<u64, StoreError> {
        let tx = self.begin_write().await?;
        lock_event(&tx, event_id).await?;
        let changed = meeting::Entity::update_many()
            .col_expr(meeting::Column::Published, true.into())
            .col_expr(meeting::Column::UpdatedAt, Some(Utc::now()).into())
            .filter(meeting::Column::EventId.eq(event_id))
            .filter(meeting::Column::Published.eq(false))
            .exec(&tx)
            .await?
            .rows_affected;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "publish_schedule",
                entity_type: "event",
                entity_id: Some(event_id.to_string()),
                before: None,
                after: Some(json!({"published": changed})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// The meetings of an event that `scope` may see, in slot and table order.
    pub async fn list_meetings(
        &self,
        scope: Scope,
        event_id: i64,
        filter: &MeetingFilter,
    ) -> Result<Page<MeetingRow>, StoreError> {
        let empty = || Page {
            items: vec![],
            total: 0,
        };
        let mut cond = Condition::all().add(meeting::Column::EventId.eq(event_id));
        let of_registration = |reg: i64| {
            Condition::any()
                .add(meeting::Column::RegistrationA.eq(reg))
                .add(meeting::Column::RegistrationB.eq(reg))
        };
        match scope {
            Scope::All => {}
            Scope::Member(org) => {
                let Some(reg) = registration_of(self.conn(), event_id, org).await? else {
                    return Ok(empty());
                };
                cond = cond.add(of_registration(reg));
                // The rule shows a meeting to its two sides once published.
                if !meeting_visible_to(scope, org, org, false) {
                    cond = cond.add(meeting::Column::Published.eq(true));
                }
            }
            Scope::Public => return Ok(empty()),
        }
        if let Some(org) = filter.org_id {
            let Some(reg) = registration_of(self.conn(), event_id, org).await? else {
                return Ok(empty());
            };
            cond = cond.add(of_registration(reg));
        }
        let query = meeting::Entity::find().filter(cond);
        let total = query.clone().count(self.conn()).await?;
        let models = query
            .order_by_asc(meeting::Column::SlotStart)
            .order_by_asc(meeting::Column::TableNo)
            .order_by_asc(meeting::Column::Id)
            .limit(filter.limit)
            .offset(filter.offset)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: meeting_rows(self.conn(), models).await?,
            total,
        })
    }

    /// One meeting if `scope` may see it.
    pub async fn visible_meeting(&self, scope: Scope, id: i64) -> Result<MeetingRow, StoreError> {
        let m = meeting::Entity::find_by_id(id).one(self.conn()).await?;
        let Some(m) = m else {
            return Err(StoreError::NotFound(format!("meeting {id}")));
        };
        let row = meeting_row(self.conn(), m).await?;
        if meeting_visible_to(scope, row.a.org_id, row.b.org_id, row.meeting.published) {
            Ok(row)
        } else {
            Err(StoreError::NotFound(format!("meeting {id}")))
        }
    }

    /// Records one side's outcome (audited). The meeting counts as held
    /// once either side says anything but "not held".
    pub async fn record_meeting_outcome(
        &self,
        id: i64,
        side: MeetingSide,
        outcome: MeetingOutcome,
        note: Option<String>,
        actor: &Actor,
    ) -> Result<MeetingRow, StoreError> {
        let tx = self.begin_write().await?;
        let m = meeting::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("meeting {id}")))?;
        let before = meeting_audit(&m);
        let (mut outcome_a, mut outcome_b) = (m.outcome_a.clone(), m.outcome_b.clone());
        match side {
            MeetingSide::A => outcome_a = Some(outcome.code().into()),
            MeetingSide::B => outcome_b = Some(outcome.code().into()),
        }
        let held = [&outcome_a, &outcome_b]
            .into_iter()
            .flatten()
            .any(|o| o != MeetingOutcome::NotHeld.code());
        let status = if held {
            MeetingStatus::Held.code().to_string()
        } else if m.status == MeetingStatus::Held.code() {
            // A side corrected its word: nobody says it took place any more.
            MeetingStatus::Scheduled.code().to_string()
        } else {
            m.status.clone()
        };
        let mut am = m.into_active_model();
        match side {
            MeetingSide::A => {
                am.outcome_a = Set(outcome_a);
                am.note_a = Set(note);
            }
            MeetingSide::B => {
                am.outcome_b = Set(outcome_b);
                am.note_b = Set(note);
            }
        }
        am.status = Set(status);
        am.updated_at = Set(Some(Utc::now()));
        let after = am.update(&tx).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "outcome",
                entity_type: "meeting",
                entity_id: Some(id.to_string()),
                before: Some(before),
                after: Some(meeting_audit(&after)),
            },
        )
        .await?;
        let row = meeting_row(&tx, after).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Records staff's follow-up (audited). With `project`, opens that
    /// cooperation project in the same transaction unless the meeting has
    /// one already; returns the id of a project opened now.
    pub async fn record_meeting_follow_up(
        &self,
        id: i64,
        follow_up: &FollowUp,
        project: Option<&NewProject>,
        actor: &Actor,
    ) -> Result<(MeetingRow, Option<i64>), StoreError> {
        let tx = self.begin_write().await?;
        let m = meeting::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("meeting {id}")))?;
        let before = meeting_audit(&m);
        let mut opened = None;
        if let Some(p) = project
            && m.project_id.is_none()
        {
            let now = Utc::now();
            let created = project::ActiveModel {
                id: NotSet,
                external_id: Set(None),
                title: Set(p.title.clone()),
                need_id: Set(p.need_id),
                capability_id: Set(p.capability_id),
                enterprise_org_id: Set(p.enterprise_org_id),
                institution_org_id: Set(p.institution_org_id),
                origin: Set(ProjectOrigin::EventMeeting.code().into()),
                plan_year: Set(p.plan_year),
                is_key: Set(false),
                status: Set(ProjectStatus::Planned.code().into()),
                termination_reason: Set(None),
                contract_type: Set(None),
                contract_amount_yuan: Set(None),
                gov_funding_yuan: Set(None),
                signed_on: Set(None),
                started_on: Set(None),
                due_on: Set(None),
                completed_on: Set(None),
                milestones: Set(json!([])),
                version: Set(1),
                created_at: Set(now),
                updated_at: Set(now),
                field: Set(None),
                district: Set(None),
                contract_reg_no: Set(None),
                meeting_id: Set(Some(m.id)),
                termination_code: Set(None),
                published: Set(false),
            }
            .insert(&tx)
            .await?;
            audit::record(
                &tx,
                actor,
                Entry {
                    action: "create",
                    entity_type: "project",
                    entity_id: Some(created.id.to_string()),
                    before: None,
                    after: Some(json!({
                        "title": created.title,
                        "origin": created.origin,
                        "plan_year": created.plan_year,
                        "meeting_id": id,
                    })),
                },
            )
            .await?;
            opened = Some(created.id);
        }
        let mut am = m.into_active_model();
        am.follow_up_on = Set(Some(follow_up.due_on));
        am.follow_up_status = Set(Some(follow_up.status.code().into()));
        am.follow_up_note = Set(follow_up.note.clone());
        if let Some(p) = opened {
            am.project_id = Set(Some(p));
        }
        am.updated_at = Set(Some(Utc::now()));
        let after = am.update(&tx).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "follow_up",
                entity_type: "meeting",
                entity_id: Some(id.to_string()),
                before: Some(before),
                after: Some(meeting_audit(&after)),
            },
        )
        .await?;
        let row = meeting_row(&tx, after).await?;
        tx.commit().await?;
        Ok((row, opened))
    }
}

/// A registration pair regardless of direction.
pub fn pair(a: i64, b: i64) -> (i64, i64) {
    (a.min(b), a.max(b))
}

/// When a meeting takes place, for callers that only have the model.
pub fn slot_of(m: &meeting::Model) -> Window {
    Window {
        start: m.slot_start,
        end: m.slot_end,
    }
}
