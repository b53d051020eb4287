//! Alerts: queued, then processed into a PSA ticket (or a failure) about a second later.

use super::auth::Partner;
use crate::api::path_param;
use crate::api::reply::Reply;
use crate::domain::lint::Linted;
use crate::domain::validate::{object, Fields};
use crate::domain::Rejection;
use crate::error::json_response;
use crate::ops::alerting::{self, NewAlert};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde_json::json;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/alerting/debug/{messageId}",
        crate::api::express::get().to(debug_alert),
    )
    .route("/alerting/{accountId}", web::post().to(create_alert));
}

async fn create_alert(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    new_alert(&req, state.strict_types())
        .err_into()
        .and_then(|alert| alerting::queue(&state.ops, &caller.grant, &caller.integration, alert))
        .await
        .map(|a| {
            json_response(
                StatusCode::CREATED,
                &json!({"messageId": a.message_id, "alertId": a.alert_id, "correlationID": a.correlation_id}),
            )
        })
}

fn new_alert(req: &HttpRequest, strict_types: bool) -> Linted<NewAlert, Rejection> {
    let value = crate::api::json_body(req);
    let obj = match object(&value) {
        Ok(obj) => obj,
        Err(r) => return Linted::err(r),
    };
    let mut f = Fields::new(obj, strict_types);
    let title = f.required_string("title");
    let description = f.required_string("description");
    let alert_id = f.id_string("alertId", true);
    // Required, as the docs say and the SDK enforces before sending; that the server checks the
    // ranges too is a guess (docs/vendor-api.md lists it).
    let priority = f.number("priority", Some(1.0), Some(4.0), true);
    let status = f.number("status", Some(1.0), Some(6.0), true);
    let due_date_time = f.optional_date("dueDateTime");
    // The SDK sends `"serviceId":""` when the caller names none: absent, as in production.
    let service_id = f.optional_string("serviceId").filter(|s| !s.is_empty());
    let alert = match (title, description, alert_id, priority, status) {
        (Some(title), Some(description), Some(alert_id), Some(priority), Some(status)) => Some(NewAlert {
            account_id: path_param(req, "accountId"),
            alert_id,
            title,
            description,
            priority: priority as i64,
            status: status as i64,
            due_date_time,
            service_id,
        }),
        _ => None,
    };
    f.finish(alert)
}

async fn debug_alert(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    let id = path_param(&req, "messageId");
    alerting::debug(&state.ops, &caller.grant, caller.integration.id.clone(), id)
        .await
        .map(|alert| {
            json_response(
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
            )
        })
}
