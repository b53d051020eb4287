//! The incremental tables must always equal what the whole history says, and the read
//! connections must read committed state without waiting for a writer.

use super::{events, usage, Store};
use crate::domain::event::Event;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A deterministic mix of events over three cycles, with repeats, variants and bulk creates.
fn history(c: &Connection) {
    let kinds: [(&str, Value); 8] = [
        ("connected", json!({"modules": ["billing"]})),
        ("status_set", json!({"status": "inactive"})),
        ("status_set", json!({"status": "pending"})),
        ("accounts_created", json!({"ids": ["a", "b"]})),
        ("accounts_created", json!({"ids": ["c"]})),
        ("portal_opened", json!({"url": null})),
        ("portal_opened", json!({"url": "https://vendor.example/"})),
        (
            "account_mapped",
            json!({"accountId": "a", "name": null, "psaAccountId": "c", "psaAccountName": null, "source": "auto"}),
        ),
    ];
    for n in 0..300 {
        let (kind, detail) = &kinds[(n * 7 + n / 5) % kinds.len()];
        let integration = if n % 4 == 0 { "i2" } else { "i1" };
        let at = format!("2026-11-28T10:{:02}:{:02}.000Z", n / 60, n % 60);
        let event = Event::from_stored(kind, detail).unwrap();
        events::record(c, Some(integration), 1 + (n as i64 / 100), &at, &event).unwrap();
        if n % 25 == 0 {
            let with_usage = if n % 50 == 0 { 0 } else { 3 };
            let rebuilt = Event::BillingRebuilt { cards: 5, with_usage };
            events::record_for_partner(c, "p1", &at, &rebuilt).unwrap();
        }
        if n % 25 == 10 {
            // Another partner's rebuilds, with usage: never the first partner's evidence.
            let rebuilt = Event::BillingRebuilt {
                cards: 5,
                with_usage: 5,
            };
            events::record_for_partner(c, "p2", &at, &rebuilt).unwrap();
        }
    }
}

/// (cycle, kind, first detail, items summed): one fact as the checklist reads it.
type FactRow = (i64, String, Value, i64);

/// The first event per (cycle, kind, variant) and the items summed, straight from the log.
fn folded_from_log(c: &Connection, integration: &str) -> Vec<FactRow> {
    let mut firsts: BTreeMap<(i64, String, String), (i64, FactRow)> = BTreeMap::new();
    for (global, e) in events::for_integration(c, integration).unwrap() {
        if global {
            continue;
        }
        let (kind, detail) = e.event.to_stored();
        let variant = match kind.as_str() {
            "status_set" => detail["status"].as_str().unwrap_or("").to_string(),
            "portal_opened" => if detail["url"].is_string() { "url" } else { "no_url" }.into(),
            _ => String::new(),
        };
        let items = detail["ids"].as_array().map_or(0, |a| a.len() as i64);
        firsts
            .entry((e.cycle, kind.clone(), variant))
            .and_modify(|f| f.1 .3 += items)
            .or_insert((e.id, (e.cycle, kind, detail, items)));
    }
    let mut out: Vec<_> = firsts.into_values().collect();
    out.sort_by_key(|(id, _)| *id);
    out.into_iter().map(|(_, row)| row).collect()
}

fn firsts_view(c: &Connection, integration: &str) -> Vec<FactRow> {
    events::firsts(c, integration)
        .unwrap()
        .into_iter()
        .map(|f| {
            let (kind, detail) = f.event.to_stored();
            (f.cycle, kind, detail, f.items)
        })
        .collect()
}

