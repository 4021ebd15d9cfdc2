//! Staff's pages over HTTP, as a browser without JavaScript uses them:
//! `/staff` (the console: organization review and the suggestion queue)
//! and `/staff/dashboard` (the plan dashboard), on the demo data.

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::location;
use qiao_tests::{Visitor, call, demo_platform, login_token, org_of, registered};
use serde_json::Value;
use std::net::SocketAddr;

const STAFF: &str = "staff@demo.qiao.cn";

#[tokio::test]
async fn only_staff_see_the_console_and_the_dashboard() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let mut anonymous = Visitor::new(addr);
    for (path, next) in [
        ("/staff", "%2Fstaff"),
        ("/staff/dashboard", "%2Fstaff%2Fdashboard"),
    ] {
        let r = anonymous.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(location(&r), format!("/login?next={next}"));
    }
    for member in ["enterprise@demo.qiao.cn", "university@demo.qiao.cn"] {
        let mut visitor = Visitor::new(addr);
        let csrf = visitor.sign_in(member, DEMO_PASSWORD).await;
        for path in ["/staff", "/staff/dashboard?year=2026"] {
            let r = visitor.get(path).await;
            assert_eq!(r.status, 403, "{member} {path}");
            assert!(r.body.contains("无权访问"), "{}", r.body);
            assert!(!r.body.contains("echarts"));
        }
        // Nor can they act through the console's forms.
        let r = visitor
            .post(
                "/staff/organizations/1/review",
                &[("csrf", &csrf), ("status", "approved")],
            )
            .await;
        assert_eq!(r.status, 403, "{member}");
    }
    // Admins are staff too.
    let mut admin = Visitor::new(addr);
    admin.sign_in("admin@demo.qiao.cn", DEMO_PASSWORD).await;
    assert_eq!(admin.get("/staff").await.status, 200);
}

#[tokio::test]
async fn the_dashboard_shows_the_plans_numbers() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let token = login_token(addr, STAFF, DEMO_PASSWORD).await;
    let api = call(
        addr,
        "GET",
        "/api/v1/plans/2026/dashboard",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(api.status, 200, "{}", api.body);
    let api = api.json();
    let key = api["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "key_projects")
        .expect("the demo plan has key projects")
        .clone();
    let actual = key["actual"].as_f64().unwrap();

    let mut staff = Visitor::new(addr);
    staff.sign_in(STAFF, DEMO_PASSWORD).await;
    let r = staff.get("/staff/dashboard?year=2026").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let html = &r.body;
    assert!(
        html.contains(&format!("data-figure=\"key_projects_actual\">{actual}<")),
        "key projects {actual}: {html}"
    );
    // The key projects' row of the targets table says the same.
    let row = &html[html.find("data-target=\"key_projects\"").unwrap()..];
    let cell = &row[row.find("data-actual>").unwrap() + 12..];
    assert!(cell.starts_with(&format!("{actual} ")), "{cell}");
    for stage in [
        "发布需求",
        "推荐匹配",
        "采纳推荐",
        "活动洽谈",
        "达成意向",
        "签订合同",
        "项目完成",
    ] {
        assert!(html.contains(stage), "{stage}");
    }
    // A manual target says so, with its date.
    if api["targets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["source"] == "manual" && !t["as_of"].is_null())
    {
        assert!(html.contains("手工填报"));
    }
    // ECharts on this page (only): the charts' options as JSON, no functions.
    assert!(html.contains("/assets/echarts.min."), "{html}");
    assert!(html.contains("/assets/charts."));
    assert_eq!(html.matches("data-chart-option=").count(), 5, "{html}");
    assert!(!html.contains("function"));
    assert!(html.contains(&format!(
        "本年度已举办对接活动 {} 场",
        api["events"]["events_held"]
    )));
    let home = staff.get("/staff").await;
    assert!(
        !home.body.contains("echarts"),
        "only the dashboard loads ECharts"
    );

    // The report link works with the session cookie alone.
    let link = "/api/v1/plans/2026/report?format=xlsx";
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let report = staff.get(link).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(
        report
            .header("content-type")
            .is_some_and(|t| t.contains("spreadsheetml"))
    );
    assert!(report.bytes.starts_with(b"PK"));

    // Another curve, and a year without a plan.
    let r = staff
        .get("/staff/dashboard?year=2026&target=thematic_events")
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("<option value=\"thematic_events\" selected>")
    );
    let r = staff.get("/staff/dashboard?year=2031").await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("2031年度尚未发布工作计划"), "{}", r.body);

    // In English the figures stay and the labels change.
    staff.get("/lang?to=en&back=/").await;
    let r = staff.get("/staff/dashboard?year=2026").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Needs funnel"));
    assert!(r.body.contains("Contract signed"));
}

