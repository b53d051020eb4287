//! The live QA checklist: vendors who make each classic mistake stop at the right step with
//! the right hint; a correct vendor, twice through the cycle, gets "QA passed".

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn qa(app: &TestApp) -> Value {
    let list = app.sim("GET", "/qa", None).await.ok(200);
    list.as_array()
        .unwrap()
        .iter()
        .find(|q| q["integrationId"] == INTEGRATION)
        .unwrap()
        .clone()
}

fn step<'a>(qa: &'a Value, key: &str) -> &'a Value {
    qa["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no step {key}"))
}

fn hint(qa: &Value) -> String {
    let key = qa["currentStep"].as_str().expect("a step is open");
    step(qa, key)["hint"].as_str().unwrap().to_string()
}

async fn wait_for_rebuild(app: &TestApp) {
    for _ in 0..100 {
        let b = app.billing().await;
        if !b["pendingRebuild"].as_bool().unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the debounced rebuild never ran");
}

/// What a correct vendor and partner do in one round, from CONNECT to usage on the billing page.
async fn correct_round(app: &mut TestApp, create_service: bool) {
    correct_round_with(app, create_service, true).await
}

/// The round with or without the vendor setting its portal URL before the partner opens it.
async fn correct_round_with(app: &mut TestApp, create_service: bool, portal_url: bool) {
    app.connect().await;
    app.fresh_token().await;
    if portal_url {
        app.vendor(
            "PATCH",
            "",
            Some(json!({"integrationPortalUrl": "https://vendor.example/gradient"})),
        )
        .await
        .ok(200);
    }
    let opened = app
        .sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await;
    assert_eq!(opened.status, if portal_url { 302 } else { 404 });
    app.vendor("GET", "/organization", None).await.ok(200);
    app.set_status("pending").await.ok(200);
    let service = if create_service {
        app.create_service("Endpoint Protection").await
    } else {
        app.vendor("GET", "", None).await.ok(200)["data"]["skus"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    app.create_accounts(json!([{"id": "acme-1", "name": "Acme Corp"}]))
        .await;
    app.step("account_mapping").await.ok(200);
    app.step("service_mapping").await.ok(200);
    app.map_service(&service, &["SEC-EDR"]).await;
    app.step("review").await.ok(200);
    app.finish().await.ok(200);
    app.count(&service, "acme-1", 48.0).await.ok(201);
    wait_for_rebuild(app).await;
}

#[tokio::test]
async fn a_correct_vendor_twice_through_the_cycle_passes_qa() {
    let mut app = spawn().await;
    let q = qa(&app).await;
    assert_eq!(q["passed"], false);
    assert_eq!(q["currentStep"], "disconnected_at_start");
    assert!(hint(&q).contains("DISCONNECT"));

    app.disconnect().await;
    correct_round(&mut app, true).await;
    let q = qa(&app).await;
    for key in [
        "connect",
        "token_generated",
        "portal_opened",
        "authenticated",
        "next_lit",
        "accounts_synced",
        "accounts_mapped",
        "services_synced",
        "services_mapped",
        "finished",
        "sync_initiated",
        "usage_visible",
    ] {
        let s = step(&q, key);
        assert_eq!(s["done"], true, "{key} should be done: {s}");
        assert!(s["at"].is_string() && s["evidence"].is_string(), "{key}: {s}");
    }
    assert_eq!(q["currentStep"], "disconnected");
    assert_eq!(
        step(&q, "accounts_mapped")["evidence"],
        "account Acme Corp (acme-1) mapped to Acme Corp (auto)"
    );

    app.disconnect().await;
    correct_round(&mut app, false).await;
    let q = qa(&app).await;
    assert_eq!(q["passed"], true, "{q:#}");
    assert_eq!(q["currentStep"], Value::Null);

    let report = app.sim("GET", "/qa/report", None).await.ok(200);
    let r = &report["reports"][0];
    assert_eq!(r["verdict"], "QA passed");
    assert_eq!(q["verdict"], "QA passed");
    assert_eq!(r["steps"].as_array().unwrap().len(), 26);
    let html = app.sim("GET", "/qa/report?format=html", None).await;
    assert_eq!(html.status, 200);
    assert!(html.content_type.starts_with("text/html"));
    assert!(html.text.contains("QA passed") && html.text.contains("Pelican Endpoint Security"));
}

/// A round that stops before NEXT lights up: the vendor authenticates but never sets pending.
async fn round_without_pending(app: &mut TestApp) {
    app.connect().await;
    app.fresh_token().await;
    app.sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await;
    app.vendor("GET", "/organization", None).await.ok(200);
}

#[tokio::test]
async fn a_failed_first_round_is_left_behind_and_two_good_ones_pass() {
    let mut app = spawn().await;
    app.disconnect().await;
    round_without_pending(&mut app).await;
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "next_lit");
    assert!(
        !hint(&q).contains("new round"),
        "the round can still pass: {}",
        hint(&q)
    );
    app.disconnect().await;
    // The round was disconnected before NEXT lit: the hint says to start a new one.
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "next_lit");
    assert!(
        hint(&q).contains("press CONNECT and go through every step again"),
        "{}",
        hint(&q)
    );

    correct_round(&mut app, true).await;
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "disconnected", "the new round is round 1: {q:#}");
    assert_eq!(step(&q, "next_lit")["done"], true);
    app.disconnect().await;
    correct_round(&mut app, false).await;
    let q = qa(&app).await;
    assert_eq!(q["passed"], true, "{q:#}");
    assert_eq!(q["verdict"], "QA passed");
    // Round 1 is the second connection: its CONNECT came after the failed round's disconnect.
    let failed_end = step(&q, "disconnected_at_start")["at"].as_str().unwrap().to_string();
    assert!(step(&q, "connect")["at"].as_str().unwrap() > failed_end.as_str());
}

