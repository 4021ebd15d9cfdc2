//! Cooperation projects: staff's record of each, its partners, milestones
//! and notes, and the list with its filters. Who may see a project is
//! `qiao_core::access::project_visible_to`; the list's SQL condition states
//! the same rule (its partners), and a test checks them against each other.

use crate::audit::{self, Actor, Entry};
use crate::entities::{project, project_milestone, project_note, project_partner};
use crate::{Store, StoreError};
use chrono::{NaiveDate, Utc};
use qiao_core::access::{Scope, project_visible_to};
use qiao_core::money::Wan as Money;
use qiao_core::project::{MilestoneFields, ProjectFields};
use qiao_core::stored::Page;
use qiao_core::vocab::{
    ContractType, Field, ProjectOrigin, ProjectStatus, TerminationReason, Vocabulary,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, NotSet, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A project as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectRow {
    pub id: i64,
    pub status: ProjectStatus,
    pub fields: ProjectFields,
    pub termination: Option<TerminationReason>,
    pub termination_note: Option<String>,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl ProjectRow {
    /// Every partner organization: the enterprise, the university or
    /// institute, and the further ones.
    pub fn partner_orgs(&self) -> Vec<i64> {
        let mut all = vec![
            self.fields.enterprise_org_id,
            self.fields.institution_org_id,
        ];
        all.extend(&self.fields.partners);
        all
    }
}

/// When a project recorded after the fact started, ended, and why it was
/// terminated.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProjectDates {
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub termination: Option<TerminationReason>,
}

/// A milestone as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneRow {
    pub id: i64,
    pub project_id: i64,
    pub fields: MilestoneFields,
    pub version: i32,
}

/// A note on a project's timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteRow {
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: chrono::DateTime<Utc>,
}

/// How the list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProjectSort {
    /// Last changed first.
    #[default]
    Updated,
    /// Latest signed first (unsigned last).
    Signed,
    /// Largest contract first (without an amount last).
    Amount,
}

/// The list's filters.
#[derive(Debug, Clone, Default)]
pub struct ProjectFilter {
    pub year: Option<i32>,
    pub status: Option<ProjectStatus>,
    pub key_project: Option<bool>,
    pub field: Option<Field>,
    pub district: Option<String>,
    pub org_id: Option<i64>,
    pub origin: Option<ProjectOrigin>,
    /// With (true) or without (false) an overdue milestone on `today`.
    pub overdue: Option<bool>,
    pub today: Option<NaiveDate>,
    pub sort: ProjectSort,
    pub limit: u64,
    pub offset: u64,
}

