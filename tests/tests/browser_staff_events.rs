//! Staff's event screens in a real headless Chromium (see `tests/browser.rs`
//! for the harness and when it skips), on the demo data as `qiao demo`
//! leaves it. The journey: staff create an event at
//! `/staff/events/new` with registration open and auto-confirm off and
//! publish it; the demo enterprise and university users register through
//! `/events/{id}`, the enterprise asks the university for a 1:1 meeting
//! and the university accepts; staff confirm both registrations, run the
//! scheduler and publish on the event's console; the enterprise user opens
//! `/events/{id}` and downloads the `.ics` with the meeting. `/staff/events`,
//! the form and the console with its grid pass `check_screen` (no CSP
//! violation, no serious or critical axe-core finding, desktop and phone
//! screenshots).

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::browser::Browser;
use qiao_tests::demo_platform_with_staged_events;
use serde_json::json;

const STAFF: &str = "staff@demo.qiao.cn";
const ENTERPRISE: &str = "enterprise@demo.qiao.cn";
const UNIVERSITY: &str = "university@demo.qiao.cn";
const NAME: &str = "2027年琴岛市海工装备一对一洽谈会";

async fn sign_out(browser: &Browser) {
    browser.click("form[action='/logout'] button").await;
    browser
        .wait_until(
            "signing out",
            "!document.querySelector(\"form[action='/logout']\")",
        )
        .await;
}

async fn sign_in_as(browser: &Browser, email: &str) {
    sign_out(browser).await;
    browser.login(email, DEMO_PASSWORD).await;
}

/// Sets a control's value by script (date and time pickers take keys by locale).
async fn set_value(browser: &Browser, selector: &str, value: &str) {
    browser
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; return e.value;",
            json!([selector, value]),
        )
        .await;
}

/// Registers the signed-in member's organization on the event's page.
async fn register(browser: &Browser, event: i64, attendee: &str) {
    browser.goto(&format!("/events/{event}")).await;
    browser
        .fill("input[name='attendees[0].name']", attendee)
        .await;
    browser
        .fill("input[name='attendees[0].phone']", "13966668888")
        .await;
    browser
        .click("form.registration-form button[type=submit]")
        .await;
    browser
        .wait_for("[data-registration-status='pending']")
        .await;
}

