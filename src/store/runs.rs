//! Sync runs and their pairs (`sync_run`, `sync_run_pair`, `sync_baseline`).

use super::CachedRow;
use crate::domain::runs::{Baseline, CardChange, Mark};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashSet;

/// Runs kept per partner: older ones go with their pairs, so a partner syncing every few
/// minutes for weeks does not grow the file without bound.
pub const KEPT_RUNS: i64 = 200;

#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: i64,
    pub started_at: String,
    pub last_at: String,
    pub ended_at: Option<String>,
    pub history_after: i64,
    pub counts: i64,
    pub no_build_counts: i64,
    pub not_mapped: i64,
    pub changed: i64,
    pub stopped: i64,
    pub rebuilt: bool,
}

const RUN_COLS: &str = "id, started_at, last_at, ended_at, history_after, counts, no_build_counts,
    not_mapped, changed, stopped, rebuilt";

fn run_row(r: &rusqlite::Row) -> rusqlite::Result<RunRow> {
    Ok(RunRow {
        id: r.get(0)?,
        started_at: r.get(1)?,
        last_at: r.get(2)?,
        ended_at: r.get(3)?,
        history_after: r.get(4)?,
        counts: r.get(5)?,
        no_build_counts: r.get(6)?,
        not_mapped: r.get(7)?,
        changed: r.get(8)?,
        stopped: r.get(9)?,
        rebuilt: r.get(10)?,
    })
}

/// The partner's open run, if any.
pub fn open(c: &Connection, partner_id: &str) -> rusqlite::Result<Option<RunRow>> {
    c.cached_row(
        &format!("SELECT {RUN_COLS} FROM sync_run WHERE partner_id = ?1 AND ended_at IS NULL ORDER BY id DESC LIMIT 1"),
        [partner_id],
        run_row,
    )
    .optional()
}

/// Opens a run; its counts are the history rows written after now.
pub fn start(c: &Connection, partner_id: &str, now: &str) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO sync_run (partner_id, started_at, last_at, history_after)
         VALUES (?1, ?2, ?2, (SELECT COALESCE(MAX(id), 0) FROM unit_count_history))",
    )?
    .execute(params![partner_id, now])?;
    Ok(c.last_insert_rowid())
}

/// One accepted count of the open run (its row is already in the history).
pub fn add_count(c: &Connection, run_id: i64, no_build: bool, now: &str) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE sync_run SET counts = counts + 1, no_build_counts = no_build_counts + ?2, last_at = ?3 WHERE id = ?1",
    )?
    .execute(params![run_id, no_build as i64, now])?;
    Ok(())
}

/// One count refused for an unmapped pair: summed per pair in the run.
pub fn add_refused(
    c: &Connection,
    run_id: i64,
    integration_id: &str,
    account_id: &str,
    service_id: &str,
    unit_count: f64,
    now: &str,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO sync_run_pair (run_id, seq, kind, integration_id, account_id, service_id, counts, unit_count)
         VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM sync_run_pair WHERE run_id = ?1), 'refused', ?2, ?3, ?4, 1, ?5)
         ON CONFLICT (run_id, integration_id, account_id, service_id) WHERE kind = 'refused'
         DO UPDATE SET counts = counts + 1, unit_count = excluded.unit_count",
    )?
    .execute(params![run_id, integration_id, account_id, service_id, unit_count])?;
    c.prepare_cached("UPDATE sync_run SET not_mapped = not_mapped + 1, last_at = ?2 WHERE id = ?1")?
        .execute(params![run_id, now])?;
    Ok(())
}

/// A vendor pair's counts in a run, summed from the history.
#[derive(Debug, Clone)]
pub struct CountPair {
    pub integration_id: String,
    pub account_id: String,
    pub service_id: String,
    pub counts: i64,
    /// The last count sent.
    pub unit_count: f64,
    /// Every count of the pair was sent with `no_build=true`.
    pub no_build: bool,
}

/// The partner's count history rows after `after` (up to `upto`, or all).
pub fn count_pairs(
    c: &Connection,
    partner_id: &str,
    after: i64,
    upto: Option<i64>,
) -> rusqlite::Result<Vec<CountPair>> {
    let mut st = c.prepare_cached(
        // The bare `unit_count` comes from the row of MAX(id) (SQLite's rule): the last count sent.
        "SELECT h.integration_id, h.account_id, h.service_id, COUNT(*), SUM(h.no_build) = COUNT(*),
           h.unit_count, MAX(h.id) AS last
         FROM unit_count_history h JOIN integration i ON i.id = h.integration_id
         WHERE h.id > ?2 AND h.id <= COALESCE(?3, 9223372036854775807) AND i.partner_id = ?1
         GROUP BY h.integration_id, h.account_id, h.service_id ORDER BY last",
    )?;
    let rows = st.query_map(params![partner_id, after, upto], |r| {
        Ok(CountPair {
            integration_id: r.get(0)?,
            account_id: r.get(1)?,
            service_id: r.get(2)?,
            counts: r.get(3)?,
            no_build: r.get::<_, i64>(4)? != 0,
            unit_count: r.get(5)?,
        })
    })?;
    rows.collect()
}

