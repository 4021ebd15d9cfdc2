//! External ids of needs and capabilities are unique per organization: two
//! organizations may each have a need "N1", imports update only their own
//! organization's rows, and the migration that relaxed the global constraint
//! keeps every row, id and reference (run down and up again on a database
//! holding data).

use qiao_core::record::{CapabilityRecord, ExternalId, NeedRecord};
use qiao_store::audit::Actor;
use qiao_store::entities::{capability, need};
use qiao_store::import::{ImportError, Line};
use qiao_store::migration::Migrator;
use qiao_store::sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, Statement,
};
use qiao_store::testkit::{TestDb, each_backend};
use qiao_store::{Store, StoreError};
use sea_orm_migration::MigratorTrait;
use serde_json::json;

const A: &str = "甲海工装备有限公司";
const B: &str = "乙海洋科技有限公司";
const U: &str = "琴岛理工大学";

fn need(ext: &str, org: &str, title: &str) -> NeedRecord {
    let v = json!({"external_id": ext, "org_name": org, "title": title, "fields": "新能源"});
    NeedRecord::from_map(v.as_object().unwrap(), ExternalId::Required).unwrap()
}

fn capability(ext: &str, org: &str, title: &str) -> CapabilityRecord {
    let v = json!({"external_id": ext, "org_name": org, "title": title, "trl": 5});
    CapabilityRecord::from_map(v.as_object().unwrap(), ExternalId::Required).unwrap()
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

async fn needs_of(store: &Store) -> Vec<need::Model> {
    need::Entity::find()
        .order_by_asc(need::Column::Id)
        .all(store.conn())
        .await
        .unwrap()
}

async fn org_id(store: &Store, name: &str) -> i64 {
    store.organization_id_by_name(name).await.unwrap().unwrap()
}

async fn count(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

async fn strings(conn: &DatabaseConnection, sql: &str) -> Vec<String> {
    conn.query_all_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.try_get_by_index(0).unwrap())
        .collect()
}

#[tokio::test]
async fn organizations_import_the_same_external_id_each_for_itself() {
    each_backend(
        "external_ids::organizations_import_the_same_external_id_each_for_itself",
        |db| async move {
            let actor = Actor::system("test");
            let store = &db.store;
            // One file may hold both organizations' "N1".
            let first = store
                .import_needs(
                    lines(vec![
                        need("N1", A, "系泊链监测"),
                        need("N1", B, "海水淡化膜"),
                    ]),
                    &actor,
                    "both.csv",
                )
                .await
                .unwrap();
            assert_eq!((first.created, first.updated), (2, 0), "{}", db.label);
            let b_before = needs_of(store)
                .await
                .into_iter()
                .find(|n| n.title == "海水淡化膜")
                .unwrap();

            // Re-importing A's file, changed, updates A's N1 and only it.
            let again = store
                .import_needs(
                    lines(vec![
                        need("N1", A, "系泊链在线监测"),
                        need("N2", A, "防腐涂层"),
                    ]),
                    &actor,
                    "a.csv",
                )
                .await
                .unwrap();
            assert_eq!(
                (again.created, again.updated, again.unchanged),
                (1, 1, 0),
                "{}",
                db.label
            );
            let all = needs_of(store).await;
            assert_eq!(all.len(), 3);
            let b_after = all.iter().find(|n| n.id == b_before.id).unwrap();
            assert_eq!(b_after, &b_before, "B's N1 is untouched ({})", db.label);
            let a_n1 = all
                .iter()
                .find(|n| n.org_id != b_before.org_id && n.external_id.as_deref() == Some("N1"))
                .unwrap();
            assert_eq!(a_n1.title, "系泊链在线监测");
            assert_eq!(a_n1.version, 2);

            // The same file again changes nothing.
            let same = store
                .import_needs(
                    lines(vec![
                        need("N1", A, "系泊链在线监测"),
                        need("N2", A, "防腐涂层"),
                    ]),
                    &actor,
                    "a.csv",
                )
                .await
                .unwrap();
            assert_eq!((same.created, same.updated, same.unchanged), (0, 0, 2));

            // B re-importing its own N1 reports it unchanged, not A's.
            let b = store
                .import_needs(lines(vec![need("N1", B, "海水淡化膜")]), &actor, "b.csv")
                .await
                .unwrap();
            assert_eq!(
                (b.created, b.updated, b.unchanged),
                (0, 0, 1),
                "{}",
                db.label
            );

            // Capabilities alike.
            let caps = store
                .import_capabilities(
                    lines(vec![
                        capability("C1", U, "高熵合金涂层"),
                        capability("C1", "琴岛海洋研究院", "水下机器人"),
                    ]),
                    &actor,
                    "c.csv",
                )
                .await
                .unwrap();
            assert_eq!(caps.created, 2, "{}", db.label);
            let caps = store
                .import_capabilities(
                    lines(vec![capability("C1", U, "高熵合金涂层（二代）")]),
                    &actor,
                    "c.csv",
                )
                .await
                .unwrap();
            assert_eq!((caps.created, caps.updated), (0, 1));
            let titles: Vec<String> = capability::Entity::find()
                .filter(capability::Column::ExternalId.eq("C1"))
                .order_by_asc(capability::Column::Id)
                .all(store.conn())
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.title)
                .collect();
            assert_eq!(titles, vec!["高熵合金涂层（二代）", "水下机器人"]);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn duplicates_within_one_organization_are_refused() {
    each_backend(
        "external_ids::duplicates_within_one_organization_are_refused",
        |db| async move {
            let actor = Actor::system("test");
            let records = vec![
                need("N1", A, "一"),
                need("N1", B, "二"),
                need("N2", A, "三"),
                need("N1", A, "四"),
                need("N2", B, "五"),
            ];
            match db.store.import_needs(lines(records), &actor, "t.csv").await {
                Err(ImportError::Rows(errors)) => {
                    let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
                    assert_eq!(
                        errors,
                        vec!["line 5, field external_id: \"N1\" already appears on line 2"]
                    );
                }
                other => panic!("expected row errors, got {other:?}"),
            }
            assert!(db.store.is_empty().await.unwrap(), "{}", db.label);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn creating_conflicts_only_within_the_organization() {
    each_backend(
        "external_ids::creating_conflicts_only_within_the_organization",
        |db| async move {
            let actor = Actor::system("test");
            let store = &db.store;
            store
                .import_needs(
                    lines(vec![need("N1", A, "一"), need("N9", B, "九")]),
                    &actor,
                    "t",
                )
                .await
                .unwrap();
            let (a, b) = (org_id(store, A).await, org_id(store, B).await);
            let mut hidden = need("S1", A, "仅工作人员可见的需求");
            hidden.visibility = qiao_core::vocab::Visibility::StaffOnly;
            store.create_need(&hidden, a, &actor).await.unwrap();

            // B may use the ids A uses, hidden or not.
            for ext in ["S1", "N1"] {
                let saved = store
                    .create_need(&need(ext, B, "乙的需求"), b, &actor)
                    .await
                    .unwrap_or_else(|e| panic!("{ext} for B ({}): {e}", db.label));
                assert_eq!(saved.org_id, b);
            }
            // A may not use its own again, nor move a listing onto one.
            match store.create_need(&need("S1", A, "重复"), a, &actor).await {
                Err(StoreError::Conflict(m)) => {
                    assert_eq!(m, "external_id is already used by another record")
                }
                other => panic!("expected a conflict ({}), got {other:?}", db.label),
            }
            let n9 = needs_of(store)
                .await
                .into_iter()
                .find(|n| n.external_id.as_deref() == Some("N9"))
                .unwrap();
            match store
                .update_need(n9.id, &need("N1", B, "九"), b, None, &actor)
                .await
            {
                Err(StoreError::Conflict(_)) => {}
                other => panic!("expected a conflict ({}), got {other:?}", db.label),
            }
            // Capabilities alike.
            store
                .import_capabilities(lines(vec![capability("C1", U, "一")]), &actor, "c")
                .await
                .unwrap();
            let u = org_id(store, U).await;
            let other = store
                .import_capabilities(
                    lines(vec![capability("X", "琴岛海洋研究院", "二")]),
                    &actor,
                    "c",
                )
                .await
                .unwrap();
            assert_eq!(other.created, 1);
            let v = org_id(store, "琴岛海洋研究院").await;
            store
                .create_capability(&capability("C1", "琴岛海洋研究院", "二"), v, &actor)
                .await
                .unwrap();
            assert!(matches!(
                store
                    .create_capability(&capability("C1", U, "三"), u, &actor)
                    .await,
                Err(StoreError::Conflict(_))
            ));
            db
        },
    )
    .await;
}

/// Needs, capabilities and every kind of row referencing them.
async fn fill(db: &TestDb) {
    let actor = Actor::system("test");
    let store = &db.store;
    store
        .import_needs(
            lines(vec![
                need("N1", A, "系泊链监测"),
                need("N2", A, "防腐涂层"),
                need("N3", B, "海水淡化膜"),
            ]),
            &actor,
            "n.csv",
        )
        .await
        .unwrap();
    store
        .import_capabilities(
            lines(vec![
                capability("C1", U, "高熵合金涂层"),
                capability("C2", U, "光纤传感"),
            ]),
            &actor,
            "c.csv",
        )
        .await
        .unwrap();
    let conn = store.conn();
    for sql in [
        "INSERT INTO match_suggestions (need_id, capability_id, score, explanation, \
         algorithm_version, status, created_at) \
         SELECT n.id, c.id, 0.5, '{}', 'test', 'proposed', '2026-01-01T00:00:00+00:00' \
         FROM needs n, capabilities c",
        "INSERT INTO projects (external_id, title, need_id, capability_id, enterprise_org_id, \
         institution_org_id, origin, plan_year, is_key, status, milestones, version, \
         created_at, updated_at) \
         SELECT 'P-' || n.external_id, n.title, n.id, c.id, n.org_id, c.org_id, 'suggestion', \
         2026, TRUE, 'planned', '[]', 1, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' \
         FROM needs n, capabilities c WHERE c.external_id = 'C1'",
        "INSERT INTO annual_plans (year, name, created_at, updated_at) \
         VALUES (2026, '2026', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
        "INSERT INTO plan_key_needs (plan_year, need_id, created_at) \
         SELECT 2026, id, '2026-01-01T00:00:00+00:00' FROM needs WHERE external_id <> 'N3'",
    ] {
        conn.execute_unprepared(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // The newest need is deleted for good: its id must never come back.
    store
        .import_needs(lines(vec![need("N4", B, "临时")]), &actor, "n4.csv")
        .await
        .unwrap();
    conn.execute_unprepared("DELETE FROM needs WHERE external_id = 'N4'")
        .await
        .unwrap();
}

/// Rows joined across the references, as text.
async fn joined(conn: &DatabaseConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT n.external_id || '/' || c.external_id || '/' || s.status \
         FROM match_suggestions s JOIN needs n ON n.id = s.need_id \
         JOIN capabilities c ON c.id = s.capability_id \
         UNION ALL SELECT p.external_id || '/' || n.external_id || '/' || c.external_id \
         FROM projects p JOIN needs n ON n.id = p.need_id JOIN capabilities c ON c.id = p.capability_id \
         UNION ALL SELECT 'key/' || n.external_id FROM plan_key_needs k JOIN needs n ON n.id = k.need_id \
         ORDER BY 1",
    )
    .await
}

async fn indexes(conn: &DatabaseConnection, table: &str) -> Vec<String> {
    let sql = match conn.get_database_backend() {
        DbBackend::Sqlite => format!(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}' \
             AND sql IS NOT NULL ORDER BY name"
        ),
        _ => format!(
            "SELECT indexname::text FROM pg_indexes WHERE tablename = '{table}' \
             AND indexname LIKE 'idx_%' ORDER BY indexname"
        ),
    };
    strings(conn, &sql).await
}

/// Whether `table.external_id` is unique across organizations.
async fn globally_unique(conn: &DatabaseConnection, table: &str) -> bool {
    match conn.get_database_backend() {
        DbBackend::Sqlite => {
            let ddl = strings(
                conn,
                &format!("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{table}'"),
            )
            .await
            .remove(0);
            ddl.contains(r#""external_id" varchar NULL UNIQUE,"#)
        }
        _ => {
            count(
                conn,
                &format!(
                    "SELECT COUNT(*) FROM pg_constraint \
                     WHERE conrelid = '{table}'::regclass AND conname = '{table}_external_id_key'"
                ),
            )
            .await
                == 1
        }
    }
}

#[tokio::test]
async fn the_migration_keeps_rows_ids_and_references() {
    each_backend(
        "external_ids::the_migration_keeps_rows_ids_and_references",
        |db| async move {
            fill(&db).await;
            let conn = db.store.conn();
            let needs = needs_of(&db.store).await;
            let caps = capability::Entity::find()
                .order_by_asc(capability::Column::Id)
                .all(conn)
                .await
                .unwrap();
            let links = joined(conn).await;
            assert_eq!(links.len(), 6 + 3 + 2, "{links:?}");
            let per_org = |t: &str| format!("idx_{t}_external_id_org_id");
            for table in ["needs", "capabilities"] {
                assert!(!globally_unique(conn, table).await, "{}", db.label);
                assert!(indexes(conn, table).await.contains(&per_org(table)));
            }
            if db.label == "sqlite" {
                // Everything but the column's UNIQUE is as the initial migration made it.
                let ddl = strings(conn, "SELECT sql FROM sqlite_master WHERE name = 'needs'").await;
                assert_eq!(
                    ddl[0],
                    "CREATE TABLE \"needs\" ( \"id\" integer NOT NULL PRIMARY KEY AUTOINCREMENT, \
                     \"external_id\" varchar NULL, \"org_id\" integer NOT NULL, \
                     \"title\" varchar NOT NULL, \"description\" text NOT NULL, \
                     \"indicators\" jsonb_text NOT NULL, \"fields\" jsonb_text NOT NULL, \
                     \"keywords\" jsonb_text NOT NULL, \"cooperation_modes\" jsonb_text NOT NULL, \
                     \"budget_min_yuan\" integer NULL, \"budget_max_yuan\" integer NULL, \
                     \"deadline\" date_text NULL, \"ip_ownership\" varchar NULL, \
                     \"required_trl\" smallint NULL, \"visibility\" varchar NOT NULL, \
                     \"status\" varchar NOT NULL, \"version\" integer NOT NULL, \
                     \"created_at\" timestamp_with_timezone_text NOT NULL, \
                     \"updated_at\" timestamp_with_timezone_text NOT NULL, \
                     \"deleted_at\" timestamp_with_timezone_text NULL, \
                     FOREIGN KEY (\"org_id\") REFERENCES \"organizations\" (\"id\") )"
                );
            }

            // Down: the global constraint is back, rows and references kept.
            Migrator::down(conn, Some(steps_back_over_external_ids())).await.unwrap();
            for table in ["needs", "capabilities"] {
                assert!(globally_unique(conn, table).await, "{}", db.label);
                let idx = indexes(conn, table).await;
                assert!(!idx.contains(&per_org(table)), "{idx:?}");
                assert!(idx.contains(&format!("idx_{table}_org_id")), "{idx:?}");
                assert!(idx.contains(&format!("idx_{table}_status_updated_at")), "{idx:?}");
            }
            assert_eq!(needs_of(&db.store).await, needs);
            assert_eq!(joined(conn).await, links);

            // Up again, on a database holding data.
            Migrator::up(conn, None).await.unwrap();
            for table in ["needs", "capabilities"] {
                assert!(!globally_unique(conn, table).await, "{}", db.label);
                let idx = indexes(conn, table).await;
                assert_eq!(
                    idx,
                    vec![
                        format!("idx_{table}_external_id_org_id"),
                        format!("idx_{table}_org_id"),
                        format!("idx_{table}_status_updated_at"),
                    ],
                    "{}",
                    db.label
                );
            }
            assert_eq!(needs_of(&db.store).await, needs, "{}", db.label);
            assert_eq!(
                capability::Entity::find()
                    .order_by_asc(capability::Column::Id)
                    .all(conn)
                    .await
                    .unwrap(),
                caps
            );
            assert_eq!(joined(conn).await, links, "{}", db.label);

            // References are still enforced, and ids are not reused.
            let missing = conn
                .execute_unprepared(
                    "INSERT INTO match_suggestions (need_id, capability_id, score, explanation, \
                     algorithm_version, status, created_at) \
                     VALUES (987654, 1, 0.5, '{}', 'test', 'proposed', '2026-01-01T00:00:00+00:00')",
                )
                .await;
            assert!(missing.is_err(), "{}", db.label);
            let deleted_n4 = needs.iter().map(|n| n.id).max().unwrap() + 1;
            let actor = Actor::system("test");
            db.store
                .import_needs(lines(vec![need("N5", B, "新")]), &actor, "n5.csv")
                .await
                .unwrap();
            let n5 = needs_of(&db.store).await.pop().unwrap();
            assert!(n5.id > deleted_n4, "{} reused id {}", db.label, n5.id);

            // Once organizations share an external id, down refuses and changes nothing.
            db.store
                .import_needs(lines(vec![need("N1", B, "乙的 N1")]), &actor, "b.csv")
                .await
                .unwrap();
            let err = Migrator::down(conn, Some(steps_back_over_external_ids())).await.unwrap_err();
            assert!(err.to_string().contains("several organizations use N1"), "{err}");
            assert!(!globally_unique(conn, "needs").await);
            assert_eq!(
                count(conn, "SELECT COUNT(*) FROM needs WHERE external_id = 'N1'").await,
                2
            );
            db
        },
    )
    .await;
}

/// How many migrations `down` must undo to undo the per-organization
/// external ids: that one and every later one.
fn steps_back_over_external_ids() -> u32 {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect();
    let at = names
        .iter()
        .position(|n| n.contains("external_ids_per_org"))
        .expect("the external ids migration");
    (names.len() - at) as u32
}
