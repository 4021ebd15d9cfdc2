//! Joining an organization over HTTP, on every backend. Registering with an
//! existing organization's name used to make the registrant a full member;
//! now it only files a membership request, which the organization's admin
//! member (once staff approved the organization) or staff decide.

use qiao_bench::percent_encode;
use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{
    PASSWORD, Response, approved_org, call, need_of, registered, review, settle, user_with_token,
};
use serde_json::{Value, json};
use std::net::SocketAddr;

const ORG_A: &str = "甲新能源科技有限公司";
const ORG_B: &str = "乙海工装备有限公司";
const UNIVERSITY: &str = "琴岛理工大学";
const PUBLIC_NEED: &str = "动力电池热管理系统开发";
const SECRET_NEED: &str = "固态电解质保密攻关";
const DRAFT_NEED: &str = "储能电站消防预警草稿";

/// Staff, two approved enterprises and a university, each with a first
/// (admin) member; enterprise A has a public, a staff-only and a draft need.
struct World {
    addr: SocketAddr,
    label: &'static str,
    staff: String,
    admin: String,
    /// The first member, and so the admin member, of A.
    ent_a: String,
    /// The first member of B.
    ent_b: String,
    uni: String,
    org_a: i64,
    org_b: i64,
    org_uni: i64,
    public_need: i64,
    secret_need: i64,
    draft_need: i64,
}

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let org_a = approved_org(addr, &staff, ORG_A, "enterprise", "高新区").await;
    let org_b = approved_org(addr, &staff, ORG_B, "enterprise", "城阳区").await;
    let org_uni = approved_org(addr, &staff, UNIVERSITY, "university", "崂山区").await;
    let ent_a = user_with_token(addr, &admin, "a@example.com", "enterprise", Some(ORG_A)).await;
    let ent_b = user_with_token(addr, &admin, "b@example.com", "enterprise", Some(ORG_B)).await;
    let uni = user_with_token(
        addr,
        &admin,
        "u@example.com",
        "university",
        Some(UNIVERSITY),
    )
    .await;
    let need = |title: &'static str, extra: Value| {
        let mut v = json!({"title": title, "fields": ["new_energy"], "description": "电池储能"});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        need_of(addr, &ent_a, v)
    };
    let public_need = need(PUBLIC_NEED, json!({})).await;
    let secret_need = need(SECRET_NEED, json!({"visibility": "staff_only"})).await;
    let draft_need = need(DRAFT_NEED, json!({"status": "draft"})).await;
    World {
        addr,
        label: db.label,
        staff,
        admin,
        ent_a,
        ent_b,
        uni,
        org_a,
        org_b,
        org_uni,
        public_need,
        secret_need,
        draft_need,
    }
}

impl World {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        call(self.addr, method, path, token, body).await
    }

    async fn get(&self, path: &str, token: &str) -> Response {
        self.call("GET", path, Some(token), None).await
    }

    /// The user as `/auth/me` shows them.
    async fn me(&self, token: &str) -> Value {
        let me = self.get("/api/v1/auth/me", token).await;
        assert_eq!(me.status, 200, "{}", me.body);
        me.json()["user"].clone()
    }

    /// The requests the token's user may list.
    async fn requests(&self, token: &str) -> Vec<Value> {
        let r = self.get("/api/v1/membership-requests", token).await;
        assert_eq!(r.status, 200, "{}: {}", self.label, r.body);
        r.json()["items"].as_array().expect("items").clone()
    }

    /// The one request the token's user filed (as they list it).
    async fn own_request(&self, token: &str) -> Value {
        let mine = self.requests(token).await;
        assert_eq!(mine.len(), 1, "{}: {mine:?}", self.label);
        mine[0].clone()
    }

    async fn decide(&self, token: Option<&str>, request: i64, decision: &str) -> Response {
        let path = format!("/api/v1/membership-requests/{request}/{decision}");
        self.call("POST", &path, token, None).await
    }

    async fn ask(&self, token: &str, org: i64) -> Response {
        let path = format!("/api/v1/organizations/{org}/membership-requests");
        self.call("POST", &path, Some(token), None).await
    }
}

