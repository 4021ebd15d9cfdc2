//! Property tests of the meeting scheduler: the hard rules, the no-drop rule,
//! pins, statistics, the baseline and the bound, on random events and on
//! re-runs after slots, tables and availability are taken away.

use proptest::prelude::*;
use qiao_matching::schedule::{MeetingRequest, Objective};
use qiao_matching::schedule::{
    Mode, MoveReason, Participant, Placement, Reason, Schedule, ScheduleInput, SlotId, Tier,
    greedy_first_fit, schedule, upper_bound,
};
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// The requests that can be scheduled at all: first use of their id, both
/// sides known and distinct, weight finite and ≥ 0.
fn valid(input: &ScheduleInput) -> Vec<bool> {
    let known: HashSet<i64> = input.participants.iter().map(|p| p.id).collect();
    let mut ids = HashSet::new();
    input
        .meetings
        .iter()
        .map(|m| {
            ids.insert(m.id)
                && known.contains(&m.a)
                && known.contains(&m.b)
                && m.a != m.b
                && m.weight.is_finite()
                && m.weight >= 0.0
        })
        .collect()
}

fn availability(input: &ScheduleInput) -> HashMap<i64, HashSet<SlotId>> {
    let slots: HashSet<SlotId> = input.slots.iter().copied().collect();
    let mut out: HashMap<i64, HashSet<SlotId>> = HashMap::new();
    for p in &input.participants {
        out.entry(p.id)
            .or_default()
            .extend(p.available.iter().filter(|s| slots.contains(s)));
    }
    out
}

fn shared_slots(available: &HashMap<i64, HashSet<SlotId>>, m: &MeetingRequest) -> HashSet<SlotId> {
    match (available.get(&m.a), available.get(&m.b)) {
        (Some(a), Some(b)) => a.intersection(b).copied().collect(),
        _ => HashSet::new(),
    }
}

/// Pins that must stay in incremental mode: valid request, slot and table
/// still there, both sides available, and no higher-priority pin on the
/// same person or table (higher tier, then earlier in the input).
fn keepable_pins(input: &ScheduleInput) -> HashMap<usize, Placement> {
    let ok = valid(input);
    let available = availability(input);
    let usable = input.usable_tables();
    let mut order: Vec<usize> = (0..input.meetings.len())
        .filter(|&i| {
            let m = &input.meetings[i];
            ok[i]
                && m.pinned.is_some_and(|p| {
                    p.table < usable && shared_slots(&available, m).contains(&p.slot)
                })
        })
        .collect();
    order.sort_by_key(|&i| (input.meetings[i].tier, i));
    let mut busy = HashSet::new();
    let mut tables = HashSet::new();
    let mut kept = HashMap::new();
    for i in order {
        let m = &input.meetings[i];
        let p = m.pinned.unwrap();
        if busy.contains(&(m.a, p.slot))
            || busy.contains(&(m.b, p.slot))
            || tables.contains(&(p.slot, p.table))
        {
            continue;
        }
        busy.insert((m.a, p.slot));
        busy.insert((m.b, p.slot));
        tables.insert((p.slot, p.table));
        kept.insert(i, p);
    }
    kept
}