#[tokio::test]
async fn staff_approve_an_organization_through_the_form() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let newcomer = registered(
        addr,
        "newcomer@example.com",
        "enterprise",
        "琴岛新锐传感科技有限公司",
    )
    .await;
    let org = org_of(addr, &newcomer).await;

    let mut staff = Visitor::new(addr);
    let csrf = staff.sign_in(STAFF, DEMO_PASSWORD).await;
    let page = staff.get("/staff").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("琴岛新锐传感科技有限公司"),
        "{}",
        page.body
    );
    let action = format!("/staff/organizations/{org}/review");
    assert!(page.body.contains(&format!("action=\"{action}\"")));

    // Without the CSRF field: refused, and nothing changes.
    let r = staff.post(&action, &[("status", "approved")]).await;
    assert_eq!(r.status, 403);
    let r = staff
        .post(
            &action,
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("status", "approved"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let token = login_token(addr, STAFF, DEMO_PASSWORD).await;
    let path = format!("/api/v1/organizations/{org}");
    let o = call(addr, "GET", &path, Some(&token), None).await.json();
    assert_eq!(o["review_status"], "pending");

    let r = staff
        .post(&action, &[("csrf", &csrf), ("status", "approved")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(location(&r), "/staff?done=org_approved#orgs");
    let o = call(addr, "GET", &path, Some(&token), None).await.json();
    assert_eq!(o["review_status"], "approved");
    let page = staff.get("/staff?done=org_approved").await;
    assert!(page.body.contains("已通过该机构的审核。"));
    assert!(!page.body.contains(&format!("action=\"{action}\"")));
}

/// The first demo need staff get suggestions for: (suggestion ids, need id).
async fn suggestions(addr: SocketAddr, token: &str) -> (Vec<i64>, i64) {
    let needs = call(addr, "GET", "/api/v1/needs?limit=50", Some(token), None)
        .await
        .json();
    for n in needs["items"].as_array().unwrap() {
        let id = n["id"].as_i64().unwrap();
        let path = format!("/api/v1/needs/{id}/suggestions?limit=3");
        let r = call(addr, "GET", &path, Some(token), None).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let ids: Vec<i64> = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "suggested")
            .filter_map(|s| s["id"].as_i64())
            .collect();
        if ids.len() >= 2 {
            return (ids, id);
        }
    }
    panic!("no demo need has suggestions");
}

#[tokio::test]
async fn staff_decide_on_suggestions_through_the_forms() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let token = login_token(addr, STAFF, DEMO_PASSWORD).await;
    let (ids, need) = suggestions(addr, &token).await;

    let mut staff = Visitor::new(addr);
    let csrf = staff.sign_in(STAFF, DEMO_PASSWORD).await;
    let page = staff.get("/staff").await;
    for id in &ids {
        assert!(
            page.body.contains(&format!("data-suggestion=\"{id}\"")),
            "{id}: {}",
            page.body
        );
    }
    assert!(page.body.contains("置信度"));

    // Accepting opens a project.
    let accept = format!("/staff/suggestions/{}/accept", ids[0]);
    let r = staff.post(&accept, &[("plan_year", "2026")]).await;
    assert_eq!(r.status, 403, "no CSRF field");
    let r = staff
        .post(
            &accept,
            &[("csrf", &csrf), ("plan_year", "2026"), ("key_project", "1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let to = location(&r).to_string();
    assert!(to.starts_with("/staff?done=accepted&project="), "{to}");
    let project: i64 = to["/staff?done=accepted&project=".len()..]
        .trim_end_matches("#queue")
        .parse()
        .unwrap();
    let p = call(
        addr,
        "GET",
        &format!("/api/v1/projects/{project}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let p: Value = p.json()["project"].clone();
    assert_eq!(p["need_id"], need, "{p}");
    assert_eq!(p["key_project"], true);
    assert_eq!(p["status"], "planned");
    let page = staff.get(&to).await;
    assert!(
        page.body
            .contains(&format!("新建了合作项目（编号 {project}）")),
        "{}",
        page.body
    );
    assert!(
        !page
            .body
            .contains(&format!("data-suggestion=\"{}\"", ids[0]))
    );

    // Rejecting with "other" needs a note: the form comes back with the error.
    let reject = format!("/staff/suggestions/{}/reject", ids[1]);
    let r = staff
        .post(
            &reject,
            &[("csrf", &csrf), ("reason", "other"), ("note", "")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains(&format!("id=\"note-{}-error\"", ids[1])),
        "{}",
        r.body
    );
    let r = staff
        .post(
            &reject,
            &[("csrf", &csrf), ("reason", "budget_mismatch"), ("note", "")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(location(&r), "/staff?done=rejected#queue");
    let again = call(
        addr,
        "GET",
        &format!("/api/v1/needs/{need}/suggestions?limit=10"),
        Some(&token),
        None,
    )
    .await
    .json();
    assert!(
        again["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != ids[1]),
        "a rejected pair is not suggested again: {again}"
    );
}
