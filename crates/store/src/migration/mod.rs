//! Schema migrations. The same migrations serve SQLite and PostgreSQL; they
//! run automatically on `serve`/`demo` and through `qiao migrate`.

use sea_orm_migration::prelude::*;

mod m20260101_000001_initial;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20260101_000001_initial::Migration)]
    }
}
