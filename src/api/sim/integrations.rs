//! The integration card and its setup wizard: Connect, Generate API Token, Open Vendor Portal,
//! Next, mapping, Finish, Disconnect.

use super::partners::SimPartner;
use crate::api::path_param;
use crate::clock::Clock;
use crate::domain::catalog::{CardState, SetupStep, MODULES};
use crate::domain::event::{Event, MappingSource};
use crate::domain::ids::GradientToken;
use crate::domain::lifecycle::Card;
use crate::domain::mapping::exact_name_matches;
use crate::domain::validate::{parse_lenient, BodyKind};
use crate::error::{json_response, ApiError, ApiResult};
use crate::ops::billing::rebuild;
use crate::state::AppState;
use crate::store::accounts::{self, PropertyKind};
use crate::store::integrations::{self, IntegrationRow};
use crate::store::{events, mappings, psa, vendors};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use rusqlite::Connection;
use serde_json::{json, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/integrations", web::get().to(list))
        .route("/integrations/{id}", web::get().to(get))
        .route("/integrations/{id}/connect", web::post().to(connect))
        .route("/integrations/{id}/token", web::post().to(token))
        .route("/integrations/{id}/vendor-portal", web::get().to(vendor_portal))
        .route("/integrations/{id}/step", web::post().to(step))
        .route("/integrations/{id}/mappings", web::get().to(get_mappings))
        .route(
            "/integrations/{id}/mappings/accounts/{accountId}",
            web::put().to(map_account),
        )
        .route(
            "/integrations/{id}/mappings/accounts/{accountId}",
            web::delete().to(unmap_account),
        )
        .route(
            "/integrations/{id}/mappings/services/{serviceId}",
            web::put().to(map_service),
        )
        .route(
            "/integrations/{id}/mappings/services/{serviceId}",
            web::delete().to(unmap_service),
        )
        .route("/integrations/{id}/auto-map", web::post().to(auto_map))
        .route("/integrations/{id}/finish", web::post().to(finish))
        .route("/integrations/{id}/disconnect", web::post().to(disconnect))
        .route("/integrations/{id}/alert-board", web::put().to(alert_board));
}

/// The JSON body of a /sim request: empty means `{}`.
pub fn sim_body(body: &[u8]) -> ApiResult<Value> {
    parse_lenient(body, BodyKind::Json)
}

pub fn load(c: &Connection, id: &str) -> ApiResult<IntegrationRow> {
    integrations::get(c, id)?.ok_or_else(|| ApiError::NotFound(format!("No integration found with id: {id}")))
}

fn lifecycle(i: &IntegrationRow) -> Card {
    Card {
        state: i.state,
        status: i.status,
    }
}

/// Vendor-level services of the vendor plus this partner's organization services.
fn service_count(c: &Connection, i: &IntegrationRow) -> ApiResult<i64> {
    Ok(vendors::services(c, &i.vendor_id)?.len() as i64 + accounts::count(c, PropertyKind::OrgService, &i.id)?)
}

