//! rusqlite storage: schema, seed, and one module per aggregate. The only place that writes SQL.
//!
//! One writing connection behind a mutex: SQLite serialises writers anyway. A file database
//! also gets a few read-only connections: in WAL mode they read the last committed state while
//! a long write (a 10,000-account bulk post) is in progress, so no read waits for a writer.
//! A `:memory:` database is private to its connection, so there the writer also reads.
//! Callers run closures through `Ops::read`/`write` (`ops`), which move them off the async
//! threads with `web::block`.

pub(crate) mod accounts;
pub(crate) mod alerts;
pub(crate) mod billing;
pub mod epochs;
pub(crate) mod events;
pub mod failure;
pub mod file;
pub(crate) mod integrations;
pub(crate) mod mappings;
pub mod migrate;
pub(crate) mod partners;
pub(crate) mod psa;
pub(crate) mod runs;
pub mod seed;
pub mod seed_parse;
pub mod seeding;
pub(crate) mod snapshot;
pub(crate) mod usage;
pub(crate) mod vendors;
mod writer;

pub use epochs::{EpochCache, Epochs, Watch};
pub use failure::{StorageFailure, StorageKind};
use migrate::columns_of;
pub use migrate::PARTNER_TABLES;
use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, Transaction};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use writer::Checkpointer;
pub use writer::Ticket;

const SCHEMA: &str = include_str!("schema.sql");
pub const SCHEMA_VERSION: &str = "4";
/// `PRAGMA application_id` of a synthesize-sim database ("SYNS"): another program's SQLite
/// file is told apart before anything is written to it.
pub const APPLICATION_ID: i32 = 0x5359_4E53;
/// `PRAGMA user_version`: the schema this build writes. Schema changes stay additive (new
/// tables, columns, indexes); one that an older build could not read bumps it, and an older
/// build then refuses the file instead of answering 500s. 2: the PSA, card actions, CSV usage
/// and the billing view belong to a partner (isolated partners); a file of schema 1 is
/// migrated at open (`migrate_to_partners`). 3: three columns nothing read are dropped
/// (`migrate::UNREAD_COLUMNS`; a build of schema 2 would still write them). 4: sync runs
/// (`sync_run`, `sync_run_pair`, `sync_baseline`), created at open; an older build would keep
/// them through its resets.
pub const USER_VERSION: i32 = 4;

/// Why a database file was not opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Refused(String),
}

pub struct Store {
    /// The one writing connection and the writes queued for it (see `writer`).
    writer: Arc<writer::Writer>,
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
}

/// Refuses a file this build must not write: another program's database (a foreign
/// application_id, or tables without ours) or one written by a newer schema.
fn check_identity(conn: &Connection, path: &str) -> Result<(), OpenError> {
    let not_sqlite = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => OpenError::Refused(format!(
            "{path} is not an SQLite database; pick another --db path (or delete the file)"
        )),
        _ => OpenError::Sqlite(e),
    };
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(not_sqlite)?;
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let foreign = |what: String| {
        OpenError::Refused(format!(
            "{path} is not a synthesize-sim database ({what}); pick another --db path, or delete the file to start afresh"
        ))
    };
    if app_id != 0 && app_id != APPLICATION_ID {
        return Err(foreign(format!("its application_id is {app_id:#x}")));
    }
    if app_id == 0 && !tables.is_empty() {
        // Files of builds from before application_id was set have our meta row.
        let ours = tables.iter().any(|t| t == "meta")
            && conn
                .query_row("SELECT 1 FROM meta WHERE key = 'schema_version'", [], |_| Ok(()))
                .optional()
                .ok()
                .flatten()
                .is_some();
        if !ours {
            let shown: Vec<&str> = tables.iter().take(5).map(String::as_str).collect();
            return Err(foreign(format!("it holds other tables: {}", shown.join(", "))));
        }
    }
    if version > USER_VERSION {
        return Err(OpenError::Refused(format!(
            "{path} was written by a newer synthesize-sim (schema {version}; this build knows up to {USER_VERSION}); \
             upgrade synthesize-sim, or pick another --db path"
        )));
    }
    Ok(())
}

/// `PRAGMA cache_size` while a seed is written: 32 MiB (negative: KiB), room for the large
/// seed's pages with the billing view's.
const SEED_CACHE_SIZE: i64 = -32 * 1024;

/// Read connections of a file database: one per core of this small machine class is plenty;
/// each holds its own page cache, so more would only cost memory.
const READERS: usize = 2;

