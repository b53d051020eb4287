//! The simulator itself: health, info, reset, the simulated PSA, tickets, alerts, journal.

use super::extract::{sim_body, SimPartner};
use crate::api::query_pairs;
use crate::domain::ids::GradientToken;
use crate::error::{json_response, ApiError, ApiResult};
use crate::gate::JournalFilter;
use crate::ops::control;
use crate::state::AppState;
use crate::store::{alerts, psa, seed};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/info", web::get().to(info))
        .route("/reset", web::post().to(reset))
        .route("/seeds", web::get().to(seeds))
        .route("/psa", web::get().to(get_psa))
        .route("/tickets", web::get().to(tickets))
        .route("/alerts", web::get().to(list_alerts))
        .route("/journal", web::get().to(journal))
        .route("/parity", web::get().to(parity));
}

async fn health(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state.ops.read(|c| Ok(crate::store::ping(c)?)).await?;
    // Reads may still work while writes do not: not healthy, and saying why.
    if let Some((kind, message)) = state.ops.store.storage_failure() {
        use crate::store::StorageKind;
        let (status, message) = match kind {
            StorageKind::DiskFull => (
                "disk_full",
                "The database's disk is full: every write fails until space is freed.".to_string(),
            ),
            StorageKind::Gone => ("database_deleted", message),
            StorageKind::ReadOnly | StorageKind::Io => ("storage_error", message),
        };
        return Ok(json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": status, "message": message}),
        ));
    }
    Ok(json_response(StatusCode::OK, &json!({"status": "ok"})))
}

async fn info(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let (keys, seed_name) = {
        let seed = state.seed.read();
        (seed.demo_keys(), seed.name.clone())
    };
    let integration_id = keys.integration_id.clone();
    let clock = state.ops.clock_of(&partner.id);
    let seen = state
        .ops
        .read(move |c| control::overview(c, &clock, &partner.id, &integration_id))
        .await?;
    let vendor_list: Vec<_> = seen
        .vendors
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect();
    let demo_keys = match (&keys.partner_api_key, seen.kickoff_live) {
        (Some(pk), true) => json!({
            "vendorApiKey": keys.vendor_api_key,
            "partnerApiKey": pk,
            "gradientToken": GradientToken::encode(&keys.vendor_api_key, pk),
            "integrationId": keys.integration_id,
        }),
        _ => json!(null),
    };
    let cfg = &state.config;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "version": env!("CARGO_PKG_VERSION"),
            "partner": seen.partner,
            "psa": seen.psa,
            "vendors": vendor_list,
            "vendorApiKey": keys.vendor_api_key,
            "demoKeys": demo_keys,
            "seed": seed_name,
            "config": {
                "rateLimit": cfg.rate_limit,
                "rebuildDebounceMs": cfg.rebuild_debounce_ms,
                "alertDelayMs": cfg.alert_delay_ms,
                "strictTypes": cfg.strict_types,
                "allowVendorOnlyToken": cfg.allow_vendor_only_token,
                "journalSize": cfg.journal_size,
            },
        }),
    ))
}

/// Back to the seed in one transaction (a failure leaves everything as it was); journal cleared.
/// `{"seed": NAME}` switches to another embedded seed first (only embedded ones: the control
/// API reads no files).
async fn reset(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let value = sim_body(&body)?;
    let chosen = match value.get("seed") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => {
            let (name, text) = v.as_str().and_then(|n| Some((n, seed::embedded(n)?))).ok_or_else(|| {
                ApiError::validation_one(format!(
                    "seed must be one of the following values: {}",
                    seed::embedded_names().join(", ")
                ))
            })?;
            let mut s = seed::Seed::parse(text).map_err(ApiError::Internal)?;
            s.name = name.to_string();
            Some(s)
        }
    };
    state
        .scenario
        .interrupt(super::scenarios::run_id(&req), "a reset (POST /sim/reset)")
        .await;
    let name = control::reset(&state.ops, &state.gate, &state.seed, chosen).await?;
    Ok(json_response(StatusCode::OK, &json!({"status": "ok", "seed": name})))
}

/// The embedded seeds, for the console's RESET choice.
async fn seeds(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let current = state.seed.read().name.clone();
    let list: Vec<_> = seed::EMBEDDED
        .iter()
        .filter_map(|(name, text)| {
            let s = seed::Seed::parse(text).ok()?;
            Some(json!({"name": name, "partner": s.partner.name, "psa": s.partner.psa, "current": *name == current}))
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!(list)))
}

async fn get_psa(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let dump = state
        .ops
        .read_off_thread(move |c| Ok(psa::dump(c, &partner.id)?))
        .await?;
    Ok(json_response(StatusCode::OK, &dump))
}

async fn tickets(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let boards = state.ops.read(move |c| control::ticket_boards(c, &partner.id)).await?;
    Ok(json_response(StatusCode::OK, &json!({"boards": boards})))
}

async fn list_alerts(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let list = state.ops.read(move |c| Ok(alerts::list(c, &partner.id)?)).await?;
    Ok(json_response(StatusCode::OK, &list))
}

async fn journal(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let get = |k: &str| {
        q.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    // A request that names a partner sees that partner's calls; one that names none, every call.
    let integration_ids = match partner.named {
        true => Some(
            state
                .ops
                .read(move |c| control::integration_ids(c, &partner.id))
                .await?,
        ),
        false => None,
    };
    let filter = JournalFilter {
        integration_ids,
        route: get("route"),
        method: get("method"),
        status: match get("status") {
            Some(s) => Some(
                s.parse()
                    .map_err(|_| ApiError::validation_one("status must be an HTTP status code"))?,
            ),
            None => None,
        },
        integration_id: get("integrationId"),
        since: get("since"),
        lint: get("lint").and_then(|v| crate::domain::validate::parse_bool(&v)),
        limit: match get("limit") {
            Some(s) => Some(
                s.parse()
                    .map_err(|_| ApiError::validation_one("limit must be a positive integer"))?,
            ),
            None => None,
        },
    };
    match get("format").as_deref() {
        None | Some("json") => {}
        Some("har") => {
            // The URLs as this client reached the simulator, so a replay matches them.
            let info = req.connection_info();
            let base = format!("{}://{}", info.scheme(), info.host());
            let har = crate::gate::har::document(&state.gate.journal.matching(&filter), &base);
            let mut res = json_response(StatusCode::OK, &har);
            res.headers_mut().insert(
                actix_web::http::header::CONTENT_DISPOSITION,
                actix_web::http::header::HeaderValue::from_static(
                    "attachment; filename=\"synthesize-sim-journal.har\"",
                ),
            );
            return Ok(res);
        }
        Some(other) => {
            return Err(ApiError::validation_one(format!(
                "format must be one of the following values: json, har (got {other:?})"
            )))
        }
    }
    let (matching, entries) = state.gate.journal.query(&filter);
    Ok(json_response(
        StatusCode::OK,
        &json!({"total": state.gate.journal.len(), "matching": matching, "capacity": state.config.journal_size, "bytes": state.gate.journal.bytes(), "maxBytes": state.config.journal_bytes, "entries": entries}),
    ))
}

/// Shadow mode's comparison so far (`--shadow`): counts, the differing calls, and what the
/// calls showed of the guessed rules.
async fn parity(state: web::Data<AppState>) -> HttpResponse {
    let report = match state.shadow.get() {
        Some(shadow) => shadow.report(),
        None => crate::shadow::report_off(),
    };
    json_response(actix_web::http::StatusCode::OK, &report)
}