/// Every rule a schedule must keep; returns a description of the first broken one.
fn check(input: &ScheduleInput, s: &Schedule) -> Result<(), String> {
    let ok = valid(input);
    let available = availability(input);
    let usable = input.usable_tables();

    // Every input meeting exactly once in placed ∪ unplaced (ids may repeat
    // in the input, so count per id).
    let mut expected: HashMap<i64, usize> = HashMap::new();
    for m in &input.meetings {
        *expected.entry(m.id).or_default() += 1;
    }
    let mut got: HashMap<i64, usize> = HashMap::new();
    for id in s
        .placed
        .iter()
        .map(|p| p.meeting)
        .chain(s.unplaced.iter().map(|u| u.meeting))
    {
        *got.entry(id).or_default() += 1;
    }
    if got != expected {
        return Err(format!("placed ∪ unplaced {got:?} ≠ input {expected:?}"));
    }

    // The request each placed/unplaced entry stands for: the first valid
    // one with its id is the only one that can be placed.
    let first_valid: HashMap<i64, usize> = (0..input.meetings.len())
        .rev()
        .filter(|&i| ok[i])
        .map(|i| (input.meetings[i].id, i))
        .collect();
    let mut busy = HashSet::new();
    let mut tables = HashSet::new();
    let mut placed_at: HashMap<usize, Placement> = HashMap::new();
    let mut load: HashMap<SlotId, u32> = HashMap::new();
    for p in &s.placed {
        let Some(&i) = first_valid.get(&p.meeting) else {
            return Err(format!("invalid meeting {} placed", p.meeting));
        };
        let m = &input.meetings[i];
        let at = p.placement;
        if !input.slots.contains(&at.slot) {
            return Err(format!("meeting {} in unknown slot {}", m.id, at.slot));
        }
        if at.table >= usable {
            return Err(format!("table {} of {usable} usable", at.table));
        }
        if !tables.insert((at.slot, at.table)) {
            return Err(format!("table {at:?} used twice"));
        }
        for side in [m.a, m.b] {
            if !busy.insert((side, at.slot)) {
                return Err(format!("{side} twice in slot {}", at.slot));
            }
            if !available[&side].contains(&at.slot) {
                return Err(format!("{side} not available in slot {}", at.slot));
            }
        }
        placed_at.insert(i, at);
        *load.entry(at.slot).or_default() += 1;
    }

    // Reasons say what is true of the final schedule.
    let mut unplaced_left: HashMap<i64, Vec<Reason>> = HashMap::new();
    for u in &s.unplaced {
        unplaced_left.entry(u.meeting).or_default().push(u.reason);
    }
    for (i, m) in input.meetings.iter().enumerate() {
        if placed_at.contains_key(&i) {
            continue;
        }
        let reason = unplaced_left
            .get_mut(&m.id)
            .and_then(Vec::pop)
            .ok_or(format!("meeting {} missing", m.id))?;
        let shared = shared_slots(&available, m);
        let expected = if !ok[i] {
            Reason::Invalid
        } else if shared.is_empty() {
            Reason::ParticipantUnavailable
        } else if shared
            .iter()
            .all(|s| load.get(s).copied().unwrap_or(0) >= usable)
        {
            Reason::NoCapacity
        } else {
            let blocked = shared.iter().all(|s| {
                load.get(s).copied().unwrap_or(0) >= usable
                    || busy.contains(&(m.a, *s))
                    || busy.contains(&(m.b, *s))
            });
            if !blocked {
                return Err(format!("meeting {} unplaced with room for it", m.id));
            }
            Reason::Conflict
        };
        // Entries of one id come in input order; compare per id as a multiset.
        if reason != expected && input.meetings.iter().filter(|o| o.id == m.id).count() == 1 {
            return Err(format!(
                "meeting {}: {reason:?}, expected {expected:?}",
                m.id
            ));
        }
    }

    // Pins.
    if input.mode == Mode::Incremental {
        for (i, p) in keepable_pins(input) {
            if placed_at.get(&i) != Some(&p) {
                return Err(format!(
                    "pinned meeting {} moved from {p:?} to {:?}",
                    input.meetings[i].id,
                    placed_at.get(&i)
                ));
            }
        }
    }
    let moved: HashMap<i64, _> = s.moved.iter().map(|m| (m.meeting, *m)).collect();
    for (i, m) in input.meetings.iter().enumerate() {
        // A repeated id names two requests in `moved`; skip those.
        if expected[&m.id] > 1 {
            continue;
        }
        let Some(pin) = m.pinned else { continue };
        let now = placed_at.get(&i).copied();
        match moved.get(&m.id) {
            Some(mv) if now != Some(pin) => {
                if mv.from != pin || mv.to != now {
                    return Err(format!("moved entry {mv:?} but now {now:?}"));
                }
                if input.mode == Mode::Incremental && mv.why == MoveReason::FullReplan {
                    return Err(format!("{mv:?} in incremental mode"));
                }
            }
            None if now == Some(pin) => {}
            other => return Err(format!("meeting {}: moved {other:?}, now {now:?}", m.id)),
        }
    }

    // Statistics.
    let mut per_tier = [0; 3];
    let mut weight = 0.0;
    let mut count: HashMap<i64, usize> = HashMap::new();
    for &i in placed_at.keys() {
        let m = &input.meetings[i];
        per_tier[m.tier.index()] += 1;
        weight += m.weight;
        *count.entry(m.a).or_default() += 1;
        *count.entry(m.b).or_default() += 1;
    }
    let mut reachable = HashSet::new();
    for (i, m) in input.meetings.iter().enumerate() {
        if ok[i] && !shared_slots(&available, m).is_empty() {
            reachable.insert(m.a);
            reachable.insert(m.b);
        }
    }
    let counts: Vec<usize> = reachable
        .iter()
        .map(|p| count.get(p).copied().unwrap_or(0))
        .collect();
    let st = &s.stats;
    let mean = counts.iter().sum::<usize>() as f64 / counts.len().max(1) as f64;
    let stddev = (counts
        .iter()
        .map(|&c| (c as f64 - mean).powi(2))
        .sum::<f64>()
        / counts.len().max(1) as f64)
        .sqrt();
    let consistent = st.per_tier == per_tier
        && st.participants_met == count.len()
        && st.participants_reachable == reachable.len()
        && (st.total_weight - weight).abs() <= 1e-9 * weight.max(1.0)
        && st.min_per_participant == counts.iter().copied().min().unwrap_or(0)
        && st.max_per_participant == counts.iter().copied().max().unwrap_or(0)
        && (st.mean_per_participant - mean).abs() < 1e-9
        && (st.stddev_per_participant - stddev).abs() < 1e-9;
    if !consistent {
        return Err(format!(
            "stats {st:?} against {per_tier:?}, {} met, {} reachable, weight {weight}",
            count.len(),
            reachable.len()
        ));
    }

    // The bound.
    let b = &s.bound;
    if b != &upper_bound(input) {
        return Err("the schedule's bound differs from upper_bound".into());
    }
    for t in 0..3 {
        let cumulative: usize = per_tier[..=t].iter().sum();
        if per_tier[t] > b.per_tier[t] || cumulative > b.cumulative[t] {
            return Err(format!("{per_tier:?} above the bound {b:?}"));
        }
    }
    if count.len() > b.participants || weight > b.weight + 1e-9 * weight.max(1.0) {
        return Err(format!("{} met, weight {weight}, above {b:?}", count.len()));
    }
    Ok(())
}

