//! Accounts and organization services: the per-partner "mapping properties" a vendor creates.
//! Both take one object or an array, are all-or-nothing, and answer bare arrays.

use super::auth::Partner;
use crate::api::reply::Reply;
use crate::api::{path_param, query_list, query_pairs};
use crate::domain::lint::Linted;
use crate::domain::validate::{object, objects, Fields};
use crate::domain::Rejection;
use crate::error::{json_bytes_response, json_response, ApiError, ApiResult};
use crate::ops::accounts::{self as ops, PropertyPatch, PropertyQuery};
use crate::state::AppState;
use crate::store::accounts::{NewProperty, Property, PropertyKind, PropertyUpdate};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::{json, Map, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/organization/accounts", crate::api::express::get().to(list_accounts))
        .route("/organization/accounts", web::post().to(create_accounts))
        .route("/organization/accounts", web::patch().to(update_accounts))
        .route("/organization/accounts/{accountId}", web::patch().to(update_account))
        .route("/organization/services", crate::api::express::get().to(list_services))
        .route("/organization/services", web::post().to(create_services))
        .route("/organization/services", web::patch().to(update_services))
        .route("/organization/services/{serviceId}", web::patch().to(update_service));
}

/// The answer's item of a write: accounts carry `mappingId`, services `_id` and `isMapped`.
fn item(kind: PropertyKind, p: &Property) -> Value {
    match kind {
        PropertyKind::Account => {
            json!({"id": p.id, "name": p.name, "description": p.description, "mappingId": p.mapping_id})
        }
        PropertyKind::OrgService => {
            json!({"_id": p.id, "id": p.id, "name": p.name, "description": p.description, "isMapped": p.is_mapped})
        }
    }
}

fn items(kind: PropertyKind, rows: &[Property]) -> Vec<Value> {
    rows.iter().map(|p| item(kind, p)).collect()
}

async fn list_accounts(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    let brackets = bracketed_keys(&req);
    Linted::new(
        list(state, caller, req, PropertyKind::Account, "accountIds").await,
        vec![],
    )
    .lint(brackets)
}

/// Get Organization Services, as the SDK's `dynamicServices` spec has it (`Get-PSServices`):
/// the same filter pair as Get Accounts, answering `GetMappingPropertyResponse` items.
async fn list_services(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    let brackets = bracketed_keys(&req);
    Linted::new(
        list(state, caller, req, PropertyKind::OrgService, "serviceIds").await,
        vec![],
    )
    .lint(brackets)
}

/// `accountIds[]=` and the like: accepted, and named.
fn bracketed_keys(req: &HttpRequest) -> Option<crate::domain::lint::Lint> {
    let q = query_pairs(req);
    crate::domain::lint::across::multi_value_query_param(q.iter().map(|(k, _)| k.as_str()))
}

async fn list(
    state: web::Data<AppState>,
    caller: Partner,
    req: HttpRequest,
    kind: PropertyKind,
    ids_param: &str,
) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    // Evidence: the spec's `returnUnmapped` is a boolean; its wording for other values is a
    // guess (class-validator's IsBoolean sentence, listed in the vendor-API guesses).
    let return_unmapped = crate::api::query_flag(&q, "returnUnmapped", true)?;
    let query = PropertyQuery {
        ids: query_list(&q, ids_param),
        return_unmapped,
    };
    // The whole list, as a sync asks for it, is answered from a copy while no account, service,
    // mapping or integration changed; a filtered one is read.
    let whole = query.ids.is_empty() && query.return_unmapped;
    let copies = &state.vendor_api.property_lists;
    let key = format!("{}:{}", list_name(kind), caller.integration.id);
    // Read before the read, so that an answer is never tagged newer than its rows.
    let epoch = state.ops.store.epochs().current(copies.watch());
    if let Some(body) = copies.get(&key, epoch).filter(|_| whole) {
        return Ok(json_bytes_response(StatusCode::OK, body));
    }
    let rows = ops::list(&state.ops, caller.integration.id.clone(), kind, query).await?;
    // Serialized straight from the rows: a listing of 1,000 accounts built 1,000 JSON trees.
    let body = match kind {
        PropertyKind::Account => serde_json::to_vec(&rows.iter().map(ListedAccount::of).collect::<Vec<_>>()),
        PropertyKind::OrgService => serde_json::to_vec(&rows.iter().map(ListedService::of).collect::<Vec<_>>()),
    };
    let body = web::Bytes::from(body.map_err(ApiError::internal)?);
    if whole && rows.len() <= super::copies::LIST_ROWS_KEPT {
        copies.put(&key, epoch, body.clone());
    }
    Ok(json_bytes_response(StatusCode::OK, body))
}

fn list_name(kind: PropertyKind) -> &'static str {
    match kind {
        PropertyKind::Account => "accounts",
        PropertyKind::OrgService => "services",
    }
}

/// An item of a GET listing: `GetMappingPropertyResponse`, whose `isMapped` the newest spec
/// makes required.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListedAccount<'a> {
    id: &'a str,
    name: &'a str,
    description: &'a str,
    is_mapped: bool,
    mapping_id: Option<&'a str>,
}

impl<'a> ListedAccount<'a> {
    fn of(p: &'a Property) -> Self {
        ListedAccount {
            id: &p.id,
            name: &p.name,
            description: &p.description,
            is_mapped: p.is_mapped,
            mapping_id: p.mapping_id.as_deref(),
        }
    }
}

