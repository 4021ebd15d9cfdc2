//! The 1:1 meeting scheduler of a matchmaking event (对接会): accepted
//! meeting requests get a slot and a table.
//!
//! Hard rules: nobody is in two meetings at once or outside their
//! availability, no table holds two meetings at once, and the spare share of
//! the tables stays free. The objective is lexicographic: meetings placed per
//! [`Tier`] (mutual first), then participants with at least one meeting, then
//! total weight. Every input meeting comes back either placed or unplaced with
//! a [`Reason`]; none is dropped.
//!
//! # Method
//!
//! Each slot's meetings form a matching of at most `usable` edges in the
//! request graph, so the problem generalises capacitated edge colouring and is
//! NP-hard. A MIP would need a solver dependency far heavier than this crate
//! (12 slots × 1,000 requests is 12,000 binaries), and tables are
//! interchangeable within a slot, so the search assigns slots only and
//! numbers the tables at the end. It is a local search:
//!
//! 1. **Construction** in priority order (tier; within a tier first the
//!    meetings that reach a participant still without one, then the least
//!    flexible, then the heaviest), placing each meeting directly or through
//!    an ejection chain that moves the meetings in its way to other slots.
//!    The better of this and [`greedy_first_fit`] is kept, so the result is
//!    never worse than the baseline.
//! 2. **Eviction chains** for unplaced meetings: the meeting takes a slot,
//!    pushing out its sides' meetings there and, if the tables are full, the
//!    slot's least valuable meeting; each pushed-out meeting goes to a free
//!    slot, or displaces something worth less, or moves its own blockers, a
//!    few levels deep. Kept only if the objective rises.
//! 3. **Large-neighbourhood search**: free one or both sides' meetings, or a
//!    few meetings of one slot, and rebuild them with the unplaced meetings
//!    of the people freed in noisy priority order; or run an eviction chain
//!    for a random unplaced meeting. A step that loses a meeting of any tier
//!    or a participant is undone; one that only loses weight is kept under a
//!    threshold that falls to zero (threshold accepting), so the search can
//!    leave weight-only local optima. The best schedule seen is returned,
//!    after a last round of eviction chains.
//!
//! The objective is compared as an exact integer tuple (weights scaled to
//! 2⁴⁰ of the largest), so acceptance does not drift. The search is seeded
//! and bounded by iterations, not time: the same input and [`Options`] give
//! the same schedule on any machine. [`upper_bound`] (a fractional
//! b-matching relaxation solved by flows) measures how far from optimal a
//! schedule can be; the tests compare the search with exhaustive enumeration
//! on a few hundred tiny events.
//!
//! # Re-runs
//!
//! In [`Mode::Incremental`] a pinned (already published) meeting keeps its
//! slot and table while both still exist, both sides are still available
//! then and no higher-priority pin claims the same person or table. Otherwise
//! it is placed again like any other meeting, its old slot preferred, and
//! reported in [`Schedule::moved`]. [`Mode::Full`] re-plans everything and
//! only prefers the old slots and tables on ties.

mod bound;
mod prepare;
mod search;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// A slot's id: stable across re-runs, so removing one slot does not shift
/// the others. The app layer maps ids to times.
pub type SlotId = u32;

/// Priority class of a meeting, highest first (the declaration order, so
/// `Tier::Mutual < Tier::Proposed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Both sides asked for the meeting.
    Mutual,
    /// One side asked and the other accepted.
    Accepted,
    /// Staff proposed it and both accepted.
    Proposed,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Mutual, Tier::Accepted, Tier::Proposed];

    /// Position in per-tier arrays such as [`Stats::per_tier`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Where a meeting takes place. Tables are numbered from 0; the spare tables
/// are the highest numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Placement {
    pub slot: SlotId,
    pub table: u32,
}

/// An organization taking part, with the slots it can attend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Participant {
    pub id: i64,
    /// Unknown slot ids are ignored; a participant listed twice gets the union.
    pub available: Vec<SlotId>,
}

/// An accepted request for a 1:1 meeting between participants `a` and `b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingRequest {
    pub id: i64,
    pub a: i64,
    pub b: i64,
    pub tier: Tier,
    /// Match score or the requester's priority; finite and ≥ 0.
    pub weight: f64,
    /// Where it was published, if it was.
    #[serde(default)]
    pub pinned: Option<Placement>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Keep pinned meetings where they are while they remain valid.
    #[default]
    Incremental,
    /// Re-plan everything; pins only break ties.
    Full,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleInput {
    /// The event's slots in time order.
    pub slots: Vec<SlotId>,
    pub tables: u32,
    /// Share of the tables kept free for walk-ins and overruns, in [0, 1].
    pub spare_share: f64,
    pub participants: Vec<Participant>,
    pub meetings: Vec<MeetingRequest>,
    #[serde(default)]
    pub mode: Mode,
}

impl ScheduleInput {
    /// Tables that may hold meetings in each slot: `tables − ceil(tables ×
    /// spare_share)`, so the spare share is never undercut (10% of 45 keeps 5
    /// free). A product within 1e-9 of an integer counts as that integer, so
    /// 10% of 30 keeps 3, not 4 through floating-point error. A share
    /// outside [0, 1] is clamped; NaN counts as 0.
    pub fn usable_tables(&self) -> u32 {
        let share = if self.spare_share.is_nan() {
            0.0
        } else {
            self.spare_share.clamp(0.0, 1.0)
        };
        let spare = (f64::from(self.tables) * share - 1e-9).ceil().max(0.0) as u32;
        self.tables - spare.min(self.tables)
    }
}

/// Search effort. The defaults suit events of up to a few thousand requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    pub seed: u64,
    /// Large-neighbourhood steps; `None` scales with the number of requests.
    pub iterations: Option<u32>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            seed: 0x51a0_2026,
            iterations: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub meeting: i64,
    pub placement: Placement,
}

