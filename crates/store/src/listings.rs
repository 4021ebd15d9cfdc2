//! Reading and writing single needs, capabilities and organizations for the
//! API, with the visibility rules applied in the query itself so that lists,
//! counts and pages never include what the viewer may not see.

use crate::Store;
use crate::audit::{self, Actor, Entry};
use crate::convert;
use crate::entities::{capability, need, organization};
use crate::error::StoreError;
use crate::outbox::{self, EntityType, Op};
use chrono::Utc;
use qiao_core::access::{ListingKind, PUBLIC_ORG_REVIEW, organization_visible_to};
use qiao_core::record::{CapabilityRecord, NeedRecord, OrganizationRecord};
use qiao_core::vocab::{ReviewStatus, Vocabulary};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DbBackend, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;

pub use qiao_core::Scope;

pub use qiao_core::stored::{ListQuery, Page, Stored, StoredOrg};

/// The SQL for "this JSON list column contains the code" on both databases.
/// LIKE's wildcards in the code are escaped, so `marine_equipment` matches
/// itself and nothing else.
fn json_contains(backend: DbBackend, table: &str, column: &str, code: &str) -> SimpleExpr {
    let escaped = code
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
        .replace('"', "");
    let needle = format!("%\"{escaped}\"%");
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("CAST({table}.{column} AS TEXT) LIKE $1 ESCAPE '\\'"),
            [needle],
        ),
        _ => Expr::cust_with_values(format!("{table}.{column} LIKE ? ESCAPE '\\'"), [needle]),
    }
}

/// Listings (of `table`) whose organization passes the rule's review condition.
///
/// A correlated `EXISTS` looks up the one organization by primary key. The
/// uncorrelated `org_id IN (SELECT id FROM organizations …)` it replaces made
/// SQLite scan every organization and build a temporary list on each query,
/// ~3 ms per detail page with the 10k organizations of the real documents.
fn approved_org_ids(table: &str) -> SimpleExpr {
    let reviews: Vec<String> = PUBLIC_ORG_REVIEW.iter().map(|r| format!("'{r}'")).collect();
    Expr::cust(format!(
        "EXISTS (SELECT 1 FROM organizations o WHERE o.id = {table}.org_id \
         AND o.review_status IN ({}) AND o.deleted_at IS NULL)",
        reviews.join(", ")
    ))
}

fn sort_order(sort: Option<&str>) -> (String, Order) {
    match sort.map(str::trim) {
        Some(s) if s.starts_with('-') => (s[1..].to_string(), Order::Desc),
        Some(s) if !s.is_empty() => (s.to_string(), Order::Asc),
        _ => ("updated_at".to_string(), Order::Desc),
    }
}

pub const SORT_KEYS: &[&str] = &["updated_at", "created_at", "title", "name", "id"];

fn check_sort(sort: Option<&str>) -> Result<(String, Order), StoreError> {
    let (key, order) = sort_order(sort);
    if SORT_KEYS.contains(&key.as_str()) {
        Ok((key, order))
    } else {
        Err(StoreError::Invalid(format!(
            "cannot sort by \"{key}\"; use one of {}",
            SORT_KEYS.join(", ")
        )))
    }
}

/// The number a listing created without an external id gets: `XQ-2026-000123`
/// for needs (需求), `CG-2026-000456` for capabilities (成果).
pub fn listing_number(prefix: &str, at: chrono::DateTime<Utc>, id: i64) -> String {
    use chrono::Datelike;
    format!("{prefix}-{}-{id:06}", at.year())
}

fn not_found(what: &str, id: i64) -> StoreError {
    StoreError::NotFound(format!("{what} {id}"))
}

fn version_conflict(what: &str, id: i64, expected: i32, actual: i32) -> StoreError {
    StoreError::Conflict(format!(
        "{what} {id} is at version {actual}, not {expected}: reload and retry"
    ))
}

