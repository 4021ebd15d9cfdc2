//! The search over a slot per meeting (tables are numbered afterwards, since
//! they are interchangeable within a slot). Every change goes through a
//! journal, so a failed ejection chain or a worse neighbourhood is undone
//! exactly.

use super::prepare::{NONE, Problem};

/// SplitMix64: tiny, seedable and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0, below 2³²).
    fn below(&mut self, n: usize) -> usize {
        (((self.next() >> 32) * n as u64) >> 32) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The objective as exact integers; the derived order is lexicographic in
/// field order, which is the objective's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    tiers: [i64; 3],
    covered: i64,
    weight: i64,
}

struct State<'p> {
    p: &'p Problem,
    slot_of: Vec<u32>,
    /// Meeting of each (person, slot), or NONE.
    busy: Vec<u32>,
    members: Vec<Vec<u32>>,
    /// Unplaced meetings.
    open: Vec<u32>,
    /// Position of a meeting in its slot's `members`, or in `open`.
    pos: Vec<u32>,
    /// Meetings per person.
    met: Vec<u32>,
    placed: usize,
    score: Score,
    /// (meeting, slot before): every change since the last commit.
    journal: Vec<(u32, u32)>,
    /// Meetings an ejection chain in progress must not move.
    locked: Vec<bool>,
    rng: Rng,
}

impl<'p> State<'p> {
    /// Every meeting unplaced but the kept pins.
    fn new(p: &'p Problem, seed: u64) -> Self {
        let n = p.meetings.len();
        let mut state = Self {
            p,
            slot_of: vec![NONE; n],
            busy: vec![NONE; p.people * p.slots],
            members: vec![Vec::new(); p.slots],
            open: (0..n as u32).collect(),
            pos: (0..n as u32).collect(),
            met: vec![0; p.people],
            placed: 0,
            score: Score::default(),
            journal: Vec::new(),
            locked: vec![false; n],
            rng: Rng(seed),
        };
        for (i, m) in p.meetings.iter().enumerate() {
            if let Some((s, _)) = m.fixed {
                state.assign_raw(i as u32, s);
            }
        }
        state
    }

    fn movable(&self, m: u32) -> bool {
        self.p.meetings[m as usize].fixed.is_none() && !self.locked[m as usize]
    }

    fn at(&self, person: u32, s: u32) -> u32 {
        self.busy[person as usize * self.p.slots + s as usize]
    }

    fn direct_ok(&self, m: u32, s: u32) -> bool {
        let mt = &self.p.meetings[m as usize];
        self.members[s as usize].len() < self.p.cap
            && self.at(mt.a, s) == NONE
            && self.at(mt.b, s) == NONE
    }

    fn assign_raw(&mut self, m: u32, s: u32) {
        let mt = &self.p.meetings[m as usize];
        debug_assert_eq!(self.slot_of[m as usize], NONE);
        debug_assert!(self.members[s as usize].len() < self.p.cap);
        let i = self.pos[m as usize] as usize;
        self.open.swap_remove(i);
        if let Some(&moved) = self.open.get(i) {
            self.pos[moved as usize] = i as u32;
        }
        for person in [mt.a, mt.b] {
            let k = person as usize * self.p.slots + s as usize;
            debug_assert_eq!(self.busy[k], NONE);
            self.busy[k] = m;
            self.met[person as usize] += 1;
            if self.met[person as usize] == 1 {
                self.score.covered += 1;
            }
        }
        self.pos[m as usize] = self.members[s as usize].len() as u32;
        self.members[s as usize].push(m);
        self.slot_of[m as usize] = s;
        self.placed += 1;
        self.score.tiers[mt.tier] += 1;
        self.score.weight += mt.weight;
    }

    fn unassign_raw(&mut self, m: u32) {
        let mt = &self.p.meetings[m as usize];
        let s = self.slot_of[m as usize];
        debug_assert_ne!(s, NONE);
        let list = &mut self.members[s as usize];
        let i = self.pos[m as usize] as usize;
        list.swap_remove(i);
        if let Some(&moved) = list.get(i) {
            self.pos[moved as usize] = i as u32;
        }
        for person in [mt.a, mt.b] {
            self.busy[person as usize * self.p.slots + s as usize] = NONE;
            self.met[person as usize] -= 1;
            if self.met[person as usize] == 0 {
                self.score.covered -= 1;
            }
        }
        self.pos[m as usize] = self.open.len() as u32;
        self.open.push(m);
        self.slot_of[m as usize] = NONE;
        self.placed -= 1;
        self.score.tiers[mt.tier] -= 1;
        self.score.weight -= mt.weight;
    }

