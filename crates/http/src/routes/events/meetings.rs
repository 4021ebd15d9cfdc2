//! 1:1 meetings at an event: requests between participants and staff's
//! proposals, the schedule, and what came of each meeting.

use crate::auth::Viewer;
use crate::error::{AppError, ProblemDoc};
use crate::extract::{Json, Path, Query, whole};
use crate::schema;
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use qiao_app::events::meetings::{
    Asked, Bound, MeetingRow, Mode, MovedMeeting, ProposeOptions, RemovedMeeting, RequestDraft,
    RequestRow, ScheduleRun, SlotTable, Stats, UnplacedMeeting,
};
use qiao_core::vocab::{
    FollowUpStatus, MeetingOutcome, MeetingRequestStatus, MeetingStatus, Vocabulary,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_requests, create_request))
        .routes(routes!(propose_requests))
        .routes(routes!(send_requests))
        .routes(routes!(accept_request))
        .routes(routes!(decline_request))
        .routes(routes!(withdraw_request))
        .routes(routes!(send_request))
        .routes(routes!(run_schedule))
        .routes(routes!(publish_schedule))
        .routes(routes!(list_meetings))
        .routes(routes!(record_outcome))
        .routes(routes!(record_follow_up))
}

fn label<V: Vocabulary>(code: &str) -> String {
    V::from_code(code).map_or_else(|| code.to_string(), |v| v.label_zh().to_string())
}

// ---- views ----------------------------------------------------------------

/// A request for a 1:1 meeting between two registrations of an event.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRequestDoc {
    pub id: i64,
    pub event_id: i64,
    pub from_registration: i64,
    pub from_org_id: i64,
    pub from_org_name: String,
    pub to_registration: i64,
    pub to_org_id: i64,
    pub to_org_name: String,
    /// `participant` (one side asked) or `staff` (proposed from match suggestions).
    pub origin: String,
    /// `draft` (staff only until sent), `pending`, `accepted`, `declined` or `withdrawn`.
    pub status: String,
    pub status_label: String,
    /// Both sides asked for this meeting.
    pub mutual: bool,
    /// The meeting's priority once accepted: `mutual`, `accepted` or `staff`.
    pub tier: String,
    pub tier_label: String,
    pub reason: String,
    #[schema(required = true)]
    pub need_id: Option<i64>,
    #[schema(required = true)]
    pub capability_id: Option<i64>,
    /// The requester's priority / 5, or the match score of a staff proposal.
    pub weight: f64,
    #[schema(required = true)]
    pub decline_reason: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(required = true, format = DateTime)]
    pub responded_at: Option<String>,
}

impl From<RequestRow> for MeetingRequestDoc {
    fn from(r: RequestRow) -> Self {
        let tier = r.tier();
        let m = r.request;
        Self {
            id: m.id,
            event_id: m.event_id,
            from_registration: m.from_registration,
            from_org_id: r.from.org_id,
            from_org_name: r.from.org_name,
            to_registration: m.to_registration,
            to_org_id: r.to.org_id,
            to_org_name: r.to.org_name,
            origin: m.origin,
            status_label: label::<MeetingRequestStatus>(&m.status),
            status: m.status,
            mutual: m.mutual,
            tier: tier.code().into(),
            tier_label: tier.label_zh().into(),
            reason: m.reason,
            need_id: m.need_id,
            capability_id: m.capability_id,
            weight: m.weight,
            decline_reason: m.decline_reason,
            created_at: m.created_at.to_rfc3339(),
            responded_at: m.responded_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// One page of meeting requests.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRequestPage {
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub items: Vec<MeetingRequestDoc>,
}

/// Requests written by one staff action.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRequestList {
    pub items: Vec<MeetingRequestDoc>,
}

/// What one side said came of a meeting.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SideOutcomeDoc {
    pub org_id: i64,
    /// `not_held`, `no_interest`, `exchange` or `potential`.
    pub outcome: String,
    pub label: String,
    #[schema(required = true)]
    pub note: Option<String>,
}

/// Each side's word, `a` for the first organization of `org_ids`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDoc {
    #[schema(required = true)]
    pub a: Option<SideOutcomeDoc>,
    #[schema(required = true)]
    pub b: Option<SideOutcomeDoc>,
}

