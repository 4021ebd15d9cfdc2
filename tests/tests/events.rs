//! Events over HTTP on every backend: staff set them up and move them
//! through their life cycle; the calendar shows published events to
//! everyone and unpublished ones to staff only.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{approved_org, call, user_with_token};
use serde_json::{Value, json};
use std::net::SocketAddr;

struct World {
    addr: SocketAddr,
    label: &'static str,
    staff: String,
    member: String,
}

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    approved_org(addr, &staff, "甲新能源科技有限公司", "enterprise", "高新区").await;
    let member = user_with_token(
        addr,
        &admin,
        "a@example.com",
        "enterprise",
        Some("甲新能源科技有限公司"),
    )
    .await;
    World {
        addr,
        label: db.label,
        staff,
        member,
    }
}

fn thematic(name: &str, published: bool) -> Value {
    json!({
        "name": name,
        "kind": "专题性",
        "themes": ["new_energy", "新材料"],
        "starts_at": "2026-09-17T13:30:00+08:00",
        "ends_at": "2026-09-17T17:30:00+08:00",
        "venue": "西海岸新区海洋装备产业园创新服务中心",
        "district": "黄岛区",
        "organizer": "琴岛市科学技术局",
        "co_organizers": ["西海岸新区科技创新局"],
        "capacity": 150,
        "published": published,
        "slot_minutes": 20,
        "meeting_hours": [
            {"start": "2026-09-17T14:00:00+08:00", "end": "2026-09-17T15:00:00+08:00"},
            {"start": "2026-09-17T15:20:00+08:00", "end": "2026-09-17T17:00:00+08:00"}
        ],
        "tables": 10,
        "spare_share": 0.1
    })
}

impl World {
    async fn create(&self, body: Value) -> Value {
        let r = call(
            self.addr,
            "POST",
            "/api/v1/events",
            Some(&self.staff),
            Some(body),
        )
        .await;
        assert_eq!(r.status, 201, "{}: {}", self.label, r.body);
        r.json()
    }

    async fn patch(&self, id: i64, body: Value) -> qiao_tests::Response {
        call(
            self.addr,
            "PATCH",
            &format!("/api/v1/events/{id}"),
            Some(&self.staff),
            Some(body),
        )
        .await
    }
}

