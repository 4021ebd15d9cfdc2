//! Reading listings directly: by id, in lists (with their totals and
//! filters), in exported files, and on the home page with its counters.

use crate::cells::{Cells, excerpt, items, parse};
use crate::world::{Listing, World, plural};
use qiao_core::access::ListingKind::{self, Capability, Need};
use qiao_tests::call;
use std::collections::BTreeSet;

pub async fn by_id(w: &World, cells: &mut Cells) {
    for l in &w.listings {
        let path = format!("/api/v1/{}/{}", l.plural(), l.id);
        for v in &w.viewers {
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            let sees = w.sees(v, l);
            let ok = if sees {
                r.status == 200 && parse(&r.body)["title"] == l.title.as_str()
            } else {
                r.status == 404 && !r.body.contains(l.word)
            };
            cells.check(ok, || {
                format!(
                    "GET {path} | {} | {} ({}) | expected {} | got {} {}",
                    l.name,
                    v.name,
                    w.role(v, l),
                    if sees { 200 } else { 404 },
                    r.status,
                    excerpt(&r.body)
                )
            });
        }
    }
}

type Filter = (String, Box<dyn Fn(&Listing) -> bool>);

/// Each filter of a list narrows what the viewer sees, never widens it.
fn filters(w: &World, kind: ListingKind) -> Vec<Filter> {
    let mut out: Vec<Filter> = vec![
        (String::new(), Box::new(|_| true)),
        ("&status=draft".into(), Box::new(|l| l.status == "draft")),
    ];
    if kind == Need {
        let staff_only = |l: &Listing| l.visibility == "staff_only";
        out.push(("&visibility=staff_only".into(), Box::new(staff_only)));
    }
    for &org in w.orgs.keys() {
        out.push((format!("&org_id={org}"), Box::new(move |l| l.org == org)));
    }
    out
}

pub async fn lists(w: &World, cells: &mut Cells) {
    for kind in [Need, Capability] {
        for (filter, selected) in filters(w, kind) {
            let path = format!("/api/v1/{}?limit=100{filter}", plural(kind));
            for v in &w.viewers {
                let r = call(w.addr, "GET", &path, v.token(), None).await;
                let page = parse(&r.body);
                let ids: BTreeSet<i64> = items(&page)
                    .iter()
                    .filter_map(|i| i["id"].as_i64())
                    .collect();
                let expected: Vec<&Listing> = w
                    .of_kind(kind)
                    .filter(|l| selected(l) && w.sees(v, l))
                    .collect();
                let total = page["total"].as_u64();
                cells.check(
                    r.status == 200 && total == Some(expected.len() as u64),
                    || {
                        format!(
                            "GET {path} total | {} | expected {} | got {} total {total:?}",
                            v.name,
                            expected.len(),
                            r.status
                        )
                    },
                );
                for l in w.of_kind(kind) {
                    let want = selected(l) && w.sees(v, l);
                    let ok = if want {
                        ids.contains(&l.id)
                    } else {
                        !ids.contains(&l.id) && !r.body.contains(l.word)
                    };
                    cells.check(ok, || {
                        format!(
                            "GET {path} items | {} | {} ({}) | expected listed: {want} | got ids {ids:?}",
                            l.name,
                            v.name,
                            w.role(v, l)
                        )
                    });
                }
            }
        }
    }
}

/// Every cell's text of the first sheet of an `.xlsx` file, one per line.
fn xlsx_text(bytes: &[u8]) -> Result<String, String> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let sheet = book
        .worksheet_range_at(0)
        .ok_or("no sheet")?
        .map_err(|e| e.to_string())?;
    Ok(sheet
        .rows()
        .flatten()
        .map(|c| c.to_string() + "\n")
        .collect())
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn exports(w: &World, cells: &mut Cells) {
    for kind in [Need, Capability] {
        for format in ["jsonl", "csv", "xlsx"] {
            let path = format!("/api/v1/export/{}?format={format}", plural(kind));
            for v in &w.viewers {
                let r = call(w.addr, "GET", &path, v.token(), None).await;
                let text = if format == "xlsx" {
                    xlsx_text(&r.bytes)
                } else {
                    Ok(r.body.clone())
                };
                let typed = format != "xlsx" || r.header("content-type") == Some(XLSX);
                cells.check(r.status == 200 && typed && text.is_ok(), || {
                    format!(
                        "GET {path} | {} | got {} {:?} {:?}",
                        v.name,
                        r.status,
                        r.header("content-type"),
                        text.as_ref().err()
                    )
                });
                let text = text.unwrap_or_default();
                for l in w.of_kind(kind) {
                    let sees = w.sees(v, l);
                    let ok = if sees {
                        text.contains(&l.title)
                    } else {
                        !text.contains(l.word)
                    };
                    cells.check(ok, || {
                        format!(
                            "GET {path} | {} | {} ({}) | expected in file: {sees} | got: {}",
                            l.name,
                            v.name,
                            w.role(v, l),
                            !sees
                        )
                    });
                }
            }
        }
    }
}

