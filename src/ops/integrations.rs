//! The partner's side of an integration: its card, and the steps of the setup wizard
//! (Connect, Generate API Token, Open Vendor Portal, Finish, Disconnect, the alert board;
//! Next and the mapping steps are `mappings`). Each write runs inside the caller's one
//! transaction; the `/sim` handlers only parse the request, call one of these and render
//! what it answers.

use super::billing::rebuild;
use crate::clock::Clock;
use crate::domain::catalog::{CardState, MODULES};
use crate::domain::event::Event;
use crate::domain::ids::GradientToken;
use crate::domain::lifecycle::Card;
use crate::error::{ApiError, ApiResult};
use crate::store::accounts::{self, PropertyKind};
use crate::store::integrations::{self, Deleted, IntegrationRow};
use crate::store::vendors::{self, VendorRow};
use crate::store::{events, mappings, psa};
use rusqlite::Connection;
use serde::Serialize;

/// The integration, or the 404 every route that names one answers for an unknown id.
pub fn load(c: &Connection, id: &str) -> ApiResult<IntegrationRow> {
    integrations::get(c, id)?.ok_or_else(|| ApiError::NotFound(format!("No integration found with id: {id}")))
}

fn vendor_of(c: &Connection, i: &IntegrationRow) -> ApiResult<VendorRow> {
    vendors::get(c, &i.vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))
}

pub(super) fn lifecycle(i: &IntegrationRow) -> Card {
    Card {
        state: i.state,
        status: i.status,
    }
}

/// The integration card, as the console shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationCard {
    pub id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub vendor_description: String,
    pub partner_id: String,
    pub partner_name: String,
    pub state: &'static str,
    pub state_label: &'static str,
    pub status: Option<&'static str>,
    pub next_enabled: bool,
    pub step: Option<&'static str>,
    pub modules: Vec<String>,
    pub vendor_modules: Vec<String>,
    pub account_count: i64,
    pub service_count: i64,
    pub mapped_account_count: i64,
    pub mapped_service_count: i64,
    pub token_generated_at: Option<String>,
    pub token_first_used_at: Option<String>,
    pub partner_key_hint: Option<String>,
    pub vendor_portal_url: Option<String>,
    pub last_synced_at: String,
    pub connected_at: Option<String>,
    pub finished_at: Option<String>,
    pub alert_board_id: Option<String>,
    pub cycle: i64,
}

/// Vendor-level services of the vendor plus this partner's organization services.
fn service_count(c: &Connection, i: &IntegrationRow) -> ApiResult<i64> {
    Ok(vendors::services(c, &i.vendor_id)?.len() as i64 + accounts::count(c, PropertyKind::OrgService, &i.id)?)
}

/// The card of an integration already loaded.
pub fn card(c: &Connection, i: &IntegrationRow) -> ApiResult<IntegrationCard> {
    let vendor = vendor_of(c, i)?;
    let partner = psa::partner(c, &i.partner_id)?.ok_or_else(|| ApiError::internal("partner vanished"))?;
    let (mapped_accounts, mapped_services) = mappings::counts(c, &i.id)?;
    Ok(IntegrationCard {
        id: i.id.clone(),
        vendor_id: vendor.id,
        vendor_name: vendor.name,
        vendor_description: vendor.description,
        partner_id: partner.id,
        partner_name: partner.name,
        state: i.state.as_str(),
        // Only the seed's kickoff key is kept in clear; a generated key never is.
        state_label: lifecycle(i).label_with_key(i.partner_key_plain.is_some()),
        status: i.status.map(|s| s.as_str()),
        next_enabled: lifecycle(i).next_enabled(),
        step: i.step.map(|s| s.as_str()),
        modules: if i.state == CardState::ReadyToConnect {
            Vec::new()
        } else {
            i.modules.clone()
        },
        vendor_modules: vendor.modules,
        account_count: accounts::count(c, PropertyKind::Account, &i.id)?,
        service_count: service_count(c, i)?,
        mapped_account_count: mapped_accounts,
        mapped_service_count: mapped_services,
        token_generated_at: i.token_generated_at.clone(),
        token_first_used_at: i.token_first_used_at.clone(),
        partner_key_hint: i.partner_key_hint.clone(),
        vendor_portal_url: Some(vendor.integration_portal_url).filter(|u| !u.is_empty()),
        last_synced_at: i
            .last_synced_at
            .clone()
            .unwrap_or_else(|| crate::domain::NEVER_SYNCED.to_string()),
        connected_at: i.connected_at.clone(),
        finished_at: i.finished_at.clone(),
        alert_board_id: i.alert_board_id.clone(),
        cycle: i.cycle,
    })
}

/// The card of the integration with this id, read afresh.
pub fn card_of(c: &Connection, id: &str) -> ApiResult<IntegrationCard> {
    card(c, &load(c, id)?)
}

/// Every integration's card, in the console's order.
pub fn cards(c: &Connection, partner_id: &str) -> ApiResult<Vec<IntegrationCard>> {
    integrations::list(c, partner_id)?.iter().map(|i| card(c, i)).collect()
}

