//! `qiao demo`: the demo database of the fictional 琴岛市 with one account per role.

use crate::config::Config;
use crate::credentials;
use crate::seeds::{self, Loaded};
use anyhow::bail;
use qiao_core::Actor;
use qiao_core::vocab::{OrgKind, Role, Vocabulary};
use qiao_store::Store;
use qiao_store::audit::Entry;
use qiao_store::users::{Join, NewUser};

/// Demo accounts, one per role. The password is printed by `qiao demo`.
pub const DEMO_PASSWORD: &str = "qiao-demo-2026";
pub const DEMO_ACCOUNTS: &[(&str, Role)] = &[
    ("admin@demo.qiao.cn", Role::Admin),
    ("staff@demo.qiao.cn", Role::Staff),
    ("enterprise@demo.qiao.cn", Role::Enterprise),
    ("university@demo.qiao.cn", Role::University),
];

/// What preparing the demo database did.
pub enum Prepared {
    /// The seeds were loaded into an empty database.
    Loaded {
        from: std::path::PathBuf,
        loaded: Loaded,
    },
    /// The database already held the demo.
    Existing,
    /// The database holds other data; it is served as it is.
    Foreign,
}

async fn create_demo_users(store: &Store) -> anyhow::Result<()> {
    let orgs = store.export_organizations().await?;
    let first_of = |kind: OrgKind| orgs.iter().find(|o| o.kind == kind).map(|o| o.name.clone());
    let hash = credentials::hash_password(DEMO_PASSWORD).map_err(anyhow::Error::msg)?;
    for (email, role) in DEMO_ACCOUNTS {
        let org = match role {
            Role::Enterprise => first_of(OrgKind::Enterprise),
            Role::University => first_of(OrgKind::University),
            _ => None,
        };
        store
            .create_user(
                NewUser {
                    email,
                    display_name: role.label_zh(),
                    role: *role,
                    org_name: org.as_deref(),
                    password_hash: hash.clone(),
                    join: Join::Direct,
                },
                &Actor::system("demo-seed"),
            )
            .await?;
    }
    Ok(())
}

/// Marks a database as filled by the demo, so `--reset` may wipe it later.
pub async fn mark_demo(store: &Store) -> anyhow::Result<()> {
    store
        .record_audit(
            &Actor::system("demo-seed"),
            Entry {
                action: "load_demo",
                entity_type: "database",
                entity_id: None,
                before: None,
                after: None,
            },
        )
        .await?;
    Ok(())
}

async fn load_demo(store: &Store, dir: &std::path::Path) -> anyhow::Result<Loaded> {
    let loaded = seeds::load(store, dir).await?;
    create_demo_users(store).await?;
    mark_demo(store).await?;
    Ok(loaded)
}

/// Migrates, optionally resets a demo database, and loads the seeds into an
/// empty one. Returns the store to serve.
pub async fn prepare(config: &Config, reset: bool) -> anyhow::Result<(Store, Prepared)> {
    let store = config.open_store().await?;
    if reset {
        if !(store.is_empty().await? || store.is_demo().await?) {
            bail!(
                "refusing --reset: the database at {} holds data that did not come from the demo",
                config.data_dir.display()
            );
        }
        store.reset().await?;
    }
    if store.is_empty().await? {
        let dir = seeds::seeds_dir();
        let loaded = match load_demo(&store, &dir).await {
            Ok(loaded) => loaded,
            Err(e) => {
                // Leave an empty database rather than half a demo.
                store.reset().await?;
                return Err(e);
            }
        };
        return Ok((store, Prepared::Loaded { from: dir, loaded }));
    }
    let prepared = if store.is_demo().await? {
        Prepared::Existing
    } else {
        Prepared::Foreign
    };
    Ok((store, prepared))
}
