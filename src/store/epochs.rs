//! Change counters for the in-memory copies of stored rows (the key check's answers, the
//! vendor profile's rendered answer). A copy taken at epoch `e` is current while the epoch is
//! still `e`: every commit that touched a table a counter watches moves it on.
//!
//! What a transaction touched is told by SQLite itself (the writer's update hook sees every row
//! inserted, updated or deleted), so no write path can forget to invalidate a copy. SQLite's
//! one blind spot, a `DELETE` without `WHERE` emptying a whole table in one step, is covered
//! where it happens (`clear_state`).
//!
//! The protocol that makes a copy safe: a reader reads the epoch *before* it opens its read
//! snapshot, and the writer moves the epoch *after* the commit. A copy is then never newer in
//! its epoch than in its data: at worst a copy of fresh rows is tagged with an old epoch, and
//! is dropped one lookup early.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

/// What a counter watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// Who a GRADIENT-TOKEN names: the vendors' keys, the integrations (their partner keys,
    /// states, statuses, cycles) and the revoked keys.
    Keys,
    /// What `GET /api/vendor-api` answers: the vendors and their vendor-level services.
    Profile,
    /// What `GET /organization` answers: the integrations, the names of their vendors and
    /// partners, and their last counts (the count summaries).
    Organization,
    /// What `GET /organization/accounts` and `/organization/services` answer: the vendor
    /// accounts and organization services, and their mappings. The integrations too: their
    /// rows are deleted one by one when the state is emptied, and the accounts (truncated then,
    /// see `TRUNCATED_WATCHED`) cannot outlive them.
    Properties,
}

impl Watch {
    const fn bit(self) -> u8 {
        match self {
            Watch::Keys => 1,
            Watch::Profile => 2,
            Watch::Organization => 4,
            Watch::Properties => 8,
        }
    }

    /// The counters a change to `table` moves.
    pub(super) fn of_table(table: &str) -> u8 {
        match table {
            "vendor" => Watch::Keys.bit() | Watch::Profile.bit() | Watch::Organization.bit(),
            "integration" => Watch::Keys.bit() | Watch::Organization.bit() | Watch::Properties.bit(),
            "revoked_key" => Watch::Keys.bit(),
            "vendor_service" => Watch::Profile.bit(),
            "partner" | "count_summary" => Watch::Organization.bit(),
            "vendor_account" | "account_mapping" | "org_service" | "service_mapping" => Watch::Properties.bit(),
            _ => 0,
        }
    }
}

/// The tables some counter watches: `clear_state` (and `usage::resummarise`) empty them row by
/// row, so that the update hook sees it (they hold a handful of rows: one count summary per
/// integration and cycle).
pub const WATCHED_TABLES: [&str; 6] = [
    "vendor",
    "integration",
    "revoked_key",
    "vendor_service",
    "partner",
    "count_summary",
];

/// Watched tables that `clear_state` truncates all the same (they hold 100,000 rows at a large
/// MSP's size, too many to delete one by one at every reset), each with the watched table its
/// rows belong to. A copy of them is one integration's, taken while its integration row
/// existed; that row is deleted one by one, moving the same counter, whether before or by the
/// emptying.
pub const TRUNCATED_WATCHED: [(&str, &str); 4] = [
    ("vendor_account", "integration"),
    ("account_mapping", "integration"),
    ("org_service", "integration"),
    ("service_mapping", "integration"),
];

const ALL: [Watch; 4] = [Watch::Keys, Watch::Profile, Watch::Organization, Watch::Properties];

#[derive(Default)]
pub struct Epochs {
    keys: AtomicU64,
    profile: AtomicU64,
    organization: AtomicU64,
    properties: AtomicU64,
    /// What the writer's open transaction has touched so far.
    dirty: AtomicU8,
}

impl Epochs {
    fn counter(&self, w: Watch) -> &AtomicU64 {
        match w {
            Watch::Keys => &self.keys,
            Watch::Profile => &self.profile,
            Watch::Organization => &self.organization,
            Watch::Properties => &self.properties,
        }
    }

    /// The epoch now: read it before the read that a copy is made of.
    pub fn current(&self, w: Watch) -> u64 {
        self.counter(w).load(Ordering::SeqCst)
    }

