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

/// Checks a list request's paging and filters and normalises its codes.
pub fn check_list(listed: Listed, q: &mut ListQuery) -> Result<()> {
    if !(1..=MAX_LIMIT).contains(&q.limit) {
        return Err(Error::field(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    if q.offset > MAX_OFFSET {
        return Err(Error::field(
            "offset",
            format!("must be at most {MAX_OFFSET}"),
        ));
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
        assert!(check_ids("need_ids", &vec![1; MAX_IDS]).is_ok());
        assert!(check_ids("need_ids", &vec![1; MAX_IDS + 1]).is_err());
    }
}
