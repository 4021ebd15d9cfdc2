//! The two languages of the pages: Simplified Chinese (the default) and
//! English. Every UI string lives in `web/i18n/zh.json` and `web/i18n/en.json`
//! under the same flat keys (`nav.search`); templates ask for them with
//! `t("key")`, or `t("key", name=value)` for a `{name}` placeholder. The
//! language is the `qiao_lang` cookie, set by `GET /lang?to=en&back=/path`.

use super::redirect::{local_path, see_other};
use axum::extract::Query;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use minijinja::value::{Kwargs, Value};
use minijinja::{Error, ErrorKind, State};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;

pub const COOKIE: &str = "qiao_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The cookie's and the templates' code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The `lang` attribute of `<html>`.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The request's language: its `qiao_lang` cookie, else Chinese.
    pub fn of_request(headers: &HeaderMap) -> Lang {
        CookieJar::from_headers(headers)
            .get(COOKIE)
            .and_then(|c| Lang::from_code(c.value()))
            .unwrap_or_default()
    }

    /// The language a template renders in: its `lang` variable.
    pub fn of_state(state: &State) -> Lang {
        state
            .lookup("lang")
            .and_then(|v| v.as_str().and_then(Lang::from_code))
            .unwrap_or_default()
    }

    /// A catalogue string; a missing key shows as itself (the catalogue tests keep that from happening).
    pub fn text(self, key: &str) -> &str {
        let catalogue = match self {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        match catalogue.get(key) {
            Some(text) => text,
            None => {
                tracing::warn!(key, lang = self.code(), "missing catalogue string");
                key
            }
        }
    }

    /// A catalogue string with its `{name}` placeholders filled in.
    pub fn format(self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.text(key), |name| {
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }
}

type Catalogue = HashMap<String, String>;

pub(crate) const ZH_SOURCE: &str = include_str!("../../../../web/i18n/zh.json");
pub(crate) const EN_SOURCE: &str = include_str!("../../../../web/i18n/en.json");

fn parse(source: &str, name: &str) -> Catalogue {
    serde_json::from_str(source).unwrap_or_else(|e| panic!("web/i18n/{name}.json: {e}"))
}

static ZH: LazyLock<Catalogue> = LazyLock::new(|| parse(ZH_SOURCE, "zh"));
static EN: LazyLock<Catalogue> = LazyLock::new(|| parse(EN_SOURCE, "en"));

/// Whether the key is in the catalogues (for strings picked in code, such as plan targets by code).
pub fn has(key: &str) -> bool {
    ZH.contains_key(key)
}

/// Replaces each `{name}` by `value(name)`; unknown names stay as written.
fn fill(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The template function `t("key", name=value, …)`.
pub fn t(state: &State, key: &str, args: Kwargs) -> Result<String, Error> {
    let lang = Lang::of_state(state);
    let text = lang.text(key);
    if !text.contains('{') {
        return Ok(text.to_string());
    }
    let mut missing = None;
    let out = fill(text, |name| match args.get::<Option<Value>>(name) {
        Ok(Some(v)) => Some(v.to_string()),
        _ => {
            missing = Some(name.to_string());
            None
        }
    });
    if let Some(name) = missing {
        return Err(Error::new(
            ErrorKind::MissingArgument,
            format!("t(\"{key}\") needs {name}="),
        ));
    }
    args.assert_all_used()?;
    Ok(out)
}

#[derive(Deserialize)]
pub struct SwitchParams {
    to: Option<String>,
    back: Option<String>,
}

/// `GET /lang?to=en&back=/path`: remembers the language for a year and goes back (to local paths only).
pub async fn switch(headers: HeaderMap, Query(params): Query<SwitchParams>) -> Response {
    let lang = params
        .to
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or_default();
    let cookie = Cookie::build((COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .http_only(true)
        .secure(crate::auth::is_https(&headers))
        .max_age(
            std::time::Duration::from_secs(365 * 24 * 3600)
                .try_into()
                .expect("a year fits"),
        )
        .build();
    let back = params.back.as_deref().and_then(local_path).unwrap_or("/");
    let mut response = see_other(back);
    if let Ok(v) = cookie.to_string().parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_catalogues_have_the_same_keys_and_no_empty_string() {
        let zh: BTreeSet<&String> = ZH.keys().collect();
        let en: BTreeSet<&String> = EN.keys().collect();
        assert_eq!(
            zh.difference(&en).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "in zh.json only"
        );
        assert_eq!(
            en.difference(&zh).collect::<Vec<_>>(),
            Vec::<&&String>::new(),
            "in en.json only"
        );
        for (key, text) in ZH.iter().chain(EN.iter()) {
            assert!(!text.trim().is_empty(), "{key} is empty");
        }
    }

    #[test]
    fn placeholders_are_the_same_in_both_languages() {
        let names = |text: &str| -> BTreeSet<String> {
            text.split('{')
                .skip(1)
                .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
                .collect()
        };
        for (key, zh) in ZH.iter() {
            assert_eq!(names(zh), names(&EN[key]), "{key}");
        }
    }

    /// Every `t("…")` of every template names a catalogue key.
    #[test]
    fn every_key_used_by_a_template_exists() {
        let mut used = 0;
        for (name, source) in super::super::templates::SOURCES {
            for key in template_keys(source) {
                used += 1;
                assert!(
                    ZH.contains_key(&key),
                    "{name} uses t(\"{key}\"), not in the catalogues"
                );
            }
        }
        assert!(used > 40, "the scan found only {used} keys");
    }

    fn template_keys(source: &str) -> Vec<String> {
        let mut keys = Vec::new();
        for quote in ['"', '\''] {
            let open = format!("t({quote}");
            let mut rest = source;
            while let Some(at) = rest.find(&open) {
                let preceded = rest[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
                rest = &rest[at + open.len()..];
                if preceded {
                    continue;
                }
                if let Some(end) = rest.find(quote) {
                    keys.push(rest[..end].to_string());
                }
            }
        }
        keys
    }

    #[test]
    fn the_scan_finds_keys_in_both_quotes_only_as_calls() {
        let keys =
            template_keys(r#"{{ t("a.b") }} {{ t('c', n=1) }} {{ list("x") }} {{ x.t("y") }}"#);
        assert_eq!(keys, ["a.b", "c"]);
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            Lang::Zh.format("login.throttled", &[("seconds", "30")]),
            "尝试次数过多，请 30 秒后再试。"
        );
        assert_eq!(
            Lang::En.format("account.signed_in_as", &[("email", "a@b.cn")]),
            "Signed in as a@b.cn"
        );
        assert_eq!(fill("{a} and {b", |_| Some("x".into())), "x and {b");
        assert_eq!(fill("{unknown}", |_| None), "{unknown}");
    }

    #[test]
    fn the_language_is_the_cookie_or_chinese() {
        let mut headers = HeaderMap::new();
        assert_eq!(Lang::of_request(&headers), Lang::Zh);
        headers.insert(header::COOKIE, "a=1; qiao_lang=en".parse().unwrap());
        assert_eq!(Lang::of_request(&headers), Lang::En);
        headers.insert(header::COOKIE, "qiao_lang=fr".parse().unwrap());
        assert_eq!(Lang::of_request(&headers), Lang::Zh);
    }
}
