//! Listing embeddings on every backend: batches stored whole, the backlog
//! (missing vectors and listings changed since), confirming an unchanged
//! text instead of embedding it again, replacing a changed one, vectors of
//! deleted listings removed, and the worker lease.

use qiao_core::access::ListingKind;
use qiao_core::record::{CapabilityRecord, ExternalId, NeedRecord};
use qiao_store::Store;
use qiao_store::audit::Actor;
use qiao_store::embeddings::{BacklogEntry, KindCounts, NewEmbedding};
use qiao_store::import::Line;
use qiao_store::sea_orm::{ConnectionTrait, Statement};
use qiao_store::testkit::each_backend;
use serde_json::json;
use std::time::Duration;

const MODEL: &str = "test-model@1";
const ENTERPRISE: &str = "琴岛海工装备有限公司";
const UNIVERSITY: &str = "琴岛理工大学";

fn need(ext: &str, title: &str) -> NeedRecord {
    let v = json!({"external_id": ext, "org_name": ENTERPRISE, "title": title, "description": "深水系泊链疲劳寿命在线监测"});
    NeedRecord::from_map(v.as_object().unwrap(), ExternalId::Required).unwrap()
}

fn capability(ext: &str, title: &str) -> CapabilityRecord {
    let v = json!({"external_id": ext, "org_name": UNIVERSITY, "title": title, "trl": 5});
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

/// Ids of the listings by external id, in import order.
async fn ids(store: &Store) -> (Vec<i64>, Vec<i64>) {
    let conn = store.conn();
    let mut out = Vec::new();
    for table in ["needs", "capabilities"] {
        let rows = conn
            .query_all_raw(Statement::from_string(
                conn.get_database_backend(),
                format!("SELECT id FROM {table} ORDER BY external_id"),
            ))
            .await
            .unwrap();
        out.push(
            rows.iter()
                .map(|r| r.try_get_by_index::<i64>(0).unwrap())
                .collect::<Vec<_>>(),
        );
    }
    let caps = out.pop().unwrap();
    (out.pop().unwrap(), caps)
}

async fn rows(store: &Store) -> i64 {
    let conn = store.conn();
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) FROM embeddings",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

fn vector(seed: f32) -> Vec<f32> {
    (0..8).map(|i| seed + i as f32 / 8.0).collect()
}

fn embedded(entry: &BacklogEntry, hash: &str, seed: f32) -> NewEmbedding {
    NewEmbedding {
        kind: entry.kind,
        listing_id: entry.listing_id,
        listing_version: entry.listing_version,
        text_hash: hash.to_string(),
        language: "zh".into(),
        vector: vector(seed),
    }
}

#[tokio::test]
async fn vectors_follow_the_listings_text_versions() {
    each_backend(
        "embeddings::vectors_follow_the_listings_text_versions",
        |db| async move {
            let store = &db.store;
            let actor = Actor::system("test");
            store
                .import_needs(
                    lines(vec![need("N1", "系泊链监测"), need("N2", "防腐涂层")]),
                    &actor,
                    "n.csv",
                )
                .await
                .unwrap();
            store
                .import_capabilities(
                    lines(vec![
                        capability("C1", "焊接残余应力调控"),
                        capability("C2", "海洋腐蚀防护"),
                    ]),
                    &actor,
                    "c.csv",
                )
                .await
                .unwrap();
            let (needs, caps) = ids(store).await;

            // Everything is missing at first, needs first and by id.
            let backlog = store.embedding_backlog(MODEL, 100).await.unwrap();
            let keys: Vec<(ListingKind, i64)> =
                backlog.iter().map(|e| (e.kind, e.listing_id)).collect();
            assert_eq!(
                keys,
                vec![
                    (ListingKind::Need, needs[0]),
                    (ListingKind::Need, needs[1]),
                    (ListingKind::Capability, caps[0]),
                    (ListingKind::Capability, caps[1]),
                ],
                "{}",
                db.label
            );
            assert!(backlog.iter().all(|e| e.stored_hash.is_none()));
            assert_eq!(
                store.count_embedding_backlog(MODEL).await.unwrap(),
                KindCounts {
                    needs: 2,
                    capabilities: 2
                }
            );
            // A limit takes the first entries.
            assert_eq!(store.embedding_backlog(MODEL, 3).await.unwrap().len(), 3);

            // One batch, stored whole.
            let batch: Vec<NewEmbedding> = backlog
                .iter()
                .enumerate()
                .map(|(i, e)| embedded(e, &format!("hash-{i}"), i as f32))
                .collect();
            store.upsert_embeddings(MODEL, &batch).await.unwrap();
            assert!(
                store
                    .embedding_backlog(MODEL, 100)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                store.count_embedding_backlog(MODEL).await.unwrap().total(),
                0
            );
            assert_eq!(
                store.count_embeddings(MODEL).await.unwrap(),
                KindCounts {
                    needs: 2,
                    capabilities: 2
                }
            );
            let loaded = store.load_embeddings(MODEL).await.unwrap();
            assert_eq!(loaded.len(), 4);
            for (stored, new) in loaded.iter().zip(&batch) {
                assert_eq!((stored.kind, stored.listing_id), (new.kind, new.listing_id));
                assert_eq!(stored.vector, new.vector, "bit-exact round trip");
                assert_eq!(stored.text_hash, new.text_hash);
            }
            // Another model has its own vectors.
            assert_eq!(
                store.embedding_backlog("other@2", 100).await.unwrap().len(),
                4
            );

            // An edit puts the listing back in the backlog with the hash it has a vector of.
            let org = store
                .organization_id_by_name(ENTERPRISE)
                .await
                .unwrap()
                .unwrap();
            store
                .update_need(needs[0], &need("N1", "系泊链疲劳监测"), org, None, &actor)
                .await
                .unwrap();
            let backlog = store.embedding_backlog(MODEL, 100).await.unwrap();
            assert_eq!(backlog.len(), 1, "{backlog:?}");
            assert_eq!(backlog[0].listing_id, needs[0]);
            assert_eq!(backlog[0].stored_hash.as_deref(), Some("hash-0"));
            let before = store
                .embeddings_by_ids(MODEL, ListingKind::Need, &[needs[0]])
                .await
                .unwrap();

            // The text hashes the same (say only the title's case changed in a
            // field the text leaves out): confirmed, not embedded again.
            assert_eq!(store.confirm_embeddings(MODEL, &backlog).await.unwrap(), 1);
            assert!(
                store
                    .embedding_backlog(MODEL, 100)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let after = store
                .embeddings_by_ids(MODEL, ListingKind::Need, &[needs[0]])
                .await
                .unwrap();
            assert_eq!(before, after, "the vector and its time are untouched");

            // A row stored before languages were recorded is in the backlog
            // until confirmed with its text's language, without a new vector.
            let unknown = NewEmbedding {
                language: String::new(),
                ..batch[2].clone()
            };
            store.upsert_embeddings(MODEL, &[unknown]).await.unwrap();
            let mut backlog = store.embedding_backlog(MODEL, 100).await.unwrap();
            assert_eq!(backlog.len(), 1, "{backlog:?}");
            assert_eq!(
                (backlog[0].listing_id, backlog[0].language.as_str()),
                (caps[0], "")
            );
            backlog[0].language = "en".into();
            assert_eq!(store.confirm_embeddings(MODEL, &backlog).await.unwrap(), 1);
            assert!(
                store
                    .embedding_backlog(MODEL, 100)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let stored = store
                .embeddings_by_ids(MODEL, ListingKind::Capability, &[caps[0]])
                .await
                .unwrap();
            assert_eq!(stored[0].language, "en");
            assert_eq!(stored[0].vector, batch[2].vector);

            // A confirmation against a hash that is no longer stored changes nothing.
            store
                .update_need(needs[0], &need("N1", "系泊链断裂预警"), org, None, &actor)
                .await
                .unwrap();
            let mut stale = store.embedding_backlog(MODEL, 100).await.unwrap();
            stale[0].stored_hash = Some("hash-of-nothing".into());
            assert_eq!(store.confirm_embeddings(MODEL, &stale).await.unwrap(), 0);
            assert_eq!(store.embedding_backlog(MODEL, 100).await.unwrap().len(), 1);

            // A changed text: replaced in place, still one row per listing and model.
            let backlog = store.embedding_backlog(MODEL, 100).await.unwrap();
            store
                .upsert_embeddings(MODEL, &[embedded(&backlog[0], "hash-new", 9.0)])
                .await
                .unwrap();
            assert!(
                store
                    .embedding_backlog(MODEL, 100)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(rows(store).await, 4);
            let replaced = store
                .embeddings_by_ids(MODEL, ListingKind::Need, &[needs[0]])
                .await
                .unwrap();
            assert_eq!(replaced[0].text_hash, "hash-new");
            assert_eq!(replaced[0].vector, vector(9.0));
            let since = store
                .embedding_keys(MODEL, Some(replaced[0].created_at))
                .await
                .unwrap();
            assert!(
                since
                    .iter()
                    .any(|k| k.listing_id == needs[0] && k.text_hash == "hash-new"),
                "{since:?}"
            );
            assert_eq!(store.embedding_keys(MODEL, None).await.unwrap().len(), 4);

            // A deleted listing leaves the backlog and loses its vector (under every model).
            store
                .upsert_embeddings(
                    "other@2",
                    &[NewEmbedding {
                        kind: ListingKind::Capability,
                        listing_id: caps[1],
                        listing_version: 1,
                        text_hash: "h".into(),
                        language: "zh".into(),
                        vector: vector(1.0),
                    }],
                )
                .await
                .unwrap();
            store.delete_capability(caps[1], &actor).await.unwrap();
            assert!(
                store
                    .embedding_backlog(MODEL, 100)
                    .await
                    .unwrap()
                    .is_empty()
            );
            let removed = store
                .remove_embeddings_of_deleted(Some((ListingKind::Capability, &[caps[0], caps[1]])))
                .await
                .unwrap();
            assert_eq!(removed, vec![(ListingKind::Capability, caps[1])]);
            assert_eq!(
                store.count_embeddings(MODEL).await.unwrap(),
                KindCounts {
                    needs: 2,
                    capabilities: 1
                }
            );
            assert_eq!(store.count_embeddings("other@2").await.unwrap().total(), 0);
            assert!(
                store
                    .remove_embeddings_of_deleted(None)
                    .await
                    .unwrap()
                    .is_empty()
            );
            assert_eq!(
                store.count_live_listings().await.unwrap(),
                KindCounts {
                    needs: 2,
                    capabilities: 1
                }
            );
            assert_eq!(
                store.embedding_models().await.unwrap(),
                vec![(MODEL.to_string(), 3)]
            );
            db
        },
    )
    .await;
}

#[tokio::test]
async fn one_worker_holds_the_lease_at_a_time() {
    each_backend(
        "embeddings::one_worker_holds_the_lease_at_a_time",
        |db| async move {
            let store = &db.store;
            let minute = Duration::from_secs(60);
            assert!(
                store
                    .take_embedding_lease("a", minute, false)
                    .await
                    .unwrap()
            );
            assert!(
                !store
                    .take_embedding_lease("b", minute, false)
                    .await
                    .unwrap()
            );
            assert!(
                store
                    .take_embedding_lease("a", minute, false)
                    .await
                    .unwrap(),
                "renewed"
            );
            assert!(
                store.take_embedding_lease("b", minute, true).await.unwrap(),
                "taken"
            );
            assert!(
                !store
                    .take_embedding_lease("a", minute, false)
                    .await
                    .unwrap()
            );
            store.release_embedding_lease("a").await.unwrap();
            assert!(
                !store
                    .take_embedding_lease("a", minute, false)
                    .await
                    .unwrap()
            );
            store.release_embedding_lease("b").await.unwrap();
            assert!(
                store
                    .take_embedding_lease("a", Duration::ZERO, false)
                    .await
                    .unwrap()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(
                store
                    .take_embedding_lease("b", minute, false)
                    .await
                    .unwrap(),
                "an expired lease is free"
            );
            db
        },
    )
    .await;
}