pub(crate) fn row(m: project::Model, partners: Vec<i64>) -> ProjectRow {
    ProjectRow {
        id: m.id,
        status: ProjectStatus::from_code(&m.status).unwrap_or(ProjectStatus::Planned),
        fields: ProjectFields {
            external_id: m.external_id,
            title: m.title,
            need_id: m.need_id,
            capability_id: m.capability_id,
            meeting_id: m.meeting_id,
            enterprise_org_id: m.enterprise_org_id,
            institution_org_id: m.institution_org_id,
            partners,
            origin: ProjectOrigin::from_code(&m.origin).unwrap_or(ProjectOrigin::Manual),
            plan_year: m.plan_year,
            key_project: m.is_key,
            field: m.field.as_deref().and_then(Field::from_code),
            district: m.district,
            contract_type: m.contract_type.as_deref().and_then(ContractType::from_code),
            contract_amount_wan: m.contract_amount_yuan.map(|y| Money::from_yuan(y).as_wan()),
            contract_reg_no: m.contract_reg_no,
            signed_on: m.signed_on,
            expected_end: m.due_on,
            published: m.published,
        },
        termination: m
            .termination_code
            .as_deref()
            .and_then(TerminationReason::from_code),
        termination_note: m.termination_reason,
        started_on: m.started_on,
        completed_on: m.completed_on,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

pub(crate) fn set_fields(f: &ProjectFields, am: &mut project::ActiveModel) {
    am.external_id = Set(f.external_id.clone());
    am.title = Set(f.title.clone());
    am.need_id = Set(f.need_id);
    am.capability_id = Set(f.capability_id);
    am.meeting_id = Set(f.meeting_id);
    am.enterprise_org_id = Set(f.enterprise_org_id);
    am.institution_org_id = Set(f.institution_org_id);
    am.origin = Set(f.origin.code().into());
    am.plan_year = Set(f.plan_year);
    am.is_key = Set(f.key_project);
    am.field = Set(f.field.map(|x| x.code().to_string()));
    am.district = Set(f.district.clone());
    am.contract_type = Set(f.contract_type.map(|c| c.code().to_string()));
    am.contract_amount_yuan = Set(f
        .contract_amount_wan
        .and_then(Money::from_wan_f64)
        .map(Money::yuan));
    am.contract_reg_no = Set(f.contract_reg_no.clone());
    am.signed_on = Set(f.signed_on);
    am.due_on = Set(f.expected_end);
    am.published = Set(f.published);
}

/// What the audit log keeps of a project.
pub(crate) fn audit_view(p: &ProjectRow) -> Value {
    let f = &p.fields;
    json!({
        "title": f.title, "status": p.status.code(), "origin": f.origin.code(),
        "enterprise_org_id": f.enterprise_org_id, "institution_org_id": f.institution_org_id,
        "partners": f.partners, "plan_year": f.plan_year, "key_project": f.key_project,
        "field": f.field.map(|x| x.code()), "district": f.district,
        "contract_type": f.contract_type.map(|c| c.code()),
        "contract_amount": f.contract_amount_wan, "contract_reg_no": f.contract_reg_no,
        "signed_on": f.signed_on, "expected_end": f.expected_end, "published": f.published,
        "termination": p.termination.map(|t| t.code()), "termination_note": p.termination_note,
        "started_on": p.started_on, "completed_on": p.completed_on,
    })
}

/// Projects with an open milestone due before `today`.
fn overdue_ids(today: NaiveDate) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(project_milestone::Column::ProjectId)
        .from(project_milestone::Entity)
        .and_where(project_milestone::Column::DoneOn.is_null())
        .and_where(project_milestone::Column::DueOn.lt(today))
        .to_owned()
}

/// Projects where `org` is a further partner.
fn partnered_by(org: i64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(project_partner::Column::ProjectId)
        .from(project_partner::Entity)
        .and_where(project_partner::Column::OrgId.eq(org))
        .to_owned()
}

/// The projects an organization takes part in.
fn involving(org: i64) -> Condition {
    Condition::any()
        .add(project::Column::EnterpriseOrgId.eq(org))
        .add(project::Column::InstitutionOrgId.eq(org))
        .add(project::Column::Id.in_subquery(partnered_by(org)))
}

/// The rule of [`project_visible_to`] as a condition.
pub(crate) fn scope_condition(scope: Scope) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Member(org) => involving(org),
        // Nothing: `1 = 0`.
        Scope::Public => Condition::all().add(ExprTrait::eq(Expr::val(1), 0)),
    }
}

impl Store {
    async fn partners_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<i64>>, StoreError> {
        let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
        for chunk in ids.chunks(500) {
            for p in project_partner::Entity::find()
                .filter(project_partner::Column::ProjectId.is_in(chunk.iter().copied()))
                .order_by_asc(project_partner::Column::OrgId)
                .all(self.conn())
                .await?
            {
                out.entry(p.project_id).or_default().push(p.org_id);
            }
        }
        Ok(out)
    }

    pub(crate) async fn rows(
        &self,
        models: Vec<project::Model>,
    ) -> Result<Vec<ProjectRow>, StoreError> {
        let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
        let mut partners = self.partners_of(&ids).await?;
        Ok(models
            .into_iter()
            .map(|m| {
                let p = partners.remove(&m.id).unwrap_or_default();
                row(m, p)
            })
            .collect())
    }

    /// One project, whoever asks (the caller applies the visibility rule).
    pub async fn project(&self, id: i64) -> Result<Option<ProjectRow>, StoreError> {
        let Some(m) = project::Entity::find_by_id(id).one(self.conn()).await? else {
            return Ok(None);
        };
        Ok(self.rows(vec![m]).await?.pop())
    }

    /// One project if `scope` may see it.
    pub async fn visible_project(&self, scope: Scope, id: i64) -> Result<ProjectRow, StoreError> {
        match self.project(id).await? {
            Some(p) if project_visible_to(scope, &p.partner_orgs()) => Ok(p),
            _ => Err(StoreError::NotFound(format!("project {id}"))),
        }
    }

