//! Service cards: the billing page's comparison of PSA quantities with imported usage.
//! Pure computation; the store gathers the inputs and keeps the result of each rebuild.

use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

/// One contract line of the PSA (account × agreement × product), with its catalogue prices.
#[derive(Debug, Clone)]
pub struct PsaLine {
    pub id: String,
    pub company_id: String,
    pub company_name: String,
    pub agreement_id: String,
    pub agreement_name: String,
    pub product_id: String,
    pub product_code: String,
    pub product_name: String,
    pub quantity: f64,
    pub unit_price: f64,
    pub unit_cost: f64,
}

#[derive(Debug, Clone)]
pub struct PsaProduct {
    pub id: String,
    pub product_code: String,
    pub name: String,
    pub unit_price: f64,
    pub unit_cost: f64,
}

/// A connected integration's claim on a PSA (account, product): one mapped vendor account
/// crossed with one mapped service, and the latest count for that pair if any.
#[derive(Debug, Clone)]
pub struct Feed {
    pub vendor_id: String,
    pub vendor_name: String,
    pub company_id: String,
    pub company_name: String,
    pub product_id: String,
    pub quantity: Option<f64>,
}

/// The oldest last-count time (ISO 8601) whose count still feeds its card at `now`: the first of
/// the previous month. Gradient says cards not updated during a month drop off the next month
/// (its ConnectWise and Autotask notes, DNSFilter's guide), so a count last sent in January still
/// shows all February and is gone from the first rebuild in March. Which day it goes is not
/// documented: that it goes with the month's first rebuild is a guess.
pub fn counts_shown_since(now: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::Datelike;
    let first = now
        .date_naive()
        .with_day(1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(1)))
        .expect("the first of last month exists");
    super::iso(first.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

/// The feed id of CSV-imported usage: it sits beside the integrations in a card's `vendors`.
pub const CSV_SOURCE_ID: &str = "csv-import";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardType {
    PsaOnly,
    NewRevenue,
    Reconcile,
    NoChange,
}

/// What feeds a PSA-only card's line, shown in its vendor slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardFeed {
    /// Fed by a mapped service, with no count yet: "-".
    NoCount,
    /// Nothing feeds it: the crossed-out plug.
    None,
}

/// Where a card's vendor quantity came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageSource {
    Integration,
    Csv,
}

/// Where a service card stands this billing period: open, or the action the partner took.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceCardState {
    Open,
    Approved,
    Adjusted,
    Dismissed,
}

impl ServiceCardState {
    pub const ACTED: [ServiceCardState; 3] = [
        ServiceCardState::Approved,
        ServiceCardState::Adjusted,
        ServiceCardState::Dismissed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceCardState::Open => "open",
            ServiceCardState::Approved => "approved",
            ServiceCardState::Adjusted => "adjusted",
            ServiceCardState::Dismissed => "dismissed",
        }
    }

    /// An action as the card_action table stores it.
    pub fn parse_action(s: &str) -> Option<Self> {
        Self::ACTED.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VendorRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ServiceCard {
    pub id: String,
    #[serde(rename = "type")]
    pub card_type: CardType,
    /// For PSA-only cards: `no_count` (fed, no count yet: "-") or `none` (crossed-out plug).
    pub feed: Option<CardFeed>,
    pub is_new: bool,
    pub psa_account_id: String,
    pub account_name: String,
    pub contract_id: Option<String>,
    pub contract_name: Option<String>,
    pub contract_line_id: Option<String>,
    pub product_id: String,
    pub product_code: String,
    pub service_name: String,
    pub psa_quantity: f64,
    pub vendor_quantity: Option<f64>,
    pub difference: Option<f64>,
    pub revenue_change: f64,
    pub profit_change: f64,
    pub unit_price: f64,
    pub unit_cost: f64,
    pub vendors: Vec<VendorRef>,
    /// Where the vendor quantity came from: `integration`, `csv` or both (summed, as two
    /// sources feeding one line are).
    #[serde(default)]
    pub usage_sources: Vec<UsageSource>,
}

fn usage_sources(vendors: &[VendorRef]) -> Vec<UsageSource> {
    let mut out = vec![];
    if vendors.iter().any(|v| v.id != CSV_SOURCE_ID) {
        out.push(UsageSource::Integration);
    }
    if vendors.iter().any(|v| v.id == CSV_SOURCE_ID) {
        out.push(UsageSource::Csv);
    }
    out
}

/// The largest figure a card shows exactly to the cent: just under 2^46 dollars, where the
/// spacing of f64 values reaches a cent (above it, two neighbouring cents read the same). The vendor API takes any finite count (production's validator has no
/// bound, and a raw byte count is easily 1e12), so a count times a price can pass it; such a
/// figure stops at this ceiling instead of overflowing or showing cents it cannot hold (one
/// count of 2e307 once overflowed revenue and emptied the saved view).
pub const MAX_EXACT_FIGURE: f64 = 70_368_744_177_663.99;

/// Rounded to the cent, and always finite and exact: NaN is 0, and anything past
/// `MAX_EXACT_FIGURE` (infinity included) stops there.
pub fn cents(x: f64) -> f64 {
    let x = if x.is_nan() {
        0.0
    } else {
        x.clamp(-MAX_EXACT_FIGURE, MAX_EXACT_FIGURE)
    };
    (x * 100.0).round() / 100.0
}

/// Two quantities summed without overflow: counts of two services feeding one line may each
/// be as large as a JSON number gets, and their sum must stay a number (JSON has no infinity).
fn saturating_sum(a: f64, b: f64) -> f64 {
    (a + b).clamp(-f64::MAX, f64::MAX)
}

/// Quantities are compared after rounding to 1e-6, so that 0.1 + 0.2 equals 0.3.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

/// What feeds one PSA (account, product): the summed count if any, the vendors, the account name.
type FedLine<'a> = (Option<f64>, BTreeSet<(String, String)>, &'a str, Cell<bool>);

