//! Match suggestions and the cooperation projects accepted ones turn into.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::entities::{capability, event, match_suggestion, need, project, registration};
use crate::error::StoreError;
use chrono::Utc;
use qiao_core::vocab::{
    EventKind, NeedStatus, ProjectOrigin, ProjectStatus, RejectReason, SuggestionStatus, Vocabulary,
};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// A computed suggestion to store.
#[derive(Debug, Clone)]
pub struct NewSuggestion {
    pub need_id: i64,
    pub capability_id: i64,
    pub score: f64,
    pub explanation: Value,
}

/// Staff's decision on a suggestion.
#[derive(Debug, Clone)]
pub enum Decision {
    Accept {
        create_project: bool,
        plan_year: i32,
        key_project: bool,
    },
    Contacted,
    Reject {
        reason: RejectReason,
        note: String,
    },
}

impl Store {
    /// Stores suggestions; pairs staff already decided keep their decision,
    /// undecided ones get the new score and explanation. Returns the stored
    /// rows in the order of `items`.
    pub async fn save_suggestions(
        &self,
        items: &[NewSuggestion],
        algorithm: &str,
    ) -> Result<Vec<match_suggestion::Model>, StoreError> {
        let tx = self.begin_write().await?;
        let now = Utc::now();
        let mut rows = Vec::with_capacity(items.len());
        for s in items {
            let existing = match_suggestion::Entity::find()
                .filter(match_suggestion::Column::NeedId.eq(s.need_id))
                .filter(match_suggestion::Column::CapabilityId.eq(s.capability_id))
                .one(&tx)
                .await?;
            match existing {
                Some(m) if m.status != SuggestionStatus::Suggested.code() => rows.push(m),
                // Unchanged: no write, so that reading suggestions stays cheap.
                Some(m)
                    if m.score == s.score
                        && m.algorithm_version == algorithm
                        && m.explanation == s.explanation =>
                {
                    rows.push(m)
                }
                Some(m) => {
                    let mut am = m.into_active_model();
                    am.score = Set(s.score);
                    am.explanation = Set(s.explanation.clone());
                    am.algorithm_version = Set(algorithm.to_string());
                    rows.push(am.update(&tx).await?);
                }
                None => {
                    let am = match_suggestion::ActiveModel {
                        id: NotSet,
                        need_id: Set(s.need_id),
                        capability_id: Set(s.capability_id),
                        score: Set(s.score),
                        explanation: Set(s.explanation.clone()),
                        algorithm_version: Set(algorithm.to_string()),
                        status: Set(SuggestionStatus::Suggested.code().into()),
                        reject_reason: Set(None),
                        reject_note: Set(None),
                        decided_by: Set(None),
                        decided_at: Set(None),
                        created_at: Set(now),
                    };
                    // Two staff members asking at once both find no row; the
                    // second insert then yields to the first instead of failing.
                    match_suggestion::Entity::insert(am)
                        .on_conflict(
                            OnConflict::columns([
                                match_suggestion::Column::NeedId,
                                match_suggestion::Column::CapabilityId,
                            ])
                            .do_nothing()
                            .to_owned(),
                        )
                        .exec_without_returning(&tx)
                        .await?;
                    let m = match_suggestion::Entity::find()
                        .filter(match_suggestion::Column::NeedId.eq(s.need_id))
                        .filter(match_suggestion::Column::CapabilityId.eq(s.capability_id))
                        .one(&tx)
                        .await?
                        .ok_or_else(|| StoreError::NotFound("the stored suggestion".into()))?;
                    rows.push(m);
                }
            }
        }
        tx.commit().await?;
        Ok(rows)
    }

    pub async fn suggestion(&self, id: i64) -> Result<Option<match_suggestion::Model>, StoreError> {
        Ok(match_suggestion::Entity::find_by_id(id)
            .one(self.conn())
            .await?)
    }

