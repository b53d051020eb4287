//! Express's routing rules, which production's NestJS app follows and actix does not by itself:
//! a path matches its route in any letter case (parameters keep theirs), and `HEAD` is answered
//! by the `GET` route, without a body.

use crate::api::vendor_api::PREFIX;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{guard, web, HttpMessage, HttpRequest};

/// Every vendor API route as registered (`{name}` is a parameter), after the prefix. A test
/// holds this list to the OpenAPI document, so a new route cannot be left out.
pub const VENDOR_ROUTES: &[&str] = &[
    "",
    "/service",
    "/service/{serviceId}",
    "/service/{serviceId}/count",
    "/organization",
    "/organization/status/{status}",
    "/organization/clients",
    "/organization/accounts",
    "/organization/accounts/{accountId}",
    "/organization/services",
    "/organization/services/{serviceId}",
    "/alerting/debug/{messageId}",
    "/alerting/{accountId}",
];

/// A `GET` route that also answers `HEAD`, as Express's `app.get` does (actix leaves the body
/// out of a `HEAD` answer and keeps its Content-Length).
pub fn get() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The path as the client sent it, kept when the routing below rewrote it (the journal and
/// "Cannot GET ..." name what was sent).
#[derive(Clone)]
pub struct SentPath(pub String);

pub fn sent_path(req: &HttpRequest) -> String {
    req.extensions()
        .get::<SentPath>()
        .map_or_else(|| req.path().to_string(), |p| p.0.clone())
}

/// The path with its route's literal segments in the route's own case, when it matches a
/// vendor route only case-insensitively; `None` when it matches exactly or matches none.
pub fn canonical(path: &str) -> Option<String> {
    // Most paths are not vendor paths, or are already in the routes' case: answer those
    // without allocating.
    let head = path.get(..PREFIX.len())?;
    if !head.eq_ignore_ascii_case(PREFIX) {
        return None;
    }
    let rest = &path[PREFIX.len()..];
    // One trailing slash is optional (handled later); match without it, give it back.
    let (bare, slash) = match rest.strip_suffix('/') {
        Some(b) if !b.ends_with('/') => (b, "/"),
        _ => (rest, ""),
    };
    let route = VENDOR_ROUTES.iter().find(|route| {
        route.split('/').count() == bare.split('/').count()
            && route.split('/').zip(bare.split('/')).all(|(r, s)| {
                if r.starts_with('{') {
                    !s.is_empty()
                } else {
                    r.eq_ignore_ascii_case(s)
                }
            })
    })?;
    let segments: Vec<&str> = route
        .split('/')
        .zip(bare.split('/'))
        .map(|(r, s)| if r.starts_with('{') { s } else { r })
        .collect();
    let canonical = format!("{PREFIX}{}{slash}", segments.join("/"));
    (canonical != path).then_some(canonical)
}

/// Routes a vendor API path sent in another letter case (`/API/Vendor-Api/organization`) to
/// its route, as Express does.
pub async fn case_insensitive(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(path) = canonical(req.path()) {
        let target = match req.query_string() {
            "" => path,
            q => format!("{path}?{q}"),
        };
        if let Ok(uri) = target.parse::<actix_web::http::Uri>() {
            let sent = SentPath(req.path().to_string());
            req.extensions_mut().insert(sent);
            req.match_info_mut().get_mut().update(&uri);
            req.head_mut().uri = uri;
        }
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_match_in_any_case_and_parameters_keep_theirs() {
        assert_eq!(canonical("/api/vendor-api/organization"), None);
        assert_eq!(
            canonical("/API/Vendor-Api/Organization").as_deref(),
            Some("/api/vendor-api/organization")
        );
        assert_eq!(
            canonical("/api/VENDOR-API/organization/Accounts/AbC-1/").as_deref(),
            Some("/api/vendor-api/organization/accounts/AbC-1/")
        );
        assert_eq!(
            canonical("/Api/Vendor-Api/Alerting/Debug/X").as_deref(),
            Some("/api/vendor-api/alerting/debug/X")
        );
        assert_eq!(
            canonical("/Api/Vendor-Api/Alerting/Debug").as_deref(),
            Some("/api/vendor-api/alerting/Debug")
        );
        assert_eq!(canonical("/API/vendor-api/nothing/here"), None);
        assert_eq!(canonical("/API/vendor-api/organization/accounts//"), None);
        assert_eq!(canonical("/SIM/journal"), None);
    }
}
