//! Alerts: queued, then processed into a PSA ticket (or a failure) about a second later.

use super::auth::Partner;
use crate::api::path_param;
use crate::domain::catalog::AlertState;
use crate::domain::event::Event;
use crate::domain::validate::{object, Fields};
use crate::error::{json_response, ApiError, ApiResult};
use crate::ops::alerts::process_due;
use crate::state::AppState;
use crate::store::alerts::{self, AlertRow};
use crate::store::events;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/alerting/debug/{messageId}",
        crate::api::express::get().to(debug_alert),
    )
    .route("/alerting/{accountId}", web::post().to(create_alert));
}

async fn create_alert(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    let account_id = path_param(&req, "accountId");
    let value = crate::api::json_body(&req);
    let obj = object(&value)?;
    let mut f = Fields::new(obj, state.strict_types());
    let title = f.required_string("title");
    let description = f.required_string("description");
    let alert_id = f.id_string("alertId", true);
    // Required, as the docs say and the SDK enforces before sending.
    let priority = f.number("priority", Some(1.0), Some(4.0), true);
    let status = f.number("status", Some(1.0), Some(6.0), true);
    let due_date_time = f.optional_date("dueDateTime");
    // The SDK sends `"serviceId":""` when the caller names none: absent, as in production.
    let service_id = f.optional_string("serviceId").filter(|s| !s.is_empty());
    crate::api::note_lints(&req, std::mem::take(&mut f.lints));
    if !f.errors.is_empty() {
        return Err(ApiError::Validation(f.errors));
    }
    let now = state.clock.now_iso();
    let alert = AlertRow {
        message_id: state.clock.message_id(),
        integration_id: caller.integration.id.clone(),
        cycle: caller.integration.cycle,
        account_id,
        alert_id: alert_id.expect("validated"),
        correlation_id: state.clock.object_id().into_string(),
        title: title.expect("validated"),
        description: description.expect("validated"),
        priority: priority.expect("validated") as i64,
        status: status.expect("validated") as i64,
        due_date_time,
        service_id,
        state: AlertState::Pending,
        ticket_id: None,
        errors: vec![],
        message: Some("Alert queued".into()),
        status_code: None,
        created_at: now.clone(),
        due_at_ms: state.clock.now_ms() + state.config.alert_delay_ms as i64,
        processed_at: None,
    };
    let answer =
        json!({"messageId": alert.message_id, "alertId": alert.alert_id, "correlationID": alert.correlation_id});
    caller
        .grant
        .write(&state, move |tx| {
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
            Ok(())
        })
        .await?;
    state.alerts_wakeup.notify_one();
    Ok(json_response(StatusCode::CREATED, &answer))
}

async fn debug_alert(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "messageId");
    let integration_id = caller.integration.id;
    let clock = state.clock.clone();
    let alert = caller
        .grant
        .write(&state, move |tx| {
            // Anything due is processed first, so the answer never lags the queue's delay.
            process_due(tx, &clock)?;
            alerts::get(tx, &id)?
                .filter(|a| a.integration_id == integration_id)
                .ok_or_else(|| ApiError::NotFound(format!("No alert found with messageId: {id}")))
        })
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "messageId": alert.message_id,
            "status": alert.state,
            "ticketId": alert.ticket_id,
            "createdAt": alert.processed_at.as_deref().filter(|_| alert.ticket_id.is_some()),
            "message": alert.message,
            "statusCode": alert.status_code,
            "errors": alert.errors,
        }),
    ))
}
