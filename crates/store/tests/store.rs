//! Store behaviour on every configured backend.

use qiao_core::record::{CapabilityRecord, ExternalId, NeedRecord, OrganizationRecord};
use qiao_store::audit::Actor;
use qiao_store::entities::{audit_log, organization, outbox};
use qiao_store::import::{ImportError, Line};
use qiao_store::sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, Statement};
use qiao_store::testkit::{TestDb, each_backend};
use serde_json::{Value, json};

fn need(ext: &str, org: &str, title: &str) -> NeedRecord {
    let v = json!({"external_id": ext, "org_name": org, "title": title, "budget_max": "80", "fields": "新能源"});
    NeedRecord::from_map(v.as_object().unwrap(), ExternalId::Required).unwrap()
}

fn lines<R>(records: Vec<R>) -> Vec<Line<R>> {
    records
        .into_iter()
        .enumerate()
        .map(|(i, record)| Line {
            line: i + 2,
            record,
        })
        .collect()
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let db = TestDb::sqlite().await.unwrap();
    let conn = db.store.conn();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA journal_mode",
        ))
        .await
        .unwrap()
        .unwrap();
    let mode: String = row.try_get_by_index(0).unwrap();
    assert_eq!(mode, "wal");
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA foreign_keys",
        ))
        .await
        .unwrap()
        .unwrap();
    let on: i32 = row.try_get_by_index(0).unwrap();
    assert_eq!(on, 1);
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "PRAGMA busy_timeout",
        ))
        .await
        .unwrap()
        .unwrap();
    let timeout: i32 = row.try_get_by_index(0).unwrap();
    assert!(timeout >= 1000, "busy timeout {timeout}");
}

#[tokio::test]
async fn importing_twice_changes_nothing_and_writes_the_outbox() {
    each_backend(
        "store::importing_twice_changes_nothing_and_writes_the_outbox",
        |db| async move {
            let actor = Actor::system("test");
            let records = vec![
                need("n1", "琴岛海工装备有限公司", "系泊链监测"),
                need("n2", "琴岛海工装备有限公司", "防腐涂层"),
            ];
            let first = db
                .store
                .import_needs(lines(records.clone()), &actor, "t.csv")
                .await
                .unwrap();
            assert_eq!(
                (first.created, first.updated, first.unchanged),
                (2, 0, 0),
                "{}",
                db.label
            );
            assert_eq!(first.new_organizations, vec!["琴岛海工装备有限公司"]);
            let org = organization::Entity::find()
                .one(db.store.conn())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(org.review_status, "pending");

            let second = db
                .store
                .import_needs(lines(records.clone()), &actor, "t.csv")
                .await
                .unwrap();
            assert_eq!(
                (second.created, second.updated, second.unchanged),
                (0, 0, 2),
                "{}",
                db.label
            );
            assert!(second.new_organizations.is_empty());

            let mut changed = records;
            changed[1].title = "海洋防腐涂层".into();
            let third = db
                .store
                .import_needs(lines(changed), &actor, "t.csv")
                .await
                .unwrap();
            assert_eq!((third.created, third.updated, third.unchanged), (0, 1, 1));

            let exported = db.store.export_needs().await.unwrap();
            assert_eq!(exported.len(), 2);
            assert_eq!(exported[1].title, "海洋防腐涂层");
            assert_eq!(exported[0].budget_max.unwrap().yuan(), 800_000);

            // 1 organization + 2 needs + 1 updated need, in sequence order.
            let rows = outbox::Entity::find().all(db.store.conn()).await.unwrap();
            let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
            assert_eq!(seqs, vec![1, 2, 3, 4]);
            assert_eq!(rows[0].entity_type, "organization");
            assert_eq!(rows[3].entity_type, "need");
            assert_eq!(
                qiao_store::outbox::last_seq(db.store.conn()).await.unwrap(),
                4
            );
            assert_eq!(
                audit_log::Entity::find()
                    .count(db.store.conn())
                    .await
                    .unwrap(),
                3
            );
            db
        },
    )
    .await;
}

