//! Match suggestions: ranked, explained partners for a need or a capability;
//! staff decisions on them; and the plan-wide assignment of a year.
//!
//! Staff see live suggestions (recorded for review, so each has an id to
//! decide on). Owners see only what staff accepted, and of that only the
//! partners the visibility rule lets them see.

use crate::limits::Listed;
use crate::listings::Listing;
use crate::matchmaking::{
    History, ListingRef, NeedSelection, PlanOptions, PlanRun, Suggestion, listing_ref, run_plan,
};
use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result};
use qiao_core::access::{ListingFacts, ListingKind};
use qiao_core::record::{CapabilityRecord, NeedRecord};
use qiao_core::vocab::{Confidence, RejectReason, SuggestionStatus, Vocabulary};
use qiao_matching::score::Explanation;
use qiao_matching::weights::Weights;
use qiao_store::entities::{capability, match_suggestion, need, organization};
use qiao_store::suggestions::Decision;
use serde_json::{Value, json};
use std::collections::HashMap;

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 50;

/// Which side of the pair an item names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Partner {
    Capability,
    Need,
}

/// The verdict of a list whose suggestions are all weak, and what it says.
pub const NO_GOOD_MATCH: &str = "no_good_match";
pub const NO_GOOD_MATCH_ZH: &str = "未找到合适的匹配";
/// The verdict of a list with at least one strong or fair suggestion.
pub const GOOD_MATCH: &str = "good_match";

/// A stored explanation in its current shape (rows stored before a field was
/// added read with its default) and the confidence band it gives under the
/// current thresholds. A row that does not read is passed on as stored.
fn explained(stored: &Value, weights: &Weights) -> (Value, Option<Confidence>) {
    match serde_json::from_value::<Explanation>(stored.clone()) {
        Ok(e) => {
            let confidence = e.confidence(weights);
            (
                serde_json::to_value(&e).unwrap_or_else(|_| stored.clone()),
                Some(confidence),
            )
        }
        Err(_) => (stored.clone(), None),
    }
}

fn item(
    stored: &match_suggestion::Model,
    partner: Partner,
    other: &ListingRef,
    weights: &Weights,
) -> (Value, Option<Confidence>) {
    let key = match partner {
        Partner::Capability => "capability",
        Partner::Need => "need",
    };
    let (explanation, confidence) = explained(&stored.explanation, weights);
    let value = json!({
        "id": stored.id,
        "status": stored.status,
        key: other,
        "score": stored.score,
        "confidence": confidence.map(Confidence::code),
        "explanation": explanation,
        "algorithm_version": stored.algorithm_version,
        "reject_reason": stored.reject_reason,
        "decided_at": stored.decided_at,
    });
    (value, confidence)
}

/// A list of live suggestions with its verdict: `no_good_match` (and the
/// message 未找到合适的匹配) when none of them is better than weak, so that
/// a list of poor partners is not presented like a match.
fn verdict_list(items: Vec<Value>, bands: &[Option<Confidence>]) -> Value {
    let good = bands
        .iter()
        .any(|b| matches!(b, Some(Confidence::Strong | Confidence::Fair)));
    json!({
        "items": items,
        "verdict": if good { GOOD_MATCH } else { NO_GOOD_MATCH },
        "message": if good { None } else { Some(NO_GOOD_MATCH_ZH) },
    })
}

fn decided_for_owner(m: &match_suggestion::Model) -> bool {
    m.status == SuggestionStatus::Accepted.code() || m.status == SuggestionStatus::Contacted.code()
}

fn check_limit(limit: usize) -> Result<()> {
    if (1..=MAX_LIMIT).contains(&limit) {
        Ok(())
    } else {
        Err(Error::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ))
    }
}

/// The rule's facts about a need or capability row and its organization.
fn facts<'a>(
    kind: ListingKind,
    org_id: i64,
    status: &'a str,
    visibility: &'a str,
    deleted: bool,
    org: Option<&'a organization::Model>,
) -> ListingFacts<'a> {
    ListingFacts {
        kind,
        org_id,
        status,
        visibility,
        deleted,
        org_review: org.map_or("", |o| o.review_status.as_str()),
        org_deleted: org.is_none_or(|o| o.deleted_at.is_some()),
    }
}

pub fn need_facts<'a>(
    n: &'a need::Model,
    org: Option<&'a organization::Model>,
) -> ListingFacts<'a> {
    facts(
        ListingKind::Need,
        n.org_id,
        &n.status,
        &n.visibility,
        n.deleted_at.is_some(),
        org,
    )
}

pub fn capability_facts<'a>(
    c: &'a capability::Model,
    org: Option<&'a organization::Model>,
) -> ListingFacts<'a> {
    facts(
        ListingKind::Capability,
        c.org_id,
        &c.status,
        "",
        c.deleted_at.is_some(),
        org,
    )
}

