//! 1:1 meetings at an event (对接会洽谈): participants ask each other for a
//! meeting, staff propose meetings from match suggestions, the scheduler
//! places the accepted ones into slots and tables, and after the event each
//! side says what came of its meeting while staff follow up.
//!
//! Members act for their organization ([`Resource::Organization`]); staff
//! work is [`Resource::Bureau`]. Who sees a request or meeting is decided by
//! `qiao_core::access` (`meeting_request_visible_to`, `meeting_visible_to`).

use crate::matchmaking::{History, Matcher};
use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result, Viewer};
use chrono::{Datelike, FixedOffset, Months, NaiveDate};
use qiao_core::access::{ListingKind, meeting_request_visible_to, registration_visible_to};
use qiao_core::event::{Window, available};
use qiao_core::stored::Page;
use qiao_core::vocab::{
    EventStatus, FollowUpStatus, MeetingOutcome, MeetingRequestStatus, MeetingTier, Vocabulary,
};
use qiao_core::{Actor, Scope};
use qiao_matching::schedule::{
    self, MeetingRequest, MoveReason, Participant as Attendee, Placement, Reason, ScheduleInput,
    Tier,
};
/// The scheduler's mode and figures, as the run reports them.
pub use qiao_matching::schedule::{Bound, Mode, Stats};
use qiao_store::events::EventRow;
pub use qiao_store::events::meetings::{Asked, MeetingRow, Participant, RequestRow, Side};
use qiao_store::events::meetings::{
    FollowUp, MeetingFilter, MeetingSide, NewProject, NewRequest, PlacedMeeting, RequestFilter,
    ScheduleWrite,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// Characters of a request's reason or a decline's.
pub const MAX_REASON_CHARS: usize = 500;
/// Characters of an outcome's or follow-up's note.
pub const MAX_NOTE_CHARS: usize = 1000;
/// A requester's priority, 1–5; the meeting's weight is priority / 5.
pub const PRIORITIES: std::ops::RangeInclusive<i64> = 1..=5;
pub const DEFAULT_PRIORITY: i64 = 3;
/// Staff proposals: suggestions scoring at least this, this many per need.
pub const DEFAULT_MIN_SCORE: f64 = 0.3;
pub const DEFAULT_PER_NEED: u32 = 3;
pub const MAX_PER_NEED: u32 = 10;
/// Follow-up falls due this long after the meeting unless staff say otherwise.
pub const FOLLOW_UP_MONTHS: u32 = 3;
/// Candidates read from the index per need before keeping the event's own:
/// the index's maximum, so a participant's capability is not cut off by the
/// rest of the platform.
const PROPOSAL_CANDIDATES: usize = 1000;

/// Requests are asked, answered and proposed while registration runs;
/// the schedule is made and published then too, before the event is held.
const REQUEST_STATES: &[EventStatus] = &[
    EventStatus::RegistrationOpen,
    EventStatus::RegistrationClosed,
];

/// A request as a participant sends it.
#[derive(Debug, Clone, Default)]
pub struct RequestDraft {
    pub to_registration: i64,
    pub reason: Option<String>,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
    pub priority: Option<i64>,
}

/// What staff ask of the proposal run.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProposeOptions {
    pub min_score: Option<f64>,
    pub per_need: Option<u32>,
}

/// An accepted request the run could not place, and why.
#[derive(Debug, Clone, Serialize)]
pub struct UnplacedMeeting {
    pub request_id: i64,
    pub org_ids: [i64; 2],
    /// `invalid`, `participant_unavailable`, `no_capacity` or `conflict`.
    pub reason: &'static str,
    pub reason_label: &'static str,
}

/// A published meeting the run moved (or could not keep), and why.
#[derive(Debug, Clone, Serialize)]
pub struct MovedMeeting {
    pub request_id: i64,
    pub org_ids: [i64; 2],
    /// `slot_removed`, `table_removed`, `participant_unavailable`, `clash`, `invalid` or `full_replan`.
    pub reason: &'static str,
    pub reason_label: &'static str,
    pub from: SlotTable,
    /// `None`: now unplaced.
    pub to: Option<SlotTable>,
}

/// A meeting the run took off the schedule.
#[derive(Debug, Clone, Serialize)]
pub struct RemovedMeeting {
    pub meeting_id: i64,
    pub request_id: Option<i64>,
    pub org_ids: [i64; 2],
    pub was_published: bool,
    /// A reason of [`UnplacedMeeting`], or `request_closed` when the request
    /// is no longer accepted.
    pub reason: &'static str,
    pub reason_label: &'static str,
}

/// A place in the schedule: a slot and a 1-based table.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SlotTable {
    pub starts_at: chrono::DateTime<chrono::Utc>,
    pub ends_at: chrono::DateTime<chrono::Utc>,
    pub table: i32,
}

