//! Cooperation projects from match to completion: staff record and edit
//! them and move them through their life cycle; partners follow their own
//! projects and report progress (milestones reached, notes). Who sees a
//! project is `qiao_core::access::project_visible_to`.

use crate::fields::vocab;
use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result, Viewer};
use chrono::{NaiveDate, Utc};
use qiao_core::access::project_visible_to;
use qiao_core::project::{
    MAX_NOTE_CHARS, MilestoneFields, ProjectFields, check_termination, transition,
};
use qiao_core::record::FieldError;
use qiao_core::stored::Page;
use qiao_core::vocab::{
    ContractType, Field, OrgKind, ProjectOrigin, ProjectStatus, TerminationReason, Vocabulary,
};
pub use qiao_store::projects::{
    MilestoneRow, NoteRow, ProjectDates, ProjectFilter, ProjectRow, ProjectSort,
};

/// A project's fields as a client sends them: codes or Chinese labels for
/// vocabularies; absent fields keep their value on a change.
#[derive(Debug, Clone, Default)]
pub struct ProjectDraft {
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub need_id: Option<i64>,
    pub capability_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub enterprise_org_id: Option<i64>,
    pub institution_org_id: Option<i64>,
    pub partners: Option<Vec<i64>>,
    pub origin: Option<String>,
    pub plan_year: Option<i32>,
    pub key_project: Option<bool>,
    pub field: Option<String>,
    pub district: Option<String>,
    pub contract_type: Option<String>,
    /// 万元.
    pub contract_amount: Option<f64>,
    pub contract_reg_no: Option<String>,
    pub signed_on: Option<NaiveDate>,
    pub expected_end: Option<NaiveDate>,
    pub published: Option<bool>,
    /// On a change: the next status (an allowed move).
    pub status: Option<String>,
    /// With `status` `terminated`: the reason code, and a note.
    pub reason: Option<String>,
    pub reason_note: Option<String>,
    pub version: Option<i32>,
}

/// A milestone as a client sends it; absent fields keep their value.
#[derive(Debug, Clone, Default)]
pub struct MilestoneDraft {
    pub title: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// `Some(None)`: not done after all.
    pub done_on: Option<Option<NaiveDate>>,
    pub evidence: Option<String>,
    pub version: Option<i32>,
}

/// A project with what its page shows beside it.
#[derive(Debug, Clone)]
pub struct ProjectView {
    pub project: ProjectRow,
    pub enterprise_name: String,
    pub institution_name: String,
    pub overdue_milestones: u64,
}

/// One project in full: milestones and notes too.
#[derive(Debug, Clone)]
pub struct ProjectDetail {
    pub view: ProjectView,
    pub milestones: Vec<MilestoneRow>,
    pub notes: Vec<NoteRow>,
    pub attachments: Vec<qiao_store::attachments::AttachmentRow>,
}

fn text(field: &str, v: Option<String>, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::fields::text(field, v, false, errors)
}

/// An empty text clears an optional field.
fn optional(new: Option<String>, old: Option<&Option<String>>) -> Option<String> {
    match new {
        Some(s) if s.is_empty() => None,
        Some(s) => Some(s),
        None => old.cloned().flatten(),
    }
}

