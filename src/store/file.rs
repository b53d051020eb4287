//! The database file is this simulator's. One server per file: a lock file beside it
//! (`<db>.lock`, holding the owner's pid) is locked exclusively for the server's life, so a
//! second server on the same file is refused at start instead of serving from caches that
//! follow only its own writes. And a file deleted or replaced under a running server (a
//! `rm` to "reset", a CI step cleaning its folder) is noticed: the path no longer names the
//! file that was opened, so writes, which would go to a file nobody can open again, are refused.
//!
//! The lock is the operating system's (`flock` on Unix, `LockFileEx` on Windows, through
//! `std::fs::File::try_lock`): it goes with the process however it ends, so a killed server
//! leaves no stale lock, only a file whose pid the next start overwrites. `:memory:` is private
//! to its process and takes no lock.

use super::failure::gone_message;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// The lock file of a database path.
pub fn lock_path(db: &str) -> PathBuf {
    PathBuf::from(format!("{db}.lock"))
}

/// A file database, claimed: its lock held, and the identity of the file that was opened.
pub(crate) struct DbFile {
    path: String,
    lock: parking_lot::Mutex<Option<(File, PathBuf)>>,
    /// The database file as opened, held open so that its inode is not reused while the server
    /// runs, and its device and inode (Unix).
    opened: Option<(File, Option<(u64, u64)>)>,
    /// Set once the path is seen to name another file, or none: it stays set until restart.
    lost: AtomicBool,
}

impl DbFile {
    /// Takes the database's lock, or says who holds it.
    pub(crate) fn claim(path: &str) -> Result<DbFile, String> {
        let lock = lock_path(path);
        // A lock file deleted between its opening and its locking (by a server stopping) is
        // locked by nobody else: the lock is retried on the file the path names now.
        for _ in 0..5 {
            let mut file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&lock)
                .map_err(|e| {
                    format!(
                        "{path}: cannot create its lock file {}: {e}; pick another --db in a folder you can write",
                        lock.display()
                    )
                })?;
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let mut pid = String::new();
                    let _ = file.read_to_string(&mut pid);
                    let pid = pid.trim();
                    let pid = if pid.is_empty() { "unknown" } else { pid };
                    return Err(format!(
                        "{path}: another synthesize-sim (pid {pid}) has this database; pick another --db"
                    ));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(format!(
                        "{path}: cannot lock {}: {e}; pick another --db",
                        lock.display()
                    ))
                }
            }
            if !same_file(&file, &lock) {
                continue;
            }
            let written = file
                .set_len(0)
                .and_then(|()| file.rewind())
                .and_then(|()| writeln!(file, "{}", std::process::id()));
            if let Err(e) = written {
                return Err(format!("{path}: cannot write its lock file {}: {e}", lock.display()));
            }
            return Ok(DbFile {
                path: path.to_string(),
                lock: parking_lot::Mutex::new(Some((file, lock))),
                opened: None,
                lost: AtomicBool::new(false),
            });
        }
        Err(format!(
            "{path}: its lock file {} keeps being replaced; pick another --db",
            lock.display()
        ))
    }

    /// Notes the identity of the database file as opened (called once the file exists).
    pub(crate) fn opened(&mut self) {
        self.opened = File::open(&self.path).ok().map(|f| {
            let id = f.metadata().ok().as_ref().and_then(identity_of);
            (f, id)
        });
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// Whether the path still names the file that was opened. The first time it does not,
    /// says so once on the terminal; from then on the answer stays "lost".
    pub(crate) fn still_there(&self) -> bool {
        if self.lost.load(Ordering::Relaxed) {
            return false;
        }
        let Some((open, id)) = &self.opened else {
            return true;
        };
        let now = match std::fs::metadata(&self.path) {
            Ok(m) => Some(identity_of(&m)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            // Unreadable for another reason (permissions of the folder): not proof of anything.
            Err(_) => return true,
        };
        // The path names the same file (where identities exist: same device and inode, and
        // the open file still has a name), or at least a file (where they do not).
        let same = match (now, id) {
            (Some(Some(now)), Some(id)) => now == *id && links(open) != Some(0),
            (Some(_), None) => true,
            (None, _) => false,
            (Some(None), Some(_)) => true,
        };
        if same {
            return true;
        }
        if !self.lost.swap(true, Ordering::Relaxed) {
            log::error!("{}", gone_message(&self.path));
        }
        false
    }
}

impl DbFile {
    /// Gives the database up (a clean stop, once it is closed): the lock file is removed while
    /// still locked, so that no one locks the file being removed, then unlocked.
    pub(crate) fn release(&self) {
        if let Some((file, path)) = self.lock.lock().take() {
            if same_file(&file, &path) {
                let _ = std::fs::remove_file(&path);
            }
            drop(file);
        }
    }
}

impl Drop for DbFile {
    fn drop(&mut self) {
        self.release();
    }
}

#[cfg(unix)]
fn identity_of(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity_of(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// How many names the open file has (0: deleted).
#[cfg(unix)]
fn links(f: &File) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    f.metadata().ok().map(|m| m.nlink())
}

#[cfg(not(unix))]
fn links(_: &File) -> Option<u64> {
    None
}

fn identity(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().as_ref().and_then(identity_of)
}

/// Whether `path` names the open `file` (always, where there is no identity to compare).
fn same_file(file: &File, path: &Path) -> bool {
    match (file.metadata().ok().as_ref().and_then(identity_of), identity(path)) {
        (Some(open), named) => named == Some(open),
        (None, _) => path.exists(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_claim_per_file_and_the_lock_goes_with_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a.db").to_str().unwrap().to_string();
        let first = DbFile::claim(&db).unwrap();
        let pid = std::fs::read_to_string(lock_path(&db)).unwrap();
        assert_eq!(pid.trim(), std::process::id().to_string());
        match DbFile::claim(&db) {
            Err(m) => assert!(
                m.contains(&format!(
                    "another synthesize-sim (pid {}) has this database; pick another --db",
                    std::process::id()
                )),
                "{m}"
            ),
            other => panic!("a second claim: {:?}", other.map(|_| ())),
        }
        drop(first);
        assert!(!lock_path(&db).exists(), "the lock file is removed at a clean stop");
        let again = DbFile::claim(&db).expect("claimed again once released");
        drop(again);
    }

    #[cfg(unix)]
    #[test]
    fn a_deleted_or_replaced_file_is_noticed_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        std::fs::write(&path, b"x").unwrap();
        let mut f = DbFile::claim(path.to_str().unwrap()).unwrap();
        f.opened();
        assert!(f.still_there());
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, b"a new file of the same name").unwrap();
        assert!(!f.still_there(), "a replaced file is not the one opened");
        assert!(!f.still_there(), "and stays lost");
    }
}
