//! Confidence bands: whether a suggestion is a strong, fair or weak match.
//!
//! A band is read from the pair's relevance (the text relevance, blended
//! with similarity by meaning when an embedding model is active), not from
//! the whole score: field, mode, budget and the other factors say whether a
//! relevant team fits, not whether it works on the problem. Two thresholds
//! split the relevance into bands.
//!
//! The thresholds are calibrated on graded judgments (2: the team could take
//! the need on, 1: partly relevant, 0: not relevant) by [`calibrate`], which
//! maximises the agreement of band and grade as quadratic weighted kappa,
//! the usual measure of agreement on an ordinal scale: it counts a weak
//! band on a grade-2 document as a worse miss than a fair one, and it does
//! not reward calling everything weak although most documents are grade 0.
//! `qiao bench match` calibrates them on four folds of the development needs
//! and measures on the fifth.

use qiao_core::vocab::Confidence;
use serde::{Deserialize, Serialize};

/// Relevance thresholds: `strong` at or above `strong`, `fair` at or above
/// `fair`, `weak` below.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bands {
    pub strong: f64,
    pub fair: f64,
}

impl Default for Bands {
    /// Calibrated on all 40 development needs (`qiao bench match`).
    fn default() -> Self {
        Self {
            strong: 0.49,
            fair: 0.25,
        }
    }
}

impl Bands {
    pub fn band(&self, relevance: f64) -> Confidence {
        if relevance >= self.strong {
            Confidence::Strong
        } else if relevance >= self.fair {
            Confidence::Fair
        } else {
            Confidence::Weak
        }
    }
}

/// The relevance a band is read from: the text relevance, or with a
/// similarity by meaning, the two mixed by `semantic_share` as the score
/// mixes them.
pub fn relevance(text: f64, semantic: Option<f64>, semantic_share: f64) -> f64 {
    let text = text.clamp(0.0, 1.0);
    match semantic {
        Some(meaning) => {
            let share = semantic_share.clamp(0.0, 1.0);
            (1.0 - share) * text + share * meaning.clamp(0.0, 1.0)
        }
        None => text,
    }
}

/// A judged suggestion: its relevance and the grade of its document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judged {
    pub relevance: f64,
    /// 0, 1 or 2; higher grades count as 2.
    pub grade: u8,
}

/// How often each band holds each grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Table {
    /// `counts[band][grade]`, bands in the order strong, fair, weak and
    /// grades in the order 2, 1, 0.
    pub counts: [[usize; 3]; 3],
}

/// Position of a band in a [`Table`] row, and its level on the grade scale.
fn row(band: Confidence) -> usize {
    match band {
        Confidence::Strong => 0,
        Confidence::Fair => 1,
        Confidence::Weak => 2,
    }
}

impl Table {
    pub fn of(samples: &[Judged], bands: &Bands) -> Self {
        let mut t = Self::default();
        for s in samples {
            t.add(bands.band(s.relevance), s.grade);
        }
        t
    }

    pub fn add(&mut self, band: Confidence, grade: u8) {
        self.counts[row(band)][2 - usize::from(grade.min(2))] += 1;
    }

    pub fn merge(&mut self, other: &Table) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            for (m, t) in mine.iter_mut().zip(theirs) {
                *m += t;
            }
        }
    }

    /// Documents in a band.
    pub fn in_band(&self, band: Confidence) -> usize {
        self.counts[row(band)].iter().sum()
    }

    /// Share of a band's documents that have `grade`; 0 for an empty band.
    pub fn share(&self, band: Confidence, grade: u8) -> f64 {
        let all = self.in_band(band);
        if all == 0 {
            return 0.0;
        }
        self.counts[row(band)][2 - usize::from(grade.min(2))] as f64 / all as f64
    }

    /// Quadratic weighted kappa between band (strong 2, fair 1, weak 0) and
    /// grade: 1 for full agreement, 0 for what chance gives; 0 when either
    /// side is constant.
    pub fn kappa(&self) -> f64 {
        // Rows and columns both run from level 2 down to 0.
        let n: usize = self.counts.iter().flatten().sum();
        if n == 0 {
            return 0.0;
        }
        let rows: Vec<f64> = self
            .counts
            .iter()
            .map(|r| r.iter().sum::<usize>() as f64)
            .collect();
        let cols: Vec<f64> = (0..3)
            .map(|j| self.counts.iter().map(|r| r[j]).sum::<usize>() as f64)
            .collect();
        let (mut observed, mut expected) = (0.0, 0.0);
        for (i, (counts, row)) in self.counts.iter().zip(&rows).enumerate() {
            for (j, (count, col)) in counts.iter().zip(&cols).enumerate() {
                let w = ((i as f64) - (j as f64)).powi(2) / 4.0;
                observed += w * *count as f64;
                expected += w * row * col / n as f64;
            }
        }
        if expected <= 0.0 {
            0.0
        } else {
            1.0 - observed / expected
        }
    }
}

