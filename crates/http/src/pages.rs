//! Server-rendered HTML pages. Templates live in `web/templates` and are
//! compiled into the binary, so a deployment is one file.

use crate::auth::Viewer;
use crate::server::AppState;
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
        include_str!("../../../web/templates/base.html"),
    )
    .expect("base template");
    env.add_template(
        "home.html",
        include_str!("../../../web/templates/home.html"),
    )
    .expect("home template");
    env
});

const STYLESHEET: &str = include_str!("../../../web/static/app.css");

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

fn budget(min: Option<qiao_core::Wan>, max: Option<qiao_core::Wan>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{}–{}", a.to_string().trim_end_matches("万元"), b),
        (None, Some(b)) => format!("≤{b}"),
        (Some(a), None) => format!("≥{a}"),
        (None, None) => "面议".into(),
    }
}

/// The home page as the viewer may see it: counters and needs come from the one visibility rule.
pub async fn home(State(state): State<AppState>, viewer: Viewer) -> Response {
    let home = match state.app.home(viewer.scope(), 2026, 12).await {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "home page failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "数据库暂时不可用").into_response();
        }
    };
    let needs: Vec<NeedRow> = home
        .needs
        .into_iter()
        .map(|n| NeedRow {
            title: n.title,
            org_name: n.org_name,
            fields: n.fields.into_iter().map(Field::label_zh).collect(),
            budget: budget(n.budget_min, n.budget_max),
            deadline: n
                .deadline
                .map(|d| d.format("%Y年%-m月%-d日").to_string())
                .unwrap_or_default(),
        })
        .collect();
    let (overview, plan) = (home.overview, home.plan);
    render("home.html", context! { overview, needs, plan })
}
