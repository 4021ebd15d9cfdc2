//! Technology readiness levels 1–9 (GB/T 22900-2022) and the stage names
//! Chinese users speak of: 实验室, 小试, 中试, 产业化.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Trl(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Laboratory,
    Bench,
    Pilot,
    Industrial,
}

impl Stage {
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Laboratory => "实验室",
            Self::Bench => "小试",
            Self::Pilot => "中试",
            Self::Industrial => "产业化",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::Laboratory => "Laboratory",
            Self::Bench => "Bench scale",
            Self::Pilot => "Pilot scale",
            Self::Industrial => "Industrial",
        }
    }

    /// The lowest level of the stage, used when a stage name is given for a level.
    pub fn min_trl(self) -> Trl {
        Trl(match self {
            Self::Laboratory => 1,
            Self::Bench => 4,
            Self::Pilot => 6,
            Self::Industrial => 8,
        })
    }
}

impl Trl {
    pub fn new(level: u8) -> Option<Self> {
        (1..=9).contains(&level).then_some(Self(level))
    }

    pub fn level(self) -> u8 {
        self.0
    }

    pub fn stage(self) -> Stage {
        match self.0 {
            1..=3 => Stage::Laboratory,
            4..=5 => Stage::Bench,
            6..=7 => Stage::Pilot,
            _ => Stage::Industrial,
        }
    }

    /// Accepts 1–9, "TRL6", or a stage name (实验室/小试/中试/产业化, or English).
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let digits = s.trim_start_matches("TRL").trim_start_matches("trl").trim();
        if let Ok(n) = digits.parse::<f64>()
            && n.fract() == 0.0
            && let Some(t) = Self::new(n as u8)
        {
            return Ok(t);
        }
        for stage in [
            Stage::Laboratory,
            Stage::Bench,
            Stage::Pilot,
            Stage::Industrial,
        ] {
            if s == stage.label_zh()
                || s.trim_end_matches("阶段") == stage.label_zh()
                || s.eq_ignore_ascii_case(stage.label_en())
            {
                return Ok(stage.min_trl());
            }
        }
        Err(format!(
            "\"{s}\" is not a technology readiness level (1-9, or 实验室/小试/中试/产业化)"
        ))
    }
}

impl TryFrom<u8> for Trl {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        Self::new(v).ok_or_else(|| format!("{v} is not a technology readiness level (1-9)"))
    }
}

impl From<Trl> for u8 {
    fn from(t: Trl) -> u8 {
        t.0
    }
}

impl fmt::Display for Trl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TRL{}（{}）", self.0, self.stage().label_zh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_cover_the_levels() {
        assert_eq!(Trl::new(3).unwrap().stage(), Stage::Laboratory);
        assert_eq!(Trl::new(5).unwrap().stage(), Stage::Bench);
        assert_eq!(Trl::new(7).unwrap().stage(), Stage::Pilot);
        assert_eq!(Trl::new(9).unwrap().stage(), Stage::Industrial);
        assert!(Trl::new(0).is_none() && Trl::new(10).is_none());
    }

    #[test]
    fn parses_numbers_and_stage_names() {
        assert_eq!(Trl::parse("6").unwrap().level(), 6);
        assert_eq!(Trl::parse("TRL 7").unwrap().level(), 7);
        assert_eq!(Trl::parse("中试").unwrap().level(), 6);
        assert_eq!(Trl::parse("产业化阶段").unwrap().level(), 8);
        assert!(Trl::parse("10").is_err());
        assert!(Trl::parse("成熟").is_err());
        assert_eq!(Trl::new(6).unwrap().to_string(), "TRL6（中试）");
    }
}
