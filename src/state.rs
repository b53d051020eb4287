//! What every handler shares: settings, the store, the journal, the rate limiter and the
//! background work (debounced billing rebuild, alert queue).

use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::journal::Journal;
use crate::ratelimit::RateLimiter;
use crate::store::seed::Seed;
use crate::store::Store;
use actix_web::web;
use parking_lot::Mutex;
use rusqlite::{Connection, Transaction};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub struct AppState {
    pub config: Config,
    pub store: Arc<Store>,
    /// What RESET goes back to; `POST /sim/reset {"seed": NAME}` switches to an embedded seed.
    pub seed: parking_lot::RwLock<Seed>,
    /// One scenario at a time: two would interleave their calls.
    pub scenario: tokio::sync::Mutex<()>,
    pub journal: Journal,
    pub faults: crate::faults::Faults,
    pub limiter: RateLimiter,
    pub rebuild: Debouncer,
    pub alerts_wakeup: Notify,
    /// The host names /sim and the console answer to (see `api::guard`).
    pub allowed_hosts: Vec<String>,
}

impl AppState {
    pub fn new(config: Config, store: Store, seed: Seed) -> Self {
        AppState {
            journal: Journal::new(config.journal_size, config.journal_bytes),
            faults: crate::faults::Faults::default(),
            limiter: RateLimiter::new(config.rate_limit),
            rebuild: Debouncer::new(Duration::from_millis(config.rebuild_debounce_ms)),
            alerts_wakeup: Notify::new(),
            allowed_hosts: crate::api::guard::allowed_hosts(&config.bind, &config.allowed_hosts),
            store: Arc::new(store),
            seed: parking_lot::RwLock::new(seed),
            scenario: tokio::sync::Mutex::new(()),
            config,
        }
    }

    /// Runs a read: right here when a read connection is free (the common case: a key lookup
    /// takes microseconds, far less than handing it to the blocking pool and back, which cost
    /// two thread switches per read), else off the async threads.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
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
    pub async fn read_off_thread<T, F>(&self, f: F) -> ApiResult<T>
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
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match self.store.try_write(f) {
            Ok(out) => out,
            Err(f) => self.write_off_thread(f).await,
        }
    }

    /// A write that may take long (a reset, a billing rebuild): always off the async threads.
    pub async fn write_off_thread<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&Transaction) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        web::block(move || store.write(f)).await?
    }

    pub fn strict_types(&self) -> bool {
        self.config.strict_types
    }
}

/// One rebuild after the calls stop for the debounce time, as production's billing views do.
pub struct Debouncer {
    quiet: Duration,
    deadline: Mutex<Option<Instant>>,
    /// True from the moment a rebuild is due until it has committed, so that "pending" never
    /// reads false while the rebuild is still running.
    running: std::sync::atomic::AtomicBool,
    notify: Notify,
}

impl Debouncer {
    pub fn new(quiet: Duration) -> Self {
        Debouncer {
            quiet,
            deadline: Mutex::new(None),
            running: std::sync::atomic::AtomicBool::new(false),
            notify: Notify::new(),
        }
    }

    pub fn request(&self) {
        *self.deadline.lock() = Some(Instant::now() + self.quiet);
        self.notify.notify_one();
    }

    pub fn cancel(&self) {
        *self.deadline.lock() = None;
    }

    pub fn is_pending(&self) -> bool {
        self.deadline.lock().is_some() || self.running.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Called by the worker once the rebuild that `due` released has committed.
    pub fn done(&self) {
        self.running.store(false, std::sync::atomic::Ordering::SeqCst);
    }

    /// Waits until a requested rebuild is due (calls kept coming push the deadline back).
    pub async fn due(&self) {
        loop {
            let deadline = *self.deadline.lock();
            match deadline {
                None => self.notify.notified().await,
                Some(d) if Instant::now() >= d => {
                    let mut guard = self.deadline.lock();
                    if *guard == Some(d) {
                        self.running.store(true, std::sync::atomic::Ordering::SeqCst);
                        *guard = None;
                        return;
                    }
                }
                Some(d) => tokio::time::sleep_until(d.into()).await,
            }
        }
    }
}

/// The background workers: the debounced billing rebuild and the alert queue.
pub fn spawn_workers(state: web::Data<AppState>) {
    let s = state.clone();
    tokio::spawn(async move {
        loop {
            s.rebuild.due().await;
            if let Err(e) = s.write_off_thread(|tx| crate::ops::billing::rebuild(tx)).await {
                log::error!("billing rebuild failed: {e}");
            }
            s.rebuild.done();
        }
    });
    tokio::spawn(async move {
        loop {
            let next = state.write_off_thread(|tx| crate::ops::alerts::process_due(tx)).await;
            let wait = match next {
                Ok(Some(ms)) => Duration::from_millis(ms.clamp(1, 60_000)),
                Ok(None) => Duration::from_secs(60),
                Err(e) => {
                    log::error!("alert processing failed: {e}");
                    Duration::from_secs(1)
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = state.alerts_wakeup.notified() => {}
            }
        }
    });
}

pub fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::internal(e)
}