/// What a scheduler run did; also stored on the event as its report.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduleRun {
    pub event_id: i64,
    pub mode: Mode,
    pub ran_at: chrono::DateTime<chrono::Utc>,
    pub slots: usize,
    pub usable_tables: u32,
    pub participants: usize,
    pub requests: usize,
    pub placed: usize,
    pub inserted: usize,
    pub kept: usize,
    pub unplaced: Vec<UnplacedMeeting>,
    pub moved: Vec<MovedMeeting>,
    pub removed: Vec<RemovedMeeting>,
    pub stats: Stats,
    pub upper_bound: Bound,
}

fn unplaced_reason(r: Reason) -> (&'static str, &'static str) {
    match r {
        Reason::Invalid => ("invalid", "请求无效：一方已不再参会或不参加洽谈"),
        Reason::ParticipantUnavailable => ("participant_unavailable", "双方没有共同的空闲时段"),
        Reason::NoCapacity => ("no_capacity", "双方共同空闲的时段洽谈桌已满"),
        Reason::Conflict => ("conflict", "共同空闲的时段内一方已有更优先的洽谈"),
    }
}

fn move_reason(r: MoveReason) -> (&'static str, &'static str) {
    match r {
        MoveReason::SlotRemoved => ("slot_removed", "原时段已不在洽谈时间内"),
        MoveReason::TableRemoved => ("table_removed", "原洽谈桌已不可用"),
        MoveReason::ParticipantUnavailable => ("participant_unavailable", "一方在原时段已无空"),
        MoveReason::Clash => ("clash", "原时段与更优先的洽谈冲突"),
        MoveReason::Invalid => ("invalid", "请求无效：一方已不再参会或不参加洽谈"),
        MoveReason::FullReplan => ("full_replan", "全量重排"),
    }
}

const REQUEST_CLOSED: (&str, &str) = ("request_closed", "洽谈请求已撤回或被拒绝");

fn tier(t: MeetingTier) -> Tier {
    match t {
        MeetingTier::Mutual => Tier::Mutual,
        MeetingTier::Accepted => Tier::Accepted,
        MeetingTier::Staff => Tier::Proposed,
    }
}

/// The event's status allows `what`, or a conflict naming the allowed states.
fn check_state(event: &EventRow, allowed: &[EventStatus], what: &str) -> Result<()> {
    if allowed.contains(&event.status) {
        return Ok(());
    }
    let names: Vec<String> = allowed
        .iter()
        .map(|s| format!("{} ({})", s.code(), s.label_zh()))
        .collect();
    Err(Error::Conflict(format!(
        "{what} only while the event is {}; it is {} ({})",
        names.join(" or "),
        event.status.code(),
        event.status.label_zh()
    )))
}

/// One line of text, cleaned; `None` when absent or blank.
fn text(field: &str, value: Option<String>, multiline: bool, max: usize) -> Result<Option<String>> {
    let Some(v) = value else {
        return Ok(None);
    };
    let cleaned = qiao_core::text::clean(&v, multiline).map_err(|m| Error::field(field, m))?;
    let cleaned = cleaned.trim().to_string();
    if cleaned.chars().count() > max {
        return Err(Error::field(field, format!("at most {max} characters")));
    }
    Ok((!cleaned.is_empty()).then_some(cleaned))
}

fn required_text(field: &str, value: Option<String>, max: usize) -> Result<String> {
    text(field, value, false, max)?.ok_or_else(|| Error::field(field, "required"))
}

/// The date a meeting took place on, in China's time.
fn china_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    t.with_timezone(&china).date_naive()
}

impl App {
    /// The event if the viewer may see it.
    async fn meeting_event(&self, scope: Scope, event_id: i64) -> Result<EventRow> {
        Ok(self.store().visible_event(scope, event_id).await?)
    }

    /// A request the principal may see (with the event it belongs to).
    async fn visible_request(&self, who: &Principal, id: i64) -> Result<(RequestRow, EventRow)> {
        let row = self
            .store()
            .meeting_request(id)
            .await?
            .ok_or(Error::NotFound)?;
        if !meeting_request_visible_to(who.scope(), row.from.org_id, row.to.org_id, row.unsent()) {
            return Err(Error::NotFound);
        }
        let event = self
            .meeting_event(who.scope(), row.request.event_id)
            .await?;
        Ok((row, event))
    }

