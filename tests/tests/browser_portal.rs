//! The public portal's screens in a real headless Chromium on the demo
//! data (see `browser.rs` for the harness): an anonymous visitor searches
//! from the header's box, opens a need and a capability, never sees a
//! staff-only need, and reads the transparency list. Each screen passes
//! `check_screen` (no CSP violation, no serious or critical axe-core
//! finding, screenshots `portal-*-desktop.png` and `portal-*-phone.png`).

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::browser::Browser;
use qiao_tests::{demo_platform, login_token, need_of, settle};
use serde_json::json;

const SECRET: &str = "军品配套转台热误差补偿保密需求";

#[tokio::test]
async fn an_anonymous_visitor_searches_reads_and_sees_the_key_projects() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let staff = login_token(addr, "staff@demo.qiao.cn", DEMO_PASSWORD).await;
    let need = json!({"org_name": "琴岛鼎力数控机床有限公司", "title": SECRET,
        "description": "精密转台热误差补偿的保密配套需求。", "fields": "高端装备制造",
        "keywords": ["热误差"], "visibility": "staff_only"});
    need_of(addr, &staff, need).await;
    settle(addr).await;
    browser.set_site(addr);

    // From the header's search box on the portal.
    browser.goto("/").await;
    browser.fill("#site-search-q", "热误差").await;
    browser.click("form.site-search button[type=submit]").await;
    browser
        .wait_until("the search results", "location.pathname === '/search'")
        .await;
    browser.wait_for("ol.hits mark").await;
    let results = browser.current_path().await;
    assert!(results.starts_with("/search?q="), "{results}");
    let html = browser
        .execute("return document.documentElement.outerHTML", json!([]))
        .await;
    assert!(
        !html.as_str().unwrap().contains(SECRET),
        "a staff-only need is not even in the source"
    );
    assert_eq!(
        browser
            .attribute("#site-search-q", "value")
            .await
            .as_deref(),
        Some("热误差"),
        "the header's box keeps the query"
    );
    browser.check_screen(&results, "portal-search").await;

    // A facet narrows the results, still without the hidden need.
    browser.goto(&results).await;
    browser.click("a[data-facet='field']").await;
    browser
        .wait_until("a narrowed search", "location.search.includes('field=')")
        .await;
    assert!(!browser.page_text().await.contains(SECRET));

    // Open a need from the results.
    browser.goto(&results).await;
    browser.click("li.hit[data-kind='need'] h3 a").await;
    browser
        .wait_until("a need's page", "location.pathname.startsWith('/needs/')")
        .await;
    let need_page = browser.current_path().await;
    let text = browser.page_text().await;
    assert!(text.contains("预算") && text.contains("联系方式"), "{text}");
    browser.check_screen(&need_page, "portal-need").await;

    // A capability from its tab.
    browser.goto("/search?type=capability").await;
    browser.click("li.hit h3 a").await;
    browser
        .wait_until(
            "a capability's page",
            "location.pathname.startsWith('/capabilities/')",
        )
        .await;
    let cap_page = browser.current_path().await;
    assert!(browser.page_text().await.contains("技术成熟度"));
    browser.check_screen(&cap_page, "portal-capability").await;

    // The transparency list from the navigation.
    browser.goto("/").await;
    browser.click("nav.site-nav a[href='/projects/key']").await;
    browser
        .wait_until("the key projects", "location.pathname === '/projects/key'")
        .await;
    browser.wait_for("table.key-projects").await;
    assert!(
        !browser.exists("[data-column='contract_amount']").await,
        "amounts are not published by default"
    );
    browser
        .check_screen("/projects/key", "portal-key-projects")
        .await;

    // Staff do find the hidden need: it was the visibility rule that hid it.
    browser.login("staff@demo.qiao.cn", DEMO_PASSWORD).await;
    browser.goto(&results).await;
    browser.wait_for("ol.hits").await;
    assert!(browser.page_text().await.contains(SECRET));
}
