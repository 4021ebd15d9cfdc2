//! Files attached to cooperation projects: contracts, acceptance reports and
//! the like, as PDF or images. The type is read from the bytes, never taken
//! from the client; the bytes lie under `<data_dir>/attachments/<project>/`
//! with a random name, never the uploaded one. Who sees them is who sees the
//! project (`qiao_core::access::project_visible_to`); who adds them is who
//! reports the project's progress (staff and partners); staff and the
//! uploader remove them.

use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Result, Viewer};
use anyhow::Context;
use qiao_core::access::project_visible_to;
use qiao_core::vocab::{AttachmentKind, Vocabulary};
pub use qiao_store::attachments::AttachmentRow;
use qiao_store::attachments::NewAttachment;
use qiao_store::projects::ProjectRow;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

/// The largest file accepted (20 MiB); the upload route's body limit too.
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;
/// Attachments one project may hold.
pub const MAX_ATTACHMENTS_PER_PROJECT: u64 = 50;
/// The longest file name kept, extension included.
pub const MAX_FILE_NAME_CHARS: usize = 200;

/// The kinds of file accepted, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaType {
    Pdf,
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl MediaType {
    pub const ALL: [MediaType; 5] = [Self::Pdf, Self::Png, Self::Jpeg, Self::Webp, Self::Gif];

    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    /// File name extensions, the usual one first.
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["pdf"],
            Self::Png => &["png"],
            Self::Jpeg => &["jpg", "jpeg", "jfif"],
            Self::Webp => &["webp"],
            Self::Gif => &["gif"],
        }
    }

    /// Other names clients give the type.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Self::Pdf => &["application/x-pdf"],
            Self::Jpeg => &["image/jpg", "image/pjpeg"],
            Self::Png => &["image/x-png"],
            Self::Webp | Self::Gif => &[],
        }
    }

    /// The type by the file's signature, or none of ours.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"%PDF-") {
            Some(Self::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else {
            None
        }
    }

    /// The type a `Content-Type` value names (parameters ignored).
    fn from_mime(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or("").trim();
        Self::ALL.into_iter().find(|t| {
            t.mime().eq_ignore_ascii_case(essence)
                || t.aliases().iter().any(|a| a.eq_ignore_ascii_case(essence))
        })
    }

    fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|t| t.extensions().iter().any(|e| e.eq_ignore_ascii_case(ext)))
    }
}

const ACCEPTED: &str = "PDF, PNG, JPEG, WebP or GIF (仅支持 PDF、PNG、JPEG、WebP、GIF)";

/// A file as a client sends it.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// An attachment kind (code or Chinese label); default `other`.
    pub kind: Option<&'a str>,
    /// The name the user knows it by; a path is cut to its last part.
    pub name: Option<&'a str>,
    /// The client's `Content-Type`: absent or `application/octet-stream`,
    /// or else the type the content must be.
    pub content_type: Option<&'a str>,
    pub bytes: &'a [u8],
}

/// An upload that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub kind: AttachmentKind,
    pub media: MediaType,
    pub file_name: String,
}

/// Checks an upload: size, kind, content type by signature, the declared
/// type and the name's extension against it, and cleans the name.
pub fn check_upload(u: &Upload<'_>) -> Result<Checked> {
    if u.bytes.is_empty() {
        return Err(Error::field("file", "the file is empty (文件为空)"));
    }
    if u.bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(Error::field(
            "file",
            "larger than 20 MiB (文件大小超过 20 MiB)",
        ));
    }
    let mut errors = Vec::new();
    let kind = match u.kind.map(str::trim).filter(|k| !k.is_empty()) {
        None => Some(AttachmentKind::Other),
        Some(k) => crate::fields::vocab::<AttachmentKind>("kind", k, &mut errors),
    };
    let Some(media) = MediaType::sniff(u.bytes) else {
        errors.push(qiao_core::record::FieldError {
            field: "file".into(),
            message: format!("not a file of an accepted type by its content: {ACCEPTED}"),
        });
        return Err(Error::Invalid(errors));
    };
    if let Some(declared) = u
        .content_type
        .map(|c| c.split(';').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty() && !c.eq_ignore_ascii_case("application/octet-stream"))
        && MediaType::from_mime(declared) != Some(media)
    {
        errors.push(qiao_core::record::FieldError {
            field: "content_type".into(),
            message: format!(
                "declared as {declared}, but the content is {} (声明的类型与文件内容不符)",
                media.mime()
            ),
        });
    }
    let kind_label = kind.unwrap_or(AttachmentKind::Other).label_zh();
    let file_name = match clean_file_name(u.name.unwrap_or(""), media, kind_label) {
        Ok(name) => Some(name),
        Err(message) => {
            errors.push(qiao_core::record::FieldError {
                field: "name".into(),
                message,
            });
            None
        }
    };
    match (kind, file_name) {
        (Some(kind), Some(file_name)) if errors.is_empty() => Ok(Checked {
            kind,
            media,
            file_name,
        }),
        _ => Err(Error::Invalid(errors)),
    }
}

