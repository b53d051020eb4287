//! What a vendor's activity does to its integration beyond the call's own write.

use crate::domain::catalog::IntegrationStatus;
use crate::domain::event::{Activity, Event};
use crate::error::ApiResult;
use crate::ops::Ops;
use crate::store::integrations::IntegrationRow;
use crate::store::{events, integrations};
use rusqlite::Connection;

/// The first call with a partner key marks it used, once, and records that the vendor
/// authenticated (the checklist's first step).
pub async fn first_call(ops: &Ops, integration: &IntegrationRow) -> ApiResult<()> {
    let (id, cycle) = (integration.id.clone(), integration.cycle);
    let clock = ops.clock_of(&integration.partner_id);
    ops.write(move |tx| {
        let now = clock.now_iso();
        if integrations::mark_token_used(tx, &id, &now)? {
            events::record(tx, Some(&id), cycle, &now, &Event::Authenticated {})?;
        }
        Ok(())
    })
    .await
}

/// The one place of the rule "vendor activity turns pending into active": an accepted count or
/// a successful alert of the integration's current cycle makes a pending integration active,
/// and records why. Activity of an earlier cycle (an alert queued before a reconnect) changes
/// nothing. Answers whether the status changed.
pub fn vendor_activity(
    tx: &Connection,
    integration: &IntegrationRow,
    cycle: i64,
    activity: Activity,
    now: &str,
) -> ApiResult<bool> {
    if integration.status != Some(IntegrationStatus::Pending) || integration.cycle != cycle {
        return Ok(false);
    }
    // The caller's copy is from before this transaction: a call committed since (or an earlier
    // one of the same group commit) may have made it active already, and that is told once.
    let now_pending = integrations::get(tx, &integration.id)?
        .is_some_and(|i| i.status == Some(IntegrationStatus::Pending) && i.cycle == cycle);
    if !now_pending {
        return Ok(false);
    }
    integrations::set_status(tx, &integration.id, IntegrationStatus::Active)?;
    events::record(
        tx,
        Some(&integration.id),
        cycle,
        now,
        &Event::StatusAutoActive { by: activity },
    )?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{seed, seed_parse, seeding, Store};

    #[test]
    fn only_current_activity_turns_pending_active_and_only_once() {
        let store = Store::open(":memory:").unwrap();
        let seed = seed_parse::load(None).unwrap();
        let now = "2026-11-28T10:00:00.000Z";
        store
            .write(|tx| -> ApiResult<()> {
                seeding::apply(tx, &seed, now)?;
                let id = integrations::list(tx, &seed::partner_id(&seed))?.remove(0).id;
                integrations::set_status(tx, &id, IntegrationStatus::Pending)?;
                let pending = integrations::get(tx, &id)?.unwrap();
                // An alert queued in an earlier cycle proves nothing about this one.
                assert!(!vendor_activity(tx, &pending, pending.cycle - 1, Activity::Alert, now)?);
                assert_eq!(
                    integrations::get(tx, &id)?.unwrap().status,
                    Some(IntegrationStatus::Pending)
                );
                assert!(vendor_activity(tx, &pending, pending.cycle, Activity::Count, now)?);
                let active = integrations::get(tx, &id)?.unwrap();
                assert_eq!(active.status, Some(IntegrationStatus::Active));
                assert!(!vendor_activity(tx, &active, active.cycle, Activity::Alert, now)?);
                let facts: Vec<_> = events::for_integration(tx, &id)?
                    .into_iter()
                    .map(|(_, e)| e.event)
                    .filter(|e| matches!(e, Event::StatusAutoActive { .. }))
                    .collect();
                assert_eq!(facts, vec![Event::StatusAutoActive { by: Activity::Count }]);
                Ok(())
            })
            .unwrap();
    }
}
