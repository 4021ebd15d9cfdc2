//! Plan-wide assignment: choose need–capability proposals that maximise the
//! total score, with at most `per_need` proposals per need, each capability
//! within its remaining capacity, and optionally at most `per_group`
//! proposals per university. Solved exactly as a min-cost flow; `greedy` is
//! the baseline it is measured against.

use crate::flow::Network;

/// A candidate proposal with its score (higher is better).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub need: usize,
    pub capability: usize,
    pub score: f64,
}

#[derive(Debug, Clone, Default)]
pub struct Problem {
    pub needs: usize,
    /// Proposals per need (k).
    pub per_need: u32,
    /// Remaining capacity of each capability.
    pub capacities: Vec<u32>,
    /// The university (group) of each capability, if any.
    pub groups: Vec<Option<usize>>,
    /// Proposals per university (m); `None` for no limit.
    pub per_group: Option<u32>,
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Indices into `Problem::candidates`.
    pub chosen: Vec<usize>,
    pub total: f64,
    pub needs_covered: usize,
}

/// Scores become integer costs at this resolution.
const SCALE: f64 = 1_000_000.0;

fn solution(p: &Problem, mut chosen: Vec<usize>) -> Solution {
    chosen.sort_unstable();
    let total = chosen.iter().map(|&i| p.candidates[i].score).sum();
    let mut covered = vec![false; p.needs];
    for &i in &chosen {
        covered[p.candidates[i].need] = true;
    }
    Solution {
        chosen,
        total,
        needs_covered: covered.iter().filter(|c| **c).count(),
    }
}

/// The optimal set of proposals.
pub fn exact(p: &Problem) -> Solution {
    let caps = p.capacities.len();
    let group_count = p.groups.iter().flatten().map(|g| g + 1).max().unwrap_or(0);
    let source = 0;
    let sink = 1;
    let need_node = |i: usize| 2 + i;
    let cap_node = |j: usize| 2 + p.needs + j;
    let group_node = |g: usize| 2 + p.needs + caps + g;
    let mut net = Network::new(2 + p.needs + caps + group_count);
    for i in 0..p.needs {
        net.add_edge(source, need_node(i), p.per_need as i64, 0);
    }
    let unlimited = p.needs as i64 * p.per_need as i64;
    for j in 0..caps {
        match p.groups.get(j).copied().flatten() {
            Some(g) => net.add_edge(cap_node(j), group_node(g), p.capacities[j] as i64, 0),
            None => net.add_edge(cap_node(j), sink, p.capacities[j] as i64, 0),
        };
    }
    for g in 0..group_count {
        let limit = p.per_group.map_or(unlimited, |m| m as i64);
        net.add_edge(group_node(g), sink, limit, 0);
    }
    let edges: Vec<(usize, usize)> = p
        .candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.score > 0.0)
        .map(|(idx, c)| {
            (
                idx,
                net.add_edge(
                    need_node(c.need),
                    cap_node(c.capability),
                    1,
                    -(c.score * SCALE).round() as i64,
                ),
            )
        })
        .collect();
    net.min_cost_flow(source, sink, true);
    solution(
        p,
        edges
            .into_iter()
            .filter(|(_, e)| net.flow(*e) > 0)
            .map(|(idx, _)| idx)
            .collect(),
    )
}

/// Best-first: take proposals in order of score while constraints allow.
pub fn greedy(p: &Problem) -> Solution {
    let mut order: Vec<usize> = (0..p.candidates.len())
        .filter(|&i| p.candidates[i].score > 0.0)
        .collect();
    order.sort_by(|&a, &b| p.candidates[b].score.total_cmp(&p.candidates[a].score));
    let mut need_used = vec![0u32; p.needs];
    let mut cap_used = vec![0u32; p.capacities.len()];
    let mut group_used = std::collections::HashMap::new();
    let mut chosen = Vec::new();
    for i in order {
        let c = &p.candidates[i];
        let group = p.groups.get(c.capability).copied().flatten();
        let group_ok = match (group, p.per_group) {
            (Some(g), Some(m)) => *group_used.get(&g).unwrap_or(&0) < m,
            _ => true,
        };
        if need_used[c.need] < p.per_need
            && cap_used[c.capability] < p.capacities[c.capability]
            && group_ok
        {
            need_used[c.need] += 1;
            cap_used[c.capability] += 1;
            if let Some(g) = group {
                *group_used.entry(g).or_insert(0) += 1;
            }
            chosen.push(i);
        }
    }
    solution(p, chosen)
}

