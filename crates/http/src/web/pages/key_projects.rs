//! `/projects/key?year=`: the transparency list (阳光科技) of a plan year's
//! key cooperation projects, through the same use case as
//! `GET /api/v1/public/key-projects`: only the fields staff publish, the
//! same for everyone. The list keeps the service's order (no pinyin
//! collation is available without a new dependency).

use crate::server::AppState;
use crate::web::i18n::Lang;
use crate::web::page::Page;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{Datelike, FixedOffset, Utc};
use minijinja::context;
use qiao_app::transparency::PublicProject;
use qiao_core::vocab::{ContractType, Field, ProjectStatus, Vocabulary};
use serde::Serialize;

/// Years the selector offers before the plan year.
const YEARS_BACK: i32 = 4;

/// The plan year: this calendar year in China (as the portal chooses it).
fn plan_year() -> i32 {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    Utc::now().with_timezone(&china).year()
}

/// The `year` asked for, if it is one the API accepts.
fn year_of(raw: Option<&str>) -> Option<i32> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    pairs
        .iter()
        .find(|(k, _)| k == "year")
        .and_then(|(_, v)| v.trim().parse::<i32>().ok())
        .filter(|y| (2000..=2100).contains(y))
}

/// A vocabulary term published as (code, Chinese label), in the page's language.
fn term<V: Vocabulary>(pair: Option<(String, String)>, lang: Lang) -> Option<String> {
    let (code, zh) = pair?;
    Some(match (lang, V::from_code(&code)) {
        (Lang::En, Some(v)) => v.label_en().to_string(),
        _ => zh,
    })
}

#[derive(Serialize)]
struct Row {
    title: Option<String>,
    partners: Option<Vec<String>>,
    field: Option<String>,
    district: Option<String>,
    contract_type: Option<String>,
    status: Option<String>,
    status_code: Option<String>,
    plan_year: Option<i32>,
    signed_on: Option<String>,
    contract_amount: Option<f64>,
}

impl Row {
    fn new(p: PublicProject, lang: Lang) -> Self {
        Row {
            status_code: p.status.as_ref().map(|(code, _)| code.clone()),
            title: p.title,
            partners: p.partners,
            field: term::<Field>(p.field, lang),
            district: p.district,
            contract_type: term::<ContractType>(p.contract_type, lang),
            status: term::<ProjectStatus>(p.status, lang),
            plan_year: p.plan_year,
            signed_on: p.signed_on,
            contract_amount: p.contract_amount,
        }
    }
}

#[derive(Serialize)]
struct Column {
    key: String,
    heading: String,
    num: bool,
}

pub async fn key_projects(
    State(s): State<AppState>,
    page: Page,
    RawQuery(raw): RawQuery,
) -> Response {
    let current = plan_year();
    let year = year_of(raw.as_deref()).unwrap_or(current);
    let list = match s.app.transparency_list(year).await {
        Ok(list) => list,
        Err(e) => return page.error(e),
    };
    let lang = page.lang;
    let columns: Vec<Column> = list
        .fields
        .iter()
        .map(|f| Column {
            heading: lang.text(&format!("keyproj.col.{f}")).to_string(),
            num: f == "contract_amount",
            key: f.clone(),
        })
        .collect();
    let rows: Vec<Row> = list.items.into_iter().map(|p| Row::new(p, lang)).collect();
    let mut years: Vec<i32> = (current - YEARS_BACK..=current + 1).rev().collect();
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable_by(|a, b| b.cmp(a));
    }
    let ctx = context! {
        year,
        years,
        columns,
        rows,
        prev_year => (year > 2000).then(|| year - 1),
        next_year => (year < 2100).then(|| year + 1),
    };
    page.render("key_projects.html", ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plausible_years_are_taken() {
        assert_eq!(year_of(Some("year=2026")), Some(2026));
        assert_eq!(year_of(Some("year=1999")), None);
        assert_eq!(year_of(Some("year=abc")), None);
        assert_eq!(year_of(None), None);
    }

    #[test]
    fn terms_follow_the_page_language() {
        let pair = Some(("transfer".to_string(), "技术转让".to_string()));
        assert_eq!(
            term::<ContractType>(pair.clone(), Lang::Zh).as_deref(),
            Some("技术转让")
        );
        assert_eq!(
            term::<ContractType>(pair, Lang::En).as_deref(),
            Some("Technology transfer")
        );
    }
}
