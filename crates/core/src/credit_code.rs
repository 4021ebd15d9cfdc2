//! Unified social credit codes (统一社会信用代码, GB 32100-2015).
//!
//! 18 characters: registration authority (1), organization category (1),
//! administrative division (6), organization code (9, GB 11714 with its own
//! check character) and a final check character over the first 17.

use serde::{Deserialize, Serialize};
use std::fmt;

const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_CODE_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("a unified social credit code has 18 characters, this one has {0}")]
    Length(usize),
    #[error("character {position} ('{ch}') is not allowed in a unified social credit code")]
    Character { position: usize, ch: char },
    #[error("characters 3-8 must be an administrative division code (digits)")]
    Division,
    #[error("the organization code check character (position 17) should be '{expected}'")]
    OrgCodeCheck { expected: char },
    #[error("the check character (position 18) should be '{expected}'")]
    Check { expected: char },
}

fn value(ch: char) -> Option<u32> {
    CHARSET.find(ch).map(|i| i as u32)
}

/// GB 11714 value: digits as themselves, letters A=10 … Z=35.
fn org_code_value(ch: char) -> u32 {
    if ch.is_ascii_digit() {
        ch as u32 - '0' as u32
    } else {
        ch as u32 - 'A' as u32 + 10
    }
}

fn org_code_check(chars: &[char]) -> char {
    let sum: u32 = chars
        .iter()
        .zip(ORG_CODE_WEIGHTS)
        .map(|(&c, w)| org_code_value(c) * w)
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).expect("digit"),
    }
}

fn final_check(chars: &[char]) -> char {
    let sum: u32 = chars
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| value(c).expect("validated") * w)
        .sum();
    let c = (31 - sum % 31) % 31;
    CHARSET.chars().nth(c as usize).expect("in charset")
}

impl CreditCode {
    pub fn parse(input: &str) -> Result<Self, CreditCodeError> {
        let s: String = input.trim().to_ascii_uppercase();
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::Length(chars.len()));
        }
        for (i, &ch) in chars.iter().enumerate() {
            if value(ch).is_none() {
                return Err(CreditCodeError::Character {
                    position: i + 1,
                    ch,
                });
            }
        }
        if !chars[2..8].iter().all(|c| c.is_ascii_digit()) {
            return Err(CreditCodeError::Division);
        }
        let expected = org_code_check(&chars[8..16]);
        if chars[16] != expected {
            return Err(CreditCodeError::OrgCodeCheck { expected });
        }
        let expected = final_check(&chars[..17]);
        if chars[17] != expected {
            return Err(CreditCodeError::Check { expected });
        }
        Ok(Self(s))
    }

    /// Completes 16 leading characters into a valid code (for tests and demo data).
    pub fn complete(prefix16: &str) -> Option<Self> {
        let mut chars: Vec<char> = prefix16.chars().collect();
        if chars.len() != 16 || chars.iter().any(|&c| value(c).is_none()) {
            return None;
        }
        chars.push(org_code_check(&chars[8..16]));
        value(chars[16])?;
        chars.push(final_check(&chars));
        Self::parse(&chars.into_iter().collect::<String>()).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_published_codes() {
        // Codes printed on public business licences.
        for code in [
            "91350100M000100Y43",
            "91110000600037341L",
            "12100000400000624D",
        ] {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
        }
        assert!(CreditCode::parse(" 91350100m000100y43 ").is_ok());
    }

    #[test]
    fn rejects_wrong_check_characters() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y44"),
            Err(CreditCodeError::Check { expected: '3' })
        );
        assert!(matches!(
            CreditCode::parse("91350100M000101Y43"),
            Err(CreditCodeError::OrgCodeCheck { .. })
        ));
        assert_eq!(CreditCode::parse("9135"), Err(CreditCodeError::Length(4)));
        assert!(matches!(
            CreditCode::parse("91350100M000100I43"),
            Err(CreditCodeError::Character {
                position: 16,
                ch: 'I'
            })
        ));
    }

    #[test]
    fn completes_prefixes_into_valid_codes() {
        let code = CreditCode::complete("9137020012345678").expect("valid");
        assert!(CreditCode::parse(code.as_str()).is_ok());
        assert_eq!(code.as_str().len(), 18);
    }
}
