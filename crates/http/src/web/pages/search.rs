//! `/search?q=&type=`: needs and capabilities through the same search use
//! case as `GET /api/v1/search`, with type tabs, facet links that keep the
//! other parameters, highlighted snippets and pagination. Works without
//! JavaScript: every control is a link or a GET form.

use crate::server::AppState;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use crate::web::redirect::query;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use qiao_app::search::SearchRequest;
use serde::Serialize;
use serde_json::Value as Json;

/// Hits per page unless `limit` says otherwise (the API's default).
const DEFAULT_LIMIT: usize = 10;
/// The most hits a page may ask for (the API's bound).
const MAX_LIMIT: usize = 100;
/// The search index returns no hit beyond this one.
const MAX_WINDOW: usize = 10_000;
/// The search text the service accepts.
const MAX_QUERY_CHARS: usize = 500;
/// Page links shown on either side of the current page.
const PAGE_SPREAD: usize = 2;

/// The parameters a search page carries, in the order links write them
/// (the type first, so the layout's navigation knows the current tab).
const KEYS: [&str; 12] = [
    "type", "q", "field", "org_kind", "region", "mode", "trl_min", "trl_max", "status", "sort",
    "limit", "offset",
];

/// Facets in the order the page shows them.
const FACETS: [&str; 6] = ["field", "org_kind", "region", "maturity", "mode", "status"];

/// TRL bounds of each maturity stage (the index's `maturity` facet values).
const STAGES: [(&str, u8, u8); 4] = [
    ("laboratory", 1, 3),
    ("bench", 4, 5),
    ("pilot", 6, 7),
    ("industrial", 8, 9),
];

/// The page's parameters after cleaning: anything out of range is dropped
/// or bounded as the API bounds it, so a hand-edited address still shows a page.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Params {
    q: String,
    kind: Option<&'static str>,
    field: Option<String>,
    org_kind: Option<String>,
    region: Option<String>,
    mode: Option<String>,
    trl_min: Option<u8>,
    trl_max: Option<u8>,
    status: Option<String>,
    sort_updated: bool,
    limit: usize,
    offset: usize,
}

impl Params {
    /// From a raw query string; the first value of a repeated key counts.
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim())
                .filter(|v| !v.is_empty())
        };
        let code = |key: &str| {
            get(key)
                .filter(|v| v.chars().count() <= 80)
                .map(String::from)
        };
        let trl = |key: &str| {
            get(key)
                .and_then(|v| v.parse::<u8>().ok())
                .filter(|t| (1..=9).contains(t))
        };
        let limit = get("limit")
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(DEFAULT_LIMIT, |l| l.clamp(1, MAX_LIMIT));
        let offset = get("offset")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
            .min(MAX_WINDOW.saturating_sub(limit));
        Params {
            q: get("q")
                .unwrap_or_default()
                .chars()
                .take(MAX_QUERY_CHARS)
                .collect(),
            kind: match get("type") {
                Some("need") => Some("need"),
                Some("capability") => Some("capability"),
                _ => None,
            },
            field: code("field"),
            org_kind: code("org_kind"),
            region: code("region"),
            mode: code("mode"),
            trl_min: trl("trl_min"),
            trl_max: trl("trl_max"),
            status: code("status"),
            sort_updated: get("sort") == Some("updated"),
            limit,
            offset,
        }
    }

    fn request(&self) -> SearchRequest {
        SearchRequest {
            q: Some(self.q.clone()),
            kind: self.kind.map(String::from),
            field: self.field.clone(),
            org_kind: self.org_kind.clone(),
            region: self.region.clone(),
            mode: self.mode.clone(),
            trl_min: self.trl_min,
            trl_max: self.trl_max,
            status: self.status.clone(),
            sort: self.sort_updated.then(|| "updated".to_string()),
            limit: Some(self.limit),
            offset: Some(self.offset),
        }
    }

    fn value(&self, key: &str) -> Option<String> {
        match key {
            "q" => Some(self.q.clone()).filter(|q| !q.is_empty()),
            "type" => self.kind.map(String::from),
            "field" => self.field.clone(),
            "org_kind" => self.org_kind.clone(),
            "region" => self.region.clone(),
            "mode" => self.mode.clone(),
            "trl_min" => self.trl_min.map(|t| t.to_string()),
            "trl_max" => self.trl_max.map(|t| t.to_string()),
            "status" => self.status.clone(),
            "sort" => self.sort_updated.then(|| "updated".to_string()),
            "limit" => (self.limit != DEFAULT_LIMIT).then(|| self.limit.to_string()),
            "offset" => (self.offset != 0).then(|| self.offset.to_string()),
            _ => None,
        }
    }

    /// `/search?…` with these parameters, `changes` applied (`None` removes a key).
    fn href(&self, changes: &[(&str, Option<String>)]) -> String {
        let pairs: Vec<(&str, String)> = KEYS
            .iter()
            .filter_map(|key| {
                let value = match changes.iter().find(|(k, _)| k == key) {
                    Some((_, v)) => v.clone(),
                    None => self.value(key),
                };
                value.map(|v| (*key, v))
            })
            .collect();
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        if pairs.is_empty() {
            "/search".to_string()
        } else {
            format!("/search?{}", query(&pairs))
        }
    }

    /// The same search narrowed (or widened) from its first page.
    fn refine(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut all = changes.to_vec();
        all.push(("offset", None));
        self.href(&all)
    }

    /// Whether the facet value is the one filtered on.
    fn selected(&self, facet: &str, value: &str) -> bool {
        match facet {
            "maturity" => STAGES.iter().any(|(v, lo, hi)| {
                *v == value && self.trl_min == Some(*lo) && self.trl_max == Some(*hi)
            }),
            _ => self.value(facet).as_deref() == Some(value),
        }
    }

    /// The link of a facet value: filter on it, or drop the filter when it is the current one.
    fn facet_href(&self, facet: &str, value: &str) -> String {
        let on = !self.selected(facet, value);
        if facet == "maturity" {
            let (lo, hi) = STAGES
                .iter()
                .find(|(v, ..)| *v == value)
                .map_or((None, None), |(_, lo, hi)| (Some(*lo), Some(*hi)));
            let keep = |t: Option<u8>| t.filter(|_| on).map(|t| t.to_string());
            return self.refine(&[("trl_min", keep(lo)), ("trl_max", keep(hi))]);
        }
        self.refine(&[(facet, on.then(|| value.to_string()))])
    }

    fn has_filters(&self) -> bool {
        [
            "field", "org_kind", "region", "mode", "trl_min", "trl_max", "status",
        ]
        .iter()
        .any(|k| self.value(k).is_some())
    }
}

