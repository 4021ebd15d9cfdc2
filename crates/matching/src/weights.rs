//! The weights of the match score, in one place. They are configuration:
//! `Weights::load` reads a JSON file (e.g. `$QIAO_DATA_DIR/matching.json`)
//! whose keys override these defaults, so tuning needs no code change.
//!
//! Defaults: text relevance dominates (it says whether the team works on the
//! problem at all); field, mode and maturity decide between relevant teams;
//! budget, region and capacity break ties; history is a small bonus.

use serde::{Deserialize, Serialize};

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
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("match weights: {0}")]
pub struct WeightsError(String);

impl Weights {
    /// Parses a JSON object of weights; missing keys keep their defaults.
    pub fn from_json(text: &str) -> Result<Self, WeightsError> {
        let w: Weights = serde_json::from_str(text).map_err(|e| WeightsError(e.to_string()))?;
        let all = [
            w.text, w.field, w.mode, w.maturity, w.budget, w.region, w.capacity, w.history,
        ];
        if all.iter().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(WeightsError(
                "weights must be finite and not negative".into(),
            ));
        }
        Ok(w)
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
}
