//! Who may drive the partner side (spec, partner console): `/sim`, the console and the demo
//! vendor portal act as the partner and hand out keys, so only the person at the machine may
//! use them. The vendor API (`/api/...`) and its docs are not guarded: anyone with a token may
//! call them, as in production.
//!
//! - The `Host` must name this machine (loopback names, the bind address, `--allowed-host`):
//!   a DNS-rebinding page, whose requests carry its own host name, is refused.
//! - A state-changing request with an `Origin` must come from this very origin, and send any
//!   body as `application/json`, which a page cannot do cross-site without a preflight (none
//!   is granted). Command-line clients send no `Origin` and are unaffected.
//! - With a control token (required when bound beyond loopback), every request must carry it,
//!   as the `X-Sim-Control-Token` header or the cookie the console sets once it is entered.

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use subtle::ConstantTimeEq;

/// The header that carries `--control-token` (the console sends the cookie instead).
pub const CONTROL_TOKEN_HEADER: &str = "x-sim-control-token";
pub const TOKEN_COOKIE: &str = "sim_control_token";

/// Paths anyone may reach: the vendor API (under `/api/`) and its documentation.
fn is_public(path: &str) -> bool {
    // Routing is case-insensitive, as Express's is: so is this test.
    let path = path.to_ascii_lowercase();
    path == "/api" || path.starts_with("/api/") || path.starts_with("/api-docs")
}

/// The host part of a `Host` header or of an origin's authority, lowercased, port dropped.
fn host_name(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    if let Some(end) = a.find(']').filter(|_| a.starts_with('[')) {
        return a[..=end].to_string();
    }
    match a.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h.to_string(),
        _ => a,
    }
}

/// The host names this machine answers to on `/sim` and the console.
pub fn allowed_hosts(bind: &str, extra: &[String]) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "[::1]"].map(String::from).to_vec();
    let bind = bind.trim_matches(|c| c == '[' || c == ']').to_ascii_lowercase();
    let unspecified = matches!(bind.as_str(), "0.0.0.0" | "::" | "");
    if !unspecified {
        hosts.push(if bind.contains(':') { format!("[{bind}]") } else { bind });
    }
    hosts.extend(extra.iter().map(|h| host_name(h)));
    hosts
}

/// True when the server listens only on this machine's loopback interface.
pub fn is_loopback_bind(bind: &str) -> bool {
    let bare = bind.trim_matches(|c| c == '[' || c == ']');
    bare.eq_ignore_ascii_case("localhost") || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn header_str(req: &ServiceRequest, name: impl header::AsHeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::Forbidden(message.into())
}

/// A header that is there: its text, or a refusal when it is not readable (bytes outside
/// visible ASCII) or sent twice. Such a header is foreign, never absent: treating it as absent
/// would let a request past the checks by garbling the very header they read.
fn present_header<'r>(
    req: &'r ServiceRequest,
    name: header::HeaderName,
    label: &str,
) -> Result<Option<&'r str>, ApiError> {
    let mut values = req.headers().get_all(&name);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(forbidden(format!(
            "a request with more than one {label} header may not drive the simulator"
        )));
    }
    first.to_str().map(Some).map_err(|_| {
        forbidden(format!(
            "a {label} header that is not readable text may not drive the simulator"
        ))
    })
}

/// The Host check: refuses a name this machine was not told it has.
fn check_host(req: &ServiceRequest, allowed: &[String]) -> Result<(), ApiError> {
    // HTTP/1.0 clients may send no Host; browsers always do, so the check loses nothing.
    let Some(host) = present_header(req, header::HOST, "Host")? else {
        return Ok(());
    };
    let name = host_name(host);
    if allowed.contains(&name) {
        return Ok(());
    }
    Err(forbidden(format!(
        "Host {name:?} is not a name of this simulator; start it with --allowed-host {name} if it is"
    )))
}

/// The Origin and content-type checks of state-changing requests.
fn check_origin(req: &ServiceRequest) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let Some(origin) = present_header(req, header::ORIGIN, "Origin")? else {
        return Ok(());
    };
    let own = header_str(req, header::HOST).map(|h| h.trim().to_ascii_lowercase());
    let from = origin
        .split_once("://")
        .map(|(_, authority)| authority.trim_end_matches('/').to_ascii_lowercase());
    if from.is_none() || from != own {
        return Err(forbidden(format!(
            "a request from another site ({origin}) may not drive the simulator"
        )));
    }
    let has_body = header_str(req, header::CONTENT_LENGTH).is_some_and(|l| l.trim() != "0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    let json = header_str(req, header::CONTENT_TYPE).is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if has_body && !json {
        return Err(forbidden("a browser request must send its body as application/json"));
    }
    Ok(())
}

/// The control token, from the header or the console's cookie.
fn presented_token(req: &ServiceRequest) -> Option<String> {
    header_str(req, CONTROL_TOKEN_HEADER)
        .map(str::to_string)
        .or_else(|| req.cookie(TOKEN_COOKIE).map(|c| c.value().to_string()))
}

