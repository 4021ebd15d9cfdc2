//! Redirects after a form or a language switch: `303 See Other`, and only
//! to paths of this site, so `?next=` and `?back=` cannot send anyone away.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The value if it is a path of this site (`/me`, `/search?q=锂电池`):
/// it starts with one `/`, and holds no backslash, control character or
/// white space that a browser might read as another host.
pub fn local_path(value: &str) -> Option<&str> {
    let ok = value.starts_with('/')
        && !value.starts_with("//")
        && value.len() <= 2048
        && !value
            .chars()
            .any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    ok.then_some(value)
}

/// `303 See Other` to a local path (`/` if it is not one).
pub fn see_other(path: &str) -> Response {
    let path = local_path(path).unwrap_or("/");
    let location = HeaderValue::from_str(path).unwrap_or(HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// A query string of `pairs`, percent-encoded (`next=%2Fme`).
pub fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_pass() {
        for ok in ["/", "/me", "/search?q=%E9%94%82&type=need", "/events/3#top"] {
            assert_eq!(local_path(ok), Some(ok));
        }
        for bad in [
            "",
            "me",
            "//evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "/a\nb",
            "/a b",
            "\t/me",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(3000))), None);
    }

    #[test]
    fn redirects_go_home_unless_local() {
        let location = |r: Response| r.headers()[header::LOCATION].to_str().unwrap().to_string();
        let r = see_other("/me");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(r), "/me");
        assert_eq!(location(see_other("//evil.example")), "/");
    }

    #[test]
    fn queries_are_encoded() {
        assert_eq!(
            query(&[("to", "en"), ("back", "/search?q=锂&type=need")]),
            "to=en&back=%2Fsearch%3Fq%3D%E9%94%82%26type%3Dneed"
        );
    }
}
