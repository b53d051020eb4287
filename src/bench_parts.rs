//! The parts of a vendor call one by one, for `benches/parts.rs`, which times and prints them
//! (the crate's internals stay private; this is not an API). Each part runs under `time`, which
//! returns nanoseconds per run.

use crate::domain::ids::{GradientToken, KeyHash};
use crate::gate::journal::{clip, Journal, JournalEntry};
use crate::gate::ratelimit::RateLimiter;
use crate::gate::redact::recorded_headers;
use crate::state::AppState;
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

/// Nanoseconds per run of: the token's two key lookups (one read snapshot: a check that misses
/// its copy), the copy's lookup (a check that finds it), one rate-limit admission, one journal
/// entry as a count's, and the count body's parse, field checks and lints.
#[doc(hidden)]
pub fn parts(
    state: &AppState,
    token: &str,
    count_path: &str,
    time: &mut dyn FnMut(&mut dyn FnMut()) -> f64,
) -> [f64; 5] {
    let parsed = GradientToken::parse(token).expect("a token");
    let (vh, ph) = (KeyHash::of(&parsed.vendor_key).0, KeyHash::of(&parsed.partner_key).0);
    let lookups = time(&mut || {
        let found = state.ops.store.read(|c| {
            let v = crate::store::vendors::by_key_hash(c, &vh).expect("a read");
            let i = crate::store::integrations::by_partner_key_hash(c, &ph).expect("a read");
            (v.is_some(), i.is_some())
        });
        assert_eq!(found, (true, true));
    });
    let epochs = state.ops.store.epochs().clone();
    let copy = time(&mut || {
        let epoch = epochs.current(crate::store::Watch::Keys);
        assert!(std::hint::black_box(state.vendor_api.known_tokens.get(token, epoch)).is_some());
    });
    let limiter = RateLimiter::new(100_000_000);
    let limit = time(&mut || {
        std::hint::black_box(limiter.admit(Some(token), None));
    });
    // Headers copied, both bodies clipped, the time formatted, pushed (evicting once full).
    let journal = Journal::new(2000, 32 * 1024 * 1024);
    let mut headers = HeaderMap::new();
    for (k, v) in [
        ("gradient-token", token),
        ("content-type", "application/json"),
        ("host", "127.0.0.1"),
    ] {
        headers.insert(
            HeaderName::from_static(k),
            HeaderValue::from_str(v).expect("a header value"),
        );
    }
    let request_body = br#"{"accountId":"acct-00000","unitCount":42}"#;
    let response_body = br#"{"status":201,"message":"Success - Created service unit count"}"#;
    let entry = time(&mut || {
        let (request_body, _) = clip(request_body, 16 * 1024);
        let (response_body, _) = clip(response_body, 16 * 1024);
        journal.push(JournalEntry {
            id: journal.next_id(),
            at: state.ops.clock.now_iso(),
            method: "POST".into(),
            path: count_path.to_string(),
            query: String::new(),
            route: "/api/vendor-api/service/{serviceId}/count".into(),
            status: 201,
            duration_ms: 0.1,
            integration_id: Some("65a0c0ffee0000000000f1a0".into()),
            vendor_id: Some("65a0c0ffee0000000000d3e0".into()),
            token: Some(GradientToken::key_hint(token)),
            request_headers: recorded_headers(&headers),
            response_headers: vec![("content-type".into(), "application/json; charset=utf-8".into())],
            request_body,
            response_body,
            truncated: false,
            lints: vec![],
            fault: None,
            parity: None,
        });
    });
    let strict = state.config.strict_types;
    let lint = time(&mut || {
        let value: serde_json::Value = serde_json::from_slice(request_body).expect("JSON");
        let obj = crate::domain::validate::object(&value).expect("an object");
        let mut f = crate::domain::validate::Fields::new(obj, strict);
        std::hint::black_box((
            f.id_string("accountId", false),
            f.number("unitCount", Some(0.0), None, false),
            f.lints.len(),
        ));
    });
    [lookups, copy, limit, entry, lint]
}
