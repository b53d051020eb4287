//! The first hour's mistakes, each named where it happens and never on the wire: every cause of
//! a 401, a base URL off by `/api`, JSON sent as a form, a count to the vendor's own id. The
//! answers stay production's; the journal entry (and so the terminal line) says why.

mod common;
use base64::Engine;
use common::*;
use serde_json::{json, Value};

const UNAUTHORIZED: &str = r#"{"statusCode":401,"message":"Unauthorized"}"#;

/// The newest journal entry whose path is `path`.
async fn last_entry(app: &TestApp, path: &str) -> Value {
    let journal = app.sim("GET", "/journal?limit=50", None).await.ok(200);
    journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("no journal entry for {path}: {journal:#}"))
        .clone()
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// GET /api/vendor-api/organization with these headers: production's bare 401, and the lint
/// the journal gave it.
async fn refused_with(app: &TestApp, headers: &[(&str, &str)]) -> (String, String) {
    let mut rb = app.client.get(app.url("/api/vendor-api/organization"));
    for (name, value) in headers {
        rb = rb.header(*name, *value);
    }
    let reply = app.send(rb).await;
    assert_eq!(reply.status, 401, "{headers:?}");
    assert_eq!(reply.text, UNAUTHORIZED, "the wire says nothing more");
    let entry = last_entry(app, "/api/vendor-api/organization").await;
    assert_eq!(entry["status"], 401);
    let lint = &entry["lints"][0];
    (
        lint["code"].as_str().unwrap().to_string(),
        lint["message"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn every_cause_of_a_401_gets_its_own_lint() {
    let app = spawn_with(|c| c.rate_limit = 0).await;
    let token = app.token.clone();
    let (v, p) = (VENDOR_KEY, KICKOFF_PARTNER_KEY);

    let (code, _) = refused_with(&app, &[]).await;
    assert_eq!(code, "token_missing");
    let bearer = format!("Bearer {token}");
    let (code, message) = refused_with(&app, &[("authorization", &bearer)]).await;
    assert_eq!(code, "token_in_authorization");
    assert!(message.contains("Bearer"), "{message}");
    let (code, message) = refused_with(&app, &[("gradient-token", &bearer)]).await;
    assert_eq!(code, "token_not_base64");
    assert!(message.contains("no scheme"), "{message}");
    let (code, message) = refused_with(&app, &[("gradient-token", &format!("{v}:{p}"))]).await;
    assert_eq!(code, "token_not_base64");
    assert!(message.contains("not their base64"), "{message}");
    // Cut where `base64` wraps its lines: the partner key lost its end.
    let (code, message) = refused_with(&app, &[("gradient-token", &token[..76])]).await;
    assert_eq!(code, "token_line_break");
    assert!(message.contains("76"), "{message}");
    let (code, _) = refused_with(&app, &[("gradient-token", &b64(&format!("{v}:")))]).await;
    assert_eq!(code, "token_one_key");
    let (code, _) = refused_with(&app, &[("gradient-token", &b64(v))]).await;
    assert_eq!(code, "token_one_key");
    let unknown_vendor = b64(&format!("{}:{p}", "0".repeat(32)));
    let (code, message) = refused_with(&app, &[("gradient-token", &unknown_vendor)]).await;
    assert_eq!(code, "unknown_vendor_key");
    assert!(message.contains("…0000") && !message.contains(p), "{message}");
    let (code, message) = refused_with(&app, &[("gradient-token", &b64(&format!("{p}:{v}")))]).await;
    assert_eq!(code, "unknown_vendor_key");
    assert!(message.contains("swapped"), "{message}");
    let unknown_partner = b64(&format!("{v}:{}", "f".repeat(32)));
    let (code, message) = refused_with(&app, &[("gradient-token", &unknown_partner)]).await;
    assert_eq!(code, "unknown_partner_key");
    assert!(message.contains("…ffff"), "{message}");
    // Revoked: the kickoff key after a disconnect (the journal already named this one).
    app.disconnect().await;
    let (code, _) = refused_with(&app, &[("gradient-token", &token)]).await;
    assert_eq!(code, "revoked_token");
}

#[tokio::test]
async fn a_vendor_only_token_says_which_flag_or_key_it_lacks() {
    let app = spawn().await;
    let vendor_only = b64(&format!("{VENDOR_KEY}:"));
    let reply = app.vendor_as(&vendor_only, "GET", "", None).await;
    assert_eq!((reply.status, reply.text.as_str()), (401, UNAUTHORIZED));
    let entry = last_entry(&app, "/api/vendor-api").await;
    assert_eq!(lint_codes(&entry), ["token_one_key"]);
    assert!(entry["lints"][0]["message"]
        .as_str()
        .unwrap()
        .contains("--allow-vendor-only-token"));
}

#[tokio::test]
async fn a_call_outside_the_vendor_api_is_journaled_with_the_path_meant() {
    let app = spawn().await;
    for (path, code) in [
        ("/vendor-api/organization", "base_url_without_api"),
        ("/api/api/vendor-api/organization", "base_url_doubled"),
        ("/api/organization", "base_url_without_api"),
    ] {
        let rb = app.client.get(app.url(path)).header("GRADIENT-TOKEN", &app.token);
        let reply = app.send(rb).await;
        // Production's answer, unchanged.
        assert_eq!(reply.status, 404);
        assert_eq!(
            reply.body,
            json!({"statusCode": 404, "message": format!("Cannot GET {path}"), "error": "Not Found"})
        );
        let entry = last_entry(&app, path).await;
        assert_eq!(lint_codes(&entry), [code], "{path}");
        let message = entry["lints"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with("did you mean /api/vendor-api/organization?"),
            "{path}: {message}"
        );
        // The token names its integration, as on the vendor API's own entries.
        assert_eq!(entry["integrationId"], INTEGRATION);
        assert_eq!(entry["token"], "…a9b6");
    }
    // A POST keeps its answer too (its body is not read).
    let reply = app
        .send(
            app.client
                .post(app.url("/vendor-api/organization/accounts"))
                .header("GRADIENT-TOKEN", &app.token)
                .json(&json!([{"id": "a", "name": "A"}])),
        )
        .await;
    assert_eq!(reply.status, 404);
    let entry = last_entry(&app, "/vendor-api/organization/accounts").await;
    assert_eq!(entry["method"], "POST");
    // A browser's miss is the console's business, not a vendor call.
    assert_eq!(app.send(app.client.get(app.url("/favicon.ico"))).await.status, 404);
    let journal = app.sim("GET", "/journal?limit=50", None).await.ok(200);
    assert!(journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["path"] != "/favicon.ico"));
}

#[tokio::test]
async fn json_sent_as_a_form_is_named() {
    let app = spawn().await;
    let reply = app
        .vendor_raw(
            "POST",
            "/organization/accounts",
            Some("application/x-www-form-urlencoded"),
            r#"[{"id":"a1","name":"Acme Corp"}]"#,
        )
        .await;
    // Production reads it as a form: every field is missing.
    assert_eq!(reply.status, 400);
    assert!(reply.text.contains("id should not be empty"), "{}", reply.text);
    let entry = last_entry(&app, "/api/vendor-api/organization/accounts").await;
    assert_eq!(lint_codes(&entry), ["json_sent_as_form"]);
    // A real form is no mistake.
    app.vendor_raw(
        "PATCH",
        "/organization/accounts/nobody",
        Some("application/x-www-form-urlencoded"),
        "name=Acme",
    )
    .await;
    let entry = last_entry(&app, "/api/vendor-api/organization/accounts/nobody").await;
    assert!(!lint_codes(&entry).contains(&"json_sent_as_form"));
}

#[tokio::test]
async fn a_count_to_the_vendors_own_id_says_where_the_service_id_is() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let vendor = app
        .vendor(
            "POST",
            "/service",
            Some(json!({"name": "Backup", "description": "", "category": "other", "subcategory": "other"})),
        )
        .await
        .ok(201);
    let vendor_id = vendor["_id"].as_str().unwrap().to_string();
    let reply = app.count(&vendor_id, "acme-1", 3.0).await;
    assert_eq!(
        (reply.status, reply.body["message"].as_str()),
        (404, Some("Service not found"))
    );
    let entry = last_entry(&app, &format!("/api/vendor-api/service/{vendor_id}/count")).await;
    assert_eq!(lint_codes(&entry), ["count_to_vendor_id"]);
    assert!(entry["lints"][0]["message"].as_str().unwrap().contains("skus"));
    // The right id gets no such lint.
    app.count(&service, "acme-1", 3.0).await.ok(201);
    let entry = last_entry(&app, &format!("/api/vendor-api/service/{service}/count")).await;
    assert!(lint_codes(&entry).is_empty(), "{entry:#}");
}
