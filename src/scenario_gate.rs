//! Who may interrupt a scenario, and how (see `scenarios`): kept apart so that the wiring
//! (`state`) holds it without importing the scenarios' HTTP client.

use std::sync::Arc;

/// The header a scenario's own calls carry: its run's id, so that they are told apart from
/// another client's (whose reset, disconnect or new token interrupts the run).
pub const RUN_HEADER: &str = "x-sim-scenario-run";

/// One scenario at a time, and what interrupted the one running. A reset, a disconnect or a
/// new token from another client while a scenario plays is let through (the person at the
/// console wins), but first: the run is marked interrupted, the scenario's calls in flight are
/// waited for, and its later calls are refused. So the state is what the interruption left,
/// never the interruption with the rest of the scenario played on top, and the scenario answers
/// 409 naming what interrupted it.
#[derive(Default)]
pub(crate) struct ScenarioGate {
    pub(crate) one_at_a_time: tokio::sync::Mutex<()>,
    pub(crate) current: parking_lot::Mutex<Option<Arc<Run>>>,
}

pub(crate) struct Run {
    pub(crate) id: String,
    pub(crate) interrupted_by: parking_lot::Mutex<Option<String>>,
    /// Held (shared) by each of the scenario's steps; an interruption takes it whole.
    pub(crate) steps: tokio::sync::RwLock<()>,
}

impl ScenarioGate {
    /// The run a request belongs to, if it carries the current run's id.
    pub(crate) fn run_of(&self, run_id: Option<&str>) -> Option<Arc<Run>> {
        let current = self.current.lock().clone()?;
        (run_id == Some(current.id.as_str())).then_some(current)
    }

    /// Another client's `what` (a reset, a disconnect, ...) is about to happen: a scenario
    /// running is marked interrupted by it, and its step in flight finishes first. A call of
    /// the scenario itself interrupts nothing.
    pub(crate) async fn interrupt(&self, run_id: Option<&str>, what: impl Into<String>) {
        let Some(run) = self.current.lock().clone() else {
            return;
        };
        if run_id == Some(run.id.as_str()) {
            return;
        }
        run.interrupted_by.lock().get_or_insert_with(|| what.into());
        drop(run.steps.write().await);
    }
}

impl Run {
    /// Why a step may not run: the interruption, once there is one.
    pub(crate) fn interrupted(&self) -> Option<String> {
        self.interrupted_by.lock().clone()
    }

    /// Holds off interruptions while a step runs; None once interrupted (the step must not run).
    pub(crate) async fn step(&self) -> Option<tokio::sync::RwLockReadGuard<'_, ()>> {
        let guard = self.steps.read().await;
        self.interrupted().is_none().then_some(guard)
    }
}