/// The integration card, as the console shows it.
pub fn card(c: &Connection, i: &IntegrationRow) -> ApiResult<Value> {
    let vendor = vendors::get(c, &i.vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
    let partner = psa::partner(c, &i.partner_id)?.ok_or_else(|| ApiError::internal("partner vanished"))?;
    let (mapped_accounts, mapped_services) = mappings::counts(c, &i.id)?;
    Ok(json!({
        "id": i.id,
        "vendorId": vendor.id,
        "vendorName": vendor.name,
        "vendorDescription": vendor.description,
        "partnerId": partner.id,
        "partnerName": partner.name,
        "state": i.state.as_str(),
        // Only the seed's kickoff key is kept in clear; a generated key never is.
        "stateLabel": lifecycle(i).label_with_key(i.partner_key_plain.is_some()),
        "status": i.status.map(|s| s.as_str()),
        "nextEnabled": lifecycle(i).next_enabled(),
        "step": i.step.map(|s| s.as_str()),
        "modules": if i.state == CardState::ReadyToConnect { Vec::new() } else { i.modules.clone() },
        "vendorModules": vendor.modules,
        "accountCount": accounts::count(c, PropertyKind::Account, &i.id)?,
        "serviceCount": service_count(c, i)?,
        "mappedAccountCount": mapped_accounts,
        "mappedServiceCount": mapped_services,
        "tokenGeneratedAt": i.token_generated_at,
        "tokenFirstUsedAt": i.token_first_used_at,
        "partnerKeyHint": i.partner_key_hint,
        "vendorPortalUrl": Some(vendor.integration_portal_url).filter(|u| !u.is_empty()),
        "lastSyncedAt": i.last_synced_at.as_deref().unwrap_or(crate::domain::NEVER_SYNCED),
        "connectedAt": i.connected_at,
        "finishedAt": i.finished_at,
        "alertBoardId": i.alert_board_id,
        "cycle": i.cycle,
    }))
}

async fn list(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let cards = state
        .read(move |c| {
            integrations::list(c, &partner.id)?
                .iter()
                .map(|i| card(c, i))
                .collect::<ApiResult<Vec<_>>>()
        })
        .await?;
    Ok(json_response(StatusCode::OK, &cards))
}

async fn get(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let card = state.read(move |c| card(c, &load(c, &id)?)).await?;
    Ok(json_response(StatusCode::OK, &card))
}

async fn connect(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let value = sim_body(&body)?;
    let requested: Option<Vec<String>> = match value.get("modules") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(
            items
                .iter()
                .map(|m| {
                    m.as_str()
                        .map(String::from)
                        .ok_or_else(|| ApiError::validation_one("modules must be an array of strings"))
                })
                .collect::<ApiResult<_>>()?,
        ),
        Some(_) => return Err(ApiError::validation_one("modules must be an array of strings")),
    };
    let clock = state.clock.clone();
    let card = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            if i.state != CardState::ReadyToConnect {
                return card(tx, &i);
            }
            let vendor = vendors::get(tx, &i.vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            let modules = requested.unwrap_or_else(|| vendor.modules.clone());
            if modules.is_empty() {
                return Err(ApiError::validation_one("modules should not be empty"));
            }
            for m in &modules {
                if !MODULES.contains(&m.as_str()) || !vendor.modules.contains(m) {
                    return Err(ApiError::validation_one(format!(
                        "modules must be among this vendor's modules: {}",
                        vendor.modules.join(", ")
                    )));
                }
            }
            let now = clock.now_iso();
            integrations::connect(tx, &id, &modules, &now)?;
            let i = load(tx, &id)?;
            events::record(
                tx,
                Some(&id),
                i.cycle,
                &now,
                &Event::Connected {
                    modules: modules.clone(),
                },
            )?;
            card(tx, &i)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}

async fn token(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.clock.clone();
    let keys = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            lifecycle(&i).may_generate_token().map_err(ApiError::Conflict)?;
            let vendor = vendors::get(tx, &i.vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            let vendor_key = vendor
                .api_key_plain
                .ok_or_else(|| ApiError::Conflict("This vendor's API key is not known to the simulator".into()))?;
            let key = clock.api_key();
            let now = clock.now_iso();
            let regenerated = i.token_generated_at.is_some();
            integrations::new_partner_key(tx, &id, &key, &now)?;
            events::record(
                tx,
                Some(&id),
                i.cycle,
                &now,
                &Event::TokenGenerated {
                    regenerated,
                    key_hint: key.hint(),
                },
            )?;
            Ok(json!({
                "partnerApiKey": key.expose(),
                "vendorApiKey": vendor_key,
                "gradientToken": GradientToken::encode(&vendor_key, key.expose()),
            }))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &keys))
}

async fn vendor_portal(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let want_json = crate::api::query_value(&req, "format").as_deref() == Some("json");
    let clock = state.clock.clone();
    let url = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            let vendor = vendors::get(tx, &i.vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            let url = Some(vendor.integration_portal_url).filter(|u| !u.is_empty());
            events::record(
                tx,
                Some(&id),
                i.cycle,
                &clock.now_iso(),
                &Event::PortalOpened { url: url.clone() },
            )?;
            // Recorded either way (so the QA checklist sees the press), hence Ok here.
            Ok(url.ok_or_else(|| {
                ApiError::NotFound(format!(
                    "{} has not set an integration portal URL, so Open Vendor Portal would open a blank page. \
                     In production, contact Gradient support with the URL; here, the vendor can PATCH /api/vendor-api \
                     with integrationPortalUrl, or use the built-in demo vendor portal at /demo-vendor/",
                    vendor.name
                ))
            }))
        })
        .await??;
    if want_json {
        return Ok(json_response(StatusCode::OK, &json!({"url": url})));
    }
    Ok(HttpResponse::Found().insert_header((header::LOCATION, url)).finish())
}

