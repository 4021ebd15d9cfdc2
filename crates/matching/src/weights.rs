//! The weights of the match score, the confidence bands and the lexical
//! ranking parameters, in one place. They are configuration:
//! [`Weights::from_json`] reads a JSON file (`$QIAO_DATA_DIR/matching.json`)
//! whose keys override these defaults, so tuning needs no code change.
//!
//! Defaults: text relevance dominates (it says whether the team works on the
//! problem at all); field, mode and maturity decide between relevant teams;
//! budget, region and capacity break ties; history is a small bonus.
//!
//! The confidence bands and the lexical parameters are measured, not
//! guessed: `qiao bench match` cross-validates them on the graded
//! development needs (5 folds by need id) and prints the values calibrated
//! on all of them, which are the defaults below.

use serde::{Deserialize, Serialize};

use crate::confidence::Bands;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    pub text: f64,
    pub field: f64,
    pub mode: f64,
    pub maturity: f64,
    pub budget: f64,
    pub region: f64,
    pub capacity: f64,
    pub history: f64,
    /// Share of the text weight that similarity by meaning takes when an
    /// embedding model is active, 0–1 (the rest stays with the words).
    pub semantic_share: f64,
    /// How the model's cosine similarity becomes the semantic factor, and
    /// the bands read from the blended relevance.
    pub semantic: Meaning,
    /// Relevance thresholds of the confidence bands (words alone).
    pub confidence: Bands,
    /// Parameters of the lexical ranking of long texts.
    pub lexical: Lexical,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            text: 0.60,
            field: 0.10,
            mode: 0.06,
            maturity: 0.08,
            budget: 0.05,
            region: 0.04,
            capacity: 0.03,
            history: 0.04,
            semantic_share: 0.5,
            semantic: Meaning::default(),
            confidence: Bands::default(),
            lexical: Lexical::default(),
        }
    }
}

/// The lexical ranking's parameters (`qiao_search::SuggestParams`, which
/// documents each); kept here so that one file configures matching.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Lexical {
    pub coverage: f64,
    pub length_exponent: f64,
    pub generic_weight: f64,
    pub full_coverage: f64,
}

impl Default for Lexical {
    fn default() -> Self {
        Self {
            coverage: 0.5,
            length_exponent: 0.2,
            generic_weight: 0.5,
            full_coverage: 0.25,
        }
    }
}

/// Similarity by meaning as the scorer reads it. Within one language the
/// model's cosines crowd into a narrow range (unrelated Chinese texts still
/// score about 0.75), so the cosine is mapped linearly from
/// `floor..=ceiling` onto 0..=1: an absolute scale, comparable across
/// needs, which the confidence bands can read. (Across languages the
/// embeddings' cosine is first brought onto the same scale; see
/// `qiao_app::embeddings`.)
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Meaning {
    pub floor: f64,
    pub ceiling: f64,
    /// Relevance thresholds of the confidence bands when the relevance
    /// blends words and meaning.
    pub confidence: Bands,
}

impl Default for Meaning {
    fn default() -> Self {
        Self {
            floor: 0.82,
            ceiling: 0.94,
            confidence: Bands {
                strong: 0.54,
                fair: 0.47,
            },
        }
    }
}

impl Meaning {
    /// The semantic factor of a cosine similarity, 0..=1.
    pub fn value(&self, cosine: f64) -> f64 {
        let span = (self.ceiling - self.floor).max(f64::EPSILON);
        ((cosine - self.floor) / span).clamp(0.0, 1.0)
    }

    fn check(&self) -> bool {
        self.floor.is_finite()
            && self.ceiling.is_finite()
            && -1.0 <= self.floor
            && self.floor < self.ceiling
            && self.ceiling <= 1.0
    }
}

#[derive(Debug, thiserror::Error)]
#[error("match weights: {0}")]
pub struct WeightsError(String);

impl Weights {
    /// Parses a JSON object of weights; missing keys keep their defaults.
    pub fn from_json(text: &str) -> Result<Self, WeightsError> {
        let w: Weights = serde_json::from_str(text).map_err(|e| WeightsError(e.to_string()))?;
        w.check()?;
        Ok(w)
    }

    /// Whether every value is within its range.
    pub fn check(&self) -> Result<(), WeightsError> {
        let all = [
            self.text,
            self.field,
            self.mode,
            self.maturity,
            self.budget,
            self.region,
            self.capacity,
            self.history,
        ];
        if all.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(WeightsError(
                "weights must be finite and not negative".into(),
            ));
        }
        let unit = |v: f64| (0.0..=1.0).contains(&v);
        if !unit(self.semantic_share) {
            return Err(WeightsError(
                "semantic_share must be between 0 and 1".into(),
            ));
        }
        let bands_ok = |b: Bands| unit(b.strong) && unit(b.fair) && b.fair <= b.strong;
        if !bands_ok(self.confidence) || !bands_ok(self.semantic.confidence) {
            return Err(WeightsError(
                "confidence thresholds must satisfy 0 ≤ fair ≤ strong ≤ 1".into(),
            ));
        }
        if !self.semantic.check() {
            return Err(WeightsError(
                "semantic: floor and ceiling must satisfy -1 ≤ floor < ceiling ≤ 1".into(),
            ));
        }
        let l = self.lexical;
        if !(unit(l.coverage)
            && unit(l.generic_weight)
            && (0.0..=2.0).contains(&l.length_exponent)
            && l.full_coverage > 0.0
            && l.full_coverage <= 1.0)
        {
            return Err(WeightsError(
                "lexical: coverage and generic_weight must be 0–1, length_exponent 0–2, full_coverage above 0 and at most 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_override_some_weights() {
        let w = Weights::from_json(r#"{"text": 0.5, "history": 0.1}"#).unwrap();
        assert_eq!(
            (w.text, w.history, w.field),
            (0.5, 0.1, Weights::default().field)
        );
        assert!(
            Weights::from_json(r#"{"txet": 0.5}"#).is_err(),
            "typos are caught"
        );
        assert!(Weights::from_json(r#"{"text": -1}"#).is_err());
    }

    #[test]
    fn bands_and_lexical_parameters_are_overridden_key_by_key() {
        let w = Weights::from_json(
            r#"{"confidence": {"strong": 0.5}, "lexical": {"generic_weight": 1.0}}"#,
        )
        .unwrap();
        assert_eq!(w.confidence.strong, 0.5);
        assert_eq!(w.confidence.fair, Bands::default().fair);
        assert_eq!(w.lexical.generic_weight, 1.0);
        assert_eq!(w.lexical.coverage, Lexical::default().coverage);
        for bad in [
            r#"{"confidence": {"strong": 0.1, "fair": 0.2}}"#,
            r#"{"confidence": {"strng": 0.5}}"#,
            r#"{"semantic_share": 1.5}"#,
            r#"{"semantic": {"floor": 0.9, "ceiling": 0.8}}"#,
            r#"{"semantic": {"confidence": {"strong": 0.2, "fair": 0.3}}}"#,
            r#"{"lexical": {"full_coverage": 0}}"#,
            r#"{"lexical": {"coverage": 2}}"#,
        ] {
            assert!(Weights::from_json(bad).is_err(), "{bad}");
        }
        Weights::default().check().unwrap();
    }

    #[test]
    fn cosines_map_onto_the_unit_range_between_floor_and_ceiling() {
        let m = Meaning {
            floor: 0.8,
            ceiling: 0.9,
            ..Meaning::default()
        };
        assert_eq!(m.value(0.7), 0.0);
        assert!((m.value(0.85) - 0.5).abs() < 1e-9);
        assert_eq!(m.value(0.95), 1.0);
    }
}
