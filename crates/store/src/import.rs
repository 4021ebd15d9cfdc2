//! Bulk upsert of validated records by `external_id` (within the
//! organization for needs and capabilities), all or nothing.
//!
//! A file is written in one transaction with multi-row statements: either
//! every row lands (with its outbox rows) or none does. Organizations named
//! by needs or capabilities but not yet known are created as pending and
//! listed in the report, so staff can review them. Projects only name
//! organizations that exist; a row naming another is refused.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::convert;
use crate::entities::{capability, need, organization, project, project_partner};
use crate::error::StoreError;
use crate::outbox::{self, EntityType, Op};
use crate::projects::{self, ProjectRow};
use chrono::Utc;
use qiao_core::Wan;
use qiao_core::record::{CapabilityRecord, NeedRecord, OrganizationRecord, ProjectRecord};
use qiao_core::vocab::{OrgKind, ReviewStatus, Vocabulary};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Rows per multi-row INSERT: well under the bind-parameter limits of both databases.
const BATCH: usize = 400;

/// A problem with one row of an input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, field {}: {}",
            self.line, self.field, self.message
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Organizations created as pending because a row named them.
    pub new_organizations: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{} invalid row(s); nothing was written", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for ImportError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(StoreError::Db(e))
    }
}

/// One validated input record and the line it came from.
pub struct Line<R> {
    pub line: usize,
    pub record: R,
}

