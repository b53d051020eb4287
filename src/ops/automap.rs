//! Exact-name auto-mapping: on entering a mapping step, on AUTO-MAP, and for accounts that
//! arrive while the partner is mapping. Gradient maps only names equal character for character.

use crate::clock::Clock;
use crate::domain::catalog::{CardState, SetupStep};
use crate::domain::event::{Event, MappingSource};
use crate::domain::lifecycle::Card;
use crate::domain::mapping::exact_name_matches;
use crate::error::ApiResult;
use crate::store::accounts::{self, PropertyKind};
use crate::store::integrations::{self, IntegrationRow};
use crate::store::{events, mappings, psa, vendors};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

/// Auto-maps unmapped accounts (all, or `only` these) whose names equal a PSA company's,
/// character for character.
pub(super) fn auto_map_accounts(
    tx: &Connection,
    clock: &Clock,
    i: &IntegrationRow,
    now: &str,
    only: Option<&HashSet<String>>,
) -> ApiResult<usize> {
    let candidates: Vec<(String, String)> = psa::visible_companies(tx, &i.partner_id)?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let unmapped: Vec<_> = accounts::list(tx, PropertyKind::Account, &i.id)?
        .into_iter()
        .filter(|a| !a.is_mapped && only.is_none_or(|ids| ids.contains(&a.id)))
        .collect();
    let matches = exact_name_matches(unmapped.iter().map(|a| (a.id.as_str(), a.name.as_str())), &candidates);
    let names: HashMap<&str, &str> = unmapped.iter().map(|a| (a.id.as_str(), a.name.as_str())).collect();
    for (account, company) in &matches {
        mappings::map_account(tx, &i.id, account, company, "auto", now, &clock.object_id())?;
        // An exact-name match: the account and the PSA company carry the same name.
        let name = names.get(account.as_str()).copied();
        events::record(
            tx,
            Some(&i.id),
            i.cycle,
            now,
            &Event::AccountMapped {
                account_id: account.clone(),
                name: name.map(String::from),
                psa_account_id: company.clone(),
                psa_account_name: name.map(String::from),
                source: MappingSource::Auto,
            },
        )?;
    }
    Ok(matches.len())
}

/// A service the integration can map: a vendor-level one or one of the partner's organization.
pub(super) struct Mappable {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) kind: &'static str,
}

/// Every service the integration can map, vendor-level ones first.
pub(super) fn mappable_services(c: &Connection, i: &IntegrationRow) -> ApiResult<Vec<Mappable>> {
    let mut out: Vec<_> = vendors::services(c, &i.vendor_id)?
        .into_iter()
        .map(|s| Mappable {
            id: s.id,
            name: s.name,
            description: s.description,
            kind: "vendor",
        })
        .collect();
    out.extend(
        accounts::list(c, PropertyKind::OrgService, &i.id)?
            .into_iter()
            .map(|s| Mappable {
                id: s.id,
                name: s.name,
                description: s.description,
                kind: "organization",
            }),
    );
    Ok(out)
}

pub(super) fn auto_map_services(tx: &Connection, i: &IntegrationRow, now: &str) -> ApiResult<usize> {
    let candidates: Vec<(String, String)> = psa::products(tx, &i.partner_id)?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut unmapped = vec![];
    for s in mappable_services(tx, i)? {
        if !mappings::is_service_mapped(tx, &i.id, &s.id)? {
            unmapped.push(s);
        }
    }
    let matches = exact_name_matches(unmapped.iter().map(|s| (s.id.as_str(), s.name.as_str())), &candidates);
    for (service, product) in &matches {
        mappings::map_service(tx, &i.id, service, std::slice::from_ref(product), "auto", now)?;
        let name = unmapped.iter().find(|s| &s.id == service).map(|s| s.name.as_str());
        events::record(
            tx,
            Some(&i.id),
            i.cycle,
            now,
            &Event::ServiceMapped {
                service_id: service.clone(),
                name: name.map(String::from),
                psa_product_ids: vec![product.clone()],
                source: MappingSource::Auto,
            },
        )?;
    }
    Ok(matches.len())
}

/// Accounts the vendor creates once the partner is on Account Mapping or past it, still in
/// setup: exact names map as on entering the step, as the step's page says. Only the new ones,
/// so an auto-mapping the partner took back stays undone.
pub fn auto_map_arrivals(tx: &Connection, clock: &Clock, id: &str, new: &HashSet<String>) -> ApiResult<usize> {
    let Some(i) = integrations::get(tx, id)? else {
        return Ok(0);
    };
    let past_connect = i.step.is_some_and(|s| s > SetupStep::ConnectToVendor);
    let may_map = Card {
        state: i.state,
        status: i.status,
    }
    .may_map()
    .is_ok();
    if i.state != CardState::Setup || !past_connect || !may_map {
        return Ok(0);
    }
    auto_map_accounts(tx, clock, &i, &clock.now_iso(), Some(new))
}
