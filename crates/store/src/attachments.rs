//! Files attached to cooperation projects: one row per file, naming where
//! its bytes lie under the data directory (the application writes and
//! reads them). Who may see them is who may see the project; the caller
//! asks `Store::visible_project` first.

use crate::audit::{self, Actor, Entry};
use crate::entities::{project, project_attachment};
use crate::{Store, StoreError};
use chrono::Utc;
use qiao_core::vocab::{AttachmentKind, Vocabulary};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{Value, json};

/// An attachment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct AttachmentRow {
    pub id: i64,
    pub project_id: i64,
    pub kind: AttachmentKind,
    /// The name it was uploaded with, cleaned; never a path on disk.
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    /// Lower-case hex.
    pub sha256: String,
    /// The file's name in the project's directory under the data directory.
    pub storage_key: String,
    pub uploaded_by: String,
    pub uploaded_by_user_id: Option<i64>,
    pub uploaded_at: chrono::DateTime<Utc>,
}

/// What the application has checked and written before the row is recorded.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub project_id: i64,
    pub kind: AttachmentKind,
    pub file_name: String,
    pub media_type: String,
    pub size: i64,
    pub sha256: String,
    pub storage_key: String,
}

fn row(m: project_attachment::Model) -> AttachmentRow {
    AttachmentRow {
        id: m.id,
        project_id: m.project_id,
        kind: AttachmentKind::from_code(&m.kind).unwrap_or(AttachmentKind::Other),
        file_name: m.file_name,
        media_type: m.media_type,
        size: m.size_bytes,
        sha256: m.sha256,
        storage_key: m.storage_key,
        uploaded_by: m.uploaded_by,
        uploaded_by_user_id: m.uploaded_by_user_id,
        uploaded_at: m.uploaded_at,
    }
}

/// What the audit log keeps of an attachment (not where it lies).
fn audit_view(a: &AttachmentRow) -> Value {
    json!({
        "project_id": a.project_id, "kind": a.kind.code(), "file_name": a.file_name,
        "media_type": a.media_type, "size": a.size, "sha256": a.sha256,
    })
}

impl Store {
    /// A project's attachments, oldest first.
    pub async fn attachments(&self, project_id: i64) -> Result<Vec<AttachmentRow>, StoreError> {
        Ok(project_attachment::Entity::find()
            .filter(project_attachment::Column::ProjectId.eq(project_id))
            .order_by_asc(project_attachment::Column::Id)
            .all(self.conn())
            .await?
            .into_iter()
            .map(row)
            .collect())
    }

    /// One attachment, whoever asks (the caller applies the project's visibility).
    pub async fn attachment(&self, id: i64) -> Result<Option<AttachmentRow>, StoreError> {
        Ok(project_attachment::Entity::find_by_id(id)
            .one(self.conn())
            .await?
            .map(row))
    }

    /// Records an attachment whose file is written, unless the project has
    /// `max_per_project` already (409). Counted with the project row locked
    /// (`FOR UPDATE` on PostgreSQL; SQLite's write transaction admits one
    /// writer), so concurrent uploads cannot pass the limit together.
    pub async fn insert_attachment(
        &self,
        new: &NewAttachment,
        max_per_project: u64,
        actor: &Actor,
    ) -> Result<AttachmentRow, StoreError> {
        let tx = self.begin_write().await?;
        project::Entity::find_by_id(new.project_id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("project {}", new.project_id)))?;
        let n = project_attachment::Entity::find()
            .filter(project_attachment::Column::ProjectId.eq(new.project_id))
            .count(&tx)
            .await?;
        if n >= max_per_project {
            return Err(StoreError::Conflict(format!(
                "project {} has {n} attachments, the most allowed; delete one first",
                new.project_id
            )));
        }
        let m = project_attachment::ActiveModel {
            id: NotSet,
            project_id: Set(new.project_id),
            kind: Set(new.kind.code().into()),
            file_name: Set(new.file_name.clone()),
            media_type: Set(new.media_type.clone()),
            size_bytes: Set(new.size),
            sha256: Set(new.sha256.clone()),
            storage_key: Set(new.storage_key.clone()),
            uploaded_by: Set(actor.label.clone()),
            uploaded_by_user_id: Set(actor.user_id),
            uploaded_at: Set(Utc::now()),
        }
        .insert(&tx)
        .await?;
        let created = row(m);
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "attachment",
                entity_id: Some(created.id.to_string()),
                before: None,
                after: Some(audit_view(&created)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Removes an attachment's row and returns it (the caller removes the file).
    pub async fn delete_attachment(
        &self,
        id: i64,
        actor: &Actor,
    ) -> Result<AttachmentRow, StoreError> {
        let tx = self.begin_write().await?;
        let before = project_attachment::Entity::find_by_id(id)
            .one(&tx)
            .await?
            .map(row)
            .ok_or_else(|| StoreError::NotFound(format!("attachment {id}")))?;
        let done = project_attachment::Entity::delete_by_id(id)
            .exec(&tx)
            .await?;
        if done.rows_affected != 1 {
            return Err(StoreError::NotFound(format!("attachment {id}")));
        }
        audit::record(
            &tx,
            actor,
            Entry {
                action: "delete",
                entity_type: "attachment",
                entity_id: Some(id.to_string()),
                before: Some(audit_view(&before)),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(before)
    }
}
