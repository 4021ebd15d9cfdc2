//! Cooperation projects over HTTP on every backend: staff record them and
//! move them through their life cycle (409 names the allowed moves, signing
//! needs the contract, terminating a reason); partners see and report on
//! their own projects only; milestones due and not done are overdue.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{Response, approved_org, call, user_with_token};
use serde_json::{Value, json};
use std::net::SocketAddr;

struct World {
    addr: SocketAddr,
    label: &'static str,
    staff: String,
    enterprise: i64,
    university: i64,
    other: i64,
    /// A member of the enterprise, of the university, of an unrelated enterprise.
    ent_member: String,
    uni_member: String,
    other_member: String,
}

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let enterprise = approved_org(
        addr,
        &staff,
        "甲海工装备有限公司",
        "enterprise",
        "西海岸新区",
    )
    .await;
    let university = approved_org(addr, &staff, "乙理工大学", "university", "崂山区").await;
    let other = approved_org(addr, &staff, "丙新材料有限公司", "enterprise", "城阳区").await;
    let ent_member = user_with_token(
        addr,
        &admin,
        "e@example.com",
        "enterprise",
        Some("甲海工装备有限公司"),
    )
    .await;
    let uni_member = user_with_token(
        addr,
        &admin,
        "u@example.com",
        "university",
        Some("乙理工大学"),
    )
    .await;
    let other_member = user_with_token(
        addr,
        &admin,
        "o@example.com",
        "enterprise",
        Some("丙新材料有限公司"),
    )
    .await;
    World {
        addr,
        label: db.label,
        staff,
        enterprise,
        university,
        other,
        ent_member,
        uni_member,
        other_member,
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

    async fn create(&self, body: Value) -> Value {
        let r = self
            .call("POST", "/api/v1/projects", Some(&self.staff), Some(body))
            .await;
        assert_eq!(r.status, 201, "{}: {}", self.label, r.body);
        r.json()["project"].clone()
    }

    async fn transition(&self, id: i64, body: Value) -> Response {
        self.call(
            "POST",
            &format!("/api/v1/projects/{id}/transition"),
            Some(&self.staff),
            Some(body),
        )
        .await
    }

    fn project(&self, title: &str) -> Value {
        json!({
            "title": title,
            "enterprise_org_id": self.enterprise,
            "institution_org_id": self.university,
            "plan_year": 2026,
            "key_project": true,
            "field": "marine_equipment",
        })
    }

    /// The ids in a list answer.
    async fn listed(&self, query: &str, token: Option<&str>) -> Vec<i64> {
        let r = self
            .call("GET", &format!("/api/v1/projects{query}"), token, None)
            .await;
        assert_eq!(r.status, 200, "{query}: {}", r.body);
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
    }
}

