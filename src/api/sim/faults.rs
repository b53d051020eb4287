//! Fault injection rules for the vendor API: `POST /sim/faults` adds one, `GET` lists them with
//! their hits, `DELETE /sim/faults/{id}` removes one, `DELETE /sim/faults` removes all.

use super::extract::sim_body;
use crate::api::path_param;
use crate::error::{json_response, ApiError, ApiResult};
use crate::gate::faults::NewRule;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/faults", web::get().to(list))
        .route("/faults", web::post().to(add))
        .route("/faults", web::delete().to(clear))
        .route("/faults/{id}", web::delete().to(remove));
}

async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(json_response(StatusCode::OK, &state.gate.faults.list()))
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

async fn add(state: web::Data<AppState>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let v = sim_body(&body)?;
    let mut errors = vec![];
    let route = match field(&v, "route") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => {
            errors.push("route should not be empty".to_string());
            String::new()
        }
    };
    let text = |key: &str, errors: &mut Vec<String>| match field(&v, key) {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(format!("{key} must be a string"));
            None
        }
    };
    let method = text("method", &mut errors);
    let message = text("message", &mut errors);
    let uint = |key: &str, errors: &mut Vec<String>| match field(&v, key) {
        None => None,
        Some(n) => match n.as_u64() {
            Some(n) => Some(n),
            None => {
                errors.push(format!("{key} must be a non-negative integer"));
                None
            }
        },
    };
    let status = uint("status", &mut errors).map(|s| s.min(u16::MAX as u64) as u16);
    let delay_ms = uint("delayMs", &mut errors).unwrap_or(0);
    let times = uint("times", &mut errors);
    let probability = match field(&v, "probability") {
        None => 1.0,
        Some(p) => p.as_f64().unwrap_or_else(|| {
            errors.push("probability must be a number".into());
            1.0
        }),
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let rule = state
        .gate
        .faults
        .add(NewRule {
            route,
            method,
            status,
            message,
            delay_ms,
            probability,
            times,
        })
        .map_err(ApiError::Validation)?;
    Ok(json_response(StatusCode::CREATED, &rule))
}

async fn remove(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let raw = path_param(&req, "id");
    let id: u64 = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("No fault found with id: {raw}")))?;
    if !state.gate.faults.remove(id) {
        return Err(ApiError::NotFound(format!("No fault found with id: {id}")));
    }
    Ok(json_response(StatusCode::OK, &json!({"status": "ok"})))
}

async fn clear(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.gate.faults.clear();
    Ok(json_response(StatusCode::OK, &json!({"status": "ok"})))
}
