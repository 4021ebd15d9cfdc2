//! The web platform: server-rendered pages in Simplified Chinese (English
//! by a remembered switch), htmx for partial updates, no build step.
//!
//! # Adding a page
//!
//! 1. A handler in `pages/<screen>.rs` takes [`Page`] (viewer, language,
//!    CSRF token, path) and the state, calls the same `qiao_app::App`
//!    use cases as the API with `page.viewer` — never the store — and
//!    answers `page.render("x.html", context! { … })`. Failures answer
//!    `page.error(e)`: hidden records are 404 as in the API, a page that
//!    needs a user sends visitors to `/login?next=…`; `page.problem(status)`
//!    gives the problem page directly.
//! 2. Its template `web/templates/x.html` extends `base.html` (blocks
//!    `title`, `content`, `scripts`) and is listed in
//!    `templates::SOURCES`. The layout's variables are `lang`, `html_lang`,
//!    `user` (`email`, `role`, `staff`), `csrf`, `path`, `login_url`,
//!    `lang_switch`; `search_q` fills the header's search box.
//! 3. The route goes into [`router`]. Page addresses are contracts (see
//!    the issue): no `/api` prefix, no listing in the OpenAPI document.
//!
//! # Strings, numbers, dates
//!
//! No UI text in templates or handlers: every string is a key of
//! `web/i18n/zh.json` and `web/i18n/en.json` (same keys in both, checked by
//! a test together with every `t("…")` of every template). Templates write
//! `{{ t("nav.events") }}` or `{{ t("me.request_pending", org=name) }}`;
//! Rust code `page.lang.text(key)` / `page.lang.format(key, args)`.
//! Vocabulary terms come from `Vocabulary::label(page.lang.code())`.
//! Figures go through the filters of [`format`]: `num`, `wan` (万元 →
//! `350 亿元`), `wan_range`, `date`, `range` (`2–3`); query strings built
//! in a template use `|urlencode`.
//!
//! # Assets and scripts
//!
//! Files of `web/static/` and `web/vendor/` listed in [`assets`] are served
//! at content-hashed addresses with a year's cache and gzip; templates link
//! `{{ asset("app.css") }}`. The CSP allows no inline script or style: no
//! `style=`, `<style>`, `onclick=` or inline `<script>` (a test scans the
//! templates). Behaviour goes into small files under `web/static/`, loaded
//! with `defer` from the `scripts` block. htmx (every page) runs with
//! `allowEval: false` and without indicator styles (`app.css` has them).
//! ECharts only on dashboard pages: `echarts.min.js` then `charts.js`,
//! which draws `<div class="chart" data-chart-option='…'>` with the canvas
//! renderer and rich-text tooltips.
//!
//! # Forms and CSRF
//!
//! Every form posts `application/x-www-form-urlencoded` with
//! `{{ forms.csrf_input(csrf) }}`; the handler takes [`form::Form<T>`],
//! which refuses a missing or wrong token with the 403 page. The token is
//! the session's (htmx sends it as `X-CSRF-Token` from the
//! `<meta name="csrf-token">` of the layout) or, before sign-in, the
//! `qiao_csrf` double-submit cookie. A failed form is shown again with
//! the values typed (never passwords) and [`field_errors::FieldErrors`]
//! beside the fields (`forms.field`, `forms.choice`, `forms.error_summary`
//! in `forms.html`); redirects after success use
//! [`redirect::see_other`], and `next`/`back` parameters pass
//! [`redirect::local_path`].

pub mod assets;
pub mod field_errors;
pub mod form;
pub mod format;
pub mod i18n;
pub mod page;
pub mod pages;
pub mod redirect;
pub mod templates;

use crate::error::AppError;
use crate::server::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
pub use page::Page;

