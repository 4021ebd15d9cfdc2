//! Users and API tokens. Passwords and tokens arrive here already hashed.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::entities::{api_token, organization, user};
use crate::error::StoreError;
use crate::outbox::{self, EntityType, Op};
use chrono::Utc;
use qiao_core::vocab::{OrgKind, ReviewStatus, Role, Vocabulary};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::json;

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub org_name: Option<&'a str>,
    pub password_hash: String,
}

#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub id: i64,
    /// True when the organization did not exist and was created as pending.
    pub created_org: bool,
}

pub fn normalize_email(email: &str) -> Result<String, StoreError> {
    let e = email.trim().to_lowercase();
    let valid = e
        .split_once('@')
        .is_some_and(|(u, d)| !u.is_empty() && d.contains('.') && !e.contains(' '));
    if valid {
        Ok(e)
    } else {
        Err(StoreError::Invalid(format!(
            "\"{email}\" is not an e-mail address"
        )))
    }
}

impl Store {
    pub async fn create_user(
        &self,
        new: NewUser<'_>,
        actor: &Actor,
    ) -> Result<CreatedUser, StoreError> {
        let email = normalize_email(new.email)?;
        if new.role.needs_organization() && new.org_name.is_none() {
            return Err(StoreError::Invalid(format!(
                "role {} belongs to an organization: give --org",
                new.role.code()
            )));
        }
        let tx = self.conn().begin().await?;
        if user::Entity::find()
            .filter(user::Column::Email.eq(email.clone()))
            .one(&tx)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "a user with e-mail {email} already exists"
            )));
        }
        let now = Utc::now();
        let mut created_org = false;
        let org_id = match new.org_name.map(str::trim).filter(|n| !n.is_empty()) {
            None => None,
            Some(name) => match organization::Entity::find()
                .filter(organization::Column::Name.eq(name))
                .one(&tx)
                .await?
            {
                Some(org) => Some(org.id),
                None => {
                    let kind = if new.role == Role::University {
                        OrgKind::University
                    } else {
                        OrgKind::Enterprise
                    };
                    let am = organization::ActiveModel {
                        id: NotSet,
                        external_id: Set(None),
                        name: Set(name.to_string()),
                        kind: Set(kind.code().into()),
                        credit_code: Set(None),
                        region_scope: Set(None),
                        region_name: Set(None),
                        flags: Set(json!([])),
                        fields: Set(json!([])),
                        description: Set(String::new()),
                        contact_name: Set(String::new()),
                        contact_phone: Set(String::new()),
                        contact_email: Set(String::new()),
                        review_status: Set(ReviewStatus::Pending.code().into()),
                        version: Set(1),
                        created_at: Set(now),
                        updated_at: Set(now),
                        deleted_at: Set(None),
                    };
                    let id = organization::Entity::insert(am)
                        .exec(&tx)
                        .await?
                        .last_insert_id;
                    outbox::append(&tx, EntityType::Organization, Op::Upsert, &[id]).await?;
                    created_org = true;
                    Some(id)
                }
            },
        };
        let id = user::Entity::insert(user::ActiveModel {
            id: NotSet,
            email: Set(email.clone()),
            password_hash: Set(new.password_hash),
            display_name: Set(new.display_name.to_string()),
            role: Set(new.role.code().into()),
            org_id: Set(org_id),
            disabled: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            last_login_at: Set(None),
        })
        .exec(&tx)
        .await?
        .last_insert_id;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "user",
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(json!({"email": email, "role": new.role.code(), "org_id": org_id})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedUser { id, created_org })
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<user::Model>, StoreError> {
        let email = normalize_email(email)?;
        Ok(user::Entity::find()
            .filter(user::Column::Email.eq(email))
            .one(self.conn())
            .await?)
    }

    /// Stores a new API token's hash; the plain token is shown once by the caller.
    pub async fn create_api_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
        actor: &Actor,
    ) -> Result<i64, StoreError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "a token name has 1 to 100 characters".into(),
            ));
        }
        let tx = self.conn().begin().await?;
        let id = api_token::Entity::insert(api_token::ActiveModel {
            id: NotSet,
            user_id: Set(user_id),
            name: Set(name.to_string()),
            token_hash: Set(token_hash.to_string()),
            prefix: Set(prefix.to_string()),
            created_at: Set(Utc::now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        })
        .exec(&tx)
        .await?
        .last_insert_id;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "api_token",
                entity_id: Some(id.to_string()),
                before: None,
                after: Some(json!({"user_id": user_id, "name": name, "prefix": prefix})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The live (not revoked) token with this hash, and its user.
    pub async fn user_by_token_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<user::Model>, StoreError> {
        let Some(token) = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(token_hash))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(self.conn())
            .await?
        else {
            return Ok(None);
        };
        Ok(user::Entity::find_by_id(token.user_id)
            .one(self.conn())
            .await?)
    }
}
