//! CSV usage import: `POST /sim/usage/csv` takes a file (as JSON: the control API takes only
//! JSON from browsers), checks every row, and replaces the previous import; `GET` shows the
//! current import, `DELETE` removes it. Each change rebuilds the billing view, as production's
//! "Save Profile and Import" ends on the updated cards.

use super::extract::{sim_body, SimPartner};
use crate::domain::csv_usage::MAX_BYTES;
use crate::error::{json_response, ApiError, ApiResult};
use crate::ops::csv_usage::{self, CsvImport};
use crate::state::AppState;
use crate::store::usage;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/usage/csv")
            // Room for a 5 MB file, JSON-escaped.
            .app_data(web::PayloadConfig::new(2 * MAX_BYTES))
            .route(web::get().to(get_import))
            .route(web::post().to(import))
            .route(web::delete().to(remove)),
    );
}

async fn get_import(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let out = state.ops.read(move |c| Ok(usage::csv_import(c, &partner.id)?)).await?;
    Ok(json_response(StatusCode::OK, &out))
}

async fn import(state: web::Data<AppState>, partner: SimPartner, body: web::Bytes) -> ApiResult<HttpResponse> {
    let value = sim_body(&body)?;
    let text = value
        .get("csv")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::validation_one("csv must be a string"))?
        .to_string();
    let file_name = match value.get("fileName") {
        None | Some(Value::Null) => "usage.csv".to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().chars().take(200).collect(),
        Some(_) => return Err(ApiError::validation_one("fileName must be a non-empty string")),
    };
    let aggregate = match value.get("aggregate") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::validation_one("aggregate must be a boolean value")),
    };
    let clock = state.ops.clock_of(&partner.id);
    let file = CsvImport {
        text,
        file_name,
        aggregate,
    };
    let p = partner.id.clone();
    let out = state
        .ops
        .write_rebuilding(&partner.id, move |tx| csv_usage::import(tx, &clock, &p, file))
        .await?;
    Ok(json_response(StatusCode::OK, &out))
}

async fn remove(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let clock = state.ops.clock_of(&partner.id);
    let p = partner.id.clone();
    let removed = state
        .ops
        .write_rebuilding(&partner.id, move |tx| csv_usage::remove(tx, &clock, &p))
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"status": "ok", "removed": removed}),
    ))
}
