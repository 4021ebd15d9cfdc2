//! Chinese full-text search over needs and capabilities: the tantivy schema,
//! the Chinese analyzer, applying changes from the database's outbox,
//! queries with facets and highlights, and match suggestions for long texts
//! ([`SearchIndex::candidates`]). The index is derived from the database and
//! can always be rebuilt.

mod analyzer;
pub mod centering;
mod coord;
mod distinctive;
pub mod eval;
mod facets;
mod index;
mod normalize;
mod phrasing;
mod query;
mod schema;
mod snippet;
mod suggest;
pub mod vectors;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use analyzer::analyze;
pub use index::SearchIndex;
pub use suggest::{Candidate, FoundBy, MatchedTerm, SuggestParams, WeightedQuery};

/// The two kinds of listing the index holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    Need,
    Capability,
}

impl DocKind {
    pub fn code(self) -> &'static str {
        match self {
            Self::Need => "need",
            Self::Capability => "capability",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "need" => Some(Self::Need),
            "capability" => Some(Self::Capability),
            _ => None,
        }
    }
}

/// One listing as the index sees it (built by the caller from the database).
#[derive(Clone, Debug)]
pub struct Doc {
    pub kind: DocKind,
    pub id: i64,
    pub external_id: Option<String>,
    pub title: String,
    /// Description and indicators text, concatenated by the caller.
    pub body: String,
    pub keywords: Vec<String>,
    /// Field codes such as `new_energy`; their Chinese labels are indexed as text too.
    pub fields: Vec<String>,
    pub org_id: i64,
    pub org_name: String,
    /// Organization kind code, e.g. `university`.
    pub org_kind: String,
    /// e.g. `高新区`, `江苏省南京市`, `境外:德国` or empty.
    pub region: String,
    /// `local`, `domestic`, `abroad` or empty; the value of the `region` facet.
    pub region_scope: String,
    /// Cooperation mode codes.
    pub modes: Vec<String>,
    /// A capability's TRL or a need's required TRL.
    pub trl: Option<u8>,
    /// Status vocabulary code.
    pub status: String,
    /// `public` or `staff_only` (capabilities have none; any value is ignored).
    pub visibility: String,
    /// The owning organization's review code (`approved`, `pending`, `rejected`).
    pub org_review: String,
    pub org_deleted: bool,
    /// Unix seconds.
    pub updated_at: i64,
}

/// One entry of the outbox as the index applies it.
// Changes are built once and consumed by `apply`; boxing the document would
// only burden every caller.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Change {
    Upsert(Doc),
    Delete { kind: DocKind, id: i64 },
}

/// Who is searching: decides which documents exist for them. It is the
/// scope of the one visibility rule (`qiao_core::access`).
pub type Audience = qiao_core::Scope;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Relevance,
    Updated,
}

#[derive(Clone, Debug)]
pub struct SearchQuery {
    /// May be empty: then every visible listing matching the filters, newest first.
    pub text: String,
    pub kind: Option<DocKind>,
    pub field: Option<String>,
    pub org_kind: Option<String>,
    /// Matches the region scope (`local`, `domestic`, `abroad`) or the exact region.
    pub region: Option<String>,
    pub mode: Option<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
    pub status: Option<String>,
    pub sort: SortBy,
    pub limit: usize,
    pub offset: usize,
    pub audience: Audience,
}

impl SearchQuery {
    /// A query without filters: first 10 hits by relevance.
    pub fn new(text: &str, audience: Audience) -> Self {
        Self {
            text: text.to_string(),
            kind: None,
            field: None,
            org_kind: None,
            region: None,
            mode: None,
            trl_min: None,
            trl_max: None,
            status: None,
            sort: SortBy::Relevance,
            limit: 10,
            offset: 0,
            audience,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Hit {
    pub kind: DocKind,
    pub id: i64,
    pub external_id: Option<String>,
    pub title: String,
    pub org_name: String,
    pub score: f32,
    /// HTML: matched terms in `<mark>…</mark>`, everything else escaped; from
    /// the body, or the title when the body has no match; about 120 characters.
    pub snippet: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Results {
    /// Number of matching listings (visible to the audience, after filters).
    pub total: usize,
    pub hits: Vec<Hit>,
    /// Keys `field`, `org_kind`, `region`, `mode`, `maturity`, `status`; counts
    /// over all matching listings, most frequent first.
    pub facets: BTreeMap<String, Vec<FacetCount>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    #[error(transparent)]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("search index I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("opening the search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
}
