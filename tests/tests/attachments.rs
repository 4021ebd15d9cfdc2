//! Files attached to cooperation projects, over HTTP on every backend:
//! staff and partner members upload PDF and images as raw bytes and get
//! them back byte for byte with safe download headers; whoever may not see
//! the project gets 404; files whose bytes are not what they claim, empty
//! or oversized ones are refused; names lose their paths and files land
//! only under `<data_dir>/attachments/<project>/` with random names.

use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{PASSWORD, Response, approved_org, call, send, user_with_token};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";
/// The signature and the start of an IHDR chunk: enough to be a PNG by its bytes.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";
const MIB: usize = 1024 * 1024;

struct World {
    addr: SocketAddr,
    label: &'static str,
    data_dir: PathBuf,
    staff: String,
    ent_member: String,
    uni_member: String,
    /// A member of an enterprise that is not a partner.
    other_member: String,
    project: i64,
}

async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let enterprise = approved_org(
        addr,
        &staff,
        "甲海工装备有限公司",
        "enterprise",
        "西海岸新区",
    )
    .await;
    let university = approved_org(addr, &staff, "乙理工大学", "university", "崂山区").await;
    approved_org(addr, &staff, "丙新材料有限公司", "enterprise", "城阳区").await;
    let member = |email: &'static str, role: &'static str, org: &'static str| {
        let admin = admin.clone();
        async move { user_with_token(addr, &admin, email, role, Some(org)).await }
    };
    let ent_member = member("e@example.com", "enterprise", "甲海工装备有限公司").await;
    let uni_member = member("u@example.com", "university", "乙理工大学").await;
    let other_member = member("o@example.com", "enterprise", "丙新材料有限公司").await;
    let body = json!({
        "title": "导管架焊接残余应力调控", "enterprise_org_id": enterprise,
        "institution_org_id": university, "plan_year": 2026,
    });
    let r = call(addr, "POST", "/api/v1/projects", Some(&staff), Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    World {
        addr,
        label: db.label,
        data_dir: db.dir.clone(),
        staff,
        ent_member,
        uni_member,
        other_member,
        project: r.json()["project"]["id"].as_i64().unwrap(),
    }
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl World {
    async fn upload(
        &self,
        token: Option<&str>,
        query: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Response {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", content_type)];
        if let Some(a) = &auth {
            headers.push(("Authorization", a.as_str()));
        }
        let path = format!("/api/v1/projects/{}/attachments{query}", self.project);
        send(self.addr, "POST", &path, &headers, Some(bytes)).await
    }

    async fn uploaded(&self, token: &str, query: &str, content_type: &str, bytes: &[u8]) -> Value {
        let r = self.upload(Some(token), query, content_type, bytes).await;
        assert_eq!(r.status, 201, "{}: {query}: {}", self.label, r.body);
        r.json()
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Response {
        call(self.addr, "GET", path, token, None).await
    }

    fn list_path(&self) -> String {
        format!("/api/v1/projects/{}/attachments", self.project)
    }

    /// Every file under the data directory's `attachments`, relative to it.
    fn stored_files(&self) -> Vec<PathBuf> {
        let root = self.data_dir.join("attachments");
        let mut out = Vec::new();
        walk(&root, &root, &mut out);
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            walk(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

/// Any file of this name anywhere under `dir`.
fn found(dir: &Path, name: &str) -> bool {
    let mut all = Vec::new();
    walk(dir, dir, &mut all);
    all.iter().any(|p| p.file_name().is_some_and(|n| n == name))
}

fn problem(r: &Response) -> (u16, String) {
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.body
    );
    (
        r.status,
        r.json()["type"].as_str().unwrap_or("").to_string(),
    )
}

#[tokio::test]
async fn partners_and_staff_attach_download_and_remove_files() {
    each_backend(
        "attachments::partners_and_staff_attach_download_and_remove_files",
        |db| async move {
            let w = world(&db).await;
            let pdf = w
                .uploaded(
                    &w.staff,
                    &format!("?kind=contract&name={}", enc("合同.pdf")),
                    "application/pdf",
                    PDF,
                )
                .await;
            assert_eq!(pdf["kind"], "contract", "{pdf}");
            assert_eq!(pdf["kind_label"], "合同");
            assert_eq!(pdf["file_name"], "合同.pdf");
            assert_eq!(pdf["media_type"], "application/pdf");
            assert_eq!(pdf["size"], PDF.len());
            assert_eq!(pdf["sha256"].as_str().unwrap().len(), 64);
            assert_eq!(pdf["uploaded_by"], "staff@example.com");
            assert_eq!(pdf["project_id"], w.project);
            let pdf_id = pdf["id"].as_i64().unwrap();
            assert_eq!(pdf["download_url"], format!("/api/v1/attachments/{pdf_id}"));

            // A partner's member, the type left to the content, the kind by its label.
            let png = w
                .uploaded(
                    &w.ent_member,
                    &format!("?kind={}&name={}", enc("验收报告"), enc("验收 照片.png")),
                    "application/octet-stream",
                    PNG,
                )
                .await;
            assert_eq!(png["kind"], "acceptance", "{png}");
            assert_eq!(png["media_type"], "image/png");
            assert_eq!(png["file_name"], "验收 照片.png");
            let png_id = png["id"].as_i64().unwrap();

            // No kind, no name: `other`, named after the kind, with the content's extension.
            let plain = w.uploaded(&w.uni_member, "", "image/png", PNG).await;
            assert_eq!(
                (&plain["kind"], &plain["file_name"]),
                (&json!("other"), &json!("其他.png"))
            );
            let plain_id = plain["id"].as_i64().unwrap();

            for token in [&w.staff, &w.ent_member, &w.uni_member] {
                let r = w.get(&w.list_path(), Some(token)).await;
                assert_eq!(r.status, 200, "{}", r.body);
                let ids: Vec<i64> = r
                    .json()
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| a["id"].as_i64().unwrap())
                    .collect();
                assert_eq!(ids, [pdf_id, png_id, plain_id], "{}", w.label);
            }

            // The bytes come back whole, as a download that is never sniffed or cached.
            let r = w
                .get(
                    &format!("/api/v1/attachments/{pdf_id}"),
                    Some(&w.uni_member),
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.body);
            assert_eq!(r.bytes, PDF);
            assert_eq!(r.header("content-type"), Some("application/pdf"));
            assert_eq!(
                r.header("content-disposition"),
                Some("attachment; filename=\"__.pdf\"; filename*=UTF-8''%E5%90%88%E5%90%8C.pdf")
            );
            assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
            assert_eq!(r.header("cache-control"), Some("private, no-store"));
            assert_eq!(
                r.header("content-length"),
                Some(PDF.len().to_string().as_str())
            );
            let r = w
                .get(&format!("/api/v1/attachments/{png_id}"), Some(&w.staff))
                .await;
            assert_eq!((r.status, r.bytes.as_slice()), (200, PNG));
            assert_eq!(r.header("content-type"), Some("image/png"));

            // Who may not see the project sees no attachment either: 404, as for the project.
            for (who, token) in [("other member", Some(&w.other_member)), ("anonymous", None)] {
                let token = token.map(String::as_str);
                let r = w.get(&w.list_path(), token).await;
                assert_eq!(problem(&r), (404, "/problems/not-found".into()), "{who}");
                let r = w.get(&format!("/api/v1/attachments/{pdf_id}"), token).await;
                assert_eq!(problem(&r), (404, "/problems/not-found".into()), "{who}");
                assert!(!r.bytes.windows(5).any(|s| s == b"%PDF-"), "{who}");
            }
            let r = w
                .upload(Some(&w.other_member), "", "application/pdf", PDF)
                .await;
            assert_eq!(r.status, 404, "{}", r.body);
            let r = w.upload(None, "", "application/pdf", PDF).await;
            assert_eq!(r.status, 401, "{}", r.body);
            let r = w.get("/api/v1/attachments/987654", Some(&w.staff)).await;
            assert_eq!(r.status, 404);
            let r = w
                .get("/api/v1/projects/987654/attachments", Some(&w.staff))
                .await;
            assert_eq!(r.status, 404);

            // A session must send its CSRF token to upload.
            let login = send(
                w.addr,
                "POST",
                "/api/v1/auth/login",
                &[],
                Some(
                    json!({"email": "e@example.com", "password": PASSWORD})
                        .to_string()
                        .as_bytes(),
                ),
            )
            .await;
            assert_eq!(login.status, 200, "{}", login.body);
            let cookie = login
                .header("set-cookie")
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let csrf = login.json()["csrf_token"].as_str().unwrap().to_string();
            let path = w.list_path();
            let headers = [
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/pdf"),
            ];
            let r = send(w.addr, "POST", &path, &headers, Some(PDF)).await;
            assert_eq!(problem(&r), (403, "/problems/csrf".into()));
            let headers = [
                ("Cookie", cookie.as_str()),
                ("Content-Type", "application/pdf"),
                ("X-CSRF-Token", csrf.as_str()),
            ];
            let r = send(w.addr, "POST", &path, &headers, Some(PDF)).await;
            assert_eq!(r.status, 201, "{}", r.body);
            let session_id = r.json()["id"].as_i64().unwrap();

            // Removal: staff any, a partner member their own only.
            let addr = w.addr;
            let delete = |id: i64, token: Option<&str>| {
                let path = format!("/api/v1/attachments/{id}");
                let token = token.map(str::to_string);
                async move { call(addr, "DELETE", &path, token.as_deref(), None).await }
            };
            assert_eq!(delete(png_id, Some(&w.uni_member)).await.status, 403);
            assert_eq!(delete(pdf_id, Some(&w.ent_member)).await.status, 403);
            assert_eq!(delete(png_id, Some(&w.other_member)).await.status, 404);
            assert_eq!(delete(png_id, None).await.status, 401);
            assert_eq!(delete(png_id, Some(&w.ent_member)).await.status, 204);
            assert_eq!(delete(png_id, Some(&w.ent_member)).await.status, 404);
            assert_eq!(delete(pdf_id, Some(&w.staff)).await.status, 204);
            assert_eq!(delete(plain_id, Some(&w.uni_member)).await.status, 204);
            let r = w
                .get(&format!("/api/v1/attachments/{pdf_id}"), Some(&w.staff))
                .await;
            assert_eq!(r.status, 404);
            let left = w.get(&w.list_path(), Some(&w.staff)).await.json();
            assert_eq!(left.as_array().unwrap().len(), 1, "{left}");
            assert_eq!(left[0]["id"], session_id);
            assert_eq!(w.stored_files().len(), 1, "{:?}", w.stored_files());
            db
        },
    )
    .await;
}

#[tokio::test]
async fn files_that_are_not_what_they_claim_are_refused() {
    each_backend(
        "attachments::files_that_are_not_what_they_claim_are_refused",
        |db| async move {
            let w = world(&db).await;
            let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00This program cannot be run in DOS mode";
            let html = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";
            let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>";
            let cases: [(&str, &str, &str, &[u8], &str); 8] = [
                ("an .exe named .pdf", "?name=x.pdf", "application/pdf", exe, "file"),
                ("HTML named .pdf", "?name=x.pdf", "application/pdf", html, "file"),
                ("HTML without a type", "?name=x.pdf", "application/octet-stream", html, "file"),
                ("SVG named .png", "?name=x.png", "image/png", svg, "file"),
                ("a PDF declared as HTML", "?name=x.pdf", "text/html", PDF, "content_type"),
                ("a PDF declared as PNG", "?name=x.pdf", "image/png", PDF, "content_type"),
                ("a PDF named .png", "?name=x.png", "application/pdf", PDF, "name"),
                ("an unknown kind", "?kind=invoice", "application/pdf", PDF, "kind"),
            ];
            for (what, query, content_type, bytes, field) in cases {
                let r = w.upload(Some(&w.staff), query, content_type, bytes).await;
                assert_eq!(
                    problem(&r),
                    (422, "/problems/validation-failed".into()),
                    "{}: {what}: {}",
                    w.label,
                    r.body
                );
                assert_eq!(r.json()["errors"][0]["field"], field, "{what}: {}", r.body);
            }
            let r = w.upload(Some(&w.staff), "?name=x.pdf", "application/pdf", b"").await;
            assert_eq!(problem(&r).0, 422, "{}", r.body);
            assert!(r.body.contains("empty"), "{}", r.body);
            // Messages are in both languages.
            assert!(r.body.contains("文件为空"), "{}", r.body);

            // 20 MiB is the most; one byte more is refused before any check.
            let mut big = PDF.to_vec();
            big.resize(20 * MIB, b' ');
            let r = w.upload(Some(&w.staff), "?name=big.pdf", "application/pdf", &big).await;
            assert_eq!(r.status, 201, "{}", r.body);
            big.push(b' ');
            let r = w.upload(Some(&w.staff), "?name=big.pdf", "application/pdf", &big).await;
            assert_eq!(problem(&r), (413, "/problems/payload-too-large".into()), "{}", r.body);
            assert!(r.body.contains("20 MiB"), "{}", r.body);
            let r = w
                .upload(Some(&w.other_member), "?name=big.pdf", "application/pdf", &big)
                .await;
            assert_eq!(r.status, 413);

            // Names lose their paths; the files land under attachments/<project>/ with random names.
            for (name, kept) in [
                ("../../x.pdf", "x.pdf"),
                ("..\\..\\..\\evil.pdf", "evil.pdf"),
                ("/etc/passwd", "passwd.pdf"),
                ("..", "其他.pdf"),
            ] {
                let a = w
                    .uploaded(&w.staff, &format!("?name={}", enc(name)), "application/pdf", PDF)
                    .await;
                assert_eq!(a["file_name"], kept, "{name}");
                let r = w.get(a["download_url"].as_str().unwrap(), Some(&w.staff)).await;
                assert_eq!(r.bytes, PDF, "{name}");
            }
            let files = w.stored_files();
            assert_eq!(files.len(), 5, "{files:?}");
            for f in &files {
                let parts: Vec<String> = f
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                assert_eq!(parts.len(), 2, "{f:?}");
                assert_eq!(parts[0], w.project.to_string(), "{f:?}");
                assert!(
                    parts[1].len() == 32 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
                    "{f:?}"
                );
            }
            let root = w.data_dir.parent().unwrap().to_path_buf();
            for name in ["x.pdf", "evil.pdf", "passwd.pdf", "passwd"] {
                assert!(!found(&w.data_dir, name), "{name} under the data directory");
                assert!(!root.join(name).exists(), "{name} beside the data directory");
            }

            // At most 50 per project.
            let listed = w.get(&w.list_path(), Some(&w.staff)).await.json();
            for i in listed.as_array().unwrap().len()..50 {
                w.uploaded(&w.staff, &format!("?name=n{i}.pdf"), "application/pdf", PDF)
                    .await;
            }
            let r = w.upload(Some(&w.staff), "?name=one-more.pdf", "application/pdf", PDF).await;
            assert_eq!(problem(&r), (409, "/problems/conflict".into()), "{}", r.body);
            assert_eq!(w.stored_files().len(), 50, "refused uploads leave no file");
            db
        },
    )
    .await;
}