    /// The projects `scope` may see, filtered and ordered.
    pub async fn list_projects(
        &self,
        scope: Scope,
        filter: &ProjectFilter,
    ) -> Result<Page<ProjectRow>, StoreError> {
        // The rule is an `any` for members: nest it, so filters narrow it
        // rather than widen it.
        let mut cond = Condition::all().add(scope_condition(scope));
        if let Some(year) = filter.year {
            cond = cond.add(project::Column::PlanYear.eq(year));
        }
        if let Some(status) = filter.status {
            cond = cond.add(project::Column::Status.eq(status.code()));
        }
        if let Some(key) = filter.key_project {
            cond = cond.add(project::Column::IsKey.eq(key));
        }
        if let Some(field) = filter.field {
            cond = cond.add(project::Column::Field.eq(field.code()));
        }
        if let Some(district) = &filter.district {
            cond = cond.add(project::Column::District.eq(district.as_str()));
        }
        if let Some(org) = filter.org_id {
            cond = cond.add(involving(org));
        }
        if let Some(origin) = filter.origin {
            cond = cond.add(project::Column::Origin.eq(origin.code()));
        }
        if let Some(overdue) = filter.overdue {
            let today = filter.today.unwrap_or_else(|| Utc::now().date_naive());
            cond = cond.add(if overdue {
                project::Column::Id.in_subquery(overdue_ids(today))
            } else {
                project::Column::Id.not_in_subquery(overdue_ids(today))
            });
        }
        let query = project::Entity::find().filter(cond);
        let total = query.clone().count(self.conn()).await?;
        let query = match filter.sort {
            ProjectSort::Updated => query.order_by_desc(project::Column::UpdatedAt),
            ProjectSort::Signed => query
                .order_by_desc(ExprTrait::is_not_null(Expr::col(project::Column::SignedOn)))
                .order_by_desc(project::Column::SignedOn),
            ProjectSort::Amount => query
                .order_by_desc(ExprTrait::is_not_null(Expr::col(
                    project::Column::ContractAmountYuan,
                )))
                .order_by_desc(project::Column::ContractAmountYuan),
        };
        let models = query
            .order_by_desc(project::Column::Id)
            .limit(filter.limit)
            .offset(filter.offset)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: self.rows(models).await?,
            total,
        })
    }

    async fn set_partners<C: sea_orm::ConnectionTrait>(
        db: &C,
        project_id: i64,
        partners: &[i64],
    ) -> Result<(), StoreError> {
        project_partner::Entity::delete_many()
            .filter(project_partner::Column::ProjectId.eq(project_id))
            .exec(db)
            .await?;
        let mut seen = std::collections::HashSet::new();
        for org in partners.iter().filter(|o| seen.insert(**o)) {
            project_partner::ActiveModel {
                project_id: Set(project_id),
                org_id: Set(*org),
            }
            .insert(db)
            .await?;
        }
        Ok(())
    }

    async fn external_id_taken<C: sea_orm::ConnectionTrait>(
        db: &C,
        external_id: &Option<String>,
        other_than: Option<i64>,
    ) -> Result<(), StoreError> {
        let Some(ext) = external_id else {
            return Ok(());
        };
        let mut q = project::Entity::find().filter(project::Column::ExternalId.eq(ext.as_str()));
        if let Some(id) = other_than {
            q = q.filter(project::Column::Id.ne(id));
        }
        if q.count(db).await? > 0 {
            return Err(StoreError::Conflict(format!(
                "a project with external id {ext} exists"
            )));
        }
        Ok(())
    }

    /// Records a project staff entered (the caller checked its fields).
    /// A project recorded already under way or completed starts or ends
    /// today unless `dates` say when (an existing project taken over).
    pub async fn insert_project(
        &self,
        fields: &ProjectFields,
        status: ProjectStatus,
        dates: ProjectDates,
        actor: &Actor,
    ) -> Result<ProjectRow, StoreError> {
        let tx = self.begin_write().await?;
        Self::external_id_taken(&tx, &fields.external_id, None).await?;
        let now = Utc::now();
        let today = now.date_naive();
        let mut am = project::ActiveModel {
            id: NotSet,
            status: Set(status.code().into()),
            termination_reason: Set(None),
            gov_funding_yuan: Set(None),
            started_on: Set(dates.started_on.or_else(|| {
                matches!(status, ProjectStatus::InProgress | ProjectStatus::Completed)
                    .then_some(today)
            })),
            completed_on: Set(dates
                .completed_on
                .or_else(|| (status == ProjectStatus::Completed).then_some(today))),
            termination_code: Set(dates.termination.map(|t| t.code().to_string())),
            milestones: Set(json!([])),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        set_fields(fields, &mut am);
        let m = am.insert(&tx).await?;
        Self::set_partners(&tx, m.id, &fields.partners).await?;
        let created = row(m, fields.partners.clone());
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "project",
                entity_id: Some(created.id.to_string()),
                before: None,
                after: Some(audit_view(&created)),
            },
        )
        .await?;
        tx.commit().await?;
        self.project(created.id)
            .await?
            .ok_or_else(|| StoreError::NotFound("project".into()))
    }

    /// Replaces a project's fields, and moves its status, if it still has
    /// `version`; the caller checked the move and the fields. Entering
    /// `in_progress` or `completed` records the day.
    pub async fn update_project(
        &self,
        id: i64,
        version: i32,
        fields: &ProjectFields,
        status: ProjectStatus,
        termination: Option<(TerminationReason, Option<String>)>,
        actor: &Actor,
    ) -> Result<ProjectRow, StoreError> {
        let tx = self.begin_write().await?;
        let Some(m) = project::Entity::find_by_id(id).one(&tx).await? else {
            return Err(StoreError::NotFound(format!("project {id}")));
        };
        let before = self.rows(vec![m]).await?.pop().expect("one row");
        if before.version != version {
            return Err(StoreError::Conflict(format!(
                "project {id} changed meanwhile (version {} now)",
                before.version
            )));
        }
        Self::external_id_taken(&tx, &fields.external_id, Some(id)).await?;
        let today = Utc::now().date_naive();
        let mut am = project::ActiveModel {
            id: Set(id),
            status: Set(status.code().into()),
            updated_at: Set(Utc::now()),
            version: Set(version + 1),
            ..Default::default()
        };
        if status != before.status {
            if status == ProjectStatus::InProgress {
                am.started_on = Set(Some(today));
            }
            if status == ProjectStatus::Completed {
                am.completed_on = Set(Some(today));
            }
        }
        if let Some((code, note)) = &termination {
            am.termination_code = Set(Some(code.code().into()));
            am.termination_reason = Set(note.clone());
        }
        set_fields(fields, &mut am);
        let done = project::Entity::update_many()
            .set(am)
            .filter(project::Column::Id.eq(id))
            .filter(project::Column::Version.eq(version))
            .exec(&tx)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(format!(
                "project {id} changed meanwhile"
            )));
        }
        Self::set_partners(&tx, id, &fields.partners).await?;
        let m = project::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("project {id}")))?;
        let after = row(m, fields.partners.clone());
        audit::record(
            &tx,
            actor,
            Entry {
                action: if before.status != after.status {
                    "status"
                } else {
                    "update"
                },
                entity_type: "project",
                entity_id: Some(id.to_string()),
                before: Some(audit_view(&before)),
                after: Some(audit_view(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        self.project(id)
            .await?
            .ok_or_else(|| StoreError::NotFound("project".into()))
    }

    /// Whether a 1:1 meeting exists (projects name the one they came from).
    pub async fn meeting_exists(&self, id: i64) -> Result<bool, StoreError> {
        Ok(crate::entities::meeting::Entity::find_by_id(id)
            .count(self.conn())
            .await?
            > 0)
    }

    /// A project's milestones, by due date.
    pub async fn milestones(&self, project_id: i64) -> Result<Vec<MilestoneRow>, StoreError> {
        Ok(project_milestone::Entity::find()
            .filter(project_milestone::Column::ProjectId.eq(project_id))
            .order_by_asc(project_milestone::Column::DueOn)
            .order_by_asc(project_milestone::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .map(milestone_row)
            .collect())
    }

    /// One milestone, whoever asks.
    pub async fn milestone(&self, id: i64) -> Result<Option<MilestoneRow>, StoreError> {
        Ok(project_milestone::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .map(milestone_row))
    }

    pub async fn insert_milestone(
        &self,
        project_id: i64,
        fields: &MilestoneFields,
        actor: &Actor,
    ) -> Result<MilestoneRow, StoreError> {
        let tx = self.begin_write().await?;
        let now = Utc::now();
        let m = project_milestone::ActiveModel {
            id: NotSet,
            project_id: Set(project_id),
            title: Set(fields.title.clone()),
            due_on: Set(fields.due_on),
            done_on: Set(fields.done_on),
            evidence: Set(fields.evidence.clone()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&tx)
        .await?;
        let created = milestone_row(m);
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "milestone",
                entity_id: Some(created.id.to_string()),
                before: None,
                after: Some(milestone_audit(&created)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    pub async fn update_milestone(
        &self,
        id: i64,
        version: i32,
        fields: &MilestoneFields,
        actor: &Actor,
    ) -> Result<MilestoneRow, StoreError> {
        let tx = self.begin_write().await?;
        let before = project_milestone::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .map(milestone_row)
            .ok_or_else(|| StoreError::NotFound(format!("milestone {id}")))?;
        if before.version != version {
            return Err(StoreError::Conflict(format!(
                "milestone {id} changed meanwhile (version {} now)",
                before.version
            )));
        }
        let done = project_milestone::Entity::update_many()
            .col_expr(
                project_milestone::Column::Title,
                Expr::value(fields.title.clone()),
            )
            .col_expr(project_milestone::Column::DueOn, Expr::value(fields.due_on))
            .col_expr(
                project_milestone::Column::DoneOn,
                Expr::value(fields.done_on),
            )
            .col_expr(
                project_milestone::Column::Evidence,
                Expr::value(fields.evidence.clone()),
            )
            .col_expr(project_milestone::Column::Version, Expr::value(version + 1))
            .col_expr(
                project_milestone::Column::UpdatedAt,
                Expr::value(Utc::now()),
            )
            .filter(project_milestone::Column::Id.eq(id))
            .filter(project_milestone::Column::Version.eq(version))
            .exec(&tx)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::Conflict(format!(
                "milestone {id} changed meanwhile (version {} now)",
                before.version
            )));
        }
        let after = project_milestone::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .map(milestone_row)
            .ok_or_else(|| StoreError::NotFound(format!("milestone {id}")))?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "update",
                entity_type: "milestone",
                entity_id: Some(id.to_string()),
                before: Some(milestone_audit(&before)),
                after: Some(milestone_audit(&after)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// A project's notes, oldest first.
    pub async fn project_notes(&self, project_id: i64) -> Result<Vec<NoteRow>, StoreError> {
        Ok(project_note::Entity::find()
            .filter(project_note::Column::ProjectId.eq(project_id))
            .order_by_asc(project_note::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .map(|n| NoteRow {
                id: n.id,
                author: n.author,
                body: n.body,
                created_at: n.created_at,
            })
            .collect())
    }

    pub async fn insert_project_note(
        &self,
        project_id: i64,
        body: &str,
        actor: &Actor,
    ) -> Result<NoteRow, StoreError> {
        let n = project_note::ActiveModel {
            id: NotSet,
            project_id: Set(project_id),
            author: Set(actor.label.clone()),
            body: Set(body.to_string()),
            created_at: Set(Utc::now()),
        }
        .insert(self.conn())
        .await?;
        Ok(NoteRow {
            id: n.id,
            author: n.author,
            body: n.body,
            created_at: n.created_at,
        })
    }

    /// Overdue milestones per project among `ids`, on `today`.
    pub async fn overdue_counts(
        &self,
        ids: &[i64],
        today: NaiveDate,
    ) -> Result<HashMap<i64, u64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(i64, i64)> = project_milestone::Entity::find()
                .select_only()
                .column(project_milestone::Column::ProjectId)
                .column_as(project_milestone::Column::Id.count(), "n")
                .filter(project_milestone::Column::ProjectId.is_in(chunk.iter().copied()))
                .filter(project_milestone::Column::DoneOn.is_null())
                .filter(project_milestone::Column::DueOn.lt(today))
                .group_by(project_milestone::Column::ProjectId)
                .into_tuple()
                .all(self.conn())
                .await?;
            for (id, n) in rows {
                out.insert(id, n as u64);
            }
        }
        Ok(out)
    }
}

fn milestone_row(m: project_milestone::Model) -> MilestoneRow {
    MilestoneRow {
        id: m.id,
        project_id: m.project_id,
        fields: MilestoneFields {
            title: m.title,
            due_on: m.due_on,
            done_on: m.done_on,
            evidence: m.evidence,
        },
        version: m.version,
    }
}

fn milestone_audit(m: &MilestoneRow) -> Value {
    json!({
        "project_id": m.project_id, "title": m.fields.title, "due_on": m.fields.due_on,
        "done_on": m.fields.done_on, "evidence": m.fields.evidence,
    })
}
