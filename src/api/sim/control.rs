//! The control plane for CI: time travel (`/sim/clock`, and a partner's own clock at
//! `/sim/partners/{id}/clock`), snapshots of the whole state (`/sim/snapshots`), and
//! partner-side events a vendor must survive (`/sim/psa/companies`).

use super::extract::{sim_body, SimPartner};
use crate::api::{path_param, query_value};
use crate::clock::{parse_time, Clock};
use crate::error::{json_response, ApiError, ApiResult};
use crate::gate::JournalEntry;
use crate::ops::control::{self, ClockMove};
use crate::ops::snapshots::{self, bad_file, FORMAT, FORMAT_VERSION};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

/// A snapshot of the default seed is tens of kilobytes; this leaves room for large seeds.
const IMPORT_LIMIT: usize = 64 * 1024 * 1024;
/// Far enough for any billing scenario, small enough that no date arithmetic overflows.
const MAX_ADVANCE_MS: i64 = 100 * 366 * 86_400_000;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/clock", web::get().to(get_clock))
        .route("/clock", web::post().to(move_clock))
        .route("/partners/{id}/clock", web::get().to(get_partner_clock))
        .route("/partners/{id}/clock", web::post().to(move_partner_clock))
        .route("/partners/{id}/clock", web::delete().to(release_partner_clock))
        .route("/snapshots", web::get().to(list_snapshots))
        .route("/snapshots", web::post().to(save_snapshot))
        .service(
            web::resource("/snapshots/import")
                .app_data(web::PayloadConfig::new(IMPORT_LIMIT))
                .route(web::post().to(import_snapshot)),
        )
        .route("/snapshots/{name}", web::delete().to(delete_snapshot))
        .route("/snapshots/{name}/restore", web::post().to(restore_snapshot))
        .route("/snapshots/{name}/export", web::get().to(export_snapshot))
        .route("/psa/companies/{id}", web::delete().to(remove_company));
}

fn clock_body(clock: &Clock) -> Value {
    let r = clock.reading();
    json!({"now": crate::domain::iso(r.now), "frozen": r.frozen})
}

async fn get_clock(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(json_response(StatusCode::OK, &clock_body(&state.ops.clock)))
}

/// `{"freeze": bool}`, `{"set": ISO}`, `{"advanceMs": n}`, or several at once: the whole body
/// is checked before the clock moves; a frozen clock then lands exactly on `set` plus `advanceMs`.
async fn move_clock(state: web::Data<AppState>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let m = clock_move(&body)?;
    control::move_clock(&state.ops.clock, m);
    Ok(json_response(StatusCode::OK, &clock_body(&state.ops.clock)))
}

/// A partner's clock as its partner-scoped work reads it; `own` is false while it follows
/// the global clock.
fn partner_clock_body(state: &AppState, partner_id: &str) -> Value {
    let own = state.ops.clocks.own(partner_id);
    let mut body = clock_body(&own.clone().unwrap_or_else(|| state.ops.clock.clone()));
    body["own"] = json!(own.is_some());
    body
}

async fn known_partner(state: &AppState, id: &str) -> ApiResult<()> {
    let checked = id.to_string();
    if state.ops.read(move |c| control::partner_exists(c, &checked)).await? {
        Ok(())
    } else {
        Err(super::extract::unknown(id))
    }
}

async fn get_partner_clock(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    known_partner(&state, &id).await?;
    Ok(json_response(StatusCode::OK, &partner_clock_body(&state, &id)))
}

/// The bodies of `/sim/clock`, for one partner's time only: the first move gives the partner
/// a clock of its own, starting from what the global clock reads.
async fn move_partner_clock(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let m = clock_move(&body)?;
    let id = path_param(&req, "id");
    known_partner(&state, &id).await?;
    control::move_clock(&state.ops.clocks.own_or_new(&id), m);
    Ok(json_response(StatusCode::OK, &partner_clock_body(&state, &id)))
}

/// The partner follows the global clock again.
async fn release_partner_clock(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    known_partner(&state, &id).await?;
    state.ops.clocks.release(&id);
    Ok(json_response(StatusCode::OK, &partner_clock_body(&state, &id)))
}