fn at_least(a: &Objective, b: &Objective) -> bool {
    a.compare(b) != Ordering::Less
}

#[derive(Debug, Clone)]
struct RawMeeting {
    a: usize,
    b: usize,
    tier: usize,
    weight: u8,
    pin: Option<(usize, u32)>,
    unknown_side: bool,
}

fn raw_meeting() -> impl Strategy<Value = RawMeeting> {
    (
        0..16usize,
        0..16usize,
        0..3usize,
        0..=100u8,
        prop::option::weighted(0.3, (0..10usize, 0..8u32)),
        prop::bool::weighted(0.03),
    )
        .prop_map(|(a, b, tier, weight, pin, unknown_side)| RawMeeting {
            a,
            b,
            tier,
            weight,
            pin,
            unknown_side,
        })
}

/// Random events: up to 8 slots with gappy ids, 0–6 tables, spare shares,
/// 2–14 participants with random availability, up to 40 requests (a few
/// invalid: self-meetings, unknown sides, repeated ids), random pins (some
/// pointing at missing slots or tables) and both modes.
fn event() -> impl Strategy<Value = ScheduleInput> {
    (
        1..=8usize,
        0..=6u32,
        prop::sample::select(vec![0.0, 0.1, 0.25, 0.5]),
        prop::collection::vec(any::<u16>(), 2..=14),
        prop::collection::vec(raw_meeting(), 0..=40),
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(slots, tables, spare_share, masks, raw, full, repeat_id)| {
                let slot_ids: Vec<SlotId> = (0..slots as u32).map(|s| 10 * s + 3).collect();
                let participants: Vec<Participant> = masks
                    .iter()
                    .enumerate()
                    .map(|(i, mask)| Participant {
                        id: 100 + i as i64,
                        available: slot_ids
                            .iter()
                            .enumerate()
                            .filter(|(s, _)| mask & (1 << s) != 0)
                            .map(|(_, &id)| id)
                            .collect(),
                    })
                    .collect();
                let n = participants.len();
                let meetings = raw
                    .iter()
                    .enumerate()
                    .map(|(i, r)| MeetingRequest {
                        id: if repeat_id && i % 7 == 6 { 0 } else { i as i64 },
                        a: 100 + (r.a % n) as i64,
                        b: if r.unknown_side {
                            999
                        } else {
                            100 + (r.b % n) as i64
                        },
                        tier: Tier::ALL[r.tier],
                        weight: f64::from(r.weight) / 100.0,
                        pinned: r.pin.map(|(s, table)| Placement {
                            slot: 10 * s as u32 + 3,
                            table,
                        }),
                    })
                    .collect();
                ScheduleInput {
                    slots: slot_ids,
                    tables,
                    spare_share,
                    participants,
                    meetings,
                    mode: if full { Mode::Full } else { Mode::Incremental },
                }
            },
        )
}

