//! Scenarios: `GET /sim/scenarios` lists them, `POST /sim/scenarios/{name}` runs one.

use crate::api::path_param;
use crate::error::{json_response, ApiError, ApiResult};
use crate::scenarios::{run, RUN_HEADER, SCENARIOS};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/scenarios", web::get().to(list))
        .route("/scenarios/{name}", web::post().to(start));
}

async fn list() -> ApiResult<HttpResponse> {
    Ok(json_response(StatusCode::OK, &SCENARIOS))
}

async fn start(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    let name = path_param(&req, "name");
    let outcome = run(&state, &name).await?;
    Ok(json_response(StatusCode::OK, &outcome))
}

/// The run id a request carries, if any (see `scenarios::RUN_HEADER`).
pub fn run_id(req: &HttpRequest) -> Option<&str> {
    req.headers().get(RUN_HEADER).and_then(|v| v.to_str().ok())
}

/// Wrapped around the whole app: a scenario's own calls (they carry its run's id) hold off
/// interruptions while they run, and are refused with 409 once the run was interrupted.
pub async fn scenario_calls(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let run = match req.headers().get(RUN_HEADER).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(id) => req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| state.scenario.run_of(Some(id))),
    };
    let Some(run) = run else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(_step) = run.step().await else {
        let by = run.interrupted().unwrap_or_default();
        let refused = ApiError::Conflict(format!("the scenario was interrupted by {by}"));
        let (http_req, _) = req.into_parts();
        return Ok(ServiceResponse::new(http_req, refused.error_response()));
    };
    Ok(next.call(req).await?.map_into_boxed_body())
}
