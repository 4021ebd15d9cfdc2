//! Embeddings as derived data, with a fake engine (no model needed): a
//! failed batch commits nothing and a re-run finishes without repeating
//! anything; unchanged texts are not embedded again; deleted listings lose
//! their vectors; the worker follows writes, and a second server picks the
//! vectors up instead of computing them. With the real model
//! (`QIAO_E5_MODEL`), nearest neighbours on the seeds make sense.

#[path = "common/model.rs"]
mod model;

use qiao_app::embeddings::{
    self, Done, Embed, KindCounts, Pass, Probe, Semantic, listing_text, text_hash,
};
use qiao_app::{App, Config};
use qiao_core::access::ListingKind;
use qiao_core::record::{CapabilityRecord, ExternalId, NeedRecord};
use qiao_search::DocKind;
use qiao_search::centering::Language;
use qiao_store::Store;
use qiao_store::audit::Actor;
use qiao_store::import::Line;
use qiao_store::index_feed::Listing;
use qiao_store::testkit::{TestDb, each_backend};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ENTERPRISE: &str = "琴岛海工装备有限公司";
const UNIVERSITY: &str = "琴岛理工大学";
const DIM: usize = 64;

/// Hashes character bigrams into a small vector: texts sharing words get
/// close vectors, like a real model, only cruder. Fails on any text
/// containing the marker, if set.
struct Fake {
    model: String,
    fail_on: Mutex<Option<String>>,
    texts: AtomicUsize,
}

impl Fake {
    fn new() -> Arc<Self> {
        Self::named("fake-bigrams@1")
    }

    fn named(model: &str) -> Arc<Self> {
        Arc::new(Self {
            model: model.to_string(),
            fail_on: Mutex::new(None),
            texts: AtomicUsize::new(0),
        })
    }

    fn vector(text: &str) -> Vec<f32> {
        let chars: Vec<char> = text.chars().collect();
        let mut v = vec![0f32; DIM];
        for pair in chars.windows(2) {
            let h = (pair[0] as u64)
                .wrapping_mul(31)
                .wrapping_add(pair[1] as u64);
            v[(h % DIM as u64) as usize] += 1.0;
        }
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
        v.iter().map(|x| x / norm).collect()
    }
}

impl Embed for Fake {
    fn model_id(&self) -> &str {
        &self.model
    }

    fn dim(&self) -> usize {
        DIM
    }

    fn embed_passages(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        if let Some(marker) = self.fail_on.lock().unwrap().as_deref()
            && texts.iter().any(|t| t.contains(marker))
        {
            anyhow::bail!("simulated failure of the model");
        }
        self.texts.fetch_add(texts.len(), Ordering::SeqCst);
        Ok(texts.iter().map(|t| Self::vector(t)).collect())
    }

    fn embed_queries(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| Self::vector(t)).collect())
    }
}

fn need(ext: &str, title: &str, budget: u32) -> NeedRecord {
    let v = json!({"external_id": ext, "org_name": ENTERPRISE, "title": title,
        "description": format!("{title}：企业希望与高校合作攻关"),
        "indicators": [{"name": "监测精度", "target": "≤5%"}],
        "keywords": ["系泊链", "疲劳"], "budget_max": budget.to_string()});
    NeedRecord::from_map(v.as_object().unwrap(), ExternalId::Required).unwrap()
}

