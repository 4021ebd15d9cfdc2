//! The crates depend on each other in one direction only:
//! HTTP/CLI → app → (matching, search, store, tabular) → core.
//! Read from `cargo metadata`, so a new dependency that breaks the layering
//! fails here rather than in review.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Normal (non-dev, non-build) dependencies of each workspace crate.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

fn ours(deps: &BTreeSet<String>) -> BTreeSet<&str> {
    deps.iter()
        .map(String::as_str)
        .filter(|d| d.starts_with("qiao-"))
        .collect()
}

#[test]
fn crates_depend_in_one_direction() {
    let deps = dependencies();
    let get = |name: &str| {
        deps.get(name)
            .unwrap_or_else(|| panic!("{name} is a workspace crate"))
    };
    assert!(
        ours(get("qiao-core")).is_empty(),
        "core depends on no crate of ours"
    );
    for engine in ["qiao-store", "qiao-search", "qiao-matching", "qiao-tabular"] {
        let theirs = ours(get(engine));
        assert!(
            theirs.iter().all(|d| *d == "qiao-core"),
            "{engine} may depend on qiao-core only, not {theirs:?}"
        );
    }
    let app = get("qiao-app");
    for forbidden in ["qiao-http", "qiao-cli", "qiao-bench"] {
        assert!(
            !app.contains(forbidden),
            "app must not depend on {forbidden}"
        );
    }
    for framework in [
        "axum",
        "axum-extra",
        "clap",
        "utoipa",
        "utoipa-axum",
        "tower",
        "tower-http",
        "minijinja",
    ] {
        assert!(
            !app.contains(framework),
            "app is framework-free, but uses {framework}"
        );
    }
    let http: BTreeSet<&str> = ours(get("qiao-http"));
    assert_eq!(
        http,
        BTreeSet::from(["qiao-app", "qiao-core"]),
        "routes reach the store, search and matching only through the app"
    );
    for framework in ["sea-orm", "tantivy"] {
        assert!(
            !get("qiao-http").contains(framework),
            "http must not use {framework}"
        );
    }
    let bench = get("qiao-bench");
    assert!(
        !bench.contains("qiao-http") && !bench.contains("qiao-cli"),
        "bench measures the app and engines, not the web"
    );
    for (name, d) in &deps {
        assert!(!d.contains("qiao-cli"), "{name} depends on the CLI");
        if d.contains("qiao-http") {
            assert!(
                name == "qiao-cli" || name == "qiao-tests",
                "only the CLI and the black-box tests start the web layer, not {name}"
            );
        }
    }
}
