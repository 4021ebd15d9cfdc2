//! Keeps the search index in step with the database by following the
//! outbox. Each commit to the index carries the last outbox sequence it
//! covers, so after a crash the follower resumes exactly where the index
//! stopped. `rebuild` writes a fresh generation beside the live one and
//! switches the `CURRENT` pointer atomically; running servers notice the
//! switch and reopen, so searches keep working throughout.

use anyhow::Context;
use qiao_core::vocab::{Field, Vocabulary};
use qiao_search::{Change, Doc, DocKind, SearchIndex};
use qiao_store::Store;
use qiao_store::entities::organization;
use qiao_store::index_feed::Listing;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often the follower looks for new outbox rows.
const POLL: Duration = Duration::from_millis(100);
/// Outbox rows applied per index commit.
const BATCH: u64 = 5_000;

/// Outbox rows applied in one catch-up after which the index is merged into
/// one segment (a bulk import or a first start on a filled database).
const BULK: usize = 10_000;

pub struct SearchService {
    root: PathBuf,
    generation: RwLock<String>,
    index: RwLock<Arc<SearchIndex>>,
    caught_up: AtomicBool,
    lag: AtomicI64,
}

fn read_current(root: &Path) -> Option<String> {
    std::fs::read_to_string(root.join("CURRENT"))
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Points `CURRENT` at a generation: write a temporary file, then rename (atomic on POSIX).
fn write_current(root: &Path, generation: &str) -> anyhow::Result<()> {
    let tmp = root.join("CURRENT.tmp");
    std::fs::write(&tmp, format!("{generation}\n"))?;
    std::fs::File::open(&tmp)?.sync_all()?;
    std::fs::rename(&tmp, root.join("CURRENT"))?;
    Ok(())
}

/// Words the analyzer must keep whole: field labels and listing keywords.
pub async fn user_words(store: &Store) -> anyhow::Result<Vec<String>> {
    let mut words: BTreeSet<String> = Field::ALL
        .iter()
        .map(|f| f.label_zh().to_string())
        .collect();
    words.extend(store.all_keywords().await?);
    Ok(words
        .into_iter()
        .filter(|w| w.chars().count() >= 2)
        .collect())
}

impl SearchService {
    /// Opens the current generation under `root`, creating the first one if needed.
    pub async fn open(root: &Path, store: &Store) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        let generation = match read_current(root) {
            Some(g) => g,
            None => {
                write_current(root, "gen-1")?;
                "gen-1".to_string()
            }
        };
        let words = user_words(store).await?;
        let dir = root.join(&generation);
        let index = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            SearchIndex::open(&dir, &words).map_err(anyhow::Error::from)
        })
        .await??;
        Ok(Self {
            root: root.to_path_buf(),
            generation: RwLock::new(generation),
            index: RwLock::new(Arc::new(index)),
            caught_up: AtomicBool::new(false),
            lag: AtomicI64::new(0),
        })
    }

    pub fn index(&self) -> Arc<SearchIndex> {
        self.index.read().expect("index lock").clone()
    }

    /// True once the index has applied everything that was in the outbox at some point after start.
    pub fn is_caught_up(&self) -> bool {
        self.caught_up.load(Ordering::Relaxed)
    }

    /// Outbox rows not yet in the index, as of the last poll.
    pub fn lag(&self) -> i64 {
        self.lag.load(Ordering::Relaxed)
    }

    /// Reopens the index if `qiao reindex` switched generations.
    async fn follow_switch(&self, store: &Store) -> anyhow::Result<()> {
        let Some(current) = read_current(&self.root) else {
            return Ok(());
        };
        if *self.generation.read().expect("lock") == current {
            return Ok(());
        }
        let words = user_words(store).await?;
        let dir = self.root.join(&current);
        let index = tokio::task::spawn_blocking(move || SearchIndex::open(&dir, &words)).await??;
        *self.index.write().expect("lock") = Arc::new(index);
        *self.generation.write().expect("lock") = current.clone();
        tracing::info!(generation = %current, "switched to a rebuilt search index");
        Ok(())
    }

    /// Applies outbox rows until none are left; returns how many were applied.
    pub async fn catch_up(&self, store: &Store) -> anyhow::Result<usize> {
        let mut applied = 0;
        loop {
            let index = self.index();
            let n = apply_batch(&index, store, index.applied_seq()).await?;
            if n == 0 {
                if applied >= BULK {
                    // A bulk import arrived as many small segments: merge them.
                    let idx = index.clone();
                    tokio::task::spawn_blocking(move || idx.optimize()).await??;
                }
                let last = store.last_outbox_seq().await?;
                self.lag
                    .store((last - index.applied_seq()).max(0), Ordering::Relaxed);
                self.caught_up.store(true, Ordering::Relaxed);
                return Ok(applied);
            }
            applied += n;
        }
    }

    /// Runs the follower until the process ends.
    pub fn spawn_follower(self: &Arc<Self>, store: Store) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.follow_switch(&store).await {
                    tracing::warn!(error = %format!("{e:#}"), "cannot open the rebuilt search index");
                }
                if let Err(e) = me.catch_up(&store).await {
                    tracing::warn!(error = %format!("{e:#}"), "search index follower failed; retrying");
                }
                tokio::time::sleep(POLL).await;
            }
        })
    }
}

