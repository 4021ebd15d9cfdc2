//! The web platform's pages over HTTP, as a browser without JavaScript
//! uses them: cookies kept between requests, forms posted as
//! `application/x-www-form-urlencoded` with their hidden CSRF field.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{Server, Visitor, call, get, hidden, send, serve, user_with_token};
use qiao_tests::{field_error, field_value, location};
use serde_json::json;

/// A server with an admin, and an enterprise member of an approved organization.
async fn platform(db: &TestDb) -> (Server, String) {
    let server = serve(db).await;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(server.addr, &admin, "staff@example.com", "staff", None).await;
    let org = qiao_tests::approved_org(
        server.addr,
        &staff,
        "琴岛海工装备有限公司",
        "enterprise",
        "崂山区",
    )
    .await;
    assert!(org > 0);
    user_with_token(
        server.addr,
        &admin,
        "member@example.com",
        "enterprise",
        Some("琴岛海工装备有限公司"),
    )
    .await;
    (server, staff)
}

#[tokio::test]
async fn the_portal_writes_the_plan_as_people_do() {
    let db = TestDb::sqlite().await.unwrap();
    qiao_app::seeds::load(&db.store, &qiao_app::seeds::seeds_dir())
        .await
        .unwrap();
    let server = serve(&db).await;
    let addr = server.addr;
    // The portal shows this year's plan: the seeds' 2026 plan, copied to
    // the current year if the tests run later.
    let china_year = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y")
        .to_string();
    if china_year != "2026" {
        let admin = server.first_admin("admin@example.com").await;
        let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
        let plan = call(addr, "GET", "/api/v1/plans/2026", Some(&staff), None)
            .await
            .json();
        let body = json!({"name": plan["name"], "targets": plan["targets"]});
        let path = format!("/api/v1/plans/{china_year}");
        let r = call(addr, "PUT", &path, Some(&staff), Some(body)).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    let mut visitor = Visitor::new(addr);
    let home = visitor.get("/").await;
    assert_eq!(home.status, 200);
    let html = &home.body;
    assert!(html.contains("<html lang=\"zh-CN\">"), "{html}");
    for shown in [
        "300 项",
        "2–3 场",
        "350 亿元",
        "20000 次",
        "data-count=\"needs\">",
    ] {
        assert!(html.contains(shown), "{shown} missing: {html}");
    }
    for wrong in ["300.0", "2.0–3.0", "3500000", "万元</td>"] {
        assert!(!html.contains(wrong), "{wrong} shown: {html}");
    }
    // Newest needs link to their pages; every page has navigation, search and sign-in.
    assert!(html.contains("<a href=\"/needs/"), "{html}");
    assert!(html.contains("href=\"/search?type=need\""));
    assert!(html.contains("href=\"/projects/key\""));
    assert!(html.contains("role=\"search\""));
    assert!(html.contains("action=\"/search\""));
    assert!(html.contains("href=\"/login?next=%2F\""));
    assert!(!html.contains("echarts"), "ECharts only on the dashboard");

    // In English: the same figures, written the English way.
    let r = visitor.get("/lang?to=en&back=/").await;
    assert_eq!((r.status, location(&r)), (303, "/"));
    let html = visitor.get("/").await.body;
    assert!(html.contains("<html lang=\"en\">"));
    for shown in ["Plan for", "CNY 35 bn", "20,000", "2–3"] {
        assert!(html.contains(shown), "{shown} missing: {html}");
    }
}

#[tokio::test]
async fn the_language_switch_is_remembered_and_goes_back_home_only() {
    let db = TestDb::sqlite().await.unwrap();
    let server = serve(&db).await;
    let mut visitor = Visitor::new(server.addr);

    let zh = visitor.get("/register").await.body;
    assert!(zh.contains("注册账号") && zh.contains("lang=\"zh-CN\""));
    assert!(
        zh.contains("href=\"/lang?to=en&amp;back=%2Fregister\""),
        "{zh}"
    );

    let r = visitor.get("/lang?to=en&back=/register").await;
    assert_eq!((r.status, location(&r)), (303, "/register"));
    let cookie = r.header("set-cookie").unwrap();
    for attribute in ["qiao_lang=en", "Max-Age=31536000", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Remembered on every page, not just the one switched on.
    for path in ["/register", "/login", "/"] {
        let page = visitor.get(path).await.body;
        assert!(page.contains("<html lang=\"en\">"), "{path}");
        assert!(
            page.contains("Sign in") && !page.contains("登录平台"),
            "{path}"
        );
    }
    let r = visitor.get("/lang?to=zh&back=https://evil.example/").await;
    assert_eq!((r.status, location(&r)), (303, "/"));
    assert!(visitor.get("/login").await.body.contains("登录平台"));
    let r = visitor.get("/lang?to=en&back=//evil.example/x").await;
    assert_eq!(location(&r), "/");
}

#[tokio::test]
async fn signing_in_and_out_with_the_forms() {
    each_backend(
        "pages::signing_in_and_out_with_the_forms",
        |db| async move {
            let (server, _) = platform(&db).await;
            let mut visitor = Visitor::new(server.addr);

            let form = visitor.get("/login?next=/me").await;
            assert_eq!(form.status, 200);
            assert!(
                visitor.cookies.contains_key("qiao_csrf"),
                "the double-submit cookie is set"
            );
            let csrf = hidden(&form.body, "csrf");
            assert_eq!(csrf, visitor.cookies["qiao_csrf"]);
            assert_eq!(hidden(&form.body, "next"), "/me");

            // A wrong password: the form again, the e-mail kept, the error said in Chinese.
            let wrong = visitor
                .post(
                    "/login",
                    &[
                        ("csrf", &csrf),
                        ("next", "/me"),
                        ("email", "member@example.com"),
                        ("password", "not-the-password"),
                    ],
                )
                .await;
            assert_eq!(wrong.status, 401, "{}", wrong.body);
            assert!(wrong.body.contains("邮箱或密码错误"), "{}", wrong.body);
            assert_eq!(
                field_value(&wrong.body, "email").as_deref(),
                Some("member@example.com")
            );
            assert!(
                !wrong.body.contains("not-the-password"),
                "passwords are never shown again"
            );
            assert!(!visitor.cookies.contains_key("qiao_session"));

            // Empty fields: each error beside its field.
            let empty = visitor
                .post(
                    "/login",
                    &[("csrf", &csrf), ("email", ""), ("password", "")],
                )
                .await;
            assert_eq!(empty.status, 422);
            assert_eq!(
                field_error(&empty.body, "email").as_deref(),
                Some("此项为必填项。")
            );
            assert_eq!(
                field_error(&empty.body, "password").as_deref(),
                Some("此项为必填项。")
            );

            // The right password: the session cookie, on to `next`.
            let ok = visitor
                .post(
                    "/login",
                    &[
                        ("csrf", &csrf),
                        ("next", "/me"),
                        ("email", "Member@Example.com"),
                        ("password", qiao_tests::PASSWORD),
                    ],
                )
                .await;
            assert_eq!((ok.status, location(&ok)), (303, "/me"), "{}", ok.body);
            let session = ok.header("set-cookie").unwrap();
            for attribute in ["qiao_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
                assert!(session.contains(attribute), "{session}");
            }
            let me = visitor.get("/me").await;
            assert_eq!(me.status, 200, "{}", me.body);
            assert!(me.body.contains("member@example.com"));
            assert!(me.body.contains("琴岛海工装备有限公司"));
            assert!(me.body.contains("企业用户"));
            // The layout of a signed-in user: the CSRF meta for htmx and a sign-out form.
            let token = hidden(&me.body, "csrf");
            assert!(
                me.body
                    .contains(&format!("<meta name=\"csrf-token\" content=\"{token}\">"))
            );
            assert!(me.body.contains("action=\"/logout\""));
            assert!(
                !me.body.contains("href=\"/staff\""),
                "no staff console for members"
            );

            // The API accepts the same session.
            let cookie = visitor.cookie_header();
            let api = send(
                server.addr,
                "GET",
                "/api/v1/auth/me",
                &[("Cookie", cookie.as_str())],
                None,
            )
            .await;
            assert_eq!(api.status, 200);
            assert_eq!(api.json()["csrf_token"].as_str(), Some(token.as_str()));

            // Signed in, the sign-in page goes on.
            let r = visitor.get("/login").await;
            assert_eq!((r.status, location(&r)), (303, "/me"));

            let out = visitor.post("/logout", &[("csrf", &token)]).await;
            assert_eq!((out.status, location(&out)), (303, "/"));
            assert!(!visitor.cookies.contains_key("qiao_session"));
            let r = visitor.get("/me").await;
            assert_eq!((r.status, location(&r)), (303, "/login?next=%2Fme"));
            // The session is over on the server too, not only forgotten by the browser.
            let api = send(
                server.addr,
                "GET",
                "/api/v1/auth/me",
                &[("Cookie", cookie.as_str())],
                None,
            )
            .await;
            assert_eq!(api.status, 401);

            // `next` leads to local pages only.
            let form = visitor.get("/login").await;
            let csrf = hidden(&form.body, "csrf");
            let ok = visitor
                .post(
                    "/login",
                    &[
                        ("csrf", &csrf),
                        ("next", "//evil.example/"),
                        ("email", "member@example.com"),
                        ("password", qiao_tests::PASSWORD),
                    ],
                )
                .await;
            assert_eq!((ok.status, location(&ok)), (303, "/me"));
            db
        },
    )
    .await;
}

#[tokio::test]
async fn forms_without_their_csrf_token_are_refused() {
    let db = TestDb::sqlite().await.unwrap();
    let (server, _) = platform(&db).await;
    let mut visitor = Visitor::new(server.addr);
    let login = [
        ("email", "member@example.com"),
        ("password", qiao_tests::PASSWORD),
    ];

    // No token at all, and no cookie.
    let r = visitor.post("/login", &login).await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(r.body.contains("表单已过期"), "{}", r.body);

    // The cookie, but no field; then a field that is not the cookie.
    let csrf = hidden(&visitor.get("/login").await.body, "csrf");
    assert_eq!(visitor.post("/login", &login).await.status, 403);
    let forged = [
        login[0],
        login[1],
        ("csrf", "00112233445566778899aabbccddeeff"),
    ];
    assert_eq!(visitor.post("/login", &forged).await.status, 403);
    assert!(!visitor.cookies.contains_key("qiao_session"));
    let r = visitor
        .post("/register", &[("email", "x@example.com")])
        .await;
    assert_eq!(r.status, 403);

    // Signed in, the session's token is the one forms need.
    let ok = visitor
        .post("/login", &[login[0], login[1], ("csrf", &csrf)])
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let out = visitor.post("/logout", &[]).await;
    assert_eq!(out.status, 403);
    let out = visitor.post("/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        out.status, 403,
        "the pre-session token is not the session's"
    );
    assert_eq!(visitor.get("/me").await.status, 200, "still signed in");

    // A form must be a form.
    let cookie = visitor.cookie_header();
    let json = send(
        server.addr,
        "POST",
        "/logout",
        &[
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/json"),
        ],
        Some(b"{}"),
    )
    .await;
    assert_eq!(json.status, 415);
}

#[tokio::test]
async fn registering_keeps_what_was_typed_and_says_what_happens_next() {
    each_backend("pages::registering_keeps_what_was_typed", |db| async move {
        let (server, _) = platform(&db).await;
        let mut visitor = Visitor::new(server.addr);
        let page = visitor.get("/register").await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("审核"),
            "the approval note: {}",
            page.body
        );
        assert!(page.body.contains("id=\"approval-note\""));
        let csrf = hidden(&page.body, "csrf");

        // Nothing filled in: every blank field says so at once.
        let blank = visitor.post("/register", &[("csrf", &csrf)]).await;
        assert_eq!(blank.status, 422);
        assert_eq!(
            field_error(&blank.body, "role").as_deref(),
            Some("请选择企业或高校院所。")
        );
        for name in ["org_name", "email", "password"] {
            assert_eq!(
                field_error(&blank.body, name).as_deref(),
                Some("此项为必填项。"),
                "{name}"
            );
        }

        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("role", "enterprise"),
            ("org_name", "琴岛蓝湾新材料有限公司"),
            ("email", "new@example.com"),
            ("password", "short"),
            ("display_name", "王工"),
        ];
        let r = visitor.post("/register", &fields).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(
            field_error(&r.body, "password").as_deref(),
            Some("至少需要 10 个字符。")
        );
        assert_eq!(
            field_value(&r.body, "email").as_deref(),
            Some("new@example.com")
        );
        assert_eq!(
            field_value(&r.body, "org_name").as_deref(),
            Some("琴岛蓝湾新材料有限公司")
        );
        assert_eq!(
            field_value(&r.body, "display_name").as_deref(),
            Some("王工")
        );
        assert!(r.body.contains("value=\"enterprise\" checked"));
        assert!(r.body.contains("role=\"alert\""), "an error summary");

        fields[4] = ("password", qiao_tests::PASSWORD);
        fields[3] = ("email", "member@example.com");
        let taken = visitor.post("/register", &fields).await;
        assert_eq!(taken.status, 422);
        assert_eq!(
            field_error(&taken.body, "email").as_deref(),
            Some("该邮箱已注册，请直接登录。")
        );

        fields[1] = ("role", "staff");
        let r = visitor.post("/register", &fields).await;
        assert_eq!(
            field_error(&r.body, "role").as_deref(),
            Some("请选择企业或高校院所。")
        );

        fields[1] = ("role", "enterprise");
        fields[3] = ("email", "new@example.com");
        let done = visitor.post("/register", &fields).await;
        assert_eq!(
            (done.status, location(&done)),
            (303, "/login?registered=1"),
            "{}",
            done.body
        );
        let login = visitor.get("/login?registered=1").await.body;
        assert!(login.contains("注册成功"));

        let csrf = hidden(&login, "csrf");
        let ok = visitor
            .post(
                "/login",
                &[
                    ("csrf", &csrf),
                    ("email", "new@example.com"),
                    ("password", qiao_tests::PASSWORD),
                ],
            )
            .await;
        assert_eq!(ok.status, 303);
        let me = visitor.get("/me").await.body;
        assert!(
            me.contains("琴岛蓝湾新材料有限公司") && me.contains("待审核"),
            "{me}"
        );
        assert!(me.contains("等待工作人员审核"));
        db
    })
    .await;
}

