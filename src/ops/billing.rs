//! Rebuilding the billing view and reading it back as the billing page shows it.

use crate::clock::Clock;
use crate::domain::billing::{
    action_still_hides, build_cards, cents, counts_shown_since, ServiceCard, ServiceCardState,
};
use crate::domain::event::Event;
use crate::domain::psa::{EffectiveRule, PsaKind, SetupField, Terms};
use crate::error::ApiResult;
use crate::store::{billing, events, mappings, psa, usage};
use rusqlite::Connection;
use serde::Serialize;

/// Recomputes every service card of one partner from its PSA, its mappings and the latest
/// counts, and keeps the result as what its billing page shows until the next rebuild.
pub fn rebuild(tx: &Connection, clock: &Clock, partner_id: &str) -> ApiResult<()> {
    rebuild_cards(tx, clock, partner_id).map(|_| ())
}

/// The rebuild, handing back the cards it saved and their time, so that a caller showing them
/// does not read back and parse what it has just written.
pub fn rebuild_cards(tx: &Connection, clock: &Clock, partner_id: &str) -> ApiResult<(Vec<ServiceCard>, String)> {
    let lines = psa::billable_lines(tx, partner_id)?;
    rebuild_from(tx, clock, partner_id, lines, true)
}

/// The billing view of a partner whose PSA was just written from a seed (a reset, a first
/// start, a new partner), built from the lines the writing handed back rather than read back.
pub fn rebuild_seeded(tx: &Connection, clock: &Clock, seeded: crate::store::seeding::Seeded) -> ApiResult<()> {
    // A seeded view follows no counts: no sync run to close.
    rebuild_from(tx, clock, &seeded.partner_id, seeded.billable_lines, false).map(|_| ())
}

