//! The pages in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`), against the platform on the demo data: each main
//! screen renders, breaks no Content Security Policy rule, has no serious or
//! critical axe-core violation, and is saved as a screenshot at desktop and
//! phone width under `<target dir>/screenshots/`.
//!
//! Without Chromium the tests say so and pass, except under `CI=true`; they
//! run once, in the SQLite leg (skipped when `QIAO_TEST_POSTGRES_URL` is set).
//!
//! A journey is a test that starts with `Browser::start()` (returning when
//! it gives `None`) and `demo_platform()`, signs in with `browser.login`
//! (demo accounts: `qiao_app::demo::DEMO_ACCOUNTS`), moves with `goto`,
//! `fill`, `choose` and `click`, waits with `wait_for` or `wait_until`
//! (never a sleep), reads with `text_of` and `page_text`, and passes each
//! main screen it reaches through `check_screen(path, name)`.
//!
//! The other journeys live beside this file, one per area:
//! `browser_portal` (search, details, key projects), `browser_workspace`
//! (an enterprise posts a need), `browser_projects` (staff accept a
//! suggestion and sign the project), `browser_events` and
//! `browser_staff_events` (registration, scheduling, the `.ics`),
//! `browser_staff` (the dashboard's charts) and `browser_roles` (each
//! role's sign-in, the language switch, the admin's users page).

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing;
use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::browser::{Browser, Viewport};
use qiao_tests::{demo_platform, get, login_token, need_of, settle};
use serde_json::json;
use std::net::SocketAddr;

#[tokio::test]
async fn the_portal_at_desktop_and_phone_width() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let staff = login_token(addr, "staff@demo.qiao.cn", DEMO_PASSWORD).await;
    let need = |title: &str, visibility: &str| {
        json!({"org_name": "琴岛鼎力数控机床有限公司", "title": title,
            "fields": "高端装备制造", "budget_min": 30, "budget_max": 80, "visibility": visibility})
    };
    need_of(addr, &staff, need("数控转台蜗轮副磨损在线监测", "public")).await;
    need_of(
        addr,
        &staff,
        need("军品配套精密减速器保密需求", "staff_only"),
    )
    .await;
    settle(addr).await;

    // The policy the console is watched for is the one pages are served with.
    let csp = get(addr, "/").await;
    assert!(
        csp.header("content-security-policy")
            .is_some_and(|p| p.contains("script-src 'self'")),
        "{:?}",
        csp.headers
    );

    browser.set_site(addr);
    let shots = browser.check_screen("/", "portal").await;
    for (shot, viewport) in shots.iter().zip(Viewport::BOTH) {
        let (width, _) = viewport.size();
        assert_eq!(
            shot.width,
            width * viewport.scale(),
            "{} is {} wide",
            shot.path.display(),
            viewport.name()
        );
    }

    // An anonymous visitor sees the newest public need, never a staff-only one.
    browser.goto("/").await;
    let text = browser.page_text().await;
    assert!(text.contains("数控转台蜗轮副磨损在线监测"), "{text}");
    let html = browser
        .execute("return document.documentElement.outerHTML", json!([]))
        .await;
    assert!(
        !html
            .as_str()
            .unwrap()
            .contains("军品配套精密减速器保密需求"),
        "not even hidden: {html}"
    );
    // Staff do see it there: it is the visibility rule that hid it.
    browser.login("staff@demo.qiao.cn", DEMO_PASSWORD).await;
    browser.goto("/").await;
    assert!(
        browser
            .page_text()
            .await
            .contains("军品配套精密减速器保密需求")
    );

    let title = browser.execute("return document.title", json!([])).await;
    assert!(title.as_str().is_some_and(|t| t.contains('桥')), "{title}");
    assert!(
        browser
            .attribute("html", "lang")
            .await
            .is_some_and(|l| l.starts_with("zh"))
    );
}

/// The platform's policy, on pages written to break it and to keep it.
fn csp_fixture() -> Router {
    let csp = qiao_http::hardening::CONTENT_SECURITY_POLICY;
    let page = move |body: &'static str| {
        move || async move {
            (
                [
                    (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    (header::CONTENT_SECURITY_POLICY, csp),
                ],
                format!(
                    "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
                     <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
                     <title>检查</title><script src=\"/ok.js\"></script></head>\
                     <body><main><h1>检查</h1>{body}</main></body></html>"
                ),
            )
                .into_response()
        }
    };
    Router::new()
        .route(
            "/good",
            routing::get(page("<p id=\"p\">同源脚本可以运行</p>")),
        )
        .route(
            "/bad",
            routing::get(page(
                "<script>document.title = 'inline ran';</script>\
                 <img src=\"https://example.invalid/x.png\">\
                 <button onclick=\"document.title = 'handler ran'\" id=\"b\">按钮</button>",
            )),
        )
        .route(
            "/ok.js",
            routing::get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript")],
                    "document.documentElement.dataset.ok = 'yes';",
                )
            }),
        )
}

