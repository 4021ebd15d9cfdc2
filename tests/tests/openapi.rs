//! The OpenAPI description: it matches the reviewed snapshot, and every
//! operation it lists is a route the server answers (and vice versa for
//! the routes a client can discover).

use qiao_store::testkit::TestDb;
use qiao_tests::{get, send};
use serde_json::Value;

const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots/openapi.json");

async fn spec() -> (TestDb, std::net::SocketAddr, Value) {
    let db = TestDb::sqlite().await.unwrap();
    let addr = qiao_tests::serve(&db).await.addr;
    let r = get(addr, "/api/openapi.json").await;
    assert_eq!(r.status, 200);
    (db, addr, r.json())
}

#[tokio::test]
async fn spec_matches_the_snapshot() {
    let (_db, _, spec) = spec().await;
    assert_eq!(spec["openapi"], "3.1.0");
    let pretty = serde_json::to_string_pretty(&spec).unwrap() + "\n";
    if std::env::var_os("QIAO_UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(SNAPSHOT, &pretty).unwrap();
    }
    let saved = std::fs::read_to_string(SNAPSHOT)
        .expect("snapshot missing: run with QIAO_UPDATE_SNAPSHOTS=1 once and review tests/snapshots/openapi.json");
    assert!(
        saved == pretty,
        "the API description changed; if intended, rerun with QIAO_UPDATE_SNAPSHOTS=1 and review the diff of tests/snapshots/openapi.json"
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let (_db, addr, spec) = spec().await;
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 20, "{} paths", paths.len());
    for (path, ops) in paths {
        let concrete = path.replace("{id}", "1").replace("{kind}", "needs");
        for method in ops.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            let r = send(addr, &m, &concrete, &[], None).await;
            assert_ne!(r.status, 405, "{m} {path}");
            if r.status == 404 && r.header("content-type") == Some("application/problem+json") {
                assert_ne!(
                    r.json()["type"],
                    "/problems/no-such-route",
                    "{m} {path} is documented but not routed"
                );
            }
        }
    }
    // And the other way: undocumented paths are not served.
    for path in ["/api/v1/secret", "/admin", "/api/v2/needs"] {
        let r = get(addr, path).await;
        assert_eq!(r.json()["type"], "/problems/no-such-route", "{path}");
    }
}
