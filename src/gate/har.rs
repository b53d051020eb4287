//! The journal as HAR 1.2 (`GET /sim/journal?format=har`): the format browsers' devtools,
//! Playwright, Postman, Insomnia and MockServer read, so a run recorded here can be opened,
//! diffed or replayed elsewhere. Each entry is one journal entry, credentials already redacted
//! as the journal redacts them; what HAR has no field for (lint, fault, route) rides in custom
//! `_` fields, which the format allows.

use super::journal::JournalEntry;
use serde_json::{json, Value};

/// The HAR document of `entries` (oldest first), their URLs made absolute with `base`
/// (`http://127.0.0.1:8080`, as the client reached the simulator).
pub fn document(entries: &[JournalEntry], base: &str) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": {"name": "synthesize-sim", "version": env!("CARGO_PKG_VERSION")},
            "entries": entries.iter().map(|e| entry(e, base)).collect::<Vec<_>>(),
        }
    })
}

fn entry(e: &JournalEntry, base: &str) -> Value {
    let url = match e.query.is_empty() {
        true => format!("{base}{}", e.path),
        false => format!("{base}{}?{}", e.path, e.query),
    };
    let mut request = json!({
        "method": e.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": pairs(&e.request_headers),
        "queryString": query_string(&e.query),
        "headersSize": -1,
        "bodySize": e.request_body.as_ref().map_or(0, |b| b.len()),
    });
    if let Some(body) = &e.request_body {
        request["postData"] = json!({
            "mimeType": header(&e.request_headers, "content-type").unwrap_or(""),
            "text": body.text(),
        });
    }
    let text = e.response_body.as_ref().map(|b| b.text());
    let mut content = json!({
        "size": e.response_body.as_ref().map_or(0, |b| b.len()),
        // Journals kept before response headers were have none: every answer of the vendor
        // API is JSON.
        "mimeType": header(&e.response_headers, "content-type").unwrap_or("application/json; charset=utf-8"),
    });
    if let Some(text) = text {
        content["text"] = json!(text);
    }
    let status = actix_web::http::StatusCode::from_u16(e.status).ok();
    let mut out = json!({
        "startedDateTime": e.at,
        "time": e.duration_ms,
        "request": request,
        "response": {
            "status": e.status,
            "statusText": status.and_then(|s| s.canonical_reason()).unwrap_or(""),
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": pairs(&e.response_headers),
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": e.response_body.as_ref().map_or(0, |b| b.len()),
        },
        "cache": {},
        // The journal times the whole call, not its phases: all of it is waiting.
        "timings": {"send": 0, "wait": e.duration_ms, "receive": 0},
        "_id": e.id,
        "_route": e.route,
        "_lints": e.lints,
    });
    for (field, value) in [
        ("_integrationId", e.integration_id.as_ref().map(|v| json!(v))),
        ("_vendorId", e.vendor_id.as_ref().map(|v| json!(v))),
        ("_token", e.token.as_ref().map(|v| json!(v))),
        ("_fault", e.fault.map(|v| json!(v))),
        // Shadow mode's verdict, where it differed from the upstream or could not reach it.
        ("_parity", e.parity.as_ref().map(|v| json!(v))),
    ] {
        if let Some(value) = value {
            out[field] = value;
        }
    }
    if e.truncated {
        out["_truncated"] = json!(true);
        out["comment"] = json!("a body was cut to the journal's byte limit (--journal-body-limit)");
    }
    out
}

fn pairs(list: &[(String, String)]) -> Vec<Value> {
    list.iter()
        .map(|(name, value)| json!({"name": name, "value": value}))
        .collect()
}

fn header<'a>(list: &'a [(String, String)], name: &str) -> Option<&'a str> {
    list.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The query's parameters, decoded as a server reads them (`+` is a space; a broken escape is
/// kept as sent).
fn query_string(query: &str) -> Vec<Value> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_encoding::percent_decode_str(&spaced)
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            json!({"name": decode(name), "value": decode(value)})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lint::{Lint, LintCode};

    fn call() -> JournalEntry {
        JournalEntry {
            id: 7,
            at: "2027-01-31T12:00:00.000Z".into(),
            method: "POST".into(),
            path: "/api/vendor-api/service/65a0c0ffee0000000000f1a0/count".into(),
            query: "no_build=true&note=a+b%21".into(),
            route: "/api/vendor-api/service/{serviceId}/count".into(),
            status: 429,
            duration_ms: 1.25,
            integration_id: Some("i1".into()),
            vendor_id: None,
            token: Some("…a9b6".into()),
            request_headers: vec![
                ("gradient-token".into(), "…a9b6".into()),
                ("content-type".into(), "application/json".into()),
            ],
            response_headers: vec![("retry-after".into(), "3".into())],
            request_body: Some("{\"accountId\":\"a1\",\"unitCount\":3}".into()),
            response_body: Some("{\"statusCode\":429}".into()),
            truncated: true,
            lints: vec![Lint::new(LintCode::NumericId, "id 1")],
            fault: Some(2),
            parity: Some("different".into()),
        }
    }

    #[test]
    fn an_entry_carries_the_call_its_lint_and_nothing_unredacted() {
        let doc = document(&[call()], "http://127.0.0.1:8080");
        assert_eq!(doc["log"]["version"], "1.2");
        let e = &doc["log"]["entries"][0];
        assert_eq!(
            e["request"]["url"],
            "http://127.0.0.1:8080/api/vendor-api/service/65a0c0ffee0000000000f1a0/count?no_build=true&note=a+b%21"
        );
        assert_eq!(
            e["request"]["queryString"],
            json!([{"name": "no_build", "value": "true"}, {"name": "note", "value": "a b!"}])
        );
        assert_eq!(e["request"]["postData"]["mimeType"], "application/json");
        assert_eq!(e["request"]["bodySize"], r#"{"accountId":"a1","unitCount":3}"#.len());
        assert_eq!(
            e["request"]["headers"][0],
            json!({"name": "gradient-token", "value": "…a9b6"})
        );
        assert_eq!(e["response"]["statusText"], "Too Many Requests");
        assert_eq!(e["response"]["headers"], json!([{"name": "retry-after", "value": "3"}]));
        // No content type kept: the vendor API's answers are JSON.
        assert_eq!(e["response"]["content"]["mimeType"], "application/json; charset=utf-8");
        assert_eq!(e["response"]["content"]["text"], "{\"statusCode\":429}");
        assert_eq!(e["timings"], json!({"send": 0, "wait": 1.25, "receive": 0}));
        assert_eq!(e["_lints"][0]["code"], "numeric_id");
        assert_eq!((e["_fault"].clone(), e["_truncated"].clone()), (json!(2), json!(true)));
        assert_eq!(e["_parity"], "different");
        assert!(e.get("_vendorId").is_none());
    }

    #[test]
    fn a_call_without_bodies_has_no_post_data_nor_text() {
        let mut e = call();
        (e.request_body, e.response_body, e.query) = (None, None, String::new());
        let doc = document(&[e], "http://h");
        let e = &doc["log"]["entries"][0];
        assert!(e["request"].get("postData").is_none());
        assert!(e["response"]["content"].get("text").is_none());
        assert_eq!(e["response"]["content"]["size"], 0);
        assert_eq!(e["request"]["queryString"], json!([]));
    }
}