    fn assign(&mut self, m: u32, s: u32) {
        self.journal.push((m, NONE));
        self.assign_raw(m, s);
    }

    fn unassign(&mut self, m: u32) {
        self.journal.push((m, self.slot_of[m as usize]));
        self.unassign_raw(m);
    }

    /// Reverts every change after journal position `mark`.
    fn undo(&mut self, mark: usize) {
        while self.journal.len() > mark {
            let (m, before) = self.journal.pop().expect("longer than mark");
            if before == NONE {
                self.unassign_raw(m);
            } else {
                self.assign_raw(m, before);
            }
        }
    }

    fn full(&self) -> bool {
        self.placed >= self.p.slots * self.p.cap
    }

    /// Places unplaced `m` without removing anything: directly (its pinned
    /// slot first, else a random free slot) or, with `depth` > 0, through an
    /// ejection chain. Leaves the state unchanged on failure.
    fn place(&mut self, m: u32, depth: u32) -> bool {
        let p = self.p;
        let mt = &p.meetings[m as usize];
        if let Some((s, _)) = mt.prefer
            && mt.slots.binary_search(&s).is_ok()
            && self.direct_ok(m, s)
        {
            self.assign(m, s);
            return true;
        }
        let (mut pick, mut seen) = (NONE, 0);
        for &s in &mt.slots {
            if self.direct_ok(m, s) {
                seen += 1;
                if self.rng.below(seen) == 0 {
                    pick = s;
                }
            }
        }
        if pick != NONE {
            self.assign(m, pick);
            return true;
        }
        // At full capacity a chain that only moves meetings cannot end.
        if depth == 0 || self.full() {
            return false;
        }
        let k = mt.slots.len();
        let start = self.rng.below(k);
        for i in 0..k {
            let s = mt.slots[(start + i) % k];
            let mark = self.journal.len();
            if self.chain(m, s, depth) {
                return true;
            }
            self.undo(mark);
        }
        false
    }

    /// Puts `m` in slot `s`, moving the meetings in its way (or, when the
    /// tables are full, one meeting of the slot) elsewhere. On failure the
    /// caller undoes.
    fn chain(&mut self, m: u32, s: u32, depth: u32) -> bool {
        let mt = &self.p.meetings[m as usize];
        let x = self.at(mt.a, s);
        let y = self.at(mt.b, s);
        let blockers: Vec<u32> = [x, y]
            .into_iter()
            .enumerate()
            .filter(|&(i, z)| z != NONE && !(i == 1 && z == x))
            .map(|(_, z)| z)
            .collect();
        if blockers.iter().any(|&z| !self.movable(z)) {
            return false;
        }
        if blockers.is_empty() {
            if self.members[s as usize].len() < self.p.cap {
                self.assign(m, s);
                return true;
            }
            let others = self.members[s as usize].clone();
            let n = others.len();
            let start = self.rng.below(n.max(1));
            for i in 0..n {
                let z = others[(start + i) % n];
                if !self.movable(z) {
                    continue;
                }
                let mark = self.journal.len();
                self.unassign(z);
                self.assign(m, s);
                self.locked[m as usize] = true;
                let ok = self.place(z, 0);
                self.locked[m as usize] = false;
                if ok {
                    return true;
                }
                self.undo(mark);
            }
            return false;
        }
        for &z in &blockers {
            self.unassign(z);
        }
        self.assign(m, s);
        self.locked[m as usize] = true;
        let ok = blockers.iter().all(|&z| self.place(z, depth - 1));
        self.locked[m as usize] = false;
        ok
    }

    /// How much the objective would miss `z`, lowest first: lowest tier,
    /// then fewest sides left (or, unplaced, reached) with no other meeting,
    /// then lightest.
    fn value(&self, z: u32) -> (usize, u32, i64) {
        let mt = &self.p.meetings[z as usize];
        let own = u32::from(self.slot_of[z as usize] != NONE);
        let alone =
            u32::from(self.met[mt.a as usize] == own) + u32::from(self.met[mt.b as usize] == own);
        (usize::MAX - mt.tier, alone, mt.weight)
    }

