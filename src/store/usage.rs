//! Unit counts: the latest value per (integration, service, account), plus every accepted count.

use rusqlite::{params, Connection, OptionalExtension};

/// One accepted count.
pub struct NewCount<'a> {
    pub integration_id: &'a str,
    pub cycle: i64,
    pub service_id: &'a str,
    pub account_id: &'a str,
    pub unit_count: f64,
    pub no_build: bool,
}

pub fn set_count(c: &Connection, n: &NewCount, now: &str) -> rusqlite::Result<()> {
    let mut upsert = c.prepare_cached(
        "INSERT INTO unit_count (integration_id, service_id, account_id, unit_count, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(integration_id, service_id, account_id) DO UPDATE SET unit_count = excluded.unit_count,
           updated_at = excluded.updated_at",
    )?;
    upsert.execute(params![n.integration_id, n.service_id, n.account_id, n.unit_count, now])?;
    let mut history = c.prepare_cached(
        "INSERT INTO unit_count_history (integration_id, cycle, service_id, account_id, unit_count, no_build, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    history.execute(params![
        n.integration_id,
        n.cycle,
        n.service_id,
        n.account_id,
        n.unit_count,
        n.no_build,
        now
    ])?;
    // The running summary the checklist reads, instead of aggregating the history each time.
    let mut summary = c.prepare_cached(
        "INSERT INTO count_summary (integration_id, cycle, accepted, with_no_build, first_at, last_at, last_built_at)
         VALUES (?1, ?2, 1, ?3, ?4, ?4, CASE WHEN ?3 = 0 THEN ?4 END)
         ON CONFLICT(integration_id, cycle) DO UPDATE SET accepted = accepted + 1,
           with_no_build = with_no_build + excluded.with_no_build, last_at = excluded.last_at,
           last_built_at = COALESCE(excluded.last_built_at, last_built_at)",
    )?;
    summary.execute(params![n.integration_id, n.cycle, n.no_build as i64, now])?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountSummary {
    pub accepted: i64,
    pub with_no_build: i64,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    pub last_built_at: Option<String>,
}

fn summary_row(r: &rusqlite::Row) -> rusqlite::Result<CountSummary> {
    Ok(CountSummary {
        accepted: r.get(0)?,
        with_no_build: r.get(1)?,
        first_at: r.get(2)?,
        last_at: r.get(3)?,
        last_built_at: r.get(4)?,
    })
}

/// The counts accepted in one QA cycle of an integration: one row, kept as counts arrive.
pub fn summary(c: &Connection, integration_id: &str, cycle: i64) -> rusqlite::Result<CountSummary> {
    c.prepare_cached(
        "SELECT accepted, with_no_build, first_at, last_at, last_built_at FROM count_summary
         WHERE integration_id = ?1 AND cycle = ?2",
    )?
    .query_row(params![integration_id, cycle], summary_row)
    .optional()
    .map(|s| {
        s.unwrap_or(CountSummary {
            accepted: 0,
            with_no_build: 0,
            first_at: None,
            last_at: None,
            last_built_at: None,
        })
    })
}

/// The same summary aggregated from every count received: what `count_summary` must equal.
/// Used once to fill the table for a database written before it existed, and by tests.
pub fn summary_from_history(c: &Connection, integration_id: &str, cycle: i64) -> rusqlite::Result<CountSummary> {
    c.query_row(
        "SELECT COUNT(*), COALESCE(SUM(no_build), 0), MIN(received_at), MAX(received_at),
           (SELECT MAX(received_at) FROM unit_count_history WHERE integration_id = ?1 AND cycle = ?2 AND no_build = 0)
         FROM unit_count_history WHERE integration_id = ?1 AND cycle = ?2",
        params![integration_id, cycle],
        summary_row,
    )
}

/// Every cycle with counts, summarised: `count_summary` from scratch.
pub fn resummarise(c: &Connection) -> rusqlite::Result<()> {
    c.execute("DELETE FROM count_summary", [])?;
    c.execute(
        "INSERT INTO count_summary (integration_id, cycle, accepted, with_no_build, first_at, last_at, last_built_at)
         SELECT integration_id, cycle, COUNT(*), SUM(no_build), MIN(received_at), MAX(received_at),
           MAX(CASE WHEN no_build = 0 THEN received_at END)
         FROM unit_count_history GROUP BY integration_id, cycle",
        [],
    )?;
    Ok(())
}
