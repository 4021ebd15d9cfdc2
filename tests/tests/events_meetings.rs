//! 1:1 meetings at an event over HTTP, on every backend: participants ask
//! and answer, staff propose from match suggestions, the scheduler places
//! the accepted meetings (and keeps published ones on re-runs), and each
//! side records what came of its meeting while staff follow up.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{Response, approved_org, call, capability_of, need_of, settle, user_with_token};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;

const ENT_A: &str = "甲新能源科技有限公司";
const ENT_B: &str = "乙海工装备有限公司";
const ENT_C: &str = "丙智能制造有限公司";
const UNIVERSITY: &str = "琴岛理工大学";
const INSTITUTE: &str = "海洋能源研究所";
const OUTSIDER: &str = "丁生物医药有限公司";
const NEED_TITLE: &str = "动力电池热管理系统开发";

/// Staff, three enterprises, a university and an institute that take part,
/// and an enterprise that does not; each organization with one member.
struct World {
    addr: SocketAddr,
    label: &'static str,
    staff: String,
    ent_a: String,
    ent_b: String,
    ent_c: String,
    uni: String,
    inst: String,
    outsider: String,
    org_a: i64,
    org_b: i64,
    org_c: i64,
    org_uni: i64,
    org_inst: i64,
    need_a: i64,
    cap_uni: i64,
    cap_inst: i64,
    need_outsider: i64,
}

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let org_a = approved_org(addr, &staff, ENT_A, "enterprise", "高新区").await;
    let org_b = approved_org(addr, &staff, ENT_B, "enterprise", "城阳区").await;
    let org_c = approved_org(addr, &staff, ENT_C, "enterprise", "黄岛区").await;
    let org_uni = approved_org(addr, &staff, UNIVERSITY, "university", "崂山区").await;
    let org_inst = approved_org(addr, &staff, INSTITUTE, "research_institute", "崂山区").await;
    approved_org(addr, &staff, OUTSIDER, "enterprise", "市南区").await;
    let member = |email: &'static str, role: &'static str, org: &'static str| {
        user_with_token(addr, &admin, email, role, Some(org))
    };
    let ent_a = member("a@example.com", "enterprise", ENT_A).await;
    let ent_b = member("b@example.com", "enterprise", ENT_B).await;
    let ent_c = member("c@example.com", "enterprise", ENT_C).await;
    let uni = member("u@example.com", "university", UNIVERSITY).await;
    let inst = member("i@example.com", "university", INSTITUTE).await;
    let outsider = member("o@example.com", "enterprise", OUTSIDER).await;
    let need_a = need_of(
        addr,
        &ent_a,
        json!({"title": NEED_TITLE, "fields": ["new_energy"],
            "keywords": ["动力电池", "热管理", "液冷"],
            "description": "针对动力电池包热失控风险，开发液冷热管理系统，提升电池包温度均匀性。"}),
    )
    .await;
    let cap_uni = capability_of(
        addr,
        &uni,
        json!({"title": "动力电池液冷热管理技术", "fields": ["new_energy"],
            "keywords": ["动力电池", "热管理", "液冷"],
            "description": "团队长期从事动力电池热管理与液冷系统研究，可开展电池包温度均匀性优化。"}),
    )
    .await;
    let cap_inst = capability_of(
        addr,
        &inst,
        json!({"title": "电池热管理仿真平台", "fields": ["new_energy"],
            "keywords": ["动力电池", "热管理", "仿真"],
            "description": "动力电池热管理仿真与热失控预警，液冷方案设计。"}),
    )
    .await;
    let need_outsider = need_of(
        addr,
        &outsider,
        json!({"title": "抗体药物中试工艺", "fields": ["biomedicine"]}),
    )
    .await;
    World {
        addr,
        label: db.label,
        staff,
        ent_a,
        ent_b,
        ent_c,
        uni,
        inst,
        outsider,
        org_a,
        org_b,
        org_c,
        org_uni,
        org_inst,
        need_a,
        cap_uni,
        cap_inst,
        need_outsider,
    }
}

/// An instant of the event day (2027-05-20, UTC).
fn at(hour: u32, minute: u32) -> String {
    format!("2027-05-20T{hour:02}:{minute:02}:00Z")
}

fn window(from: (u32, u32), to: (u32, u32)) -> Value {
    json!({"start": at(from.0, from.1), "end": at(to.0, to.1)})
}

fn items(r: &Response) -> Vec<Value> {
    r.json()["items"].as_array().expect("items").clone()
}

