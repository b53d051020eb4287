//! The billing view: each partner's cards of its last rebuild (a snapshot, as production
//! shows), and the partner's actions on them.

use super::CachedRow;
use crate::domain::billing::{CardFeed, CardType, ServiceCard, ServiceCardState, UsageSource, VendorRef};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::collections::HashMap;

/// The stored form of a billing view: `{"packed": 1, "strings": [...], "cards": [[...], ...]}`,
/// every string once and each card an array of its fields, its strings as indexes into
/// `strings`. As JSON objects the large seed's 10,000 cards were 5.5 MB (every key, account and
/// service name over again), written by every rebuild and parsed by every read of the billing
/// page; packed they are about a fifth of that. Figures stay JSON numbers, written and read
/// back as before, so a card reads back exactly as it did. A view of the older form (an array
/// of card objects, in files and snapshots of earlier builds) still reads. No schema change:
/// the column holds text as before. An older build shows a packed view as empty until its
/// next rebuild (a count or REBUILD NOW), as it would any view it cannot read; the view is
/// derived from the PSA, the mappings and the counts, so nothing is lost.
const PACKED: u32 = 1;

#[derive(Serialize)]
struct PackedView<'a> {
    packed: u32,
    strings: Vec<&'a str>,
    cards: Vec<PackedCard>,
}

#[derive(Deserialize)]
struct PackedViewIn<'a> {
    packed: u32,
    strings: Vec<String>,
    /// Read one by one, so that a card that does not read leaves the others.
    #[serde(borrow)]
    cards: Vec<&'a RawValue>,
}

/// One card's fields in `ServiceCard`'s order; strings are indexes into the view's `strings`.
/// Figures a card cannot lack are still optional here: JSON writes a non-finite one as null,
/// and such a card is left out on reading, as in the older form.
#[derive(Serialize, Deserialize)]
struct PackedCard(
    u32,
    CardType,
    Option<CardFeed>,
    bool,
    u32,
    u32,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    u32,
    u32,
    u32,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Vec<(u32, u32)>,
    Vec<UsageSource>,
);

/// Gives each distinct string of a view its index, in order of first use. `at` first compares
/// with the last string of the same field: cards come in the PSA's order, so an account's and
/// a contract's strings repeat card after card, and a line card's line id is its id; that
/// spares most of the hashing (11 strings a card, 10,000 cards on the large seed).
#[derive(Default)]
struct Strings<'a> {
    index: HashMap<&'a str, u32>,
    list: Vec<&'a str>,
    last: [Option<(&'a str, u32)>; FIELDS],
}

/// The fields `Strings::at` remembers the last string of.
const FIELDS: usize = 5;
const ID: usize = 0;
const ACCOUNT: usize = 1;
const ACCOUNT_NAME: usize = 2;
const CONTRACT: usize = 3;
const CONTRACT_NAME: usize = 4;

impl<'a> Strings<'a> {
    fn of(&mut self, s: &'a str) -> u32 {
        *self.index.entry(s).or_insert_with(|| {
            self.list.push(s);
            self.list.len() as u32 - 1
        })
    }

    fn at(&mut self, field: usize, s: &'a str) -> u32 {
        match self.last[field] {
            Some((last, i)) if last == s => i,
            _ => {
                let i = self.of(s);
                self.last[field] = Some((s, i));
                i
            }
        }
    }
}

fn pack(cards: &[ServiceCard]) -> PackedView<'_> {
    let mut strings = Strings::default();
    let packed = cards
        .iter()
        .map(|c| {
            PackedCard(
                strings.at(ID, &c.id),
                c.card_type,
                c.feed,
                c.is_new,
                strings.at(ACCOUNT, &c.psa_account_id),
                strings.at(ACCOUNT_NAME, &c.account_name),
                c.contract_id.as_deref().map(|s| strings.at(CONTRACT, s)),
                c.contract_name.as_deref().map(|s| strings.at(CONTRACT_NAME, s)),
                c.contract_line_id.as_deref().map(|s| strings.at(ID, s)),
                strings.of(&c.product_id),
                strings.of(&c.product_code),
                strings.of(&c.service_name),
                Some(c.psa_quantity),
                c.vendor_quantity,
                c.difference,
                Some(c.revenue_change),
                Some(c.profit_change),
                Some(c.unit_price),
                Some(c.unit_cost),
                c.vendors
                    .iter()
                    .map(|v| (strings.of(&v.id), strings.of(&v.name)))
                    .collect(),
                c.usage_sources.clone(),
            )
        })
        .collect();
    PackedView {
        packed: PACKED,
        strings: strings.list,
        cards: packed,
    }
}

