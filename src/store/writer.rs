//! The one writing connection, and group commit: vendor writes that arrive while the writer is
//! busy share one transaction and one commit, each inside its own savepoint.
//!
//! A commit is most of a small write's cost (its pages copied into the WAL), and SQLite takes
//! one writer at a time, so under a stream of unit counts the writer was the queue every
//! request stood in, and each request crossed to a blocking thread and back to stand in it.
//! Here a vendor write is queued with a channel for its answer, and its caller first lets the
//! calls that arrived with it queue theirs (one turn of its event loop: the requests already
//! read off other connections reach their writes in that turn). Then, if the writer is free,
//! the caller runs everything queued itself, on its own thread; if not, the group-commit
//! thread runs it once the writer is free. Either way the queue runs in batches: each job in a
//! savepoint (released if it succeeds, rolled back if it fails, so a refused call still stores
//! nothing), then one commit for the batch. A commit's pages are written once for the whole
//! batch, which is what makes a stream of counts cheap. The callers wait on their channels,
//! not on threads, and each is answered only after the commit that holds its write, so an
//! answer still means "stored".
//!
//! Nothing waits forever in the queue: a job is queued first, then either run by its caller
//! (which takes the queue after queuing it) or handed to the thread, which is woken for it; a
//! caller that stops waiting before either (its connection closed) wakes the thread too.

use super::epochs::Epochs;
use super::failure::{gone_error, Failures, StorageFailure, StorageKind};
use super::file::DbFile;
use parking_lot::{Condvar, Mutex, MutexGuard};
use rusqlite::{Connection, Transaction};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub(super) struct Writer {
    conn: Mutex<Connection>,
    queue: Mutex<Queue>,
    /// Wakes the group-commit thread.
    queued: Condvar,
    pub(super) epochs: Arc<Epochs>,
    /// The storage failure writes are in (a full disk, a read-only file, an I/O error), cleared
    /// by the next write that commits; `/sim/health` reports it.
    pub(super) failures: Failures,
    /// A file database's lock and identity: a write first checks the file is still there.
    pub(super) file: Option<DbFile>,
    /// The store was closed (a clean stop): writes are refused.
    pub(super) closed: AtomicBool,
    /// A file database's WAL is checkpointed off the request path (see `Checkpointer`).
    pub(super) checkpointer: OnceLock<Arc<Checkpointer>>,
    group_commit: Mutex<Option<std::thread::JoinHandle<()>>>,
}

#[derive(Default)]
struct Queue {
    jobs: Vec<Box<dyn Job>>,
    /// The store is gone: the group-commit thread ends.
    closed: bool,
}

/// The answer of a queued write: the caller awaits it.
pub struct Ticket<T, E> {
    answer: tokio::sync::oneshot::Receiver<Result<T, E>>,
    /// The writer that still has to be asked to run the queue (see `answer`); `None` once asked,
    /// or for a write answered at once.
    writer: Option<Arc<Writer>>,
}

impl<T, E: From<rusqlite::Error>> Ticket<T, E> {
    pub async fn answer(mut self) -> Result<T, E> {
        if self.writer.is_some() {
            // One turn of the caller's event loop, so that the writes of the calls read with
            // this one join its batch; then the queue is run here, or by the thread. The writer
            // is taken only after the turn: a caller dropped during it leaves the ticket's
            // drop to wake the thread.
            tokio::task::yield_now().await;
            if let Some(writer) = self.writer.take() {
                if self.answer.is_empty() {
                    writer.run_or_hand_over();
                }
            }
        }
        // A sender dropped unsent: the holder stopped in the middle of a batch (a panic outside
        // any job), and nothing of it was committed.
        (&mut self.answer).await.unwrap_or_else(|_| Err(E::from(lost())))
    }
}

impl<T, E> Drop for Ticket<T, E> {
    fn drop(&mut self) {
        // Dropped before it asked (its caller went): the thread runs what it queued.
        if let Some(writer) = self.writer.take() {
            writer.queued.notify_one();
        }
    }
}

/// A queued write, its types erased so that one batch holds writes of every kind.
pub(super) trait Job: Send {
    /// Runs inside the batch's transaction; answers whether its changes are kept.
    fn run(&mut self, tx: &Transaction) -> bool;
    /// The storage failure it failed with, if any, and its message.
    fn storage_failure(&self) -> Option<(StorageKind, String)>;
    /// After its batch committed (`None`) or failed: hands the answer to its caller, a storage
    /// failure naming `file`.
    fn settle(self: Box<Self>, failed: Option<&rusqlite::Error>, file: &str);
}

