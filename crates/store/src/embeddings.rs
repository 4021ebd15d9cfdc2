//! Listing embeddings: derived data like the search index, but kept in the
//! database, so a vector is computed once per text version and shared by
//! every server on the database, `qiao embed` and any rebuild.
//!
//! A row holds one listing's vector under one model, the SHA-256 of the exact
//! text the model read, and the listing's `version` when that text was last
//! compared. Every content change bumps a listing's version (optimistic
//! locking depends on it), so the **backlog** — live listings with no vector
//! or a vector checked against an older version — is one indexed join. The
//! caller then compares text hashes: an unchanged text only has its version
//! confirmed, a changed one is embedded again.

use crate::entities::embedding;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use qiao_core::access::ListingKind;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement, Value,
};
use std::time::Duration;

/// Rows per statement: well under SQLite's bound on bound parameters.
const CHUNK: usize = 500;
/// Rows per page when loading every vector of a model.
const PAGE: u64 = 2_000;
/// The lease's only row.
const LEASE: &str = "worker";

/// The code stored in the `kind` column.
pub fn kind_code(kind: ListingKind) -> &'static str {
    match kind {
        ListingKind::Need => "need",
        ListingKind::Capability => "capability",
    }
}

pub fn kind_from_code(code: &str) -> Option<ListingKind> {
    match code {
        "need" => Some(ListingKind::Need),
        "capability" => Some(ListingKind::Capability),
        _ => None,
    }
}

fn table(kind: ListingKind) -> &'static str {
    match kind {
        ListingKind::Need => "needs",
        ListingKind::Capability => "capabilities",
    }
}

const KINDS: [ListingKind; 2] = [ListingKind::Need, ListingKind::Capability];

/// A freshly computed vector to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEmbedding {
    pub kind: ListingKind,
    pub listing_id: i64,
    /// The listing's version the text was read at.
    pub listing_version: i32,
    /// SHA-256 (lower-case hex) of the text the model read.
    pub text_hash: String,
    /// The text's language code (`zh`, `en`).
    pub language: String,
    pub vector: Vec<f32>,
}

/// A stored vector.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmbedding {
    pub kind: ListingKind,
    pub listing_id: i64,
    pub text_hash: String,
    /// `zh`, `en`, or empty for a row stored before languages were recorded.
    pub language: String,
    pub vector: Vec<f32>,
    pub created_at: DateTime<Utc>,
}

/// Which vector a listing has, without the vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbeddingKey {
    pub kind: ListingKind,
    pub listing_id: i64,
    pub text_hash: String,
    pub created_at: DateTime<Utc>,
}

/// A live listing whose vector is missing or was checked against an older
/// version of it; `stored_hash` is the hash of the text it has a vector of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogEntry {
    pub kind: ListingKind,
    pub listing_id: i64,
    pub listing_version: i32,
    pub stored_hash: Option<String>,
    /// The stored vector's language code (empty when unknown); whoever
    /// confirms the entry sets the text's.
    pub language: String,
}

/// A count per kind of listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub needs: u64,
    pub capabilities: u64,
}

impl KindCounts {
    pub fn total(&self) -> u64 {
        self.needs + self.capabilities
    }

    pub fn get(&self, kind: ListingKind) -> u64 {
        match kind {
            ListingKind::Need => self.needs,
            ListingKind::Capability => self.capabilities,
        }
    }

    fn set(&mut self, kind: ListingKind, n: u64) {
        match kind {
            ListingKind::Need => self.needs = n,
            ListingKind::Capability => self.capabilities = n,
        }
    }
}

/// Little-endian `f32`s, as stored.
pub fn vector_to_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The stored bytes back as `f32`s; `None` unless whole `f32`s.
pub fn vector_from_bytes(bytes: &[u8]) -> Option<Vec<f32>> {
    let (words, rest) = bytes.as_chunks::<4>();
    rest.is_empty()
        .then(|| words.iter().map(|w| f32::from_le_bytes(*w)).collect())
}

