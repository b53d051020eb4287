//! Middleware: the vendor API's journal, body limit and rate limit; and the app-wide rule that
//! every error, actix's own included, answers in the NestJS JSON shape.

use crate::domain::lint::{Lint, LintCode};
use crate::error::{ApiError, JSON_CONTENT_TYPE};
use crate::journal::{clip, clip_str, recorded_headers, redact_query, CallNotes, JournalEntry, MAX_FIELD_BYTES};
use crate::ratelimit::Verdict;
use crate::state::AppState;
use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use std::time::Instant;

/// Records every vendor API call in the journal; reads the body (see `body`) and enforces the
/// rate limit.
pub async fn vendor_call(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("app state is registered");
    req.extensions_mut().insert(CallNotes::default());

    // Read and parse the body first, as body-parser runs before any guard (see `body`).
    let timeout = std::time::Duration::from_millis(state.config.body_timeout_ms);
    let read = crate::api::body::read(&mut req, state.config.body_limit, timeout).await?;
    let body = read.raw.clone();
    let too_large = read.unread;
    if let Some(n) = req.extensions_mut().get_mut::<CallNotes>() {
        n.lints.extend(read.lints);
    }

    let token = req
        .headers()
        .get(crate::api::vendor_api::auth::TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let rate_key = crate::ratelimit::caller_key(token.as_deref(), req.peer_addr().map(|a| a.ip()));

    let early = if let Err(refused) = read.result {
        Some(refused)
    } else if let Verdict::Limited { retry_after_secs } = state.limiter.check(&rate_key) {
        if let Some(n) = req.extensions_mut().get_mut::<CallNotes>() {
            n.lints.push(Lint::new(
                LintCode::OverRateLimit,
                format!(
                    "more than {} requests in one second with this token",
                    state.limiter.limit()
                ),
            ));
        }
        Some(ApiError::RateLimited {
            limit: state.limiter.limit(),
            retry_after_secs,
        })
    } else {
        None
    };

    // Whose call it was is looked up only if the connection can wait for it (see `body::Read`).
    if early.is_some() && !read.broken {
        if let Some((integration, vendor)) = crate::api::vendor_api::auth::attribute(&state, token.as_deref()).await {
            if let Some(n) = req.extensions_mut().get_mut::<CallNotes>() {
                n.integration_id = Some(integration);
                n.vendor_id = Some(vendor);
            }
        }
    }
    let method = req.method().to_string();
    let path = crate::api::express::sent_path(req.request());
    // Injected faults come after the real limits: a 400, 413, 415 or 429 stays what production would say.
    let mut fault = None;
    let early = match early {
        Some(e) => Some(e),
        None => match state.faults.check(&method, req.path(), &state.clock) {
            Some(hit) => {
                fault = Some(hit.rule_id);
                if hit.delay_ms > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(hit.delay_ms)).await;
                }
                hit.status.map(|s| ApiError::Injected {
                    status: StatusCode::from_u16(s).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                    message: hit.message,
                })
            }
            None => None,
        },
    };
    let query = req.query_string().to_string();
    let routed_path = trim_trailing_slash(&mut req);
    let request_headers = recorded_headers(req.headers());

    let res: ServiceResponse<BoxBody> = match early {
        Some(err) => {
            let (http_req, _) = req.into_parts();
            let mut response = err.error_response();
            if too_large {
                response
                    .head_mut()
                    .set_connection_type(actix_web::http::ConnectionType::Close);
            }
            ServiceResponse::new(http_req, response)
        }
        None => next.call(req).await?.map_into_boxed_body(),
    };
    let res = ensure_json_error(res);

    let route = res.request().match_pattern().unwrap_or_else(|| path.clone());
    let notes = res
        .request()
        .extensions()
        .get::<CallNotes>()
        .cloned()
        .unwrap_or_default();
    let status = res.status().as_u16();
    let (http_req, response) = res.into_parts();
    let (response, out_body) = response.into_parts();
    let mut out_bytes = to_bytes(out_body).await.unwrap_or_default();
    // NestJS names the unknown route by `req.originalUrl`: as sent, query string included.
    let original_url = with_query(&path, &query);
    if status == 404 && original_url != routed_path {
        // The routed path, as the unknown-route handler words it (without the query) and as
        // the 405 rewrite words it (with it).
        let routed_url = with_query(&routed_path, &query);
        let worded = |path: String| {
            ApiError::RouteNotFound {
                method: method.clone(),
                path,
            }
            .body()
            .to_string()
        };
        if out_bytes == worded(routed_path).as_bytes() || out_bytes == worded(routed_url).as_bytes() {
            out_bytes = worded(original_url).into();
        }
    }
    let limit = state.config.journal_body_limit;
    let (request_body, req_cut) = clip(&body, limit);
    let (response_body, res_cut) = clip(&out_bytes, limit);
    let (path, query, response_body) = redacted_url(path, query, response_body);
    let entry = JournalEntry {
        id: state.journal.next_id(),
        at: state.clock.now_iso(),
        method,
        path,
        query,
        route,
        status,
        // Real elapsed time, except under --deterministic, where it would break golden files.
        duration_ms: if state.clock.is_deterministic() {
            0.0
        } else {
            (started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
        },
        integration_id: notes.integration_id,
        vendor_id: notes.vendor_id,
        token: token.map(|t| crate::domain::ids::GradientToken::key_hint(&t)),
        request_headers,
        request_body,
        response_body,
        truncated: req_cut || res_cut,
        lints: notes.lints,
        fault,
    };
    if !state.config.quiet {
        println!("{}", entry.terminal_line());
    }
    state.journal.push(entry);
    let response = response.set_body(BoxBody::new(out_bytes));
    Ok(ServiceResponse::new(http_req, response))
}

