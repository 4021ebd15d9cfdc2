//! A university's or institute's capabilities in its workspace:
//! `/me/capabilities/new` and `/me/capabilities/{id}/edit` (members of the
//! owning organization; staff on editing). Saving goes through the API's
//! listing use cases, so the field errors are the API's; success goes back
//! to `/me` with a message.

use crate::server::AppState;
use crate::web::field_errors::FieldErrors;
use crate::web::form::Form;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use crate::web::redirect::see_other;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use qiao_core::record::CapabilityRecord;
use qiao_core::trl::Trl;
use qiao_core::vocab::{
    CapabilityKind, CapabilityStatus, CooperationMode, Field, Role, Vocabulary,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// What separates keywords and patent numbers as people type them.
const SEPARATORS: &[char] = &[',', '，', '、', ';', '；', '\n'];

/// The form's values as typed (or as stored, on opening an edit).
#[derive(Default, Serialize)]
struct CapabilityForm {
    kind: String,
    title: String,
    description: String,
    fields: Vec<String>,
    keywords: String,
    trl: String,
    cooperation_modes: Vec<String>,
    patents: String,
    capacity: String,
    lead: String,
    terms: String,
    version: String,
    /// The stored status (empty for a new capability; never taken from the form).
    status: String,
    #[serde(skip)]
    action: String,
}

fn plain(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn split(text: &str) -> Vec<&str> {
    text.split(SEPARATORS)
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect()
}

impl CapabilityForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = CapabilityForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "kind" => f.kind = v,
                "title" => f.title = v,
                "description" => f.description = v,
                "fields" => f.fields.push(v),
                "keywords" => f.keywords = v,
                "trl" => f.trl = v,
                "cooperation_modes" => f.cooperation_modes.push(v),
                "patents" => f.patents = v,
                "capacity" => f.capacity = v,
                "lead" => f.lead = v,
                "terms" => f.terms = v,
                "version" => f.version = v,
                "action" => f.action = v,
                _ => {}
            }
        }
        f
    }

    fn from_stored(c: &Value) -> Self {
        CapabilityForm {
            kind: plain(&c["kind"]),
            title: plain(&c["title"]),
            description: plain(&c["description"]),
            fields: strings(&c["fields"]),
            keywords: strings(&c["keywords"]).join("、"),
            trl: plain(&c["trl"]),
            cooperation_modes: strings(&c["cooperation_modes"]),
            patents: strings(&c["patents"]).join("、"),
            capacity: plain(&c["capacity"]),
            lead: plain(&c["lead"]),
            terms: plain(&c["terms"]),
            version: plain(&c["version"]),
            status: plain(&c["status"]),
            action: String::new(),
        }
    }

    fn target_status(&self) -> &'static str {
        match self.action.as_str() {
            "draft" => CapabilityStatus::Draft.code(),
            _ => CapabilityStatus::Published.code(),
        }
    }

    /// The body the API's use case takes; blank optional fields are null (cleared).
    fn body(&self, status: &str) -> Map<String, Value> {
        let optional = |s: &str| {
            let t = s.trim();
            if t.is_empty() { Value::Null } else { json!(t) }
        };
        let mut m = Map::new();
        m.insert("kind".into(), optional(&self.kind));
        m.insert("title".into(), json!(self.title));
        m.insert("description".into(), json!(self.description));
        m.insert("fields".into(), json!(self.fields));
        m.insert("keywords".into(), json!(split(&self.keywords)));
        m.insert("trl".into(), optional(&self.trl));
        m.insert("cooperation_modes".into(), json!(self.cooperation_modes));
        m.insert("patents".into(), json!(split(&self.patents)));
        m.insert("capacity".into(), optional(&self.capacity));
        m.insert("lead".into(), json!(self.lead));
        m.insert("terms".into(), json!(self.terms));
        m.insert("status".into(), json!(status));
        if let Ok(v) = self.version.trim().parse::<i32>() {
            m.insert("version".into(), json!(v));
        }
        m
    }
}

fn options<V: Vocabulary>(lang: Lang) -> Vec<(&'static str, &'static str)> {
    V::ALL
        .iter()
        .map(|v| (v.code(), v.label(lang.code())))
        .collect()
}

fn trl_options(lang: Lang) -> Vec<(String, String)> {
    (1..=9u8)
        .filter_map(Trl::new)
        .map(|t| {
            let stage = match lang {
                Lang::Zh => t.stage().label_zh(),
                Lang::En => t.stage().label_en(),
            };
            let level = t.level().to_string();
            let label = lang.format(
                "needform.trl_option",
                &[("level", &level), ("stage", stage)],
            );
            (level, label)
        })
        .collect()
}

