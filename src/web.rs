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
        .route("/api-docs/openapi.json", web::get().to(vendor_openapi_json))
        .route("/", web::get().to(index))
        .route("/", web::head().to(index))
        .route("/{path:.*}", web::get().to(asset))
        .route("/{path:.*}", web::head().to(asset));
}

/// One OpenAPI document: JSON for tools, the readable reference page for browsers.
struct Doc {
    text: &'static str,
    /// What the page is called, and the URL it reads the JSON from.
    title: &'static str,
    json_url: &'static str,
    name: &'static str,
}

const VENDOR_DOC: Doc = Doc {
    text: VENDOR_OPENAPI,
    title: "Vendor API reference",
    json_url: "/api-docs/openapi.json",
    name: "vendor",
};

const SIM_DOC: Doc = Doc {
    text: SIM_OPENAPI,
    title: "Control API (/sim) reference",
    json_url: "/sim/openapi.json?format=json",
    name: "sim",
};

/// Redoc builds its styles at run time and searches in a blob worker; nothing is fetched elsewhere.
const REFERENCE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'";

/// Browsers ask for HTML first; tools (curl, schemathesis, SDK generators, fetch) ask for JSON,
/// `*/*` or nothing. HTML only when `text/html` is preferred to JSON, and never with `?format=json`.
fn wants_html(req: &HttpRequest) -> bool {
    if req.query_string().split('&').any(|p| p == "format=json") {
        return false;
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let q_of = |wanted: &str| -> f32 {
        accept
            .split(',')
            .filter_map(|range| {
                let mut parts = range.split(';').map(str::trim);
                let media = parts.next()?;
                if !media.eq_ignore_ascii_case(wanted) {
                    return None;
                }
                let q = parts
                    .find_map(|p| p.strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                Some(q)
            })
            .fold(0.0, f32::max)
    };
    let html = q_of("text/html");
    html > 0.0 && html > q_of("application/json")
}

/// The URL this request reached: its Host when that is a valid authority, else the bound address.
fn served_from(req: &HttpRequest) -> String {
    let info = req.connection_info();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| h.parse::<actix_web::http::uri::Authority>().is_ok())
        .map(str::to_string)
        .unwrap_or_else(|| req.app_config().local_addr().to_string());
    format!("{}://{host}", info.scheme())
}

/// The document with `servers` naming the simulator as it is listening, so "try it" and
/// generated clients reach this instance, not the default port.
pub fn document_for(text: &str, base: &str) -> serde_json::Value {
    let mut doc: serde_json::Value = serde_json::from_str(text).expect("the embedded OpenAPI documents parse");
    doc["servers"] = serde_json::json!([{ "url": base, "description": "this synthesize-sim" }]);
    doc
}

fn openapi(req: &HttpRequest, doc: &Doc, negotiate: bool) -> HttpResponse {
    if negotiate && wants_html(req) {
        let page = Console::get("reference.html").expect("reference.html is embedded");
        let html = String::from_utf8_lossy(&page.data)
            .replace("{{TITLE}}", doc.title)
            .replace("{{SPEC_URL}}", doc.json_url)
            .replace("{{DOC}}", doc.name);
        return HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::VARY, "Accept"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            // Everything the page needs comes from the simulator, and nothing else may be loaded.
            .insert_header((header::CONTENT_SECURITY_POLICY, REFERENCE_CSP))
            .body(html);
    }
    let body = serde_json::to_vec_pretty(&document_for(doc.text, &served_from(req))).unwrap_or_default();
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
        .insert_header((header::VARY, "Accept"))
        .body(body)
}

async fn vendor_openapi(req: HttpRequest) -> HttpResponse {
    openapi(&req, &VENDOR_DOC, true)
}

async fn vendor_openapi_json(req: HttpRequest) -> HttpResponse {
    openapi(&req, &VENDOR_DOC, false)
}

/// Served inside the /sim scope (see `build_app`), which owns every /sim path.
pub async fn sim_openapi(req: HttpRequest) -> HttpResponse {
    openapi(&req, &SIM_DOC, true)
}

async fn index() -> HttpResponse {
    serve("index.html").unwrap_or_else(|| HttpResponse::NotFound().finish())
}

/// Redoc's sidebar badge loads its logo from Redoc's CDN. The page hides the badge, but the image
/// would still be asked for (and refused by the page's CSP: an error in the console), so the
/// bundle, kept as published, is served with an empty inline image in that one place.
const REDOC_BUNDLE: &str = "vendor/redoc/redoc.standalone.js";
const REDOC_REMOTE_LOGO: &str = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const BLANK_SVG: &str = "data:image/svg+xml,%3Csvg xmlns=%27http://www.w3.org/2000/svg%27/%3E";

fn redoc_offline(published: &[u8]) -> &'static [u8] {
    static BUNDLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BUNDLE.get_or_init(|| {
        String::from_utf8_lossy(published)
            .replace(REDOC_REMOTE_LOGO, BLANK_SVG)
            .into_bytes()
    })
}

fn serve(path: &str) -> Option<HttpResponse> {
    let file = Console::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let body = match path {
        REDOC_BUNDLE => actix_web::web::Bytes::from_static(redoc_offline(&file.data)),
        _ => actix_web::web::Bytes::from(file.data.into_owned()),
    };
    Some(
        HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, mime.as_ref()))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(body),
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