#[tokio::test]
async fn duplicate_external_ids_are_refused_before_writing() {
    each_backend(
        "store::duplicate_external_ids_are_refused_before_writing",
        |db| async move {
            let actor = Actor::system("test");
            let records = vec![
                need("n1", "甲公司", "一"),
                need("n2", "甲公司", "二"),
                need("n1", "甲公司", "三"),
            ];
            match db.store.import_needs(lines(records), &actor, "t.csv").await {
                Err(ImportError::Rows(errors)) => {
                    assert_eq!(errors.len(), 1);
                    assert_eq!(
                        errors[0].to_string(),
                        "line 4, field external_id: \"n1\" already appears on line 2"
                    );
                }
                other => panic!("expected row errors, got {other:?}"),
            }
            assert!(db.store.is_empty().await.unwrap());
            db
        },
    )
    .await;
}

#[tokio::test]
async fn capabilities_and_organizations_round_trip() {
    each_backend("store::capabilities_and_organizations_round_trip", |db| async move {
        let actor = Actor::system("test");
        let org: Value = json!({"external_id": "o1", "name": "琴岛理工大学", "kind": "高校",
            "credit_code": "12370200MB0000000X", "region": "高新区", "fields": ["新材料"]});
        let org = OrganizationRecord::from_map(org.as_object().unwrap(), ExternalId::Required);
        // The sample code above is not valid: the importer must never see it.
        assert!(org.is_err());
        let org: Value = json!({"external_id": "o1", "name": "琴岛理工大学", "kind": "高校", "region": "高新区"});
        let org = OrganizationRecord::from_map(org.as_object().unwrap(), ExternalId::Required).unwrap();
        let r = db.store.import_organizations(lines(vec![org.clone()]), &actor, "o.jsonl").await.unwrap();
        assert_eq!(r.created, 1);
        let cap: Value = json!({"external_id": "c1", "org_name": "琴岛理工大学", "title": "高熵合金涂层",
            "trl": 5, "cooperation_modes": ["技术转让", "技术许可"], "patents": "ZL202110345678.9"});
        let cap = CapabilityRecord::from_map(cap.as_object().unwrap(), ExternalId::Required).unwrap();
        let r = db.store.import_capabilities(lines(vec![cap.clone()]), &actor, "c.jsonl").await.unwrap();
        assert_eq!((r.created, r.new_organizations.len()), (1, 0));
        assert_eq!(db.store.export_capabilities().await.unwrap(), vec![cap]);
        assert_eq!(db.store.export_organizations().await.unwrap(), vec![org]);
        db
    })
    .await;
}

#[tokio::test]
async fn sqlite_backup_is_a_consistent_copy() {
    let db = TestDb::sqlite().await.unwrap();
    let actor = Actor::system("test");
    db.store
        .import_needs(lines(vec![need("n1", "甲公司", "一")]), &actor, "t")
        .await
        .unwrap();
    let target = db.dir.join("backup.db");
    db.store.backup_sqlite(&target).await.unwrap();
    let copy = qiao_store::Store::connect(
        &qiao_store::sqlite_url(&db.dir).replace("qiao.db", "backup.db"),
    )
    .await
    .unwrap();
    assert_eq!(copy.export_needs().await.unwrap().len(), 1);
    assert!(
        db.store.backup_sqlite(&target).await.is_err(),
        "refuses to overwrite"
    );
}

