//! What the QA checklist reads: the first fact of each kind per connection cycle, the counts
//! accepted per cycle, and a few current values its hints name. Recorded by the store from the
//! event log; read by `qa_steps` (what proves each step) and `qa` (the rounds and the verdict).

use super::event::Event;

/// One recorded fact: the first event of its kind in a cycle (or a global one, like a billing
/// rebuild). Later events of the same kind only add to `items`: the checklist needs the first
/// time something happened and how much of it there was, never the whole history.
#[derive(Debug, Clone)]
pub struct Fact {
    /// The connection cycle (each CONNECT starts a new one); 0 for global facts.
    pub cycle: i64,
    pub at: String,
    pub event: Event,
    pub global: bool,
    /// Items all events of this kind in the cycle brought (the ids of bulk creates).
    pub items: i64,
}

/// Counts accepted in one cycle.
#[derive(Debug, Clone, Default)]
pub struct CycleCounts {
    pub accepted: i64,
    pub with_no_build: i64,
    pub first_at: Option<String>,
}

/// What the checklist reads: recorded facts plus a few current values for the hints.
#[derive(Debug, Clone, Default)]
pub struct QaFacts {
    pub facts: Vec<Fact>,
    pub counts: std::collections::HashMap<i64, CycleCounts>,
    /// The cycle the integration is in now, and whether it is connected.
    pub current_cycle: i64,
    pub connected_now: bool,
    pub portal_url_set: bool,
    pub vendor_services: usize,
    pub status_now: Option<String>,
    /// Times of counts the journal saw rejected as unmapped (404), and of calls with a revoked key.
    pub unmapped_count_rejections: Vec<String>,
    pub revoked_key_calls: Vec<String>,
    pub rebuild_pending: bool,
}

/// Whether a status lit Next: a status_set to pending or active, or the automatic turn to active.
pub fn lights_next(event: &Event) -> bool {
    match event {
        Event::StatusSet { status } => status.lights_next(),
        Event::StatusAutoActive { .. } => true,
        _ => false,
    }
}

impl QaFacts {
    /// The facts of one cycle, global ones aside, oldest first.
    pub(super) fn of_cycle(&self, cycle: i64) -> impl Iterator<Item = &Fact> + '_ {
        self.facts.iter().filter(move |f| !f.global && f.cycle == cycle)
    }

    /// The first fact of the cycle `pick` accepts, with what it picked from the event.
    pub(super) fn first<'a, T>(&'a self, cycle: i64, pick: impl Fn(&'a Event) -> Option<T>) -> Option<(&'a Fact, T)> {
        self.of_cycle(cycle).find_map(|f| pick(&f.event).map(|t| (f, t)))
    }

    /// The first fact of the cycle that matches.
    pub(super) fn first_that(&self, cycle: i64, is: impl Fn(&Event) -> bool) -> Option<&Fact> {
        self.of_cycle(cycle).find(|f| is(&f.event))
    }
}
