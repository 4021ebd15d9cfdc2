//! Regression tests over real HTTP, on every backend, for defects a hostile
//! or careless client could hit: leaked contacts, crashing files and
//! offsets, 500s on odd filters and long id lists, throttling bypassed by
//! concurrency, formula injection, unguarded admins, exports that did not
//! import back, huge error bodies, surviving sessions and unclean text.

use qiao_bench::percent_encode;
use qiao_store::testkit::{TestDb, each_backend};
use qiao_tests::{PASSWORD, Response, call, get, need_of, send, user_with_token};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::net::SocketAddr;

const ORG_A: &str = "甲新能源科技有限公司";
const ORG_B: &str = "乙海工装备有限公司";
const UNIVERSITY: &str = "琴岛理工大学";
const CONTACT_NAME: &str = "王联络";
const CONTACT_PHONE: &str = "13912345678";
const CONTACT_EMAIL: &str = "liaison@jia-energy.example.com";

struct World {
    addr: SocketAddr,
    label: &'static str,
    admin: String,
    staff: String,
    ent_a: String,
    uni: String,
}

/// Staff, two approved enterprises (A with contacts) and a university, each with a member.
async fn world(db: &TestDb) -> World {
    let server = qiao_tests::serve(db).await;
    let addr = server.addr;
    let admin = server.first_admin("admin@example.com").await;
    let staff = user_with_token(addr, &admin, "staff@example.com", "staff", None).await;
    let orgs = [
        json!({"name": ORG_A, "kind": "enterprise", "region": "高新区", "fields": ["new_energy"],
            "contact_name": CONTACT_NAME, "contact_phone": CONTACT_PHONE,
            "contact_email": CONTACT_EMAIL}),
        json!({"name": ORG_B, "kind": "enterprise", "region": "城阳区"}),
        json!({"name": UNIVERSITY, "kind": "university", "region": "崂山区"}),
    ];
    for org in orgs {
        let r = call(
            addr,
            "POST",
            "/api/v1/organizations",
            Some(&staff),
            Some(org),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let ent_a = user_with_token(addr, &admin, "a@example.com", "enterprise", Some(ORG_A)).await;
    user_with_token(addr, &admin, "b@example.com", "enterprise", Some(ORG_B)).await;
    let uni = user_with_token(
        addr,
        &admin,
        "u@example.com",
        "university",
        Some(UNIVERSITY),
    )
    .await;
    World {
        addr,
        label: db.label,
        admin,
        staff,
        ent_a,
        uni,
    }
}

impl World {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        call(self.addr, method, path, token, body).await
    }

    /// Staff upload a file to the import endpoint.
    async fn import(&self, kind: &str, format: &str, file: &[u8]) -> Response {
        let auth = format!("Bearer {}", self.staff);
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/octet-stream"),
        ];
        let path = format!("/api/v1/import/{kind}?format={format}");
        send(self.addr, "POST", &path, &headers, Some(file)).await
    }

    async fn export(&self, kind: &str, format: &str, token: Option<&str>) -> Response {
        let path = format!("/api/v1/export/{kind}?format={format}");
        let r = self.call("GET", &path, token, None).await;
        assert_eq!(
            r.status, 200,
            "{}: export {kind} {format}: {}",
            self.label, r.body
        );
        r
    }

    async fn alive(&self) {
        let health = get(self.addr, "/healthz").await;
        assert_eq!(health.status, 200, "{}: the server is down", self.label);
    }
}

/// An import report's (created, updated, unchanged).
fn counts(r: &Response) -> (u64, u64, u64) {
    let v = r.json();
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("no {k} in {v}"));
    (n("created"), n("updated"), n("unchanged"))
}

fn is_problem(r: &Response) -> bool {
    r.header("content-type") == Some("application/problem+json")
}

