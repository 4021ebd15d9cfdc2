//! The `qiao` binary driven as a user would, on SQLite and (when configured) PostgreSQL.

use qiao_store::testkit::{TestDb, each_backend};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn qiao(db: &TestDb, args: &[&str]) -> Output {
    qiao_with_input(db, args, "")
}

fn qiao_with_input(db: &TestDb, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qiao"))
        .arg("--data-dir")
        .arg(&db.dir)
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .env_remove("QIAO_DATA_DIR")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("qiao runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

const NEEDS_CSV: &str = "external_id,org_name,title,fields,keywords,budget_min,budget_max,deadline\n\
N-1,琴岛海工装备有限公司,深水系泊链疲劳监测,船舶与海工装备,系泊链；疲劳,50,120,2027-06-30\n\
N-2,琴岛海工装备有限公司,海洋平台防腐涂层寿命提升,新材料,防腐；涂层,30,80,2027-03-31\n";

#[tokio::test]
async fn a_bad_row_writes_nothing_and_is_named() {
    each_backend(
        "cli::a_bad_row_writes_nothing_and_is_named",
        |db| async move {
            let csv = NEEDS_CSV.replace("30,80", "30,十万");
            let file = write(&db.dir, "needs.csv", csv.as_bytes());
            let out = qiao(&db, &["import", "needs", &file]);
            assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
            let err = text(&out.stderr);
            assert!(
                err.contains("line 3, field budget_max: \"十万\" is not a number of 万元"),
                "{err}"
            );
            assert!(err.contains("nothing was written"), "{err}");
            assert!(
                db.store.export_needs().await.unwrap().is_empty(),
                "{}",
                db.label
            );
            assert!(db.store.export_organizations().await.unwrap().is_empty());
            db
        },
    )
    .await;
}

#[tokio::test]
async fn importing_the_same_file_twice_creates_no_duplicates() {
    each_backend(
        "cli::importing_the_same_file_twice_creates_no_duplicates",
        |db| async move {
            let file = write(&db.dir, "needs.csv", NEEDS_CSV.as_bytes());
            let first = qiao(&db, &["import", "needs", &file]);
            assert!(first.status.success(), "{}", text(&first.stderr));
            let stdout = text(&first.stdout);
            assert!(
                stdout.contains("2 created, 0 updated, 0 unchanged"),
                "{stdout}"
            );
            assert!(
                stdout.contains("琴岛海工装备有限公司"),
                "new organization is reported: {stdout}"
            );
            let second = qiao(&db, &["import", "needs", &file]);
            assert!(
                text(&second.stdout).contains("0 created, 0 updated, 2 unchanged"),
                "{}",
                text(&second.stdout)
            );
            assert_eq!(db.store.export_needs().await.unwrap().len(), 2);
            assert_eq!(db.store.export_organizations().await.unwrap().len(), 1);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn gbk_csv_with_chinese_headers_imports() {
    each_backend("cli::gbk_csv_with_chinese_headers_imports", |db| async move {
        let csv = "外部编号,单位名称,标题,需求描述,所属领域,合作方式,预算上限（万元）,公开范围\r\n\
N-9,琴岛农机股份有限公司,丘陵山地玉米收获机减损,\"收获损失率偏高，希望降低到2%以内\",农业机械,合作开发；委托开发,150,仅工作人员可见\r\n";
        let (gbk, _, bad) = encoding_rs::GBK.encode(csv);
        assert!(!bad);
        let file = write(&db.dir, "needs-gbk.csv", &gbk);
        let out = qiao(&db, &["import", "needs", &file]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let needs = db.store.export_needs().await.unwrap();
        assert_eq!(needs.len(), 1);
        assert_eq!(needs[0].title, "丘陵山地玉米收获机减损");
        assert_eq!(needs[0].description, "收获损失率偏高，希望降低到2%以内");
        assert_eq!(needs[0].org_name, "琴岛农机股份有限公司");
        assert_eq!(needs[0].cooperation_modes.len(), 2);
        assert_eq!(needs[0].visibility, qiao_core::vocab::Visibility::StaffOnly);
        db
    })
    .await;
}

#[tokio::test]
async fn exports_read_back_unchanged() {
    each_backend("cli::exports_read_back_unchanged", |db| async move {
        let file = write(&db.dir, "needs.csv", NEEDS_CSV.as_bytes());
        assert!(qiao(&db, &["import", "needs", &file]).status.success());
        for ext in ["xlsx", "csv", "jsonl"] {
            let out_file = db.dir.join(format!("export.{ext}")).display().to_string();
            let out = qiao(&db, &["export", "needs", &out_file]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert!(text(&out.stdout).contains("exported 2 row(s)"));
            let again = qiao(&db, &["import", "needs", &out_file]);
            assert!(
                text(&again.stdout).contains("0 created, 0 updated, 2 unchanged"),
                "{ext}: {} {}",
                text(&again.stdout),
                text(&again.stderr)
            );
        }
        let csv = std::fs::read(db.dir.join("export.csv")).unwrap();
        assert!(
            csv.starts_with(b"\xEF\xBB\xBF"),
            "CSV export carries a BOM for Excel"
        );
        assert!(text(&csv).contains("预算上限（万元）"), "Chinese header");
        let template = db.dir.join("template.xlsx").display().to_string();
        assert!(
            qiao(&db, &["export", "capabilities", &template, "--template"])
                .status
                .success()
        );
        let rows = qiao_tabular::read_rows(Path::new(&template)).unwrap();
        assert!(rows.is_empty(), "a template has only its header");
        db
    })
    .await;
}

#[tokio::test]
async fn users_and_tokens_from_the_command_line() {
    each_backend(
        "cli::users_and_tokens_from_the_command_line",
        |db| async move {
            let out = qiao_with_input(
                &db,
                &[
                    "user",
                    "create",
                    "--email",
                    "Li.Hua@Example.com",
                    "--role",
                    "enterprise",
                    "--org",
                    "琴岛新材料有限公司",
                    "--password-stdin",
                ],
                "tide-lantern-42\n",
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert!(text(&out.stdout).contains("awaits staff review"));
            let weak = qiao_with_input(
                &db,
                &[
                    "user",
                    "create",
                    "--email",
                    "b@example.com",
                    "--role",
                    "staff",
                    "--password-stdin",
                ],
                "123\n",
            );
            assert!(!weak.status.success());
            assert!(text(&weak.stderr).contains("at least 10 characters"));
            let no_org = qiao_with_input(
                &db,
                &[
                    "user",
                    "create",
                    "--email",
                    "c@example.com",
                    "--role",
                    "university",
                    "--password-stdin",
                ],
                "tide-lantern-42\n",
            );
            assert!(
                text(&no_org.stderr).contains("--org"),
                "{}",
                text(&no_org.stderr)
            );
            let out = qiao(
                &db,
                &[
                    "token",
                    "create",
                    "--email",
                    "li.hua@example.com",
                    "--name",
                    "ERP 对接",
                ],
            );
            assert!(out.status.success(), "{}", text(&out.stderr));
            let token = text(&out.stdout).trim().to_string();
            assert!(token.starts_with("qiao_"), "{token}");
            let digest = qiao_app::credentials::token_digest(&token);
            let user = db
                .store
                .user_by_token_hash(&digest)
                .await
                .unwrap()
                .expect("token resolves");
            assert_eq!(user.email, "li.hua@example.com");
            assert!(user.password_hash.starts_with("$argon2id$"));
            db
        },
    )
    .await;
}

#[tokio::test]
async fn demo_loads_once_and_reset_starts_afresh() {
    each_backend(
        "cli::demo_loads_once_and_reset_starts_afresh",
        |db| async move {
            let out = qiao(&db, &["demo", "--no-serve"]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert!(
                text(&out.stdout).contains("loaded demo data"),
                "{}",
                text(&out.stdout)
            );
            assert!(text(&out.stdout).contains("staff@demo.qiao.cn"));
            let needs = db.store.export_needs().await.unwrap().len();
            assert!(needs >= 120, "{needs} needs");
            assert!(db.store.export_capabilities().await.unwrap().len() >= 400);
            assert!(db.store.export_organizations().await.unwrap().len() >= 40);
            assert_eq!(
                db.store.plan(2026).await.unwrap().unwrap().targets[0].target,
                300.0
            );
            assert_eq!(
                db.store
                    .overview(qiao_core::Scope::All)
                    .await
                    .unwrap()
                    .events,
                5
            );

            let again = qiao(&db, &["demo", "--no-serve"]);
            assert!(!text(&again.stdout).contains("loaded demo data"));
            assert_eq!(db.store.export_needs().await.unwrap().len(), needs);

            let reset = qiao(&db, &["demo", "--no-serve", "--reset"]);
            assert!(
                text(&reset.stdout).contains("loaded demo data"),
                "{}",
                text(&reset.stderr)
            );
            assert_eq!(db.store.export_needs().await.unwrap().len(), needs);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn demo_never_touches_a_database_with_other_data() {
    let db = TestDb::sqlite().await.unwrap();
    let file = write(&db.dir, "needs.csv", NEEDS_CSV.as_bytes());
    assert!(qiao(&db, &["import", "needs", &file]).status.success());
    let out = qiao(&db, &["demo", "--no-serve"]);
    assert!(text(&out.stdout).contains("without loading demo data"));
    let reset = qiao(&db, &["demo", "--no-serve", "--reset"]);
    assert!(!reset.status.success());
    assert!(text(&reset.stderr).contains("refusing --reset"));
    assert_eq!(db.store.export_needs().await.unwrap().len(), 2);
}

#[tokio::test]
async fn backup_on_sqlite_and_advice_for_postgres() {
    let db = TestDb::sqlite().await.unwrap();
    let file = write(&db.dir, "needs.csv", NEEDS_CSV.as_bytes());
    assert!(qiao(&db, &["import", "needs", &file]).status.success());
    let target = db.dir.join("copy.db").display().to_string();
    let out = qiao(&db, &["backup", &target]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(Path::new(&target).metadata().unwrap().len() > 0);
    let out = Command::new(env!("CARGO_BIN_EXE_qiao"))
        .args([
            "backup",
            "x.db",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    assert!(text(&out.stderr).contains("pg_dump"));
}

#[test]
fn help_describes_every_subcommand() {
    for sub in [
        "serve", "demo", "migrate", "import", "export", "backup", "user", "token",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_qiao"))
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{sub}");
        let help = text(&out.stdout);
        assert!(help.contains("--data-dir"), "{sub}: {help}");
    }
}

/// `qiao demo` never takes QIAO_DATA_DIR, so it cannot load demo data into a
/// real data directory by accident; `--data-dir` still chooses one.
#[test]
fn demo_ignores_the_data_dir_environment_variable() {
    let cwd = tempfile::tempdir().unwrap();
    let real = cwd.path().join("real-data");
    let out = Command::new(env!("CARGO_BIN_EXE_qiao"))
        .args(["demo", "--no-serve"])
        .current_dir(cwd.path())
        .env("QIAO_DATA_DIR", &real)
        .env_remove("DATABASE_URL")
        .output()
        .expect("qiao runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!real.exists(), "the demo wrote into QIAO_DATA_DIR");
    assert!(
        cwd.path().join("qiao-demo").is_dir(),
        "the demo uses ./qiao-demo"
    );
}

/// Rows read from a projects export, written back as .xlsx under the export's headers.
fn write_project_rows(path: &Path, rows: &[qiao_tabular::Row]) {
    use qiao_tabular::{Cell, HeaderStyle, Table};
    let columns: Vec<qiao_tabular::Column> = qiao_core::record::PROJECT_COLUMNS
        .iter()
        .map(|c| qiao_tabular::Column {
            key: c.key.into(),
            label: c.label.into(),
            width: c.width,
        })
        .collect();
    let rows = rows
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| match r.values.get(&c.label).and_then(|v| v.as_str()) {
                    Some(s) => Cell::Text(s.into()),
                    None => Cell::Empty,
                })
                .collect()
        })
        .collect();
    let table = Table { columns, rows };
    qiao_tabular::write_table(path, &table, HeaderStyle::Labels).unwrap();
}

/// The audit log's entries about projects.
async fn project_audit(db: &TestDb) -> Vec<qiao_store::entities::audit_log::Model> {
    use qiao_store::entities::audit_log;
    use qiao_store::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("project"))
        .all(db.store.conn())
        .await
        .unwrap()
}

/// The demo's projects, exported, import into a database holding only the
/// same organizations and export back the same; the same file again changes
/// nothing; bad rows are all named and nothing is written.
#[tokio::test]
async fn projects_export_and_import_back() {
    let source = TestDb::sqlite().await.unwrap();
    let out = qiao(&source, &["demo", "--no-serve"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = |name: &str| source.dir.join(name).display().to_string();
    let (orgs, raw, projects) = (path("orgs.xlsx"), path("raw.xlsx"), path("projects.xlsx"));
    for (kind, file) in [("organizations", &orgs), ("projects", &raw)] {
        let out = qiao(&source, &["export", kind, file]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    // A project opened from a meeting has no external id, the import's key;
    // staff give it one on the platform before its row can be imported.
    let config = qiao_app::Config::new(source.dir.clone(), Some(source.url.clone()));
    let app = qiao_app::App::without_follower(source.store.clone(), config)
        .await
        .unwrap();
    let staff = qiao_app::Principal {
        id: 1,
        email: "staff@example.com".into(),
        role: qiao_core::vocab::Role::Staff,
        org_id: None,
        org_admin: false,
        method: qiao_app::AuthMethod::Token,
    };
    for (p, _, _) in source.store.export_projects().await.unwrap() {
        if p.external_id.is_none() {
            let draft = qiao_app::projects::ProjectDraft {
                external_id: Some(format!("prj-meeting-{}", p.id)),
                ..Default::default()
            };
            app.update_project(&staff, p.id, draft).await.unwrap();
        }
    }
    let out = qiao(&source, &["export", "projects", &projects]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported = qiao_tabular::read_rows(Path::new(&projects)).unwrap();
    let n = exported.len();
    assert!(n >= 10, "{n} demo projects");

    each_backend("cli::projects_export_and_import_back", |db| {
        let (orgs, raw, projects, exported) = (
            orgs.clone(),
            raw.clone(),
            projects.clone(),
            exported.clone(),
        );
        async move {
            let out = qiao(&db, &["import", "organizations", &orgs]);
            assert!(out.status.success(), "{}", text(&out.stderr));

            let out = qiao(&db, &["import", "projects", &raw]);
            assert_eq!(out.status.code(), Some(2), "{}", db.label);
            assert!(
                text(&out.stderr).contains("field external_id: is required"),
                "{}",
                text(&out.stderr)
            );
            assert!(db.store.export_projects().await.unwrap().is_empty());

            let out = qiao(&db, &["import", "projects", &projects]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert!(
                text(&out.stdout).contains(&format!("{n} created, 0 updated, 0 unchanged")),
                "{}",
                text(&out.stdout)
            );
            let again = db.dir.join("again.xlsx");
            let out = qiao(&db, &["export", "projects", &again.display().to_string()]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            assert_eq!(
                qiao_tabular::read_rows(&again).unwrap(),
                exported,
                "{}: the re-export differs",
                db.label
            );
            let out = qiao(&db, &["import", "projects", &projects]);
            assert!(
                text(&out.stdout).contains(&format!("0 created, 0 updated, {n} unchanged")),
                "{}",
                text(&out.stdout)
            );

            // Two bad rows among good changes: both named, nothing written.
            let mut rows = exported.clone();
            rows[0]
                .values
                .insert("项目名称".into(), "改过的项目名称".into());
            rows[1].values.insert("所属领域".into(), "火星开发".into());
            rows[3].values.insert("项目状态".into(), "已签约".into());
            rows[3].values.remove("合同类型");
            let mut new = rows[0].clone();
            new.values.insert("外部编号".into(), "prj-new".into());
            rows.push(new);
            let bad = db.dir.join("bad.xlsx");
            write_project_rows(&bad, &rows);
            let out = qiao(&db, &["import", "projects", &bad.display().to_string()]);
            assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
            let err = text(&out.stderr);
            assert!(err.contains("line 3, field field: \"火星开发\""), "{err}");
            assert!(
                err.contains("line 5, field contract_type: required"),
                "{err}"
            );
            assert!(err.contains("nothing was written"), "{err}");
            assert_eq!(db.store.export_projects().await.unwrap().len(), n);

            // Organizations are named, never created.
            let mut rows = exported.clone();
            rows[2]
                .values
                .insert("企业".into(), "不存在的装备公司".into());
            write_project_rows(&bad, &rows);
            let out = qiao(&db, &["import", "projects", &bad.display().to_string()]);
            assert_eq!(out.status.code(), Some(2));
            let err = text(&out.stderr);
            assert!(
                err.contains(
                    "line 4, field enterprise: no organization named \"不存在的装备公司\""
                ),
                "{err}"
            );
            let out = qiao(&db, &["export", "projects", &again.display().to_string()]);
            assert!(out.status.success());
            assert_eq!(qiao_tabular::read_rows(&again).unwrap(), exported);

            // A changed row updates its project, audited with before and after.
            let mut rows = exported.clone();
            rows[0]
                .values
                .insert("项目名称".into(), "改过的项目名称".into());
            write_project_rows(&bad, &rows);
            let out = qiao(&db, &["import", "projects", &bad.display().to_string()]);
            assert!(
                text(&out.stdout).contains(&format!("0 created, 1 updated, {} unchanged", n - 1)),
                "{}",
                text(&out.stdout)
            );
            let audit = project_audit(&db).await;
            let created = audit.iter().filter(|a| a.action == "create").count();
            assert_eq!(created, n, "{}", db.label);
            let updated: Vec<_> = audit.iter().filter(|a| a.action == "update").collect();
            assert_eq!(updated.len(), 1);
            let (before, after) = (updated[0].before.clone(), updated[0].after.clone());
            assert_eq!(before.unwrap()["title"], exported[0].values["项目名称"]);
            assert_eq!(after.unwrap()["title"], "改过的项目名称");
            db
        }
    })
    .await;
}
