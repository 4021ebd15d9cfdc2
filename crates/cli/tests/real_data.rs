//! Importing real Chinese documents from ../shared/data. Skipped with a
//! printed reason when the data is missing, except under `CI=true`.

use qiao_app::transfer::{Kind, import_rows};
use qiao_bench::{csl_capability_rows, shared_data_or_skip};
use qiao_store::audit::Actor;
use qiao_store::testkit::each_backend;

#[tokio::test]
async fn real_papers_import_as_capabilities_once() {
    let Some(dir) = shared_data_or_skip(
        "real_papers_import_as_capabilities_once",
        &["csl-papers.jsonl.gz"],
    ) else {
        return;
    };
    each_backend("real_data::real_papers_import_as_capabilities_once", |db| {
        let dir = dir.clone();
        async move {
            let actor = Actor::system("test");
            let rows = csl_capability_rows(&dir, Some(2_000)).unwrap();
            let report = import_rows(&db.store, Kind::Capabilities, rows, &actor, "csl")
                .await
                .unwrap();
            assert_eq!(report.created, 2_000, "{}", db.label);
            let rows = csl_capability_rows(&dir, Some(2_000)).unwrap();
            let again = import_rows(&db.store, Kind::Capabilities, rows, &actor, "csl")
                .await
                .unwrap();
            assert_eq!(
                (again.created, again.updated, again.unchanged),
                (0, 0, 2_000)
            );
            let caps = db.store.export_capabilities().await.unwrap();
            assert!(
                caps.iter().all(|c| !c.title.is_empty()),
                "untitled papers get a title from their abstract"
            );
            db
        }
    })
    .await;
}
