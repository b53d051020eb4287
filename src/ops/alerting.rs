//! The vendor's alerts: queued here, turned into tickets by the queue (`ops::alerts`).

use super::alerts::process_due;
use super::{Access, Outcome};
use crate::domain::catalog::AlertState;
use crate::domain::event::Event;
use crate::domain::Rejection;
use crate::ops::Ops;
use crate::store::alerts::{self, AlertRow};
use crate::store::events;
use crate::store::integrations::IntegrationRow;

/// An alert as the vendor sent it, its fields already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub account_id: String,
    pub alert_id: String,
    pub title: String,
    pub description: String,
    /// 1 to 4.
    pub priority: i64,
    /// 1 to 6.
    pub status: i64,
    pub due_date_time: Option<String>,
    pub service_id: Option<String>,
}

/// Queues the alert for the configured delay, waking the queue if it would look too late;
/// answers the queued row.
pub async fn queue(ops: &Ops, access: &impl Access, integration: &IntegrationRow, new: NewAlert) -> Outcome<AlertRow> {
    // The alert's delay runs on its partner's clock.
    let clock = ops.clock_of(&integration.partner_id);
    let now = clock.now_iso();
    let alert = AlertRow {
        message_id: ops.clock.message_id(),
        integration_id: integration.id.clone(),
        cycle: integration.cycle,
        account_id: new.account_id,
        alert_id: new.alert_id,
        correlation_id: ops.clock.object_id().into_string(),
        title: new.title,
        description: new.description,
        priority: new.priority,
        status: new.status,
        due_date_time: new.due_date_time,
        service_id: new.service_id,
        state: AlertState::Pending,
        ticket_id: None,
        errors: vec![],
        message: Some("Alert queued".into()),
        status_code: None,
        created_at: now.clone(),
        due_at_ms: clock.now_ms() + ops.alert_delay_ms as i64,
        processed_at: None,
    };
    let out = super::write(ops, access, move |tx, _| {
        alerts::insert(tx, &alert)?;
        events::record(
            tx,
            Some(&alert.integration_id),
            alert.cycle,
            &now,
            &Event::AlertQueued {
                message_id: alert.message_id.clone(),
            },
        )?;
        Ok(alert)
    })
    .await;
    if out.result.is_ok() {
        ops.alert_queued(ops.alert_delay_ms);
    }
    out
}

/// One of the integration's alerts, as it stands now: anything due is processed first, so the
/// answer never lags the queue's delay.
pub async fn debug(ops: &Ops, access: &impl Access, integration_id: String, message_id: String) -> Outcome<AlertRow> {
    let clocks = ops.clocks.clone();
    super::write(ops, access, move |tx, _| {
        process_due(tx, &clocks)?;
        let alert = alerts::get(tx, &message_id)?.filter(|a| a.integration_id == integration_id);
        alert.ok_or_else(|| Rejection::NotFound(format!("No alert found with messageId: {message_id}")).into())
    })
    .await
}
