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
    /// A user account with its role (for creation: the role it will have).
    User { id: i64, role: Role },
    /// Who may join an organization (membership requests).
    Membership { org_id: i64 },
    /// Bureau work: events, projects, plans, bulk import.
    Bureau,
    /// A cooperation project's progress (milestones reached, notes), which
    /// its partners report; `partner`: the acting user's organization is
    /// one of the project's partners.
    ProjectProgress { partner: bool },
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
        Resource::User { id, role } => match (who.role, action) {
            (Role::Admin, _) => true,
            (Role::Staff, Action::Read) => true,
            // Staff keep the platform's users in order, not each other or the admins.
            (Role::Staff, Action::Disable) => !matches!(role, Role::Staff | Role::Admin),
            (_, Action::Read) => who.id == id,
            _ => false,
        },
        _ if who.is_staff() => true,
        Resource::Need { org_id } => who.role == Role::Enterprise && member_of(org_id),
        Resource::Capability { org_id } => who.role == Role::University && member_of(org_id),
        Resource::Organization { id } => action == Action::Update && member_of(id),
        Resource::Membership { org_id } => {
            matches!(action, Action::Review | Action::Read) && who.org_admin && member_of(org_id)
        }
        Resource::Bureau => false,
        Resource::ProjectProgress { partner } => {
            partner && matches!(action, Action::Update | Action::Create)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AuthMethod;

    fn who(id: i64, role: Role, org: Option<i64>) -> Principal {
        Principal {
            id,
            email: "x@example.com".into(),
            role,
            org_id: org,
            org_admin: false,
            method: AuthMethod::Token,
        }
    }

    const ACTIONS: [Action; 6] = [
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Review,
        Action::Disable,
        Action::Read,
    ];

    /// Role × resource × action: every combination not listed as allowed is refused.
    #[test]
    fn the_write_policy_table() {
        use Action::*;
        let enterprise = who(1, Role::Enterprise, Some(10));
        let university = who(2, Role::University, Some(20));
        let loner = who(3, Role::Enterprise, None);
        let staff = who(4, Role::Staff, None);
        let admin = who(5, Role::Admin, None);
        let resources = [
            ("own need", Resource::Need { org_id: 10 }),
            ("other need", Resource::Need { org_id: 20 }),
            ("university capability", Resource::Capability { org_id: 20 }),
            ("other capability", Resource::Capability { org_id: 30 }),
            ("org 10", Resource::Organization { id: 10 }),
            ("org 20", Resource::Organization { id: 20 }),
            (
                "user 1",
                Resource::User {
                    id: 1,
                    role: Role::Enterprise,
                },
            ),
            (
                "user 2",
                Resource::User {
                    id: 2,
                    role: Role::University,
                },
            ),
            (
                "user 4 (staff)",
                Resource::User {
                    id: 4,
                    role: Role::Staff,
                },
            ),
            (
                "user 5 (admin)",
                Resource::User {
                    id: 5,
                    role: Role::Admin,
                },
            ),
            ("org 10 members", Resource::Membership { org_id: 10 }),
            ("bureau", Resource::Bureau),
            (
                "partner project",
                Resource::ProjectProgress { partner: true },
            ),
            (
                "other project",
                Resource::ProjectProgress { partner: false },
            ),
        ];
        let listing_and_bureau = |r: &str| !r.starts_with("user");
        let mut org_admin = who(6, Role::Enterprise, Some(10));
        org_admin.org_admin = true;
        let table: Vec<(&Principal, &str, Vec<Action>)> = vec![
            (
                &enterprise,
                "own need",
                vec![Create, Update, Delete, Review, Disable, Read],
            ),
            (
                &org_admin,
                "own need",
                vec![Create, Update, Delete, Review, Disable, Read],
            ),
            (&org_admin, "org 10", vec![Update]),
            (&org_admin, "org 10 members", vec![Review, Read]),
            (&enterprise, "org 10", vec![Update]),
            (&enterprise, "user 1", vec![Read]),
            (
                &university,
                "university capability",
                vec![Create, Update, Delete, Review, Disable, Read],
            ),
            (&university, "org 20", vec![Update]),
            (&university, "user 2", vec![Read]),
            (&loner, "user 3", vec![]),
            (&enterprise, "partner project", vec![Create, Update]),
            (&org_admin, "partner project", vec![Create, Update]),
            (&university, "partner project", vec![Create, Update]),
            (&loner, "partner project", vec![Create, Update]),
            (&staff, "user 1", vec![Disable, Read]),
            (&staff, "user 2", vec![Disable, Read]),
            (&staff, "user 4 (staff)", vec![Read]),
            (&staff, "user 5 (admin)", vec![Read]),
        ];
        for principal in [&enterprise, &org_admin, &university, &loner, &staff, &admin] {
            for (name, resource) in resources {
                for action in ACTIONS {
                    let staff_work = principal.role == Role::Staff && listing_and_bureau(name);
                    let expected = principal.role == Role::Admin
                        || staff_work
                        || table.iter().any(|(p, r, actions)| {
                            p.id == principal.id && *r == name && actions.contains(&action)
                        });
                    assert_eq!(
                        allowed(principal, resource, action),
                        expected,
                        "{:?} {action:?} on {name}",
                        principal.role
                    );
                }
            }
        }
    }
}