/// The number a home page counter shows.
fn counter(html: &str, name: &str) -> Option<usize> {
    let start = format!("data-count=\"{name}\">");
    let rest = &html[html.find(&start)? + start.len()..];
    rest[..rest.find('<')?].trim().parse().ok()
}

pub async fn home(w: &World, cells: &mut Cells) {
    for v in &w.viewers {
        let r = call(w.addr, "GET", "/", v.token(), None).await;
        cells.check(r.status == 200, || {
            format!("GET / | {} | got {}", v.name, r.status)
        });
        let counters = [
            ("needs", w.of_kind(Need).filter(|l| w.sees(v, l)).count()),
            (
                "capabilities",
                w.of_kind(Capability).filter(|l| w.sees(v, l)).count(),
            ),
            ("organizations", w.organizations_seen_by(v)),
        ];
        for (name, expected) in counters {
            let got = counter(&r.body, name);
            cells.check(got == Some(expected), || {
                format!(
                    "GET / counter {name} | {} | expected {expected} | got {got:?}",
                    v.name
                )
            });
        }
        for l in &w.listings {
            let sees = w.sees(v, l);
            let shown = r.body.contains(l.word);
            // The page lists the newest open needs, so drafts stay off even for their owners.
            let listed = sees && l.kind == Need && l.status == "published";
            let ok = if listed {
                r.body.contains(&l.title)
            } else {
                !shown || sees
            };
            cells.check(ok, || {
                format!(
                    "GET / | {} | {} ({}) | expected listed: {listed}, hidden: {} | got shown: {shown}",
                    l.name,
                    v.name,
                    w.role(v, l),
                    !sees
                )
            });
        }
    }
}

// The portal's pages: search results, listing details and the transparency
// list, read by every viewer through the web pages (an API token signs a
// page request in as it does an API call).

/// The ids a results page links to, of one kind.
fn linked_ids(html: &str, kind: ListingKind) -> BTreeSet<i64> {
    let marker = format!("<a href=\"/{}/", plural(kind));
    html.match_indices(&marker)
        .filter_map(|(at, m)| {
            let rest = &html[at + m.len()..];
            rest[..rest.find('"')?].parse().ok()
        })
        .collect()
}

/// The count a results page states.
fn stated_total(html: &str) -> Option<u64> {
    let marker = "data-total=\"";
    let start = html.find(marker)? + marker.len();
    html[start..start + html[start..].find('"')?].parse().ok()
}

/// Whether a page shows the listing's title or its description's opening.
fn shows_text_of(html: &str, l: &Listing) -> bool {
    [
        format!("{}{}", l.word, crate::world::COMMON),
        format!("{}项目", l.word),
        format!("{}团队", l.word),
    ]
    .iter()
    .any(|t| html.contains(t.as_str()))
}

