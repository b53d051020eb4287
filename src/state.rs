//! What every handler shares: settings, the store, the journal, the rate limiter and the
//! background work (debounced billing rebuild, alert queue).

use crate::clock::Clock;
use crate::config::Config;
use crate::error::ApiResult;
use crate::gate::faults::Faults;
use crate::gate::ratelimit::RateLimiter;
use crate::gate::Journal;
use crate::store::seed::Seed;
use crate::store::Store;
use actix_web::web;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use rusqlite::{Connection, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub struct AppState {
    pub(crate) config: Config,
    /// The one source of time and of fresh ids (see `clock`).
    pub(crate) clock: Arc<Clock>,
    pub store: Arc<Store>,
    /// What RESET goes back to; `POST /sim/reset {"seed": NAME}` switches to an embedded seed.
    pub(crate) seed: parking_lot::RwLock<Seed>,
    /// One scenario at a time: two would interleave their calls.
    pub(crate) scenario: tokio::sync::Mutex<()>,
    /// The per-call gate's parts (see `gate`).
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    pub(crate) limiter: RateLimiter,
    /// The terminal's line per vendor call; none under `--quiet`.
    pub(crate) terminal: Option<crate::gate::terminal::TerminalLines>,
    pub(crate) rebuild: Debouncer,
    pub(crate) alerts_wakeup: Notify,
    /// Saved states by name (`/sim/snapshots`), kept in memory; export writes one to a file.
    pub(crate) snapshots: Mutex<std::collections::BTreeMap<String, crate::ops::snapshots::Snapshot>>,
    /// The host names /sim and the console answer to (see `api::guard`).
    pub(crate) allowed_hosts: Vec<String>,
    /// Tokens the door's check accepted, current while the keys' epoch holds.
    pub(crate) known_tokens: crate::api::vendor_api::auth::KnownTokens,
    /// `GET /api/vendor-api`'s answer per vendor, current while the profile's epoch holds.
    pub(crate) profile_answers: crate::api::vendor_api::profile::ProfileAnswers,
}

impl AppState {
    pub(crate) fn new(config: Config, store: Store, seed: Seed, clock: Arc<Clock>) -> Self {
        AppState {
            journal: Journal::new(config.journal_size, config.journal_bytes),
            faults: Faults::default(),
            terminal: (!config.quiet).then(crate::gate::terminal::TerminalLines::start),
            limiter: RateLimiter::new(config.rate_limit),
            rebuild: Debouncer::new(Duration::from_millis(config.rebuild_debounce_ms), clock.clone()),
            clock,
            alerts_wakeup: Notify::new(),
            snapshots: Mutex::new(Default::default()),
            allowed_hosts: crate::api::guard::allowed_hosts(&config.bind, &config.allowed_hosts),
            known_tokens: crate::store::EpochCache::new(
                crate::store::Watch::Keys,
                crate::api::vendor_api::auth::KNOWN_TOKENS,
            ),
            profile_answers: crate::store::EpochCache::new(crate::store::Watch::Profile, 1024),
            store: Arc::new(store),
            seed: parking_lot::RwLock::new(seed),
            scenario: tokio::sync::Mutex::new(()),
            config,
        }
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
    /// (see `store::writer`), run right here when it is alone and the writer is free, else by
    /// the group-commit thread. The call waits for its answer without holding a thread.
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

    /// Writes the terminal's lines still gathering (the simulator is stopping).
    pub fn flush_terminal(&self) {
        if let Some(t) = &self.terminal {
            t.flush();
        }
    }

    pub(crate) fn strict_types(&self) -> bool {
        self.config.strict_types
    }
}

/// One rebuild after the calls stop for the debounce time, as production's billing views do;
/// per partner, since each partner has its own billing view (one partner's calls never hold
/// back or trigger another's rebuild).
pub struct Debouncer {
    quiet: Duration,
    /// Per partner, on the simulator's clock, so that advancing it past the quiet time
    /// releases the rebuild.
    deadlines: Mutex<BTreeMap<String, DateTime<Utc>>>,
    clock: Arc<Clock>,
    /// Partners whose rebuild is due and not yet committed, so that "pending" never reads
    /// false while the rebuild is still running.
    running: Mutex<BTreeSet<String>>,
    notify: Notify,
}

impl Debouncer {
    pub(crate) fn new(quiet: Duration, clock: Arc<Clock>) -> Self {
        Debouncer {
            quiet,
            clock,
            deadlines: Mutex::new(BTreeMap::new()),
            running: Mutex::new(BTreeSet::new()),
            notify: Notify::new(),
        }
    }

    pub(crate) fn request(&self, partner_id: &str) {
        let quiet = chrono::Duration::from_std(self.quiet).unwrap_or(chrono::Duration::zero());
        let deadline = self.clock.now() + quiet;
        let mut deadlines = self.deadlines.lock();
        let pushed_back = match deadlines.get_mut(partner_id) {
            Some(at) => {
                *at = deadline;
                true
            }
            None => {
                deadlines.insert(partner_id.to_string(), deadline);
                false
            }
        };
        drop(deadlines);
        // A deadline pushed back needs no wake-up: the worker wakes at the earlier one, finds it
        // moved, and waits again. Waking it on every count cost each count a task switch.
        if !pushed_back {
            self.notify.notify_one();
        }
    }

    /// Drops the partner's pending rebuild (its view is being rebuilt right now).
    pub(crate) fn cancel(&self, partner_id: &str) {
        self.deadlines.lock().remove(partner_id);
    }

    /// Drops every pending rebuild (a reset, a restore).
    pub(crate) fn cancel_all(&self) {
        self.deadlines.lock().clear();
    }

    pub(crate) fn is_pending(&self, partner_id: &str) -> bool {
        self.deadlines.lock().contains_key(partner_id) || self.running.lock().contains(partner_id)
    }

    /// The partners with a rebuild pending or running.
    pub(crate) fn pending(&self) -> Vec<String> {
        let mut all: BTreeSet<String> = self.deadlines.lock().keys().cloned().collect();
        all.extend(self.running.lock().iter().cloned());
        all.into_iter().collect()
    }

    /// Called by the worker once the rebuild that `due` released has committed.
    pub(crate) fn done(&self, partner_id: &str) {
        self.running.lock().remove(partner_id);
    }

    /// Waits until some partners' rebuilds are due (calls kept coming push a deadline back),
    /// and answers them.
    pub(crate) async fn due(&self) -> Vec<String> {
        loop {
            let earliest = self.deadlines.lock().values().min().copied();
            match earliest {
                None => self.notify.notified().await,
                Some(d) if self.clock.now() >= d => {
                    let now = self.clock.now();
                    let mut deadlines = self.deadlines.lock();
                    let ready: Vec<String> = deadlines
                        .iter()
                        .filter(|(_, at)| **at <= now)
                        .map(|(p, _)| p.clone())
                        .collect();
                    if ready.is_empty() {
                        continue;
                    }
                    let mut running = self.running.lock();
                    for p in &ready {
                        deadlines.remove(p);
                        running.insert(p.clone());
                    }
                    return ready;
                }
                Some(d) => {
                    tokio::select! {
                        _ = self.clock.wait_until(d) => {}
                        _ = self.notify.notified() => {}
                    }
                }
            }
        }
    }
}

/// The background workers: the debounced billing rebuild and the alert queue.
pub fn spawn_workers(state: web::Data<AppState>) {
    let s = state.clone();
    tokio::spawn(async move {
        loop {
            for partner in s.rebuild.due().await {
                let clock = s.clock.clone();
                let p = partner.clone();
                let out = s
                    .write_off_thread(move |tx| {
                        // A partner that a reset or a restore removed meanwhile has no view to rebuild.
                        if crate::store::partners::exists(tx, &p)? {
                            crate::ops::billing::rebuild(tx, &clock, &p)?;
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = out {
                    log::error!("billing rebuild failed: {e}");
                }
                s.rebuild.done(&partner);
            }
        }
    });
    tokio::spawn(async move {
        loop {
            let clock = state.clock.clone();
            let next = state
                .write_off_thread(move |tx| crate::ops::alerts::process_due(tx, &clock))
                .await;
            // Waits on the simulator's clock: advancing it past an alert's delay processes it.
            let wait_ms = match next {
                Ok(Some(ms)) => ms.clamp(1, 60_000),
                Ok(None) => 60_000,
                Err(e) => {
                    log::error!("alert processing failed: {e}");
                    1_000
                }
            };
            let until = state.clock.now() + chrono::Duration::milliseconds(wait_ms as i64);
            tokio::select! {
                _ = state.clock.wait_until(until) => {}
                _ = state.alerts_wakeup.notified() => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls that keep coming push the rebuild back without waking its worker each time; the
    /// worker still finds the deadline moved and releases the rebuild only after the last one.
    #[tokio::test]
    async fn a_pushed_back_deadline_releases_the_rebuild_after_the_last_call_only() {
        let t0 = "2027-01-31T12:00:00Z".parse().unwrap();
        let clock = Arc::new(Clock::from_settings(Some(t0), Some(0)));
        let debouncer = Arc::new(Debouncer::new(Duration::from_secs(60), clock.clone()));
        let due = |d: Arc<Debouncer>| async move { tokio::time::timeout(Duration::from_millis(100), d.due()).await };
        debouncer.request("p1");
        assert!(due(debouncer.clone()).await.is_err(), "frozen before the quiet time");
        clock.advance(30_000);
        debouncer.request("p1");
        clock.advance(31_000);
        assert!(
            due(debouncer.clone()).await.is_err(),
            "61 s after the first call, 31 s after the last: not yet"
        );
        assert!(debouncer.is_pending("p1"));
        let waiting = tokio::spawn(due(debouncer.clone()));
        tokio::task::yield_now().await;
        clock.advance(29_000);
        assert_eq!(waiting.await.unwrap().unwrap(), vec!["p1".to_string()]);
        debouncer.done("p1");
        assert!(!debouncer.is_pending("p1"));
    }
}
