//! The raw facts behind an event's report: registrations with their
//! organizations' kinds, attendance, requests, meetings with outcomes and
//! follow-ups. Counting happens in the application layer, so the event
//! report and the yearly summary count the same way.

use crate::Store;
use crate::entities::{attendance, meeting, meeting_request, organization, registration};
use crate::error::StoreError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;

/// One registration with its organization's kind code.
#[derive(Debug, Clone)]
pub struct RegistrationFact {
    pub id: i64,
    pub org_id: i64,
    pub org_kind: String,
    pub status: String,
    pub attendees: usize,
}

/// One meeting's facts.
#[derive(Debug, Clone)]
pub struct MeetingFact {
    pub id: i64,
    pub status: String,
    pub published: bool,
    pub outcome_a: Option<String>,
    pub outcome_b: Option<String>,
    pub follow_up_status: Option<String>,
    pub project_id: Option<i64>,
}

/// Everything an event's report counts.
#[derive(Debug, Clone, Default)]
pub struct EventFacts {
    pub registrations: Vec<RegistrationFact>,
    /// Attendees checked in, and the registrations they came with.
    pub checked_in: Vec<(i64, bool)>,
    /// Status codes of every meeting request.
    pub requests: Vec<String>,
    pub meetings: Vec<MeetingFact>,
}

impl Store {
    /// The facts of the events `ids`, by event id.
    pub async fn event_facts(&self, ids: &[i64]) -> Result<HashMap<i64, EventFacts>, StoreError> {
        let mut out: HashMap<i64, EventFacts> =
            ids.iter().map(|&id| (id, EventFacts::default())).collect();
        if ids.is_empty() {
            return Ok(out);
        }
        let db = self.conn();
        // Only the columns counted: decoding whole rows (attendee details,
        // notes, availability) costs more than the queries themselves.
        let regs: Vec<(i64, i64, i64, String, serde_json::Value)> = registration::Entity::find()
            .select_only()
            .columns([
                registration::Column::Id,
                registration::Column::EventId,
                registration::Column::OrgId,
                registration::Column::Status,
                registration::Column::Attendees,
            ])
            .filter(registration::Column::EventId.is_in(ids.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        let mut org_ids: Vec<i64> = regs.iter().map(|r| r.2).collect();
        org_ids.sort_unstable();
        org_ids.dedup();
        let mut kinds: HashMap<i64, String> = HashMap::new();
        for chunk in org_ids.chunks(500) {
            let rows: Vec<(i64, String)> = organization::Entity::find()
                .select_only()
                .columns([organization::Column::Id, organization::Column::Kind])
                .filter(organization::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            kinds.extend(rows);
        }
        for (id, event_id, org_id, status, attendees) in regs {
            let facts = out.entry(event_id).or_default();
            facts.registrations.push(RegistrationFact {
                id,
                org_id,
                org_kind: kinds.get(&org_id).cloned().unwrap_or_default(),
                status,
                attendees: attendees.as_array().map_or(0, Vec::len),
            });
        }
        let attended: Vec<(i64, i64, bool)> = attendance::Entity::find()
            .select_only()
            .columns([
                attendance::Column::EventId,
                attendance::Column::RegistrationId,
                attendance::Column::Late,
            ])
            .filter(attendance::Column::EventId.is_in(ids.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (event_id, registration_id, late) in attended {
            out.entry(event_id)
                .or_default()
                .checked_in
                .push((registration_id, late));
        }
        let requests: Vec<(i64, String)> = meeting_request::Entity::find()
            .select_only()
            .columns([
                meeting_request::Column::EventId,
                meeting_request::Column::Status,
            ])
            .filter(meeting_request::Column::EventId.is_in(ids.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (event_id, status) in requests {
            out.entry(event_id).or_default().requests.push(status);
        }
        type MeetingColumns = (
            i64,
            i64,
            String,
            bool,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let meetings: Vec<MeetingColumns> = meeting::Entity::find()
            .select_only()
            .columns([
                meeting::Column::Id,
                meeting::Column::EventId,
                meeting::Column::Status,
                meeting::Column::Published,
                meeting::Column::OutcomeA,
                meeting::Column::OutcomeB,
                meeting::Column::FollowUpStatus,
                meeting::Column::ProjectId,
            ])
            .filter(meeting::Column::EventId.is_in(ids.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        for (id, event_id, status, published, outcome_a, outcome_b, follow_up_status, project_id) in
            meetings
        {
            out.entry(event_id).or_default().meetings.push(MeetingFact {
                id,
                status,
                published,
                outcome_a,
                outcome_b,
                follow_up_status,
                project_id,
            });
        }
        Ok(out)
    }
}
