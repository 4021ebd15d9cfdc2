//! Search results as the API returns them (built by `qiao_app::search::run`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchHitDoc {
    /// `need` or `capability`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    #[schema(required = true)]
    pub external_id: Option<String>,
    pub title: String,
    pub org_name: String,
    pub score: f32,
    /// HTML: matched terms in `<mark>`, everything else escaped.
    pub snippet: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FacetValueDoc {
    pub value: String,
    /// The value's name in the requested language.
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchResultsDoc {
    pub total: usize,
    pub items: Vec<SearchHitDoc>,
    /// Keyed by `field`, `org_kind`, `region`, `mode`, `maturity`, `status`.
    pub facets: BTreeMap<String, Vec<FacetValueDoc>>,
}
