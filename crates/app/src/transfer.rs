//! Import and export of organizations, needs, capabilities and projects as
//! JSON Lines, CSV or XLSX files. Files become rows (qiao-tabular), rows
//! become checked records (qiao-core), records are written all or nothing
//! (qiao-store).

use qiao_core::Wan;
use qiao_core::record::{
    CAPABILITY_COLUMNS, CapabilityRecord, Column, ExternalId, NEED_COLUMNS, NeedRecord,
    ORGANIZATION_COLUMNS, OrganizationRecord, PROJECT_COLUMNS, ProjectRecord, canonical_key,
};
use qiao_core::vocab::{
    ContractType, Field, ProjectOrigin, ProjectStatus, TerminationReason, Vocabulary,
};
use qiao_store::Store;
use qiao_store::audit::Actor;
use qiao_store::import::{ImportError, Line};
pub use qiao_store::import::{ImportReport, RowError};
use qiao_store::listings::{ListQuery, Page, Scope};
use qiao_tabular::{Cell, Format, HeaderStyle, Row, Table};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Organizations,
    Needs,
    Capabilities,
    Projects,
}

impl Kind {
    fn columns(self) -> &'static [Column] {
        match self {
            Self::Organizations => ORGANIZATION_COLUMNS,
            Self::Needs => NEED_COLUMNS,
            Self::Capabilities => CAPABILITY_COLUMNS,
            Self::Projects => PROJECT_COLUMNS,
        }
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{0}")]
    File(String),
    #[error("{} invalid row(s); nothing was written", .0.len())]
    Rows(Vec<RowError>),
    #[error("{0}")]
    Store(String),
}

impl From<ImportError> for ImportFailure {
    fn from(e: ImportError) -> Self {
        match e {
            ImportError::Rows(rows) => Self::Rows(rows),
            ImportError::Store(e) => Self::Store(e.to_string()),
        }
    }
}

/// Drops unknown columns and reports them in one error: the first line one
/// was seen on, how many there are, a few of their names and the known
/// columns — never a list as long as the file is wide.
fn strip_unknown(rows: &mut [Row], columns: &[Column], errors: &mut Vec<RowError>) {
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows.iter_mut() {
        row.values.retain(|key, _| {
            if canonical_key(columns, key).is_some() {
                true
            } else {
                unknown.entry(key.clone()).or_insert(row.line);
                false
            }
        });
    }
    let Some(line) = unknown.values().min().copied() else {
        return;
    };
    let names: Vec<&String> = unknown.keys().collect();
    let known: Vec<&str> = columns.iter().map(|c| c.key).collect();
    let field = if names.len() == 1 {
        names[0].clone()
    } else {
        "columns".to_string()
    };
    errors.push(RowError {
        line,
        field,
        message: format!(
            "{} unknown column(s): {}; known columns: {}",
            names.len(),
            qiao_tabular::short_list(&names, 5),
            known.join(", ")
        ),
    });
}

fn validate<R>(
    rows: Vec<Row>,
    columns: &[Column],
    parse: impl Fn(&Map<String, Value>) -> Result<R, Vec<qiao_core::record::FieldError>>,
) -> Result<Vec<Line<R>>, ImportFailure> {
    let mut rows = rows;
    let mut errors = Vec::new();
    strip_unknown(&mut rows, columns, &mut errors);
    let mut lines = Vec::with_capacity(rows.len());
    for row in rows {
        match parse(&row.values) {
            Ok(record) => lines.push(Line {
                line: row.line,
                record,
            }),
            Err(field_errors) => errors.extend(field_errors.into_iter().map(|e| RowError {
                line: row.line,
                field: e.field,
                message: e.message,
            })),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ImportFailure::Rows(errors))
    }
}

/// Imports one file of the given kind; nothing is written unless every row is valid.
pub async fn import_file(
    store: &Store,
    kind: Kind,
    path: &Path,
    actor: &Actor,
) -> Result<ImportReport, ImportFailure> {
    let rows = qiao_tabular::read_rows(path).map_err(|e| ImportFailure::File(e.to_string()))?;
    let source = path.display().to_string();
    import_rows(store, kind, rows, actor, &source).await
}

