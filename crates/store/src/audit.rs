//! The append-only audit log: who did what to which entity, with the state
//! before and after.

use crate::entities::audit_log;
use chrono::Utc;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;

pub use qiao_core::Actor;

pub struct Entry<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    entry: Entry<'_>,
) -> Result<(), DbErr> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        id: NotSet,
        actor_user_id: Set(actor.user_id),
        actor: Set(actor.label.clone()),
        action: Set(entry.action.to_string()),
        entity_type: Set(entry.entity_type.to_string()),
        entity_id: Set(entry.entity_id),
        before: Set(entry.before),
        after: Set(entry.after),
        at: Set(Utc::now()),
    })
    .exec(conn)
    .await?;
    Ok(())
}

impl crate::Store {
    /// Appends one entry to the audit log on its own.
    pub async fn record_audit(&self, actor: &Actor, entry: Entry<'_>) -> Result<(), DbErr> {
        record(self.conn(), actor, entry).await
    }
}
