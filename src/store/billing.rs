//! The billing view: the cards of the last rebuild (a snapshot, as production shows), and the
//! partner's actions on them.

use super::{meta_get, meta_set};
use crate::domain::billing::ServiceCard;
use rusqlite::{params, Connection};
use std::collections::HashMap;

pub fn save_view(c: &Connection, cards: &[ServiceCard], built_at: &str) -> rusqlite::Result<()> {
    meta_set(
        c,
        "billing_cards",
        &serde_json::to_string(cards).unwrap_or_else(|_| "[]".into()),
    )?;
    meta_set(c, "billing_built_at", built_at)
}

/// The cards of the last rebuild and when it happened.
pub fn load_view(c: &Connection) -> rusqlite::Result<(Vec<ServiceCard>, Option<String>)> {
    let cards = meta_get(c, "billing_cards")?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    Ok((cards, meta_get(c, "billing_built_at")?))
}

#[derive(Debug, Clone)]
pub struct CardAction {
    pub action: String,
    pub vendor_quantity: Option<f64>,
    pub effective_date: Option<String>,
}

pub fn actions(c: &Connection, period: &str) -> rusqlite::Result<HashMap<String, CardAction>> {
    let mut st =
        c.prepare_cached("SELECT card_id, action, vendor_quantity, effective_date FROM card_action WHERE period = ?1")?;
    let rows = st.query_map([period], |r| {
        Ok((
            r.get::<_, String>(0)?,
            CardAction {
                action: r.get(1)?,
                vendor_quantity: r.get(2)?,
                effective_date: r.get(3)?,
            },
        ))
    })?;
    rows.collect()
}

/// One action on one card in one billing period.
pub struct ActionRecord<'a> {
    pub card_id: &'a str,
    pub period: &'a str,
    pub action: &'a str,
    pub vendor_quantity: Option<f64>,
    pub quantity: Option<f64>,
    pub effective_date: Option<&'a str>,
}

pub fn record_action(c: &Connection, a: &ActionRecord, now: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO card_action (card_id, period, action, vendor_quantity, quantity, effective_date, acted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(card_id, period) DO UPDATE SET action = excluded.action, vendor_quantity = excluded.vendor_quantity,
           quantity = excluded.quantity, effective_date = excluded.effective_date, acted_at = excluded.acted_at",
        params![a.card_id, a.period, a.action, a.vendor_quantity, a.quantity, a.effective_date, now],
    )?;
    Ok(())
}
