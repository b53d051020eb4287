//! The simulator's own controls, as `/sim` exposes them: reset to a seed, time travel, and the
//! partner-side events a vendor must survive (the PSA losing a company).

use super::billing::rebuild;
use crate::clock::Clock;
use crate::domain::event::{Event, UnmapReason};
use crate::error::{ApiError, ApiResult};
use crate::gate::Gate;
use crate::ops::Ops;
use crate::store::psa::{Partner, RemovedCompany, Ticket};
use crate::store::seed::Seed;
use crate::store::seeding;
use crate::store::{events, integrations, psa, vendors};
use chrono::{DateTime, Utc};
use parking_lot::RwLock;
use rusqlite::Connection;
use serde::Serialize;

/// Writes `seed` over everything in one transaction (a failure leaves everything as it was)
/// and clears what lives in memory: the journal, the fault rules, the rate-limit windows.
pub async fn reset_to(ops: &Ops, gate: &Gate, seed: Seed) -> ApiResult<()> {
    ops.rebuild.cancel_all();
    // Back to the seed: every partner follows `/sim/clock` again.
    ops.clocks.release_all();
    let clock = ops.clock.clone();
    ops.write_seed(move |tx| {
        let seeded = seeding::apply_seeded(tx, &seed, &clock.now_iso())?;
        super::billing::rebuild_seeded(tx, &clock, seeded)
    })
    .await?;
    gate.journal.clear();
    gate.faults.clear();
    gate.limiter.clear();
    Ok(())
}

/// RESET: back to the current seed, or to `chosen`, which then becomes the current one.
/// Answers the name of the seed now in place.
pub async fn reset(ops: &Ops, gate: &Gate, current: &RwLock<Seed>, chosen: Option<Seed>) -> ApiResult<String> {
    let seed = chosen.clone().unwrap_or_else(|| current.read().clone());
    reset_to(ops, gate, seed).await?;
    if let Some(s) = chosen {
        *current.write() = s;
    }
    let name = current.read().name.clone();
    Ok(name)
}

/// One move of the simulator's clock, checked whole before any part of it is applied.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClockMove {
    pub freeze: Option<bool>,
    pub set: Option<DateTime<Utc>>,
    pub advance_ms: Option<i64>,
}

/// Freezing first and thawing last, so that a frozen clock lands exactly on `set` plus
/// `advance_ms`. The alert queue and the rebuild debounce wait on the clock and wake by
/// themselves.
pub fn move_clock(clock: &Clock, m: ClockMove) {
    if m.freeze == Some(true) {
        clock.freeze();
    }
    if let Some(t) = m.set {
        clock.set(t);
    }
    if let Some(ms) = m.advance_ms {
        clock.advance(ms);
    }
    if m.freeze == Some(false) {
        clock.unfreeze();
    }
}

/// The PSA loses a company (deleted in ConnectWise): Get Clients stops listing it, its cards
/// go with its agreements, and every account mapped to it is unmapped, so the vendor's next
/// count for such an account is the 404 an unmapped account gets. Only the partner's own
/// PSA: another partner's company id is unknown here.
pub fn remove_psa_company(tx: &Connection, clock: &Clock, partner_id: &str, id: &str) -> ApiResult<RemovedCompany> {
    let removed = psa::remove_company(tx, partner_id, id)?
        .ok_or_else(|| ApiError::NotFound(format!("No PSA company found with id: {id}")))?;
    let now = clock.now_iso();
    for (integration_id, account_id) in &removed.unmapped {
        let cycle = integrations::get(tx, integration_id)?.map_or(0, |i| i.cycle);
        events::record(
            tx,
            Some(integration_id),
            cycle,
            &now,
            &Event::AccountUnmapped {
                account_id: account_id.clone(),
                reason: Some(UnmapReason::PsaCompanyRemoved),
                psa_account_id: Some(id.to_string()),
            },
        )?;
    }
    events::record_for_partner(
        tx,
        partner_id,
        &now,
        &Event::PsaCompanyRemoved {
            psa_account_id: id.to_string(),
            name: removed.company.name.clone(),
        },
    )?;
    rebuild(tx, clock, partner_id)?;
    Ok(removed)
}

/// What `/sim/info` reads from the store: the partner, the vendors, and whether the seed's
/// kickoff integration still holds its kickoff key.
pub struct Overview {
    pub partner: Option<Partner>,
    /// The partner's PSA: its words, date rules and setup fields, for every console page.
    pub psa: super::billing::PsaInfo,
    pub vendors: Vec<(String, String)>,
    pub kickoff_live: bool,
}