#[tokio::test]
async fn staff_move_a_project_through_its_life_cycle() {
    each_backend(
        "projects::staff_move_a_project_through_its_life_cycle",
        |db| async move {
            let w = world(&db).await;
            let p = w.create(w.project("导管架焊接残余应力调控")).await;
            let id = p["id"].as_i64().unwrap();
            assert_eq!(p["status"], "planned", "{}", w.label);
            assert_eq!(p["origin"], "manual");
            assert_eq!(
                p["district"], "西海岸新区",
                "the enterprise's district: {p}"
            );
            assert_eq!(p["enterprise_name"], "甲海工装备有限公司");
            assert_eq!(p["next_statuses"], json!(["negotiating", "terminated"]));

            // A jump answers 409 naming the allowed moves.
            let r = w.transition(id, json!({"to": "signed"})).await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert!(r.body.contains("negotiating"), "{}", r.body);

            let r = w.transition(id, json!({"to": "negotiating"})).await;
            assert_eq!(r.status, 200, "{}", r.body);
            // Signing needs the contract: each missing field is named.
            let r = w.transition(id, json!({"to": "signed"})).await;
            assert_eq!(r.status, 422, "{}", r.body);
            for field in ["contract_type", "contract_amount", "signed_on"] {
                assert!(r.body.contains(field), "{field}: {}", r.body);
            }
            let r = w
                .call(
                    "PATCH",
                    &format!("/api/v1/projects/{id}"),
                    Some(&w.staff),
                    Some(json!({
                        "contract_type": "技术开发", "contract_amount": 180.5,
                        "signed_on": "2026-04-20", "expected_end": "2027-04-19",
                        "contract_reg_no": "3702122026000123"
                    })),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let r = w.transition(id, json!({"to": "signed"})).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let p = r.json()["project"].clone();
            assert_eq!(p["contract_type"], "development");
            assert_eq!(p["contract_amount"], 180.5);
            let r = w.transition(id, json!({"to": "in_progress"})).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(r.json()["project"]["started_on"].is_string(), "{}", r.body);

            // Terminating needs a reason code; then nothing moves any more.
            let r = w.transition(id, json!({"to": "terminated"})).await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(r.body.contains("reason"), "{}", r.body);
            let r = w
                .transition(
                    id,
                    json!({"to": "terminated", "reason": "funding", "note": "企业资金链紧张"}),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let p = r.json()["project"].clone();
            assert_eq!(p["status"], "terminated");
            assert_eq!(p["termination_reason"], "funding");
            assert_eq!(p["next_statuses"], json!([]));
            let r = w.transition(id, json!({"to": "completed"})).await;
            assert_eq!(r.status, 409, "{}", r.body);

            // The export carries the new fields after wave one's columns.
            let r = w
                .call(
                    "GET",
                    "/api/v1/export/projects?format=jsonl",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let row: Value = r
                .body
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .find(|v| v["title"] == "导管架焊接残余应力调控")
                .expect("the project is exported");
            assert_eq!(row["contract_reg_no"], "3702122026000123", "{row}");
            assert_eq!(row["termination_code"], "funding");
            assert_eq!(row["district"], "西海岸新区");
            assert_eq!(row["field"], "marine_equipment");
            assert_eq!(row["is_key"], "是", "wave one's column and value");

            // A stale version is refused.
            let r = w
                .call(
                    "PATCH",
                    &format!("/api/v1/projects/{id}"),
                    Some(&w.staff),
                    Some(json!({"title": "改名", "version": 1})),
                )
                .await;
            assert_eq!(r.status, 409, "{}", r.body);

            // Partners are named as what they are.
            let mut bad = w.project("错位的合作方");
            bad["enterprise_org_id"] = json!(w.university);
            bad["institution_org_id"] = json!(w.enterprise);
            let r = w
                .call("POST", "/api/v1/projects", Some(&w.staff), Some(bad))
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(r.body.contains("enterprise_org_id"), "{}", r.body);
            let mut bad = w.project("不存在的机构");
            bad["institution_org_id"] = json!(999_999);
            let r = w
                .call("POST", "/api/v1/projects", Some(&w.staff), Some(bad))
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            // Linked listings and meetings must exist (and be the partners').
            for (field, value) in [
                ("need_id", 153_756),
                ("capability_id", 153_756),
                ("meeting_id", 9),
            ] {
                let r = w
                    .call(
                        "PATCH",
                        &format!("/api/v1/projects/{id}"),
                        Some(&w.staff),
                        Some(json!({field: value})),
                    )
                    .await;
                assert_eq!(r.status, 422, "{field}: {}", r.body);
                assert!(r.body.contains(field), "{}", r.body);
            }
            db
        },
    )
    .await;
}

#[tokio::test]
async fn partners_see_and_report_on_their_own_projects_only() {
    each_backend(
        "projects::partners_see_and_report_on_their_own_projects_only",
        |db| async move {
            let w = world(&db).await;
            let own = w.create(w.project("海上风电单桩冲刷监测")).await["id"]
                .as_i64()
                .unwrap();
            let mut theirs = w.project("丙公司的项目");
            theirs["enterprise_org_id"] = json!(w.other);
            let theirs = w.create(theirs).await["id"].as_i64().unwrap();

            // Who sees what, by id and in the list (with its total).
            let rows: [(&str, Option<&str>, Vec<i64>); 5] = [
                ("staff", Some(&w.staff), vec![own, theirs]),
                ("enterprise member", Some(&w.ent_member), vec![own]),
                ("university member", Some(&w.uni_member), vec![own, theirs]),
                ("other member", Some(&w.other_member), vec![theirs]),
                ("public", None, vec![]),
            ];
            for (who, token, expected) in rows {
                let mut listed = w.listed("", token).await;
                listed.sort_unstable();
                assert_eq!(listed, expected, "{who} list: {}", w.label);
                let r = w.call("GET", "/api/v1/projects?limit=1", token, None).await;
                assert_eq!(r.json()["total"], expected.len(), "{who} total");
                for id in [own, theirs] {
                    let r = w
                        .call("GET", &format!("/api/v1/projects/{id}"), token, None)
                        .await;
                    let code = if expected.contains(&id) { 200 } else { 404 };
                    assert_eq!(r.status, code, "{who} GET {id}: {}", r.body);
                    let r = w
                        .call(
                            "GET",
                            &format!("/api/v1/projects/{id}/milestones"),
                            token,
                            None,
                        )
                        .await;
                    assert_eq!(r.status, code, "{who} milestones of {id}: {}", r.body);
                }
            }

            // The public's counter counts the transparency list, not the records.
            let listed = qiao_tests::get(w.addr, "/api/v1/public/key-projects?year=2026")
                .await
                .json()["items"]
                .as_array()
                .map_or(0, Vec::len);
            let home = qiao_tests::get(w.addr, "/").await;
            assert!(
                home.body
                    .contains(&format!("data-count=\"projects\">{listed}<")),
                "{listed}: {}",
                home.body
            );

            // A further partner sees the project too.
            let r = w
                .call(
                    "PATCH",
                    &format!("/api/v1/projects/{own}"),
                    Some(&w.staff),
                    Some(json!({"partners": [w.other]})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            let r = w
                .call(
                    "GET",
                    &format!("/api/v1/projects/{own}"),
                    Some(&w.other_member),
                    None,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);

            // Partners may not edit or move the project, nor add milestones.
            let r = w
                .call(
                    "PATCH",
                    &format!("/api/v1/projects/{own}"),
                    Some(&w.ent_member),
                    Some(json!({"title": "改名"})),
                )
                .await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = w
                .call(
                    "POST",
                    &format!("/api/v1/projects/{own}/transition"),
                    Some(&w.ent_member),
                    Some(json!({"to": "negotiating"})),
                )
                .await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = w
                .call(
                    "POST",
                    &format!("/api/v1/projects/{own}/milestones"),
                    Some(&w.ent_member),
                    Some(json!({"title": "样机", "due_on": "2026-06-30"})),
                )
                .await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = w
                .call("POST", "/api/v1/projects", None, Some(w.project("匿名")))
                .await;
            assert_eq!(r.status, 401, "{}", r.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn milestones_due_and_not_done_are_overdue_until_a_partner_reports_them() {
    each_backend(
        "projects::milestones_due_and_not_done_are_overdue_until_a_partner_reports_them",
        |db| async move {
            let w = world(&db).await;
            let id = w.create(w.project("海水淡化浓盐水提溴")).await["id"]
                .as_i64()
                .unwrap();
            let mut other = w.project("按期推进的项目");
            other["key_project"] = json!(false);
            let on_time = w.create(other).await["id"].as_i64().unwrap();
            let r = w
                .call(
                    "POST",
                    &format!("/api/v1/projects/{id}/milestones"),
                    Some(&w.staff),
                    Some(json!({"title": "中试装置调试", "due_on": "2020-01-31"})),
                )
                .await;
            assert_eq!(r.status, 201, "{}: {}", w.label, r.body);
            let m = r.json();
            assert_eq!(m["overdue"], true, "{m}");
            let mid = m["id"].as_i64().unwrap();
            let r = w
                .call(
                    "POST",
                    &format!("/api/v1/projects/{on_time}/milestones"),
                    Some(&w.staff),
                    Some(json!({"title": "验收", "due_on": "2099-12-31"})),
                )
                .await;
            assert_eq!(r.json()["overdue"], false, "{}", r.body);

            assert_eq!(w.listed("?overdue=true", Some(&w.staff)).await, vec![id]);
            assert_eq!(
                w.listed("?overdue=false", Some(&w.staff)).await,
                vec![on_time]
            );
            assert_eq!(
                w.listed("?key_project=false", Some(&w.staff)).await,
                vec![on_time]
            );
            let r = w
                .call(
                    "GET",
                    &format!("/api/v1/projects/{id}"),
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(r.json()["project"]["overdue_milestones"], 1, "{}", r.body);

            // A member of another organization cannot touch it; a partner
            // reports it reached but may not move its due date.
            let path = format!("/api/v1/milestones/{mid}");
            let r = w
                .call(
                    "PATCH",
                    &path,
                    Some(&w.other_member),
                    Some(json!({"done_on": "2026-02-01"})),
                )
                .await;
            assert_eq!(r.status, 404, "{}", r.body);
            let r = w
                .call(
                    "PATCH",
                    &path,
                    Some(&w.uni_member),
                    Some(json!({"due_on": "2030-01-01"})),
                )
                .await;
            assert_eq!(r.status, 403, "{}", r.body);
            let r = w
                .call(
                    "PATCH",
                    &path,
                    Some(&w.uni_member),
                    Some(json!({"done_on": "2026-02-01", "evidence": "中试报告编号 ZS-2026-07"})),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["overdue"], false);
            // A version from another time is a conflict, whatever its size.
            let r = w
                .call(
                    "PATCH",
                    &path,
                    Some(&w.staff),
                    Some(json!({"evidence": "x", "version": 2_147_483_647})),
                )
                .await;
            assert_eq!(r.status, 409, "{}", r.body);
            assert!(w.listed("?overdue=true", Some(&w.staff)).await.is_empty());

            // Partners and staff keep a timeline of notes.
            let r = w
                .call(
                    "POST",
                    &format!("/api/v1/projects/{id}/notes"),
                    Some(&w.ent_member),
                    Some(json!({"body": "已完成中试，进入工艺包编制"})),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.body);
            let r = w
                .call(
                    "POST",
                    &format!("/api/v1/projects/{id}/notes"),
                    Some(&w.other_member),
                    Some(json!({"body": "不相干的人"})),
                )
                .await;
            assert_eq!(r.status, 404, "{}", r.body);
            let r = w
                .call(
                    "GET",
                    &format!("/api/v1/projects/{id}"),
                    Some(&w.uni_member),
                    None,
                )
                .await;
            let notes = r.json()["notes"].clone();
            assert_eq!(notes.as_array().unwrap().len(), 1, "{notes}");
            assert_eq!(notes[0]["author"], "e@example.com");

            // Filters.
            assert_eq!(
                w.listed("?year=2025", Some(&w.staff)).await,
                Vec::<i64>::new()
            );
            let mut both = w
                .listed(
                    "?year=2026&field=marine_equipment&origin=manual",
                    Some(&w.staff),
                )
                .await;
            both.sort_unstable();
            assert_eq!(both, vec![id, on_time]);
            assert_eq!(
                w.listed(&format!("?org_id={}", w.other), Some(&w.staff))
                    .await,
                Vec::<i64>::new()
            );
            let r = w
                .call(
                    "GET",
                    "/api/v1/projects?status=unknown",
                    Some(&w.staff),
                    None,
                )
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            let r = w
                .call("GET", "/api/v1/projects?sort=random", Some(&w.staff), None)
                .await;
            assert!(r.status == 400 || r.status == 422, "{}", r.body);
            db
        },
    )
    .await;
}

/// Staff upload a file of projects: created by `external_id`, the district
/// the enterprise's, the status as the file has it; the same file again
/// changes nothing; a bad row writes nothing; a member may not import.
#[tokio::test]
async fn staff_import_projects_and_members_may_not() {
    each_backend(
        "projects::staff_import_projects_and_members_may_not",
        |db| async move {
            let w = world(&db).await;
            let addr = w.addr;
            let upload = |token: String, rows: Vec<Value>| async move {
                let file: String = rows.iter().map(|r| r.to_string() + "\n").collect();
                let auth = format!("Bearer {token}");
                let headers = [
                    ("Authorization", auth.as_str()),
                    ("Content-Type", "application/octet-stream"),
                ];
                qiao_tests::send(
                    addr,
                    "POST",
                    "/api/v1/import/projects?format=jsonl",
                    &headers,
                    Some(file.as_bytes()),
                )
                .await
            };
            let rows = vec![
                json!({"external_id": "IMP-1", "title": "深水网箱抗风浪结构优化",
                    "enterprise": "甲海工装备有限公司", "institution": "乙理工大学",
                    "plan_year": 2025, "is_key": "是", "status": "已签约",
                    "contract_type": "技术开发", "contract_amount": 80,
                    "gov_funding": 20, "signed_on": "2025-04-01"}),
                json!({"external_id": "IMP-2", "title": "船用复合材料舱盖轻量化",
                    "enterprise": "甲海工装备有限公司", "institution": "乙理工大学",
                    "plan_year": 2025, "status": "terminated",
                    "termination_code": "funding", "termination_reason": "配套资金未落实"}),
            ];
            let r = upload(w.ent_member.clone(), rows.clone()).await;
            assert_eq!(r.status, 403, "{}: {}", w.label, r.body);
            let r = upload(w.staff.clone(), rows.clone()).await;
            assert_eq!(r.status, 200, "{}: {}", w.label, r.body);
            assert_eq!(r.json()["created"], 2, "{}", r.body);

            let list = w
                .call("GET", "/api/v1/projects?year=2025", Some(&w.staff), None)
                .await;
            let items = list.json()["items"].as_array().unwrap().clone();
            assert_eq!(items.len(), 2, "{}", list.body);
            let signed = items.iter().find(|p| p["external_id"] == "IMP-1").unwrap();
            assert_eq!(signed["status"], "signed");
            assert_eq!(signed["key_project"], true);
            assert_eq!(signed["contract_amount"], 80.0);
            assert_eq!(signed["district"], "西海岸新区", "the enterprise's");
            assert_eq!(signed["enterprise_org_id"], w.enterprise);
            let ended = items.iter().find(|p| p["external_id"] == "IMP-2").unwrap();
            assert_eq!(ended["status"], "terminated");
            assert_eq!(ended["termination_reason"], "funding");
            assert_eq!(ended["termination_note"], "配套资金未落实");
            // Partners see the imported projects as their own.
            assert_eq!(w.listed("", Some(&w.uni_member)).await.len(), 2);
            assert!(w.listed("", Some(&w.other_member)).await.is_empty());

            let r = upload(w.staff.clone(), rows.clone()).await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.json()["unchanged"], 2, "{}", r.body);

            let mut bad = rows.clone();
            bad[0]["title"] = json!("改过的标题");
            bad[1]["institution"] = json!("丙新材料有限公司");
            bad.push(
                json!({"external_id": "IMP-3", "title": "t", "plan_year": 2025,
                "enterprise": "无此企业", "institution": "乙理工大学"}),
            );
            let r = upload(w.staff.clone(), bad).await;
            assert_eq!(r.status, 422, "{}", r.body);
            let errors = r.json()["errors"].clone();
            assert_eq!(errors[0]["field"], "institution", "{errors}");
            assert!(
                errors[0]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("line 2:"),
                "{errors}"
            );
            assert_eq!(errors[1]["field"], "enterprise", "{errors}");
            assert!(errors[1]["message"].as_str().unwrap().contains("无此企业"));
            let list = w
                .call("GET", "/api/v1/projects?year=2025", Some(&w.staff), None)
                .await;
            let titles: Vec<String> = list.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["title"].as_str().unwrap().to_string())
                .collect();
            assert!(!titles.contains(&"改过的标题".to_string()), "{titles:?}");
            assert_eq!(titles.len(), 2);
            db
        },
    )
    .await;
}
