//! Membership requests: a user asks to join an organization; its admin
//! member or staff approve or refuse. Until approved the user belongs to no
//! organization and sees only public data.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::entities::{membership_request, user};
use crate::error::StoreError;
use chrono::Utc;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

pub const PENDING: &str = "pending";
pub const APPROVED: &str = "approved";
pub const REFUSED: &str = "refused";

/// Whether the organization already has an admin member.
pub(crate) async fn has_admin<C: ConnectionTrait>(
    conn: &C,
    org_id: i64,
) -> Result<bool, StoreError> {
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::OrgAdmin.eq(true))
        .count(conn)
        .await?
        > 0)
}

pub(crate) async fn insert_request<C: ConnectionTrait>(
    conn: &C,
    user_id: i64,
    org_id: i64,
    actor: &Actor,
) -> Result<i64, StoreError> {
    let id = membership_request::Entity::insert(membership_request::ActiveModel {
        id: NotSet,
        user_id: Set(user_id),
        org_id: Set(org_id),
        status: Set(PENDING.into()),
        created_at: Set(Utc::now()),
        decided_at: Set(None),
        decided_by: Set(None),
    })
    .exec(conn)
    .await?
    .last_insert_id;
    audit::record(
        conn,
        actor,
        Entry {
            action: "request",
            entity_type: "membership_request",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({"user_id": user_id, "org_id": org_id, "status": PENDING})),
        },
    )
    .await?;
    Ok(id)
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub org_id: Option<i64>,
    pub user_id: Option<i64>,
    pub status: Option<String>,
}

impl Store {
    /// A user without an organization asks to join one.
    pub async fn request_membership(
        &self,
        user_id: i64,
        org_id: i64,
        actor: &Actor,
    ) -> Result<membership_request::Model, StoreError> {
        let tx = self.begin_write().await?;
        let u = user::Entity::find_by_id(user_id)
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
        if u.org_id.is_some() {
            return Err(StoreError::Conflict(
                "you already belong to an organization".into(),
            ));
        }
        let pending = membership_request::Entity::find()
            .filter(membership_request::Column::UserId.eq(user_id))
            .filter(membership_request::Column::Status.eq(PENDING))
            .count(&tx)
            .await?;
        if pending > 0 {
            return Err(StoreError::Conflict(
                "you already asked to join an organization; wait for the decision".into(),
            ));
        }
        let id = insert_request(&tx, user_id, org_id, actor).await?;
        let m = membership_request::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("membership request {id}")))?;
        tx.commit().await?;
        Ok(m)
    }

    pub async fn membership_request(
        &self,
        id: i64,
    ) -> Result<Option<membership_request::Model>, StoreError> {
        Ok(membership_request::Entity::find_by_id(id)
            .one(self.conn())
            .await?)
    }

    pub async fn membership_requests(
        &self,
        filter: &RequestFilter,
    ) -> Result<Vec<membership_request::Model>, StoreError> {
        let mut q = membership_request::Entity::find();
        if let Some(org) = filter.org_id {
            q = q.filter(membership_request::Column::OrgId.eq(org));
        }
        if let Some(user) = filter.user_id {
            q = q.filter(membership_request::Column::UserId.eq(user));
        }
        if let Some(status) = &filter.status {
            q = q.filter(membership_request::Column::Status.eq(status.clone()));
        }
        Ok(q.order_by_desc(membership_request::Column::Id)
            .all(self.conn())
            .await?)
    }

    /// Approves (the user joins; the first member becomes the organization's
    /// admin) or refuses a pending request. Audited.
    pub async fn decide_membership(
        &self,
        id: i64,
        approve: bool,
        decided_by: Option<i64>,
        actor: &Actor,
    ) -> Result<membership_request::Model, StoreError> {
        let tx = self.begin_write().await?;
        let m = membership_request::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("membership request {id}")))?;
        if m.status != PENDING {
            return Err(StoreError::Conflict(format!(
                "the request was already {}",
                m.status
            )));
        }
        if approve {
            let u = user::Entity::find_by_id(m.user_id)
                .one(&tx)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("user {}", m.user_id)))?;
            if u.org_id.is_some() {
                return Err(StoreError::Conflict(
                    "the user already belongs to an organization".into(),
                ));
            }
            let admin = !has_admin(&tx, m.org_id).await?;
            user::Entity::update(user::ActiveModel {
                id: Set(u.id),
                org_id: Set(Some(m.org_id)),
                org_admin: Set(admin),
                updated_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec(&tx)
            .await?;
        }
        let status = if approve { APPROVED } else { REFUSED };
        let decided = membership_request::Entity::update(membership_request::ActiveModel {
            id: Set(m.id),
            status: Set(status.into()),
            decided_at: Set(Some(Utc::now())),
            decided_by: Set(decided_by),
            ..Default::default()
        })
        .exec(&tx)
        .await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: if approve { "approve" } else { "refuse" },
                entity_type: "membership_request",
                entity_id: Some(id.to_string()),
                before: Some(json!({"status": m.status})),
                after: Some(json!({"status": status, "user_id": m.user_id, "org_id": m.org_id})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(decided)
    }
}