/// The checks the screens rely on detect what they claim to: the browser
/// console reports CSP violations (and nothing on a page that keeps the
/// policy), axe-core runs under the strict policy without tripping it and
/// finds a critical violation, and the viewports are what they say.
#[tokio::test]
async fn csp_violations_and_accessibility_violations_are_detected() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr: SocketAddr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, csp_fixture()).await });
    browser.set_site(addr);

    browser.goto("/good").await;
    browser.wait_for("#p").await;
    assert_eq!(
        browser.attribute("html", "data-ok").await.as_deref(),
        Some("yes")
    );
    assert_eq!(browser.csp_violations().await, Vec::<String>::new());
    assert!(
        !browser.axe().await.iter().any(|v| v.is_serious()),
        "a plain page passes"
    );
    assert_eq!(
        browser.csp_violations().await,
        Vec::<String>::new(),
        "running axe-core does not trip the policy"
    );

    browser.goto("/bad").await;
    browser.click("按钮").await;
    let found = browser.csp_violations().await;
    let has = |needle: &str| found.iter().any(|m| m.contains(needle));
    assert!(has("inline script"), "the inline script: {found:#?}");
    assert!(has("img-src"), "the image from elsewhere: {found:#?}");
    assert!(
        has("inline event handler"),
        "the inline handler: {found:#?}"
    );
    assert_eq!(
        browser.execute("return document.title", json!([])).await,
        json!("检查"),
        "neither inline script ran"
    );
    assert!(
        browser.csp_violations().await.is_empty(),
        "reading empties the log"
    );
    let violations = browser.axe().await;
    assert!(
        violations
            .iter()
            .any(|v| v.id == "image-alt" && v.impact.as_deref() == Some("critical")),
        "{violations:#?}"
    );

    browser.set_viewport(Viewport::Phone).await;
    browser.goto("/good").await;
    let seen = browser
        .execute(
            "return [innerWidth, devicePixelRatio, navigator.userAgent, matchMedia('(pointer: coarse)').matches]",
            json!([]),
        )
        .await;
    assert_eq!(seen[0], json!(390), "{seen}");
    assert_eq!(seen[1], json!(3), "{seen}");
    assert!(seen[2].as_str().unwrap().contains("Mobile"), "{seen}");
    let shot = browser.screenshot("csp-fixture").await;
    assert_eq!((shot.width, shot.height), (390 * 3, 844 * 3));
    browser.set_viewport(Viewport::Desktop).await;
    browser.goto("/good").await;
    let width = browser.execute("return innerWidth", json!([])).await;
    assert_eq!(width, json!(1366));
    assert!(
        !browser
            .execute("return navigator.userAgent", json!([]))
            .await
            .as_str()
            .unwrap()
            .contains("Mobile")
    );
}

/// An enterprise user signs in at `/login`, lands on the workspace at
/// `/me`, and signs out; a wrong password keeps them on the form with the
/// error said, and the form with its error passes the same checks.
#[tokio::test]
async fn an_enterprise_user_signs_in_and_out() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    browser.set_site(server.addr);
    browser.check_screen("/login", "login").await;
    browser.check_screen("/register", "register").await;

    let email = "enterprise@demo.qiao.cn";
    browser.goto("/login").await;
    browser.fill("电子邮箱", email).await;
    browser.fill("密码", "not-the-password").await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for("[role=alert]").await;
    assert!(browser.current_path().await.starts_with("/login"));
    browser
        .assert_no_csp_violations("/login with an error")
        .await;
    browser.assert_accessible("/login with an error").await;
    browser.screenshot("login-error").await;

    browser.login(email, DEMO_PASSWORD).await;
    assert_eq!(browser.current_path().await, "/me");
    assert!(browser.page_text().await.contains(email));
    browser.check_screen("/me", "me").await;

    browser.click("form[action='/logout'] button").await;
    browser
        .wait_until(
            "signing out",
            "!document.querySelector(\"form[action='/logout']\")",
        )
        .await;
    browser.goto("/me").await;
    browser
        .wait_until("back to the login form", "location.pathname === '/login'")
        .await;
    browser.assert_no_csp_violations("signing out").await;
}
