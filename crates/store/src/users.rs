//! Users and API tokens. Passwords and tokens arrive here already hashed.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::entities::{api_token, organization, user};
use crate::error::StoreError;
use crate::membership::{has_admin, insert_request};
use crate::outbox::{self, EntityType, Op};
use chrono::Utc;
use qiao_core::vocab::{OrgKind, ReviewStatus, Role, Vocabulary};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

pub struct NewUser<'a> {
    pub email: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub org_name: Option<&'a str>,
    pub password_hash: String,
    /// How the user comes to belong to an existing organization.
    pub join: Join,
}

/// Joining an organization that already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Join {
    /// Operators and admins add members directly.
    #[default]
    Direct,
    /// Self-registration asks; the organization's admin member or staff decide.
    Request,
}

#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub id: i64,
    /// True when the organization did not exist and was created as pending.
    pub created_org: bool,
    /// The membership request made for an existing organization.
    pub membership_request: Option<i64>,
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
        let tx = self.begin_write().await?;
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
        let mut requested_org = None;
        let org_id = match new.org_name.map(str::trim).filter(|n| !n.is_empty()) {
            None => None,
            Some(name) => match organization::Entity::find()
                .filter(organization::Column::Name.eq(name))
                .filter(organization::Column::DeletedAt.is_null())
                .one(&tx)
                .await?
            {
                Some(org) => {
                    let kind = OrgKind::from_code(&org.kind).unwrap_or(OrgKind::Enterprise);
                    if new.role.needs_organization() && !new.role.fits(kind) {
                        return Err(StoreError::Invalid(format!(
                            "a {} user cannot belong to \"{name}\", a {}",
                            new.role.code(),
                            kind.label_en().to_lowercase()
                        )));
                    }
                    match new.join {
                        Join::Direct => Some(org.id),
                        Join::Request => {
                            requested_org = Some(org.id);
                            None
                        }
                    }
                }
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
        let org_admin = match org_id {
            Some(org) => !has_admin(&tx, org).await?,
            None => false,
        };
        let id = user::Entity::insert(user::ActiveModel {
            id: NotSet,
            email: Set(email.clone()),
            password_hash: Set(new.password_hash),
            display_name: Set(new.display_name.to_string()),
            role: Set(new.role.code().into()),
            org_id: Set(org_id),
            org_admin: Set(org_admin),
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
                after: Some(json!({"email": email, "role": new.role.code(), "org_id": org_id, "org_admin": org_admin})),
            },
        )
        .await?;
        let membership_request = match requested_org {
            Some(org) => Some(insert_request(&tx, id, org, actor).await?),
            None => None,
        };
        tx.commit().await?;
        Ok(CreatedUser {
            id,
            created_org,
            membership_request,
        })
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
        let tx = self.begin_write().await?;
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

/// Server-side web sessions: the cookie holds a random secret, the table its digest.
pub mod sessions {
    use crate::Store;
    use crate::entities::{session, user};
    use crate::error::StoreError;
    use chrono::{DateTime, Duration, Utc};
    use sea_orm::ActiveValue::Set;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

    impl Store {
        pub async fn create_session(
            &self,
            digest: &str,
            user_id: i64,
            csrf_token: &str,
            absolute: Duration,
        ) -> Result<(), StoreError> {
            let now = Utc::now();
            session::Entity::insert(session::ActiveModel {
                id: Set(digest.to_string()),
                user_id: Set(user_id),
                csrf_token: Set(csrf_token.to_string()),
                created_at: Set(now),
                last_seen_at: Set(now),
                expires_at: Set(now + absolute),
            })
            .exec(self.conn())
            .await?;
            Ok(())
        }

        /// The live session and its user; expired ones (idle or absolute) are removed.
        pub async fn touch_session(
            &self,
            digest: &str,
            idle: Duration,
        ) -> Result<Option<(session::Model, user::Model)>, StoreError> {
            let Some(s) = session::Entity::find_by_id(digest.to_string())
                .one(self.conn())
                .await?
            else {
                return Ok(None);
            };
            let now = Utc::now();
            if s.expires_at <= now || s.last_seen_at + idle <= now {
                session::Entity::delete_by_id(digest.to_string())
                    .exec(self.conn())
                    .await?;
                return Ok(None);
            }
            // Refresh at most once a minute to spare the database a write per request.
            if now - s.last_seen_at > Duration::minutes(1) {
                session::Entity::update(session::ActiveModel {
                    id: Set(s.id.clone()),
                    last_seen_at: Set(now),
                    ..Default::default()
                })
                .exec(self.conn())
                .await?;
            }
            let Some(u) = user::Entity::find_by_id(s.user_id).one(self.conn()).await? else {
                return Ok(None);
            };
            Ok(Some((s, u)))
        }

        pub async fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
            session::Entity::delete_by_id(digest.to_string())
                .exec(self.conn())
                .await?;
            Ok(())
        }

        pub async fn delete_user_sessions(&self, user_id: i64) -> Result<(), StoreError> {
            session::Entity::delete_many()
                .filter(session::Column::UserId.eq(user_id))
                .exec(self.conn())
                .await?;
            Ok(())
        }

        /// Ends every session of the user but `keep` (a session digest).
        pub async fn delete_user_sessions_except(
            &self,
            user_id: i64,
            keep: Option<&str>,
        ) -> Result<(), StoreError> {
            let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
            if let Some(keep) = keep {
                q = q.filter(session::Column::Id.ne(keep));
            }
            q.exec(self.conn()).await?;
            Ok(())
        }

        pub async fn purge_expired_sessions(
            &self,
            before: DateTime<Utc>,
        ) -> Result<u64, StoreError> {
            Ok(session::Entity::delete_many()
                .filter(session::Column::ExpiresAt.lt(before))
                .exec(self.conn())
                .await?
                .rows_affected)
        }
    }
}

impl Store {
    pub async fn user_by_id(&self, id: i64) -> Result<Option<user::Model>, StoreError> {
        Ok(user::Entity::find_by_id(id).one(self.conn()).await?)
    }

    pub async fn list_users(
        &self,
        limit: u64,
        offset: u64,
    ) -> Result<(Vec<user::Model>, u64), StoreError> {
        use sea_orm::{PaginatorTrait, QueryOrder, QuerySelect};
        let total = user::Entity::find().count(self.conn()).await?;
        let rows = user::Entity::find()
            .order_by_asc(user::Column::Id)
            .limit(limit)
            .offset(offset)
            .all(self.conn())
            .await?;
        Ok((rows, total))
    }

    /// Applies an account change and audits it; disabling also ends the user's sessions.
    pub async fn update_user(
        &self,
        id: i64,
        change: UserChange,
        actor: &Actor,
    ) -> Result<user::Model, StoreError> {
        use sea_orm::{ActiveModelTrait, IntoActiveModel};
        let tx = self.begin_write().await?;
        let m = user::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))?;
        let before = json!({"role": m.role, "disabled": m.disabled, "display_name": m.display_name, "org_id": m.org_id});
        let mut am = m.into_active_model();
        if let Some(role) = change.role {
            am.role = Set(role.code().into());
        }
        if let Some(disabled) = change.disabled {
            am.disabled = Set(disabled);
        }
        if let Some(name) = change.display_name {
            am.display_name = Set(name);
        }
        if let Some(hash) = change.password_hash {
            am.password_hash = Set(hash);
        }
        am.updated_at = Set(Utc::now());
        let m = am.update(&tx).await?;
        let after = json!({"role": m.role, "disabled": m.disabled, "display_name": m.display_name, "org_id": m.org_id});
        audit::record(
            &tx,
            actor,
            Entry {
                action: change.action,
                entity_type: "user",
                entity_id: Some(id.to_string()),
                before: Some(before),
                after: Some(after),
            },
        )
        .await?;
        tx.commit().await?;
        if m.disabled {
            self.delete_user_sessions(id).await?;
        }
        Ok(m)
    }

    pub async fn record_login(&self, id: i64) -> Result<(), StoreError> {
        user::Entity::update(user::ActiveModel {
            id: Set(id),
            last_login_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .exec(self.conn())
        .await?;
        Ok(())
    }

    pub async fn list_api_tokens(&self, user_id: i64) -> Result<Vec<api_token::Model>, StoreError> {
        use sea_orm::QueryOrder;
        Ok(api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(user_id))
            .order_by_asc(api_token::Column::Id)
            .all(self.conn())
            .await?)
    }

    /// Revokes one of the user's tokens; false when the user has no such live token.
    pub async fn revoke_api_token(
        &self,
        user_id: i64,
        token_id: i64,
        actor: &Actor,
    ) -> Result<bool, StoreError> {
        let tx = self.begin_write().await?;
        let Some(token) = api_token::Entity::find_by_id(token_id)
            .filter(api_token::Column::UserId.eq(user_id))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(&tx)
            .await?
        else {
            return Ok(false);
        };
        api_token::Entity::update(api_token::ActiveModel {
            id: Set(token.id),
            revoked_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .exec(&tx)
        .await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "revoke",
                entity_type: "api_token",
                entity_id: Some(token_id.to_string()),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// A change to an account; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    /// The audit action: "update", "disable", "change_password"…
    pub action: &'static str,
}
