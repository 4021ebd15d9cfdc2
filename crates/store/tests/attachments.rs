//! Project attachments in the store, on every backend: rows name their
//! project (which must exist) and a storage key of their own, the per-project
//! limit holds inside the recording transaction, creation and removal are
//! audited, and the migration goes down and up again on a database holding
//! projects.

use qiao_core::project::ProjectFields;
use qiao_core::record::{ExternalId, OrganizationRecord};
use qiao_core::vocab::{AttachmentKind, ProjectOrigin, ProjectStatus, ReviewStatus};
use qiao_store::Store;
use qiao_store::StoreError;
use qiao_store::attachments::NewAttachment;
use qiao_store::audit::Actor;
use qiao_store::migration::Migrator;
use qiao_store::projects::ProjectDates;
use qiao_store::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use qiao_store::testkit::each_backend;
use sea_orm_migration::MigratorTrait;
use serde_json::json;

async fn org(store: &Store, name: &str, kind: &str, actor: &Actor) -> i64 {
    let v = json!({"name": name, "kind": kind});
    let r = OrganizationRecord::from_map(v.as_object().unwrap(), ExternalId::Optional).unwrap();
    store
        .create_organization(&r, ReviewStatus::Approved, actor)
        .await
        .unwrap()
        .id
}

async fn project(store: &Store, actor: &Actor) -> i64 {
    let fields = ProjectFields {
        external_id: None,
        title: "海上风电导管架焊接残余应力调控".into(),
        need_id: None,
        capability_id: None,
        meeting_id: None,
        enterprise_org_id: org(store, "甲海工装备有限公司", "enterprise", actor).await,
        institution_org_id: org(store, "乙理工大学", "university", actor).await,
        partners: vec![],
        origin: ProjectOrigin::Manual,
        plan_year: 2026,
        key_project: true,
        field: None,
        district: None,
        contract_type: None,
        contract_amount_wan: None,
        contract_reg_no: None,
        signed_on: None,
        expected_end: None,
        published: false,
    };
    store
        .insert_project(
            &fields,
            ProjectStatus::Planned,
            ProjectDates::default(),
            actor,
        )
        .await
        .unwrap()
        .id
}

fn file(project_id: i64, key: &str) -> NewAttachment {
    NewAttachment {
        project_id,
        kind: AttachmentKind::Contract,
        file_name: "合同.pdf".into(),
        media_type: "application/pdf".into(),
        size: 1234,
        sha256: "ab".repeat(32),
        storage_key: key.into(),
    }
}

async fn count(conn: &DatabaseConnection, sql: &str) -> Result<i64, String> {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no row")?;
    row.try_get_by_index(0).map_err(|e| e.to_string())
}

/// How many migrations `down` must undo to remove the attachments table:
/// that one and every later one.
fn steps_back_over_attachments() -> u32 {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let at = names
        .iter()
        .position(|n| n.contains("project_attachments"))
        .expect("the attachments migration");
    (names.len() - at) as u32
}

#[tokio::test]
async fn attachments_are_recorded_limited_audited_and_migrate_both_ways() {
    each_backend(
        "attachments::attachments_are_recorded_limited_audited_and_migrate_both_ways",
        |db| async move {
            let store = &db.store;
            let actor = Actor::user(7, "staff@example.com");
            let p = project(store, &actor).await;

            let a = store.insert_attachment(&file(p, "k1"), 2, &actor).await.unwrap();
            assert_eq!(a.kind, AttachmentKind::Contract);
            assert_eq!(a.file_name, "合同.pdf");
            assert_eq!(a.uploaded_by, "staff@example.com");
            assert_eq!(a.uploaded_by_user_id, Some(7));
            let b = store.insert_attachment(&file(p, "k2"), 3, &actor).await.unwrap();
            // The limit is counted in the transaction that records.
            let full = store.insert_attachment(&file(p, "k3"), 2, &actor).await;
            assert!(matches!(full, Err(StoreError::Conflict(_))), "{full:?}");
            // A storage key names one file only; a project must exist.
            assert!(store.insert_attachment(&file(p, "k1"), 10, &actor).await.is_err());
            let missing = store.insert_attachment(&file(987_654, "k9"), 10, &actor).await;
            assert!(matches!(missing, Err(StoreError::NotFound(_))), "{missing:?}");
            let ids: Vec<i64> = store.attachments(p).await.unwrap().iter().map(|a| a.id).collect();
            assert_eq!(ids, [a.id, b.id]);
            assert_eq!(store.attachment(b.id).await.unwrap(), Some(b.clone()));

            let gone = store.delete_attachment(a.id, &actor).await.unwrap();
            assert_eq!(gone, a);
            assert!(store.attachment(a.id).await.unwrap().is_none());
            assert!(matches!(
                store.delete_attachment(a.id, &actor).await,
                Err(StoreError::NotFound(_))
            ));
            let conn = store.conn();
            let audited = |action: &str| {
                format!(
                    "SELECT COUNT(*) FROM audit_log WHERE entity_type = 'attachment' AND action = '{action}'"
                )
            };
            assert_eq!(count(conn, &audited("create")).await, Ok(2));
            assert_eq!(count(conn, &audited("delete")).await, Ok(1));

            // Down: the table goes, projects stay; up: back, empty, usable.
            Migrator::down(conn, Some(steps_back_over_attachments())).await.unwrap();
            assert!(count(conn, "SELECT COUNT(*) FROM project_attachments").await.is_err());
            assert_eq!(count(conn, "SELECT COUNT(*) FROM projects").await, Ok(1));
            Migrator::up(conn, None).await.unwrap();
            assert_eq!(count(conn, "SELECT COUNT(*) FROM project_attachments").await, Ok(0));
            let c = store.insert_attachment(&file(p, "k1"), 2, &actor).await.unwrap();
            assert_eq!(store.attachments(p).await.unwrap(), [c]);
            db
        },
    )
    .await;
}