/// The overview for one partner: the kickoff keys are the seeded partner's, so another
/// partner's console shows none.
pub fn overview(c: &Connection, clock: &Clock, partner_id: &str, kickoff_integration: &str) -> ApiResult<Overview> {
    Ok(Overview {
        partner: psa::partner(c, partner_id)?,
        psa: super::billing::psa_info(c, clock, partner_id)?,
        vendors: vendors::list(c)?.into_iter().map(|v| (v.id, v.name)).collect(),
        kickoff_live: integrations::get(c, kickoff_integration)?
            .is_some_and(|i| i.partner_key_plain.is_some() && i.partner_id == partner_id),
    })
}

pub fn partner_exists(c: &Connection, id: &str) -> ApiResult<bool> {
    Ok(crate::store::partners::exists(c, id)?)
}

/// The ids of one partner's integrations: whose calls its journal shows.
pub fn integration_ids(c: &Connection, partner_id: &str) -> ApiResult<Vec<String>> {
    Ok(integrations::list(c, partner_id)?.into_iter().map(|i| i.id).collect())
}

/// A PSA board with the tickets alerts raised on it, as the console's Tickets page shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketBoard {
    pub id: String,
    pub name: String,
    pub is_default: bool,
    pub tickets: Vec<Ticket>,
}

pub fn ticket_boards(c: &Connection, partner_id: &str) -> ApiResult<Vec<TicketBoard>> {
    let mut tickets = psa::tickets(c, partner_id)?;
    Ok(psa::boards(c, partner_id)?
        .into_iter()
        .map(|b| {
            let (mine, rest) = tickets.drain(..).partition(|t| t.board_id == b.id);
            tickets = rest;
            TicketBoard {
                id: b.id,
                name: b.name,
                is_default: b.is_default,
                tickets: mine,
            }
        })
        .collect())
}

/// The PSA gains a customer with one active monthly agreement holding `lines` (product code,
/// quantity); the billing view is rebuilt with its lines.
pub fn add_psa_company(
    tx: &Connection,
    clock: &Clock,
    partner_id: &str,
    name: &str,
    psa_ref: i64,
    agreement: &str,
    lines: &[(String, f64)],
) -> ApiResult<String> {
    let products = psa::products(tx, partner_id)?;
    let mut rows = vec![];
    for (code, quantity) in lines {
        let product = products
            .iter()
            .find(|p| p.product_code == *code)
            .ok_or_else(|| ApiError::NotFound(format!("No PSA product found with code: {code}")))?;
        rows.push((clock.object_id().into_string(), product.id.clone(), *quantity));
    }
    let (id, agreement_id) = (clock.object_id().into_string(), clock.object_id().into_string());
    psa::add_company(
        tx,
        partner_id,
        &psa::NewCompany {
            id: &id,
            psa_ref,
            name,
            agreement_id: &agreement_id,
            agreement_name: agreement,
            lines: &rows,
        },
    )?;
    rebuild(tx, clock, partner_id)?;
    Ok(id)
}

/// The PSA renames a company: mappings follow its id, but an exact-name auto-map of a vendor
/// account under the old name no longer finds it.
pub fn rename_psa_company(tx: &Connection, clock: &Clock, partner_id: &str, from: &str, to: &str) -> ApiResult<()> {
    let id = psa_company_id(tx, partner_id, from)?;
    psa::rename_company(tx, partner_id, &id, to)?;
    rebuild(tx, clock, partner_id)
}

/// A company of the partner's PSA, by name.
pub fn psa_company_id(c: &Connection, partner_id: &str, name: &str) -> ApiResult<String> {
    psa::all_companies(c, partner_id)?
        .into_iter()
        .find(|co| co.name == name)
        .map(|co| co.id)
        .ok_or_else(|| ApiError::NotFound(format!("No PSA company found with name: {name}")))
}

/// Counts of the integration last sent before `since`: "account × service (last count DATE)".
pub fn counts_not_refreshed(c: &Connection, integration_id: &str, since: &str) -> ApiResult<Vec<String>> {
    Ok(crate::store::usage::counts_before(c, integration_id, since)?
        .into_iter()
        .map(|(account, service, at)| format!("{account} × {service} (last count {})", &at[..10.min(at.len())]))
        .collect())
}