#[tokio::test]
async fn staff_set_up_an_event_and_move_it_through_its_life_cycle() {
    each_backend(
        "events::staff_set_up_an_event_and_move_it_through_its_life_cycle",
        |db| async move {
            let w = world(&db).await;
            let e = w.create(thematic("海工装备专题对接会", false)).await;
            let id = e["id"].as_i64().unwrap();
            assert_eq!(e["kind"], "thematic", "{}", w.label);
            assert_eq!(e["status"], "planned");
            assert_eq!(e["themes"], json!(["new_energy", "new_materials"]));
            // 14:00–15:00 gives 3 slots, 15:20–17:00 gives 5; 10 % of 10 tables kept free.
            assert_eq!(e["meeting"]["slots"], 8, "{e}");
            assert_eq!(e["meeting"]["usable_tables"], 9);
            assert_eq!(
                e["next_statuses"],
                json!(["registration_open", "held", "cancelled"])
            );

            // A jump answers 409 with the allowed moves.
            let r = w.patch(id, json!({"status": "closed"})).await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert!(r.body.contains("registration_open"), "{}", r.body);

            let r = w
                .patch(id, json!({"status": "报名中", "published": true}))
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["status"], "registration_open");
            let r = w.patch(id, json!({"status": "registration_closed"})).await;
            assert_eq!(r.json()["status"], "registration_closed", "{}", r.body);
            let r = w.patch(id, json!({"status": "held"})).await;
            assert_eq!(r.json()["status"], "held", "{}", r.body);
            let r = w.patch(id, json!({"status": "closed"})).await;
            assert_eq!(r.json()["status"], "closed", "{}", r.body);
            assert_eq!(r.json()["version"], 5);
            let r = w.patch(id, json!({"status": "cancelled"})).await;
            assert_eq!(r.status, 409, "{}", r.body);

            // A stale version is refused.
            let r = w.patch(id, json!({"venue": "别处", "version": 1})).await;
            assert_eq!(r.status, 409, "{}", r.body);

            // Members and the public may not write.
            let r = call(
                w.addr,
                "PATCH",
                &format!("/api/v1/events/{id}"),
                Some(&w.member),
                Some(json!({"name": "改名"})),
            )
            .await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = call(
                w.addr,
                "POST",
                "/api/v1/events",
                None,
                Some(thematic("x", true)),
            )
            .await;
            assert_eq!(r.status, 401, "{}", r.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn unpublished_events_are_seen_by_staff_only() {
    each_backend(
        "events::unpublished_events_are_seen_by_staff_only",
        |db| async move {
            let w = world(&db).await;
            let shown = w.create(thematic("已发布的对接会", true)).await["id"]
                .as_i64()
                .unwrap();
            let hidden = w.create(thematic("筹备中的对接会", false)).await["id"]
                .as_i64()
                .unwrap();
            for (who, token) in [("anonymous", None), ("member", Some(w.member.as_str()))] {
                let r = call(
                    w.addr,
                    "GET",
                    &format!("/api/v1/events/{hidden}"),
                    token,
                    None,
                )
                .await;
                assert_eq!(r.status, 404, "{}: {who}: {}", w.label, r.body);
                let r = call(
                    w.addr,
                    "GET",
                    &format!("/api/v1/events/{shown}"),
                    token,
                    None,
                )
                .await;
                assert_eq!(r.status, 200, "{}: {who}: {}", w.label, r.body);
                let list = call(w.addr, "GET", "/api/v1/events", token, None)
                    .await
                    .json();
                assert_eq!(list["total"], 1, "{who}: {list}");
                assert_eq!(list["items"][0]["id"], shown);
                // Filters never reveal the hidden one either.
                let list = call(
                    w.addr,
                    "GET",
                    "/api/v1/events?kind=thematic&year=2026&month=9&theme=new_energy&q=对接会",
                    token,
                    None,
                )
                .await
                .json();
                assert_eq!(list["total"], 1, "{who}: {list}");
                let r = call(
                    w.addr,
                    "POST",
                    &format!("/api/v1/events/{hidden}/clone"),
                    token,
                    Some(json!({})),
                )
                .await;
                assert!(r.status == 401 || r.status == 403, "{who}: {}", r.status);
            }
            let list = call(w.addr, "GET", "/api/v1/events", Some(&w.staff), None)
                .await
                .json();
            assert_eq!(list["total"], 2, "{list}");
            let r = call(
                w.addr,
                "GET",
                "/api/v1/events?year=2026&month=8",
                Some(&w.staff),
                None,
            )
            .await
            .json();
            assert_eq!(r["total"], 0, "{r}");
            let r = call(
                w.addr,
                "GET",
                "/api/v1/events?kind=thematic&year=2026&theme=modern_agriculture",
                Some(&w.staff),
                None,
            )
            .await
            .json();
            assert_eq!(r["total"], 0, "{r}");
            db
        },
    )
    .await;
}

#[tokio::test]
async fn a_clone_shifts_every_time_and_starts_over() {
    each_backend("events::a_clone_shifts_every_time_and_starts_over", |db| async move {
        let w = world(&db).await;
        let e = w.create(thematic("2026年海工装备专题对接会", true)).await;
        let id = e["id"].as_i64().unwrap();
        w.patch(id, json!({"status": "registration_open"})).await;
        let r = call(
            w.addr,
            "POST",
            &format!("/api/v1/events/{id}/clone"),
            Some(&w.staff),
            Some(json!({"starts_at": "2027-09-16T13:30:00+08:00", "name": "2027年海工装备专题对接会"})),
        )
        .await;
        assert_eq!(r.status, 201, "{}: {}", w.label, r.body);
        let c = r.json();
        assert_eq!(c["status"], "planned");
        assert_eq!(c["published"], false);
        assert_eq!(c["cloned_from"], id);
        assert_eq!(c["name"], "2027年海工装备专题对接会");
        let start = chrono::DateTime::parse_from_rfc3339(c["starts_at"].as_str().unwrap()).unwrap();
        let end = chrono::DateTime::parse_from_rfc3339(c["ends_at"].as_str().unwrap()).unwrap();
        assert_eq!((end - start).num_minutes(), 240);
        let first = chrono::DateTime::parse_from_rfc3339(
            c["meeting"]["hours"][0]["start"].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!((first - start).num_minutes(), 30);
        assert_eq!(c["meeting"]["slots"], e["meeting"]["slots"]);
        db
    })
    .await;
}

#[tokio::test]
async fn bad_event_fields_are_each_named() {
    each_backend("events::bad_event_fields_are_each_named", |db| async move {
        let w = world(&db).await;
        let mut body = thematic("", true);
        body["kind"] = json!("庙会");
        let r = call(w.addr, "POST", "/api/v1/events", Some(&w.staff), Some(body)).await;
        assert_eq!(r.status, 422, "{}: {}", w.label, r.body);
        for field in ["name", "kind"] {
            assert!(
                r.body.contains(&format!("\"{field}\"")),
                "{field}: {}",
                r.body
            );
        }
        let mut body = thematic("时间颠倒", true);
        body["ends_at"] = json!("2026-09-17T12:00:00+08:00");
        body["spare_share"] = json!(0.95);
        body["meeting_hours"] =
            json!([{"start": "2026-09-18T14:00:00+08:00", "end": "2026-09-18T15:00:00+08:00"}]);
        let r = call(w.addr, "POST", "/api/v1/events", Some(&w.staff), Some(body)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        for field in ["ends_at", "spare_share"] {
            assert!(
                r.body.contains(&format!("\"{field}\"")),
                "{field}: {}",
                r.body
            );
        }
        let mut body = thematic("太多主题", true);
        body["co_organizers"] = json!(vec!["某单位"; 21]);
        let r = call(w.addr, "POST", "/api/v1/events", Some(&w.staff), Some(body)).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains("co_organizers"), "{}", r.body);
        let r = call(w.addr, "GET", "/api/v1/events?month=13", None, None).await;
        assert_eq!(r.status, 400, "{}", r.body);
        let r = call(w.addr, "GET", "/api/v1/events?limit=1000", None, None).await;
        assert_eq!(r.status, 422, "{}", r.body);
        db
    })
    .await;
}
