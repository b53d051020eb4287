//! The billing view: the cards of the last rebuild (a snapshot, as production shows), and the
//! partner's actions on them.

use super::{meta_get, meta_set};
use crate::domain::billing::{ServiceCard, ServiceCardState};
use rusqlite::{params, Connection};
use std::collections::HashMap;

pub fn save_view(c: &Connection, cards: &[ServiceCard], built_at: &str) -> rusqlite::Result<()> {
    // Sized up front: a card is some 550 bytes, and growing a 5 MB string by doubling (the large
    // seed's 10,000 cards) copies it over again a dozen times on every rebuild.
    let mut text = Vec::with_capacity(64 + cards.len() * 640);
    let text = match serde_json::to_writer(&mut text, cards) {
        Ok(()) => String::from_utf8(text).unwrap_or_else(|_| "[]".into()),
        Err(_) => "[]".into(),
    };
    meta_set(c, "billing_cards", &text)?;
    meta_set(c, "billing_built_at", built_at)
}

/// The cards of the last rebuild and when it happened.
pub fn load_view(c: &Connection) -> rusqlite::Result<(Vec<ServiceCard>, Option<String>)> {
    // Card by card: one that no longer reads (an older build's shape, a figure JSON cannot
    // hold) is left out and logged, never the whole view.
    let cards = meta_get(c, "billing_cards")?
        .and_then(|s| serde_json::from_str::<Vec<serde_json::Value>>(&s).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|card| match serde_json::from_value(card) {
            Ok(card) => Some(card),
            Err(e) => {
                log::error!("a saved service card does not read back ({e}); left out until the next rebuild");
                None
            }
        })
        .collect();
    Ok((cards, meta_get(c, "billing_built_at")?))
}

#[derive(Debug, Clone)]
pub struct CardAction {
    pub action: ServiceCardState,
    pub vendor_quantity: Option<f64>,
    pub effective_date: Option<String>,
}

pub fn actions(c: &Connection, period: &str) -> rusqlite::Result<HashMap<String, CardAction>> {
    let mut st =
        c.prepare_cached("SELECT card_id, action, vendor_quantity, effective_date FROM card_action WHERE period = ?1")?;
    let rows = st.query_map([period], |r| {
        // An action this version does not know leaves the card open.
        let Some(action) = ServiceCardState::parse_action(&r.get::<_, String>(1)?) else {
            return Ok(None);
        };
        Ok(Some((
            r.get::<_, String>(0)?,
            CardAction {
                action,
                vendor_quantity: r.get(2)?,
                effective_date: r.get(3)?,
            },
        )))
    })?;
    rows.filter_map(Result::transpose).collect()
}

/// One action on one card in one billing period.
pub struct ActionRecord<'a> {
    pub card_id: &'a str,
    pub period: &'a str,
    pub action: ServiceCardState,
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
        params![a.card_id, a.period, a.action.as_str(), a.vendor_quantity, a.quantity, a.effective_date, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_that_does_not_read_back_leaves_the_others() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            .unwrap();
        let good = serde_json::json!({
            "id": "l1", "type": "no_change", "feed": null, "isNew": false, "psaAccountId": "c", "accountName": "A",
            "contractId": null, "contractName": null, "contractLineId": null, "productId": "p", "productCode": "P",
            "serviceName": "S", "psaQuantity": 1.0, "vendorQuantity": 1.0, "difference": 0.0, "revenueChange": 0.0,
            "profitChange": 0.0, "unitPrice": 1.0, "unitCost": 0.5, "vendors": []
        });
        let card: ServiceCard = serde_json::from_value(good.clone()).unwrap();
        let mut broken = good.clone();
        broken["id"] = "l2".into();
        broken["revenueChange"] = serde_json::Value::Null;
        meta_set(&c, "billing_cards", &serde_json::json!([good, broken]).to_string()).unwrap();
        let (cards, _) = load_view(&c).unwrap();
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].id, card.id);
    }
}
