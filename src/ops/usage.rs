//! Set Unit Count: one count for one (account, service) pair of a mapped integration.

use super::activity::vendor_activity;
use super::{Access, Outcome};
use crate::domain::event::Activity;
use crate::domain::ids::ObjectId;
use crate::domain::lint::{Lint, LintCode};
use crate::domain::Rejection;
use crate::ops::runs::{note_count, note_refused, Refused};
use crate::ops::Ops;
use crate::store::accounts::{self, PropertyKind};
use crate::store::integrations::IntegrationRow;
use crate::store::{mappings, usage, vendors};
use parking_lot::Mutex;
use std::sync::Arc;

/// Whose count it is.
#[derive(Debug, Clone, PartialEq)]
pub enum CountFor {
    /// The vendor's own account id.
    Account(String),
    /// Deprecated: a PSA company id (`clientOId`); the count goes to the vendor account mapped
    /// to it.
    Company(String),
}

/// A count as the vendor sent it, its fields already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCount {
    /// As the path names it: an organization service id, or a vendor-level service's ObjectId.
    pub service_id: String,
    pub account: CountFor,
    pub unit_count: f64,
    /// Stored without rebuilding the billing view (the vendor sends more).
    pub no_build: bool,
}

/// Stores the count, marks the integration synced, and lets the activity turn pending into
/// active; then asks for a billing rebuild unless `no_build`. A pair the partner has not mapped
/// is a 404 that stores nothing, with a lint that says which half is missing.
pub async fn set_count(
    ops: &Ops,
    access: &impl Access,
    integration: Arc<IntegrationRow>,
    vendor_id: String,
    count: NewCount,
) -> Outcome<()> {
    // Stamped on the partner's clock, whose month the count belongs to.
    let clock = ops.clock_of(&integration.partner_id);
    let no_build = count.no_build;
    // Each partner has its own billing view: the rebuild asked for is this one's.
    let partner_id = integration.partner_id.clone();
    // A refusal for an unmapped pair is kept in the partner's sync run, past the rollback.
    let refused: Arc<Mutex<Option<Refused>>> = Arc::default();
    let slot = refused.clone();
    let out = super::write(ops, access, move |tx, lints| {
        let refuse = |account: &str, service: &str| {
            *slot.lock() = Some(Refused {
                partner_id: integration.partner_id.clone(),
                integration_id: integration.id.clone(),
                account_id: account.to_string(),
                service_id: service.to_string(),
                unit_count: count.unit_count,
            })
        };
        // A vendor-level sku of this vendor, or one of this partner's organization services.
        // Organization service ids are the vendor's own strings (exact); a vendor-level
        // service id is an ObjectId, matched in either case.
        let service_id = if accounts::exists(tx, PropertyKind::OrgService, &integration.id, &count.service_id)? {
            count.service_id
        } else {
            match ObjectId::parse(&count.service_id).map(ObjectId::into_string) {
                Some(oid) if vendors::service(tx, &vendor_id, &oid)?.is_some() => oid,
                // Status and wording: guesses. The invalid-Id 400 is the docs' own sentence.
                Some(_) => return Err(Rejection::NotFound("Service not found".into()).into()),
                None => return Err(Rejection::InvalidId.into()),
            }
        };
        let account = match count.account {
            CountFor::Account(a) => a,
            CountFor::Company(company) => match mappings::account_for_company(tx, &integration.id, &company)? {
                Some(a) => a,
                None => {
                    refuse(&company, &service_id);
                    return Err(unmapped_account(lints, &company));
                }
            },
        };
        if mappings::account_mapping(tx, &integration.id, &account)?.is_none() {
            refuse(&account, &service_id);
            return Err(unmapped_account(lints, &account));
        }
        if !mappings::is_service_mapped(tx, &integration.id, &service_id)? {
            refuse(&account, &service_id);
            lints.push(Lint::new(
                LintCode::CountForUnmappedPair,
                "the service is not mapped by the partner",
            ));
            return Err(Rejection::NotFound("Unknown account, or service is not mapped".into()).into());
        }
        let now = clock.now_iso();
        let row = usage::NewCount {
            integration_id: &integration.id,
            cycle: integration.cycle,
            service_id: &service_id,
            account_id: &account,
            unit_count: count.unit_count,
            no_build,
        };
        // Also the integration's "last synced" (see `store::integrations`).
        // The run first: one the gap closes ends before this count's history row.
        note_count(tx, &integration.partner_id, no_build, &now)?;
        usage::set_count(tx, &row, &now)?;
        vendor_activity(tx, &integration, integration.cycle, Activity::Count, &now)?;
        Ok(())
    })
    .await;
    if out.result.is_ok() && !no_build {
        ops.rebuild.request(&partner_id);
    }
    let refusal = refused.lock().take();
    if let Some(r) = refusal.filter(|_| out.result.is_err()) {
        let clock = ops.clock_of(&r.partner_id);
        // The 404 stands whatever happens here: a failure to note it is only logged.
        if let Err(e) = ops
            .write_grouped(move |tx| note_refused(tx, &r, &clock.now_iso()))
            .await
        {
            log::error!("a refused count was not noted in its sync run: {e}");
        }
    }
    out
}

fn unmapped_account(lints: &mut Vec<Lint>, account: &str) -> crate::error::ApiError {
    lints.push(Lint::new(
        LintCode::CountForUnmappedPair,
        format!("account {account:?} is unknown or not mapped by the partner"),
    ));
    Rejection::NotFound(format!("No account map found with id: {account}")).into()
}
