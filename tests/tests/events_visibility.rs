//! Every read path of an event against the one visibility rule, on every
//! backend: an unpublished event exists for staff only — by id, in lists
//! and totals, and under every sub-resource — and a published one shows a
//! stranger nothing of its registrations, requests, meetings or files.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{approved_org, call, user_with_token};
use serde_json::json;

const READS: &[&str] = &[
    "",
    "/registrations",
    "/meeting-requests",
    "/meetings",
    "/attendance",
    "/report",
    "/report?format=xlsx",
    "/table-plan?format=html",
    "/table-plan?format=xlsx",
    "/agenda?format=ics",
    "/agenda?format=html",
];

async fn event(addr: std::net::SocketAddr, staff: &str, name: &str, published: bool) -> i64 {
    let r = call(
        addr,
        "POST",
        "/api/v1/events",
        Some(staff),
        Some(json!({
            "name": name, "kind": "thematic", "published": published, "capacity": 10,
            "starts_at": "2026-12-10T09:00:00+08:00", "ends_at": "2026-12-10T16:30:00+08:00",
            "tables": 4, "auto_confirm": true,
        })),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_i64().unwrap();
    let r = call(
        addr,
        "PATCH",
        &format!("/api/v1/events/{id}"),
        Some(staff),
        Some(json!({"status": "registration_open"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    id
}

#[tokio::test]
async fn every_event_read_path_follows_the_rule() {
    each_backend(
        "events_visibility::every_event_read_path_follows_the_rule",
        |db: TestDb| async move {
            let server = qiao_tests::serve(&db).await;
            let addr = server.addr;
            let admin = server.first_admin("admin@example.com").await;
            let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
            let org_a = approved_org(addr, &staff, "甲农机有限公司", "enterprise", "平度市").await;
            approved_org(addr, &staff, "乙食品有限公司", "enterprise", "莱西市").await;
            let a = user_with_token(addr, &admin, "a@example.com", "enterprise", Some("甲农机有限公司")).await;
            let b = user_with_token(addr, &admin, "b@example.com", "enterprise", Some("乙食品有限公司")).await;
            let hidden = event(addr, &staff, "筹备中的农机对接会", false).await;
            let shown = event(addr, &staff, "已发布的农机对接会", true).await;
            // Staff register A at both events (staff may register any organization).
            for id in [hidden, shown] {
                let r = call(
                    addr,
                    "POST",
                    &format!("/api/v1/events/{id}/registrations"),
                    Some(&staff),
                    Some(json!({"org_id": org_a, "attendees": [{"name": "张三", "title": "经理", "phone": "13812341234"}]})),
                )
                .await;
                assert_eq!(r.status, 201, "{}: {}", db.label, r.body);
            }

            // The unpublished event: nothing of it for anyone but staff, even its registrant.
            for (who, token) in [("anonymous", None), ("registrant", Some(a.as_str())), ("stranger", Some(b.as_str()))] {
                for path in READS {
                    // Hidden answers exactly as absent: 404, or the 401/403 a
                    // staff-only path gives whatever the id.
                    let url = format!("/api/v1/events/{hidden}{path}");
                    let r = call(addr, "GET", &url, token, None).await;
                    let absent = call(addr, "GET", &format!("/api/v1/events/999999{path}"), token, None).await;
                    assert!([401, 403, 404].contains(&r.status), "{}: {who} {url}: {} {}", db.label, r.status, r.body);
                    assert_eq!(r.status, absent.status, "{}: {who} {url}: {} vs absent {}", db.label, r.body, absent.body);
                }
                let list = call(addr, "GET", "/api/v1/events?limit=100", token, None).await.json();
                assert_eq!(list["total"], 1, "{who}: {list}");
                assert!(list["items"].as_array().unwrap().iter().all(|e| e["id"] != hidden));
            }
            for path in READS.iter().filter(|p| !p.starts_with("/agenda")) {
                let url = format!("/api/v1/events/{hidden}{path}");
                let r = call(addr, "GET", &url, Some(&staff), None).await;
                assert_eq!(r.status, 200, "staff {url}: {}", r.body);
            }

            // The published event: a stranger sees the event, none of A's data.
            let url = |p: &str| format!("/api/v1/events/{shown}{p}");
            let r = call(addr, "GET", &url(""), Some(&b), None).await;
            assert_eq!(r.status, 200);
            for path in ["/registrations", "/meeting-requests", "/meetings"] {
                let r = call(addr, "GET", &url(path), Some(&b), None).await;
                assert!(r.status == 200 || r.status == 403, "{path}: {}", r.status);
                if r.status == 200 {
                    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(0), "{path}: {}", r.body);
                }
                assert!(!r.body.contains("13812341234") && !r.body.contains("张三"), "{path}: {}", r.body);
            }
            let r = call(addr, "GET", &url(&format!("/agenda?org_id={org_a}&format=ics")), Some(&b), None).await;
            assert_eq!(r.status, 404, "{}", r.body);
            for path in ["/attendance", "/report", "/table-plan?format=html"] {
                let r = call(addr, "GET", &url(path), Some(&b), None).await;
                assert!(r.status == 403 || r.status == 404, "{path}: {}", r.status);
            }
            let r = call(addr, "GET", "/api/v1/events/summary?year=2026", Some(&b), None).await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = call(addr, "GET", "/api/v1/events/commissioners/roster?year=2026", Some(&b), None).await;
            assert_eq!(r.status, 403, "{}", r.body);
            // The registrant sees its own registration with its phone unmasked.
            let own = call(addr, "GET", &url("/registrations"), Some(&a), None).await.json();
            assert_eq!(own["items"][0]["attendees"][0]["phone"], "13812341234", "{own}");

            // The pages follow the same rule: `/events` and `/events/{id}` for every viewer.
            let viewers = [
                ("anonymous", None, false),
                ("registrant", Some(a.as_str()), false),
                ("stranger", Some(b.as_str()), false),
                ("staff", Some(staff.as_str()), true),
            ];
            let mut failed = Vec::new();
            for (who, token, staff_sees) in viewers {
                let calendar = call(addr, "GET", "/events", token, None).await;
                let cells = [
                    ("/events lists the published event", calendar.status == 200 && calendar.body.contains("已发布的农机对接会")),
                    ("/events lists the unpublished event", calendar.body.contains("筹备中的农机对接会") == staff_sees),
                ];
                for (cell, ok) in cells {
                    if !ok {
                        failed.push(format!("{who}: {cell} (expected for staff only: {staff_sees}), got {}", calendar.status));
                    }
                }
                for (id, name, sees) in [(shown, "已发布的农机对接会", true), (hidden, "筹备中的农机对接会", staff_sees)] {
                    let r = call(addr, "GET", &format!("/events/{id}"), token, None).await;
                    let ok = if sees {
                        r.status == 200 && r.body.contains(name)
                    } else {
                        r.status == 404 && !r.body.contains(name)
                    };
                    if !ok {
                        failed.push(format!("{who}: GET /events/{id} expected {} got {}", if sees { 200 } else { 404 }, r.status));
                    }
                }
            }
            assert!(failed.is_empty(), "{}: page cells failing:\n{}", db.label, failed.join("\n"));
            db
        },
    )
    .await;
}
