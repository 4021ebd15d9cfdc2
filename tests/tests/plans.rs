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

/// Cells of a sheet below its header row.
fn sheet(book: &[u8], name: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut xlsx = calamine::Xlsx::new(std::io::Cursor::new(book)).expect("a workbook");
    let range = xlsx.worksheet_range(name).expect("the sheet");
    range.rows().skip(1).map(|r| r.to_vec()).collect()
}

fn number(cell: &calamine::Data) -> serde_json::Value {
    match cell {
        calamine::Data::Float(f) => json!(f),
        calamine::Data::Int(i) => json!(*i as f64),
        _ => serde_json::Value::Null,
    }
}

#[tokio::test]
async fn the_dashboard_and_the_annual_report_carry_the_same_numbers() {
    each_backend(
        "plans::the_dashboard_and_the_annual_report_carry_the_same_numbers",
        |db: TestDb| async move {
            qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
                .await
                .unwrap();
            let server = qiao_tests::serve(&db).await;
            let addr = server.addr;
            let admin = server.first_admin("admin@example.com").await;
            let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
            let member = user_with_token(
                addr,
                &admin,
                "m@example.com",
                "enterprise",
                Some("琴岛鼎力数控机床有限公司"),
            )
            .await;
            let path = "/api/v1/plans/2026/dashboard";
            let report = "/api/v1/plans/2026/report?format=xlsx";
            for p in [path, report] {
                assert_eq!(call(addr, "GET", p, None, None).await.status, 401, "{p}");
                let r = call(addr, "GET", p, Some(&member), None).await;
                assert_eq!(r.status, 403, "{p}: {}", r.body);
            }
            let r = call(
                addr,
                "GET",
                "/api/v1/plans/2031/dashboard",
                Some(&staff),
                None,
            )
            .await;
            assert_eq!(r.status, 404, "{}", r.body);
            let r = call(
                addr,
                "GET",
                "/api/v1/plans/1999/dashboard",
                Some(&staff),
                None,
            )
            .await;
            assert_eq!(r.status, 422, "{}", r.body);
            let r = call(
                addr,
                "GET",
                "/api/v1/plans/2026/report?format=csv",
                Some(&staff),
                None,
            )
            .await;
            assert_eq!(r.status, 422, "{}", r.body);

            // A manual figure (手工填报) counts on both.
            let entry = json!({"code": "tech_contract_turnover", "value": 1_260_000,
                               "as_of": "2026-06-30", "note": "市技术市场半年统计"});
            let r = call(
                addr,
                "POST",
                "/api/v1/plans/2026/actuals",
                Some(&staff),
                Some(entry),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);

            let r = call(addr, "GET", path, Some(&staff), None).await;
            assert_eq!(r.status, 200, "{}: {}", db.label, r.body);
            let d = r.json();
            let r = call(addr, "GET", report, Some(&staff), None).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(
                r.header("content-type"),
                Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            );
            assert!(
                r.header("content-disposition")
                    .is_some_and(|v| v.starts_with("attachment"))
            );
            let book = r.bytes.clone();

            // The demo shows real progress.
            let target = |code: &str| {
                d["targets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["code"] == code)
                    .unwrap()
                    .clone()
            };
            assert!(target("key_projects")["actual"].as_f64().unwrap() >= 3.0);
            assert!(target("key_projects")["last_year"].is_array(), "{d}");
            assert_eq!(target("tech_contract_turnover")["actual"], 1_260_000.0);
            assert_eq!(target("tech_contract_turnover")["source_label"], "手工填报");
            assert!(!d["overdue_milestones"].as_array().unwrap().is_empty());

            // Event figures equal the events summary's.
            let summary = call(
                addr,
                "GET",
                "/api/v1/events/summary?year=2026",
                Some(&staff),
                None,
            )
            .await
            .json();
            assert_eq!(d["events"], summary);

            // Every number of the report is the dashboard's.
            let targets = d["targets"].as_array().unwrap();
            let rows = sheet(&book, "概况");
            assert_eq!(rows.len(), targets.len());
            for (row, t) in rows.iter().zip(targets) {
                assert_eq!(row[0].to_string(), t["code"].as_str().unwrap());
                assert_eq!(number(&row[3]), t["target"], "{}", t["code"]);
                assert_eq!(number(&row[5]), t["actual"], "{}", t["code"]);
            }
            assert_eq!(json!(sheet(&book, "项目").len()), d["projects"]["total"]);
            assert_eq!(
                json!(sheet(&book, "活动").len()),
                d["events"]["events_held"]
            );
            assert_eq!(json!(sheet(&book, "参与单位").len()), d["organizations"]);
            let funnel = d["funnel"].as_array().unwrap();
            let rows = sheet(&book, "漏斗");
            assert_eq!(rows.len(), funnel.len());
            for (row, s) in rows.iter().zip(funnel) {
                assert_eq!(row[0].to_string(), s["code"].as_str().unwrap());
                assert_eq!(number(&row[2]), json!(s["count"].as_f64().unwrap()));
                assert_eq!(number(&row[4]), s["conversion"], "{}", s["code"]);
            }
            db
        },
    )
    .await;
}
