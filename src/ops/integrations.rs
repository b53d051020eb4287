//! The partner's side of an integration: its card, and every step of the setup wizard
//! (Connect, Generate API Token, Open Vendor Portal, Next, mapping, Finish, Disconnect, the
//! alert board). Each write runs inside the caller's one transaction; the `/sim` handlers only
//! parse the request, call one of these and render what it answers.

use super::automap::{auto_map_accounts, auto_map_services, mappable_services, Mappable};
use super::billing::rebuild;
use crate::clock::Clock;
use crate::domain::catalog::{CardState, SetupStep, MODULES};
use crate::domain::event::{Event, MappingSource};
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

fn lifecycle(i: &IntegrationRow) -> Card {
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

/// NEXT (or a step picked directly): entering a mapping step auto-maps what matches by name.
pub fn enter_step(tx: &Connection, clock: &Clock, id: &str, step: SetupStep) -> ApiResult<IntegrationCard> {
    let i = load(tx, id)?;
    lifecycle(&i).may_enter(step).map_err(ApiError::Conflict)?;
    let now = clock.now_iso();
    integrations::set_step(tx, id, step)?;
    match step {
        SetupStep::AccountMapping => {
            auto_map_accounts(tx, clock, &i, &now, None)?;
        }
        SetupStep::ServiceMapping => {
            auto_map_services(tx, &i, &now)?;
        }
        _ => {}
    }
    events::record(tx, Some(id), i.cycle, &now, &Event::Step { step })?;
    card_of(tx, id)
}

/// How many accounts and services one auto-map pass mapped.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AutoMapped {
    pub accounts: usize,
    pub services: usize,
}

/// AUTO-MAP: every unmapped account and service whose name equals a PSA item's.
pub fn auto_map(tx: &Connection, clock: &Clock, id: &str) -> ApiResult<AutoMapped> {
    let i = load(tx, id)?;
    require_mapping_allowed(&i)?;
    let now = clock.now_iso();
    Ok(AutoMapped {
        accounts: auto_map_accounts(tx, clock, &i, &now, None)?,
        services: auto_map_services(tx, &i, &now)?,
    })
}

fn require_mapping_allowed(i: &IntegrationRow) -> ApiResult<()> {
    lifecycle(i).may_map().map_err(ApiError::Conflict)
}

/// One vendor account as the account-mapping step shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountMappingRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub psa_account_id: Option<String>,
    pub psa_account_name: Option<String>,
    pub source: Option<String>,
    pub mapping_id: Option<String>,
}

fn account_row(c: &Connection, i: &IntegrationRow, account_id: &str) -> ApiResult<AccountMappingRow> {
    let a = accounts::get(c, PropertyKind::Account, &i.id, account_id)?
        .ok_or_else(|| ApiError::NotFound(format!("No account found with id: {account_id}")))?;
    let mapping = mappings::account_mapping(c, &i.id, &a.id)?;
    let psa_account_name = match &mapping {
        Some((company, _, _)) => psa::visible_company(c, &i.partner_id, company)?.map(|co| co.name),
        None => None,
    };
    let (psa_account_id, source, mapping_id) = match mapping {
        Some((company, source, mapping_id)) => (Some(company), Some(source), Some(mapping_id)),
        None => (None, None, None),
    };
    Ok(AccountMappingRow {
        id: a.id,
        name: a.name,
        description: a.description,
        psa_account_id,
        psa_account_name,
        source,
        mapping_id,
    })
}

/// One mappable service as the service-mapping step shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceMappingRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub kind: &'static str,
    pub psa_product_ids: Vec<String>,
    pub source: Option<String>,
}

fn service_row_of(c: &Connection, i: &IntegrationRow, s: Mappable) -> ApiResult<ServiceMappingRow> {
    let (psa_product_ids, source) = mappings::service_products(c, &i.id, &s.id)?;
    Ok(ServiceMappingRow {
        id: s.id,
        name: s.name,
        description: s.description,
        kind: s.kind,
        psa_product_ids,
        source,
    })
}

fn service_row(c: &Connection, i: &IntegrationRow, service_id: &str) -> ApiResult<ServiceMappingRow> {
    let s = mappable_services(c, i)?
        .into_iter()
        .find(|s| s.id == service_id)
        .ok_or_else(|| ApiError::NotFound(format!("No service found with id: {service_id}")))?;
    service_row_of(c, i, s)
}

#[derive(Debug, Clone, Serialize)]
pub struct PsaAccountRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PsaProductRef {
    pub id: String,
    pub product_code: String,
    pub name: String,
}

/// Both mapping steps at once: the vendor's accounts and services with their mappings, and the
/// PSA items they can be mapped to.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingsView {
    pub accounts: Vec<AccountMappingRow>,
    pub services: Vec<ServiceMappingRow>,
    pub psa_accounts: Vec<PsaAccountRef>,
    pub psa_products: Vec<PsaProductRef>,
}

