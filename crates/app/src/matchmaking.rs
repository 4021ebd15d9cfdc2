//! Match suggestions and the plan-wide assignment, wired to the database and
//! the search index: the index proposes candidates from a listing's weighted
//! key terms, the database supplies what the score weighs (fields, modes,
//! maturity, budget, region, capacity, history), and `qiao_matching` scores,
//! explains and assigns. Shared by the HTTP API, `qiao match` and
//! `qiao bench match`.

use crate::embeddings::{Compared, Probe, Semantic};
use anyhow::Context as _;
use qiao_core::vocab::{Confidence, Field, NeedStatus, Vocabulary};
use qiao_matching::assign::{self, Problem};
use qiao_matching::score::{
    self, CapabilitySide, Explanation, FoundBy, MatchedTerm, NeedSide, Relevance,
};
use qiao_matching::weights::{Lexical, Weights};
use qiao_search::{Audience, DocKind, SearchIndex, SuggestParams, WeightedQuery};
use qiao_store::Store;
use qiao_store::entities::{capability, need, organization};
use qiao_store::suggestions::NewSuggestion;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// Recorded with every stored suggestion, so staff can tell which scoring
/// produced it. Version 2: distinctive matched terms, boilerplate-free
/// queries, text relevance scaled by the list's best coverage, confidence.
pub const ALGORITHM: &str = "qiao-match-2";
/// The same with similarity by meaning fused in: version 3, hybrid.
pub const ALGORITHM_HYBRID: &str = "qiao-match-3-hybrid";

/// Weights of a need's parts in its query: the title says most, keywords
/// are chosen words, an indicator names what must be measured, the
/// description tells the story, the field label is context.
const TITLE: f32 = 3.0;
const KEYWORDS: f32 = 2.0;
const INDICATOR: f32 = 1.5;
const DESCRIPTION: f32 = 1.0;
const FIELD: f32 = 0.5;

/// Candidates re-scored per requested suggestion: the other factors may
/// lift a slightly less similar listing into the list.
const OVERFETCH: usize = 3;
const MIN_CANDIDATES: usize = 30;

/// Candidates per need in the plan-wide assignment.
pub const PLAN_CANDIDATES: usize = 20;

/// A listing as a suggestion names it.
#[derive(Debug, Clone, Serialize)]
pub struct ListingRef {
    pub id: i64,
    pub external_id: Option<String>,
    pub title: String,
    pub org_name: String,
}

/// One scored need–capability pair.
#[derive(Debug, Clone)]
pub struct Suggestion {
    pub need: ListingRef,
    pub capability: ListingRef,
    pub need_org_id: i64,
    pub capability_org_id: i64,
    /// Projects the team can still take on; `None` when it declared no capacity.
    pub capacity_left: Option<u32>,
    pub score: f64,
    pub confidence: Confidence,
    pub explanation: Explanation,
}

impl Suggestion {
    pub fn to_new(&self) -> NewSuggestion {
        NewSuggestion {
            need_id: self.need.id,
            capability_id: self.capability.id,
            score: self.score,
            explanation: serde_json::to_value(&self.explanation).unwrap_or(Value::Null),
        }
    }
}