struct Queued<T, E, F> {
    f: Option<F>,
    out: Option<Result<T, E>>,
    answer: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Job for Queued<T, E, F>
where
    T: Send,
    E: From<rusqlite::Error> + StorageFailure + std::fmt::Display + Send,
    F: FnOnce(&Transaction) -> Result<T, E> + Send,
{
    fn run(&mut self, tx: &Transaction) -> bool {
        let Some(f) = self.f.take() else { return false };
        // A panic fails this call alone (as a failed transaction would); the batch goes on
        // without its changes.
        let out = panic::catch_unwind(AssertUnwindSafe(|| f(tx))).unwrap_or_else(|p| {
            let why = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            log::error!("a write panicked, and was rolled back: {why}");
            Err(E::from(failure(
                rusqlite::ffi::SQLITE_INTERNAL,
                format!("the write panicked: {why}"),
            )))
        });
        let keep = out.is_ok();
        self.out = Some(out);
        keep
    }

    fn storage_failure(&self) -> Option<(StorageKind, String)> {
        match &self.out {
            Some(Err(e)) => e.storage_kind().map(|k| (k, e.to_string())),
            _ => None,
        }
    }

    fn settle(mut self: Box<Self>, failed: Option<&rusqlite::Error>, file: &str) {
        let out = match (self.out.take(), failed) {
            // Not run (the batch could not begin), or its changes went with the batch.
            (None, Some(e)) | (Some(Ok(_)), Some(e)) => Err(E::from(copy_error(e))),
            (None, None) => Err(E::from(lost())),
            (Some(out), _) => out,
        };
        let out = out.map_err(|e| e.on_file(file));
        // The caller may have gone (its connection closed): the write stands all the same.
        let _ = self.answer.send(out);
    }
}

fn failure(code: std::os::raw::c_int, message: String) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), Some(message))
}

/// The batch's error, for each of its callers (rusqlite's errors are not `Clone`).
fn copy_error(e: &rusqlite::Error) -> rusqlite::Error {
    let code = e
        .sqlite_error()
        .copied()
        .unwrap_or_else(|| rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR));
    rusqlite::Error::SqliteFailure(code, Some(e.to_string()))
}

fn lost() -> rusqlite::Error {
    failure(
        rusqlite::ffi::SQLITE_ABORT,
        "the write's batch was abandoned; nothing of it was stored".into(),
    )
}

impl Writer {
    /// The writer, and its group-commit thread.
    pub(super) fn start(conn: Connection, epochs: Arc<Epochs>, file: Option<DbFile>) -> std::io::Result<Arc<Self>> {
        let writer = Arc::new(Writer {
            conn: Mutex::new(conn),
            queue: Mutex::new(Queue::default()),
            queued: Condvar::new(),
            epochs,
            failures: Failures::default(),
            file,
            closed: AtomicBool::new(false),
            checkpointer: OnceLock::new(),
            group_commit: Mutex::new(None),
        });
        let me = writer.clone();
        let thread = std::thread::Builder::new()
            .name("group-commit".into())
            .spawn(move || me.group_commits())?;
        *writer.group_commit.lock() = Some(thread);
        Ok(writer)
    }

    /// The group-commit thread: runs what is queued, batch after batch, until the store closes.
    fn group_commits(&self) {
        loop {
            {
                let mut q = self.queue.lock();
                while q.jobs.is_empty() && !q.closed {
                    self.queued.wait(&mut q);
                }
                if q.closed {
                    return;
                }
            }
            let mut conn = self.hold();
            self.run_queue(&mut conn);
        }
    }

    /// Ends the group-commit thread (the store is dropped) and waits for it, so that the
    /// connection closes with the store (its last checkpoint); what is still queued is run first.
    pub(super) fn close(&self) {
        let left = {
            let mut q = self.queue.lock();
            q.closed = true;
            !q.jobs.is_empty()
        };
        self.queued.notify_all();
        if left {
            self.run_queue(&mut self.hold());
        }
        if let Some(thread) = self.group_commit.lock().take() {
            let _ = thread.join();
        }
    }

    /// Holds the writer, waiting for it.
    pub(super) fn hold(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock()
    }

