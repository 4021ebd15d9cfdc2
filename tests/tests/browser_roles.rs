//! Signing in as each role and switching the language, in a real headless
//! Chromium (see `tests/browser.rs` for the harness), on the demo data:
//! every demo account lands on its workspace at `/me`, staff and admins
//! see the staff links in the navigation and the others do not, only
//! admins reach `/admin/users`; the switch to English changes the
//! navigation, holds across a navigation and a new page load, and the
//! switch back restores Chinese. The English portal and the admin's user
//! list pass `check_screen`.

use qiao_app::demo::{DEMO_ACCOUNTS, DEMO_PASSWORD};
use qiao_core::vocab::Role;
use qiao_tests::browser::Browser;
use qiao_tests::demo_platform;

const NAV: &str = "nav.site-nav";

/// The page's language as `<html lang>` says it.
async fn html_lang(browser: &Browser) -> String {
    browser.attribute("html", "lang").await.unwrap_or_default()
}

async fn sign_out(browser: &Browser) {
    browser.click("form[action='/logout'] button").await;
    browser
        .wait_until(
            "signing out",
            "!document.querySelector(\"form[action='/logout']\")",
        )
        .await;
}

#[tokio::test]
async fn each_role_signs_in_to_its_workspace() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    browser.set_site(server.addr);
    for (email, role) in DEMO_ACCOUNTS {
        browser.login(email, DEMO_PASSWORD).await;
        assert_eq!(browser.current_path().await, "/me", "{email}");
        let header = browser.text_of(".site-header .account").await;
        assert!(header.contains(email), "{email}: {header}");
        let nav = browser.text_of(NAV).await;
        assert!(nav.contains("我的工作台"), "{email}: {nav}");
        let staff = matches!(role, Role::Staff | Role::Admin);
        for (href, label) in [
            ("/staff", "工作人员控制台"),
            ("/staff/dashboard", "数据看板"),
        ] {
            let selector = format!("{NAV} a[href='{href}']");
            assert_eq!(browser.exists(&selector).await, staff, "{email}: {href}");
            assert_eq!(nav.contains(label), staff, "{email}: {nav}");
        }
        if staff {
            browser.click(&format!("{NAV} a[href='/staff']")).await;
            browser
                .wait_until("the staff console", "location.pathname === '/staff'")
                .await;
            browser.wait_for("#orgs").await;
        }
        // Only admins manage users.
        browser.goto("/admin/users").await;
        if *role == Role::Admin {
            browser.wait_for("table.admin-users").await;
            let text = browser.page_text().await;
            for (other, _) in DEMO_ACCOUNTS {
                assert!(text.contains(other), "{other} listed: {text}");
            }
            browser.check_screen("/admin/users", "admin-users").await;
        } else {
            let text = browser.text_of("main").await;
            assert!(text.contains("无权访问"), "{email}: {text}");
            assert!(!browser.exists("table.admin-users").await);
        }
        sign_out(&browser).await;
    }
}

#[tokio::test]
async fn the_language_switch_changes_the_pages_and_stays() {
    let Some(mut browser) = Browser::start().await else {
        return;
    };
    let (_db, server) = demo_platform().await;
    browser.set_site(server.addr);
    browser.goto("/events").await;
    assert!(html_lang(&browser).await.starts_with("zh"));
    let nav = browser.text_of(NAV).await;
    assert!(
        nav.contains("对接活动") && nav.contains("重点项目"),
        "{nav}"
    );

    // To English, on the same page.
    browser.click(".lang-switch").await;
    browser
        .wait_until(
            "the English pages",
            "document.documentElement.lang.startsWith('en')",
        )
        .await;
    assert_eq!(browser.current_path().await, "/events");
    let nav = browser.text_of(NAV).await;
    for label in ["Home", "Technology needs", "Events", "Key projects"] {
        assert!(nav.contains(label), "{label}: {nav}");
    }
    assert!(!nav.contains("对接活动"), "{nav}");
    assert_eq!(browser.text_of(".lang-switch").await, "中文");

    // A navigation keeps it ...
    browser
        .click(&format!("{NAV} a[href='/projects/key']"))
        .await;
    browser
        .wait_until("the key projects", "location.pathname === '/projects/key'")
        .await;
    assert!(html_lang(&browser).await.starts_with("en"));
    assert!(browser.text_of(NAV).await.contains("Key projects"));
    // ... and so does a new page load, signed in too.
    browser.login("staff@demo.qiao.cn", DEMO_PASSWORD).await;
    browser.goto("/").await;
    assert!(html_lang(&browser).await.starts_with("en"));
    let nav = browser.text_of(NAV).await;
    for label in ["My workspace", "Staff console", "Dashboard"] {
        assert!(nav.contains(label), "{label}: {nav}");
    }
    sign_out(&browser).await;
    browser.check_screen("/", "portal-en").await;
    assert!(browser.text_of(NAV).await.contains("Events"));

    // And back to Chinese.
    browser.goto("/events").await;
    browser.click(".lang-switch").await;
    browser
        .wait_until(
            "the Chinese pages",
            "document.documentElement.lang.startsWith('zh')",
        )
        .await;
    assert_eq!(browser.current_path().await, "/events");
    let nav = browser.text_of(NAV).await;
    assert!(nav.contains("对接活动") && !nav.contains("Events"), "{nav}");
    assert_eq!(browser.text_of(".lang-switch").await, "English");
    browser.goto("/projects/key").await;
    assert!(html_lang(&browser).await.starts_with("zh"));
    browser
        .assert_no_csp_violations("the language switch")
        .await;
}