/// A search snippet as HTML that may be shown unescaped: the text escaped
/// again from scratch, and of all markup only `<mark>`/`</mark>` kept
/// (balanced). The index already escapes its snippets; its entities are
/// read back first so they show as the characters they stand for, and any
/// other markup is shown as text.
pub fn marked_html(snippet: &str) -> String {
    let mut out = String::with_capacity(snippet.len() + 16);
    let mut open = false;
    let mut rest = snippet;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<mark>") {
            if !open {
                out.push_str("<mark>");
                open = true;
            }
            rest = after;
            continue;
        }
        if let Some(after) = rest.strip_prefix("</mark>") {
            if open {
                out.push_str("</mark>");
                open = false;
            }
            rest = after;
            continue;
        }
        let (c, len) = decode_one(rest);
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
        rest = &rest[len..];
    }
    if open {
        out.push_str("</mark>");
    }
    out
}

/// The first character of `text`, reading the entities HTML escaping writes.
fn decode_one(text: &str) -> (char, usize) {
    const ENTITIES: [(&str, char); 7] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&#39;", '\''),
        ("&#x27;", '\''),
        ("&#x2f;", '/'),
    ];
    if text.starts_with('&') {
        for (entity, c) in ENTITIES {
            if text
                .get(..entity.len())
                .is_some_and(|t| t.eq_ignore_ascii_case(entity))
            {
                return (c, entity.len());
            }
        }
    }
    let c = text.chars().next().unwrap_or_default();
    (c, c.len_utf8().max(1))
}

#[derive(Serialize)]
struct Hit {
    href: String,
    kind: &'static str,
    kind_label: String,
    title: String,
    org_name: String,
    snippet: Value,
}

#[derive(Serialize)]
struct FacetValue {
    label: String,
    count: u64,
    href: String,
    selected: bool,
}

#[derive(Serialize)]
struct Facet {
    name: &'static str,
    heading: String,
    values: Vec<FacetValue>,
}

#[derive(Serialize)]
struct Link {
    label: String,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct PageLink {
    /// `None` for a gap (…).
    number: Option<usize>,
    href: String,
    current: bool,
}

#[derive(Serialize)]
struct Pagination {
    prev: Option<String>,
    next: Option<String>,
    pages: Vec<PageLink>,
    page: usize,
    last: usize,
}

fn hits(result: &Json, lang: Lang) -> Vec<Hit> {
    let items = result["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|i| {
            let id = i["id"].as_i64()?;
            let (kind, path, label) = match i["type"].as_str()? {
                "need" => ("need", "needs", "search.kind_need"),
                "capability" => ("capability", "capabilities", "search.kind_capability"),
                _ => return None,
            };
            let text = |k: &str| i[k].as_str().unwrap_or_default().to_string();
            Some(Hit {
                href: format!("/{path}/{id}"),
                kind,
                kind_label: lang.text(label).to_string(),
                title: text("title"),
                org_name: text("org_name"),
                snippet: Value::from_safe_string(marked_html(i["snippet"].as_str().unwrap_or(""))),
            })
        })
        .collect()
}