/// Builds every card: one per PSA line, plus a New Revenue card for usage on a mapped
/// (account, product) that has no PSA line. Two services feeding one line are summed. The
/// lines are taken, not borrowed: each card keeps its line's strings instead of copies (the
/// large seed's 10,000 cards were 90,000 string copies, made and freed on every rebuild).
pub fn build_cards(lines: Vec<PsaLine>, products: &[PsaProduct], feeds: &[Feed]) -> Vec<ServiceCard> {
    // (company, product) -> (summed quantity if any count, feeding vendors, account name,
    // whether a PSA line has it)
    let mut fed: BTreeMap<(&str, &str), FedLine> = BTreeMap::new();
    for f in feeds {
        let entry = fed.entry((f.company_id.as_str(), f.product_id.as_str())).or_insert((
            None,
            BTreeSet::new(),
            f.company_name.as_str(),
            Cell::new(false),
        ));
        if let Some(q) = f.quantity {
            entry.0 = Some(saturating_sum(entry.0.unwrap_or(0.0), q));
        }
        entry.1.insert((f.vendor_id.clone(), f.vendor_name.clone()));
    }
    let vendor_refs = |set: &BTreeSet<(String, String)>| {
        set.iter()
            .map(|(id, name)| VendorRef {
                id: id.clone(),
                name: name.clone(),
            })
            .collect::<Vec<_>>()
    };

    let mut cards = Vec::with_capacity(lines.len());
    for line in lines {
        let feed = fed.get(&(line.company_id.as_str(), line.product_id.as_str()));
        if let Some(f) = feed {
            f.3.set(true);
        }
        let vendor_quantity = feed.and_then(|f| f.0);
        let (card_type, feed_label) = match (feed, vendor_quantity) {
            (None, _) => (CardType::PsaOnly, Some(CardFeed::None)),
            (Some(_), None) => (CardType::PsaOnly, Some(CardFeed::NoCount)),
            (Some(_), Some(v)) if same(v, line.quantity) => (CardType::NoChange, None),
            (Some(_), Some(_)) => (CardType::Reconcile, None),
        };
        let difference = vendor_quantity.map(|v| saturating_sum(v, -line.quantity));
        let d = difference.unwrap_or(0.0);
        let vendors = feed.map(|f| vendor_refs(&f.1)).unwrap_or_default();
        let usage_sources = usage_sources(&vendors);
        cards.push(ServiceCard {
            contract_line_id: Some(line.id.clone()),
            id: line.id,
            card_type,
            feed: feed_label,
            is_new: false,
            psa_account_id: line.company_id,
            account_name: line.company_name,
            contract_id: Some(line.agreement_id),
            contract_name: Some(line.agreement_name),
            product_id: line.product_id,
            product_code: line.product_code,
            service_name: line.product_name,
            psa_quantity: line.quantity,
            vendor_quantity,
            difference,
            revenue_change: cents(d * line.unit_price),
            profit_change: cents(d * (line.unit_price - line.unit_cost)),
            unit_price: line.unit_price,
            unit_cost: line.unit_cost,
            vendors,
            usage_sources,
        });
    }

    for ((company_id, product_id), (quantity, vendors, company_name, lined)) in &fed {
        let Some(q) = quantity else { continue };
        if lined.get() {
            continue;
        }
        let Some(product) = products.iter().find(|p| p.id == *product_id) else {
            continue;
        };
        cards.push(ServiceCard {
            id: new_revenue_card_id(company_id, product_id),
            card_type: CardType::NewRevenue,
            feed: None,
            is_new: true,
            psa_account_id: company_id.to_string(),
            account_name: company_name.to_string(),
            contract_id: None,
            contract_name: None,
            contract_line_id: None,
            product_id: product.id.clone(),
            product_code: product.product_code.clone(),
            service_name: product.name.clone(),
            psa_quantity: 0.0,
            vendor_quantity: Some(*q),
            difference: Some(*q),
            revenue_change: cents(q * product.unit_price),
            profit_change: cents(q * (product.unit_price - product.unit_cost)),
            unit_price: product.unit_price,
            unit_cost: product.unit_cost,
            vendors: vendor_refs(vendors),
            usage_sources: usage_sources(&vendor_refs(vendors)),
        });
    }
    cards
}