/// What staff ask of a plan run.
#[derive(Debug, Clone)]
pub struct AssignmentRequest {
    /// Proposals per need, 1–10.
    pub k: u32,
    /// At most this many proposals per university or institute.
    pub per_university: Option<u32>,
    /// Only these open needs.
    pub need_ids: Option<Vec<i64>>,
    /// Only the needs flagged for the year's key-project plan.
    pub key_projects: bool,
    /// Propose weak pairs too (left out by default).
    pub include_weak: bool,
}

/// A plan run's proposals with their stored ids.
pub struct Assignment {
    pub year: i32,
    pub k: u32,
    pub run: PlanRun,
}

impl App {
    /// Records live suggestions for review and shapes them.
    async fn live_items(&self, list: Vec<Suggestion>, partner: Partner) -> Result<Value> {
        let news: Vec<_> = list.iter().map(Suggestion::to_new).collect();
        let stored = self
            .store()
            .save_suggestions(&news, self.matcher().algorithm())
            .await?;
        let weights = self.matcher().weights;
        let (items, bands): (Vec<Value>, Vec<Option<Confidence>>) = list
            .iter()
            .zip(&stored)
            .map(|(sug, row)| {
                let other = match partner {
                    Partner::Capability => &sug.capability,
                    Partner::Need => &sug.need,
                };
                item(row, partner, other, &weights)
            })
            .unzip();
        Ok(verdict_list(items, &bands))
    }

    /// Capabilities suggested for a need, best first. Staff get live
    /// suggestions; the need's owner those staff accepted that the owner may
    /// see; anyone else who can see the need is refused; a need they cannot see is absent.
    pub async fn need_suggestions(&self, who: &Principal, id: i64, limit: usize) -> Result<Value> {
        check_limit(limit)?;
        if !who.is_staff() {
            return self.owner_suggestions::<NeedRecord>(who, id, limit).await;
        }
        let n = self
            .store()
            .needs_by_ids(&[id])
            .await?
            .remove(&id)
            .ok_or(Error::NotFound)?;
        let history = History::load(self.store()).await?;
        let list = self.matcher().for_need(&n, limit, &history).await?;
        self.live_items(list, Partner::Capability).await
    }

    /// Needs suggested for a capability, best first: staff live, the owner
    /// the accepted needs the visibility rule lets the owner see.
    pub async fn capability_suggestions(
        &self,
        who: &Principal,
        id: i64,
        limit: usize,
    ) -> Result<Value> {
        check_limit(limit)?;
        if !who.is_staff() {
            return self
                .owner_suggestions::<CapabilityRecord>(who, id, limit)
                .await;
        }
        let c = self
            .store()
            .capabilities_by_ids(&[id])
            .await?
            .remove(&id)
            .ok_or(Error::NotFound)?;
        let history = History::load(self.store()).await?;
        let list = self.matcher().for_capability(&c, limit, &history).await?;
        self.live_items(list, Partner::Need).await
    }

    /// What an owner sees of a listing's suggestions: those staff accepted
    /// (or marked contacted), of partners the owner may see.
    async fn owner_suggestions<R: Listing>(
        &self,
        who: &Principal,
        id: i64,
        limit: usize,
    ) -> Result<Value> {
        let visible = R::get(self.store(), id, who.scope()).await?;
        let visible = visible.ok_or(Error::NotFound)?;
        if who.org_id != Some(visible.org_id) {
            return Err(Error::Forbidden);
        }
        let (partner, stored) = match R::LISTED {
            Listed::Needs => (
                Partner::Capability,
                self.store().suggestions_of(Some(id), None),
            ),
            _ => (Partner::Need, self.store().suggestions_of(None, Some(id))),
        };
        let stored: Vec<_> = stored
            .await?
            .into_iter()
            .filter(decided_for_owner)
            .collect();
        let partner_id = |m: &match_suggestion::Model| match partner {
            Partner::Capability => m.capability_id,
            Partner::Need => m.need_id,
        };
        let ids: Vec<i64> = stored.iter().map(partner_id).collect();
        let refs = self.visible_partners(partner, &ids, who.scope()).await?;
        let weights = self.matcher().weights;
        let items: Vec<Value> = stored
            .iter()
            .filter_map(|m| {
                refs.get(&partner_id(m))
                    .map(|r| item(m, partner, r, &weights).0)
            })
            .take(limit)
            .collect();
        // The owner sees staff decisions, not the matcher's list: no verdict.
        Ok(json!({ "items": items, "verdict": null, "message": null }))
    }

