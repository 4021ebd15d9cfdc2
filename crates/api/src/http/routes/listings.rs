//! Needs and capabilities: the two kinds of listing share one implementation;
//! the annotated handlers below only name the routes for the OpenAPI description.

use super::ListParams;
use super::docs::{CapabilityDoc, CapabilityInputDoc, NeedDoc, NeedInputDoc, PageDoc};
use crate::http::auth::{Principal, Viewer};
use crate::http::error::{AppError, ProblemDoc};
use crate::http::extract::{Json, Path, Query};
use crate::http::policy::{Action, Resource, authorize};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qiao_core::record::{CapabilityRecord, ExternalId, FieldError, NeedRecord, without_nulls};
use qiao_store::Store;
use qiao_store::StoreError;
use qiao_store::audit::Actor;
use qiao_store::listings::{ListQuery, Page, Scope, Stored, org_id_by_name};
use serde_json::{Map, Value, json};

/// What differs between needs and capabilities.
pub(crate) trait Listing: Sized + Clone {
    fn from_map(m: &Map<String, Value>) -> Result<Self, Vec<FieldError>>;
    fn to_map(&self) -> Map<String, Value>;
    fn org_name(&self) -> &str;
    fn resource(org_id: i64) -> Resource;
    async fn get(store: &Store, id: i64, scope: Scope) -> Result<Option<Stored<Self>>, StoreError>;
    async fn list(
        store: &Store,
        scope: Scope,
        q: &ListQuery,
    ) -> Result<Page<Stored<Self>>, StoreError>;
    async fn create(
        store: &Store,
        r: &Self,
        org: i64,
        actor: &Actor,
    ) -> Result<Stored<Self>, StoreError>;
    async fn update(
        store: &Store,
        id: i64,
        r: &Self,
        org: i64,
        v: Option<i32>,
        actor: &Actor,
    ) -> Result<Stored<Self>, StoreError>;
    async fn delete(store: &Store, id: i64, actor: &Actor) -> Result<(), StoreError>;
}

impl Listing for NeedRecord {
    fn from_map(m: &Map<String, Value>) -> Result<Self, Vec<FieldError>> {
        NeedRecord::from_map(m, ExternalId::Optional)
    }
    fn to_map(&self) -> Map<String, Value> {
        NeedRecord::to_map(self)
    }
    fn org_name(&self) -> &str {
        &self.org_name
    }
    fn resource(org_id: i64) -> Resource {
        Resource::Need { org_id }
    }
    async fn get(store: &Store, id: i64, scope: Scope) -> Result<Option<Stored<Self>>, StoreError> {
        store.get_need(id, scope).await
    }
    async fn list(
        store: &Store,
        scope: Scope,
        q: &ListQuery,
    ) -> Result<Page<Stored<Self>>, StoreError> {
        store.list_needs(scope, q).await
    }
    async fn create(
        store: &Store,
        r: &Self,
        org: i64,
        actor: &Actor,
    ) -> Result<Stored<Self>, StoreError> {
        store.create_need(r, org, actor).await
    }
    async fn update(
        store: &Store,
        id: i64,
        r: &Self,
        org: i64,
        v: Option<i32>,
        actor: &Actor,
    ) -> Result<Stored<Self>, StoreError> {
        store.update_need(id, r, org, v, actor).await
    }
    async fn delete(store: &Store, id: i64, actor: &Actor) -> Result<(), StoreError> {
        store.delete_need(id, actor).await
    }
}

impl Listing for CapabilityRecord {
    fn from_map(m: &Map<String, Value>) -> Result<Self, Vec<FieldError>> {
        CapabilityRecord::from_map(m, ExternalId::Optional)
    }
    fn to_map(&self) -> Map<String, Value> {
        CapabilityRecord::to_map(self)
    }
    fn org_name(&self) -> &str {
        &self.org_name
    }
    fn resource(org_id: i64) -> Resource {
        Resource::Capability { org_id }
    }
    async fn get(store: &Store, id: i64, scope: Scope) -> Result<Option<Stored<Self>>, StoreError> {
        store.get_capability(id, scope).await
    }
    async fn list(
        store: &Store,
        scope: Scope,
        q: &ListQuery,
    ) -> Result<Page<Stored<Self>>, StoreError> {
        store.list_capabilities(scope, q).await
    }
    async fn create(
        store: &Store,
        r: &Self,
        org: i64,
        actor: &Actor,
    ) -> Result<Stored<Self>, StoreError> {
        store.create_capability(r, org, actor).await
    }
    async fn update(
        store: &Store,
        id: i64,
        r: &Self,
        org: i64,
        v: Option<i32>,
        actor: &Actor,
    ) -> Result<Stored<Self>, StoreError> {
        store.update_capability(id, r, org, v, actor).await
    }
    async fn delete(store: &Store, id: i64, actor: &Actor) -> Result<(), StoreError> {
        store.delete_capability(id, actor).await
    }
}

