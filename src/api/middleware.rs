//! Middleware: the vendor API's way through the gate (body, admission, route, record); and the
//! app-wide rule that every error, actix's own included, answers in the NestJS JSON shape.

use crate::error::{ApiError, JSON_CONTENT_TYPE};
use crate::gate::{Admission, Call, CallNotes, Finished};
use crate::state::AppState;
use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, ResponseError};
use std::time::{Duration, Instant};

/// Every vendor API call: its body read and the gate's admission, then its route or the gate's
/// answer, and the gate's record in the journal.
pub async fn vendor_call(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("app state is registered");
    let mut call = admit(&mut req, &state, started).await?;
    let sent = Sent::of(&mut req);
    let res = match call.answer.take() {
        Some(err) => answer_now(req, err, call.unread),
        None => next.call(req).await?.map_into_boxed_body(),
    };
    Ok(record(&state, call, sent, ensure_json_error(res)).await)
}

/// A call between its admission and its record.
struct AtGate {
    started: Instant,
    method: String,
    /// The GRADIENT-TOKEN header as sent.
    token: Option<String>,
    /// The body as received, for the journal.
    raw: web::Bytes,
    /// Part of the body was left unread: the connection cannot carry another request.
    unread: bool,
    /// What to answer instead of the route, if anything.
    answer: Option<ApiError>,
    fault: Option<u64>,
}

