//! External ids of needs are unique per organization: another organization
//! posting the external id of a staff-only need is not told that the need
//! exists (201, not 409), while an organization reusing its own id is
//! (409). Imports likewise create the other organization's listing instead
//! of updating the hidden one.

use qiao_store::testkit::each_backend;
use qiao_tests::{approved_org, call, import_jsonl, user_with_token};
use serde_json::{Value, json};
use std::net::SocketAddr;

async fn post(addr: SocketAddr, token: &str, body: Value) -> qiao_tests::Response {
    call(addr, "POST", "/api/v1/needs", Some(token), Some(body)).await
}

#[tokio::test]
async fn another_organization_may_reuse_the_external_id_of_a_hidden_need() {
    each_backend(
        "external_ids::another_organization_may_reuse_the_external_id_of_a_hidden_need",
        |db| async move {
            let server = qiao_tests::serve(&db).await;
            let addr = server.addr;
            let admin = server.first_admin("admin@example.com").await;
            let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
            let a_name = "甲新能源科技有限公司";
            let b_name = "乙海工装备有限公司";
            approved_org(addr, &staff, a_name, "enterprise", "高新区").await;
            let org_b = approved_org(addr, &staff, b_name, "enterprise", "城阳区").await;
            let ent_a =
                user_with_token(addr, &admin, "a@example.com", "enterprise", Some(a_name)).await;
            let ent_b =
                user_with_token(addr, &admin, "b@example.com", "enterprise", Some(b_name)).await;

            // A's staff-only needs: one with an id of its own, one numbered by the platform.
            let chosen = post(
                addr,
                &ent_a,
                json!({"external_id": "A-SECRET-1", "title": "固态电解质保密攻关",
                       "fields": ["new_energy"], "visibility": "staff_only"}),
            )
            .await;
            assert_eq!(chosen.status, 201, "{}: {}", db.label, chosen.body);
            let numbered = post(
                addr,
                &ent_a,
                json!({"title": "电池包热失控预警", "fields": ["new_energy"], "visibility": "staff_only"}),
            )
            .await;
            assert_eq!(numbered.status, 201, "{}", numbered.body);
            let number = numbered.json()["external_id"].as_str().unwrap().to_string();
            assert!(number.starts_with("XQ-"), "{number}");

            // B posting either id is not told that A's hidden need exists.
            for ext in ["A-SECRET-1", number.as_str()] {
                let r = post(
                    addr,
                    &ent_b,
                    json!({"external_id": ext, "title": "海工装备防腐涂层", "fields": ["new_energy"]}),
                )
                .await;
                assert_eq!(r.status, 201, "{} {ext}: {}", db.label, r.body);
                assert_eq!(r.json()["org_id"], org_b);
                assert_eq!(r.json()["external_id"], ext);
                // B finds its own need by the id, never A's.
                let path = format!("/api/v1/needs?external_id={ext}");
                let list = call(addr, "GET", &path, Some(&ent_b), None).await;
                assert_eq!(list.json()["total"], 1, "{}", list.body);
                assert_eq!(list.json()["items"][0]["org_id"], org_b);
                // Staff see both.
                let list = call(addr, "GET", &path, Some(&staff), None).await;
                assert_eq!(list.json()["total"], 2, "{}", list.body);
            }

            // A reusing its own id is a conflict.
            for ext in ["A-SECRET-1", number.as_str()] {
                let r = post(
                    addr,
                    &ent_a,
                    json!({"external_id": ext, "title": "第二个需求", "fields": ["new_energy"]}),
                )
                .await;
                assert_eq!(r.status, 409, "{} {ext}: {}", db.label, r.body);
                assert_eq!(r.json()["type"], "/problems/conflict");
            }

            // An import of B's row with A's id creates B's listing and leaves A's alone.
            let report = import_jsonl(
                addr,
                &staff,
                "needs",
                &[json!({"external_id": "A-SECRET-1", "org_name": b_name,
                         "title": "海工装备防腐涂层", "fields": ["new_energy"]})],
            )
            .await;
            assert_eq!(
                (&report["created"], &report["updated"], &report["unchanged"]),
                (&json!(0), &json!(0), &json!(1)),
                "{}: {report}",
                db.label
            );
            let report = import_jsonl(
                addr,
                &staff,
                "needs",
                &[json!({"external_id": "A-SECRET-1", "org_name": b_name,
                         "title": "海工装备防腐涂层（修订）", "fields": ["new_energy"]})],
            )
            .await;
            assert_eq!((&report["created"], &report["updated"]), (&json!(0), &json!(1)));
            let hidden = call(
                addr,
                "GET",
                "/api/v1/needs?external_id=A-SECRET-1&visibility=staff_only",
                Some(&staff),
                None,
            )
            .await;
            assert_eq!(hidden.json()["total"], 1, "{}", hidden.body);
            assert_eq!(hidden.json()["items"][0]["title"], "固态电解质保密攻关");
            assert_eq!(hidden.json()["items"][0]["version"], 1);
            db
        },
    )
    .await;
}
