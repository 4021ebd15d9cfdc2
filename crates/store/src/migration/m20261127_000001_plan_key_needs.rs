//! The needs staff flag for a year's key-project plan (重点项目): the plan-wide
//! assignment may be narrowed to them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("plan_key_needs")
                    .col(integer("plan_year"))
                    .col(big_integer("need_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("plan_year").col("need_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_plan_key_needs_need_id")
                            .from("plan_key_needs", "need_id")
                            .to("needs", "id"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("plan_key_needs").to_owned())
            .await
    }
}