fn facets(result: &Json, p: &Params, lang: Lang) -> Vec<Facet> {
    FACETS
        .iter()
        .filter_map(|&name| {
            let values: Vec<FacetValue> = result["facets"][name]
                .as_array()?
                .iter()
                .filter_map(|f| {
                    let value = f["value"].as_str()?;
                    let count = f["count"].as_u64().filter(|c| *c > 0)?;
                    Some(FacetValue {
                        label: f["label"].as_str().unwrap_or(value).to_string(),
                        count,
                        href: p.facet_href(name, value),
                        selected: p.selected(name, value),
                    })
                })
                .collect();
            (!values.is_empty()).then(|| Facet {
                name,
                heading: lang.text(&format!("search.facet.{name}")).to_string(),
                values,
            })
        })
        .collect()
}

fn pagination(p: &Params, total: usize) -> Option<Pagination> {
    let reachable = total.min(MAX_WINDOW);
    let last = reachable.div_ceil(p.limit).max(1);
    if last <= 1 && p.offset == 0 {
        return None;
    }
    let page = p.offset / p.limit + 1;
    let at = |n: usize| {
        let offset = (n - 1) * p.limit;
        p.href(&[("offset", (offset != 0).then(|| offset.to_string()))])
    };
    let mut pages = Vec::new();
    let mut gap = false;
    for n in 1..=last {
        let near = n.abs_diff(page) <= PAGE_SPREAD;
        if n == 1 || n == last || near {
            pages.push(PageLink {
                number: Some(n),
                href: at(n),
                current: n == page,
            });
            gap = false;
        } else if !gap {
            pages.push(PageLink {
                number: None,
                href: String::new(),
                current: false,
            });
            gap = true;
        }
    }
    Some(Pagination {
        prev: (page > 1).then(|| at(page - 1)),
        next: (page < last).then(|| at(page + 1)),
        pages,
        page,
        last,
    })
}

