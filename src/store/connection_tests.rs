//! The connections: reads see the last commit without waiting for a writer, the WAL is
//! checkpointed off the commit, group commit keeps or refuses each write alone and joins the
//! writes of calls read together, and the epochs
//! move with the tables they watch.

use super::tests::texts;
use super::{usage, Store};
use rusqlite::Connection;
use std::collections::BTreeMap;

#[test]
fn reads_see_the_last_commit_and_never_wait_for_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.db");
    let store = std::sync::Arc::new(Store::open(path.to_str().unwrap()).unwrap());
    store
        .write(|tx| tx.execute("INSERT INTO meta (key, value) VALUES ('k', 'committed')", []))
        .unwrap();
    let (in_write, go_on) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let writer = {
        let store = store.clone();
        let (tell, wait) = (in_write.0, go_on.1);
        std::thread::spawn(move || {
            store
                .write(|tx| -> rusqlite::Result<()> {
                    tx.execute("UPDATE meta SET value = 'uncommitted' WHERE key = 'k'", [])?;
                    tell.send(()).unwrap();
                    wait.recv().unwrap();
                    Ok(())
                })
                .unwrap();
        })
    };
    in_write.1.recv().unwrap();
    // The write transaction is open and holds the writer: a read still answers, with the last
    // committed value.
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || tx.send(store.read(|c| super::meta_get(c, "k").unwrap())).unwrap())
    };
    let seen = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("a read waited for a write");
    assert_eq!(seen.as_deref(), Some("committed"));
    go_on.0.send(()).unwrap();
    writer.join().unwrap();
    reader.join().unwrap();
    assert_eq!(
        store.read(|c| super::meta_get(c, "k").unwrap()).as_deref(),
        Some("uncommitted")
    );
    // Read connections are read-only: a write slipped into a read fails instead of racing.
    assert!(store.read(|c| c.execute("DELETE FROM meta", [])).is_err());
}

#[test]
fn a_read_that_panics_leaves_no_old_snapshot_behind() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("sim.db").to_str().unwrap()).unwrap();
    for _ in 0..4 {
        // Both read connections: each read takes the first free one.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            store.read(|c| {
                super::meta_get(c, "schema_version").unwrap();
                panic!("a bug in a read")
            })
        }));
        assert!(r.is_err());
    }
    store
        .write(|tx| tx.execute("INSERT INTO meta (key, value) VALUES ('after', 'yes')", []))
        .unwrap();
    for _ in 0..4 {
        assert_eq!(
            store.read(|c| super::meta_get(c, "after").unwrap()).as_deref(),
            Some("yes")
        );
        let seen = store.try_read(|c| super::meta_get(c, "after").unwrap());
        assert_eq!(seen.ok().flatten().as_deref(), Some("yes"));
    }
}

#[test]
fn writes_are_checkpointed_into_the_database_file_off_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.db");
    let store = Store::open(path.to_str().unwrap()).unwrap();
    // No automatic checkpoint inside a commit.
    let auto: i64 = store.on_writer(|c| c.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap());
    assert_eq!(auto, 0);
    let big = "x".repeat(4 << 20);
    store
        .write(|tx| tx.execute("INSERT INTO meta (key, value) VALUES ('big', ?1)", [&big]))
        .unwrap();
    // The checkpoint thread copies the WAL into the file soon after (bounded wait).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::fs::metadata(&path).unwrap().len() < 4 << 20 {
        assert!(std::time::Instant::now() < deadline, "the WAL was never checkpointed");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    drop(store);
    let c = Connection::open(&path).unwrap();
    let back: String = c
        .query_row("SELECT value FROM meta WHERE key = 'big'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(back.len(), big.len());
}

#[test]
fn the_wal_starts_over_under_a_steady_stream_of_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.db");
    let store = std::sync::Arc::new(Store::open(path.to_str().unwrap()).unwrap());
    // A full page per commit, and a read between commits, as a stream of counts would do.
    let page = "x".repeat(4096);
    let (start, mut writes) = (std::time::Instant::now(), 0u64);
    // Bounded in count and time.
    while writes < 16_000 && start.elapsed() < std::time::Duration::from_secs(60) {
        store
            .write(|tx| tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('k', ?1)", [&page]))
            .unwrap();
        store.read(|c| super::meta_get(c, "k").unwrap());
        writes += 1;
    }
    // Each commit appended at least two pages: had the WAL never started over, it would hold
    // them all (over 128 MB); it starts over at least every few hundred milliseconds.
    let wal = std::fs::metadata(dir.path().join("sim.db-wal")).unwrap().len();
    assert!(
        wal < writes * 2 * 4096 / 2,
        "the WAL holds {wal} bytes after {writes} writes: it never started over"
    );
}