    /// The least valuable movable meeting of slot `s`.
    fn cheapest(&self, s: u32) -> Option<u32> {
        self.members[s as usize]
            .iter()
            .copied()
            .filter(|&z| self.movable(z))
            .min_by_key(|&z| self.value(z))
    }

    /// Tries to place unplaced `m` by pushing out what is in its way (see
    /// [`Self::enter`]). Keeps the first change that raises the objective
    /// (or keeps it, with `accept_equal`), else leaves the state unchanged.
    fn improve(&mut self, m: u32, depth: u32, accept_equal: bool) -> bool {
        let p = self.p;
        let mt = &p.meetings[m as usize];
        let before = self.score;
        let k = mt.slots.len();
        let start = self.rng.below(k);
        for i in 0..k {
            let s = mt.slots[(start + i) % k];
            let mark = self.journal.len();
            if !self.full() && self.chain(m, s, 1) {
                return true;
            }
            self.undo(mark);
            if self.enter(m, s, depth)
                && (self.score > before || (accept_equal && self.score == before))
            {
                return true;
            }
            self.undo(mark);
        }
        false
    }

    /// Puts `m` in slot `s`, evicting the meetings of its sides there and,
    /// if the tables are still full, the slot's least valuable meeting; the
    /// evicted are re-inserted by [`Self::reinsert`]. False (state to undo)
    /// when something in the way is pinned.
    fn enter(&mut self, m: u32, s: u32, depth: u32) -> bool {
        let mt = &self.p.meetings[m as usize];
        let x = self.at(mt.a, s);
        let y = self.at(mt.b, s);
        let mut evicted: Vec<u32> = [x, y]
            .into_iter()
            .enumerate()
            .filter(|&(i, z)| z != NONE && !(i == 1 && z == x))
            .map(|(_, z)| z)
            .collect();
        if evicted.iter().any(|&z| !self.movable(z)) {
            return false;
        }
        for &z in &evicted {
            self.unassign(z);
        }
        if self.members[s as usize].len() >= self.p.cap {
            let Some(z) = self.cheapest(s) else {
                return false;
            };
            self.unassign(z);
            evicted.push(z);
        }
        self.assign(m, s);
        self.locked[m as usize] = true;
        for &z in &evicted {
            self.reinsert(z, depth);
        }
        self.locked[m as usize] = false;
        true
    }

    /// Best effort to place evicted `e` again: in a free slot, else (with
    /// `depth` > 0) in the slot whose least valuable meeting is worth least,
    /// if that is worth less than `e`, else in a random slot whose meetings
    /// of `e`'s sides can move; what it displaces is re-inserted in turn.
    fn reinsert(&mut self, e: u32, depth: u32) {
        if self.place(e, 0) || depth == 0 {
            return;
        }
        let p = self.p;
        let mt = &p.meetings[e as usize];
        let own = self.value(e);
        let mut cheapest: Option<(u32, u32)> = None;
        let (mut through, mut seen) = (NONE, 0);
        for &s in &mt.slots {
            let (x, y) = (self.at(mt.a, s), self.at(mt.b, s));
            if x == NONE && y == NONE {
                if let Some(z) = self.cheapest(s)
                    && self.value(z) < own
                    && cheapest.is_none_or(|(_, c)| self.value(z) < self.value(c))
                {
                    cheapest = Some((s, z));
                }
            } else if [x, y].iter().all(|&z| z == NONE || self.movable(z)) {
                seen += 1;
                if self.rng.below(seen) == 0 {
                    through = s;
                }
            }
        }
        let (s, displaced) = match cheapest {
            Some((s, z)) => (s, vec![z]),
            None if through != NONE => {
                let (x, y) = (self.at(mt.a, through), self.at(mt.b, through));
                let blockers = if x == y || y == NONE {
                    vec![x]
                } else if x == NONE {
                    vec![y]
                } else {
                    vec![x, y]
                };
                (through, blockers)
            }
            None => return,
        };
        for &z in &displaced {
            self.unassign(z);
        }
        self.assign(e, s);
        self.locked[e as usize] = true;
        for &z in &displaced {
            self.reinsert(z, depth - 1);
        }
        self.locked[e as usize] = false;
    }

