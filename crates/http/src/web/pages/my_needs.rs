//! An enterprise's needs in its workspace: `/me/needs/new` and
//! `/me/needs/{id}/edit` (the form, for members of the owning
//! organization, and staff on editing), and `/me/needs/{id}` (the owner's
//! view with the capabilities staff accepted for it). Saving goes through
//! the API's listing use cases, so their field errors are the API's; before
//! publishing, the app's completeness check (`qiao_app::need_completeness`)
//! refuses blocking gaps with their reasons, while a draft may be saved
//! with them. Its findings are shown beside the fields they concern.

use super::me::flash_of;
use crate::server::AppState;
use crate::web::field_errors::FieldErrors;
use crate::web::form::Form;
use crate::web::i18n::{self, Lang};
use crate::web::page::Page;
use crate::web::redirect::see_other;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use qiao_app::need_completeness::{self, Finding};
use qiao_app::projects::today;
use qiao_core::record::{ExternalId, NeedRecord, without_nulls};
use qiao_core::trl::Trl;
use qiao_core::vocab::{
    CooperationMode, Field, IpOwnership, NeedStatus, Role, SuggestionStatus, Visibility, Vocabulary,
};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Blank indicator rows of the form (more when a need has more indicators).
const INDICATOR_ROWS: usize = 5;
/// Suggestions shown on the owner's view.
const SUGGESTIONS: usize = 20;
/// What separates keywords as people type them.
const KEYWORD_SEPARATORS: &[char] = &[',', '，', '、', ';', '；', '\n'];

#[derive(Default, Serialize, Clone)]
struct IndicatorRow {
    name: String,
    target: String,
}

/// The form's values as typed (or as stored, on opening an edit).
#[derive(Default, Serialize)]
struct NeedForm {
    title: String,
    description: String,
    indicators: Vec<IndicatorRow>,
    fields: Vec<String>,
    keywords: String,
    cooperation_modes: Vec<String>,
    budget_min: String,
    budget_max: String,
    deadline: String,
    ip_ownership: String,
    required_trl: String,
    visibility: String,
    version: String,
    /// The stored status (empty for a new need; never taken from the form).
    status: String,
    /// `draft` or `publish`: the button pressed.
    #[serde(skip)]
    action: String,
}

