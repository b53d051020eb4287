//! The alert queue: each alert waits its delay, then becomes a ticket on the integration's PSA
//! board, or fails with the reason the debug route reports.

use super::activity::vendor_activity;
use crate::clock::{Clock, Clocks};
use crate::domain::catalog::AlertState;
use crate::domain::event::{Activity, Event};
use crate::error::ApiResult;
use crate::store::{alerts, events, integrations, mappings, psa};
use rusqlite::Connection;

/// Processes every alert that is due, each on its partner's clock; answers how long until the
/// next one is due on a running clock, if any (one on a frozen clock waits for a move).
pub fn process_due(tx: &Connection, clocks: &Clocks) -> ApiResult<Option<u64>> {
    if !clocks.any_own() {
        // Every partner on the global clock: one query, as before partners had clocks.
        let clock = clocks.global();
        let now = clock.now_ms();
        for alert in alerts::due(tx, now)? {
            process(tx, clock, &alert)?;
        }
        let next = alerts::next_due_ms(tx)?.filter(|_| !clock.is_frozen());
        return Ok(next.map(|d| (d - now).max(1) as u64));
    }
    for (partner_id, _) in alerts::next_due_by_partner(tx)? {
        let clock = clocks.of(&partner_id);
        for alert in alerts::due_for_partner(tx, &partner_id, clock.now_ms())? {
            process(tx, &clock, &alert)?;
        }
    }
    let mut soonest: Option<u64> = None;
    for (partner_id, due) in alerts::next_due_by_partner(tx)? {
        let clock = clocks.of(&partner_id);
        if !clock.is_frozen() {
            let ms = (due - clock.now_ms()).max(1) as u64;
            soonest = Some(soonest.map_or(ms, |s| s.min(ms)));
        }
    }
    Ok(soonest)
}

fn process(tx: &Connection, clock: &Clock, alert: &alerts::AlertRow) -> ApiResult<()> {
    let now = clock.now_iso();
    let fail = |errors: Vec<String>, code: i64| -> ApiResult<()> {
        let failed = alerts::Resolution {
            state: AlertState::Failed,
            ticket_id: None,
            errors: &errors,
            message: "Failed to create a ticket in the PSA",
            status_code: Some(code),
        };
        alerts::resolve(tx, &alert.message_id, &failed, &now)?;
        events::record(
            tx,
            Some(&alert.integration_id),
            alert.cycle,
            &now,
            &Event::AlertFailed {
                message_id: alert.message_id.clone(),
                errors,
            },
        )?;
        Ok(())
    };
    let Some(integration) = integrations::get(tx, &alert.integration_id)? else {
        return fail(vec!["The integration was disconnected".into()], 404);
    };
    if !integration.modules.iter().any(|m| m == "alerts") {
        return fail(
            vec!["The alerts module is not enabled for this integration".into()],
            400,
        );
    }
    let Some((company_id, _, _)) = mappings::account_mapping(tx, &alert.integration_id, &alert.account_id)? else {
        return fail(vec![format!("No account map found with id: {}", alert.account_id)], 404);
    };
    let Some(board) = integration
        .alert_board_id
        .as_deref()
        .filter(|b| psa::board_exists(tx, &integration.partner_id, b).unwrap_or(false))
    else {
        return fail(
            vec!["No PSA board is selected for this integration's alerts".into()],
            400,
        );
    };
    let ticket = psa::insert_ticket(
        tx,
        &psa::NewTicket {
            partner_id: &integration.partner_id,
            board_id: board,
            company_id: &company_id,
            integration_id: &alert.integration_id,
            summary: &alert.title,
            description: &alert.description,
            priority: alert.priority,
            status: alert.status,
            due_date_time: alert.due_date_time.as_deref(),
            alert_id: &alert.alert_id,
            message_id: &alert.message_id,
            service_id: alert.service_id.as_deref(),
            created_at: &now,
        },
    )?;
    let ticket_id = ticket.to_string();
    let created = alerts::Resolution {
        state: AlertState::Success,
        ticket_id: Some(&ticket_id),
        errors: &[],
        message: "Ticket created in the PSA",
        status_code: Some(201),
    };
    alerts::resolve(tx, &alert.message_id, &created, &now)?;
    events::record(
        tx,
        Some(&alert.integration_id),
        alert.cycle,
        &now,
        &Event::AlertSucceeded {
            message_id: alert.message_id.clone(),
            ticket_id: ticket,
        },
    )?;
    vendor_activity(tx, &integration, alert.cycle, Activity::Alert, &now)?;
    Ok(())
}