fn form_page(
    page: &Page,
    status: StatusCode,
    id: Option<i64>,
    form: &CapabilityForm,
    errors: &FieldErrors,
) -> Response {
    let lang = page.lang;
    let action = match id {
        Some(id) => format!("/me/capabilities/{id}/edit"),
        None => "/me/capabilities/new".to_string(),
    };
    let published = form.status == CapabilityStatus::Published.code();
    page.render_status(
        status,
        "capability_form.html",
        context! {
            id,
            action,
            form,
            errors,
            published,
            kind_options => options::<CapabilityKind>(lang),
            field_options => options::<Field>(lang),
            mode_options => options::<CooperationMode>(lang),
            trl_options => trl_options(lang),
        },
    )
}

/// Who may post here, and which listings they manage: see [`super::owned`].
fn may_post(who: &qiao_app::Principal) -> bool {
    super::owned::may_post(who, Role::University)
}

async fn managed(s: &AppState, page: &Page, id: i64) -> Result<Value, Response> {
    super::owned::managed::<CapabilityRecord>(s, page, id, Role::University).await
}

/// `GET /me/capabilities/new`.
pub async fn new_form(page: Page) -> Response {
    let Some(who) = page.principal() else {
        return see_other(&page.login_url());
    };
    if !may_post(who) {
        return page.problem_with(StatusCode::FORBIDDEN, Some("ws.cap.only_universities"));
    }
    let form = CapabilityForm {
        kind: CapabilityKind::Achievement.code().to_string(),
        capacity: "1".into(),
        ..CapabilityForm::default()
    };
    form_page(&page, StatusCode::OK, None, &form, &FieldErrors::default())
}

/// `GET /me/capabilities/{id}/edit`.
pub async fn edit_form(State(s): State<AppState>, page: Page, Path(id): Path<i64>) -> Response {
    match managed(&s, &page, id).await {
        Ok(cap) => form_page(
            &page,
            StatusCode::OK,
            Some(id),
            &CapabilityForm::from_stored(&cap),
            &FieldErrors::default(),
        ),
        Err(r) => r,
    }
}

/// `POST /me/capabilities/new`.
pub async fn create(
    State(s): State<AppState>,
    Form { page, data }: Form<Vec<(String, String)>>,
) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    if !may_post(&who) {
        return page.problem_with(StatusCode::FORBIDDEN, Some("ws.cap.only_universities"));
    }
    save(&s, page, who, None, CapabilityForm::from_pairs(data)).await
}

/// `POST /me/capabilities/{id}/edit`.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<Vec<(String, String)>>,
) -> Response {
    let cap = match managed(&s, &page, id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let mut form = CapabilityForm::from_pairs(data);
    form.status = plain(&cap["status"]);
    save(&s, page, who, Some(id), form).await
}

async fn save(
    s: &AppState,
    page: Page,
    who: qiao_app::Principal,
    id: Option<i64>,
    form: CapabilityForm,
) -> Response {
    let status = form.target_status();
    let body = form.body(status);
    let saved = match id {
        None => qiao_app::listings::create::<CapabilityRecord>(&s.app, who, body).await,
        Some(id) => qiao_app::listings::update::<CapabilityRecord>(&s.app, who, id, body).await,
    };
    match saved {
        Ok(_) => {
            let saved = match (status, id) {
                ("draft", _) => "draft",
                (_, None) => "cap_published",
                _ => "updated",
            };
            see_other(&format!("/me?saved={saved}"))
        }
        Err(e) => {
            let conflict = matches!(e, qiao_app::Error::Conflict(_));
            match FieldErrors::from_app(e, page.lang) {
                Ok(errors) => {
                    let code = if conflict {
                        StatusCode::CONFLICT
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    };
                    form_page(&page, code, id, &form, &errors)
                }
                Err(e) => page.error(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_apis_body() {
        let pairs = [
            ("title", "高熵合金涂层"),
            ("fields", "new_materials"),
            ("patents", "ZL1，ZL2"),
            ("capacity", " "),
            ("status", "withdrawn"),
            ("action", "draft"),
        ];
        let f = CapabilityForm::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        assert!(f.status.is_empty(), "the status is never the form's");
        let body = f.body(f.target_status());
        assert_eq!(body["status"], "draft");
        assert_eq!(body["patents"], json!(["ZL1", "ZL2"]));
        assert_eq!(body["capacity"], Value::Null);
        assert_eq!(body["kind"], Value::Null);
    }
}
