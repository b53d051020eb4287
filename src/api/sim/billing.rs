//! The billing page: service cards and the partner's actions on them.

use super::extract::{sim_body, SimPartner};
use crate::api::{path_param, query_pairs};
use crate::domain::validate::parse_bool;
use crate::error::{json_response, ApiError, ApiResult};
use crate::ops::billing::{rebuild_view, view, ViewQuery};
use crate::ops::cards::{act, act_on_all, CardAction};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/billing", web::get().to(get_billing))
        .route("/billing/rebuild", web::post().to(rebuild_now))
        .route("/billing/bulk", web::post().to(bulk))
        .route("/billing/cards/{cardId}/{action}", web::post().to(card_action));
}

fn view_query(req: &HttpRequest) -> ViewQuery {
    let q = query_pairs(req);
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    ViewQuery {
        view: get("view"),
        group_by: get("groupBy"),
        search: get("search"),
        vendor_id: get("vendorId"),
        include_actioned: get("includeActioned").and_then(|v| parse_bool(&v)).unwrap_or(false),
    }
}

async fn get_billing(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let q = view_query(&req);
    let pending = state.ops.rebuild.is_pending(&partner.id);
    let clock = state.ops.clock_of(&partner.id);
    let v = state
        .ops
        .read_off_thread(move |c| view(c, &clock, &partner.id, &q, pending))
        .await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn rebuild_now(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let q = view_query(&req);
    state.ops.rebuild.cancel(&partner.id);
    let clock = state.ops.clock_of(&partner.id);
    let v = state
        .ops
        .write_off_thread(move |tx| rebuild_view(tx, &clock, &partner.id, &q))
        .await?;
    Ok(json_response(StatusCode::OK, &v))
}

fn action_fields(body: &Value) -> ApiResult<(Option<String>, Option<f64>)> {
    let effective = match body.get("effectiveDate") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => Some(s.clone()),
        Some(_) => return Err(ApiError::validation_one("effectiveDate must be a date as YYYY-MM-DD")),
    };
    let quantity = match body.get("quantity") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(_) => {
            return Err(ApiError::validation_one(
                "quantity must be a number conforming to the specified constraints",
            ))
        }
    };
    Ok((effective, quantity))
}

async fn card_action(
    state: web::Data<AppState>,
    req: HttpRequest,
    partner: SimPartner,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let card_id = path_param(&req, "cardId");
    let action_name = path_param(&req, "action");
    let action = CardAction::parse(&action_name).ok_or_else(|| ApiError::RouteNotFound {
        method: "POST".into(),
        path: req.path().to_string(),
    })?;
    let value = sim_body(&body)?;
    let (effective, quantity) = action_fields(&value)?;
    if action == CardAction::Adjust && effective.is_none() {
        return Err(ApiError::validation_one("effectiveDate should not be empty"));
    }
    let agreement = match value.get("agreementId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err(ApiError::validation_one("agreementId must be a non-empty string")),
    };
    let id = card_id.clone();
    let clock = state.ops.clock_of(&partner.id);
    let written = state
        .ops
        .write_off_thread(move |tx| act(tx, &clock, &partner.id, &id, action, effective, quantity, agreement))
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "cardId": card_id, "action": action_name, "status": "ok",
            "psaQuantity": written.as_ref().map(|w| w.0),
            "effectiveDate": written.map(|w| w.1),
        }),
    ))
}

async fn bulk(state: web::Data<AppState>, partner: SimPartner, body: web::Bytes) -> ApiResult<HttpResponse> {
    let value = sim_body(&body)?;
    let action = value
        .get("action")
        .and_then(Value::as_str)
        .and_then(CardAction::parse)
        .filter(|a| *a != CardAction::Adjust)
        .ok_or_else(|| ApiError::validation_one("action must be one of the following values: approve, dismiss"))?;
    let ids: Vec<String> = value
        .get("cardIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
        .filter(|v: &Vec<String>| !v.is_empty())
        .ok_or_else(|| ApiError::validation_one("cardIds should not be empty"))?;
    let (effective, _) = action_fields(&value)?;
    let count = ids.len();
    // All or nothing: one transaction for the whole selection.
    let clock = state.ops.clock_of(&partner.id);
    state
        .ops
        .write(move |tx| act_on_all(tx, &clock, &partner.id, &ids, action, effective))
        .await?;
    Ok(json_response(StatusCode::OK, &json!({"status": "ok", "count": count})))
}
