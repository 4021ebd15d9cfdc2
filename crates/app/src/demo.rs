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
        // The demo's uploads go with its database.
        match std::fs::remove_dir_all(config.attachments_dir()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => {}
        }
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

/// What [`App::stage_demo_events`] left behind, for the demo's start-up message.
#[derive(Debug, Default)]
pub struct StagedEvents {
    pub requests: usize,
    pub meetings: usize,
    pub outcomes: usize,
    pub projects: usize,
}

const PAST_EVENT: &str = "evt-2026-02";
const TRAINING_EVENT: &str = "evt-2026-04";
const OPEN_EVENT: &str = "evt-2026-03";

impl crate::App {
    /// Gives the seeded events the history staff would have made with the
    /// platform, through the same use cases: for the held marine-equipment
    /// event, staff proposals from match suggestions, accepted, scheduled and
    /// published, check-in, each side's outcome and follow-ups (agreements
    /// open projects); hours for the training; sent proposals awaiting
    /// answers for the event whose registration is open.
    pub async fn stage_demo_events(&self) -> anyhow::Result<StagedEvents> {
        use crate::events::EventFilter;
        use crate::events::meetings::{Mode, ProposeOptions};
        use crate::events::registrations::RegistrationFilter;
        use crate::{AuthMethod, Principal, Viewer};
        use anyhow::Context;
        use qiao_core::Scope;
        use qiao_core::vocab::{EventStatus, MeetingOutcome};

        let user = self
            .store()
            .user_by_email("staff@demo.qiao.cn")
            .await?
            .context("the demo staff account")?;
        let staff = Principal {
            id: user.id,
            email: user.email.clone(),
            role: Role::Staff,
            org_id: None,
            org_admin: false,
            method: AuthMethod::Token,
        };
        let viewer = Viewer(Some(staff.clone()));
        let actor = staff.actor();
        let events = self
            .store()
            .list_events(
                Scope::All,
                &EventFilter {
                    limit: 100,
                    ..Default::default()
                },
            )
            .await?
            .items;
        let by_ext = |ext: &str| {
            events
                .iter()
                .find(|e| e.fields.external_id.as_deref() == Some(ext))
                .cloned()
        };
        let mut staged = StagedEvents::default();

        if let Some(past) = by_ext(PAST_EVENT) {
            // Meetings are arranged before an event takes place: stage them
            // with registration closed, then record it as held.
            let past = self
                .store()
                .update_event(
                    past.id,
                    past.version,
                    &past.fields,
                    EventStatus::RegistrationClosed,
                    &actor,
                )
                .await?;
            let drafts = self
                .propose_meetings(
                    &staff,
                    past.id,
                    ProposeOptions {
                        min_score: Some(0.2),
                        per_need: Some(2),
                    },
                )
                .await?;
            self.send_meeting_requests(&staff, past.id, None).await?;
            for d in &drafts {
                self.accept_meeting_request(&staff, d.request.id).await?;
            }
            staged.requests += drafts.len();
            self.schedule_event(&staff, past.id, Mode::Full).await?;
            self.publish_schedule(&staff, past.id).await?;
            let regs = self
                .registrations(
                    &viewer,
                    past.id,
                    RegistrationFilter {
                        status: Some("confirmed".into()),
                        limit: 100,
                        offset: 0,
                    },
                )
                .await?
                .items;
            for (i, r) in regs.iter().enumerate() {
                // One organization in seven did not come.
                if i % 7 != 6 {
                    let at = past.fields.starts_at + chrono::Duration::minutes(5 * i as i64);
                    self.check_in(&staff, past.id, r.id, None, Some(at)).await?;
                }
            }
            let meetings = self.meetings(&viewer, past.id, None, 100, 0).await?.items;
            staged.meetings = meetings.len();
            let outcomes = [
                MeetingOutcome::Potential,
                MeetingOutcome::Exchange,
                MeetingOutcome::Potential,
                MeetingOutcome::NoInterest,
                MeetingOutcome::NotHeld,
            ];
            for (i, m) in meetings.iter().enumerate() {
                let a = outcomes[i % outcomes.len()];
                let b = if a == MeetingOutcome::Potential && i % 2 == 1 {
                    MeetingOutcome::Exchange
                } else {
                    a
                };
                for (side, outcome) in [(&m.a, a), (&m.b, b)] {
                    self.record_meeting_outcome(
                        &staff,
                        m.meeting.id,
                        outcome.code(),
                        Some(format!("{}：{}", side.org_name, outcome.label_zh())),
                        Some(side.org_id),
                    )
                    .await?;
                    staged.outcomes += 1;
                }
                if a == MeetingOutcome::Potential {
                    let status = if i % 4 == 0 { "agreed" } else { "negotiating" };
                    let row = self
                        .record_meeting_follow_up(
                            &staff,
                            m.meeting.id,
                            None,
                            Some(status),
                            Some("电话回访：双方已交换技术资料".into()),
                        )
                        .await?;
                    staged.projects += usize::from(row.meeting.project_id.is_some());
                }
            }
            let past = self.store().visible_event(Scope::All, past.id).await?;
            self.store()
                .update_event(
                    past.id,
                    past.version,
                    &past.fields,
                    EventStatus::Held,
                    &actor,
                )
                .await?;
        }

        if let Some(training) = by_ext(TRAINING_EVENT) {
            let regs = self
                .registrations(
                    &viewer,
                    training.id,
                    RegistrationFilter {
                        status: Some("confirmed".into()),
                        limit: 100,
                        offset: 0,
                    },
                )
                .await?
                .items;
            for r in &regs {
                self.check_in(
                    &staff,
                    training.id,
                    r.id,
                    None,
                    Some(training.fields.starts_at),
                )
                .await?;
                let hours = (0..r.attendees.len() as i64)
                    .map(|i| (i, if i == 0 { 6.0 } else { 7.5 }))
                    .collect();
                self.set_hours(&staff, training.id, r.id, hours).await?;
            }
        }

        if let Some(open) = by_ext(OPEN_EVENT) {
            let drafts = self
                .propose_meetings(
                    &staff,
                    open.id,
                    ProposeOptions {
                        min_score: Some(0.2),
                        per_need: Some(2),
                    },
                )
                .await?;
            self.send_meeting_requests(&staff, open.id, None).await?;
            staged.requests += drafts.len();
        }
        Ok(staged)
    }
}
