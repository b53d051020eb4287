//! What the handlers are handed: the wiring of the application's parts, each named for what
//! it is. An operation receives `ops`, the gate its own parts; nothing below this file sees
//! the whole.

use crate::api::vendor_api::copies::Copies;
use crate::clock::Clock;
use crate::config::{Config, Secret};
use crate::gate::{Gate, GateSettings};
use crate::ops::snapshots::Snapshots;
use crate::ops::Ops;
use crate::shadow::Shadow;
use crate::store::seed::Seed;
use crate::store::Store;
use actix_web::web;
use std::sync::Arc;
use std::time::Duration;

pub struct AppState {
    pub(crate) config: Config,
    /// What an operation may touch: the store, the clock, the background work.
    pub ops: Ops,
    /// What every vendor call passes: rate limit, faults, journal, terminal (see `gate`).
    pub(crate) gate: Gate,
    /// What RESET goes back to; `POST /sim/reset {"seed": NAME}` switches to an embedded seed.
    pub(crate) seed: parking_lot::RwLock<Seed>,
    /// One scenario at a time (two would interleave their calls), and what interrupted it.
    pub(crate) scenario: crate::scenario_gate::ScenarioGate,
    /// Saved states by name (`/sim/snapshots`), kept in memory; export writes one to a file.
    pub(crate) snapshots: Snapshots,
    /// The host names /sim and the console answer to (see `api::guard::allowed_hosts`).
    pub(crate) allowed_hosts: Vec<String>,
    /// The vendor API's copies of stored answers (see `api::vendor_api::copies`).
    pub(crate) vendor_api: Copies,
    /// Shadow mode's upstream, under `--shadow` (see `shadow`).
    pub(crate) shadow: std::sync::OnceLock<Shadow>,
}

impl AppState {
    pub(crate) fn new(config: Config, store: Store, seed: Seed, clock: Arc<Clock>, allowed_hosts: Vec<String>) -> Self {
        let gate = GateSettings {
            journal_size: config.journal_size,
            journal_bytes: config.journal_bytes,
            journal_body_limit: config.journal_body_limit,
            rate_limit: config.rate_limit,
            quiet: config.quiet,
        };
        AppState {
            gate: Gate::new(gate, clock.clone()),
            ops: Ops::new(
                store,
                clock,
                Duration::from_millis(config.rebuild_debounce_ms),
                config.alert_delay_ms,
            ),
            snapshots: Snapshots::default(),
            allowed_hosts,
            vendor_api: Copies::default(),
            shadow: std::sync::OnceLock::new(),
            seed: parking_lot::RwLock::new(seed),
            scenario: Default::default(),
            config,
        }
    }

    /// Writes the terminal's lines still gathering (the simulator is stopping).
    pub fn flush_terminal(&self) {
        self.gate.flush_terminal();
    }

    pub(crate) fn strict_types(&self) -> bool {
        self.config.strict_types
    }
}

/// Starts shadow mode's thread. Its verdicts mark the journal and print `parity:` lines; it
/// holds the state weakly, so a stopped simulator's thread ends with it.
pub fn start_shadow(state: &web::Data<AppState>, upstream: reqwest::Url, token: Secret) -> std::io::Result<()> {
    let weak = Arc::downgrade(&state.clone().into_inner());
    let marker: crate::shadow::Marker = Box::new(move |entry_id, verdict, line| {
        if let Some(s) = weak.upgrade() {
            s.gate.mark_parity(entry_id, verdict, line);
        }
    });
    let timeout = Duration::from_millis(state.config.shadow_timeout_ms);
    let shadow = Shadow::start(upstream, token, state.config.shadow_writes, timeout, marker)?;
    let _ = state.shadow.set(shadow);
    Ok(())
}

/// A background write that failed. A storage failure was already said once by the store (then
/// counted), so a worker retrying each second does not repeat it on the terminal.
fn worker_failed(what: &str, e: &crate::error::ApiError) {
    use crate::store::StorageFailure;
    if e.storage_kind().is_none() {
        log::error!("{what} failed: {e}");
    }
}

/// The background workers: the debounced billing rebuild and the alert queue.
pub fn spawn_workers(state: web::Data<AppState>) {
    let s = state.clone();
    tokio::spawn(async move {
        loop {
            for partner in s.ops.rebuild.due().await {
                let clock = s.ops.clock_of(&partner);
                let p = partner.clone();
                let out = s
                    .ops
                    .write_off_thread(move |tx| {
                        // A partner that a reset or a restore removed meanwhile has no view to rebuild.
                        if crate::store::partners::exists(tx, &p)? {
                            crate::ops::billing::rebuild(tx, &clock, &p)?;
                        }
                        Ok(())
                    })
                    .await;
                if let Err(e) = out {
                    worker_failed("billing rebuild", &e);
                }
                s.ops.rebuild.done(&partner);
            }
        }
    });
    tokio::spawn(async move {
        loop {
            // Subscribed before processing, so that a move meanwhile still wakes the wait.
            let mut moved = state.ops.clocks.subscribe();
            // Before the look: an alert committed meanwhile wakes the worker again.
            state.ops.alerts_looking();
            let clocks = state.ops.clocks.clone();
            let next = state
                .ops
                .write_off_thread(move |tx| crate::ops::alerts::process_due(tx, &clocks))
                .await;
            // Waits on the partners' clocks: advancing one past an alert's delay processes it.
            let wait_ms = match next {
                Ok(Some(ms)) => ms.clamp(1, 60_000),
                Ok(None) => 60_000,
                Err(e) => {
                    worker_failed("alert processing", &e);
                    1_000
                }
            };
            state.ops.alerts_sleeping(wait_ms);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait_ms)) => {}
                _ = moved.changed() => {}
                _ = state.ops.alerts_wakeup.notified() => {}
            }
        }
    });
}
