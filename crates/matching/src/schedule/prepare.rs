//! From the input to the dense problem the search works on (indices instead
//! of ids, feasible slots per meeting, kept pins), and from the search's
//! slot per meeting back to a [`Schedule`].

use super::{
    Bound, Mode, MoveReason, Moved, Placed, Placement, Reason, Schedule, ScheduleInput, Stats,
    Unplaced,
};
use std::collections::HashMap;

/// "No meeting" / "no slot".
pub(super) const NONE: u32 = u32::MAX;

/// Weights become integers in [0, 2⁴⁰], exact to add and compare.
const WEIGHT_SCALE: f64 = (1u64 << 40) as f64;

#[derive(Debug, Clone)]
pub(super) struct Meeting {
    /// Index in `ScheduleInput::meetings`.
    pub input: usize,
    pub a: u32,
    pub b: u32,
    pub tier: usize,
    /// The weight scaled for exact sums.
    pub weight: i64,
    /// The weight as given.
    pub value: f64,
    /// Slots (indices) where both sides are available, in event order.
    pub slots: Vec<u32>,
    /// A pin kept in place: (slot, table).
    pub fixed: Option<(u32, u32)>,
    /// The pinned slot and table, when the slot still exists: preferred on ties.
    pub prefer: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
pub(super) struct Problem {
    pub slots: usize,
    /// Usable tables per slot.
    pub cap: usize,
    pub people: usize,
    /// Schedulable meetings: valid, with at least one feasible slot.
    pub meetings: Vec<Meeting>,
    /// Meetings (indices into `meetings`) of each person.
    pub by_person: Vec<Vec<u32>>,
    slot_ids: Vec<u32>,
    /// Unplaced whatever the search does, by input index.
    decided: Vec<(usize, Reason)>,
    /// Why each pinned meeting (by input index) cannot stay, if it cannot.
    pin_trouble: HashMap<usize, MoveReason>,
}

impl Problem {
    pub fn new(input: &ScheduleInput) -> Self {
        let mut slot_index: HashMap<u32, u32> = HashMap::new();
        let mut slot_ids = Vec::new();
        for &id in &input.slots {
            if let std::collections::hash_map::Entry::Vacant(e) = slot_index.entry(id) {
                e.insert(slot_ids.len() as u32);
                slot_ids.push(id);
            }
        }
        let slots = slot_ids.len();
        let mut person_index: HashMap<i64, u32> = HashMap::new();
        let mut avail: Vec<Vec<bool>> = Vec::new();
        for p in &input.participants {
            let i = *person_index.entry(p.id).or_insert_with(|| {
                avail.push(vec![false; slots]);
                (avail.len() - 1) as u32
            });
            for id in &p.available {
                if let Some(&s) = slot_index.get(id) {
                    avail[i as usize][s as usize] = true;
                }
            }
        }
        let cap = input.usable_tables() as usize;

        let max_weight = input
            .meetings
            .iter()
            .map(|m| m.weight)
            .filter(|w| w.is_finite() && *w >= 0.0)
            .fold(0.0f64, f64::max);
        let scale = if max_weight > 0.0 {
            WEIGHT_SCALE / max_weight
        } else {
            0.0
        };

        let mut decided = Vec::new();
        let mut pin_trouble = HashMap::new();
        let mut seen = std::collections::HashSet::new();
        let mut meetings = Vec::new();
        for (input_index, m) in input.meetings.iter().enumerate() {
            let first_use = seen.insert(m.id);
            let sides = (person_index.get(&m.a), person_index.get(&m.b));
            let (Some(&a), Some(&b)) = sides else {
                decided.push((input_index, Reason::Invalid));
                pin_trouble.insert(input_index, MoveReason::Invalid);
                continue;
            };
            if a == b || !first_use || !m.weight.is_finite() || m.weight < 0.0 {
                decided.push((input_index, Reason::Invalid));
                pin_trouble.insert(input_index, MoveReason::Invalid);
                continue;
            }
            let (pa, pb) = (&avail[a as usize], &avail[b as usize]);
            let feasible: Vec<u32> = (0..slots as u32)
                .filter(|&s| pa[s as usize] && pb[s as usize])
                .collect();
            let mut prefer = None;
            if let Some(pin) = m.pinned {
                match slot_index.get(&pin.slot) {
                    None => {
                        pin_trouble.insert(input_index, MoveReason::SlotRemoved);
                    }
                    Some(&s) => {
                        prefer = Some((s, pin.table));
                        if !feasible.contains(&s) {
                            pin_trouble.insert(input_index, MoveReason::ParticipantUnavailable);
                        } else if pin.table as usize >= cap {
                            pin_trouble.insert(input_index, MoveReason::TableRemoved);
                        }
                    }
                }
            }
            if feasible.is_empty() {
                decided.push((input_index, Reason::ParticipantUnavailable));
                continue;
            }
            meetings.push(Meeting {
                input: input_index,
                a,
                b,
                tier: m.tier.index(),
                weight: (m.weight * scale).round() as i64,
                value: m.weight,
                slots: feasible,
                fixed: None,
                prefer,
            });
        }

        // Pins that stay, higher priority first; the rest clash.
        if input.mode == Mode::Incremental {
            let mut order: Vec<usize> = (0..meetings.len())
                .filter(|&i| {
                    meetings[i].prefer.is_some() && !pin_trouble.contains_key(&meetings[i].input)
                })
                .collect();
            order.sort_by_key(|&i| (meetings[i].tier, meetings[i].input));
            let mut busy = vec![false; avail.len() * slots];
            let mut table_used = vec![false; cap * slots];
            for i in order {
                let m = &mut meetings[i];
                let (s, t) = m.prefer.expect("filtered on pins");
                let (ka, kb) = (
                    m.a as usize * slots + s as usize,
                    m.b as usize * slots + s as usize,
                );
                let kt = s as usize * cap + t as usize;
                if busy[ka] || busy[kb] || table_used[kt] {
                    pin_trouble.insert(m.input, MoveReason::Clash);
                } else {
                    busy[ka] = true;
                    busy[kb] = true;
                    table_used[kt] = true;
                    m.fixed = Some((s, t));
                }
            }
        }

        let mut by_person = vec![Vec::new(); avail.len()];
        for (i, m) in meetings.iter().enumerate() {
            by_person[m.a as usize].push(i as u32);
            by_person[m.b as usize].push(i as u32);
        }
        Self {
            slots,
            cap,
            people: avail.len(),
            meetings,
            by_person,
            slot_ids,
            decided,
            pin_trouble,
        }
    }