/// Refuses rows without an external id, and rows repeating the external id
/// of an earlier row with the same `owner`: external ids of needs and
/// capabilities are unique within their organization, those of
/// organizations across the file.
fn check_unique_ids<R>(
    rows: &[Line<R>],
    id: impl Fn(&R) -> Option<&str>,
    owner: impl Fn(&R) -> &str,
) -> Result<(), ImportError> {
    let mut first_seen: HashMap<(&str, &str), usize> = HashMap::new();
    let mut errors = Vec::new();
    for row in rows {
        match id(&row.record) {
            None => errors.push(RowError {
                line: row.line,
                field: "external_id".into(),
                message: "is required".into(),
            }),
            Some(ext) => {
                let key = (owner(&row.record), ext);
                if let Some(first) = first_seen.insert(key, row.line) {
                    errors.push(RowError {
                        line: row.line,
                        field: "external_id".into(),
                        message: format!("\"{ext}\" already appears on line {first}"),
                    });
                    first_seen.insert(key, first);
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ImportError::Rows(errors))
    }
}

/// Finds organizations by name, creating missing ones as pending.
async fn resolve_orgs(
    tx: &DatabaseTransaction,
    names: HashSet<&str>,
    new_kind: OrgKind,
    report: &mut ImportReport,
) -> Result<HashMap<String, i64>, ImportError> {
    let names: Vec<String> = names.into_iter().map(str::to_string).collect();
    let mut ids = HashMap::new();
    for chunk in names.chunks(BATCH) {
        for org in organization::Entity::find()
            .filter(organization::Column::Name.is_in(chunk.iter().cloned()))
            .all(tx)
            .await?
        {
            ids.insert(org.name, org.id);
        }
    }
    let mut missing: Vec<String> = names.into_iter().filter(|n| !ids.contains_key(n)).collect();
    missing.sort();
    let now = Utc::now();
    let mut created = Vec::new();
    for name in &missing {
        let record = OrganizationRecord {
            external_id: None,
            name: name.clone(),
            kind: new_kind,
            credit_code: None,
            region: None,
            flags: vec![],
            fields: vec![],
            description: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            contact_email: String::new(),
        };
        let mut am = new_org_model(now);
        convert::organization_values(&record, &mut am);
        let id = organization::Entity::insert(am)
            .exec(tx)
            .await?
            .last_insert_id;
        ids.insert(name.clone(), id);
        created.push(id);
    }
    outbox::append(tx, EntityType::Organization, Op::Upsert, &created).await?;
    report.new_organizations = missing;
    Ok(ids)
}

fn new_org_model(now: chrono::DateTime<Utc>) -> organization::ActiveModel {
    organization::ActiveModel {
        id: NotSet,
        review_status: Set(ReviewStatus::Pending.code().into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        deleted_at: Set(None),
        ..Default::default()
    }
}

async fn finish(
    tx: DatabaseTransaction,
    actor: &Actor,
    entity_type: &str,
    source: &str,
    report: &ImportReport,
) -> Result<(), ImportError> {
    audit::record(
        &tx,
        actor,
        Entry {
            action: "import",
            entity_type,
            entity_id: None,
            before: None,
            after: Some(json!({ "source": source, "report": report })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The rows with these (external id, organization) pairs: the external id
/// narrows through the unique index, which leads with it; the pair picks
/// exactly. Needs and capabilities share external ids across organizations.
fn with_keys<C: ColumnTrait>(external_id: C, org_id: C, keys: &[(String, i64)]) -> Condition {
    Condition::all()
        .add(external_id.is_in(keys.iter().map(|(ext, _)| ext.clone())))
        .add(
            Expr::tuple([external_id.into_expr(), org_id.into_expr()])
                .in_tuples(keys.iter().cloned()),
        )
}

/// Ids of rows just inserted, looked up by their (external id, organization).
async fn ids_by_key<E, C>(
    tx: &DatabaseTransaction,
    (external_id, org_id): (C, C),
    id_of: impl Fn(&E::Model) -> i64,
    keys: &[(String, i64)],
) -> Result<Vec<i64>, ImportError>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut ids = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(BATCH) {
        let rows = E::find()
            .filter(with_keys(external_id, org_id, chunk))
            .all(tx)
            .await?;
        ids.extend(rows.iter().map(&id_of));
    }
    Ok(ids)
}

impl Store {
    pub async fn import_organizations(
        &self,
        rows: Vec<Line<OrganizationRecord>>,
        actor: &Actor,
        source: &str,
    ) -> Result<ImportReport, ImportError> {
        check_unique_ids(&rows, |r| r.external_id.as_deref(), |_| "")?;
        let mut errors = Vec::new();
        let mut names: HashMap<&str, usize> = HashMap::new();
        for row in &rows {
            if let Some(first) = names.insert(&row.record.name, row.line) {
                errors.push(RowError {
                    line: row.line,
                    field: "name".into(),
                    message: format!("\"{}\" already appears on line {first}", row.record.name),
                });
            }
        }
        if !errors.is_empty() {
            return Err(ImportError::Rows(errors));
        }
        let tx = self.begin_write().await?;
        let mut report = ImportReport::default();
        let now = Utc::now();
        let mut touched = Vec::new();
        for row in &rows {
            let r = &row.record;
            let ext = r.external_id.clone().expect("checked");
            let existing = match organization::Entity::find()
                .filter(organization::Column::ExternalId.eq(ext.clone()))
                .one(&tx)
                .await?
            {
                Some(m) => Some(m),
                None => {
                    organization::Entity::find()
                        .filter(organization::Column::Name.eq(r.name.clone()))
                        .one(&tx)
                        .await?
                }
            };
            match existing {
                Some(m) if &convert::organization_record(&m) == r => report.unchanged += 1,
                Some(m) => {
                    // A different organization already holds this name.
                    if m.name != r.name
                        && let Some(other) = organization::Entity::find()
                            .filter(organization::Column::Name.eq(r.name.clone()))
                            .one(&tx)
                            .await?
                        && other.id != m.id
                    {
                        return Err(ImportError::Rows(vec![RowError {
                            line: row.line,
                            field: "name".into(),
                            message: format!(
                                "\"{}\" is already the name of another organization",
                                r.name
                            ),
                        }]));
                    }
                    let version = m.version;
                    let id = m.id;
                    let mut am = m.into_active_model();
                    convert::organization_values(r, &mut am);
                    am.version = Set(version + 1);
                    am.updated_at = Set(now);
                    am.update(&tx).await?;
                    touched.push(id);
                    report.updated += 1;
                }
                None => {
                    let mut am = new_org_model(now);
                    convert::organization_values(r, &mut am);
                    let id = organization::Entity::insert(am)
                        .exec(&tx)
                        .await?
                        .last_insert_id;
                    touched.push(id);
                    report.created += 1;
                }
            }
        }
        outbox::append(&tx, EntityType::Organization, Op::Upsert, &touched).await?;
        finish(tx, actor, "organization", source, &report).await?;
        Ok(report)
    }
}

/// Needs and capabilities are imported alike; only the names differ.
macro_rules! import_listings {
    ($name:ident, $Record:ty, $entity:ident, $org_kind:expr, $to_record:path, $values:path,
     $etype:expr, $what:literal) => {
        impl Store {
            pub async fn $name(
                &self,
                rows: Vec<Line<$Record>>,
                actor: &Actor,
                source: &str,
            ) -> Result<ImportReport, ImportError> {
                check_unique_ids(&rows, |r| r.external_id.as_deref(), |r| r.org_name.as_str())?;
                let tx = self.begin_write().await?;
                let mut report = ImportReport::default();
                let orgs = resolve_orgs(
                    &tx,
                    rows.iter().map(|r| r.record.org_name.as_str()).collect(),
                    $org_kind,
                    &mut report,
                )
                .await?;
                let org_names: HashMap<i64, &str> =
                    orgs.iter().map(|(n, id)| (*id, n.as_str())).collect();
                let now = Utc::now();
                let mut touched = Vec::new();
                let mut inserts = Vec::new();
                let mut inserted_keys = Vec::new();
                let columns = ($entity::Column::ExternalId, $entity::Column::OrgId);
                for chunk in rows.chunks(BATCH) {
                    // External ids are unique per organization: a row updates
                    // its own organization's listing, never another's.
                    let keys: Vec<(String, i64)> = chunk
                        .iter()
                        .filter_map(|r| {
                            Some((r.record.external_id.clone()?, orgs[&r.record.org_name]))
                        })
                        .collect();
                    let existing: HashMap<(String, i64), $entity::Model> = $entity::Entity::find()
                        .filter(with_keys(columns.0, columns.1, &keys))
                        .all(&tx)
                        .await?
                        .into_iter()
                        .filter_map(|m| Some(((m.external_id.clone()?, m.org_id), m)))
                        .collect();
                    for row in chunk {
                        let r = &row.record;
                        let org_id = orgs[&r.org_name];
                        let key = (r.external_id.clone().expect("checked"), org_id);
                        match existing.get(&key) {
                            Some(m)
                                if &$to_record(
                                    m,
                                    org_names.get(&m.org_id).copied().unwrap_or(""),
                                ) == r =>
                            {
                                report.unchanged += 1
                            }
                            Some(m) => {
                                let mut am = m.clone().into_active_model();
                                $values(r, org_id, &mut am);
                                am.version = Set(m.version + 1);
                                am.updated_at = Set(now);
                                am.update(&tx).await?;
                                touched.push(m.id);
                                report.updated += 1;
                            }
                            None => {
                                let mut am = $entity::ActiveModel {
                                    id: NotSet,
                                    version: Set(1),
                                    created_at: Set(now),
                                    updated_at: Set(now),
                                    deleted_at: Set(None),
                                    ..Default::default()
                                };
                                $values(r, org_id, &mut am);
                                inserts.push(am);
                                inserted_keys.push(key);
                                report.created += 1;
                            }
                        }
                    }
                    if inserts.len() >= BATCH {
                        $entity::Entity::insert_many(std::mem::take(&mut inserts))
                            .exec(&tx)
                            .await?;
                    }
                }
                if !inserts.is_empty() {
                    $entity::Entity::insert_many(inserts).exec(&tx).await?;
                }
                touched.extend(
                    ids_by_key::<$entity::Entity, _>(&tx, columns, |m| m.id, &inserted_keys)
                        .await?,
                );
                outbox::append(&tx, $etype, Op::Upsert, &touched).await?;
                finish(tx, actor, $what, source, &report).await?;
                Ok(report)
            }
        }
    };
}

import_listings!(
    import_needs,
    NeedRecord,
    need,
    OrgKind::Enterprise,
    convert::need_record,
    convert::need_values,
    EntityType::Need,
    "need"
);
import_listings!(
    import_capabilities,
    CapabilityRecord,
    capability,
    OrgKind::University,
    convert::capability_record,
    convert::capability_values,
    EntityType::Capability,
    "capability"
);

/// The audit view of a project, with the funding the platform's own view leaves out.
fn project_audit(p: &ProjectRow, gov_funding_yuan: Option<i64>) -> serde_json::Value {
    let mut v = projects::audit_view(p);
    v["gov_funding"] = json!(gov_funding_yuan.map(|y| Wan::from_yuan(y).as_wan()));
    v
}

/// Problems with the organizations a project row names: they must exist
/// (imports never create them for projects) and play their part.
fn check_project_orgs(
    rows: &[Line<ProjectRecord>],
    orgs: &HashMap<String, organization::Model>,
) -> Vec<RowError> {
    let mut errors = Vec::new();
    for row in rows {
        for (field, name, academic) in [
            ("enterprise", &row.record.enterprise, false),
            ("institution", &row.record.institution, true),
        ] {
            let message = match orgs.get(name) {
                None => format!("no organization named \"{name}\"; import or register it first"),
                Some(o) => match OrgKind::from_code(&o.kind) {
                    Some(k) if k.is_academic() == academic => continue,
                    Some(k) if academic => format!(
                        "\"{name}\" is {} ({}), not a university or institute",
                        k.code(),
                        k.label_zh()
                    ),
                    Some(_) => {
                        format!("\"{name}\" is a university or institute, not an enterprise")
                    }
                    None => format!("\"{name}\" has an unknown kind {}", o.kind),
                },
            };
            errors.push(RowError {
                line: row.line,
                field: field.into(),
                message,
            });
        }
    }
    errors
}

impl Store {
    /// Projects by `external_id`: created, updated (status set directly, as
    /// the file has it) or unchanged, each change audited like the
    /// platform's own project writes; all rows or none.
    pub async fn import_projects(
        &self,
        rows: Vec<Line<ProjectRecord>>,
        actor: &Actor,
        source: &str,
    ) -> Result<ImportReport, ImportError> {
        check_unique_ids(&rows, |r| Some(r.external_id.as_str()), |_| "")?;
        let tx = self.begin_write().await?;
        let names: HashSet<String> = rows
            .iter()
            .flat_map(|r| [r.record.enterprise.clone(), r.record.institution.clone()])
            .collect();
        let names: Vec<String> = names.into_iter().collect();
        let mut orgs = HashMap::new();
        for chunk in names.chunks(BATCH) {
            for org in organization::Entity::find()
                .filter(organization::Column::Name.is_in(chunk.iter().cloned()))
                .filter(organization::Column::DeletedAt.is_null())
                .all(&tx)
                .await?
            {
                orgs.insert(org.name.clone(), org);
            }
        }
        let errors = check_project_orgs(&rows, &orgs);
        if !errors.is_empty() {
            return Err(ImportError::Rows(errors));
        }
        let mut report = ImportReport::default();
        let now = Utc::now();
        for chunk in rows.chunks(BATCH) {
            let existing: HashMap<String, project::Model> = project::Entity::find()
                .filter(
                    project::Column::ExternalId
                        .is_in(chunk.iter().map(|r| r.record.external_id.clone())),
                )
                .all(&tx)
                .await?
                .into_iter()
                .filter_map(|m| Some((m.external_id.clone()?, m)))
                .collect();
            let mut partners: HashMap<i64, Vec<i64>> = HashMap::new();
            for p in project_partner::Entity::find()
                .filter(project_partner::Column::ProjectId.is_in(existing.values().map(|m| m.id)))
                .order_by_asc(project_partner::Column::OrgId)
                .all(&tx)
                .await?
            {
                partners.entry(p.project_id).or_default().push(p.org_id);
            }
            for row in chunk {
                let r = &row.record;
                let enterprise = &orgs[&r.enterprise];
                let institution = &orgs[&r.institution];
                let old = existing.get(&r.external_id);
                let before = old
                    .map(|m| projects::row(m.clone(), partners.remove(&m.id).unwrap_or_default()));
                let mut fields = r.fields(
                    enterprise.id,
                    institution.id,
                    before.as_ref().map(|b| &b.fields),
                );
                // As the platform does: the district is the enterprise's unless given.
                if fields.district.is_none() {
                    fields.district = enterprise.region_name.clone().filter(|d| !d.is_empty());
                }
                let gov_funding = r.gov_funding.map(Wan::yuan);
                let mut am = project::ActiveModel {
                    status: Set(r.status.code().into()),
                    termination_code: Set(r.termination.map(|t| t.code().to_string())),
                    termination_reason: Set(r.termination_note.clone()),
                    started_on: Set(r.started_on),
                    completed_on: Set(r.completed_on),
                    gov_funding_yuan: Set(gov_funding),
                    updated_at: Set(now),
                    ..Default::default()
                };
                projects::set_fields(&fields, &mut am);
                match (old, before) {
                    (Some(m), Some(before)) => {
                        let after = ProjectRow {
                            status: r.status,
                            fields,
                            termination: r.termination,
                            termination_note: r.termination_note.clone(),
                            started_on: r.started_on,
                            completed_on: r.completed_on,
                            ..before.clone()
                        };
                        // `after` is `before` with what the file sets replaced.
                        if after == before && gov_funding == m.gov_funding_yuan {
                            report.unchanged += 1;
                            continue;
                        }
                        am.id = Set(m.id);
                        am.version = Set(m.version + 1);
                        let updated = am.update(&tx).await?;
                        let after = projects::row(updated, after.fields.partners);
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
                                entity_id: Some(m.id.to_string()),
                                before: Some(project_audit(&before, m.gov_funding_yuan)),
                                after: Some(project_audit(&after, gov_funding)),
                            },
                        )
                        .await?;
                        report.updated += 1;
                    }
                    _ => {
                        am.id = NotSet;
                        am.milestones = Set(json!([]));
                        am.version = Set(1);
                        am.created_at = Set(now);
                        let created = projects::row(am.insert(&tx).await?, Vec::new());
                        audit::record(
                            &tx,
                            actor,
                            Entry {
                                action: "create",
                                entity_type: "project",
                                entity_id: Some(created.id.to_string()),
                                before: None,
                                after: Some(project_audit(&created, gov_funding)),
                            },
                        )
                        .await?;
                        report.created += 1;
                    }
                }
            }
        }
        finish(tx, actor, "project", source, &report).await?;
        Ok(report)
    }
}
