//! Actual figures staff enter for targets the platform cannot count itself
//! (instrument sharing services, city-wide contract turnover): dated, with
//! who entered them, never overwritten — the latest by date counts.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("plan_actuals")
                    .col(big_pk_auto("id"))
                    .col(integer("plan_year"))
                    .col(string("code"))
                    .col(double("value"))
                    .col(date("as_of"))
                    .col(text("note"))
                    .col(string("recorded_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_plan_actuals_plan_year_code")
                    .table("plan_actuals")
                    .col("plan_year")
                    .col("code")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new("plan_actuals")).to_owned())
            .await
    }
}
