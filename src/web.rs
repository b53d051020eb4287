//! The partner console (static/, embedded in the binary) and the OpenAPI documents.

use crate::error::{ApiError, JSON_CONTENT_TYPE};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Console;

pub const VENDOR_OPENAPI: &str = include_str!("../docs/openapi/vendor-api.json");
pub const SIM_OPENAPI: &str = include_str!("../docs/openapi/sim-api.json");

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/api-docs", web::get().to(vendor_openapi))
        .route("/api-docs/openapi.json", web::get().to(vendor_openapi))
        .route("/", web::get().to(index))
        .route("/", web::head().to(index))
        .route("/{path:.*}", web::get().to(asset))
        .route("/{path:.*}", web::head().to(asset));
}

fn openapi(doc: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
        .body(doc)
}

async fn vendor_openapi() -> HttpResponse {
    openapi(VENDOR_OPENAPI)
}

/// Served inside the /sim scope (see `build_app`), which owns every /sim path.
pub async fn sim_openapi() -> HttpResponse {
    openapi(SIM_OPENAPI)
}

async fn index() -> HttpResponse {
    serve("index.html").unwrap_or_else(|| HttpResponse::NotFound().finish())
}

fn serve(path: &str) -> Option<HttpResponse> {
    let file = Console::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    Some(
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, mime.as_ref()))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(file.data.into_owned()),
    )
}

async fn asset(req: HttpRequest) -> HttpResponse {
    let path = req.match_info().get("path").unwrap_or_default().trim_end_matches('/');
    let not_found = || {
        ApiError::RouteNotFound {
            method: req.method().to_string(),
            path: req.path().to_string(),
        }
        .error_response()
    };
    if path.starts_with("api/") || path.starts_with("sim/") || path == "api" || path == "sim" {
        return not_found();
    }
    serve(path)
        .or_else(|| serve(&format!("{path}/index.html")))
        .unwrap_or_else(not_found)
}