    /// The requests of an event the principal may see: staff all, members
    /// those from or to their organization (never staff drafts).
    pub async fn meeting_requests(
        &self,
        who: &Principal,
        event_id: i64,
        status: Option<&str>,
        limit: u64,
        offset: u64,
    ) -> Result<Page<RequestRow>> {
        crate::limits::check_page(limit, offset)?;
        let status = match status {
            Some(s) => Some(MeetingRequestStatus::parse(s).ok_or_else(|| {
                Error::field(
                    "status",
                    qiao_core::vocab::unknown_term::<MeetingRequestStatus>(s),
                )
            })?),
            None => None,
        };
        self.meeting_event(who.scope(), event_id).await?;
        let filter = RequestFilter {
            status,
            limit,
            offset,
        };
        Ok(self
            .store()
            .list_meeting_requests(who.scope(), event_id, &filter)
            .await?)
    }

    /// A member of a confirmed participant asks another participant for a
    /// meeting. If the other side asked already, the two requests become one
    /// accepted, mutual request ([`Asked::Merged`]).
    pub async fn ask_for_meeting(
        &self,
        who: &Principal,
        event_id: i64,
        draft: RequestDraft,
    ) -> Result<Asked> {
        let event = self.meeting_event(who.scope(), event_id).await?;
        let Some(org) = who.org_id.filter(|_| !who.is_staff()) else {
            // Staff propose meetings instead; users without an organization take no part.
            return Err(Error::Forbidden);
        };
        authorize(who, Resource::Organization { id: org }, Action::Update)?;
        let reason = required_text("reason", draft.reason, MAX_REASON_CHARS)?;
        let priority = draft.priority.unwrap_or(DEFAULT_PRIORITY);
        if !PRIORITIES.contains(&priority) {
            return Err(Error::field("priority", "must be 1–5"));
        }
        let participants = self.store().event_participants(event_id).await?;
        let Some(from) = participants.iter().find(|p| p.org_id == org) else {
            return Err(Error::Forbidden);
        };
        if !from.meets() {
            return Err(Error::Conflict(
                "your organization takes part in 1:1 meetings once its registration is confirmed and asks for meetings".into(),
            ));
        }
        let to = participants
            .iter()
            .find(|p| p.registration_id == draft.to_registration)
            .filter(|p| {
                registration_visible_to(
                    who.scope(),
                    p.org_id,
                    p.status == Some(qiao_core::vocab::RegistrationStatus::Confirmed),
                    true,
                )
            })
            .ok_or_else(|| {
                Error::field(
                    "to_registration",
                    "no confirmed participant of this event has this registration id",
                )
            })?;
        if to.registration_id == from.registration_id {
            return Err(Error::field(
                "to_registration",
                "a meeting is with another organization",
            ));
        }
        if !to.meets() {
            return Err(Error::field(
                "to_registration",
                "this participant does not take 1:1 meetings",
            ));
        }
        let pair = [from.org_id, to.org_id];
        self.check_listing(who, ListingKind::Need, draft.need_id, pair)
            .await?;
        self.check_listing(who, ListingKind::Capability, draft.capability_id, pair)
            .await?;
        check_state(&event, REQUEST_STATES, "meetings are requested")?;
        let new = NewRequest {
            event_id,
            from_registration: from.registration_id,
            to_registration: to.registration_id,
            reason,
            need_id: draft.need_id,
            capability_id: draft.capability_id,
            weight: priority as f64 / *PRIORITIES.end() as f64,
        };
        Ok(self.store().ask_for_meeting(&new, &who.actor()).await?)
    }

    /// A listing named by a request: one the principal may see, of one of the two organizations.
    async fn check_listing(
        &self,
        who: &Principal,
        kind: ListingKind,
        id: Option<i64>,
        orgs: [i64; 2],
    ) -> Result<()> {
        let Some(id) = id else {
            return Ok(());
        };
        let field = match kind {
            ListingKind::Need => "need_id",
            ListingKind::Capability => "capability_id",
        };
        let visible = self
            .store()
            .visible_listing_ids(who.scope(), kind, &[id])
            .await?;
        let org = match kind {
            ListingKind::Need => self
                .store()
                .needs_by_ids(&[id])
                .await?
                .get(&id)
                .map(|n| n.org_id),
            ListingKind::Capability => self
                .store()
                .capabilities_by_ids(&[id])
                .await?
                .get(&id)
                .map(|c| c.org_id),
        };
        match org {
            Some(org) if visible.contains(&id) => {
                if orgs.contains(&org) {
                    Ok(())
                } else {
                    Err(Error::field(
                        field,
                        "must belong to one of the two organizations",
                    ))
                }
            }
            _ => Err(Error::field(field, "no such listing is visible to you")),
        }
    }

    /// The addressed side (or staff) accepts a pending request.
    pub async fn accept_meeting_request(&self, who: &Principal, id: i64) -> Result<RequestRow> {
        let (row, event) = self.visible_request(who, id).await?;
        let from: &[MeetingRequestStatus] = &[MeetingRequestStatus::Pending];
        if !who.is_staff() {
            let org = self.acting_org(who)?;
            // Whoever proposed it, the addressed side's word makes it accepted.
            if org != row.to.org_id {
                return Err(Error::Forbidden);
            }
        }
        check_state(&event, REQUEST_STATES, "requests are answered")?;
        Ok(self
            .store()
            .move_meeting_request(
                id,
                from,
                MeetingRequestStatus::Accepted,
                None,
                "accept",
                &who.actor(),
            )
            .await?)
    }