#[tokio::test]
async fn a_failed_round_between_two_good_ones_still_passes() {
    let mut app = spawn().await;
    app.disconnect().await;
    correct_round(&mut app, true).await;
    app.disconnect().await;
    round_without_pending(&mut app).await;
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "next_lit_again");
    app.disconnect().await;
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "next_lit_again");
    assert!(
        hint(&q).contains("QA judges the last two complete rounds"),
        "{}",
        hint(&q)
    );
    correct_round(&mut app, false).await;
    let q = qa(&app).await;
    assert_eq!(q["passed"], true, "{q:#}");
}

#[tokio::test]
async fn a_portal_opened_blank_passes_with_a_warning_in_checklist_and_report() {
    let mut app = spawn().await;
    app.disconnect().await;
    correct_round_with(&mut app, true, false).await;
    let q = qa(&app).await;
    let portal = step(&q, "portal_opened");
    assert_eq!(portal["done"], true);
    assert!(
        portal["warning"].as_str().unwrap().contains("integrationPortalUrl"),
        "{portal}"
    );
    assert!(step(&q, "authenticated").get("warning").is_none());
    app.disconnect().await;
    correct_round_with(&mut app, false, true).await;
    let q = qa(&app).await;
    assert_eq!(q["passed"], true, "{q:#}");
    assert_eq!(q["verdict"], "QA passed with warnings");
    assert!(step(&q, "portal_opened_again").get("warning").is_none());
    let report = app.sim("GET", "/qa/report", None).await.ok(200);
    assert_eq!(report["reports"][0]["verdict"], "QA passed with warnings");
    let html = app.sim("GET", "/qa/report?format=html", None).await;
    assert!(html.text.contains("QA passed with warnings"), "{}", html.text);
    assert!(html
        .text
        .contains("<strong>Warning:</strong> No integrationPortalUrl was set"));
    assert!(html.text.contains("class=\"verdict warn\""));
}

#[tokio::test]
async fn never_setting_pending_stops_at_next_with_the_support_hint() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await;
    app.vendor("GET", "/organization", None).await.ok(200);
    app.create_accounts(json!([{"id": "acme-1", "name": "Acme Corp"}]))
        .await;
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "next_lit");
    let h = hint(&q);
    assert!(h.contains("PATCH /api/vendor-api/organization/status/pending"), "{h}");
    assert!(h.contains("it is inactive"), "{h}");
    let report = app.sim("GET", "/qa/report", None).await.ok(200);
    let codes: Vec<&str> = report["reports"][0]["lint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"status_never_pending"), "{codes:?}");
    assert!(codes.contains(&"portal_url_never_set"), "{codes:?}");
}

#[tokio::test]
async fn a_blank_vendor_portal_is_called_out() {
    let mut app = spawn().await;
    app.reconnect().await;
    let r = app
        .sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await;
    assert_eq!(r.status, 404);
    assert!(r.body["message"].as_str().unwrap().contains("contact Gradient support"));
    // Opening it still counts as pressed, and the evidence says the page was blank.
    let q = qa(&app).await;
    assert!(step(&q, "portal_opened")["evidence"]
        .as_str()
        .unwrap()
        .contains("blank page"));
    assert_eq!(q["currentStep"], "authenticated");
}