fn number_text(v: &Value) -> String {
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

impl NeedForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = NeedForm::default();
        let (mut names, mut targets) = (Vec::new(), Vec::new());
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v,
                "description" => f.description = v,
                "indicator_name" => names.push(v),
                "indicator_target" => targets.push(v),
                "fields" => f.fields.push(v),
                "keywords" => f.keywords = v,
                "cooperation_modes" => f.cooperation_modes.push(v),
                "budget_min" => f.budget_min = v,
                "budget_max" => f.budget_max = v,
                "deadline" => f.deadline = v,
                "ip_ownership" => f.ip_ownership = v,
                "required_trl" => f.required_trl = v,
                "visibility" => f.visibility = v,
                "version" => f.version = v,
                "action" => f.action = v,
                _ => {}
            }
        }
        targets.resize(names.len().max(targets.len()), String::new());
        names.resize(targets.len(), String::new());
        f.indicators = names
            .into_iter()
            .zip(targets)
            .map(|(name, target)| IndicatorRow { name, target })
            .collect();
        f
    }

    fn from_stored(n: &Value) -> Self {
        let indicators = n["indicators"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| IndicatorRow {
                        name: number_text(&i["name"]),
                        target: number_text(&i["target"]),
                    })
                    .collect()
            })
            .unwrap_or_default();
        NeedForm {
            title: number_text(&n["title"]),
            description: number_text(&n["description"]),
            indicators,
            fields: strings(&n["fields"]),
            keywords: strings(&n["keywords"]).join("、"),
            cooperation_modes: strings(&n["cooperation_modes"]),
            budget_min: number_text(&n["budget_min"]),
            budget_max: number_text(&n["budget_max"]),
            deadline: number_text(&n["deadline"]),
            ip_ownership: number_text(&n["ip_ownership"]),
            required_trl: number_text(&n["required_trl"]),
            visibility: number_text(&n["visibility"]),
            version: number_text(&n["version"]),
            status: number_text(&n["status"]),
            action: String::new(),
        }
    }

    /// The status to save: a draft, or published (a matched or closed need keeps its status).
    fn target_status(&self) -> &'static str {
        if self.action == "draft" {
            return NeedStatus::Draft.code();
        }
        match NeedStatus::from_code(&self.status) {
            Some(s @ (NeedStatus::Matched | NeedStatus::Closed)) => s.code(),
            _ => NeedStatus::Published.code(),
        }
    }

    /// The body the API's use case takes; blank optional fields are null (cleared).
    fn body(&self, status: &str) -> Map<String, Value> {
        let optional = |s: &str| {
            let t = s.trim();
            if t.is_empty() { Value::Null } else { json!(t) }
        };
        let indicators: Vec<Value> = self
            .indicators
            .iter()
            .filter(|i| !i.name.trim().is_empty() || !i.target.trim().is_empty())
            .map(|i| json!({"name": i.name, "target": i.target}))
            .collect();
        let keywords: Vec<&str> = self
            .keywords
            .split(KEYWORD_SEPARATORS)
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        let visibility = match self.visibility.as_str() {
            "" => Visibility::Public.code(),
            v => v,
        };
        let mut m = Map::new();
        m.insert("title".into(), json!(self.title));
        m.insert("description".into(), json!(self.description));
        m.insert("indicators".into(), json!(indicators));
        m.insert("fields".into(), json!(self.fields));
        m.insert("keywords".into(), json!(keywords));
        m.insert("cooperation_modes".into(), json!(self.cooperation_modes));
        m.insert("budget_min".into(), optional(&self.budget_min));
        m.insert("budget_max".into(), optional(&self.budget_max));
        m.insert("deadline".into(), optional(&self.deadline));
        m.insert("ip_ownership".into(), optional(&self.ip_ownership));
        m.insert("required_trl".into(), optional(&self.required_trl));
        m.insert("visibility".into(), json!(visibility));
        m.insert("status".into(), json!(status));
        if let Ok(v) = self.version.trim().parse::<i32>() {
            m.insert("version".into(), json!(v));
        }
        m
    }

    /// Rows for the template: what was typed and blank ones up to the form's size.
    fn with_blank_rows(mut self) -> Self {
        let rows = INDICATOR_ROWS.max(self.indicators.len() + 2);
        self.indicators.resize(rows, IndicatorRow::default());
        self
    }
}

/// The record a body reads as (as the use case reads it), for the completeness check.
fn record_of(body: &Map<String, Value>) -> Option<NeedRecord> {
    let mut m = body.clone();
    m.remove("version");
    m.entry("org_name").or_insert(json!("-"));
    // A missing title is the use case's error to report; the gaps are checked all the same.
    if m.get("title")
        .and_then(Value::as_str)
        .is_none_or(|t| t.trim().is_empty())
    {
        m.insert("title".into(), json!("-"));
    }
    NeedRecord::from_map(&without_nulls(m), ExternalId::Optional).ok()
}

#[derive(Serialize)]
struct GapView {
    code: &'static str,
    text: String,
    why: String,
    blocking: bool,
}

/// A finding worded in the page's language.
fn gap_view(f: &Finding, lang: Lang) -> GapView {
    let key = format!("needform.gap.{}", f.code);
    let (text, why) = if i18n::has(&key) {
        (
            lang.text(&key).to_string(),
            lang.text(&format!("{key}.why")).to_string(),
        )
    } else {
        (f.message.to_string(), String::new())
    };
    GapView {
        code: f.code,
        text,
        why,
        blocking: f.blocking,
    }
}

/// The findings by form field, worded in the page's language.
fn gap_views(findings: &[Finding], lang: Lang) -> BTreeMap<&'static str, Vec<GapView>> {
    let mut by_field: BTreeMap<&'static str, Vec<GapView>> = BTreeMap::new();
    for f in findings {
        by_field.entry(f.field).or_default().push(gap_view(f, lang));
    }
    by_field
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
            let label = lang.format(
                "needform.trl_option",
                &[("level", &t.level().to_string()), ("stage", stage)],
            );
            (t.level().to_string(), label)
        })
        .collect()
}