#[tokio::test]
async fn staff_create_an_event_schedule_it_and_a_participant_downloads_the_ics() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform_with_staged_events().await;
    browser.set_site(server.addr);

    // Staff: the list, then a new event through the form.
    browser.login(STAFF, DEMO_PASSWORD).await;
    browser.goto("/staff").await;
    browser.click("a[href='/staff/events']").await;
    browser
        .wait_until("the events list", "location.pathname === '/staff/events'")
        .await;
    browser.check_screen("/staff/events", "staff-events").await;
    let text = browser.page_text().await;
    assert!(text.contains("2026年琴岛市产学研合作对接大会"), "{text}");

    browser
        .check_screen("/staff/events/new", "staff-event-form")
        .await;
    browser.click("input[name=kind][value=thematic]").await;
    browser.choose("活动状态", "报名中").await;
    browser
        .click("input[name=themes][value=marine_equipment]")
        .await;
    set_value(&browser, "#f-starts_at", "2027-05-20T09:00").await;
    set_value(&browser, "#f-ends_at", "2027-05-20T17:00").await;
    browser.fill("地点", "琴岛国际会展中心").await;
    browser.fill("洽谈桌数", "2").await;
    browser.fill("每场洽谈分钟数", "30").await;
    browser.fill("洽谈时段", "2027-05-20 09:30-11:00").await;
    browser.click("#f-published").await;
    // No name yet: the form again, the error beside the field, the rest kept.
    browser.click("创建活动").await;
    browser.wait_for("#f-name-error").await;
    assert_eq!(browser.text_of("#f-name-error").await, "此项为必填项。");
    assert_eq!(
        browser.attribute("#f-tables", "value").await.as_deref(),
        Some("2")
    );
    browser
        .assert_no_csp_violations("/staff/events/new with an error")
        .await;
    browser
        .assert_accessible("/staff/events/new with an error")
        .await;
    browser.screenshot("staff-event-form-error").await;
    browser.fill("活动名称", NAME).await;
    browser.click("创建活动").await;
    browser
        .wait_until(
            "the new event's console",
            "/^\\/staff\\/events\\/\\d+$/.test(location.pathname)",
        )
        .await;
    let path = browser.current_path().await;
    let event: i64 = path
        .trim_start_matches("/staff/events/")
        .split('?')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{path}"));
    assert!(browser.page_text().await.contains("活动已创建"));
    let console = format!("/staff/events/{event}");

    // The demo enterprise and university register on the event's page.
    sign_in_as(&browser, ENTERPRISE).await;
    register(&browser, event, "周建国").await;
    sign_in_as(&browser, UNIVERSITY).await;
    register(&browser, event, "林海").await;

    // Staff confirm both on the console (auto-confirm is off).
    sign_in_as(&browser, STAFF).await;
    browser.goto(&console).await;
    for left in [1, 0] {
        browser.click("button[data-decide=confirmed]").await;
        browser.wait_for("#flash").await;
        browser
            .wait_until(
                "the confirmation",
                &format!(
                    "document.querySelectorAll(\"tr[data-registration-status='confirmed']\").length === {}",
                    2 - left
                ),
            )
            .await;
    }

    // The enterprise asks the university for a meeting; the university accepts.
    sign_in_as(&browser, ENTERPRISE).await;
    browser.goto(&format!("/events/{event}")).await;
    browser.wait_for("#f-to_registration").await;
    browser
        .execute(
            "const s = document.querySelector('#f-to_registration'); s.selectedIndex = 1; return s.value;",
            json!([]),
        )
        .await;
    browser
        .fill("#f-reason", "探讨深水系泊链在线监测合作")
        .await;
    browser.click("form.ask-form button[type=submit]").await;
    browser.wait_for("[data-request-status='pending']").await;
    sign_in_as(&browser, UNIVERSITY).await;
    browser.goto(&format!("/events/{event}")).await;
    browser.click("form[action$='/accept'] button").await;
    browser.wait_for("[data-request-status='accepted']").await;

    // Staff run the scheduler: the grid shows the meeting; then publish.
    sign_in_as(&browser, STAFF).await;
    browser.goto(&console).await;
    browser.wait_for("tr[data-request-status='accepted']").await;
    browser.click("运行排期").await;
    browser.wait_for("td[data-meeting]").await;
    let flash = browser.text_of("#flash").await;
    assert!(flash.contains("安排了 1 场洽谈"), "{flash}");
    browser.check_screen(&console, "staff-event-console").await;
    let cell = browser.text_of("td[data-meeting]").await;
    assert!(cell.contains("未发布"), "{cell}");
    browser
        .click(&format!(
            "form[action='/staff/events/{event}/publish'] button"
        ))
        .await;
    browser
        .wait_until(
            "publication",
            "(document.querySelector('#flash') || {}).textContent && document.querySelector('#flash').textContent.includes('已发布')",
        )
        .await;
    let cell = browser.text_of("td[data-meeting]").await;
    assert!(!cell.contains("未发布"), "{cell}");
    // The grid itself, scrolled to, as people check it before the event.
    browser
        .check_screen(&format!("{console}#grid"), "staff-event-grid")
        .await;
    assert!(browser.exists("table.sevent-grid td[data-meeting]").await);

    // The participant downloads the .ics with the meeting.
    sign_in_as(&browser, ENTERPRISE).await;
    browser.goto(&format!("/events/{event}")).await;
    let ics = browser
        .attribute("a.agenda-ics", "href")
        .await
        .expect("the .ics link");
    let rows = browser
        .execute(
            "return document.querySelectorAll('.agenda-table tbody tr').length",
            json!([]),
        )
        .await;
    assert_eq!(rows, json!(1), "one meeting on the agenda");
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
        calendar.matches("BEGIN:VEVENT").count(),
        2,
        "the event and the meeting: {calendar}"
    );
    assert!(calendar.contains("UID:meeting-"), "{calendar}");
    browser
        .assert_no_csp_violations("fetching the agenda")
        .await;
}
