//! Amounts in 万元 (ten thousand yuan), the unit of budgets and contracts.
//! Stored exactly as whole yuan so sums never drift.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Wan {
    yuan: i64,
}

impl Wan {
    pub fn from_yuan(yuan: i64) -> Self {
        Self { yuan }
    }

    pub fn yuan(self) -> i64 {
        self.yuan
    }

    /// The amount in 万元 as a float, for display and JSON.
    pub fn as_wan(self) -> f64 {
        self.yuan as f64 / 10_000.0
    }

    pub fn from_wan_f64(wan: f64) -> Option<Self> {
        if !wan.is_finite() || !(0.0..=1e9).contains(&wan) {
            return None;
        }
        Some(Self {
            yuan: (wan * 10_000.0).round() as i64,
        })
    }

    /// Parses "50", "50.5", "50万", "50万元", "1,200", "１２０" (full-width).
    /// Bare numbers are 万元; "元" alone means yuan.
    pub fn parse(input: &str) -> Result<Self, String> {
        let normalized: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                '．' => '.',
                _ => c,
            })
            .filter(|c| *c != ',' && *c != '，' && !c.is_whitespace())
            .collect();
        let (number, scale) = if let Some(n) = normalized
            .strip_suffix("万元")
            .or_else(|| normalized.strip_suffix('万'))
        {
            (n, 1.0)
        } else if let Some(n) = normalized.strip_suffix('元') {
            (n, 1.0 / 10_000.0)
        } else {
            (normalized.as_str(), 1.0)
        };
        number
            .parse::<f64>()
            .ok()
            .and_then(|v| Self::from_wan_f64(v * scale))
            .ok_or_else(|| format!("\"{}\" is not a number of 万元", input.trim()))
    }
}

impl fmt::Display for Wan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = format!("{:.4}", self.as_wan());
        let text = text.trim_end_matches('0').trim_end_matches('.');
        write!(f, "{text}万元")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!(Wan::parse("50").unwrap().yuan(), 500_000);
        assert_eq!(Wan::parse("50.5万").unwrap().yuan(), 505_000);
        assert_eq!(Wan::parse("1,200万元").unwrap().yuan(), 12_000_000);
        assert_eq!(Wan::parse("８０").unwrap().yuan(), 800_000);
        assert_eq!(Wan::parse("3000元").unwrap().yuan(), 3_000);
    }

    #[test]
    fn rejects_words_and_negatives() {
        assert_eq!(
            Wan::parse("十万").unwrap_err(),
            "\"十万\" is not a number of 万元"
        );
        assert!(Wan::parse("-5").is_err());
        assert!(Wan::parse("").is_err());
    }

    #[test]
    fn displays_in_wan() {
        assert_eq!(Wan::from_yuan(505_000).to_string(), "50.5万元");
        assert_eq!(Wan::from_yuan(1_200_000).to_string(), "120万元");
    }
}
