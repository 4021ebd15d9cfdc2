//! Loading the demo data in `seeds/`: organizations, needs and capabilities
//! through the same importer as `qiao import` (the organizations then
//! approved, as staff would have), then events and the plan.

use crate::transfer::{self, ImportFailure, Kind};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, NaiveDate, Utc};
use qiao_core::access::ListingKind;
use qiao_core::project::{MilestoneFields, ProjectFields, check_termination};
use qiao_core::vocab::{
    ContractType, EventKind, EventStatus, Field, ProjectOrigin, ProjectStatus, ReviewStatus,
    TerminationReason, Vocabulary,
};
use qiao_store::Store;
use qiao_store::audit::Actor;
use qiao_store::events::{NewEvent, NewRegistration};
use qiao_store::listings::{ListQuery, Scope};
use qiao_store::plans::Plan;
use qiao_store::projects::ProjectDates;
use serde::Deserialize;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The seeds directory: `$QIAO_SEEDS_DIR`, else `./seeds`, else the one in the source tree.
pub fn seeds_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("QIAO_SEEDS_DIR") {
        return PathBuf::from(dir);
    }
    let local = PathBuf::from("seeds");
    if local.join("organizations.jsonl").exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../seeds")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSeed {
    external_id: String,
    name: String,
    kind: String,
    #[serde(default)]
    themes: Vec<String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    venue: String,
    slot_minutes: i32,
    tables: i32,
    capacity: i32,
    status: String,
    /// Seeded events are announced unless the seed says otherwise.
    #[serde(default = "announced")]
    published: bool,
    #[serde(default)]
    registrations: Vec<RegistrationSeed>,
}

fn announced() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrationSeed {
    org_name: String,
    #[serde(default)]
    attendees: Value,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    availability: Value,
    #[serde(default)]
    validated: bool,
}

fn vocab<V: Vocabulary>(s: &str, what: &str) -> anyhow::Result<V> {
    V::parse(s).ok_or_else(|| anyhow!("{what}: {}", qiao_core::vocab::unknown_term::<V>(s)))
}

/// Counts of what was loaded, for the demo banner.
#[derive(Debug, Default)]
pub struct Loaded {
    pub organizations: usize,
    pub needs: usize,
    pub capabilities: usize,
    pub events: usize,
    pub projects: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MilestoneSeed {
    title: String,
    due_on: NaiveDate,
    #[serde(default)]
    done_on: Option<NaiveDate>,
    #[serde(default)]
    evidence: String,
}

/// A cooperation project of `projects.jsonl`: organizations by name,
/// listings by external id, vocabularies by code or label.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectSeed {
    external_id: String,
    title: String,
    enterprise: String,
    institution: String,
    #[serde(default)]
    need: Option<String>,
    #[serde(default)]
    capability: Option<String>,
    origin: String,
    plan_year: i32,
    key_project: bool,
    #[serde(default)]
    field: Option<String>,
    status: String,
    #[serde(default)]
    contract_type: Option<String>,
    #[serde(default)]
    contract_amount: Option<f64>,
    #[serde(default)]
    contract_reg_no: Option<String>,
    #[serde(default)]
    signed_on: Option<NaiveDate>,
    #[serde(default)]
    expected_end: Option<NaiveDate>,
    #[serde(default)]
    started_on: Option<NaiveDate>,
    #[serde(default)]
    completed_on: Option<NaiveDate>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    milestones: Vec<MilestoneSeed>,
}

async fn org_id(store: &Store, name: &str) -> anyhow::Result<i64> {
    store
        .organization_id_by_name(name)
        .await?
        .ok_or_else(|| anyhow!("no organization named {name}"))
}

async fn listing(
    store: &Store,
    kind: ListingKind,
    org: i64,
    external_id: Option<&str>,
) -> anyhow::Result<Option<i64>> {
    let Some(ext) = external_id else {
        return Ok(None);
    };
    let id = store.listing_id_by_external_id(kind, org, ext).await?;
    id.map(Some)
        .ok_or_else(|| anyhow!("{ext} is not a listing of its organization"))
}