/// Organization services also carry `_id`, since the SDK's dynamic-services flow reads
/// `$sku._id` to address counts (equal to `id`: a guess, see docs/vendor-api.md).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListedService<'a> {
    #[serde(rename = "_id")]
    underscore_id: &'a str,
    id: &'a str,
    name: &'a str,
    description: &'a str,
    is_mapped: bool,
}

impl<'a> ListedService<'a> {
    fn of(p: &'a Property) -> Self {
        ListedService {
            underscore_id: &p.id,
            id: &p.id,
            name: &p.name,
            description: &p.description,
            is_mapped: p.is_mapped,
        }
    }
}

async fn create_accounts(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    create(state, caller, req, PropertyKind::Account).await
}

async fn create_services(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    create(state, caller, req, PropertyKind::OrgService).await
}

async fn create(state: web::Data<AppState>, caller: Partner, req: HttpRequest, kind: PropertyKind) -> Reply {
    let body = crate::api::json_body(&req);
    each_item(&body, state.strict_types(), |f| {
        let id = f.id_string("id", true);
        let name = f.required_string("name");
        let description = f.optional_string("description").unwrap_or_default();
        let is_arrears = f.optional_bool("isArrears").unwrap_or(false);
        Some(NewProperty {
            id: id?,
            name: name?,
            description,
            is_arrears,
        })
    })
    .err_into()
    .and_then(|new| ops::create(&state.ops, &caller.grant, &caller.integration, kind, new))
    .await
    .map(|rows| json_response(StatusCode::CREATED, &items(kind, &rows)))
}

/// Every item of a one-object-or-array body, each checked by `check` (which answers `None`
/// only after a broken rule); messages of an array's items carry the item's index.
fn each_item<T>(
    body: &Value,
    strict_types: bool,
    check: impl Fn(&mut Fields) -> Option<T>,
) -> Linted<Vec<T>, Rejection> {
    let (objs, is_array) = match objects(body) {
        Ok(found) => found,
        Err(r) => return Linted::err(r),
    };
    let mut errors = vec![];
    let mut lints = vec![];
    let mut out = vec![];
    for (i, obj) in objs.iter().enumerate() {
        let mut f = Fields::item(obj, is_array.then_some(i), strict_types);
        let value = check(&mut f);
        errors.append(&mut f.errors);
        lints.append(&mut f.lints);
        out.extend(value);
    }
    let result = if errors.is_empty() {
        Ok(out)
    } else {
        Err(Rejection::Invalid(errors))
    };
    Linted::new(result, lints)
}

/// The update fields of one item; `require_id` for bulk bodies, where `id` says which item.
fn update_fields(f: &mut Fields, require_id: bool) -> (Option<String>, PropertyUpdate) {
    let id = f.id_string("id", require_id);
    let update = PropertyUpdate {
        new_id: None,
        name: f.optional_string("name"),
        description: f.optional_string("description"),
        is_active: f.optional_bool("isActive"),
        is_arrears: f.optional_bool("isArrears"),
    };
    (id, update)
}

async fn update_accounts(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    update_bulk(state, caller, req, PropertyKind::Account).await
}

async fn update_services(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    update_bulk(state, caller, req, PropertyKind::OrgService).await
}

async fn update_bulk(state: web::Data<AppState>, caller: Partner, req: HttpRequest, kind: PropertyKind) -> Reply {
    let body = crate::api::json_body(&req);
    each_item(&body, state.strict_types(), |f| {
        let (id, update) = update_fields(f, true);
        Some(PropertyPatch { id: id?, update })
    })
    .err_into()
    .and_then(|patches| ops::update_many(&state.ops, &caller.grant, &caller.integration, kind, patches))
    .await
    .map(|rows| json_response(StatusCode::OK, &items(kind, &rows)))
}

async fn update_account(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    let id = path_param(&req, "accountId");
    update_one(state, caller, req, PropertyKind::Account, id).await
}

async fn update_service(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    let id = path_param(&req, "serviceId");
    update_one(state, caller, req, PropertyKind::OrgService, id).await
}

/// One item, identified by the path; the body (JSON, form or empty) may rename its `id`.
async fn update_one(
    state: web::Data<AppState>,
    caller: Partner,
    req: HttpRequest,
    kind: PropertyKind,
    id: String,
) -> Reply {
    let body = crate::api::body::of(&req);
    one_update(&body.value, body.form, state.strict_types())
        .err_into()
        .and_then(|update| ops::update_one(&state.ops, &caller.grant, &caller.integration, kind, id, update))
        .await
        .map(|row| {
            let body = match kind {
                PropertyKind::Account => item(kind, &row),
                // The organization-service routes answer arrays, even for one item.
                PropertyKind::OrgService => json!([item(kind, &row)]),
            };
            json_response(StatusCode::OK, &body)
        })
}

fn one_update(body: &Value, form: bool, strict_types: bool) -> Linted<PropertyUpdate, Rejection> {
    let obj: &Map<String, Value> = match object(body) {
        Ok(obj) => obj,
        Err(r) => return Linted::err(r),
    };
    let mut f = Fields::new(obj, strict_types).form(form);
    let (new_id, mut update) = update_fields(&mut f, false);
    // The SDK sends `"id":""` when the caller sets no new id: an account nobody can address
    // again is refused, never stored.
    if new_id.as_deref() == Some("") {
        f.errors.insert(0, "id should not be empty".into());
    }
    update.new_id = new_id;
    f.finish(Some(update))
}