/// Staff's follow-up of a meeting.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpDoc {
    #[schema(format = Date)]
    pub due_on: String,
    /// `not_contacted`, `negotiating` or `agreed`.
    pub status: String,
    pub label: String,
    #[schema(required = true)]
    pub note: Option<String>,
}

/// A 1:1 meeting placed in a slot at a table.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingDoc {
    pub id: i64,
    pub event_id: i64,
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    /// Table number, from 1.
    pub table: i32,
    /// The two organizations.
    pub org_ids: [i64; 2],
    pub org_names: [String; 2],
    pub registration_ids: [i64; 2],
    #[schema(required = true)]
    pub request_id: Option<i64>,
    #[schema(required = true)]
    pub need_id: Option<i64>,
    #[schema(required = true)]
    pub capability_id: Option<i64>,
    /// `mutual`, `accepted` or `staff`.
    #[schema(required = true)]
    pub tier: Option<String>,
    pub weight: f64,
    /// `scheduled`, `held`, `cancelled` or `no_show`.
    pub status: String,
    pub status_label: String,
    /// Participants see a meeting once staff publish the schedule.
    pub published: bool,
    pub outcome: OutcomeDoc,
    #[schema(required = true)]
    pub follow_up: Option<FollowUpDoc>,
    /// The cooperation project an agreed follow-up opened.
    #[schema(required = true)]
    pub project_id: Option<i64>,
}

fn side_outcome(
    org_id: i64,
    outcome: Option<String>,
    note: Option<String>,
) -> Option<SideOutcomeDoc> {
    outcome.map(|o| SideOutcomeDoc {
        org_id,
        label: label::<MeetingOutcome>(&o),
        outcome: o,
        note,
    })
}

impl From<MeetingRow> for MeetingDoc {
    fn from(r: MeetingRow) -> Self {
        let m = r.meeting;
        let follow_up = match (m.follow_up_on, m.follow_up_status) {
            (Some(due), Some(status)) => Some(FollowUpDoc {
                due_on: due.to_string(),
                label: label::<FollowUpStatus>(&status),
                status,
                note: m.follow_up_note,
            }),
            _ => None,
        };
        Self {
            id: m.id,
            event_id: m.event_id,
            starts_at: m.slot_start.to_rfc3339(),
            ends_at: m.slot_end.to_rfc3339(),
            table: m.table_no,
            org_ids: [r.a.org_id, r.b.org_id],
            registration_ids: [m.registration_a, m.registration_b],
            outcome: OutcomeDoc {
                a: side_outcome(r.a.org_id, m.outcome_a, m.note_a),
                b: side_outcome(r.b.org_id, m.outcome_b, m.note_b),
            },
            org_names: [r.a.org_name, r.b.org_name],
            request_id: m.request_id,
            need_id: r.need_id,
            capability_id: r.capability_id,
            tier: m.tier,
            weight: m.weight,
            status_label: label::<MeetingStatus>(&m.status),
            status: m.status,
            published: m.published,
            follow_up,
            project_id: m.project_id,
        }
    }
}

/// One page of meetings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingPage {
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub items: Vec<MeetingDoc>,
}

/// Counts per tier.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierCountsDoc {
    pub mutual: u64,
    pub accepted: u64,
    pub staff: u64,
}

impl From<[usize; 3]> for TierCountsDoc {
    fn from(c: [usize; 3]) -> Self {
        Self {
            mutual: c[0] as u64,
            accepted: c[1] as u64,
            staff: c[2] as u64,
        }
    }
}

/// Figures of a schedule.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleStatsDoc {
    /// Meetings placed per tier.
    pub per_tier: TierCountsDoc,
    /// Participants with at least one meeting.
    pub participants_met: u64,
    /// Participants with a request the schedule could place at all.
    pub participants_reachable: u64,
    pub total_weight: f64,
    pub min_per_participant: u64,
    pub max_per_participant: u64,
    pub mean_per_participant: f64,
    pub stddev_per_participant: f64,
}

impl From<Stats> for ScheduleStatsDoc {
    fn from(s: Stats) -> Self {
        Self {
            per_tier: s.per_tier.into(),
            participants_met: s.participants_met as u64,
            participants_reachable: s.participants_reachable as u64,
            total_weight: s.total_weight,
            min_per_participant: s.min_per_participant as u64,
            max_per_participant: s.max_per_participant as u64,
            mean_per_participant: s.mean_per_participant,
            stddev_per_participant: s.stddev_per_participant,
        }
    }
}