    /// Holds the writer if it is free now.
    pub(super) fn try_hold(&self) -> Option<MutexGuard<'_, Connection>> {
        self.conn.try_lock()
    }

    /// Runs `f` in one transaction on the held writer: committed if it returns Ok, rolled back
    /// otherwise.
    pub(super) fn write_on<T, E>(
        &self,
        conn: &mut Connection,
        f: impl FnOnce(&Transaction) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<rusqlite::Error> + StorageFailure + std::fmt::Display,
    {
        if let Err(e) = self.may_write() {
            let e = E::from(e);
            self.ended(false, e.storage_kind().map(|k| (k, e.to_string())));
            return Err(e);
        }
        let out: Result<T, E> = (|| {
            // IMMEDIATE: the write lock is taken (or waited for) at BEGIN, never upgraded from a
            // read snapshot mid-transaction, which SQLite may refuse with "database is locked"
            // instead of waiting.
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        let out = out.map_err(|e| e.on_file(self.file_name()));
        match &out {
            Ok(_) => self.ended(true, None),
            Err(e) => self.ended(false, e.storage_kind().map(|k| (k, e.to_string()))),
        }
        out
    }

    /// The database file, as failures name it.
    fn file_name(&self) -> &str {
        self.file.as_ref().map_or(":memory:", DbFile::path)
    }

    /// Whether a write may begin: not once the store is closed, nor once its file is gone
    /// (a commit would go to a file nobody can open again).
    fn may_write(&self) -> rusqlite::Result<()> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(failure(
                rusqlite::ffi::SQLITE_MISUSE,
                "the database is closed: synthesize-sim is stopping".into(),
            ));
        }
        match &self.file {
            Some(f) if !f.still_there() => Err(gone_error(f.path())),
            _ => Ok(()),
        }
    }

    /// After a transaction ended, on the held writer: committed, or rolled back as a whole
    /// (`failure` says whether for storage). Keeps the failures `/sim/health` reports, wakes the
    /// checkpointer, and moves the epochs of what a commit changed.
    fn ended(&self, committed: bool, failure: Option<(StorageKind, String)>) {
        if let Some((kind, message)) = &failure {
            self.failures.failed(*kind, message);
        }
        if !committed {
            self.epochs.rolled_back();
            return;
        }
        if failure.is_none() && self.failures.any() {
            self.failures.committed();
        }
        self.epochs.committed();
        if let Some(c) = self.checkpointer.get() {
            c.nudge();
        }
    }

    /// Queues a write, to be run with whatever else is queued when its ticket is awaited.
    pub(super) fn submit<T, E, F>(self: &Arc<Self>, f: F) -> Ticket<T, E>
    where
        T: Send + 'static,
        E: From<rusqlite::Error> + StorageFailure + std::fmt::Display + Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, E> + Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job = Box::new(Queued {
            f: Some(f),
            out: None,
            answer: tx,
        });
        {
            let mut q = self.queue.lock();
            if q.closed {
                // No thread is left to run it: answered at once.
                drop(q);
                let closed = self.may_write().err().unwrap_or_else(lost);
                job.settle(Some(&closed), self.file_name());
                return Ticket {
                    answer: rx,
                    writer: None,
                };
            }
            q.jobs.push(job);
        }
        Ticket {
            answer: rx,
            writer: Some(self.clone()),
        }
    }

    /// Runs the queue on this thread if the writer is free, else wakes the group-commit thread
    /// for it (the writer's holder took the queue before this call's job was in it).
    fn run_or_hand_over(&self) {
        match self.try_hold() {
            // The queue is taken after the job was queued, so the job is in it (or another
            // caller or the thread took it first, and runs it).
            Some(mut conn) => self.run_queue(&mut conn),
            None => {
                self.queued.notify_one();
            }
        }
    }

    /// Runs every queued write, in batches: one transaction each, one savepoint per write.
    fn run_queue(&self, conn: &mut Connection) {
        let jobs = std::mem::take(&mut self.queue.lock().jobs);
        // A write alone needs no savepoint: its transaction is rolled back whole if it fails.
        let alone = jobs.len() == 1;
        let file = self.file_name();
        let mut jobs = jobs.into_iter().peekable();
        while jobs.peek().is_some() {
            let began = self
                .may_write()
                .and_then(|()| conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate));
            let tx = match began {
                Ok(tx) => tx,
                Err(e) => {
                    let e = e.on_file(file);
                    self.ended(false, e.storage_kind().map(|k| (k, e.to_string())));
                    jobs.for_each(|j| j.settle(Some(&e), file));
                    return;
                }
            };
            let mut done: Vec<Box<dyn Job>> = vec![];
            let (mut kept, mut broken) = (false, false);
            let mut storage: Option<(StorageKind, String)> = None;
            for mut job in jobs.by_ref() {
                let step = |sql: &str| {
                    if alone {
                        return Ok(());
                    }
                    tx.prepare_cached(sql).and_then(|mut s| s.execute([]).map(|_| ()))
                };
                if let Err(e) = step("SAVEPOINT job") {
                    job.settle(Some(&e), file);
                    continue;
                }
                let keep = job.run(&tx);
                storage = storage.or_else(|| job.storage_failure());
                done.push(job);
                // SQLite rolls the whole transaction back by itself on some errors (a full
                // disk, an I/O error): what this batch kept went with it.
                if tx.is_autocommit() {
                    broken = true;
                    break;
                }
                let ended = if keep || alone {
                    step("RELEASE job")
                } else {
                    step("ROLLBACK TO job").and_then(|_| step("RELEASE job"))
                };
                if ended.is_err() {
                    broken = true;
                    break;
                }
                kept |= keep;
            }
            let failed = if broken {
                drop(tx);
                Some(failure(
                    rusqlite::ffi::SQLITE_ABORT,
                    "the transaction was rolled back".into(),
                ))
            } else if kept {
                tx.commit().err()
            } else {
                tx.rollback().err()
            };
            let failed = failed.map(|e| e.on_file(file));
            let storage = storage.or_else(|| {
                let e = failed.as_ref()?;
                e.storage_kind().map(|k| (k, e.to_string()))
            });
            self.ended(failed.is_none() && kept, storage);
            for job in done {
                job.settle(failed.as_ref(), file);
            }
        }
    }
}