/// A packed card as a `ServiceCard`, or why not.
fn unpack(card: PackedCard, strings: &[String]) -> Result<ServiceCard, String> {
    let s = |i: u32| {
        strings
            .get(i as usize)
            .cloned()
            .ok_or_else(|| format!("string {i} of {}", strings.len()))
    };
    let opt = |i: Option<u32>| i.map(s).transpose();
    let figure = |f: Option<f64>, what: &str| f.ok_or_else(|| format!("{what} is null"));
    let PackedCard(
        id,
        card_type,
        feed,
        is_new,
        account,
        account_name,
        contract,
        contract_name,
        line,
        product,
        product_code,
        service_name,
        psa_quantity,
        vendor_quantity,
        difference,
        revenue_change,
        profit_change,
        unit_price,
        unit_cost,
        vendors,
        usage_sources,
    ) = card;
    Ok(ServiceCard {
        id: s(id)?,
        card_type,
        feed,
        is_new,
        psa_account_id: s(account)?,
        account_name: s(account_name)?,
        contract_id: opt(contract)?,
        contract_name: opt(contract_name)?,
        contract_line_id: opt(line)?,
        product_id: s(product)?,
        product_code: s(product_code)?,
        service_name: s(service_name)?,
        psa_quantity: figure(psa_quantity, "psaQuantity")?,
        vendor_quantity,
        difference,
        revenue_change: figure(revenue_change, "revenueChange")?,
        profit_change: figure(profit_change, "profitChange")?,
        unit_price: figure(unit_price, "unitPrice")?,
        unit_cost: figure(unit_cost, "unitCost")?,
        vendors: vendors
            .into_iter()
            .map(|(id, name)| {
                Ok(VendorRef {
                    id: s(id)?,
                    name: s(name)?,
                })
            })
            .collect::<Result<_, String>>()?,
        usage_sources,
    })
}

pub fn save_view(c: &Connection, partner_id: &str, cards: &[ServiceCard], built_at: &str) -> rusqlite::Result<()> {
    // Sized up front: growing a megabyte string by doubling copies it over again and again.
    let mut text = Vec::with_capacity(64 + cards.len() * 160);
    let text = match serde_json::to_writer(&mut text, &pack(cards)) {
        Ok(()) => String::from_utf8(text).unwrap_or_else(|_| "[]".into()),
        Err(_) => "[]".into(),
    };
    c.prepare_cached(
        "INSERT INTO billing_view (partner_id, cards, built_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(partner_id) DO UPDATE SET cards = excluded.cards, built_at = excluded.built_at",
    )?
    .execute(params![partner_id, text, built_at])?;
    Ok(())
}

/// A partner's cards of the last rebuild and when it happened.
pub fn load_view(c: &Connection, partner_id: &str) -> rusqlite::Result<(Vec<ServiceCard>, Option<String>)> {
    let saved: Option<(String, String)> = c
        .cached_row(
            "SELECT cards, built_at FROM billing_view WHERE partner_id = ?1",
            [partner_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((text, built_at)) = saved else {
        return Ok((vec![], None));
    };
    let cards = if text.trim_start().starts_with('{') {
        read_packed(&text)
    } else {
        read_objects(&text)
    };
    Ok((cards, Some(built_at)))
}

/// Card by card: one that no longer reads (a figure JSON cannot hold, an index out of range) is
/// left out and logged, never the whole view.
fn read_packed(text: &str) -> Vec<ServiceCard> {
    let view: PackedViewIn = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            log::error!("the saved billing view does not read back ({e}); empty until the next rebuild");
            return vec![];
        }
    };
    if view.packed != PACKED {
        log::error!(
            "the saved billing view is of form {}, this build reads {PACKED}; empty until the next rebuild",
            view.packed
        );
        return vec![];
    }
    view.cards
        .into_iter()
        .filter_map(|raw| {
            match serde_json::from_str(raw.get())
                .map_err(|e| e.to_string())
                .and_then(|card| unpack(card, &view.strings))
            {
                Ok(card) => Some(card),
                Err(e) => {
                    log::error!("a saved service card does not read back ({e}); left out until the next rebuild");
                    None
                }
            }
        })
        .collect()
}

