//! The event log: partner actions and the vendor calls that matter, for the QA checklist.
//! Each event also folds into `qa_fact` (first occurrence and items brought per integration,
//! cycle, kind and variant), so the checklist reads a few rows however long the history grows.

use crate::domain::event::Event;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

/// One row of the log, read back as the event it stores.
#[derive(Debug, Clone)]
pub struct EventRow {
    pub id: i64,
    pub cycle: i64,
    pub at: String,
    pub event: Event,
}

pub fn record(
    c: &Connection,
    integration_id: Option<&str>,
    cycle: i64,
    at: &str,
    event: &Event,
) -> rusqlite::Result<()> {
    let (kind, detail) = event.to_stored();
    let mut st =
        c.prepare_cached("INSERT INTO event (integration_id, cycle, kind, at, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    let detail_text = detail.to_string();
    st.execute(params![integration_id, cycle, kind, at, detail_text])?;
    // Global events (billing rebuilds) are read by time through an index instead.
    if let Some(integration_id) = integration_id {
        fold(
            c,
            integration_id,
            cycle,
            &kind,
            c.last_insert_rowid(),
            at,
            event,
            &detail_text,
        )?;
    }
    Ok(())
}

/// An event of no integration (a billing rebuild, a card action, a CSV import): it names its
/// partner, so that one partner's rebuild never counts in another's checklist.
pub fn record_for_partner(c: &Connection, partner_id: &str, at: &str, event: &Event) -> rusqlite::Result<()> {
    let (kind, detail) = event.to_stored();
    let mut st = c.prepare_cached(
        "INSERT INTO event (integration_id, cycle, kind, at, detail, partner_id) VALUES (NULL, 0, ?1, ?2, ?3, ?4)",
    )?;
    st.execute(params![kind, at, detail.to_string(), partner_id])?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn fold(
    c: &Connection,
    integration_id: &str,
    cycle: i64,
    kind: &str,
    id: i64,
    at: &str,
    event: &Event,
    detail_text: &str,
) -> rusqlite::Result<()> {
    let mut st = c.prepare_cached(
        "INSERT INTO qa_fact (integration_id, cycle, kind, variant, first_id, first_at, first_detail, items)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(integration_id, cycle, kind, variant) DO UPDATE SET items = items + excluded.items",
    )?;
    st.execute(params![
        integration_id,
        cycle,
        kind,
        event.variant(),
        id,
        at,
        detail_text,
        event.items()
    ])?;
    Ok(())
}

/// Rebuilds `qa_fact` from the event log: for a database written before the table existed.
/// Idempotent; runs once (the caller keeps a marker).
pub fn refold(c: &Connection) -> rusqlite::Result<()> {
    c.execute("DELETE FROM qa_fact", [])?;
    let mut st = c.prepare(
        "SELECT id, integration_id, cycle, kind, at, detail FROM event WHERE integration_id IS NOT NULL ORDER BY id",
    )?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let text: String = r.get(5)?;
        let (integration_id, kind, at): (String, String, String) = (r.get(1)?, r.get(3)?, r.get(4)?);
        // A row this version cannot read is no fact the checklist could use.
        if let Some(event) = parse(&kind, &text) {
            fold(c, &integration_id, r.get(2)?, &kind, r.get(0)?, &at, &event, &text)?;
        }
    }
    Ok(())
}

/// The checklist's view of one integration's history: the first event of each (cycle, kind,
/// variant), oldest first, with how many items all of them brought.
#[derive(Debug, Clone)]
pub struct FirstEvent {
    pub cycle: i64,
    pub at: String,
    pub event: Event,
    pub items: i64,
}

pub fn firsts(c: &Connection, integration_id: &str) -> rusqlite::Result<Vec<FirstEvent>> {
    let mut st = c.prepare_cached(
        "SELECT cycle, kind, first_at, first_detail, items FROM qa_fact WHERE integration_id = ?1
         ORDER BY first_id",
    )?;
    let rows = st.query_map([integration_id], |r| {
        let Some(event) = parse(&r.get::<_, String>(1)?, &r.get::<_, String>(3)?) else {
            return Ok(None);
        };
        Ok(Some(FirstEvent {
            cycle: r.get(0)?,
            at: r.get(2)?,
            event,
            items: r.get(4)?,
        }))
    })?;
    rows.filter_map(Result::transpose).collect()
}

/// The event a row stores, if this version knows its kind and shape.
fn parse(kind: &str, detail: &str) -> Option<Event> {
    let detail: Value = serde_json::from_str(detail).ok()?;
    let event = Event::from_stored(kind, &detail);
    if event.is_none() {
        log::warn!("event log: skipping a {kind} event this version cannot read: {detail}");
    }
    event
}

/// One row of `SELECT id, cycle, kind, at, detail FROM event`; `None` for a row this version
/// cannot read.
fn event(r: &rusqlite::Row) -> rusqlite::Result<Option<EventRow>> {
    let Some(event) = parse(&r.get::<_, String>(2)?, &r.get::<_, String>(4)?) else {
        return Ok(None);
    };
    Ok(Some(EventRow {
        id: r.get(0)?,
        cycle: r.get(1)?,
        at: r.get(3)?,
        event,
    }))
}

/// The partner's first billing rebuild at or after `since` that showed vendor usage on some
/// card: an index seek on (kind, partner, at), whatever the number of rebuilds before it.
pub fn first_rebuild_with_usage(c: &Connection, partner_id: &str, since: &str) -> rusqlite::Result<Option<EventRow>> {
    let mut st = c.prepare_cached(
        "SELECT id, cycle, kind, at, detail FROM event
         WHERE kind = 'billing_rebuilt' AND partner_id = ?2 AND at >= ?1 AND integration_id IS NULL
           AND COALESCE(json_extract(detail, '$.withUsage'), 0) > 0
         ORDER BY at, id LIMIT 1",
    )?;
    Ok(st.query_row([since, partner_id], event).optional()?.flatten())
}

/// Every event of one integration (all cycles) plus its partner's global ones, oldest first,
/// each with whether it is global: the whole history, for tests that check the folded facts
/// against it.
#[cfg(test)]
pub fn for_integration(c: &Connection, integration_id: &str) -> rusqlite::Result<Vec<(bool, EventRow)>> {
    let mut st = c.prepare(
        "SELECT id, cycle, kind, at, detail, integration_id IS NULL FROM event
         WHERE integration_id = ?1
            OR (integration_id IS NULL AND partner_id IS (SELECT partner_id FROM integration WHERE id = ?1))
         ORDER BY id",
    )?;
    let rows = st.query_map([integration_id], |r| {
        let global: bool = r.get(5)?;
        Ok(event(r)?.map(|e| (global, e)))
    })?;
    rows.filter_map(Result::transpose).collect()
}