async fn org_name(conn: &impl sea_orm::ConnectionTrait, org_id: i64) -> Result<String, StoreError> {
    Ok(organization::Entity::find_by_id(org_id)
        .one(conn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default())
}

/// The names of organizations, one query for a page of listings.
async fn org_names(
    conn: &impl sea_orm::ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> Result<std::collections::HashMap<i64, String>, StoreError> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    let rows: Vec<(i64, String)> = organization::Entity::find()
        .select_only()
        .columns([organization::Column::Id, organization::Column::Name])
        .filter(organization::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

impl Store {
    /// The live organization with exactly this name.
    /// The id of an organization's need or capability by its external id.
    pub async fn listing_id_by_external_id(
        &self,
        kind: ListingKind,
        org_id: i64,
        external_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let id = match kind {
            ListingKind::Need => {
                need::Entity::find()
                    .select_only()
                    .column(need::Column::Id)
                    .filter(need::Column::OrgId.eq(org_id))
                    .filter(need::Column::ExternalId.eq(external_id))
                    .filter(need::Column::DeletedAt.is_null())
                    .into_tuple::<i64>()
                    .one(self.conn())
                    .await?
            }
            ListingKind::Capability => {
                capability::Entity::find()
                    .select_only()
                    .column(capability::Column::Id)
                    .filter(capability::Column::OrgId.eq(org_id))
                    .filter(capability::Column::ExternalId.eq(external_id))
                    .filter(capability::Column::DeletedAt.is_null())
                    .into_tuple::<i64>()
                    .one(self.conn())
                    .await?
            }
        };
        Ok(id)
    }

    pub async fn organization_id_by_name(&self, name: &str) -> Result<Option<i64>, StoreError> {
        org_id_by_name(self.conn(), name).await
    }
}

/// Finds an organization by exact name.
pub async fn org_id_by_name(
    conn: &impl sea_orm::ConnectionTrait,
    name: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .filter(organization::Column::DeletedAt.is_null())
        .one(conn)
        .await?
        .map(|o| o.id))
}

macro_rules! listing_queries {
    ($entity:ident, $Record:ty, $what:literal, $etype:expr, $table:literal, $prefix:literal, $to_record:path, $values:path, $kind:expr,
     $get:ident, $list:ident, $create:ident, $update:ident, $delete:ident) => {
        impl Store {
            /// One listing, if it exists (not deleted) and the scope may see it.
            pub async fn $get(
                &self,
                id: i64,
                scope: Scope,
            ) -> Result<Option<Stored<$Record>>, StoreError> {
                let mut query =
                    $entity::Entity::find_by_id(id).filter($entity::Column::DeletedAt.is_null());
                query = query.filter(scope_condition(scope, $kind));
                let Some(m) = query.one(self.conn()).await? else {
                    return Ok(None);
                };
                let name = org_name(self.conn(), m.org_id).await?;
                Ok(Some(stored(&m, $to_record(&m, &name))))
            }

            pub async fn $list(
                &self,
                scope: Scope,
                q: &ListQuery,
            ) -> Result<Page<Stored<$Record>>, StoreError> {
                let backend = self.db_backend();
                let mut query = $entity::Entity::find()
                    .filter($entity::Column::DeletedAt.is_null())
                    .filter(scope_condition(scope, $kind));
                if let Some(ext) = &q.external_id {
                    query = query.filter($entity::Column::ExternalId.eq(ext.clone()));
                }
                if let Some(org) = q.org_id {
                    query = query.filter($entity::Column::OrgId.eq(org));
                }
                if let Some(status) = &q.status {
                    query = query.filter($entity::Column::Status.eq(status.clone()));
                }
                if let Some(field) = &q.field {
                    query = query.filter(json_contains(backend, $table, "fields", field));
                }
                query = listing_extra_filters!($entity, query, q);
                let total = query.clone().count(self.conn()).await?;
                let (key, order) = check_sort(q.sort.as_deref())?;
                let column = match key.as_str() {
                    "created_at" => $entity::Column::CreatedAt,
                    "title" | "name" => $entity::Column::Title,
                    "id" => $entity::Column::Id,
                    _ => $entity::Column::UpdatedAt,
                };
                let rows = query
                    .order_by(column, order.clone())
                    .order_by($entity::Column::Id, order)
                    .limit(q.limit)
                    .offset(q.offset)
                    .all(self.conn())
                    .await?;
                let names = org_names(self.conn(), rows.iter().map(|m| m.org_id)).await?;
                let items = rows
                    .iter()
                    .map(|m| {
                        let name = names.get(&m.org_id).map_or("", String::as_str);
                        stored(m, $to_record(m, name))
                    })
                    .collect();
                Ok(Page { items, total })
            }

            pub async fn $create(
                &self,
                record: &$Record,
                org_id: i64,
                actor: &Actor,
            ) -> Result<Stored<$Record>, StoreError> {
                let tx = self.begin_write().await?;
                let now = Utc::now();
                let mut am = $entity::ActiveModel {
                    id: NotSet,
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    deleted_at: Set(None),
                    ..Default::default()
                };
                $values(record, org_id, &mut am);
                let mut m = am.insert(&tx).await.map_err(unique_violation)?;
                if m.external_id.is_none() {
                    // A readable number, so every export imports back by its external id.
                    let number = listing_number($prefix, now, m.id);
                    let mut am = m.into_active_model();
                    am.external_id = Set(Some(number));
                    m = am.update(&tx).await.map_err(unique_violation)?;
                }
                outbox::append(&tx, $etype, Op::Upsert, &[m.id]).await?;
                let name = org_name(&tx, org_id).await?;
                let saved = $to_record(&m, &name);
                audit::record(
                    &tx,
                    actor,
                    Entry {
                        action: "create",
                        entity_type: $what,
                        entity_id: Some(m.id.to_string()),
                        before: None,
                        after: Some(Value::Object(saved.to_map())),
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(stored(&m, saved))
            }

            /// Replaces a listing's content; `expected_version` guards against lost updates.
            pub async fn $update(
                &self,
                id: i64,
                record: &$Record,
                org_id: i64,
                expected_version: Option<i32>,
                actor: &Actor,
            ) -> Result<Stored<$Record>, StoreError> {
                let tx = self.begin_write().await?;
                let m = $entity::Entity::find_by_id(id)
                    .filter($entity::Column::DeletedAt.is_null())
                    .one(&tx)
                    .await?
                    .ok_or_else(|| not_found($what, id))?;
                if let Some(v) = expected_version
                    && v != m.version
                {
                    return Err(version_conflict($what, id, v, m.version));
                }
                let before = $to_record(&m, &org_name(&tx, m.org_id).await?);
                let version = m.version;
                let mut am = m.into_active_model();
                $values(record, org_id, &mut am);
                am.version = Set(version + 1);
                am.updated_at = Set(Utc::now());
                let m = am.update(&tx).await.map_err(unique_violation)?;
                outbox::append(&tx, $etype, Op::Upsert, &[m.id]).await?;
                let after = $to_record(&m, &org_name(&tx, m.org_id).await?);
                audit::record(
                    &tx,
                    actor,
                    Entry {
                        action: "update",
                        entity_type: $what,
                        entity_id: Some(id.to_string()),
                        before: Some(Value::Object(before.to_map())),
                        after: Some(Value::Object(after.to_map())),
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(stored(&m, after))
            }

            /// Soft delete: the row stays for history, the outbox tells the index to drop it.
            pub async fn $delete(&self, id: i64, actor: &Actor) -> Result<(), StoreError> {
                let tx = self.begin_write().await?;
                let m = $entity::Entity::find_by_id(id)
                    .filter($entity::Column::DeletedAt.is_null())
                    .one(&tx)
                    .await?
                    .ok_or_else(|| not_found($what, id))?;
                let before = $to_record(&m, &org_name(&tx, m.org_id).await?);
                let version = m.version;
                let mut am = m.into_active_model();
                am.deleted_at = Set(Some(Utc::now()));
                am.version = Set(version + 1);
                am.update(&tx).await?;
                outbox::append(&tx, $etype, Op::Delete, &[id]).await?;
                audit::record(
                    &tx,
                    actor,
                    Entry {
                        action: "delete",
                        entity_type: $what,
                        entity_id: Some(id.to_string()),
                        before: Some(Value::Object(before.to_map())),
                        after: None,
                    },
                )
                .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

macro_rules! listing_extra_filters {
    (need, $query:ident, $q:ident) => {{
        let mut query = $query;
        if let Some(v) = &$q.visibility {
            query = query.filter(need::Column::Visibility.eq(v.clone()));
        }
        query
    }};
    (capability, $query:ident, $q:ident) => {{
        let mut query = $query;
        if let Some(k) = &$q.kind {
            query = query.filter(capability::Column::Kind.eq(k.clone()));
        }
        query
    }};
}

fn stored<R, M: HasMeta>(m: &M, record: R) -> Stored<R> {
    let (id, org_id, version, created_at, updated_at) = m.meta();
    Stored {
        id,
        org_id,
        version,
        created_at,
        updated_at,
        record,
    }
}

trait HasMeta {
    fn meta(&self) -> (i64, i64, i32, chrono::DateTime<Utc>, chrono::DateTime<Utc>);
}

impl HasMeta for need::Model {
    fn meta(&self) -> (i64, i64, i32, chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
        (
            self.id,
            self.org_id,
            self.version,
            self.created_at,
            self.updated_at,
        )
    }
}

impl HasMeta for capability::Model {
    fn meta(&self) -> (i64, i64, i32, chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
        (
            self.id,
            self.org_id,
            self.version,
            self.created_at,
            self.updated_at,
        )
    }
}

/// Rows of `kind` the scope may see, built from the one rule in `qiao_core::access`.
/// Deletion is filtered by the callers, which all select live rows only.
pub(crate) fn scope_condition(scope: Scope, kind: ListingKind) -> Condition {
    match scope {
        Scope::All => Condition::all(),
        Scope::Public => public_condition(kind),
        Scope::Member(org) => Condition::any()
            .add(public_condition(kind))
            .add(ExprTrait::eq(Expr::col("org_id"), org)),
    }
}

fn public_condition(kind: ListingKind) -> Condition {
    let rule = kind.public_rule();
    let mut c = Condition::all().add(Expr::col("status").is_in(rule.statuses.iter().copied()));
    if let Some(visibilities) = rule.visibilities {
        c = c.add(Expr::col("visibility").is_in(visibilities.iter().copied()));
    }
    let table = match kind {
        ListingKind::Need => "needs",
        ListingKind::Capability => "capabilities",
    };
    c.add(approved_org_ids(table))
}

/// A unique `external_id` taken by another row is the client's conflict, not a server error.
fn unique_violation(e: sea_orm::DbErr) -> StoreError {
    let text = e.to_string();
    if text.contains("UNIQUE") || text.contains("unique") || text.contains("duplicate key") {
        StoreError::Conflict("external_id is already used by another record".into())
    } else {
        StoreError::Db(e)
    }
}

listing_queries!(
    need,
    NeedRecord,
    "need",
    EntityType::Need,
    "needs",
    "XQ",
    convert::need_record,
    convert::need_values,
    ListingKind::Need,
    get_need,
    list_needs,
    create_need,
    update_need,
    delete_need
);
listing_queries!(
    capability,
    CapabilityRecord,
    "capability",
    EntityType::Capability,
    "capabilities",
    "CG",
    convert::capability_record,
    convert::capability_values,
    ListingKind::Capability,
    get_capability,
    list_capabilities,
    create_capability,
    update_capability,
    delete_capability
);

fn stored_org(m: &organization::Model) -> StoredOrg {
    StoredOrg {
        id: m.id,
        version: m.version,
        review_status: ReviewStatus::from_code(&m.review_status).unwrap_or(ReviewStatus::Pending),
        created_at: m.created_at,
        updated_at: m.updated_at,
        record: convert::organization_record(m),
    }
}

impl Store {
    /// An organization: approved ones for everyone, any for staff or its members.
    pub async fn get_organization(
        &self,
        id: i64,
        scope: Scope,
    ) -> Result<Option<StoredOrg>, StoreError> {
        let m = organization::Entity::find_by_id(id)
            .filter(organization::Column::DeletedAt.is_null())
            .one(self.conn())
            .await?;
        Ok(
            m.filter(|m| organization_visible_to(scope, m.id, &m.review_status, false))
                .map(|m| stored_org(&m)),
        )
    }

    pub async fn list_organizations(
        &self,
        scope: Scope,
        q: &ListQuery,
    ) -> Result<Page<StoredOrg>, StoreError> {
        let backend = self.db_backend();
        let mut query =
            organization::Entity::find().filter(organization::Column::DeletedAt.is_null());
        let approved = organization::Column::ReviewStatus.is_in(PUBLIC_ORG_REVIEW.iter().copied());
        query = match scope {
            Scope::All => query,
            Scope::Public => query.filter(approved),
            Scope::Member(org) => query.filter(
                Condition::any()
                    .add(approved)
                    .add(organization::Column::Id.eq(org)),
            ),
        };
        if let Some(ext) = &q.external_id {
            query = query.filter(organization::Column::ExternalId.eq(ext.clone()));
        }
        if let Some(status) = &q.status {
            query = query.filter(organization::Column::ReviewStatus.eq(status.clone()));
        }
        if let Some(kind) = &q.kind {
            query = query.filter(organization::Column::Kind.eq(kind.clone()));
        }
        if let Some(field) = &q.field {
            query = query.filter(json_contains(backend, "organizations", "fields", field));
        }
        let total = query.clone().count(self.conn()).await?;
        let (key, order) = check_sort(q.sort.as_deref())?;
        let column = match key.as_str() {
            "created_at" => organization::Column::CreatedAt,
            "title" | "name" => organization::Column::Name,
            "id" => organization::Column::Id,
            _ => organization::Column::UpdatedAt,
        };
        let rows = query
            .order_by(column, order.clone())
            .order_by(organization::Column::Id, order)
            .limit(q.limit)
            .offset(q.offset)
            .all(self.conn())
            .await?;
        Ok(Page {
            items: rows.iter().map(stored_org).collect(),
            total,
        })
    }

    pub async fn create_organization(
        &self,
        record: &OrganizationRecord,
        review: ReviewStatus,
        actor: &Actor,
    ) -> Result<StoredOrg, StoreError> {
        let tx = self.begin_write().await?;
        if org_id_by_name(&tx, &record.name).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "an organization named \"{}\" already exists",
                record.name
            )));
        }
        let now = Utc::now();
        let mut am = organization::ActiveModel {
            id: NotSet,
            review_status: Set(review.code().into()),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            deleted_at: Set(None),
            ..Default::default()
        };
        convert::organization_values(record, &mut am);
        let m = am.insert(&tx).await.map_err(unique_violation)?;
        outbox::append(&tx, EntityType::Organization, Op::Upsert, &[m.id]).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "create",
                entity_type: "organization",
                entity_id: Some(m.id.to_string()),
                before: None,
                after: Some(Value::Object(record.to_map())),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(stored_org(&m))
    }

    /// Updates an organization's profile and, when given, its review status.
    pub async fn update_organization(
        &self,
        id: i64,
        record: &OrganizationRecord,
        review: Option<ReviewStatus>,
        expected_version: Option<i32>,
        actor: &Actor,
    ) -> Result<StoredOrg, StoreError> {
        let tx = self.begin_write().await?;
        let m = organization::Entity::find_by_id(id)
            .filter(organization::Column::DeletedAt.is_null())
            .one(&tx)
            .await?
            .ok_or_else(|| not_found("organization", id))?;
        if let Some(v) = expected_version
            && v != m.version
        {
            return Err(version_conflict("organization", id, v, m.version));
        }
        if record.name != m.name && org_id_by_name(&tx, &record.name).await?.is_some() {
            return Err(StoreError::Conflict(format!(
                "an organization named \"{}\" already exists",
                record.name
            )));
        }
        let before = stored_org(&m);
        let version = m.version;
        let mut am = m.into_active_model();
        convert::organization_values(record, &mut am);
        if let Some(r) = review {
            am.review_status = Set(r.code().into());
        }
        am.version = Set(version + 1);
        am.updated_at = Set(Utc::now());
        let m = am.update(&tx).await.map_err(unique_violation)?;
        outbox::append(&tx, EntityType::Organization, Op::Upsert, &[id]).await?;
        let mut before_json = before.record.to_map();
        before_json.insert("review_status".into(), before.review_status.code().into());
        let after = stored_org(&m);
        let mut after_json = after.record.to_map();
        after_json.insert("review_status".into(), after.review_status.code().into());
        audit::record(
            &tx,
            actor,
            Entry {
                action: if review.is_some() { "review" } else { "update" },
                entity_type: "organization",
                entity_id: Some(id.to_string()),
                before: Some(Value::Object(before_json)),
                after: Some(Value::Object(after_json)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    pub async fn delete_organization(&self, id: i64, actor: &Actor) -> Result<(), StoreError> {
        let tx = self.begin_write().await?;
        let m = organization::Entity::find_by_id(id)
            .filter(organization::Column::DeletedAt.is_null())
            .one(&tx)
            .await?
            .ok_or_else(|| not_found("organization", id))?;
        let before = m.clone();
        let mut am = m.into_active_model();
        am.deleted_at = Set(Some(Utc::now()));
        am.update(&tx).await?;
        outbox::append(&tx, EntityType::Organization, Op::Delete, &[id]).await?;
        audit::record(
            &tx,
            actor,
            Entry {
                action: "delete",
                entity_type: "organization",
                entity_id: Some(id.to_string()),
                before: Some(Value::Object(
                    convert::organization_record(&before).to_map(),
                )),
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
