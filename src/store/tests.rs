//! The incremental tables must always equal what the whole history says, and what a seed
//! writes must be what the reads give back (the connections are `connection_tests`).

use super::{events, usage, Store};
use crate::domain::event::Event;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The first column of every row a query answers, as text.
pub(super) fn texts(c: &Connection, sql: &str) -> Vec<String> {
    c.prepare(sql)
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

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
                        // Cycle 2 of i1 only ever with no_build: its summary counts every one.
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
            let unbuilt = usage::summary(tx, "i1", 2)?;
            assert!(unbuilt.accepted > 0 && unbuilt.with_no_build == unbuilt.accepted);
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
fn every_embedded_seed_written_without_key_checks_keeps_every_foreign_key() {
    let store = Store::open(":memory:").unwrap();
    for (name, text) in super::seed::EMBEDDED {
        let seed = super::seed::Seed::parse(text).unwrap();
        // Twice: the second over the first's rows, as a reset writes over a used state.
        for _ in 0..2 {
            store
                .write_seed(|tx| super::seeding::apply(tx, &seed, "2026-11-28T10:00:00.000Z"))
                .unwrap();
        }
        let broken: Vec<(String, i64)> = store.read(|c| {
            c.prepare("PRAGMA foreign_key_check")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        });
        assert!(broken.is_empty(), "{name}: rows without their parent: {broken:?}");
        // The indexes dropped for the bulk load are back, as schema.sql defines them.
        let indexes = store.read(|c| texts(c, "SELECT name FROM sqlite_master WHERE type = 'index'"));
        for index in super::seeding::BULK_INDEXES {
            assert!(indexes.iter().any(|i| i == index), "{name}: {index} is missing");
        }
        // The checks are back on for every other write.
        let on: i64 = store.on_writer(|c| c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap());
        assert_eq!(on, 1, "{name}");
    }
    // A failing seed write changes nothing and leaves the checks on too.
    let before: i64 = store.read(|c| {
        c.query_row("SELECT COUNT(*) FROM psa_company", [], |r| r.get(0))
            .unwrap()
    });
    let failed = store.write_seed(|tx| -> rusqlite::Result<()> {
        super::clear_state(tx)?;
        tx.execute("INSERT INTO no_such_table VALUES (1)", [])?;
        Ok(())
    });
    assert!(failed.is_err());
    let after: i64 = store.read(|c| {
        c.query_row("SELECT COUNT(*) FROM psa_company", [], |r| r.get(0))
            .unwrap()
    });
    assert_eq!(after, before);
    let on: i64 = store.on_writer(|c| c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap());
    assert_eq!(on, 1);
}

/// `psa::billable_lines` joins in Rust; the join as one SQL statement is the reference.
#[test]
fn billable_lines_are_the_sql_join_in_the_psa_order() {
    let reference = |c: &Connection, partner: &str| -> Vec<String> {
        c.prepare(
            "SELECT l.id, c.id, c.name, a.id, a.name, p.id, p.product_code, p.name, l.quantity, p.unit_price, p.unit_cost
             FROM psa_line l JOIN psa_agreement a ON a.id = l.agreement_id JOIN psa_company c ON c.id = a.company_id
               JOIN psa_product p ON p.id = l.product_id
             WHERE l.partner_id = ?1 AND a.status = 'Active' AND c.type = 'Customer' AND c.status = 'Active' AND EXISTS (
               SELECT 1 FROM psa_agreement a2 WHERE a2.company_id = c.id AND a2.status = 'Active')
             ORDER BY c.position, a.position, l.position",
        )
        .unwrap()
        .query_map([partner], |r| {
            Ok(format!(
                "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, f64>(8)?,
                r.get::<_, f64>(9)?,
                r.get::<_, f64>(10)?
            ))
        })
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    };
    let ours = |c: &Connection, partner: &str| -> Vec<String> {
        super::psa::billable_lines(c, partner)
            .unwrap()
            .into_iter()
            .map(|l| {
                format!(
                    "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
                    l.id,
                    l.company_id,
                    l.company_name,
                    l.agreement_id,
                    l.agreement_name,
                    l.product_id,
                    l.product_code,
                    l.product_name,
                    l.quantity,
                    l.unit_price,
                    l.unit_cost
                )
            })
            .collect()
    };
    let store = Store::open(":memory:").unwrap();
    for (name, text) in super::seed::EMBEDDED {
        let seed = super::seed::Seed::parse(text).unwrap();
        store
            .write_seed(|tx| super::seeding::apply(tx, &seed, "2026-11-28T10:00:00.000Z"))
            .unwrap();
        store
            .write(|tx| -> rusqlite::Result<()> {
                // Lines that must drop out: a prospect, an inactive company, an ended agreement;
                // and order that is not insertion order: a company moved first, a line moved last.
                tx.execute_batch(
                    "UPDATE psa_company SET type = 'Prospect' WHERE rowid = 2;
                     UPDATE psa_company SET status = 'Inactive' WHERE rowid = 3;
                     UPDATE psa_agreement SET status = 'Ended' WHERE rowid = 4;
                     UPDATE psa_company SET position = -1 WHERE rowid = (SELECT MAX(rowid) FROM psa_company);
                     UPDATE psa_line SET position = 1000000 WHERE rowid = 1;",
                )?;
                let partner = super::seed::partner_id(&seed);
                let expected = reference(tx, &partner);
                assert!(expected.len() > 3, "{name}");
                assert_eq!(ours(tx, &partner), expected, "{name}");
                assert!(ours(tx, "another partner").is_empty(), "{name}");
                Ok(())
            })
            .unwrap();
    }
}

/// A reset or a new partner builds the billing view from the lines the seed's writing hands
/// back: they must be what `psa::billable_lines` reads back, line for line and in order, for
/// every embedded seed (its own partner and one created from it as a template), and with
/// companies and agreements the view leaves out (a prospect, an inactive customer, a cancelled
/// agreement).
#[test]
fn the_lines_a_seed_writes_are_the_billable_lines_read_back() {
    let store = Store::open(":memory:").unwrap();
    for (name, text) in super::seed::EMBEDDED {
        let mut seed = super::seed::Seed::parse(text).unwrap();
        for variant in 0..2 {
            if variant == 1 {
                let n = seed.companies.len();
                seed.companies[0].company_type = "Prospect".into();
                seed.companies[n / 2].status = "Inactive".into();
                if let Some(a) = seed.companies[n - 1].agreements.first_mut() {
                    a.status = "Cancelled".into();
                }
            }
            // The seed's partner, and one created from the seed as a template (ids of its own).
            let pairs = store
                .write_seed(|tx| -> rusqlite::Result<_> {
                    let now = "2026-11-28T10:00:00.000Z";
                    let seeded = super::seeding::apply_seeded(tx, &seed, now)?;
                    let vendor: String = tx.query_row("SELECT id FROM vendor ORDER BY rowid", [], |r| r.get(0))?;
                    let key = crate::domain::ids::ApiKey::from_seed("0123456789abcdef0123456789abcdef").unwrap();
                    let partner = super::partners::NewPartner {
                        id: "65a0c0ffee00000000000b02",
                        name: "Second MSP",
                        template: &seed,
                        vendor_id: &vendor,
                        integration_id: "65a0c0ffee00000000000b03",
                        key: &key,
                        now,
                    };
                    let created = super::partners::create(tx, &partner)?;
                    let mut pairs = vec![];
                    for written in [seeded, created] {
                        let read = super::psa::billable_lines(tx, &written.partner_id)?;
                        pairs.push((written.billable_lines, read));
                    }
                    Ok(pairs)
                })
                .unwrap();
            for (written, read) in pairs {
                assert!(!read.is_empty(), "{name}");
                assert_eq!(written.len(), read.len(), "{name}, variant {variant}");
                for (w, r) in written.iter().zip(&read) {
                    assert_eq!(format!("{w:?}"), format!("{r:?}"), "{name}, variant {variant}");
                }
            }
        }
    }
}
