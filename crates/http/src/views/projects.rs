//! Cooperation projects, their milestones and notes.

use qiao_app::projects::{MilestoneRow, NoteRow, ProjectDetail, ProjectView};
use qiao_core::vocab::Vocabulary;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A cooperation project.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDoc {
    pub id: i64,
    #[schema(required = true)]
    pub external_id: Option<String>,
    pub title: String,
    /// `planned`, `negotiating`, `signed`, `in_progress`, `completed` or `terminated`.
    pub status: String,
    pub status_label: String,
    /// The statuses it may move to next.
    pub next_statuses: Vec<String>,
    /// `match`, `event_meeting`, `manual` or `call`.
    pub origin: String,
    pub enterprise_org_id: i64,
    pub enterprise_name: String,
    pub institution_org_id: i64,
    pub institution_name: String,
    /// Further partner organizations.
    pub partners: Vec<i64>,
    #[schema(required = true)]
    pub need_id: Option<i64>,
    #[schema(required = true)]
    pub capability_id: Option<i64>,
    #[schema(required = true)]
    pub meeting_id: Option<i64>,
    pub plan_year: i32,
    /// 重点产学研合作项目.
    pub key_project: bool,
    /// A field code.
    #[schema(required = true)]
    pub field: Option<String>,
    /// The enterprise's district.
    #[schema(required = true)]
    pub district: Option<String>,
    /// `development`, `transfer`, `license`, `consulting`, `service` or `joint_platform`.
    #[schema(required = true)]
    pub contract_type: Option<String>,
    /// 万元.
    #[schema(required = true)]
    pub contract_amount: Option<f64>,
    /// 技术合同登记号.
    #[schema(required = true)]
    pub contract_reg_no: Option<String>,
    #[schema(required = true, format = Date)]
    pub signed_on: Option<String>,
    #[schema(required = true, format = Date)]
    pub expected_end: Option<String>,
    #[schema(required = true, format = Date)]
    pub started_on: Option<String>,
    #[schema(required = true, format = Date)]
    pub completed_on: Option<String>,
    /// The reason code of a terminated project.
    #[schema(required = true)]
    pub termination_reason: Option<String>,
    #[schema(required = true)]
    pub termination_note: Option<String>,
    /// Published on the transparency list by staff.
    pub published: bool,
    /// Milestones due before today and not done.
    pub overdue_milestones: u64,
    pub version: i32,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

impl From<ProjectView> for ProjectDoc {
    fn from(v: ProjectView) -> Self {
        let p = v.project;
        let f = p.fields;
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string());
        Self {
            id: p.id,
            external_id: f.external_id,
            title: f.title,
            status: p.status.code().into(),
            status_label: p.status.label_zh().into(),
            next_statuses: p.status.next().iter().map(|s| s.code().into()).collect(),
            origin: f.origin.code().into(),
            enterprise_org_id: f.enterprise_org_id,
            enterprise_name: v.enterprise_name,
            institution_org_id: f.institution_org_id,
            institution_name: v.institution_name,
            partners: f.partners,
            need_id: f.need_id,
            capability_id: f.capability_id,
            meeting_id: f.meeting_id,
            plan_year: f.plan_year,
            key_project: f.key_project,
            field: f.field.map(|x| x.code().into()),
            district: f.district,
            contract_type: f.contract_type.map(|c| c.code().into()),
            contract_amount: f.contract_amount_wan,
            contract_reg_no: f.contract_reg_no,
            signed_on: date(f.signed_on),
            expected_end: date(f.expected_end),
            started_on: date(p.started_on),
            completed_on: date(p.completed_on),
            termination_reason: p.termination.map(|t| t.code().into()),
            termination_note: p.termination_note,
            published: f.published,
            overdue_milestones: v.overdue_milestones,
            version: p.version,
            created_at: p.created_at.to_rfc3339(),
            updated_at: p.updated_at.to_rfc3339(),
        }
    }
}

/// A milestone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneDoc {
    pub id: i64,
    pub project_id: i64,
    pub title: String,
    #[schema(format = Date)]
    pub due_on: String,
    #[schema(required = true, format = Date)]
    pub done_on: Option<String>,
    pub evidence: String,
    /// Due before today (China time) and not done.
    pub overdue: bool,
    pub version: i32,
}

impl From<MilestoneRow> for MilestoneDoc {
    fn from(m: MilestoneRow) -> Self {
        Self {
            id: m.id,
            project_id: m.project_id,
            overdue: m.fields.is_overdue(qiao_app::projects::today()),
            title: m.fields.title,
            due_on: m.fields.due_on.to_string(),
            done_on: m.fields.done_on.map(|d| d.to_string()),
            evidence: m.fields.evidence,
            version: m.version,
        }
    }
}

/// A note on a project's timeline.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteDoc {
    pub id: i64,
    pub author: String,
    pub body: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<NoteRow> for NoteDoc {
    fn from(n: NoteRow) -> Self {
        Self {
            id: n.id,
            author: n.author,
            body: n.body,
            created_at: n.created_at.to_rfc3339(),
        }
    }
}

/// One project with its milestones and the timeline of notes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectDetailDoc {
    pub project: ProjectDoc,
    pub milestones: Vec<MilestoneDoc>,
    pub notes: Vec<NoteDoc>,
    /// Files attached (contract, acceptance report, …), without their bytes.
    pub attachments: Vec<super::attachments::AttachmentDoc>,
}

impl From<ProjectDetail> for ProjectDetailDoc {
    fn from(d: ProjectDetail) -> Self {
        Self {
            project: d.view.into(),
            milestones: d.milestones.into_iter().map(Into::into).collect(),
            notes: d.notes.into_iter().map(Into::into).collect(),
            attachments: d.attachments.into_iter().map(Into::into).collect(),
        }
    }
}

/// A page of projects.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPage {
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    pub items: Vec<ProjectDoc>,
}

/// A key project as the transparency list shows it: only the fields staff
/// publish are present.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicProjectDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub title: Option<String>,
    /// The enterprise, the university or institute, then further partners.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub partners: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contract_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contract_type_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub status_label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub plan_year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, format = Date)]
    pub signed_on: Option<String>,
    /// 万元.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contract_amount: Option<f64>,
}

impl From<qiao_app::transparency::PublicProject> for PublicProjectDoc {
    fn from(p: qiao_app::transparency::PublicProject) -> Self {
        let (field, field_label) = p.field.unzip();
        let (contract_type, contract_type_label) = p.contract_type.unzip();
        let (status, status_label) = p.status.unzip();
        Self {
            title: p.title,
            partners: p.partners,
            field,
            field_label,
            district: p.district,
            contract_type,
            contract_type_label,
            status,
            status_label,
            plan_year: p.plan_year,
            signed_on: p.signed_on,
            contract_amount: p.contract_amount,
        }
    }
}

/// The year's key projects on the transparency list (阳光科技).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyProjectsDoc {
    pub year: i32,
    /// The fields published.
    pub fields: Vec<String>,
    pub items: Vec<PublicProjectDoc>,
}

/// The fields the transparency list publishes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransparencySettingsDoc {
    /// Among `title` (always), `partners`, `field`, `district`,
    /// `contract_type`, `status`, `plan_year`, `signed_on`, `contract_amount`.
    #[schema(max_items = 9)]
    pub fields: Vec<String>,
}
