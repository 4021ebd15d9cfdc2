//! Listing embeddings: one vector per listing and model, keyed by the hash of
//! the text it was computed from, and the lease that lets one worker at a
//! time compute them (servers sharing a database, or `qiao embed`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("embeddings")
                    // `need` or `capability`: one table for both, so no foreign key.
                    .col(string("kind"))
                    .col(big_integer("listing_id"))
                    .col(string("model_id"))
                    // SHA-256 (hex) of the exact text the model read.
                    .col(string("text_hash"))
                    // The listing's version when the text was last compared.
                    .col(integer("listing_version"))
                    .col(integer("dim"))
                    // Little-endian f32, `dim` of them.
                    .col(blob("vector"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(
                        Index::create()
                            .col("kind")
                            .col("listing_id")
                            .col("model_id"),
                    )
                    .to_owned(),
            )
            .await?;
        // Servers pick up vectors written elsewhere by time.
        manager
            .create_index(
                Index::create()
                    .name("idx_embeddings_model_id_created_at")
                    .table("embeddings")
                    .col("model_id")
                    .col("created_at")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("embedding_leases")
                    .col(string("name").primary_key())
                    .col(string("holder"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["embedding_leases", "embeddings"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
