//! Organization membership by request: registering with an existing
//! organization's name asks to join instead of joining. Each organization
//! gets an admin member (`users.org_admin`) who decides requests alongside
//! staff; existing organizations' earliest members become their admins.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .add_column(boolean("org_admin").default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("membership_requests")
                    .col(big_pk_auto("id"))
                    .col(big_integer("user_id"))
                    .col(big_integer("org_id"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(big_integer_null("decided_by"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_requests_user_id")
                            .from("membership_requests", "user_id")
                            .to("users", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_membership_requests_org_id")
                            .from("membership_requests", "org_id")
                            .to("organizations", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_membership_requests_org_id_status")
                    .table("membership_requests")
                    .col("org_id")
                    .col("status")
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE users SET org_admin = TRUE WHERE id IN \
                 (SELECT MIN(id) FROM users WHERE org_id IS NOT NULL GROUP BY org_id)",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("membership_requests").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("users")
                    .drop_column("org_admin")
                    .to_owned(),
            )
            .await
    }
}