/// New Revenue cards have no PSA line; their id is derived from what they are about, so that
/// a dismissal survives rebuilds.
pub fn new_revenue_card_id(company_id: &str, product_id: &str) -> String {
    super::ids::ObjectId::derived("new-revenue", &format!("{company_id}:{product_id}")).into_string()
}

/// Whether an action taken on a card this period still hides it: it does until the vendor
/// quantity changes (a later import shows only cards with new values).
pub fn action_still_hides(card: &ServiceCard, acted_on_vendor_quantity: Option<f64>) -> bool {
    match (card.vendor_quantity, acted_on_vendor_quantity) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod finite_tests {
    use super::*;

    #[test]
    fn figures_stay_finite_and_exact_whatever_the_product() {
        assert_eq!(cents(2e307 * 1e10), MAX_EXACT_FIGURE);
        assert_eq!(cents(-f64::INFINITY), -MAX_EXACT_FIGURE);
        assert_eq!(cents(f64::NAN), 0.0);
        // Up to the ceiling, neighbouring cents stay apart and read back as written.
        assert!(MAX_EXACT_FIGURE < 2f64.powi(46));
        let below = cents(MAX_EXACT_FIGURE - 0.01);
        assert!(below < MAX_EXACT_FIGURE);
        assert_eq!(below.to_string(), "70368744177663.98");
        assert_eq!(cents(MAX_EXACT_FIGURE).to_string(), "70368744177663.99");
        assert_eq!(cents(1e9 * 50_000.0), 5e13);
        assert_eq!(saturating_sum(f64::MAX, f64::MAX), f64::MAX);
    }

    #[test]
    fn counts_as_large_as_json_holds_keep_every_card_a_number() {
        let line = PsaLine {
            id: "l".into(),
            company_id: "c".into(),
            company_name: "C".into(),
            agreement_id: "a".into(),
            agreement_name: "A".into(),
            product_id: "p".into(),
            product_code: "P".into(),
            product_name: "P".into(),
            quantity: 3.0,
            unit_price: 12.5,
            unit_cost: 5.0,
        };
        let feed = |vendor: &str| Feed {
            company_id: "c".into(),
            company_name: "C".into(),
            product_id: "p".into(),
            quantity: Some(f64::MAX),
            vendor_id: vendor.into(),
            vendor_name: vendor.into(),
        };
        let cards = build_cards(vec![line], &[], &[feed("v1"), feed("v2")]);
        let card = &cards[0];
        assert_eq!(card.vendor_quantity, Some(f64::MAX));
        assert!(card.difference.is_some_and(f64::is_finite));
        assert_eq!(card.revenue_change, MAX_EXACT_FIGURE);
        assert_eq!(card.profit_change, MAX_EXACT_FIGURE);
        let wire: serde_json::Value = serde_json::from_str(&serde_json::to_string(card).unwrap()).unwrap();
        assert_eq!(wire["vendorQuantity"], f64::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, company: &str, product: &str, qty: f64) -> PsaLine {
        PsaLine {
            id: id.into(),
            company_id: company.into(),
            company_name: format!("{company} Inc"),
            agreement_id: "ag".into(),
            agreement_name: "MSA".into(),
            product_id: product.into(),
            product_code: product.to_uppercase(),
            product_name: format!("{product} service"),
            quantity: qty,
            unit_price: 9.0,
            unit_cost: 3.5,
        }
    }

    fn feed(company: &str, product: &str, q: Option<f64>) -> Feed {
        Feed {
            vendor_id: "v".into(),
            vendor_name: "Vendor".into(),
            company_id: company.into(),
            company_name: format!("{company} Inc"),
            product_id: product.into(),
            quantity: q,
        }
    }

    #[test]
    fn a_count_feeds_its_card_through_the_month_after_it_was_sent() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert_eq!(
            counts_shown_since(at("2027-03-01T00:00:00Z")),
            "2027-02-01T00:00:00.000Z"
        );
        assert_eq!(
            counts_shown_since(at("2027-02-28T23:59:59Z")),
            "2027-01-01T00:00:00.000Z"
        );
        assert_eq!(
            counts_shown_since(at("2027-01-15T12:00:00Z")),
            "2026-12-01T00:00:00.000Z"
        );
    }

    #[test]
    fn every_card_type_from_one_sync() {
        let lines = vec![
            line("l1", "acme", "edr", 45.0),  // reconcile up
            line("l2", "acme", "mail", 40.0), // no change
            line("l3", "acme", "wks", 42.0),  // fed, no count: "-"
            line("l4", "bb", "edr", 20.0),    // not fed: crossed plug
        ];
        let products = vec![PsaProduct {
            id: "sat".into(),
            product_code: "SEC-SAT".into(),
            name: "Awareness".into(),
            unit_price: 3.5,
            unit_cost: 1.0,
        }];
        let feeds = vec![
            feed("acme", "edr", Some(48.0)),
            feed("acme", "mail", Some(30.0)),
            feed("acme", "mail", Some(10.0)), // a second service on the same line: summed
            feed("acme", "wks", None),
            feed("acme", "sat", Some(12.0)), // no PSA line: new revenue
        ];
        let cards = build_cards(lines, &products, &feeds);
        let by_id = |id: &str| cards.iter().find(|c| c.id == id).unwrap();
        assert_eq!(by_id("l1").card_type, CardType::Reconcile);
        assert_eq!(by_id("l1").difference, Some(3.0));
        assert_eq!(by_id("l1").revenue_change, 27.0);
        assert_eq!(by_id("l1").profit_change, 16.5);
        assert_eq!(by_id("l2").card_type, CardType::NoChange);
        assert_eq!(by_id("l2").vendor_quantity, Some(40.0));
        assert_eq!(by_id("l3").card_type, CardType::PsaOnly);
        assert_eq!(by_id("l3").feed, Some(CardFeed::NoCount));
        assert_eq!(by_id("l4").feed, Some(CardFeed::None));
        assert_eq!(by_id("l4").vendor_quantity, None);
        let new = cards.iter().find(|c| c.card_type == CardType::NewRevenue).unwrap();
        assert!(new.is_new);
        assert_eq!(new.psa_quantity, 0.0);
        assert_eq!(new.revenue_change, 42.0);
        assert_eq!(new.profit_change, 30.0);
        assert_eq!(new.id, new_revenue_card_id("acme", "sat"));
        assert_eq!(cards.len(), 5);
    }

    #[test]
    fn actions_hide_until_the_vendor_quantity_changes() {
        let mut card = build_cards(vec![line("l1", "a", "p", 5.0)], &[], &[feed("a", "p", Some(7.0))]).remove(0);
        assert!(action_still_hides(&card, Some(7.0)));
        card.vendor_quantity = Some(8.0);
        assert!(!action_still_hides(&card, Some(7.0)));
    }

    #[test]
    fn card_states_read_back_as_stored() {
        for s in ServiceCardState::ACTED {
            assert_eq!(ServiceCardState::parse_action(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        // Open is no action: a stored "open" would be a corrupt row.
        assert_eq!(ServiceCardState::parse_action("open"), None);
        assert_eq!(serde_json::to_value(ServiceCardState::Open).unwrap(), "open");
        assert_eq!(serde_json::to_value(CardFeed::NoCount).unwrap(), "no_count");
        assert_eq!(serde_json::to_value(UsageSource::Csv).unwrap(), "csv");
    }
}