fn rebuild_from(
    tx: &Connection,
    clock: &Clock,
    partner_id: &str,
    lines: Vec<crate::domain::billing::PsaLine>,
    closes_run: bool,
) -> ApiResult<(Vec<ServiceCard>, String)> {
    let products = psa::products(tx, partner_id)?;
    // Counts not refreshed during last month no longer feed their cards (the card shows "-").
    let mut feeds = mappings::feeds(tx, partner_id, &counts_shown_since(clock.now()))?;
    // CSV-imported usage counts as production counts it: one more source, summed per line.
    feeds.extend(usage::csv_feeds(tx, partner_id)?);
    let cards = build_cards(lines, &products, &feeds);
    if closes_run {
        // Before the view is saved: a partner's first run is told against the view it replaces.
        super::runs::close_by_rebuild(tx, clock, partner_id, &cards)?;
    }
    let now = clock.now_iso();
    billing::save_view(tx, partner_id, &cards, &now)?;
    let with_usage = cards.iter().filter(|c| c.vendor_quantity.is_some()).count();
    events::record_for_partner(
        tx,
        partner_id,
        &now,
        &Event::BillingRebuilt {
            cards: cards.len(),
            with_usage,
        },
    )?;
    Ok((cards, now))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CardView {
    #[serde(flatten)]
    pub card: ServiceCard,
    /// `open`, or the action taken this period (`approved`, `adjusted`, `dismissed`).
    pub state: ServiceCardState,
    pub effective_date: Option<String>,
    /// New Revenue cards only: the account's active agreements, the first being the default
    /// where an approval adds the line.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub agreements: Vec<AgreementRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgreementRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub key: String,
    pub title: String,
    pub card_ids: Vec<String>,
    pub total_revenue_change: f64,
    pub total_profit_change: f64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BillingView {
    pub built_at: Option<String>,
    pub pending_rebuild: bool,
    pub period: String,
    pub view: String,
    pub group_by: String,
    pub cards: Vec<CardView>,
    pub groups: Vec<Group>,
    /// Cards actioned this billing period (approved, adjusted or dismissed) whose vendor
    /// quantity has not changed since: off the dashboard unless `includeActioned`. The page
    /// names them when a round's usage shows no open card.
    pub actioned_count: usize,
    /// The partner's PSA: its words for account, contract and service, and its date rules.
    pub psa: PsaInfo,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PsaInfo {
    pub name: String,
    pub kind: PsaKind,
    pub terms: Terms,
    pub effective_rule: EffectiveRule,
    /// The date an Approve made today takes effect.
    pub approval_date: String,
    pub takes_decimals: bool,
    /// What Gradient's setup wizard asks for to connect this PSA.
    pub setup_fields: &'static [SetupField],
}

pub fn psa_info(c: &Connection, clock: &Clock, partner_id: &str) -> ApiResult<PsaInfo> {
    let name = psa::partner(c, partner_id)?.map(|p| p.psa).unwrap_or_default();
    let kind = PsaKind::of(&name);
    Ok(PsaInfo {
        name,
        kind,
        terms: kind.terms(),
        effective_rule: kind.effective_rule(),
        approval_date: kind.approval_date(clock.now().date_naive()).to_string(),
        takes_decimals: kind.takes_decimals(),
        setup_fields: kind.setup_fields(),
    })
}

#[derive(Debug, Clone, Default)]
pub struct ViewQuery {
    pub view: Option<String>,
    pub group_by: Option<String>,
    pub search: Option<String>,
    pub vendor_id: Option<String>,
    pub include_actioned: bool,
}

/// The cards of the last rebuild with this period's actions applied: actioned cards leave the
/// dashboard until their vendor quantity changes.
pub fn cards_with_state(c: &Connection, clock: &Clock, partner_id: &str) -> ApiResult<(Vec<CardView>, Option<String>)> {
    let (cards, built_at) = billing::load_view(c, partner_id)?;
    Ok((with_state(c, clock, partner_id, cards)?, built_at))
}

fn with_state(c: &Connection, clock: &Clock, partner_id: &str, cards: Vec<ServiceCard>) -> ApiResult<Vec<CardView>> {
    let actions = billing::actions(c, partner_id, &clock.period())?;
    let views = cards
        .into_iter()
        .map(|card| {
            let action = actions
                .get(&card.id)
                .filter(|a| action_still_hides(&card, a.vendor_quantity));
            CardView {
                state: action.map_or(ServiceCardState::Open, |a| a.action),
                effective_date: action.and_then(|a| a.effective_date.clone()),
                agreements: vec![],
                card,
            }
        })
        .collect();
    Ok(views)
}

pub fn view(
    c: &Connection,
    clock: &Clock,
    partner_id: &str,
    q: &ViewQuery,
    pending_rebuild: bool,
) -> ApiResult<BillingView> {
    let (cards, built_at) = billing::load_view(c, partner_id)?;
    view_of(c, clock, partner_id, cards, built_at, q, pending_rebuild)
}

/// REBUILD NOW: the billing view recomputed at once and shown as the page asks.
pub fn rebuild_view(tx: &Connection, clock: &Clock, partner_id: &str, q: &ViewQuery) -> ApiResult<BillingView> {
    let (cards, built_at) = rebuild_cards(tx, clock, partner_id)?;
    view_of(tx, clock, partner_id, cards, Some(built_at), q, false)
}

/// The billing page over given cards (the last rebuild's, or one just made).
#[allow(clippy::too_many_arguments)]
pub fn view_of(
    c: &Connection,
    clock: &Clock,
    partner_id: &str,
    cards: Vec<ServiceCard>,
    built_at: Option<String>,
    q: &ViewQuery,
    pending_rebuild: bool,
) -> ApiResult<BillingView> {
    let mut all = with_state(c, clock, partner_id, cards)?;
    // The vendor's own cards first: usage is what the partner came for, and the PSA-only cards
    // of every other product would bury it. Stable, so the PSA's order holds within each part;
    // groups follow their first card, so groups with usage come first too.
    all.sort_by_key(|v| v.card.vendor_quantity.is_none());
    let actioned_count = all.iter().filter(|v| v.state != ServiceCardState::Open).count();
    let needle = q.search.as_deref().map(str::to_lowercase).filter(|s| !s.is_empty());
    let mut cards: Vec<CardView> = all
        .into_iter()
        .filter(|v| q.include_actioned || v.state == ServiceCardState::Open)
        .filter(|v| {
            needle.as_ref().is_none_or(|n| {
                v.card.service_name.to_lowercase().contains(n)
                    || v.card.account_name.to_lowercase().contains(n)
                    || v.card.product_code.to_lowercase().contains(n)
                    || v.card.contract_name.as_deref().unwrap_or("").to_lowercase().contains(n)
            })
        })
        .filter(|v| {
            q.vendor_id
                .as_ref()
                .filter(|s| !s.is_empty())
                .is_none_or(|id| v.card.vendors.iter().any(|vr| &vr.id == id))
        })
        .collect();
    for v in cards.iter_mut().filter(|v| v.card.contract_line_id.is_none()) {
        v.agreements = psa::active_agreements(c, &v.card.psa_account_id)?
            .into_iter()
            .map(|(id, name)| AgreementRef { id, name })
            .collect();
    }
    let view = match q.view.as_deref() {
        Some("list") => "list",
        _ => "card",
    };
    let group_by = match (view, q.group_by.as_deref()) {
        ("list", Some("account")) => "account",
        ("list", Some("contract")) => "contract",
        _ => "service",
    };
    let mut groups: Vec<Group> = vec![];
    for v in &cards {
        let (key, title) = match group_by {
            "account" => (v.card.psa_account_id.clone(), v.card.account_name.clone()),
            "contract" => (
                v.card
                    .contract_id
                    .clone()
                    .unwrap_or_else(|| format!("new:{}", v.card.psa_account_id)),
                match &v.card.contract_name {
                    Some(n) => format!("{} — {}", v.card.account_name, n),
                    None => format!("{} — no contract (New Revenue)", v.card.account_name),
                },
            ),
            _ => (v.card.product_id.clone(), v.card.service_name.clone()),
        };
        let group = match groups.iter_mut().position(|g| g.key == key) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(Group {
                    key,
                    title,
                    card_ids: vec![],
                    total_revenue_change: 0.0,
                    total_profit_change: 0.0,
                });
                groups.last_mut().expect("just pushed")
            }
        };
        group.card_ids.push(v.card.id.clone());
        // Summed under the cards' own ceiling, so a total is as finite and exact as its cards.
        group.total_revenue_change = cents(group.total_revenue_change + v.card.revenue_change);
        group.total_profit_change = cents(group.total_profit_change + v.card.profit_change);
    }
    Ok(BillingView {
        built_at,
        pending_rebuild,
        period: clock.period(),
        view: view.into(),
        group_by: group_by.into(),
        cards,
        groups,
        actioned_count,
        psa: psa_info(c, clock, partner_id)?,
    })
}
