//! Staff's screens in a real headless Chromium (see `tests/browser.rs` for
//! the harness): the plan dashboard draws its ECharts charts within the
//! strict CSP and shows the API's numbers; the console and the dashboard
//! pass `check_screen` at desktop and phone width.

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::browser::Browser;
use qiao_tests::{call, demo_platform, login_token, registered};
use serde_json::json;

/// Every chart of the page has its canvas and an ECharts instance.
const CHARTS_DRAWN: &str = "(() => { const charts = [...document.querySelectorAll('.chart[data-chart-option]')];\n\
     return charts.length > 0 && charts.every(el => el.querySelector('canvas') && window.echarts && window.echarts.getInstanceByDom(el)); })()";

#[tokio::test]
async fn staff_see_the_dashboard_and_the_console() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let staff = "staff@demo.qiao.cn";
    let token = login_token(addr, staff, DEMO_PASSWORD).await;
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
        .expect("key projects in the demo plan")
        .clone();
    // Some staff suggestions, so that the queue has something to show.
    let needs = call(addr, "GET", "/api/v1/needs?limit=3", Some(&token), None)
        .await
        .json();
    for n in needs["items"].as_array().unwrap() {
        let path = format!("/api/v1/needs/{}/suggestions?limit=3", n["id"]);
        call(addr, "GET", &path, Some(&token), None).await;
    }

    // An organization waiting for review.
    registered(
        addr,
        "newcomer@example.com",
        "enterprise",
        "琴岛新锐传感科技有限公司",
    )
    .await;

    browser.set_site(addr);
    browser.login(staff, DEMO_PASSWORD).await;
    browser.goto("/staff/dashboard?year=2026").await;
    browser
        .wait_until("every chart drawn by ECharts", CHARTS_DRAWN)
        .await;
    let count = browser
        .execute(
            "return document.querySelectorAll('.chart[data-chart-option]').length",
            json!([]),
        )
        .await;
    assert_eq!(count, json!(5));
    // The options came through as JSON with the canvas renderer.
    let renderer = browser
        .execute(
            "const el = document.querySelector('.chart[data-chart=funnel]');\n\
             return window.echarts.getInstanceByDom(el).getZr().painter.getType();",
            json!([]),
        )
        .await;
    assert_eq!(renderer, json!("canvas"));
    browser.assert_no_csp_violations("/staff/dashboard").await;

    // The page's numbers are the API's.
    let shown = browser.text_of("[data-figure=key_projects_actual]").await;
    // Figures read as people write them: 48, not 48.0.
    let actual = key["actual"].as_f64().expect("key projects are counted");
    assert_eq!(shown, format!("{actual}"), "{key}");
    let row = browser
        .text_of("tr[data-target=key_projects] [data-actual]")
        .await;
    assert!(row.starts_with(&format!("{actual}")), "{row}");
    let published = api["funnel"][0]["count"].to_string();
    let cell = browser.text_of("tr[data-stage=published] td.num").await;
    assert_eq!(cell, published);

    // The report downloads with the session cookie.
    let href = browser.attribute("[data-report]", "href").await.unwrap();
    assert_eq!(href, "/api/v1/plans/2026/report?format=xlsx");
    let status = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];\n\
             fetch(arguments[0], {credentials: 'same-origin'})\n\
               .then(r => done([r.status, r.headers.get('content-type')]))\n\
               .catch(e => done(String(e)));",
            json!([href]),
        )
        .await;
    assert_eq!(status[0], json!(200), "{status}");
    assert!(
        status[1]
            .as_str()
            .is_some_and(|t| t.contains("spreadsheetml")),
        "{status}"
    );

    let shots = browser
        .check_screen("/staff/dashboard", "staff-dashboard")
        .await;
    assert_eq!(shots.len(), 2);
    // check_screen left the page at desktop width: the charts drew there too.
    browser.goto("/staff/dashboard").await;
    browser
        .wait_until("every chart drawn again", CHARTS_DRAWN)
        .await;
    browser.assert_no_csp_violations("/staff/dashboard").await;
    // The charts further down, for whoever looks at the screenshots.
    for (section, name) in [
        ("dash-curve", "staff-dashboard-curve"),
        ("dash-funnel", "staff-dashboard-funnel"),
        ("dash-fields", "staff-dashboard-fields"),
    ] {
        browser
            .execute(
                "document.getElementById(arguments[0]).scrollIntoView();",
                json!([section]),
            )
            .await;
        browser.screenshot(name).await;
    }

    browser.check_screen("/staff", "staff-console").await;
    let text = browser.page_text().await;
    assert!(text.contains("对接建议审核"), "{text}");
    assert!(text.contains("琴岛新锐传感科技有限公司"), "{text}");
    assert!(text.contains("置信度"), "{text}");

    // Approving through the form comes back with the message said.
    browser
        .click("form[action^='/staff/organizations/'] button[value=approved]")
        .await;
    browser.wait_for("#flash").await;
    assert_eq!(browser.text_of("#flash").await, "已通过该机构的审核。");
    assert!(
        !browser
            .page_text()
            .await
            .contains("琴岛新锐传感科技有限公司")
    );
    browser
        .assert_no_csp_violations("/staff after approving")
        .await;
}
