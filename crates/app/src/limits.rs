//! Bounds on what a client controls: list filters and paging, id lists.
//! Each limit answers 422 naming the field, never a database error.

use crate::{Error, Result};
use qiao_core::stored::ListQuery;
use qiao_core::vocab::{
    CapabilityKind, CapabilityStatus, Field, NeedStatus, OrgKind, ReviewStatus, Visibility,
    Vocabulary,
};

/// Ids in one request body (key-project needs, a plan's needs).
pub const MAX_IDS: usize = 1000;
/// Page size of list endpoints.
pub const MAX_LIMIT: u64 = 100;
/// SQL takes a signed 64-bit offset.
pub const MAX_OFFSET: u64 = i64::MAX as u64;
/// Keys a list may be sorted by (`title` and `name` are one key); `-` first sorts descending.
pub use qiao_store::listings::SORT_KEYS;

/// What is being listed, for the filters that apply to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Needs,
    Capabilities,
    Organizations,
}

/// Replaces a filter's code or label by its code, or says what is allowed.
fn vocab<V: Vocabulary>(field: &str, value: &mut Option<String>) -> Result<()> {
    if let Some(v) = value.as_deref() {
        let term = V::parse(v)
            .ok_or_else(|| Error::field(field, qiao_core::vocab::unknown_term::<V>(v)))?;
        *value = Some(term.code().to_string());
    }
    Ok(())
}

fn refuse(field: &str, value: &Option<String>, what: &str) -> Result<()> {
    match value {
        Some(_) => Err(Error::field(field, format!("does not apply to {what}"))),
        None => Ok(()),
    }
}

/// Checks a page of a list: `limit` 1–[`MAX_LIMIT`], `offset` within SQL's i64.
pub fn check_page(limit: u64, offset: u64) -> Result<()> {
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Error::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    check_offset(offset)
}

/// Refuses an offset SQL (and the index) cannot take.
pub fn check_offset(offset: u64) -> Result<()> {
    if offset > MAX_OFFSET {
        return Err(Error::field(
            "offset",
            format!("must be at most {MAX_OFFSET}"),
        ));
    }
    Ok(())
}

/// Checks a list request's paging and filters and normalises its codes.
pub fn check_list(listed: Listed, q: &mut ListQuery) -> Result<()> {
    check_page(q.limit, q.offset)?;
    if let Some(sort) = q.sort.as_deref() {
        let key = sort.strip_prefix('-').unwrap_or(sort);
        if !SORT_KEYS.contains(&key) {
            return Err(Error::BadRequest(format!(
                "cannot sort by \"{sort}\"; use one of {}, with - first for descending",
                SORT_KEYS.join(", ")
            )));
        }
    }
    vocab::<Field>("field", &mut q.field)?;
    match listed {
        Listed::Needs => {
            vocab::<NeedStatus>("status", &mut q.status)?;
            vocab::<Visibility>("visibility", &mut q.visibility)?;
            refuse("kind", &q.kind, "needs")?;
        }
        Listed::Capabilities => {
            vocab::<CapabilityStatus>("status", &mut q.status)?;
            vocab::<CapabilityKind>("kind", &mut q.kind)?;
            refuse("visibility", &q.visibility, "capabilities")?;
        }
        Listed::Organizations => {
            vocab::<ReviewStatus>("status", &mut q.status)?;
            vocab::<OrgKind>("kind", &mut q.kind)?;
            refuse("visibility", &q.visibility, "organizations")?;
        }
    }
    Ok(())
}

/// A JSON number that is a whole number fitting `i32`: `3` and `3.0` alike,
/// as JSON (and JSON Schema's `integer`) have them.
pub fn whole_i32(v: &serde_json::Value) -> Option<i32> {
    let n = v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    })?;
    i32::try_from(n).ok()
}

/// Refuses an id list longer than [`MAX_IDS`].
pub fn check_ids(field: &str, ids: &[i64]) -> Result<()> {
    if ids.len() > MAX_IDS {
        return Err(Error::field(
            field,
            format!("at most {MAX_IDS} ids, not {}", ids.len()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query() -> ListQuery {
        ListQuery {
            limit: 20,
            ..Default::default()
        }
    }

    #[test]
    fn labels_become_codes_and_unknown_values_are_refused() {
        let mut q = query();
        q.status = Some("已发布".into());
        q.field = Some("marine_equipment".into());
        check_list(Listed::Needs, &mut q).unwrap();
        assert_eq!(q.status.as_deref(), Some("published"));
        let mut q = query();
        q.visibility = Some("secret".into());
        assert!(matches!(
            check_list(Listed::Needs, &mut q),
            Err(Error::Invalid(_))
        ));
        let mut q = query();
        q.visibility = Some("public".into());
        assert!(check_list(Listed::Capabilities, &mut q).is_err());
    }

    #[test]
    fn paging_is_bounded() {
        let mut q = query();
        q.offset = 1 << 63;
        assert!(check_list(Listed::Organizations, &mut q).is_err());
        q.offset = MAX_OFFSET;
        assert!(check_list(Listed::Organizations, &mut q).is_ok());
        q.limit = 0;
        assert!(check_list(Listed::Organizations, &mut q).is_err());
        q.limit = 1;
        for sort in ["-updated_at", "name", "-id"] {
            q.sort = Some(sort.into());
            assert!(check_list(Listed::Organizations, &mut q).is_ok(), "{sort}");
        }
        for sort in ["", "-", "password", " title"] {
            q.sort = Some(sort.into());
            assert!(
                matches!(check_list(Listed::Needs, &mut q), Err(Error::BadRequest(_))),
                "{sort}"
            );
        }
        assert!(check_ids("need_ids", &vec![1; MAX_IDS]).is_ok());
        assert_eq!(whole_i32(&serde_json::json!(3.0)), Some(3));
        assert_eq!(whole_i32(&serde_json::json!(-2)), Some(-2));
        assert_eq!(whole_i32(&serde_json::json!(2.5)), None);
        assert_eq!(whole_i32(&serde_json::json!(1e12)), None);
        assert_eq!(whole_i32(&serde_json::json!("3")), None);
        assert!(check_ids("need_ids", &vec![1; MAX_IDS + 1]).is_err());
    }
}
