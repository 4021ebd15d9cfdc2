//! Loading the demo data in `seeds/`: organizations, needs and capabilities
//! through the same importer as `qiao import` (the organizations then
//! approved, as staff would have), then events and the plan.

use crate::transfer::{self, ImportFailure, Kind};
use anyhow::{Context, anyhow, bail};
use chrono::{DateTime, Utc};
use qiao_core::vocab::{EventKind, EventStatus, Field, ReviewStatus, Vocabulary};
use qiao_store::Store;
use qiao_store::audit::Actor;
use qiao_store::events::{NewEvent, NewRegistration};
use qiao_store::listings::{ListQuery, Scope};
use qiao_store::plans::Plan;
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
