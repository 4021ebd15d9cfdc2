//! An authenticated user as the use cases see them: who acts, with which
//! role, for which organization.

use qiao_core::Actor;
use qiao_core::access::Scope;
use qiao_core::vocab::{Role, Vocabulary};

/// How the request proved who it is; a session can be ended by logging out.
#[derive(Debug, Clone)]
pub enum AuthMethod {
    Session { digest: String, csrf: String },
    Token,
}

#[derive(Debug, Clone)]
pub struct Principal {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub org_id: Option<i64>,
    /// The organization's admin member: decides who may join it.
    pub org_admin: bool,
    pub method: AuthMethod,
}

impl Principal {
    /// The principal of an enabled account with a known role.
    pub fn of_account(account: &crate::accounts::Account, method: AuthMethod) -> Option<Self> {
        if account.disabled {
            return None;
        }
        Some(Self {
            id: account.id,
            email: account.email.clone(),
            role: Role::from_code(&account.role)?,
            org_id: account.org_id,
            org_admin: account.org_admin && account.org_id.is_some(),
            method,
        })
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.email)
    }

    pub fn scope(&self) -> Scope {
        if self.is_staff() {
            Scope::All
        } else {
            self.org_id.map_or(Scope::Public, Scope::Member)
        }
    }
}

/// The requester, authenticated or not.
#[derive(Debug, Clone, Default)]
pub struct Viewer(pub Option<Principal>);

impl Viewer {
    pub fn scope(&self) -> Scope {
        self.0.as_ref().map_or(Scope::Public, Principal::scope)
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.0.as_ref()
    }
}
