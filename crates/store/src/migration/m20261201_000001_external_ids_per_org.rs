//! External ids of needs and capabilities are unique per organization, not
//! across the platform: a global constraint answered another organization's
//! create with 409 and so revealed that a staff-only listing exists, and made
//! organizations share one numbering. Organizations' own external ids stay
//! globally unique (they are the registry of organizations).
//!
//! PostgreSQL drops the column's UNIQUE constraint and creates a unique index
//! on (external_id, org_id). SQLite cannot drop a column constraint, so each
//! table is rebuilt following https://www.sqlite.org/lang_altertable.html §7,
//! inside the migration's transaction with foreign keys deferred (the
//! `foreign_keys` pragma cannot change inside a transaction):
//!
//! 1. save the rows in a temporary table;
//! 2. drop the table — its implicit DELETE counts one deferred violation for
//!    every row of another table that references it;
//! 3. create the table again under its own name from its stored DDL, with
//!    only the column's `UNIQUE` removed, and copy the rows back with their
//!    ids — each inserted row settles the violations of the rows referencing
//!    it, so the count is back to zero before COMMIT checks it (creating a
//!    new table and renaming it, as the 12 steps say, would leave the count
//!    up and fail the COMMIT);
//! 4. recreate the table's indexes and triggers as stored, restore its
//!    AUTOINCREMENT counter, create the unique index, and check the foreign
//!    keys of the table and of every table referencing it.
//!
//! Steps 2 and 3 look up the referencing rows of every row; referencing
//! columns without an index get a temporary one, so the rebuild stays linear
//! in the number of rows (about 1 s for 100,000 capabilities).
//!
//! The unique index leads with `external_id`, so lookups by external id alone
//! (`?external_id=` in lists) still use it; `idx_*_org_id` serves
//! organization filters.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["needs", "capabilities"];

/// The column as the initial migration declared it on SQLite, and without its UNIQUE.
const SQLITE_GLOBAL: &str = r#""external_id" varchar NULL UNIQUE,"#;
const SQLITE_PER_ORG: &str = r#""external_id" varchar NULL,"#;

fn per_org_index_name(table: &str) -> String {
    format!("idx_{table}_external_id_org_id")
}

fn per_org_index(table: &'static str) -> IndexCreateStatement {
    Index::create()
        .name(per_org_index_name(table))
        .table(table)
        .col("external_id")
        .col("org_id")
        .unique()
        .to_owned()
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn failed(message: String) -> DbErr {
    DbErr::Migration(message)
}

async fn strings(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<String>, DbErr> {
    let backend = conn.get_database_backend();
    conn.query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?
        .iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect()
}

/// Refuses to make external ids global again while organizations share one.
async fn refuse_shared_ids(conn: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    let shared = strings(
        conn,
        &format!(
            "SELECT external_id FROM {} WHERE external_id IS NOT NULL \
             GROUP BY external_id HAVING COUNT(*) > 1 ORDER BY external_id LIMIT 5",
            quote(table)
        ),
        vec![],
    )
    .await?;
    if shared.is_empty() {
        Ok(())
    } else {
        Err(failed(format!(
            "{table}.external_id cannot be unique across organizations again: \
             several organizations use {}",
            shared.join(", ")
        )))
    }
}

/// Rebuilds a SQLite table with `from` replaced by `to` in its definition,
/// keeping its rows, ids, indexes (but the per-organization one, which the
/// caller creates when wanted), triggers and AUTOINCREMENT counter. Foreign
/// keys must be deferred.
async fn sqlite_rebuild(
    conn: &impl ConnectionTrait,
    table: &str,
    from: &str,
    to: &str,
) -> Result<(), DbErr> {
    let name = vec![Value::from(table)];
    let ddl = strings(
        conn,
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
        name.clone(),
    )
    .await?
    .pop()
    .ok_or_else(|| failed(format!("no table {table}")))?;
    if ddl.matches(from).count() != 1 {
        return Err(failed(format!(
            "{table} is not defined as expected (looking for `{from}`): {ddl}"
        )));
    }
    let new_ddl = ddl.replacen(from, to, 1);
    let skip = per_org_index_name(table);
    let mut dependents = Vec::new();
    let backend = conn.get_database_backend();
    for row in conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = ? \
             AND type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
            name.clone(),
        ))
        .await?
    {
        let index: String = row.try_get_by_index(0)?;
        if index != skip {
            dependents.push(row.try_get_by_index::<String>(1)?);
        }
    }
    let columns = strings(
        conn,
        "SELECT name FROM pragma_table_info(?) ORDER BY cid",
        name.clone(),
    )
    .await?
    .iter()
    .map(|c| quote(c))
    .collect::<Vec<_>>()
    .join(", ");
    let sequence = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            "SELECT seq FROM sqlite_sequence WHERE name = ?",
            name.clone(),
        ))
        .await?
        .map(|row| row.try_get_by_index::<i64>(0))
        .transpose()?;

    // Dropping and refilling the table looks up, for each of its rows, the
    // rows referencing it: referencing columns without an index of their own
    // (projects.need_id, plan_key_needs.need_id, …) get one for the while.
    let mut lookups = Vec::new();
    for row in conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
             WHERE m.type = 'table' AND f.\"table\" = ? AND NOT EXISTS ( \
               SELECT 1 FROM pragma_index_list(m.name) il, pragma_index_info(il.name) ii \
               WHERE ii.seqno = 0 AND ii.name = f.\"from\") \
             ORDER BY 1, 2",
            name.clone(),
        ))
        .await?
    {
        let child: String = row.try_get_by_index(0)?;
        let column: String = row.try_get_by_index(1)?;
        lookups.push((
            quote(&format!("rebuild_{table}_{child}_{column}")),
            quote(&child),
            quote(&column),
        ));
    }

    let saved = format!("temp.{}", quote(&format!("{table}_rebuild")));
    let t = quote(table);
    let create_lookups = lookups
        .iter()
        .map(|(index, child, column)| format!("CREATE INDEX {index} ON {child} ({column})"));
    let drop_lookups = lookups
        .iter()
        .map(|(index, _, _)| format!("DROP INDEX {index}"));
    for sql in create_lookups
        .chain([
            format!("CREATE TABLE {saved} AS SELECT {columns} FROM {t}"),
            format!("DROP TABLE {t}"),
            new_ddl,
            format!("INSERT INTO {t} ({columns}) SELECT {columns} FROM {saved} ORDER BY \"id\""),
            format!("DROP TABLE {saved}"),
        ])
        .chain(drop_lookups)
        .chain(dependents)
    {
        conn.execute_unprepared(&sql).await?;
    }
    if let Some(seq) = sequence {
        // Ids are never reused, even those of rows deleted for good.
        for (sql, values) in [
            (
                "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?",
                vec![seq.into(), table.into()],
            ),
            (
                "INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? \
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
                vec![table.into(), seq.into(), table.into()],
            ),
        ] {
            conn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
                .await?;
        }
    }
    Ok(())
}