/// The (PSA company, PSA product) pairs that the counts after `after` feed through the
/// partner's mappings.
pub fn counted_lines(c: &Connection, partner_id: &str, after: i64) -> rusqlite::Result<HashSet<(String, String)>> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT am.psa_company_id, sm.psa_product_id
         FROM unit_count_history h JOIN integration i ON i.id = h.integration_id
           JOIN account_mapping am ON am.integration_id = h.integration_id AND am.vendor_account_id = h.account_id
           JOIN service_mapping sm ON sm.integration_id = h.integration_id AND sm.service_id = h.service_id
         WHERE h.id > ?2 AND i.partner_id = ?1",
    )?;
    let rows = st.query_map(params![partner_id, after], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// The last history row: where a closing run's counts end.
pub fn last_history_id(c: &Connection) -> rusqlite::Result<i64> {
    c.cached_row("SELECT COALESCE(MAX(id), 0) FROM unit_count_history", [], |r| r.get(0))
}

/// What closes a run.
pub struct Closing<'a> {
    pub run_id: i64,
    pub ended_at: &'a str,
    pub history_upto: i64,
    pub rebuilt: bool,
    pub counts: &'a [CountPair],
    pub cards: &'a [CardChange],
}

/// Closes a run with its pairs, then lets the partner's oldest runs go.
pub fn close(c: &Connection, partner_id: &str, run: &Closing) -> rusqlite::Result<()> {
    let changed = run.cards.iter().filter(|x| x.change.is_changed()).count() as i64;
    let stopped = run
        .cards
        .iter()
        .filter(|x| x.change == crate::domain::runs::Change::Stopped)
        .count() as i64;
    c.prepare_cached(
        "UPDATE sync_run SET ended_at = ?2, history_upto = ?3, rebuilt = ?4, changed = ?5, stopped = ?6 WHERE id = ?1",
    )?
    .execute(params![
        run.run_id,
        run.ended_at,
        run.history_upto,
        run.rebuilt,
        changed,
        stopped
    ])?;
    let mut seq: i64 = c.cached_row(
        "SELECT COALESCE(MAX(seq), 0) FROM sync_run_pair WHERE run_id = ?1",
        [run.run_id],
        |r| r.get(0),
    )?;
    let mut card = c.prepare_cached(
        "INSERT INTO sync_run_pair (run_id, seq, kind, card_id, change, counted, psa_account_id, account_name,
           product_id, service_name, old_mark, new_mark) VALUES (?1, ?2, 'card', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    let mark = |m: &Option<Mark>| m.as_ref().and_then(|m| serde_json::to_string(m).ok());
    for x in run.cards {
        seq += 1;
        card.execute(params![
            run.run_id,
            seq,
            x.card_id,
            x.change.as_str(),
            x.counted,
            x.psa_account_id,
            x.account_name,
            x.product_id,
            x.service_name,
            mark(&x.old),
            mark(&x.new)
        ])?;
    }
    let mut count = c.prepare_cached(
        "INSERT INTO sync_run_pair (run_id, seq, kind, integration_id, account_id, service_id, counts, unit_count, no_build)
         VALUES (?1, ?2, 'count', ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for p in run.counts {
        seq += 1;
        count.execute(params![
            run.run_id,
            seq,
            p.integration_id,
            p.account_id,
            p.service_id,
            p.counts,
            p.unit_count,
            p.no_build
        ])?;
    }
    let cutoff: Option<i64> = c
        .cached_row(
            "SELECT id FROM sync_run WHERE partner_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
            params![partner_id, KEPT_RUNS],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(cutoff) = cutoff {
        c.execute(
            "DELETE FROM sync_run_pair WHERE run_id IN (SELECT id FROM sync_run WHERE partner_id = ?1 AND id <= ?2)",
            params![partner_id, cutoff],
        )?;
        c.execute(
            "DELETE FROM sync_run WHERE partner_id = ?1 AND id <= ?2",
            params![partner_id, cutoff],
        )?;
    }
    Ok(())
}

/// The partner's runs, newest first, those before run `before` if given.
pub fn list(c: &Connection, partner_id: &str, before: Option<i64>, limit: i64) -> rusqlite::Result<Vec<RunRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {RUN_COLS} FROM sync_run WHERE partner_id = ?1 AND id < COALESCE(?2, 9223372036854775807)
         ORDER BY id DESC LIMIT ?3"
    ))?;
    let rows = st.query_map(params![partner_id, before, limit], run_row)?;
    rows.collect()
}

pub fn get(c: &Connection, partner_id: &str, id: i64) -> rusqlite::Result<Option<RunRow>> {
    c.cached_row(
        &format!("SELECT {RUN_COLS} FROM sync_run WHERE partner_id = ?1 AND id = ?2"),
        params![partner_id, id],
        run_row,
    )
    .optional()
}

/// One stored pair of a run, as its columns hold it.
#[derive(Debug, Clone)]
pub struct PairRow {
    pub kind: String,
    pub integration_id: Option<String>,
    pub account_id: Option<String>,
    pub service_id: Option<String>,
    pub counts: Option<i64>,
    pub unit_count: Option<f64>,
    pub no_build: Option<bool>,
    pub card_id: Option<String>,
    pub change: Option<String>,
    pub counted: Option<bool>,
    pub psa_account_id: Option<String>,
    pub account_name: Option<String>,
    pub product_id: Option<String>,
    pub service_name: Option<String>,
    pub old: Option<Mark>,
    pub new: Option<Mark>,
}

fn parse_mark(s: Option<String>) -> Option<Mark> {
    s.and_then(|s| serde_json::from_str(&s).ok())
}

/// A run's pairs, cards first (changed ones before the unchanged), then refused, then counts.
/// `kind` as stored: `card`, `count` or `refused`; none for every kind.
pub fn pairs(
    c: &Connection,
    run_id: i64,
    kind: Option<&str>,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<Vec<PairRow>> {
    let mut st = c.prepare_cached(
        "SELECT kind, integration_id, account_id, service_id, counts, unit_count, no_build, card_id, change, counted,
           psa_account_id, account_name, product_id, service_name, old_mark, new_mark
         FROM sync_run_pair WHERE run_id = ?1 AND (?4 IS NULL OR kind = ?4)
         ORDER BY CASE kind WHEN 'card' THEN (CASE change WHEN 'unchanged' THEN 1 ELSE 0 END) WHEN 'refused' THEN 2 ELSE 3 END, seq
         LIMIT ?3 OFFSET ?2",
    )?;
    let rows = st.query_map(params![run_id, offset, limit, kind], |r| {
        Ok(PairRow {
            kind: r.get(0)?,
            integration_id: r.get(1)?,
            account_id: r.get(2)?,
            service_id: r.get(3)?,
            counts: r.get(4)?,
            unit_count: r.get(5)?,
            no_build: r.get(6)?,
            card_id: r.get(7)?,
            change: r.get(8)?,
            counted: r.get(9)?,
            psa_account_id: r.get(10)?,
            account_name: r.get(11)?,
            product_id: r.get(12)?,
            service_name: r.get(13)?,
            old: parse_mark(r.get(14)?),
            new: parse_mark(r.get(15)?),
        })
    })?;
    rows.collect()
}

pub fn pair_count(c: &Connection, run_id: i64, kind: Option<&str>) -> rusqlite::Result<i64> {
    c.cached_row(
        "SELECT COUNT(*) FROM sync_run_pair WHERE run_id = ?1 AND (?2 IS NULL OR kind = ?2)",
        params![run_id, kind],
        |r| r.get(0),
    )
}

/// The ids of a run's cards by how they changed (`changed` holds new and changed cards; gone
/// cards are on no page to filter).
pub fn card_ids(c: &Connection, run_id: i64) -> rusqlite::Result<Vec<(String, String, bool)>> {
    let mut st = c.prepare_cached(
        "SELECT card_id, change, counted FROM sync_run_pair WHERE run_id = ?1 AND kind = 'card' ORDER BY seq",
    )?;
    let rows = st.query_map([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

/// A card's recorded marks in one run: (card, run, old, new).
pub type CardMarks = (String, i64, Option<Mark>, Option<Mark>);

/// The recorded marks of some cards in the runs from `first_run` on.
pub fn card_marks(c: &Connection, card_ids: &[String], first_run: i64) -> rusqlite::Result<Vec<CardMarks>> {
    let mut out = vec![];
    let mut st = c.prepare_cached(
        "SELECT run_id, old_mark, new_mark FROM sync_run_pair WHERE kind = 'card' AND card_id = ?1 AND run_id >= ?2",
    )?;
    for id in card_ids {
        let rows = st.query_map(params![id, first_run], |r| {
            Ok((id.clone(), r.get(0)?, parse_mark(r.get(1)?), parse_mark(r.get(2)?)))
        })?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

pub fn load_baseline(c: &Connection, partner_id: &str) -> rusqlite::Result<Option<Baseline>> {
    let text: Option<String> = c
        .cached_row(
            "SELECT cards FROM sync_baseline WHERE partner_id = ?1",
            [partner_id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text.map(|t| serde_json::from_str(&t).unwrap_or_default()))
}

pub fn save_baseline(c: &Connection, partner_id: &str, cards: &Baseline) -> rusqlite::Result<()> {
    let text = serde_json::to_string(cards).unwrap_or_else(|_| "{}".into());
    c.prepare_cached(
        "INSERT INTO sync_baseline (partner_id, cards) VALUES (?1, ?2)
         ON CONFLICT(partner_id) DO UPDATE SET cards = excluded.cards",
    )?
    .execute(params![partner_id, text])?;
    Ok(())
}