/// Upper bounds no schedule of this input can exceed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBoundDoc {
    /// Meetings of each tier alone.
    pub per_tier: TierCountsDoc,
    /// Meetings of each tier and the higher ones together.
    pub cumulative: TierCountsDoc,
    pub participants: u64,
    pub weight: f64,
}

impl From<Bound> for ScheduleBoundDoc {
    fn from(b: Bound) -> Self {
        Self {
            per_tier: b.per_tier.into(),
            cumulative: b.cumulative.into(),
            participants: b.participants as u64,
            weight: b.weight,
        }
    }
}

/// An accepted request the run could not place.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnplacedDoc {
    pub request_id: i64,
    pub org_ids: [i64; 2],
    /// `invalid` (a side no longer takes part), `participant_unavailable`
    /// (no common free slot), `no_capacity` (tables full) or `conflict`
    /// (a side has higher-priority meetings then).
    pub reason: String,
    pub reason_label: String,
}

impl From<UnplacedMeeting> for UnplacedDoc {
    fn from(u: UnplacedMeeting) -> Self {
        Self {
            request_id: u.request_id,
            org_ids: u.org_ids,
            reason: u.reason.into(),
            reason_label: u.reason_label.into(),
        }
    }
}

/// A slot and a table.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SlotTableDoc {
    #[schema(format = DateTime)]
    pub starts_at: String,
    #[schema(format = DateTime)]
    pub ends_at: String,
    pub table: i32,
}

impl From<SlotTable> for SlotTableDoc {
    fn from(s: SlotTable) -> Self {
        Self {
            starts_at: s.starts_at.to_rfc3339(),
            ends_at: s.ends_at.to_rfc3339(),
            table: s.table,
        }
    }
}

/// A published meeting the run could not keep where it was.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovedDoc {
    pub request_id: i64,
    pub org_ids: [i64; 2],
    /// `slot_removed`, `table_removed`, `participant_unavailable`, `clash`, `invalid` or `full_replan`.
    pub reason: String,
    pub reason_label: String,
    pub from: SlotTableDoc,
    /// Null: now unplaced (see `unplaced`).
    #[schema(required = true)]
    pub to: Option<SlotTableDoc>,
}

impl From<MovedMeeting> for MovedDoc {
    fn from(m: MovedMeeting) -> Self {
        Self {
            request_id: m.request_id,
            org_ids: m.org_ids,
            reason: m.reason.into(),
            reason_label: m.reason_label.into(),
            from: m.from.into(),
            to: m.to.map(Into::into),
        }
    }
}

/// A meeting the run took off the schedule.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemovedDoc {
    pub meeting_id: i64,
    #[schema(required = true)]
    pub request_id: Option<i64>,
    pub org_ids: [i64; 2],
    pub was_published: bool,
    /// A reason of `unplaced`, or `request_closed` (withdrawn or declined).
    pub reason: String,
    pub reason_label: String,
}

impl From<RemovedMeeting> for RemovedDoc {
    fn from(r: RemovedMeeting) -> Self {
        Self {
            meeting_id: r.meeting_id,
            request_id: r.request_id,
            org_ids: r.org_ids,
            was_published: r.was_published,
            reason: r.reason.into(),
            reason_label: r.reason_label.into(),
        }
    }
}

/// What a scheduler run did (also kept on the event as its last report).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDoc {
    pub event_id: i64,
    /// `incremental` or `full`.
    pub mode: String,
    #[schema(format = DateTime)]
    pub ran_at: String,
    pub slots: u64,
    pub usable_tables: u32,
    /// Confirmed participants that want 1:1 meetings.
    pub participants: u64,
    /// Accepted requests given to the scheduler.
    pub requests: u64,
    /// Meetings on the schedule now.
    pub placed: u64,
    /// Of them, new ones.
    pub inserted: u64,
    /// Of them, ones left exactly where they were.
    pub kept: u64,
    pub unplaced: Vec<UnplacedDoc>,
    pub moved: Vec<MovedDoc>,
    pub removed: Vec<RemovedDoc>,
    pub stats: ScheduleStatsDoc,
    pub upper_bound: ScheduleBoundDoc,
}

