//! The debounced billing rebuild: one rebuild per partner once its calls stop for the quiet
//! time, as production's billing views do.

use crate::clock::Clocks;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// One rebuild after the calls stop for the debounce time, as production's billing views do;
/// per partner, since each partner has its own billing view (one partner's calls never hold
/// back or trigger another's rebuild).
pub struct Debouncer {
    quiet: Duration,
    /// Per partner, on the partner's clock, so that advancing it past the quiet time releases
    /// the rebuild.
    deadlines: Mutex<BTreeMap<String, DateTime<Utc>>>,
    clocks: Arc<Clocks>,
    /// Partners whose rebuild is due and not yet committed, so that "pending" never reads
    /// false while the rebuild is still running.
    running: Mutex<BTreeSet<String>>,
    notify: Notify,
}

impl Debouncer {
    pub(crate) fn new(quiet: Duration, clocks: Arc<Clocks>) -> Self {
        Debouncer {
            quiet,
            clocks,
            deadlines: Mutex::new(BTreeMap::new()),
            running: Mutex::new(BTreeSet::new()),
            notify: Notify::new(),
        }
    }

    pub(crate) fn request(&self, partner_id: &str) {
        let quiet = chrono::Duration::from_std(self.quiet).unwrap_or(chrono::Duration::zero());
        let deadline = self.clocks.of(partner_id).now() + quiet;
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
            // Subscribed before reading, so that a move in between still wakes the wait.
            let mut moved = self.clocks.subscribe();
            let deadlines: Vec<(String, DateTime<Utc>)> =
                self.deadlines.lock().iter().map(|(p, d)| (p.clone(), *d)).collect();
            if deadlines.is_empty() {
                self.notify.notified().await;
                continue;
            }
            // Each partner's deadline on its own clock; a frozen clock's only passes by a move.
            let mut ready = vec![];
            let mut soonest: Option<Duration> = None;
            for (p, d) in &deadlines {
                let clock = self.clocks.of(p);
                let now = clock.now();
                if now >= *d {
                    ready.push((p.clone(), *d));
                } else if !clock.is_frozen() {
                    let left = (*d - now).to_std().unwrap_or_default();
                    soonest = Some(soonest.map_or(left, |s| s.min(left)));
                }
            }
            if !ready.is_empty() {
                let mut deadlines = self.deadlines.lock();
                let mut running = self.running.lock();
                let mut released = vec![];
                for (p, d) in ready {
                    // Pushed back meanwhile by a new call: not yet.
                    if deadlines.get(&p) == Some(&d) {
                        deadlines.remove(&p);
                        running.insert(p.clone());
                        released.push(p);
                    }
                }
                if !released.is_empty() {
                    return released;
                }
                continue;
            }
            // Capped, so that a long wait re-reads a clock whose system time jumped.
            let wait = soonest.unwrap_or(Duration::from_secs(60)).min(Duration::from_secs(60));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = moved.changed() => {}
                _ = self.notify.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Calls that keep coming push the rebuild back without waking its worker each time; the
    /// worker still finds the deadline moved and releases the rebuild only after the last one.
    #[tokio::test]
    async fn a_pushed_back_deadline_releases_the_rebuild_after_the_last_call_only() {
        let t0 = "2027-01-31T12:00:00Z".parse().unwrap();
        let clock = Arc::new(crate::clock::Clock::from_settings(Some(t0), Some(0)));
        let clocks = Arc::new(Clocks::new(clock.clone()));
        let debouncer = Arc::new(Debouncer::new(Duration::from_secs(60), clocks.clone()));
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