/// Renders the form (new when `id` is `None`).
fn form_page(
    page: &Page,
    status: StatusCode,
    id: Option<i64>,
    form: NeedForm,
    errors: &FieldErrors,
    findings: &[Finding],
) -> Response {
    let lang = page.lang;
    let action = match id {
        Some(id) => format!("/me/needs/{id}/edit"),
        None => "/me/needs/new".to_string(),
    };
    let gaps = gap_views(findings, lang);
    let blocking = need_completeness::has_blocking(findings);
    let published = !form.status.is_empty() && form.status != NeedStatus::Draft.code();
    page.render_status(
        status,
        "need_form.html",
        context! {
            id,
            action,
            form => form.with_blank_rows(),
            errors,
            gaps,
            findings_count => findings.len(),
            blocking,
            published,
            field_options => options::<Field>(lang),
            mode_options => options::<CooperationMode>(lang),
            ip_options => options::<IpOwnership>(lang),
            visibility_options => options::<Visibility>(lang),
            trl_options => trl_options(lang),
        },
    )
}

/// Who may post here, and which listings they manage: see [`super::owned`].
fn may_post(who: &qiao_app::Principal) -> bool {
    super::owned::may_post(who, Role::Enterprise)
}

async fn managed_need(s: &AppState, page: &Page, id: i64) -> Result<Value, Response> {
    super::owned::managed::<NeedRecord>(s, page, id, Role::Enterprise).await
}

/// `GET /me/needs/new`: the empty form.
pub async fn new_form(page: Page) -> Response {
    let Some(who) = page.principal() else {
        return see_other(&page.login_url());
    };
    if !may_post(who) {
        return page.problem_with(StatusCode::FORBIDDEN, Some("needform.only_enterprises"));
    }
    let form = NeedForm {
        visibility: Visibility::Public.code().to_string(),
        ..NeedForm::default()
    };
    form_page(
        &page,
        StatusCode::OK,
        None,
        form,
        &FieldErrors::default(),
        &[],
    )
}

/// `GET /me/needs/{id}/edit`: the form with the need as stored and its gaps.
pub async fn edit_form(State(s): State<AppState>, page: Page, Path(id): Path<i64>) -> Response {
    let need = match managed_need(&s, &page, id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let form = NeedForm::from_stored(&need);
    let findings = record_of(&form.body(&form.status))
        .map(|r| need_completeness::check(&r, today()))
        .unwrap_or_default();
    form_page(
        &page,
        StatusCode::OK,
        Some(id),
        form,
        &FieldErrors::default(),
        &findings,
    )
}

/// `POST /me/needs/new`.
pub async fn create(
    State(s): State<AppState>,
    Form { page, data }: Form<Vec<(String, String)>>,
) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    if !may_post(&who) {
        return page.problem_with(StatusCode::FORBIDDEN, Some("needform.only_enterprises"));
    }
    save(&s, page, who, None, NeedForm::from_pairs(data)).await
}

