//! Upper bounds through the bipartite double cover: each meeting (a, b)
//! becomes the arcs a→b′ and b→a′, each person's two copies get its slot
//! count as capacity and the total gets twice the event's table capacity. Any
//! schedule sends two units per meeting, so half the maximum flow bounds the
//! meetings, and half the maximum-weight flow bounds the weight.

use super::Bound;
use super::prepare::Problem;
use crate::flow::Network;
use std::collections::VecDeque;

pub(super) fn compute(p: &Problem) -> Bound {
    let all: Vec<usize> = (0..p.meetings.len()).collect();
    let of_tiers = |tiers: &[usize]| -> Vec<usize> {
        all.iter()
            .copied()
            .filter(|&i| tiers.contains(&p.meetings[i].tier))
            .collect()
    };
    let per_tier = [0, 1, 2].map(|t| meetings_bound(p, &of_tiers(&[t]), false));
    let cumulative = [
        per_tier[0],
        meetings_bound(p, &of_tiers(&[0, 1]), false),
        meetings_bound(p, &all, false),
    ];
    let mut reachable = vec![false; p.people];
    for m in &p.meetings {
        reachable[m.a as usize] = true;
        reachable[m.b as usize] = true;
    }
    let reachable = reachable.iter().filter(|&&r| r).count();
    // Meetings covering k people number at least k minus a maximum matching.
    let meetings = cumulative[2];
    let matching = meetings_bound(p, &all, true);
    Bound {
        per_tier,
        cumulative,
        participants: reachable.min(2 * meetings).min(meetings + matching),
        weight: weight_bound(p),
    }
}

/// Per person, the slots in which it could attend one of `meetings`.
fn person_caps(p: &Problem, meetings: &[usize]) -> Vec<i64> {
    let mut open = vec![false; p.people * p.slots];
    for &i in meetings {
        let m = &p.meetings[i];
        for &s in &m.slots {
            open[m.a as usize * p.slots + s as usize] = true;
            open[m.b as usize * p.slots + s as usize] = true;
        }
    }
    (0..p.people)
        .map(|q| {
            let row = &open[q * p.slots..(q + 1) * p.slots];
            row.iter().filter(|&&o| o).count() as i64
        })
        .collect()
}

/// Slots in which at least one of `meetings` could take place.
fn open_slots(p: &Problem, meetings: &[usize]) -> i64 {
    let mut open = vec![false; p.slots];
    for &i in meetings {
        for &s in &p.meetings[i].slots {
            open[s as usize] = true;
        }
    }
    open.iter().filter(|&&o| o).count() as i64
}

/// Half the maximum double-cover flow over `meetings`; with `matching`, each
/// person has capacity 1 and there is no table limit (a fractional matching).
fn meetings_bound(p: &Problem, meetings: &[usize], matching: bool) -> usize {
    if meetings.is_empty() {
        return 0;
    }
    let caps = if matching {
        vec![1; p.people]
    } else {
        person_caps(p, meetings)
    };
    let total = if matching {
        i64::MAX / 4
    } else {
        2 * open_slots(p, meetings) * p.cap as i64
    };
    let (source, sink, hub) = (0, 1, 2);
    let left = |q: usize| 3 + q;
    let right = |q: usize| 3 + p.people + q;
    let mut g = Dinic::new(3 + 2 * p.people);
    g.add_edge(source, hub, total);
    for (q, &c) in caps.iter().enumerate() {
        if c > 0 {
            g.add_edge(hub, left(q), c);
            g.add_edge(right(q), sink, c);
        }
    }
    for &i in meetings {
        let m = &p.meetings[i];
        let (a, b) = (m.a as usize, m.b as usize);
        g.add_edge(left(a), right(b), 1);
        g.add_edge(left(b), right(a), 1);
    }
    (g.max_flow(source, sink) / 2) as usize
}

/// Half the maximum-weight double-cover flow, weights rounded up so the
/// integer flow never undercuts the real bound.
fn weight_bound(p: &Problem) -> f64 {
    let all: Vec<usize> = (0..p.meetings.len()).collect();
    let max_value = p.meetings.iter().map(|m| m.value).fold(0.0f64, f64::max);
    if max_value <= 0.0 {
        return 0.0;
    }
    let scale = (1e9f64).min((1u64 << 40) as f64 / max_value);
    let caps = person_caps(p, &all);
    let (source, sink, hub) = (0, 1, 2);
    let left = |q: usize| 3 + q;
    let right = |q: usize| 3 + p.people + q;
    let mut g = Network::new(3 + 2 * p.people);
    g.add_edge(source, hub, 2 * open_slots(p, &all) * p.cap as i64, 0);
    for (q, &c) in caps.iter().enumerate() {
        if c > 0 {
            g.add_edge(hub, left(q), c, 0);
            g.add_edge(right(q), sink, c, 0);
        }
    }
    for m in &p.meetings {
        let cost = -(m.value * scale).ceil() as i64;
        let (a, b) = (m.a as usize, m.b as usize);
        g.add_edge(left(a), right(b), 1, cost);
        g.add_edge(left(b), right(a), 1, cost);
    }
    let (_, cost) = g.min_cost_flow(source, sink, true);
    (-cost) as f64 / 2.0 / scale
}

/// Maximum flow by Dinic's algorithm (blocking flows on BFS levels).
struct Dinic {
    to: Vec<usize>,
    cap: Vec<i64>,
    adjacency: Vec<Vec<usize>>,
}

impl Dinic {
    fn new(nodes: usize) -> Self {
        Self {
            to: Vec::new(),
            cap: Vec::new(),
            adjacency: vec![Vec::new(); nodes],
        }
    }

    fn add_edge(&mut self, from: usize, to: usize, cap: i64) {
        self.adjacency[from].push(self.to.len());
        self.to.push(to);
        self.cap.push(cap);
        self.adjacency[to].push(self.to.len());
        self.to.push(from);
        self.cap.push(0);
    }

    fn max_flow(&mut self, s: usize, t: usize) -> i64 {
        let n = self.adjacency.len();
        let mut flow = 0;
        loop {
            let mut level = vec![usize::MAX; n];
            level[s] = 0;
            let mut queue = VecDeque::from([s]);
            while let Some(u) = queue.pop_front() {
                for &e in &self.adjacency[u] {
                    if self.cap[e] > 0 && level[self.to[e]] == usize::MAX {
                        level[self.to[e]] = level[u] + 1;
                        queue.push_back(self.to[e]);
                    }
                }
            }
            if level[t] == usize::MAX {
                return flow;
            }
            let mut next = vec![0; n];
            loop {
                let pushed = self.augment(s, t, i64::MAX, &level, &mut next);
                if pushed == 0 {
                    break;
                }
                flow += pushed;
            }
        }
    }

    fn augment(
        &mut self,
        u: usize,
        t: usize,
        limit: i64,
        level: &[usize],
        next: &mut [usize],
    ) -> i64 {
        if u == t {
            return limit;
        }
        while next[u] < self.adjacency[u].len() {
            let e = self.adjacency[u][next[u]];
            let v = self.to[e];
            if self.cap[e] > 0 && level[v] == level[u] + 1 {
                let pushed = self.augment(v, t, limit.min(self.cap[e]), level, next);
                if pushed > 0 {
                    self.cap[e] -= pushed;
                    self.cap[e ^ 1] += pushed;
                    return pushed;
                }
            }
            next[u] += 1;
        }
        0
    }
}
