//! Staff's review queue: the stored match suggestions still awaiting a
//! decision, across every need, best first, each with its explanation and
//! confidence band. Suggestions are recorded when staff ask for a listing's
//! suggestions or run the plan-wide assignment; deciding on them is
//! [`App::accept_suggestion`], [`App::reject_suggestion`] and
//! [`App::mark_contacted`].

use crate::matchmaking::{ListingRef, listing_ref};
use crate::policy::{Action, Resource, authorize};
use crate::suggestions::{capability_facts, need_facts};
use crate::{App, Principal, Result};
use qiao_core::vocab::{Confidence, SuggestionStatus, Vocabulary};
use qiao_matching::score::Explanation;
use serde::Serialize;

/// At most this many suggestions are listed at once.
pub const MAX_QUEUE: usize = 200;

/// One suggestion awaiting review.
#[derive(Debug, Clone, Serialize)]
pub struct QueuedSuggestion {
    pub id: i64,
    pub need: ListingRef,
    pub capability: ListingRef,
    pub score: f64,
    /// `strong`, `fair` or `weak` under the current thresholds; None when
    /// the stored explanation does not read.
    pub confidence: Option<Confidence>,
    /// The explanation's one-line summary.
    pub summary: String,
    /// The terms both sides share.
    pub matched_terms: Vec<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The queue: how many await review, and the first of them.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewQueue {
    pub total: usize,
    pub items: Vec<QueuedSuggestion>,
}

impl App {
    /// Suggestions awaiting review whose need and capability the viewer may
    /// see (staff), best first, at most `limit` (1–[`MAX_QUEUE`]).
    pub async fn suggestion_queue(&self, who: &Principal, limit: usize) -> Result<ReviewQueue> {
        authorize(who, Resource::Bureau, Action::Read)?;
        let limit = limit.clamp(1, MAX_QUEUE);
        let pending: Vec<_> = self
            .store()
            .suggestions_of(None, None)
            .await?
            .into_iter()
            .filter(|m| m.status == SuggestionStatus::Suggested.code())
            .collect();
        let need_ids: Vec<i64> = pending.iter().map(|m| m.need_id).collect();
        let cap_ids: Vec<i64> = pending.iter().map(|m| m.capability_id).collect();
        let needs = self.store().needs_by_ids(&need_ids).await?;
        let caps = self.store().capabilities_by_ids(&cap_ids).await?;
        let matcher = self.matcher();
        let orgs = matcher
            .orgs(
                needs
                    .values()
                    .map(|n| n.org_id)
                    .chain(caps.values().map(|c| c.org_id)),
            )
            .await?;
        let scope = who.scope();
        let mut items = Vec::new();
        for m in &pending {
            let (Some(n), Some(c)) = (needs.get(&m.need_id), caps.get(&m.capability_id)) else {
                continue;
            };
            let (n_org, c_org) = (orgs.get(&n.org_id), orgs.get(&c.org_id));
            if !need_facts(n, n_org).visible_to(scope)
                || !capability_facts(c, c_org).visible_to(scope)
            {
                continue;
            }
            let explanation = serde_json::from_value::<Explanation>(m.explanation.clone()).ok();
            items.push(QueuedSuggestion {
                id: m.id,
                need: listing_ref(n.id, &n.external_id, &n.title, n_org),
                capability: listing_ref(c.id, &c.external_id, &c.title, c_org),
                score: m.score,
                confidence: explanation.as_ref().map(|e| e.confidence(&matcher.weights)),
                summary: explanation
                    .as_ref()
                    .map(|e| e.summary.clone())
                    .unwrap_or_default(),
                matched_terms: explanation
                    .map(|e| e.matched_terms.into_iter().map(|t| t.term).collect())
                    .unwrap_or_default(),
                created_at: m.created_at,
            });
        }
        let total = items.len();
        items.truncate(limit);
        Ok(ReviewQueue { total, items })
    }
}