/// Whether a set of proposals respects every constraint (used by tests).
pub fn feasible(p: &Problem, chosen: &[usize]) -> bool {
    let mut need_used = vec![0u32; p.needs];
    let mut cap_used = vec![0u32; p.capacities.len()];
    let mut group_used = std::collections::HashMap::new();
    let mut pairs = std::collections::HashSet::new();
    for &i in chosen {
        let c = &p.candidates[i];
        if !pairs.insert((c.need, c.capability)) {
            return false;
        }
        need_used[c.need] += 1;
        cap_used[c.capability] += 1;
        if let Some(g) = p.groups.get(c.capability).copied().flatten() {
            *group_used.entry(g).or_insert(0u32) += 1;
        }
    }
    need_used.iter().all(|&u| u <= p.per_need)
        && cap_used.iter().zip(&p.capacities).all(|(u, c)| u <= c)
        && p.per_group
            .is_none_or(|m| group_used.values().all(|&u| u <= m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn brute_force(p: &Problem) -> f64 {
        let n = p.candidates.len();
        let mut best = 0.0f64;
        for mask in 0u32..(1 << n) {
            let chosen: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
            if feasible(p, &chosen) {
                best = best.max(chosen.iter().map(|&i| p.candidates[i].score).sum());
            }
        }
        best
    }

    fn random_problem(rng: &mut rand::rngs::StdRng) -> Problem {
        let needs = rng.gen_range(1..=4);
        let caps = rng.gen_range(1..=4);
        let mut candidates = Vec::new();
        for need in 0..needs {
            for capability in 0..caps {
                if rng.gen_bool(0.6) && candidates.len() < 12 {
                    candidates.push(Candidate {
                        need,
                        capability,
                        score: (rng.gen_range(1..100) as f64) / 10.0,
                    });
                }
            }
        }
        Problem {
            needs,
            per_need: rng.gen_range(1..=3),
            capacities: (0..caps).map(|_| rng.gen_range(0..=3)).collect(),
            groups: (0..caps)
                .map(|_| {
                    if rng.gen_bool(0.7) {
                        Some(rng.gen_range(0..2))
                    } else {
                        None
                    }
                })
                .collect(),
            per_group: if rng.gen_bool(0.5) {
                Some(rng.gen_range(1..=3))
            } else {
                None
            },
            candidates,
        }
    }

    #[test]
    fn exact_matches_brute_force_on_small_cases() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
        for case in 0..400 {
            let p = random_problem(&mut rng);
            let s = exact(&p);
            assert!(
                feasible(&p, &s.chosen),
                "case {case}: infeasible {s:?} for {p:?}"
            );
            let best = brute_force(&p);
            assert!(
                (s.total - best).abs() < 1e-6,
                "case {case}: exact {} vs brute force {best} for {p:?}",
                s.total
            );
            assert!(greedy(&p).total <= s.total + 1e-9);
        }
    }

    #[test]
    fn exact_beats_greedy_where_greedy_is_short_sighted() {
        // Greedy gives the one strong capability to need 0 and leaves need 1 empty.
        let p = Problem {
            needs: 2,
            per_need: 1,
            capacities: vec![1, 1],
            groups: vec![None, None],
            per_group: None,
            candidates: vec![
                Candidate {
                    need: 0,
                    capability: 0,
                    score: 10.0,
                },
                Candidate {
                    need: 0,
                    capability: 1,
                    score: 9.0,
                },
                Candidate {
                    need: 1,
                    capability: 0,
                    score: 8.0,
                },
            ],
        };
        let g = greedy(&p);
        let e = exact(&p);
        assert_eq!((g.total, g.needs_covered), (10.0, 1));
        assert_eq!((e.total, e.needs_covered), (17.0, 2));
    }

    #[test]
    fn university_limits_hold() {
        let p = Problem {
            needs: 3,
            per_need: 1,
            capacities: vec![5, 5],
            groups: vec![Some(0), Some(0)],
            per_group: Some(1),
            candidates: (0..3)
                .map(|need| Candidate {
                    need,
                    capability: need % 2,
                    score: 1.0,
                })
                .collect(),
        };
        assert_eq!(exact(&p).chosen.len(), 1);
    }
}