fn stored(m: embedding::Model) -> Result<StoredEmbedding, StoreError> {
    let bad = || {
        StoreError::Invalid(format!(
            "embedding of {} {} under {} is malformed",
            m.kind, m.listing_id, m.model_id
        ))
    };
    let kind = kind_from_code(&m.kind).ok_or_else(bad)?;
    let vector = vector_from_bytes(&m.vector)
        .filter(|v| v.len() == m.dim as usize)
        .ok_or_else(bad)?;
    Ok(StoredEmbedding {
        kind,
        listing_id: m.listing_id,
        text_hash: m.text_hash,
        language: m.language,
        vector,
        created_at: m.created_at,
    })
}

/// `?` placeholders become `$1, $2, …` on PostgreSQL.
fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            out
        }
        _ => sql.to_string(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The backlog of one kind: `SELECT` its entries, or `COUNT` them.
fn backlog_sql(kind: ListingKind, count: bool, ids: usize) -> String {
    let what = if count {
        "COUNT(*) AS n"
    } else {
        "l.id AS listing_id, l.version AS listing_version, e.text_hash AS stored_hash, \
         e.language AS stored_language"
    };
    let only = if ids > 0 {
        format!(" AND l.id IN ({})", placeholders(ids))
    } else {
        String::new()
    };
    let tail = if count { "" } else { " ORDER BY l.id LIMIT ?" };
    format!(
        "SELECT {what} FROM {table} l LEFT JOIN embeddings e \
         ON e.kind = '{code}' AND e.listing_id = l.id AND e.model_id = ? \
         WHERE l.deleted_at IS NULL \
         AND (e.listing_id IS NULL OR e.listing_version <> l.version OR e.language = ''){only}{tail}",
        table = table(kind),
        code = kind_code(kind),
    )
}

impl Store {
    /// Stores a batch of vectors in one transaction: all of them or none.
    /// A listing's earlier vector under the same model is replaced.
    pub async fn upsert_embeddings(
        &self,
        model_id: &str,
        batch: &[NewEmbedding],
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let now = Utc::now();
        let tx = self.begin_write().await?;
        for chunk in batch.chunks(CHUNK) {
            let rows = chunk.iter().map(|e| embedding::ActiveModel {
                kind: Set(kind_code(e.kind).to_string()),
                listing_id: Set(e.listing_id),
                model_id: Set(model_id.to_string()),
                text_hash: Set(e.text_hash.clone()),
                language: Set(e.language.clone()),
                listing_version: Set(e.listing_version),
                dim: Set(e.vector.len() as i32),
                vector: Set(vector_to_bytes(&e.vector)),
                created_at: Set(now),
            });
            embedding::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([
                        embedding::Column::Kind,
                        embedding::Column::ListingId,
                        embedding::Column::ModelId,
                    ])
                    .update_columns([
                        embedding::Column::TextHash,
                        embedding::Column::Language,
                        embedding::Column::ListingVersion,
                        embedding::Column::Dim,
                        embedding::Column::Vector,
                        embedding::Column::CreatedAt,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(&tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records that listings' texts at these versions still hash as stored,
    /// so they leave the backlog without being embedded again. A row whose
    /// hash differs (written meanwhile from another text) is left alone.
    /// Returns how many rows were confirmed.
    pub async fn confirm_embeddings(
        &self,
        model_id: &str,
        unchanged: &[BacklogEntry],
    ) -> Result<u64, StoreError> {
        let mut confirmed = 0;
        if unchanged.is_empty() {
            return Ok(0);
        }
        let tx = self.begin_write().await?;
        for e in unchanged {
            let Some(hash) = &e.stored_hash else { continue };
            confirmed += embedding::Entity::update_many()
                .col_expr(
                    embedding::Column::ListingVersion,
                    Expr::value(e.listing_version),
                )
                .col_expr(embedding::Column::Language, Expr::value(e.language.clone()))
                .filter(embedding::Column::Kind.eq(kind_code(e.kind)))
                .filter(embedding::Column::ListingId.eq(e.listing_id))
                .filter(embedding::Column::ModelId.eq(model_id))
                .filter(embedding::Column::TextHash.eq(hash.as_str()))
                .exec(&tx)
                .await?
                .rows_affected;
        }
        tx.commit().await?;
        Ok(confirmed)
    }

    /// Every vector of a model, needs first, each kind by listing id.
    pub async fn load_embeddings(
        &self,
        model_id: &str,
    ) -> Result<Vec<StoredEmbedding>, StoreError> {
        let mut out = Vec::new();
        for kind in KINDS {
            let mut after = i64::MIN;
            loop {
                let rows = embedding::Entity::find()
                    .filter(embedding::Column::ModelId.eq(model_id))
                    .filter(embedding::Column::Kind.eq(kind_code(kind)))
                    .filter(embedding::Column::ListingId.gt(after))
                    .order_by_asc(embedding::Column::ListingId)
                    .limit(PAGE)
                    .all(self.conn())
                    .await?;
                let Some(last) = rows.last().map(|r| r.listing_id) else {
                    break;
                };
                after = last;
                for row in rows {
                    out.push(stored(row)?);
                }
            }
        }
        Ok(out)
    }

    /// The vectors of some listings of one kind under a model.
    pub async fn embeddings_by_ids(
        &self,
        model_id: &str,
        kind: ListingKind,
        ids: &[i64],
    ) -> Result<Vec<StoredEmbedding>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            for row in embedding::Entity::find()
                .filter(embedding::Column::ModelId.eq(model_id))
                .filter(embedding::Column::Kind.eq(kind_code(kind)))
                .filter(embedding::Column::ListingId.is_in(chunk.to_vec()))
                .all(self.conn())
                .await?
            {
                out.push(stored(row)?);
            }
        }
        Ok(out)
    }

    /// Which listings have a vector under a model, and of which text: all of
    /// them, or those stored at or after `since` (vectors written by another
    /// process, for a server to pick up).
    pub async fn embedding_keys(
        &self,
        model_id: &str,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<EmbeddingKey>, StoreError> {
        let mut query = embedding::Entity::find()
            .select_only()
            .columns([
                embedding::Column::Kind,
                embedding::Column::ListingId,
                embedding::Column::TextHash,
                embedding::Column::CreatedAt,
            ])
            .filter(embedding::Column::ModelId.eq(model_id));
        if let Some(since) = since {
            query = query.filter(embedding::Column::CreatedAt.gte(since));
        }
        let rows = query
            .into_tuple::<(String, i64, String, DateTime<Utc>)>()
            .all(self.conn())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(kind, listing_id, text_hash, created_at)| {
                Some(EmbeddingKey {
                    kind: kind_from_code(&kind)?,
                    listing_id,
                    text_hash,
                    created_at,
                })
            })
            .collect())
    }

    /// How many listings have a vector under a model, by kind.
    pub async fn count_embeddings(&self, model_id: &str) -> Result<KindCounts, StoreError> {
        let mut counts = KindCounts::default();
        for kind in KINDS {
            let n = embedding::Entity::find()
                .filter(embedding::Column::ModelId.eq(model_id))
                .filter(embedding::Column::Kind.eq(kind_code(kind)))
                .count(self.conn())
                .await?;
            counts.set(kind, n);
        }
        Ok(counts)
    }

    /// Stored vectors per model id, for telling stale models apart.
    pub async fn embedding_models(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = embedding::Entity::find()
            .select_only()
            .column(embedding::Column::ModelId)
            .column_as(embedding::Column::ListingId.count(), "n")
            .group_by(embedding::Column::ModelId)
            .order_by_asc(embedding::Column::ModelId)
            .into_tuple::<(String, i64)>()
            .all(self.conn())
            .await?;
        Ok(rows.into_iter().map(|(m, n)| (m, n as u64)).collect())
    }

    /// Live (not deleted) listings, by kind: what "embedded of how many" counts against.
    pub async fn count_live_listings(&self) -> Result<KindCounts, StoreError> {
        use crate::entities::{capability, need};
        Ok(KindCounts {
            needs: need::Entity::find()
                .filter(need::Column::DeletedAt.is_null())
                .count(self.conn())
                .await?,
            capabilities: capability::Entity::find()
                .filter(capability::Column::DeletedAt.is_null())
                .count(self.conn())
                .await?,
        })
    }

    /// Up to `limit` entries of the backlog under a model: needs first, each
    /// kind by id. Entries leave it once embedded or confirmed, so calling
    /// again yields the next ones.
    pub async fn embedding_backlog(
        &self,
        model_id: &str,
        limit: u64,
    ) -> Result<Vec<BacklogEntry>, StoreError> {
        let mut out = Vec::new();
        for kind in KINDS {
            let left = limit.saturating_sub(out.len() as u64);
            if left == 0 {
                break;
            }
            out.extend(self.backlog_rows(model_id, kind, &[], left).await?);
        }
        Ok(out)
    }

    /// The backlog among some listings of one kind (those the outbox says changed).
    pub async fn embedding_backlog_of(
        &self,
        model_id: &str,
        kind: ListingKind,
        ids: &[i64],
    ) -> Result<Vec<BacklogEntry>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            out.extend(
                self.backlog_rows(model_id, kind, chunk, chunk.len() as u64)
                    .await?,
            );
        }
        Ok(out)
    }

    async fn backlog_rows(
        &self,
        model_id: &str,
        kind: ListingKind,
        ids: &[i64],
        limit: u64,
    ) -> Result<Vec<BacklogEntry>, StoreError> {
        let mut values: Vec<Value> = vec![model_id.into()];
        values.extend(ids.iter().map(|id| Value::from(*id)));
        values.push((limit as i64).into());
        let sql = backlog_sql(kind, false, ids.len());
        let rows = self
            .conn()
            .query_all_raw(statement(self.db_backend(), &sql, values))
            .await?;
        rows.iter()
            .map(|row| {
                Ok(BacklogEntry {
                    kind,
                    listing_id: row.try_get("", "listing_id")?,
                    listing_version: row.try_get("", "listing_version")?,
                    stored_hash: row.try_get("", "stored_hash")?,
                    language: row
                        .try_get::<Option<String>>("", "stored_language")?
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The size of the backlog under a model, by kind.
    pub async fn count_embedding_backlog(&self, model_id: &str) -> Result<KindCounts, StoreError> {
        let mut counts = KindCounts::default();
        for kind in KINDS {
            let row = self
                .conn()
                .query_one_raw(statement(
                    self.db_backend(),
                    &backlog_sql(kind, true, 0),
                    vec![model_id.into()],
                ))
                .await?
                .ok_or_else(|| StoreError::Invalid("count returned no row".into()))?;
            let n: i64 = row.try_get("", "n")?;
            counts.set(kind, n as u64);
        }
        Ok(counts)
    }

    /// Removes the vectors (of every model) of deleted listings; returns
    /// which listings lost theirs. `only` narrows the check to some
    /// listings of one kind.
    pub async fn remove_embeddings_of_deleted(
        &self,
        only: Option<(ListingKind, &[i64])>,
    ) -> Result<Vec<(ListingKind, i64)>, StoreError> {
        let mut removed = Vec::new();
        let tx = self.begin_write().await?;
        for kind in KINDS {
            let chunks: Vec<&[i64]> = match only {
                Some((k, _)) if k != kind => continue,
                Some((_, [])) => continue,
                Some((_, ids)) => ids.chunks(CHUNK).collect(),
                None => vec![&[]],
            };
            for chunk in chunks {
                let only_ids = if chunk.is_empty() {
                    String::new()
                } else {
                    format!(" AND e.listing_id IN ({})", placeholders(chunk.len()))
                };
                let sql = format!(
                    "SELECT DISTINCT e.listing_id AS listing_id FROM embeddings e \
                     LEFT JOIN {table} l ON l.id = e.listing_id \
                     WHERE e.kind = '{code}' AND (l.id IS NULL OR l.deleted_at IS NOT NULL){only_ids}",
                    table = table(kind),
                    code = kind_code(kind),
                );
                let values = chunk.iter().map(|id| Value::from(*id)).collect();
                let ids: Vec<i64> = tx
                    .query_all_raw(statement(self.db_backend(), &sql, values))
                    .await?
                    .iter()
                    .map(|row| row.try_get("", "listing_id"))
                    .collect::<Result<_, _>>()?;
                for ids in ids.chunks(CHUNK) {
                    embedding::Entity::delete_many()
                        .filter(embedding::Column::Kind.eq(kind_code(kind)))
                        .filter(embedding::Column::ListingId.is_in(ids.to_vec()))
                        .exec(&tx)
                        .await?;
                }
                removed.extend(ids.into_iter().map(|id| (kind, id)));
            }
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// Takes (or renews) the lease of the embedding worker for `ttl`: true
    /// when `holder` now has it. Only one holder computes vectors at a
    /// time, so servers sharing a database do not embed the same listings;
    /// `force` takes it from another holder (`qiao embed`, whose holder then
    /// finds it lost at its next renewal and stops).
    pub async fn take_embedding_lease(
        &self,
        holder: &str,
        ttl: Duration,
        force: bool,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let expires = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        let backend = self.db_backend();
        // On SQLite IMMEDIATE: two takers queue instead of failing.
        let tx = self.begin_write().await?;
        let inserted = tx
            .execute_raw(statement(
                backend,
                "INSERT INTO embedding_leases (name, holder, expires_at) VALUES (?, ?, ?) \
                 ON CONFLICT (name) DO NOTHING",
                vec![LEASE.into(), holder.into(), expires.into()],
            ))
            .await?
            .rows_affected();
        let held = if inserted == 1 {
            true
        } else {
            let (sql, values): (&str, Vec<Value>) = if force {
                (
                    "UPDATE embedding_leases SET holder = ?, expires_at = ? WHERE name = ?",
                    vec![holder.into(), expires.into(), LEASE.into()],
                )
            } else {
                (
                    "UPDATE embedding_leases SET holder = ?, expires_at = ? \
                     WHERE name = ? AND (holder = ? OR expires_at < ?)",
                    vec![
                        holder.into(),
                        expires.into(),
                        LEASE.into(),
                        holder.into(),
                        now.into(),
                    ],
                )
            };
            tx.execute_raw(statement(backend, sql, values))
                .await?
                .rows_affected()
                == 1
        };
        tx.commit().await?;
        Ok(held)
    }

    /// Gives the lease up, if `holder` has it.
    pub async fn release_embedding_lease(&self, holder: &str) -> Result<(), StoreError> {
        self.conn()
            .execute_raw(statement(
                self.db_backend(),
                "DELETE FROM embedding_leases WHERE name = ? AND holder = ?",
                vec![LEASE.into(), holder.into()],
            ))
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_as_little_endian_bytes() {
        let v = vec![1.0f32, -0.5, f32::MIN_POSITIVE, 3.25e-7];
        let bytes = vector_to_bytes(&v);
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[..4], &1.0f32.to_le_bytes());
        assert_eq!(vector_from_bytes(&bytes), Some(v));
        assert_eq!(vector_from_bytes(&bytes[..5]), None);
    }

    #[test]
    fn postgres_placeholders_are_numbered() {
        let s = statement(
            DbBackend::Postgres,
            "SELECT ? WHERE a IN (?, ?)",
            vec![1.into(), 2.into(), 3.into()],
        );
        assert_eq!(s.sql, "SELECT $1 WHERE a IN ($2, $3)");
    }
}
