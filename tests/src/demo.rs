//! The platform on the demo data, as `qiao demo` prepares it.

use crate::server::{Server, serve, settle};
use qiao_app::demo::Prepared;
use qiao_store::Store;
use qiao_store::testkit::TestDb;

/// The platform on the demo data as `qiao demo` prepares it: the seeds and
/// one account per role (`qiao_app::demo::DEMO_ACCOUNTS`).
pub async fn demo_platform() -> (TestDb, Server) {
    let (db, store) = demo_data().await;
    drop(store);
    served(db).await
}

/// The platform on the demo data exactly as `qiao demo` leaves it: the
/// seeds, one account per role, and the events' staged history (meetings
/// scheduled and published at the held event).
pub async fn demo_platform_with_staged_events() -> (TestDb, Server) {
    let (db, store) = demo_data().await;
    // A one-shot application of its own (its own index directory), as the
    // demo command stages the events before serving.
    let staging = qiao_app::Config::new(db.dir.join("staging"), Some(db.url.clone()));
    let app = qiao_app::App::without_follower(store.clone(), staging)
        .await
        .expect("the staging application");
    let staged = app.stage_demo_events().await.expect("the staged events");
    assert!(staged.meetings > 0, "{staged:?}");
    drop(app);
    drop(store);
    served(db).await
}

/// A fresh SQLite database with the demo data, and the store that loaded it.
async fn demo_data() -> (TestDb, Store) {
    let db = TestDb::sqlite().await.expect("SQLite test database");
    let config = qiao_app::Config::new(db.dir.clone(), Some(db.url.clone()));
    let (store, prepared) = qiao_app::demo::prepare(&config, false)
        .await
        .expect("the demo data");
    assert!(matches!(prepared, Prepared::Loaded { .. }));
    (db, store)
}

/// The platform serving `db`, its search index settled.
async fn served(db: TestDb) -> (TestDb, Server) {
    let server = serve(&db).await;
    settle(server.addr).await;
    (db, server)
}
