//! Full-text search over needs and capabilities, with facets and highlights,
//! as the viewer's scope may see them.

use crate::{App, Error, Result, Viewer};
use qiao_core::Scope;
use qiao_core::trl::Stage;
use qiao_core::vocab::{CapabilityStatus, CooperationMode, Field, NeedStatus, OrgKind, Vocabulary};
use qiao_search::{Audience, DocKind, SearchQuery, SortBy};
use serde_json::{Value, json};

/// A search as a client asks for it.
#[derive(Debug, Default, Clone)]
pub struct SearchRequest {
    /// Search text (Chinese or English); empty lists by recency. At most 500 characters.
    pub q: Option<String>,
    /// `need` or `capability`.
    pub kind: Option<String>,
    /// Field code, e.g. `new_energy`.
    pub field: Option<String>,
    /// Organization kind code, e.g. `university`.
    pub org_kind: Option<String>,
    /// `local`, `domestic`, `abroad` or a district name.
    pub region: Option<String>,
    /// Cooperation mode code.
    pub mode: Option<String>,
    /// Lowest technology readiness level (1–9).
    pub trl_min: Option<u8>,
    /// Highest technology readiness level (1–9).
    pub trl_max: Option<u8>,
    /// Status code.
    pub status: Option<String>,
    /// `relevance` (default) or `updated`.
    pub sort: Option<String>,
    /// 1–100, default 10.
    pub limit: Option<usize>,
    /// Default 0.
    pub offset: Option<usize>,
}

fn invalid(field: &str, message: impl Into<String>) -> Error {
    Error::field(field, message)
}

pub fn audience(scope: Scope) -> Audience {
    match scope {
        Scope::Public => Audience::Public,
        Scope::Member(org) => Audience::Member(org),
        Scope::All => Audience::All,
    }
}

/// Turns request parameters into an index query; shared by the endpoint and `qiao bench search`.
pub fn to_query(p: &SearchRequest, audience: Audience) -> Result<SearchQuery, Error> {
    let text = p.q.as_deref().unwrap_or("");
    if text.chars().count() > 500 {
        return Err(Error::BadRequest(
            "the search text is longer than 500 characters".into(),
        ));
    }
    let mut q = SearchQuery::new(text, audience);
    q.kind = match p.kind.as_deref() {
        None | Some("") => None,
        Some(k) => Some(
            DocKind::from_code(k).ok_or_else(|| invalid("type", "must be need or capability"))?,
        ),
    };
    for (name, v) in [("trl_min", p.trl_min), ("trl_max", p.trl_max)] {
        if v.is_some_and(|t| !(1..=9).contains(&t)) {
            return Err(invalid(name, "must be from 1 to 9"));
        }
    }
    let limit = p.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(invalid("limit", "must be between 1 and 100"));
    }
    q.sort = match p.sort.as_deref() {
        None | Some("") | Some("relevance") => SortBy::Relevance,
        Some("updated") => SortBy::Updated,
        Some(_) => return Err(invalid("sort", "must be relevance or updated")),
    };
    q.field = p.field.clone();
    q.org_kind = p.org_kind.clone();
    q.region = p.region.clone();
    q.mode = p.mode.clone();
    q.trl_min = p.trl_min;
    q.trl_max = p.trl_max;
    q.status = p.status.clone();
    let offset = p.offset.unwrap_or(0);
    crate::limits::check_offset(offset as u64)?;
    q.limit = limit;
    q.offset = offset;
    Ok(q)
}

fn label(facet: &str, value: &str, zh: bool) -> String {
    let pick = |pair: (&str, &str)| {
        if zh {
            pair.0.to_string()
        } else {
            pair.1.to_string()
        }
    };
    fn vocab<V: Vocabulary>(code: &str) -> Option<(&'static str, &'static str)> {
        V::from_code(code).map(|v| (v.label_zh(), v.label_en()))
    }
    let pair = match facet {
        "field" => vocab::<Field>(value),
        "org_kind" => vocab::<OrgKind>(value),
        "mode" => vocab::<CooperationMode>(value),
        "status" => vocab::<NeedStatus>(value).or_else(|| vocab::<CapabilityStatus>(value)),
        "maturity" => [
            Stage::Laboratory,
            Stage::Bench,
            Stage::Pilot,
            Stage::Industrial,
        ]
        .into_iter()
        .find(|s| {
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(|x| x == value))
                == Some(true)
        })
        .map(|s| (s.label_zh(), s.label_en())),
        "region" => match value {
            "local" => Some(("本市", "This city")),
            "domestic" => Some(("国内其他地区", "Elsewhere in China")),
            "abroad" => Some(("境外", "Abroad")),
            _ => None,
        },
        _ => None,
    };
    pair.map(pick).unwrap_or_else(|| value.to_string())
}

/// Runs a search and shapes the answer; shared by the endpoint and the benchmark.
pub fn run(index: &qiao_search::SearchIndex, q: &SearchQuery, zh: bool) -> Result<Value, Error> {
    let results = index.search(q)?;
    let items: Vec<Value> = results
        .hits
        .iter()
        .map(|h| {
            json!({"type": h.kind.code(), "id": h.id, "external_id": h.external_id, "title": h.title,
                "org_name": h.org_name, "score": h.score, "snippet": h.snippet})
        })
        .collect();
    let facets: serde_json::Map<String, Value> = results
        .facets
        .iter()
        .map(|(name, values)| {
            let values: Vec<Value> = values
                .iter()
                .map(|f| json!({"value": f.value, "label": label(name, &f.value, zh), "count": f.count}))
                .collect();
            (name.clone(), Value::Array(values))
        })
        .collect();
    Ok(json!({"total": results.total, "items": items, "facets": facets}))
}

impl App {
    /// Searches on a blocking thread; labels are Chinese when `zh`.
    pub async fn search(
        &self,
        viewer: &Viewer,
        request: &SearchRequest,
        zh: bool,
    ) -> Result<Value> {
        let q = to_query(request, audience(viewer.scope()))?;
        let index = self.search_service().index();
        tokio::task::spawn_blocking(move || run(&index, &q, zh))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("search task failed: {e}")))?
    }
}