fn capability(ext: &str, title: &str) -> CapabilityRecord {
    let v = json!({"external_id": ext, "org_name": UNIVERSITY, "title": title,
        "description": format!("{title}方向的研究团队"), "keywords": ["焊接"],
        "patents": ["一种搅拌摩擦焊方法"], "trl": 5});
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

async fn import_needs(store: &Store, records: Vec<NeedRecord>) {
    store
        .import_needs(lines(records), &Actor::system("test"), "needs.jsonl")
        .await
        .unwrap();
}

async fn import_capabilities(store: &Store, records: Vec<CapabilityRecord>) {
    store
        .import_capabilities(lines(records), &Actor::system("test"), "caps.jsonl")
        .await
        .unwrap();
}

/// Listing ids by external id.
async fn id_of(store: &Store, kind: ListingKind, ext: &str) -> i64 {
    let (needs, caps) = store.live_listing_ids(0, 0, 10_000).await.unwrap();
    let ids = match kind {
        ListingKind::Need => (needs, vec![]),
        ListingKind::Capability => (vec![], caps),
    };
    for listing in store.listings_by_ids(&ids.0, &ids.1).await.unwrap() {
        let (id, external) = match &listing {
            Listing::Need(n) => (n.id, n.external_id.clone()),
            Listing::Capability(c) => (c.id, c.external_id.clone()),
        };
        if external.as_deref() == Some(ext) {
            return id;
        }
    }
    panic!("no listing {ext}");
}

fn pass(batch: u64, chunk: usize) -> Pass {
    Pass {
        limit: None,
        batch,
        chunk,
    }
}

async fn run(semantic: &Semantic, store: &Store, pass: Pass) -> anyhow::Result<Done> {
    semantic
        .embed_backlog(store, pass, || async { Ok(true) }, |_| {})
        .await
}

async fn wait_for(what: &str, mut ok: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !ok().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_failed_batch_commits_nothing_and_a_rerun_finishes_without_repeating() {
    each_backend(
        "app_embeddings::a_failed_batch_commits_nothing_and_a_rerun_finishes_without_repeating",
        |db| async move {
            let store = &db.store;
            let records = (1..=12)
                .map(|i| {
                    let title = if i == 11 {
                        "FAIL 海洋平台防腐".to_string()
                    } else {
                        format!("深水系泊链疲劳监测 {i}")
                    };
                    need(&format!("N{i:02}"), &title, 100)
                })
                .collect();
            import_needs(store, records).await;
            let fake = Fake::new();
            *fake.fail_on.lock().unwrap() = Some("FAIL".into());
            let semantic = Semantic::new(fake.clone());

            // Batches of 4, two texts per model call: the third batch fails
            // on its second call, after its first call succeeded.
            let err = run(&semantic, store, pass(4, 2)).await.unwrap_err();
            assert!(format!("{err:#}").contains("simulated failure"), "{err:#}");
            assert_eq!(
                fake.texts.load(Ordering::SeqCst),
                10,
                "8 committed + 2 lost"
            );
            let model = semantic.model_id();
            assert_eq!(
                store.count_embeddings(model).await.unwrap().needs,
                8,
                "{}",
                db.label
            );
            let n09 = id_of(store, ListingKind::Need, "N09").await;
            assert!(
                store
                    .embeddings_by_ids(model, ListingKind::Need, &[n09])
                    .await
                    .unwrap()
                    .is_empty(),
                "nothing of the failed batch is stored"
            );
            assert_eq!(semantic.vector_counts().needs, 8);
            assert_eq!(semantic.vector_of(DocKind::Need, n09), None);

            // The re-run embeds only what is left.
            *fake.fail_on.lock().unwrap() = None;
            fake.texts.store(0, Ordering::SeqCst);
            let done = run(&semantic, store, pass(4, 2)).await.unwrap();
            assert_eq!(
                done,
                Done {
                    embedded: 4,
                    confirmed: 0
                }
            );
            assert_eq!(
                fake.texts.load(Ordering::SeqCst),
                4,
                "nothing committed is repeated"
            );
            assert_eq!(store.count_embeddings(model).await.unwrap().needs, 12);
            assert_eq!(
                store.embedding_keys(model, None).await.unwrap().len(),
                12,
                "no duplicates"
            );
            assert_eq!(semantic.count_backlog(store).await.unwrap().total(), 0);
            assert_eq!(semantic.backlog(), Some(0));
            assert_eq!(semantic.vector_counts().needs, 12);
            assert_eq!(semantic.embedded_total(), 12);

            // Nothing left: nothing done.
            let done = run(&semantic, store, pass(4, 2)).await.unwrap();
            assert_eq!(done, Done::default());
            assert_eq!(fake.texts.load(Ordering::SeqCst), 4);

            // Under another model: a limit stops early, the next run goes on from there.
            let other = Semantic::new(Fake::named("fake-bigrams@2"));
            let limited = Pass {
                limit: Some(5),
                ..pass(4, 4)
            };
            assert_eq!(run(&other, store, limited).await.unwrap().embedded, 5);
            assert_eq!(run(&other, store, pass(4, 4)).await.unwrap().embedded, 7);
            assert_eq!(
                store
                    .count_embeddings("fake-bigrams@2")
                    .await
                    .unwrap()
                    .needs,
                12
            );
            db
        },
    )
    .await;
}

#[tokio::test]
async fn unchanged_texts_are_confirmed_changed_ones_embedded_deleted_ones_removed() {
    each_backend(
        "app_embeddings::unchanged_texts_are_confirmed_changed_ones_embedded_deleted_ones_removed",
        |db| async move {
            let store = &db.store;
            import_needs(store, vec![need("N1", "深水系泊链疲劳监测", 100)]).await;
            import_capabilities(
                store,
                vec![capability("C1", "搅拌摩擦焊"), capability("C2", "海洋腐蚀防护")],
            )
            .await;
            let fake = Fake::new();
            let semantic = Semantic::new(fake.clone());
            let model = semantic.model_id().to_string();
            assert_eq!(run(&semantic, store, pass(16, 4)).await.unwrap().embedded, 3);
            let n1 = id_of(store, ListingKind::Need, "N1").await;
            let c2 = id_of(store, ListingKind::Capability, "C2").await;

            // The stored hash is that of the documented text.
            let listing = store.listings_by_ids(&[n1], &[]).await.unwrap().remove(0);
            let text = listing_text(&listing);
            assert_eq!(
                text,
                "深水系泊链疲劳监测\n深水系泊链疲劳监测：企业希望与高校合作攻关\n监测精度：≤5%\n系泊链、疲劳"
            );
            let stored = store
                .embeddings_by_ids(&model, ListingKind::Need, &[n1])
                .await
                .unwrap();
            assert_eq!(stored[0].text_hash, text_hash(&text));
            let cap = store.listings_by_ids(&[], &[c2]).await.unwrap().remove(0);
            assert_eq!(
                listing_text(&cap),
                "海洋腐蚀防护\n海洋腐蚀防护方向的研究团队\n焊接\n一种搅拌摩擦焊方法"
            );

            // Only the budget changed: the text is the same, so no model call.
            let org = store.organization_id_by_name(ENTERPRISE).await.unwrap().unwrap();
            let actor = Actor::system("test");
            store
                .update_need(n1, &need("N1", "深水系泊链疲劳监测", 300), org, None, &actor)
                .await
                .unwrap();
            assert_eq!(store.count_embedding_backlog(&model).await.unwrap().needs, 1);
            fake.texts.store(0, Ordering::SeqCst);
            let done = run(&semantic, store, pass(16, 4)).await.unwrap();
            assert_eq!(done, Done { embedded: 0, confirmed: 1 });
            assert_eq!(fake.texts.load(Ordering::SeqCst), 0);
            assert_eq!(store.count_embedding_backlog(&model).await.unwrap().total(), 0);

            // A new title: embedded again, replacing the old vector.
            let before = semantic.vector_of(DocKind::Need, n1).unwrap();
            store
                .update_need(n1, &need("N1", "海洋平台防腐涂层", 300), org, None, &actor)
                .await
                .unwrap();
            let done = run(&semantic, store, pass(16, 4)).await.unwrap();
            assert_eq!(done, Done { embedded: 1, confirmed: 0 });
            assert_eq!(fake.texts.load(Ordering::SeqCst), 1);
            assert_ne!(semantic.vector_of(DocKind::Need, n1).unwrap(), before);
            assert_eq!(store.count_embeddings(&model).await.unwrap().needs, 1);

            // A deleted capability loses its vector, in the database and in memory.
            store.delete_capability(c2, &actor).await.unwrap();
            run(&semantic, store, pass(16, 4)).await.unwrap();
            assert_eq!(
                store.count_embeddings(&model).await.unwrap(),
                KindCounts { needs: 1, capabilities: 1 }
            );
            assert_eq!(semantic.vector_of(DocKind::Capability, c2), None);

            // A fresh process loads what is stored, without computing anything.
            let fresh_fake = Fake::new();
            let fresh = Semantic::new(fresh_fake.clone());
            assert_eq!(fresh.load_vectors(store).await.unwrap(), 2);
            assert_eq!(fresh.vector_of(DocKind::Need, n1), semantic.vector_of(DocKind::Need, n1));
            assert_eq!(run(&fresh, store, pass(16, 4)).await.unwrap(), Done::default());
            assert_eq!(fresh_fake.texts.load(Ordering::SeqCst), 0);
            db
        },
    )
    .await;
}

#[tokio::test]
async fn the_worker_follows_writes_and_a_second_server_reuses_its_vectors() {
    each_backend(
        "app_embeddings::the_worker_follows_writes_and_a_second_server_reuses_its_vectors",
        |db| async move {
            let store = db.store.clone();
            import_needs(&store, vec![need("N1", "深水系泊链疲劳监测", 100)]).await;
            let fake_a = Fake::new();
            let a = Arc::new(Semantic::new(fake_a.clone()));
            let worker_a = a.spawn_worker(store.clone());
            wait_for("the first walk of the backlog", async || {
                a.vector_counts().needs == 1 && a.backlog() == Some(0)
            })
            .await;

            // A second server: the lease is taken, so it computes nothing and
            // picks up what the first one stores.
            let fake_b = Fake::new();
            let b = Arc::new(Semantic::new(fake_b.clone()));
            b.load_vectors(&store).await.unwrap();
            let worker_b = b.spawn_worker(store.clone());

            import_capabilities(&store, vec![capability("C1", "搅拌摩擦焊")]).await;
            let c1 = id_of(&store, ListingKind::Capability, "C1").await;
            wait_for("the worker to embed a new listing", async || {
                a.vector_of(DocKind::Capability, c1).is_some()
            })
            .await;
            wait_for("the second server to pick it up", async || {
                b.vector_of(DocKind::Capability, c1).is_some()
            })
            .await;
            assert_eq!(
                b.vector_of(DocKind::Capability, c1),
                a.vector_of(DocKind::Capability, c1)
            );

            // An edit and a deletion reach both.
            let org = store
                .organization_id_by_name(ENTERPRISE)
                .await
                .unwrap()
                .unwrap();
            let n1 = id_of(&store, ListingKind::Need, "N1").await;
            let before = a.vector_of(DocKind::Need, n1).unwrap();
            let actor = Actor::system("test");
            store
                .update_need(n1, &need("N1", "海洋平台防腐涂层", 100), org, None, &actor)
                .await
                .unwrap();
            wait_for("the edit to be embedded", async || {
                a.vector_of(DocKind::Need, n1).is_some_and(|v| v != before)
            })
            .await;
            store.delete_capability(c1, &actor).await.unwrap();
            wait_for("the deletion", async || {
                a.vector_of(DocKind::Capability, c1).is_none()
                    && store
                        .count_embeddings("fake-bigrams@1")
                        .await
                        .unwrap()
                        .capabilities
                        == 0
            })
            .await;
            wait_for("the second server to follow", async || {
                b.vector_of(DocKind::Need, n1) == a.vector_of(DocKind::Need, n1)
                    && b.vector_of(DocKind::Capability, c1).is_none()
            })
            .await;
            assert_eq!(
                fake_b.texts.load(Ordering::SeqCst),
                0,
                "the second server computed nothing"
            );
            assert_eq!(fake_a.texts.load(Ordering::SeqCst), 3);
            worker_a.abort();
            worker_b.abort();
            db
        },
    )
    .await;
}

#[tokio::test]
async fn neighbours_rank_by_cosine_within_what_the_caller_allows() {
    let db = TestDb::sqlite().await.unwrap();
    let store = &db.store;
    import_capabilities(
        store,
        vec![
            capability("C1", "搅拌摩擦焊接头疲劳"),
            capability("C2", "搅拌摩擦焊接头疲劳评价"),
            capability("C3", "锂离子电池热管理"),
        ],
    )
    .await;
    let semantic = Semantic::new(Fake::new());
    run(&semantic, store, pass(16, 4)).await.unwrap();
    let c1 = id_of(store, ListingKind::Capability, "C1").await;
    let c2 = id_of(store, ListingKind::Capability, "C2").await;
    let c3 = id_of(store, ListingKind::Capability, "C3").await;

    let near = semantic.neighbours(
        DocKind::Capability,
        Probe::Listing(DocKind::Capability, c1),
        5,
        |_| true,
    );
    assert_eq!(
        near.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![c2, c3],
        "never itself"
    );
    assert!(near[0].1 > near[1].1 && near[0].1 <= 1.0);
    let q = semantic.embed_query("锂离子电池热管理").await.unwrap();
    let near = semantic.neighbours(
        DocKind::Capability,
        Probe::Vector(&q, Language::Chinese),
        1,
        |_| true,
    );
    assert_eq!(near[0].0, c3);
    let near = semantic.neighbours(
        DocKind::Capability,
        Probe::Vector(&q, Language::Chinese),
        2,
        |id| id != c3,
    );
    assert!(near.iter().all(|p| p.0 != c3) && near.len() == 2);
    assert!(
        semantic
            .neighbours(
                DocKind::Need,
                Probe::Vector(&q, Language::Chinese),
                3,
                |_| true
            )
            .is_empty()
    );

    // Without a model the application is lexical and says so.
    let config = Config::new(db.dir.clone(), Some(db.url.clone()));
    let app = App::without_follower(store.clone(), config).await.unwrap();
    assert!(app.semantic().is_none());
    assert_eq!(app.embed_query("电池").await.unwrap(), None);
    assert!(
        app.semantic_neighbours(
            DocKind::Capability,
            Probe::Vector(&q, Language::Chinese),
            3,
            |_| true
        )
        .is_empty()
    );
    let health = app.embeddings_health();
    assert!(!health.enabled);
    assert_eq!(
        health.detail,
        "disabled: no model installed (qiao model import FILE)"
    );
}

#[tokio::test]
async fn with_the_model_neighbours_on_the_seeds_make_sense() {
    let Some(file) = model::model_file("app embeddings with the model") else {
        return;
    };
    let db = TestDb::sqlite().await.unwrap();
    let store = &db.store;
    qiao_app::seeds::load(store, &qiao_app::seeds::seeds_dir())
        .await
        .unwrap();
    let config = Config::new(db.dir.clone(), Some(db.url.clone()));
    let installed = embeddings::import_model(&config, &file).await.unwrap();
    assert_eq!(installed.dim, 384);
    assert_eq!(
        embeddings::installed_model(&config),
        Some(installed.path.clone())
    );

    // At most 200 documents: the 120 needs, then the first 80 capabilities.
    let semantic = Semantic::load(&installed.path, 0).await.unwrap();
    let done = run(
        &semantic,
        store,
        Pass {
            limit: Some(200),
            batch: 50,
            chunk: 50,
        },
    )
    .await
    .unwrap();
    assert_eq!(done.embedded, 200);
    let counts = store.count_embeddings(semantic.model_id()).await.unwrap();
    assert_eq!(
        counts,
        KindCounts {
            needs: 120,
            capabilities: 80
        }
    );

    // The application loads the stored vectors and answers from them.
    let app = App::without_follower(store.clone(), config).await.unwrap();
    let loaded = app.semantic().expect("the model is installed");
    assert_eq!(loaded.model_id(), installed.model_id);
    assert_eq!(loaded.vector_counts(), counts);
    assert!(
        app.embeddings_health()
            .detail
            .starts_with("enabled: multilingual-e5-small")
    );

    // A welding query finds the welding team; a machine-tool need finds the
    // machine-tool team among its nearest capabilities.
    let welding = id_of(store, ListingKind::Capability, "cap-001").await;
    let machine_tools = id_of(store, ListingKind::Capability, "cap-002").await;
    let spindle_need = id_of(store, ListingKind::Need, "need-001").await;
    let q = app
        .embed_query("搅拌摩擦焊 焊接残余应力")
        .await
        .unwrap()
        .unwrap();
    let near = app.semantic_neighbours(
        DocKind::Capability,
        Probe::Vector(&q, Language::Chinese),
        3,
        |_| true,
    );
    assert!(near.iter().any(|p| p.0 == welding), "{near:?}");
    let near = app.semantic_neighbours(
        DocKind::Capability,
        Probe::Listing(DocKind::Need, spindle_need),
        5,
        |_| true,
    );
    assert!(near.iter().any(|p| p.0 == machine_tools), "{near:?}");
    assert!(near.iter().all(|p| p.1 > 0.5 && p.1 <= 1.0001), "{near:?}");
}