pub async fn search(State(s): State<AppState>, page: Page, RawQuery(raw): RawQuery) -> Response {
    let p = Params::parse(raw.as_deref());
    let lang = page.lang;
    let (result, status, problem) = match s
        .app
        .search(&page.viewer, &p.request(), lang == Lang::Zh)
        .await
    {
        Ok(r) => (r, StatusCode::OK, None),
        // Only punctuation, say: the page again, saying what to type.
        Err(qiao_app::Error::BadRequest(_) | qiao_app::Error::Invalid(_)) => (
            Json::Null,
            StatusCode::BAD_REQUEST,
            Some(lang.text("search.invalid_query")),
        ),
        Err(e) => return page.error(e),
    };
    let total = result["total"].as_u64().unwrap_or(0) as usize;
    let tabs: Vec<Link> = [
        (None, "search.tab_all"),
        (Some("need"), "search.tab_needs"),
        (Some("capability"), "search.tab_capabilities"),
    ]
    .into_iter()
    .map(|(kind, key)| Link {
        label: lang.text(key).to_string(),
        href: p.refine(&[("type", kind.map(String::from))]),
        current: p.kind == kind,
    })
    .collect();
    let sorts: Vec<Link> = [
        (false, "search.sort_relevance"),
        (true, "search.sort_updated"),
    ]
    .into_iter()
    .map(|(updated, key)| Link {
        label: lang.text(key).to_string(),
        href: p.refine(&[("sort", updated.then(|| "updated".to_string()))]),
        current: p.sort_updated == updated,
    })
    .collect();
    let heading = match p.kind {
        Some("need") => "search.heading_needs",
        Some("capability") => "search.heading_capabilities",
        _ => "search.heading",
    };
    let first = (total > 0).then(|| p.offset + 1);
    let shown_to = (p.offset + p.limit).min(total);
    let ctx = context! {
        heading => lang.text(heading),
        search_q => p.q,
        kind => p.kind,
        sort => p.sort_updated.then_some("updated"),
        limit => (p.limit != DEFAULT_LIMIT).then_some(p.limit),
        tabs,
        sorts,
        total,
        first,
        shown_to,
        problem,
        past_end => total > 0 && p.offset >= total,
        first_page => p.href(&[("offset", None)]),
        hits => hits(&result, lang),
        facets => facets(&result, &p, lang),
        pagination => pagination(&p, total),
        filtered => p.has_filters(),
        clear_filters => p.refine(&[
            ("field", None), ("org_kind", None), ("region", None), ("mode", None),
            ("trl_min", None), ("trl_max", None), ("status", None),
        ]),
        clear_query => p.refine(&[("q", None)]),
    };
    page.render_status(status, "search.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_marks_survive_and_everything_else_is_escaped() {
        // What the index writes: its text escaped, the terms marked.
        assert_eq!(
            marked_html("&lt;script&gt;alert(1)&lt;/script&gt; 动力<mark>电池</mark>"),
            "&lt;script&gt;alert(1)&lt;/script&gt; 动力<mark>电池</mark>"
        );
        // Raw markup (never written by the index) is text, not markup.
        assert_eq!(
            marked_html("<script>x</script><b onclick=\"a\">粗</b><mark>词</mark>"),
            "&lt;script&gt;x&lt;/script&gt;&lt;b onclick=&quot;a&quot;&gt;粗&lt;/b&gt;<mark>词</mark>"
        );
        assert_eq!(
            marked_html("<MARK>a</MARK><mark class=x>b</mark>"),
            "&lt;MARK&gt;a&lt;/MARK&gt;&lt;mark class=x&gt;b"
        );
        // Entities show as the characters they stand for, escaped once.
        assert_eq!(
            marked_html("A&amp;B &#39;甲&#39; &quot;乙&quot;"),
            "A&amp;B &#x27;甲&#x27; &quot;乙&quot;"
        );
        assert_eq!(marked_html("&amp;lt;"), "&amp;lt;");
        assert_eq!(marked_html("a & b &copy"), "a &amp; b &amp;copy");
        // Marks stay balanced.
        assert_eq!(marked_html("</mark>a<mark>b<mark>c"), "a<mark>bc</mark>");
        assert_eq!(marked_html(""), "");
        assert_eq!(
            marked_html("…储能<mark>电池</mark>…"),
            "…储能<mark>电池</mark>…"
        );
    }

    #[test]
    fn parameters_are_bounded_like_the_api() {
        let p = Params::parse(Some(
            "q=%E7%94%B5%E6%B1%A0&type=need&limit=1000&offset=99999&trl_min=0&trl_max=7&sort=x",
        ));
        assert_eq!(p.q, "电池");
        assert_eq!(p.kind, Some("need"));
        assert_eq!(p.limit, MAX_LIMIT);
        assert_eq!(p.offset, MAX_WINDOW - MAX_LIMIT);
        assert_eq!((p.trl_min, p.trl_max), (None, Some(7)));
        assert!(!p.sort_updated);
        let p = Params::parse(Some("type=x&limit=0&offset=-3&field=a&field=b"));
        assert_eq!((p.kind, p.limit, p.offset), (None, 1, 0));
        assert_eq!(p.field.as_deref(), Some("a"), "the first of a repeated key");
        assert_eq!(Params::parse(None).limit, DEFAULT_LIMIT);
    }

    #[test]
    fn links_keep_the_other_parameters() {
        let p = Params::parse(Some("q=电池&type=need&status=published&offset=20"));
        assert_eq!(
            p.facet_href("field", "new_energy"),
            "/search?type=need&q=%E7%94%B5%E6%B1%A0&field=new_energy&status=published"
        );
        // The current value's link removes it.
        assert_eq!(
            p.facet_href("status", "published"),
            "/search?type=need&q=%E7%94%B5%E6%B1%A0"
        );
        assert_eq!(
            p.facet_href("maturity", "pilot"),
            "/search?type=need&q=%E7%94%B5%E6%B1%A0&trl_min=6&trl_max=7&status=published"
        );
        let pilot = Params::parse(Some("trl_min=6&trl_max=7"));
        assert!(pilot.selected("maturity", "pilot"));
        assert_eq!(pilot.facet_href("maturity", "pilot"), "/search");
        let pages = pagination(&p, 95).unwrap();
        assert_eq!((pages.page, pages.last), (3, 10));
        assert_eq!(
            pages.prev.as_deref(),
            Some("/search?type=need&q=%E7%94%B5%E6%B1%A0&status=published&offset=10")
        );
        let numbers: Vec<Option<usize>> = pages.pages.iter().map(|l| l.number).collect();
        assert_eq!(
            numbers,
            [Some(1), Some(2), Some(3), Some(4), Some(5), None, Some(10)]
        );
        assert!(pagination(&Params::parse(None), 10).is_none());
    }
}
