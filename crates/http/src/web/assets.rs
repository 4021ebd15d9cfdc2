//! Stylesheets and scripts, compiled into the binary and served at
//! `/assets/<stem>.<first 10 hex of sha256>.<ext>`: a changed file gets a
//! new address, so every answer may be cached for a year. Text files are
//! gzipped once, when the server starts, and sent compressed to clients that
//! accept it. Templates link them with `{{ asset("app.css") }}`.
//!
//! To add a file: put it under `web/static/` (ours) or `web/vendor/`
//! (third-party, listed in `web/vendor/README.md`) and add a line to [`FILES`].

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use minijinja::{Error, ErrorKind, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::sync::LazyLock;

/// Every file a page may link, by the name templates use.
const FILES: &[(&str, &[u8])] = &[
    ("app.css", include_bytes!("../../../../web/static/app.css")),
    ("app.js", include_bytes!("../../../../web/static/app.js")),
    (
        "charts.js",
        include_bytes!("../../../../web/static/charts.js"),
    ),
    (
        "htmx.min.js",
        include_bytes!("../../../../web/vendor/htmx/htmx.min.js"),
    ),
    (
        "echarts.min.js",
        include_bytes!("../../../../web/vendor/echarts/echarts.min.js"),
    ),
];

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub struct Asset {
    /// `/assets/app.0123456789.css`
    pub url: String,
    pub content_type: &'static str,
    pub body: &'static [u8],
    /// The gzipped body, when compressing saves anything.
    pub gzip: Option<Vec<u8>>,
}

struct Assets {
    by_name: HashMap<&'static str, usize>,
    by_file: HashMap<String, usize>,
    all: Vec<Asset>,
}

static ASSETS: LazyLock<Assets> = LazyLock::new(|| {
    let mut assets = Assets {
        by_name: HashMap::new(),
        by_file: HashMap::new(),
        all: Vec::new(),
    };
    for (name, body) in FILES {
        let asset = build(name, body);
        let file = asset.url.trim_start_matches("/assets/").to_string();
        assets.by_name.insert(name, assets.all.len());
        assets.by_file.insert(file, assets.all.len());
        assets.all.push(asset);
    }
    assets
});

/// Hashes and compresses every asset now rather than on the first request.
pub fn init() {
    LazyLock::force(&ASSETS);
}

fn build(name: &str, body: &'static [u8]) -> Asset {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let digest = Sha256::digest(body);
    let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    let content_type = content_type(ext);
    let gzip = content_type
        .starts_with("text/")
        .then(|| gzip(body))
        .filter(|z| z.len() < body.len());
    Asset {
        url: format!("/assets/{stem}.{hash}.{ext}"),
        content_type,
        body,
        gzip,
    }
}

fn content_type(ext: &str) -> &'static str {
    match ext {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 3), Compression::best());
    encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .expect("gzip into memory")
}

/// The address of an asset by its name (`app.css`).
pub fn url(name: &str) -> Option<&'static str> {
    let assets = &*ASSETS;
    assets
        .by_name
        .get(name)
        .map(|&i| assets.all[i].url.as_str())
}

/// The template function `asset("app.css")`; an unknown name fails the render.
/// The address (a path of ASCII letters, digits and dots) needs no escaping.
pub fn asset_function(name: &str) -> Result<Value, Error> {
    url(name)
        .map(|u| Value::from_safe_string(u.to_string()))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("no asset named {name:?} (see web/assets.rs)"),
            )
        })
}

/// Whether `Accept-Encoding` admits gzip (`gzip`, `x-gzip` or `*`, without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            matches!(coding.as_str(), "gzip" | "x-gzip" | "*") && !refused
        })
}

/// `GET /assets/{file}`: the file, gzipped if the client accepts it, cached for a year.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let assets = &*ASSETS;
    let Some(asset) = assets.by_file.get(&file).map(|&i| &assets.all[i]) else {
        return (
            StatusCode::NOT_FOUND,
            [(header::CACHE_CONTROL, "no-store")],
            "",
        )
            .into_response();
    };
    let mut response = match (&asset.gzip, accepts_gzip(&headers)) {
        (Some(gz), true) => {
            let mut r = gz.clone().into_response();
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            r
        }
        _ => asset.body.into_response(),
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn request(file: &str, encoding: Option<&'static str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(e) = encoding {
            headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(e));
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(serve(Path(file.to_string()), headers))
    }

    fn body(r: Response) -> Vec<u8> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(axum::body::to_bytes(r.into_body(), usize::MAX))
            .unwrap()
            .to_vec()
    }

    #[test]
    fn names_carry_the_content_hash() {
        let css = url("app.css").unwrap();
        let (_, hash) = css
            .strip_prefix("/assets/app.")
            .and_then(|r| r.strip_suffix(".css"))
            .map(|h| ("", h))
            .unwrap();
        assert_eq!(hash.len(), 10);
        let digest = Sha256::digest(FILES[0].1);
        assert!(format!("{digest:x}").starts_with(hash));
        assert!(url("htmx.min.js").unwrap().starts_with("/assets/htmx.min."));
        assert_eq!(url("nothing.css"), None);
        let names: std::collections::BTreeSet<_> = FILES.iter().map(|(n, _)| n).collect();
        assert_eq!(names.len(), FILES.len(), "asset names are unique");
    }

    #[test]
    fn assets_are_immutable_typed_and_gzipped_on_request() {
        let file = url("app.css").unwrap().trim_start_matches("/assets/");
        let plain = request(file, None);
        assert_eq!(plain.status(), StatusCode::OK);
        assert_eq!(plain.headers()[header::CACHE_CONTROL], IMMUTABLE);
        assert_eq!(plain.headers()[header::VARY], "Accept-Encoding");
        assert_eq!(
            plain.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
        assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(body(plain), FILES[0].1);

        let zipped = request(file, Some("br, gzip;q=0.8"));
        assert_eq!(zipped.headers()[header::CONTENT_ENCODING], "gzip");
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body(zipped)[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, FILES[0].1);

        let refused = request(file, Some("gzip;q=0, identity"));
        assert!(refused.headers().get(header::CONTENT_ENCODING).is_none());
    }

    #[test]
    fn unknown_or_stale_names_are_not_found() {
        assert_eq!(request("app.css", None).status(), StatusCode::NOT_FOUND);
        assert_eq!(
            request("app.0000000000.css", None).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn htmx_is_small_and_echarts_compresses() {
        let size = |name: &str| {
            let a = &ASSETS.all[ASSETS.by_name[name]];
            a.gzip.as_ref().map_or(a.body.len(), Vec::len)
        };
        // Pages other than the dashboard stay under 100 KB of compressed script.
        assert!(size("htmx.min.js") + size("app.js") < 100 * 1024);
        assert!(size("echarts.min.js") < 400 * 1024);
    }

    #[test]
    fn gzip_is_read_from_the_header() {
        let accepts = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(v));
            accepts_gzip(&h)
        };
        assert!(accepts("gzip, deflate, br"));
        assert!(accepts("*"));
        assert!(accepts("GZIP;q=0.5"));
        assert!(!accepts("br"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts(""));
    }
}
