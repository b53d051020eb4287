//! The control plane for CI: time travel (`/sim/clock`), snapshots of the whole state
//! (`/sim/snapshots`), and partner-side events a vendor must survive (`/sim/psa/companies`).

use super::integrations::sim_body;
use super::partners::SimPartner;
use crate::api::{path_param, query_value};
use crate::clock::parse_time;
use crate::domain::event::{Event, UnmapReason};
use crate::error::{json_response, ApiError, ApiResult};
use crate::journal::JournalEntry;
use crate::ops::billing::rebuild;
use crate::state::AppState;
use crate::store::{events, integrations, partners, psa, snapshot};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::sync::Arc;

/// What an exported snapshot file says it is.
const FORMAT: &str = "synthesize-sim-snapshot";
const FORMAT_VERSION: u64 = 1;
/// A snapshot of the default seed is tens of kilobytes; this leaves room for large seeds.
const IMPORT_LIMIT: usize = 64 * 1024 * 1024;
/// Snapshots are kept in memory; a bound keeps a runaway test from eating it all.
pub const MAX_SNAPSHOTS: usize = 100;
/// Far enough for any billing scenario, small enough that no date arithmetic overflows.
const MAX_ADVANCE_MS: i64 = 100 * 366 * 86_400_000;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/clock", web::get().to(get_clock))
        .route("/clock", web::post().to(move_clock))
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

fn clock_body(state: &AppState) -> Value {
    let r = state.clock.reading();
    json!({"now": crate::domain::iso(r.now), "frozen": r.frozen})
}

async fn get_clock(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    Ok(json_response(StatusCode::OK, &clock_body(&state)))
}

/// `{"freeze": bool}`, `{"set": ISO}`, `{"advanceMs": n}`, or several at once: the whole body
/// is checked before the clock moves; a frozen clock then lands exactly on `set` plus `advanceMs`.
async fn move_clock(state: web::Data<AppState>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let value = sim_body(&body)?;
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
    // Freezing first and thawing last, so that a frozen clock lands exactly on `set`.
    if freeze == Some(true) {
        state.clock.freeze();
    }
    if let Some(t) = set {
        state.clock.set(t);
    }
    if let Some(ms) = advance {
        state.clock.advance(ms);
    }
    if freeze == Some(false) {
        state.clock.unfreeze();
    }
    // The alert queue and the rebuild debounce wait on the clock and wake by themselves.
    Ok(json_response(StatusCode::OK, &clock_body(&state)))
}

/// One saved state: the export file's document, kept as is.
pub type Snapshot = Arc<Value>;

fn summary(doc: &Value) -> Value {
    json!({
        "name": doc["name"],
        "createdAt": doc["createdAt"],
        "rows": snapshot::row_count(&doc["tables"]),
        "journalEntries": doc["journal"].as_array().map_or(0, Vec::len),
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

fn not_found(name: &str) -> ApiError {
    ApiError::NotFound(format!("No snapshot found with name: {name}"))
}

fn saved(state: &AppState, name: &str) -> ApiResult<Snapshot> {
    state.snapshots.lock().get(name).cloned().ok_or_else(|| not_found(name))
}

/// Adds a snapshot under its name, refusing a taken name or one too many.
fn keep(state: &AppState, name: &str, doc: Value) -> ApiResult<Value> {
    let mut all = state.snapshots.lock();
    if all.contains_key(name) {
        return Err(ApiError::Conflict(format!(
            "A snapshot named {name} already exists: delete it first"
        )));
    }
    if all.len() >= MAX_SNAPSHOTS {
        return Err(ApiError::Conflict(format!(
            "At most {MAX_SNAPSHOTS} snapshots are kept: delete one first"
        )));
    }
    let out = summary(&doc);
    all.insert(name.to_string(), Arc::new(doc));
    Ok(out)
}

async fn list_snapshots(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let list: Vec<Value> = state.snapshots.lock().values().map(|d| summary(d)).collect();
    Ok(json_response(StatusCode::OK, &json!({"snapshots": list})))
}

async fn save_snapshot(state: web::Data<AppState>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let value = sim_body(&body)?;
    let name = match value.get("name") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(ApiError::validation_one("name must be a string")),
    };
    check_name(&name)?;
    if state.snapshots.lock().contains_key(&name) {
        return Err(ApiError::Conflict(format!(
            "A snapshot named {name} already exists: delete it first"
        )));
    }
    // Read inside a write transaction: no other write can land between the tables.
    let tables = state.write(|tx| Ok(snapshot::dump(tx)?)).await?;
    let doc = json!({
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "schemaVersion": crate::store::SCHEMA_VERSION,
        "name": name,
        "createdAt": state.clock.now_iso(),
        "pendingRebuild": !state.rebuild.pending().is_empty(),
        "pendingRebuilds": state.rebuild.pending(),
        "tables": tables,
        "journal": state.journal.entries(),
    });
    let out = keep(&state, &name, doc)?;
    Ok(json_response(StatusCode::CREATED, &out))
}

/// Puts a snapshot back: the tables in one transaction (all or nothing), then the journal.
/// Fault rules stay as the test set them; rate-limit windows start afresh; a rebuild that was
/// pending when the snapshot was taken is requested again, and one pending now is dropped.
async fn restore_snapshot(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = path_param(&req, "name");
    let doc = saved(&state, &name)?;
    let journal: Vec<JournalEntry> = serde_json::from_value(doc["journal"].clone()).map_err(ApiError::internal)?;
    let d = doc.clone();
    state
        .write(move |tx| {
            snapshot::check(tx, &d["tables"]).map_err(ApiError::internal)?;
            Ok(snapshot::load(tx, &d["tables"])?)
        })
        .await?;
    state.rebuild.cancel_all();
    state.journal.replace(journal);
    state.limiter.clear();
    // The partners whose rebuild was pending; a file from before partners names none, and
    // then its one partner is meant.
    let pending: Vec<String> = match doc["pendingRebuilds"].as_array() {
        Some(ids) => ids.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
        None if doc["pendingRebuild"] == json!(true) => state
            .read(|c| Ok(partners::default_id(c)?))
            .await?
            .into_iter()
            .collect(),
        None => vec![],
    };
    for p in pending {
        state.rebuild.request(&p);
    }
    state.alerts_wakeup.notify_one();
    Ok(json_response(StatusCode::OK, &summary(&doc)))
}

async fn delete_snapshot(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = path_param(&req, "name");
    state.snapshots.lock().remove(&name).ok_or_else(|| not_found(&name))?;
    Ok(json_response(StatusCode::OK, &json!({"status": "ok"})))
}

async fn export_snapshot(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = path_param(&req, "name");
    let doc = saved(&state, &name)?;
    let text = serde_json::to_string_pretty(&*doc).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, crate::error::JSON_CONTENT_TYPE))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.snapshot.json\""),
        ))
        .body(text))
}

