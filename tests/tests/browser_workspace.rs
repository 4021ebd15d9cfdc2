//! The enterprise workspace in a real headless Chromium, on the demo data
//! (see `tests/tests/browser.rs` for the harness and what `check_screen`
//! checks): the demo enterprise user opens `/me`, posts a need through the
//! form — first with an error, then published — and finds it in the
//! workspace. Without Chromium the test says so and passes, except under
//! `CI=true`.

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::browser::{Browser, Viewport};
use qiao_tests::demo_platform;

#[tokio::test]
async fn an_enterprise_user_posts_a_need_from_the_workspace() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    browser.set_site(server.addr);
    browser
        .login("enterprise@demo.qiao.cn", DEMO_PASSWORD)
        .await;
    assert_eq!(browser.current_path().await, "/me");
    let text = browser.page_text().await;
    assert!(text.contains("本机构的技术需求"), "{text}");
    assert!(text.contains("参与的合作项目"), "{text}");
    browser.check_screen("/me", "workspace").await;
    browser.check_screen("/me/needs/new", "need-form").await;

    // Everything but the title: the form comes back with the error beside it.
    browser.goto("/me").await;
    browser.click("发布新需求").await;
    browser.wait_for("#f-title").await;
    browser
        .fill(
            "#f-description",
            "数控转台蜗轮副长期运行后磨损导致定位精度下降，需要在线监测磨损状态并预测维护时机，避免批量加工超差，监测装置须适应车间油雾环境。",
        )
        .await;
    browser
        .fill("input[name=indicator_name]", "定位精度保持")
        .await;
    browser.fill("input[name=indicator_target]", "≤5角秒").await;
    browser
        .click("input[name=fields][value=advanced_equipment]")
        .await;
    browser.fill("#f-budget_max", "80").await;
    browser.click("button[value=publish]").await;
    browser.wait_for("[role=alert]").await;
    assert_eq!(browser.current_path().await, "/me/needs/new");
    assert_eq!(browser.text_of("#f-title-error").await, "此项为必填项。");
    assert_eq!(
        browser.attribute("#f-budget_max", "value").await.as_deref(),
        Some("80")
    );
    // The completeness check's advice stands beside the fields left out.
    assert!(browser.exists("#completeness").await);
    assert!(
        browser
            .text_of("#f-cooperation_modes-gap")
            .await
            .contains("建议")
    );
    for viewport in Viewport::BOTH {
        browser.set_viewport(viewport).await;
        let page = format!("the need form with an error ({})", viewport.name());
        browser.assert_no_csp_violations(&page).await;
        browser.assert_accessible(&page).await;
        browser.screenshot("need-form-error").await;
    }
    browser.set_viewport(Viewport::Desktop).await;

    // The title given: published, on to the need's page with the message.
    browser.fill("#f-title", "数控转台蜗轮副磨损在线监测").await;
    browser.click("button[value=publish]").await;
    browser
        .wait_until(
            "the need's page",
            "/^\\/me\\/needs\\/\\d+$/.test(location.pathname)",
        )
        .await;
    let text = browser.page_text().await;
    assert!(text.contains("需求已发布"), "{text}");
    assert!(text.contains("数控转台蜗轮副磨损在线监测"), "{text}");
    let path = browser.current_path().await;
    let view = path.split('?').next().unwrap().to_string();
    browser.assert_no_csp_violations(&view).await;
    browser.check_screen(&view, "need-view").await;

    // Listed in the workspace.
    browser.goto("/me").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("数控转台蜗轮副磨损在线监测")
    );
}

/// A university's workspace lists its capabilities; the capability form passes the same checks.
#[tokio::test]
async fn a_university_user_sees_its_capabilities() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    browser.set_site(server.addr);
    browser
        .login("university@demo.qiao.cn", DEMO_PASSWORD)
        .await;
    assert!(browser.page_text().await.contains("本机构的科技成果"));
    browser.check_screen("/me", "workspace-university").await;
    browser
        .check_screen("/me/capabilities/new", "capability-form")
        .await;
}
