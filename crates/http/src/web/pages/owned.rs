//! Which listings a member manages in the workspace: their organization's
//! needs (enterprises) or capabilities (universities and institutes), and
//! any of them for staff.

use crate::server::AppState;
use crate::web::Page;
use crate::web::redirect::see_other;
use axum::http::StatusCode;
use axum::response::Response;
use qiao_app::listings::Listing;
use qiao_core::vocab::Role;
use serde_json::Value;

/// A member of `role` with an organization: who may post this kind here.
pub fn may_post(who: &qiao_app::Principal, role: Role) -> bool {
    who.role == role && who.org_id.is_some()
}

/// A listing the signed-in user may manage here (their organization's, or
/// any for staff); everyone else gets the 404 page, as if it did not exist.
pub async fn managed<R: Listing>(
    s: &AppState,
    page: &Page,
    id: i64,
    role: Role,
) -> Result<Value, Response> {
    let Some(who) = page.principal() else {
        return Err(see_other(&page.login_url()));
    };
    let listing = qiao_app::listings::get::<R>(&s.app, &page.viewer, id)
        .await
        .map_err(|e| page.error(e))?;
    let own = listing["org_id"]
        .as_i64()
        .is_some_and(|o| who.org_id == Some(o));
    if who.is_staff() || (may_post(who, role) && own) {
        Ok(listing)
    } else {
        Err(page.problem(StatusCode::NOT_FOUND))
    }
}
