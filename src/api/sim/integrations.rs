//! The integration card and its setup wizard: Connect, Generate API Token, Open Vendor Portal,
//! Next, mapping, Finish, Disconnect. Each handler parses the request, calls one operation of
//! `ops::integrations` and renders its answer.

use super::extract::{sim_body, SimPartner};
use crate::api::{path_param, query_flag, query_pairs};
use crate::domain::catalog::SetupStep;
use crate::error::{json_response, ApiError, ApiResult};
use crate::ops::integrations as ops;
use crate::ops::mappings;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/integrations", web::get().to(list))
        .route("/integrations/{id}", web::get().to(get))
        .route("/integrations/{id}/connect", web::post().to(connect))
        .route("/integrations/{id}/token", web::post().to(token))
        .route("/integrations/{id}/vendor-portal", web::get().to(vendor_portal))
        .route("/integrations/{id}/step", web::post().to(step))
        .route("/integrations/{id}/mappings", web::get().to(get_mappings))
        .route("/integrations/{id}/mappings/accounts", web::get().to(account_page))
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

async fn list(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let cards = state.ops.read(move |c| ops::cards(c, &partner.id)).await?;
    Ok(json_response(StatusCode::OK, &cards))
}

async fn get(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let card = state.ops.read(move |c| ops::card_of(c, &id)).await?;
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
    let clock = state.ops.clock_of_integration(&id).await?;
    let card = state
        .ops
        .write(move |tx| ops::connect(tx, &clock, &id, requested))
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}

async fn token(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let what = format!("a new token for integration {id}");
    state.scenario.interrupt(super::scenarios::run_id(&req), what).await;
    let clock = state.ops.clock_of_integration(&id).await?;
    let keys = state.ops.write(move |tx| ops::generate_token(tx, &clock, &id)).await?;
    Ok(json_response(StatusCode::OK, &keys))
}

async fn vendor_portal(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let want_json = crate::api::query_value(&req, "format").as_deref() == Some("json");
    let clock = state.ops.clock_of_integration(&id).await?;
    let opened = state
        .ops
        .write(move |tx| ops::open_vendor_portal(tx, &clock, &id))
        .await?;
    if want_json {
        // The console asks for an answer, not a tab to open: a vendor with no URL is an answer
        // too (a 404 here would be an error in the partner's browser console on a normal walk).
        let answer = match opened {
            Ok(url) => json!({"url": url}),
            Err(ApiError::NotFound(message)) => json!({"url": null, "message": message}),
            Err(e) => return Err(e),
        };
        return Ok(json_response(StatusCode::OK, &answer));
    }
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, opened?))
        .finish())
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
    let clock = state.ops.clock_of_integration(&id).await?;
    let card = state
        .ops
        .write(move |tx| mappings::enter_step(tx, &clock, &id, step))
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}

async fn auto_map(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.ops.clock_of_integration(&id).await?;
    let out = state.ops.write(move |tx| mappings::auto_map(tx, &clock, &id)).await?;
    Ok(json_response(StatusCode::OK, &out))
}

async fn get_mappings(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    // `accounts=false`: the PSA side and the services, for a console that pages the accounts.
    let with_accounts = query_flag(&query_pairs(&req), "accounts", true)?;
    let out = state
        .ops
        .read_off_thread(move |c| mappings::mappings_view(c, &id, with_accounts))
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

/// Most accounts one page of the account mapping step may ask for, and its default (the
/// console shows 60 cards at a time); the longest search.
const MAX_PAGE: i64 = 500;
const DEFAULT_PAGE: i64 = 60;
const MAX_SEARCH: usize = 200;

async fn account_page(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let search = crate::api::query_value(&req, "q");
    if search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH) {
        return Err(ApiError::validation_one(format!(
            "q must be at most {MAX_SEARCH} characters"
        )));
    }
    let pairs = query_pairs(&req);
    let hide_mapped = query_flag(&pairs, "hideMapped", false)?;
    let only_mapped = query_flag(&pairs, "onlyMapped", false)?;
    if hide_mapped && only_mapped {
        return Err(ApiError::validation_one(
            "hideMapped and onlyMapped cannot both be true",
        ));
    }
    let q = mappings::AccountQuery {
        offset: super::runs::number(&req, "offset", 0, 0, i64::from(i32::MAX))?,
        limit: super::runs::number(&req, "limit", DEFAULT_PAGE, 1, MAX_PAGE)?,
        search,
        hide_mapped,
        only_mapped,
    };
    let out = state
        .ops
        .read_off_thread(move |c| mappings::account_page(c, &id, &q))
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
    let clock = state.ops.clock_of_integration(&id).await?;
    let row = state
        .ops
        .write(move |tx| mappings::map_account(tx, &clock, &id, &account_id, &psa_id))
        .await?;
    Ok(json_response(StatusCode::OK, &row))
}

async fn unmap_account(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let account_id = path_param(&req, "accountId");
    let clock = state.ops.clock_of_integration(&id).await?;
    let row = state
        .ops
        .write(move |tx| mappings::unmap_account(tx, &clock, &id, &account_id))
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
    let clock = state.ops.clock_of_integration(&id).await?;
    let row = state
        .ops
        .write(move |tx| mappings::map_service(tx, &clock, &id, &service_id, &products))
        .await?;
    Ok(json_response(StatusCode::OK, &row))
}

async fn unmap_service(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let service_id = path_param(&req, "serviceId");
    let clock = state.ops.clock_of_integration(&id).await?;
    let row = state
        .ops
        .write(move |tx| mappings::unmap_service(tx, &clock, &id, &service_id))
        .await?;
    Ok(json_response(StatusCode::OK, &row))
}

async fn finish(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.ops.clock_of_integration(&id).await?;
    let card = state
        .ops
        .write_off_thread(move |tx| ops::finish(tx, &clock, &id))
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}

async fn disconnect(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let what = format!("a disconnect of integration {id}");
    state.scenario.interrupt(super::scenarios::run_id(&req), what).await;
    let clock = state.ops.clock_of_integration(&id).await?;
    let out = state
        .ops
        .write_off_thread(move |tx| ops::disconnect(tx, &clock, &id))
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
        .ops
        .write(move |tx| ops::set_alert_board(tx, &id, board.as_deref()))
        .await?;
    Ok(json_response(StatusCode::OK, &card))
}