/// Copies the WAL back into the database file on its own thread and connection. SQLite's
/// automatic checkpoint runs inside the commit that crosses 1,000 WAL pages: under a stream of
/// counts that is dozens of times a second, each with two fsyncs, on whichever request is
/// unlucky; after a reset it is most of the reset. Here a write only wakes this thread, which
/// runs a PASSIVE checkpoint (it never blocks readers or the writer) at most every
/// `CHECKPOINT_PAUSE`. Durability is unchanged: with `synchronous=NORMAL` a commit is in the
/// WAL, which survives a killed process, and the last connection to close checkpoints the rest.
pub(crate) struct Checkpointer {
    state: Mutex<(bool, bool)>, // (writes since the last checkpoint, stop)
    wake: parking_lot::Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// How often an idle server looks whether its database file is still there, so that a deleted
/// file is said on the terminal even before a write is refused for it.
const FILE_LOOK: Duration = Duration::from_secs(1);

const CHECKPOINT_PAUSE: Duration = Duration::from_millis(100);
/// SQLite's own automatic checkpoint threshold: a WAL longer than this is checkpointed to the
/// end, under the writer's lock, so that it starts over.
const RESTART_FRAMES: i64 = 1000;

impl Checkpointer {
    pub(super) fn start(path: &str, writer: std::sync::Weak<Writer>) -> rusqlite::Result<Arc<Self>> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let me = Arc::new(Checkpointer {
            state: Mutex::new((false, false)),
            wake: parking_lot::Condvar::new(),
            thread: Mutex::new(None),
        });
        let worker = me.clone();
        let thread = std::thread::Builder::new()
            .name("wal-checkpoint".into())
            .spawn(move || worker.run(conn, writer))
            .expect("a thread for WAL checkpoints");
        *me.thread.lock() = Some(thread);
        Ok(me)
    }

    fn nudge(&self) {
        let mut s = self.state.lock();
        if !s.0 {
            s.0 = true;
            self.wake.notify_one();
        }
    }

    fn run(&self, conn: Connection, writer: std::sync::Weak<Writer>) {
        loop {
            {
                let mut s = self.state.lock();
                while !s.0 && !s.1 {
                    if self.wake.wait_for(&mut s, FILE_LOOK).timed_out() {
                        if let Some(file) = writer.upgrade().as_ref().and_then(|w| w.file.as_ref()) {
                            // Says it on the terminal the first time (see `file`).
                            let _ = file.still_there();
                        }
                    }
                }
                if s.1 {
                    return;
                }
                s.0 = false;
            }
            // (busy, frames in the WAL, frames copied back)
            let pass = |c: &Connection| {
                c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
                })
            };
            let finished = match pass(&conn) {
                Ok((_, frames, _)) => frames < RESTART_FRAMES,
                Err(e) => {
                    log::warn!("WAL checkpoint failed (retried after the next write): {e}");
                    true
                }
            };
            // Once the WAL is long, the writes that came in meanwhile are copied under the
            // writer's lock, so that the checkpoint completes and the next write starts the WAL
            // over: under a steady stream of writes a checkpoint beside them never catches up,
            // and the WAL grew without end (1.6 GB in one benchmark run). The bulk was copied
            // above; this pass is the few frames since and an fsync.
            if !finished {
                let Some(writer) = writer.upgrade() else { return };
                let w = writer.hold();
                if let Err(e) = pass(&w) {
                    log::warn!("WAL checkpoint failed (retried after the next write): {e}");
                }
            }
            // The pause holds even if writes wake the thread meanwhile.
            let until = std::time::Instant::now() + CHECKPOINT_PAUSE;
            let mut s = self.state.lock();
            while !s.1 && !self.wake.wait_until(&mut s, until).timed_out() {}
        }
    }

    /// Ends the thread, and waits for it (its connection closed with it).
    pub(super) fn stop(&self) {
        self.state.lock().1 = true;
        self.wake.notify_one();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}
