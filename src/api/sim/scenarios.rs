//! Scenarios: `GET /sim/scenarios` lists them, `POST /sim/scenarios/{name}` runs one.

use crate::api::path_param;
use crate::error::{json_response, ApiResult};
use crate::scenarios::{run, SCENARIOS};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

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
