//! Match suggestions over HTTP on every backend: explanations, who sees
//! what, staff decisions and their audit trail, rejected pairs staying out,
//! and the plan-wide assignment within capacities.

use qiao_store::entities::{audit_log, project};
use qiao_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{
    Response, approved_org, call as call_at, capability_of, need_of, settle, user_with_token,
};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;

struct World {
    addr: SocketAddr,
    staff: String,
    ent_a: String,
    ent_b: String,
    uni: String,
    other_uni: String,
    /// Public battery need of enterprise A.
    battery: i64,
    /// Staff-only need of enterprise A.
    secret: i64,
    /// A second battery need, of enterprise B.
    battery_b: i64,
    /// Capabilities by title.
    caps: HashMap<&'static str, i64>,
}

/// A team capability posted by a member of its organization.
async fn capability(addr: SocketAddr, member: &str, mut v: Value) -> i64 {
    v["kind"] = json!("team");
    capability_of(addr, member, v).await
}

const THERMAL: &str = "动力电池热管理与液冷技术团队";
const WARNING: &str = "电池包热失控预警与安全防护";
const ELECTROLYTE: &str = "固态电解质界面改性与材料制备";
const WELDING: &str = "船舶焊接机器人与焊缝跟踪";

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let org = |name: &'static str, kind: &'static str, region: &'static str| {
        approved_org(addr, &staff, name, kind, region)
    };
    org("甲新能源科技有限公司", "enterprise", "高新区").await;
    org("乙储能系统有限公司", "enterprise", "城阳区").await;
    org("琴岛理工大学", "university", "崂山区").await;
    org("海滨材料研究所", "research_institute", "市南区").await;
    let user = |email: &'static str, role: &'static str, org: &'static str| {
        user_with_token(addr, &admin, email, role, Some(org))
    };
    let ent_a = user("a@example.com", "enterprise", "甲新能源科技有限公司").await;
    let ent_b = user("b@example.com", "enterprise", "乙储能系统有限公司").await;
    let uni = user("u@example.com", "university", "琴岛理工大学").await;
    let other_uni = user("m@example.com", "university", "海滨材料研究所").await;
    let mut caps = HashMap::new();
    caps.insert(
        THERMAL,
        capability(addr, &uni, json!({"title": THERMAL,
            "description": "研究动力电池热管理系统，液冷板流道设计，电池包温度均匀性控制，电池热管理仿真与试验。",
            "fields": ["new_energy"], "keywords": ["动力电池", "热管理", "液冷"], "trl": 5,
            "cooperation_modes": ["joint_development"], "capacity": 1})).await,
    );
    caps.insert(
        WARNING,
        capability(
            addr,
            &uni,
            json!({"title": WARNING,
            "description": "动力电池热失控早期预警，电池包温度与气体监测，热管理与安全防护设计。",
            "fields": ["new_energy"], "keywords": ["动力电池", "热失控", "预警"], "trl": 6,
            "cooperation_modes": ["joint_development"], "capacity": 2}),
        )
        .await,
    );
    caps.insert(
        ELECTROLYTE,
        capability(addr, &other_uni, json!({"title": ELECTROLYTE,
            "description": "固态电解质材料制备，硫化物与氧化物固态电解质界面改性，锂金属负极界面稳定。",
            "fields": ["new_materials", "new_energy"], "keywords": ["固态电解质", "界面改性"], "trl": 4,
            "cooperation_modes": ["joint_development"], "capacity": 3})).await,
    );
    caps.insert(
        WELDING,
        capability(
            addr,
            &uni,
            json!({"title": WELDING,
            "description": "船舶分段焊接机器人，激光视觉焊缝跟踪，焊接工艺数据库。",
            "fields": ["marine_equipment"], "keywords": ["焊接机器人", "焊缝跟踪"], "trl": 7,
            "cooperation_modes": ["transfer"], "capacity": 3}),
        )
        .await,
    );
    let battery = need_of(
        addr,
        &ent_a,
        json!({
            "title": "动力电池热管理系统开发",
            "description": "我公司需要开发动力电池包液冷热管理系统，控制电池温差，提高电池寿命。",
            "indicators": [{"name": "电池包最大温差", "target": "≤3℃"}],
            "fields": ["new_energy"], "keywords": ["动力电池", "热管理"],
            "cooperation_modes": ["joint_development"], "required_trl": 4}),
    )
    .await;
    let secret = need_of(
        addr,
        &ent_a,
        json!({
            "title": "固态电解质界面改性攻关",
            "description": "固态电池的固态电解质与锂金属负极界面阻抗大，需要界面改性方案。",
            "fields": ["new_energy"], "keywords": ["固态电解质"],
            "cooperation_modes": ["joint_development"], "visibility": "staff_only"}),
    )
    .await;
    let battery_b = need_of(
        addr,
        &ent_b,
        json!({
            "title": "储能电池包热管理与热失控预警",
            "description": "储能电站电池包需要液冷热管理和热失控预警方案。",
            "fields": ["new_energy"], "keywords": ["热管理", "热失控"],
            "cooperation_modes": ["joint_development"]}),
    )
    .await;
    // The analyzer's dictionary takes the listings' keywords (热管理 as one
    // word) when a server opens its index, so suggestions are read from a
    // server started after the listings exist, as after a restart.
    let addr = qiao_tests::serve_another(db, "restarted").await.addr;
    World {
        addr,
        battery,
        secret,
        battery_b,
        staff,
        ent_a,
        ent_b,
        uni,
        other_uni,
        caps,
    }
}

