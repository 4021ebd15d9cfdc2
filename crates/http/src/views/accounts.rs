//! User accounts, sessions and API tokens as the API returns them.

use qiao_app::accounts::{Account, Token};
use serde::Serialize;
use utoipa::ToSchema;

/// A user account.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDoc {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    /// `enterprise`, `university`, `staff` or `admin`.
    pub role: String,
    #[schema(required = true)]
    pub org_id: Option<i64>,
    pub disabled: bool,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(required = true, format = DateTime)]
    pub last_login_at: Option<String>,
}

impl From<Account> for UserDoc {
    fn from(a: Account) -> Self {
        // Destructured in full: a new account field needs a decision here.
        let Account {
            id,
            email,
            display_name,
            role,
            org_id,
            // Not part of the account's answer (yet): the contract predates it.
            org_admin: _,
            disabled,
            created_at,
            last_login_at,
        } = a;
        Self {
            id,
            email,
            display_name,
            role,
            org_id,
            disabled,
            created_at: created_at.to_rfc3339(),
            last_login_at: last_login_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// The signed-in user and, for a web session, the CSRF token to send with writes.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionDoc {
    pub user: UserDoc,
    /// Null when the request was authenticated with an API token.
    #[schema(required = true)]
    pub csrf_token: Option<String>,
}

/// An API token; `token` is present only in the answer that creates it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenDoc {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(required = true, format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(required = true, format = DateTime)]
    pub revoked_at: Option<String>,
    /// The secret for `Authorization: Bearer …`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token: Option<String>,
}

impl TokenDoc {
    /// A token as listed, without its secret.
    pub fn listed(t: Token) -> Self {
        let Token {
            id,
            name,
            prefix,
            created_at,
            last_used_at,
            revoked_at,
        } = t;
        Self {
            id,
            name,
            prefix,
            created_at: created_at.to_rfc3339(),
            last_used_at: last_used_at.map(|t| t.to_rfc3339()),
            revoked_at: revoked_at.map(|t| t.to_rfc3339()),
            token: None,
        }
    }
}