pub fn mappings_view(c: &Connection, id: &str) -> ApiResult<MappingsView> {
    let i = load(c, id)?;
    let accounts = accounts::list(c, PropertyKind::Account, &i.id)?
        .iter()
        .map(|a| account_row(c, &i, &a.id))
        .collect::<ApiResult<Vec<_>>>()?;
    let services = mappable_services(c, &i)?
        .into_iter()
        .map(|s| service_row_of(c, &i, s))
        .collect::<ApiResult<Vec<_>>>()?;
    let psa_accounts = psa::visible_companies(c, &i.partner_id)?
        .into_iter()
        .map(|co| PsaAccountRef {
            id: co.id,
            name: co.name,
        })
        .collect();
    let psa_products = psa::products(c, &i.partner_id)?
        .into_iter()
        .map(|p| PsaProductRef {
            id: p.id,
            product_code: p.product_code,
            name: p.name,
        })
        .collect();
    Ok(MappingsView {
        accounts,
        services,
        psa_accounts,
        psa_products,
    })
}

/// Maps a vendor account to a PSA company by hand (replacing any earlier mapping).
pub fn map_account(
    tx: &Connection,
    clock: &Clock,
    id: &str,
    account_id: &str,
    psa_id: &str,
) -> ApiResult<AccountMappingRow> {
    let i = load(tx, id)?;
    require_mapping_allowed(&i)?;
    account_row(tx, &i, account_id)?; // 404 for an unknown vendor account
    psa::visible_company(tx, &i.partner_id, psa_id)?
        .ok_or_else(|| ApiError::NotFound(format!("No PSA account found with id: {psa_id}")))?;
    let now = clock.now_iso();
    mappings::map_account(tx, &i.id, account_id, psa_id, "manual", &now, &clock.object_id())?;
    let row = account_row(tx, &i, account_id)?;
    events::record(
        tx,
        Some(&i.id),
        i.cycle,
        &now,
        &Event::AccountMapped {
            account_id: account_id.to_string(),
            name: Some(row.name.clone()),
            psa_account_id: psa_id.to_string(),
            psa_account_name: row.psa_account_name.clone(),
            source: MappingSource::Manual,
        },
    )?;
    Ok(row)
}

pub fn unmap_account(tx: &Connection, clock: &Clock, id: &str, account_id: &str) -> ApiResult<AccountMappingRow> {
    let i = load(tx, id)?;
    account_row(tx, &i, account_id)?;
    if mappings::unmap_account(tx, &i.id, account_id)? > 0 {
        events::record(
            tx,
            Some(&i.id),
            i.cycle,
            &clock.now_iso(),
            &Event::AccountUnmapped {
                account_id: account_id.to_string(),
                reason: None,
                psa_account_id: None,
            },
        )?;
    }
    account_row(tx, &i, account_id)
}

/// Maps a service to exactly these PSA products by hand; none leaves it unmapped.
pub fn map_service(
    tx: &Connection,
    clock: &Clock,
    id: &str,
    service_id: &str,
    products: &[String],
) -> ApiResult<ServiceMappingRow> {
    let i = load(tx, id)?;
    require_mapping_allowed(&i)?;
    service_row(tx, &i, service_id)?;
    let known: Vec<String> = psa::products(tx, &i.partner_id)?.into_iter().map(|p| p.id).collect();
    if let Some(bad) = products.iter().find(|p| !known.contains(p)) {
        return Err(ApiError::NotFound(format!("No PSA product found with id: {bad}")));
    }
    let now = clock.now_iso();
    mappings::map_service(tx, &i.id, service_id, products, "manual", &now)?;
    let row = service_row(tx, &i, service_id)?;
    let name = Some(row.name.clone());
    let event = if products.is_empty() {
        Event::ServiceUnmapped {
            service_id: service_id.to_string(),
            name,
            psa_product_ids: Some(Vec::new()),
            source: Some(MappingSource::Manual),
        }
    } else {
        Event::ServiceMapped {
            service_id: service_id.to_string(),
            name,
            psa_product_ids: products.to_vec(),
            source: MappingSource::Manual,
        }
    };
    events::record(tx, Some(&i.id), i.cycle, &now, &event)?;
    Ok(row)
}

pub fn unmap_service(tx: &Connection, clock: &Clock, id: &str, service_id: &str) -> ApiResult<ServiceMappingRow> {
    let i = load(tx, id)?;
    service_row(tx, &i, service_id)?;
    if mappings::unmap_service(tx, &i.id, service_id)? > 0 {
        events::record(
            tx,
            Some(&i.id),
            i.cycle,
            &clock.now_iso(),
            &Event::ServiceUnmapped {
                service_id: service_id.to_string(),
                name: None,
                psa_product_ids: None,
                source: None,
            },
        )?;
    }
    service_row(tx, &i, service_id)
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
