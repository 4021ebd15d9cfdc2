//! `/me`, the workspace: who the user is, their organization and its
//! review, pending requests to join one, and where to go next.

use crate::server::AppState;
use crate::web::page::Page;
use crate::web::redirect::see_other;
use axum::extract::State;
use axum::response::Response;
use minijinja::context;
use qiao_core::vocab::{ReviewStatus, Role, Vocabulary};

pub async fn me(State(s): State<AppState>, page: Page) -> Response {
    let Some(who) = page.principal().cloned() else {
        return see_other(&page.login_url());
    };
    let code = page.lang.code();
    let account = match s.app.account(who.id).await {
        Ok(a) => a,
        Err(e) => return page.error(e),
    };
    let org = match who.org_id {
        Some(id) => s.app.organization(&page.viewer, id).await.ok(),
        None => None,
    };
    let org = org.map(|o| {
        context! {
            name => o.record.name,
            status => o.review_status.label(code),
            pending => o.review_status == ReviewStatus::Pending,
        }
    });
    let mut requests = Vec::new();
    if who.org_id.is_none() && who.role.needs_organization() {
        match s.app.membership_requests(&who, Some("pending")).await {
            Ok(list) => {
                for r in list {
                    if let Ok(o) = s.app.organization(&page.viewer, r.org_id).await {
                        requests.push(o.record.name);
                    }
                }
            }
            Err(e) => return page.error(e),
        }
    }
    let role =
        Role::from_code(&account.role).map_or(account.role.clone(), |r| r.label(code).to_string());
    let account = context! {
        email => account.email,
        display_name => account.display_name,
        role,
        org_admin => account.org_admin,
    };
    let member_role = who.role.needs_organization();
    page.render("me.html", context! { account, org, requests, member_role })
}
