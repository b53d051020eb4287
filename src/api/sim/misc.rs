//! The simulator itself: health, info, reset, the simulated PSA, tickets, alerts, journal.

use super::integrations::sim_body;
use super::partners::SimPartner;
use crate::api::query_pairs;
use crate::domain::ids::GradientToken;
use crate::error::{json_response, ApiError, ApiResult};
use crate::journal::JournalFilter;
use crate::ops::billing::rebuild_all;
use crate::state::AppState;
use crate::store::{alerts, integrations, psa, seed, vendors};
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
        .route("/journal", web::get().to(journal));
}

async fn health(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    state
        .read(|c| Ok(c.query_row("SELECT COUNT(*) FROM partner", [], |r| r.get::<_, i64>(0))?))
        .await?;
    if state.store.disk_full() {
        // Reads still work, writes do not: not healthy, and saying why.
        return Ok(json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({"status": "disk_full", "message": "The database's disk is full: every write fails until space is freed."}),
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
    let (partner, vendor_list, kickoff_live) = state
        .read(move |c| {
            let selected = psa::partner(c, &partner.id)?;
            let vendors: Vec<_> = vendors::list(c)?
                .into_iter()
                .map(|v| json!({"id": v.id, "name": v.name}))
                .collect();
            // The kickoff keys are the seeded partner's: another partner's console shows none.
            let live = integrations::get(c, &integration_id)?
                .is_some_and(|i| i.partner_key_plain.is_some() && i.partner_id == partner.id);
            let partner = selected;
            Ok((partner, vendors, live))
        })
        .await?;
    let demo_keys = match (&keys.partner_api_key, kickoff_live) {
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
            "partner": partner,
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
async fn reset(state: web::Data<AppState>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let value = sim_body(&body)?;
    let chosen = match value.get("seed") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => {
            let name = v.as_str().filter(|n| seed::embedded(n).is_some()).ok_or_else(|| {
                ApiError::validation_one(format!(
                    "seed must be one of the following values: {}",
                    seed::embedded_names().join(", ")
                ))
            })?;
            let mut s = seed::Seed::parse(seed::embedded(name).expect("checked")).map_err(ApiError::Internal)?;
            s.name = name.to_string();
            Some(s)
        }
    };
    let seed = chosen.clone().unwrap_or_else(|| state.seed.read().clone());
    reset_to(&state, seed).await?;
    if let Some(s) = chosen {
        *state.seed.write() = s;
    }
    let name = state.seed.read().name.clone();
    Ok(json_response(StatusCode::OK, &json!({"status": "ok", "seed": name})))
}

/// Writes `seed` over everything in one transaction and clears what lives in memory.
pub async fn reset_to(state: &AppState, seed: seed::Seed) -> ApiResult<()> {
    state.rebuild.cancel_all();
    let clock = state.clock.clone();
    state
        .write_off_thread(move |tx| {
            seed::apply(tx, &seed, &clock.now_iso())?;
            rebuild_all(tx, &clock)
        })
        .await?;
    state.journal.clear();
    state.faults.clear();
    state.limiter.clear();
    Ok(())
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
    let dump = state.read_off_thread(move |c| Ok(psa::dump(c, &partner.id)?)).await?;
    Ok(json_response(StatusCode::OK, &dump))
}

async fn tickets(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let p = partner.id;
    let (boards, tickets) = state
        .read(move |c| Ok((psa::boards(c, &p)?, psa::tickets(c, &p)?)))
        .await?;
    let out: Vec<_> = boards
        .into_iter()
        .map(|b| {
            let mine: Vec<_> = tickets.iter().filter(|t| t.board_id == b.id).collect();
            json!({"id": b.id, "name": b.name, "isDefault": b.is_default, "tickets": mine})
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({"boards": out})))
}

async fn list_alerts(state: web::Data<AppState>, partner: SimPartner) -> ApiResult<HttpResponse> {
    let list = state.read(move |c| Ok(alerts::list(c, &partner.id)?)).await?;
    Ok(json_response(StatusCode::OK, &list))
}

async fn journal(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let q = query_pairs(&req);
    let get = |k: &str| {
        q.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let filter = JournalFilter {
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
    let (matching, entries) = state.journal.query(&filter);
    Ok(json_response(
        StatusCode::OK,
        &json!({"total": state.journal.len(), "matching": matching, "capacity": state.config.journal_size, "bytes": state.journal.bytes(), "maxBytes": state.config.journal_bytes, "entries": entries}),
    ))
}
