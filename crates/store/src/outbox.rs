//! The outbox: one row per change of a need, capability or organization,
//! written in the same transaction as the change. Sequence numbers come from
//! a single counter row that each writer bumps inside its transaction; the
//! row lock makes concurrent writers commit their numbers in order, so a
//! follower that has applied up to N never later sees a smaller number appear.

use crate::entities::outbox;
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityType {
    Organization,
    Need,
    Capability,
}

impl EntityType {
    pub fn code(self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::Need => "need",
            Self::Capability => "capability",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Upsert,
    Delete,
}

impl Op {
    pub fn code(self) -> &'static str {
        match self {
            Self::Upsert => "upsert",
            Self::Delete => "delete",
        }
    }
}

/// Reserves `n` sequence numbers and returns the first.
async fn reserve<C: ConnectionTrait>(conn: &C, n: i64) -> Result<i64, DbErr> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => {
                "UPDATE outbox_counter SET last_seq = last_seq + $1 WHERE id = 1"
            }
            _ => "UPDATE outbox_counter SET last_seq = last_seq + ? WHERE id = 1",
        },
        [n.into()],
    ))
    .await?;
    let row = conn
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT last_seq FROM outbox_counter WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("outbox_counter".into()))?;
    let last: i64 = row.try_get("", "last_seq")?;
    Ok(last - n + 1)
}

/// Appends change rows; call inside the transaction that made the changes.
pub async fn append<C: ConnectionTrait>(
    conn: &C,
    entity: EntityType,
    op: Op,
    ids: &[i64],
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    let first = reserve(conn, ids.len() as i64).await?;
    let now = Utc::now();
    for (chunk_no, chunk) in ids.chunks(1000).enumerate() {
        let rows = chunk.iter().enumerate().map(|(i, id)| outbox::ActiveModel {
            seq: Set(first + (chunk_no * 1000 + i) as i64),
            entity_type: Set(entity.code().into()),
            entity_id: Set(*id),
            op: Set(op.code().into()),
            at: Set(now),
        });
        outbox::Entity::insert_many(rows).exec(conn).await?;
    }
    Ok(())
}

/// Changes after `after_seq`, oldest first.
pub async fn since<C: ConnectionTrait>(
    conn: &C,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    outbox::Entity::find()
        .filter(outbox::Column::Seq.gt(after_seq))
        .order_by_asc(outbox::Column::Seq)
        .limit(limit)
        .all(conn)
        .await
}

/// The last sequence number handed out.
pub async fn last_seq<C: ConnectionTrait>(conn: &C) -> Result<i64, DbErr> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT last_seq FROM outbox_counter WHERE id = 1",
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("outbox_counter".into()))?;
    row.try_get("", "last_seq")
}

impl crate::Store {
    /// The sequence number of the newest outbox row.
    pub async fn last_outbox_seq(&self) -> Result<i64, crate::StoreError> {
        Ok(last_seq(self.conn()).await?)
    }

    /// Up to `limit` outbox rows after `after_seq`, oldest first.
    pub async fn outbox_since(
        &self,
        after_seq: i64,
        limit: u64,
    ) -> Result<Vec<outbox::Model>, crate::StoreError> {
        Ok(since(self.conn(), after_seq, limit).await?)
    }
}