/// Reads the body first, as body-parser runs before any guard (see `body`); a body it accepts
/// goes to the gate's admission. The call's notes (body lints, and for a refused call its lint
/// and its caller) go into the request, where the handler adds its own.
async fn admit(
    req: &mut ServiceRequest,
    state: &web::Data<AppState>,
    started: Instant,
) -> Result<AtGate, actix_web::Error> {
    let timeout = Duration::from_millis(state.config.body_timeout_ms);
    let read = crate::api::body::read(req, state.config.body_limit, timeout).await?;
    let token = req
        .headers()
        .get(crate::domain::ids::GradientToken::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let method = req.method().to_string();
    let mut notes = CallNotes {
        lints: read.lints,
        ..CallNotes::default()
    };
    let admission = match read.result {
        Err(refused) => Admission::Refuse {
            answer: refused,
            fault: None,
            lint: None,
        },
        Ok(_) => {
            let call = Call {
                method: &method,
                path: req.path(),
                token: token.as_deref(),
                peer: req.peer_addr().map(|a| a.ip()),
            };
            state.gate.admit(&call).await
        }
    };
    let (answer, fault) = match admission {
        Admission::Pass { fault } => (None, fault),
        Admission::Refuse { answer, fault, lint } => {
            notes.lints.extend(lint);
            // A call the real limits refuse is still its integration's (the QA report names its
            // lint), looked up only if the connection can wait for it (see `body::Read`). A
            // fault's answer is not attributed.
            if fault.is_none() && !read.broken {
                attribute(state, token.as_deref(), &mut notes).await;
            }
            (Some(answer), fault)
        }
    };
    req.extensions_mut().insert(notes);
    Ok(AtGate {
        started,
        method,
        token,
        raw: read.raw,
        unread: read.unread,
        answer,
        fault,
    })
}

/// Notes whose call it was, for a call refused before its route (where the token is checked).
async fn attribute(state: &web::Data<AppState>, token: Option<&str>, notes: &mut CallNotes) {
    if let Some((integration, vendor)) = crate::api::vendor_api::auth::attribute(state, token).await {
        notes.integration_id = Some(integration);
        notes.vendor_id = Some(vendor);
    }
}

/// The gate's (or the body parser's) answer, without the route; the connection is closed after
/// it when part of the body was left unread.
fn answer_now(req: ServiceRequest, err: ApiError, unread: bool) -> ServiceResponse<BoxBody> {
    let (http_req, _) = req.into_parts();
    let mut response = err.error_response();
    if unread {
        response
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    ServiceResponse::new(http_req, response)
}

/// Hands the call to the gate's record, with the notes the handler left in the request, and
/// gives back the answer (an unknown route worded with the URL as sent).
async fn record(
    state: &web::Data<AppState>,
    call: AtGate,
    sent: Sent,
    res: ServiceResponse<BoxBody>,
) -> ServiceResponse<BoxBody> {
    let route = res.request().match_pattern().unwrap_or_else(|| sent.path.clone());
    let notes = res.request().extensions_mut().remove::<CallNotes>().unwrap_or_default();
    let status = res.status().as_u16();
    let (http_req, response) = res.into_parts();
    let (response, out_body) = response.into_parts();
    let out_bytes = sent.unknown_route_wording(status, &call.method, collect(out_body).await);
    // Shadow mode's copy of the call, taken before the record consumes it; sent after.
    let shadowed = state.shadow.get().map(|shadow| {
        let copy = crate::shadow::Call {
            entry_id: 0,
            method: call.method.clone(),
            target: with_query(&sent.path, &sent.query),
            shown: with_query(&sent.path, &crate::gate::redact::redact_query(&sent.query)),
            route: route.clone(),
            content_type: http_req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            token_sent: call.token.is_some(),
            body: call.raw.clone(),
            sim_status: status,
            sim_body: out_bytes.clone(),
        };
        (shadow, copy)
    });
    let entry_id = state.gate.record(Finished {
        started: call.started,
        method: call.method,
        path: sent.path,
        query: sent.query,
        route,
        status,
        headers: http_req.headers(),
        response_headers: response.headers(),
        token: call.token.as_deref(),
        notes,
        fault: call.fault,
        request_body: &call.raw,
        response_body: &out_bytes,
    });
    if let Some((shadow, mut copy)) = shadowed {
        copy.entry_id = entry_id;
        shadow.offer(copy);
    }
    ServiceResponse::new(http_req, response.set_body(BoxBody::new(out_bytes)))
}

/// The answer's bytes: the body itself when it is one buffer already (the usual JSON answer),
/// else collected.
async fn collect(body: BoxBody) -> web::Bytes {
    match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => to_bytes(body).await.unwrap_or_default(),
    }
}

/// The URL of a call as sent, and the path it was routed on.
struct Sent {
    path: String,
    query: String,
    routed_path: String,
}

impl Sent {
    /// Takes the URL as sent, then routes the request (see `trim_trailing_slash`).
    fn of(req: &mut ServiceRequest) -> Self {
        Sent {
            path: crate::api::express::sent_path(req.request()),
            query: req.query_string().to_string(),
            routed_path: trim_trailing_slash(req),
        }
    }

    /// NestJS names the unknown route by `req.originalUrl`: as sent, query string included. A
    /// 404 that words the routed path instead (without the query, as the unknown-route handler
    /// does, or with it, as the 405 rewrite does) is worded again with the URL as sent.
    fn unknown_route_wording(&self, status: u16, method: &str, body: web::Bytes) -> web::Bytes {
        let original_url = with_query(&self.path, &self.query);
        if status != 404 || original_url == self.routed_path {
            return body;
        }
        let worded = |path: String| {
            ApiError::RouteNotFound {
                method: method.to_string(),
                path,
            }
            .body()
            .to_string()
        };
        let routed_url = with_query(&self.routed_path, &self.query);
        if body == worded(self.routed_path.clone()).as_bytes() || body == worded(routed_url).as_bytes() {
            worded(original_url).into()
        } else {
            body
        }
    }
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

/// A call that missed the vendor API (a base URL without `/api`, or with it twice) answers
/// production's 404 as any unknown path does, but is journaled and printed like a vendor call,
/// with a lint naming the path meant, so that a wrong base URL is never silent. The console's
/// own misses (a browser's GET of a missing page) are left out: only a path that looks like the
/// vendor API's, or a call with a token or a method other than GET and HEAD, is recorded. Its
/// body is not read, so its answer is the one it always had.
pub async fn stray_calls(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = req.path();
    let starts = |prefix: &str| path.get(..prefix.len()).is_some_and(|h| h.eq_ignore_ascii_case(prefix));
    if starts(crate::domain::mistakes::VENDOR_API) || starts("/sim") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let started = Instant::now();
    let headers = req.headers();
    let token = headers
        .get(crate::domain::ids::GradientToken::HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let credentials = token.is_some() || headers.contains_key(header::AUTHORIZATION);
    let method = req.method().clone();
    let looks_like_a_call = credentials || !matches!(method.as_str(), "GET" | "HEAD");
    let sent = crate::api::express::sent_path(req.request());
    let query = req.query_string().to_string();
    let res = next.call(req).await?.map_into_boxed_body();
    let lint = crate::domain::mistakes::stray_path(&sent);
    if res.status() != StatusCode::NOT_FOUND || (lint.is_none() && !looks_like_a_call) {
        return Ok(res);
    }
    let Some(state) = res.request().app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    let mut notes = CallNotes {
        lints: lint.into_iter().collect(),
        ..CallNotes::default()
    };
    attribute(&state, token.as_deref(), &mut notes).await;
    let (http_req, response) = res.into_parts();
    let (response, out_body) = response.into_parts();
    let out_bytes = collect(out_body).await;
    state.gate.record(Finished {
        started,
        method: method.to_string(),
        path: sent.clone(),
        query,
        route: sent,
        status: 404,
        headers: http_req.headers(),
        response_headers: response.headers(),
        token: token.as_deref(),
        notes,
        fault: None,
        request_body: &[],
        response_body: &out_bytes,
    });
    Ok(ServiceResponse::new(
        http_req,
        response.set_body(BoxBody::new(out_bytes)),
    ))
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
