//! Cooperation projects in the visibility table: by id, in the list and its
//! total, their milestones, their attachments (list and download), the
//! projects export, the home page's counter, and the public transparency
//! list. Expectations come from
//! `qiao_core::access::project_visible_to` and `on_transparency_list`.

use crate::cells::{Cells, excerpt, parse};
use crate::world::World;
use qiao_core::Scope;
use qiao_core::access::{PUBLIC_ORG_REVIEW, on_transparency_list, project_visible_to};
use qiao_tests::{call, get, send};
use serde_json::{Value, json};

/// A project of the table: its name, partners and what the list rule reads.
struct Project {
    name: &'static str,
    id: i64,
    partners: Vec<i64>,
    key: bool,
    need_staff_only: bool,
    published: bool,
    /// A file staff attached.
    attachment: i64,
}

/// The bytes of the file attached to every project.
const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

/// Staff record one project of every case the rules tell apart.
async fn projects(w: &World) -> Vec<Project> {
    let org = |name: &str| {
        w.viewers
            .iter()
            .find(|v| v.name.starts_with(name))
            .and_then(|v| v.org())
            .unwrap()
    };
    let (a, b, u, pu) = (org("a@"), org("b@"), org("u@"), org("pu@"));
    let public_need = w.named("public need").id;
    let secret_need = w.named("staff-only need").id;
    let cases = [
        ("key project", a, u, Some(public_need), true, false, false),
        (
            "key project of a staff-only need",
            a,
            u,
            Some(secret_need),
            true,
            true,
            false,
        ),
        (
            "the same, published by staff",
            a,
            u,
            Some(secret_need),
            true,
            true,
            true,
        ),
        (
            "key project with a pending partner",
            a,
            pu,
            None,
            true,
            false,
            false,
        ),
        ("ordinary project", b, u, None, false, false, false),
    ];
    let mut out = Vec::new();
    for (name, enterprise, institution, need, key, need_staff_only, published) in cases {
        let body = json!({
            "title": name, "enterprise_org_id": enterprise, "institution_org_id": institution,
            "need_id": need, "plan_year": 2026, "key_project": key, "published": published,
        });
        let r = call(
            w.addr,
            "POST",
            "/api/v1/projects",
            Some(w.staff()),
            Some(body),
        )
        .await;
        assert_eq!(r.status, 201, "{name}: {}", r.body);
        let id = r.json()["project"]["id"].as_i64().unwrap();
        let auth = format!("Bearer {}", w.staff());
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/pdf"),
        ];
        let path = format!("/api/v1/projects/{id}/attachments?kind=contract");
        let a = send(w.addr, "POST", &path, &headers, Some(PDF)).await;
        assert_eq!(a.status, 201, "{name}: {}", a.body);
        out.push(Project {
            name,
            id,
            partners: vec![enterprise, institution],
            key,
            need_staff_only,
            published,
            attachment: a.json()["id"].as_i64().unwrap(),
        });
    }
    out
}

fn ids(v: &Value) -> Vec<i64> {
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_i64())
        .collect()
}