/// Group commit: writes sent together share commits, and each is answered as if it were alone:
/// a refused or panicking write stores nothing and fails alone, the others are all stored.
#[test]
fn writes_sent_together_are_each_kept_or_refused_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path().join("sim.db").to_str().unwrap()).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let tickets: Vec<_> = (0..50)
                    .map(|n| {
                        let key = format!("job-{t}-{n}");
                        let ticket = store.write_grouped(move |tx| -> rusqlite::Result<u32> {
                            super::meta_set(tx, &key, "written")?;
                            match n % 10 {
                                // Refused after writing: its write must not survive.
                                3 => Err(rusqlite::Error::QueryReturnedNoRows),
                                7 if t == 0 => panic!("a bug in one write"),
                                _ => Ok(n),
                            }
                        });
                        (n, ticket)
                    })
                    .collect();
                tickets
            })
        })
        .collect();
    let mut answers = BTreeMap::new();
    for (t, th) in threads.into_iter().enumerate() {
        for (n, ticket) in th.join().unwrap() {
            answers.insert((t, n), rt.block_on(ticket.answer()));
        }
    }
    let stored = store.read(|c| texts(c, "SELECT key FROM meta WHERE key LIKE 'job-%'"));
    for ((t, n), answer) in &answers {
        let key = format!("job-{t}-{n}");
        let kept = stored.contains(&key);
        match (n % 10, t) {
            (3, _) => assert!(
                answer.is_err() && !kept,
                "{key}: refused, yet {answer:?} / stored {kept}"
            ),
            (7, 0) => {
                let e = answer.as_ref().unwrap_err().to_string();
                assert!(e.contains("panicked") && !kept, "{key}: {e} / stored {kept}");
            }
            _ => assert!(
                answer.as_ref().is_ok_and(|v| v == n) && kept,
                "{key}: {answer:?} / stored {kept}"
            ),
        }
    }
    assert_eq!(stored.len(), 8 * 50 - 8 * 5 - 5);
}

/// The writes of calls that reach the store in the same turn of an event loop (an actix worker
/// polls every request it read before it looks at its sockets again) share one commit: a
/// commit writes its pages once for all of them. A write alone still commits at once.
#[test]
fn writes_of_calls_read_together_share_one_commit() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path().join("sim.db").to_str().unwrap()).unwrap());
    let commits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = commits.clone();
    store.on_writer(|c| {
        c.commit_hook(Some(move || {
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            false
        }))
    });
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let write = |key: String| {
        let store = store.clone();
        async move {
            store
                .write_grouped(move |tx| -> rusqlite::Result<()> { super::meta_set(tx, &key, "written") })
                .answer()
                .await
        }
    };
    let calls: Vec<_> = (0..10).map(|n| rt.spawn(write(format!("call-{n}")))).collect();
    for call in calls {
        rt.block_on(call).unwrap().unwrap();
    }
    assert_eq!(
        commits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "ten calls, one commit"
    );
    let stored = store.read(|c| texts(c, "SELECT key FROM meta WHERE key LIKE 'call-%'"));
    assert_eq!(stored.len(), 10);
    rt.block_on(write("alone".into())).unwrap();
    assert_eq!(commits.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// A call that goes away while its write waits its turn (its client closed the connection)
/// still has its write stored: the group-commit thread runs it.
#[test]
fn a_write_whose_caller_went_away_during_its_turn_is_still_stored() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path().join("sim.db").to_str().unwrap()).unwrap());
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    rt.block_on(async {
        let ticket = store.write_grouped(|tx| -> rusqlite::Result<()> { super::meta_set(tx, "gone", "written") });
        let mut answer = Box::pin(ticket.answer());
        // Polled once: it is waiting its turn; then its caller drops it.
        let waiting = std::future::poll_fn(|cx| {
            std::task::Poll::Ready(std::future::Future::poll(answer.as_mut(), cx).is_pending())
        })
        .await;
        assert!(waiting);
        drop(answer);
    });
    let stored = || store.read(|c| super::meta_get(c, "gone").unwrap());
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while stored().is_none() && std::time::Instant::now() < until {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(stored().as_deref(), Some("written"));
}

