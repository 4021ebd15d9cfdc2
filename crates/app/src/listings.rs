//! Needs and capabilities: the two kinds of listing share one implementation
//! of reading (through the visibility rule) and writing (through the policy).

use crate::limits::{Listed, check_list};
use crate::policy::{Action, Resource, authorize};
use crate::{App, Error, Principal, Viewer};
use qiao_core::Actor;
use qiao_core::Scope;
use qiao_core::record::{CapabilityRecord, ExternalId, FieldError, NeedRecord, without_nulls};
use qiao_core::stored::{ListQuery, Page, Stored};
use qiao_core::vocab::Role;
use qiao_store::{Store, StoreError};
use serde_json::{Map, Value, json};

/// What differs between needs and capabilities.
#[allow(async_fn_in_trait)] // implemented for the two record types here only
pub trait Listing: Sized + Clone {
    fn from_map(m: &Map<String, Value>) -> Result<Self, Vec<FieldError>>;
    fn to_map(&self) -> Map<String, Value>;
    fn org_name(&self) -> &str;
    /// Which filters apply to this kind's lists.
    const LISTED: Listed;
    /// The role whose organizations own this kind of listing.
    const OWNER_ROLE: Role;
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

/// The two implementations differ only in names.
macro_rules! listing {
    ($Record:ty, $listed:expr, $role:expr, $resource:ident,
     $get:ident, $list:ident, $create:ident, $update:ident, $delete:ident) => {
        impl Listing for $Record {
            const LISTED: Listed = $listed;
            const OWNER_ROLE: Role = $role;
            fn from_map(m: &Map<String, Value>) -> Result<Self, Vec<FieldError>> {
                <$Record>::from_map(m, ExternalId::Optional)
            }
            fn to_map(&self) -> Map<String, Value> {
                <$Record>::to_map(self)
            }
            fn org_name(&self) -> &str {
                &self.org_name
            }
            fn resource(org_id: i64) -> Resource {
                Resource::$resource { org_id }
            }
            async fn get(
                store: &Store,
                id: i64,
                scope: Scope,
            ) -> Result<Option<Stored<Self>>, StoreError> {
                store.$get(id, scope).await
            }
            async fn list(
                store: &Store,
                scope: Scope,
                q: &ListQuery,
            ) -> Result<Page<Stored<Self>>, StoreError> {
                store.$list(scope, q).await
            }
            async fn create(
                store: &Store,
                r: &Self,
                org: i64,
                actor: &Actor,
            ) -> Result<Stored<Self>, StoreError> {
                store.$create(r, org, actor).await
            }
            async fn update(
                store: &Store,
                id: i64,
                r: &Self,
                org: i64,
                v: Option<i32>,
                actor: &Actor,
            ) -> Result<Stored<Self>, StoreError> {
                store.$update(id, r, org, v, actor).await
            }
            async fn delete(store: &Store, id: i64, actor: &Actor) -> Result<(), StoreError> {
                store.$delete(id, actor).await
            }
        }
    };
}

listing!(
    NeedRecord,
    Listed::Needs,
    Role::Enterprise,
    Need,
    get_need,
    list_needs,
    create_need,
    update_need,
    delete_need
);
listing!(
    CapabilityRecord,
    Listed::Capabilities,
    Role::University,
    Capability,
    get_capability,
    list_capabilities,
    create_capability,
    update_capability,
    delete_capability
);

/// The JSON of a stored listing: its record plus bookkeeping.
pub fn listing_json<R: Listing>(s: &Stored<R>) -> Value {
    let mut m = s.record.to_map();
    m.insert("id".into(), json!(s.id));
    m.insert("org_id".into(), json!(s.org_id));
    m.insert("version".into(), json!(s.version));
    m.insert("created_at".into(), json!(s.created_at.to_rfc3339()));
    m.insert("updated_at".into(), json!(s.updated_at.to_rfc3339()));
    Value::Object(m)
}

fn field_error(field: &str, message: impl Into<String>) -> Error {
    Error::field(field, message)
}

/// Bookkeeping keys a client may echo back; they are not part of the record.
const READ_ONLY: &[&str] = &["id", "org_id", "created_at", "updated_at"];

/// Takes `version` out of a body and refuses other read-only keys.
fn take_version(body: &mut Map<String, Value>) -> Result<Option<i32>, Error> {
    if let Some(key) = READ_ONLY.iter().find(|k| body.contains_key(**k)) {
        return Err(field_error(key, format!("{key} is set by the server")));
    }
    match body.remove("version") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => crate::limits::whole_i32(&v)
            .map(Some)
            .ok_or_else(|| field_error("version", "must be a whole number")),
    }
}