/// Loads `projects.jsonl` (if present) as projects recorded after the fact.
async fn load_projects(store: &Store, dir: &Path, actor: &Actor) -> anyhow::Result<usize> {
    let path = dir.join("projects.jsonl");
    if !path.exists() {
        return Ok(0);
    }
    let text = std::fs::read_to_string(&path).context("reading projects.jsonl")?;
    let mut n = 0;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = || format!("projects.jsonl line {}", i + 1);
        let seed: ProjectSeed = serde_json::from_str(line).with_context(at)?;
        let enterprise = org_id(store, &seed.enterprise).await.with_context(at)?;
        let institution = org_id(store, &seed.institution).await.with_context(at)?;
        let status = vocab::<ProjectStatus>(&seed.status, "project status").with_context(at)?;
        let fields = ProjectFields {
            external_id: Some(seed.external_id),
            title: seed.title,
            need_id: listing(store, ListingKind::Need, enterprise, seed.need.as_deref())
                .await
                .with_context(at)?,
            capability_id: listing(
                store,
                ListingKind::Capability,
                institution,
                seed.capability.as_deref(),
            )
            .await
            .with_context(at)?,
            meeting_id: None,
            enterprise_org_id: enterprise,
            institution_org_id: institution,
            partners: Vec::new(),
            origin: vocab::<ProjectOrigin>(&seed.origin, "project origin").with_context(at)?,
            plan_year: seed.plan_year,
            key_project: seed.key_project,
            field: seed
                .field
                .as_deref()
                .map(|f| vocab::<Field>(f, "field"))
                .transpose()
                .with_context(at)?,
            district: None,
            contract_type: seed
                .contract_type
                .as_deref()
                .map(|c| vocab::<ContractType>(c, "contract type"))
                .transpose()
                .with_context(at)?,
            contract_amount_wan: seed.contract_amount,
            contract_reg_no: seed.contract_reg_no,
            signed_on: seed.signed_on,
            expected_end: seed.expected_end,
            published: false,
        };
        let termination = seed
            .reason
            .as_deref()
            .map(|r| vocab::<TerminationReason>(r, "termination reason"))
            .transpose()
            .with_context(at)?;
        let mut errors = fields.check(status);
        errors.extend(check_termination(status, termination));
        if let Some(e) = errors.first() {
            bail!("{}: {}: {}", at(), e.field, e.message);
        }
        let mut fields = fields;
        fields.district = store
            .organizations_by_ids(&[enterprise])
            .await?
            .get(&enterprise)
            .and_then(|o| o.region_name.clone());
        let dates = ProjectDates {
            started_on: seed.started_on,
            completed_on: seed.completed_on,
            termination,
        };
        let p = store
            .insert_project(&fields, status, dates, actor)
            .await
            .with_context(at)?;
        for m in seed.milestones {
            let m = MilestoneFields {
                title: m.title,
                due_on: m.due_on,
                done_on: m.done_on,
                evidence: m.evidence,
            };
            if let Some(e) = m.check().first() {
                bail!("{}: milestone {}: {}", at(), e.field, e.message);
            }
            store.insert_milestone(p.id, &m, actor).await?;
        }
        n += 1;
    }
    Ok(n)
}

pub async fn load(store: &Store, dir: &Path) -> anyhow::Result<Loaded> {
    if !dir.join("organizations.jsonl").exists() {
        bail!(
            "no demo data in {} (expected organizations.jsonl there)",
            dir.display()
        );
    }
    let actor = Actor::system("demo-seed");
    let mut loaded = Loaded::default();
    for (kind, file) in [
        (Kind::Organizations, "organizations.jsonl"),
        (Kind::Needs, "needs.jsonl"),
        (Kind::Capabilities, "capabilities.jsonl"),
    ] {
        let path = dir.join(file);
        let report = transfer::import_file(store, kind, &path, &actor)
            .await
            .map_err(|e| match e {
                ImportFailure::Rows(rows) => {
                    let lines: Vec<String> = rows.iter().take(10).map(|r| r.to_string()).collect();
                    anyhow!("{}: {}", path.display(), lines.join("; "))
                }
                other => anyhow!("{}: {other}", path.display()),
            })?;
        let n = report.created + report.updated + report.unchanged;
        if kind == Kind::Organizations {
            approve_all(store, &actor).await?;
        }
        match kind {
            Kind::Organizations => loaded.organizations = n,
            Kind::Needs => loaded.needs = n,
            _ => loaded.capabilities = n,
        }
    }
    let events =
        std::fs::read_to_string(dir.join("events.jsonl")).context("reading events.jsonl")?;
    for (i, line) in events
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let seed: EventSeed =
            serde_json::from_str(line).with_context(|| format!("events.jsonl line {}", i + 1))?;
        let themes = seed
            .themes
            .iter()
            .map(|t| vocab::<Field>(t, "event theme"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let event = NewEvent {
            external_id: Some(seed.external_id),
            kind: vocab::<EventKind>(&seed.kind, "event kind")?,
            status: vocab::<EventStatus>(&seed.status, "event status")?,
            name: seed.name,
            themes,
            starts_at: seed.starts_at,
            ends_at: seed.ends_at,
            venue: seed.venue,
            slot_minutes: seed.slot_minutes,
            tables: seed.tables,
            capacity: seed.capacity,
            published: seed.published,
            registrations: seed
                .registrations
                .into_iter()
                .map(|r| NewRegistration {
                    org_name: r.org_name,
                    attendees: r.attendees,
                    need_external_ids: r.needs,
                    capability_external_ids: r.capabilities,
                    availability: r.availability,
                    validated: r.validated,
                })
                .collect(),
        };
        store
            .create_event(event, &actor)
            .await
            .with_context(|| format!("events.jsonl line {}", i + 1))?;
        loaded.events += 1;
    }
    let plan: Plan = serde_json::from_str(
        &std::fs::read_to_string(dir.join("plan.json")).context("reading plan.json")?,
    )
    .context("plan.json")?;
    store.save_plan(&plan, &actor).await?;
    loaded.projects = load_projects(store, dir, &actor).await?;
    Ok(loaded)
}

/// The demo shows an established platform: the bureau has reviewed the
/// organizations of the seed file, so their listings are public.
async fn approve_all(store: &Store, actor: &Actor) -> anyhow::Result<()> {
    let q = ListQuery {
        limit: 1000,
        ..ListQuery::default()
    };
    for org in store.list_organizations(Scope::All, &q).await?.items {
        if org.review_status != ReviewStatus::Approved {
            store
                .update_organization(
                    org.id,
                    &org.record,
                    Some(ReviewStatus::Approved),
                    None,
                    actor,
                )
                .await?;
        }
    }
    Ok(())
}