async fn call(
    w: &World,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Response {
    call_at(w.addr, method, path, token, body).await
}

fn items(r: &Response) -> Vec<Value> {
    assert_eq!(r.status, 200, "{r:?}");
    r.json()["items"].as_array().unwrap().clone()
}

fn titles(items: &[Value], side: &str) -> Vec<String> {
    items
        .iter()
        .map(|i| i[side]["title"].as_str().unwrap().to_string())
        .collect()
}

fn find<'a>(items: &'a [Value], side: &str, title: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i[side]["title"] == title)
        .unwrap_or_else(|| panic!("{title} not among {:?}", titles(items, side)))
}

#[tokio::test]
async fn suggestions_are_explained_and_owners_see_only_what_staff_accepted() {
    each_backend(
        "suggestions::explained_and_owners_see_accepted",
        |db| async move {
            let w = world(&db).await;
            settle(w.addr).await;
            let path = format!("/api/v1/needs/{}/suggestions", w.battery);

            // Staff: live, ranked, explained, with a verdict on the list.
            let live = call(&w, "GET", &path, Some(&w.staff), None).await;
            let list = items(&live);
            assert_eq!(live.json()["verdict"], "good_match", "{live:?}");
            assert!(live.json()["message"].is_null());
            let found = titles(&list, "capability");
            assert_eq!(found[0], THERMAL, "{} {found:?}", db.label);
            assert!(found.contains(&WARNING.to_string()), "{found:?}");
            assert!(
                !found.contains(&WELDING.to_string()),
                "unrelated team suggested: {found:?}"
            );
            let top = &list[0];
            assert_eq!(top["status"], "suggested");
            assert!(top["id"].as_i64().is_some());
            assert_eq!(top["capability"]["org_name"], "琴岛理工大学");
            let e = &top["explanation"];
            let summary = e["summary"].as_str().unwrap();
            assert!(summary.starts_with("关键词："), "{summary}");
            assert!(summary.contains("领域一致：新能源"), "{summary}");
            assert!(
                summary.contains("成熟度：小试（需求：小试及以上）"),
                "{summary}"
            );
            let terms: Vec<&str> = e["matched_terms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["term"].as_str().unwrap())
                .collect();
            assert!(terms.contains(&"热管理"), "{terms:?}");
            // Distinctive terms only: none is part of another, none generic.
            for (i, a) in terms.iter().enumerate() {
                for (j, b) in terms.iter().enumerate() {
                    assert!(i == j || !b.contains(a), "{a} is part of {b}: {terms:?}");
                }
            }
            assert!(!terms.contains(&"系统"), "{terms:?}");
            assert_eq!(top["confidence"], "strong", "{top}");
            assert_eq!(e["found_by"], "words");
            assert!(e["semantic"].is_null(), "no embedding model: {e}");
            assert!(
                summary.ends_with("仅按关键词匹配（未启用语义模型）"),
                "{summary}"
            );
            assert!(
                e["matched_terms"][0]["found_in"]
                    .as_array()
                    .is_some_and(|f| !f.is_empty())
            );
            let factors = e["factors"].as_array().unwrap();
            let codes: Vec<&str> = factors
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .collect();
            assert_eq!(
                codes,
                [
                    "text", "field", "mode", "maturity", "budget", "region", "capacity", "history"
                ]
            );
            let sum: f64 = factors
                .iter()
                .map(|f| f["contribution"].as_f64().unwrap())
                .sum();
            assert!(
                (sum - top["score"].as_f64().unwrap()).abs() < 1e-9,
                "factors add up to the score"
            );
            let scores: Vec<f64> = list.iter().map(|i| i["score"].as_f64().unwrap()).collect();
            assert!(
                scores.windows(2).all(|p| p[0] >= p[1]),
                "best first: {scores:?}"
            );
            let limited =
                items(&call(&w, "GET", &format!("{path}?limit=1"), Some(&w.staff), None).await);
            assert_eq!(limited.len(), 1);

            // Owners see nothing before staff accept; others are refused; the
            // staff-only need does not exist for anyone but its owner and staff.
            assert!(items(&call(&w, "GET", &path, Some(&w.ent_a), None).await).is_empty());
            assert_eq!(
                call(&w, "GET", &path, Some(&w.ent_b), None).await.status,
                403
            );
            assert_eq!(call(&w, "GET", &path, Some(&w.uni), None).await.status, 403);
            assert_eq!(call(&w, "GET", &path, None, None).await.status, 401);
            let secret = format!("/api/v1/needs/{}/suggestions", w.secret);
            for t in [&w.ent_b, &w.uni, &w.other_uni] {
                assert_eq!(call(&w, "GET", &secret, Some(t), None).await.status, 404);
            }
            assert_eq!(
                call(
                    &w,
                    "GET",
                    "/api/v1/needs/999999/suggestions",
                    Some(&w.staff),
                    None
                )
                .await
                .status,
                404
            );
            assert_eq!(
                call(&w, "GET", &format!("{path}?limit=0"), Some(&w.staff), None)
                    .await
                    .status,
                422
            );

            // Accepting opens a planned project; accepting twice is a conflict.
            let id = top["id"].as_i64().unwrap();
            let accept = format!("/api/v1/suggestions/{id}/accept");
            let body = json!({"create_project": true, "plan_year": 2026, "key_project": true});
            assert_eq!(
                call(&w, "POST", &accept, Some(&w.ent_a), Some(body.clone()))
                    .await
                    .status,
                403
            );
            let r = call(&w, "POST", &accept, Some(&w.staff), Some(body.clone())).await;
            assert_eq!(r.status, 200, "{r:?}");
            assert_eq!(r.json()["status"], "accepted");
            let project_id = r.json()["project_id"].as_i64().expect("a project");
            let export = call(
                &w,
                "GET",
                "/api/v1/export/projects?format=jsonl",
                Some(&w.staff),
                None,
            )
            .await;
            assert_eq!(export.status, 200, "{export:?}");
            let rows: Vec<Value> = export
                .body
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(rows.len(), 1, "{rows:?}");
            let p = &rows[0];
            assert_eq!(
                (&p["status"], &p["origin"], &p["plan_year"], &p["is_key"]),
                (
                    &json!("planned"),
                    &json!("match"),
                    &json!(2026),
                    &json!("是")
                )
            );
            assert_eq!(
                (&p["title"], &p["enterprise"], &p["institution"]),
                (
                    &json!("动力电池热管理系统开发"),
                    &json!("甲新能源科技有限公司"),
                    &json!("琴岛理工大学")
                )
            );
            // TODO(project-read-api): exports name a project's organizations,
            // not its need and capability, and no route reads a project;
            // until one does, this one assertion reads the database.
            let p = project::Entity::find_by_id(project_id)
                .one(db.store.conn())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                (p.need_id, p.capability_id),
                (Some(w.battery), Some(w.caps[THERMAL]))
            );
            assert_eq!(
                call(&w, "POST", &accept, Some(&w.staff), Some(body))
                    .await
                    .status,
                409
            );

            // Now the need's owner and the capability's owner see the pair.
            let owner_view = call(&w, "GET", &path, Some(&w.ent_a), None).await;
            let own = items(&owner_view);
            assert_eq!(titles(&own, "capability"), [THERMAL]);
            assert_eq!(own[0]["status"], "accepted");
            assert_eq!(own[0]["confidence"], "strong");
            // The owner sees staff decisions, not a verdict of the matcher.
            assert!(owner_view.json()["verdict"].is_null());
            let cap_path = format!("/api/v1/capabilities/{}/suggestions", w.caps[THERMAL]);
            let theirs = items(&call(&w, "GET", &cap_path, Some(&w.uni), None).await);
            assert_eq!(titles(&theirs, "need"), ["动力电池热管理系统开发"]);
            assert_eq!(
                call(&w, "GET", &cap_path, Some(&w.other_uni), None)
                    .await
                    .status,
                403
            );

            // A staff-only need accepted for a capability stays hidden from the
            // capability's owner, while its own owner sees the pair.
            let el_path = format!("/api/v1/capabilities/{}/suggestions", w.caps[ELECTROLYTE]);
            let for_cap = items(&call(&w, "GET", &el_path, Some(&w.staff), None).await);
            let secret_item = find(&for_cap, "need", "固态电解质界面改性攻关");
            let sid = secret_item["id"].as_i64().unwrap();
            let r = call(
                &w,
                "POST",
                &format!("/api/v1/suggestions/{sid}/accept"),
                Some(&w.staff),
                Some(json!({})),
            )
            .await;
            assert_eq!(r.status, 200, "{r:?}");
            assert!(r.json()["project_id"].is_null());
            let seen = items(&call(&w, "GET", &el_path, Some(&w.other_uni), None).await);
            assert!(seen.iter().all(|i| i["need"]["id"] != w.secret), "{seen:?}");
            let own = items(&call(&w, "GET", &secret, Some(&w.ent_a), None).await);
            assert_eq!(titles(&own, "capability"), [ELECTROLYTE]);

            // Every decision is in the audit log with its actor.
            // TODO(audit-read-api): the API exposes no audit log yet; until it
            // does, this one assertion reads the database.
            let decisions = audit_log::Entity::find()
                .filter(audit_log::Column::EntityType.eq("match_suggestion"))
                .filter(audit_log::Column::Action.eq("decide"))
                .all(db.store.conn())
                .await
                .unwrap();
            assert_eq!(decisions.len(), 2);
            assert!(
                decisions.iter().all(|d| d.actor == "staff@example.com"),
                "{decisions:?}"
            );
            db
        },
    )
    .await;
}

