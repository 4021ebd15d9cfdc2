//! Retrieval metrics for relevance tests and benchmarks.

use std::collections::HashMap;

/// Mean reciprocal rank and hit rate at `k` for known-item queries:
/// `ranked[i]` is the result list of query `i`, `targets[i]` the one
/// document it should find. Queries without a result list count as misses.
pub fn mrr_and_hits(ranked: &[Vec<String>], targets: &[String], k: usize) -> (f64, f64) {
    if targets.is_empty() {
        return (0.0, 0.0);
    }
    let mut reciprocal_ranks = 0.0;
    let mut hits = 0usize;
    for (i, target) in targets.iter().enumerate() {
        let Some(list) = ranked.get(i) else { continue };
        if let Some(pos) = list.iter().take(k).position(|id| id == target) {
            reciprocal_ranks += 1.0 / (pos as f64 + 1.0);
            hits += 1;
        }
    }
    let n = targets.len() as f64;
    (reciprocal_ranks / n, hits as f64 / n)
}

/// nDCG at `k` with gain 2^grade − 1 and a log2 discount; the ideal ranking
/// orders the judged grades. Unjudged documents count as grade 0.
pub fn ndcg_at(ranked: &[String], grades: &HashMap<String, u8>, k: usize) -> f64 {
    let gain = |g: u8| 2f64.powi(i32::from(g)) - 1.0;
    let discount = |i: usize| (i as f64 + 2.0).log2();
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, id)| gain(grades.get(id).copied().unwrap_or(0)) / discount(i))
        .sum();
    let mut ideal: Vec<u8> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .into_iter()
        .take(k)
        .enumerate()
        .map(|(i, g)| gain(g) / discount(i))
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn mrr_and_hits_count_ranks_within_k() {
        let ranked = vec![s(&["a", "b"]), s(&["x", "y", "c"]), s(&["z"])];
        let targets = s(&["a", "c", "q"]);
        let (mrr, hits) = mrr_and_hits(&ranked, &targets, 10);
        assert!((mrr - (1.0 + 1.0 / 3.0) / 3.0).abs() < 1e-12);
        assert!((hits - 2.0 / 3.0).abs() < 1e-12);
        let (mrr, hits) = mrr_and_hits(&ranked, &targets, 2);
        assert!((mrr - 1.0 / 3.0).abs() < 1e-12);
        assert!((hits - 1.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn ndcg_is_one_for_the_ideal_order() {
        let grades: HashMap<String, u8> = [("a", 2), ("b", 1), ("c", 0)]
            .iter()
            .map(|(k, g)| (k.to_string(), *g))
            .collect();
        assert!((ndcg_at(&s(&["a", "b", "c"]), &grades, 10) - 1.0).abs() < 1e-12);
        let swapped = ndcg_at(&s(&["b", "a"]), &grades, 10);
        let expected = (1.0 + 3.0 / 3f64.log2()) / (3.0 + 1.0 / 3f64.log2());
        assert!((swapped - expected).abs() < 1e-12);
        assert_eq!(ndcg_at(&s(&["z"]), &grades, 10), 0.0);
    }
}