pub fn token_matches(expected: &str, presented: &str) -> bool {
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

/// The page a browser gets on the console without the control token: one field, entered once.
fn token_page() -> HttpResponse {
    HttpResponse::build(StatusCode::UNAUTHORIZED)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(TOKEN_PAGE)
}

const TOKEN_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>synthesize-sim: control token</title>
<style>body{font:16px system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem}
input{font:inherit;width:100%;padding:.4rem;margin:.5rem 0}button{font:inherit;padding:.4rem 1rem}</style>
</head><body><h1>Control token</h1>
<p>This simulator listens beyond this machine, so its partner console asks for the control token
it printed at start (<code>--control-token</code>).</p>
<form id="f"><label for="t">Control token</label><input id="t" autocomplete="off" required autofocus>
<button>Open the console</button></form><p id="e" role="alert"></p>
<script>
document.getElementById('f').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const res = await fetch('/sim/session', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({token: document.getElementById('t').value.trim()})});
  if (res.ok) location.reload(); else document.getElementById('e').textContent = 'That is not the control token.';
});
</script></body></html>"#;

/// `POST /sim/session {"token": "..."}`: the console's token page trades the control token for a
/// cookie (HttpOnly, SameSite=Strict, so no other site's request carries it).
pub async fn session(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let Some(expected) = &state.config.control_token else {
        return Ok(crate::error::json_response(
            StatusCode::OK,
            &serde_json::json!({"required": false}),
        ));
    };
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|_| ApiError::validation_one("token must be a string"))?;
    let token = value
        .get("token")
        .and_then(|t| t.as_str())
        .ok_or_else(|| ApiError::validation_one("token must be a string"))?;
    if !token_matches(expected, token) {
        return Err(ApiError::Unauthorized);
    }
    let cookie = actix_web::cookie::Cookie::build(TOKEN_COOKIE, token.to_string())
        .path("/")
        .http_only(true)
        .same_site(actix_web::cookie::SameSite::Strict)
        .finish();
    let mut res = crate::error::json_response(StatusCode::OK, &serde_json::json!({"required": true}));
    res.add_cookie(&cookie).map_err(ApiError::internal)?;
    Ok(res)
}

/// The largest body a partner-side route takes (as the app's `PayloadConfig`).
pub const SIM_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Reads a partner-side request's body within `--body-timeout-ms` (408 after; 400 for broken
/// framing), so that no request holds a connection for ever; the routes then take it as read.
async fn read_body_in_time(req: &mut ServiceRequest, timeout: std::time::Duration) -> Result<(), ApiError> {
    let has_body = header_str(req, header::CONTENT_LENGTH).is_some_and(|l| l.trim() != "0")
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    if !has_body {
        return Ok(());
    }
    let mut payload = req.take_payload();
    let deadline = tokio::time::Instant::now() + timeout;
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = crate::api::body::next_chunk(&mut payload, deadline).await? {
        if bytes.len() + chunk.len() > SIM_BODY_LIMIT {
            return Err(ApiError::PayloadTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    req.set_payload(actix_web::dev::Payload::from(bytes.freeze()));
    Ok(())
}

/// The guard itself, wrapped around the whole app; public paths pass untouched.
pub async fn partner_side(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if is_public(req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("app state is registered");
    let checked = check_host(&req, &state.allowed_hosts).and_then(|()| check_origin(&req));
    let refusal = match checked {
        Err(e) => Some(e.error_response()),
        // The token page's own request is the one that presents the token.
        Ok(()) if req.path() == "/sim/session" => None,
        Ok(()) => match &state.config.control_token {
            Some(expected) if !presented_token(&req).is_some_and(|t| token_matches(expected, &t)) => {
                Some(if req.path().starts_with("/sim") {
                    ApiError::Unauthorized.error_response()
                } else {
                    token_page()
                })
            }
            _ => None,
        },
    };
    let refusal = match refusal {
        Some(r) => Some(r),
        None => {
            let timeout = std::time::Duration::from_millis(state.config.body_timeout_ms);
            read_body_in_time(&mut req, timeout).await.err().map(|e| {
                // The rest of the body is unread: the connection cannot carry another request.
                let mut response = e.error_response();
                response
                    .head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
                response
            })
        }
    };
    match refusal {
        Some(response) => {
            let (http_req, _) = req.into_parts();
            Ok(ServiceResponse::new(http_req, response))
        }
        None => Ok(next.call(req).await?.map_into_boxed_body()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_and_binds() {
        assert_eq!(host_name("LocalHost:8080"), "localhost");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
        assert_eq!(host_name("[::1]"), "[::1]");
        assert_eq!(host_name("example.test"), "example.test");
        let hosts = allowed_hosts("0.0.0.0", &["sim.lan".into()]);
        assert!(hosts.contains(&"sim.lan".to_string()) && !hosts.contains(&"0.0.0.0".to_string()));
        assert!(allowed_hosts("192.168.1.5", &[]).contains(&"192.168.1.5".to_string()));
        assert!(allowed_hosts("fd00::5", &[]).contains(&"[fd00::5]".to_string()));
        assert!(is_loopback_bind("127.0.0.1") && is_loopback_bind("::1") && is_loopback_bind("localhost"));
        assert!(!is_loopback_bind("0.0.0.0") && !is_loopback_bind("192.168.1.5"));
        assert!(token_matches("abc", "abc") && !token_matches("abc", "abd") && !token_matches("abc", "ab"));
    }
}
