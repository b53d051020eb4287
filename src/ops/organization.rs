//! The vendor's view of its integration: the status it sets.

use super::{Access, Outcome};
use crate::domain::catalog::IntegrationStatus;
use crate::domain::event::Event;
use crate::error::{ApiError, ApiResult};
use crate::ops::Ops;
use crate::store::integrations::IntegrationRow;
use crate::store::{events, integrations, psa};

/// `PATCH /organization/status/{status}`, the status already parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPatch {
    pub status: IntegrationStatus,
}

/// Sets the status the vendor reports; answers the integration as it now stands and its
/// partner's name.
pub async fn set_status(
    ops: &Ops,
    access: &impl Access,
    integration: &IntegrationRow,
    patch: StatusPatch,
) -> Outcome<(IntegrationRow, String)> {
    let (id, cycle) = (integration.id.clone(), integration.cycle);
    let clock = ops.clock_of(&integration.partner_id);
    super::write(ops, access, move |tx, lints| {
        let before = integrations::get(tx, &id)?.and_then(|i| i.status);
        lints.extend(crate::domain::lint::across::status_demoted(before, patch.status));
        integrations::set_status(tx, &id, patch.status)?;
        let set = Event::StatusSet { status: patch.status };
        events::record(tx, Some(&id), cycle, &clock.now_iso(), &set)?;
        let integration = integrations::get(tx, &id)?.ok_or_else(|| ApiError::internal("integration vanished"))?;
        let partner = psa::partner(tx, &integration.partner_id)?
            .map(|p| p.name)
            .unwrap_or_default();
        Ok((integration, partner))
    })
    .await
}

/// The integration as it stands now (the caller's copy may predate its last count) and its
/// partner's name, as the vendor sees them.
pub async fn as_seen(ops: &Ops, integration: &IntegrationRow) -> ApiResult<(IntegrationRow, String)> {
    let (id, partner_id) = (integration.id.clone(), integration.partner_id.clone());
    ops.read(move |c| {
        let integration = integrations::get(c, &id)?.ok_or(ApiError::Unauthorized)?;
        let name = psa::partner(c, &partner_id)?.map(|p| p.name).unwrap_or_default();
        Ok((integration, name))
    })
    .await
}

/// Get Clients' page size.
pub const CLIENTS_PAGE_SIZE: usize = 50;

/// A page of the deprecated Get Clients.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientsQuery {
    /// The caller's partner: another partner's companies are not this token's.
    pub partner_id: String,
    /// Lowercased; a case-insensitive substring of the name.
    pub search: Option<String>,
    /// The page starts after this company (an ObjectId, lowercased).
    pub previous: Option<String>,
}

pub struct ClientsPage {
    /// Every company the search matches.
    pub total: usize,
    pub clients: Vec<psa::Company>,
    pub has_more: bool,
}

/// The partner's PSA companies that have an active contract, `CLIENTS_PAGE_SIZE` a page
/// after `previous`, filtered by `search`. A `previous` not among them gives an empty page.
pub async fn clients(ops: &Ops, q: ClientsQuery) -> ApiResult<ClientsPage> {
    let partner_id = q.partner_id.clone();
    let companies = ops.read(move |c| Ok(psa::visible_companies(c, &partner_id)?)).await?;
    let matching: Vec<_> = companies
        .into_iter()
        .filter(|c| q.search.as_ref().is_none_or(|s| c.name.to_lowercase().contains(s)))
        .collect();
    let start = match &q.previous {
        Some(p) => matching
            .iter()
            .position(|c| &c.id == p)
            .map(|i| i + 1)
            .unwrap_or(matching.len()),
        None => 0,
    };
    let total = matching.len();
    let clients: Vec<_> = matching.into_iter().skip(start).take(CLIENTS_PAGE_SIZE).collect();
    let has_more = start + clients.len() < total;
    Ok(ClientsPage {
        total,
        clients,
        has_more,
    })
}
