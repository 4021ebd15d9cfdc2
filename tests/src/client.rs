//! A thin layer over reqwest that answers with status, headers and the whole
//! body, so assertions read exactly what a browser or script would receive.

use std::net::SocketAddr;

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy only if the server sent invalid UTF-8).
    pub body: String,
    /// The body as received, for binary files such as `.xlsx`.
    pub bytes: Vec<u8>,
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

/// A client per request: a pooled one would carry connections across the
/// per-test tokio runtimes, and redirects are the test's business.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("HTTP client")
}

/// Sends one request and reads the whole response. A body without a
/// `Content-Type` header is sent as JSON.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Response {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("HTTP method");
    let mut request = client().request(method, format!("http://{addr}{path}"));
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    if let Some(body) = body {
        let has_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if !has_type {
            request = request.header("Content-Type", "application/json");
        }
        request = request.body(body.to_vec());
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e:?}"));
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            (k.as_str().to_string(), v)
        })
        .collect();
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{path}: body: {e:?}"))
        .to_vec();
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> Response {
    send(addr, "GET", path, &[], None).await
}

/// A request with an optional API token and an optional JSON body.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> Response {
    let auth = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
    let body = body.map(|b| b.to_string());
    send(
        addr,
        method,
        path,
        &headers,
        body.as_deref().map(str::as_bytes),
    )
    .await
}