/// Every page route.
pub fn router() -> Router<AppState> {
    use pages::{account, me, portal};
    Router::new()
        .route("/", get(portal::portal))
        .route("/assets/{file}", get(assets::serve))
        .route("/lang", get(i18n::switch))
        .route("/login", get(account::login_form).post(account::login))
        .route("/logout", post(account::logout))
        .route(
            "/register",
            get(account::register_form).post(account::register),
        )
        .route("/me", get(me::me))
        // The public portal's search, listing details and transparency list.
        .route("/search", get(pages::search::search))
        .route("/needs/{id}", get(pages::listing::need))
        .route("/capabilities/{id}", get(pages::listing::capability))
        .route("/projects/key", get(pages::key_projects::key_projects))
        // The workspace: an enterprise's needs, a university's capabilities.
        .route(
            "/me/needs/new",
            get(pages::my_needs::new_form).post(pages::my_needs::create),
        )
        .route("/me/needs/{id}", get(pages::my_needs::show))
        .route(
            "/me/needs/{id}/edit",
            get(pages::my_needs::edit_form).post(pages::my_needs::update),
        )
        .route(
            "/me/capabilities/new",
            get(pages::my_capabilities::new_form).post(pages::my_capabilities::create),
        )
        .route(
            "/me/capabilities/{id}/edit",
            get(pages::my_capabilities::edit_form).post(pages::my_capabilities::update),
        )
        // The events calendar and an event's page with registration.
        .route("/events", get(pages::events::calendar))
        .route("/events/{id}", get(pages::events::event))
        .route("/events/{id}/registration", post(pages::events::register))
        .route("/events/{id}/meeting-requests", post(pages::events::ask))
        .route(
            "/events/{id}/meeting-requests/{rid}/{answer}",
            post(pages::events::answer),
        )
        // Staff: the console (organization review, the suggestion queue) and the plan dashboard.
        .route("/staff", get(pages::staff::home))
        .route(
            "/staff/organizations/{id}/review",
            post(pages::staff::review_organization),
        )
        .route("/staff/suggestions/{id}/accept", post(pages::staff::accept))
        .route("/staff/suggestions/{id}/reject", post(pages::staff::reject))
        .route(
            "/staff/suggestions/{id}/contacted",
            post(pages::staff::contacted),
        )
        .route("/staff/dashboard", get(pages::staff_dashboard::dashboard))
        // Admins: users and roles.
        .route("/admin/users", get(pages::admin::users))
        .route("/admin/users/{id}/role", post(pages::admin::change_role))
        .route(
            "/admin/users/{id}/status",
            post(pages::admin::change_status),
        )
        // Cooperation projects: staff's board, a project's page and its forms.
        .route("/staff/projects", get(pages::projects::board))
        .route(
            "/staff/suggestions/generate",
            post(pages::projects::generate_suggestions),
        )
        .route("/projects/{id}", get(pages::projects::show))
        .route(
            "/projects/{id}/transition",
            post(pages::projects::transition),
        )
        .route(
            "/projects/{id}/milestones",
            post(pages::projects::add_milestone),
        )
        .route(
            "/projects/{id}/milestones/{mid}/done",
            post(pages::projects::milestone_done),
        )
        .route("/projects/{id}/notes", post(pages::projects::add_note))
        // Staff: events set up, registrations decided, meetings proposed and scheduled.
        .route("/staff/events", get(pages::staff_events::list))
        .route(
            "/staff/events/new",
            get(pages::staff_events::new_form).post(pages::staff_events::create),
        )
        .route("/staff/events/{id}", get(pages::staff_events::console))
        .route(
            "/staff/events/{id}/edit",
            get(pages::staff_events::edit_form).post(pages::staff_events::update),
        )
        .route(
            "/staff/events/{id}/registrations/{rid}/{decision}",
            post(pages::staff_events::decide),
        )
        .route(
            "/staff/events/{id}/propose",
            post(pages::staff_events::propose),
        )
        .route("/staff/events/{id}/send", post(pages::staff_events::send))
        .route(
            "/staff/events/{id}/schedule",
            post(pages::staff_events::schedule),
        )
        .route(
            "/staff/events/{id}/publish",
            post(pages::staff_events::publish),
        )
}

/// Hashes and compresses the assets and compiles the templates, so the
/// first visitor does not wait for it.
pub fn init() {
    assets::init();
    templates::init();
}

/// Unknown addresses: the 404 page for browsers, a problem document for
/// the API and other clients.
pub async fn fallback(State(state): State<AppState>, req: Request) -> Response {
    let wants_html = !req.uri().path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if !wants_html {
        return AppError::NoRoute.into_response();
    }
    let (mut parts, _) = req.into_parts();
    match Page::from_request_parts(&mut parts, &state).await {
        Ok(page) => page.problem(StatusCode::NOT_FOUND),
        Err(response) => response,
    }
}
