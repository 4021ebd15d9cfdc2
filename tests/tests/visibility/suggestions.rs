//! Suggestions in both directions, for every role, and the plan-wide assignment.

use crate::cells::{Cells, excerpt, items, parse};
use crate::world::{Listing, Viewer, World};
use qiao_core::Scope;
use qiao_core::access::ListingKind::{Capability, Need};
use qiao_tests::call;
use serde_json::json;
use std::collections::BTreeSet;

/// What each viewer must get from a listing's suggestions.
enum Expect {
    Status(u16),
    /// Staff: live suggestions, each partner passing the check.
    Live(fn(&World, &Listing) -> bool),
    /// The owner: exactly these accepted partners.
    Accepted(BTreeSet<i64>),
}

fn expect(w: &World, v: &Viewer, l: &Listing) -> Expect {
    let sees = w.sees(v, l);
    match v.scope {
        Scope::Public => Expect::Status(401),
        Scope::All if !sees => Expect::Status(404),
        // Only published capabilities of approved organizations are proposed.
        Scope::All if l.kind == Need => Expect::Live(|w, c| w.is_public(c)),
        Scope::All => Expect::Live(|w, n| w.facts(n).visible_to(Scope::All)),
        Scope::Member(org) if org == l.org && sees => Expect::Accepted(
            w.accepted
                .iter()
                .filter_map(|&(n, c)| match l.kind {
                    Need if n == l.id => w.listing(c, Capability),
                    Capability if c == l.id => w.listing(n, Need),
                    _ => None,
                })
                .filter(|p| w.sees(v, p))
                .map(|p| p.id)
                .collect(),
        ),
        Scope::Member(_) if sees => Expect::Status(403),
        Scope::Member(_) => Expect::Status(404),
    }
}

pub async fn suggestions(w: &World, cells: &mut Cells) {
    for l in &w.listings {
        let path = format!("/api/v1/{}/{}/suggestions?limit=50", l.plural(), l.id);
        let (side, partner_kind) = match l.kind {
            Need => ("capability", Capability),
            Capability => ("need", Need),
        };
        for v in &w.viewers {
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            let got: BTreeSet<i64> = items(&parse(&r.body))
                .iter()
                .filter_map(|i| i[side]["id"].as_i64())
                .collect();
            let partners = || got.iter().map(|id| w.listing(*id, partner_kind));
            let (ok, wanted) = match expect(w, v, l) {
                Expect::Status(s) => (r.status == s, format!("{s}")),
                Expect::Live(allowed) => (
                    r.status == 200 && partners().all(|p| p.is_some_and(|p| allowed(w, p))),
                    "200, only partners the rule allows".into(),
                ),
                Expect::Accepted(ids) => (r.status == 200 && got == ids, format!("200 {ids:?}")),
            };
            // Nobody but staff may read a word of a partner hidden from them.
            let leaked: Vec<&str> = w
                .of_kind(partner_kind)
                .filter(|p| v.scope != Scope::All && !w.sees(v, p) && r.body.contains(p.word))
                .map(|p| p.name)
                .collect();
            cells.check(ok && leaked.is_empty(), || {
                let (status, role) = (r.status, w.role(v, l));
                format!(
                    "GET {path} | {} | {} ({role}) | expected {wanted} | got {status}, \
                     {side} ids {got:?}, hidden partners shown {leaked:?}",
                    l.name, v.name
                )
            });
        }
    }
    // Controls: staff are offered the public pair both ways.
    let (need, cap) = (
        w.named("public need").id,
        w.named("published capability").id,
    );
    for (path, side, want) in [
        (
            format!("/api/v1/needs/{need}/suggestions?limit=50"),
            "capability",
            cap,
        ),
        (
            format!("/api/v1/capabilities/{cap}/suggestions?limit=50"),
            "need",
            need,
        ),
    ] {
        let r = call(w.addr, "GET", &path, Some(w.staff()), None).await;
        let found = items(&parse(&r.body)).iter().any(|i| i[side]["id"] == want);
        cells.check(found, || {
            format!(
                "GET {path} | staff | control {want} missing: {}",
                excerpt(&r.body)
            )
        });
    }
}

pub async fn plan(w: &World, cells: &mut Cells) {
    let path = "/api/v1/plans/2026/assignments";
    for v in w.viewers.iter().filter(|v| v.scope != Scope::All) {
        let r = call(w.addr, "POST", path, v.token(), Some(json!({"k": 3}))).await;
        let want = if v.token.is_some() { 403 } else { 401 };
        cells.check(r.status == want, || {
            format!(
                "POST {path} | {} | expected {want} | got {}",
                v.name, r.status
            )
        });
    }
    // Weak pairs too: this cell checks what may be proposed, and whether a
    // pair of the small world's listings is weak depends on index statistics
    // that shift with background segment merges.
    let r = call(
        w.addr,
        "POST",
        path,
        Some(w.staff()),
        Some(json!({"k": 3, "include_weak": true})),
    )
    .await;
    cells.check(r.status == 200, || {
        format!(
            "POST {path} | staff | got {} {}",
            r.status,
            excerpt(&r.body)
        )
    });
    let proposals = parse(&r.body)["proposals"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    cells.check(!proposals.is_empty(), || {
        format!("POST {path} | staff | no proposal at all")
    });
    for p in &proposals {
        let cap = p["capability"]["id"]
            .as_i64()
            .and_then(|id| w.listing(id, Capability));
        let need = p["need"]["id"].as_i64().and_then(|id| w.listing(id, Need));
        // Open needs are published and live; proposed capabilities are public.
        let ok = cap.is_some_and(|c| w.is_public(c))
            && need.is_some_and(|n| !n.deleted && n.status == "published");
        cells.check(ok, || {
            format!(
                "POST {path} | staff | proposal of {:?} for {:?}",
                cap.map(|c| c.name),
                need.map(|n| n.name)
            )
        });
    }
}
