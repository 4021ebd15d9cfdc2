//! Schema migrations. The same migrations serve SQLite and PostgreSQL; they
//! run automatically on `serve`/`demo` and through `qiao migrate`.

use sea_orm_migration::prelude::*;

mod m20260101_000001_initial;
mod m20261127_000001_plan_key_needs;
mod m20261129_000001_membership;
mod m20261201_000001_external_ids_per_org;
mod m20261202_000001_events;
mod m20261203_000001_embeddings;
mod m20261204_000001_embedding_language;
mod m20261205_000001_projects;
mod m20261206_000001_settings;
mod m20261207_000001_plan_actuals;
mod m20261208_000001_project_attachments;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20260101_000001_initial::Migration),
            Box::new(m20261127_000001_plan_key_needs::Migration),
            Box::new(m20261129_000001_membership::Migration),
            Box::new(m20261201_000001_external_ids_per_org::Migration),
            Box::new(m20261202_000001_events::Migration),
            Box::new(m20261203_000001_embeddings::Migration),
            Box::new(m20261204_000001_embedding_language::Migration),
            Box::new(m20261205_000001_projects::Migration),
            Box::new(m20261206_000001_settings::Migration),
            Box::new(m20261207_000001_plan_actuals::Migration),
            Box::new(m20261208_000001_project_attachments::Migration),
        ]
    }
}
