//! What a failed write may be: a full disk is told apart, so that `/sim/health` can say so.

/// Whether an error is SQLite's "database or disk is full".
pub fn is_disk_full(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull))
}

/// Errors that may carry SQLITE_FULL, so that `Store::write` can notice a full disk.
pub trait StorageFailure {
    fn is_disk_full(&self) -> bool;
}

impl StorageFailure for rusqlite::Error {
    fn is_disk_full(&self) -> bool {
        is_disk_full(self)
    }
}
