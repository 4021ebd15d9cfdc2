//! The language of each embedded text (`zh`, `en`): vectors are compared
//! centered on their language's mean, and a pair in two languages is judged
//! by meaning alone. Rows stored before have an empty language; the
//! embedding worker finds them in its backlog and records theirs without
//! embedding again (the text hash is unchanged).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("embeddings")
                    .add_column(string("language").default(""))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("embeddings")
                    .drop_column("language")
                    .to_owned(),
            )
            .await
    }
}