/// The JSON of a stored listing: its record plus bookkeeping.
pub(crate) fn listing_json<R: Listing>(s: &Stored<R>) -> Value {
    let mut m = s.record.to_map();
    m.insert("id".into(), json!(s.id));
    m.insert("org_id".into(), json!(s.org_id));
    m.insert("version".into(), json!(s.version));
    m.insert("created_at".into(), json!(s.created_at.to_rfc3339()));
    m.insert("updated_at".into(), json!(s.updated_at.to_rfc3339()));
    Value::Object(m)
}

fn field_error(field: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

/// Bookkeeping keys a client may echo back; they are not part of the record.
const READ_ONLY: &[&str] = &["id", "org_id", "created_at", "updated_at"];

/// Takes `version` out of a body and refuses other read-only keys.
fn take_version(body: &mut Map<String, Value>) -> Result<Option<i32>, AppError> {
    if let Some(key) = READ_ONLY.iter().find(|k| body.contains_key(**k)) {
        return Err(field_error(key, format!("{key} is set by the server")));
    }
    match body.remove("version") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|v| i32::try_from(v).ok())
            .map(Some)
            .ok_or_else(|| field_error("version", "must be a whole number")),
        Some(_) => Err(field_error("version", "must be a whole number")),
    }
}

/// The organization a listing belongs to: the member's own, or for staff the one named.
async fn owner_org(state: &AppState, who: &Principal, org_name: &str) -> Result<i64, AppError> {
    if !who.is_staff() {
        return who.org_id.ok_or(AppError::Forbidden);
    }
    org_id_by_name(state.store.conn(), org_name)
        .await?
        .ok_or_else(|| {
            field_error(
                "org_name",
                format!("no organization is named \"{org_name}\""),
            )
        })
}

async fn org_name_of(state: &AppState, org_id: i64) -> Result<String, AppError> {
    Ok(state
        .store
        .get_organization(org_id, Scope::All)
        .await?
        .map(|o| o.record.name)
        .unwrap_or_default())
}

pub(crate) async fn list<R: Listing>(
    state: &AppState,
    viewer: &Viewer,
    params: &ListParams,
) -> Result<Value, AppError> {
    let q = params.query()?;
    let page = R::list(&state.store, viewer.scope(), &q).await?;
    Ok(json!({
        "total": page.total,
        "limit": q.limit,
        "offset": q.offset,
        "items": page.items.iter().map(listing_json).collect::<Vec<_>>(),
    }))
}

