//! Helpers for the black-box tests in `tests/tests/`: a real server on a
//! loopback port and a minimal HTTP/1.1 client, so tests see exactly what a
//! browser or script would.

use qiao_app::{App, Config};
use qiao_store::testkit::TestDb;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one request and reads the whole response (`Connection: close`).
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let body = body.unwrap_or(b"");
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    let has_type = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !has_type {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    // The server may answer (e.g. 413) and close before reading a large body.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("incomplete response: {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers,
        body,
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> Response {
    send(addr, "GET", path, &[], None).await
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Starts the whole application for a test database on a loopback port.
pub async fn serve(db: &TestDb) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let config = Config::new(db.dir.clone(), Some(db.url.clone()));
    let app = App::start(db.store.clone(), config)
        .await
        .expect("application");
    tokio::spawn(async move { qiao_http::serve(listener, app).await });
    addr
}

/// A user with an API token; returns the token. The password hash is a
/// placeholder: these users only ever send their token.
pub async fn user_with_token(
    store: &qiao_store::Store,
    email: &str,
    role: qiao_core::vocab::Role,
    org: Option<&str>,
) -> String {
    use qiao_store::audit::Actor;
    let user = store
        .create_user(
            qiao_store::users::NewUser {
                email,
                display_name: email,
                role,
                org_name: org,
                password_hash: "x".into(),
            },
            &Actor::system("t"),
        )
        .await
        .unwrap();
    let (token, digest, prefix) = qiao_app::credentials::new_api_token();
    store
        .create_api_token(user.id, "t", &digest, &prefix, &Actor::system("t"))
        .await
        .unwrap();
    token
}

/// Waits until the server's index has caught up with everything written so far.
pub async fn settle(addr: SocketAddr) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let m = send(addr, "GET", "/metrics", &[], None).await.body;
        let lag = m
            .lines()
            .find_map(|l| l.strip_prefix("qiao_index_lag "))
            .and_then(|v| v.trim().parse::<f64>().ok());
        if lag == Some(0.0) {
            return;
        }
        let gauges: Vec<&str> = m
            .lines()
            .filter(|l| l.starts_with("qiao_index") || l.starts_with("qiao_outbox"))
            .collect();
        assert!(
            std::time::Instant::now() < deadline,
            "the index did not catch up: {gauges:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// An approved organization in a district of the city; returns its id.
pub async fn approved_org(store: &qiao_store::Store, name: &str, kind: &str, region: &str) -> i64 {
    use qiao_core::record::{ExternalId, OrganizationRecord};
    let v = serde_json::json!({"name": name, "kind": kind, "region": region});
    let r = OrganizationRecord::from_map(v.as_object().unwrap(), ExternalId::Optional).unwrap();
    store
        .create_organization(
            &r,
            qiao_core::vocab::ReviewStatus::Approved,
            &qiao_store::audit::Actor::system("t"),
        )
        .await
        .unwrap()
        .id
}

/// A need of an organization from import-format fields; returns its id.
pub async fn need_of(
    store: &qiao_store::Store,
    org_id: i64,
    org_name: &str,
    fields: serde_json::Value,
) -> i64 {
    use qiao_core::record::{ExternalId, NeedRecord};
    let mut m = fields.as_object().unwrap().clone();
    m.insert("org_name".into(), serde_json::json!(org_name));
    let r = NeedRecord::from_map(&m, ExternalId::Optional).unwrap();
    store
        .create_need(&r, org_id, &qiao_store::audit::Actor::system("t"))
        .await
        .unwrap()
        .id
}