fn clock_move(body: &[u8]) -> ApiResult<ClockMove> {
    let value = sim_body(body)?;
    let obj = value
        .as_object()
        .ok_or_else(|| ApiError::validation_one("the body must be a JSON object"))?;
    let mut errors = vec![];
    for key in obj.keys() {
        if !["freeze", "set", "advanceMs"].contains(&key.as_str()) {
            errors.push(format!("property {key} should not exist"));
        }
    }
    let freeze = match obj.get("freeze") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            errors.push("freeze must be a boolean value".into());
            None
        }
    };
    let set = match obj.get("set") {
        None => None,
        Some(v) => match v.as_str().and_then(parse_time) {
            Some(t) => Some(t),
            None => {
                errors.push(
                    "set must be a valid ISO 8601 date string with an offset, e.g. 2027-01-31T12:00:00.000Z".into(),
                );
                None
            }
        },
    };
    let advance = match obj.get("advanceMs") {
        None => None,
        Some(v) => match v.as_i64() {
            Some(n) if n < 0 => {
                errors.push("advanceMs must not be less than 0".into());
                None
            }
            Some(n) if n > MAX_ADVANCE_MS => {
                errors.push(format!("advanceMs must not be greater than {MAX_ADVANCE_MS}"));
                None
            }
            Some(n) => Some(n),
            None => {
                errors.push("advanceMs must be an integer number".into());
                None
            }
        },
    };
    if errors.is_empty() && freeze.is_none() && set.is_none() && advance.is_none() {
        errors.push("one of freeze, set or advanceMs is required".into());
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(ClockMove {
        freeze,
        set,
        advance_ms: advance,
    })
}

fn check_name(name: &str) -> ApiResult<()> {
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiError::validation_one(
            "name must be 1 to 64 letters, digits, '.', '_' or '-'",
        ))
    }
}

async fn list_snapshots(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(json_response(
        StatusCode::OK,
        &json!({"snapshots": state.snapshots.list()}),
    ))
}

async fn save_snapshot(state: web::Data<AppState>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let value = sim_body(&body)?;
    let name = match value.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(ApiError::validation_one("name must be a string")),
    };
    check_name(&name)?;
    let out = state.snapshots.save(&state.ops, &state.gate, name).await?;
    Ok(json_response(StatusCode::CREATED, &out))
}

async fn restore_snapshot(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = path_param(&req, "name");
    let what = format!("the restore of snapshot {name:?}");
    state.scenario.interrupt(super::scenarios::run_id(&req), what).await;
    let out = state.snapshots.restore(&state.ops, &state.gate, &name).await?;
    Ok(json_response(StatusCode::OK, &out))
}

async fn delete_snapshot(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = path_param(&req, "name");
    state.snapshots.delete(&name)?;
    Ok(json_response(StatusCode::OK, &json!({"status": "ok"})))
}

async fn export_snapshot(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = path_param(&req, "name");
    let doc = state.snapshots.saved(&name)?;
    let text = serde_json::to_string_pretty(&*doc).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, crate::error::JSON_CONTENT_TYPE))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.snapshot.json\""),
        ))
        .body(text))
}

/// A file from `export`, saved under its own name or `?name=`; its shape is checked here, its
/// tables against this build's schema before it is kept, so a bad file is refused here and not
/// at restore.
async fn import_snapshot(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let mut doc: Value = serde_json::from_slice(&body).map_err(|e| bad_file(format!("not JSON ({e})")))?;
    if doc["format"] != json!(FORMAT) {
        return Err(bad_file(format!("format must be {FORMAT:?}")));
    }
    if doc["version"] != json!(FORMAT_VERSION) {
        return Err(bad_file(format!("version must be {FORMAT_VERSION}")));
    }
    snapshots::upgrade(&mut doc)?;
    if doc["schemaVersion"] != json!(crate::store::SCHEMA_VERSION) {
        return Err(bad_file(format!(
            "schemaVersion {} does not match this simulator's {}",
            doc["schemaVersion"],
            crate::store::SCHEMA_VERSION
        )));
    }
    let name = match query_value(&req, "name").filter(|n| !n.is_empty()) {
        Some(n) => n,
        None => doc["name"]
            .as_str()
            .map(String::from)
            .ok_or_else(|| bad_file("name must be a string"))?,
    };
    check_name(&name)?;
    doc["name"] = json!(name);
    if !doc["createdAt"].is_string() {
        return Err(bad_file("createdAt must be a string"));
    }
    if !doc["pendingRebuild"].is_boolean() {
        doc["pendingRebuild"] = json!(false);
    }
    match doc.get("journal") {
        None | Some(Value::Null) => doc["journal"] = json!([]),
        Some(j) => {
            serde_json::from_value::<Vec<JournalEntry>>(j.clone()).map_err(|e| bad_file(format!("journal: {e}")))?;
        }
    }
    let out = state.snapshots.import(&state.ops, &name, doc).await?;
    Ok(json_response(StatusCode::CREATED, &out))
}

/// The PSA loses a company (see `ops::control::remove_psa_company`).
async fn remove_company(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.ops.clock_of(&partner.id);
    let p = partner.id.clone();
    let removed = state
        .ops
        .write_rebuilding(&partner.id, move |tx| control::remove_psa_company(tx, &clock, &p, &id))
        .await?;
    let unmapped: Vec<Value> = removed
        .unmapped
        .iter()
        .map(|(i, a)| json!({"integrationId": i, "accountId": a}))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "company": removed.company,
            "agreements": removed.agreements,
            "lines": removed.lines,
            "unmappedAccounts": unmapped,
        }),
    ))
}