/// Applies the outbox rows after `after` (one batch); returns how many rows it covered.
async fn apply_batch(index: &Arc<SearchIndex>, store: &Store, after: i64) -> anyhow::Result<usize> {
    let rows = store.outbox_since(after, BATCH).await?;
    let Some(last) = rows.last().map(|r| r.seq) else {
        return Ok(0);
    };
    let mut needs = BTreeSet::new();
    let mut caps = BTreeSet::new();
    let mut orgs = BTreeSet::new();
    for r in &rows {
        match r.entity_type.as_str() {
            "need" => needs.insert(r.entity_id),
            "capability" => caps.insert(r.entity_id),
            _ => orgs.insert(r.entity_id),
        };
    }
    if !orgs.is_empty() {
        // A renamed, approved or deleted organization changes how its listings are found.
        let (n, c) = store
            .listing_ids_of_orgs(&orgs.into_iter().collect::<Vec<_>>())
            .await?;
        needs.extend(n);
        caps.extend(c);
    }
    let needs: Vec<i64> = needs.into_iter().collect();
    let caps: Vec<i64> = caps.into_iter().collect();
    let changes = changes_for(store, &needs, &caps).await?;
    let index = index.clone();
    tokio::task::spawn_blocking(move || index.apply(changes, last)).await??;
    Ok(rows.len())
}

