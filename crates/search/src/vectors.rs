//! Nearest neighbours among listing vectors: for each kind a row-major
//! matrix of unit vectors, searched exactly by dot product (= cosine).
//!
//! Reading every `f32` vector once per query is bound by memory bandwidth
//! (1.5 KiB per 384-dimensional vector), so each vector is also kept as
//! 8-bit codes with a scale and the norm of its rounding error. A query
//! first scans the codes (a quarter of the bytes), which gives every score
//! within a proven bound; only vectors whose upper bound reaches the k-th
//! best lower bound are scored again in `f32`. The result is the same as
//! scoring everything in `f32`. [`measure_knn`] measures a query.
//!
//! Which listings may be returned is the caller's business (the visibility
//! rule): `nearest` takes a predicate and asks it only about vectors near
//! the top.

use crate::DocKind;
use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

/// Lanes summed side by side: enough independent accumulators for the
/// compiler to keep several SIMD registers busy.
const LANES: usize = 16;
/// Lanes of the 8-bit dot product (32 bytes a step).
const CODE_LANES: usize = 32;
/// Largest 8-bit code.
const CODE_MAX: f32 = 127.0;
/// Slack for `f32` rounding in the bounds (scores are in [-1, 1]; rounding
/// over 384 terms stays near 1e-5).
const ROUNDING: f32 = 1e-4;

/// Dot product of two equally long slices, written so that it vectorises
/// (chunks of 16 into 16 partial sums, then a tree sum).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    let (a_chunks, a_rest) = a.as_chunks::<LANES>();
    let (b_chunks, b_rest) = b.as_chunks::<LANES>();
    let mut acc = [0f32; LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            acc[i] += acc[i + width];
        }
    }
    acc[0] + a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
}