/// Step of the thresholds tried by [`calibrate`]: relevances are shown with
/// two decimals, so finer thresholds would only fit the sample.
pub const STEP: f64 = 0.01;

/// The thresholds, on a grid of [`STEP`], under which bands agree best with
/// grades (quadratic weighted kappa); of equally good ones the lowest.
pub fn calibrate(samples: &[Judged]) -> Bands {
    let steps = (1.0 / STEP).round() as usize;
    let at = |i: usize| (i as f64 * STEP * 100.0).round() / 100.0;
    let mut best = (f64::NEG_INFINITY, Bands::default());
    for fair in 0..=steps {
        for strong in fair..=steps {
            let bands = Bands {
                strong: at(strong),
                fair: at(fair),
            };
            let kappa = Table::of(samples, &bands).kappa();
            if kappa > best.0 + 1e-12 {
                best = (kappa, bands);
            }
        }
    }
    best.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(f64, u8)]) -> Vec<Judged> {
        pairs
            .iter()
            .map(|&(relevance, grade)| Judged { relevance, grade })
            .collect()
    }

    #[test]
    fn bands_split_at_their_thresholds() {
        let b = Bands {
            strong: 0.5,
            fair: 0.2,
        };
        assert_eq!(b.band(0.5), Confidence::Strong);
        assert_eq!(b.band(0.49), Confidence::Fair);
        assert_eq!(b.band(0.2), Confidence::Fair);
        assert_eq!(b.band(0.19), Confidence::Weak);
        assert_eq!(relevance(0.8, None, 0.5), 0.8);
        assert!((relevance(0.8, Some(0.4), 0.5) - 0.6).abs() < 1e-12);
    }

    #[test]
    fn kappa_is_one_for_agreement_and_zero_for_a_constant_band() {
        let samples = judged(&[(0.9, 2), (0.5, 1), (0.1, 0), (0.05, 0)]);
        let exact = Bands {
            strong: 0.8,
            fair: 0.3,
        };
        assert!((Table::of(&samples, &exact).kappa() - 1.0).abs() < 1e-12);
        let all_weak = Bands {
            strong: 1.0,
            fair: 1.0,
        };
        assert_eq!(Table::of(&samples, &all_weak).kappa(), 0.0);
        let t = Table::of(&samples, &exact);
        assert_eq!(t.counts, [[1, 0, 0], [0, 1, 0], [0, 0, 2]]);
        assert_eq!(t.in_band(Confidence::Weak), 2);
        assert_eq!(t.share(Confidence::Strong, 2), 1.0);
    }

    #[test]
    fn calibration_finds_separating_thresholds() {
        let samples = judged(&[
            (0.91, 2),
            (0.72, 2),
            (0.55, 1),
            (0.48, 1),
            (0.40, 1),
            (0.30, 0),
            (0.12, 0),
            (0.05, 0),
        ]);
        let b = calibrate(&samples);
        assert!(b.strong > 0.55 && b.strong <= 0.72, "{b:?}");
        assert!(b.fair > 0.30 && b.fair <= 0.40, "{b:?}");
        assert!((Table::of(&samples, &b).kappa() - 1.0).abs() < 1e-12);
    }
}