pub async fn projects_everywhere(w: &World, cells: &mut Cells) {
    let all = projects(w).await;
    let approved = |id: &i64| PUBLIC_ORG_REVIEW.contains(&w.orgs[id].review);
    // Projects opened by accepted suggestions are in the lists too: their
    // partners come from the staff's list.
    let staff_list = parse(
        &call(
            w.addr,
            "GET",
            "/api/v1/projects?limit=100",
            Some(w.staff()),
            None,
        )
        .await
        .body,
    );
    let every: Vec<(i64, Vec<i64>)> = staff_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut partners = vec![
                p["enterprise_org_id"].as_i64().unwrap(),
                p["institution_org_id"].as_i64().unwrap(),
            ];
            partners.extend(
                p["partners"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(Value::as_i64),
            );
            (p["id"].as_i64().unwrap(), partners)
        })
        .collect();
    // A plan for the staff-only plan reads below.
    let plan = json!({"name": "2031年计划", "targets": [
        {"code": "key_projects", "label": "重点产学研合作项目", "target": 10, "unit": "项"}]});
    let r = call(
        w.addr,
        "PUT",
        "/api/v1/plans/2031",
        Some(w.staff()),
        Some(plan),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for v in &w.viewers {
        let list = call(w.addr, "GET", "/api/v1/projects?limit=100", v.token(), None).await;
        let listed = ids(&parse(&list.body));
        let visible = every
            .iter()
            .filter(|(_, partners)| project_visible_to(v.scope, partners))
            .count();
        cells.check(parse(&list.body)["total"] == json!(visible), || {
            format!(
                "GET /api/v1/projects total | {} | expected {visible} | {}",
                v.name,
                excerpt(&list.body)
            )
        });
        // A filter narrows what the rule shows; it never widens it.
        let some_org = every.first().map_or(0, |(_, partners)| partners[0]);
        for filter in [
            "year=2026".to_string(),
            "key_project=true".into(),
            "key_project=false".into(),
            "status=planned".into(),
            "origin=manual".into(),
            "overdue=false".into(),
            "field=new_materials".into(),
            format!("org_id={some_org}"),
        ] {
            let path = format!("/api/v1/projects?limit=100&{filter}");
            let body = parse(&call(w.addr, "GET", &path, v.token(), None).await.body);
            let shown = ids(&body);
            let outside: Vec<&i64> = shown
                .iter()
                .filter(|id| {
                    !every
                        .iter()
                        .any(|(p, partners)| p == *id && project_visible_to(v.scope, partners))
                })
                .collect();
            cells.check(outside.is_empty(), || {
                format!("GET {path} | {} | lists {outside:?} it may not see", v.name)
            });
        }
        for p in &all {
            let sees = project_visible_to(v.scope, &p.partners);
            let r = call(
                w.addr,
                "GET",
                &format!("/api/v1/projects/{}", p.id),
                v.token(),
                None,
            )
            .await;
            cells.check((r.status == 200) == sees, || {
                format!(
                    "GET /api/v1/projects/{{id}} | {} | {} | got {}",
                    p.name, v.name, r.status
                )
            });
            let path = format!("/api/v1/projects/{}/milestones", p.id);
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            cells.check((r.status == 200) == sees, || {
                format!("GET {path} | {} | {} | got {}", p.name, v.name, r.status)
            });
            // Attachments: the project's rule, and 404 (not 403) for the rest.
            let want = if sees { 200 } else { 404 };
            let path = format!("/api/v1/projects/{}/attachments", p.id);
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            let listed_file = parse(&r.body)
                .as_array()
                .is_some_and(|a| a.iter().any(|f| f["id"] == json!(p.attachment)));
            cells.check(r.status == want && listed_file == sees, || {
                format!("GET {path} | {} | {} | got {}", p.name, v.name, r.status)
            });
            let path = format!("/api/v1/attachments/{}", p.attachment);
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            cells.check(r.status == want && (r.bytes == PDF) == sees, || {
                format!("GET {path} | {} | {} | got {}", p.name, v.name, r.status)
            });
            cells.check(listed.contains(&p.id) == sees, || {
                format!(
                    "GET /api/v1/projects | {} | {} | listed {}",
                    p.name, v.name, !sees
                )
            });
            // The project's page: the API's rule; visitors are sent to sign in.
            let path = format!("/projects/{}", p.id);
            let r = call(w.addr, "GET", &path, v.token(), None).await;
            let want = match (sees, v.token.is_some()) {
                (true, _) => 200,
                (false, true) => 404,
                (false, false) => 303,
            };
            cells.check(r.status == want && r.body.contains(p.name) == sees, || {
                format!(
                    "GET {path} (page) | {} | {} | expected {want} | got {}",
                    p.name, v.name, r.status
                )
            });
        }

        // Staff's board of projects: every project for staff, 403 for
        // members, the sign-in page for visitors.
        let r = call(w.addr, "GET", "/staff/projects", v.token(), None).await;
        let want = match (v.scope, v.token.is_some()) {
            (Scope::All, _) => 200,
            (_, true) => 403,
            (_, false) => 303,
        };
        cells.check(r.status == want, || {
            format!(
                "GET /staff/projects (page) | {} | expected {want} | got {}",
                v.name, r.status
            )
        });
        for p in &all {
            let shown = r.body.contains(&format!("href=\"/projects/{}\"", p.id));
            cells.check(shown == (want == 200), || {
                format!(
                    "GET /staff/projects (page) | {} | {} | expected shown {}",
                    p.name,
                    v.name,
                    want == 200
                )
            });
        }

        // The plan's dashboard and annual report, and staff's pages: staff
        // only (the world's plan year is 2031, so no other test's plan is touched).
        for (path, page) in [
            ("/api/v1/plans/2031/dashboard", false),
            ("/api/v1/plans/2031/report?format=xlsx", false),
            ("/staff/dashboard?year=2031", true),
            ("/staff", true),
            ("/staff/events", true),
        ] {
            let r = call(w.addr, "GET", path, v.token(), None).await;
            let want = match (v.scope, v.token.is_some()) {
                (Scope::All, _) => 200,
                (_, true) => 403,
                (_, false) if page => 303,
                (_, false) => 401,
            };
            cells.check(r.status == want, || {
                format!(
                    "GET {path} | {} | expected {want} | got {}",
                    v.name, r.status
                )
            });
        }

        // The export of projects is staff's.
        let r = call(
            w.addr,
            "GET",
            "/api/v1/export/projects?format=jsonl",
            v.token(),
            None,
        )
        .await;
        let want = match (v.scope, v.token.is_some()) {
            (Scope::All, _) => 200,
            (_, true) => 403,
            (_, false) => 401,
        };
        cells.check(r.status == want, || {
            format!(
                "GET /api/v1/export/projects | {} | expected {want} | got {}",
                v.name, r.status
            )
        });

        // The transparency list is the same for everyone.
        let r = call(
            w.addr,
            "GET",
            "/api/v1/public/key-projects?year=2026",
            v.token(),
            None,
        )
        .await;
        let titles: Vec<String> = parse(&r.body)["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["title"].as_str().map(str::to_string))
            .collect();
        for p in &all {
            let listed = on_transparency_list(
                p.key,
                p.need_staff_only,
                p.partners.iter().all(approved),
                p.published,
            );
            cells.check(titles.iter().any(|t| t == p.name) == listed, || {
                format!(
                    "GET /api/v1/public/key-projects | {} | {} | expected listed {listed}",
                    p.name, v.name
                )
            });
        }
    }

    // The transparency list's page shows the same projects to everyone.
    let listed: Vec<(&str, bool)> = all
        .iter()
        .map(|p| {
            let on = on_transparency_list(
                p.key,
                p.need_staff_only,
                p.partners.iter().all(approved),
                p.published,
            );
            (p.name, on)
        })
        .collect();
    crate::pages::key_projects_page(w, cells, &listed).await;

    // The home page's counter (pages read the session cookie, so the
    // anonymous view is the one to check here): the public sees projects
    // only on the transparency list, so it counts those.
    let visible = all
        .iter()
        .filter(|p| {
            on_transparency_list(
                p.key,
                p.need_staff_only,
                p.partners.iter().all(approved),
                p.published,
            )
        })
        .count();
    assert!(
        every
            .iter()
            .all(|(_, partners)| !project_visible_to(Scope::Public, partners)),
        "the public sees no project record"
    );
    let page = get(w.addr, "/").await.body;
    cells.check(
        page.contains(&format!("data-count=\"projects\">{visible}<")),
        || format!("GET / projects counter | anonymous | expected {visible}"),
    );
}