/// Auto-maps unmapped accounts whose names equal a PSA company's, character for character.
fn auto_map_accounts(tx: &Connection, clock: &Clock, i: &IntegrationRow, now: &str) -> ApiResult<usize> {
    let candidates: Vec<(String, String)> = psa::visible_companies(tx, &i.partner_id)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let unmapped: Vec<_> = accounts::list(tx, PropertyKind::Account, &i.id)?
        .into_iter()
        .filter(|a| !a.is_mapped)
        .collect();
    let matches = exact_name_matches(unmapped.iter().map(|a| (a.id.as_str(), a.name.as_str())), &candidates);
    let names: std::collections::HashMap<&str, &str> =
        unmapped.iter().map(|a| (a.id.as_str(), a.name.as_str())).collect();
    for (account, company) in &matches {
        mappings::map_account(tx, &i.id, account, company, "auto", now, &clock.object_id())?;
        // An exact-name match: the account and the PSA company carry the same name.
        let name = names.get(account.as_str()).copied();
        events::record(
            tx,
            Some(&i.id),
            i.cycle,
            now,
            &Event::AccountMapped {
                account_id: account.clone(),
                name: name.map(String::from),
                psa_account_id: company.clone(),
                psa_account_name: name.map(String::from),
                source: MappingSource::Auto,
            },
        )?;
    }
    Ok(matches.len())
}

/// Every service the integration can map: (id, name, description, kind).
fn mappable_services(c: &Connection, i: &IntegrationRow) -> ApiResult<Vec<(String, String, String, &'static str)>> {
    let mut out: Vec<_> = vendors::services(c, &i.vendor_id)?
        .into_iter()
        .map(|s| (s.id, s.name, s.description, "vendor"))
        .collect();
    out.extend(
        accounts::list(c, PropertyKind::OrgService, &i.id)?
            .into_iter()
            .map(|s| (s.id, s.name, s.description, "organization")),
    );
    Ok(out)
}

fn auto_map_services(tx: &Connection, i: &IntegrationRow, now: &str) -> ApiResult<usize> {
    let candidates: Vec<(String, String)> = psa::products(tx, &i.partner_id)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut unmapped = vec![];
    for s in mappable_services(tx, i)? {
        if !mappings::is_service_mapped(tx, &i.id, &s.0)? {
            unmapped.push(s);
        }
    }
    let matches = exact_name_matches(unmapped.iter().map(|s| (s.0.as_str(), s.1.as_str())), &candidates);
    for (service, product) in &matches {
        mappings::map_service(tx, &i.id, service, std::slice::from_ref(product), "auto", now)?;
        let name = unmapped.iter().find(|s| &s.0 == service).map(|s| s.1.as_str());
        events::record(
            tx,
            Some(&i.id),
            i.cycle,
            now,
            &Event::ServiceMapped {
                service_id: service.clone(),
                name: name.map(String::from),
                psa_product_ids: vec![product.clone()],
                source: MappingSource::Auto,
            },
        )?;
    }
    Ok(matches.len())
}

async fn step(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let value = sim_body(&body)?;
    let step = value
        .get("step")
        .and_then(Value::as_str)
        .and_then(SetupStep::parse)
        .ok_or_else(|| {
            ApiError::validation_one(format!(
                "step must be one of the following values: {}",
                SetupStep::ALL.map(|s| s.as_str()).join(", ")
            ))
        })?;
    let clock = state.clock.clone();
    let card = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            lifecycle(&i).may_enter(step).map_err(ApiError::Conflict)?;
            let now = clock.now_iso();
            integrations::set_step(tx, &id, step)?;
            match step {
                SetupStep::AccountMapping => {
                    auto_map_accounts(tx, &clock, &i, &now)?;
                }
                SetupStep::ServiceMapping => {
                    auto_map_services(tx, &i, &now)?;
                }
                _ => {}
            }
            events::record(tx, Some(&id), i.cycle, &now, &Event::Step { step })?;
            card(tx, &load(tx, &id)?)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}

