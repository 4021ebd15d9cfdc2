//! The raw facts behind the plan dashboard and the annual report: projects,
//! the year's published needs with the dates each reached a later stage,
//! listings by creation date and overdue milestones. Counting happens in the
//! application layer, so the dashboard and the report count the same way.

use crate::entities::{
    capability, match_suggestion, meeting, meeting_request, need, project, project_milestone,
};
use crate::events::period;
use crate::projects::ProjectRow;
use crate::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use qiao_core::vocab::{
    CapabilityStatus, FollowUpStatus, MeetingStatus, NeedStatus, SuggestionStatus, Vocabulary,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// A need published in the year (its record's creation: needs are posted
/// and published in one step, drafts aside).
#[derive(Debug, Clone, PartialEq)]
pub struct NeedFact {
    pub id: i64,
    pub org_id: i64,
    pub published_at: DateTime<Utc>,
}

/// A match suggestion made for one of the year's needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestionFact {
    pub need_id: i64,
    pub created_at: DateTime<Utc>,
    pub status: SuggestionStatus,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A meeting at an event about one of the year's needs.
#[derive(Debug, Clone, PartialEq)]
pub struct NeedMeetingFact {
    pub need_id: i64,
    pub held: bool,
    pub slot_start: DateTime<Utc>,
    pub agreed: bool,
    /// When the agreement was recorded: the follow-up date, else the last change.
    pub agreed_on: Option<NaiveDate>,
}

/// An open milestone due before the day asked about.
#[derive(Debug, Clone, PartialEq)]
pub struct OverdueFact {
    pub milestone_id: i64,
    pub project_id: i64,
    pub title: String,
    pub due_on: NaiveDate,
}

/// What the dashboard of a year counts.
#[derive(Debug, Clone, Default)]
pub struct PlanFacts {
    /// Every project (a city's projects number in the thousands at most).
    pub projects: Vec<ProjectRow>,
    /// Needs published in the year and the year before (last year's curve).
    pub needs: Vec<NeedFact>,
    /// Creation times of capabilities listed in the year and the year before.
    pub capabilities: Vec<DateTime<Utc>>,
    /// Suggestions for the needs published in the year.
    pub suggestions: Vec<SuggestionFact>,
    /// Meetings at events about the needs published in the year.
    pub meetings: Vec<NeedMeetingFact>,
    /// Open milestones due before `today` of projects still open.
    pub overdue: Vec<OverdueFact>,
}

impl Store {
    /// The facts for the dashboard of `year`, milestones judged on `today`.
    pub async fn plan_facts(&self, year: i32, today: NaiveDate) -> Result<PlanFacts, StoreError> {
        let db = self.conn();
        let (start, _) = period(year - 1, None).ok_or_else(|| not_a_year(year))?;
        let (this_year, end) = period(year, None).ok_or_else(|| not_a_year(year))?;

        let models = project::Entity::find()
            .order_by_asc(project::Column::Id)
            .all(db)
            .await?;
        let projects = self.rows(models).await?;

        let needs: Vec<NeedFact> = need::Entity::find()
            .select_only()
            .columns([
                need::Column::Id,
                need::Column::OrgId,
                need::Column::CreatedAt,
            ])
            .filter(need::Column::CreatedAt.gte(start))
            .filter(need::Column::CreatedAt.lt(end))
            .filter(need::Column::Status.ne(NeedStatus::Draft.code()))
            .filter(need::Column::DeletedAt.is_null())
            .into_tuple::<(i64, i64, DateTime<Utc>)>()
            .all(db)
            .await?
            .into_iter()
            .map(|(id, org_id, published_at)| NeedFact {
                id,
                org_id,
                published_at,
            })
            .collect();
        let cohort: Vec<i64> = needs
            .iter()
            .filter(|n| n.published_at >= this_year)
            .map(|n| n.id)
            .collect();

        let capabilities = capability::Entity::find()
            .select_only()
            .column(capability::Column::CreatedAt)
            .filter(capability::Column::CreatedAt.gte(start))
            .filter(capability::Column::CreatedAt.lt(end))
            .filter(capability::Column::Status.ne(CapabilityStatus::Draft.code()))
            .filter(capability::Column::DeletedAt.is_null())
            .into_tuple::<DateTime<Utc>>()
            .all(db)
            .await?;

        let mut suggestions = Vec::new();
        let mut meetings = Vec::new();
        for chunk in cohort.chunks(500) {
            // Only the columns counted: whole rows (explanations, notes)
            // cost more to decode than the query takes.
            let rows: Vec<SuggestionColumns> = match_suggestion::Entity::find()
                .select_only()
                .columns([
                    match_suggestion::Column::NeedId,
                    match_suggestion::Column::CreatedAt,
                    match_suggestion::Column::Status,
                    match_suggestion::Column::DecidedAt,
                ])
                .filter(match_suggestion::Column::NeedId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            for (need_id, created_at, status, decided_at) in rows {
                suggestions.push(SuggestionFact {
                    need_id,
                    created_at,
                    status: SuggestionStatus::from_code(&status)
                        .unwrap_or(SuggestionStatus::Suggested),
                    decided_at,
                });
            }
            let requests: Vec<(i64, Option<i64>)> = meeting_request::Entity::find()
                .select_only()
                .columns([meeting_request::Column::Id, meeting_request::Column::NeedId])
                .filter(meeting_request::Column::NeedId.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(db)
                .await?;
            let need_of: std::collections::HashMap<i64, i64> = requests
                .into_iter()
                .filter_map(|(id, need)| Some((id, need?)))
                .collect();
            for ids in need_of.keys().copied().collect::<Vec<_>>().chunks(500) {
                let rows: Vec<MeetingColumns> = meeting::Entity::find()
                    .select_only()
                    .columns([
                        meeting::Column::RequestId,
                        meeting::Column::Status,
                        meeting::Column::SlotStart,
                        meeting::Column::FollowUpStatus,
                        meeting::Column::FollowUpOn,
                        meeting::Column::UpdatedAt,
                        meeting::Column::CreatedAt,
                    ])
                    .filter(meeting::Column::RequestId.is_in(ids.iter().copied()))
                    .into_tuple()
                    .all(db)
                    .await?;
                for (
                    request_id,
                    status,
                    slot_start,
                    follow_up_status,
                    follow_up_on,
                    updated_at,
                    created_at,
                ) in rows
                {
                    let Some(&need_id) = request_id.and_then(|r| need_of.get(&r)) else {
                        continue;
                    };
                    let agreed = follow_up_status.as_deref() == Some(FollowUpStatus::Agreed.code());
                    meetings.push(NeedMeetingFact {
                        need_id,
                        held: status == MeetingStatus::Held.code(),
                        slot_start,
                        agreed,
                        agreed_on: agreed.then(|| {
                            follow_up_on
                                .unwrap_or_else(|| updated_at.unwrap_or(created_at).date_naive())
                        }),
                    });
                }
            }
        }

        let open: Vec<i64> = projects
            .iter()
            .filter(|p| p.fields.plan_year <= year && p.status.is_open())
            .map(|p| p.id)
            .collect();
        let mut overdue = Vec::new();
        for chunk in open.chunks(500) {
            for m in project_milestone::Entity::find()
                .filter(project_milestone::Column::ProjectId.is_in(chunk.iter().copied()))
                .filter(project_milestone::Column::DoneOn.is_null())
                .filter(project_milestone::Column::DueOn.lt(today))
                .all(db)
                .await?
            {
                overdue.push(OverdueFact {
                    milestone_id: m.id,
                    project_id: m.project_id,
                    title: m.title,
                    due_on: m.due_on,
                });
            }
        }
        overdue.sort_by_key(|o| (o.due_on, o.milestone_id));

        Ok(PlanFacts {
            projects,
            needs,
            capabilities,
            suggestions,
            meetings,
            overdue,
        })
    }
}

/// need_id, created_at, status, decided_at.
type SuggestionColumns = (i64, DateTime<Utc>, String, Option<DateTime<Utc>>);

/// request_id, status, slot_start, follow_up_status, follow_up_on, updated_at, created_at.
type MeetingColumns = (
    Option<i64>,
    String,
    DateTime<Utc>,
    Option<String>,
    Option<NaiveDate>,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

fn not_a_year(year: i32) -> StoreError {
    StoreError::Invalid(format!("{year} is not a plan year"))
}
