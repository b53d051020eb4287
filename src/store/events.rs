//! The event log: partner actions and the vendor calls that matter, for the QA checklist.

use rusqlite::{params, Connection};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: i64,
    pub integration_id: Option<String>,
    pub cycle: i64,
    pub kind: String,
    pub at: String,
    pub detail: Value,
}

pub fn record(
    c: &Connection,
    integration_id: Option<&str>,
    cycle: i64,
    kind: &str,
    at: &str,
    detail: &Value,
) -> rusqlite::Result<()> {
    let mut st =
        c.prepare_cached("INSERT INTO event (integration_id, cycle, kind, at, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?;
    st.execute(params![integration_id, cycle, kind, at, detail.to_string()])?;
    Ok(())
}

/// Events of one integration (all cycles), plus the global ones (rebuilds), oldest first.
pub fn for_integration(c: &Connection, integration_id: &str) -> rusqlite::Result<Vec<Event>> {
    let mut st = c.prepare(
        "SELECT id, integration_id, cycle, kind, at, detail FROM event
         WHERE integration_id = ?1 OR integration_id IS NULL ORDER BY id",
    )?;
    let rows = st.query_map([integration_id], |r| {
        Ok(Event {
            id: r.get(0)?,
            integration_id: r.get(1)?,
            cycle: r.get(2)?,
            kind: r.get(3)?,
            at: r.get(4)?,
            detail: serde_json::from_str(&r.get::<_, String>(5)?).unwrap_or(Value::Null),
        })
    })?;
    rows.collect()
}