    /// Priority order: tier, then within a tier the meetings that reach
    /// someone still without a meeting, the least flexible, the heaviest.
    fn construct(&mut self) {
        let p = self.p;
        let mut order: Vec<u32> = (0..p.meetings.len() as u32)
            .filter(|&m| self.slot_of[m as usize] == NONE)
            .collect();
        order.sort_by_key(|&m| {
            let mt = &p.meetings[m as usize];
            (mt.tier, mt.slots.len(), std::cmp::Reverse(mt.weight), m)
        });
        for tier in 0..3 {
            for reach_first in [true, false] {
                for &m in &order {
                    let mt = &p.meetings[m as usize];
                    if mt.tier != tier || self.slot_of[m as usize] != NONE {
                        continue;
                    }
                    let reaches = self.met[mt.a as usize] == 0 || self.met[mt.b as usize] == 0;
                    if reach_first && !reaches {
                        continue;
                    }
                    self.place(m, 2);
                    self.journal.clear();
                }
            }
        }
    }

    /// Strict improvement passes over the unplaced meetings, by priority.
    fn polish(&mut self, passes: usize) {
        for _ in 0..passes {
            let mut order = self.open.clone();
            order.sort_by_key(|&m| (self.p.meetings[m as usize].tier, m));
            let before = self.score;
            for m in order {
                if self.slot_of[m as usize] == NONE {
                    self.improve(m, 4, false);
                    self.journal.clear();
                }
            }
            if self.score == before {
                break;
            }
        }
    }

    /// An unplaced meeting, the higher tier of two drawn.
    fn pick_open(&mut self) -> u32 {
        let first = self.open[self.rng.below(self.open.len())];
        let second = self.open[self.rng.below(self.open.len())];
        let tier = |m: u32| self.p.meetings[m as usize].tier;
        if tier(second) < tier(first) {
            second
        } else {
            first
        }
    }

    /// Re-places `pending` (placed or not) in noisy priority order.
    fn repair(&mut self, mut pending: Vec<u32>) {
        pending.sort_unstable();
        pending.dedup();
        let p = self.p;
        let shuffle = self.rng.below(10) == 0;
        let mut keyed: Vec<(usize, u32, f64, u32)> = pending
            .into_iter()
            .filter(|&m| self.slot_of[m as usize] == NONE)
            .map(|m| {
                let mt = &p.meetings[m as usize];
                let reach = u32::from(self.met[mt.a as usize] == 0)
                    + u32::from(self.met[mt.b as usize] == 0);
                let noise = self.rng.unit();
                let value = if shuffle {
                    noise
                } else {
                    mt.weight as f64 / (1u64 << 40) as f64 + 0.5 * noise
                };
                (mt.tier, 2 - reach, -value, m)
            })
            .collect();
        keyed.sort_by(|x, y| {
            (x.0, x.1)
                .cmp(&(y.0, y.1))
                .then(x.2.total_cmp(&y.2))
                .then(x.3.cmp(&y.3))
        });
        for (_, _, _, m) in keyed {
            if self.slot_of[m as usize] == NONE {
                self.place(m, 0);
            }
        }
    }

    /// Frees the meetings of one or both sides of an unplaced meeting and
    /// rebuilds them with their unplaced ones.
    fn destroy_people(&mut self) {
        let p = self.p;
        let m = self.pick_open();
        let mt = &p.meetings[m as usize];
        let people: &[u32] = match self.rng.below(3) {
            0 => &[mt.a, mt.b],
            1 => &[mt.a],
            _ => &[mt.b],
        };
        let mut pending = Vec::new();
        for &person in people {
            for s in 0..p.slots as u32 {
                let z = self.at(person, s);
                if z != NONE && self.movable(z) {
                    self.unassign(z);
                }
            }
            pending.extend(
                p.by_person[person as usize]
                    .iter()
                    .copied()
                    .filter(|&z| self.slot_of[z as usize] == NONE),
            );
        }
        self.repair(pending);
    }