async fn auto_map(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.clock.clone();
    let out = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            require_mapping_allowed(&i)?;
            let now = clock.now_iso();
            Ok(json!({"accounts": auto_map_accounts(tx, &clock, &i, &now)?, "services": auto_map_services(tx, &i, &now)?}))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

fn require_mapping_allowed(i: &IntegrationRow) -> ApiResult<()> {
    lifecycle(i).may_map().map_err(ApiError::Conflict)
}

fn account_row(c: &Connection, i: &IntegrationRow, account_id: &str) -> ApiResult<Value> {
    let a = accounts::get(c, PropertyKind::Account, &i.id, account_id)?
        .ok_or_else(|| ApiError::NotFound(format!("No account found with id: {account_id}")))?;
    let mapping = mappings::account_mapping(c, &i.id, &a.id)?;
    let psa_name = match &mapping {
        Some((company, _, _)) => psa::visible_company(c, &i.partner_id, company)?.map(|co| co.name),
        None => None,
    };
    Ok(json!({
        "id": a.id, "name": a.name, "description": a.description,
        "psaAccountId": mapping.as_ref().map(|m| m.0.clone()),
        "psaAccountName": psa_name,
        "source": mapping.as_ref().map(|m| m.1.clone()),
        "mappingId": mapping.as_ref().map(|m| m.2.clone()),
    }))
}

fn service_row(c: &Connection, i: &IntegrationRow, service_id: &str) -> ApiResult<Value> {
    let s = mappable_services(c, i)?
        .into_iter()
        .find(|s| s.0 == service_id)
        .ok_or_else(|| ApiError::NotFound(format!("No service found with id: {service_id}")))?;
    let (products, source) = mappings::service_products(c, &i.id, &s.0)?;
    Ok(json!({"id": s.0, "name": s.1, "description": s.2, "kind": s.3, "psaProductIds": products, "source": source}))
}

async fn get_mappings(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let out = state
        .read_off_thread(move |c| {
            let i = load(c, &id)?;
            let accounts_out = accounts::list(c, PropertyKind::Account, &i.id)?
                .iter()
                .map(|a| account_row(c, &i, &a.id))
                .collect::<ApiResult<Vec<_>>>()?;
            let services_out = mappable_services(c, &i)?
                .iter()
                .map(|s| service_row(c, &i, &s.0))
                .collect::<ApiResult<Vec<_>>>()?;
            let psa_accounts: Vec<Value> = psa::visible_companies(c, &i.partner_id)?
                .into_iter()
                .map(|co| json!({"id": co.id, "name": co.name}))
                .collect();
            let psa_products: Vec<Value> = psa::products(c, &i.partner_id)?
                .into_iter()
                .map(|p| json!({"id": p.id, "productCode": p.product_code, "name": p.name}))
                .collect();
            Ok(json!({"accounts": accounts_out, "services": services_out, "psaAccounts": psa_accounts, "psaProducts": psa_products}))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

async fn map_account(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let account_id = path_param(&req, "accountId");
    let value = sim_body(&body)?;
    let psa_id = value
        .get("psaAccountId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .ok_or_else(|| {
            ApiError::Validation(vec![
                "psaAccountId should not be empty".into(),
                "psaAccountId must be a string".into(),
            ])
        })?;
    let clock = state.clock.clone();
    let row = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            require_mapping_allowed(&i)?;
            account_row(tx, &i, &account_id)?; // 404 for an unknown vendor account
            psa::visible_company(tx, &i.partner_id, &psa_id)?
                .ok_or_else(|| ApiError::NotFound(format!("No PSA account found with id: {psa_id}")))?;
            let now = clock.now_iso();
            mappings::map_account(tx, &i.id, &account_id, &psa_id, "manual", &now, &clock.object_id())?;
            let row = account_row(tx, &i, &account_id)?;
            events::record(
                tx,
                Some(&i.id),
                i.cycle,
                &now,
                &Event::AccountMapped {
                    account_id: account_id.clone(),
                    name: row["name"].as_str().map(String::from),
                    psa_account_id: psa_id.clone(),
                    psa_account_name: row["psaAccountName"].as_str().map(String::from),
                    source: MappingSource::Manual,
                },
            )?;
            Ok(row)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &row))
}

async fn unmap_account(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let account_id = path_param(&req, "accountId");
    let clock = state.clock.clone();
    let row = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            account_row(tx, &i, &account_id)?;
            if mappings::unmap_account(tx, &i.id, &account_id)? > 0 {
                events::record(
                    tx,
                    Some(&i.id),
                    i.cycle,
                    &clock.now_iso(),
                    &Event::AccountUnmapped {
                        account_id: account_id.clone(),
                        reason: None,
                        psa_account_id: None,
                    },
                )?;
            }
            account_row(tx, &i, &account_id)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &row))
}