    /// The addressed side, either side of a staff proposal, or staff decline
    /// a request, with a reason. Staff also discard drafts this way.
    pub async fn decline_meeting_request(
        &self,
        who: &Principal,
        id: i64,
        reason: Option<String>,
    ) -> Result<RequestRow> {
        let (row, event) = self.visible_request(who, id).await?;
        let reason = required_text("reason", reason, MAX_REASON_CHARS)?;
        let from: &[MeetingRequestStatus] = if who.is_staff() {
            &OPEN_STATES
        } else {
            let org = self.acting_org(who)?;
            let may = org == row.to.org_id || (row.is_staff_proposal() && org == row.from.org_id);
            if !may {
                return Err(Error::Forbidden);
            }
            &ANSWERED_STATES
        };
        check_state(&event, REQUEST_STATES, "requests are answered")?;
        Ok(self
            .store()
            .move_meeting_request(
                id,
                from,
                MeetingRequestStatus::Declined,
                Some(reason),
                "decline",
                &who.actor(),
            )
            .await?)
    }

    /// The asking side withdraws its own request; staff withdraw any open one.
    pub async fn withdraw_meeting_request(&self, who: &Principal, id: i64) -> Result<RequestRow> {
        let (row, event) = self.visible_request(who, id).await?;
        let from: &[MeetingRequestStatus] = if who.is_staff() {
            &OPEN_STATES
        } else {
            let org = self.acting_org(who)?;
            if row.is_staff_proposal() || org != row.from.org_id {
                return Err(Error::Forbidden);
            }
            &ANSWERED_STATES
        };
        check_state(&event, REQUEST_STATES, "requests are withdrawn")?;
        Ok(self
            .store()
            .move_meeting_request(
                id,
                from,
                MeetingRequestStatus::Withdrawn,
                None,
                "withdraw",
                &who.actor(),
            )
            .await?)
    }

    /// Staff send one draft to both sides (draft → pending).
    pub async fn send_meeting_request(&self, who: &Principal, id: i64) -> Result<RequestRow> {
        let (_, event) = self.visible_request(who, id).await?;
        authorize(who, Resource::Bureau, Action::Update)?;
        check_state(&event, REQUEST_STATES, "requests are sent")?;
        Ok(self
            .store()
            .move_meeting_request(
                id,
                &[MeetingRequestStatus::Draft],
                MeetingRequestStatus::Pending,
                None,
                "send",
                &who.actor(),
            )
            .await?)
    }

    /// Staff send drafts of an event: all of them, or those of `ids`.
    pub async fn send_meeting_requests(
        &self,
        who: &Principal,
        event_id: i64,
        ids: Option<Vec<i64>>,
    ) -> Result<Vec<RequestRow>> {
        let event = self.meeting_event(who.scope(), event_id).await?;
        authorize(who, Resource::Bureau, Action::Update)?;
        if let Some(ids) = &ids {
            crate::limits::check_ids("ids", ids)?;
        }
        check_state(&event, REQUEST_STATES, "requests are sent")?;
        Ok(self
            .store()
            .send_draft_requests(event_id, ids.as_deref(), &who.actor())
            .await?)
    }

    /// The organization a member acts for, as the write policy allows.
    fn acting_org(&self, who: &Principal) -> Result<i64> {
        let org = who.org_id.ok_or(Error::Forbidden)?;
        authorize(who, Resource::Organization { id: org }, Action::Update)?;
        Ok(org)
    }

    /// Staff propose meetings from match suggestions among the confirmed
    /// participants (the needs one brings × the capabilities another
    /// brings), as drafts only staff see until they send them.
    pub async fn propose_meetings(
        &self,
        who: &Principal,
        event_id: i64,
        options: ProposeOptions,
    ) -> Result<Vec<RequestRow>> {
        let event = self.meeting_event(who.scope(), event_id).await?;
        authorize(who, Resource::Bureau, Action::Create)?;
        let min_score = options.min_score.unwrap_or(DEFAULT_MIN_SCORE);
        if !(0.0..=1.0).contains(&min_score) {
            return Err(Error::field("min_score", "must be from 0 to 1"));
        }
        let per_need = options.per_need.unwrap_or(DEFAULT_PER_NEED);
        if !(1..=MAX_PER_NEED).contains(&per_need) {
            return Err(Error::field(
                "per_need",
                format!("must be 1–{MAX_PER_NEED}"),
            ));
        }
        check_state(&event, REQUEST_STATES, "meetings are proposed")?;
        let participants: Vec<Participant> = self
            .store()
            .event_participants(event_id)
            .await?
            .into_iter()
            .filter(Participant::meets)
            .collect();
        let drafts = self
            .proposals(&participants, min_score, per_need as usize)
            .await?;
        Ok(self
            .store()
            .insert_draft_requests(event_id, &drafts, &who.actor())
            .await?)
    }