    /// The schedule for `slot_of` (a slot index or [`NONE`] per meeting).
    pub fn finish(&self, input: &ScheduleInput, slot_of: &[u32]) -> Schedule {
        let tables = self.number_tables(slot_of);
        let mut placement_of: Vec<Option<Placement>> = vec![None; input.meetings.len()];
        let mut placed = Vec::new();
        for (i, m) in self.meetings.iter().enumerate() {
            if slot_of[i] != NONE {
                let placement = Placement {
                    slot: self.slot_ids[slot_of[i] as usize],
                    table: tables[i],
                };
                placement_of[m.input] = Some(placement);
                placed.push((slot_of[i], placement.table, m.input, placement));
            }
        }
        placed.sort_unstable_by_key(|p| (p.0, p.1, p.2));
        let placed = placed
            .into_iter()
            .map(|(_, _, input_index, placement)| Placed {
                meeting: input.meetings[input_index].id,
                placement,
            })
            .collect();

        let load = self.loads(slot_of);
        let mut reasons: Vec<(usize, Reason)> = self.decided.clone();
        for (i, m) in self.meetings.iter().enumerate() {
            if slot_of[i] == NONE {
                reasons.push((m.input, self.reason(m, slot_of, &load)));
            }
        }
        reasons.sort_unstable_by_key(|r| r.0);
        let unplaced = reasons
            .into_iter()
            .map(|(input_index, reason)| Unplaced {
                meeting: input.meetings[input_index].id,
                reason,
            })
            .collect();

        let moved = input
            .meetings
            .iter()
            .enumerate()
            .filter_map(|(input_index, m)| {
                let from = m.pinned?;
                let to = placement_of[input_index];
                if to == Some(from) {
                    return None;
                }
                let why = self
                    .pin_trouble
                    .get(&input_index)
                    .copied()
                    .unwrap_or(MoveReason::FullReplan);
                Some(Moved {
                    meeting: m.id,
                    from,
                    to,
                    why,
                })
            })
            .collect();

        Schedule {
            placed,
            unplaced,
            moved,
            stats: self.stats(slot_of),
            bound: self.bound(),
        }
    }

