//! Accounts the way people get them: admins create users, enterprises and
//! universities may register themselves, and scripts use API tokens made
//! after a password login.

use crate::client::{Response, call, send};
use serde_json::json;
use std::net::SocketAddr;

/// The password of every test account.
pub const PASSWORD: &str = "tide-lantern-42";

fn created(r: Response, what: &str) -> Response {
    assert_eq!(r.status, 201, "{what}: {}", r.body);
    r
}

/// Logs in with a password and creates an API token with the session.
pub async fn login_token(addr: SocketAddr, email: &str, password: &str) -> String {
    let body = json!({"email": email, "password": password}).to_string();
    let login = send(
        addr,
        "POST",
        "/api/v1/auth/login",
        &[],
        Some(body.as_bytes()),
    )
    .await;
    assert_eq!(login.status, 200, "login {email}: {}", login.body);
    let cookie = login
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let csrf = login.json()["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_string();
    let body = json!({"name": "tests"}).to_string();
    let headers = [("Cookie", cookie.as_str()), ("X-CSRF-Token", csrf.as_str())];
    let t = send(
        addr,
        "POST",
        "/api/v1/auth/tokens",
        &headers,
        Some(body.as_bytes()),
    )
    .await;
    let t = created(t, "API token");
    t.json()["token"].as_str().expect("token").to_string()
}

/// An account created by an admin (`org` is joined, or created pending
/// review if new); returns an API token of the new user.
pub async fn user_with_token(
    addr: SocketAddr,
    admin: &str,
    email: &str,
    role: &str,
    org: Option<&str>,
) -> String {
    let body = json!({"email": email, "password": PASSWORD, "role": role, "org_name": org});
    let r = call(addr, "POST", "/api/v1/users", Some(admin), Some(body)).await;
    created(r, email);
    login_token(addr, email, PASSWORD).await
}

/// A self-registered enterprise or university user (a new organization
/// waits for review); returns an API token of the new user.
pub async fn registered(addr: SocketAddr, email: &str, role: &str, org: &str) -> String {
    let body = json!({"email": email, "password": PASSWORD, "role": role, "org_name": org});
    let r = call(addr, "POST", "/api/v1/auth/register", None, Some(body)).await;
    created(r, email);
    login_token(addr, email, PASSWORD).await
}

/// The organization id of the token's user.
pub async fn org_of(addr: SocketAddr, token: &str) -> i64 {
    let me = call(addr, "GET", "/api/v1/auth/me", Some(token), None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    me.json()["user"]["org_id"].as_i64().expect("a member")
}