impl From<ScheduleRun> for ScheduleDoc {
    fn from(r: ScheduleRun) -> Self {
        Self {
            event_id: r.event_id,
            mode: match r.mode {
                Mode::Incremental => "incremental",
                Mode::Full => "full",
            }
            .into(),
            ran_at: r.ran_at.to_rfc3339(),
            slots: r.slots as u64,
            usable_tables: r.usable_tables,
            participants: r.participants as u64,
            requests: r.requests as u64,
            placed: r.placed as u64,
            inserted: r.inserted as u64,
            kept: r.kept as u64,
            unplaced: r.unplaced.into_iter().map(Into::into).collect(),
            moved: r.moved.into_iter().map(Into::into).collect(),
            removed: r.removed.into_iter().map(Into::into).collect(),
            stats: r.stats.into(),
            upper_bound: r.upper_bound.into(),
        }
    }
}

/// How many meetings a publication made visible to their two sides.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishDoc {
    pub published: u64,
}

// ---- inputs ---------------------------------------------------------------

/// Filters and paging of an event's meeting requests.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestParams {
    #[param(schema_with = schema::code::<MeetingRequestStatus>)]
    pub status: Option<String>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

/// Filters and paging of an event's meetings.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MeetingParams {
    /// Meetings of this organization.
    #[param(minimum = 1)]
    pub org_id: Option<i64>,
    /// Page size, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    #[param(maximum = 9223372036854775807_u64)]
    pub offset: Option<u64>,
}

fn id_schema() -> serde_json::Value {
    json!({"type": "integer", "format": "int64", "minimum": 1})
}

/// A reason: one line of 1–500 characters.
fn reason_schema(description: &str) -> serde_json::Value {
    json!({"type": "string", "maxLength": qiao_app::events::meetings::MAX_REASON_CHARS,
        "pattern": schema::LINE_NOT_BLANK, "description": description})
}

/// A note of at most 1,000 characters, or null.
fn note_schema() -> serde_json::Value {
    json!({"type": ["string", "null"], "maxLength": qiao_app::events::meetings::MAX_NOTE_CHARS,
        "pattern": schema::ONE_LINE})
}

/// A participant's request for a meeting.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    #[serde(default, deserialize_with = "whole::option")]
    pub to_registration: Option<i64>,
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "whole::option")]
    pub need_id: Option<i64>,
    #[serde(default, deserialize_with = "whole::option")]
    pub capability_id: Option<i64>,
    #[serde(default, deserialize_with = "whole::option")]
    pub priority: Option<i64>,
}

impl schema::Json for RequestBody {
    fn json() -> serde_json::Value {
        json!({
            "type": "object", "additionalProperties": false,
            "required": ["to_registration", "reason"],
            "properties": {
                "to_registration": {"description": "The registration (at this event) of the organization to meet: a confirmed participant that takes 1:1 meetings.",
                    "type": "integer", "format": "int64", "minimum": 1},
                "reason": reason_schema("What the meeting is about."),
                "need_id": {"description": "A need of one of the two organizations that the meeting is about.",
                    "type": ["integer", "null"], "format": "int64", "minimum": 1},
                "capability_id": {"description": "A capability of one of the two organizations that the meeting is about.",
                    "type": ["integer", "null"], "format": "int64", "minimum": 1},
                "priority": {"description": "1–5 (default 3); the meeting's weight in the schedule is priority / 5.",
                    "type": ["integer", "null"], "minimum": 1, "maximum": 5},
            },
        })
    }
}
schema::as_schema!(RequestBody);

/// What staff's proposal run keeps.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposeBody {
    pub min_score: Option<f64>,
    #[serde(default, deserialize_with = "whole::option")]
    pub per_need: Option<u32>,
}

impl schema::Json for ProposeBody {
    fn json() -> serde_json::Value {
        json!({
            "type": "object", "additionalProperties": false,
            "properties": {
                "min_score": {"description": "Keep suggestions scoring at least this (default 0.3).",
                    "type": ["number", "null"], "minimum": 0, "maximum": 1},
                "per_need": {"description": "Suggestions kept per need (default 3).",
                    "type": ["integer", "null"], "minimum": 1, "maximum": 10},
            },
        })
    }
}
schema::as_schema!(ProposeBody);

/// Which drafts to send: all of the event's, or these.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendBody {
    #[serde(default, deserialize_with = "whole::option_vec")]
    pub ids: Option<Vec<i64>>,
}