/// Reads the weights from `$QIAO_DATA_DIR/matching.json` when it exists.
pub fn load_weights(data_dir: &Path) -> anyhow::Result<Weights> {
    let path = data_dir.join("matching.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => Weights::from_json(&text).with_context(|| format!("{}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Weights::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn field_labels(fields: &[String]) -> String {
    fields
        .iter()
        .map(|f| Field::from_code(f).map_or(f.as_str(), |v| v.label_zh()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A need as a weighted query for capabilities.
pub fn need_query(n: &need::Model, limit: usize, exclude: Vec<i64>) -> WeightedQuery {
    let mut parts = vec![(n.title.clone(), TITLE)];
    parts.push((strings(&n.keywords).join(" "), KEYWORDS));
    for i in n.indicators.as_array().into_iter().flatten() {
        let text = |k: &str| i[k].as_str().unwrap_or_default().to_string();
        parts.push((format!("{} {}", text("name"), text("target")), INDICATOR));
    }
    parts.push((n.description.clone(), DESCRIPTION));
    parts.push((field_labels(&strings(&n.fields)), FIELD));
    parts.retain(|(t, _)| !t.trim().is_empty());
    WeightedQuery {
        parts,
        kind: DocKind::Capability,
        // Only listed capabilities of approved organizations are proposed.
        audience: Audience::Public,
        limit,
        exclude_ids: exclude,
    }
}

/// A capability as a weighted query for needs.
pub fn capability_query(c: &capability::Model, limit: usize, exclude: Vec<i64>) -> WeightedQuery {
    let mut parts = vec![
        (c.title.clone(), TITLE),
        (strings(&c.keywords).join(" "), KEYWORDS),
        (c.description.clone(), DESCRIPTION),
        (field_labels(&strings(&c.fields)), FIELD),
    ];
    parts.retain(|(t, _)| !t.trim().is_empty());
    WeightedQuery {
        parts,
        kind: DocKind::Need,
        // Staff-only needs are candidates too; only staff see the result.
        audience: Audience::All,
        limit,
        exclude_ids: exclude,
    }
}

/// What scoring weighs beyond the two listings, loaded once per request or plan run.
#[derive(Debug, Default)]
pub struct History {
    pub rejected: HashSet<(i64, i64)>,
    pub completed_org_pairs: HashSet<(i64, i64)>,
    pub open_projects: HashMap<i64, i32>,
    pub international_needs: HashSet<i64>,
}

impl History {
    /// Capabilities staff rejected for this need.
    pub fn rejected_for_need(&self, need_id: i64) -> Vec<i64> {
        self.rejected
            .iter()
            .filter(|(need, _)| *need == need_id)
            .map(|(_, cap)| *cap)
            .collect()
    }

    /// Needs staff rejected for this capability.
    pub fn rejected_for_capability(&self, capability_id: i64) -> Vec<i64> {
        self.rejected
            .iter()
            .filter(|(_, cap)| *cap == capability_id)
            .map(|(need, _)| *need)
            .collect()
    }

    pub async fn load(store: &Store) -> anyhow::Result<Self> {
        Ok(Self {
            rejected: store.rejected_pairs().await?,
            completed_org_pairs: store.completed_org_pairs().await?,
            open_projects: store.open_projects_per_capability().await?,
            international_needs: store.needs_at_international_events().await?,
        })
    }
}

fn need_side(n: &need::Model, history: &History) -> NeedSide {
    NeedSide {
        fields: strings(&n.fields),
        modes: strings(&n.cooperation_modes),
        required_trl: n.required_trl.and_then(|t| u8::try_from(t).ok()),
        budget_max_yuan: n.budget_max_yuan,
        international: history.international_needs.contains(&n.id),
    }
}

fn capability_side(
    c: &capability::Model,
    org: Option<&organization::Model>,
    need_org: i64,
    history: &History,
) -> CapabilitySide {
    CapabilitySide {
        fields: strings(&c.fields),
        modes: strings(&c.cooperation_modes),
        trl: c.trl.and_then(|t| u8::try_from(t).ok()),
        capacity: c.capacity,
        open_projects: history.open_projects.get(&c.id).copied().unwrap_or(0),
        price_yuan: score::price_in_terms(&c.terms),
        region_scope: org.and_then(|o| o.region_scope.clone()).unwrap_or_default(),
        worked_together: history.completed_org_pairs.contains(&(need_org, c.org_id)),
    }
}

pub fn listing_ref(
    id: i64,
    external_id: &Option<String>,
    title: &str,
    org: Option<&organization::Model>,
) -> ListingRef {
    ListingRef {
        id,
        external_id: external_id.clone(),
        title: title.to_string(),
        org_name: org.map(|o| o.name.clone()).unwrap_or_default(),
    }
}

/// The relevance of a candidate as the scorer weighs it. The index's
/// lexical score is half BM25 relative to the best candidate and half the
/// share of the need's key terms the listing contains, scaled by how much of
/// the need the best candidate covers, so it stays low for a list whose best
/// match covers little: a weak list does not look strong when needs compete
/// in a plan.
fn relevance(c: &qiao_search::Candidate) -> Relevance {
    Relevance {
        text: f64::from(c.score).clamp(0.0, 1.0),
        semantic: c.semantic.map(f64::from),
        cross_lingual: c.cross_lingual && c.semantic.is_some(),
        few_words: c.few_words,
        found_by: match c.found_by {
            qiao_search::FoundBy::Words => FoundBy::Words,
            qiao_search::FoundBy::Meaning => FoundBy::Meaning,
            qiao_search::FoundBy::Both => FoundBy::Both,
        },
    }
}

/// The search index's ranking parameters of the matching configuration.
pub fn suggest_params(l: &Lexical) -> SuggestParams {
    SuggestParams {
        coverage: l.coverage as f32,
        length_exponent: l.length_exponent as f32,
        generic_weight: l.generic_weight as f32,
        full_coverage: l.full_coverage as f32,
    }
}

fn terms(found: Vec<qiao_search::MatchedTerm>) -> Vec<MatchedTerm> {
    found
        .into_iter()
        .map(|t| MatchedTerm {
            term: t.term,
            found_in: t.found_in,
        })
        .collect()
}

/// Computes suggestions; cheap to clone.
#[derive(Clone)]
pub struct Matcher {
    pub store: Store,
    pub index: Arc<SearchIndex>,
    pub weights: Arc<Weights>,
    /// The embedding model's vectors, when one is installed: suggestions
    /// are then hybrid (see [`Matcher::with_meaning`]).
    pub semantic: Option<Arc<Semantic>>,
}

/// The lexical candidates joined with the probe's semantic neighbours: every
/// candidate found by either carries its similarity by meaning (mapped by
/// `weights.semantic`), and says how it was found. A neighbour the words
/// missed enters with no lexical relevance. The scorer then blends words and
/// meaning by `semantic_share`: a normalised linear fusion, chosen over
/// reciprocal-rank fusion because its scores are absolute, so the
/// confidence bands can read them (`qiao bench match` compares the two).
pub fn fuse(
    lexical: Vec<qiao_search::Candidate>,
    compared: &Compared,
    kind: DocKind,
    weights: &Weights,
) -> Vec<qiao_search::Candidate> {
    let near: HashMap<i64, f32> = compared.neighbours.iter().copied().collect();
    let value = |cosine: f32| weights.semantic.value(f64::from(cosine)) as f32;
    let mut seen = HashSet::with_capacity(lexical.len());
    let mut out: Vec<qiao_search::Candidate> = lexical
        .into_iter()
        .map(|mut c| {
            seen.insert(c.id);
            // A listing not embedded yet keeps words alone, at full weight.
            if let Some(cosine) = compared.similarity.get(&c.id).or(near.get(&c.id)) {
                c.semantic = Some(value(*cosine));
                if near.contains_key(&c.id) {
                    c.found_by = qiao_search::FoundBy::Both;
                }
                c.cross_lingual = compared.cross_lingual.contains(&c.id);
            }
            c
        })
        .collect();
    out.extend(
        compared
            .neighbours
            .iter()
            .filter(|(id, _)| !seen.contains(id))
            .map(|(id, cosine)| qiao_search::Candidate {
                kind,
                id: *id,
                external_id: None,
                title: String::new(),
                org_name: String::new(),
                org_id: 0,
                score: 0.0,
                coverage: 0.0,
                semantic: Some(value(*cosine)),
                found_by: qiao_search::FoundBy::Meaning,
                cross_lingual: compared.cross_lingual.contains(id),
                few_words: false,
                matched_terms: Vec::new(),
            }),
    );
    out
}

impl Matcher {
    /// The algorithm version recorded with what it suggests.
    pub fn algorithm(&self) -> &'static str {
        if self.semantic.is_some() {
            ALGORITHM_HYBRID
        } else {
            ALGORITHM
        }
    }

    /// Organizations by id (repeats allowed).
    pub async fn orgs(
        &self,
        ids: impl IntoIterator<Item = i64>,
    ) -> anyhow::Result<HashMap<i64, organization::Model>> {
        let mut ids: Vec<i64> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(self.store.organizations_by_ids(&ids).await?)
    }

    /// The index's candidates, off the async threads (a query takes milliseconds).
    async fn candidates(
        &self,
        query: WeightedQuery,
    ) -> anyhow::Result<Vec<qiao_search::Candidate>> {
        let index = self.index.clone();
        let params = suggest_params(&self.weights.lexical);
        Ok(tokio::task::spawn_blocking(move || index.candidates_with(&query, &params)).await??)
    }

    /// The lexical candidates of a listing with its semantic neighbours of
    /// `kind` (as many as `depth`), when a model is active, the listing has
    /// its vector and its text is more than a few words; else the lexical
    /// candidates alone. `rejected` never come back.
    ///
    /// A need of a few keywords is left to its words: the model's vector of
    /// two or three words is a poor guide, and on the CSL keyword needs
    /// fusing it lowered MRR@10 from 0.892 to 0.835.
    pub fn with_meaning(
        &self,
        probe: Probe<'_>,
        query: &WeightedQuery,
        kind: DocKind,
        lexical: Vec<qiao_search::Candidate>,
        rejected: &[i64],
    ) -> Vec<qiao_search::Candidate> {
        let Some(semantic) = &self.semantic else {
            return lexical;
        };
        if self.index.is_short(query) {
            return lexical
                .into_iter()
                .map(|c| qiao_search::Candidate {
                    few_words: true,
                    ..c
                })
                .collect();
        }
        let ids: Vec<i64> = lexical.iter().map(|c| c.id).collect();
        match semantic.compare(kind, probe, &ids, query.limit, |id| !rejected.contains(&id)) {
            Some(compared) => fuse(lexical, &compared, kind, &self.weights),
            None => lexical,
        }
    }

    /// Ranks capabilities for a need (rejected pairs never come back).
    pub async fn for_need(
        &self,
        n: &need::Model,
        limit: usize,
        history: &History,
    ) -> anyhow::Result<Vec<Suggestion>> {
        let rejected = history.rejected_for_need(n.id);
        let depth = (limit * OVERFETCH).max(MIN_CANDIDATES);
        let query = need_query(n, depth, rejected.clone());
        let found = self.candidates(query.clone()).await?;
        let found = self.with_meaning(
            Probe::Listing(DocKind::Need, n.id),
            &query,
            DocKind::Capability,
            found,
            &rejected,
        );
        let mut all = self.score_for_needs(&[(n, found)], history).await?;
        let mut list = all.pop().unwrap_or_default();
        list.truncate(limit);
        Ok(list)
    }

    /// Scores the candidates of several needs, each list best first.
    pub async fn score_for_needs(
        &self,
        needs: &[(&need::Model, Vec<qiao_search::Candidate>)],
        history: &History,
    ) -> anyhow::Result<Vec<Vec<Suggestion>>> {
        let cap_ids: Vec<i64> = {
            let mut ids: Vec<i64> = needs
                .iter()
                .flat_map(|(_, c)| c.iter().map(|c| c.id))
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let caps = self.store.capabilities_by_ids(&cap_ids).await?;
        let orgs = self
            .orgs(
                caps.values()
                    .map(|c| c.org_id)
                    .chain(needs.iter().map(|(n, _)| n.org_id)),
            )
            .await?;
        let mut out = Vec::with_capacity(needs.len());
        for (n, found) in needs {
            let side = need_side(n, history);
            let need_ref = listing_ref(n.id, &n.external_id, &n.title, orgs.get(&n.org_id));
            let mut list: Vec<Suggestion> = found
                .iter()
                .filter_map(|cand| {
                    let c = caps.get(&cand.id)?;
                    let org = orgs.get(&c.org_id);
                    // The index may lag the database by a moment: check again.
                    if !crate::suggestions::capability_facts(c, org).is_public()
                        || history.rejected.contains(&(n.id, c.id))
                    {
                        return None;
                    }
                    let scored = score::score(
                        &side,
                        &capability_side(c, org, n.org_id, history),
                        relevance(cand),
                        terms(cand.matched_terms.clone()),
                        &self.weights,
                    )?;
                    Some(Suggestion {
                        need: need_ref.clone(),
                        capability: listing_ref(c.id, &c.external_id, &c.title, org),
                        need_org_id: n.org_id,
                        capability_org_id: c.org_id,
                        capacity_left: capacity_left(c, history),
                        score: scored.score,
                        confidence: scored.confidence,
                        explanation: scored.explanation,
                    })
                })
                .collect();
            sort_best_first(&mut list);
            out.push(list);
        }
        Ok(out)
    }

    /// Ranks open needs for a capability (rejected pairs never come back).
    pub async fn for_capability(
        &self,
        c: &capability::Model,
        limit: usize,
        history: &History,
    ) -> anyhow::Result<Vec<Suggestion>> {
        let rejected = history.rejected_for_capability(c.id);
        let depth = (limit * OVERFETCH).max(MIN_CANDIDATES);
        let query = capability_query(c, depth, rejected.clone());
        let found = self.candidates(query.clone()).await?;
        let found = self.with_meaning(
            Probe::Listing(DocKind::Capability, c.id),
            &query,
            DocKind::Need,
            found,
            &rejected,
        );
        let need_ids: Vec<i64> = found.iter().map(|c| c.id).collect();
        let needs = self.store.needs_by_ids(&need_ids).await?;
        let orgs = self
            .orgs(needs.values().map(|n| n.org_id).chain([c.org_id]))
            .await?;
        let cap_org = orgs.get(&c.org_id);
        let cap_ref = listing_ref(c.id, &c.external_id, &c.title, cap_org);
        let mut list: Vec<Suggestion> = found
            .into_iter()
            .filter_map(|cand| {
                let n = needs.get(&cand.id)?;
                if n.status != NeedStatus::Published.code()
                    || history.rejected.contains(&(n.id, c.id))
                {
                    return None;
                }
                let scored = score::score(
                    &need_side(n, history),
                    &capability_side(c, cap_org, n.org_id, history),
                    relevance(&cand),
                    terms(cand.matched_terms),
                    &self.weights,
                )?;
                Some(Suggestion {
                    need: listing_ref(n.id, &n.external_id, &n.title, orgs.get(&n.org_id)),
                    capability: cap_ref.clone(),
                    need_org_id: n.org_id,
                    capability_org_id: c.org_id,
                    capacity_left: capacity_left(c, history),
                    score: scored.score,
                    confidence: scored.confidence,
                    explanation: scored.explanation,
                })
            })
            .collect();
        sort_best_first(&mut list);
        list.truncate(limit);
        Ok(list)
    }

    /// Candidates of many needs from the index, on every core, with the
    /// default ranking parameters.
    pub fn candidates_for(
        index: &SearchIndex,
        needs: &[need::Model],
        history: &History,
        per_need: usize,
    ) -> anyhow::Result<Vec<Vec<qiao_search::Candidate>>> {
        Self::candidates_with(index, needs, history, per_need, &SuggestParams::default())
    }

    /// [`Self::candidates_for`] with the given ranking parameters.
    pub fn candidates_with(
        index: &SearchIndex,
        needs: &[need::Model],
        history: &History,
        per_need: usize,
        params: &SuggestParams,
    ) -> anyhow::Result<Vec<Vec<qiao_search::Candidate>>> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = needs.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = needs
                .chunks(chunk)
                .map(|part| {
                    s.spawn(move || {
                        part.iter()
                            .map(|n| {
                                let rejected = history.rejected_for_need(n.id);
                                index.candidates_with(&need_query(n, per_need, rejected), params)
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                })
                .collect();
            let mut out = Vec::with_capacity(needs.len());
            for h in handles {
                out.extend(
                    h.join()
                        .map_err(|_| anyhow::anyhow!("a candidate thread panicked"))??,
                );
            }
            Ok(out)
        })
    }

    /// The plan-wide assignment over `needs`.
    pub async fn plan(
        &self,
        needs: Vec<need::Model>,
        options: PlanOptions,
    ) -> anyhow::Result<Plan> {
        let history = History::load(&self.store).await?;
        let index = self.index.clone();
        let per_need = options.candidates_per_need;
        let params = suggest_params(&self.weights.lexical);
        let (needs, found) = tokio::task::spawn_blocking(move || {
            let found = Self::candidates_with(&index, &needs, &history, per_need, &params);
            (needs, found.map(|f| (f, history)))
        })
        .await?;
        let (found, history) = found?;
        let pairs: Vec<(&need::Model, Vec<qiao_search::Candidate>)> = needs
            .iter()
            .zip(found)
            .map(|(n, lexical)| {
                let rejected = history.rejected_for_need(n.id);
                let query = need_query(n, per_need, rejected.clone());
                let found = self.with_meaning(
                    Probe::Listing(DocKind::Need, n.id),
                    &query,
                    DocKind::Capability,
                    lexical,
                    &rejected,
                );
                (n, found)
            })
            .collect();
        let scored = self.score_for_needs(&pairs, &history).await?;
        Ok(assign_plan(scored, &options, needs.len()))
    }
}

fn capacity_left(c: &capability::Model, history: &History) -> Option<u32> {
    (c.capacity > 0).then(|| {
        let open = history.open_projects.get(&c.id).copied().unwrap_or(0);
        u32::try_from(c.capacity - open).unwrap_or(0)
    })
}

fn sort_best_first(list: &mut [Suggestion]) {
    list.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.capability.id.cmp(&b.capability.id))
            .then_with(|| a.need.id.cmp(&b.need.id))
    });
}

/// Parameters of a plan run.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Proposals per need.
    pub k: u32,
    /// Proposals per university or institute.
    pub per_university: Option<u32>,
    pub candidates_per_need: usize,
    /// Propose weak pairs too; by default they are left out, so that a need
    /// without a good match gets no proposal rather than a poor one.
    pub include_weak: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        Self {
            k: 3,
            per_university: None,
            candidates_per_need: PLAN_CANDIDATES,
            include_weak: false,
        }
    }
}

/// The outcome of a plan run: the exact proposals, and greedy's for comparison.
#[derive(Debug, Clone)]
pub struct Plan {
    pub needs: usize,
    pub proposals: Vec<Suggestion>,
    pub total_score: f64,
    pub needs_covered: usize,
    pub greedy_total_score: f64,
    pub greedy_needs_covered: usize,
    /// Candidate pairs considered (weak ones left out included).
    pub candidates: usize,
    /// Weak candidate pairs left out of the assignment.
    pub weak_left_out: usize,
}

/// Builds the assignment problem from scored candidates and solves it exactly
/// (min-cost flow) and greedily.
pub fn assign_plan(scored: Vec<Vec<Suggestion>>, options: &PlanOptions, needs: usize) -> Plan {
    let mut all: Vec<Suggestion> = scored.into_iter().flatten().collect();
    let considered = all.len();
    if !options.include_weak {
        all.retain(|s| s.confidence != Confidence::Weak);
    }
    let weak_left_out = considered - all.len();
    let mut cap_index: HashMap<i64, usize> = HashMap::new();
    let mut capacities = Vec::new();
    let mut groups = Vec::new();
    let mut group_index: HashMap<i64, usize> = HashMap::new();
    let mut need_index: HashMap<i64, usize> = HashMap::new();
    let mut candidates = Vec::with_capacity(all.len());
    for s in &all {
        let next = need_index.len();
        let need = *need_index.entry(s.need.id).or_insert(next);
        let next = cap_index.len();
        let cap = *cap_index.entry(s.capability.id).or_insert_with(|| {
            // An undeclared capacity does not limit the plan beyond k per need.
            capacities.push(s.capacity_left.unwrap_or(u32::MAX));
            let next_group = group_index.len();
            let g = *group_index.entry(s.capability_org_id).or_insert(next_group);
            groups.push(Some(g));
            next
        });
        candidates.push(assign::Candidate {
            need,
            capability: cap,
            score: s.score,
        });
    }
    let problem = Problem {
        needs: need_index.len(),
        per_need: options.k,
        capacities,
        groups,
        per_group: options.per_university,
        candidates,
    };
    let exact = assign::exact(&problem);
    let greedy = assign::greedy(&problem);
    let mut proposals: Vec<Suggestion> = exact.chosen.iter().map(|&i| all[i].clone()).collect();
    proposals.sort_by(|a, b| {
        a.need
            .id
            .cmp(&b.need.id)
            .then_with(|| b.score.total_cmp(&a.score))
    });
    Plan {
        needs,
        proposals,
        total_score: exact.total,
        needs_covered: exact.needs_covered,
        greedy_total_score: greedy.total,
        greedy_needs_covered: greedy.needs_covered,
        candidates: considered,
        weak_left_out,
    }
}

/// Which open needs a plan run covers.
#[derive(Debug, Clone, Default)]
pub struct NeedSelection {
    /// Only these needs.
    pub need_ids: Option<Vec<i64>>,
    /// Only needs flagged for the year's key-project plan.
    pub key_projects: bool,
}

/// A plan run's outcome with the stored suggestion rows of its proposals.
pub struct PlanRun {
    pub plan: Plan,
    pub stored: Vec<qiao_store::entities::match_suggestion::Model>,
}

/// Runs the plan-wide assignment for a year and stores the proposals as
/// suggestions for staff review (audited as one `assign` entry).
pub async fn run_plan(
    matcher: &Matcher,
    year: i32,
    selection: &NeedSelection,
    options: PlanOptions,
    actor: &qiao_store::audit::Actor,
) -> anyhow::Result<PlanRun> {
    let store = &matcher.store;
    let mut only: Option<Vec<i64>> = selection.need_ids.clone();
    if selection.key_projects {
        let key = store.key_need_ids(year).await?;
        only = Some(match only {
            Some(ids) => ids.into_iter().filter(|id| key.contains(id)).collect(),
            None => key,
        });
    }
    let needs = store.open_needs(only.as_deref()).await?;
    let plan = matcher.plan(needs, options.clone()).await?;
    let items: Vec<NewSuggestion> = plan.proposals.iter().map(Suggestion::to_new).collect();
    let stored = store
        .save_suggestions(&items, &format!("{}/plan-{year}", matcher.algorithm()))
        .await?;
    store
        .record_audit(
            actor,
            qiao_store::audit::Entry {
                action: "assign",
                entity_type: "annual_plan",
                entity_id: Some(year.to_string()),
                before: None,
                after: Some(serde_json::json!({
                    "k": options.k,
                    "per_university": options.per_university,
                    "include_weak": options.include_weak,
                    "needs": plan.needs,
                    "proposals": plan.proposals.len(),
                    "total_score": plan.total_score,
                })),
            },
        )
        .await?;
    Ok(PlanRun { plan, stored })
}

/// `qiao match`: the plan run, written to a file with one row per proposal.
pub async fn run_to_file(
    app: &crate::App,
    year: i32,
    selection: &NeedSelection,
    options: PlanOptions,
    out: &Path,
) -> anyhow::Result<Plan> {
    use qiao_tabular::{Cell, Column, Format, HeaderStyle, Table};
    if !(2000..=2100).contains(&year) {
        anyhow::bail!("--year must be between 2000 and 2100");
    }
    if options.k == 0 {
        anyhow::bail!("--k must be at least 1");
    }
    let format = Format::from_path(out)?;
    let run = run_plan(
        &app.matcher(),
        year,
        selection,
        options,
        &qiao_store::audit::Actor::system("cli"),
    )
    .await?;
    let col = |key: &str, label: &str, width: f64| Column {
        key: key.into(),
        label: label.into(),
        width,
    };
    let text = |s: &str| Cell::Text(s.to_string());
    let opt = |s: &Option<String>| s.as_deref().map_or(Cell::Empty, text);
    let table = Table {
        columns: vec![
            col("suggestion_id", "建议编号", 10.0),
            col("need_id", "需求编号", 10.0),
            col("need_external_id", "需求外部编号", 16.0),
            col("need_title", "技术需求", 40.0),
            col("enterprise", "需求单位", 24.0),
            col("capability_id", "成果编号", 10.0),
            col("capability_external_id", "成果外部编号", 16.0),
            col("capability_title", "科技成果/研发能力", 40.0),
            col("institution", "高校院所", 24.0),
            col("score", "匹配得分", 10.0),
            col("confidence", "匹配强度", 10.0),
            col("summary", "匹配说明", 60.0),
            col("status", "状态", 10.0),
        ],
        rows: run
            .plan
            .proposals
            .iter()
            .zip(&run.stored)
            .map(|(p, s)| {
                vec![
                    Cell::Int(s.id),
                    Cell::Int(p.need.id),
                    opt(&p.need.external_id),
                    text(&p.need.title),
                    text(&p.need.org_name),
                    Cell::Int(p.capability.id),
                    opt(&p.capability.external_id),
                    text(&p.capability.title),
                    text(&p.capability.org_name),
                    Cell::Number((p.score * 1000.0).round() / 1000.0),
                    text(p.confidence.label_zh()),
                    text(&p.explanation.summary),
                    text(
                        qiao_core::vocab::SuggestionStatus::from_code(&s.status)
                            .map_or(s.status.as_str(), |v| v.label_zh()),
                    ),
                ]
            })
            .collect(),
    };
    std::fs::write(
        out,
        qiao_tabular::write_table_to_bytes(format, &table, HeaderStyle::Labels)?,
    )
    .with_context(|| format!("writing {}", out.display()))?;
    Ok(run.plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configured_lexical_defaults_are_the_index_defaults() {
        assert_eq!(
            suggest_params(&Lexical::default()),
            SuggestParams::default()
        );
    }
}
