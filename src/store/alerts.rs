//! Alerts queued by vendors, and what became of them.

use super::CachedRow;
use crate::domain::catalog::AlertState;
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertRow {
    pub message_id: String,
    pub integration_id: String,
    #[serde(skip)]
    pub cycle: i64,
    pub account_id: String,
    pub alert_id: String,
    #[serde(rename = "correlationID")]
    pub correlation_id: String,
    pub title: String,
    pub description: String,
    pub priority: i64,
    pub status: i64,
    pub due_date_time: Option<String>,
    pub service_id: Option<String>,
    pub state: AlertState,
    pub ticket_id: Option<String>,
    pub errors: Vec<String>,
    pub message: Option<String>,
    pub status_code: Option<i64>,
    pub created_at: String,
    #[serde(skip)]
    pub due_at_ms: i64,
    pub processed_at: Option<String>,
}

const COLS: &str = "message_id, integration_id, cycle, account_id, alert_id, correlation_id, title, description,
    priority, status, due_date_time, service_id, state, ticket_id, errors, message, status_code, created_at,
    due_at_ms, processed_at";

fn row(r: &Row) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        message_id: r.get(0)?,
        integration_id: r.get(1)?,
        cycle: r.get(2)?,
        account_id: r.get(3)?,
        alert_id: r.get(4)?,
        correlation_id: r.get(5)?,
        title: r.get(6)?,
        description: r.get(7)?,
        priority: r.get(8)?,
        status: r.get(9)?,
        due_date_time: r.get(10)?,
        service_id: r.get(11)?,
        state: {
            let s: String = r.get(12)?;
            AlertState::parse(&s).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(12, Type::Text, format!("unknown alert state {s}").into())
            })?
        },
        ticket_id: r.get(13)?,
        errors: r
            .get::<_, Option<String>>(14)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        message: r.get(15)?,
        status_code: r.get(16)?,
        created_at: r.get(17)?,
        due_at_ms: r.get(18)?,
        processed_at: r.get(19)?,
    })
}

pub fn insert(c: &Connection, a: &AlertRow) -> rusqlite::Result<()> {
    c.prepare_cached(&format!(
        "INSERT INTO alert ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, NULL, ?14, NULL, ?15, ?16, NULL)"
    ))?
    .execute(params![
            a.message_id,
            a.integration_id,
            a.cycle,
            a.account_id,
            a.alert_id,
            a.correlation_id,
            a.title,
            a.description,
            a.priority,
            a.status,
            a.due_date_time,
            a.service_id,
            a.state.as_str(),
            a.message,
            a.created_at,
            a.due_at_ms
    ])?;
    Ok(())
}

pub fn get(c: &Connection, message_id: &str) -> rusqlite::Result<Option<AlertRow>> {
    c.cached_row(
        &format!("SELECT {COLS} FROM alert WHERE message_id = ?1"),
        [message_id],
        row,
    )
    .optional()
}

pub fn due(c: &Connection, now_ms: i64) -> rusqlite::Result<Vec<AlertRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLS} FROM alert WHERE state = ?2 AND due_at_ms <= ?1 ORDER BY due_at_ms"
    ))?;
    let rows = st.query_map(params![now_ms, AlertState::Pending.as_str()], row)?;
    rows.collect()
}

/// The pending alerts of one partner's integrations that are due by `now_ms` (the partner's
/// own clock's time).
pub fn due_for_partner(c: &Connection, partner_id: &str, now_ms: i64) -> rusqlite::Result<Vec<AlertRow>> {
    let mut st = c.prepare(&format!(
        "SELECT {COLS} FROM alert WHERE state = ?3 AND due_at_ms <= ?2
           AND integration_id IN (SELECT id FROM integration WHERE partner_id = ?1) ORDER BY due_at_ms"
    ))?;
    let rows = st.query_map(params![partner_id, now_ms, AlertState::Pending.as_str()], row)?;
    rows.collect()
}

/// Per partner with pending alerts: when its next one is due (ms since the epoch).
pub fn next_due_by_partner(c: &Connection) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut st = c.prepare(
        "SELECT i.partner_id, MIN(a.due_at_ms) FROM alert a JOIN integration i ON i.id = a.integration_id
          WHERE a.state = 'pending' GROUP BY i.partner_id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

/// When the next pending alert is due (ms since the epoch), if any is pending.
pub fn next_due_ms(c: &Connection) -> rusqlite::Result<Option<i64>> {
    c.cached_row("SELECT MIN(due_at_ms) FROM alert WHERE state = 'pending'", [], |r| {
        r.get(0)
    })
}

/// The alerts of one partner's integrations, newest first.
pub fn list(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<AlertRow>> {
    let mut st = c.prepare(&format!(
        "SELECT {COLS} FROM alert WHERE integration_id IN (SELECT id FROM integration WHERE partner_id = ?1)
         ORDER BY created_at DESC"
    ))?;
    let rows = st.query_map([partner_id], row)?;
    rows.collect()
}

/// What became of an alert.
pub struct Resolution<'a> {
    pub state: AlertState,
    pub ticket_id: Option<&'a str>,
    pub errors: &'a [String],
    pub message: &'a str,
    pub status_code: Option<i64>,
}

pub fn resolve(c: &Connection, message_id: &str, r: &Resolution, now: &str) -> rusqlite::Result<()> {
    // Cached: the alert worker resolves every alert it takes.
    c.prepare_cached(
        "UPDATE alert SET state = ?2, ticket_id = ?3, errors = ?4, message = ?5, status_code = ?6, processed_at = ?7
         WHERE message_id = ?1",
    )?
    .execute(params![
        message_id,
        r.state.as_str(),
        r.ticket_id,
        serde_json::to_string(r.errors).unwrap_or_else(|_| "[]".into()),
        r.message,
        r.status_code,
        now
    ])?;
    Ok(())
}
