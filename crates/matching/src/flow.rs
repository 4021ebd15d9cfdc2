//! Minimum-cost flow by successive shortest paths with Johnson potentials.
//! Augmentation stops as soon as the cheapest path no longer lowers the cost,
//! which turns "minimum cost" into "maximum total score" when costs are
//! negated scores and taking nothing is allowed.

#[derive(Debug, Clone)]
struct Edge {
    to: usize,
    cap: i64,
    cost: i64,
}

/// A flow network; edges are added in pairs (forward, residual).
#[derive(Debug, Clone, Default)]
pub struct Network {
    edges: Vec<Edge>,
    adjacency: Vec<Vec<usize>>,
}

impl Network {
    pub fn new(nodes: usize) -> Self {
        Self {
            edges: Vec::new(),
            adjacency: vec![Vec::new(); nodes],
        }
    }

    pub fn add_node(&mut self) -> usize {
        self.adjacency.push(Vec::new());
        self.adjacency.len() - 1
    }

    /// Adds an edge and returns its id (to read its flow later).
    pub fn add_edge(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        let id = self.edges.len();
        self.edges.push(Edge { to, cap, cost });
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: -cost,
        });
        self.adjacency[from].push(id);
        self.adjacency[to].push(id + 1);
        id
    }

    /// Flow on an edge returned by `add_edge`.
    pub fn flow(&self, edge: usize) -> i64 {
        self.edges[edge + 1].cap
    }

    /// Sends flow from `s` to `t` while it lowers the total cost (only
    /// negative-cost paths when `only_improving`); returns (flow, cost).
    pub fn min_cost_flow(&mut self, s: usize, t: usize, only_improving: bool) -> (i64, i64) {
        let n = self.adjacency.len();
        let mut potential = self.bellman_ford(s);
        let (mut flow, mut cost) = (0i64, 0i64);
        loop {
            // Dijkstra on reduced costs.
            let mut dist = vec![i64::MAX; n];
            let mut prev_edge = vec![usize::MAX; n];
            dist[s] = 0;
            let mut heap = std::collections::BinaryHeap::new();
            heap.push(std::cmp::Reverse((0i64, s)));
            while let Some(std::cmp::Reverse((d, u))) = heap.pop() {
                if d > dist[u] {
                    continue;
                }
                for &e in &self.adjacency[u] {
                    let edge = &self.edges[e];
                    if edge.cap <= 0 || potential[edge.to] == i64::MAX {
                        continue;
                    }
                    let nd = d + edge.cost + potential[u] - potential[edge.to];
                    if nd < dist[edge.to] {
                        dist[edge.to] = nd;
                        prev_edge[edge.to] = e;
                        heap.push(std::cmp::Reverse((nd, edge.to)));
                    }
                }
            }
            if dist[t] == i64::MAX {
                break;
            }
            for v in 0..n {
                if dist[v] != i64::MAX && potential[v] != i64::MAX {
                    potential[v] += dist[v];
                }
            }
            let path_cost = potential[t] - potential[s];
            if only_improving && path_cost >= 0 {
                break;
            }
            // Bottleneck along the path.
            let mut push = i64::MAX;
            let mut v = t;
            while v != s {
                let e = prev_edge[v];
                push = push.min(self.edges[e].cap);
                v = self.edges[e ^ 1].to;
            }
            let mut v = t;
            while v != s {
                let e = prev_edge[v];
                self.edges[e].cap -= push;
                self.edges[e ^ 1].cap += push;
                v = self.edges[e ^ 1].to;
            }
            flow += push;
            cost += push * path_cost;
        }
        (flow, cost)
    }

    /// Shortest distances from `s` with negative edge costs (no negative cycles at start).
    fn bellman_ford(&self, s: usize) -> Vec<i64> {
        let n = self.adjacency.len();
        let mut dist = vec![i64::MAX; n];
        dist[s] = 0;
        for _ in 0..n {
            let mut changed = false;
            for u in 0..n {
                if dist[u] == i64::MAX {
                    continue;
                }
                for &e in &self.adjacency[u] {
                    let edge = &self.edges[e];
                    if edge.cap > 0 && dist[u] + edge.cost < dist[edge.to] {
                        dist[edge.to] = dist[u] + edge.cost;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        dist
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cheapest_flow() {
        // s → a → t costs 1+1, s → b → t costs 2+2; both edges cap 1.
        let mut g = Network::new(4);
        g.add_edge(0, 1, 1, 1);
        g.add_edge(0, 2, 1, 2);
        g.add_edge(1, 3, 1, 1);
        g.add_edge(2, 3, 1, 2);
        assert_eq!(g.min_cost_flow(0, 3, false), (2, 6));
    }

    #[test]
    fn stops_when_more_flow_would_cost() {
        let mut g = Network::new(3);
        g.add_edge(0, 1, 2, -5);
        g.add_edge(1, 2, 1, 0);
        g.add_edge(1, 2, 1, 7);
        assert_eq!(g.min_cost_flow(0, 2, true), (1, -5));
    }
}
