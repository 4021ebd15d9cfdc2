//! The administration of users over HTTP, as a browser without JavaScript
//! uses it: `/admin/users` (admins only) lists every user with role,
//! organization and status, and its forms change a role or disable an
//! account through the use case of `PATCH /api/v1/users/{id}`, on the
//! demo data.

use qiao_app::demo::DEMO_PASSWORD;
use qiao_tests::location;
use qiao_tests::{Visitor, call, demo_platform, login_token, send};
use serde_json::json;
use std::net::SocketAddr;

const ADMIN: &str = "admin@demo.qiao.cn";
const STAFF: &str = "staff@demo.qiao.cn";
const UNIVERSITY: &str = "university@demo.qiao.cn";

/// A user's id and role as the API tells an admin.
async fn user_of(addr: SocketAddr, admin: &str, email: &str) -> (i64, String, bool) {
    let r = call(addr, "GET", "/api/v1/users?limit=100", Some(admin), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let users = r.json();
    let u = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == email)
        .unwrap_or_else(|| panic!("{email} in {users}"))
        .clone();
    (
        u["id"].as_i64().unwrap(),
        u["role"].as_str().unwrap().to_string(),
        u["disabled"].as_bool().unwrap(),
    )
}

/// The table row of a user on the admin page.
fn row_of(html: &str, id: i64) -> &str {
    let start = html
        .find(&format!("<tr id=\"u-{id}\""))
        .unwrap_or_else(|| panic!("no row of user {id}: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[tokio::test]
async fn an_admin_changes_a_role_and_disables_an_account_through_the_forms() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let token = login_token(addr, ADMIN, DEMO_PASSWORD).await;
    let (staff_id, role, _) = user_of(addr, &token, STAFF).await;
    assert_eq!(role, "staff");
    let (admin_id, _, _) = user_of(addr, &token, ADMIN).await;

    let mut admin = Visitor::new(addr);
    let csrf = admin.sign_in(ADMIN, DEMO_PASSWORD).await;
    let list = admin.get("/admin/users").await;
    assert_eq!(list.status, 200, "{}", list.body);
    // Every demo account, with its role, organization and status.
    for email in [ADMIN, STAFF, "enterprise@demo.qiao.cn", UNIVERSITY] {
        assert!(list.body.contains(email), "{email}");
    }
    let row = row_of(&list.body, staff_id);
    assert!(row.contains("data-role=\"staff\">工作人员<"), "{row}");
    assert!(row.contains("正常"), "{row}");
    let (enterprise_id, _, _) = user_of(addr, &token, "enterprise@demo.qiao.cn").await;
    let enterprise_row = row_of(&list.body, enterprise_id);
    assert!(enterprise_row.contains("企业用户"), "{enterprise_row}");
    assert!(
        !enterprise_row.contains("<td>—</td>"),
        "an organization: {enterprise_row}"
    );
    // The admin's own row has no forms.
    let own = row_of(&list.body, admin_id);
    assert!(own.contains("您本人"), "{own}");
    assert!(!own.contains("<form"), "{own}");

    // Staff becomes admin.
    let action = format!("/admin/users/{staff_id}/role");
    assert!(row.contains(&format!("action=\"{action}\"")), "{row}");
    let r = admin
        .post(&action, &[("csrf", &csrf), ("role", "admin")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        location(&r).starts_with("/admin/users?done=role"),
        "{}",
        location(&r)
    );
    assert!(location(&r).ends_with(&format!("#u-{staff_id}")));
    let back = admin.get(location(&r)).await;
    assert!(
        back.body.contains(&format!("已更改 {STAFF} 的角色。")),
        "{}",
        back.body
    );
    assert!(row_of(&back.body, staff_id).contains("data-role=\"admin\">管理员<"));
    assert_eq!(user_of(addr, &token, STAFF).await.1, "admin");
    // ... and may open the page now.
    let mut promoted = Visitor::new(addr);
    promoted.sign_in(STAFF, DEMO_PASSWORD).await;
    assert_eq!(promoted.get("/admin/users").await.status, 200);

    // A university user is disabled: signed out and unable to sign in, then enabled again.
    let (uni_id, _, _) = user_of(addr, &token, UNIVERSITY).await;
    let mut uni = Visitor::new(addr);
    uni.sign_in(UNIVERSITY, DEMO_PASSWORD).await;
    let r = admin
        .post(
            &format!("/admin/users/{uni_id}/status"),
            &[("csrf", &csrf), ("disabled", "true")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let back = admin.get(location(&r)).await;
    assert!(back.body.contains(&format!("已停用 {UNIVERSITY} 的账号。")));
    assert!(row_of(&back.body, uni_id).contains("已停用"));
    assert!(user_of(addr, &token, UNIVERSITY).await.2);
    let me = uni.get("/me").await;
    assert_eq!(me.status, 303, "the session ended");
    let login = json!({"email": UNIVERSITY, "password": DEMO_PASSWORD}).to_string();
    let r = send(
        addr,
        "POST",
        "/api/v1/auth/login",
        &[],
        Some(login.as_bytes()),
    )
    .await;
    assert_ne!(r.status, 200, "a disabled account cannot sign in");
    let r = admin
        .post(
            &format!("/admin/users/{uni_id}/status"),
            &[("csrf", &csrf), ("disabled", "false")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(!user_of(addr, &token, UNIVERSITY).await.2);

    // English too.
    let en = admin.get("/lang?to=en&back=%2Fadmin%2Fusers").await;
    assert_eq!(en.status, 303);
    let list = admin.get("/admin/users").await;
    assert!(list.body.contains("Users and roles"), "{}", list.body);
    assert!(row_of(&list.body, uni_id).contains("University user"));

    // An admin cannot lock themselves out here, nor give an unknown role.
    let r = admin
        .post(
            &format!("/admin/users/{admin_id}/status"),
            &[("csrf", &csrf), ("disabled", "true")],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("role=\"alert\""));
    assert!(!user_of(addr, &token, ADMIN).await.2);
    let r = admin
        .post(
            &format!("/admin/users/{uni_id}/role"),
            &[("csrf", &csrf), ("role", "superuser")],
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn only_admins_manage_users() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let token = login_token(addr, ADMIN, DEMO_PASSWORD).await;
    let (uni_id, _, _) = user_of(addr, &token, UNIVERSITY).await;

    let mut anonymous = Visitor::new(addr);
    let r = anonymous.get("/admin/users").await;
    assert_eq!(r.status, 303);
    assert_eq!(location(&r), "/login?next=%2Fadmin%2Fusers");

    for who in [STAFF, "enterprise@demo.qiao.cn", UNIVERSITY] {
        let mut visitor = Visitor::new(addr);
        let csrf = visitor.sign_in(who, DEMO_PASSWORD).await;
        let r = visitor.get("/admin/users").await;
        assert_eq!(r.status, 403, "{who}");
        assert!(r.body.contains("无权访问"), "{}", r.body);
        assert!(!r.body.contains("admin@demo.qiao.cn"), "no user listed");
        for (path, field) in [
            (format!("/admin/users/{uni_id}/role"), ("role", "admin")),
            (
                format!("/admin/users/{uni_id}/status"),
                ("disabled", "true"),
            ),
        ] {
            let r = visitor.post(&path, &[("csrf", &csrf), field]).await;
            assert_eq!(r.status, 403, "{who} {path}");
        }
    }
    let (_, role, disabled) = user_of(addr, &token, UNIVERSITY).await;
    assert_eq!((role.as_str(), disabled), ("university", false));
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_refused() {
    let (_db, server) = demo_platform().await;
    let addr = server.addr;
    let token = login_token(addr, ADMIN, DEMO_PASSWORD).await;
    let (uni_id, _, _) = user_of(addr, &token, UNIVERSITY).await;
    let mut admin = Visitor::new(addr);
    admin.sign_in(ADMIN, DEMO_PASSWORD).await;
    let action = format!("/admin/users/{uni_id}/role");
    let r = admin.post(&action, &[("role", "admin")]).await;
    assert_eq!(r.status, 403, "no CSRF field");
    let r = admin
        .post(
            &action,
            &[
                ("csrf", "0123456789abcdef0123456789abcdef"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "a wrong token");
    let r = admin
        .post(
            &format!("/admin/users/{uni_id}/status"),
            &[("disabled", "true")],
        )
        .await;
    assert_eq!(r.status, 403);
    let (_, role, disabled) = user_of(addr, &token, UNIVERSITY).await;
    assert_eq!((role.as_str(), disabled), ("university", false));
}
