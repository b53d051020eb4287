//! Unit counts: the latest value per (integration, service, account), plus every accepted count.

use super::CachedRow;
use rusqlite::{params, Connection};

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

/// The counts accepted in one QA cycle of an integration.
pub fn summary(c: &Connection, integration_id: &str, cycle: i64) -> rusqlite::Result<CountSummary> {
    c.cached_row(
        "SELECT COUNT(*), COALESCE(SUM(no_build), 0), MIN(received_at), MAX(received_at),
           (SELECT MAX(received_at) FROM unit_count_history WHERE integration_id = ?1 AND cycle = ?2 AND no_build = 0)
         FROM unit_count_history WHERE integration_id = ?1 AND cycle = ?2",
        params![integration_id, cycle],
        |r| {
            Ok(CountSummary {
                accepted: r.get(0)?,
                with_no_build: r.get(1)?,
                first_at: r.get(2)?,
                last_at: r.get(3)?,
                last_built_at: r.get(4)?,
            })
        },
    )
}