/// The name to keep: the last part of a path, without control characters
/// or characters file systems refuse, at most [`MAX_FILE_NAME_CHARS`], and
/// ending in the extension of its content (`合同` → `合同.pdf`, `x.exe` →
/// `x.exe.pdf`). An extension of another accepted type is refused; an empty
/// name becomes `default_stem`.
pub fn clean_file_name(
    name: &str,
    media: MediaType,
    default_stem: &str,
) -> std::result::Result<String, String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned = qiao_core::text::clean(last, false)?;
    let cleaned: String = cleaned
        .chars()
        .map(|c| {
            if matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    // Leading dots would hide the file, trailing ones Windows drops.
    let cleaned = cleaned.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let (stem, ext) = match cleaned.rsplit_once('.') {
        Some((stem, ext))
            if media
                .extensions()
                .iter()
                .any(|e| e.eq_ignore_ascii_case(ext)) =>
        {
            (stem.trim_end().to_string(), ext.to_string())
        }
        Some((_, ext)) if MediaType::from_extension(ext).is_some() => {
            return Err(format!(
                "ends in .{ext}, but the content is {} (文件扩展名与内容不符)",
                media.mime()
            ));
        }
        _ => (cleaned.to_string(), media.extensions()[0].to_string()),
    };
    let stem = if stem.is_empty() {
        default_stem.to_string()
    } else {
        stem
    };
    let room = MAX_FILE_NAME_CHARS - ext.chars().count() - 1;
    let stem: String = stem.chars().take(room).collect();
    Ok(format!("{}.{ext}", stem.trim_end()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Storage keys are the random hex names this module makes; anything else
/// read from the database is not joined to a path.
fn valid_key(key: &str) -> bool {
    key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Writes the bytes beside their final name, then renames, so a crash
/// never leaves a partial file under a key the database names.
async fn write_file(dir: &Path, key: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    tokio::fs::create_dir_all(dir).await?;
    let part = dir.join(format!(".{key}.part"));
    let path = dir.join(key);
    let written = async {
        let mut f = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part)
            .await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
        drop(f);
        tokio::fs::rename(&part, &path).await
    }
    .await;
    if written.is_err() {
        let _ = tokio::fs::remove_file(&part).await;
    }
    written.map(|()| path)
}

/// An attachment with its bytes, for download.
#[derive(Debug, Clone)]
pub struct AttachmentFile {
    pub attachment: AttachmentRow,
    pub bytes: Vec<u8>,
}

impl App {
    /// `<data_dir>/attachments`: every project's files, one directory each.
    pub fn attachments_dir(&self) -> PathBuf {
        self.config().attachments_dir()
    }

    fn project_files(&self, project_id: i64) -> PathBuf {
        self.attachments_dir().join(project_id.to_string())
    }

    fn file_of(&self, a: &AttachmentRow) -> Result<PathBuf> {
        if !valid_key(&a.storage_key) {
            return Err(Error::Internal(anyhow::anyhow!(
                "attachment {} has a malformed storage key",
                a.id
            )));
        }
        Ok(self.project_files(a.project_id).join(&a.storage_key))
    }

    /// May `who` add to the project's record: staff, or a member of a partner.
    fn check_partner(who: &Principal, p: &ProjectRow, action: Action) -> Result<bool> {
        let partner = !who.is_staff() && project_visible_to(who.scope(), &p.partner_orgs());
        authorize(who, Resource::ProjectProgress { partner }, action)?;
        Ok(partner)
    }

    /// An attachment and its project, if the viewer may see the project.
    async fn visible_attachment(
        &self,
        viewer: &Viewer,
        id: i64,
    ) -> Result<(AttachmentRow, ProjectRow)> {
        let a = self.store().attachment(id).await?.ok_or(Error::NotFound)?;
        let p = self
            .store()
            .visible_project(viewer.scope(), a.project_id)
            .await?;
        Ok((a, p))
    }

    /// A project's attachments, for whoever may see the project.
    pub async fn attachments(
        &self,
        viewer: &Viewer,
        project_id: i64,
    ) -> Result<Vec<AttachmentRow>> {
        self.store()
            .visible_project(viewer.scope(), project_id)
            .await?;
        Ok(self.store().attachments(project_id).await?)
    }

    /// Staff or a partner attach a file to a project. The file is written
    /// first and removed again if the row cannot be recorded.
    pub async fn upload_attachment(
        &self,
        who: &Principal,
        project_id: i64,
        upload: Upload<'_>,
    ) -> Result<AttachmentRow> {
        let p = self
            .store()
            .visible_project(who.scope(), project_id)
            .await?;
        Self::check_partner(who, &p, Action::Create)?;
        let checked = check_upload(&upload)?;
        // Checked again when recording; this spares writing a file in vain.
        if self.store().attachments(project_id).await?.len() as u64 >= MAX_ATTACHMENTS_PER_PROJECT {
            return Err(Error::Conflict(format!(
                "the project has {MAX_ATTACHMENTS_PER_PROJECT} attachments, the most allowed; delete one first"
            )));
        }
        let key = crate::credentials::random_hex(16);
        let path = write_file(&self.project_files(project_id), &key, upload.bytes)
            .await
            .context("writing an attachment")?;
        let new = NewAttachment {
            project_id,
            kind: checked.kind,
            file_name: checked.file_name,
            media_type: checked.media.mime().to_string(),
            size: upload.bytes.len() as i64,
            sha256: sha256_hex(upload.bytes),
            storage_key: key,
        };
        match self
            .store()
            .insert_attachment(&new, MAX_ATTACHMENTS_PER_PROJECT, &who.actor())
            .await
        {
            Ok(row) => Ok(row),
            Err(e) => {
                if let Err(io) = tokio::fs::remove_file(&path).await {
                    tracing::warn!(error = %io, path = %path.display(), "cannot remove an unrecorded attachment");
                }
                Err(e.into())
            }
        }
    }

    /// An attachment's bytes, for whoever may see its project; a file that
    /// is missing or no longer matches its digest is an error, never served.
    pub async fn attachment_file(&self, viewer: &Viewer, id: i64) -> Result<AttachmentFile> {
        let (a, _) = self.visible_attachment(viewer, id).await?;
        let path = self.file_of(&a)?;
        let bytes = tokio::fs::read(&path)
            .await
            .with_context(|| format!("reading attachment {id}"))?;
        if bytes.len() as i64 != a.size || sha256_hex(&bytes) != a.sha256 {
            return Err(Error::Internal(anyhow::anyhow!(
                "attachment {id} does not match its recorded digest"
            )));
        }
        Ok(AttachmentFile {
            attachment: a,
            bytes,
        })
    }

    /// Staff, or the partner member who uploaded it, remove an attachment.
    /// The row goes first: a file left behind is harmless, a row without
    /// its file is not.
    pub async fn delete_attachment(&self, who: &Principal, id: i64) -> Result<()> {
        let (a, p) = self
            .visible_attachment(&Viewer(Some(who.clone())), id)
            .await?;
        let partner = !who.is_staff() && project_visible_to(who.scope(), &p.partner_orgs());
        // Partners may not delete the project's record; their own upload they may.
        if !(partner && a.uploaded_by_user_id == Some(who.id)) {
            authorize(who, Resource::Bureau, Action::Delete)?;
        }
        let path = self.file_of(&a)?;
        self.store().delete_attachment(id, &who.actor()).await?;
        if let Err(e) = tokio::fs::remove_file(&path).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, path = %path.display(), "cannot remove a deleted attachment's file");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

    fn upload<'a>(name: &'a str, content_type: Option<&'a str>, bytes: &'a [u8]) -> Upload<'a> {
        Upload {
            kind: Some("contract"),
            name: Some(name),
            content_type,
            bytes,
        }
    }

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(MediaType::sniff(PDF), Some(MediaType::Pdf));
        assert_eq!(MediaType::sniff(PNG), Some(MediaType::Png));
        assert_eq!(
            MediaType::sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            MediaType::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(MediaType::Webp)
        );
        assert_eq!(MediaType::sniff(b"GIF89a\x01\0"), Some(MediaType::Gif));
        for other in [
            &b"MZ\x90\0\x03\0\0\0"[..],
            b"<html><script>alert(1)</script>",
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"PK\x03\x04",
            b" %PDF-1.4",
        ] {
            assert_eq!(MediaType::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_file_is_what_its_bytes_say() {
        let ok = check_upload(&upload("合同.pdf", Some("application/pdf"), PDF)).unwrap();
        assert_eq!(ok.media, MediaType::Pdf);
        assert_eq!(ok.kind, AttachmentKind::Contract);
        assert_eq!(ok.file_name, "合同.pdf");
        assert!(check_upload(&upload("x.pdf", Some("application/octet-stream"), PDF)).is_ok());
        assert!(check_upload(&upload("x.pdf", None, PDF)).is_ok());
        assert!(check_upload(&upload("x.png", Some("image/png; q=1"), PNG)).is_ok());
        let html = b"<!doctype html><html><body>not a pdf</body></html>";
        assert_eq!(
            fields(check_upload(&upload("x.pdf", Some("application/pdf"), html)).unwrap_err()),
            ["file"]
        );
        assert_eq!(
            fields(check_upload(&upload("x.pdf", Some("image/png"), PDF)).unwrap_err()),
            ["content_type"]
        );
        assert_eq!(
            fields(check_upload(&upload("x.pdf", Some("text/html"), PDF)).unwrap_err()),
            ["content_type"]
        );
        assert_eq!(
            fields(check_upload(&upload("x.png", None, PDF)).unwrap_err()),
            ["name"]
        );
        assert_eq!(
            fields(check_upload(&upload("x.pdf", None, b"")).unwrap_err()),
            ["file"]
        );
        let mut bad_kind = upload("x.pdf", None, PDF);
        bad_kind.kind = Some("invoice");
        assert_eq!(fields(check_upload(&bad_kind).unwrap_err()), ["kind"]);
        bad_kind.kind = Some("验收报告");
        assert_eq!(
            check_upload(&bad_kind).unwrap().kind,
            AttachmentKind::Acceptance
        );
    }

    #[test]
    fn names_lose_their_path_and_keep_their_type() {
        let clean = |n: &str| clean_file_name(n, MediaType::Pdf, "合同");
        assert_eq!(clean("../../x.pdf").unwrap(), "x.pdf");
        assert_eq!(
            clean("C:\\Users\\王\\验收报告.PDF").unwrap(),
            "验收报告.PDF"
        );
        assert_eq!(clean("/etc/passwd").unwrap(), "passwd.pdf");
        assert_eq!(clean("..").unwrap(), "合同.pdf");
        assert_eq!(clean("").unwrap(), "合同.pdf");
        assert_eq!(clean(".hidden.pdf").unwrap(), "hidden.pdf");
        assert_eq!(clean("setup.exe").unwrap(), "setup.exe.pdf");
        assert_eq!(clean("a<b>:c?.pdf").unwrap(), "a_b__c_.pdf");
        assert!(clean("x\u{202E}fdp.exe").is_err());
        assert!(clean("x\0.pdf").is_err());
        assert!(clean("scan.jpg").is_err());
        let long = clean(&format!("{}.pdf", "长".repeat(500))).unwrap();
        assert_eq!(long.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(long.ends_with("长.pdf"));
        assert_eq!(
            clean_file_name("photo.JPEG", MediaType::Jpeg, "其他").unwrap(),
            "photo.JPEG"
        );
    }

    #[test]
    fn storage_keys_are_plain_hex() {
        assert!(valid_key(&crate::credentials::random_hex(16)));
        for bad in ["../../etc/passwd", "", "0123456789abcdef0123456789abcde/"] {
            assert!(!valid_key(bad), "{bad}");
        }
    }
}