pub async fn import_rows(
    store: &Store,
    kind: Kind,
    rows: Vec<Row>,
    actor: &Actor,
    source: &str,
) -> Result<ImportReport, ImportFailure> {
    let columns = kind.columns();
    let report = match kind {
        Kind::Organizations => {
            let lines = validate(rows, columns, |m| {
                OrganizationRecord::from_map(m, ExternalId::Required)
            })?;
            store.import_organizations(lines, actor, source).await?
        }
        Kind::Needs => {
            let lines = validate(rows, columns, |m| {
                NeedRecord::from_map(m, ExternalId::Required)
            })?;
            store.import_needs(lines, actor, source).await?
        }
        Kind::Capabilities => {
            let lines = validate(rows, columns, |m| {
                CapabilityRecord::from_map(m, ExternalId::Required)
            })?;
            store.import_capabilities(lines, actor, source).await?
        }
        Kind::Projects => {
            let lines = validate(rows, columns, ProjectRecord::from_map)?;
            store.import_projects(lines, actor, source).await?
        }
    };
    Ok(report)
}

// ---- export -------------------------------------------------------------

/// One exported value; rendered as a cell for spreadsheets and as JSON for JSON Lines.
enum Val {
    None,
    Text(String),
    Codes(Vec<(&'static str, &'static str)>),
    Texts(Vec<String>),
    Money(Option<Wan>),
    Int(i64),
    Json(Value),
    Code(&'static str, &'static str),
}

fn code<V: Vocabulary>(v: V) -> Val {
    Val::Code(v.code(), v.label_zh())
}

fn codes<V: Vocabulary>(vs: &[V]) -> Val {
    Val::Codes(vs.iter().map(|v| (v.code(), v.label_zh())).collect())
}

fn opt_text(s: Option<impl ToString>) -> Val {
    s.map_or(Val::None, |s| Val::Text(s.to_string()))
}