/// Marks a database whose derived tables (`qa_fact`, `count_summary`) are filled; one written
/// before they existed gets them computed once from its history at open.
const DERIVED_MARKER: &str = "derived_facts";

impl Store {
    /// Opens (creating if need be) the database; WAL with `synchronous=NORMAL`: a killed process
    /// loses nothing, only a power cut can drop the last transactions, and writes are ~4x faster
    /// than one fsync per request. Refuses a foreign or newer database before writing to it.
    pub fn open(path: &str) -> Result<Self, OpenError> {
        // One server per file: the lock is taken before the file is even opened.
        let mut file = (path != ":memory:")
            .then(|| file::DbFile::claim(path))
            .transpose()
            .map_err(OpenError::Refused)?;
        let conn = if path == ":memory:" {
            Connection::open_in_memory()?
        } else {
            Connection::open(path)?
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        check_identity(&conn, path)?;
        let epochs = Arc::new(Epochs::default());
        let seen = epochs.clone();
        conn.update_hook(Some(move |_, _: &str, table: &str, _| seen.touched(table)));
        conn.set_prepared_statement_cache_capacity(256);
        mappings::register_functions(&conn)?;
        if path != ":memory:" {
            conn.pragma_update(None, "journal_mode", "WAL")?;
            // Checkpoints run on their own thread (see `Checkpointer`), never inside a commit;
            // a WAL that a big write (a reset) grew is cut back when it starts over.
            conn.pragma_update(None, "wal_autocheckpoint", 0)?;
            conn.pragma_update(None, "journal_size_limit", 16 << 20)?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        // Before foreign keys are on: the upgrades rebuild tables that reference each other.
        migrate::upgrade(&conn, SCHEMA)?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // One transaction: a new file's 40 tables and indexes were as many commits.
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", USER_VERSION)?;
        meta_set(&tx, "schema_version", SCHEMA_VERSION)?;
        if meta_get(&tx, DERIVED_MARKER)?.is_none() {
            rederive(&tx)?;
            meta_set(&tx, DERIVED_MARKER, "1")?;
        }
        tx.commit()?;
        if let Some(f) = &mut file {
            f.opened();
        }
        let writer = writer::Writer::start(conn, epochs, file)
            .map_err(|e| OpenError::Refused(format!("no thread for the writer: {e}")))?;
        let mut readers = vec![];
        if path != ":memory:" {
            let checkpointer = Checkpointer::start(path, Arc::downgrade(&writer))?;
            let _ = writer.checkpointer.set(checkpointer);
            for _ in 0..READERS {
                let r = Connection::open_with_flags(
                    path,
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                r.busy_timeout(std::time::Duration::from_secs(5))?;
                r.set_prepared_statement_cache_capacity(256);
                mappings::register_functions(&r)?;
                readers.push(Mutex::new(r));
            }
        }
        Ok(Store {
            writer,
            readers,
            next_reader: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// Runs `f` now on a read connection if one is free without waiting, else hands `f` back:
    /// the caller may then run it where waiting does not block others.
    pub fn try_read<T, F: FnOnce(&Connection) -> T>(&self, f: F) -> Result<T, F> {
        if self.readers.is_empty() {
            return match self.writer.try_hold() {
                Some(conn) => Ok(f(&conn)),
                None => Err(f),
            };
        }
        match self.readers.iter().find_map(|r| r.try_lock()) {
            Some(conn) => Ok(in_snapshot(&conn, f)),
            None => Err(f),
        }
    }

    /// Runs `f` on a read connection: a free one if any, else the next in turn. Each statement
    /// sees the last committed state; `f` must not write (the read connections are read-only).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        if self.readers.is_empty() {
            return f(&self.writer.hold());
        }
        let conn = self.readers.iter().find_map(|r| r.try_lock()).unwrap_or_else(|| {
            let i = self.next_reader.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.readers[i % self.readers.len()].lock()
        });
        in_snapshot(&conn, f)
    }

    /// Runs `f` in one transaction: committed if it returns Ok, rolled back otherwise, so a
    /// failing request changes nothing.
    pub fn write<T, E>(&self, f: impl FnOnce(&Transaction) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error> + StorageFailure + std::fmt::Display,
    {
        let mut conn = self.writer.hold();
        self.writer.write_on(&mut conn, f)
    }

    /// `write` for writing a whole seed over the state (a reset, a first start): foreign-key
    /// checks are off for this one transaction, so that emptying the tables is SQLite's
    /// truncation instead of a row-by-row delete that checks every child table, and the
    /// 12,000 inserts of the large seed skip two parent lookups each. The seed's rows are
    /// consistent by construction (`Seed::check`; a test runs `foreign_key_check` after every
    /// embedded seed). `foreign_keys` is a no-op inside a transaction, hence set around it.
    pub fn write_seed<T, E>(&self, f: impl FnOnce(&Transaction) -> Result<T, E>) -> Result<T, E>
    where
        E: From<rusqlite::Error> + StorageFailure + std::fmt::Display,
    {
        let mut conn = self.writer.hold();
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        // The large seed's transaction touches some 1,000 pages, twice SQLite's default page
        // cache: pages were spilled to the WAL mid-transaction and read back. This one gets a
        // larger cache, given back after (shrinking the cache frees its pages).
        let cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
        conn.pragma_update(None, "cache_size", SEED_CACHE_SIZE)?;
        let out = self.writer.write_on(&mut conn, f);
        let on = conn.pragma_update(None, "foreign_keys", "ON");
        let restored = conn.pragma_update(None, "cache_size", cache);
        let out = out?;
        // Emptied tables are SQLite's truncation, which the update hook does not see.
        self.writer.epochs.all_changed();
        on?;
        restored?;
        Ok(out)
    }

    /// Queues a vendor call's write for a group commit (see `writer`); the ticket answers once
    /// the commit that holds the write is done.
    pub fn write_grouped<T, E, F>(&self, f: F) -> Ticket<T, E>
    where
        T: Send + 'static,
        E: From<rusqlite::Error> + StorageFailure + std::fmt::Display + Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    {
        self.writer.submit(f)
    }

    /// The change counters of what in-memory copies are made of.
    pub fn epochs(&self) -> &Arc<Epochs> {
        &self.writer.epochs
    }

    /// The writing connection itself, outside any transaction: for its per-connection settings
    /// (`max_page_count`, which tests use to fill the disk), which the read connections lack.
    pub fn on_writer<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.writer.hold())
    }

    /// True while writes fail for a full disk.
    pub fn disk_full(&self) -> bool {
        self.storage_failure().is_some_and(|(k, _)| k == StorageKind::DiskFull)
    }

    /// The storage failure writes are in, if any (`/sim/health`): the file deleted or
    /// replaced (looked at now, so that it is seen even before a write tries), else the
    /// failure of the last write, until one commits again.
    pub fn storage_failure(&self) -> Option<(StorageKind, String)> {
        if let Some(f) = &self.writer.file {
            if !f.still_there() {
                return Some((StorageKind::Gone, failure::gone_message(f.path())));
            }
        }
        self.writer.failures.current()
    }

    /// `write`, now, if the writer is free; else hands `f` back to run where waiting is harmless.
    pub fn try_write<T, E, F>(&self, f: F) -> Result<Result<T, E>, F>
    where
        E: From<rusqlite::Error> + StorageFailure + std::fmt::Display,
        F: FnOnce(&Transaction) -> Result<T, E>,
    {
        let Some(mut conn) = self.writer.try_hold() else {
            return Err(f);
        };
        Ok(self.writer.write_on(&mut conn, f))
    }

    pub fn is_seeded(&self) -> rusqlite::Result<bool> {
        self.read(|c| {
            c.query_row("SELECT value FROM meta WHERE key = 'seeded_at'", [], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .map(|v| v.is_some())
        })
    }
}

impl Store {
    /// Closes the database, for a clean stop: what is queued is written, then the WAL is copied
    /// back into the file and removed, every connection closed and the lock released, so that
    /// the `.db` file alone holds every acknowledged write (whoever copies or commits "the"
    /// database loses nothing). Later writes are refused. Errors are said, not hidden.
    pub fn close(&self) -> Result<(), String> {
        if self.writer.closed.load(Ordering::Relaxed) {
            return Ok(());
        }
        // The queue first (its writes are acknowledged once committed), then no more writes.
        self.writer.close();
        self.writer.closed.store(true, Ordering::Relaxed);
        if let Some(c) = self.writer.checkpointer.get() {
            c.stop();
        }
        let Some(file) = &self.writer.file else {
            return Ok(()); // :memory: goes with the process
        };
        let closed_conn = || Connection::open_in_memory().map_err(|e| e.to_string());
        for r in &self.readers {
            let mut c = r.lock();
            *c = closed_conn()?;
        }
        let mut w = self.writer.hold();
        let checkpoint = w
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get::<_, i64>(0))
            .map_err(|e| format!("{}: checkpoint at stop: {e}", file.path()));
        // The last connection to close deletes the WAL (SQLite does so once it is copied back).
        let real = std::mem::replace(&mut *w, closed_conn()?);
        drop(w);
        let closed = real
            .close()
            .map_err(|(_, e)| format!("{}: closing the database: {e}", file.path()));
        file.release();
        match checkpoint {
            Ok(0) => closed,
            Ok(_) => Err(format!(
                "{}: the WAL could not be copied back whole at stop (a reader held it); the -wal file beside it holds the rest",
                file.path()
            )),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            log::error!("{e}");
        }
    }
}

/// Runs `f` in one read transaction, so that every statement of `f` sees the same snapshot.
/// BEGIN and its end come from the statement cache (rusqlite's `Transaction` parses them anew
/// on each call, a measurable part of a key lookup); a guard ends the transaction even if `f`
/// panics, so a connection never keeps an old snapshot.
fn in_snapshot<T>(conn: &Connection, f: impl FnOnce(&Connection) -> T) -> T {
    struct End<'a>(&'a Connection);
    impl Drop for End<'_> {
        fn drop(&mut self) {
            if !self.0.is_autocommit() {
                let _ = self.0.prepare_cached("ROLLBACK").and_then(|mut s| s.execute([]));
            }
        }
    }
    let began = conn.prepare_cached("BEGIN").and_then(|mut s| s.execute([]));
    let _end = began.is_ok().then_some(End(conn));
    f(conn)
}

/// Every table that holds simulated state, emptied by a reset (meta keeps the schema version).
pub const STATE_TABLES: [&str; 25] = [
    "sync_baseline",
    "sync_run_pair",
    "sync_run",
    "event",
    "billing_view",
    "csv_usage",
    "card_action",
    "alert",
    "unit_count_history",
    "unit_count",
    "service_mapping",
    "account_mapping",
    "org_service",
    "vendor_account",
    "revoked_key",
    "integration",
    "vendor_service",
    "vendor",
    "psa_ticket",
    "psa_board",
    "psa_line",
    "psa_product",
    "psa_agreement",
    "psa_company",
    "partner",
];

/// Tables computed from the state as it changes (the QA checklist's facts, the count
/// summaries): emptied with it, never exported in a snapshot, recomputed by `rederive`.
pub const DERIVED_TABLES: [&str; 2] = ["qa_fact", "count_summary"];

/// Recomputes the derived tables from the event log and the count history.
pub fn rederive(tx: &Connection) -> rusqlite::Result<()> {
    events::refold(tx)?;
    usage::resummarise(tx)
}

pub fn clear_state(tx: &Transaction) -> rusqlite::Result<()> {
    for table in DERIVED_TABLES.iter().chain(STATE_TABLES.iter()) {
        // Row by row where an epoch watches (a few rows): a truncation is not seen by the
        // update hook that moves the epochs.
        let rows = if epochs::WATCHED_TABLES.contains(table) {
            " WHERE 1"
        } else {
            ""
        };
        tx.execute(&format!("DELETE FROM {table}{rows}"), [])?;
    }
    tx.execute(
        "DELETE FROM meta WHERE key NOT IN ('schema_version', ?1)",
        [DERIVED_MARKER],
    )?;
    Ok(())
}

/// The cheapest read that proves the database answers (`/sim/health`).
pub fn ping(c: &Connection) -> rusqlite::Result<()> {
    c.query_row("SELECT COUNT(*) FROM partner", [], |r| r.get::<_, i64>(0))?;
    Ok(())
}

pub fn meta_get(c: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    c.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

pub fn meta_set(c: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )?;
    Ok(())
}

/// The next position in a table's `seq` column, so lists keep creation order.
pub fn next_seq(c: &Connection, table: &str) -> rusqlite::Result<i64> {
    // Cached: a body of 1,000 accounts asks 1,000 times.
    c.cached_row(&format!("SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}"), [], |r| {
        r.get(0)
    })
}

pub fn modules_to_json(modules: &[String]) -> String {
    serde_json::to_string(modules).unwrap_or_else(|_| "[]".into())
}

pub fn modules_from_json(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// `query_row` through the statement cache: the hot reads (every call's key lookups) skip
/// re-parsing their SQL.
pub trait CachedRow {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl CachedRow for Connection {
    fn cached_row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

#[cfg(test)]
mod connection_tests;
#[cfg(test)]
mod tests;