/// A file from `export`, saved under its own name or `?name=`; checked whole against this
/// build's schema before it is kept, so a bad file is refused here and not at restore.
async fn import_snapshot(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> ApiResult<HttpResponse> {
    let bad = |m: String| ApiError::validation_one(format!("snapshot file: {m}"));
    let mut doc: Value = serde_json::from_slice(&body).map_err(|e| bad(format!("not JSON ({e})")))?;
    if doc["format"] != json!(FORMAT) {
        return Err(bad(format!("format must be {FORMAT:?}")));
    }
    if doc["version"] != json!(FORMAT_VERSION) {
        return Err(bad(format!("version must be {FORMAT_VERSION}")));
    }
    // A file from before isolated partners: its rows become its one partner's.
    if doc["schemaVersion"] == json!("1") {
        snapshot::upgrade_v1(&mut doc["tables"]).map_err(bad)?;
        doc["schemaVersion"] = json!(crate::store::SCHEMA_VERSION);
    }
    if doc["schemaVersion"] != json!(crate::store::SCHEMA_VERSION) {
        return Err(bad(format!(
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
            .ok_or_else(|| bad("name must be a string".into()))?,
    };
    check_name(&name)?;
    doc["name"] = json!(name);
    if !doc["createdAt"].is_string() {
        return Err(bad("createdAt must be a string".into()));
    }
    if !doc["pendingRebuild"].is_boolean() {
        doc["pendingRebuild"] = json!(false);
    }
    match doc.get("journal") {
        None | Some(Value::Null) => doc["journal"] = json!([]),
        Some(j) => {
            serde_json::from_value::<Vec<JournalEntry>>(j.clone()).map_err(|e| bad(format!("journal: {e}")))?;
        }
    }
    // Checked against the schema, then loaded in a transaction that is always rolled back:
    // a row that breaks a constraint is found now.
    let tables = doc["tables"].clone();
    let store = state.store.clone();
    let probe = web::block(move || {
        store.write(|tx| -> Result<(), Probe> {
            snapshot::check(tx, &tables).map_err(|m| Probe(Err(m)))?;
            snapshot::load(tx, &tables)?;
            // Always rolled back: the import only keeps the file.
            Err(Probe(Ok(())))
        })
    })
    .await?;
    if let Err(Probe(Err(m))) = probe {
        return Err(bad(m));
    }
    let out = keep(&state, &name, doc)?;
    Ok(json_response(StatusCode::CREATED, &out))
}

/// The outcome of a trial load that is always rolled back.
struct Probe(Result<(), String>);

impl From<rusqlite::Error> for Probe {
    fn from(e: rusqlite::Error) -> Self {
        Probe(Err(e.to_string()))
    }
}

impl crate::store::StorageFailure for Probe {
    fn is_disk_full(&self) -> bool {
        false
    }
}

/// The PSA loses a company (deleted in ConnectWise): Get Clients stops listing it, its cards
/// go with its agreements, and every account mapped to it is unmapped, so the vendor's next
/// count for such an account is the 404 an unmapped account gets.
async fn remove_company(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let clock = state.clock.clone();
    state.rebuild.cancel(&partner.id);
    let removed = state
        .write(move |tx| {
            let removed = psa::remove_company(tx, &partner.id, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("No PSA company found with id: {id}")))?;
            let now = clock.now_iso();
            for (integration_id, account_id) in &removed.unmapped {
                let cycle = integrations::get(tx, integration_id)?.map_or(0, |i| i.cycle);
                events::record(
                    tx,
                    Some(integration_id),
                    cycle,
                    &now,
                    &Event::AccountUnmapped {
                        account_id: account_id.clone(),
                        reason: Some(UnmapReason::PsaCompanyRemoved),
                        psa_account_id: Some(id.clone()),
                    },
                )?;
            }
            events::record_for_partner(
                tx,
                &partner.id,
                &now,
                &Event::PsaCompanyRemoved {
                    psa_account_id: id.clone(),
                    name: removed.company.name.clone(),
                },
            )?;
            rebuild(tx, &clock, &partner.id)?;
            Ok(removed)
        })
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
