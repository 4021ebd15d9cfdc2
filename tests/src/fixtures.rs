//! Organizations and listings created through the REST API or an import
//! file, as staff and members create them.

use crate::client::{Response, call, send};
use serde_json::{Value, json};
use std::net::SocketAddr;

fn id_of(r: Response, what: &str) -> i64 {
    assert_eq!(r.status, 201, "{what}: {}", r.body);
    r.json()["id"].as_i64().expect("an id")
}

/// An organization registered by staff (approved at once); returns its id.
pub async fn approved_org(
    addr: SocketAddr,
    staff: &str,
    name: &str,
    kind: &str,
    region: &str,
) -> i64 {
    let body = json!({"name": name, "kind": kind, "region": region});
    let r = call(
        addr,
        "POST",
        "/api/v1/organizations",
        Some(staff),
        Some(body),
    )
    .await;
    id_of(r, name)
}

/// A need posted with import-format fields by a member (for their own
/// organization) or by staff (naming `org_name`); returns its id.
pub async fn need_of(addr: SocketAddr, token: &str, fields: Value) -> i64 {
    let r = call(
        addr,
        "POST",
        "/api/v1/needs",
        Some(token),
        Some(fields.clone()),
    )
    .await;
    id_of(r, &fields.to_string())
}

/// A capability posted like [`need_of`]; returns its id.
pub async fn capability_of(addr: SocketAddr, token: &str, fields: Value) -> i64 {
    let r = call(
        addr,
        "POST",
        "/api/v1/capabilities",
        Some(token),
        Some(fields.clone()),
    )
    .await;
    id_of(r, &fields.to_string())
}

/// Staff approve or reject an organization.
pub async fn review(addr: SocketAddr, staff: &str, org_id: i64, status: &str) {
    let path = format!("/api/v1/organizations/{org_id}/review");
    let r = call(
        addr,
        "POST",
        &path,
        Some(staff),
        Some(json!({"status": status})),
    )
    .await;
    assert_eq!(r.status, 200, "review {org_id}: {}", r.body);
}

/// Staff import rows as a JSON Lines file; returns the import report.
pub async fn import_jsonl(addr: SocketAddr, staff: &str, kind: &str, rows: &[Value]) -> Value {
    let file: String = rows.iter().map(|r| r.to_string() + "\n").collect();
    let auth = format!("Bearer {staff}");
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
    ];
    let path = format!("/api/v1/import/{kind}?format=jsonl");
    let r = send(addr, "POST", &path, &headers, Some(file.as_bytes())).await;
    assert_eq!(r.status, 200, "import {kind}: {}", r.body);
    r.json()
}

/// An organization as staff see it, found by name.
pub async fn organization_named(addr: SocketAddr, staff: &str, name: &str) -> Value {
    let mut offset = 0;
    loop {
        let path = format!("/api/v1/organizations?limit=100&offset={offset}");
        let page = call(addr, "GET", &path, Some(staff), None).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let items = page.json()["items"].as_array().expect("items").clone();
        if let Some(found) = items.iter().find(|o| o["name"] == name) {
            return found.clone();
        }
        assert!(!items.is_empty(), "no organization named {name}");
        offset += items.len();
    }
}
