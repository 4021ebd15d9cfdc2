//! The events screens in a real headless Chromium (see `tests/browser.rs`
//! for the harness and when it skips): the calendar `/events` and an
//! event's page for an anonymous visitor, then the demo enterprise user
//! registering for the demo event whose registration is open
//! (`evt-2026-03`) and downloading the `.ics` agenda of the held demo event
//! (`evt-2026-02`), whose meetings `App::stage_demo_events` stages as
//! `qiao demo` does. Each screen passes `check_screen` (no CSP violation,
//! no serious or critical axe-core finding, desktop and phone screenshots).

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::browser::Browser;
use qiao_tests::{call, demo_platform_with_staged_events, login_token};
use serde_json::json;
use std::net::SocketAddr;

const ENTERPRISE: &str = "enterprise@demo.qiao.cn";

async fn event_id(addr: SocketAddr, external_id: &str) -> i64 {
    let list = call(addr, "GET", "/api/v1/events?limit=100", None, None)
        .await
        .json();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["external_id"] == external_id)
        .and_then(|e| e["id"].as_i64())
        .unwrap_or_else(|| panic!("no {external_id}: {list}"))
}

#[tokio::test]
async fn an_enterprise_user_registers_and_downloads_the_agenda() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform_with_staged_events().await;
    let addr = server.addr;
    let open = event_id(addr, "evt-2026-03").await;
    let held = event_id(addr, "evt-2026-02").await;
    browser.set_site(addr);

    // Anonymous: the calendar by month, and an event's page.
    browser.check_screen("/events", "events").await;
    let text = browser.page_text().await;
    for shown in ["2026年12月", "现代农业与农机装备专题对接会", "报名中"] {
        assert!(text.contains(shown), "{shown}: {text}");
    }
    browser.click(&format!("a[href='/events/{open}']")).await;
    browser
        .wait_until(
            "the event's page",
            &format!("location.pathname === '/events/{open}'"),
        )
        .await;
    browser
        .check_screen(&format!("/events/{open}"), "event")
        .await;
    assert!(browser.page_text().await.contains("登录后即可报名"));

    // The demo enterprise user registers its organization.
    browser.login(ENTERPRISE, DEMO_PASSWORD).await;
    browser
        .check_screen(&format!("/events/{open}"), "event-form")
        .await;
    browser
        .fill("input[name='attendees[0].name']", "周建国")
        .await;
    browser
        .fill("input[name='attendees[0].title']", "技术中心主任")
        .await;
    browser
        .fill("input[name='attendees[0].phone']", "13966668888")
        .await;
    browser.click("input[name=need_ids]").await;
    browser
        .click("form.registration-form button[type=submit]")
        .await;
    browser.wait_for("[data-registration-status]").await;
    assert!(
        browser
            .current_path()
            .await
            .starts_with(&format!("/events/{open}"))
    );
    let text = browser.page_text().await;
    assert!(
        text.contains("报名已提交") && text.contains("周建国"),
        "{text}"
    );
    browser
        .assert_no_csp_violations("/events/{id} after registering")
        .await;
    browser
        .assert_accessible("/events/{id} after registering")
        .await;
    browser.screenshot("event-registered").await;
    let token = login_token(addr, ENTERPRISE, DEMO_PASSWORD).await;
    let regs = call(
        addr,
        "GET",
        &format!("/api/v1/events/{open}/registrations"),
        Some(&token),
        None,
    )
    .await
    .json();
    assert!(
        regs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["attendees"][0]["name"] == "周建国"),
        "{regs}"
    );

    // Once staff confirm it, the organization may ask others for 1:1 meetings.
    let own = regs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["attendees"][0]["name"] == "周建国")
        .and_then(|r| r["id"].as_i64())
        .unwrap();
    let staff = login_token(addr, "staff@demo.qiao.cn", DEMO_PASSWORD).await;
    let r = call(
        addr,
        "PATCH",
        &format!("/api/v1/events/{open}/registrations/{own}"),
        Some(&staff),
        Some(json!({"status": "confirmed"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    browser
        .check_screen(&format!("/events/{open}"), "event-meetings")
        .await;
    browser.wait_for("#f-to_registration").await;

    // The held event: its published meetings and the agenda's downloads,
    // which the session cookie alone authenticates.
    browser
        .check_screen(&format!("/events/{held}"), "event-agenda")
        .await;
    let ics = browser
        .attribute("a.agenda-ics", "href")
        .await
        .expect("the .ics link");
    assert!(
        ics.contains(&format!("/api/v1/events/{held}/agenda?")),
        "{ics}"
    );
    assert!(browser.attribute("a.agenda-xlsx", "href").await.is_some());
    let rows = browser
        .execute(
            "return document.querySelectorAll('.agenda-table tbody tr').length",
            json!([]),
        )
        .await;
    assert!(rows.as_u64().is_some_and(|n| n > 0), "{rows}");
    let fetched = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];\n\
             fetch(arguments[0], { credentials: 'same-origin' })\n\
               .then(r => r.text().then(t => done([r.status, r.headers.get('content-type'), t])))\n\
               .catch(e => done([0, '', String(e)]));",
            json!([ics]),
        )
        .await;
    assert_eq!(fetched[0], json!(200), "{fetched}");
    assert!(
        fetched[1]
            .as_str()
            .is_some_and(|t| t.starts_with("text/calendar")),
        "{fetched}"
    );
    let calendar = fetched[2].as_str().unwrap_or_default();
    assert!(calendar.starts_with("BEGIN:VCALENDAR"), "{calendar}");
    assert_eq!(
        calendar.matches("BEGIN:VEVENT").count() as u64,
        rows.as_u64().unwrap() + 1,
        "the event and each meeting: {calendar}"
    );
    browser
        .assert_no_csp_violations("fetching the agenda")
        .await;
}