    /// Inside a write transaction: whether nothing `w` watches changed since `epoch`, neither
    /// committed since nor written by this transaction so far.
    pub fn unchanged_since(&self, w: Watch, epoch: u64) -> bool {
        self.dirty.load(Ordering::SeqCst) & w.bit() == 0 && self.current(w) == epoch
    }

    /// The writer's update hook: a row of `table` changed in the open transaction.
    pub(super) fn touched(&self, table: &str) {
        let bits = Watch::of_table(table);
        if bits != 0 {
            self.dirty.fetch_or(bits, Ordering::SeqCst);
        }
    }

    /// The open transaction committed: the counters of what it touched move on.
    pub(super) fn committed(&self) {
        let dirty = self.dirty.swap(0, Ordering::SeqCst);
        for w in ALL {
            if dirty & w.bit() != 0 {
                self.counter(w).fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    /// The open transaction rolled back: nothing it touched exists.
    pub(super) fn rolled_back(&self) {
        self.dirty.store(0, Ordering::SeqCst);
    }

    /// Everything may have changed (a whole seed written over the state).
    pub(super) fn all_changed(&self) {
        let every = ALL.iter().fold(0, |bits, w| bits | w.bit());
        self.dirty.fetch_or(every, Ordering::SeqCst);
        self.committed();
    }
}

/// A small map of copies, each tagged with the epoch it was read at; a copy of an older epoch is
/// never answered. Bounded: when full it starts over, which only costs the next lookups a read.
pub struct EpochCache<V> {
    watch: Watch,
    capacity: usize,
    entries: parking_lot::RwLock<std::collections::HashMap<String, (u64, V)>>,
}

impl<V: Clone> EpochCache<V> {
    pub fn new(watch: Watch, capacity: usize) -> Self {
        EpochCache {
            watch,
            capacity,
            entries: Default::default(),
        }
    }

    pub fn watch(&self) -> Watch {
        self.watch
    }

    /// The copy under `key` if it is of `epoch` (the epoch now, read by the caller).
    pub fn get(&self, key: &str, epoch: u64) -> Option<V> {
        let entries = self.entries.read();
        entries.get(key).filter(|(e, _)| *e == epoch).map(|(_, v)| v.clone())
    }

    /// Keeps a copy read at `epoch` (read before the read that made it).
    pub fn put(&self, key: &str, epoch: u64, value: V) {
        let mut entries = self.entries.write();
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_string(), (epoch, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_moves_only_the_counters_of_what_it_touched() {
        let e = Epochs::default();
        e.touched("unit_count");
        e.touched("count_summary");
        e.committed();
        assert_eq!((e.current(Watch::Keys), e.current(Watch::Profile)), (0, 0));
        e.touched("vendor_service");
        assert!(
            !e.unchanged_since(Watch::Profile, 0),
            "an uncommitted change counts inside the transaction"
        );
        assert!(e.unchanged_since(Watch::Keys, 0));
        e.committed();
        assert_eq!((e.current(Watch::Keys), e.current(Watch::Profile)), (0, 1));
        e.touched("integration");
        e.rolled_back();
        e.committed();
        assert_eq!(e.current(Watch::Keys), 0, "a rolled back change moves nothing");
        e.touched("vendor");
        e.committed();
        assert_eq!((e.current(Watch::Keys), e.current(Watch::Profile)), (1, 2));
        e.all_changed();
        assert_eq!((e.current(Watch::Keys), e.current(Watch::Profile)), (2, 3));
        // GET /organization's answer: a count's summary, a partner's name, the integration.
        let before = e.current(Watch::Organization);
        e.touched("count_summary");
        e.committed();
        e.touched("partner");
        e.committed();
        assert_eq!(e.current(Watch::Organization), before + 2);
        assert_eq!((e.current(Watch::Keys), e.current(Watch::Profile)), (2, 3));
    }

    #[test]
    fn a_copy_of_another_epoch_is_never_answered_and_the_map_stays_bounded() {
        let c = EpochCache::new(Watch::Keys, 2);
        c.put("a", 1, "first");
        assert_eq!(c.get("a", 1), Some("first"));
        assert_eq!(c.get("a", 2), None);
        c.put("b", 1, "second");
        c.put("c", 1, "third");
        assert_eq!(c.get("a", 1), None, "a full map starts over");
        assert_eq!(c.get("c", 1), Some("third"));
    }
}