    fn loads(&self, slot_of: &[u32]) -> Vec<usize> {
        let mut load = vec![0; self.slots];
        for &s in slot_of.iter().filter(|&&s| s != NONE) {
            load[s as usize] += 1;
        }
        load
    }

    fn reason(&self, m: &Meeting, slot_of: &[u32], load: &[usize]) -> Reason {
        if m.slots.iter().all(|&s| load[s as usize] >= self.cap) {
            return Reason::NoCapacity;
        }
        debug_assert!(
            m.slots.iter().any(|&s| {
                self.by_person[m.a as usize]
                    .iter()
                    .chain(&self.by_person[m.b as usize])
                    .any(|&o| slot_of[o as usize] == s)
            }),
            "an unplaced meeting with a free table and both sides free"
        );
        Reason::Conflict
    }

    /// Tables per meeting: kept pins first, then pinned tables that are free,
    /// then the lowest free table in input order.
    fn number_tables(&self, slot_of: &[u32]) -> Vec<u32> {
        let mut table = vec![NONE; self.meetings.len()];
        let mut used = vec![false; self.slots * self.cap];
        for (i, m) in self.meetings.iter().enumerate() {
            if let Some((s, t)) = m.fixed {
                debug_assert_eq!(slot_of[i], s);
                table[i] = t;
                used[s as usize * self.cap + t as usize] = true;
            }
        }
        for (i, m) in self.meetings.iter().enumerate() {
            let s = slot_of[i];
            if table[i] != NONE || s == NONE {
                continue;
            }
            if let Some((ps, pt)) = m.prefer
                && ps == s
                && (pt as usize) < self.cap
                && !used[s as usize * self.cap + pt as usize]
            {
                table[i] = pt;
                used[s as usize * self.cap + pt as usize] = true;
            }
        }
        let mut next_free = vec![0usize; self.slots];
        for (i, &s) in slot_of.iter().enumerate() {
            if table[i] != NONE || s == NONE {
                continue;
            }
            let s = s as usize;
            while used[s * self.cap + next_free[s]] {
                next_free[s] += 1;
            }
            table[i] = next_free[s] as u32;
            used[s * self.cap + next_free[s]] = true;
        }
        table
    }

    fn stats(&self, slot_of: &[u32]) -> Stats {
        let mut per_tier = [0usize; 3];
        let mut total_weight = 0.0;
        let mut count = vec![0usize; self.people];
        let mut reachable = vec![false; self.people];
        for (i, m) in self.meetings.iter().enumerate() {
            reachable[m.a as usize] = true;
            reachable[m.b as usize] = true;
            if slot_of[i] != NONE {
                per_tier[m.tier] += 1;
                total_weight += m.value;
                count[m.a as usize] += 1;
                count[m.b as usize] += 1;
            }
        }
        let counts: Vec<usize> = (0..self.people)
            .filter(|&p| reachable[p])
            .map(|p| count[p])
            .collect();
        let n = counts.len().max(1) as f64;
        let mean = counts.iter().sum::<usize>() as f64 / n;
        let variance = counts
            .iter()
            .map(|&c| (c as f64 - mean).powi(2))
            .sum::<f64>()
            / n;
        Stats {
            per_tier,
            participants_met: count.iter().filter(|&&c| c > 0).count(),
            participants_reachable: counts.len(),
            total_weight,
            min_per_participant: counts.iter().copied().min().unwrap_or(0),
            max_per_participant: counts.iter().copied().max().unwrap_or(0),
            mean_per_participant: mean,
            stddev_per_participant: variance.sqrt(),
        }
    }

    pub fn bound(&self) -> Bound {
        super::bound::compute(self)
    }
}
