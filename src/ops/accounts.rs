//! Accounts and organization services: the per-partner "mapping properties" a vendor creates.
//! Every write is all-or-nothing: one refused item stores nothing of its body.

use super::{Access, Outcome};
use crate::domain::event::Event;
use crate::domain::lint::{blanked, blanked_fields, Lint, LintCode};
use crate::domain::Rejection;
use crate::error::{ApiError, ApiResult};
use crate::ops::Ops;
use crate::store::accounts::{self, NewProperty, Property, PropertyKind, PropertyUpdate};
use crate::store::events;
use crate::store::integrations::IntegrationRow;
use rusqlite::Connection;
use std::collections::HashSet;

/// Documented for organization services (createservicemappingobject); for accounts, a guess.
const DUPLICATE: &str = "A resource with this Id already exists.";

fn not_found(kind: PropertyKind, id: &str) -> ApiError {
    match kind {
        PropertyKind::Account => Rejection::NotFound(format!("No account found with id: {id}")),
        PropertyKind::OrgService => Rejection::NotFound(format!("No service found with id: {id}")),
    }
    .into()
}

fn stored(c: &Connection, kind: PropertyKind, integration_id: &str, id: &str) -> Result<Property, ApiError> {
    accounts::get(c, kind, integration_id, id)?.ok_or_else(|| ApiError::internal("row vanished"))
}

/// Creates every item, or none: an id that exists (or comes twice in the body) is a 409.
pub async fn create(
    ops: &Ops,
    access: &impl Access,
    integration: &IntegrationRow,
    kind: PropertyKind,
    new: Vec<NewProperty>,
) -> Outcome<Vec<Property>> {
    let (integration_id, cycle) = (integration.id.clone(), integration.cycle);
    let clock = ops.clock_of(&integration.partner_id);
    super::write(ops, access, move |tx, lints| {
        let now = clock.now_iso();
        // The first id that exists, or comes a second time in the body, refuses it all (the
        // write rolls back what went in before it).
        if let Some(taken) = accounts::insert_all(tx, kind, &integration_id, &new, &now)? {
            lints.push(Lint::new(
                LintCode::AccountReposted,
                format!(
                    "id {:?} already exists (or appears twice in this body); nothing of this body was stored",
                    new[taken].id
                ),
            ));
            return Err(Rejection::Conflict(DUPLICATE.into()).into());
        }
        let seen: HashSet<String> = new.iter().map(|p| p.id.clone()).collect();
        let ids: Vec<String> = new.iter().map(|p| p.id.clone()).collect();
        let event = match kind {
            PropertyKind::Account => Event::AccountsCreated { ids },
            PropertyKind::OrgService => Event::ServicesCreated { ids },
        };
        events::record(tx, Some(&integration_id), cycle, &now, &event)?;
        if kind == PropertyKind::Account {
            super::automap::auto_map_arrivals(tx, &clock, &integration_id, &seen)?;
        }
        new.iter().map(|p| stored(tx, kind, &integration_id, &p.id)).collect()
    })
    .await
}

/// One item's update in a bulk body, which names the item by its `id`.
#[derive(Debug, Clone)]
pub struct PropertyPatch {
    pub id: String,
    pub update: PropertyUpdate,
}

/// The text fields an update blanks.
fn blanked_by(before: &Property, u: &PropertyUpdate) -> Vec<String> {
    blanked([
        ("name", &u.name, &before.name),
        ("description", &u.description, &before.description),
    ])
}

/// Updates every item, or none: an unknown id is a 404.
pub async fn update_many(
    ops: &Ops,
    access: &impl Access,
    integration: &IntegrationRow,
    kind: PropertyKind,
    patches: Vec<PropertyPatch>,
) -> Outcome<Vec<Property>> {
    let clock = ops.clock_of(&integration.partner_id);
    let integration_id = integration.id.clone();
    super::write(ops, access, move |tx, lints| {
        let now = clock.now_iso();
        let mut out = vec![];
        let mut blanked = vec![];
        for PropertyPatch { id, update } in &patches {
            let before = accounts::get(tx, kind, &integration_id, id)?.ok_or_else(|| not_found(kind, id))?;
            blanked.extend(
                blanked_by(&before, update)
                    .into_iter()
                    .map(|f| format!("{f} of {id:?}")),
            );
            accounts::update(tx, kind, &integration_id, id, update, &now)?;
            out.push(stored(tx, kind, &integration_id, id)?);
        }
        lints.extend(blanked_fields(&blanked));
        Ok(out)
    })
    .await
}

/// Updates the item the path names; `update.new_id` renames it, unless that id is taken.
pub async fn update_one(
    ops: &Ops,
    access: &impl Access,
    integration: &IntegrationRow,
    kind: PropertyKind,
    id: String,
    update: PropertyUpdate,
) -> Outcome<Property> {
    let clock = ops.clock_of(&integration.partner_id);
    let integration_id = integration.id.clone();
    super::write(ops, access, move |tx, lints| {
        let before = accounts::get(tx, kind, &integration_id, &id)?.ok_or_else(|| not_found(kind, &id))?;
        if let Some(n) = update.new_id.as_deref().filter(|n| *n != id) {
            if accounts::exists(tx, kind, &integration_id, n)? {
                return Err(Rejection::Conflict(DUPLICATE.into()).into());
            }
        }
        accounts::update(tx, kind, &integration_id, &id, &update, &clock.now_iso())?;
        let row = stored(tx, kind, &integration_id, update.new_id.as_deref().unwrap_or(&id))?;
        lints.extend(blanked_fields(&blanked_by(&before, &update)));
        Ok(row)
    })
    .await
}

/// Which of the integration's accounts (or organization services) a listing wants: the
/// `accountIds`/`serviceIds` and `returnUnmapped` pair both GET routes take.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyQuery {
    /// Only these ids; every item when empty.
    pub ids: Vec<String>,
    /// Unmapped items too (production's default).
    pub return_unmapped: bool,
}

/// The integration's accounts or organization services the query wants, in creation order.
pub async fn list(ops: &Ops, integration_id: String, kind: PropertyKind, q: PropertyQuery) -> ApiResult<Vec<Property>> {
    let all = ops.read(move |c| Ok(accounts::list(c, kind, &integration_id)?)).await?;
    Ok(all
        .into_iter()
        .filter(|a| q.ids.is_empty() || q.ids.contains(&a.id))
        .filter(|a| q.return_unmapped || a.is_mapped)
        .collect())
}