/// The organization a listing belongs to: the member's own, or for staff the
/// one named — which must be of the kind that owns such listings (needs
/// belong to enterprises, capabilities to universities and institutes).
async fn owner_org<R: Listing>(app: &App, who: &Principal, org_name: &str) -> Result<i64, Error> {
    if !who.is_staff() {
        return who.org_id.ok_or(Error::Forbidden);
    }
    let id = app
        .store()
        .organization_id_by_name(org_name)
        .await?
        .ok_or_else(|| {
            field_error(
                "org_name",
                format!("no organization is named \"{org_name}\""),
            )
        })?;
    let org = app.store().get_organization(id, Scope::All).await?;
    if org.is_some_and(|o| !R::OWNER_ROLE.fits(o.record.kind)) {
        return Err(field_error(
            "org_name",
            format!("\"{org_name}\" is not the kind of organization that posts these listings"),
        ));
    }
    Ok(id)
}

async fn org_name_of(app: &App, org_id: i64) -> Result<String, Error> {
    Ok(app
        .store()
        .get_organization(org_id, Scope::All)
        .await?
        .map(|o| o.record.name)
        .unwrap_or_default())
}

pub async fn list<R: Listing>(app: &App, viewer: &Viewer, q: &ListQuery) -> Result<Value, Error> {
    let mut q = q.clone();
    check_list(R::LISTED, &mut q)?;
    let page = R::list(app.store(), viewer.scope(), &q).await?;
    Ok(json!({
        "total": page.total,
        "limit": q.limit,
        "offset": q.offset,
        "items": page.items.iter().map(listing_json).collect::<Vec<_>>(),
    }))
}

pub async fn get<R: Listing>(app: &App, viewer: &Viewer, id: i64) -> Result<Value, Error> {
    let s = R::get(app.store(), id, viewer.scope())
        .await?
        .ok_or(Error::NotFound)?;
    Ok(listing_json(&s))
}

pub async fn create<R: Listing>(
    app: &App,
    who: Principal,
    mut body: Map<String, Value>,
) -> Result<Value, Error> {
    if take_version(&mut body)?.is_some() {
        return Err(field_error("version", "is set by the server"));
    }
    if !who.is_staff() {
        // Members always write for their own organization.
        let org_id = who.org_id.ok_or(Error::Forbidden)?;
        authorize(&who, R::resource(org_id), Action::Create)?;
        let own = org_name_of(app, org_id).await?;
        match body.get("org_name") {
            None | Some(Value::Null) => {}
            Some(Value::String(named)) if named.trim() == own => {}
            Some(Value::String(_)) => return Err(Error::Forbidden),
            Some(_) => return Err(field_error("org_name", "expected the organization's name")),
        }
        body.insert("org_name".into(), json!(own));
    }
    let record = R::from_map(&body).map_err(Error::Invalid)?;
    let org_id = owner_org::<R>(app, &who, record.org_name()).await?;
    authorize(&who, R::resource(org_id), Action::Create)?;
    let saved = R::create(app.store(), &record, org_id, &who.actor()).await?;
    Ok(listing_json(&saved))
}

pub async fn update<R: Listing>(
    app: &App,
    who: Principal,
    id: i64,
    mut patch: Map<String, Value>,
) -> Result<Value, Error> {
    let existing = R::get(app.store(), id, who.scope())
        .await?
        .ok_or(Error::NotFound)?;
    authorize(&who, R::resource(existing.org_id), Action::Update)?;
    let version = take_version(&mut patch)?;
    let mut merged = existing.record.to_map();
    for (k, v) in patch {
        merged.insert(k, v);
    }
    let record = R::from_map(&without_nulls(merged)).map_err(Error::Invalid)?;
    let org_id = if record.org_name() == existing.record.org_name() {
        existing.org_id
    } else if who.is_staff() {
        owner_org::<R>(app, &who, record.org_name()).await?
    } else {
        return Err(Error::Forbidden);
    };
    let saved = R::update(app.store(), id, &record, org_id, version, &who.actor()).await?;
    Ok(listing_json(&saved))
}

pub async fn delete<R: Listing>(app: &App, who: Principal, id: i64) -> Result<(), Error> {
    let existing = R::get(app.store(), id, who.scope())
        .await?
        .ok_or(Error::NotFound)?;
    authorize(&who, R::resource(existing.org_id), Action::Delete)?;
    R::delete(app.store(), id, &who.actor()).await?;
    Ok(())
}
