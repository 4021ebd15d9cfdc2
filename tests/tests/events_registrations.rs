//! Registration for events over HTTP, on every backend: who may register and
//! see which registration (phones masked, hidden listings left out), the
//! capacity under concurrent registrations, staff decisions and the
//! waitlist, check-in by registration and by the agenda's QR code, and the
//! hours and yearly roster of technology commissioner trainings.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{Response, approved_org, call, capability_of, need_of, user_with_token};
use serde_json::{Value, json};
use std::net::SocketAddr;

const ORG_A: &str = "甲新能源科技有限公司";
const ORG_B: &str = "乙海工装备有限公司";
const UNIVERSITY: &str = "琴岛理工大学";
const OTHER: &str = "丙食品工业有限公司";
const PHONE_A: &str = "13812341234";
const PHONE_U: &str = "13955556666";

/// Staff, enterprises A and B, a university and an unrelated enterprise,
/// each with a member; A has a public and a staff-only need, the
/// university a capability.
struct World {
    addr: SocketAddr,
    label: &'static str,
    admin: String,
    staff: String,
    ent_a: String,
    ent_b: String,
    uni: String,
    other: String,
    org_a: i64,
    org_b: i64,
    org_uni: i64,
    public_need: i64,
    secret_need: i64,
    capability: i64,
}

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let org_a = approved_org(addr, &staff, ORG_A, "enterprise", "高新区").await;
    let org_b = approved_org(addr, &staff, ORG_B, "enterprise", "城阳区").await;
    let org_uni = approved_org(addr, &staff, UNIVERSITY, "university", "崂山区").await;
    approved_org(addr, &staff, OTHER, "enterprise", "即墨区").await;
    let member = |email: &'static str, role: &'static str, org: &'static str| {
        user_with_token(addr, &admin, email, role, Some(org))
    };
    let ent_a = member("a@example.com", "enterprise", ORG_A).await;
    let ent_b = member("b@example.com", "enterprise", ORG_B).await;
    let uni = member("u@example.com", "university", UNIVERSITY).await;
    let other = member("c@example.com", "enterprise", OTHER).await;
    let public_need = need_of(
        addr,
        &ent_a,
        json!({"title": "动力电池热管理系统开发", "fields": ["new_energy"]}),
    )
    .await;
    let secret_need = need_of(
        addr,
        &ent_a,
        json!({"title": "固态电解质保密攻关", "fields": ["new_energy"], "visibility": "staff_only"}),
    )
    .await;
    let capability = capability_of(
        addr,
        &uni,
        json!({"title": "动力电池热管理与液冷技术团队", "fields": ["new_energy"]}),
    )
    .await;
    World {
        addr,
        label: db.label,
        admin,
        staff,
        ent_a,
        ent_b,
        uni,
        other,
        org_a,
        org_b,
        org_uni,
        public_need,
        secret_need,
        capability,
    }
}

/// `t` without its fraction of a second, as the API's times are written here.
fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).expect("a time")
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An event from `start` for four hours.
fn event_body(
    name: &str,
    kind: &str,
    start: DateTime<Utc>,
    capacity: i64,
    auto_confirm: bool,
) -> Value {
    json!({
        "name": name,
        "kind": kind,
        "starts_at": rfc3339(start),
        "ends_at": rfc3339(start + Duration::hours(4)),
        "venue": "琴岛国际会议中心",
        "capacity": capacity,
        "published": true,
        "auto_confirm": auto_confirm,
    })
}

/// `n` attendees with distinct phones.
fn people(n: usize) -> Value {
    (0..n)
        .map(|i| json!({"name": format!("参会人{i}"), "title": "工程师", "phone": format!("1370000{i:04}")}))
        .collect()
}