/// `POST /me/needs/{id}/edit`.
pub async fn update(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Form { page, data }: Form<Vec<(String, String)>>,
) -> Response {
    let need = match managed_need(&s, &page, id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let mut form = NeedForm::from_pairs(data);
    // The stored status decides what "publish" keeps (matched, closed).
    form.status = number_text(&need["status"]);
    save(&s, page, who, Some(id), form).await
}

async fn save(
    s: &AppState,
    page: Page,
    who: qiao_app::Principal,
    id: Option<i64>,
    form: NeedForm,
) -> Response {
    let lang = page.lang;
    let status = form.target_status();
    let body = form.body(status);
    let findings = record_of(&body)
        .map(|r| need_completeness::check(&r, today()))
        .unwrap_or_default();
    // Publishing a new need or a draft is refused while blocking gaps are open
    // (with the reasons, beside their fields; a draft may be saved). A need
    // published before (by import or the API) is not unpublished by an edit:
    // its gaps stay as notes.
    let was_draft = NeedStatus::from_code(&form.status).is_none_or(|s| s == NeedStatus::Draft);
    let publishing = status != NeedStatus::Draft.code() && was_draft;
    if publishing && need_completeness::has_blocking(&findings) {
        let mut errors = FieldErrors {
            form: Some(lang.text("needform.publish_refused").to_string()),
            ..FieldErrors::default()
        };
        for f in findings.iter().filter(|f| f.blocking) {
            errors.field(f.field, lang.text(&format!("needform.gap.{}", f.code)));
        }
        return form_page(
            &page,
            StatusCode::UNPROCESSABLE_ENTITY,
            id,
            form,
            &errors,
            &findings,
        );
    }
    let saved = match id {
        None => qiao_app::listings::create::<NeedRecord>(&s.app, who, body).await,
        Some(id) => qiao_app::listings::update::<NeedRecord>(&s.app, who, id, body).await,
    };
    match saved {
        Ok(need) => {
            let id = need["id"].as_i64().unwrap_or_default();
            let saved = match status {
                "draft" => "draft",
                _ if form.status.is_empty() || form.status == NeedStatus::Draft.code() => {
                    "published"
                }
                _ => "updated",
            };
            see_other(&format!("/me/needs/{id}?saved={saved}"))
        }
        Err(e) => {
            let conflict = matches!(e, qiao_app::Error::Conflict(_));
            match FieldErrors::from_app(e, lang) {
                Ok(errors) => {
                    let code = if conflict {
                        StatusCode::CONFLICT
                    } else {
                        StatusCode::UNPROCESSABLE_ENTITY
                    };
                    form_page(&page, code, id, form, &errors, &findings)
                }
                Err(e) => page.error(e),
            }
        }
    }
}

#[derive(Serialize)]
struct SuggestionView {
    title: String,
    org_name: String,
    status: String,
    score: i64,
    summary: String,
    terms: Vec<String>,
    factors: Vec<(String, i64)>,
}

fn suggestion_views(list: &Value, lang: Lang) -> Vec<SuggestionView> {
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|i| {
            let e = &i["explanation"];
            let status = i["status"].as_str().unwrap_or_default();
            let mut factors: Vec<(String, i64, f64)> = e["factors"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|f| f["contribution"].as_f64().unwrap_or(0.0) > 0.0)
                        .map(|f| {
                            let key = format!("ws.factor.{}", f["code"].as_str().unwrap_or(""));
                            let label = if i18n::has(&key) {
                                lang.text(&key).to_string()
                            } else {
                                f["label"].as_str().unwrap_or_default().to_string()
                            };
                            let c = f["contribution"].as_f64().unwrap_or(0.0);
                            (label, (c * 100.0).round() as i64, c)
                        })
                        .collect()
                })
                .unwrap_or_default();
            factors.sort_by(|a, b| b.2.total_cmp(&a.2));
            SuggestionView {
                title: text(&i["capability"]["title"]),
                org_name: text(&i["capability"]["org_name"]),
                status: SuggestionStatus::from_code(status)
                    .map_or(status.to_string(), |s| s.label(lang.code()).to_string()),
                score: (i["score"].as_f64().unwrap_or(0.0) * 100.0).round() as i64,
                summary: text(&e["summary"]),
                terms: e["matched_terms"]
                    .as_array()
                    .map(|a| a.iter().map(|t| text(&t["term"])).collect())
                    .unwrap_or_default(),
                factors: factors.into_iter().map(|(l, p, _)| (l, p)).collect(),
            }
        })
        .collect()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn labels<V: Vocabulary>(v: &Value, lang: Lang) -> Vec<&'static str> {
    strings(v)
        .iter()
        .filter_map(|c| V::from_code(c))
        .map(|t| t.label(lang.code()))
        .collect()
}

