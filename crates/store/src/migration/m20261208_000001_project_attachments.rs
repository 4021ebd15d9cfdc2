//! Files attached to cooperation projects (contracts, acceptance reports):
//! what was uploaded, by whom, and where the bytes lie under the data
//! directory. The bytes themselves are not in the database.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("project_attachments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("project_id"))
                    .col(string("kind"))
                    .col(string("file_name"))
                    .col(string("media_type"))
                    .col(big_integer("size_bytes"))
                    .col(string("sha256"))
                    .col(string_uniq("storage_key"))
                    .col(string("uploaded_by"))
                    .col(big_integer_null("uploaded_by_user_id"))
                    .col(timestamp_with_time_zone("uploaded_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("project_attachments", "project_id")
                            .to("projects", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_attachments_project_id")
                    .table("project_attachments")
                    .col("project_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("project_attachments"))
                    .to_owned(),
            )
            .await
    }
}
