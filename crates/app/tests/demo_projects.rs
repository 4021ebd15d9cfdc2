//! The demo's cooperation projects on every backend: every status of the
//! life cycle, overdue milestones, and each partner seeing its own.

use qiao_app::projects::{ProjectFilter, ProjectSort};
use qiao_app::{App, AuthMethod, Config, Principal, Viewer};
use qiao_core::access::Scope;
use qiao_core::vocab::{ProjectStatus, Role, Vocabulary};
use qiao_store::testkit::each_backend;
use std::collections::BTreeSet;

fn viewer(role: Role, org_id: Option<i64>) -> Viewer {
    Viewer(Some(Principal {
        id: 1,
        email: "someone@example.com".into(),
        role,
        org_id,
        org_admin: false,
        method: AuthMethod::Token,
    }))
}

fn all(limit: u64) -> ProjectFilter {
    ProjectFilter {
        limit,
        sort: ProjectSort::Updated,
        ..ProjectFilter::default()
    }
}

#[tokio::test]
async fn the_demo_has_projects_in_every_state_and_overdue_milestones() {
    each_backend(
        "demo_projects::the_demo_has_projects_in_every_state_and_overdue_milestones",
        |db| async move {
            let loaded = qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
                .await
                .unwrap();
            assert_eq!(loaded.projects, 19, "{}", db.label);
            let config = Config::new(db.dir.clone(), Some(db.url.clone()));
            let app = App::without_follower(db.store.clone(), config)
                .await
                .unwrap();
            let staff = viewer(Role::Staff, None);
            let page = app.projects(&staff, &all(100)).await.unwrap();
            assert_eq!(page.total, 19);
            let statuses: BTreeSet<&str> =
                page.items.iter().map(|p| p.project.status.code()).collect();
            let every: BTreeSet<&str> = ProjectStatus::ALL.iter().map(|s| s.code()).collect();
            assert_eq!(statuses, every);
            // Signed and later projects carry their contract.
            for p in &page.items {
                if p.project.status.is_contracted() {
                    let f = &p.project.fields;
                    assert!(f.contract_type.is_some() && f.contract_amount_wan.is_some());
                }
            }
            let overdue = app
                .projects(
                    &staff,
                    &ProjectFilter {
                        overdue: Some(true),
                        ..all(100)
                    },
                )
                .await
                .unwrap();
            assert!(overdue.total >= 1, "some milestones are overdue");
            assert!(overdue.items.iter().all(|p| p.overdue_milestones > 0));

            // A partner's member sees exactly the projects it takes part in.
            let first = &page.items[0].project;
            let org = first.fields.enterprise_org_id;
            let member = viewer(Role::Enterprise, Some(org));
            let own = app.projects(&member, &all(100)).await.unwrap();
            assert!(own.total >= 1);
            assert!(
                own.items
                    .iter()
                    .all(|p| p.project.partner_orgs().contains(&org))
            );
            assert_eq!(
                app.projects(&Viewer(None), &all(100)).await.unwrap().total,
                0
            );
            assert_eq!(Viewer(None).scope(), Scope::Public);
            db
        },
    )
    .await;
}