/// `/search`: a listing's own word finds it exactly when the viewer sees
/// it, and the common word (with each type tab) lists what the viewer sees.
pub async fn search_page(w: &World, cells: &mut Cells) {
    for v in &w.viewers {
        for l in &w.listings {
            let path = format!("/search?q={}", qiao_bench::percent_encode(l.word));
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            let sees = w.sees(v, l);
            let linked = linked_ids(&r.body, l.kind).contains(&l.id);
            let ok = r.status == 200
                && stated_total(&r.body) == Some(u64::from(sees))
                && if sees {
                    linked && r.body.contains("<mark>")
                } else {
                    // The page repeats the query, so the listing's own
                    // texts (title, description) are what must not show.
                    !linked && !shows_text_of(&r.body, l)
                };
            cells.check(ok, || {
                format!(
                    "GET {path} (page) | {} | {} ({}) | expected found: {sees} | got {} total {:?} linked {linked}",
                    l.name,
                    v.name,
                    w.role(v, l),
                    r.status,
                    stated_total(&r.body)
                )
            });
        }
        for kind in [None, Some(Need), Some(Capability)] {
            let tab = kind.map_or(String::new(), |k| match k {
                Need => "&type=need".to_string(),
                Capability => "&type=capability".to_string(),
            });
            let path = format!(
                "/search?q={}&limit=100{tab}",
                qiao_bench::percent_encode(crate::world::COMMON)
            );
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            let expected: Vec<&Listing> = w
                .listings
                .iter()
                .filter(|l| kind.is_none_or(|k| l.kind == k) && w.sees(v, l))
                .collect();
            cells.check(
                r.status == 200 && stated_total(&r.body) == Some(expected.len() as u64),
                || {
                    format!(
                        "GET {path} (page) total | {} | expected {} | got {} {:?}",
                        v.name,
                        expected.len(),
                        r.status,
                        stated_total(&r.body)
                    )
                },
            );
            for l in &w.listings {
                let want = kind.is_none_or(|k| l.kind == k) && w.sees(v, l);
                let linked = linked_ids(&r.body, l.kind).contains(&l.id);
                let ok = linked == want && (w.sees(v, l) || !r.body.contains(l.word));
                cells.check(ok, || {
                    format!(
                        "GET {path} (page) | {} | {} ({}) | expected listed: {want} | got linked: {linked}",
                        l.name,
                        v.name,
                        w.role(v, l)
                    )
                });
            }
        }
    }
}

/// `/needs/{id}` and `/capabilities/{id}`: the page exactly when the API
/// answers 200, the 404 page (without the listing's word) otherwise.
pub async fn detail_pages(w: &World, cells: &mut Cells) {
    for l in &w.listings {
        let path = format!("/{}/{}", l.plural(), l.id);
        for v in &w.viewers {
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            let sees = w.sees(v, l);
            let ok = if sees {
                r.status == 200 && r.body.contains(&l.title)
            } else {
                r.status == 404 && !r.body.contains(l.word)
            };
            cells.check(ok, || {
                format!(
                    "GET {path} (page) | {} | {} ({}) | expected {} | got {}",
                    l.name,
                    v.name,
                    w.role(v, l),
                    if sees { 200 } else { 404 },
                    r.status
                )
            });
            if l.kind != Need {
                continue;
            }
            // The owner's view in the workspace: staff and the owning
            // organization's members; nobody else learns anything of it.
            let own = format!("/me/needs/{}", l.id);
            let r = call(w.addr, "GET", &own, v.token(), None).await;
            let owner = !l.deleted
                && match v.scope {
                    qiao_core::access::Scope::All => true,
                    qiao_core::access::Scope::Member(org) => org == l.org,
                    qiao_core::access::Scope::Public => false,
                };
            let ok = if owner {
                r.status == 200 && r.body.contains(&l.title)
            } else {
                r.status != 200 && !r.body.contains(l.word)
            };
            cells.check(ok, || {
                format!(
                    "GET {own} (page) | {} | {} ({}) | expected {} | got {}",
                    l.name,
                    v.name,
                    w.role(v, l),
                    if owner { "200" } else { "no page" },
                    r.status
                )
            });
        }
    }
}

/// `/projects/key?year=2026`: the same list for every viewer, each project
/// on it exactly when the rule lists it (`projects` names them and says so).
pub async fn key_projects_page(w: &World, cells: &mut Cells, projects: &[(&str, bool)]) {
    for v in &w.viewers {
        let r = call(w.addr, "GET", "/projects/key?year=2026", v.token(), None).await;
        cells.check(r.status == 200, || {
            format!("GET /projects/key | {} | got {}", v.name, r.status)
        });
        for (name, listed) in projects {
            let shown = r.body.contains(&format!("<th scope=\"row\">{name}</th>"));
            cells.check(shown == *listed, || {
                format!(
                    "GET /projects/key (page) | {name} | {} | expected listed {listed} | got {shown}",
                    v.name
                )
            });
        }
    }
}
