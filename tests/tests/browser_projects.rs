//! The journey in a real headless Chromium (see `tests/browser.rs`
//! for the harness and when it skips), on the demo data: an enterprise
//! posts a need — with a validation error first — and staff see
//! suggestions for it; staff accept one, and it becomes a project that
//! moves to `signed`. The demo enterprise user posts the need at
//! `/me/needs/new` and signs out; the demo staff user has its suggestions
//! computed from the console (生成推荐), accepts one, which opens a
//! project, and on `/projects/{id}` moves it to negotiating, then signed
//! with the contract's type, amount and date. The board and the project's
//! page pass `check_screen` at desktop and phone width.

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::browser::Browser;
use qiao_tests::{call, demo_platform, login_token};
use serde_json::json;

const ENTERPRISE: &str = "enterprise@demo.qiao.cn";
const STAFF: &str = "staff@demo.qiao.cn";
/// The need's title: the demo need `need-001` in other words, so that the
/// matcher finds the demo capabilities on thermal error compensation.
const TITLE: &str = "立式加工中心主轴热漂移实时补偿";

/// The number at the end of a path (`/me/needs/12` → 12), before any query.
fn last_number(path: &str) -> i64 {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.rsplit('/').next().unwrap().parse().expect("an id")
}

#[tokio::test]
async fn a_need_becomes_a_signed_project() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    browser.set_site(addr);

    // The enterprise posts a need; the title left out first.
    browser.login(ENTERPRISE, DEMO_PASSWORD).await;
    browser.goto("/me/needs/new").await;
    browser.wait_for("#f-title").await;
    browser
        .fill(
            "#f-description",
            "我公司A/C双摆头五轴立式加工中心连续加工4小时后主轴Z向热漂移可达25μm，批量零件尺寸不一致。希望与高校合作完成温度敏感点优选、热误差预测建模，并将热误差补偿模块嵌入现有数控系统，实现不停机的实时补偿。",
        )
        .await;
    browser
        .fill("input[name=indicator_name]", "连续运行8小时主轴Z向热漂移")
        .await;
    browser.fill("input[name=indicator_target]", "≤8μm").await;
    browser
        .click("input[name=fields][value=advanced_equipment]")
        .await;
    browser
        .fill("#f-keywords", "热误差补偿、五轴加工中心、主轴热变形")
        .await;
    browser.fill("#f-budget_max", "120").await;
    browser.click("button[value=publish]").await;
    browser.wait_for("#f-title-error").await;
    assert_eq!(browser.current_path().await, "/me/needs/new");
    assert_eq!(browser.text_of("#f-title-error").await, "此项为必填项。");
    browser
        .assert_no_csp_violations("the need form with an error")
        .await;

    browser.fill("#f-title", TITLE).await;
    browser.click("button[value=publish]").await;
    browser
        .wait_until(
            "the need's page",
            "/^\\/me\\/needs\\/\\d+$/.test(location.pathname)",
        )
        .await;
    let need = last_number(&browser.current_path().await);
    browser.click("form[action='/logout'] button").await;
    browser
        .wait_until(
            "signing out",
            "!document.querySelector(\"form[action='/logout']\")",
        )
        .await;

    // Staff compute the need's suggestions from the console and see them queued.
    browser.login(STAFF, DEMO_PASSWORD).await;
    browser.goto("/staff").await;
    browser.choose("#suggest-need", TITLE).await;
    browser.click("生成推荐").await;
    browser.wait_for("#flash").await;
    let flash = browser.text_of("#flash").await;
    assert!(flash.contains("对接建议"), "{flash}");
    let item = format!("li.suggestion[data-need='{need}']");
    browser.wait_for(&item).await;
    let text = browser.text_of(&item).await;
    assert!(text.contains(TITLE), "{text}");
    browser
        .assert_no_csp_violations("/staff with suggestions")
        .await;

    // Accepting the best one opens a planned project.
    browser
        .click(&format!("{item} form[action$='/accept'] button"))
        .await;
    browser
        .wait_until(
            "the console after accepting",
            "location.search.includes('done=accepted')",
        )
        .await;
    let flash = browser.text_of("#flash").await;
    assert!(flash.contains("新建了合作项目"), "{flash}");
    let path = browser.current_path().await;
    let project: i64 = path
        .split("project=")
        .nth(1)
        .and_then(|p| p.split(['&', '#']).next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a project id in {path}"));

    // On the board, in the first column.
    browser.goto("/staff/projects").await;
    let card = format!(".board-planned [data-project='{project}']");
    browser.wait_for(&card).await;
    browser
        .check_screen("/staff/projects", "project-board")
        .await;

    // From the board to the project's page, then planned → negotiating.
    browser.goto("/staff/projects").await;
    browser.click(&format!("{card} a")).await;
    browser.wait_for("#project-status").await;
    assert_eq!(browser.current_path().await, format!("/projects/{project}"));
    assert_eq!(browser.text_of("#project-status").await, "计划中");
    assert!(!browser.exists("button[value=signed]").await);
    browser.click("button[value=negotiating]").await;
    browser.wait_for("#flash").await;
    assert_eq!(browser.text_of("#flash").await, "项目已转为「洽谈中」。");
    assert_eq!(browser.text_of("#project-status").await, "洽谈中");

    // → signed: the amount left out first, then given.
    browser.choose("#f-contract_type", "技术开发").await;
    browser
        .execute(
            "document.getElementById('f-signed_on').value = arguments[0];",
            json!(["2026-11-20"]),
        )
        .await;
    browser.click("button[value=signed]").await;
    browser.wait_for("#f-contract_amount-error").await;
    assert_eq!(
        browser.text_of("#f-contract_amount-error").await,
        "此项为必填项。"
    );
    assert_eq!(
        browser.attribute("#f-signed_on", "value").await.as_deref(),
        Some("2026-11-20")
    );
    browser
        .assert_no_csp_violations("the project's page with an error")
        .await;
    browser
        .assert_accessible("the project's page with an error")
        .await;
    browser.screenshot("project-page-error").await;
    browser.fill("#f-contract_amount", "120").await;
    browser.click("button[value=signed]").await;
    browser
        .wait_until(
            "the signed project",
            "location.search.includes('to=signed')",
        )
        .await;
    assert_eq!(browser.text_of("#project-status").await, "已签约");
    assert_eq!(browser.text_of("#project-amount").await, "120 万元");

    // The API says the same.
    let token = login_token(addr, STAFF, DEMO_PASSWORD).await;
    let api = call(
        addr,
        "GET",
        &format!("/api/v1/projects/{project}"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(api.status, 200, "{}", api.body);
    let api = api.json();
    assert_eq!(api["project"]["status"], "signed", "{api}");
    assert_eq!(api["project"]["need_id"], need, "{api}");
    assert_eq!(api["project"]["contract_type"], "development");

    browser
        .check_screen(&format!("/projects/{project}"), "project-page")
        .await;
}
