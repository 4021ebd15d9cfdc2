//! Server-rendered HTML pages. Templates live in `web/templates` and are
//! compiled into the binary, so a deployment is one file.

use super::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, context};
use qiao_core::vocab::{Field, Vocabulary};
use std::sync::LazyLock;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_template(
        "base.html",
        include_str!("../../../../web/templates/base.html"),
    )
    .expect("base template");
    env.add_template(
        "home.html",
        include_str!("../../../../web/templates/home.html"),
    )
    .expect("home template");
    env
});

const STYLESHEET: &str = include_str!("../../../../web/static/app.css");

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        STYLESHEET,
    )
}

fn render(name: &str, ctx: minijinja::Value) -> Response {
    match TEMPLATES.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, template = name, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面暂时无法显示").into_response()
        }
    }
}

#[derive(serde::Serialize)]
struct NeedRow {
    title: String,
    org_name: String,
    fields: Vec<&'static str>,
    budget: String,
    deadline: String,
}

pub async fn home(State(state): State<AppState>) -> Response {
    let overview = match state.store.overview().await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "overview failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "数据库暂时不可用").into_response();
        }
    };
    let needs = state
        .store
        .recent_public_needs(12)
        .await
        .unwrap_or_default();
    let needs: Vec<NeedRow> = needs
        .into_iter()
        .map(|(n, org_name)| NeedRow {
            title: n.title,
            org_name,
            fields: n
                .fields
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().and_then(Field::from_code))
                .map(Field::label_zh)
                .collect(),
            budget: match (n.budget_min_yuan, n.budget_max_yuan) {
                (Some(a), Some(b)) => format!(
                    "{}–{}",
                    qiao_core::Wan::from_yuan(a)
                        .to_string()
                        .trim_end_matches("万元"),
                    qiao_core::Wan::from_yuan(b)
                ),
                (None, Some(b)) => format!("≤{}", qiao_core::Wan::from_yuan(b)),
                (Some(a), None) => format!("≥{}", qiao_core::Wan::from_yuan(a)),
                (None, None) => "面议".into(),
            },
            deadline: n
                .deadline
                .map(|d| d.format("%Y年%-m月%-d日").to_string())
                .unwrap_or_default(),
        })
        .collect();
    let plan = state.store.plan(2026).await.ok().flatten();
    render("home.html", context! { overview, needs, plan })
}
