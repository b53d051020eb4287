//! The wizard's mapping steps: entering one auto-maps what matches by name, AUTO-MAP maps
//! every unmapped account and service whose name equals a PSA item's, and each account and
//! service is mapped and unmapped by hand; the mappings view shows both steps at once.

use super::automap::{auto_map_accounts, auto_map_services, mappable_services, Mappable};
use super::integrations::{card_of, lifecycle, load, IntegrationCard};
use crate::clock::Clock;
use crate::domain::catalog::SetupStep;
use crate::domain::event::{Event, MappingSource};
use crate::error::{ApiError, ApiResult};
use crate::store::accounts::{self, PropertyKind};
use crate::store::integrations::{self, IntegrationRow};
use crate::store::{events, mappings, psa};
use rusqlite::Connection;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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

/// A listed account as `account_row` makes it, with the names of the companies the partner
/// sees (a company it no longer sees has no name).
fn listed_row(
    names: &HashMap<&str, &str>,
    (id, name, description, mapping): mappings::AccountWithMapping,
) -> AccountMappingRow {
    let psa_account_name = mapping
        .as_ref()
        .and_then(|(company, _, _)| names.get(company.as_str()).map(|n| n.to_string()));
    let (psa_account_id, source, mapping_id) = match mapping {
        Some((company, source, mapping_id)) => (Some(company), Some(source), Some(mapping_id)),
        None => (None, None, None),
    };
    AccountMappingRow {
        id,
        name,
        description,
        psa_account_id,
        psa_account_name,
        source,
        mapping_id,
    }
}

/// Both mapping steps at once: the vendor's accounts and services with their mappings, and the
/// PSA items they can be mapped to. Without `accounts` when the console pages them
/// (`account_page`): 100,000 accounts are a vendor's first sync at a large MSP.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MappingsView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<AccountMappingRow>>,
    pub services: Vec<ServiceMappingRow>,
    pub psa_accounts: Vec<PsaAccountRef>,
    pub psa_products: Vec<PsaProductRef>,
}

pub fn mappings_view(c: &Connection, id: &str, with_accounts: bool) -> ApiResult<MappingsView> {
    let i = load(c, id)?;
    let psa_accounts: Vec<PsaAccountRef> = psa::visible_companies(c, &i.partner_id)?
        .into_iter()
        .map(|co| PsaAccountRef {
            id: co.id,
            name: co.name,
        })
        .collect();
    // Each row as `account_row` makes it, from one listing and the companies already read
    // (a company the partner no longer sees has no name), instead of three reads per account.
    let accounts = if with_accounts {
        let names: HashMap<&str, &str> = psa_accounts
            .iter()
            .map(|co| (co.id.as_str(), co.name.as_str()))
            .collect();
        let rows = mappings::accounts_with_mappings(c, &i.id)?;
        Some(rows.into_iter().map(|a| listed_row(&names, a)).collect())
    } else {
        None
    };
    let services = mappable_services(c, &i)?
        .into_iter()
        .map(|s| service_row_of(c, &i, s))
        .collect::<ApiResult<Vec<_>>>()?;
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

/// What one page of the account mapping step asks for.
#[derive(Debug, Clone)]
pub struct AccountQuery {
    pub offset: i64,
    pub limit: i64,
    /// Matched, whatever the case, in an account's id, name, description and its PSA company's name.
    pub search: Option<String>,
    pub hide_mapped: bool,
    /// The mapped accounts alone (the review step's pairs); never with `hide_mapped`.
    pub only_mapped: bool,
}

/// One page of the account mapping step, its counts, and how many accounts map to each PSA
/// company (what the console marks as used) without every account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountPage {
    pub accounts: Vec<AccountMappingRow>,
    pub total: i64,
    pub mapped: i64,
    pub matched: i64,
    pub offset: i64,
    pub limit: i64,
    pub mapped_per_psa_account: BTreeMap<String, i64>,
}

pub fn account_page(c: &Connection, id: &str, q: &AccountQuery) -> ApiResult<AccountPage> {
    let i = load(c, id)?;
    let companies = psa::visible_companies(c, &i.partner_id)?;
    let names: HashMap<&str, &str> = companies.iter().map(|co| (co.id.as_str(), co.name.as_str())).collect();
    let search = q
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let filter = mappings::AccountFilter {
        companies: match &search {
            Some(s) => companies
                .iter()
                .filter(|co| crate::domain::mapping::contains_folded(&co.name, s))
                .map(|co| co.id.clone())
                .collect(),
            None => Vec::new(),
        },
        search,
        hide_mapped: q.hide_mapped,
        only_mapped: q.only_mapped,
    };
    let accounts = mappings::account_page(c, &i.id, &filter, q.offset, q.limit)?
        .into_iter()
        .map(|a| listed_row(&names, a))
        .collect();
    let total = mappings::count_accounts(c, &i.id, &mappings::AccountFilter::default())?;
    let matched = mappings::count_accounts(c, &i.id, &filter)?;
    Ok(AccountPage {
        accounts,
        total,
        mapped: mappings::counts(c, &i.id)?.0,
        matched,
        offset: q.offset,
        limit: q.limit,
        mapped_per_psa_account: mappings::mapped_per_company(c, &i.id)?.into_iter().collect(),
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