    /// Stored suggestions of a need or a capability, best first.
    pub async fn suggestions_of(
        &self,
        need_id: Option<i64>,
        capability_id: Option<i64>,
    ) -> Result<Vec<match_suggestion::Model>, StoreError> {
        let mut q = match_suggestion::Entity::find();
        if let Some(n) = need_id {
            q = q.filter(match_suggestion::Column::NeedId.eq(n));
        }
        if let Some(c) = capability_id {
            q = q.filter(match_suggestion::Column::CapabilityId.eq(c));
        }
        Ok(q.order_by_desc(match_suggestion::Column::Score)
            .all(self.conn())
            .await?)
    }

    /// Pairs staff rejected: never suggested again.
    pub async fn rejected_pairs(&self) -> Result<HashSet<(i64, i64)>, StoreError> {
        Ok(match_suggestion::Entity::find()
            .filter(match_suggestion::Column::Status.eq(SuggestionStatus::Rejected.code()))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|s| (s.need_id, s.capability_id))
            .collect())
    }

    /// Capabilities staff rejected for a need, or needs rejected for a capability.
    pub async fn rejected_partners(
        &self,
        need_id: Option<i64>,
        capability_id: Option<i64>,
    ) -> Result<Vec<i64>, StoreError> {
        let mut q = match_suggestion::Entity::find()
            .filter(match_suggestion::Column::Status.eq(SuggestionStatus::Rejected.code()));
        if let Some(n) = need_id {
            q = q.filter(match_suggestion::Column::NeedId.eq(n));
        }
        if let Some(c) = capability_id {
            q = q.filter(match_suggestion::Column::CapabilityId.eq(c));
        }
        Ok(q.all(self.conn())
            .await?
            .into_iter()
            .map(|s| {
                if need_id.is_some() {
                    s.capability_id
                } else {
                    s.need_id
                }
            })
            .collect())
    }

    /// Needs brought to an international cooperation event: foreign
    /// universities are welcome partners for them.
    pub async fn needs_at_international_events(&self) -> Result<HashSet<i64>, StoreError> {
        let events: Vec<i64> = event::Entity::find()
            .filter(event::Column::Kind.eq(EventKind::International.code()))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|e| e.id)
            .collect();
        if events.is_empty() {
            return Ok(HashSet::new());
        }
        Ok(registration::Entity::find()
            .filter(registration::Column::EventId.is_in(events))
            .all(self.conn())
            .await?
            .into_iter()
            .flat_map(|r| {
                r.need_ids
                    .as_array()
                    .map(|ids| ids.iter().filter_map(Value::as_i64).collect::<Vec<_>>())
                    .unwrap_or_default()
            })
            .collect())
    }

    /// Open needs (published: not yet matched or closed), optionally only some.
    pub async fn open_needs(&self, only: Option<&[i64]>) -> Result<Vec<need::Model>, StoreError> {
        let mut q = need::Entity::find()
            .filter(need::Column::DeletedAt.is_null())
            .filter(need::Column::Status.eq(NeedStatus::Published.code()));
        if let Some(ids) = only {
            q = q.filter(need::Column::Id.is_in(ids.to_vec()));
        }
        Ok(q.order_by_asc(need::Column::Id).all(self.conn()).await?)
    }

    /// (enterprise, institution) organization pairs with a completed project.
    pub async fn completed_org_pairs(&self) -> Result<HashSet<(i64, i64)>, StoreError> {
        Ok(project::Entity::find()
            .filter(project::Column::Status.eq(ProjectStatus::Completed.code()))
            .all(self.conn())
            .await?
            .into_iter()
            .map(|p| (p.enterprise_org_id, p.institution_org_id))
            .collect())
    }

    /// Open (not completed or terminated) projects per capability.
    pub async fn open_projects_per_capability(&self) -> Result<HashMap<i64, i32>, StoreError> {
        let mut out = HashMap::new();
        for p in project::Entity::find()
            .filter(project::Column::Status.is_not_in([
                ProjectStatus::Completed.code(),
                ProjectStatus::Terminated.code(),
            ]))
            .all(self.conn())
            .await?
        {
            if let Some(c) = p.capability_id {
                *out.entry(c).or_insert(0) += 1;
            }
        }
        Ok(out)
    }

    /// Records a decision (audited); accepting may open a planned cooperation project.
    pub async fn decide_suggestion(
        &self,
        id: i64,
        decision: Decision,
        actor: &Actor,
    ) -> Result<(match_suggestion::Model, Option<i64>), StoreError> {
        let tx = self.begin_write().await?;
        let m = match_suggestion::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("suggestion {id}")))?;
        check_transition(&m.status, &decision)?;
        let before = json!({"status": m.status, "reject_reason": m.reject_reason});
        let (need_id, capability_id) = (m.need_id, m.capability_id);
        let mut am = m.into_active_model();
        let mut project_id = None;
        match &decision {
            Decision::Accept { .. } => am.status = Set(SuggestionStatus::Accepted.code().into()),
            Decision::Contacted => am.status = Set(SuggestionStatus::Contacted.code().into()),
            Decision::Reject { reason, note } => {
                am.status = Set(SuggestionStatus::Rejected.code().into());
                am.reject_reason = Set(Some(reason.code().into()));
                am.reject_note = Set(Some(note.clone()));
            }
        }
        am.decided_by = Set(actor.user_id);
        am.decided_at = Set(Some(Utc::now()));
        let m = am.update(&tx).await?;
        if let Decision::Accept {
            create_project: true,
            plan_year,
            key_project,
        } = decision
        {
            let n = need::Entity::find_by_id(need_id)
                .one(&tx)
                .await?
                .ok_or_else(|| StoreError::NotFound("need".into()))?;
            let c = capability::Entity::find_by_id(capability_id)
                .one(&tx)
                .await?
                .ok_or_else(|| StoreError::NotFound("capability".into()))?;
            let now = Utc::now();
            let p = project::ActiveModel {
                id: NotSet,
                external_id: Set(None),
                title: Set(n.title.clone()),
                need_id: Set(Some(n.id)),
                capability_id: Set(Some(c.id)),
                enterprise_org_id: Set(n.org_id),
                institution_org_id: Set(c.org_id),
                origin: Set(ProjectOrigin::Match.code().into()),
                plan_year: Set(plan_year),
                is_key: Set(key_project),
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
                meeting_id: Set(None),
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
                    entity_id: Some(p.id.to_string()),
                    before: None,
                    after: Some(json!({"title": p.title, "origin": p.origin, "suggestion_id": id})),
                },
            )
            .await?;
            project_id = Some(p.id);
        }
        audit::record(&tx, actor, Entry {
            action: "decide",
            entity_type: "match_suggestion",
            entity_id: Some(id.to_string()),
            before: Some(before),
            after: Some(json!({"status": m.status, "reject_reason": m.reject_reason, "reject_note": m.reject_note, "project_id": project_id})),
        })
        .await?;
        tx.commit().await?;
        Ok((m, project_id))
    }
}

/// Which decisions a suggestion in a given state may take: a rejection is
/// final, and an accepted pair is not accepted again (it may have opened a
/// project).
fn check_transition(status: &str, decision: &Decision) -> Result<(), StoreError> {
    use SuggestionStatus::*;
    let current = SuggestionStatus::from_code(status)
        .ok_or_else(|| StoreError::Invalid(format!("unknown suggestion status {status}")))?;
    let allowed = match decision {
        Decision::Accept { .. } | Decision::Reject { .. } => {
            matches!(current, Suggested | Contacted)
        }
        Decision::Contacted => matches!(current, Suggested | Accepted),
    };
    if allowed {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!(
            "the suggestion is {}: it cannot be {} now",
            current.label_en().to_lowercase(),
            match decision {
                Decision::Accept { .. } => "accepted",
                Decision::Contacted => "marked contacted",
                Decision::Reject { .. } => "rejected",
            }
        )))
    }
}