impl Val {
    fn cell(&self) -> Cell {
        match self {
            Val::None => Cell::Empty,
            Val::Text(s) if s.is_empty() => Cell::Empty,
            Val::Text(s) => Cell::Text(s.clone()),
            Val::Codes(items) => Cell::Text(
                items
                    .iter()
                    .map(|(_, zh)| *zh)
                    .collect::<Vec<_>>()
                    .join("；"),
            ),
            Val::Texts(items) => Cell::Text(items.join("；")),
            Val::Money(Some(w)) => Cell::Number(w.as_wan()),
            Val::Money(None) => Cell::Empty,
            Val::Int(i) => Cell::Int(*i),
            Val::Json(v) => match v.as_array() {
                // Indicators read back as "name：target；…".
                Some(items) => Cell::Text(
                    items
                        .iter()
                        .map(|i| {
                            let name = i["name"].as_str().unwrap_or("");
                            match i["target"].as_str().unwrap_or("") {
                                "" => name.to_string(),
                                t => format!("{name}：{t}"),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("；"),
                ),
                None => Cell::Empty,
            },
            Val::Code(_, zh) => Cell::Text(zh.to_string()),
        }
    }

    fn json(&self) -> Option<Value> {
        match self {
            Val::None | Val::Money(None) => None,
            Val::Text(s) if s.is_empty() => None,
            Val::Text(s) => Some(json!(s)),
            Val::Codes(items) => Some(json!(items.iter().map(|(c, _)| *c).collect::<Vec<_>>())),
            Val::Texts(items) => Some(json!(items)),
            Val::Money(Some(w)) => Some(json!(w.as_wan())),
            Val::Int(i) => Some(json!(i)),
            Val::Json(v) => Some(v.clone()),
            Val::Code(c, _) => Some(json!(c)),
        }
    }
}

/// An organization's row; contact details only for signed-in readers, as on
/// the read endpoints (`organizations::CONTACT_FIELDS`).
fn organization_values(r: &OrganizationRecord, contacts: bool) -> Vec<Val> {
    let contact = |v: &String| {
        if contacts {
            Val::Text(v.clone())
        } else {
            Val::Text(String::new())
        }
    };
    vec![
        opt_text(r.external_id.as_ref()),
        Val::Text(r.name.clone()),
        code(r.kind),
        opt_text(r.credit_code.as_ref()),
        opt_text(r.region.as_ref()),
        Val::Texts(r.flags.clone()),
        codes(&r.fields),
        Val::Text(r.description.clone()),
        contact(&r.contact_name),
        contact(&r.contact_phone),
        contact(&r.contact_email),
    ]
}

fn need_values(r: &NeedRecord) -> Vec<Val> {
    vec![
        opt_text(r.external_id.as_ref()),
        Val::Text(r.org_name.clone()),
        Val::Text(r.title.clone()),
        Val::Text(r.description.clone()),
        Val::Json(serde_json::to_value(&r.indicators).unwrap_or(Value::Null)),
        codes(&r.fields),
        Val::Texts(r.keywords.clone()),
        codes(&r.cooperation_modes),
        Val::Money(r.budget_min),
        Val::Money(r.budget_max),
        opt_text(r.deadline),
        r.ip_ownership.map_or(Val::None, code),
        r.required_trl
            .map_or(Val::None, |t| Val::Int(t.level().into())),
        code(r.visibility),
        code(r.status),
    ]
}

fn capability_values(r: &CapabilityRecord) -> Vec<Val> {
    vec![
        opt_text(r.external_id.as_ref()),
        Val::Text(r.org_name.clone()),
        code(r.kind),
        Val::Text(r.title.clone()),
        Val::Text(r.description.clone()),
        codes(&r.fields),
        Val::Texts(r.keywords.clone()),
        r.trl.map_or(Val::None, |t| Val::Int(t.level().into())),
        codes(&r.cooperation_modes),
        Val::Texts(r.patents.clone()),
        Val::Int(r.capacity.into()),
        Val::Text(r.lead.clone()),
        Val::Text(r.terms.clone()),
        code(r.status),
    ]
}

/// Every listing the scope may see, page by page.
async fn all_visible<T, F, Fut>(scope: Scope, fetch: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(Scope, ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<Page<T>, qiao_store::StoreError>>,
{
    let mut out = Vec::new();
    loop {
        let q = ListQuery {
            sort: Some("id".into()),
            limit: 1000,
            offset: out.len() as u64,
            ..Default::default()
        };
        let page = fetch(scope, q).await?;
        let n = page.items.len();
        out.extend(page.items);
        if n < 1000 {
            return Ok(out);
        }
    }
}

/// The rows of an export visible to `scope`, as values in column order.
async fn export_values(
    store: &Store,
    kind: Kind,
    scope: Scope,
    contacts: bool,
) -> anyhow::Result<Vec<Vec<Val>>> {
    Ok(match kind {
        Kind::Organizations => all_visible(scope, |s, q| async move {
            store.list_organizations(s, &q).await
        })
        .await?
        .iter()
        .map(|o| organization_values(&o.record, contacts))
        .collect(),
        Kind::Needs => all_visible(scope, |s, q| async move { store.list_needs(s, &q).await })
            .await?
            .iter()
            .map(|n| need_values(&n.record))
            .collect(),
        Kind::Capabilities => {
            all_visible(
                scope,
                |s, q| async move { store.list_capabilities(s, &q).await },
            )
            .await?
            .iter()
            .map(|c| capability_values(&c.record))
            .collect()
        }
        Kind::Projects if scope != Scope::All => {
            anyhow::bail!("projects are exported by staff only")
        }
        Kind::Projects => store
            .export_projects()
            .await?
            .into_iter()
            .map(|(p, enterprise, institution)| {
                vec![
                    opt_text(p.external_id),
                    Val::Text(p.title),
                    Val::Text(enterprise),
                    Val::Text(institution),
                    ProjectOrigin::from_code(&p.origin).map_or(Val::None, code),
                    Val::Int(p.plan_year.into()),
                    Val::Text(if p.is_key { "是" } else { "否" }.into()),
                    ProjectStatus::from_code(&p.status).map_or(Val::None, code),
                    p.contract_type
                        .as_deref()
                        .and_then(ContractType::from_code)
                        .map_or(Val::None, code),
                    Val::Money(p.contract_amount_yuan.map(Wan::from_yuan)),
                    Val::Money(p.gov_funding_yuan.map(Wan::from_yuan)),
                    opt_text(p.signed_on),
                    opt_text(p.due_on),
                    opt_text(p.completed_on),
                    opt_text(p.termination_reason),
                    p.field
                        .as_deref()
                        .and_then(Field::from_code)
                        .map_or(Val::None, code),
                    opt_text(p.district),
                    opt_text(p.contract_reg_no),
                    opt_text(p.started_on),
                    p.termination_code
                        .as_deref()
                        .and_then(TerminationReason::from_code)
                        .map_or(Val::None, code),
                ]
            })
            .collect(),
    })
}

/// An export (or an empty template) as file bytes in `format`, with what `scope` may see.
pub async fn export_bytes(
    store: &Store,
    kind: Kind,
    scope: Scope,
    contacts: bool,
    format: Format,
    template: bool,
) -> anyhow::Result<(Vec<u8>, usize)> {
    let columns = kind.columns();
    let rows = if template {
        Vec::new()
    } else {
        export_values(store, kind, scope, contacts).await?
    };
    let count = rows.len();
    if format == Format::Jsonl {
        // JSON Lines keeps codes, arrays and numbers: the import format itself.
        let mut out = String::new();
        for row in &rows {
            let mut obj = Map::new();
            for (col, val) in columns.iter().zip(row) {
                if let Some(v) = val.json() {
                    obj.insert(col.key.to_string(), v);
                }
            }
            out.push_str(&serde_json::to_string(&obj)?);
            out.push('\n');
        }
        return Ok((out.into_bytes(), count));
    }
    let table = Table {
        columns: columns
            .iter()
            .map(|c| qiao_tabular::Column {
                key: c.key.into(),
                label: c.label.into(),
                width: c.width,
            })
            .collect(),
        rows: rows
            .iter()
            .map(|r| r.iter().map(Val::cell).collect())
            .collect(),
    };
    Ok((
        qiao_tabular::write_table_to_bytes(format, &table, HeaderStyle::Labels)?,
        count,
    ))
}

/// Writes an export (or, with `template`, just the header) and returns the row count.
pub async fn export_file(
    store: &Store,
    kind: Kind,
    path: &Path,
    template: bool,
) -> anyhow::Result<usize> {
    let format = Format::from_path(path)?;
    let (bytes, count) = export_bytes(store, kind, Scope::All, true, format, template).await?;
    std::fs::write(path, bytes)?;
    Ok(count)
}

/// A file to download.
pub struct Download {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub file_name: String,
}

impl Kind {
    /// The kind named in an address: `organizations`, `needs`, `capabilities`, `projects`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "organizations" => Some(Self::Organizations),
            "needs" => Some(Self::Needs),
            "capabilities" => Some(Self::Capabilities),
            "projects" => Some(Self::Projects),
            _ => None,
        }
    }
}

fn format_of(name: Option<&str>) -> crate::Result<Format> {
    match name.unwrap_or("xlsx") {
        "xlsx" => Ok(Format::Xlsx),
        "csv" => Ok(Format::Csv),
        "jsonl" => Ok(Format::Jsonl),
        other => Err(crate::Error::field(
            "format",
            format!("\"{other}\" is not one of xlsx, csv, jsonl"),
        )),
    }
}

impl crate::App {
    /// An export with exactly what the viewer may see.
    pub async fn export(
        &self,
        viewer: &crate::Viewer,
        kind: &str,
        format: Option<&str>,
        template: bool,
    ) -> crate::Result<Download> {
        let kind = Kind::from_name(kind).ok_or(crate::Error::NotFound)?;
        let format = format_of(format)?;
        if kind == Kind::Projects {
            let who = viewer.principal().ok_or(crate::Error::Unauthenticated)?;
            crate::policy::authorize(
                who,
                crate::policy::Resource::Bureau,
                crate::policy::Action::Read,
            )?;
        }
        let signed_in = viewer.principal().is_some();
        let (bytes, _) = export_bytes(
            self.store(),
            kind,
            viewer.scope(),
            signed_in,
            format,
            template,
        )
        .await?;
        let (mime, ext) = match format {
            Format::Xlsx => (
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
            Format::Csv => ("text/csv; charset=utf-8", "csv"),
            Format::Jsonl => ("application/jsonl; charset=utf-8", "jsonl"),
        };
        Ok(Download {
            bytes,
            mime,
            file_name: format!("qiao-{kind:?}.{ext}").to_lowercase(),
        })
    }

    /// A staff bulk import of an uploaded file: all rows or none.
    pub async fn import(
        &self,
        who: &crate::Principal,
        kind: &str,
        format: Option<&str>,
        body: &[u8],
    ) -> crate::Result<ImportReport> {
        crate::policy::authorize(
            who,
            crate::policy::Resource::Bureau,
            crate::policy::Action::Create,
        )?;
        let kind = Kind::from_name(kind).ok_or(crate::Error::NotFound)?;
        let format = format_of(format)?;
        let rows = qiao_tabular::read_rows_from_bytes(format, body)
            .map_err(|e| crate::Error::BadRequest(e.to_string()))?;
        match import_rows(self.store(), kind, rows, &who.actor(), "upload").await {
            Ok(report) => Ok(report),
            Err(ImportFailure::Rows(rows)) => Err(crate::Error::Invalid(
                rows.into_iter()
                    .map(|r| qiao_core::record::FieldError {
                        field: r.field,
                        message: format!("line {}: {}", r.line, r.message),
                    })
                    .collect(),
            )),
            Err(ImportFailure::File(msg)) => Err(crate::Error::BadRequest(msg)),
            Err(ImportFailure::Store(msg)) => Err(crate::Error::Internal(anyhow::anyhow!(msg))),
        }
    }
}
