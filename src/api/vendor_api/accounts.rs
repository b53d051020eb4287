//! Accounts and organization services: the per-partner "mapping properties" a vendor creates.
//! Both take one object or an array, are all-or-nothing, and answer bare arrays.

use super::auth::Partner;
use crate::api::{note_lints, path_param, query_pairs};
use crate::domain::event::Event;
use crate::domain::lint::{blanked, blanked_fields};
use crate::domain::lint::{Lint, LintCode};
use crate::domain::validate::{object, objects, Fields};
use crate::error::{json_response, ApiError, ApiResult};
use crate::state::AppState;
use crate::store::accounts::{self, NewProperty, Property, PropertyKind, PropertyUpdate};
use crate::store::events;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::collections::HashSet;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/organization/accounts", crate::api::express::get().to(list_accounts))
        .route("/organization/accounts", web::post().to(create_accounts))
        .route("/organization/accounts", web::patch().to(update_accounts))
        .route("/organization/accounts/{accountId}", web::patch().to(update_account))
        .route("/organization/services", web::post().to(create_services))
        .route("/organization/services", web::patch().to(update_services))
        .route("/organization/services/{serviceId}", web::patch().to(update_service));
}

const DUPLICATE: &str = "A resource with this Id already exists.";

fn not_found(kind: PropertyKind, id: &str) -> ApiError {
    match kind {
        PropertyKind::Account => ApiError::NotFound(format!("No account found with id: {id}")),
        PropertyKind::OrgService => ApiError::NotFound(format!("No service found with id: {id}")),
    }
}

/// The answer's item: accounts carry `mappingId`, services `isMapped`.
fn item(kind: PropertyKind, p: &Property) -> Value {
    match kind {
        PropertyKind::Account => {
            json!({"id": p.id, "name": p.name, "description": p.description, "mappingId": p.mapping_id})
        }
        PropertyKind::OrgService => {
            json!({"id": p.id, "name": p.name, "description": p.description, "isMapped": p.is_mapped})
        }
    }
}

async fn list_accounts(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let wanted: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "accountIds" || k == "accountIds[]")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    let return_unmapped = match q.iter().find(|(k, _)| k == "returnUnmapped") {
        None => true,
        Some((_, v)) => crate::domain::validate::parse_bool(v)
            .ok_or_else(|| ApiError::validation_one("returnUnmapped must be a boolean value"))?,
    };
    let id = caller.integration.id.clone();
    let list = state
        .read(move |c| Ok(accounts::list(c, PropertyKind::Account, &id)?))
        .await?;
    let out: Vec<Value> = list
        .iter()
        .filter(|a| wanted.is_empty() || wanted.contains(&a.id))
        .filter(|a| return_unmapped || a.is_mapped)
        .map(|a| json!({"id": a.id, "name": a.name, "description": a.description, "isMapped": a.is_mapped, "mappingId": a.mapping_id}))
        .collect();
    Ok(json_response(StatusCode::OK, &out))
}

async fn create_accounts(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    create(state, caller, req, PropertyKind::Account).await
}

async fn create_services(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    create(state, caller, req, PropertyKind::OrgService).await
}

async fn create(
    state: web::Data<AppState>,
    caller: Partner,
    req: HttpRequest,
    kind: PropertyKind,
) -> ApiResult<HttpResponse> {
    let value = crate::api::json_body(&req);
    let (items, is_array) = objects(&value)?;
    let mut errors = vec![];
    let mut lints = vec![];
    let mut new = vec![];
    for (i, obj) in items.iter().enumerate() {
        let mut f = Fields::item(obj, is_array.then_some(i), state.strict_types());
        let id = f.id_string("id", true);
        let name = f.required_string("name");
        let description = f.optional_string("description").unwrap_or_default();
        let is_arrears = f.optional_bool("isArrears").unwrap_or(false);
        errors.append(&mut f.errors);
        lints.append(&mut f.lints);
        if let (Some(id), Some(name)) = (id, name) {
            new.push(NewProperty {
                id,
                name,
                description,
                is_arrears,
            });
        }
    }
    if !errors.is_empty() {
        note_lints(&req, lints);
        return Err(ApiError::Validation(errors));
    }
    let integration = caller.integration;
    let clock = state.clock.clone();
    let result = caller
        .grant
        .write(&state, move |tx| {
            let mut seen = HashSet::new();
            for p in &new {
                if !seen.insert(p.id.clone()) || accounts::exists(tx, kind, &integration.id, &p.id)? {
                    return Ok(Err(p.id.clone()));
                }
            }
            let now = clock.now_iso();
            for p in &new {
                accounts::insert(tx, kind, &integration.id, p, &now)?;
            }
            let ids: Vec<String> = new.iter().map(|p| p.id.clone()).collect();
            let event = match kind {
                PropertyKind::Account => Event::AccountsCreated { ids },
                PropertyKind::OrgService => Event::ServicesCreated { ids },
            };
            events::record(tx, Some(&integration.id), integration.cycle, &now, &event)?;
            let mut out = vec![];
            for p in &new {
                let row = accounts::get(tx, kind, &integration.id, &p.id)?
                    .ok_or_else(|| ApiError::internal("row vanished"))?;
                out.push(item(kind, &row));
            }
            Ok(Ok(out))
        })
        .await?;
    match result {
        Ok(out) => {
            note_lints(&req, lints);
            Ok(json_response(StatusCode::CREATED, &out))
        }
        Err(dup) => {
            lints.push(Lint::new(
                LintCode::AccountReposted,
                format!("id {dup:?} already exists (or appears twice in this body); nothing of this body was stored"),
            ));
            note_lints(&req, lints);
            Err(ApiError::Conflict(DUPLICATE.into()))
        }
    }
}