#[tokio::test]
async fn rejected_pairs_never_come_back_and_reasons_are_checked() {
    each_backend(
        "suggestions::rejected_pairs_never_come_back",
        |db| async move {
            let w = world(&db).await;
            settle(w.addr).await;
            let path = format!("/api/v1/needs/{}/suggestions", w.battery);
            let list = items(&call(&w, "GET", &path, Some(&w.staff), None).await);
            let warning = find(&list, "capability", WARNING)["id"].as_i64().unwrap();
            let reject = format!("/api/v1/suggestions/{warning}/reject");

            for (body, field) in [
                (json!({"reason": "不喜欢"}), "reason"),
                (json!({"reason": "other"}), "note"),
                (json!({"reason": "other", "note": "   "}), "note"),
            ] {
                let r = call(&w, "POST", &reject, Some(&w.staff), Some(body)).await;
                assert_eq!(r.status, 422, "{r:?}");
                assert_eq!(r.json()["errors"][0]["field"], field, "{r:?}");
            }
            assert_eq!(
                call(
                    &w,
                    "POST",
                    &reject,
                    Some(&w.uni),
                    Some(json!({"reason": "other", "note": "x"}))
                )
                .await
                .status,
                403
            );
            assert_eq!(
                call(
                    &w,
                    "POST",
                    "/api/v1/suggestions/999999/reject",
                    Some(&w.staff),
                    Some(json!({"reason": "other", "note": "x"}))
                )
                .await
                .status,
                404
            );

            // The Chinese label is accepted as well as the code.
            let r = call(
                &w,
                "POST",
                &reject,
                Some(&w.staff),
                Some(json!({"reason": "方向不符", "note": "偏重安全监测"})),
            )
            .await;
            assert_eq!(r.status, 200, "{r:?}");
            assert_eq!(
                (
                    r.json()["status"].as_str(),
                    r.json()["reject_reason"].as_str()
                ),
                (Some("rejected"), Some("direction_mismatch"))
            );
            assert_eq!(
                call(
                    &w,
                    "POST",
                    &format!("/api/v1/suggestions/{warning}/accept"),
                    Some(&w.staff),
                    Some(json!({}))
                )
                .await
                .status,
                409
            );

            let again = items(&call(&w, "GET", &path, Some(&w.staff), None).await);
            assert!(
                !titles(&again, "capability").contains(&WARNING.to_string()),
                "a rejected pair came back"
            );
            let by_cap = items(
                &call(
                    &w,
                    "GET",
                    &format!("/api/v1/capabilities/{}/suggestions", w.caps[WARNING]),
                    Some(&w.staff),
                    None,
                )
                .await,
            );
            assert!(
                by_cap.iter().all(|i| i["need"]["id"] != w.battery),
                "a rejected pair came back: {by_cap:?}"
            );

            // Contacted, then accepted.
            let thermal = find(&again, "capability", THERMAL)["id"].as_i64().unwrap();
            let r = call(
                &w,
                "POST",
                &format!("/api/v1/suggestions/{thermal}/contacted"),
                Some(&w.staff),
                None,
            )
            .await;
            assert_eq!(
                (r.status, r.json()["status"].as_str()),
                (200, Some("contacted"))
            );
            let r = call(
                &w,
                "POST",
                &format!("/api/v1/suggestions/{thermal}/accept"),
                Some(&w.staff),
                Some(json!({})),
            )
            .await;
            assert_eq!(
                (r.status, r.json()["status"].as_str()),
                (200, Some("accepted"))
            );

            // The plan run excludes the rejected pair too.
            let r = call(
                &w,
                "POST",
                "/api/v1/plans/2026/assignments",
                Some(&w.staff),
                Some(json!({"k": 3})),
            )
            .await;
            assert_eq!(r.status, 200, "{r:?}");
            let pairs: Vec<(i64, i64)> = r.json()["proposals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["need"]["id"].as_i64().unwrap(),
                        p["capability"]["id"].as_i64().unwrap(),
                    )
                })
                .collect();
            assert!(!pairs.contains(&(w.battery, w.caps[WARNING])), "{pairs:?}");
            db
        },
    )
    .await;
}