/// CONNECT: the card moves to setup with the modules asked for (by default all the vendor
/// offers). A card already connected is answered as it is.
pub fn connect(tx: &Connection, clock: &Clock, id: &str, requested: Option<Vec<String>>) -> ApiResult<IntegrationCard> {
    let i = load(tx, id)?;
    if i.state != CardState::ReadyToConnect {
        return card(tx, &i);
    }
    let vendor = vendor_of(tx, &i)?;
    let modules = requested.unwrap_or_else(|| vendor.modules.clone());
    if modules.is_empty() {
        return Err(ApiError::validation_one("modules should not be empty"));
    }
    for m in &modules {
        if !MODULES.contains(&m.as_str()) || !vendor.modules.contains(m) {
            return Err(ApiError::validation_one(format!(
                "modules must be among this vendor's modules: {}",
                vendor.modules.join(", ")
            )));
        }
    }
    let now = clock.now_iso();
    integrations::connect(tx, id, &modules, &now)?;
    let i = load(tx, id)?;
    events::record(tx, Some(id), i.cycle, &now, &Event::Connected { modules })?;
    card(tx, &i)
}

/// What GENERATE API TOKEN shows once: the new partner key, the vendor's key and both joined.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedKeys {
    pub partner_api_key: String,
    pub vendor_api_key: String,
    pub gradient_token: String,
}

/// GENERATE API TOKEN: a new partner key replaces (and revokes) the previous one.
pub fn generate_token(tx: &Connection, clock: &Clock, id: &str) -> ApiResult<IssuedKeys> {
    let i = load(tx, id)?;
    lifecycle(&i).may_generate_token().map_err(ApiError::Conflict)?;
    let vendor = vendor_of(tx, &i)?;
    let vendor_key = vendor
        .api_key_plain
        .ok_or_else(|| ApiError::Conflict("This vendor's API key is not known to the simulator".into()))?;
    let key = clock.api_key();
    let now = clock.now_iso();
    let regenerated = i.token_generated_at.is_some();
    integrations::new_partner_key(tx, id, &key, &now)?;
    events::record(
        tx,
        Some(id),
        i.cycle,
        &now,
        &Event::TokenGenerated {
            regenerated,
            key_hint: key.hint(),
        },
    )?;
    Ok(IssuedKeys {
        partner_api_key: key.expose().to_string(),
        gradient_token: GradientToken::encode(&vendor_key, key.expose()),
        vendor_api_key: vendor_key,
    })
}

/// OPEN VENDOR PORTAL: the press is recorded whether or not the vendor has set a portal URL
/// (the QA checklist sees it either way), so the transaction commits and the outer result is
/// Ok; the inner one is the URL to open, or the 404 that explains a blank portal.
pub fn open_vendor_portal(tx: &Connection, clock: &Clock, id: &str) -> ApiResult<ApiResult<String>> {
    let i = load(tx, id)?;
    let vendor = vendor_of(tx, &i)?;
    let url = Some(vendor.integration_portal_url).filter(|u| !u.is_empty());
    events::record(
        tx,
        Some(id),
        i.cycle,
        &clock.now_iso(),
        &Event::PortalOpened { url: url.clone() },
    )?;
    Ok(url.ok_or_else(|| {
        ApiError::NotFound(format!(
            "{} has not set an integration portal URL, so Open Vendor Portal would open a blank page. \
             In production, contact Gradient support with the URL; here, the vendor can PATCH /api/vendor-api \
             with integrationPortalUrl, or use the built-in demo vendor portal at /demo-vendor/",
            vendor.name
        ))
    }))
}

/// FINISH: the integration goes live and the billing view is rebuilt with its feeds.
pub fn finish(tx: &Connection, clock: &Clock, id: &str) -> ApiResult<IntegrationCard> {
    let i = load(tx, id)?;
    let (accounts_mapped, services_mapped) = mappings::counts(tx, &i.id)?;
    lifecycle(&i)
        .may_finish(accounts_mapped, services_mapped)
        .map_err(ApiError::Conflict)?;
    let now = clock.now_iso();
    integrations::finish(tx, id, &now)?;
    events::record(
        tx,
        Some(id),
        i.cycle,
        &now,
        &Event::Finished {
            accounts: accounts_mapped,
            services: services_mapped,
        },
    )?;
    rebuild(tx, clock, &i.partner_id)?;
    card_of(tx, id)
}

/// What DISCONNECT answers: the card, Ready to Connect again, and what went with it.
#[derive(Debug, Serialize)]
pub struct Disconnected {
    pub integration: IntegrationCard,
    pub deleted: Deleted,
}

/// DISCONNECT: the vendor's data of the integration goes, its key is revoked, and the billing
/// view is rebuilt without its feeds.
pub fn disconnect(tx: &Connection, clock: &Clock, id: &str) -> ApiResult<Disconnected> {
    let i = load(tx, id)?;
    let now = clock.now_iso();
    let deleted = integrations::disconnect(tx, id, &now)?;
    events::record(tx, Some(id), i.cycle, &now, &Event::Disconnected(deleted.clone()))?;
    rebuild(tx, clock, &i.partner_id)?;
    Ok(Disconnected {
        integration: card_of(tx, id)?,
        deleted,
    })
}

/// Picks the PSA board the integration's alerts become tickets on (none: alerts fail).
pub fn set_alert_board(tx: &Connection, id: &str, board: Option<&str>) -> ApiResult<IntegrationCard> {
    let i = load(tx, id)?;
    if let Some(b) = board {
        if !psa::board_exists(tx, &i.partner_id, b)? {
            return Err(ApiError::NotFound(format!("No PSA board found with id: {b}")));
        }
    }
    integrations::set_alert_board(tx, &i.id, board)?;
    card_of(tx, id)
}
