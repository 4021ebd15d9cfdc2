//! The visibility rule over HTTP, on every backend: a listing of every
//! hidden kind (staff-only, draft and deleted needs, needs of a pending and
//! of a rejected organization, a capability of a pending organization, a
//! draft capability) and public controls, read by every viewer (anonymous,
//! another organization's member, the owner, staff) through every path that
//! shows listings, and cooperation projects through every path that shows
//! them. Each cell's expectation comes from `qiao_core::access`;
//! a test lists all its failing cells at once.

#[path = "visibility/cells.rs"]
mod cells;
#[path = "visibility/pages.rs"]
mod pages;
#[path = "visibility/projects.rs"]
mod projects;
#[path = "visibility/search.rs"]
mod search;
#[path = "visibility/setup.rs"]
mod setup;
#[path = "visibility/suggestions.rs"]
mod suggestions;
#[path = "visibility/world.rs"]
mod world;

use cells::Cells;
use qiao_store::testkit::each_backend;

#[tokio::test]
async fn by_id_and_in_lists() {
    each_backend("visibility::by_id_and_in_lists", |db| async move {
        let w = setup::build(&db).await;
        let mut cells = Cells::new(w.label);
        pages::by_id(&w, &mut cells).await;
        pages::lists(&w, &mut cells).await;
        cells.finish();
        db
    })
    .await;
}

#[tokio::test]
async fn in_exports() {
    each_backend("visibility::in_exports", |db| async move {
        let w = setup::build(&db).await;
        let mut cells = Cells::new(w.label);
        pages::exports(&w, &mut cells).await;
        cells.finish();
        db
    })
    .await;
}

#[tokio::test]
async fn on_the_home_page() {
    each_backend("visibility::on_the_home_page", |db| async move {
        let w = setup::build(&db).await;
        let mut cells = Cells::new(w.label);
        pages::home(&w, &mut cells).await;
        cells.finish();
        db
    })
    .await;
}

#[tokio::test]
async fn in_search() {
    each_backend("visibility::in_search", |db| async move {
        let w = setup::build(&db).await;
        let mut cells = Cells::new(w.label);
        search::search(&w, &mut cells).await;
        cells.finish();
        db
    })
    .await;
}

#[tokio::test]
async fn in_suggestions_and_the_plan() {
    each_backend("visibility::in_suggestions_and_the_plan", |db| async move {
        let w = setup::build(&db).await;
        let mut cells = Cells::new(w.label);
        suggestions::suggestions(&w, &mut cells).await;
        suggestions::plan(&w, &mut cells).await;
        cells.finish();
        db
    })
    .await;
}

#[tokio::test]
async fn projects_and_the_transparency_list() {
    each_backend(
        "visibility::projects_and_the_transparency_list",
        |db| async move {
            let w = setup::build(&db).await;
            let mut cells = Cells::new(w.label);
            projects::projects_everywhere(&w, &mut cells).await;
            cells.finish();
            db
        },
    )
    .await;
}

#[tokio::test]
async fn on_the_portal_pages() {
    each_backend("visibility::on_the_portal_pages", |db| async move {
        let w = setup::build(&db).await;
        let mut cells = Cells::new(w.label);
        pages::search_page(&w, &mut cells).await;
        pages::detail_pages(&w, &mut cells).await;
        cells.finish();
        db
    })
    .await;
}