/// The older form, an array of card objects: card by card, as `read_packed`. An older build's
/// shape, a figure JSON cannot hold.
fn read_objects(text: &str) -> Vec<ServiceCard> {
    serde_json::from_str::<Vec<serde_json::Value>>(text)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|card| match serde_json::from_value(card) {
            Ok(card) => Some(card),
            Err(e) => {
                log::error!("a saved service card does not read back ({e}); left out until the next rebuild");
                None
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
pub struct CardAction {
    pub action: ServiceCardState,
    pub vendor_quantity: Option<f64>,
    pub effective_date: Option<String>,
}

pub fn actions(c: &Connection, partner_id: &str, period: &str) -> rusqlite::Result<HashMap<String, CardAction>> {
    let mut st = c.prepare_cached(
        "SELECT card_id, action, vendor_quantity, effective_date FROM card_action WHERE partner_id = ?1 AND period = ?2",
    )?;
    let rows = st.query_map([partner_id, period], |r| {
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
    pub partner_id: &'a str,
    pub card_id: &'a str,
    pub period: &'a str,
    pub action: ServiceCardState,
    pub vendor_quantity: Option<f64>,
    pub quantity: Option<f64>,
    pub effective_date: Option<&'a str>,
}

pub fn record_action(c: &Connection, a: &ActionRecord, now: &str) -> rusqlite::Result<()> {
    // Cached: a bulk action records a thousand cards.
    c.prepare_cached(
        "INSERT INTO card_action (card_id, period, action, vendor_quantity, quantity, effective_date, acted_at, partner_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(partner_id, card_id, period) DO UPDATE SET action = excluded.action, vendor_quantity = excluded.vendor_quantity,
           quantity = excluded.quantity, effective_date = excluded.effective_date, acted_at = excluded.acted_at",
    )?
    .execute(params![
            a.card_id,
            a.period,
            a.action.as_str(),
            a.vendor_quantity,
            a.quantity,
            a.effective_date,
        now,
        a.partner_id
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_that_does_not_read_back_leaves_the_others() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(super::super::SCHEMA).unwrap();
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
        c.execute(
            "INSERT INTO billing_view (partner_id, cards, built_at) VALUES ('p1', ?1, 'then')",
            [serde_json::json!([good, broken]).to_string()],
        )
        .unwrap();
        let (cards, _) = load_view(&c, "p1").unwrap();
        assert!(
            load_view(&c, "p2").unwrap().0.is_empty(),
            "another partner's view is its own"
        );
        assert_eq!(cards.len(), 1);
        assert_eq!(cards[0].id, card.id);
    }

    fn card(id: &str, account: &str, vendor_quantity: Option<f64>) -> ServiceCard {
        ServiceCard {
            id: id.into(),
            card_type: CardType::Reconcile,
            feed: None,
            is_new: false,
            psa_account_id: format!("c-{account}"),
            account_name: format!("{account} \"Inc\" ✓"),
            contract_id: Some("ag".into()),
            contract_name: Some("MSA".into()),
            contract_line_id: Some(id.into()),
            product_id: "p".into(),
            product_code: "P".into(),
            service_name: "Service".into(),
            psa_quantity: 0.1 + 0.2,
            vendor_quantity,
            difference: vendor_quantity.map(|v| v - 0.3),
            revenue_change: 1e15,
            profit_change: -2.5,
            unit_price: 1.0 / 3.0,
            unit_cost: 0.5,
            vendors: vec![
                VendorRef {
                    id: "v".into(),
                    name: "Vendor".into(),
                },
                VendorRef {
                    id: "csv-import".into(),
                    name: "CSV".into(),
                },
            ],
            usage_sources: vec![UsageSource::Integration, UsageSource::Csv],
        }
    }

    #[test]
    fn a_saved_view_reads_back_as_the_cards_and_as_the_older_form_did() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(super::super::SCHEMA).unwrap();
        let mut new = card("l3", "B", Some(4.0));
        new.card_type = CardType::NewRevenue;
        new.is_new = true;
        (new.contract_id, new.contract_name, new.contract_line_id) = (None, None, None);
        let mut plain = card("l2", "A", None);
        plain.feed = Some(CardFeed::None);
        plain.vendors.clear();
        plain.usage_sources.clear();
        let cards = vec![card("l1", "A", Some(7.25)), plain, new];
        save_view(&c, "p1", &cards, "then").unwrap();
        let (back, built_at) = load_view(&c, "p1").unwrap();
        assert_eq!(back, cards);
        assert_eq!(built_at.as_deref(), Some("then"));
        let stored: String = c.query_row("SELECT cards FROM billing_view", [], |r| r.get(0)).unwrap();
        assert!(stored.starts_with("{\"packed\":1,"), "{stored}");
        // The same cards in the older form (a file or snapshot of an earlier build) read the same.
        c.execute(
            "UPDATE billing_view SET cards = ?1",
            [serde_json::to_string(&cards).unwrap()],
        )
        .unwrap();
        assert_eq!(load_view(&c, "p1").unwrap().0, back);
    }

    #[test]
    fn a_packed_card_that_does_not_read_back_leaves_the_others() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(super::super::SCHEMA).unwrap();
        let cards: Vec<ServiceCard> = (1..=4).map(|i| card(&format!("l{i}"), "A", Some(1.0))).collect();
        save_view(&c, "p1", &cards, "then").unwrap();
        let stored: String = c.query_row("SELECT cards FROM billing_view", [], |r| r.get(0)).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&stored).unwrap();
        v["cards"][0][15] = serde_json::Value::Null; // a figure JSON cannot hold
        v["cards"][1][4] = 999.into(); // a string the view does not have
        v["cards"][2][1] = "no_such_type".into();
        c.execute("UPDATE billing_view SET cards = ?1", [v.to_string()])
            .unwrap();
        assert_eq!(load_view(&c, "p1").unwrap().0, cards[3..]);
        // A form this build does not know, or text that is no view: empty, never an error.
        for text in [
            stored.replacen("\"packed\":1", "\"packed\":2", 1),
            "{\"packed\":".into(),
        ] {
            c.execute("UPDATE billing_view SET cards = ?1", [text]).unwrap();
            let (cards, built_at) = load_view(&c, "p1").unwrap();
            assert!(cards.is_empty());
            assert_eq!(built_at.as_deref(), Some("then"));
        }
    }
}
