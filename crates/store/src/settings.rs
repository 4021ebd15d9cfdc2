//! Platform settings: one JSON value per key, audited.

use crate::audit::{self, Actor, Entry};
use crate::entities::setting;
use crate::{Store, StoreError};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use serde_json::Value;

impl Store {
    /// A setting's value, if staff ever set it.
    pub async fn setting(&self, key: &str) -> Result<Option<Value>, StoreError> {
        Ok(setting::Entity::find_by_id(key.to_string())
            .one(self.conn())
            .await?
            .map(|s| s.value))
    }

    /// Sets a setting (the caller checked the value).
    pub async fn put_setting(
        &self,
        key: &str,
        value: &Value,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        let before = setting::Entity::find_by_id(key.to_string())
            .one(&tx)
            .await?
            .map(|s| s.value);
        setting::Entity::insert(setting::ActiveModel {
            key: Set(key.to_string()),
            value: Set(value.clone()),
            updated_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(setting::Column::Key)
                .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "update",
                entity_type: "setting",
                entity_id: Some(key.to_string()),
                before,
                after: Some(value.clone()),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