async fn map_service(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let service_id = path_param(&req, "serviceId");
    let value = sim_body(&body)?;
    let products: Vec<String> = match value.get("psaProductIds") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|p| {
                p.as_str()
                    .map(String::from)
                    .ok_or_else(|| ApiError::validation_one("each value in psaProductIds must be a string"))
            })
            .collect::<ApiResult<_>>()?,
        _ => return Err(ApiError::validation_one("psaProductIds must be an array")),
    };
    let clock = state.clock.clone();
    let row = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            require_mapping_allowed(&i)?;
            service_row(tx, &i, &service_id)?;
            let known: Vec<String> = psa::products(tx, &i.partner_id)?.into_iter().map(|p| p.id).collect();
            if let Some(bad) = products.iter().find(|p| !known.contains(p)) {
                return Err(ApiError::NotFound(format!("No PSA product found with id: {bad}")));
            }
            let now = clock.now_iso();
            mappings::map_service(tx, &i.id, &service_id, &products, "manual", &now)?;
            let row = service_row(tx, &i, &service_id)?;
            let name = row["name"].as_str().map(String::from);
            let event = if products.is_empty() {
                Event::ServiceUnmapped {
                    service_id: service_id.clone(),
                    name,
                    psa_product_ids: Some(products),
                    source: Some(MappingSource::Manual),
                }
            } else {
                Event::ServiceMapped {
                    service_id: service_id.clone(),
                    name,
                    psa_product_ids: products,
                    source: MappingSource::Manual,
                }
            };
            events::record(tx, Some(&i.id), i.cycle, &now, &event)?;
            Ok(row)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &row))
}

async fn unmap_service(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let service_id = path_param(&req, "serviceId");
    let clock = state.clock.clone();
    let row = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            service_row(tx, &i, &service_id)?;
            if mappings::unmap_service(tx, &i.id, &service_id)? > 0 {
                events::record(
                    tx,
                    Some(&i.id),
                    i.cycle,
                    &clock.now_iso(),
                    &Event::ServiceUnmapped {
                        service_id: service_id.clone(),
                        name: None,
                        psa_product_ids: None,
                        source: None,
                    },
                )?;
            }
            service_row(tx, &i, &service_id)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &row))
}

async fn finish(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.clock.clone();
    let card = state
        .write_off_thread(move |tx| {
            let i = load(tx, &id)?;
            let (accounts_mapped, services_mapped) = mappings::counts(tx, &i.id)?;
            lifecycle(&i)
                .may_finish(accounts_mapped, services_mapped)
                .map_err(ApiError::Conflict)?;
            let now = clock.now_iso();
            integrations::finish(tx, &id, &now)?;
            events::record(
                tx,
                Some(&id),
                i.cycle,
                &now,
                &Event::Finished {
                    accounts: accounts_mapped,
                    services: services_mapped,
                },
            )?;
            rebuild(tx, &clock, &i.partner_id)?;
            card(tx, &load(tx, &id)?)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}

async fn disconnect(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.clock.clone();
    let out = state
        .write_off_thread(move |tx| {
            let i = load(tx, &id)?;
            let now = clock.now_iso();
            let deleted = integrations::disconnect(tx, &id, &now)?;
            events::record(tx, Some(&id), i.cycle, &now, &Event::Disconnected(deleted.clone()))?;
            rebuild(tx, &clock, &i.partner_id)?;
            Ok(json!({"integration": card(tx, &load(tx, &id)?)?, "deleted": deleted}))
        })
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

async fn alert_board(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let value = sim_body(&body)?;
    let board = match value.get("boardId") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) => None,
        _ => return Err(ApiError::validation_one("boardId must be a string or null")),
    };
    let card = state
        .write(move |tx| {
            let i = load(tx, &id)?;
            if let Some(b) = &board {
                if !psa::board_exists(tx, &i.partner_id, b)? {
                    return Err(ApiError::NotFound(format!("No PSA board found with id: {b}")));
                }
            }
            integrations::set_alert_board(tx, &i.id, board.as_deref())?;
            card(tx, &load(tx, &id)?)
        })
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}
