//! The journal as HAR 1.2 (`GET /sim/journal?format=har`): every call with its request, its
//! answer and its headers (credentials redacted as the journal redacts them), oldest first, the
//! lint in `_lints`, per partner like the journal itself.

mod common;

use common::*;
use serde_json::{json, Value};

async fn har(app: &TestApp, query: &str) -> Value {
    let reply = app.sim("GET", &format!("/journal?format=har{query}"), None).await;
    assert_eq!(
        reply.headers.get("content-disposition").and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"synthesize-sim-journal.har\"")
    );
    reply.ok(200)
}

#[tokio::test]
async fn the_journal_leaves_as_har_with_answers_headers_and_lint() {
    let app = spawn().await;
    app.vendor("GET", "", None).await.ok(200);
    // A numeric id is stored as a string, with a lint.
    app.vendor(
        "POST",
        "/organization/accounts",
        Some(json!([{"id": 12, "name": "Acme"}])),
    )
    .await;
    app.vendor_as("not-a-token", "GET", "/organization", None).await.ok(401);

    let doc = har(&app, "").await;
    assert_eq!(doc["log"]["version"], "1.2");
    assert_eq!(doc["log"]["creator"]["name"], "synthesize-sim");
    let entries = doc["log"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{entries:#?}");
    // Oldest first, as HAR and a replay read them.
    let first = &entries[0];
    assert_eq!(first["request"]["method"], "GET");
    assert_eq!(first["request"]["url"], app.url("/api/vendor-api"));
    assert_eq!(first["response"]["status"], 200);
    assert_eq!(first["response"]["statusText"], "OK");
    let profile: Value = serde_json::from_str(first["response"]["content"]["text"].as_str().unwrap()).unwrap();
    assert!(profile["data"]["_id"].is_string(), "{profile}");
    assert!(first["response"]["content"]["mimeType"]
        .as_str()
        .unwrap()
        .starts_with("application/json"));
    // The token is kept as the journal keeps it: its partner key's last four characters.
    let token_header = first["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "gradient-token")
        .expect("the token header is listed");
    assert_eq!(
        token_header["value"],
        format!("…{}", &KICKOFF_PARTNER_KEY[KICKOFF_PARTNER_KEY.len() - 4..])
    );
    assert!(!doc.to_string().contains(&app.token[..20]), "no whole token anywhere");

    let post = &entries[1];
    assert_eq!(post["request"]["postData"]["mimeType"], "application/json");
    assert!(post["request"]["postData"]["text"]
        .as_str()
        .unwrap()
        .contains("\"id\":12"));
    assert!(!post["_lints"].as_array().unwrap().is_empty(), "{post:#}");
    assert_eq!(entries[2]["response"]["status"], 401);
    for e in entries {
        assert!(e["timings"]["wait"].as_f64().unwrap() >= 0.0);
        assert!(e["startedDateTime"].as_str().unwrap().ends_with('Z'));
    }

    // The journal's filters hold: only the 401.
    let only = har(&app, "&status=401").await;
    assert_eq!(only["log"]["entries"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_429_keeps_its_retry_after_header() {
    let app = spawn_with(|c| c.rate_limit = 1).await;
    // One call a second: of a few in a row, some are refused (whichever second they fall in).
    let mut statuses = vec![];
    for _ in 0..5 {
        statuses.push(app.vendor("GET", "", None).await.status);
    }
    assert!(statuses.contains(&429), "{statuses:?}");
    let doc = har(&app, "&status=429").await;
    let headers = doc["log"]["entries"][0]["response"]["headers"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        headers
            .iter()
            .any(|h| h["name"].as_str().unwrap().eq_ignore_ascii_case("retry-after")),
        "{headers:?}"
    );
}

#[tokio::test]
async fn an_unknown_format_is_refused_in_the_apis_shape() {
    let app = spawn().await;
    let reply = app.sim("GET", "/journal?format=xml", None).await;
    assert_eq!(reply.status, 400, "{}", reply.text);
    assert!(
        reply
            .text
            .contains("format must be one of the following values: json, har"),
        "{}",
        reply.text
    );
    // `json` is the journal as it always was.
    let plain = app.sim("GET", "/journal?format=json", None).await.ok(200);
    assert!(plain["entries"].is_array());
}