impl schema::Json for SendBody {
    fn json() -> serde_json::Value {
        json!({
            "type": "object", "additionalProperties": false,
            "properties": {
                "ids": {"description": "Drafts of this event to send; absent or null: all of them.",
                    "type": ["array", "null"], "maxItems": qiao_app::limits::MAX_IDS, "items": id_schema()},
            },
        })
    }
}
schema::as_schema!(SendBody);

/// Why a request is declined.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    pub reason: Option<String>,
}

impl schema::Json for DeclineBody {
    fn json() -> serde_json::Value {
        json!({
            "type": "object", "additionalProperties": false, "required": ["reason"],
            "properties": {"reason": reason_schema("Why the meeting is declined.")},
        })
    }
}
schema::as_schema!(DeclineBody);

/// How to schedule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleBody {
    pub mode: Option<String>,
}

impl schema::Json for ScheduleBody {
    fn json() -> serde_json::Value {
        json!({
            "type": "object", "additionalProperties": false,
            "properties": {"mode": {
                "description": "`incremental` (default): published meetings stay where they are while they still fit; `full`: re-plan everything.",
                "type": ["string", "null"], "enum": ["incremental", "full", null]}},
        })
    }
}
schema::as_schema!(ScheduleBody);

/// One side's word on a meeting.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeBody {
    pub outcome: Option<String>,
    pub note: Option<String>,
    #[serde(default, deserialize_with = "whole::option")]
    pub org_id: Option<i64>,
}

impl schema::Json for OutcomeBody {
    fn json() -> serde_json::Value {
        let codes: Vec<&str> = MeetingOutcome::ALL.iter().map(|o| o.code()).collect();
        let labels: Vec<String> = MeetingOutcome::ALL
            .iter()
            .map(|o| format!("`{}` {}", o.code(), o.label_zh()))
            .collect();
        json!({
            "type": "object", "additionalProperties": false, "required": ["outcome"],
            "properties": {
                "outcome": {"type": "string", "enum": codes,
                    "description": format!("{} (the Chinese label is accepted too).", labels.join(", "))},
                "note": note_schema(),
                "org_id": {"description": "Staff: the side recorded for. Members record their own side (their organization, if given).",
                    "type": ["integer", "null"], "format": "int64", "minimum": 1},
            },
        })
    }
}
schema::as_schema!(OutcomeBody);

/// Staff's follow-up of a meeting.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    pub due_on: Option<NaiveDate>,
    pub status: Option<String>,
    pub note: Option<String>,
}

impl schema::Json for FollowUpBody {
    fn json() -> serde_json::Value {
        let codes: Vec<serde_json::Value> = FollowUpStatus::ALL
            .iter()
            .map(|s| s.code().into())
            .chain([serde_json::Value::Null])
            .collect();
        json!({
            "type": "object", "additionalProperties": false,
            "properties": {
                "due_on": {"description": "When to follow up (default: the meeting's date plus 3 months), years 2000–2100.",
                    "type": ["string", "null"], "format": "date",
                    "pattern": r"^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"},
                "status": {"description": "`not_contacted` (未联系), `negotiating` (洽谈中) or `agreed` (已达成合作: opens a cooperation project once).",
                    "type": ["string", "null"], "enum": codes},
                "note": note_schema(),
            },
        })
    }
}
schema::as_schema!(FollowUpBody);

// ---- handlers -------------------------------------------------------------