#[tokio::test]
async fn not_recreating_accounts_after_reconnect_is_caught() {
    let mut app = spawn().await;
    app.disconnect().await;
    correct_round(&mut app, true).await;
    app.disconnect().await;
    // Second round: the vendor authenticates and sets pending, but never re-creates its accounts.
    app.connect().await;
    app.fresh_token().await;
    app.sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await
        .ok(302);
    app.set_status("pending").await.ok(200);
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "accounts_synced_again");
    assert!(hint(&q).contains("deleted every account"), "{}", hint(&q));
}

#[tokio::test]
async fn no_build_on_every_count_stops_at_usage_visible() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await;
    for account in ["acme-1", "cedar-1"] {
        app.vendor(
            "POST",
            &format!("/service/{service}/count?no_build=true"),
            Some(json!({"accountId": account, "unitCount": 5})),
        )
        .await
        .ok(201);
    }
    let q = qa(&app).await;
    assert_eq!(step(&q, "sync_initiated")["done"], true);
    assert_eq!(q["currentStep"], "usage_visible");
    assert!(hint(&q).contains("no_build"), "{}", hint(&q));
    let report = app.sim("GET", "/qa/report", None).await.ok(200);
    assert!(report["reports"][0]["lint"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["code"] == "no_build_on_count"));
}

#[tokio::test]
async fn counts_for_unmapped_pairs_are_explained() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await;
    app.set_status("pending").await.ok(200);
    let service = app.create_service("Endpoint Protection").await;
    app.create_accounts(json!([{"id": "acme-1", "name": "Acme Corp"}, {"id": "zz-9", "name": "Zulu Zebra"}]))
        .await;
    app.step("account_mapping").await.ok(200);
    app.map_service(&service, &["SEC-EDR"]).await;
    app.finish().await.ok(200);
    let r = app.count(&service, "zz-9", 3.0).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "No account map found with id: zz-9");
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "sync_initiated");
    assert!(hint(&q).contains("1 count(s) were rejected with 404"), "{}", hint(&q));
    let journal = app.sim("GET", "/journal?status=404", None).await.ok(200);
    assert_eq!(journal["entries"][0]["lints"][0]["code"], "count_for_unmapped_pair");
}

#[tokio::test]
async fn the_old_key_after_a_reconnect_is_named_in_the_hint() {
    let app = spawn().await;
    let old = app.token.clone();
    app.disconnect().await;
    app.connect().await;
    app.sim("POST", &format!("/integrations/{INTEGRATION}/token"), None)
        .await
        .ok(200);
    app.sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await;
    // The vendor's code still sends the kickoff key.
    assert_eq!(app.vendor_as(&old, "GET", "/organization", None).await.status, 401);
    let q = qa(&app).await;
    assert_eq!(q["currentStep"], "authenticated");
    assert!(hint(&q).contains("revoked"), "{}", hint(&q));
}

