//! Snapshots of the whole state (`/sim/snapshots`): the tables and the journal, kept in memory
//! by name, put back all or nothing, exported to and imported from a file.

use crate::error::{ApiError, ApiResult};
use crate::gate::{Gate, JournalEntry};
use crate::ops::Ops;
use crate::store::{partners, snapshot};
use actix_web::web;
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What an exported snapshot file says it is.
pub const FORMAT: &str = "synthesize-sim-snapshot";
pub const FORMAT_VERSION: u64 = 1;
/// Snapshots are kept in memory; a bound keeps a runaway test from eating it all.
pub const MAX_SNAPSHOTS: usize = 100;

/// One saved state: the export file's document, kept as is.
pub type Snapshot = Arc<Value>;

/// The saved states by name, kept in memory; export writes one to a file.
#[derive(Default)]
pub struct Snapshots(Mutex<BTreeMap<String, Snapshot>>);

/// A snapshot as the list shows it.
pub fn summary(doc: &Value) -> Value {
    json!({
        "name": doc["name"],
        "createdAt": doc["createdAt"],
        "rows": snapshot::row_count(&doc["tables"]),
        "journalEntries": doc["journal"].as_array().map_or(0, Vec::len),
    })
}

fn not_found(name: &str) -> ApiError {
    ApiError::NotFound(format!("No snapshot found with name: {name}"))
}

fn taken(name: &str) -> ApiError {
    ApiError::Conflict(format!("A snapshot named {name} already exists: delete it first"))
}

impl Snapshots {
    /// The snapshot saved under `name`.
    pub fn saved(&self, name: &str) -> ApiResult<Snapshot> {
        self.0.lock().get(name).cloned().ok_or_else(|| not_found(name))
    }

    pub fn list(&self) -> Vec<Value> {
        self.0.lock().values().map(|d| summary(d)).collect()
    }

    /// Adds a snapshot under its name, refusing a taken name or one too many.
    fn keep(&self, name: &str, doc: Value) -> ApiResult<Value> {
        let mut all = self.0.lock();
        if all.contains_key(name) {
            return Err(taken(name));
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

    /// Saves the state as it is now under `name` (already checked); answers its summary.
    pub async fn save(&self, ops: &Ops, gate: &Gate, name: String) -> ApiResult<Value> {
        if self.0.lock().contains_key(&name) {
            return Err(taken(&name));
        }
        // Read inside a write transaction: no other write can land between the tables.
        let tables = ops.write(|tx| Ok(snapshot::dump(tx)?)).await?;
        let doc = json!({
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "schemaVersion": crate::store::SCHEMA_VERSION,
            "name": name,
            "createdAt": ops.clock.now_iso(),
            "pendingRebuild": !ops.rebuild.pending().is_empty(),
            "pendingRebuilds": ops.rebuild.pending(),
            "tables": tables,
            "journal": gate.journal.entries(),
        });
        self.keep(&name, doc)
    }

    /// Puts a snapshot back: the tables in one transaction (all or nothing), then the journal.
    /// Fault rules stay as the test set them; rate-limit windows start afresh; a rebuild that was
    /// pending when the snapshot was taken is requested again, and one pending now is dropped.
    pub async fn restore(&self, ops: &Ops, gate: &Gate, name: &str) -> ApiResult<Value> {
        let doc = self.saved(name)?;
        let journal: Vec<JournalEntry> = serde_json::from_value(doc["journal"].clone()).map_err(ApiError::internal)?;
        let d = doc.clone();
        ops.write(move |tx| {
            snapshot::check(tx, &d["tables"]).map_err(ApiError::internal)?;
            Ok(snapshot::load(tx, &d["tables"])?)
        })
        .await?;
        ops.rebuild.cancel_all();
        gate.journal.replace(journal);
        gate.limiter.clear();
        // The partners whose rebuild was pending; a file from before partners names none, and
        // then its one partner is meant.
        let pending: Vec<String> = match doc["pendingRebuilds"].as_array() {
            Some(ids) => ids.iter().filter_map(|v| v.as_str().map(String::from)).collect(),
            None if doc["pendingRebuild"] == json!(true) => {
                ops.read(|c| Ok(partners::default_id(c)?)).await?.into_iter().collect()
            }
            None => vec![],
        };
        for p in pending {
            ops.rebuild.request(&p);
        }
        ops.alerts_wakeup.notify_one();
        Ok(summary(&doc))
    }

    pub fn delete(&self, name: &str) -> ApiResult<()> {
        self.0.lock().remove(name).ok_or_else(|| not_found(name))?;
        Ok(())
    }

    /// Keeps an imported file's document (its shape already checked) under `name`, once its
    /// tables are known to load into this build's schema: they are loaded in a transaction that
    /// is always rolled back, so a row that breaks a constraint is refused now and not at restore.
    pub async fn import(&self, ops: &Ops, name: &str, doc: Value) -> ApiResult<Value> {
        let tables = doc["tables"].clone();
        let store = ops.store.clone();
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
            return Err(bad_file(m));
        }
        self.keep(name, doc)
    }
}

/// A file of an older schema as this build writes it, one step at a time: schema 1 (from
/// before isolated partners) gives its rows to its one partner; schema 2 loses a column nothing
/// read; schema 3 (before sync runs) gets empty run tables. A file of any other schema is left
/// for the caller to refuse.
pub fn upgrade(doc: &mut Value) -> ApiResult<()> {
    type Step = fn(&mut Value) -> Result<(), String>;
    let steps: [(&str, Step, &str); 3] = [
        ("1", snapshot::upgrade_v1, "2"),
        ("2", snapshot::upgrade_v2, "3"),
        ("3", snapshot::upgrade_to_runs, "4"),
    ];
    for (from, step, to) in steps {
        if doc["schemaVersion"] == json!(from) {
            step(&mut doc["tables"]).map_err(bad_file)?;
            doc["schemaVersion"] = json!(to);
        }
    }
    Ok(())
}

/// The 400 for an imported file that is not a snapshot this build can restore.
pub fn bad_file(m: impl std::fmt::Display) -> ApiError {
    ApiError::validation_one(format!("snapshot file: {m}"))
}

/// The outcome of a trial load that is always rolled back.
struct Probe(Result<(), String>);

impl From<rusqlite::Error> for Probe {
    fn from(e: rusqlite::Error) -> Self {
        Probe(Err(e.to_string()))
    }
}

impl crate::store::StorageFailure for Probe {
    fn storage_kind(&self) -> Option<crate::store::StorageKind> {
        None
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.as_ref().err().map_or("", String::as_str))
    }
}
