//! Files attached to cooperation projects, as listed (never their bytes).

use qiao_app::attachments::AttachmentRow;
use qiao_core::vocab::Vocabulary;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A file attached to a project.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentDoc {
    pub id: i64,
    pub project_id: i64,
    /// `contract` (合同), `acceptance` (验收报告) or `other` (其他).
    pub kind: String,
    pub kind_label: String,
    /// The name it was uploaded with, cleaned: no path, the extension of its content.
    pub file_name: String,
    /// Read from the content: `application/pdf`, `image/png`, `image/jpeg`, `image/webp` or `image/gif`.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    pub uploaded_by: String,
    #[schema(format = DateTime)]
    pub uploaded_at: String,
    /// Where to download it.
    pub download_url: String,
}

impl From<AttachmentRow> for AttachmentDoc {
    fn from(a: AttachmentRow) -> Self {
        Self {
            download_url: format!("/api/v1/attachments/{}", a.id),
            id: a.id,
            project_id: a.project_id,
            kind: a.kind.code().into(),
            kind_label: a.kind.label_zh().into(),
            file_name: a.file_name,
            media_type: a.media_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_by: a.uploaded_by,
            uploaded_at: a.uploaded_at.to_rfc3339(),
        }
    }
}