#[test]
fn qa_facts_equal_the_fold_of_the_whole_event_log() {
    let store = Store::open(":memory:").unwrap();
    store
        .write(|tx| -> rusqlite::Result<()> {
            history(tx);
            for i in ["i1", "i2"] {
                // Variants are kept apart: in i1, both the inactive and the pending status_set.
                let kept = firsts_view(tx, i);
                assert_eq!(kept, folded_from_log(tx, i), "integration {i}");
                let statuses = kept.iter().filter(|f| f.0 == 1 && f.1 == "status_set").count();
                if i == "i1" {
                    assert_eq!(statuses, 2);
                }
            }
            // A database from before the table existed gets the same rows from `refold`; a row
            // of a kind this version does not know is no fact.
            let before = firsts_view(tx, "i1");
            tx.execute(
                "INSERT INTO event (integration_id, cycle, kind, at, detail) VALUES ('i1', 1, 'retired_kind', '2026-11-28T10:00:00.000Z', '{}')",
                [],
            )?;
            events::refold(tx)?;
            assert_eq!(firsts_view(tx, "i1"), before);
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_usage_step_finds_the_first_rebuild_with_usage_after_a_time() {
    let store = Store::open(":memory:").unwrap();
    store
        .write(|tx| -> rusqlite::Result<()> {
            history(tx);
            let all: Vec<(i64, String, String, Value)> = tx
                .prepare("SELECT id, kind, at, detail FROM event WHERE partner_id = 'p1' ORDER BY id")?
                .query_map([], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        serde_json::from_str(&r.get::<_, String>(3)?).unwrap(),
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            for since in [
                "2026-11-28T10:00:00.000Z",
                "2026-11-28T10:01:10.000Z",
                "2026-11-28T10:04:00.000Z",
            ] {
                let expected = all
                    .iter()
                    .find(|e| e.1 == "billing_rebuilt" && e.2.as_str() >= since && e.3["withUsage"].as_u64() > Some(0));
                let found = events::first_rebuild_with_usage(tx, "p1", since)?;
                assert!(expected.is_some());
                assert_eq!(found.map(|e| e.id), expected.map(|e| e.0), "since {since}");
                let other = events::first_rebuild_with_usage(tx, "p2", since)?.unwrap();
                assert_ne!(other.id, expected.unwrap().0, "one partner's rebuild is not another's");
            }
            assert!(events::first_rebuild_with_usage(tx, "p1", "2026-11-28T11:00:00.000Z")?.is_none());
            assert!(events::first_rebuild_with_usage(tx, "p3", "2026-11-28T10:00:00.000Z")?.is_none());
            Ok(())
        })
        .unwrap();
}

#[test]
fn count_summaries_equal_the_aggregate_of_every_count() {
    let store = Store::open(":memory:").unwrap();
    store
        .write(|tx| -> rusqlite::Result<()> {
            for n in 0..500i64 {
                let at = format!("2026-11-28T10:{:02}:{:02}.{:03}Z", n / 600, (n / 10) % 60, n % 1000);
                usage::set_count(
                    tx,
                    &usage::NewCount {
                        integration_id: if n % 3 == 0 { "i2" } else { "i1" },
                        cycle: 1 + n / 200,
                        service_id: "s",
                        account_id: &format!("a{}", n % 7),
                        unit_count: n as f64,
                        // Cycle 2 of i1 only ever with no_build, so last_built_at stays empty there.
                        no_build: n % 5 == 0 || (n / 200 == 1 && n % 3 != 0),
                    },
                    &at,
                )?;
            }
            let check = |tx: &Connection| {
                for i in ["i1", "i2", "nobody"] {
                    for cycle in 0..5 {
                        let kept = usage::summary(tx, i, cycle).unwrap();
                        let all = usage::summary_from_history(tx, i, cycle).unwrap();
                        assert_eq!(
                            serde_json::to_value(&kept).unwrap(),
                            serde_json::to_value(&all).unwrap()
                        );
                    }
                }
            };
            check(tx);
            assert!(usage::summary(tx, "i1", 2)?.last_built_at.is_none());
            usage::resummarise(tx)?;
            check(tx);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_reset_empties_the_derived_tables_and_keeps_their_marker() {
    let store = Store::open(":memory:").unwrap();
    store
        .write(|tx| -> rusqlite::Result<()> {
            history(tx);
            super::clear_state(tx)?;
            assert!(events::firsts(tx, "i1")?.is_empty());
            assert_eq!(super::meta_get(tx, super::DERIVED_MARKER)?.as_deref(), Some("1"));
            Ok(())
        })
        .unwrap();
}

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