fn items(r: &Response) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["items"].as_array().expect("items").clone()
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

    /// A published event with registration open; returns its id.
    async fn open_event(&self, body: Value) -> i64 {
        let r = self
            .call("POST", "/api/v1/events", Some(&self.staff), Some(body))
            .await;
        assert_eq!(r.status, 201, "{}: {}", self.label, r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let r = self
            .call(
                "PATCH",
                &format!("/api/v1/events/{id}"),
                Some(&self.staff),
                Some(json!({"status": "registration_open"})),
            )
            .await;
        assert_eq!(r.status, 200, "{}: {}", self.label, r.body);
        id
    }

    async fn register(&self, token: &str, event: i64, body: Value) -> Response {
        self.call(
            "POST",
            &format!("/api/v1/events/{event}/registrations"),
            Some(token),
            Some(body),
        )
        .await
    }

    /// Registers and returns the registration.
    async fn registered(&self, token: &str, event: i64, body: Value) -> Value {
        let r = self.register(token, event, body).await;
        assert_eq!(r.status, 201, "{}: {}", self.label, r.body);
        r.json()
    }

    async fn list(&self, token: Option<&str>, event: i64, query: &str) -> Response {
        self.call(
            "GET",
            &format!("/api/v1/events/{event}/registrations{query}"),
            token,
            None,
        )
        .await
    }

    async fn patch(&self, token: &str, event: i64, rid: i64, body: Value) -> Response {
        self.call(
            "PATCH",
            &format!("/api/v1/events/{event}/registrations/{rid}"),
            Some(token),
            Some(body),
        )
        .await
    }

    async fn statuses(&self, event: i64) -> Vec<(i64, String)> {
        let list = items(&self.list(Some(&self.staff), event, "?limit=100").await);
        list.iter()
            .map(|r| {
                (
                    r["id"].as_i64().unwrap(),
                    r["status"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

fn field_errors(r: &Response) -> Vec<String> {
    assert_eq!(r.status, 422, "{}", r.body);
    r.json()["errors"]
        .as_array()
        .expect("field errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn registrations_are_seen_as_the_rules_allow() {
    each_backend(
        "events_registrations::registrations_are_seen_as_the_rules_allow",
        |db| async move {
            let w = world(&db).await;
            let start = Utc::now() + Duration::days(30);
            let event = w
                .open_event(event_body("新能源专题对接会", "thematic", start, 50, true))
                .await;
            let a = w
                .registered(
                    &w.ent_a,
                    event,
                    json!({
                        "attendees": [{"name": "江明远", "title": "研发中心主任", "phone": PHONE_A}],
                        "need_ids": [w.public_need, w.secret_need],
                        "availability": [{"start": rfc3339(start), "end": rfc3339(start + Duration::hours(2))}],
                    }),
                )
                .await;
            assert_eq!(a["status"], "confirmed", "{}: {a}", w.label);
            assert_eq!(a["org_id"], w.org_a);
            assert_eq!(a["org_name"], ORG_A);
            assert_eq!(a["wants_meetings"], true);
            assert_eq!(a["attendees"][0]["phone"], PHONE_A);
            assert_eq!(a["need_ids"], json!([w.public_need, w.secret_need]));
            assert!(a["checkin_token"].as_str().is_some_and(|t| t.len() >= 32), "{a}");
            let u = w
                .registered(
                    &w.uni,
                    event,
                    json!({
                        "attendees": [{"name": "刘卫平", "title": "教授", "phone": PHONE_U}],
                        "capability_ids": [w.capability],
                        "wants_meetings": false,
                    }),
                )
                .await;
            assert_eq!(u["status"], "confirmed", "{u}");
            assert_eq!(u["org_id"], w.org_uni);
            let (a_id, u_id) = (a["id"].as_i64().unwrap(), u["id"].as_i64().unwrap());

            // Staff see both, phones whole, secrets included.
            let all = items(&w.list(Some(&w.staff), event, "").await);
            assert_eq!(all.len(), 2, "{all:?}");
            assert_eq!(all[0]["attendees"][0]["phone"], PHONE_A);
            assert!(all[1]["checkin_token"].is_string());

            // A confirmed participant sees the other confirmed one, masked,
            // with only the listings it may see and without its secret.
            let seen_by_u = items(&w.list(Some(&w.uni), event, "").await);
            assert_eq!(seen_by_u.len(), 2, "{}: {seen_by_u:?}", w.label);
            let a_by_u = seen_by_u.iter().find(|r| r["id"] == a_id).unwrap();
            assert_eq!(a_by_u["attendees"][0]["phone"], "138****1234");
            assert_eq!(a_by_u["need_ids"], json!([w.public_need]));
            assert!(a_by_u.get("checkin_token").is_none(), "{a_by_u}");
            let own = seen_by_u.iter().find(|r| r["id"] == u_id).unwrap();
            assert_eq!(own["attendees"][0]["phone"], PHONE_U);
            assert!(own["checkin_token"].is_string());
            let seen_by_a = items(&w.list(Some(&w.ent_a), event, "").await);
            let u_by_a = seen_by_a.iter().find(|r| r["id"] == u_id).unwrap();
            assert_eq!(u_by_a["attendees"][0]["phone"], "139****6666");
            assert_eq!(u_by_a["capability_ids"], json!([w.capability]));

            // The public and an organization not taking part see nothing.
            let anonymous = w.list(None, event, "").await;
            assert_eq!(items(&anonymous).len(), 0, "{}", anonymous.body);
            assert_eq!(anonymous.json()["total"], 0);
            assert!(items(&w.list(Some(&w.other), event, "").await).is_empty());
            // Nor may it change a registration it cannot see; a participant
            // that sees it may not change it either.
            let r = w.patch(&w.other, event, a_id, json!({"status": "cancelled"})).await;
            assert_eq!(r.status, 404, "{}", r.body);
            let r = w.patch(&w.uni, event, a_id, json!({"wants_meetings": false})).await;
            assert_eq!(r.status, 403, "{}", r.body);

            // An organization waiting for staff sees its own, not the confirmed others.
            let pending_event = w
                .open_event(event_body("海工装备专题对接会", "thematic", start, 50, false))
                .await;
            let b = w
                .registered(&w.ent_b, pending_event, json!({"attendees": people(2)}))
                .await;
            assert_eq!(b["status"], "pending");
            let staff_made = w
                .registered(
                    &w.staff,
                    pending_event,
                    json!({"org_id": w.org_a, "attendees": people(1)}),
                )
                .await;
            assert_eq!(staff_made["org_id"], w.org_a);
            let r = w
                .patch(&w.staff, pending_event, staff_made["id"].as_i64().unwrap(), json!({"status": "confirmed"}))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let seen_by_b = items(&w.list(Some(&w.ent_b), pending_event, "").await);
            assert_eq!(seen_by_b.len(), 1, "{seen_by_b:?}");
            assert_eq!(seen_by_b[0]["org_id"], w.org_b);
            assert_eq!(
                items(&w.list(Some(&w.staff), pending_event, "?status=pending").await).len(),
                1
            );
            let r = w.list(Some(&w.staff), pending_event, "?status=unknown").await;
            assert_eq!(field_errors(&r), ["status"]);
            let r = w.list(Some(&w.staff), pending_event, "?limit=0").await;
            assert_eq!(field_errors(&r), ["limit"]);
            // Members do not decide.
            let r = w
                .patch(&w.ent_b, pending_event, b["id"].as_i64().unwrap(), json!({"status": "confirmed"}))
                .await;
            assert_eq!(r.status, 403, "{}", r.body);

            // A hidden event is absent for everyone but staff.
            let hidden = w
                .call(
                    "POST",
                    "/api/v1/events",
                    Some(&w.staff),
                    Some(json!({"name": "筹备中的活动", "kind": "thematic",
                        "starts_at": rfc3339(start), "ends_at": rfc3339(start + Duration::hours(3))})),
                )
                .await;
            let hidden = hidden.json()["id"].as_i64().unwrap();
            assert_eq!(w.list(None, hidden, "").await.status, 404);
            assert_eq!(w.list(Some(&w.ent_a), hidden, "").await.status, 404);
            let r = w.register(&w.ent_a, hidden, json!({"attendees": people(1)})).await;
            assert_eq!(r.status, 404, "{}", r.body);
            assert_eq!(w.list(Some(&w.staff), hidden, "").await.status, 200);
            assert_eq!(w.list(None, 999_999, "").await.status, 404);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn registration_input_is_checked_field_by_field() {
    each_backend(
        "events_registrations::registration_input_is_checked_field_by_field",
        |db| async move {
            let w = world(&db).await;
            let start = Utc::now() + Duration::days(30);
            let event = w
                .open_event(event_body("综合对接大会", "comprehensive", start, 100, true))
                .await;
            let r = w.register(&w.ent_a, event, json!({"attendees": people(21)})).await;
            assert_eq!(field_errors(&r), ["attendees"], "{}", w.label);
            let r = w.register(&w.ent_a, event, json!({"attendees": []})).await;
            assert_eq!(field_errors(&r), ["attendees"]);
            let r = w
                .register(
                    &w.ent_a,
                    event,
                    json!({"attendees": [
                        {"name": "名".repeat(51)},
                        {"name": " ", "phone": "12"},
                        {"name": "王工", "title": "职".repeat(51), "phone": "138x12341234"},
                    ]}),
                )
                .await;
            assert_eq!(
                field_errors(&r),
                [
                    "attendees[0].name",
                    "attendees[1].name",
                    "attendees[1].phone",
                    "attendees[2].title",
                    "attendees[2].phone"
                ]
            );
            // Listings must be the organization's own; windows must overlap the event.
            let r = w
                .register(
                    &w.ent_a,
                    event,
                    json!({"attendees": people(1), "capability_ids": [w.capability],
                        "availability": [{"start": rfc3339(start - Duration::days(2)), "end": rfc3339(start - Duration::days(1))}]}),
                )
                .await;
            assert_eq!(field_errors(&r), ["availability"]);
            let r = w
                .register(&w.ent_a, event, json!({"attendees": people(1), "capability_ids": [w.capability]}))
                .await;
            assert_eq!(field_errors(&r), ["capability_ids"]);
            let ids: Vec<i64> = (1..=51).collect();
            let r = w
                .register(&w.ent_a, event, json!({"attendees": people(1), "need_ids": ids}))
                .await;
            assert_eq!(field_errors(&r), ["need_ids"]);
            // Unknown fields and malformed bodies are refused before any rule.
            let r = w
                .register(&w.ent_a, event, json!({"attendees": people(1), "extra": 1}))
                .await;
            assert_eq!(r.status, 400, "{}", r.body);
            // Objects are objects: serde would read a struct from an array of its fields.
            let as_arrays = [
                json!([[{"name": "王工"}], null, null, null, null, null]),
                json!({"attendees": [["王工", "工程师", "13800000000"]]}),
            ];
            for wrong in as_arrays {
                let r = w.register(&w.ent_a, event, wrong).await;
                assert_eq!(r.status, 400, "{}", r.body);
            }
            // Staff name the organization; members register their own only.
            let r = w.register(&w.staff, event, json!({"attendees": people(1)})).await;
            assert_eq!(field_errors(&r), ["org_id"]);
            let r = w
                .register(&w.ent_a, event, json!({"org_id": w.org_b, "attendees": people(1)}))
                .await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = w
                .call("POST", &format!("/api/v1/events/{event}/registrations"), None, Some(json!({"attendees": people(1)})))
                .await;
            assert_eq!(r.status, 401, "{}", r.body);

            // One registration per organization.
            let a = w
                .registered(&w.ent_a, event, json!({"org_id": w.org_a, "attendees": people(20)}))
                .await;
            let r = w.register(&w.ent_a, event, json!({"attendees": people(1)})).await;
            assert_eq!(r.status, 409, "{}", r.body);
            // The registrant edits; a cancelled registration is not edited but may register again.
            let a_id = a["id"].as_i64().unwrap();
            let r = w
                .patch(&w.ent_a, event, a_id, json!({"attendees": people(2), "need_ids": [w.public_need]}))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["attendees"].as_array().unwrap().len(), 2);
            let r = w.patch(&w.ent_a, event, a_id, json!({"status": "pending"})).await;
            assert_eq!(field_errors(&r), ["status"]);
            let r = w.patch(&w.ent_a, event, a_id, json!({"status": "cancelled"})).await;
            assert_eq!(r.json()["status"], "cancelled", "{}", r.body);
            let r = w.patch(&w.ent_a, event, a_id, json!({"wants_meetings": false})).await;
            assert_eq!(r.status, 409, "{}", r.body);
            let again = w.registered(&w.ent_a, event, json!({"attendees": people(1)})).await;
            assert_eq!(again["id"], a_id, "the row is reused");
            assert_eq!(again["status"], "confirmed");

            // Registration must be open, and within its window.
            let closed = w
                .open_event(json!({
                    "name": "报名已截止的活动", "kind": "thematic",
                    "starts_at": rfc3339(start), "ends_at": rfc3339(start + Duration::hours(3)),
                    "published": true,
                    "registration_closes_at": rfc3339(Utc::now() - Duration::hours(1)),
                }))
                .await;
            let r = w.register(&w.ent_a, closed, json!({"attendees": people(1)})).await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert!(r.body.contains("closed"), "{}", r.body);
            let planned = w
                .call(
                    "POST",
                    "/api/v1/events",
                    Some(&w.staff),
                    Some(event_body("筹备中", "thematic", start, 10, true)),
                )
                .await;
            let planned = planned.json()["id"].as_i64().unwrap();
            let r = w.register(&w.ent_a, planned, json!({"attendees": people(1)})).await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert!(r.body.contains("planned"), "{}", r.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn capacity_holds_under_concurrent_registrations_and_the_waitlist_moves_up() {
    each_backend(
        "events_registrations::capacity_holds_under_concurrent_registrations_and_the_waitlist_moves_up",
        |db| async move {
            let w = world(&db).await;
            let start = Utc::now() + Duration::days(30);
            let event = w
                .open_event(event_body("人工智能专题对接会", "thematic", start, 5, true))
                .await;
            // Twenty organizations, each with a member of its own.
            let mut set = tokio::task::JoinSet::new();
            for i in 0..20 {
                let (addr, staff, admin) = (w.addr, w.staff.clone(), w.admin.clone());
                set.spawn(async move {
                    let name = format!("并发测试企业{i:02}有限公司");
                    approved_org(addr, &staff, &name, "enterprise", "高新区").await;
                    let email = format!("p{i}@example.com");
                    user_with_token(addr, &admin, &email, "enterprise", Some(&name)).await
                });
            }
            let tokens: Vec<String> = set.join_all().await;
            // All register at once.
            let mut set = tokio::task::JoinSet::new();
            for token in tokens.clone() {
                let addr = w.addr;
                set.spawn(async move {
                    call(
                        addr,
                        "POST",
                        &format!("/api/v1/events/{event}/registrations"),
                        Some(&token),
                        Some(json!({"attendees": people(1)})),
                    )
                    .await
                });
            }
            let answers = set.join_all().await;
            let mut confirmed = 0;
            let mut waitlisted = 0;
            for r in &answers {
                assert_eq!(r.status, 201, "{}: {}", w.label, r.body);
                match r.json()["status"].as_str().unwrap() {
                    "confirmed" => confirmed += 1,
                    "waitlisted" => waitlisted += 1,
                    other => panic!("{other}"),
                }
            }
            assert_eq!((confirmed, waitlisted), (5, 15), "{}", w.label);
            let count = |list: &[(i64, String)], s: &str| list.iter().filter(|(_, x)| x == s).count();
            let list = w.statuses(event).await;
            assert_eq!((count(&list, "confirmed"), count(&list, "waitlisted")), (5, 15));

            // Staff cannot confirm beyond capacity; the answer says to waitlist.
            let waiting = items(&w.list(Some(&w.staff), event, "?status=waitlisted&limit=100").await);
            let first = waiting[0]["id"].as_i64().unwrap();
            let second = waiting[1]["id"].as_i64().unwrap();
            let r = w.patch(&w.staff, event, first, json!({"status": "confirmed"})).await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert!(r.body.contains("waitlist"), "{}", r.body);

            // A confirmed organization cancels: the first waitlisted moves up.
            let seen = items(&w.list(Some(&tokens[0]), event, "").await);
            // Its own is the one with the check-in secret.
            let mine = seen.iter().find(|r| r["checkin_token"].is_string()).unwrap();
            let (cancelling, cancelling_token) = if mine["status"] == "confirmed" {
                (mine["id"].as_i64().unwrap(), tokens[0].clone())
            } else {
                let c = w
                    .statuses(event)
                    .await
                    .into_iter()
                    .find(|(_, s)| s == "confirmed")
                    .unwrap()
                    .0;
                (c, w.staff.clone())
            };
            let r = w
                .patch(&cancelling_token, event, cancelling, json!({"status": "cancelled"}))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let list = w.statuses(event).await;
            let status_of = |id: i64| list.iter().find(|(i, _)| *i == id).unwrap().1.clone();
            assert_eq!(status_of(first), "confirmed", "{}", w.label);
            assert_eq!(status_of(second), "waitlisted");
            assert_eq!(count(&list, "confirmed"), 5);
            // Declining a confirmed one does the same.
            let r = w.patch(&w.staff, event, first, json!({"status": "declined"})).await;
            assert_eq!(r.json()["status"], "declined", "{}", r.body);
            let list = w.statuses(event).await;
            assert_eq!(list.iter().find(|(i, _)| *i == second).unwrap().1, "confirmed");
            assert_eq!(count(&list, "confirmed"), 5);
            assert_eq!(count(&list, "waitlisted"), 13);
            // Waitlisting a confirmed one by staff is allowed, and frees a place to confirm.
            let r = w.patch(&w.staff, event, second, json!({"status": "waitlisted"})).await;
            assert_eq!(r.json()["status"], "waitlisted", "{}", r.body);
            let r = w.patch(&w.staff, event, first, json!({"status": "confirmed"})).await;
            assert_eq!(r.json()["status"], "confirmed", "{}", r.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn check_in_by_registration_and_by_qr_code() {
    each_backend(
        "events_registrations::check_in_by_registration_and_by_qr_code",
        |db| async move {
            let w = world(&db).await;
            // The event started five minutes ago: whoever arrives now is on time.
            let start = whole_seconds(Utc::now() - Duration::minutes(5));
            let event = w
                .open_event(event_body("科技成果路演", "thematic", start, 10, true))
                .await;
            let a = w
                .registered(&w.ent_a, event, json!({"attendees": people(3)}))
                .await;
            let u = w
                .registered(&w.uni, event, json!({"attendees": people(2)}))
                .await;
            let a_id = a["id"].as_i64().unwrap();
            let check_in = |rid: i64, body: Value, token: String| {
                let addr = w.addr;
                async move {
                    call(
                        addr,
                        "POST",
                        &format!("/api/v1/events/{event}/registrations/{rid}/check-in"),
                        Some(&token),
                        Some(body),
                    )
                    .await
                }
            };
            let on_time = rfc3339(start + Duration::minutes(10));
            let r = check_in(
                a_id,
                json!({"attendees": [0], "at": on_time}),
                w.staff.clone(),
            )
            .await;
            assert_eq!(r.status, 200, "{}: {}", w.label, r.body);
            let rows = r.json()["attendance"].clone();
            assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
            assert_eq!(rows[0]["late"], false);
            let late = rfc3339(start + Duration::minutes(20));
            let r = check_in(
                a_id,
                json!({"attendees": [1, 0], "at": late}),
                w.staff.clone(),
            )
            .await;
            let rows = r.json()["attendance"].clone();
            assert_eq!(rows.as_array().unwrap().len(), 2, "{rows}");
            // The second check-in of attendee 0 keeps the first time.
            assert_eq!(rows[0]["attendee"], 0);
            assert_eq!(rows[0]["late"], false);
            assert_eq!(
                rows[0]["checked_in_at"]
                    .as_str()
                    .unwrap()
                    .parse::<DateTime<Utc>>()
                    .unwrap(),
                start + Duration::minutes(10)
            );
            assert_eq!(rows[1]["late"], true);
            // Positions must exist; times must be near the event; only staff check in.
            let r = check_in(a_id, json!({"attendees": [3]}), w.staff.clone()).await;
            assert_eq!(field_errors(&r), ["attendees"]);
            let far = rfc3339(start + Duration::days(3));
            let r = check_in(a_id, json!({"at": far}), w.staff.clone()).await;
            assert_eq!(field_errors(&r), ["at"]);
            let r = check_in(a_id, json!({}), w.ent_a.clone()).await;
            assert_eq!(r.status, 403, "{}", r.body);

            // The QR code on the agenda: every attendee of the registration, now.
            let token = u["checkin_token"].as_str().unwrap().to_string();
            let scan = |text: String| {
                let (addr, staff) = (w.addr, w.staff.clone());
                async move {
                    call(
                        addr,
                        "POST",
                        &format!("/api/v1/events/{event}/check-in"),
                        Some(&staff),
                        Some(json!({"token": text})),
                    )
                    .await
                }
            };
            let r = scan(format!("QIAO-CHECKIN:{token}")).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let doc = r.json();
            assert_eq!(doc["registration"]["id"], u["id"]);
            assert_eq!(doc["registration"]["org_name"], UNIVERSITY);
            let rows = doc["attendance"].as_array().unwrap().clone();
            assert_eq!(rows.len(), 2);
            assert!(rows.iter().all(|r| r["late"] == false), "{rows:?}");
            // The bare token works too, and changes nothing the second time.
            let again = scan(token.clone()).await;
            assert_eq!(again.json()["attendance"], doc["attendance"]);
            assert_eq!(scan("QIAO-CHECKIN:0000".into()).await.status, 404);
            assert_eq!(scan("   ".into()).await.status, 422);
            // Another event's token names nothing here.
            let elsewhere = w
                .open_event(event_body("另一场活动", "thematic", start, 10, true))
                .await;
            let b = w
                .registered(&w.ent_b, elsewhere, json!({"attendees": people(1)}))
                .await;
            let r = scan(b["checkin_token"].as_str().unwrap().to_string()).await;
            assert_eq!(r.status, 404, "{}", r.body);

            // A registration that is not confirmed does not check in.
            let pending = w
                .open_event(event_body("需审核的活动", "thematic", start, 10, false))
                .await;
            let p = w
                .registered(&w.ent_a, pending, json!({"attendees": people(1)}))
                .await;
            let r = call(
                w.addr,
                "POST",
                &format!(
                    "/api/v1/events/{pending}/registrations/{}/check-in",
                    p["id"]
                ),
                Some(&w.staff),
                Some(json!({})),
            )
            .await;
            assert_eq!(r.status, 409, "{}", r.body);

            // Staff see who arrived and who is missing.
            let r = w
                .call(
                    "GET",
                    &format!("/api/v1/events/{event}/attendance"),
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let report = r.json();
            assert_eq!(report["expected"], 5, "{report}");
            assert_eq!(report["arrived"].as_array().unwrap().len(), 4);
            let missing = report["missing"].as_array().unwrap();
            assert_eq!(missing.len(), 1);
            assert_eq!(missing[0]["registration_id"], a_id);
            assert_eq!(missing[0]["attendee"], 2);
            assert_eq!(missing[0]["checked_in_at"], Value::Null);
            let late: Vec<&Value> = report["arrived"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["late"] == true)
                .collect();
            assert_eq!(late.len(), 1);
            assert_eq!(late[0]["name"], "参会人1");
            let path = format!("/api/v1/events/{event}/attendance");
            assert_eq!(w.call("GET", &path, Some(&w.ent_a), None).await.status, 403);
            assert_eq!(w.call("GET", &path, None, None).await.status, 401);
            db
        },
    )
    .await;
}

/// Every cell of the first sheet, row by row.
fn xlsx_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an xlsx file");
    let sheet = book
        .worksheet_range_at(0)
        .expect("a sheet")
        .expect("readable");
    sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[tokio::test]
async fn training_hours_make_the_yearly_roster() {
    each_backend(
        "events_registrations::training_hours_make_the_yearly_roster",
        |db| async move {
            let w = world(&db).await;
            let march: DateTime<Utc> = "2026-03-10T01:00:00Z".parse().unwrap();
            let june: DateTime<Utc> = "2026-06-16T01:00:00Z".parse().unwrap();
            let first = w
                .open_event(event_body(
                    "科技特派员培训（第一期）",
                    "科技特派员培训",
                    march,
                    50,
                    true,
                ))
                .await;
            let second = w
                .open_event(event_body(
                    "科技特派员培训（第二期）",
                    "commissioner_training",
                    june,
                    50,
                    true,
                ))
                .await;
            let teacher = json!({"name": "王海涛", "title": "教授", "phone": "138-1234-1234"});
            let r1 = w
                .registered(
                    &w.uni,
                    first,
                    json!({"attendees": [teacher, {"name": "曹丽娜", "phone": "15297831593"}]}),
                )
                .await;
            let r2 = w
                .registered(
                    &w.uni,
                    second,
                    json!({"attendees": [{"name": "王海涛", "phone": "13812341234"}]}),
                )
                .await;
            let (r1, r2) = (r1["id"].as_i64().unwrap(), r2["id"].as_i64().unwrap());
            let put = |event: i64, rid: i64, body: Value| {
                let (addr, staff) = (w.addr, w.staff.clone());
                async move {
                    call(
                        addr,
                        "PUT",
                        &format!("/api/v1/events/{event}/registrations/{rid}/hours"),
                        Some(&staff),
                        Some(body),
                    )
                    .await
                }
            };
            // Hours need a check-in first.
            let r = put(first, r1, json!({"hours": [{"attendee": 0, "hours": 3.5}]})).await;
            assert_eq!(r.status, 409, "{}: {}", w.label, r.body);
            for (event, rid, at) in [(first, r1, march), (second, r2, june)] {
                let r = w
                    .call(
                        "POST",
                        &format!("/api/v1/events/{event}/registrations/{rid}/check-in"),
                        Some(&w.staff),
                        Some(json!({"at": rfc3339(at)})),
                    )
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
            let r = put(
                first,
                r1,
                json!({"hours": [{"attendee": 0, "hours": 3.5}, {"attendee": 1, "hours": 2}]}),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["attendance"][0]["hours"], 3.5);
            let r = put(second, r2, json!({"hours": [{"attendee": 0, "hours": 4}]})).await;
            assert_eq!(r.status, 200, "{}", r.body);
            // Bounds, and each attendee once.
            let r = put(first, r1, json!({"hours": [{"attendee": 0, "hours": 25}]})).await;
            assert_eq!(field_errors(&r), ["hours"]);
            let r = put(first, r1, json!({"hours": [{"attendee": 5, "hours": 1}]})).await;
            assert_eq!(field_errors(&r), ["hours"]);
            let r = put(
                first,
                r1,
                json!({"hours": [{"attendee": 0, "hours": 1}, {"attendee": 0, "hours": 2}]}),
            )
            .await;
            assert_eq!(field_errors(&r), ["hours"]);
            // Only trainings have hours.
            let fair = w
                .open_event(event_body("专题对接会", "thematic", june, 50, true))
                .await;
            let f = w
                .registered(&w.ent_a, fair, json!({"attendees": people(1)}))
                .await;
            let r = w
                .call(
                    "POST",
                    &format!("/api/v1/events/{fair}/registrations/{}/check-in", f["id"]),
                    Some(&w.staff),
                    Some(json!({"at": rfc3339(june)})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let r = put(
                fair,
                f["id"].as_i64().unwrap(),
                json!({"hours": [{"attendee": 0, "hours": 1}]}),
            )
            .await;
            assert_eq!(r.status, 409, "{}", r.body);

            // The roster: one person across both trainings (the phone written two ways).
            let roster = w
                .call(
                    "GET",
                    "/api/v1/events/commissioners/roster?year=2026",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(roster.status, 200, "{}", roster.body);
            let people = roster.json()["items"].as_array().unwrap().clone();
            assert_eq!(people.len(), 2, "{people:?}");
            let wang = people.iter().find(|p| p["name"] == "王海涛").unwrap();
            assert_eq!(wang["events_attended"], 2, "{wang}");
            assert_eq!(wang["total_hours"], 7.5);
            let cao = people.iter().find(|p| p["name"] == "曹丽娜").unwrap();
            assert_eq!(cao["total_hours"], 2.0);
            let empty = w
                .call(
                    "GET",
                    "/api/v1/events/commissioners/roster?year=2025",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(items(&empty).len(), 0);

            let xlsx = w
                .call(
                    "GET",
                    "/api/v1/events/commissioners/roster?year=2026&format=xlsx",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(xlsx.status, 200);
            assert!(
                xlsx.header("content-disposition")
                    .unwrap()
                    .contains(".xlsx")
            );
            let rows = xlsx_rows(&xlsx.bytes);
            assert_eq!(
                rows[0][..4],
                ["姓名", "联系电话", "参加培训次数", "累计学时"]
            );
            let wang = rows
                .iter()
                .find(|r| r[0] == "王海涛")
                .expect("王海涛 on the roster");
            assert_eq!(wang[2], "2");
            assert_eq!(wang[3], "7.5");
            assert!(
                wang[4].contains("第一期") && wang[4].contains("第二期"),
                "{wang:?}"
            );
            let csv = w
                .call(
                    "GET",
                    "/api/v1/events/commissioners/roster?year=2026&format=csv",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(csv.status, 200);
            assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
            assert!(csv.body.contains("曹丽娜"), "{}", csv.body);

            let r = w
                .call(
                    "GET",
                    "/api/v1/events/commissioners/roster?year=1999",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            let r = w
                .call(
                    "GET",
                    "/api/v1/events/commissioners/roster?format=pdf",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(field_errors(&r), ["format"]);
            let r = w
                .call(
                    "GET",
                    "/api/v1/events/commissioners/roster",
                    Some(&w.uni),
                    None,
                )
                .await;
            assert_eq!(r.status, 403, "{}", r.body);
            db
        },
    )
    .await;
}