/// An event's meeting requests: staff see all; members those from or to
/// their organization, never staff drafts.
#[utoipa::path(get, path = "/api/v1/events/{id}/meeting-requests", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id"), RequestParams),
    responses((status = 200, body = MeetingRequestPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown status or a page out of bounds")))]
pub async fn list_requests(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<RequestParams>,
) -> Result<axum::Json<MeetingRequestPage>, AppError> {
    let who = viewer.require()?;
    let (limit, offset) = (p.limit.unwrap_or(20), p.offset.unwrap_or(0));
    let page = s
        .app
        .meeting_requests(&who, id, p.status.as_deref(), limit, offset)
        .await?;
    Ok(axum::Json(MeetingRequestPage {
        total: page.total,
        limit,
        offset,
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}

/// Ask another participant for a 1:1 meeting (a member of a confirmed
/// participant, while registration is open or closed). If the other side
/// asked already, both requests become its request, accepted and mutual
/// (answered 200); otherwise the new request is answered 201.
#[utoipa::path(post, path = "/api/v1/events/{id}/meeting-requests", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id")), request_body = RequestBody,
    responses((status = 201, body = MeetingRequestDoc, description = "a new pending request"),
        (status = 200, body = MeetingRequestDoc, description = "the other side's earlier request, now accepted and mutual"),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "staff, or an organization not registered for the event"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "a request for the pair is open, the asking organization is not a confirmed participant, or the event is not taking requests"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, each named")))]
pub async fn create_request(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<RequestBody>,
) -> Result<impl IntoResponse, AppError> {
    let who = viewer.require()?;
    let Some(to_registration) = body.to_registration else {
        return Err(qiao_app::Error::field("to_registration", "required").into());
    };
    let draft = RequestDraft {
        to_registration,
        reason: body.reason,
        need_id: body.need_id,
        capability_id: body.capability_id,
        priority: body.priority,
    };
    Ok(match s.app.ask_for_meeting(&who, id, draft).await? {
        Asked::Created(r) => (StatusCode::CREATED, axum::Json(MeetingRequestDoc::from(r))),
        Asked::Merged(r) => (StatusCode::OK, axum::Json(MeetingRequestDoc::from(r))),
    })
}

/// Propose meetings from match suggestions among the confirmed participants
/// (staff): the needs one brings against the capabilities another brings,
/// as drafts that only staff see until sent. Pairs with any request are skipped.
#[utoipa::path(post, path = "/api/v1/events/{id}/meeting-requests/propose", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id")), request_body = ProposeBody,
    responses((status = 200, body = MeetingRequestList, description = "the new drafts"),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the event is not taking requests"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn propose_requests(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<ProposeBody>,
) -> Result<axum::Json<MeetingRequestList>, AppError> {
    let who = viewer.require()?;
    let options = ProposeOptions {
        min_score: body.min_score,
        per_need: body.per_need,
    };
    let drafts = s.app.propose_meetings(&who, id, options).await?;
    Ok(axum::Json(MeetingRequestList {
        items: drafts.into_iter().map(Into::into).collect(),
    }))
}

/// Send staff drafts to both sides (staff): all drafts of the event, or `ids`.
#[utoipa::path(post, path = "/api/v1/events/{id}/meeting-requests/send", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id")), request_body = SendBody,
    responses((status = 200, body = MeetingRequestList, description = "the requests sent"),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "an id that is not a draft of this event, or the event is not taking requests"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn send_requests(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<SendBody>,
) -> Result<axum::Json<MeetingRequestList>, AppError> {
    let who = viewer.require()?;
    let sent = s.app.send_meeting_requests(&who, id, body.ids).await?;
    Ok(axum::Json(MeetingRequestList {
        items: sent.into_iter().map(Into::into).collect(),
    }))
}

/// Accept a pending request: the addressed organization, or staff.
#[utoipa::path(post, path = "/api/v1/meeting-requests/{id}/accept", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Meeting request id")),
    responses((status = 200, body = MeetingRequestDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not the addressed side"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "not pending, or the event is not taking requests")))]
pub async fn accept_request(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<MeetingRequestDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app.accept_meeting_request(&who, id).await?.into(),
    ))
}

/// Decline a request with a reason: the addressed organization (either side
/// of a staff proposal), or staff (who also discard drafts this way).
#[utoipa::path(post, path = "/api/v1/meeting-requests/{id}/decline", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Meeting request id")), request_body = DeclineBody,
    responses((status = 200, body = MeetingRequestDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not a side that may decline it"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already declined or withdrawn, or the event is not taking requests"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a missing or too long reason")))]
pub async fn decline_request(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<DeclineBody>,
) -> Result<axum::Json<MeetingRequestDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app
            .decline_meeting_request(&who, id, body.reason)
            .await?
            .into(),
    ))
}

/// Withdraw a request: the asking organization its own, staff any open one (drafts included).
#[utoipa::path(post, path = "/api/v1/meeting-requests/{id}/withdraw", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Meeting request id")),
    responses((status = 200, body = MeetingRequestDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "not the asking side"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "already declined or withdrawn, or the event is not taking requests")))]
pub async fn withdraw_request(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<MeetingRequestDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app.withdraw_meeting_request(&who, id).await?.into(),
    ))
}

/// Send one staff draft to both sides (staff): draft → pending.
#[utoipa::path(post, path = "/api/v1/meeting-requests/{id}/send", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Meeting request id")),
    responses((status = 200, body = MeetingRequestDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "not a draft, or the event is not taking requests")))]