#[tokio::test]
async fn assets_are_immutable_and_compressed() {
    let db = TestDb::sqlite().await.unwrap();
    let server = serve(&db).await;
    let home = get(server.addr, "/").await.body;
    let links: Vec<&str> = home
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .collect();
    assert!(
        links
            .iter()
            .any(|l| l.starts_with("/assets/app.") && l.ends_with(".css")),
        "{links:?}"
    );
    assert!(links.iter().any(|l| l.starts_with("/assets/htmx.min.")));
    let mut script_bytes = 0;
    for link in &links {
        let hash = link.split('.').rev().nth(1).unwrap();
        assert_eq!(hash.len(), 10, "{link}");
        let gz = send(
            server.addr,
            "GET",
            link,
            &[("Accept-Encoding", "gzip, br")],
            None,
        )
        .await;
        assert_eq!(gz.status, 200, "{link}");
        assert_eq!(
            gz.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(gz.header("vary"), Some("Accept-Encoding"));
        assert_eq!(gz.header("content-encoding"), Some("gzip"), "{link}");
        assert_eq!(&gz.bytes[..2], [0x1f, 0x8b], "{link} is gzip");
        let plain = get(server.addr, link).await;
        assert_eq!(plain.header("content-encoding"), None);
        assert!(gz.bytes.len() < plain.bytes.len());
        if link.ends_with(".js") {
            assert_eq!(
                plain.header("content-type"),
                Some("text/javascript; charset=utf-8")
            );
            script_bytes += gz.bytes.len();
        } else {
            assert_eq!(
                plain.header("content-type"),
                Some("text/css; charset=utf-8")
            );
        }
    }
    assert!(script_bytes <= 100 * 1024, "{script_bytes} bytes of script");
    assert_eq!(
        get(server.addr, "/assets/app.0000000000.css").await.status,
        404
    );
    assert_eq!(get(server.addr, "/assets/nothing.js").await.status, 404);
}

#[tokio::test]
async fn every_page_answers_with_the_strict_policy() {
    let db = TestDb::sqlite().await.unwrap();
    let (server, _) = platform(&db).await;
    let strict = qiao_http::hardening::CONTENT_SECURITY_POLICY;
    assert!(strict.contains("style-src 'self';") && !strict.contains("unsafe-inline"));
    let mut visitor = Visitor::new(server.addr);
    for path in [
        "/",
        "/login",
        "/register",
        "/me",
        "/no-such-page",
        "/lang?to=en",
    ] {
        let r = visitor.get(path).await;
        assert_eq!(r.header("content-security-policy"), Some(strict), "{path}");
        assert!(r.header("x-frame-options").is_some(), "{path}");
    }
    let asset = get(server.addr, "/").await.body;
    let css = asset
        .split('"')
        .find(|s| s.starts_with("/assets/app."))
        .unwrap();
    assert_eq!(
        get(server.addr, css)
            .await
            .header("content-security-policy"),
        Some(strict)
    );

    // The 404 page for browsers is a page in the layout; other clients get a problem document.
    let missing = Visitor::new(server.addr).get("/no-such-page").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("页面不存在") && missing.body.contains("role=\"search\""));
    let api = get(server.addr, "/no-such-page").await;
    assert_eq!(api.json()["type"], "/problems/no-such-route");

    // Only the API's documentation page allows Swagger UI's inline styles.
    let docs = get(server.addr, "/api/docs/").await;
    assert_eq!(
        docs.header("content-security-policy"),
        Some(qiao_http::hardening::DOCS_CONTENT_SECURITY_POLICY)
    );

    // An API token that is not live: a page saying so, not a loop to the sign-in page.
    let r = send(
        server.addr,
        "GET",
        "/",
        &[
            ("Authorization", "Bearer qiao_nope"),
            ("Accept", "text/html"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("需要登录"));
    assert_eq!(r.header("content-security-policy"), Some(strict));
}
