//! One platform holding a listing of every hidden kind, the public
//! controls, and a viewer of every role, all made over HTTP.

use crate::world::{COMMON, Listing, Org, Viewer, World, plural};
use qiao_core::Scope;
use qiao_core::access::ListingKind::{self, Capability, Need};
use qiao_store::testkit::TestDb;
use qiao_tests::{
    approved_org, call, capability_of, need_of, org_of, registered, review, serve, settle,
    user_with_token,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;

// The viewers, by index.
const A: usize = 1;
const U: usize = 3;
const P: usize = 4;
const R: usize = 5;
const PU: usize = 6;

/// Each listing: what it is, its word, its owner and fields beyond the defaults.
const LISTINGS: [(&str, ListingKind, &str, usize, &str); 9] = [
    ("public need", Need, "琥珀", A, "{}"),
    (
        "staff-only need",
        Need,
        "翡翠",
        A,
        r#"{"visibility": "staff_only"}"#,
    ),
    ("draft need", Need, "玛瑙", A, r#"{"status": "draft"}"#),
    ("deleted need", Need, "珊瑚", A, "{}"),
    ("need of a pending organization", Need, "麒麟", P, "{}"),
    ("need of a rejected organization", Need, "凤凰", R, "{}"),
    ("published capability", Capability, "鲲鹏", U, "{}"),
    (
        "capability of a pending organization",
        Capability,
        "玄武",
        PU,
        "{}",
    ),
    (
        "draft capability",
        Capability,
        "朱雀",
        U,
        r#"{"status": "draft"}"#,
    ),
];

/// Import-format fields of a listing; all of them match each other.
fn fields(kind: ListingKind, word: &str, extra: &str) -> Value {
    let mut v = match kind {
        Need => json!({
            "title": format!("{word}{COMMON}标定需求"),
            "description": format!("{word}项目：MEMS{COMMON}温度漂移补偿与批量标定，标定精度优于0.1%。"),
            "keywords": [COMMON, "标定"],
        }),
        Capability => json!({
            "title": format!("{word}{COMMON}标定技术"),
            "description": format!("{word}团队：MEMS{COMMON}温度漂移补偿算法与自动化批量标定平台。"),
            "keywords": [COMMON, "标定", "温度补偿"], "trl": 6, "capacity": 9,
        }),
    };
    v["fields"] = json!(["electronic_information"]);
    v["cooperation_modes"] = json!(["joint_development"]);
    let extra: serde_json::Map<String, Value> = serde_json::from_str(extra).unwrap();
    v.as_object_mut().unwrap().extend(extra);
    v
}

pub async fn build(db: &TestDb) -> World {
    let server = serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let viewers = viewers(addr, &admin).await;
    let mut listings = Vec::new();
    for (name, kind, word, owner, extra) in LISTINGS {
        let f = fields(kind, word, extra);
        let token = viewers[owner].token().unwrap();
        let id = match kind {
            Need => need_of(addr, token, f.clone()).await,
            Capability => capability_of(addr, token, f.clone()).await,
        };
        listings.push(Listing {
            name,
            kind,
            id,
            word,
            title: f["title"].as_str().unwrap().to_string(),
            org: viewers[owner].org().unwrap(),
            status: if f["status"] == "draft" {
                "draft"
            } else {
                "published"
            },
            visibility: if f["visibility"] == "staff_only" {
                "staff_only"
            } else {
                "public"
            },
            deleted: false,
        });
    }
    settle(addr).await;
    let mut w = World {
        addr,
        label: db.label,
        viewers,
        listings,
        orgs: HashMap::new(),
        accepted: Vec::new(),
    };
    accept_pairs(&mut w).await;
    hide_two(&mut w).await;
    settle(addr).await;
    w.orgs = orgs(&w).await;
    w
}

/// Anonymous, members of three approved and three self-registered
/// organizations (they wait for review), and staff.
async fn viewers(addr: SocketAddr, admin: &str) -> Vec<Viewer> {
    let staff = user_with_token(addr, admin, "staff@example.com", "staff", None).await;
    for (name, kind) in [
        ("甲智能科技有限公司", "enterprise"),
        ("乙精密仪器有限公司", "enterprise"),
        ("琴岛理工大学", "university"),
    ] {
        approved_org(addr, &staff, name, kind, "高新区").await;
    }
    let member = |email, role, org| user_with_token(addr, admin, email, role, Some(org));
    let members = [
        (
            "a@ (甲)",
            member("a@example.com", "enterprise", "甲智能科技有限公司").await,
        ),
        (
            "b@ (乙)",
            member("b@example.com", "enterprise", "乙精密仪器有限公司").await,
        ),
        (
            "u@ (琴岛)",
            member("u@example.com", "university", "琴岛理工大学").await,
        ),
        (
            "p@ (丙, pending)",
            registered(addr, "p@example.com", "enterprise", "丙新注册科技有限公司").await,
        ),
        (
            "r@ (丁, rejected)",
            registered(addr, "r@example.com", "enterprise", "丁待驳回科技有限公司").await,
        ),
        (
            "pu@ (戊, pending)",
            registered(addr, "pu@example.com", "university", "戊新注册研究院").await,
        ),
    ];
    let mut viewers = vec![Viewer {
        name: "anonymous",
        token: None,
        scope: Scope::Public,
    }];
    for (name, token) in members {
        let scope = Scope::Member(org_of(addr, &token).await);
        viewers.push(Viewer {
            name,
            token: Some(token),
            scope,
        });
    }
    viewers.push(Viewer {
        name: "staff",
        token: Some(staff),
        scope: Scope::All,
    });
    viewers
}

/// Staff accept pairs while every listing is live, so that the owners'
/// views have something to leak once some of them are hidden.
async fn accept_pairs(w: &mut World) {
    let cap = w.named("published capability").id;
    let needs: Vec<i64> = w.of_kind(Need).map(|l| l.id).collect();
    for need in needs {
        accept(w, Need, need, cap).await;
        w.accepted.push((need, cap));
    }
    let need = w.named("public need").id;
    for hidden in ["capability of a pending organization", "draft capability"] {
        let cap = w.named(hidden).id;
        accept(w, Capability, cap, need).await;
        w.accepted.push((need, cap));
    }
}

/// Staff accept the live suggestion pairing `id` with `partner`.
async fn accept(w: &World, kind: ListingKind, id: i64, partner: i64) {
    let path = format!("/api/v1/{}/{id}/suggestions?limit=50", plural(kind));
    let list = call(w.addr, "GET", &path, Some(w.staff()), None).await;
    assert_eq!(list.status, 200, "{path}: {}", list.body);
    let side = if kind == Need { "capability" } else { "need" };
    let items = list.json()["items"].as_array().unwrap().clone();
    let item = items
        .iter()
        .find(|i| i[side]["id"] == partner)
        .unwrap_or_else(|| panic!("{path}: {partner} is not suggested: {}", list.body));
    let path = format!("/api/v1/suggestions/{}/accept", item["id"]);
    let r = call(w.addr, "POST", &path, Some(w.staff()), Some(json!({}))).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
}

/// The owner deletes one need; staff reject one organization.
async fn hide_two(w: &mut World) {
    let id = w.named("deleted need").id;
    let path = format!("/api/v1/needs/{id}");
    let del = call(w.addr, "DELETE", &path, w.viewers[A].token(), None).await;
    assert_eq!(del.status, 204, "{}", del.body);
    w.listings
        .iter_mut()
        .find(|l| l.id == id && l.kind == Need)
        .unwrap()
        .deleted = true;
    review(w.addr, w.staff(), w.viewers[R].org().unwrap(), "rejected").await;
}

/// Every organization's review status and kind, as staff read them.
async fn orgs(w: &World) -> HashMap<i64, Org> {
    let mut orgs = HashMap::new();
    for v in &w.viewers {
        let Some(org) = v.org() else { continue };
        let path = format!("/api/v1/organizations/{org}");
        let o = call(w.addr, "GET", &path, Some(w.staff()), None).await;
        assert_eq!(o.status, 200, "{}", o.body);
        let o = o.json();
        let review = ["approved", "pending", "rejected"]
            .into_iter()
            .find(|r| o["review_status"] == *r)
            .unwrap_or_else(|| panic!("{o}"));
        let kind = o["kind"].as_str().unwrap().to_string();
        orgs.insert(org, Org { review, kind });
    }
    for (i, review) in [
        (A, "approved"),
        (P, "pending"),
        (R, "rejected"),
        (PU, "pending"),
    ] {
        assert_eq!(
            orgs[&w.viewers[i].org().unwrap()].review,
            review,
            "{}",
            w.viewers[i].name
        );
    }
    orgs
}
