//! Lints that explain the official PowerShell SDK's own traps: a service re-created every run
//! because its name was sent as Latin-1, and a usage sync that reads the catalogue and then
//! stops before its first count (the SDK's `$attributes` defect).

mod common;
use common::*;
use serde_json::{json, Value};

async fn last_entry(app: &TestApp) -> Value {
    app.journal("limit=1")
        .await
        .into_iter()
        .next()
        .expect("a journal entry")
}

/// The QA report's finding of this code, if it has one.
async fn finding(app: &TestApp, code: &str) -> Option<Value> {
    let report = app.sim("GET", "/qa/report", None).await.ok(200);
    report["reports"][0]["lint"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .cloned()
}

/// POST /service as Windows PowerShell 5.1 sends the SDK's body: ISO-8859-1, no charset.
async fn create_service_latin1(app: &TestApp, name_latin1: &[u8]) -> u16 {
    let mut body = b"{\"name\":\"".to_vec();
    body.extend_from_slice(name_latin1);
    body.extend_from_slice(b"\",\"description\":\"\",\"category\":\"backup\",\"subcategory\":\"cloud backup\"}");
    let head = format!(
        "POST /api/vendor-api/service HTTP/1.1\r\nGRADIENT-TOKEN: {}\r\nContent-Type: application/json\r\nContent-Length: {}",
        app.token,
        body.len()
    );
    app.raw_http(&head, &body).await.status
}

#[tokio::test]
async fn a_service_created_again_under_a_garbled_name_says_why() {
    let mut app = spawn().await;
    app.reconnect().await;
    // "Müller Backup" in ISO-8859-1: ü is the single byte 0xFC.
    assert_eq!(create_service_latin1(&app, b"M\xfcller Backup").await, 201);
    assert_eq!(lint_codes(&last_entry(&app).await), vec!["body_not_utf8"]);
    // The SDK's next sync-services finds no "Müller Backup" among the skus and creates it again.
    assert_eq!(create_service_latin1(&app, b"M\xfcller Backup").await, 201);
    let entry = last_entry(&app).await;
    assert_eq!(
        lint_codes(&entry),
        vec!["body_not_utf8", "duplicate_service_name", "service_recreated_garbled"]
    );
    let l = &entry["lints"][2];
    assert!(l["message"].as_str().unwrap().contains("de-duplicates by name"), "{l}");
    assert!(l["message"].as_str().unwrap().contains("Latin-1"), "{l}");
    assert!(l["why"].as_str().unwrap().contains("Invoke-CreateServices"), "{l}");
    // A plain duplicate (no U+FFFD) is only a duplicate.
    app.create_service("Plain").await;
    app.create_service("Plain").await;
    assert_eq!(lint_codes(&last_entry(&app).await), vec!["duplicate_service_name"]);
}

#[tokio::test]
async fn a_sync_that_reads_the_catalogue_and_sends_no_count_names_the_sdk_defect() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    // Before any catalogue read after mapping: nothing to say.
    assert!(finding(&app, "catalogue_read_no_count").await.is_none());
    // sync-usage: GET /api/vendor-api, then Initialize-PSCreateBillingRequest throws.
    app.vendor("GET", "", None).await.ok(200);
    let f = finding(&app, "catalogue_read_no_count").await.expect("the finding");
    assert!(
        f["why"].as_str().unwrap().contains("Initialize-PSCreateBillingRequest"),
        "{f}"
    );
    assert!(f["why"].as_str().unwrap().contains("CreateBillingRequest.ps1"), "{f}");
    assert!(f["why"].as_str().unwrap().contains("$attributes"), "{f}");
    assert!(f["fix"].as_str().unwrap().contains("$global:attributes = @{}"), "{f}");
    // With the fix, the next run's count follows its read: the finding goes.
    app.vendor("GET", "", None).await.ok(200);
    app.count(&service, "acme-1", 3.0).await.ok(201);
    assert!(finding(&app, "catalogue_read_no_count").await.is_none());
    // A refused count (unmapped pair) is a count sent too: the client did not stop.
    app.vendor("GET", "", None).await.ok(200);
    assert_eq!(app.count(&service, "nobody", 3.0).await.status, 404);
    assert!(finding(&app, "catalogue_read_no_count").await.is_none());
}

#[tokio::test]
async fn a_catalogue_read_before_mapping_is_no_failed_sync() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.vendor("GET", "", None).await.ok(200);
    app.create_accounts(json!([{"id": "a-1", "name": "Acme Corp"}])).await;
    assert!(finding(&app, "catalogue_read_no_count").await.is_none());
}
