//! Search: hits, totals, facet counts and snippets, with and without filters.

use crate::cells::{Cells, excerpt, items, parse};
use crate::world::{COMMON, Listing, Viewer, World};
use qiao_bench::percent_encode;
use qiao_core::access::ListingKind::{self, Capability, Need};
use qiao_tests::call;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

fn code(kind: ListingKind) -> &'static str {
    match kind {
        Need => "need",
        Capability => "capability",
    }
}

pub async fn search(w: &World, cells: &mut Cells) {
    for v in &w.viewers {
        for l in &w.listings {
            own_word(w, v, l, cells).await;
        }
        for filter in FILTERS {
            common_word(w, v, filter, cells).await;
        }
    }
}

type Filter = (&'static str, fn(&Listing) -> bool);

/// Narrowing a search must not widen what it may see.
const FILTERS: [Filter; 4] = [
    ("", |_| true),
    ("&status=draft", |l| l.status == "draft"),
    ("&type=need", |l| l.kind == Need),
    ("&type=capability", |l| l.kind == Capability),
];

/// A query for the listing's own word finds it, with a highlight, exactly when the viewer sees it.
async fn own_word(w: &World, v: &Viewer, l: &Listing, cells: &mut Cells) {
    let path = format!("/api/v1/search?q={}&limit=100", percent_encode(l.word));
    let r = call(w.addr, "GET", &path, v.token(), None).await;
    let body = parse(&r.body);
    let sees = w.sees(v, l);
    let hit = items(&body)
        .into_iter()
        .find(|i| i["id"] == l.id && i["type"] == code(l.kind));
    let ok = r.status == 200
        && body["total"] == u64::from(sees)
        && if sees {
            hit.is_some_and(|h| h["snippet"].as_str().is_some_and(|s| s.contains("<mark>")))
        } else {
            hit.is_none() && !r.body.contains(l.word)
        };
    cells.check(ok, || {
        format!(
            "GET {path} | {} | {} ({}) | expected found: {sees} | got {} {}",
            l.name,
            v.name,
            w.role(v, l),
            r.status,
            excerpt(&r.body)
        )
    });
}

fn facet(body: &Value, name: &str) -> BTreeMap<String, u64> {
    body["facets"][name]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["count"].as_u64() != Some(0))
        .map(|f| {
            (
                f["value"].as_str().unwrap_or("").to_string(),
                f["count"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn tally<'a>(values: impl Iterator<Item = &'a str>) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for v in values {
        *out.entry(v.to_string()).or_default() += 1;
    }
    out
}

/// A query every listing matches: hits, total and facets count only what the viewer sees.
async fn common_word(w: &World, v: &Viewer, (filter, selected): Filter, cells: &mut Cells) {
    let path = format!(
        "/api/v1/search?q={}&limit=100{filter}",
        percent_encode(COMMON)
    );
    let r = call(w.addr, "GET", &path, v.token(), None).await;
    let body = parse(&r.body);
    let seen: Vec<&Listing> = w
        .listings
        .iter()
        .filter(|l| selected(l) && w.sees(v, l))
        .collect();
    let expected: BTreeSet<(String, i64)> = seen
        .iter()
        .map(|l| (code(l.kind).to_string(), l.id))
        .collect();
    let got: BTreeSet<(String, i64)> = items(&body)
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap_or("").to_string(),
                i["id"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let n = seen.len() as u64;
    cells.check(
        r.status == 200 && got == expected && body["total"] == n,
        || {
            format!(
                "GET {path} hits | {} | expected {expected:?} | got {} total {} hits {got:?}",
                v.name, r.status, body["total"]
            )
        },
    );
    let exact = [
        (
            "field",
            tally(seen.iter().map(|_| "electronic_information")),
        ),
        ("status", tally(seen.iter().map(|l| l.status))),
        (
            "org_kind",
            tally(seen.iter().map(|l| w.orgs[&l.org].kind.as_str())),
        ),
    ];
    for (name, want) in exact {
        let got = facet(&body, name);
        cells.check(got == want, || {
            format!(
                "GET {path} facet {name} | {} | expected {want:?} | got {got:?}",
                v.name
            )
        });
    }
    for (name, values) in body["facets"].as_object().into_iter().flatten() {
        let over: Vec<&Value> = values
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["count"].as_u64().is_none_or(|c| c > n))
            .collect();
        cells.check(over.is_empty(), || {
            format!(
                "GET {path} facet {name} | {} | counts above {n}: {over:?}",
                v.name
            )
        });
    }
    for l in w.listings.iter().filter(|l| !w.sees(v, l)) {
        cells.check(!r.body.contains(l.word), || {
            format!(
                "GET {path} snippets | {} | {} ({}) | hidden word shown",
                l.name,
                v.name,
                w.role(v, l)
            )
        });
    }
}
