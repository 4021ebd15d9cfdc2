//! The documented routes of the REST API, with their OpenAPI description.

use crate::error;
use crate::routes;
use crate::server::AppState;
use axum::Router;
use routes::{
    account, listings, membership, organizations, search, suggestions, system, transfer, users,
};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(title = "Qiao (桥) API", description = "Industry–academia matchmaking platform. Errors are RFC 9457 problem documents; send `Accept-Language: zh-CN` for Chinese titles."),
    tags(
        (name = "auth", description = "Accounts, sessions and API tokens"),
        (name = "needs", description = "Technology needs (技术需求)"),
        (name = "capabilities", description = "Capabilities (科技成果/研发能力)"),
        (name = "organizations", description = "Organizations (机构)"),
        (name = "users", description = "User accounts"),
        (name = "transfer", description = "File export and import"),
        (name = "search", description = "Chinese full-text search"),
        (name = "suggestions", description = "Explained match suggestions, staff decisions and the plan-wide assignment"),
        (name = "events", description = "Matchmaking events (对接活动): registration, 1:1 meetings, agendas, outcomes"),
        (name = "projects", description = "Cooperation projects (产学研合作项目) from match to completion: life cycle, milestones, notes, attachments; the year's plan, its dashboard and annual report"),
        (name = "system", description = "Health and metrics"),
    ),
    components(schemas(error::ProblemDoc, error::FieldErrorDoc))
)]
struct ApiDoc;

/// Every documented route, with its OpenAPI description.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    OpenApiRouter::with_openapi(doc)
        .routes(routes!(system::healthz))
        .routes(routes!(system::readyz))
        .routes(routes!(system::metrics))
        .routes(routes!(account::register))
        .routes(routes!(account::login))
        .routes(routes!(account::logout))
        .routes(routes!(account::me))
        .routes(routes!(account::change_password))
        .routes(routes!(account::create_token, account::list_tokens))
        .routes(routes!(account::revoke_token))
        .routes(routes!(listings::list_needs, listings::create_need))
        .routes(routes!(
            listings::get_need,
            listings::patch_need,
            listings::delete_need
        ))
        .routes(routes!(
            listings::list_capabilities,
            listings::create_capability
        ))
        .routes(routes!(
            listings::get_capability,
            listings::patch_capability,
            listings::delete_capability
        ))
        .routes(routes!(
            organizations::list_organizations,
            organizations::create_organization
        ))
        .routes(routes!(
            organizations::get_organization,
            organizations::patch_organization,
            organizations::delete_organization
        ))
        .routes(routes!(organizations::review_organization))
        .routes(routes!(membership::request_membership))
        .routes(routes!(membership::list_membership_requests))
        .routes(routes!(membership::approve_membership))
        .routes(routes!(membership::refuse_membership))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::patch_user))
        .routes(routes!(search::search))
        .routes(routes!(suggestions::need_suggestions))
        .routes(routes!(suggestions::capability_suggestions))
        .routes(routes!(suggestions::accept))
        .routes(routes!(suggestions::reject))
        .routes(routes!(suggestions::contacted))
        .routes(routes!(suggestions::assignments))
        .routes(routes!(
            suggestions::get_key_needs,
            suggestions::put_key_needs
        ))
        .routes(routes!(transfer::export))
        .routes(
            routes!(transfer::import).layer(axum::extract::DefaultBodyLimit::max(
                transfer::IMPORT_BODY_LIMIT,
            )),
        )
        .merge(routes::events::router())
        .merge(routes::projects::router())
        .merge(routes::attachments::router())
        .merge(routes::transparency::router())
        .merge(routes::plans::router())
        .merge(routes::dashboard::router())
        .split_for_parts()
}