pub async fn send_request(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<MeetingRequestDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app.send_meeting_request(&who, id).await?.into(),
    ))
}

/// Place the accepted requests into slots and tables (staff). Meetings that
/// keep their place keep their publication; new and moved ones wait for the
/// next publication; meetings no longer placed are removed and listed with
/// the reason, as is every accepted request left unplaced.
#[utoipa::path(post, path = "/api/v1/events/{id}/schedule", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id")), request_body = ScheduleBody,
    responses((status = 200, body = ScheduleDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the event is not in registration, or changed during the run"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn run_schedule(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<ScheduleBody>,
) -> Result<axum::Json<ScheduleDoc>, AppError> {
    let who = viewer.require()?;
    let mode = match body.mode.as_deref() {
        None | Some("incremental") => Mode::Incremental,
        Some("full") => Mode::Full,
        Some(_) => {
            return Err(qiao_app::Error::field("mode", "must be incremental or full").into());
        }
    };
    Ok(axum::Json(
        s.app.schedule_event(&who, id, mode).await?.into(),
    ))
}

/// Publish the event's schedule (staff): each organization then sees its meetings.
#[utoipa::path(post, path = "/api/v1/events/{id}/schedule/publish", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id")),
    responses((status = 200, body = PublishDoc),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json", description = "the event is not in registration")))]
pub async fn publish_schedule(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<PublishDoc>, AppError> {
    let who = viewer.require()?;
    let published = s.app.publish_schedule(&who, id).await?;
    Ok(axum::Json(PublishDoc { published }))
}

/// An event's meetings: staff see all; members their organization's once
/// published; others none.
#[utoipa::path(get, path = "/api/v1/events/{id}/meetings", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Event id"), MeetingParams),
    responses((status = 200, body = MeetingPage),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown or malformed parameter"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "a page out of bounds")))]
pub async fn list_meetings(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<MeetingParams>,
) -> Result<axum::Json<MeetingPage>, AppError> {
    let (limit, offset) = (p.limit.unwrap_or(20), p.offset.unwrap_or(0));
    if p.org_id.is_some_and(|o| o < 1) {
        return Err(qiao_app::Error::field("org_id", "must be a positive id").into());
    }
    let page = s
        .app
        .meetings(&viewer.0, id, p.org_id, limit, offset)
        .await?;
    Ok(axum::Json(MeetingPage {
        total: page.total,
        limit,
        offset,
        items: page.items.into_iter().map(Into::into).collect(),
    }))
}

/// Record what came of a meeting for one side: a member for its own
/// organization, staff for the side named by `org_id`. The meeting counts as
/// held once a side says anything but `not_held`.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/outcome", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Meeting id")), request_body = OutcomeBody,
    responses((status = 200, body = MeetingDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json", description = "recording for the other side"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "an unknown outcome, a too long note, or staff without a side")))]
pub async fn record_outcome(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<OutcomeBody>,
) -> Result<axum::Json<MeetingDoc>, AppError> {
    let who = viewer.require()?;
    let Some(outcome) = body.outcome else {
        return Err(qiao_app::Error::field("outcome", "required").into());
    };
    Ok(axum::Json(
        s.app
            .record_meeting_outcome(&who, id, &outcome, body.note, body.org_id)
            .await?
            .into(),
    ))
}

/// Follow a meeting up (staff): when, how it stands, a note. `agreed` opens a
/// cooperation project for the two organizations in the same step, once.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/follow-up", tag = "events",
    params(("id" = i64, Path, minimum = 1, description = "Meeting id")), request_body = FollowUpBody,
    responses((status = 200, body = MeetingDoc),
        (status = 400, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 403, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 415, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 422, body = ProblemDoc, content_type = "application/problem+json", description = "invalid fields, or `agreed` for a meeting without an enterprise and an institution")))]
pub async fn record_follow_up(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<FollowUpBody>,
) -> Result<axum::Json<MeetingDoc>, AppError> {
    let who = viewer.require()?;
    Ok(axum::Json(
        s.app
            .record_meeting_follow_up(&who, id, body.due_on, body.status.as_deref(), body.note)
            .await?
            .into(),
    ))
}