/// The fields named in a problem document's `errors`.
fn error_fields(r: &Response) -> Vec<String> {
    r.json()["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A password login: the session cookie and its CSRF token.
async fn session(addr: SocketAddr, email: &str, password: &str) -> (String, String) {
    let body = json!({"email": email, "password": password}).to_string();
    let r = send(
        addr,
        "POST",
        "/api/v1/auth/login",
        &[],
        Some(body.as_bytes()),
    )
    .await;
    assert_eq!(r.status, 200, "login {email}: {}", r.body);
    let cookie = r
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_string();
    let csrf = r.json()["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_string();
    (cookie, csrf)
}

#[tokio::test]
async fn anonymous_organization_exports_carry_no_contacts() {
    each_backend(
        "hostile::anonymous_organization_exports_carry_no_contacts",
        |db| async move {
            let w = world(&db).await;
            for format in ["jsonl", "csv"] {
                let anonymous = w.export("organizations", format, None).await;
                assert!(
                    anonymous.body.contains(ORG_A),
                    "{format}: {}",
                    anonymous.body
                );
                for secret in [CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL] {
                    assert!(
                        !anonymous.body.contains(secret),
                        "{}: the anonymous {format} export shows {secret}: {}",
                        w.label,
                        anonymous.body
                    );
                }
                for token in [&w.uni, &w.staff] {
                    let signed_in = w.export("organizations", format, Some(token)).await;
                    for contact in [CONTACT_NAME, CONTACT_PHONE, CONTACT_EMAIL] {
                        assert!(
                            signed_in.body.contains(contact),
                            "{}: a signed-in {format} export lacks {contact}: {}",
                            w.label,
                            signed_in.body
                        );
                    }
                }
            }
            let anonymous = w.export("organizations", "jsonl", None).await;
            for line in anonymous.body.lines() {
                let row: Value = serde_json::from_str(line).expect("a JSON line");
                for key in ["contact_name", "contact_phone", "contact_email"] {
                    assert!(
                        row.get(key).is_none_or(|v| v.is_null() || v == ""),
                        "{}: {key} in {row}",
                        w.label
                    );
                }
            }
            db
        },
    )
    .await;
}

/// A minimal workbook whose first sheet holds `sheet_data` (the inside of
/// `<sheetData>`), zipped by hand as `crates/tabular/tests/common` does.
fn xlsx(sheet_data: &str) -> Vec<u8> {
    use std::io::{Cursor, Write};
    use zip::ZipWriter;
    use zip::write::SimpleFileOptions;
    const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
    const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#;
    let sheet = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#
    );
    let parts = [
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
        ("xl/worksheets/sheet1.xml", sheet.as_str()),
    ];
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(name, SimpleFileOptions::default())
            .expect("zip entry");
        zip.write_all(text.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

#[tokio::test]
async fn a_sparse_workbook_is_refused_and_the_server_lives() {
    each_backend(
        "hostile::a_sparse_workbook_is_refused_and_the_server_lives",
        |db| async move {
            let w = world(&db).await;
            // Two cells, first and last of the sheet: 17 billion cells once allocated.
            let file = xlsx(concat!(
                r#"<row r="1"><c r="A1" t="inlineStr"><is><t>标题</t></is></c></row>"#,
                r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#,
            ));
            assert!(file.len() < 2_000, "{} bytes", file.len());
            let r = w.import("needs", "xlsx", &file).await;
            assert!(
                (400..500).contains(&r.status),
                "{}: {} {}",
                w.label,
                r.status,
                r.body
            );
            assert!(is_problem(&r), "{r:?}");
            assert!(
                r.body.len() < 4_096,
                "{}: a long answer: {}",
                w.label,
                r.body
            );
            // Refused for its size, not as an unreadable file.
            assert!(
                r.body.contains("XFD") || r.body.contains("1048576"),
                "{}: {}",
                w.label,
                r.body
            );
            w.alive().await;
            // The server still works, not only answers.
            let list = w.call("GET", "/api/v1/needs", Some(&w.staff), None).await;
            assert_eq!(list.status, 200, "{}", list.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn huge_offsets_are_refused_not_panics() {
    each_backend(
        "hostile::huge_offsets_are_refused_not_panics",
        |db| async move {
            let w = world(&db).await;
            for list in ["needs", "capabilities", "organizations", "users"] {
                for offset in [
                    "9223372036854775808",
                    "18446744073709551615",
                    "18446744073709551616",
                ] {
                    let path = format!("/api/v1/{list}?offset={offset}");
                    let r = w.call("GET", &path, Some(&w.staff), None).await;
                    assert!(
                        matches!(r.status, 400 | 422) && is_problem(&r),
                        "{}: {path}: {} {}",
                        w.label,
                        r.status,
                        r.body
                    );
                }
                // The largest allowed offset is an empty page.
                let path = format!("/api/v1/{list}?offset=9223372036854775807");
                let r = w.call("GET", &path, Some(&w.staff), None).await;
                assert_eq!(r.status, 200, "{}: {path}: {}", w.label, r.body);
                assert_eq!(r.json()["items"], json!([]), "{}", r.body);
            }
            for list in ["needs", "capabilities", "organizations"] {
                let path = format!("/api/v1/{list}?offset=9223372036854775808");
                let r = w.call("GET", &path, None, None).await;
                assert!(
                    matches!(r.status, 400 | 422),
                    "{}: {path}: {}",
                    w.label,
                    r.status
                );
            }
            w.alive().await;
            db
        },
    )
    .await;
}

fn titles(r: &Response) -> Vec<String> {
    let mut t: Vec<String> = r.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            i["title"]
                .as_str()
                .or(i["name"].as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    t.sort();
    t
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn field_status_and_visibility_filters() {
    each_backend(
        "hostile::field_status_and_visibility_filters",
        |db| async move {
            let w = world(&db).await;
            for (title, field) in [
                ("动力电池热管理系统开发", "new_energy"),
                ("车用电驱动总成测试", "new_energy_vehicles"),
                ("高熵合金涂层需求", "new_materials"),
            ] {
                need_of(w.addr, &w.ent_a, json!({"title": title, "fields": [field]})).await;
            }
            let energy = format!("field={}", percent_encode("新能源"));
            for query in ["field=new_energy", energy.as_str()] {
                for token in [None, Some(w.staff.as_str())] {
                    let r = w
                        .call("GET", &format!("/api/v1/needs?{query}"), token, None)
                        .await;
                    assert_eq!(r.status, 200, "{}: {query}: {}", w.label, r.body);
                    assert_eq!(
                        titles(&r),
                        vec!["动力电池热管理系统开发"],
                        "{}: {query}",
                        w.label
                    );
                    assert_eq!(r.json()["total"], 1, "{}", r.body);
                }
            }
            let r = w
                .call("GET", "/api/v1/needs?field=new_energy_vehicles", None, None)
                .await;
            assert_eq!(
                titles(&r),
                vec!["车用电驱动总成测试"],
                "{}: {}",
                w.label,
                r.body
            );

            // Organizations: a code with `_` matches that field, and only it.
            for (name, fields) in [
                ("丙船舶重工有限公司", json!(["marine_equipment"])),
                ("丁海洋科技有限公司", json!(["marine_science"])),
                (
                    "戊船舶配套有限公司",
                    json!(["船舶与海工装备", "new_energy"]),
                ),
            ] {
                let body = json!({"name": name, "kind": "enterprise", "region": "黄岛区",
                "fields": fields});
                let r = w
                    .call("POST", "/api/v1/organizations", Some(&w.staff), Some(body))
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
            let marine = format!("field={}", percent_encode("船舶与海工装备"));
            for query in ["field=marine_equipment", marine.as_str()] {
                let path = format!("/api/v1/organizations?{query}&limit=100");
                let r = w.call("GET", &path, Some(&w.staff), None).await;
                assert_eq!(r.status, 200, "{}: {query}: {}", w.label, r.body);
                assert_eq!(
                    titles(&r),
                    sorted(&["丙船舶重工有限公司", "戊船舶配套有限公司"]),
                    "{}: {query}: {}",
                    w.label,
                    r.body
                );
            }
            let r = w
                .call(
                    "GET",
                    "/api/v1/organizations?field=new_energy&limit=100",
                    None,
                    None,
                )
                .await;
            assert_eq!(
                titles(&r),
                sorted(&[ORG_A, "戊船舶配套有限公司"]),
                "{}: {}",
                w.label,
                r.body
            );

            // Unknown codes answer 422 naming the parameter.
            for (list, param) in [
                ("needs", "status"),
                ("needs", "visibility"),
                ("needs", "field"),
                ("capabilities", "status"),
                ("capabilities", "field"),
                ("capabilities", "kind"),
                ("organizations", "status"),
                ("organizations", "field"),
                ("organizations", "kind"),
            ] {
                for value in ["bogus", "new%25", "new_energ_"] {
                    let path = format!("/api/v1/{list}?{param}={value}");
                    for token in [None, Some(w.staff.as_str())] {
                        let r = w.call("GET", &path, token, None).await;
                        assert_eq!(r.status, 422, "{}: {path}: {}", w.label, r.body);
                        assert!(
                            error_fields(&r).contains(&param.to_string()),
                            "{path}: {}",
                            r.body
                        );
                    }
                }
            }
            db
        },
    )
    .await;
}

#[tokio::test]
async fn long_id_lists_answer_422_not_500() {
    each_backend(
        "hostile::long_id_lists_answer_422_not_500",
        |db| async move {
            let w = world(&db).await;
            let mut real = Vec::new();
            for i in 0..3 {
                let id = need_of(
                    w.addr,
                    &w.ent_a,
                    json!({"title": format!("储能电池需求 {i}"), "fields": ["new_energy"]}),
                )
                .await;
                real.push(id);
            }
            let many: Vec<i64> = (1..=40_000).collect();
            let at_limit: Vec<i64> = real.iter().copied().chain(1_000_000..1_000_997).collect();
            assert_eq!(at_limit.len(), 1_000);
            let over_limit: Vec<i64> = (1_000_000..1_001_001).collect();
            let key_needs = "/api/v1/plans/2026/key-needs";
            let assignments = "/api/v1/plans/2026/assignments";
            for ids in [&many, &over_limit] {
                let r = w
                    .call(
                        "PUT",
                        key_needs,
                        Some(&w.staff),
                        Some(json!({"need_ids": ids})),
                    )
                    .await;
                assert_eq!(
                    r.status,
                    422,
                    "{}: {} key needs: {}",
                    w.label,
                    ids.len(),
                    r.body
                );
                assert!(
                    error_fields(&r).contains(&"need_ids".to_string()),
                    "{}",
                    r.body
                );
                let r = w
                    .call(
                        "POST",
                        assignments,
                        Some(&w.staff),
                        Some(json!({"need_ids": ids})),
                    )
                    .await;
                assert_eq!(
                    r.status,
                    422,
                    "{}: {} assignment needs: {}",
                    w.label,
                    ids.len(),
                    r.body
                );
                assert!(
                    error_fields(&r).contains(&"need_ids".to_string()),
                    "{}",
                    r.body
                );
            }
            let existing: Vec<i64> = real.iter().copied().cycle().take(1_000).collect();
            for ids in [&at_limit, &existing] {
                let r = w
                    .call(
                        "PUT",
                        key_needs,
                        Some(&w.staff),
                        Some(json!({"need_ids": ids})),
                    )
                    .await;
                assert!(
                    r.status < 500,
                    "{}: 1,000 key needs: {} {}",
                    w.label,
                    r.status,
                    r.body
                );
                let r = w
                    .call(
                        "POST",
                        assignments,
                        Some(&w.staff),
                        Some(json!({"need_ids": ids})),
                    )
                    .await;
                assert!(
                    r.status < 500,
                    "{}: 1,000 assignment needs: {} {}",
                    w.label,
                    r.status,
                    r.body
                );
            }
            let r = w
                .call(
                    "PUT",
                    key_needs,
                    Some(&w.staff),
                    Some(json!({"need_ids": real})),
                )
                .await;
            assert_eq!(r.status, 200, "{}: {}", w.label, r.body);
            w.alive().await;
            db
        },
    )
    .await;
}

#[tokio::test]
async fn concurrent_wrong_passwords_are_throttled() {
    each_backend(
        "hostile::concurrent_wrong_passwords_are_throttled",
        |db| async move {
            let w = world(&db).await;
            let addr = w.addr;
            let wrong =
                json!({"email": "a@example.com", "password": "wrong-password-1"}).to_string();
            let tasks: Vec<_> = (0..200)
                .map(|_| {
                    let body = wrong.clone();
                    tokio::spawn(async move {
                        send(
                            addr,
                            "POST",
                            "/api/v1/auth/login",
                            &[],
                            Some(body.as_bytes()),
                        )
                        .await
                        .status
                    })
                })
                .collect();
            let mut counts: BTreeMap<u16, usize> = BTreeMap::new();
            for task in tasks {
                *counts.entry(task.await.expect("a login")).or_default() += 1;
            }
            assert!(
                counts.get(&429).copied().unwrap_or(0) > 0,
                "{}: no concurrent guess was throttled: {counts:?}",
                w.label
            );
            assert!(
                counts.keys().all(|s| matches!(s, 401 | 429 | 503)),
                "{}: {counts:?}",
                w.label
            );
            // Far fewer than the 200 guesses reached the password check.
            assert!(
                counts.get(&401).copied().unwrap_or(0) < 50,
                "{}: {counts:?}",
                w.label
            );
            // Another account of the same address still signs in.
            let right = json!({"email": "b@example.com", "password": PASSWORD}).to_string();
            let r = send(
                addr,
                "POST",
                "/api/v1/auth/login",
                &[],
                Some(right.as_bytes()),
            )
            .await;
            assert_eq!(r.status, 200, "{}: {counts:?}: {}", w.label, r.body);
            db
        },
    )
    .await;
}

const TRICKY_TITLES: [&str; 5] = [
    r#"=HYPERLINK("http://x","y")"#,
    "-40℃电池",
    "=SUM(1)",
    "+86 热线",
    "@home",
];

#[tokio::test]
async fn csv_exports_defuse_formulas_and_import_back() {
    each_backend(
        "hostile::csv_exports_defuse_formulas_and_import_back",
        |db| async move {
            let w = world(&db).await;
            for title in TRICKY_TITLES {
                need_of(
                    w.addr,
                    &w.ent_a,
                    json!({"title": title, "keywords": ["=1+1", "电池"]}),
                )
                .await;
            }
            need_of(
                w.addr,
                &w.ent_a,
                json!({"title": "普通需求", "description": "-不是公式"}),
            )
            .await;
            let csv = w.export("needs", "csv", Some(&w.staff)).await;
            for defused in [
                "'=HYPERLINK(",
                "'-40℃电池",
                "'=SUM(1)",
                "'+86 热线",
                "'@home",
            ] {
                assert!(
                    csv.body.contains(defused),
                    "{}: no {defused} in {}",
                    w.label,
                    csv.body
                );
            }
            for raw in [
                ",=HYPERLINK(",
                "\"=HYPERLINK(",
                ",=SUM(1)",
                ",-40℃",
                ",+86",
                ",@home",
            ] {
                assert!(
                    !csv.body.contains(raw),
                    "{}: {raw} in {}",
                    w.label,
                    csv.body
                );
            }
            let total = w
                .call("GET", "/api/v1/needs", Some(&w.staff), None)
                .await
                .json()["total"]
                .clone();
            assert_eq!(total, 6);
            let r = w.import("needs", "csv", &csv.bytes).await;
            assert_eq!(r.status, 200, "{}: {}", w.label, r.body);
            assert_eq!(counts(&r), (0, 0, 6), "{}: {}", w.label, r.body);
            let after = w
                .call("GET", "/api/v1/needs?limit=100", Some(&w.staff), None)
                .await;
            let got = titles(&after);
            let mut expected: Vec<String> = TRICKY_TITLES.iter().map(|t| t.to_string()).collect();
            expected.push("普通需求".into());
            expected.sort();
            assert_eq!(got, expected, "{}", w.label);
            for item in after.json()["items"].as_array().unwrap() {
                if item["title"] != "普通需求" {
                    assert_eq!(item["keywords"], json!(["=1+1", "电池"]), "{item}");
                }
            }
            db
        },
    )
    .await;
}

#[tokio::test]
async fn staff_cannot_disable_admins_or_staff() {
    each_backend(
        "hostile::staff_cannot_disable_admins_or_staff",
        |db| async move {
            let w = world(&db).await;
            user_with_token(w.addr, &w.admin, "staff2@example.com", "staff", None).await;
            let users = w
                .call("GET", "/api/v1/users?limit=100", Some(&w.staff), None)
                .await;
            assert_eq!(users.status, 200, "{}", users.body);
            let id_of = |email: &str| {
                users.json()["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|u| u["email"] == email)
                    .unwrap_or_else(|| panic!("no {email}"))["id"]
                    .as_i64()
                    .unwrap()
            };
            for email in ["admin@example.com", "staff2@example.com"] {
                let path = format!("/api/v1/users/{}", id_of(email));
                let r = w
                    .call(
                        "PATCH",
                        &path,
                        Some(&w.staff),
                        Some(json!({"disabled": true})),
                    )
                    .await;
                assert_eq!(
                    r.status, 403,
                    "{}: staff disabled {email}: {}",
                    w.label, r.body
                );
            }
            let me = w.call("GET", "/api/v1/auth/me", Some(&w.admin), None).await;
            assert_eq!(me.status, 200, "{}: the admin was signed out", w.label);
            let path = format!("/api/v1/users/{}", id_of("b@example.com"));
            let r = w
                .call(
                    "PATCH",
                    &path,
                    Some(&w.staff),
                    Some(json!({"disabled": true})),
                )
                .await;
            assert_eq!(r.status, 200, "{}: {}", w.label, r.body);
            assert_eq!(r.json()["disabled"], true);
            let path = format!("/api/v1/users/{}", id_of("u@example.com"));
            let r = w
                .call(
                    "PATCH",
                    &path,
                    Some(&w.staff),
                    Some(json!({"disabled": true})),
                )
                .await;
            assert_eq!(r.status, 200, "{}: {}", w.label, r.body);
            assert_eq!(
                w.call("GET", "/api/v1/auth/me", Some(&w.uni), None)
                    .await
                    .status,
                401
            );
            db
        },
    )
    .await;
}

/// `XQ-2026-000123`: the prefix, a four-digit year and a six-digit number.
fn readable_id(id: &str, prefix: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match id.split('-').collect::<Vec<_>>()[..] {
        [p, year, number] => p == prefix && digits(year, 4) && digits(number, 6),
        _ => false,
    }
}

#[tokio::test]
async fn api_listings_get_external_ids_and_exports_import_back() {
    each_backend(
        "hostile::api_listings_get_external_ids_and_exports_import_back",
        |db| async move {
            let w = world(&db).await;
            let needs = [
                (
                    &w.ent_a,
                    json!({"title": "动力电池热管理系统开发", "budget_max": 80}),
                ),
                (
                    &w.ent_a,
                    json!({"title": "固态电解质保密攻关", "visibility": "staff_only"}),
                ),
                (
                    &w.ent_a,
                    json!({"title": "储能消防草稿", "status": "draft"}),
                ),
                (
                    &w.staff,
                    json!({"title": "船体焊接机器人", "org_name": ORG_B,
                    "deadline": "2027-06-30", "fields": ["marine_equipment"]}),
                ),
            ];
            let mut seen = Vec::new();
            for (token, body) in needs {
                let r = w
                    .call("POST", "/api/v1/needs", Some(token), Some(body))
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
                let ext = r.json()["external_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert!(
                    readable_id(&ext, "XQ"),
                    "{}: need {ext:?}: {}",
                    w.label,
                    r.body
                );
                seen.push(ext);
            }
            let caps = [
                (&w.uni, json!({"title": "高熵合金涂层", "trl": "中试"})),
                (
                    &w.staff,
                    json!({"title": "海工钛合金焊接工艺", "org_name": UNIVERSITY}),
                ),
            ];
            for (token, body) in caps {
                let r = w
                    .call("POST", "/api/v1/capabilities", Some(token), Some(body))
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
                let ext = r.json()["external_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                assert!(
                    readable_id(&ext, "CG"),
                    "{}: capability {ext:?}: {}",
                    w.label,
                    r.body
                );
                seen.push(ext);
            }
            let count = seen.len();
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), count, "external ids repeat: {seen:?}");

            for (kind, rows) in [("needs", 4), ("capabilities", 2)] {
                let file = w.export(kind, "jsonl", Some(&w.staff)).await;
                assert_eq!(file.body.lines().count(), rows, "{}", file.body);
                let r = w.import(kind, "jsonl", &file.bytes).await;
                assert_eq!(
                    r.status, 200,
                    "{}: {kind} do not import back: {}",
                    w.label, r.body
                );
                assert_eq!(
                    counts(&r),
                    (0, 0, rows as u64),
                    "{}: {kind}: {}",
                    w.label,
                    r.body
                );
            }
            db
        },
    )
    .await;
}

#[tokio::test]
async fn wide_csv_files_get_short_errors() {
    each_backend(
        "hostile::wide_csv_files_get_short_errors",
        |db| async move {
            let w = world(&db).await;
            for unknown in [100_000usize, 150] {
                let mut csv = String::from("org_name,title");
                for i in 0..unknown {
                    csv.push_str(&format!(",no_such_column_{i}"));
                }
                csv.push_str(&format!("\n{ORG_A},宽表需求"));
                for i in 0..unknown {
                    csv.push_str(&format!(",v{i}"));
                }
                csv.push('\n');
                let r = w.import("needs", "csv", csv.as_bytes()).await;
                assert!(
                    (400..500).contains(&r.status),
                    "{}: {unknown} columns: {} {}",
                    w.label,
                    r.status,
                    &r.body[..r.body.len().min(500)]
                );
                assert!(
                    r.bytes.len() < 64 * 1024,
                    "{}: {unknown} unknown columns: an error of {} bytes",
                    w.label,
                    r.bytes.len()
                );
                let named = [unknown, unknown + 2]
                    .iter()
                    .any(|n| r.body.contains(&n.to_string()));
                assert!(
                    named,
                    "{}: the count of {unknown} is not named: {}",
                    w.label, r.body
                );
            }
            w.alive().await;
            db
        },
    )
    .await;
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions() {
    each_backend(
        "hostile::a_new_password_ends_the_other_sessions",
        |db| async move {
            let w = world(&db).await;
            let (cookie_a, csrf_a) = session(w.addr, "a@example.com", PASSWORD).await;
            let (cookie_b, _) = session(w.addr, "a@example.com", PASSWORD).await;
            let addr = w.addr;
            let me = |cookie: String| async move {
                send(addr, "GET", "/api/v1/auth/me", &[("Cookie", &cookie)], None)
                    .await
                    .status
            };
            assert_eq!(me(cookie_b.clone()).await, 200);
            let new_password = "harbour-lights-2077";
            let body =
                json!({"current_password": PASSWORD, "new_password": new_password}).to_string();
            let headers = [
                ("Cookie", cookie_a.as_str()),
                ("X-CSRF-Token", csrf_a.as_str()),
            ];
            let r = send(
                w.addr,
                "POST",
                "/api/v1/auth/password",
                &headers,
                Some(body.as_bytes()),
            )
            .await;
            assert_eq!(r.status, 204, "{}: {}", w.label, r.body);
            assert_eq!(
                me(cookie_b).await,
                401,
                "{}: the other session survived",
                w.label
            );
            assert_eq!(
                me(cookie_a.clone()).await,
                200,
                "{}: the changing session ended",
                w.label
            );
            let write = send(
                w.addr,
                "POST",
                "/api/v1/needs",
                &headers,
                Some(json!({"title": "改密后的需求"}).to_string().as_bytes()),
            )
            .await;
            assert_eq!(write.status, 201, "{}: {}", w.label, write.body);
            session(w.addr, "a@example.com", new_password).await;
            let old = json!({"email": "a@example.com", "password": PASSWORD}).to_string();
            let r = send(
                w.addr,
                "POST",
                "/api/v1/auth/login",
                &[],
                Some(old.as_bytes()),
            )
            .await;
            assert_eq!(r.status, 401, "{}", r.body);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn unclean_text_and_wrong_kinds_are_refused() {
    each_backend(
        "hostile::unclean_text_and_wrong_kinds_are_refused",
        |db| async move {
            let w = world(&db).await;
            for title in [
                "\u{200b}\u{200b}",
                "\u{feff}",
                "储能\u{0}电池",
                "储能\u{1b}[31m电池",
                "储能\u{7}电池",
                "储能\u{202e}池电",
            ] {
                let body = json!({"title": title});
                let r = w
                    .call("POST", "/api/v1/needs", Some(&w.ent_a), Some(body))
                    .await;
                assert_eq!(r.status, 422, "{}: title {title:?}: {}", w.label, r.body);
                assert!(
                    error_fields(&r).contains(&"title".to_string()),
                    "{title:?}: {}",
                    r.body
                );
            }
            let list = w.call("GET", "/api/v1/needs", Some(&w.staff), None).await;
            assert_eq!(list.json()["total"], 0, "{}: {}", w.label, list.body);
            // Invisible characters are dropped around real text.
            let body = json!({"title": "\u{200b}储能电池\u{200b}"});
            let r = w
                .call("POST", "/api/v1/needs", Some(&w.ent_a), Some(body))
                .await;
            assert_eq!(r.status, 201, "{}: {}", w.label, r.body);
            assert_eq!(r.json()["title"], "储能电池");

            let huge = "p".repeat(1_000_000);
            let body = json!({"email": "big@example.com", "password": huge, "role": "enterprise",
            "org_name": "己新公司"});
            let r = w
                .call("POST", "/api/v1/auth/register", None, Some(body))
                .await;
            let head = &r.body[..r.body.len().min(500)];
            assert_eq!(r.status, 422, "{}: {head}", w.label);
            assert!(error_fields(&r).contains(&"password".to_string()), "{head}");
            let body = json!({"email": "u@example.com", "password": huge});
            let r = w.call("POST", "/api/v1/auth/login", None, Some(body)).await;
            assert_eq!(
                r.status,
                401,
                "{}: {}",
                w.label,
                &r.body[..r.body.len().min(500)]
            );
            w.alive().await;

            let body = json!({"title": "高校需求", "org_name": UNIVERSITY});
            let r = w
                .call("POST", "/api/v1/needs", Some(&w.staff), Some(body))
                .await;
            assert_eq!(
                r.status, 422,
                "{}: a need for a university: {}",
                w.label, r.body
            );
            assert!(
                error_fields(&r).contains(&"org_name".to_string()),
                "{}",
                r.body
            );
            let body = json!({"title": "企业成果", "org_name": ORG_A});
            let r = w
                .call("POST", "/api/v1/capabilities", Some(&w.staff), Some(body))
                .await;
            assert_eq!(
                r.status, 422,
                "{}: a capability for an enterprise: {}",
                w.label, r.body
            );
            assert!(
                error_fields(&r).contains(&"org_name".to_string()),
                "{}",
                r.body
            );
            db
        },
    )
    .await;
}
