//! Operations: one transaction each, composing store calls with the domain's rules. Shared by
//! the vendor API, the control API and the background workers.

pub(crate) mod accounts;
pub(crate) mod activity;
pub(crate) mod alerting;
pub(crate) mod alerts;
pub(crate) mod automap;
pub(crate) mod billing;
pub(crate) mod cards;
pub(crate) mod control;
pub(crate) mod csv_usage;
pub(crate) mod integrations;
pub(crate) mod mappings;
pub(crate) mod organization;
pub(crate) mod partners;
pub(crate) mod profile;
pub(crate) mod qa;
pub(crate) mod rebuild;
pub(crate) mod runs;
pub(crate) mod snapshots;
pub(crate) mod usage;

#[cfg(test)]
mod tests;

use crate::clock::{Clock, Clocks};
use crate::domain::lint::{Lint, Linted};
use crate::error::{ApiError, ApiResult};
use crate::store::Store;
use actix_web::web;
use parking_lot::Mutex;
use rebuild::Debouncer;
use rusqlite::{Connection, Transaction};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;

/// What an operation may touch: the store, the clock, and the background work it hands on
/// (the debounced billing rebuild, the alert queue). Nothing else of the application.
pub struct Ops {
    pub store: Arc<Store>,
    /// The global clock (`/sim/clock`) and the one source of fresh ids (see `clock`).
    pub clock: Arc<Clock>,
    /// The partners' own clocks: partner-scoped work reads `clock_of` (see `clock::Clocks`).
    pub clocks: Arc<Clocks>,
    pub(crate) rebuild: Debouncer,
    /// Wakes the alert queue's worker (a queued alert due before its next look, a restored
    /// snapshot).
    pub(crate) alerts_wakeup: Notify,
    /// When the alert worker looks at the queue next, in ms since `started` (0: it is looking
    /// now, or about to). A queued alert due later needs no wake-up: under a stream of alerts,
    /// waking it for each had it take the writer once per alert to find nothing due.
    alerts_next_look: AtomicU64,
    /// The monotonic origin of `alerts_next_look`.
    started: Instant,
    /// How long an alert waits in the queue (`--alert-delay-ms`).
    pub(crate) alert_delay_ms: u64,
}

impl Ops {
    pub(crate) fn new(
        store: Store,
        clock: Arc<Clock>,
        rebuild_debounce: std::time::Duration,
        alert_delay_ms: u64,
    ) -> Self {
        let clocks = Arc::new(Clocks::new(clock.clone()));
        Ops {
            store: Arc::new(store),
            rebuild: Debouncer::new(rebuild_debounce, clocks.clone()),
            clock,
            clocks,
            alerts_wakeup: Notify::new(),
            alerts_next_look: AtomicU64::new(0),
            started: Instant::now(),
            alert_delay_ms,
        }
    }

    fn since_start_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The alert worker is about to look at the queue: every alert queued from now on wakes it
    /// (one committed after its look began may be unseen by it).
    pub(crate) fn alerts_looking(&self) {
        self.alerts_next_look.store(0, Ordering::SeqCst);
    }

    /// The alert worker looked, and sleeps `wait_ms` (or until woken).
    pub(crate) fn alerts_sleeping(&self, wait_ms: u64) {
        let at = self.since_start_ms().saturating_add(wait_ms).max(1);
        self.alerts_next_look.store(at, Ordering::SeqCst);
    }

    /// After an alert committed that is due in `delay_ms`: wakes the worker unless it looks
    /// at the queue by then anyway (it reads what is due, this alert included, when it does).
    pub(crate) fn alert_queued(&self, delay_ms: u64) {
        let next = self.alerts_next_look.load(Ordering::SeqCst);
        if next == 0 || self.since_start_ms().saturating_add(delay_ms) < next {
            self.alerts_wakeup.notify_one();
        }
    }

    /// The clock a partner's work reads: its own if it has one, else the global clock.
    pub fn clock_of(&self, partner_id: &str) -> Arc<Clock> {
        self.clocks.of(partner_id)
    }

    /// The clock of an integration's partner. Reads the integration only when some partner has
    /// a clock of its own (else every partner reads the global clock).
    pub(crate) async fn clock_of_integration(&self, integration_id: &str) -> ApiResult<Arc<Clock>> {
        if !self.clocks.any_own() {
            return Ok(self.clock.clone());
        }
        let id = integration_id.to_string();
        let partner = self
            .read(move |c| Ok(crate::store::integrations::get(c, &id)?.map(|i| i.partner_id)))
            .await?;
        Ok(partner.map_or_else(|| self.clock.clone(), |p| self.clock_of(&p)))
    }

    /// Runs a read: right here when a read connection is free (the common case: a key lookup
    /// takes microseconds, far less than handing it to the blocking pool and back, which cost
    /// two thread switches per read), else off the async threads.
    pub(crate) async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match self.store.try_read(f) {
            Ok(out) => out,
            Err(f) => self.read_off_thread(f).await,
        }
    }

    /// Runs a read off the async threads: for reads that may take milliseconds (the whole
    /// billing view, every mapping), so that they never hold up the worker's other requests.
    pub(crate) async fn read_off_thread<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Connection) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        web::block(move || store.read(f)).await?
    }

    /// Runs `f` in one write transaction; an error rolls it all back. Right here when the
    /// writer is free (a request's write takes microseconds with `synchronous=NORMAL`), else
    /// off the async threads, where waiting for the writer blocks nobody.
    pub(crate) async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match self.store.try_write(f) {
            Ok(out) => out,
            Err(f) => self.write_off_thread(f).await,
        }
    }

    /// A vendor call's write: queued for a group commit with the writes that arrive with it
    /// (see `store::writer`), run right here when the writer is free, else by the group-commit
    /// thread. The call waits for its answer without holding a thread.
    pub(crate) async fn write_grouped<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.store.write_grouped(f).answer().await
    }

    /// A write that ends by rebuilding the partner's billing view itself: its debounced
    /// rebuild still pending is dropped, since this one supersedes it.
    pub(crate) async fn write_rebuilding<T, F>(&self, partner_id: &str, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.rebuild.cancel(partner_id);
        self.write(f).await
    }

    /// A write that may take long (a reset, a billing rebuild): always off the async threads.
    pub(crate) async fn write_off_thread<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        web::block(move || store.write(f)).await?
    }

    /// A write of a whole seed (a reset): off the async threads, see `Store::write_seed`.
    pub(crate) async fn write_seed<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        web::block(move || store.write_seed(f)).await?
    }
}

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
pub async fn write<A, T, F>(ops: &Ops, access: &A, f: F) -> Outcome<T>
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
    let result = ops
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