    /// The partners among `ids` that `scope` may see, by the one visibility rule.
    async fn visible_partners(
        &self,
        partner: Partner,
        ids: &[i64],
        scope: qiao_core::Scope,
    ) -> Result<HashMap<i64, ListingRef>> {
        Ok(match partner {
            Partner::Capability => {
                let caps = self.store().capabilities_by_ids(ids).await?;
                let orgs = self.matcher().orgs(caps.values().map(|c| c.org_id)).await?;
                caps.values()
                    .filter(|c| capability_facts(c, orgs.get(&c.org_id)).visible_to(scope))
                    .map(|c| {
                        (
                            c.id,
                            listing_ref(c.id, &c.external_id, &c.title, orgs.get(&c.org_id)),
                        )
                    })
                    .collect()
            }
            Partner::Need => {
                let needs = self.store().needs_by_ids(ids).await?;
                let orgs = self
                    .matcher()
                    .orgs(needs.values().map(|n| n.org_id))
                    .await?;
                needs
                    .values()
                    .filter(|n| need_facts(n, orgs.get(&n.org_id)).visible_to(scope))
                    .map(|n| {
                        (
                            n.id,
                            listing_ref(n.id, &n.external_id, &n.title, orgs.get(&n.org_id)),
                        )
                    })
                    .collect()
            }
        })
    }

    async fn decide(&self, who: &Principal, id: i64, decision: Decision) -> Result<Value> {
        authorize(who, Resource::Bureau, Action::Update)?;
        let (m, project_id) = self
            .store()
            .decide_suggestion(id, decision, &who.actor())
            .await?;
        Ok(json!({
            "id": m.id,
            "need_id": m.need_id,
            "capability_id": m.capability_id,
            "status": m.status,
            "reject_reason": m.reject_reason,
            "reject_note": m.reject_note,
            "project_id": project_id,
        }))
    }

    /// Staff accept a suggestion, optionally opening a planned project for the pair.
    pub async fn accept_suggestion(
        &self,
        who: &Principal,
        id: i64,
        create_project: bool,
        plan_year: i32,
        key_project: bool,
    ) -> Result<Value> {
        authorize(who, Resource::Bureau, Action::Update)?;
        if !(2000..=2100).contains(&plan_year) {
            return Err(Error::field("plan_year", "must be between 2000 and 2100"));
        }
        let decision = Decision::Accept {
            create_project,
            plan_year,
            key_project,
        };
        self.decide(who, id, decision).await
    }

    /// Staff reject a suggestion with a reason; the pair is never suggested again.
    pub async fn reject_suggestion(
        &self,
        who: &Principal,
        id: i64,
        reason: &str,
        note: &str,
    ) -> Result<Value> {
        authorize(who, Resource::Bureau, Action::Update)?;
        let reason = RejectReason::parse(reason).ok_or_else(|| {
            Error::field(
                "reason",
                "must be one of direction_mismatch, insufficient_maturity, budget_mismatch, existing_cooperation, other",
            )
        })?;
        let note = note.trim().to_string();
        if reason == RejectReason::Other && note.is_empty() {
            return Err(Error::field("note", "is required when the reason is other"));
        }
        if note.chars().count() > 1000 {
            return Err(Error::field("note", "must be at most 1000 characters"));
        }
        self.decide(who, id, Decision::Reject { reason, note })
            .await
    }

    pub async fn mark_contacted(&self, who: &Principal, id: i64) -> Result<Value> {
        self.decide(who, id, Decision::Contacted).await
    }

    /// The plan-wide assignment of a year (staff): proposals stored for review.
    pub async fn assign(
        &self,
        who: &Principal,
        year: i32,
        request: AssignmentRequest,
    ) -> Result<Assignment> {
        let AssignmentRequest {
            k,
            per_university,
            need_ids,
            key_projects,
            include_weak,
        } = request;
        authorize(who, Resource::Bureau, Action::Create)?;
        check_year(year)?;
        if !(1..=10).contains(&k) {
            return Err(Error::field("k", "must be between 1 and 10"));
        }
        if per_university == Some(0) {
            return Err(Error::field("per_university", "must be at least 1"));
        }
        if let Some(ids) = &need_ids {
            crate::limits::check_ids("need_ids", ids)?;
        }
        let selection = NeedSelection {
            need_ids,
            key_projects,
        };
        let options = PlanOptions {
            k,
            per_university,
            include_weak,
            ..PlanOptions::default()
        };
        let run = run_plan(&self.matcher(), year, &selection, options, &who.actor()).await?;
        Ok(Assignment { year, k, run })
    }

    pub async fn key_needs(&self, who: &Principal, year: i32) -> Result<Vec<i64>> {
        authorize(who, Resource::Bureau, Action::Read)?;
        check_year(year)?;
        Ok(self.store().key_need_ids(year).await?)
    }

    pub async fn set_key_needs(&self, who: &Principal, year: i32, ids: &[i64]) -> Result<Vec<i64>> {
        authorize(who, Resource::Bureau, Action::Update)?;
        check_year(year)?;
        crate::limits::check_ids("need_ids", ids)?;
        Ok(self.store().set_key_needs(year, ids, &who.actor()).await?)
    }
}

/// Plans exist for 2000–2100; other years are absent.
fn check_year(year: i32) -> Result<()> {
    if (2000..=2100).contains(&year) {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}
