//! Where an organization is: a district or county of the city, elsewhere in
//! China, or abroad. Local first matters for matching and for the plan.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The districts and counties of the city served by this deployment.
pub const CITY_DISTRICTS: &[&str] = &[
    "市南区",
    "市北区",
    "西海岸新区",
    "高新区",
    "城阳区",
    "即墨区",
    "胶州市",
    "平度市",
    "莱西市",
    "崂山区",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionScope {
    Local,
    Domestic,
    Abroad,
}

impl RegionScope {
    pub fn code(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Domestic => "domestic",
            Self::Abroad => "abroad",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Local, Self::Domestic, Self::Abroad]
            .into_iter()
            .find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Region {
    pub scope: RegionScope,
    /// District name, "省市" for domestic, country for abroad.
    pub name: String,
}

impl Region {
    /// Parses "高新区" (a city district), "江苏省南京市", "境外:德国" / "abroad:Germany".
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        if s.is_empty() {
            return Err("region is empty".into());
        }
        for prefix in ["境外:", "境外：", "abroad:", "Abroad:"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                let name = rest.trim();
                if name.is_empty() {
                    return Err(format!("\"{s}\" names no country"));
                }
                return Ok(Self {
                    scope: RegionScope::Abroad,
                    name: name.to_string(),
                });
            }
        }
        if let Some(d) = CITY_DISTRICTS.iter().find(|d| **d == s) {
            return Ok(Self {
                scope: RegionScope::Local,
                name: d.to_string(),
            });
        }
        if s.chars().count() > 60 {
            return Err("region is longer than 60 characters".into());
        }
        Ok(Self {
            scope: RegionScope::Domestic,
            name: s.to_string(),
        })
    }

    pub fn from_parts(scope: &str, name: &str) -> Option<Self> {
        Some(Self {
            scope: RegionScope::from_code(scope)?,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope {
            RegionScope::Abroad => write!(f, "境外:{}", self.name),
            _ => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_three_scopes() {
        assert_eq!(Region::parse("高新区").unwrap().scope, RegionScope::Local);
        assert_eq!(
            Region::parse("江苏省南京市").unwrap().scope,
            RegionScope::Domestic
        );
        let r = Region::parse("境外：德国").unwrap();
        assert_eq!((r.scope, r.name.as_str()), (RegionScope::Abroad, "德国"));
        assert_eq!(r.to_string(), "境外:德国");
        assert!(Region::parse("  ").is_err());
    }
}
