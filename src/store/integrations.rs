//! Integrations (one partner × one vendor): card state, status, partner key, lifecycle.

use super::CachedRow;
use super::{modules_from_json, modules_to_json};
use crate::domain::catalog::{CardState, IntegrationStatus, SetupStep};
use crate::domain::ids::ApiKey;
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone)]
pub struct IntegrationRow {
    pub id: String,
    pub vendor_id: String,
    pub partner_id: String,
    pub state: CardState,
    pub step: Option<SetupStep>,
    pub status: Option<IntegrationStatus>,
    pub modules: Vec<String>,
    pub partner_key_hint: Option<String>,
    pub partner_key_plain: Option<String>,
    pub token_generated_at: Option<String>,
    pub token_first_used_at: Option<String>,
    pub connected_at: Option<String>,
    pub finished_at: Option<String>,
    pub last_synced_at: Option<String>,
    pub alert_board_id: Option<String>,
    pub cycle: i64,
}

/// `last_synced_at` is the last count of the integration's current cycle, kept in its count
/// summary: a count then writes nothing to the integration's row, so the copies of that row
/// made for the key check stay current under a stream of counts (see `store::epochs`).
const COLS: &str = "id, vendor_id, partner_id, state, step, status, modules, partner_key_hint, partner_key_plain,
    token_generated_at, token_first_used_at, connected_at, finished_at,
    (SELECT s.last_at FROM count_summary s WHERE s.integration_id = integration.id AND s.cycle = integration.cycle),
    alert_board_id, cycle";

fn row(r: &Row) -> rusqlite::Result<IntegrationRow> {
    Ok(IntegrationRow {
        id: r.get(0)?,
        vendor_id: r.get(1)?,
        partner_id: r.get(2)?,
        state: CardState::parse(&r.get::<_, String>(3)?).unwrap_or(CardState::ReadyToConnect),
        step: r.get::<_, Option<String>>(4)?.as_deref().and_then(SetupStep::parse),
        status: r
            .get::<_, Option<String>>(5)?
            .as_deref()
            .and_then(IntegrationStatus::parse),
        modules: modules_from_json(&r.get::<_, String>(6)?),
        partner_key_hint: r.get(7)?,
        partner_key_plain: r.get(8)?,
        token_generated_at: r.get(9)?,
        token_first_used_at: r.get(10)?,
        connected_at: r.get(11)?,
        finished_at: r.get(12)?,
        last_synced_at: r.get(13)?,
        alert_board_id: r.get(14)?,
        cycle: r.get(15)?,
    })
}

pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<IntegrationRow>> {
    c.cached_row(&format!("SELECT {COLS} FROM integration WHERE id = ?1"), [id], row)
        .optional()
}

/// One partner's integrations, by vendor name.
pub fn list(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<IntegrationRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {COLS} FROM integration WHERE partner_id = ?1
         ORDER BY (SELECT name FROM vendor WHERE vendor.id = integration.vendor_id), rowid"
    ))?;
    let rows = st.query_map([partner_id], row)?;
    rows.collect()
}

pub fn by_partner_key_hash(c: &Connection, hash: &str) -> rusqlite::Result<Option<IntegrationRow>> {
    let mut st = c.prepare_cached(&format!("SELECT {COLS} FROM integration WHERE partner_key_hash = ?1"))?;
    st.query_row([hash], row).optional()
}

/// A key that used to work: (integration id, why it stopped).
pub fn revoked(c: &Connection, hash: &str) -> rusqlite::Result<Option<(String, String)>> {
    c.cached_row(
        "SELECT integration_id, reason FROM revoked_key WHERE key_hash = ?1",
        [hash],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

fn revoke_current_key(c: &Connection, id: &str, reason: &str, now: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR REPLACE INTO revoked_key (key_hash, integration_id, reason, revoked_at)
         SELECT partner_key_hash, id, ?2, ?3 FROM integration WHERE id = ?1 AND partner_key_hash IS NOT NULL",
        params![id, reason, now],
    )?;
    Ok(())
}

pub fn set_status(c: &Connection, id: &str, status: IntegrationStatus) -> rusqlite::Result<()> {
    // The status it already has writes no row: the copies the integration's row is part of
    // (the key check's, the organization's) stay current under a vendor's repeated PATCH.
    c.prepare_cached("UPDATE integration SET status = ?2 WHERE id = ?1 AND status IS NOT ?2")?
        .execute(params![id, status.as_str()])?;
    Ok(())
}

pub fn mark_token_used(c: &Connection, id: &str, now: &str) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE integration SET token_first_used_at = ?2 WHERE id = ?1 AND token_first_used_at IS NULL",
        params![id, now],
    )?;
    Ok(n > 0)
}

/// CONNECT: the card enters setup at its first step; a new QA cycle begins.
pub fn connect(c: &Connection, id: &str, modules: &[String], now: &str) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE integration SET state = 'setup', step = 'connect_to_vendor', status = NULL, modules = ?2,
           connected_at = ?3, finished_at = NULL, token_generated_at = NULL, token_first_used_at = NULL,
           cycle = cycle + 1
         WHERE id = ?1",
        params![id, modules_to_json(modules), now],
    )?;
    Ok(())
}

/// GENERATE API TOKEN: a new partner key; the old one is revoked at once. The first token of a
/// connection sets the status to inactive; a regenerate keeps the status, accounts and mappings.
pub fn new_partner_key(c: &Connection, id: &str, key: &ApiKey, now: &str) -> rusqlite::Result<()> {
    revoke_current_key(c, id, "regenerated", now)?;
    c.execute(
        "UPDATE integration SET partner_key_hash = ?2, partner_key_hint = ?3, partner_key_plain = NULL,
           token_generated_at = ?4, token_first_used_at = NULL, status = COALESCE(status, 'inactive')
         WHERE id = ?1",
        params![id, key.hash().0, key.hint(), now],
    )?;
    Ok(())
}

pub fn set_step(c: &Connection, id: &str, step: SetupStep) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE integration SET step = ?2 WHERE id = ?1",
        params![id, step.as_str()],
    )?;
    Ok(())
}

pub fn finish(c: &Connection, id: &str, now: &str) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE integration SET state = 'connected', step = NULL, finished_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

pub fn set_alert_board(c: &Connection, id: &str, board: Option<&str>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE integration SET alert_board_id = ?2 WHERE id = ?1",
        params![id, board],
    )?;
    Ok(())
}

/// What a disconnect deleted: the disconnect event carries it.
pub use crate::domain::event::Deleted;

/// DISCONNECT: every vendor account, organization service, mapping and count of the
/// integration goes; the partner key is revoked; the card is Ready to Connect again.
pub fn disconnect(c: &Connection, id: &str, now: &str) -> rusqlite::Result<Deleted> {
    revoke_current_key(c, id, "disconnected", now)?;
    let del = |table: &str| c.execute(&format!("DELETE FROM {table} WHERE integration_id = ?1"), [id]);
    let deleted = Deleted {
        account_mappings: del("account_mapping")?,
        service_mappings: del("service_mapping")?,
        unit_counts: del("unit_count")?,
        accounts: del("vendor_account")?,
        organization_services: del("org_service")?,
    };
    c.execute(
        "UPDATE integration SET state = 'ready_to_connect', step = NULL, status = 'inactive', partner_key_hash = NULL,
           partner_key_hint = NULL, partner_key_plain = NULL, finished_at = NULL WHERE id = ?1",
        [id],
    )?;
    Ok(deleted)
}