/// Checks the foreign keys of the rebuilt tables and of every table
/// referencing them.
async fn sqlite_foreign_key_check(conn: &impl ConnectionTrait) -> Result<(), DbErr> {
    let mut tables = strings(
        conn,
        "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f \
         WHERE m.type = 'table' AND f.\"table\" IN ('needs', 'capabilities') ORDER BY m.name",
        vec![],
    )
    .await?;
    tables.extend(TABLES.iter().map(|t| String::from(*t)));
    let backend = conn.get_database_backend();
    let mut problems = Vec::new();
    for table in &tables {
        for row in conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT \"table\", rowid, parent FROM pragma_foreign_key_check(?) LIMIT 5",
                vec![table.as_str().into()],
            ))
            .await?
        {
            let child: String = row.try_get_by_index(0)?;
            let rowid: Option<i64> = row.try_get_by_index(1)?;
            let parent: String = row.try_get_by_index(2)?;
            problems.push(format!(
                "{child} row {} references a missing {parent} row",
                rowid.map_or("?".into(), |r| r.to_string())
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(failed(format!(
            "foreign keys broken by the rebuild: {}",
            problems.join("; ")
        )))
    }
}

/// The names of the single-column UNIQUE constraints on `table.external_id`
/// (`needs_external_id_key` as PostgreSQL names them).
async fn postgres_unique_constraints(
    conn: &impl ConnectionTrait,
    table: &str,
) -> Result<Vec<String>, DbErr> {
    strings(
        conn,
        "SELECT con.conname::text FROM pg_constraint con \
         JOIN pg_class rel ON rel.oid = con.conrelid \
         JOIN pg_namespace nsp ON nsp.oid = rel.relnamespace \
         JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attname = 'external_id' \
         WHERE nsp.nspname = current_schema() AND rel.relname = $1 \
         AND con.contype = 'u' AND con.conkey = ARRAY[att.attnum] ORDER BY 1",
        vec![table.into()],
    )
    .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The SQLite rebuild must be all or nothing and run on one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                conn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
                    .await?;
                for table in TABLES {
                    sqlite_rebuild(conn, table, SQLITE_GLOBAL, SQLITE_PER_ORG).await?;
                    manager.create_index(per_org_index(table)).await?;
                }
                sqlite_foreign_key_check(conn).await
            }
            DbBackend::Postgres => {
                for table in TABLES {
                    for constraint in postgres_unique_constraints(conn, table).await? {
                        conn.execute_unprepared(&format!(
                            "ALTER TABLE {} DROP CONSTRAINT {}",
                            quote(table),
                            quote(&constraint)
                        ))
                        .await?;
                    }
                    manager.create_index(per_org_index(table)).await?;
                }
                Ok(())
            }
            other => Err(failed(format!("unsupported database {other:?}"))),
        }
    }

    /// Back to globally unique external ids; refused while two organizations
    /// share one.
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for table in TABLES {
            refuse_shared_ids(conn, table).await?;
        }
        match manager.get_database_backend() {
            DbBackend::Sqlite => {
                conn.execute_unprepared("PRAGMA defer_foreign_keys = ON")
                    .await?;
                for table in TABLES {
                    // The rebuild leaves the per-organization index out.
                    sqlite_rebuild(conn, table, SQLITE_PER_ORG, SQLITE_GLOBAL).await?;
                }
                sqlite_foreign_key_check(conn).await
            }
            DbBackend::Postgres => {
                for table in TABLES {
                    manager
                        .drop_index(
                            Index::drop()
                                .name(per_org_index_name(table))
                                .table(table)
                                .to_owned(),
                        )
                        .await?;
                    conn.execute_unprepared(&format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE (external_id)",
                        quote(table),
                        quote(&format!("{table}_external_id_key"))
                    ))
                    .await?;
                }
                Ok(())
            }
            other => Err(failed(format!("unsupported database {other:?}"))),
        }
    }
}