/// `GET /me/needs/{id}`: the owner's view of a need, its gaps, and the
/// capabilities staff accepted for it with their explanations.
pub async fn show(State(s): State<AppState>, page: Page, Path(id): Path<i64>) -> Response {
    let need = match managed_need(&s, &page, id).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let lang = page.lang;
    let code = lang.code();
    let form = NeedForm::from_stored(&need);
    let findings = record_of(&form.body(&form.status))
        .map(|r| need_completeness::check(&r, today()))
        .unwrap_or_default();
    let gaps: Vec<GapView> = findings.iter().map(|f| gap_view(f, lang)).collect();
    // Staff would get live suggestions (recorded for review): they decide in their console.
    let suggestions = if who.is_staff() {
        None
    } else {
        match s.app.need_suggestions(&who, id, SUGGESTIONS).await {
            Ok(list) => Some(suggestion_views(&list, lang)),
            Err(e) => return page.error(e),
        }
    };
    let status = NeedStatus::from_code(&form.status).unwrap_or(NeedStatus::Draft);
    let view = context! {
        id,
        title => form.title,
        description => form.description,
        status_code => status.code(),
        status => status.label(code),
        staff_only => form.visibility == Visibility::StaffOnly.code(),
        visibility => Visibility::from_code(&form.visibility).map(|v| v.label(code)),
        fields => labels::<Field>(&need["fields"], lang),
        modes => labels::<CooperationMode>(&need["cooperation_modes"], lang),
        keywords => strings(&need["keywords"]),
        indicators => form.indicators,
        budget_min => need["budget_min"].as_f64(),
        budget_max => need["budget_max"].as_f64(),
        deadline => need["deadline"].as_str(),
        ip => need["ip_ownership"].as_str().and_then(IpOwnership::from_code).map(|v| v.label(code)),
        trl => need["required_trl"].as_u64().and_then(|l| Trl::new(l as u8)).map(|t| {
            let stage = match lang { Lang::Zh => t.stage().label_zh(), Lang::En => t.stage().label_en() };
            lang.format("needform.trl_option", &[("level", &t.level().to_string()), ("stage", stage)])
        }),
        org_name => text(&need["org_name"]),
    };
    let flash = flash_of(&page);
    page.render(
        "need_view.html",
        context! { need => view, gaps, blocking => need_completeness::has_blocking(&findings), suggestions, flash },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_form_reads_repeated_fields_and_rows() {
        let f = NeedForm::from_pairs(pairs(&[
            ("title", "系泊链监测"),
            ("indicator_name", "精度"),
            ("indicator_target", "≤1mm"),
            ("indicator_name", ""),
            ("indicator_target", ""),
            ("indicator_name", ""),
            ("indicator_target", "3年"),
            ("fields", "marine_equipment"),
            ("fields", "new_materials"),
            ("keywords", "系泊链，疲劳、 监测"),
            ("budget_min", " "),
            ("budget_max", "120"),
            ("action", "publish"),
        ]));
        let body = f.body(f.target_status());
        assert_eq!(body["status"], "published");
        assert_eq!(
            body["indicators"],
            json!([{"name": "精度", "target": "≤1mm"}, {"name": "", "target": "3年"}])
        );
        assert_eq!(body["fields"], json!(["marine_equipment", "new_materials"]));
        assert_eq!(body["keywords"], json!(["系泊链", "疲劳", "监测"]));
        assert_eq!(body["budget_min"], Value::Null);
        assert_eq!(body["visibility"], "public");
        assert!(!body.contains_key("version"));
        assert_eq!(f.with_blank_rows().indicators.len(), INDICATOR_ROWS);
    }

    #[test]
    fn the_readers_wordings_read_in_chinese() {
        let cases = [
            (
                "title",
                "is 250 characters long; at most 200 are allowed",
                "内容过长（250 个字），请删减。",
            ),
            (
                "budget_min",
                "\"十万\" is not a number of 万元",
                "请填写以万元为单位的数字，如 50 或 50.5。",
            ),
            (
                "budget_max",
                "budget_max (50万元) is below budget_min (80万元)",
                "预算上限不能低于下限。",
            ),
            (
                "deadline",
                "\"2026-13-01\" is not a date (YYYY-MM-DD)",
                "请填写有效日期（年-月-日）。",
            ),
            (
                "keywords",
                "has 31 items; at most 30 are allowed",
                "共 31 项，超过了允许的数量。",
            ),
            (
                "indicators",
                "every indicator needs a name",
                "每条指标都需要填写名称。",
            ),
            (
                "fields",
                "\"火星\" is not a known field; expected one of: …",
                "请从列表中选择。",
            ),
        ];
        for (field, message, zh) in cases {
            let e = qiao_app::Error::field(field, message);
            let errors = FieldErrors::from_app(e, Lang::Zh).unwrap();
            assert_eq!(errors.fields[field], zh, "{message}");
        }
    }

    #[test]
    fn publishing_keeps_a_matched_need_matched() {
        let mut f = NeedForm {
            status: "matched".into(),
            action: "publish".into(),
            ..NeedForm::default()
        };
        assert_eq!(f.target_status(), "matched");
        f.action = "draft".into();
        assert_eq!(f.target_status(), "draft");
        f.status = "draft".into();
        f.action = "publish".into();
        assert_eq!(f.target_status(), "published");
    }
}