#[tokio::test]
async fn the_plan_assignment_respects_k_capacity_and_the_key_project_flag() {
    each_backend("suggestions::plan_assignment", |db| async move {
        let w = world(&db).await;
        settle(w.addr).await;
        let run = |body: Value| {
            call(
                &w,
                "POST",
                "/api/v1/plans/2026/assignments",
                Some(&w.staff),
                Some(body),
            )
        };

        let r = run(json!({"k": 2})).await;
        assert_eq!(r.status, 200, "{r:?}");
        let v = r.json();
        assert_eq!(
            (v["year"].as_i64(), v["k"].as_i64(), v["needs"].as_i64()),
            (Some(2026), Some(2), Some(3))
        );
        let proposals = v["proposals"].as_array().unwrap();
        let mut per_need: HashMap<i64, usize> = HashMap::new();
        let mut per_cap: HashMap<i64, usize> = HashMap::new();
        for p in proposals {
            *per_need
                .entry(p["need"]["id"].as_i64().unwrap())
                .or_default() += 1;
            *per_cap
                .entry(p["capability"]["id"].as_i64().unwrap())
                .or_default() += 1;
            assert_eq!(p["status"], "suggested");
            assert!(p["id"].as_i64().is_some());
            assert!(!p["explanation"]["summary"].as_str().unwrap().is_empty());
        }
        assert!(per_need.values().all(|n| *n <= 2), "{per_need:?}");
        // The thermal team takes one project at a time; both battery needs want it.
        assert_eq!(
            per_cap.get(&w.caps[THERMAL]).copied().unwrap_or(0),
            1,
            "{per_cap:?}"
        );
        assert!(
            per_cap.get(&w.caps[WARNING]).copied().unwrap_or(0) <= 2,
            "{per_cap:?}"
        );
        assert!(
            per_need.contains_key(&w.battery) && per_need.contains_key(&w.battery_b),
            "{per_need:?}"
        );
        let total: f64 = proposals.iter().map(|p| p["score"].as_f64().unwrap()).sum();
        assert!((total - v["total_score"].as_f64().unwrap()).abs() < 1e-6);
        assert!(
            v["total_score"].as_f64().unwrap()
                >= v["greedy"]["total_score"].as_f64().unwrap() - 1e-9
        );

        // Proposals are stored for review: staff see them among the need's suggestions.
        let first = proposals[0]["id"].as_i64().unwrap();
        let need_id = proposals[0]["need"]["id"].as_i64().unwrap();
        let listed = items(
            &call(
                &w,
                "GET",
                &format!("/api/v1/needs/{need_id}/suggestions"),
                Some(&w.staff),
                None,
            )
            .await,
        );
        assert!(listed.iter().any(|i| i["id"] == first), "{listed:?}");

        // One proposal per university at most.
        let r = run(json!({"k": 3, "per_university": 1})).await;
        let mut per_org: HashMap<String, usize> = HashMap::new();
        for p in r.json()["proposals"].as_array().unwrap() {
            *per_org
                .entry(p["capability"]["org_name"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        assert!(per_org.values().all(|n| *n == 1), "{per_org:?}");

        // Narrowed to the needs flagged for the key-project plan, or to chosen ones.
        let key = call(
            &w,
            "PUT",
            "/api/v1/plans/2026/key-needs",
            Some(&w.staff),
            Some(json!({"need_ids": [w.battery_b]})),
        )
        .await;
        assert_eq!(key.status, 200, "{key:?}");
        assert_eq!(
            call(
                &w,
                "GET",
                "/api/v1/plans/2026/key-needs",
                Some(&w.staff),
                None
            )
            .await
            .json()["need_ids"],
            json!([w.battery_b])
        );
        let r = run(json!({"key_projects": true})).await;
        assert_eq!(r.json()["needs"], 1);
        assert!(
            r.json()["proposals"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["need"]["id"] == w.battery_b)
        );
        let r = run(json!({"need_ids": [w.secret]})).await;
        assert_eq!(r.json()["needs"], 1, "staff plan staff-only needs too");

        // Staff only, and bad input is a clear error.
        assert_eq!(run_as(&w, &w.ent_a, json!({})).await.status, 403);
        assert_eq!(
            call(
                &w,
                "PUT",
                "/api/v1/plans/2026/key-needs",
                Some(&w.ent_a),
                Some(json!({"need_ids": []}))
            )
            .await
            .status,
            403
        );
        let r = run(json!({"k": 0})).await;
        assert_eq!(
            (r.status, r.json()["errors"][0]["field"].as_str()),
            (422, Some("k"))
        );
        assert_eq!(run(json!({"kk": 1})).await.status, 400);
        let r = call(
            &w,
            "PUT",
            "/api/v1/plans/2026/key-needs",
            Some(&w.staff),
            Some(json!({"need_ids": [424242]})),
        )
        .await;
        assert_eq!(r.status, 400, "{r:?}");
        assert!(
            r.json()["detail"].as_str().unwrap().contains("424242"),
            "{r:?}"
        );
        db
    })
    .await;
}

async fn run_as(w: &World, token: &str, body: Value) -> Response {
    call(
        w,
        "POST",
        "/api/v1/plans/2026/assignments",
        Some(token),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn a_need_without_a_good_match_says_so_and_stays_out_of_the_plan() {
    each_backend("suggestions::no_good_match", |db| async move {
        let w = world(&db).await;
        // Only a peripheral word (焊接) and generic ones (材料, 研究) are shared
        // with any team.
        let lonely = need_of(
            w.addr,
            &w.ent_b,
            json!({
                "title": "海水淡化反渗透膜污堵清洗",
                "description": "反渗透膜污堵严重，清洗周期短，希望研究新型清洗剂和膜材料，兼顾设备焊接部位的耐腐蚀。",
                "fields": ["water_tech"], "cooperation_modes": ["joint_development"]}),
        )
        .await;
        settle(w.addr).await;
        let r = call(
            &w,
            "GET",
            &format!("/api/v1/needs/{lonely}/suggestions"),
            Some(&w.staff),
            None,
        )
        .await;
        let list = items(&r);
        assert!(!list.is_empty(), "the shared words find someone: {r:?}");
        assert!(
            list.iter().all(|i| i["confidence"] == "weak"),
            "{list:?}"
        );
        let v = r.json();
        assert_eq!(
            (&v["verdict"], &v["message"]),
            (&json!("no_good_match"), &json!("未找到合适的匹配"))
        );

        // The plan leaves weak pairs out unless staff ask for them.
        let run = |body: Value| {
            call(
                &w,
                "POST",
                "/api/v1/plans/2026/assignments",
                Some(&w.staff),
                Some(body),
            )
        };
        let r = run(json!({"need_ids": [lonely, w.battery]})).await;
        assert_eq!(r.status, 200, "{r:?}");
        let v = r.json();
        assert_eq!(v["include_weak"], false);
        assert!(v["weak_left_out"].as_u64().unwrap() >= list.len() as u64, "{v}");
        let proposals = v["proposals"].as_array().unwrap();
        assert!(
            proposals.iter().all(|p| p["need"]["id"] != lonely),
            "{proposals:?}"
        );
        assert!(
            proposals
                .iter()
                .any(|p| p["need"]["id"] == w.battery && p["confidence"] == "strong"),
            "{proposals:?}"
        );
        assert!(proposals.iter().all(|p| p["confidence"] != "weak"));
        assert_eq!(v["needs_covered"], 1);

        let r = run(json!({"need_ids": [lonely], "include_weak": true})).await;
        assert_eq!(r.status, 200, "{r:?}");
        let v = r.json();
        assert_eq!((&v["include_weak"], &v["weak_left_out"]), (&json!(true), &json!(0)));
        let proposals = v["proposals"].as_array().unwrap();
        assert!(!proposals.is_empty(), "{v}");
        assert!(
            proposals
                .iter()
                .all(|p| p["need"]["id"] == lonely && p["confidence"] == "weak"),
            "{proposals:?}"
        );
        assert_eq!(run(json!({"include_weak": "yes"})).await.status, 400);
        db
    })
    .await;
}