/// Registers a user naming `org` and returns their token and the id of the
/// membership request filed for them.
async fn joiner(w: &World, email: &str, role: &str, org: &str) -> (String, i64) {
    let body = json!({"email": email, "password": PASSWORD, "role": role, "org_name": org});
    let r = w
        .call("POST", "/api/v1/auth/register", None, Some(body))
        .await;
    assert_eq!(r.status, 201, "{email}: {}", r.body);
    assert_eq!(
        r.json()["org_id"],
        Value::Null,
        "{}: naming an existing organization does not make {email} a member",
        w.label
    );
    let token = qiao_tests::login_token(w.addr, email, PASSWORD).await;
    let request = w.own_request(&token).await;
    assert_eq!(request["status"], "pending", "{request}");
    (token, request["id"].as_i64().expect("a request id"))
}

fn titles(r: &Response) -> Vec<String> {
    r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn naming_an_existing_organization_only_asks_to_join() {
    each_backend(
        "membership::naming_an_existing_organization_only_asks_to_join",
        |db| async move {
            let w = world(&db).await;
            let (j, request) = joiner(&w, "j@example.com", "enterprise", ORG_A).await;
            let me = w.me(&j).await;
            assert_eq!(me["org_id"], Value::Null, "{}: {me}", w.label);

            // Nothing hidden of the organization: not by id, not in lists.
            for id in [w.secret_need, w.draft_need] {
                let r = w.get(&format!("/api/v1/needs/{id}"), &j).await;
                assert_eq!(r.status, 404, "{}: need {id}: {}", w.label, r.body);
            }
            let public = w.get(&format!("/api/v1/needs/{}", w.public_need), &j).await;
            assert_eq!(public.status, 200, "{}", public.body);
            for query in [
                "".to_string(),
                "?limit=100".to_string(),
                format!("?org_id={}", w.org_a),
                "?visibility=staff_only".to_string(),
                "?status=draft".to_string(),
            ] {
                let list = w.get(&format!("/api/v1/needs{query}"), &j).await;
                assert_eq!(list.status, 200, "{query}: {}", list.body);
                let seen = titles(&list);
                assert!(
                    !seen.iter().any(|t| t == SECRET_NEED || t == DRAFT_NEED),
                    "{}: /needs{query} shows {seen:?}",
                    w.label
                );
                let total = list.json()["total"].as_u64().unwrap();
                let expected = u64::from(seen.iter().any(|t| t == PUBLIC_NEED));
                assert_eq!(
                    total, expected,
                    "{}: /needs{query} counts hidden needs",
                    w.label
                );
            }
            let staff_only = w.get("/api/v1/needs?visibility=staff_only", &j).await;
            assert_eq!(staff_only.json()["total"], 0, "{}", staff_only.body);

            // Not in search either (staff find it, so the index has it).
            settle(w.addr).await;
            for (words, hidden) in [("固态电解质", SECRET_NEED), ("消防预警", DRAFT_NEED)]
            {
                let path = format!("/api/v1/search?q={}&type=need", percent_encode(words));
                let as_staff = w.get(&path, &w.staff).await;
                assert!(
                    as_staff.body.contains(hidden),
                    "{}: {}",
                    w.label,
                    as_staff.body
                );
                let r = w.get(&path, &j).await;
                assert_eq!(r.status, 200, "{}", r.body);
                assert!(
                    !r.body.contains(hidden),
                    "{}: search shows {hidden}: {}",
                    w.label,
                    r.body
                );
            }
            // Nor in exports.
            for format in ["jsonl", "csv"] {
                let path = format!("/api/v1/export/needs?format={format}");
                let r = w.get(&path, &j).await;
                assert_eq!(r.status, 200, "{}", r.body);
                assert!(r.body.contains(PUBLIC_NEED), "{format}: {}", r.body);
                assert!(
                    !r.body.contains(SECRET_NEED) && !r.body.contains(DRAFT_NEED),
                    "{}: the {format} export shows hidden needs: {}",
                    w.label,
                    r.body
                );
            }

            // No writing for the organization.
            let org = format!("/api/v1/organizations/{}", w.org_a);
            let patch = w
                .call(
                    "PATCH",
                    &org,
                    Some(&j),
                    Some(json!({"description": "我们接管了"})),
                )
                .await;
            assert_eq!(patch.status, 403, "{}: {}", w.label, patch.body);
            let post = w
                .call(
                    "POST",
                    "/api/v1/needs",
                    Some(&j),
                    Some(json!({"title": "冒名需求", "org_name": ORG_A})),
                )
                .await;
            assert_eq!(post.status, 403, "{}: {}", w.label, post.body);
            let bare = w
                .call(
                    "POST",
                    "/api/v1/needs",
                    Some(&j),
                    Some(json!({"title": "冒名需求"})),
                )
                .await;
            assert!(
                (400..500).contains(&bare.status),
                "{}: a user without an organization posted a need: {} {}",
                w.label,
                bare.status,
                bare.body
            );
            let edit = w
                .call(
                    "PATCH",
                    &format!("/api/v1/needs/{}", w.public_need),
                    Some(&j),
                    Some(json!({"title": "改掉"})),
                )
                .await;
            assert_eq!(edit.status, 403, "{}: {}", w.label, edit.body);
            let unchanged = w.get(&org, &w.staff).await.json();
            assert_ne!(unchanged["description"], "我们接管了");

            // The request is there: for the requester, A's admin member and staff; not for B.
            let mine = w.own_request(&j).await;
            assert_eq!(
                (
                    mine["org_id"].as_i64(),
                    mine["user_id"].clone(),
                    mine["status"].clone()
                ),
                (Some(w.org_a), me["id"].clone(), json!("pending")),
                "{mine}"
            );
            for token in [&w.ent_a, &w.staff] {
                let listed = w.requests(token).await;
                assert!(listed.iter().any(|r| r["id"] == request), "{listed:?}");
            }
            let pending = w
                .get("/api/v1/membership-requests?status=pending", &w.staff)
                .await;
            assert!(
                pending.body.contains(&format!("\"id\":{request}")),
                "{}",
                pending.body
            );
            let b_sees = w.requests(&w.ent_b).await;
            assert!(b_sees.iter().all(|r| r["id"] != request), "{b_sees:?}");
            let bad = w.get("/api/v1/membership-requests?status=maybe", &j).await;
            assert_eq!(bad.status, 422, "{}", bad.body);
            let _ = (&w.admin, &w.uni, w.org_b, w.org_uni);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn admin_members_and_staff_approve_and_refuse() {
    each_backend(
        "membership::admin_members_and_staff_approve_and_refuse",
        |db| async move {
            let w = world(&db).await;
            // A founder registers a new organization: pending, and the founder its admin member.
            let founder = registered(
                w.addr,
                "founder@example.com",
                "enterprise",
                "丁智能装备有限公司",
            )
            .await;
            let org_f = w.me(&founder).await["org_id"]
                .as_i64()
                .expect("the founder's organization");
            let (j1, r1) = joiner(&w, "j1@example.com", "enterprise", "丁智能装备有限公司").await;
            let (j2, r2) = joiner(&w, "j2@example.com", "enterprise", "丁智能装备有限公司").await;
            let listed = w.requests(&founder).await;
            for r in [r1, r2] {
                assert!(
                    listed.iter().any(|x| x["id"] == r),
                    "{}: {listed:?}",
                    w.label
                );
            }
            // Not before staff approved the organization.
            for decision in ["approve", "refuse"] {
                let early = w.decide(Some(&founder), r1, decision).await;
                assert_eq!(early.status, 403, "{}: {decision}: {}", w.label, early.body);
            }
            assert_eq!(w.me(&j1).await["org_id"], Value::Null);
            review(w.addr, &w.staff, org_f, "approved").await;

            // The founder decides: one in, one out, each once.
            let yes = w.decide(Some(&founder), r1, "approve").await;
            assert_eq!(yes.status, 200, "{}: {}", w.label, yes.body);
            assert_eq!(yes.json()["status"], "approved");
            let no = w.decide(Some(&founder), r2, "refuse").await;
            assert_eq!(no.status, 200, "{}: {}", w.label, no.body);
            assert_eq!(no.json()["status"], "refused");
            for (r, decision) in [
                (r1, "approve"),
                (r1, "refuse"),
                (r2, "refuse"),
                (r2, "approve"),
            ] {
                let twice = w.decide(Some(&founder), r, decision).await;
                assert_eq!(
                    twice.status, 409,
                    "{}: {decision} {r} again: {}",
                    w.label, twice.body
                );
            }
            assert_eq!(w.me(&j1).await["org_id"].as_i64(), Some(org_f));
            assert_eq!(w.me(&j2).await["org_id"], Value::Null);
            assert_eq!(w.own_request(&j2).await["status"], "refused");
            assert_eq!(w.own_request(&j1).await["status"], "approved");

            // The new member sees the organization's staff-only need; the refused user does not.
            let secret = need_of(
                w.addr,
                &founder,
                json!({"title": "丁公司保密攻关", "visibility": "staff_only"}),
            )
            .await;
            let path = format!("/api/v1/needs/{secret}");
            assert_eq!(w.get(&path, &j1).await.status, 200, "{}", w.label);
            assert_eq!(w.get(&path, &j2).await.status, 404, "{}", w.label);
            let j1_list = w.get("/api/v1/needs?visibility=staff_only", &j1).await;
            assert_eq!(titles(&j1_list), vec!["丁公司保密攻关"], "{}", j1_list.body);
            let j2_list = w.get("/api/v1/needs?visibility=staff_only", &j2).await;
            assert_eq!(j2_list.json()["total"], 0, "{}", j2_list.body);
            // And writes for it.
            let posted = w
                .call(
                    "POST",
                    "/api/v1/needs",
                    Some(&j1),
                    Some(json!({"title": "丁公司新需求"})),
                )
                .await;
            assert_eq!(posted.status, 201, "{}: {}", w.label, posted.body);

            // Staff decide requests to an organization too: one in, one out, each once.
            let (j3, r3) = joiner(&w, "j3@example.com", "enterprise", ORG_A).await;
            let (j4, r4) = joiner(&w, "j4@example.com", "enterprise", ORG_A).await;
            let yes = w.decide(Some(&w.staff), r3, "approve").await;
            assert_eq!(yes.status, 200, "{}: {}", w.label, yes.body);
            assert_eq!(yes.json()["status"], "approved");
            let no = w.decide(Some(&w.staff), r4, "refuse").await;
            assert_eq!(no.status, 200, "{}: {}", w.label, no.body);
            assert_eq!(no.json()["status"], "refused");
            for (r, decision) in [(r3, "approve"), (r4, "refuse"), (r4, "approve")] {
                let twice = w.decide(Some(&w.staff), r, decision).await;
                assert_eq!(
                    twice.status, 409,
                    "{}: {decision} {r} again: {}",
                    w.label, twice.body
                );
            }
            assert_eq!(w.me(&j3).await["org_id"].as_i64(), Some(w.org_a));
            assert_eq!(w.me(&j4).await["org_id"], Value::Null);
            let secret_a = format!("/api/v1/needs/{}", w.secret_need);
            assert_eq!(w.get(&secret_a, &j3).await.status, 200, "{}", w.label);
            assert_eq!(w.get(&secret_a, &j4).await.status, 404, "{}", w.label);
            let draft_a = format!("/api/v1/needs/{}", w.draft_need);
            assert_eq!(w.get(&draft_a, &j3).await.status, 200, "{}", w.label);
            assert_eq!(w.get(&draft_a, &j4).await.status, 404, "{}", w.label);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn only_the_admin_member_of_an_approved_organization_decides() {
    each_backend(
        "membership::only_the_admin_member_of_an_approved_organization_decides",
        |db| async move {
            let w = world(&db).await;
            // A second member of A, added by the operator: a plain member.
            let plain = user_with_token(
                w.addr,
                &w.admin,
                "a2@example.com",
                "enterprise",
                Some(ORG_A),
            )
            .await;
            assert_eq!(w.me(&plain).await["org_id"].as_i64(), Some(w.org_a));
            let (j, request) = joiner(&w, "j@example.com", "enterprise", ORG_A).await;
            let outsiders = [
                ("a plain member", plain.as_str()),
                ("another organization's admin member", w.ent_b.as_str()),
                ("a university member", w.uni.as_str()),
                ("the requester", j.as_str()),
            ];
            for (who, token) in outsiders {
                for decision in ["approve", "refuse"] {
                    let r = w.decide(Some(token), request, decision).await;
                    assert!(
                        matches!(r.status, 403 | 404),
                        "{}: {who} could {decision}: {} {}",
                        w.label,
                        r.status,
                        r.body
                    );
                }
            }
            for decision in ["approve", "refuse"] {
                assert_eq!(w.decide(None, request, decision).await.status, 401);
            }
            // A plain member lists only their own requests (none).
            let plain_sees = w.requests(&plain).await;
            assert!(plain_sees.is_empty(), "{}: {plain_sees:?}", w.label);
            assert_eq!(
                w.own_request(&j).await["status"],
                "pending",
                "nobody above decided"
            );
            assert_eq!(w.me(&j).await["org_id"], Value::Null);

            // The admin member of a still-pending organization decides nothing.
            let founder =
                registered(w.addr, "founder@example.com", "enterprise", "戊待审公司").await;
            let (pj, pending_request) =
                joiner(&w, "pj@example.com", "enterprise", "戊待审公司").await;
            for decision in ["approve", "refuse"] {
                let r = w.decide(Some(&founder), pending_request, decision).await;
                assert_eq!(r.status, 403, "{}: {decision}: {}", w.label, r.body);
                // Nor someone else's request.
                let r = w.decide(Some(&founder), request, decision).await;
                assert!(
                    matches!(r.status, 403 | 404),
                    "{}: {} {}",
                    w.label,
                    r.status,
                    r.body
                );
            }
            assert_eq!(w.own_request(&pj).await["status"], "pending");
            assert_eq!(w.me(&pj).await["org_id"], Value::Null);

            // A's admin member does decide.
            let yes = w.decide(Some(&w.ent_a), request, "approve").await;
            assert_eq!(yes.status, 200, "{}: {}", w.label, yes.body);
            assert_eq!(w.me(&j).await["org_id"].as_i64(), Some(w.org_a));
            // Being approved does not make one an admin member.
            let (_, another) = joiner(&w, "k@example.com", "enterprise", ORG_A).await;
            let r = w.decide(Some(&j), another, "approve").await;
            assert!(
                matches!(r.status, 403 | 404),
                "{}: {} {}",
                w.label,
                r.status,
                r.body
            );
            let missing = w.decide(Some(&w.staff), 999_999, "approve").await;
            assert_eq!(missing.status, 404, "{}", missing.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn who_may_ask_to_join() {
    each_backend("membership::who_may_ask_to_join", |db| async move {
        let w = world(&db).await;
        // A university user without an organization (their request is pending).
        let (u2, u2_request) = joiner(&w, "u2@example.com", "university", UNIVERSITY).await;
        let r = w.ask(&u2, w.org_a).await;
        assert_eq!(
            r.status, 422,
            "{}: a university user asks to join an enterprise: {}",
            w.label, r.body
        );
        // Also once the first request is refused and nothing is pending.
        let no = w.decide(Some(&w.staff), u2_request, "refuse").await;
        assert_eq!(no.status, 200, "{}", no.body);
        let r = w.ask(&u2, w.org_b).await;
        assert_eq!(r.status, 422, "{}: {}", w.label, r.body);
        // Asking one's own kind works, once at a time.
        let again = w.ask(&u2, w.org_uni).await;
        assert_eq!(again.status, 201, "{}: {}", w.label, again.body);
        assert_eq!(again.json()["status"], "pending");
        let twice = w.ask(&u2, w.org_uni).await;
        assert_eq!(twice.status, 409, "{}: {}", w.label, twice.body);

        // Members of an organization ask nothing more.
        for (token, org) in [
            (&w.ent_a, w.org_b),
            (&w.ent_a, w.org_a),
            (&w.uni, w.org_uni),
        ] {
            let r = w.ask(token, org).await;
            assert_eq!(
                r.status, 409,
                "{}: a member asks to join {org}: {}",
                w.label, r.body
            );
        }
        let (j, request) = joiner(&w, "j@example.com", "enterprise", ORG_A).await;
        let yes = w.decide(Some(&w.ent_a), request, "approve").await;
        assert_eq!(yes.status, 200, "{}", yes.body);
        let r = w.ask(&j, w.org_b).await;
        assert_eq!(
            r.status, 409,
            "{}: an approved member asks again: {}",
            w.label, r.body
        );
        // Staff belong to no organization and ask for none.
        let r = w.ask(&w.staff, w.org_a).await;
        assert_eq!(r.status, 403, "{}: {}", w.label, r.body);
        let r = w.ask(&u2, 999_999).await;
        assert!(matches!(r.status, 404 | 409), "{}: {}", w.label, r.body);
        db
    })
    .await;
}
