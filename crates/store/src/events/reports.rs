//! The raw facts behind an event's report: registrations with their
//! organizations' kinds, attendance, requests, meetings with outcomes and
//! follow-ups. Counting happens in the application layer, so the event
//! report and the yearly summary count the same way.

use crate::Store;
use crate::entities::{attendance, meeting, meeting_request, organization, registration};
use crate::error::StoreError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
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
        let regs = registration::Entity::find()
            .filter(registration::Column::EventId.is_in(ids.to_vec()))
            .all(db)
            .await?;
        let org_ids: Vec<i64> = regs.iter().map(|r| r.org_id).collect();
        let kinds: HashMap<i64, String> = organization::Entity::find()
            .filter(organization::Column::Id.is_in(org_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.kind))
            .collect();
        for r in regs {
            let facts = out.entry(r.event_id).or_default();
            facts.registrations.push(RegistrationFact {
                id: r.id,
                org_id: r.org_id,
                org_kind: kinds.get(&r.org_id).cloned().unwrap_or_default(),
                status: r.status,
                attendees: r.attendees.as_array().map_or(0, Vec::len),
            });
        }
        for a in attendance::Entity::find()
            .filter(attendance::Column::EventId.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            out.entry(a.event_id)
                .or_default()
                .checked_in
                .push((a.registration_id, a.late));
        }
        for q in meeting_request::Entity::find()
            .filter(meeting_request::Column::EventId.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            out.entry(q.event_id).or_default().requests.push(q.status);
        }
        for m in meeting::Entity::find()
            .filter(meeting::Column::EventId.is_in(ids.to_vec()))
            .all(db)
            .await?
        {
            out.entry(m.event_id)
                .or_default()
                .meetings
                .push(MeetingFact {
                    id: m.id,
                    status: m.status,
                    published: m.published,
                    outcome_a: m.outcome_a,
                    outcome_b: m.outcome_b,
                    follow_up_status: m.follow_up_status,
                    project_id: m.project_id,
                });
        }
        Ok(out)
    }
}
