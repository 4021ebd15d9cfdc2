//! Who may change what: one function answers for every write. Reads are
//! governed by the visibility rule (`qiao_core::access`) in the queries
//! themselves, so what a user may not see is absent (404), never merely
//! forbidden.

use crate::{Error, Principal};
use qiao_core::vocab::Role;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A technology need owned by an organization.
    Need { org_id: i64 },
    /// A capability listing owned by an organization.
    Capability { org_id: i64 },
    /// An organization's profile.
    Organization { id: i64 },
    /// A user account.
    User { id: i64 },
    /// Bureau work: events, projects, plans, bulk import.
    Bureau,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
    /// Approve or reject an organization.
    Review,
    /// Enable or disable an account.
    Disable,
    /// Read data that only its owner and staff see (user accounts).
    Read,
}

/// Allows or refuses `action` on `resource` for `who`.
pub fn authorize(who: &Principal, resource: Resource, action: Action) -> Result<(), Error> {
    if allowed(who, resource, action) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

pub fn allowed(who: &Principal, resource: Resource, action: Action) -> bool {
    let member_of = |org: i64| who.org_id == Some(org);
    match resource {
        Resource::User { id } => match (who.role, action) {
            (Role::Admin, _) => true,
            (Role::Staff, Action::Disable | Action::Read) => true,
            (_, Action::Read) => who.id == id,
            _ => false,
        },
        _ if who.is_staff() => true,
        Resource::Need { org_id } => who.role == Role::Enterprise && member_of(org_id),
        Resource::Capability { org_id } => who.role == Role::University && member_of(org_id),
        Resource::Organization { id } => action == Action::Update && member_of(id),
        Resource::Bureau => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthMethod;

    fn who(role: Role, org: Option<i64>) -> Principal {
        Principal {
            id: 7,
            email: "x@example.com".into(),
            role,
            org_id: org,
            method: AuthMethod::Token,
        }
    }

    #[test]
    fn owners_edit_their_own_listings_only() {
        let ent = who(Role::Enterprise, Some(1));
        assert!(authorize(&ent, Resource::Need { org_id: 1 }, Action::Update).is_ok());
        assert!(authorize(&ent, Resource::Need { org_id: 2 }, Action::Update).is_err());
        assert!(authorize(&ent, Resource::Capability { org_id: 1 }, Action::Create).is_err());
        let uni = who(Role::University, Some(3));
        assert!(authorize(&uni, Resource::Capability { org_id: 3 }, Action::Delete).is_ok());
        assert!(authorize(&uni, Resource::Need { org_id: 3 }, Action::Create).is_err());
        assert!(authorize(&uni, Resource::Organization { id: 3 }, Action::Update).is_ok());
        assert!(authorize(&uni, Resource::Organization { id: 3 }, Action::Review).is_err());
    }

    #[test]
    fn staff_run_everything_but_admins_manage_users() {
        let staff = who(Role::Staff, None);
        assert!(authorize(&staff, Resource::Need { org_id: 9 }, Action::Delete).is_ok());
        assert!(authorize(&staff, Resource::Organization { id: 9 }, Action::Review).is_ok());
        assert!(authorize(&staff, Resource::Bureau, Action::Create).is_ok());
        assert!(authorize(&staff, Resource::User { id: 1 }, Action::Disable).is_ok());
        assert!(authorize(&staff, Resource::User { id: 1 }, Action::Update).is_err());
        let admin = who(Role::Admin, None);
        assert!(authorize(&admin, Resource::User { id: 1 }, Action::Update).is_ok());
        let ent = who(Role::Enterprise, Some(1));
        assert!(authorize(&ent, Resource::User { id: 7 }, Action::Read).is_ok());
        assert!(authorize(&ent, Resource::User { id: 8 }, Action::Read).is_err());
        assert!(authorize(&ent, Resource::Bureau, Action::Create).is_err());
    }
}