    /// Scored need × capability pairs between different participants, best
    /// first, at most `per_need` per need, one per pair of participants.
    async fn proposals(
        &self,
        participants: &[Participant],
        min_score: f64,
        per_need: usize,
    ) -> Result<Vec<NewRequest>> {
        if participants.len() < 2 {
            return Ok(vec![]);
        }
        // A participant that names no listings brings all its open ones.
        let mut need_owner: HashMap<i64, i64> = HashMap::new();
        let mut cap_owner: HashMap<i64, i64> = HashMap::new();
        for p in participants {
            let (needs, caps) = if p.need_ids.is_empty() || p.capability_ids.is_empty() {
                self.store().listing_ids_of_orgs(&[p.org_id]).await?
            } else {
                (vec![], vec![])
            };
            let needs = if p.need_ids.is_empty() {
                needs
            } else {
                p.need_ids.clone()
            };
            let caps = if p.capability_ids.is_empty() {
                caps
            } else {
                p.capability_ids.clone()
            };
            for n in needs {
                need_owner.insert(n, p.registration_id);
            }
            for c in caps {
                cap_owner.insert(c, p.registration_id);
            }
        }
        let org_of: HashMap<i64, i64> = participants
            .iter()
            .map(|p| (p.registration_id, p.org_id))
            .collect();
        let need_ids: Vec<i64> = need_owner.keys().copied().collect();
        let needs: Vec<_> = self
            .store()
            .open_needs(Some(&need_ids))
            .await?
            .into_iter()
            // A registration names its own listings; anything else is ignored.
            .filter(|n| org_of.get(&need_owner[&n.id]) == Some(&n.org_id))
            .collect();
        if needs.is_empty() || cap_owner.is_empty() {
            return Ok(vec![]);
        }
        let matcher: Matcher = self.matcher();
        let history = History::load(self.store()).await?;
        let index = matcher.index.clone();
        let (needs, found) = tokio::task::spawn_blocking(move || {
            let found = Matcher::candidates_for(&index, &needs, &history, PROPOSAL_CANDIDATES);
            (needs, found.map(|f| (f, history)))
        })
        .await
        .map_err(|e| Error::Internal(e.into()))?;
        let (found, history) = found?;
        let pairs: Vec<_> = needs
            .iter()
            .zip(found)
            .map(|(n, candidates)| {
                let own = need_owner[&n.id];
                let kept: Vec<_> = candidates
                    .into_iter()
                    .filter(|c| cap_owner.get(&c.id).is_some_and(|r| *r != own))
                    .collect();
                (n, kept)
            })
            .collect();
        let scored = matcher.score_for_needs(&pairs, &history).await?;
        let mut all = Vec::new();
        for list in scored {
            let kept = list.into_iter().filter(|s| {
                s.score >= min_score
                    && cap_owner
                        .get(&s.capability.id)
                        .is_some_and(|r| org_of.get(r) == Some(&s.capability_org_id))
            });
            all.extend(kept.take(per_need));
        }
        all.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.need.id.cmp(&b.need.id))
                .then_with(|| a.capability.id.cmp(&b.capability.id))
        });
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for s in all {
            let from = need_owner[&s.need.id];
            let to = cap_owner[&s.capability.id];
            if !seen.insert(qiao_store::events::meetings::pair(from, to)) {
                continue;
            }
            let summary: String = s
                .explanation
                .summary
                .chars()
                .take(MAX_REASON_CHARS)
                .collect();
            out.push(NewRequest {
                event_id: participants[0].event_id,
                from_registration: from,
                to_registration: to,
                reason: if summary.trim().is_empty() {
                    format!("匹配得分 {:.2}", s.score)
                } else {
                    summary
                },
                need_id: Some(s.need.id),
                capability_id: Some(s.capability.id),
                weight: s.score,
            });
        }
        Ok(out)
    }

    /// Staff run the scheduler on an event (see [`ScheduleRun`]).
    pub async fn schedule_event(
        &self,
        who: &Principal,
        event_id: i64,
        mode: Mode,
    ) -> Result<ScheduleRun> {
        let event = self.meeting_event(who.scope(), event_id).await?;
        authorize(who, Resource::Bureau, Action::Update)?;
        self.run_schedule(event, mode, &who.actor()).await
    }

    /// The scheduler run of `qiao event schedule`, by the operator.
    pub async fn schedule_event_as_operator(
        &self,
        event_id: i64,
        mode: Mode,
    ) -> Result<ScheduleRun> {
        let event = self.meeting_event(Scope::All, event_id).await?;
        self.run_schedule(event, mode, &Actor::system("cli")).await
    }

    /// Builds the scheduler's input from the event's settings, the
    /// participants' availability, the accepted requests and (as pins) the
    /// published meetings, runs it, and writes the result with its report.
    async fn run_schedule(
        &self,
        event: EventRow,
        mode: Mode,
        actor: &Actor,
    ) -> Result<ScheduleRun> {
        check_state(&event, REQUEST_STATES, "the schedule is made")?;
        let settings = &event.fields.meeting;
        let slots = settings.slots(event.fields.starts_at, event.fields.ends_at);
        let registrations = self.store().event_participants(event.id).await?;
        let org_of: HashMap<i64, i64> = registrations
            .iter()
            .map(|p| (p.registration_id, p.org_id))
            .collect();
        let participants: Vec<Participant> = registrations
            .into_iter()
            .filter(Participant::meets)
            .collect();
        let requests = self.store().accepted_meeting_requests(event.id).await?;
        let existing = self.store().event_meetings(event.id).await?;
        let orgs = |a: i64, b: i64| {
            [
                org_of.get(&a).copied().unwrap_or(0),
                org_of.get(&b).copied().unwrap_or(0),
            ]
        };

        let slot_index = |w: &Window| slots.iter().position(|s| s == w);
        // Published meetings are pinned where they are; a slot that no longer
        // exists gets an id the input does not know, which the scheduler
        // reports as a removed slot.
        let mut unknown_slot = slots.len() as u32;
        let mut pins: HashMap<i64, Placement> = HashMap::new();
        for m in existing.iter().filter(|m| m.published) {
            let Some(request) = m.request_id else {
                continue;
            };
            let slot = match slot_index(&qiao_store::events::meetings::slot_of(m)) {
                Some(i) => i as u32,
                None => {
                    unknown_slot += 1;
                    unknown_slot
                }
            };
            let table = u32::try_from(m.table_no - 1).unwrap_or(u32::MAX);
            pins.entry(request).or_insert(Placement { slot, table });
        }
        let input = ScheduleInput {
            slots: (0..slots.len() as u32).collect(),
            tables: settings.tables.max(0) as u32,
            spare_share: settings.spare_share,
            participants: participants
                .iter()
                .map(|p| Attendee {
                    id: p.registration_id,
                    available: slots
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| available(&p.availability, s))
                        .map(|(i, _)| i as u32)
                        .collect(),
                })
                .collect(),
            meetings: requests
                .iter()
                .map(|r| MeetingRequest {
                    id: r.id,
                    a: r.from_registration,
                    b: r.to_registration,
                    tier: tier(qiao_store::events::meetings::tier_of(r)),
                    weight: r.weight,
                    pinned: pins.get(&r.id).copied(),
                })
                .collect(),
            mode,
        };
        let usable_tables = input.usable_tables();
        let input_for_run = input.clone();
        let result = tokio::task::spawn_blocking(move || schedule::schedule(&input_for_run))
            .await
            .map_err(|e| Error::Internal(e.into()))?;

        let by_id: HashMap<i64, &qiao_store::entities::meeting_request::Model> =
            requests.iter().map(|r| (r.id, r)).collect();
        let at = |p: Placement| SlotTable {
            starts_at: slots[p.slot as usize].start,
            ends_at: slots[p.slot as usize].end,
            table: p.table as i32 + 1,
        };
        let placed: Vec<PlacedMeeting> = result
            .placed
            .iter()
            .filter_map(|p| {
                let r = by_id.get(&p.meeting)?;
                let slot = slots.get(p.placement.slot as usize)?;
                Some(PlacedMeeting {
                    request_id: r.id,
                    registration_a: r.from_registration,
                    registration_b: r.to_registration,
                    slot: *slot,
                    table_no: p.placement.table as i32 + 1,
                    tier: qiao_store::events::meetings::tier_of(r),
                    weight: r.weight,
                })
            })
            .collect();
        let unplaced: Vec<UnplacedMeeting> = result
            .unplaced
            .iter()
            .map(|u| {
                let (reason, reason_label) = unplaced_reason(u.reason);
                let r = by_id.get(&u.meeting);
                UnplacedMeeting {
                    request_id: u.meeting,
                    org_ids: r.map_or([0, 0], |r| orgs(r.from_registration, r.to_registration)),
                    reason,
                    reason_label,
                }
            })
            .collect();
        let published_at: HashMap<i64, &qiao_store::entities::meeting::Model> = existing
            .iter()
            .filter(|m| m.published)
            .filter_map(|m| m.request_id.map(|r| (r, m)))
            .collect();
        let moved: Vec<MovedMeeting> = result
            .moved
            .iter()
            .filter_map(|m| {
                let old = published_at.get(&m.meeting)?;
                let r = by_id.get(&m.meeting)?;
                let (reason, reason_label) = move_reason(m.why);
                Some(MovedMeeting {
                    request_id: m.meeting,
                    org_ids: orgs(r.from_registration, r.to_registration),
                    reason,
                    reason_label,
                    // The old slot may be gone from the settings: read it from the row.
                    from: SlotTable {
                        starts_at: old.slot_start,
                        ends_at: old.slot_end,
                        table: old.table_no,
                    },
                    to: m.to.filter(|p| (p.slot as usize) < slots.len()).map(at),
                })
            })
            .collect();
        let unplaced_by_request: HashMap<i64, (&'static str, &'static str)> = unplaced
            .iter()
            .map(|u| (u.request_id, (u.reason, u.reason_label)))
            .collect();
        let removed_of = |write: &ScheduleWrite| -> Vec<RemovedMeeting> {
            write
                .removed
                .iter()
                .map(|m| {
                    let (reason, reason_label) = m
                        .request_id
                        .and_then(|r| unplaced_by_request.get(&r).copied())
                        .unwrap_or(REQUEST_CLOSED);
                    RemovedMeeting {
                        meeting_id: m.id,
                        request_id: m.request_id,
                        org_ids: orgs(m.registration_a, m.registration_b),
                        was_published: m.published,
                        reason,
                        reason_label,
                    }
                })
                .collect()
        };
        let mut run = ScheduleRun {
            event_id: event.id,
            mode,
            ran_at: chrono::Utc::now(),
            slots: slots.len(),
            usable_tables,
            participants: participants.len(),
            requests: requests.len(),
            placed: placed.len(),
            inserted: 0,
            kept: 0,
            unplaced,
            moved,
            removed: vec![],
            stats: result.stats,
            upper_bound: result.bound,
        };
        let report = |write: &ScheduleWrite| -> Value {
            let mut stored = run.clone();
            stored.inserted = write.inserted;
            stored.kept = write.kept;
            stored.removed = removed_of(write);
            serde_json::to_value(&stored).unwrap_or_else(|e| json!({"error": e.to_string()}))
        };
        let write = self
            .store()
            .write_schedule(event.id, event.version, &placed, report, actor)
            .await?;
        run.inserted = write.inserted;
        run.kept = write.kept;
        run.removed = removed_of(&write);
        Ok(run)
    }

    /// Staff publish an event's schedule: both sides of every meeting see it.
    pub async fn publish_schedule(&self, who: &Principal, event_id: i64) -> Result<u64> {
        let event = self.meeting_event(who.scope(), event_id).await?;
        authorize(who, Resource::Bureau, Action::Update)?;
        check_state(&event, REQUEST_STATES, "the schedule is published")?;
        Ok(self
            .store()
            .publish_meetings(event_id, &who.actor())
            .await?)
    }

    /// The meetings of an event the viewer may see: staff all, members
    /// their organization's published ones, the public none.
    pub async fn meetings(
        &self,
        viewer: &Viewer,
        event_id: i64,
        org_id: Option<i64>,
        limit: u64,
        offset: u64,
    ) -> Result<Page<MeetingRow>> {
        crate::limits::check_page(limit, offset)?;
        self.meeting_event(viewer.scope(), event_id).await?;
        let filter = MeetingFilter {
            org_id,
            limit,
            offset,
        };
        Ok(self
            .store()
            .list_meetings(viewer.scope(), event_id, &filter)
            .await?)
    }

    /// One side says what came of its meeting: a member for its own
    /// organization, staff for the side named by `org_id`.
    pub async fn record_meeting_outcome(
        &self,
        who: &Principal,
        meeting_id: i64,
        outcome: &str,
        note: Option<String>,
        org_id: Option<i64>,
    ) -> Result<MeetingRow> {
        let row = self
            .store()
            .visible_meeting(who.scope(), meeting_id)
            .await?;
        let outcome = MeetingOutcome::parse(outcome).ok_or_else(|| {
            Error::field(
                "outcome",
                qiao_core::vocab::unknown_term::<MeetingOutcome>(outcome),
            )
        })?;
        let note = text("note", note, true, MAX_NOTE_CHARS)?;
        let org = if who.is_staff() {
            authorize(who, Resource::Bureau, Action::Update)?;
            org_id.ok_or_else(|| Error::field("org_id", "staff name the side they record for"))?
        } else {
            let own = self.acting_org(who)?;
            if org_id.is_some_and(|o| o != own) {
                return Err(Error::Forbidden);
            }
            own
        };
        let side = if org == row.a.org_id {
            MeetingSide::A
        } else if org == row.b.org_id {
            MeetingSide::B
        } else {
            return Err(Error::field(
                "org_id",
                "must be one of the meeting's two organizations",
            ));
        };
        Ok(self
            .store()
            .record_meeting_outcome(meeting_id, side, outcome, note, &who.actor())
            .await?)
    }

    /// Staff follow a meeting up; `agreed` opens a cooperation project for
    /// the pair (once: a second `agreed` opens no other).
    pub async fn record_meeting_follow_up(
        &self,
        who: &Principal,
        meeting_id: i64,
        due_on: Option<NaiveDate>,
        status: Option<&str>,
        note: Option<String>,
    ) -> Result<MeetingRow> {
        let row = self
            .store()
            .visible_meeting(who.scope(), meeting_id)
            .await?;
        authorize(who, Resource::Bureau, Action::Update)?;
        let m = &row.meeting;
        let status = match status {
            Some(s) => FollowUpStatus::parse(s).ok_or_else(|| {
                Error::field(
                    "status",
                    qiao_core::vocab::unknown_term::<FollowUpStatus>(s),
                )
            })?,
            None => m
                .follow_up_status
                .as_deref()
                .and_then(FollowUpStatus::from_code)
                .unwrap_or(FollowUpStatus::NotContacted),
        };
        let met_on = china_date(m.slot_start);
        let due_on = match due_on.or(m.follow_up_on) {
            Some(d) => d,
            None => met_on
                .checked_add_months(Months::new(FOLLOW_UP_MONTHS))
                .ok_or_else(|| Error::field("due_on", "out of range"))?,
        };
        if !(2000..=2100).contains(&due_on.year()) {
            return Err(Error::field("due_on", "must be in 2000–2100"));
        }
        let note = match note {
            Some(n) => text("note", Some(n), true, MAX_NOTE_CHARS)?,
            None => m.follow_up_note.clone(),
        };
        let project = if status == FollowUpStatus::Agreed && m.project_id.is_none() {
            Some(self.project_for(&row, met_on.year()).await?)
        } else {
            None
        };
        let follow_up = FollowUp {
            due_on,
            status,
            note,
        };
        let (row, _) = self
            .store()
            .record_meeting_follow_up(meeting_id, &follow_up, project.as_ref(), &who.actor())
            .await?;
        Ok(row)
    }

    /// The cooperation project an agreed meeting opens: the enterprise and
    /// the university or institute, named after the request's listing.
    async fn project_for(&self, row: &MeetingRow, plan_year: i32) -> Result<NewProject> {
        let orgs = self
            .store()
            .organizations_by_ids(&[row.a.org_id, row.b.org_id])
            .await?;
        let academic = |org: i64| {
            orgs.get(&org)
                .and_then(|o| qiao_core::vocab::OrgKind::from_code(&o.kind))
                .is_some_and(|k| k.is_academic())
        };
        let need = match row.need_id {
            Some(id) => self.store().needs_by_ids(&[id]).await?.remove(&id),
            None => None,
        };
        let capability = match row.capability_id {
            Some(id) => self.store().capabilities_by_ids(&[id]).await?.remove(&id),
            None => None,
        };
        let (a, b) = (row.a.org_id, row.b.org_id);
        let (enterprise, institution) = match (academic(a), academic(b)) {
            (false, true) => (a, b),
            (true, false) => (b, a),
            // Two of a kind: the request's listings say who brings the need.
            _ => match (&need, &capability) {
                (Some(n), Some(c)) if n.org_id != c.org_id => (n.org_id, c.org_id),
                _ => {
                    return Err(Error::field(
                        "status",
                        "a cooperation project joins an enterprise and a university or institute; this meeting has no such pair",
                    ));
                }
            },
        };
        let title = need
            .as_ref()
            .map(|n| n.title.clone())
            .or_else(|| capability.as_ref().map(|c| c.title.clone()))
            .unwrap_or_else(|| {
                let name = |org: i64| {
                    if org == row.a.org_id {
                        row.a.org_name.clone()
                    } else {
                        row.b.org_name.clone()
                    }
                };
                format!("{}与{}合作项目", name(enterprise), name(institution))
            });
        Ok(NewProject {
            title,
            need_id: need.map(|n| n.id),
            capability_id: capability.map(|c| c.id),
            enterprise_org_id: enterprise,
            institution_org_id: institution,
            plan_year,
        })
    }
}

/// Statuses staff may decline or withdraw from.
const OPEN_STATES: [MeetingRequestStatus; 3] = [
    MeetingRequestStatus::Draft,
    MeetingRequestStatus::Pending,
    MeetingRequestStatus::Accepted,
];
/// Statuses a side may decline or withdraw from (drafts are staff's).
const ANSWERED_STATES: [MeetingRequestStatus; 2] = [
    MeetingRequestStatus::Pending,
    MeetingRequestStatus::Accepted,
];