/// Why a meeting has no place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The request is unusable: both sides the same, a side not among the
    /// participants, an id already used by an earlier request, or a weight
    /// that is negative or not finite.
    Invalid,
    /// The two sides share no available slot.
    ParticipantUnavailable,
    /// The usable tables are full in every slot both sides could attend.
    NoCapacity,
    /// In every shared slot with a free table, one side is already in another
    /// meeting, one the schedule preferred (a higher tier, or better for
    /// coverage or weight) or a pinned one.
    Conflict,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unplaced {
    pub meeting: i64,
    pub reason: Reason,
}

/// Why a pinned meeting left its placement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveReason {
    /// Its slot is no longer in the event.
    SlotRemoved,
    /// Its table is now spare or gone.
    TableRemoved,
    /// A side is no longer available in that slot.
    ParticipantUnavailable,
    /// A higher-priority pin holds the same person or table in that slot.
    Clash,
    /// The request became invalid (see [`Reason::Invalid`]).
    Invalid,
    /// [`Mode::Full`] found a better plan.
    FullReplan,
}

/// A pinned meeting whose placement changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Moved {
    pub meeting: i64,
    pub from: Placement,
    /// `None` when it is now unplaced (see [`Schedule::unplaced`]).
    pub to: Option<Placement>,
    pub why: MoveReason,
}

/// Figures of a schedule. Per-tier arrays are indexed by [`Tier::index`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub per_tier: [usize; 3],
    /// Participants with at least one meeting.
    pub participants_met: usize,
    /// Participants with at least one valid request whose sides share an
    /// available slot: those the schedule could reach. The fairness figures
    /// below are over them.
    pub participants_reachable: usize,
    pub total_weight: f64,
    pub min_per_participant: usize,
    pub max_per_participant: usize,
    pub mean_per_participant: f64,
    pub stddev_per_participant: f64,
}

impl Stats {
    pub fn placed(&self) -> usize {
        self.per_tier.iter().sum()
    }

    pub fn objective(&self) -> Objective {
        Objective {
            per_tier: self.per_tier,
            participants: self.participants_met,
            weight: self.total_weight,
        }
    }
}

/// The lexicographic objective: meetings per tier (highest tier first), then
/// participants met, then total weight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub per_tier: [usize; 3],
    pub participants: usize,
    pub weight: f64,
}

impl Objective {
    /// Lexicographic comparison. Weights within 1e-9 (relative) count as
    /// equal, since sums of the same weights in another order differ in the
    /// last bits.
    pub fn compare(&self, other: &Objective) -> Ordering {
        let counts = (self.per_tier, self.participants).cmp(&(other.per_tier, other.participants));
        if counts != Ordering::Equal {
            return counts;
        }
        let tolerance = 1e-9 * self.weight.abs().max(other.weight.abs()).max(1.0);
        if (self.weight - other.weight).abs() <= tolerance {
            Ordering::Equal
        } else {
            self.weight.total_cmp(&other.weight)
        }
    }
}

/// Upper bounds valid for every schedule of the input (pins aside, which
/// only restrict), from the relaxation described at [`upper_bound`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bound {
    /// Meetings of each tier alone.
    pub per_tier: [usize; 3],
    /// Meetings of this tier and the higher ones together.
    pub cumulative: [usize; 3],
    pub participants: usize,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    /// Ordered by slot (in event order), then table.
    pub placed: Vec<Placed>,
    /// In input order.
    pub unplaced: Vec<Unplaced>,
    /// Pinned meetings not at their pinned placement, in input order.
    pub moved: Vec<Moved>,
    pub stats: Stats,
    pub bound: Bound,
}

/// Schedules the event with the default [`Options`].
pub fn schedule(input: &ScheduleInput) -> Schedule {
    schedule_with(input, &Options::default())
}

/// Schedules the event: construction, eviction and large-neighbourhood search
/// (see the module documentation). Deterministic for the same input and options.
pub fn schedule_with(input: &ScheduleInput, options: &Options) -> Schedule {
    let problem = prepare::Problem::new(input);
    let iterations = options
        .iterations
        .unwrap_or_else(|| default_iterations(problem.meetings.len()));
    let slots = search::solve(&problem, options.seed, iterations);
    problem.finish(input, &slots)
}

/// 2,000 plus 30 per request, at most 60,000: a 1,000-request event takes
/// about 0.4 s in a release build.
fn default_iterations(meetings: usize) -> u32 {
    (2_000 + 30 * meetings).min(60_000) as u32
}

/// The baseline: meetings by tier, then input order, each in the first slot
/// (in event order) where both sides are free and a table is left. Pins are
/// kept as by [`schedule`].
pub fn greedy_first_fit(input: &ScheduleInput) -> Schedule {
    let problem = prepare::Problem::new(input);
    let slots = search::first_fit(&problem);
    problem.finish(input, &slots)
}

/// Upper bounds on every schedule of the input. Each participant attends at
/// most one meeting per slot in which it could meet any of its partners, and
/// the event holds at most `usable tables × slots` meetings; relaxing the
/// slot-by-slot structure leaves a fractional b-matching. Counting each
/// meeting once from each side makes that a bipartite flow (each side's
/// capacity its slot count, the total twice the table capacity), whose value
/// halved bounds the meetings of any tier set, and whose maximum-weight flow
/// halved bounds the weight. Participants: at most those with a feasible
/// request, at most twice the meetings, and at most the meetings plus a
/// maximum matching (the same flow with unit capacities bounds that).
pub fn upper_bound(input: &ScheduleInput) -> Bound {
    prepare::Problem::new(input).bound()
}
