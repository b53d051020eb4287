//! Operations: one transaction each, composing store calls with the domain's rules. Shared by
//! the vendor API, the control API and the background workers.

pub(crate) mod accounts;
pub(crate) mod activity;
pub(crate) mod alerting;
pub(crate) mod alerts;
pub(crate) mod billing;
pub(crate) mod cards;
pub(crate) mod control;
pub(crate) mod csv_usage;
pub(crate) mod integrations;
pub(crate) mod organization;
pub(crate) mod partners;
pub(crate) mod profile;
pub(crate) mod qa;
pub(crate) mod snapshots;
pub(crate) mod usage;

#[cfg(test)]
mod tests;

use crate::domain::lint::{Lint, Linted};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use parking_lot::Mutex;
use rusqlite::{Connection, Transaction};
use std::sync::Arc;

/// What an operation answers: its result, and the lints the call earned on either path.
pub type Outcome<T> = Linted<T, ApiError>;

/// What a vendor call was authorized as, checked again inside its write transaction: a key
/// revoked (disconnect, regenerate) between the check at the door and the commit makes the
/// call 401 and stores nothing (spec, Concurrency).
pub trait Access: Clone + Send + 'static {
    fn recheck(&self, c: &Connection) -> ApiResult<()>;
}

/// Runs `f` in one write transaction (shared with the vendor writes that arrive with it, each
/// in its own savepoint: see `store::writer`) that first re-checks the caller's access. Whatever `f`
/// refuses rolls back like any error, and the lints it found come back on either path.
pub async fn write<A, T, F>(state: &AppState, access: &A, f: F) -> Outcome<T>
where
    A: Access,
    T: Send + 'static,
    F: FnOnce(&Transaction, &mut Vec<Lint>) -> ApiResult<T> + Send + 'static,
{
    // The transaction may run on another thread, and an error rolls it back; the lints leave
    // through this slot, never through its result.
    let found = Arc::new(Mutex::new(Vec::new()));
    let sink = found.clone();
    let access = access.clone();
    let result = state
        .write_grouped(move |tx| {
            access.recheck(tx)?;
            let mut lints = vec![];
            let out = f(tx, &mut lints);
            *sink.lock() = lints;
            out
        })
        .await;
    let lints = std::mem::take(&mut *found.lock());
    Linted::new(result, lints)
}