/// The text fields an update blanks.
fn blanked_by(before: &Property, u: &PropertyUpdate) -> Vec<String> {
    blanked([
        ("name", &u.name, &before.name),
        ("description", &u.description, &before.description),
    ])
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

async fn update_accounts(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    update_bulk(state, caller, req, PropertyKind::Account).await
}

async fn update_services(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    update_bulk(state, caller, req, PropertyKind::OrgService).await
}

async fn update_bulk(
    state: web::Data<AppState>,
    caller: Partner,
    req: HttpRequest,
    kind: PropertyKind,
) -> ApiResult<HttpResponse> {
    let value = crate::api::json_body(&req);
    let (items, is_array) = objects(&value)?;
    let mut errors = vec![];
    let mut lints = vec![];
    let mut updates = vec![];
    for (i, obj) in items.iter().enumerate() {
        let mut f = Fields::item(obj, is_array.then_some(i), state.strict_types());
        let (id, update) = update_fields(&mut f, true);
        errors.append(&mut f.errors);
        lints.append(&mut f.lints);
        if let Some(id) = id {
            updates.push((id, update));
        }
    }
    note_lints(&req, lints);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let integration_id = caller.integration.id;
    let clock = state.clock.clone();
    let (out, blanked) = caller
        .grant
        .write(&state, move |tx| {
            let now = clock.now_iso();
            let mut out = vec![];
            let mut blanked = vec![];
            for (id, u) in &updates {
                let before = accounts::get(tx, kind, &integration_id, id)?.ok_or_else(|| not_found(kind, id))?;
                blanked.extend(blanked_by(&before, u).into_iter().map(|f| format!("{f} of {id:?}")));
                accounts::update(tx, kind, &integration_id, id, u, &now)?;
                let row =
                    accounts::get(tx, kind, &integration_id, id)?.ok_or_else(|| ApiError::internal("row vanished"))?;
                out.push(item(kind, &row));
            }
            Ok((out, blanked))
        })
        .await?;
    note_lints(&req, blanked_fields(&blanked));
    Ok(json_response(StatusCode::OK, &out))
}

async fn update_account(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "accountId");
    update_one(state, caller, req, PropertyKind::Account, id).await
}

async fn update_service(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
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
) -> ApiResult<HttpResponse> {
    let body = crate::api::body::of(&req);
    let obj = object(&body.value)?;
    let mut f = Fields::new(obj, state.strict_types()).form(body.form);
    let (new_id, mut update) = update_fields(&mut f, false);
    // The SDK sends `"id":""` when the caller sets no new id: an account nobody can address
    // again is refused, never stored.
    if new_id.as_deref() == Some("") {
        f.errors.insert(0, "id should not be empty".into());
    }
    note_lints(&req, std::mem::take(&mut f.lints));
    if !f.errors.is_empty() {
        return Err(ApiError::Validation(f.errors));
    }
    update.new_id = new_id;
    let integration_id = caller.integration.id;
    let clock = state.clock.clone();
    let (row, blanked) = caller
        .grant
        .write(&state, move |tx| {
            let before = accounts::get(tx, kind, &integration_id, &id)?.ok_or_else(|| not_found(kind, &id))?;
            if let Some(n) = update.new_id.as_deref().filter(|n| *n != id) {
                if accounts::exists(tx, kind, &integration_id, n)? {
                    return Err(ApiError::Conflict(DUPLICATE.into()));
                }
            }
            accounts::update(tx, kind, &integration_id, &id, &update, &clock.now_iso())?;
            let final_id = update.new_id.clone().unwrap_or(id);
            let row = accounts::get(tx, kind, &integration_id, &final_id)?
                .ok_or_else(|| ApiError::internal("row vanished"))?;
            Ok((row, blanked_by(&before, &update)))
        })
        .await?;
    note_lints(&req, blanked_fields(&blanked));
    let body = match kind {
        PropertyKind::Account => item(kind, &row),
        // The organization-service routes answer arrays, even for one item.
        PropertyKind::OrgService => json!([item(kind, &row)]),
    };
    Ok(json_response(StatusCode::OK, &body))
}