#[tokio::test]
async fn journal_records_calls_with_redacted_tokens_and_filters() {
    let app = spawn().await;
    app.vendor("GET", "/organization", None).await.ok(200);
    app.vendor(
        "POST",
        "/organization/accounts",
        Some(json!([{"id": 7, "name": "Numeric"}])),
    )
    .await
    .ok(201);
    app.vendor_as("bad", "GET", "/organization", None).await;
    let j = app.sim("GET", "/journal", None).await.ok(200);
    assert_eq!(j["total"], 3);
    let newest = &j["entries"][0];
    assert_eq!(newest["status"], 401);
    let created = &j["entries"][1];
    assert_eq!(created["route"], "/api/vendor-api/organization/accounts");
    assert_eq!(created["integrationId"], INTEGRATION);
    assert_eq!(created["lints"][0]["code"], "numeric_id");
    assert!(created["requestBody"].as_str().unwrap().contains("Numeric"));
    assert!(created["responseBody"].as_str().unwrap().contains("\"id\":\"7\""));
    // Named as the console names the key: by the partner key's tail, not the token's.
    let token = created["token"].as_str().unwrap();
    let card = app.card().await;
    assert_eq!(token, format!("…{}", card["partnerKeyHint"].as_str().unwrap()));
    assert_eq!(token, format!("…{}", &KICKOFF_PARTNER_KEY[28..]));
    let header = created["requestHeaders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "gradient-token")
        .unwrap();
    assert_eq!(header[1], token);
    assert!(!j.to_string().contains(KICKOFF_PARTNER_KEY));
    let only = app
        .sim(
            "GET",
            &format!("/journal?integrationId={INTEGRATION}&method=POST"),
            None,
        )
        .await
        .ok(200);
    assert_eq!(only["entries"].as_array().unwrap().len(), 1);
    // Linted: the numeric id, and the 401, which says why off the wire.
    let linted = app.sim("GET", "/journal?lint=true", None).await.ok(200);
    let codes: Vec<&str> = linted["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["lints"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["token_not_base64", "numeric_id"]);
}

#[tokio::test]
async fn the_journal_is_bounded() {
    let app = spawn_with(|c| c.journal_size = 5).await;
    for _ in 0..12 {
        app.vendor("GET", "/organization", None).await.ok(200);
    }
    let j = app.sim("GET", "/journal", None).await.ok(200);
    assert_eq!(j["total"], 5);
}

/// The lint catalogue: every code the simulator knows is reachable by some vendor mistake and
/// ends up in the report with its why and fix (no dead codes).
#[tokio::test]
async fn every_lint_code_is_reachable_and_reported() {
    let mut app = spawn_with(|c| c.rate_limit = 3).await;
    let old = app.token.clone();
    app.reconnect().await; // revokes the kickoff key
    app.vendor_as(&old, "GET", "/organization", None).await; // revoked_token
    tokio::time::sleep(Duration::from_millis(1100)).await; // a fresh rate-limit window
    app.create_accounts(json!([{"id": 1, "name": "Acme Corp"}])).await; // numeric_id
    app.vendor(
        "POST",
        "/organization/accounts",
        Some(json!([{"id": "1", "name": "Again"}])),
    )
    .await; // account_reposted
    app.vendor("GET", "/organization/clients", None).await; // deprecated_clients_route
                                                            // over_rate_limit: 3 calls a second are allowed; 11 calls span at most two windows.
    for _ in 0..8 {
        app.vendor("GET", "/organization", None).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.create_service("Endpoint Protection").await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let service = app.create_service("Endpoint Protection").await; // duplicate_service_name
    app.vendor_raw(
        "POST",
        "/organization/accounts",
        Some("text/plain"),
        r#"[{"id":"x","name":"X"}]"#,
    )
    .await; // body_not_json
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let clients = app
        .vendor("GET", "/organization/clients?search=acme", None)
        .await
        .ok(200);
    let acme_client = clients["clients"][0]["id"].as_str().unwrap().to_string();
    // That connection synced accounts but never set pending (status_never_pending). A new one:
    app.reconnect().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.create_accounts(json!([{"id": "1", "name": "Acme Corp"}])).await;
    app.vendor(
        "POST",
        &format!("/service/{service}/count"),
        Some(json!({"accountId": "1", "unitCount": 1})),
    )
    .await; // count_for_unmapped_pair
    app.set_status("active").await.ok(200);
    app.step("account_mapping").await.ok(200);
    app.map_service(&service, &["SEC-EDR"]).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.vendor(
        "POST",
        &format!("/service/{service}/count?no_build=true"),
        Some(json!({"clientOId": acme_client, "unitCount": 4})),
    )
    .await
    .ok(201); // deprecated_client_o_id, and no_build_on_count (its only count)
    let report = app.sim("GET", "/qa/report", None).await.ok(200);
    let lint = report["reports"][0]["lint"].as_array().unwrap();
    let mut codes: Vec<&str> = lint.iter().map(|l| l["code"].as_str().unwrap()).collect();
    codes.sort();
    let mut expected = vec![
        "account_reposted",
        "body_not_json",
        "count_for_unmapped_pair",
        "deprecated_client_o_id",
        "deprecated_clients_route",
        "duplicate_service_name",
        "no_build_on_count",
        "numeric_id",
        "over_rate_limit",
        "portal_url_never_set",
        "revoked_token",
        "status_never_pending",
    ];
    expected.sort();
    assert_eq!(codes, expected);
    for l in lint {
        assert!(
            !l["why"].as_str().unwrap().is_empty() && !l["fix"].as_str().unwrap().is_empty(),
            "{l}"
        );
        assert!(l["count"].as_u64().unwrap() >= 1);
    }
}