/// A vendor's key check and profile answer are copies, current while their epochs hold: a
/// commit that touches what they are made of moves the epoch, one that does not leaves it, and
/// a whole seed written over the state (SQLite truncates, unseen by the update hook) moves all.
#[test]
fn epochs_move_with_the_tables_they_watch_and_with_every_reset() {
    use super::Watch;
    let store = Store::open(":memory:").unwrap();
    let seed = super::seed_parse::load(None).unwrap();
    let now = "2026-11-28T10:00:00.000Z";
    store.write_seed(|tx| super::seeding::apply(tx, &seed, now)).unwrap();
    let at = |w| store.epochs().current(w);
    let (keys, profile) = (at(Watch::Keys), at(Watch::Profile));
    let integration = store
        .read(|c| super::integrations::list(c, &super::seed::partner_id(&seed)))
        .unwrap()[0]
        .clone();
    // A count writes the counts and their summary only.
    store
        .write(|tx| {
            let count = usage::NewCount {
                integration_id: &integration.id,
                cycle: integration.cycle,
                service_id: "s",
                account_id: "a",
                unit_count: 3.0,
                no_build: false,
            };
            usage::set_count(tx, &count, now)
        })
        .unwrap();
    assert_eq!((at(Watch::Keys), at(Watch::Profile)), (keys, profile));
    // The integration's status: the key check's copy, not the profile's.
    store
        .write(|tx| {
            super::integrations::set_status(tx, &integration.id, crate::domain::catalog::IntegrationStatus::Active)
        })
        .unwrap();
    assert_eq!((at(Watch::Keys), at(Watch::Profile)), (keys + 1, profile));
    // The status it already has: no row written, nothing moves.
    store
        .write(|tx| {
            super::integrations::set_status(tx, &integration.id, crate::domain::catalog::IntegrationStatus::Active)
        })
        .unwrap();
    assert_eq!((at(Watch::Keys), at(Watch::Profile)), (keys + 1, profile));
    // A refused write moves nothing.
    let refused = store.write(|tx| -> rusqlite::Result<()> {
        tx.execute("UPDATE vendor SET name = 'Renamed'", [])?;
        Err(rusqlite::Error::QueryReturnedNoRows)
    });
    assert!(refused.is_err());
    assert_eq!((at(Watch::Keys), at(Watch::Profile)), (keys + 1, profile));
    store
        .write(|tx| tx.execute("UPDATE vendor SET name = 'Renamed'", []))
        .unwrap();
    assert_eq!((at(Watch::Keys), at(Watch::Profile)), (keys + 2, profile + 1));
    store.write_seed(|tx| super::seeding::apply(tx, &seed, now)).unwrap();
    assert!(at(Watch::Keys) > keys + 2 && at(Watch::Profile) > profile + 1);
    // Emptied row by row where watched, so that a restore moves them too.
    let (keys, profile) = (at(Watch::Keys), at(Watch::Profile));
    store.write(super::clear_state).unwrap();
    assert_eq!((at(Watch::Keys), at(Watch::Profile)), (keys + 1, profile + 1));
}

/// The tables `clear_state` empties row by row are exactly the ones a counter watches, and
/// each is a table of the state or derived from it (a renamed table would otherwise go
/// unwatched in silence).
#[test]
fn the_watched_tables_are_the_state_tables_a_counter_names() {
    use super::epochs::{Watch, TRUNCATED_WATCHED, WATCHED_TABLES};
    let truncated = |t: &str| TRUNCATED_WATCHED.iter().any(|(table, _)| *table == t);
    for t in super::STATE_TABLES.iter().chain(super::DERIVED_TABLES.iter()) {
        assert_eq!(
            Watch::of_table(t) != 0,
            WATCHED_TABLES.contains(t) || truncated(t),
            "{t}"
        );
    }
    // A truncated table's counters move with the table its rows belong to, emptied row by row.
    for (t, parent) in TRUNCATED_WATCHED {
        assert!(!WATCHED_TABLES.contains(&t), "{t}");
        assert!(WATCHED_TABLES.contains(&parent), "{parent}");
        assert_eq!(
            Watch::of_table(t) & !Watch::of_table(parent),
            0,
            "{t} moves more than {parent}"
        );
    }
    for t in super::epochs::WATCHED_TABLES {
        assert!(
            super::STATE_TABLES.contains(&t) || super::DERIVED_TABLES.contains(&t),
            "{t}"
        );
    }
}
