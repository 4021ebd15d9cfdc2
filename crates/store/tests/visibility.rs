//! The store's SQL filter agrees with the one visibility rule of
//! `qiao_core::access` on every combination of the facts it reads: listing
//! status, need visibility, deletion, the organization's review state and its
//! deletion, for anonymous users, members of each organization and staff.
//! By id, in lists with their totals, and in the overview counters.

use qiao_core::access::{ListingFacts, ListingKind};
use qiao_core::record::{CapabilityRecord, ExternalId, NeedRecord, OrganizationRecord};
use qiao_core::stored::ListQuery;
use qiao_core::vocab::{CapabilityStatus, NeedStatus, ReviewStatus, Visibility, Vocabulary};
use qiao_core::{Actor, Scope};
use qiao_store::Store;
use qiao_store::testkit::each_backend;
use serde_json::json;
use std::collections::BTreeSet;

struct Org {
    id: i64,
    review: &'static str,
    deleted: bool,
}

struct Listing {
    id: i64,
    org: usize,
    status: &'static str,
    visibility: &'static str,
    deleted: bool,
}

impl Listing {
    fn facts<'a>(&'a self, kind: ListingKind, orgs: &'a [Org]) -> ListingFacts<'a> {
        let org = &orgs[self.org];
        ListingFacts {
            kind,
            org_id: org.id,
            status: self.status,
            visibility: self.visibility,
            deleted: self.deleted,
            org_review: org.review,
            org_deleted: org.deleted,
        }
    }
}

async fn organizations(store: &Store, actor: &Actor) -> Vec<Org> {
    let mut orgs = Vec::new();
    for (i, review) in ReviewStatus::ALL.iter().enumerate() {
        for deleted in [false, true] {
            let name = format!("机构{i}{}", if deleted { "已删" } else { "" });
            let kind = if orgs.len() % 2 == 0 {
                "enterprise"
            } else {
                "university"
            };
            let v = json!({"name": name, "kind": kind});
            let r =
                OrganizationRecord::from_map(v.as_object().unwrap(), ExternalId::Optional).unwrap();
            let id = store
                .create_organization(&r, *review, actor)
                .await
                .unwrap()
                .id;
            orgs.push(Org {
                id,
                review: review.code(),
                deleted,
            });
        }
    }
    orgs
}

async fn needs(store: &Store, orgs: &[Org], actor: &Actor) -> Vec<Listing> {
    let mut out = Vec::new();
    for (o, org) in orgs.iter().enumerate() {
        for status in NeedStatus::ALL {
            for visibility in Visibility::ALL {
                for deleted in [false, true] {
                    let v = json!({"org_name": format!("o{o}"), "title": "锂电池隔膜",
                        "status": status.code(), "visibility": visibility.code()});
                    let r =
                        NeedRecord::from_map(v.as_object().unwrap(), ExternalId::Optional).unwrap();
                    let id = store.create_need(&r, org.id, actor).await.unwrap().id;
                    if deleted {
                        store.delete_need(id, actor).await.unwrap();
                    }
                    out.push(Listing {
                        id,
                        org: o,
                        status: status.code(),
                        visibility: visibility.code(),
                        deleted,
                    });
                }
            }
        }
    }
    out
}

async fn capabilities(store: &Store, orgs: &[Org], actor: &Actor) -> Vec<Listing> {
    let mut out = Vec::new();
    for (o, org) in orgs.iter().enumerate() {
        for status in CapabilityStatus::ALL {
            for deleted in [false, true] {
                let v = json!({"org_name": format!("o{o}"), "title": "固态电解质",
                    "kind": "achievement", "status": status.code()});
                let r = CapabilityRecord::from_map(v.as_object().unwrap(), ExternalId::Optional)
                    .unwrap();
                let id = store.create_capability(&r, org.id, actor).await.unwrap().id;
                if deleted {
                    store.delete_capability(id, actor).await.unwrap();
                }
                out.push(Listing {
                    id,
                    org: o,
                    status: status.code(),
                    visibility: "",
                    deleted,
                });
            }
        }
    }
    out
}

fn all_rows() -> ListQuery {
    ListQuery {
        limit: 1000,
        ..Default::default()
    }
}

#[tokio::test]
async fn sql_filter_agrees_with_the_rule_on_every_combination() {
    each_backend(
        "sql_filter_agrees_with_the_rule_on_every_combination",
        |db| async move {
            let store = &db.store;
            let actor = Actor::system("t");
            let orgs = organizations(store, &actor).await;
            let needs = needs(store, &orgs, &actor).await;
            let caps = capabilities(store, &orgs, &actor).await;
            // Organizations are deleted last: their listings keep their own state.
            for org in orgs.iter().filter(|o| o.deleted) {
                store.delete_organization(org.id, &actor).await.unwrap();
            }
            let mut scopes = vec![Scope::Public, Scope::All];
            scopes.extend(orgs.iter().map(|o| Scope::Member(o.id)));
            for scope in scopes {
                let expect = |rows: &[Listing], kind| -> BTreeSet<i64> {
                    rows.iter()
                        .filter(|l| l.facts(kind, &orgs).visible_to(scope))
                        .map(|l| l.id)
                        .collect()
                };
                let want_needs = expect(&needs, ListingKind::Need);
                let page = store.list_needs(scope, &all_rows()).await.unwrap();
                let got: BTreeSet<i64> = page.items.iter().map(|s| s.id).collect();
                assert_eq!(got, want_needs, "needs listed for {scope:?}");
                assert_eq!(
                    page.total as usize,
                    want_needs.len(),
                    "need total for {scope:?}"
                );
                for n in &needs {
                    let by_id = store.get_need(n.id, scope).await.unwrap().is_some();
                    assert_eq!(
                        by_id,
                        want_needs.contains(&n.id),
                        "need {} by id for {scope:?}",
                        n.id
                    );
                }
                let want_caps = expect(&caps, ListingKind::Capability);
                let page = store.list_capabilities(scope, &all_rows()).await.unwrap();
                let got: BTreeSet<i64> = page.items.iter().map(|s| s.id).collect();
                assert_eq!(got, want_caps, "capabilities listed for {scope:?}");
                assert_eq!(page.total as usize, want_caps.len());
                for c in &caps {
                    let by_id = store.get_capability(c.id, scope).await.unwrap().is_some();
                    assert_eq!(
                        by_id,
                        want_caps.contains(&c.id),
                        "capability {} for {scope:?}",
                        c.id
                    );
                }
                let overview = store.overview(scope).await.unwrap();
                assert_eq!(
                    overview.needs as usize,
                    want_needs.len(),
                    "need counter for {scope:?}"
                );
                assert_eq!(overview.capabilities as usize, want_caps.len());
                let recent = store.recent_needs(scope, 1000).await.unwrap();
                for (n, _) in &recent {
                    assert!(
                        want_needs.contains(&n.id),
                        "recent need {} for {scope:?}",
                        n.id
                    );
                    assert_eq!(n.status, NeedStatus::Published.code());
                }
            }
            db
        },
    )
    .await;
}
