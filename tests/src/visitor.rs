//! A visitor with a cookie jar, like a browser without JavaScript: the
//! pages' tests drive the HTML forms with it.

use crate::client::{Response, send};
use std::collections::BTreeMap;
use std::net::SocketAddr;

/// A visitor with a cookie jar, like a browser without JavaScript.
pub struct Visitor {
    pub addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
}

impl Visitor {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            cookies: BTreeMap::new(),
        }
    }

    /// The `Cookie` header the jar sends.
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Keeps the response's cookies, forgetting the ones it clears.
    pub fn keep_cookies(&mut self, r: &Response) {
        for (name, value) in &r.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or_default();
            let (k, v) = pair.split_once('=').expect("a cookie");
            if v.is_empty() || value.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let cookie = self.cookie_header();
        let headers = [("Cookie", cookie.as_str()), ("Accept", "text/html")];
        let r = send(self.addr, "GET", path, &headers, None).await;
        self.keep_cookies(&r);
        r
    }

    /// Submits a form, `application/x-www-form-urlencoded`.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let cookie = self.cookie_header();
        let headers = [
            ("Cookie", cookie.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        let body = encode(fields);
        let r = send(self.addr, "POST", path, &headers, Some(body.as_bytes())).await;
        self.keep_cookies(&r);
        r
    }

    /// Submits the `/login` form; the platform answers 303.
    pub async fn log_in(&mut self, email: &str, password: &str) {
        let form = self.get("/login").await;
        let csrf = hidden(&form.body, "csrf");
        let r = self
            .post(
                "/login",
                &[("csrf", &csrf), ("email", email), ("password", password)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }

    /// Signs in through the `/login` form; returns the session's CSRF token.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> String {
        self.log_in(email, password).await;
        let me = self.get("/me").await;
        assert_eq!(me.status, 200);
        hidden(&me.body, "csrf")
    }
}

/// Form fields, `application/x-www-form-urlencoded`.
pub fn encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of the page's hidden input `name`.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name}: {html}"))
        + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The value a form shows in field `name` (the input `id="f-{name}"`).
pub fn field_value(html: &str, name: &str) -> Option<String> {
    let tag_start = html.find(&format!("id=\"f-{name}\""))?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let start = tag.find("value=\"")? + 7;
    Some(tag[start..start + tag[start..].find('"')?].to_string())
}

/// The message shown beside field `name`.
pub fn field_error(html: &str, name: &str) -> Option<String> {
    let marker = format!("id=\"f-{name}-error\">");
    let start = html.find(&marker)? + marker.len();
    Some(html[start..start + html[start..].find('<')?].to_string())
}

/// Where a redirect points.
pub fn location(r: &Response) -> &str {
    r.header("location").unwrap_or_default()
}