/// Dot product of 8-bit codes, exact in `i32` (|sum| ≤ len · 127²).
/// Inlined into the scan: as a call it measured three to four times slower.
#[inline(always)]
fn dot_codes(a: &[i8], b: &[i8]) -> i32 {
    let (a_chunks, a_rest) = a.as_chunks::<CODE_LANES>();
    let (b_chunks, b_rest) = b.as_chunks::<CODE_LANES>();
    let mut acc = [0i32; CODE_LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..CODE_LANES {
            acc[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    acc.iter().sum::<i32>()
        + a_rest
            .iter()
            .zip(b_rest)
            .map(|(x, y)| i32::from(*x) * i32::from(*y))
            .sum::<i32>()
}

/// `v` scaled to unit length (a zero vector stays zero).
pub fn normalized(v: &[f32]) -> Vec<f32> {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// A vector as 8-bit codes: `v ≈ scale · codes`, `error = |v − scale · codes|`.
struct Quantized {
    codes: Vec<i8>,
    scale: f32,
    error: f32,
}

fn quantize(v: &[f32]) -> Quantized {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 || !max.is_finite() {
        return Quantized {
            codes: vec![0; v.len()],
            scale: 0.0,
            error: if max == 0.0 { 0.0 } else { f32::INFINITY },
        };
    }
    let scale = max / CODE_MAX;
    let codes: Vec<i8> = v
        .iter()
        .map(|x| (x / scale).round().clamp(-CODE_MAX, CODE_MAX) as i8)
        .collect();
    let error = v
        .iter()
        .zip(&codes)
        .map(|(x, c)| {
            let d = x - scale * f32::from(*c);
            d * d
        })
        .sum::<f32>()
        .sqrt();
    Quantized {
        codes,
        scale,
        error,
    }
}

/// One kind's vectors.
#[derive(Debug, Default, Clone)]
struct Matrix {
    ids: Vec<i64>,
    /// `ids.len() * dim` values, row `r` belonging to `ids[r]`.
    data: Vec<f32>,
    /// The same rows as 8-bit codes.
    codes: Vec<i8>,
    scales: Vec<f32>,
    errors: Vec<f32>,
    rows: HashMap<i64, usize>,
}

/// A vector of the wrong length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("vector of {got} dimensions where {expected} are expected")]
pub struct DimensionMismatch {
    pub expected: usize,
    pub got: usize,
}

/// Unit vectors of needs and capabilities, by listing id.
#[derive(Debug, Clone)]
pub struct VectorIndex {
    dim: usize,
    needs: Matrix,
    capabilities: Matrix,
}

/// A scored candidate; the heap's top is the worst kept so far.
#[derive(Debug, Clone, Copy)]
struct Scored {
    score: f32,
    id: i64,
}

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    /// "Greater" is worse: lower score, then (for equal scores) higher id.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.id.cmp(&other.id))
    }
}

/// An `f32` ordered totally, for the heap of lower bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Total(f32);
impl Eq for Total {}
impl PartialOrd for Total {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Total {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl VectorIndex {
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            needs: Matrix::default(),
            capabilities: Matrix::default(),
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    fn matrix(&self, kind: DocKind) -> &Matrix {
        match kind {
            DocKind::Need => &self.needs,
            DocKind::Capability => &self.capabilities,
        }
    }

    fn matrix_mut(&mut self, kind: DocKind) -> &mut Matrix {
        match kind {
            DocKind::Need => &mut self.needs,
            DocKind::Capability => &mut self.capabilities,
        }
    }

    /// How many vectors of a kind it holds.
    pub fn len(&self, kind: DocKind) -> usize {
        self.matrix(kind).ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.needs.ids.is_empty() && self.capabilities.ids.is_empty()
    }

    /// Adds a listing's vector, or replaces the one it had; stored normalised.
    pub fn upsert(
        &mut self,
        kind: DocKind,
        id: i64,
        vector: &[f32],
    ) -> Result<(), DimensionMismatch> {
        let dim = self.dim;
        if vector.len() != dim {
            return Err(DimensionMismatch {
                expected: dim,
                got: vector.len(),
            });
        }
        let unit = normalized(vector);
        let q = quantize(&unit);
        let m = self.matrix_mut(kind);
        match m.rows.get(&id) {
            Some(&row) => {
                m.data[row * dim..(row + 1) * dim].copy_from_slice(&unit);
                m.codes[row * dim..(row + 1) * dim].copy_from_slice(&q.codes);
                m.scales[row] = q.scale;
                m.errors[row] = q.error;
            }
            None => {
                m.rows.insert(id, m.ids.len());
                m.ids.push(id);
                m.data.extend_from_slice(&unit);
                m.codes.extend_from_slice(&q.codes);
                m.scales.push(q.scale);
                m.errors.push(q.error);
            }
        }
        Ok(())
    }

    /// Drops a listing's vector; false if it had none.
    pub fn remove(&mut self, kind: DocKind, id: i64) -> bool {
        let dim = self.dim;
        let m = self.matrix_mut(kind);
        let Some(row) = m.rows.remove(&id) else {
            return false;
        };
        // The last row takes the freed place.
        let last = m.ids.len() - 1;
        if row != last {
            m.data.copy_within(last * dim..(last + 1) * dim, row * dim);
            m.codes.copy_within(last * dim..(last + 1) * dim, row * dim);
            m.ids[row] = m.ids[last];
            m.scales[row] = m.scales[last];
            m.errors[row] = m.errors[last];
            m.rows.insert(m.ids[row], row);
        }
        m.ids.pop();
        m.scales.pop();
        m.errors.pop();
        m.data.truncate(last * dim);
        m.codes.truncate(last * dim);
        true
    }

    /// A listing's (normalised) vector.
    pub fn get(&self, kind: DocKind, id: i64) -> Option<&[f32]> {
        let m = self.matrix(kind);
        let row = *m.rows.get(&id)?;
        Some(&m.data[row * self.dim..(row + 1) * self.dim])
    }

    /// Ids of a kind, in no particular order.
    pub fn ids(&self, kind: DocKind) -> &[i64] {
        &self.matrix(kind).ids
    }

    /// The `k` listings of `kind` closest to `query` (normalised here), best
    /// first, with their cosine similarity; ties go to the lower id. Only
    /// listings `allow` accepts are returned; it is asked only about those
    /// near the top.
    pub fn nearest(
        &self,
        kind: DocKind,
        query: &[f32],
        k: usize,
        mut allow: impl FnMut(i64) -> bool,
    ) -> Vec<(i64, f32)> {
        let dim = self.dim;
        if k == 0 || query.len() != dim || dim == 0 {
            return Vec::new();
        }
        let query = normalized(query);
        let q = quantize(&query);
        let m = self.matrix(kind);

        // Pass 1, over the codes: each score lies within `bound` of `approx`.
        // `threshold` is the k-th best lower bound among allowed listings:
        // k of them score at least that, so a listing whose upper bound is
        // below it cannot make the top k.
        let mut lower: BinaryHeap<Reverse<Total>> = BinaryHeap::with_capacity(k + 1);
        let mut threshold = f32::NEG_INFINITY;
        // (row, upper bound, whether `allow` said yes already)
        let mut candidates: Vec<(usize, f32, bool)> = Vec::new();
        let mut prune_at = 4 * k + 1024;
        for (row, codes) in m.codes.chunks_exact(dim).enumerate() {
            let approx = m.scales[row] * q.scale * dot_codes(&q.codes, codes) as f32;
            let e = m.errors[row];
            let bound = e + q.error * (1.0 + e) + ROUNDING;
            let upper = approx + bound;
            if upper < threshold {
                continue;
            }
            let low = approx - bound;
            let mut asked = false;
            if lower.len() < k || low > threshold {
                if !allow(m.ids[row]) {
                    continue;
                }
                asked = true;
                lower.push(Reverse(Total(low)));
                if lower.len() > k {
                    lower.pop();
                }
                if lower.len() == k {
                    threshold = lower.peek().map_or(f32::NEG_INFINITY, |r| r.0.0);
                }
            }
            candidates.push((row, upper, asked));
            if candidates.len() >= prune_at {
                candidates.retain(|c| c.1 >= threshold);
                prune_at = (2 * candidates.len()).max(4 * k + 1024);
            }
        }

        // Pass 2: the remaining candidates scored in f32.
        let mut top: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
        for (row, upper, asked) in candidates {
            if upper < threshold {
                continue;
            }
            let id = m.ids[row];
            if !asked && !allow(id) {
                continue;
            }
            let score = dot(&query, &m.data[row * dim..(row + 1) * dim]);
            top.push(Scored { score, id });
            if top.len() > k {
                top.pop();
            }
        }
        top.into_sorted_vec()
            .into_iter()
            .map(|s| (s.id, s.score))
            .collect()
    }
}

/// A small deterministic generator, so measurements need no dependency.
struct XorShift(u64);

impl XorShift {
    fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        // Uniform in [-1, 1).
        (self.0 >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    fn unit(&mut self, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim).map(|_| self.next_f32()).collect();
        normalized(&v)
    }
}

/// Latency of one exact top-20 query among `n` random unit vectors of
/// `dim` dimensions, all allowed: (p50, p99) over 200 queries, after one
/// to warm up. Single-threaded, as a request runs it.
pub fn measure_knn(n: usize, dim: usize) -> (Duration, Duration) {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut index = VectorIndex::new(dim);
    for id in 0..n {
        index
            .upsert(DocKind::Capability, id as i64, &rng.unit(dim))
            .expect("dimension");
    }
    let queries: Vec<Vec<f32>> = (0..201).map(|_| rng.unit(dim)).collect();
    let mut times = Vec::with_capacity(200);
    for (i, q) in queries.iter().enumerate() {
        let start = Instant::now();
        let found = index.nearest(DocKind::Capability, q, 20, |_| true);
        let elapsed = start.elapsed();
        std::hint::black_box(found);
        if i > 0 {
            times.push(elapsed);
        }
    }
    times.sort();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    (at(0.50), at(0.99))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every allowed vector scored in f32, the reference `nearest` must equal.
    fn brute(
        index: &VectorIndex,
        kind: DocKind,
        q: &[f32],
        k: usize,
        allow: impl Fn(i64) -> bool,
    ) -> Vec<(i64, f32)> {
        let q = normalized(q);
        let mut all: Vec<(i64, f32)> = index
            .ids(kind)
            .iter()
            .filter(|id| allow(**id))
            .map(|&id| (id, dot(&q, index.get(kind, id).unwrap())))
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    #[test]
    fn dot_matches_the_plain_sum_at_every_length() {
        let mut rng = XorShift(7);
        for len in [0usize, 1, 15, 16, 17, 33, 384] {
            let a: Vec<f32> = (0..len).map(|_| rng.next_f32()).collect();
            let b: Vec<f32> = (0..len).map(|_| rng.next_f32()).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - plain).abs() < 1e-4, "{len}");
            let ca: Vec<i8> = (0..len)
                .map(|i| ((i * 37 % 255) as i32 - 127) as i8)
                .collect();
            let cb: Vec<i8> = (0..len)
                .map(|i| ((i * 11 % 255) as i32 - 127) as i8)
                .collect();
            let plain: i32 = ca.iter().zip(&cb).map(|(x, y)| *x as i32 * *y as i32).sum();
            assert_eq!(dot_codes(&ca, &cb), plain, "{len}");
        }
    }

    #[test]
    fn the_rounding_error_bounds_the_code_score() {
        let mut rng = XorShift(3);
        for _ in 0..200 {
            let (a, b) = (rng.unit(384), rng.unit(384));
            let (qa, qb) = (quantize(&a), quantize(&b));
            let approx = qa.scale * qb.scale * dot_codes(&qa.codes, &qb.codes) as f32;
            let bound = qa.error + qb.error * (1.0 + qa.error) + ROUNDING;
            assert!((dot(&a, &b) - approx).abs() <= bound);
            assert!(qa.error < 0.02, "{}", qa.error);
        }
    }

    #[test]
    fn nearest_equals_scoring_everything_and_respects_the_filter() {
        let mut rng = XorShift(42);
        for (dim, n) in [(24, 500), (384, 3_000)] {
            let mut index = VectorIndex::new(dim);
            let base = rng.unit(dim);
            for id in 0..n {
                // Half the vectors cluster around one direction: many close scores.
                let v = if id % 2 == 0 {
                    let noise = rng.unit(dim);
                    base.iter().zip(&noise).map(|(b, x)| b + 0.05 * x).collect()
                } else {
                    rng.unit(dim)
                };
                index.upsert(DocKind::Need, id, &v).unwrap();
            }
            // Exact duplicates tie: the lower id goes first.
            let dup = index.get(DocKind::Need, 10).unwrap().to_vec();
            index.upsert(DocKind::Need, n + 10, &dup).unwrap();
            for round in 0..30 {
                let q = if round % 3 == 0 {
                    base.clone()
                } else {
                    rng.unit(dim)
                };
                for k in [1, 10, 50] {
                    let got = index.nearest(DocKind::Need, &q, k, |_| true);
                    assert_eq!(
                        got,
                        brute(&index, DocKind::Need, &q, k, |_| true),
                        "{dim} {k}"
                    );
                    let odd = |id: i64| id % 3 != 0;
                    let mut asked = 0;
                    let got = index.nearest(DocKind::Need, &q, k, |id| {
                        asked += 1;
                        odd(id)
                    });
                    assert_eq!(got, brute(&index, DocKind::Need, &q, k, odd));
                    assert!(asked < n as usize, "{asked} predicate calls");
                }
            }
            let on_dup = index.nearest(DocKind::Need, &dup, 2, |_| true);
            assert_eq!(
                on_dup.iter().map(|p| p.0).collect::<Vec<_>>(),
                vec![10, n + 10]
            );
        }
        let index = VectorIndex::new(8);
        assert!(
            index
                .nearest(DocKind::Capability, &[1.0; 8], 5, |_| true)
                .is_empty()
        );
        assert!(
            index.nearest(DocKind::Need, &[1.0], 5, |_| true).is_empty(),
            "wrong length"
        );
    }

    #[test]
    fn upsert_replaces_and_remove_keeps_the_rest_intact() {
        let mut index = VectorIndex::new(3);
        index
            .upsert(DocKind::Capability, 1, &[1.0, 0.0, 0.0])
            .unwrap();
        index
            .upsert(DocKind::Capability, 2, &[0.0, 2.0, 0.0])
            .unwrap();
        index
            .upsert(DocKind::Capability, 3, &[0.0, 0.0, 3.0])
            .unwrap();
        assert_eq!(
            index.get(DocKind::Capability, 2),
            Some(&[0.0, 1.0, 0.0][..])
        );
        index
            .upsert(DocKind::Capability, 2, &[0.0, 0.0, -1.0])
            .unwrap();
        assert_eq!(index.len(DocKind::Capability), 3);
        let best = index.nearest(DocKind::Capability, &[0.0, 0.0, 1.0], 3, |_| true);
        assert_eq!(best[0], (3, 1.0));
        assert_eq!(best[2], (2, -1.0));
        assert!(index.remove(DocKind::Capability, 1));
        assert!(!index.remove(DocKind::Capability, 1));
        assert_eq!(
            index.get(DocKind::Capability, 3),
            Some(&[0.0, 0.0, 1.0][..])
        );
        assert_eq!(
            index.get(DocKind::Capability, 2),
            Some(&[0.0, 0.0, -1.0][..])
        );
        assert_eq!(index.len(DocKind::Capability), 2);
        let best = index.nearest(DocKind::Capability, &[0.0, 0.0, 1.0], 3, |_| true);
        assert_eq!(
            best,
            vec![(3, 1.0), (2, -1.0)],
            "codes moved with their rows"
        );
        // A zero vector scores zero everywhere.
        index
            .upsert(DocKind::Capability, 4, &[0.0, 0.0, 0.0])
            .unwrap();
        let best = index.nearest(DocKind::Capability, &[0.0, 1.0, 0.0], 3, |_| true);
        assert_eq!(best[0].1, 0.0);
        assert_eq!(
            index.upsert(DocKind::Need, 9, &[1.0]),
            Err(DimensionMismatch {
                expected: 3,
                got: 1
            })
        );
        assert_eq!(index.len(DocKind::Need), 0);
    }

    #[test]
    fn measurement_runs_at_test_size() {
        let (p50, p99) = measure_knn(1_000, 32);
        assert!(p50 <= p99);
    }
}