pub(crate) async fn get<R: Listing>(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
) -> Result<Value, AppError> {
    let s = R::get(&state.store, id, viewer.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(listing_json(&s))
}

pub(crate) async fn create<R: Listing>(
    state: &AppState,
    who: Principal,
    mut body: Map<String, Value>,
) -> Result<Value, AppError> {
    if take_version(&mut body)?.is_some() {
        return Err(field_error("version", "is set by the server"));
    }
    if !who.is_staff() {
        // Members always write for their own organization.
        let org_id = who.org_id.ok_or(AppError::Forbidden)?;
        authorize(&who, R::resource(org_id), Action::Create)?;
        let own = org_name_of(state, org_id).await?;
        if let Some(named) = body.get("org_name").and_then(Value::as_str)
            && named.trim() != own
        {
            return Err(AppError::Forbidden);
        }
        body.insert("org_name".into(), json!(own));
    }
    let record = R::from_map(&body).map_err(AppError::Validation)?;
    let org_id = owner_org(state, &who, record.org_name()).await?;
    authorize(&who, R::resource(org_id), Action::Create)?;
    let saved = R::create(&state.store, &record, org_id, &who.actor()).await?;
    Ok(listing_json(&saved))
}

pub(crate) async fn update<R: Listing>(
    state: &AppState,
    who: Principal,
    id: i64,
    mut patch: Map<String, Value>,
) -> Result<Value, AppError> {
    let existing = R::get(&state.store, id, who.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(&who, R::resource(existing.org_id), Action::Update)?;
    let version = take_version(&mut patch)?;
    let mut merged = existing.record.to_map();
    for (k, v) in patch {
        merged.insert(k, v);
    }
    let record = R::from_map(&without_nulls(merged)).map_err(AppError::Validation)?;
    let org_id = if record.org_name() == existing.record.org_name() {
        existing.org_id
    } else if who.is_staff() {
        owner_org(state, &who, record.org_name()).await?
    } else {
        return Err(AppError::Forbidden);
    };
    let saved = R::update(&state.store, id, &record, org_id, version, &who.actor()).await?;
    Ok(listing_json(&saved))
}

pub(crate) async fn delete<R: Listing>(
    state: &AppState,
    who: Principal,
    id: i64,
) -> Result<(), AppError> {
    let existing = R::get(&state.store, id, who.scope())
        .await?
        .ok_or(AppError::NotFound)?;
    authorize(&who, R::resource(existing.org_id), Action::Delete)?;
    R::delete(&state.store, id, &who.actor()).await?;
    Ok(())
}

// ---- routes ---------------------------------------------------------------

/// List technology needs visible to the caller.
#[utoipa::path(get, path = "/api/v1/needs", tag = "needs", params(ListParams),
    responses((status = 200, body = PageDoc), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_needs(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(list::<NeedRecord>(&s, &viewer, &p).await?))
}

/// Post a technology need (enterprise members for their organization; staff for any).
#[utoipa::path(post, path = "/api/v1/needs", tag = "needs", request_body = NeedInputDoc,
    responses((status = 201, body = NeedDoc), (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(create::<NeedRecord>(&s, viewer.require()?, body).await?),
    ))
}

/// One need; staff-only needs answer 404 to everyone but their owner and staff.
#[utoipa::path(get, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, description = "Need id")),
    responses((status = 200, body = NeedDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(get::<NeedRecord>(&s, &viewer, id).await?))
}

/// Change some fields of a need; send `version` to refuse a lost update (409).
#[utoipa::path(patch, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, description = "Need id")), request_body = NeedInputDoc,
    responses((status = 200, body = NeedDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<Map<String, Value>>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(
        update::<NeedRecord>(&s, viewer.require()?, id, body).await?,
    ))
}

/// Delete a need (kept for history, gone from every list).
#[utoipa::path(delete, path = "/api/v1/needs/{id}", tag = "needs", params(("id" = i64, Path, description = "Need id")),
    responses((status = 204), (status = 404, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_need(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    delete::<NeedRecord>(&s, viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List capabilities visible to the caller.
#[utoipa::path(get, path = "/api/v1/capabilities", tag = "capabilities", params(ListParams),
    responses((status = 200, body = PageDoc), (status = 400, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn list_capabilities(
    State(s): State<AppState>,
    viewer: Viewer,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(list::<CapabilityRecord>(&s, &viewer, &p).await?))
}

/// List a capability (university/institute members for their organization; staff for any).
#[utoipa::path(post, path = "/api/v1/capabilities", tag = "capabilities", request_body = CapabilityInputDoc,
    responses((status = 201, body = CapabilityDoc), (status = 422, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 401, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn create_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Json(body): Json<Map<String, Value>>,
) -> Result<impl IntoResponse, AppError> {
    Ok((
        StatusCode::CREATED,
        axum::Json(create::<CapabilityRecord>(&s, viewer.require()?, body).await?),
    ))
}

/// One capability.
#[utoipa::path(get, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, description = "Capability id")),
    responses((status = 200, body = CapabilityDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn get_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(get::<CapabilityRecord>(&s, &viewer, id).await?))
}

/// Change some fields of a capability.
#[utoipa::path(patch, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, description = "Capability id")), request_body = CapabilityInputDoc,
    responses((status = 200, body = CapabilityDoc), (status = 404, body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, body = ProblemDoc, content_type = "application/problem+json"), (status = 422, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn patch_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Json(body): Json<Map<String, Value>>,
) -> Result<axum::Json<Value>, AppError> {
    Ok(axum::Json(
        update::<CapabilityRecord>(&s, viewer.require()?, id, body).await?,
    ))
}

/// Delete a capability.
#[utoipa::path(delete, path = "/api/v1/capabilities/{id}", tag = "capabilities", params(("id" = i64, Path, description = "Capability id")),
    responses((status = 204), (status = 404, body = ProblemDoc, content_type = "application/problem+json"), (status = 403, body = ProblemDoc, content_type = "application/problem+json")))]
pub async fn delete_capability(
    State(s): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    delete::<CapabilityRecord>(&s, viewer.require()?, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