/// Today in China.
pub fn today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// Applies a draft over `base` (creation: nothing) and returns the fields,
/// the status asked for and the termination reason.
fn merge(
    base: Option<&ProjectRow>,
    d: ProjectDraft,
) -> Result<(
    ProjectFields,
    Option<ProjectStatus>,
    Option<TerminationReason>,
)> {
    let b = base.map(|b| &b.fields);
    let mut errors = Vec::new();
    let title = text("title", d.title, &mut errors).or_else(|| b.map(|b| b.title.clone()));
    let external_id = text("external_id", d.external_id, &mut errors);
    let district = text("district", d.district, &mut errors);
    let reg_no = text("contract_reg_no", d.contract_reg_no, &mut errors);
    let origin = match d.origin.as_deref() {
        Some(o) => vocab::<ProjectOrigin>("origin", o, &mut errors),
        None => Some(b.map_or(ProjectOrigin::Manual, |b| b.origin)),
    };
    let field = match d.field.as_deref() {
        Some("") => None,
        Some(f) => vocab::<Field>("field", f, &mut errors),
        None => b.and_then(|b| b.field),
    };
    let contract_type = match d.contract_type.as_deref() {
        Some("") => None,
        Some(c) => vocab::<ContractType>("contract_type", c, &mut errors),
        None => b.and_then(|b| b.contract_type),
    };
    let status = d
        .status
        .as_deref()
        .and_then(|s| vocab::<ProjectStatus>("status", s, &mut errors));
    let reason = d
        .reason
        .as_deref()
        .and_then(|r| vocab::<TerminationReason>("reason", r, &mut errors));
    let enterprise = d.enterprise_org_id.or(b.map(|b| b.enterprise_org_id));
    let institution = d.institution_org_id.or(b.map(|b| b.institution_org_id));
    for (field, present) in [
        ("title", title.as_deref().is_some_and(|t| !t.is_empty())),
        ("enterprise_org_id", enterprise.is_some()),
        ("institution_org_id", institution.is_some()),
    ] {
        if !present {
            errors.push(FieldError {
                field: field.into(),
                message: "required".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let (Some(title), Some(enterprise), Some(institution), Some(origin)) =
        (title, enterprise, institution, origin)
    else {
        return Err(Error::BadRequest("incomplete project".into()));
    };
    let fields = ProjectFields {
        external_id: optional(external_id, b.map(|b| &b.external_id)),
        title,
        need_id: d.need_id.or(b.and_then(|b| b.need_id)),
        capability_id: d.capability_id.or(b.and_then(|b| b.capability_id)),
        meeting_id: d.meeting_id.or(b.and_then(|b| b.meeting_id)),
        enterprise_org_id: enterprise,
        institution_org_id: institution,
        partners: d
            .partners
            .or_else(|| b.map(|b| b.partners.clone()))
            .unwrap_or_default(),
        origin,
        plan_year: d
            .plan_year
            .or(b.map(|b| b.plan_year))
            .unwrap_or_else(|| chrono::Datelike::year(&today())),
        key_project: d.key_project.or(b.map(|b| b.key_project)).unwrap_or(false),
        field,
        district: optional(district, b.map(|b| &b.district)),
        contract_type,
        contract_amount_wan: d.contract_amount.or(b.and_then(|b| b.contract_amount_wan)),
        contract_reg_no: optional(reg_no, b.map(|b| &b.contract_reg_no)),
        signed_on: d.signed_on.or(b.and_then(|b| b.signed_on)),
        expected_end: d.expected_end.or(b.and_then(|b| b.expected_end)),
        published: d.published.or(b.map(|b| b.published)).unwrap_or(false),
    };
    Ok((fields, status, reason))
}

/// The move or a 409 naming the allowed ones.
fn check_move(from: ProjectStatus, to: ProjectStatus) -> Result<()> {
    crate::fields::check_move("a project", from, to, transition)
}

impl App {
    /// The organizations a project names exist, as the roles they play: an
    /// enterprise, a university or institute, and any further partners; the
    /// need and capability it links are its partners'; the meeting exists.
    /// The district defaults to the enterprise's region.
    async fn check_partners(&self, fields: &mut ProjectFields) -> Result<()> {
        let mut ids = fields.partners.clone();
        ids.extend([fields.enterprise_org_id, fields.institution_org_id]);
        let orgs = self.store().organizations_by_ids(&ids).await?;
        let mut errors = Vec::new();
        let kind = |id: i64| {
            orgs.get(&id)
                .filter(|o| o.deleted_at.is_none())
                .and_then(|o| OrgKind::from_code(&o.kind))
        };
        match kind(fields.enterprise_org_id) {
            Some(k) if !k.is_academic() => {}
            Some(_) => errors.push(FieldError {
                field: "enterprise_org_id".into(),
                message: "is a university or institute, not an enterprise".into(),
            }),
            None => errors.push(FieldError {
                field: "enterprise_org_id".into(),
                message: "no such organization".into(),
            }),
        }
        match kind(fields.institution_org_id) {
            Some(k) if k.is_academic() => {}
            Some(_) => errors.push(FieldError {
                field: "institution_org_id".into(),
                message: "is not a university or institute".into(),
            }),
            None => errors.push(FieldError {
                field: "institution_org_id".into(),
                message: "no such organization".into(),
            }),
        }
        if fields.partners.iter().any(|p| kind(*p).is_none()) {
            errors.push(FieldError {
                field: "partners".into(),
                message: "names an organization that does not exist".into(),
            });
        }
        let partners = {
            let mut all = fields.partners.clone();
            all.extend([fields.enterprise_org_id, fields.institution_org_id]);
            all
        };
        if let Some(id) = fields.need_id {
            let needs = self.store().needs_by_ids(&[id]).await?;
            match needs.get(&id) {
                Some(n) if n.deleted_at.is_none() && partners.contains(&n.org_id) => {}
                _ => errors.push(FieldError {
                    field: "need_id".into(),
                    message: "no such need of the project's partners".into(),
                }),
            }
        }
        if let Some(id) = fields.capability_id {
            let caps = self.store().capabilities_by_ids(&[id]).await?;
            match caps.get(&id) {
                Some(c) if c.deleted_at.is_none() && partners.contains(&c.org_id) => {}
                _ => errors.push(FieldError {
                    field: "capability_id".into(),
                    message: "no such capability of the project's partners".into(),
                }),
            }
        }
        if let Some(id) = fields.meeting_id
            && !self.store().meeting_exists(id).await?
        {
            errors.push(FieldError {
                field: "meeting_id".into(),
                message: "no such meeting".into(),
            });
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        if fields.district.is_none() {
            fields.district = orgs
                .get(&fields.enterprise_org_id)
                .and_then(|o| o.region_name.clone())
                .filter(|r| !r.is_empty());
        }
        Ok(())
    }

    async fn project_views(&self, rows: Vec<ProjectRow>) -> Result<Vec<ProjectView>> {
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let overdue = self.store().overdue_counts(&ids, today()).await?;
        let org_ids: Vec<i64> = rows
            .iter()
            .flat_map(|p| [p.fields.enterprise_org_id, p.fields.institution_org_id])
            .collect();
        let orgs = self.store().organizations_by_ids(&org_ids).await?;
        let name = |id: i64| orgs.get(&id).map(|o| o.name.clone()).unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|p| ProjectView {
                enterprise_name: name(p.fields.enterprise_org_id),
                institution_name: name(p.fields.institution_org_id),
                overdue_milestones: overdue.get(&p.id).copied().unwrap_or(0),
                project: p,
            })
            .collect())
    }

    /// The projects the viewer may see.
    pub async fn projects(
        &self,
        viewer: &Viewer,
        filter: &ProjectFilter,
    ) -> Result<Page<ProjectView>> {
        crate::limits::check_page(filter.limit, filter.offset)?;
        let mut filter = filter.clone();
        filter.today.get_or_insert_with(today);
        let page = self.store().list_projects(viewer.scope(), &filter).await?;
        Ok(Page {
            total: page.total,
            items: self.project_views(page.items).await?,
        })
    }

    /// One project the viewer may see, with its milestones and notes.
    pub async fn project(&self, viewer: &Viewer, id: i64) -> Result<ProjectDetail> {
        let p = self.store().visible_project(viewer.scope(), id).await?;
        let milestones = self.store().milestones(id).await?;
        let notes = self.store().project_notes(id).await?;
        let attachments = self.store().attachments(id).await?;
        let view = self
            .project_views(vec![p])
            .await?
            .pop()
            .ok_or(Error::NotFound)?;
        Ok(ProjectDetail {
            view,
            milestones,
            notes,
            attachments,
        })
    }

    /// Staff record a project (status `planned` unless given).
    pub async fn create_project(
        &self,
        who: &Principal,
        draft: ProjectDraft,
    ) -> Result<ProjectDetail> {
        authorize(who, Resource::Bureau, Action::Create)?;
        let (mut fields, status, _) = merge(None, draft)?;
        let status = status.unwrap_or(ProjectStatus::Planned);
        if status == ProjectStatus::Terminated {
            return Err(Error::field("status", "a new project cannot be terminated"));
        }
        let errors = fields.check(status);
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.check_partners(&mut fields).await?;
        let p = self
            .store()
            .insert_project(&fields, status, ProjectDates::default(), &who.actor())
            .await?;
        self.project(&Viewer(Some(who.clone())), p.id).await
    }

    /// Staff edit a project; a `status` must be an allowed move (see
    /// [`App::transition_project`]).
    pub async fn update_project(
        &self,
        who: &Principal,
        id: i64,
        draft: ProjectDraft,
    ) -> Result<ProjectDetail> {
        authorize(who, Resource::Bureau, Action::Update)?;
        let current = self.store().visible_project(who.scope(), id).await?;
        let version = draft.version.unwrap_or(current.version);
        let note = draft.reason_note.clone();
        let (mut fields, status, reason) = merge(Some(&current), draft)?;
        let status = status.unwrap_or(current.status);
        check_move(current.status, status)?;
        let mut errors = fields.check(status);
        if status != current.status {
            errors.extend(check_termination(status, reason));
        }
        if let Some(n) = &note
            && n.chars().count() > MAX_NOTE_CHARS
        {
            errors.push(FieldError {
                field: "reason_note".into(),
                message: format!("at most {MAX_NOTE_CHARS} characters"),
            });
        }
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        self.check_partners(&mut fields).await?;
        let termination = (status == ProjectStatus::Terminated && status != current.status)
            .then(|| reason.map(|r| (r, note)))
            .flatten();
        self.store()
            .update_project(id, version, &fields, status, termination, &who.actor())
            .await?;
        self.project(&Viewer(Some(who.clone())), id).await
    }

    /// Staff move a project to its next status: `terminated` needs a reason
    /// code, `signed` the contract's type, amount and date.
    pub async fn transition_project(
        &self,
        who: &Principal,
        id: i64,
        to: &str,
        reason: Option<String>,
        note: Option<String>,
    ) -> Result<ProjectDetail> {
        self.update_project(
            who,
            id,
            ProjectDraft {
                status: Some(to.to_string()),
                reason,
                reason_note: note,
                ..ProjectDraft::default()
            },
        )
        .await
    }

    /// May `who` report progress on the project: staff, or a member of a partner.
    fn check_progress(&self, who: &Principal, p: &ProjectRow, action: Action) -> Result<()> {
        let partner = !who.is_staff() && project_visible_to(who.scope(), &p.partner_orgs());
        authorize(who, Resource::ProjectProgress { partner }, action)
    }

    /// A project's milestones, for whoever may see the project.
    pub async fn milestones(&self, viewer: &Viewer, project_id: i64) -> Result<Vec<MilestoneRow>> {
        self.store()
            .visible_project(viewer.scope(), project_id)
            .await?;
        Ok(self.store().milestones(project_id).await?)
    }

    /// Staff add a milestone.
    pub async fn add_milestone(
        &self,
        who: &Principal,
        project_id: i64,
        draft: MilestoneDraft,
    ) -> Result<MilestoneRow> {
        authorize(who, Resource::Bureau, Action::Create)?;
        self.store()
            .visible_project(who.scope(), project_id)
            .await?;
        let mut errors = Vec::new();
        let title = text("title", draft.title, &mut errors).unwrap_or_default();
        let evidence = draft.evidence.unwrap_or_default();
        let Some(due_on) = draft.due_on else {
            errors.push(FieldError {
                field: "due_on".into(),
                message: "required".into(),
            });
            return Err(Error::Invalid(errors));
        };
        let fields = MilestoneFields {
            title,
            due_on,
            done_on: draft.done_on.flatten(),
            evidence,
        };
        errors.extend(fields.check());
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        Ok(self
            .store()
            .insert_milestone(project_id, &fields, &who.actor())
            .await?)
    }

    /// Staff, or a partner reporting it reached (done date and evidence),
    /// change a milestone. Partners may not move its due date or title.
    pub async fn update_milestone(
        &self,
        who: &Principal,
        id: i64,
        draft: MilestoneDraft,
    ) -> Result<MilestoneRow> {
        let m = self.store().milestone(id).await?.ok_or(Error::NotFound)?;
        let p = self
            .store()
            .visible_project(who.scope(), m.project_id)
            .await?;
        self.check_progress(who, &p, Action::Update)?;
        if !who.is_staff() && (draft.title.is_some() || draft.due_on.is_some()) {
            return Err(Error::Forbidden);
        }
        let mut errors = Vec::new();
        let title = text("title", draft.title, &mut errors);
        let fields = MilestoneFields {
            title: title.unwrap_or(m.fields.title.clone()),
            due_on: draft.due_on.unwrap_or(m.fields.due_on),
            done_on: draft.done_on.unwrap_or(m.fields.done_on),
            evidence: draft.evidence.unwrap_or(m.fields.evidence.clone()),
        };
        errors.extend(fields.check());
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let version = draft.version.unwrap_or(m.version);
        Ok(self
            .store()
            .update_milestone(id, version, &fields, &who.actor())
            .await?)
    }

    /// Staff or a partner add a note to the project's timeline.
    pub async fn add_project_note(
        &self,
        who: &Principal,
        project_id: i64,
        body: &str,
    ) -> Result<NoteRow> {
        let p = self
            .store()
            .visible_project(who.scope(), project_id)
            .await?;
        self.check_progress(who, &p, Action::Create)?;
        let body = qiao_core::text::clean(body, true).map_err(|m| Error::field("body", m))?;
        if body.is_empty() || body.chars().count() > MAX_NOTE_CHARS {
            return Err(Error::field(
                "body",
                format!("1 to {MAX_NOTE_CHARS} characters"),
            ));
        }
        Ok(self
            .store()
            .insert_project_note(project_id, &body, &who.actor())
            .await?)
    }
}