/// The path and query as the journal keeps them, bounded and with credentials redacted; the
/// response body too, since a 404 echoes the URL as sent.
fn redacted_url(path: String, query: String, response_body: Option<String>) -> (String, String, Option<String>) {
    let kept = redact_query(&query);
    let response_body = match response_body {
        Some(b) if kept != query && !query.is_empty() => Some(b.replace(&query, &kept)),
        other => other,
    };
    (
        clip_str(&path, MAX_FIELD_BYTES),
        clip_str(&kept, MAX_FIELD_BYTES),
        response_body,
    )
}

/// A URL as a client sent it: the path, and the query string when there is one.
fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

/// Express routes without `strict routing`: one trailing slash is optional, so
/// `/organization/accounts/` reaches `/organization/accounts`. Routes on the path without it;
/// returns the path routed.
fn trim_trailing_slash(req: &mut ServiceRequest) -> String {
    let path = req.path();
    if path.len() <= 1 || !path.ends_with('/') || path.ends_with("//") {
        return path.to_string();
    }
    let trimmed = path[..path.len() - 1].to_string();
    let target = with_query(&trimmed, req.query_string());
    let Ok(uri) = target.parse::<actix_web::http::Uri>() else {
        return req.path().to_string();
    };
    req.match_info_mut().get_mut().update(&uri);
    req.head_mut().uri = uri;
    trimmed
}

/// Rewrites actix's own error answers (404 for an unknown route, 405 for a known path with
/// another method, which Express also answers 404) into the JSON shape.
pub async fn json_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    Ok(ensure_json_error(res))
}

fn ensure_json_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let err = match status {
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => ApiError::RouteNotFound {
            method: res.request().method().to_string(),
            path: res
                .request()
                .uri()
                .path_and_query()
                .map_or_else(|| res.request().path().to_string(), |pq| pq.as_str().to_string()),
        },
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        s if s.is_client_error() => ApiError::BadRequest(s.canonical_reason().unwrap_or("Bad Request").into()),
        _ => ApiError::Internal(format!("{status}")),
    };
    let (req, _) = res.into_parts();
    let mut response = err.error_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    ServiceResponse::new(req, response)
}
