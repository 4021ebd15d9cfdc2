//! The year's plan over HTTP on every backend: everyone reads it, staff
//! replace it (audited), and bad targets are named by their place.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{approved_org, call, user_with_token};
use serde_json::json;

#[tokio::test]
async fn staff_edit_the_plan_and_everyone_reads_it() {
    each_backend(
        "plans::staff_edit_the_plan_and_everyone_reads_it",
        |db: TestDb| async move {
            let server = qiao_tests::serve(&db).await;
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
            let path = "/api/v1/plans/2027";
            let r = call(addr, "GET", path, None, None).await;
            assert_eq!(r.status, 404, "{}: {}", db.label, r.body);

            let plan = json!({
                "name": "2027年琴岛市产学研合作工作计划",
                "targets": [
                    {"code": "key_projects", "label": "重点产学研合作项目", "target": 320, "unit": "项"},
                    {"code": "comprehensive_events", "label": "综合性对接活动", "target": 3, "min": 2, "unit": "场"}
                ]
            });
            let r = call(addr, "PUT", path, Some(&member), Some(plan.clone())).await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = call(addr, "PUT", path, None, Some(plan.clone())).await;
            assert_eq!(r.status, 401, "{}", r.body);
            let r = call(addr, "PUT", path, Some(&staff), Some(plan.clone())).await;
            assert_eq!(r.status, 200, "{}", r.body);
            for token in [None, Some(member.as_str())] {
                let r = call(addr, "GET", path, token, None).await;
                assert_eq!(r.status, 200, "{}", r.body);
                let got = r.json();
                assert_eq!(got["targets"][0]["target"], 320.0);
                assert_eq!(got["targets"][1]["min"], 2.0);
            }

            // Each bad target is named by its place; nothing is saved.
            let bad = json!({
                "name": "改",
                "targets": [
                    {"code": "key_projects", "label": "重点项目", "target": 300, "unit": "项"},
                    {"code": "key_projects", "label": "重复", "target": 1, "unit": "项"},
                    {"code": "events", "label": "活动", "target": 3, "min": 5, "unit": "场"}
                ]
            });
            let r = call(addr, "PUT", path, Some(&staff), Some(bad)).await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(r.body.contains("targets[1].code"), "{}", r.body);
            assert!(r.body.contains("targets[2].min"), "{}", r.body);
            let r = call(addr, "GET", path, None, None).await;
            assert_eq!(r.json()["targets"][0]["target"], 320.0);
            let r = call(addr, "GET", "/api/v1/plans/1999", None, None).await;
            assert!(r.status == 400 || r.status == 422, "{}", r.body);

            // Staff enter dated actual figures (手工填报) for the plan's targets.
            let actuals = "/api/v1/plans/2027/actuals";
            let entry = json!({"code": "comprehensive_events", "value": 1, "as_of": "2027-03-31",
                               "note": "春季综合性对接大会"});
            let r = call(addr, "POST", actuals, Some(&member), Some(entry.clone())).await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = call(addr, "GET", actuals, None, None).await;
            assert_eq!(r.status, 401, "{}", r.body);
            let r = call(addr, "POST", actuals, Some(&staff), Some(entry.clone())).await;
            assert_eq!(r.status, 201, "{}", r.body);
            assert_eq!(r.json()["source_label"], "手工填报");
            assert_eq!(r.json()["recorded_by"], "staff@example.com");
            for (bad, field) in [
                (json!({"code": "no_such_target", "value": 1, "as_of": "2027-03-31"}), "code"),
                (json!({"code": "key_projects", "value": 1, "as_of": "2026-12-31"}), "as_of"),
            ] {
                let r = call(addr, "POST", actuals, Some(&staff), Some(bad)).await;
                assert_eq!(r.status, 422, "{}", r.body);
                assert!(r.body.contains(field), "{}", r.body);
            }
            let r = call(addr, "POST", "/api/v1/plans/2030/actuals", Some(&staff), Some(entry)).await;
            assert_eq!(r.status, 404, "{}", r.body);
            let r = call(addr, "GET", actuals, Some(&staff), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let list = r.json();
            assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
            assert_eq!(list[0]["value"], 1.0);
            assert_eq!(list[0]["source"], "manual");
            db
        },
    )
    .await;
}