/// The index changes that bring these listings up to date.
async fn changes_for(
    store: &Store,
    need_ids: &[i64],
    cap_ids: &[i64],
) -> anyhow::Result<Vec<Change>> {
    let listings = store.listings_by_ids(need_ids, cap_ids).await?;
    let org_ids: Vec<i64> = listings
        .iter()
        .map(Listing::org_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let orgs = store.organizations_by_ids(&org_ids).await?;
    let mut changes = Vec::with_capacity(listings.len());
    let mut seen: HashMap<(DocKind, i64), ()> = HashMap::new();
    for listing in &listings {
        let org = orgs.get(&listing.org_id());
        let (kind, id) = match listing {
            Listing::Need(n) => (DocKind::Need, n.id),
            Listing::Capability(c) => (DocKind::Capability, c.id),
        };
        seen.insert((kind, id), ());
        match org {
            Some(org) if !listing.is_deleted() && org.deleted_at.is_none() => {
                changes.push(Change::Upsert(doc(listing, org)))
            }
            _ => changes.push(Change::Delete { kind, id }),
        }
    }
    for (kind, ids) in [(DocKind::Need, need_ids), (DocKind::Capability, cap_ids)] {
        for id in ids {
            if !seen.contains_key(&(kind, *id)) {
                changes.push(Change::Delete { kind, id: *id });
            }
        }
    }
    Ok(changes)
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn indicators_text(v: &serde_json::Value) -> String {
    v.as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    format!(
                        "{} {}",
                        i["name"].as_str().unwrap_or(""),
                        i["target"].as_str().unwrap_or("")
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The index's view of a listing.
pub fn doc(listing: &Listing, org: &organization::Model) -> Doc {
    // What differs between the kinds; everything else is the organization's.
    let (
        kind,
        id,
        external_id,
        title,
        body,
        keywords,
        fields,
        modes,
        trl,
        status,
        visibility,
        updated,
    ) = match listing {
        Listing::Need(n) => (
            DocKind::Need,
            n.id,
            &n.external_id,
            &n.title,
            format!("{}\n{}", n.description, indicators_text(&n.indicators)),
            &n.keywords,
            &n.fields,
            &n.cooperation_modes,
            n.required_trl,
            &n.status,
            n.visibility.clone(),
            n.updated_at,
        ),
        Listing::Capability(c) => (
            DocKind::Capability,
            c.id,
            &c.external_id,
            &c.title,
            c.description.clone(),
            &c.keywords,
            &c.fields,
            &c.cooperation_modes,
            c.trl,
            &c.status,
            "public".to_string(),
            c.updated_at,
        ),
    };
    Doc {
        kind,
        id,
        external_id: external_id.clone(),
        title: title.clone(),
        body,
        keywords: strings(keywords),
        fields: strings(fields),
        org_id: org.id,
        org_name: org.name.clone(),
        org_kind: org.kind.clone(),
        region: org.region_name.clone().unwrap_or_default(),
        region_scope: org.region_scope.clone().unwrap_or_default(),
        modes: strings(modes),
        trl: trl.map(|t| t as u8),
        status: status.clone(),
        visibility,
        org_review: org.review_status.clone(),
        org_deleted: org.deleted_at.is_some(),
        updated_at: updated.timestamp_millis(),
    }
}

/// `qiao reindex`: builds a new generation from the database and switches to it.
/// Returns the number of documents indexed.
pub async fn rebuild(root: &Path, store: &Store) -> anyhow::Result<u64> {
    std::fs::create_dir_all(root)?;
    let next = next_generation(root);
    let dir = root.join(&next);
    std::fs::create_dir_all(&dir)?;
    let words = user_words(store).await?;
    let index = Arc::new(
        tokio::task::spawn_blocking({
            let dir = dir.clone();
            move || SearchIndex::open(&dir, &words)
        })
        .await??,
    );
    // Everything up to this sequence is in the rows read below; later changes
    // are applied by the follower (upserts are idempotent).
    let seq = store.last_outbox_seq().await?;
    let (mut after_need, mut after_cap) = (0, 0);
    loop {
        let (needs, caps) = store.live_listing_ids(after_need, after_cap, 2_000).await?;
        if needs.is_empty() && caps.is_empty() {
            break;
        }
        after_need = needs.last().copied().unwrap_or(after_need);
        after_cap = caps.last().copied().unwrap_or(after_cap);
        let changes = changes_for(store, &needs, &caps).await?;
        let index = index.clone();
        tokio::task::spawn_blocking(move || index.apply(changes, 0)).await??;
    }
    let count = index.num_docs();
    let idx = index.clone();
    tokio::task::spawn_blocking(move || {
        idx.apply(Vec::new(), seq)?;
        idx.optimize()
    })
    .await??;
    drop(index);
    let previous = read_current(root);
    write_current(root, &next)?;
    // Keep the generation servers may still be reading until the next rebuild.
    for entry in std::fs::read_dir(root)?.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("gen-") && name != next && Some(&name) != previous.as_ref() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    Ok(count)
}

fn next_generation(root: &Path) -> String {
    let highest = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            e.file_name()
                .to_str()?
                .strip_prefix("gen-")?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    format!("gen-{}", highest + 1)
}