#[tokio::test]
async fn concurrent_saves_of_one_suggestion_keep_one_row() {
    use qiao_store::entities::{capability, match_suggestion, need as need_entity};
    use qiao_store::suggestions::NewSuggestion;
    each_backend(
        "store::concurrent_saves_of_one_suggestion_keep_one_row",
        |db| async move {
            let actor = Actor::system("test");
            db.store
                .import_needs(
                    lines(vec![need("n1", "甲公司", "电池热管理")]),
                    &actor,
                    "n.jsonl",
                )
                .await
                .unwrap();
            let cap: Value =
                json!({"external_id": "c1", "org_name": "琴岛理工大学", "title": "液冷板设计"});
            let cap =
                CapabilityRecord::from_map(cap.as_object().unwrap(), ExternalId::Required).unwrap();
            db.store
                .import_capabilities(lines(vec![cap]), &actor, "c.jsonl")
                .await
                .unwrap();
            let need_id = need_entity::Entity::find()
                .one(db.store.conn())
                .await
                .unwrap()
                .unwrap()
                .id;
            let cap_id = capability::Entity::find()
                .one(db.store.conn())
                .await
                .unwrap()
                .unwrap()
                .id;
            let item = NewSuggestion {
                need_id,
                capability_id: cap_id,
                score: 0.8,
                explanation: json!({"summary": "关键词：热管理"}),
            };
            let saves: Vec<_> = (0..4)
                .map(|_| {
                    let store = db.store.clone();
                    let item = item.clone();
                    tokio::spawn(async move { store.save_suggestions(&[item], "test").await })
                })
                .collect();
            let mut ids = Vec::new();
            for save in saves {
                let rows = save.await.unwrap().expect("every concurrent save succeeds");
                ids.push(rows[0].id);
            }
            ids.dedup();
            assert_eq!(ids.len(), 1, "{}: {ids:?}", db.label);
            assert_eq!(
                match_suggestion::Entity::find()
                    .count(db.store.conn())
                    .await
                    .unwrap(),
                1
            );
            db
        },
    )
    .await;
}

#[tokio::test]
async fn registering_into_an_existing_organization_only_requests_membership() {
    use qiao_core::vocab::Role;
    use qiao_store::users::{Join, NewUser};
    each_backend(
        "registering_into_an_existing_organization_only_requests_membership",
        |db| async move {
            let actor = Actor::system("t");
            let new = |email: &'static str, join| NewUser {
                email,
                display_name: email,
                role: Role::Enterprise,
                org_name: Some("琴岛重工"),
                password_hash: "x".into(),
                join,
            };
            let first = db
                .store
                .create_user(new("a@x.cn", Join::Request), &actor)
                .await
                .unwrap();
            assert!(first.created_org && first.membership_request.is_none());
            let first_user = db.store.user_by_id(first.id).await.unwrap().unwrap();
            assert!(
                first_user.org_admin,
                "the founder of a new organization is its admin"
            );
            let org = first_user.org_id.unwrap();

            let second = db
                .store
                .create_user(new("b@x.cn", Join::Request), &actor)
                .await
                .unwrap();
            let request = second
                .membership_request
                .expect("a request, not a membership");
            let second_user = db.store.user_by_id(second.id).await.unwrap().unwrap();
            assert_eq!(second_user.org_id, None);
            assert!(!second_user.org_admin);

            let third = db
                .store
                .create_user(new("c@x.cn", Join::Request), &actor)
                .await
                .unwrap();
            let refused = third.membership_request.unwrap();

            let decided = db
                .store
                .decide_membership(request, true, Some(first.id), &actor)
                .await
                .unwrap();
            assert_eq!(decided.status, "approved");
            let second_user = db.store.user_by_id(second.id).await.unwrap().unwrap();
            assert_eq!(second_user.org_id, Some(org));
            assert!(
                !second_user.org_admin,
                "the organization already has an admin"
            );
            let again = db
                .store
                .decide_membership(request, false, Some(first.id), &actor)
                .await;
            assert!(matches!(again, Err(qiao_store::StoreError::Conflict(_))));

            db.store
                .decide_membership(refused, false, None, &actor)
                .await
                .unwrap();
            assert_eq!(
                db.store.user_by_id(third.id).await.unwrap().unwrap().org_id,
                None
            );

            // A university user may not ask to join an enterprise.
            let mut wrong = new("d@x.cn", Join::Request);
            wrong.role = Role::University;
            assert!(matches!(
                db.store.create_user(wrong, &actor).await,
                Err(qiao_store::StoreError::Invalid(_))
            ));
            db
        },
    )
    .await;
}