    /// Frees a few meetings of one slot and rebuilds them with the unplaced
    /// meetings of the people freed.
    fn destroy_slot(&mut self) {
        let p = self.p;
        let s = self.rng.below(p.slots);
        let mut candidates: Vec<u32> = self.members[s]
            .iter()
            .copied()
            .filter(|&z| self.movable(z))
            .collect();
        if candidates.is_empty() {
            return;
        }
        let k = 1 + self.rng.below(candidates.len().min(6));
        let mut pending = Vec::new();
        for _ in 0..k {
            let z = candidates.swap_remove(self.rng.below(candidates.len()));
            self.unassign(z);
            let zt = &p.meetings[z as usize];
            for person in [zt.a, zt.b] {
                pending.extend(
                    p.by_person[person as usize]
                        .iter()
                        .copied()
                        .filter(|&o| self.slot_of[o as usize] == NONE),
                );
            }
        }
        self.repair(pending);
    }

    /// Large-neighbourhood search with threshold accepting on the weight: a
    /// step is undone if it lost a meeting of any tier or a participant, or
    /// more weight than a threshold falling to zero over the first 80% of
    /// the iterations (so the search can leave weight-only local optima and
    /// find room for more meetings). Ends on the best schedule seen.
    fn search(&mut self, iterations: u32) {
        let mut best = self.score;
        let mut best_slots = self.slot_of.clone();
        let cooling = 0.8 * f64::from(iterations.max(1));
        for it in 0..iterations {
            if self.open.is_empty() {
                break;
            }
            self.journal.clear();
            let before = self.score;
            match self.rng.below(10) {
                0..=3 => self.destroy_people(),
                4..=6 => self.destroy_slot(),
                _ => {
                    let m = self.pick_open();
                    self.improve(m, 3, true);
                }
            }
            let threshold = (WEIGHT_SLACK * (1.0 - f64::from(it) / cooling)).max(0.0) as i64;
            let kept = self.score >= before
                || (self.score.tiers == before.tiers
                    && self.score.covered == before.covered
                    && before.weight - self.score.weight <= threshold);
            if !kept {
                self.undo(0);
            } else if self.score > best {
                best = self.score;
                best_slots.copy_from_slice(&self.slot_of);
            }
        }
        self.journal.clear();
        if self.score < best {
            self.restore(&best_slots);
        }
    }

    /// Moves every meeting to its slot in `slot_of`.
    fn restore(&mut self, slot_of: &[u32]) {
        for m in 0..slot_of.len() as u32 {
            if self.slot_of[m as usize] != NONE && self.slot_of[m as usize] != slot_of[m as usize] {
                self.unassign_raw(m);
            }
        }
        for (m, &s) in slot_of.iter().enumerate() {
            if s != NONE && self.slot_of[m] == NONE {
                self.assign_raw(m as u32, s);
            }
        }
    }
}

/// The weight a search step may give up at first, in scaled units: 0.3 of
/// the largest weight.
const WEIGHT_SLACK: f64 = 0.3 * (1u64 << 40) as f64;

/// The slot (or NONE) of each meeting of `p`.
pub(super) fn solve(p: &Problem, seed: u64, iterations: u32) -> Vec<u32> {
    let mut state = State::new(p, seed);
    state.construct();
    let mut baseline = State::new(p, seed);
    for (m, &s) in first_fit(p).iter().enumerate() {
        if s != NONE && baseline.slot_of[m] == NONE {
            baseline.assign_raw(m as u32, s);
        }
    }
    if baseline.score > state.score {
        state = baseline;
    }
    state.polish(2);
    state.search(iterations);
    state.polish(2);
    state.slot_of
}

/// Greedy first fit: by tier, then input order, the first free slot.
pub(super) fn first_fit(p: &Problem) -> Vec<u32> {
    let mut state = State::new(p, 0);
    let mut order: Vec<u32> = (0..p.meetings.len() as u32)
        .filter(|&m| state.slot_of[m as usize] == NONE)
        .collect();
    order.sort_by_key(|&m| (p.meetings[m as usize].tier, p.meetings[m as usize].input));
    for m in order {
        let mt = &p.meetings[m as usize];
        if let Some(&s) = mt.slots.iter().find(|&&s| state.direct_ok(m, s)) {
            state.assign_raw(m, s);
        }
    }
    state.slot_of
}
