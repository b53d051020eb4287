//! Storage failures, said as they are: a full disk, a file that may not be written, an I/O
//! error, a database file deleted under the server. Each is told apart from a bug (which stays
//! a bare 500), answered with a message naming the file, reported by `/sim/health`, and logged
//! once per kind, then counted, instead of once per refused write (hundreds a second under load).

use parking_lot::Mutex;
use rusqlite::ffi;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageKind {
    /// SQLITE_FULL: the disk (or `max_page_count`) is full.
    DiskFull,
    /// SQLITE_READONLY: the file, its folder or its `-wal` may not be written.
    ReadOnly,
    /// SQLITE_IOERR and SQLITE_CANTOPEN: the disk or the file system failed.
    Io,
    /// The database file was deleted or replaced while the server ran (see `file`): SQLite's
    /// own code for it, SQLITE_READONLY_DBMOVED.
    Gone,
}

impl StorageKind {
    pub fn name(self) -> &'static str {
        match self {
            StorageKind::DiskFull => "disk_full",
            StorageKind::ReadOnly => "read-only",
            StorageKind::Io => "I/O error",
            StorageKind::Gone => "database file deleted",
        }
    }
}

/// The storage failure an SQLite error is, if it is one.
pub fn storage_kind(e: &rusqlite::Error) -> Option<StorageKind> {
    let code = e.sqlite_error()?;
    if code.extended_code == ffi::SQLITE_READONLY_DBMOVED {
        return Some(StorageKind::Gone);
    }
    match code.code {
        rusqlite::ErrorCode::DiskFull => Some(StorageKind::DiskFull),
        rusqlite::ErrorCode::ReadOnly => Some(StorageKind::ReadOnly),
        rusqlite::ErrorCode::SystemIoFailure | rusqlite::ErrorCode::CannotOpen => Some(StorageKind::Io),
        _ => None,
    }
}

/// The SQLite error a write gets once the database file is gone.
pub(crate) fn gone_error(path: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        ffi::Error {
            code: rusqlite::ErrorCode::ReadOnly,
            extended_code: ffi::SQLITE_READONLY_DBMOVED,
        },
        Some(gone_message(path)),
    )
}

/// What a write answers, and the terminal says, once the database file is gone.
pub(crate) fn gone_message(path: &str) -> String {
    format!(
        "the database file {path} was deleted or replaced while synthesize-sim ran; writes are refused from now on, \
         since they would go to a file nobody can open again. Restart synthesize-sim: it then creates {path} afresh \
         from the seed (what this server still holds went with the deleted file)"
    )
}

/// Errors a write may fail with: which storage failure each is, if any, so that the writer can
/// keep `/sim/health` and the terminal informed and name the file in the answer.
pub trait StorageFailure: Sized {
    fn storage_kind(&self) -> Option<StorageKind>;
    /// The same failure, its message naming the database file.
    fn on_file(self, _file: &str) -> Self {
        self
    }
    fn is_disk_full(&self) -> bool {
        self.storage_kind() == Some(StorageKind::DiskFull)
    }
}

impl StorageFailure for rusqlite::Error {
    fn storage_kind(&self) -> Option<StorageKind> {
        storage_kind(self)
    }
}

/// How long a failure that goes on is silent before its count is logged again.
const SUMMARY_EVERY: Duration = Duration::from_secs(30);

/// The writes' storage failures since the last commit: what `/sim/health` reports, and what
/// the terminal was told.
#[derive(Default)]
pub(crate) struct Failures {
    inner: Mutex<Seen>,
}

#[derive(Default)]
struct Seen {
    /// The last failure, until a write commits again: (kind, message).
    current: Option<(StorageKind, String)>,
    /// Per kind: writes refused since its line, and when that line (or the last count) was logged.
    counts: Vec<(StorageKind, u64, Instant)>,
}

impl Failures {
    /// A write failed for `kind`: the first of its kind is logged in full, the rest counted.
    pub(crate) fn failed(&self, kind: StorageKind, message: &str) {
        let mut s = self.inner.lock();
        s.current = Some((kind, message.to_string()));
        match s.counts.iter_mut().find(|(k, ..)| *k == kind) {
            None => {
                // A deleted file was said when it was noticed (see `file`).
                if kind != StorageKind::Gone {
                    log::error!("storage: {message} (further writes refused for this are counted, not each logged)");
                }
                s.counts.push((kind, 0, Instant::now()));
            }
            Some((_, n, since)) => {
                *n += 1;
                if since.elapsed() >= SUMMARY_EVERY {
                    log::error!(
                        "storage: {n} more write(s) refused ({}) in the last {}s",
                        kind.name(),
                        since.elapsed().as_secs()
                    );
                    *n = 0;
                    *since = Instant::now();
                }
            }
        }
    }

    /// A write committed: the failures are over, and their counts are said once.
    pub(crate) fn committed(&self) {
        let mut s = self.inner.lock();
        if s.current.is_none() && s.counts.is_empty() {
            return;
        }
        let counts = std::mem::take(&mut s.counts);
        s.current = None;
        drop(s);
        let said: Vec<String> = counts
            .iter()
            .map(|(k, n, _)| format!("{} more refused ({})", n, k.name()))
            .collect();
        log::warn!(
            "storage: writes commit again; since the first failure line: {}",
            said.join(", ")
        );
    }

    /// The failure writes are in, if any.
    pub(crate) fn current(&self) -> Option<(StorageKind, String)> {
        self.inner.lock().current.clone()
    }

    /// Whether a commit is needed to clear anything (skips the lock on the hot path).
    pub(crate) fn any(&self) -> bool {
        let s = self.inner.lock();
        s.current.is_some() || !s.counts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_are_told_apart() {
        let of = |code: i32| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
        assert_eq!(storage_kind(&of(ffi::SQLITE_FULL)), Some(StorageKind::DiskFull));
        assert_eq!(storage_kind(&of(ffi::SQLITE_READONLY)), Some(StorageKind::ReadOnly));
        assert_eq!(storage_kind(&of(ffi::SQLITE_IOERR_WRITE)), Some(StorageKind::Io));
        assert_eq!(storage_kind(&of(ffi::SQLITE_IOERR_FSYNC)), Some(StorageKind::Io));
        assert_eq!(storage_kind(&of(ffi::SQLITE_CANTOPEN)), Some(StorageKind::Io));
        assert_eq!(storage_kind(&gone_error("x.db")), Some(StorageKind::Gone));
        assert_eq!(storage_kind(&of(ffi::SQLITE_CONSTRAINT)), None);
        assert_eq!(storage_kind(&rusqlite::Error::QueryReturnedNoRows), None);
    }

    #[test]
    fn a_failure_is_current_until_a_commit() {
        let f = Failures::default();
        assert!(f.current().is_none() && !f.any());
        for _ in 0..100 {
            f.failed(StorageKind::Io, "x.db: disk I/O error");
        }
        assert_eq!(f.current().map(|c| c.0), Some(StorageKind::Io));
        assert_eq!(f.inner.lock().counts[0].1, 99, "one line, then a count");
        f.committed();
        assert!(f.current().is_none() && !f.any());
    }
}