fn ids(list: &[Value]) -> BTreeSet<i64> {
    list.iter().map(|v| v["id"].as_i64().expect("id")).collect()
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

    async fn ok(&self, method: &str, path: &str, token: &str, body: Option<Value>) -> Value {
        let r = self.call(method, path, Some(token), body).await;
        assert_eq!(r.status, 200, "{}: {method} {path}: {}", self.label, r.body);
        r.json()
    }

    /// An event open for registration, with 30-minute slots in `hours`.
    async fn event(&self, name: &str, tables: i64, hours: Value) -> i64 {
        let body = json!({
            "name": name, "kind": "thematic", "status": "registration_open", "published": true,
            "starts_at": at(1, 0), "ends_at": at(9, 0), "venue": "国际会展中心",
            "slot_minutes": 30, "tables": tables, "spare_share": 0, "meeting_hours": hours,
        });
        let r = self
            .call("POST", "/api/v1/events", Some(&self.staff), Some(body))
            .await;
        assert_eq!(r.status, 201, "{}: {}", self.label, r.body);
        r.json()["id"].as_i64().expect("event id")
    }

    /// A member registers its organization and staff confirm it.
    async fn participant(&self, event: i64, token: &str, extra: Value) -> i64 {
        let mut body = json!({"attendees": [{"name": "张工", "phone": "13800000001"}], "wants_meetings": true});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let path = format!("/api/v1/events/{event}/registrations");
        let r = self.call("POST", &path, Some(token), Some(body)).await;
        assert_eq!(r.status, 201, "{}: {}", self.label, r.body);
        let rid = r.json()["id"].as_i64().expect("registration id");
        let path = format!("/api/v1/events/{event}/registrations/{rid}");
        self.ok(
            "PATCH",
            &path,
            &self.staff,
            Some(json!({"status": "confirmed"})),
        )
        .await;
        rid
    }

    async fn ask(&self, event: i64, token: &str, to: i64, extra: Value) -> Response {
        let mut body = json!({"to_registration": to, "reason": "希望交流液冷热管理合作"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let path = format!("/api/v1/events/{event}/meeting-requests");
        self.call("POST", &path, Some(token), Some(body)).await
    }

    async fn answer(&self, request: i64, verb: &str, token: &str, body: Option<Value>) -> Response {
        let path = format!("/api/v1/meeting-requests/{request}/{verb}");
        self.call("POST", &path, Some(token), body).await
    }

    /// One side asks, the other accepts; returns the request id.
    async fn accepted(&self, event: i64, from: &str, to_reg: i64, to: &str) -> i64 {
        let r = self.ask(event, from, to_reg, json!({})).await;
        assert_eq!(r.status, 201, "{}: {}", self.label, r.body);
        let id = r.json()["id"].as_i64().expect("request id");
        let a = self.answer(id, "accept", to, None).await;
        assert_eq!(a.status, 200, "{}: {}", self.label, a.body);
        id
    }

    async fn requests(&self, event: i64, token: &str, query: &str) -> Vec<Value> {
        let path = format!("/api/v1/events/{event}/meeting-requests?limit=100{query}");
        let r = self.call("GET", &path, Some(token), None).await;
        assert_eq!(r.status, 200, "{}: {}", self.label, r.body);
        items(&r)
    }

    async fn meetings(&self, event: i64, token: Option<&str>) -> Vec<Value> {
        let path = format!("/api/v1/events/{event}/meetings?limit=100");
        let r = self.call("GET", &path, token, None).await;
        assert_eq!(r.status, 200, "{}: {}", self.label, r.body);
        items(&r)
    }

    async fn schedule(&self, event: i64, mode: &str) -> Value {
        let path = format!("/api/v1/events/{event}/schedule");
        self.ok("POST", &path, &self.staff, Some(json!({"mode": mode})))
            .await
    }

    async fn publish(&self, event: i64) -> u64 {
        let path = format!("/api/v1/events/{event}/schedule/publish");
        self.ok("POST", &path, &self.staff, None).await["published"]
            .as_u64()
            .expect("count")
    }

    async fn patch_event(&self, event: i64, body: Value) {
        let path = format!("/api/v1/events/{event}");
        self.ok("PATCH", &path, &self.staff, Some(body)).await;
    }
}

#[tokio::test]
async fn requests_are_asked_and_answered_by_the_right_sides() {
    each_backend(
        "events_meetings::requests_are_asked_and_answered_by_the_right_sides",
        |db| async move {
            let w = world(&db).await;
            let l = w.label;
            let ev = w.event("新能源专题对接会", 4, json!([])).await;
            let a = w.participant(ev, &w.ent_a, json!({})).await;
            w.participant(ev, &w.ent_b, json!({})).await;
            let u = w.participant(ev, &w.uni, json!({})).await;
            let i = w.participant(ev, &w.inst, json!({})).await;

            // A asks the university about its need and the university's capability.
            let r = w
                .ask(
                    ev,
                    &w.ent_a,
                    u,
                    json!({"need_id": w.need_a, "capability_id": w.cap_uni, "priority": 5}),
                )
                .await;
            assert_eq!(r.status, 201, "{l}: {}", r.body);
            let req = r.json();
            let req_id = req["id"].as_i64().unwrap();
            assert_eq!(req["status"], "pending", "{l}");
            assert_eq!(req["origin"], "participant", "{l}");
            assert_eq!(req["tier"], "accepted", "{l}");
            assert_eq!(req["from_org_id"], w.org_a, "{l}");
            assert_eq!(req["to_org_id"], w.org_uni, "{l}");
            assert_eq!(req["weight"], 1.0, "{l}");

            // One open request per ordered pair; not to oneself; bounded fields.
            let again = w.ask(ev, &w.ent_a, u, json!({})).await;
            assert_eq!(again.status, 409, "{l}: {}", again.body);
            let me = w.ask(ev, &w.ent_a, a, json!({})).await;
            assert_eq!(me.status, 422, "{l}: {}", me.body);
            for bad in [
                json!({"priority": 6}),
                json!({"reason": "  "}),
                json!({"reason": "长".repeat(501)}),
                json!({"need_id": w.need_outsider}),
                json!({"capability_id": w.cap_inst}),
            ] {
                let r = w.ask(ev, &w.ent_b, u, bad.clone()).await;
                assert_eq!(r.status, 422, "{l}: {bad}: {}", r.body);
            }
            // Only members of a confirmed participant ask, and staff propose instead.
            let outsider = w.ask(ev, &w.outsider, u, json!({})).await;
            assert_eq!(outsider.status, 403, "{l}: {}", outsider.body);
            let staff = w.ask(ev, &w.staff, u, json!({})).await;
            assert_eq!(staff.status, 403, "{l}: {}", staff.body);

            // Who sees it: the two sides and staff.
            for (token, sees) in [
                (&w.ent_a, true),
                (&w.uni, true),
                (&w.staff, true),
                (&w.ent_b, false),
                (&w.outsider, false),
            ] {
                let listed = w.requests(ev, token, "").await;
                assert_eq!(ids(&listed).contains(&req_id), sees, "{l}: {listed:?}");
            }
            let anonymous = w
                .call(
                    "GET",
                    &format!("/api/v1/events/{ev}/meeting-requests"),
                    None,
                    None,
                )
                .await;
            assert_eq!(anonymous.status, 401, "{l}");

            // Who answers: the addressed side or staff; others are refused or see nothing.
            let wrong = w.answer(req_id, "accept", &w.ent_b, None).await;
            assert_eq!(wrong.status, 404, "{l}: {}", wrong.body);
            let asker = w.answer(req_id, "accept", &w.ent_a, None).await;
            assert_eq!(asker.status, 403, "{l}: {}", asker.body);
            let asker = w
                .answer(
                    req_id,
                    "decline",
                    &w.ent_a,
                    Some(json!({"reason": "改变主意"})),
                )
                .await;
            assert_eq!(asker.status, 403, "{l}: {}", asker.body);
            let no_reason = w.answer(req_id, "decline", &w.uni, Some(json!({}))).await;
            assert_eq!(no_reason.status, 422, "{l}: {}", no_reason.body);
            let yes = w.answer(req_id, "accept", &w.uni, None).await;
            assert_eq!(yes.status, 200, "{l}: {}", yes.body);
            assert_eq!(yes.json()["status"], "accepted", "{l}");
            assert!(yes.json()["responded_at"].is_string(), "{l}");
            let twice = w.answer(req_id, "accept", &w.uni, None).await;
            assert_eq!(twice.status, 409, "{l}: {}", twice.body);

            // A declined request frees the pair for a new one.
            let r = w.ask(ev, &w.ent_b, i, json!({})).await;
            assert_eq!(r.status, 201, "{l}: {}", r.body);
            let bi = r.json()["id"].as_i64().unwrap();
            let no = w
                .answer(
                    bi,
                    "decline",
                    &w.inst,
                    Some(json!({"reason": "方向不一致"})),
                )
                .await;
            assert_eq!(no.status, 200, "{l}: {}", no.body);
            assert_eq!(no.json()["status"], "declined", "{l}");
            assert_eq!(no.json()["decline_reason"], "方向不一致", "{l}");
            let declined = w.requests(ev, &w.ent_b, "&status=declined").await;
            assert_eq!(ids(&declined), BTreeSet::from([bi]), "{l}");
            let again = w.ask(ev, &w.ent_b, i, json!({})).await;
            assert_eq!(again.status, 201, "{l}: {}", again.body);
            // The asker may withdraw its own request, not the addressed side.
            let again_id = again.json()["id"].as_i64().unwrap();
            let not_yours = w.answer(again_id, "withdraw", &w.inst, None).await;
            assert_eq!(not_yours.status, 403, "{l}: {}", not_yours.body);
            let gone = w.answer(again_id, "withdraw", &w.ent_b, None).await;
            assert_eq!(gone.status, 200, "{l}: {}", gone.body);
            assert_eq!(gone.json()["status"], "withdrawn", "{l}");

            // Both sides asking makes one mutual request.
            let first = w.ask(ev, &w.inst, a, json!({"priority": 2})).await;
            assert_eq!(first.status, 201, "{l}: {}", first.body);
            let first_id = first.json()["id"].as_i64().unwrap();
            let second = w.ask(ev, &w.ent_a, i, json!({"priority": 4})).await;
            assert_eq!(second.status, 200, "{l}: {}", second.body);
            let merged = second.json();
            assert_eq!(merged["id"], first_id, "{l}");
            assert_eq!(merged["status"], "accepted", "{l}");
            assert_eq!(merged["mutual"], true, "{l}");
            assert_eq!(merged["tier"], "mutual", "{l}");
            assert_eq!(merged["weight"], 0.8, "{l}");
            let between: Vec<Value> = w
                .requests(ev, &w.staff, "")
                .await
                .into_iter()
                .filter(|r| {
                    let pair = BTreeSet::from([
                        r["from_registration"].as_i64(),
                        r["to_registration"].as_i64(),
                    ]);
                    pair == BTreeSet::from([Some(a), Some(i)])
                })
                .collect();
            assert_eq!(between.len(), 1, "{l}: {between:?}");
            // An accepted request being merged again upgrades it too.
            let r = w.ask(ev, &w.uni, a, json!({})).await;
            assert_eq!(r.status, 200, "{l}: {}", r.body);
            assert_eq!(r.json()["id"], req_id, "{l}");
            assert_eq!(r.json()["tier"], "mutual", "{l}");

            // Paging and filters are checked.
            for bad in ["&status=maybe", "&limit=0", "&limit=101"] {
                let path = format!("/api/v1/events/{ev}/meeting-requests?offset=0{bad}");
                let r = w.call("GET", &path, Some(&w.staff), None).await;
                assert_eq!(r.status, 422, "{l}: {bad}: {}", r.body);
            }
            let page = w
                .call(
                    "GET",
                    &format!("/api/v1/events/{ev}/meeting-requests?limit=1"),
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(page.json()["items"].as_array().unwrap().len(), 1, "{l}");
            assert!(
                page.json()["total"].as_u64().unwrap() >= 4,
                "{l}: {}",
                page.body
            );

            // Requests only while registration is open or closed; the answer says so.
            w.patch_event(ev, json!({"status": "registration_closed"}))
                .await;
            let c = w.participant_later(ev).await;
            assert_eq!(c.status, 409, "{l}: {}", c.body);
            let closed = w.ask(ev, &w.ent_b, u, json!({})).await;
            assert_eq!(closed.status, 201, "{l}: {}", closed.body);
            w.patch_event(ev, json!({"status": "held"})).await;
            let held = w.ask(ev, &w.ent_b, a, json!({})).await;
            assert_eq!(held.status, 409, "{l}: {}", held.body);
            assert!(
                held.body.contains("registration_open"),
                "{l}: {}",
                held.body
            );
            assert!(
                held.body.contains("registration_closed"),
                "{l}: {}",
                held.body
            );
            let answer = w
                .answer(
                    closed.json()["id"].as_i64().unwrap(),
                    "accept",
                    &w.uni,
                    None,
                )
                .await;
            assert_eq!(answer.status, 409, "{l}: {}", answer.body);
            let _ = (w.org_b, w.org_c, &w.ent_c);
            db
        },
    )
    .await;
}

impl World {
    /// C tries to register once registration has closed.
    async fn participant_later(&self, event: i64) -> Response {
        let body = json!({"attendees": [{"name": "李工"}]});
        let path = format!("/api/v1/events/{event}/registrations");
        self.call("POST", &path, Some(&self.ent_c), Some(body))
            .await
    }
}

#[tokio::test]
async fn staff_proposals_stay_drafts_until_sent() {
    each_backend(
        "events_meetings::staff_proposals_stay_drafts_until_sent",
        |db| async move {
            let w = world(&db).await;
            let l = w.label;
            let ev = w.event("电池热管理对接会", 4, json!([])).await;
            let a = w
                .participant(ev, &w.ent_a, json!({"need_ids": [w.need_a]}))
                .await;
            let u = w.participant(ev, &w.uni, json!({})).await;
            let i = w.participant(ev, &w.inst, json!({})).await;
            w.participant(ev, &w.ent_b, json!({})).await;
            settle(w.addr).await;

            let path = format!("/api/v1/events/{ev}/meeting-requests/propose");
            for bad in [
                json!({"min_score": 1.5}),
                json!({"per_need": 0}),
                json!({"per_need": 11}),
            ] {
                let r = w
                    .call("POST", &path, Some(&w.staff), Some(bad.clone()))
                    .await;
                assert_eq!(r.status, 422, "{l}: {bad}: {}", r.body);
            }
            let refused = w.call("POST", &path, Some(&w.ent_a), Some(json!({}))).await;
            assert_eq!(refused.status, 403, "{l}: {}", refused.body);
            let drafts = w
                .ok(
                    "POST",
                    &path,
                    &w.staff,
                    Some(json!({"min_score": 0, "per_need": 3})),
                )
                .await;
            let drafts = drafts["items"].as_array().unwrap().clone();
            let to: HashMap<i64, Value> = drafts
                .iter()
                .map(|d| (d["to_registration"].as_i64().unwrap(), d.clone()))
                .collect();
            assert!(
                to.contains_key(&u) && to.contains_key(&i),
                "{l}: {drafts:?}"
            );
            for d in &drafts {
                assert_eq!(d["status"], "draft", "{l}: {d}");
                assert_eq!(d["origin"], "staff", "{l}: {d}");
                assert_eq!(d["tier"], "staff", "{l}: {d}");
                assert_eq!(d["from_registration"], a, "{l}: {d}");
                assert_eq!(d["need_id"], w.need_a, "{l}: {d}");
                let weight = d["weight"].as_f64().unwrap();
                assert!(weight > 0.0 && weight <= 1.0, "{l}: {d}");
                assert!(!d["reason"].as_str().unwrap().is_empty(), "{l}: {d}");
            }
            assert_eq!(to[&u]["capability_id"], w.cap_uni, "{l}");
            assert_eq!(to[&i]["capability_id"], w.cap_inst, "{l}");
            let to_uni = to[&u]["id"].as_i64().unwrap();
            let to_inst = to[&i]["id"].as_i64().unwrap();

            // Drafts are staff's: invisible to both sides, and answered by nobody yet.
            for token in [&w.ent_a, &w.uni, &w.inst] {
                let listed = w.requests(ev, token, "").await;
                assert!(listed.is_empty(), "{l}: {listed:?}");
                let r = w.answer(to_uni, "accept", token, None).await;
                assert_eq!(r.status, 404, "{l}: {}", r.body);
            }
            let early = w.answer(to_uni, "accept", &w.staff, None).await;
            assert_eq!(early.status, 409, "{l}: {}", early.body);
            // Proposing again adds nothing for pairs that have a request.
            let again = w
                .ok("POST", &path, &w.staff, Some(json!({"min_score": 0})))
                .await;
            assert_eq!(again["items"], json!([]), "{l}");

            // Staff discard one draft: it never reaches the sides.
            let discard = w
                .answer(
                    to_inst,
                    "decline",
                    &w.staff,
                    Some(json!({"reason": "该院所本次不参加洽谈"})),
                )
                .await;
            assert_eq!(discard.status, 200, "{l}: {}", discard.body);
            assert_eq!(discard.json()["status"], "declined", "{l}");
            assert!(w.requests(ev, &w.inst, "").await.is_empty(), "{l}");
            let r = w.answer(to_inst, "withdraw", &w.ent_a, None).await;
            assert_eq!(r.status, 404, "{l}: {}", r.body);

            // Sending: only staff, only drafts of the event.
            let send = format!("/api/v1/events/{ev}/meeting-requests/send");
            let r = w.call("POST", &send, Some(&w.ent_a), Some(json!({}))).await;
            assert_eq!(r.status, 403, "{l}: {}", r.body);
            let r = w
                .call(
                    "POST",
                    &send,
                    Some(&w.staff),
                    Some(json!({"ids": [to_uni, to_inst]})),
                )
                .await;
            assert_eq!(r.status, 409, "{l}: {}", r.body);
            let sent = w
                .ok("POST", &send, &w.staff, Some(json!({"ids": [to_uni]})))
                .await;
            assert_eq!(sent["items"][0]["status"], "pending", "{l}");
            let r = w.answer(to_uni, "send", &w.staff, None).await;
            assert_eq!(r.status, 409, "{l}: {}", r.body);
            for token in [&w.ent_a, &w.uni] {
                let listed = w.requests(ev, token, "").await;
                assert_eq!(ids(&listed), BTreeSet::from([to_uni]), "{l}: {listed:?}");
            }
            // A staff proposal is accepted by the addressed side.
            let from_side = w.answer(to_uni, "accept", &w.ent_a, None).await;
            assert_eq!(from_side.status, 403, "{l}: {}", from_side.body);
            let yes = w.answer(to_uni, "accept", &w.uni, None).await;
            assert_eq!(yes.status, 200, "{l}: {}", yes.body);
            assert_eq!(yes.json()["status"], "accepted", "{l}");
            assert_eq!(yes.json()["tier"], "staff", "{l}");
            // A participant asking for a pair staff proposed answers the proposal instead.
            let r = w.ask(ev, &w.uni, a, json!({})).await;
            assert_eq!(r.status, 409, "{l}: {}", r.body);
            db
        },
    )
    .await;
}

/// Meetings as staff list them, by request.
fn by_request(meetings: &[Value]) -> HashMap<i64, Value> {
    meetings
        .iter()
        .map(|m| (m["request_id"].as_i64().expect("request id"), m.clone()))
        .collect()
}

/// No participant and no table twice in a slot; tables within the usable ones.
fn assert_consistent(label: &str, meetings: &[Value], usable: i64) {
    let mut people = HashSet::new();
    let mut tables = HashSet::new();
    for m in meetings {
        let start = m["starts_at"].as_str().unwrap().to_string();
        let table = m["table"].as_i64().unwrap();
        assert!((1..=usable).contains(&table), "{label}: {m}");
        assert!(
            tables.insert((start.clone(), table)),
            "{label}: table twice: {m}"
        );
        for org in m["org_ids"].as_array().unwrap() {
            assert!(
                people.insert((start.clone(), org.as_i64().unwrap())),
                "{label}: double-booked: {m}"
            );
        }
    }
}

#[tokio::test]
async fn the_schedule_places_meetings_and_keeps_published_ones_on_reruns() {
    each_backend(
        "events_meetings::the_schedule_places_meetings_and_keeps_published_ones_on_reruns",
        |db| async move {
            let w = world(&db).await;
            let l = w.label;
            // Four 30-minute slots: 01:00, 01:30, 03:00, 03:30; two tables.
            let hours = json!([window((1, 0), (2, 0)), window((3, 0), (4, 0))]);
            let ev = w.event("海洋装备对接会", 2, hours).await;
            w.participant(ev, &w.ent_a, json!({})).await;
            w.participant(ev, &w.ent_b, json!({})).await;
            // C can only come in the morning window.
            w.participant(
                ev,
                &w.ent_c,
                json!({"availability": [window((1, 0), (2, 0))]}),
            )
            .await;
            let u = w.participant(ev, &w.uni, json!({})).await;
            let i = w.participant(ev, &w.inst, json!({})).await;
            let mut requests = Vec::new();
            for from in [&w.ent_a, &w.ent_b, &w.ent_c] {
                requests.push(w.accepted(ev, from, u, &w.uni).await);
                requests.push(w.accepted(ev, from, i, &w.inst).await);
            }
            let all: BTreeSet<i64> = requests.iter().copied().collect();

            // Not for members, and not before there is something to schedule right.
            let path = format!("/api/v1/events/{ev}/schedule");
            let r = w.call("POST", &path, Some(&w.ent_a), Some(json!({}))).await;
            assert_eq!(r.status, 403, "{l}: {}", r.body);
            let r = w
                .call(
                    "POST",
                    &path,
                    Some(&w.staff),
                    Some(json!({"mode": "sometimes"})),
                )
                .await;
            assert!(r.status == 400 || r.status == 422, "{l}: {}", r.body);

            let run = w.schedule(ev, "incremental").await;
            assert_eq!(run["placed"], 6, "{l}: {run}");
            assert_eq!(run["unplaced"], json!([]), "{l}: {run}");
            assert_eq!(run["stats"]["per_tier"]["accepted"], 6, "{l}: {run}");
            assert!(
                run["upper_bound"]["cumulative"]["staff"].as_u64().unwrap() >= 6,
                "{l}: {run}"
            );
            let placed = w.meetings(ev, Some(&w.staff)).await;
            assert_eq!(placed.len(), 6, "{l}: {placed:?}");
            assert_consistent(l, &placed, 2);
            let slots: HashSet<String> = [(1, 0), (1, 30), (3, 0), (3, 30)]
                .iter()
                .map(|&(h, m)| chrono_like(&at(h, m)))
                .collect();
            for m in &placed {
                assert!(
                    slots.contains(&chrono_like(m["starts_at"].as_str().unwrap())),
                    "{l}: {m}"
                );
                assert_eq!(m["published"], false, "{l}: {m}");
                assert_eq!(m["status"], "scheduled", "{l}: {m}");
                assert_eq!(m["tier"], "accepted", "{l}: {m}");
                if m["org_ids"].as_array().unwrap().contains(&json!(w.org_c)) {
                    let start = chrono_like(m["starts_at"].as_str().unwrap());
                    assert!(
                        start == chrono_like(&at(1, 0)) || start == chrono_like(&at(1, 30)),
                        "{l}: {m}"
                    );
                }
            }
            assert_eq!(
                by_request(&placed).keys().copied().collect::<BTreeSet<_>>(),
                all,
                "{l}"
            );

            // Members see their own meetings only once published; the public none.
            assert!(w.meetings(ev, Some(&w.ent_a)).await.is_empty(), "{l}");
            assert_eq!(w.publish(ev).await, 6, "{l}");
            let mine = w.meetings(ev, Some(&w.ent_a)).await;
            assert_eq!(mine.len(), 2, "{l}: {mine:?}");
            for m in &mine {
                assert!(
                    m["org_ids"].as_array().unwrap().contains(&json!(w.org_a)),
                    "{l}: {m}"
                );
                assert_eq!(m["published"], true, "{l}: {m}");
            }
            assert_eq!(w.meetings(ev, Some(&w.uni)).await.len(), 3, "{l}");
            assert!(w.meetings(ev, None).await.is_empty(), "{l}");
            assert!(w.meetings(ev, Some(&w.outsider)).await.is_empty(), "{l}");
            let path = format!("/api/v1/events/{ev}/meetings?org_id={}", w.org_b);
            let r = w.call("GET", &path, Some(&w.ent_a), None).await;
            assert_eq!(r.json()["total"], 0, "{l}: {}", r.body);
            let r = w.call("GET", &path, Some(&w.staff), None).await;
            assert_eq!(r.json()["total"], 2, "{l}: {}", r.body);

            // One table fewer: the meetings at table 1 stay exactly where they
            // were; each at table 2 is placed again or listed with its reason.
            w.patch_event(ev, json!({"tables": 1})).await;
            let run = w.schedule(ev, "incremental").await;
            let after = w.meetings(ev, Some(&w.staff)).await;
            assert_consistent(l, &after, 1);
            let after_by = by_request(&after);
            let unplaced: BTreeSet<i64> = run["unplaced"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["request_id"].as_i64().unwrap())
                .collect();
            assert!(!unplaced.is_empty(), "{l}: {run}");
            assert_eq!(
                run["placed"].as_u64().unwrap() as usize,
                after.len(),
                "{l}: {run}"
            );
            let placed_now: BTreeSet<i64> = after_by.keys().copied().collect();
            assert!(placed_now.is_disjoint(&unplaced), "{l}: {run}");
            assert_eq!(
                placed_now
                    .union(&unplaced)
                    .copied()
                    .collect::<BTreeSet<_>>(),
                all,
                "{l}: {run}"
            );
            for u in run["unplaced"].as_array().unwrap() {
                let reason = u["reason"].as_str().unwrap();
                assert!(["no_capacity", "conflict"].contains(&reason), "{l}: {u}");
                assert!(!u["reason_label"].as_str().unwrap().is_empty(), "{l}: {u}");
                assert_eq!(u["org_ids"].as_array().unwrap().len(), 2, "{l}: {u}");
            }
            let before_by = by_request(&placed);
            let moved: HashMap<i64, Value> = run["moved"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["request_id"].as_i64().unwrap(), m.clone()))
                .collect();
            let removed: HashSet<i64> = run["removed"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["request_id"].as_i64().unwrap())
                .collect();
            for (req, old) in &before_by {
                if old["table"] == 1 {
                    let now = &after_by[req];
                    assert_eq!(now["id"], old["id"], "{l}: {now}");
                    assert_eq!(now["starts_at"], old["starts_at"], "{l}: {now}");
                    assert_eq!(now["table"], 1, "{l}: {now}");
                    assert_eq!(now["published"], true, "{l}: {now}");
                    assert!(!moved.contains_key(req), "{l}: {run}");
                } else {
                    assert_eq!(moved[req]["reason"], "table_removed", "{l}: {run}");
                    match after_by.get(req) {
                        Some(now) => assert_eq!(now["published"], false, "{l}: {now}"),
                        None => assert!(
                            unplaced.contains(req) && removed.contains(req),
                            "{l}: {run}"
                        ),
                    }
                }
            }

            // Shorter hours: meetings in the dropped window are never silently lost.
            w.publish(ev).await;
            let before = by_request(&w.meetings(ev, Some(&w.staff)).await);
            w.patch_event(
                ev,
                json!({"tables": 2, "meeting_hours": [window((1, 0), (2, 0))]}),
            )
            .await;
            let run = w.schedule(ev, "incremental").await;
            let after_by = by_request(&w.meetings(ev, Some(&w.staff)).await);
            let unplaced: BTreeSet<i64> = run["unplaced"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["request_id"].as_i64().unwrap())
                .collect();
            let placed_now: BTreeSet<i64> = after_by.keys().copied().collect();
            assert_eq!(
                placed_now
                    .union(&unplaced)
                    .copied()
                    .collect::<BTreeSet<_>>(),
                all,
                "{l}: {run}"
            );
            assert!(placed_now.is_disjoint(&unplaced), "{l}: {run}");
            let moved: HashMap<i64, Value> = run["moved"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| (m["request_id"].as_i64().unwrap(), m.clone()))
                .collect();
            for (req, old) in &before {
                let start = chrono_like(old["starts_at"].as_str().unwrap());
                if start == chrono_like(&at(3, 0)) || start == chrono_like(&at(3, 30)) {
                    assert_eq!(moved[req]["reason"], "slot_removed", "{l}: {run}");
                } else {
                    assert_eq!(after_by[req]["id"], old["id"], "{l}");
                    assert_eq!(after_by[req]["published"], true, "{l}");
                }
            }
            assert_consistent(l, &after_by.values().cloned().collect::<Vec<_>>(), 2);

            // A full re-plan accounts for every request too.
            let run = w.schedule(ev, "full").await;
            assert_eq!(run["mode"], "full", "{l}");
            let n =
                run["placed"].as_u64().unwrap() + run["unplaced"].as_array().unwrap().len() as u64;
            assert_eq!(n, 6, "{l}: {run}");
            // Withdrawing an accepted request takes its meeting off the schedule, with the reason.
            let current = by_request(&w.meetings(ev, Some(&w.staff)).await);
            let req = *current.keys().next().unwrap();
            let from = if current[&req]["org_ids"][0] == w.org_a {
                &w.ent_a
            } else if current[&req]["org_ids"][0] == w.org_b {
                &w.ent_b
            } else {
                &w.ent_c
            };
            let r = w.answer(req, "withdraw", from, None).await;
            assert_eq!(r.status, 200, "{l}: {}", r.body);
            let run = w.schedule(ev, "incremental").await;
            let gone: Vec<&Value> = run["removed"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["request_id"] == req)
                .collect();
            assert_eq!(gone.len(), 1, "{l}: {run}");
            assert_eq!(gone[0]["reason"], "request_closed", "{l}: {run}");
            let _ = (w.org_uni, w.org_inst);
            db
        },
    )
    .await;
}

/// An RFC 3339 instant in one spelling (`Z` and `+00:00` alike).
fn chrono_like(s: &str) -> String {
    s.replace("+00:00", "Z")
}

#[tokio::test]
async fn outcomes_per_side_and_an_agreed_follow_up_opens_one_project() {
    each_backend(
        "events_meetings::outcomes_per_side_and_an_agreed_follow_up_opens_one_project",
        |db| async move {
            let w = world(&db).await;
            let l = w.label;
            let ev = w
                .event("成果转化对接会", 2, json!([window((2, 0), (3, 0))]))
                .await;
            w.participant(ev, &w.ent_a, json!({})).await;
            let u = w.participant(ev, &w.uni, json!({})).await;
            w.participant(ev, &w.ent_b, json!({})).await;
            let r = w
                .ask(ev, &w.ent_a, u, json!({"need_id": w.need_a, "capability_id": w.cap_uni}))
                .await;
            let req = r.json()["id"].as_i64().unwrap();
            w.answer(req, "accept", &w.uni, None).await;
            w.schedule(ev, "incremental").await;
            let meeting = w.meetings(ev, Some(&w.staff)).await[0].clone();
            let id = meeting["id"].as_i64().unwrap();
            assert_eq!(meeting["org_ids"], json!([w.org_a, w.org_uni]), "{l}");
            assert_eq!(meeting["outcome"], json!({"a": null, "b": null}), "{l}");
            let outcome = format!("/api/v1/meetings/{id}/outcome");
            // Unpublished: the sides cannot find it yet.
            let r = w
                .call("POST", &outcome, Some(&w.ent_a), Some(json!({"outcome": "exchange"})))
                .await;
            assert_eq!(r.status, 404, "{l}: {}", r.body);
            w.publish(ev).await;
            w.patch_event(ev, json!({"status": "registration_closed"})).await;
            w.patch_event(ev, json!({"status": "held"})).await;

            // Each side speaks for itself; others find nothing.
            let r = w
                .call("POST", &outcome, Some(&w.ent_b), Some(json!({"outcome": "exchange"})))
                .await;
            assert_eq!(r.status, 404, "{l}: {}", r.body);
            let r = w
                .call("POST", &outcome, Some(&w.ent_a), Some(json!({"outcome": "exchange", "org_id": w.org_uni})))
                .await;
            assert_eq!(r.status, 403, "{l}: {}", r.body);
            let r = w
                .call("POST", &outcome, Some(&w.ent_a), Some(json!({"outcome": "maybe"})))
                .await;
            assert_eq!(r.status, 422, "{l}: {}", r.body);
            let r = w
                .call("POST", &outcome, Some(&w.ent_a), Some(json!({"outcome": "exchange", "note": "长".repeat(1001)})))
                .await;
            assert_eq!(r.status, 422, "{l}: {}", r.body);
            let not_held = w
                .ok("POST", &outcome, &w.ent_a, Some(json!({"outcome": "not_held"})))
                .await;
            assert_eq!(not_held["status"], "scheduled", "{l}: {not_held}");
            let a_side = w
                .ok("POST", &outcome, &w.ent_a, Some(json!({"outcome": "exchange", "note": "交流了液冷方案"})))
                .await;
            assert_eq!(
                a_side["outcome"]["a"],
                json!({"org_id": w.org_a, "outcome": "exchange", "label": "有交流无合作", "note": "交流了液冷方案"}),
                "{l}"
            );
            assert_eq!(a_side["outcome"]["b"], Value::Null, "{l}");
            assert_eq!(a_side["status"], "held", "{l}");
            let b_side = w
                .ok("POST", &outcome, &w.uni, Some(json!({"outcome": "有合作可能"})))
                .await;
            assert_eq!(b_side["outcome"]["b"]["outcome"], "potential", "{l}");
            assert_eq!(b_side["outcome"]["b"]["org_id"], w.org_uni, "{l}");
            assert_eq!(b_side["outcome"]["a"]["outcome"], "exchange", "{l}");
            // Staff record for a side they name.
            let r = w
                .call("POST", &outcome, Some(&w.staff), Some(json!({"outcome": "potential"})))
                .await;
            assert_eq!(r.status, 422, "{l}: {}", r.body);
            let r = w
                .call("POST", &outcome, Some(&w.staff), Some(json!({"outcome": "potential", "org_id": w.org_b})))
                .await;
            assert_eq!(r.status, 422, "{l}: {}", r.body);
            let staff = w
                .ok("POST", &outcome, &w.staff, Some(json!({"outcome": "potential", "org_id": w.org_a})))
                .await;
            assert_eq!(staff["outcome"]["a"]["outcome"], "potential", "{l}");

            // Follow-up: staff only; due three months after the meeting by default.
            let follow = format!("/api/v1/meetings/{id}/follow-up");
            let r = w.call("POST", &follow, Some(&w.ent_a), Some(json!({}))).await;
            assert_eq!(r.status, 403, "{l}: {}", r.body);
            let f = w.ok("POST", &follow, &w.staff, Some(json!({}))).await;
            assert_eq!(f["follow_up"]["due_on"], "2027-08-20", "{l}: {f}");
            assert_eq!(f["follow_up"]["status"], "not_contacted", "{l}: {f}");
            assert_eq!(f["project_id"], Value::Null, "{l}");
            let f = w
                .ok("POST", &follow, &w.staff, Some(json!({"status": "negotiating", "note": "双方洽谈中", "due_on": "2027-07-01"})))
                .await;
            assert_eq!(f["follow_up"]["due_on"], "2027-07-01", "{l}: {f}");
            assert_eq!(f["project_id"], Value::Null, "{l}");
            let agreed = w.ok("POST", &follow, &w.staff, Some(json!({"status": "agreed"}))).await;
            let project = agreed["project_id"].as_i64().expect("a project");
            assert_eq!(agreed["follow_up"]["note"], "双方洽谈中", "{l}: {agreed}");
            let again = w.ok("POST", &follow, &w.staff, Some(json!({"status": "agreed"}))).await;
            assert_eq!(again["project_id"], project, "{l}");

            // Exactly one project, between the enterprise and the university.
            let export = w
                .call("GET", "/api/v1/export/projects?format=jsonl", Some(&w.staff), None)
                .await;
            assert_eq!(export.status, 200, "{l}: {}", export.body);
            let rows: Vec<Value> = export
                .body
                .lines()
                .filter(|line| !line.trim().is_empty())
                .map(|line| serde_json::from_str(line).expect("a JSON line"))
                .collect();
            assert_eq!(rows.len(), 1, "{l}: {rows:?}");
            assert_eq!(rows[0]["title"], NEED_TITLE, "{l}: {rows:?}");
            assert_eq!(rows[0]["enterprise"], ENT_A, "{l}: {rows:?}");
            assert_eq!(rows[0]["institution"], UNIVERSITY, "{l}: {rows:?}");
            assert!(rows[0]["plan_year"] == 2027 || rows[0]["plan_year"] == "2027", "{l}: {rows:?}");
            assert!(
                rows[0]["origin"] == "event_meeting" || rows[0]["origin"] == "活动洽谈",
                "{l}: {rows:?}"
            );
            // Members see the outcome of their published meeting; the other enterprise nothing.
            let mine = w.meetings(ev, Some(&w.uni)).await;
            assert_eq!(mine.len(), 1, "{l}");
            assert_eq!(mine[0]["project_id"], project, "{l}");
            assert!(w.meetings(ev, Some(&w.ent_b)).await.is_empty(), "{l}");
            db
        },
    )
    .await;
}
