//! Cooperation projects followed from match to completion: the fields staff
//! record (field, district, technology-contract registration number, the
//! meeting it came from, a termination reason code, whether staff publish it
//! on the transparency list), further partner organizations, milestones and
//! a timeline of notes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [&str; 6] = [
    "field",
    "district",
    "contract_reg_no",
    "meeting_id",
    "termination_code",
    "published",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [
            string_null("field"),
            string_null("district"),
            string_null("contract_reg_no"),
            big_integer_null("meeting_id"),
            string_null("termination_code"),
            boolean("published").default(false).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table("projects")
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("project_partners")
                    .col(big_integer("project_id"))
                    .col(big_integer("org_id"))
                    .primary_key(Index::create().col("project_id").col("org_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("project_partners", "project_id")
                            .to("projects", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from("project_partners", "org_id")
                            .to("organizations", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_partners_org_id")
                    .table("project_partners")
                    .col("org_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("project_milestones")
                    .col(big_pk_auto("id"))
                    .col(big_integer("project_id"))
                    .col(string("title"))
                    .col(date("due_on"))
                    .col(date_null("done_on"))
                    .col(text("evidence"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("project_milestones", "project_id")
                            .to("projects", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_milestones_project_id")
                    .table("project_milestones")
                    .col("project_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("project_notes")
                    .col(big_pk_auto("id"))
                    .col(big_integer("project_id"))
                    .col(string("author"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("project_notes", "project_id")
                            .to("projects", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_project_notes_project_id")
                    .table("project_notes")
                    .col("project_id")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["project_notes", "project_milestones", "project_partners"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table("projects")
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