/// What a re-run after publishing may face: slots dropped, tables removed,
/// availability withdrawn.
#[derive(Debug, Clone)]
struct Change {
    drop_slots: u16,
    fewer_tables: u32,
    withdraw: Vec<(usize, usize)>,
}

fn change() -> impl Strategy<Value = Change> {
    (
        any::<u16>(),
        0..=3u32,
        prop::collection::vec((0..16usize, 0..8usize), 0..6),
    )
        .prop_map(|(drop_slots, fewer_tables, withdraw)| Change {
            drop_slots,
            fewer_tables,
            withdraw,
        })
}

fn published_then_changed(input: &ScheduleInput, s: &Schedule, change: &Change) -> ScheduleInput {
    let mut next = input.clone();
    next.mode = Mode::Incremental;
    // Drop 0–2 slots (a mask bit per slot, sparse).
    let mask = change.drop_slots & (change.drop_slots >> 5) & (change.drop_slots >> 10);
    let mut index = 0;
    next.slots.retain(|_| {
        index += 1;
        mask & (1 << (index - 1)) == 0
    });
    next.tables = next.tables.saturating_sub(change.fewer_tables);
    let n = next.participants.len();
    for &(p, s) in &change.withdraw {
        let available = &mut next.participants[p % n].available;
        if !available.is_empty() {
            available.remove(s % available.len());
        }
    }
    let placed: HashMap<i64, Placement> =
        s.placed.iter().map(|p| (p.meeting, p.placement)).collect();
    let mut seen = HashSet::new();
    for m in &mut next.meetings {
        // Only the meeting that was placed carries the pin (ids may repeat).
        m.pinned = if seen.insert(m.id) {
            placed.get(&m.id).copied()
        } else {
            None
        };
    }
    next
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn schedules_keep_every_rule(input in event()) {
        let s = schedule(&input);
        prop_assert_eq!(check(&input, &s), Ok(()));
        let greedy = greedy_first_fit(&input);
        prop_assert_eq!(check(&input, &greedy), Ok(()));
        prop_assert!(
            at_least(&s.stats.objective(), &greedy.stats.objective()),
            "solver {:?} below greedy {:?}", s.stats.objective(), greedy.stats.objective()
        );
    }

    #[test]
    fn re_runs_keep_every_rule_and_the_pins_that_still_fit(input in event(), change in change()) {
        let first = schedule(&input);
        let next = published_then_changed(&input, &first, &change);
        let s = schedule(&next);
        prop_assert_eq!(check(&next, &s), Ok(()));
        // Every pin came from a valid schedule, so none clash: those whose
        // slot, table and sides remain must all stay.
        let available = availability(&next);
        let usable = next.usable_tables();
        let placed: HashMap<i64, Placement> = s.placed.iter().map(|p| (p.meeting, p.placement)).collect();
        for m in next.meetings.iter() {
            if let Some(pin) = m.pinned
                && pin.table < usable
                && shared_slots(&available, m).contains(&pin.slot)
            {
                prop_assert_eq!(placed.get(&m.id), Some(&pin));
            }
        }
        let greedy = greedy_first_fit(&next);
        prop_assert_eq!(check(&next, &greedy), Ok(()));
        prop_assert!(at_least(&s.stats.objective(), &greedy.stats.objective()));
    }
}
