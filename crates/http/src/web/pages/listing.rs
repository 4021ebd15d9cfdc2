//! `/needs/{id}` and `/capabilities/{id}`: one listing through the same use
//! case as `GET /api/v1/needs/{id}` (hidden ones are 404 alike), with its
//! organization's contact details exactly as `GET /api/v1/organizations/{id}`
//! gives them to the viewer (none to visitors who are not signed in).

use crate::server::AppState;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use crate::web::redirect::query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use qiao_app::listings::{Listing, get};
use qiao_core::record::{CapabilityRecord, NeedRecord};
use qiao_core::trl::Trl;
use qiao_core::vocab::{
    CapabilityKind, CapabilityStatus, CooperationMode, Field, IpOwnership, NeedStatus, Visibility,
    Vocabulary,
};
use serde::Serialize;
use serde_json::Value as Json;

/// A vocabulary code as its label in the page's language (the code if unknown).
fn label<V: Vocabulary>(code: Option<&str>, lang: Lang) -> Option<String> {
    let code = code.filter(|c| !c.is_empty())?;
    Some(V::from_code(code).map_or(code.to_string(), |v| v.label(lang.code()).to_string()))
}

fn labels<V: Vocabulary>(codes: &Json, lang: Lang) -> Vec<String> {
    codes
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| label::<V>(c.as_str(), lang))
        .collect()
}

fn texts(v: &Json) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            t.as_str()
                .filter(|t| !t.trim().is_empty())
                .map(String::from)
        })
        .collect()
}

fn text(v: &Json) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// `TRL 6 · 中试`.
fn trl(v: &Json, lang: Lang) -> Option<String> {
    let t = Trl::new(u8::try_from(v.as_u64()?).ok()?)?;
    let stage = match lang {
        Lang::Zh => t.stage().label_zh(),
        Lang::En => t.stage().label_en(),
    };
    Some(format!("TRL {} · {stage}", t.level()))
}

#[derive(Serialize)]
struct Keyword {
    text: String,
    href: String,
}

fn keywords(v: &Json, kind: &str) -> Vec<Keyword> {
    texts(v)
        .into_iter()
        .map(|k| Keyword {
            href: format!("/search?{}", query(&[("q", &k), ("type", kind)])),
            text: k,
        })
        .collect()
}

#[derive(Serialize)]
struct Contact {
    name: String,
    phone: String,
    email: String,
}

/// The organization's kind and contact details as the viewer may read them.
async fn organization(
    s: &AppState,
    page: &Page,
    org_id: Option<i64>,
) -> (Option<String>, Option<Contact>) {
    let Some(id) = org_id else {
        return (None, None);
    };
    let Ok(org) = s.app.organization(&page.viewer, id).await else {
        return (None, None);
    };
    let json = qiao_app::organizations::organization_json(&org, &page.viewer);
    let kind = org.record.kind.label(page.lang.code()).to_string();
    let contact = json.get("contact_phone").map(|_| Contact {
        name: text(&json["contact_name"]),
        phone: text(&json["contact_phone"]),
        email: text(&json["contact_email"]),
    });
    let contact =
        contact.filter(|c| !(c.name.is_empty() && c.phone.is_empty() && c.email.is_empty()));
    (Some(kind), contact)
}

/// The listing's JSON as the API gives it to the viewer, or the page to answer with.
async fn listing<R: Listing>(s: &AppState, page: &Page, id: &str) -> Result<Json, Response> {
    // Not a number: no such listing (the API's path would refuse it as malformed).
    let id: i64 = id
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| page.problem(StatusCode::NOT_FOUND))?;
    get::<R>(&s.app, &page.viewer, id)
        .await
        .map_err(|e| page.error(e))
}

pub async fn need(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let n = match listing::<NeedRecord>(&s, &page, &id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let lang = page.lang;
    let (org_kind, contact) = organization(&s, &page, n["org_id"].as_i64()).await;
    let indicators: Vec<(String, String)> = n["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| (text(&i["name"]), text(&i["target"])))
        .filter(|(name, target)| !name.is_empty() || !target.is_empty())
        .collect();
    let staff_only = n["visibility"] == Visibility::StaffOnly.code();
    // The owner's members manage the need, and read its accepted
    // suggestions, in their workspace.
    let owner = page
        .principal()
        .is_some_and(|p| !p.is_staff() && p.org_id.is_some() && p.org_id == n["org_id"].as_i64());
    let manage = owner.then(|| format!("/me/needs/{}", n["id"]));
    let ctx = context! {
        title => text(&n["title"]),
        org_name => text(&n["org_name"]),
        org_kind,
        contact,
        description => text(&n["description"]),
        fields => labels::<Field>(&n["fields"], lang),
        modes => labels::<CooperationMode>(&n["cooperation_modes"], lang),
        keywords => keywords(&n["keywords"], "need"),
        indicators,
        budget_min => n["budget_min"].as_f64(),
        budget_max => n["budget_max"].as_f64(),
        deadline => n["deadline"].as_str(),
        ip_ownership => label::<IpOwnership>(n["ip_ownership"].as_str(), lang),
        required_trl => trl(&n["required_trl"], lang),
        status => label::<NeedStatus>(n["status"].as_str(), lang),
        published => n["status"] == "published",
        staff_only,
        manage,
        visibility => label::<Visibility>(n["visibility"].as_str(), lang),
        updated_at => n["updated_at"].as_str(),
        external_id => n["external_id"].as_str(),
    };
    page.render("need.html", ctx)
}

pub async fn capability(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let c = match listing::<CapabilityRecord>(&s, &page, &id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let lang = page.lang;
    let (org_kind, contact) = organization(&s, &page, c["org_id"].as_i64()).await;
    let ctx = context! {
        title => text(&c["title"]),
        org_name => text(&c["org_name"]),
        org_kind,
        contact,
        kind => label::<CapabilityKind>(c["kind"].as_str(), lang),
        description => text(&c["description"]),
        fields => labels::<Field>(&c["fields"], lang),
        modes => labels::<CooperationMode>(&c["cooperation_modes"], lang),
        keywords => keywords(&c["keywords"], "capability"),
        trl => trl(&c["trl"], lang),
        patents => texts(&c["patents"]),
        capacity => c["capacity"].as_i64().filter(|n| *n > 0),
        lead => text(&c["lead"]),
        terms => text(&c["terms"]),
        status => label::<CapabilityStatus>(c["status"].as_str(), lang),
        published => c["status"] == "published",
        updated_at => c["updated_at"].as_str(),
        external_id => c["external_id"].as_str(),
    };
    page.render("capability.html", ctx)
}
