//! Every failure path of the /sim control API: the vendor API's error shape, a message that
//! says why, and nothing stored changed.

mod common;
use common::*;
use serde_json::{json, Value};

/// The state a /sim error must leave alone: everything `stored` reads, plus card actions.
async fn state(app: &TestApp) -> Value {
    let mut s = app.stored().await;
    s["billing"] = app.sim("GET", "/billing?includeActioned=true", None).await.body["cards"].clone();
    s
}

/// Sends a /sim request that must fail with `status`; checks the shape, that the message
/// contains `says`, and that nothing changed.
async fn refused(app: &TestApp, method: &str, path: &str, body: Option<Value>, status: u16, says: &str) {
    let before = state(app).await;
    let r = app.sim(method, path, body).await;
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    assert_eq!(r.content_type, "application/json; charset=utf-8", "{method} {path}");
    assert_eq!(r.body["statusCode"], status, "{method} {path}");
    assert!(r.body["error"].is_string(), "{method} {path}: {}", r.text);
    let message = r.body["message"].to_string();
    assert!(
        message.contains(says),
        "{method} {path}: {message:?} should say {says:?}"
    );
    assert_eq!(state(app).await, before, "{method} {path} changed something");
}

const I: &str = INTEGRATION;

#[tokio::test]
async fn integration_actions_refuse_with_reasons() {
    let app = spawn().await;
    let unknown = "/integrations/65a0c0ffee00000000000abc";
    refused(&app, "GET", unknown, None, 404, "No integration found with id").await;
    refused(
        &app,
        "POST",
        &format!("{unknown}/connect"),
        None,
        404,
        "No integration found",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/step"),
        Some(json!({"step": "nowhere"})),
        400,
        "step must be one of",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/step"),
        Some(json!({"step": "account_mapping"})),
        409,
        "Next is not lit",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/finish"),
        None,
        409,
        "pending or active",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/connect"),
        Some(json!("billing")),
        400,
        "Unexpected token",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/step"),
        Some(json!({"step": 3})),
        400,
        "step must be one of",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("/integrations/{I}/alert-board"),
        Some(json!({"boardId": "nope"})),
        404,
        "No PSA board",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("/integrations/{I}/alert-board"),
        Some(json!({"boardId": 7})),
        400,
        "boardId",
    )
    .await;
}

#[tokio::test]
async fn connecting_and_tokens_follow_the_card_state() {
    let app = spawn().await;
    app.disconnect().await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/token"),
        None,
        409,
        "Connect the integration before",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/step"),
        Some(json!({"step": "connect_to_vendor"})),
        409,
        "Connect the integration first",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/connect"),
        Some(json!({"modules": ["billing", "psa"]})),
        400,
        "modules must be among",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/connect"),
        Some(json!({"modules": []})),
        400,
        "modules should not be empty",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/connect"),
        Some(json!({"modules": "billing"})),
        400,
        "array of strings",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/connect"),
        Some(json!({"modules": [1]})),
        400,
        "array of strings",
    )
    .await;
    // A body that is JSON but not an object.
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/connect"),
        Some(Value::Null),
        400,
        "Unexpected token n",
    )
    .await;
    // Connect on an already connected card changes nothing and answers 200.
    let first = app.connect().await;
    let again = app.connect().await;
    assert_eq!(first, again);
}

#[tokio::test]
async fn mapping_refuses_unknown_items_and_bad_bodies() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let acme = app.psa_account_id("Acme Corp").await;
    let accounts = format!("/integrations/{I}/mappings/accounts");
    let services = format!("/integrations/{I}/mappings/services");
    refused(
        &app,
        "PUT",
        &format!("{accounts}/nobody"),
        Some(json!({"psaAccountId": acme})),
        404,
        "No account found with id: nobody",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("{accounts}/acme-1"),
        Some(json!({"psaAccountId": "65a0c0ffee00000000000abc"})),
        404,
        "No PSA account found",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("{accounts}/acme-1"),
        Some(json!({"psaAccountId": ""})),
        400,
        "psaAccountId should not be empty",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("{accounts}/acme-1"),
        Some(json!({})),
        400,
        "psaAccountId must be a string",
    )
    .await;
    refused(
        &app,
        "DELETE",
        &format!("{accounts}/nobody"),
        None,
        404,
        "No account found",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("{services}/{service}"),
        Some(json!({"psaProductIds": "SEC-EDR"})),
        400,
        "psaProductIds must be an array",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("{services}/{service}"),
        Some(json!({"psaProductIds": [5]})),
        400,
        "must be a string",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("{services}/{service}"),
        Some(json!({"psaProductIds": ["nope"]})),
        404,
        "No PSA product found with id: nope",
    )
    .await;
    refused(
        &app,
        "PUT",
        &format!("{services}/unknown-svc"),
        Some(json!({"psaProductIds": []})),
        404,
        "No service found",
    )
    .await;
    refused(
        &app,
        "DELETE",
        &format!("{services}/unknown-svc"),
        None,
        404,
        "No service found",
    )
    .await;
    // A malformed JSON body names the position, as the vendor API does.
    let r = app
        .send(
            app.client
                .put(app.url(&format!("/sim{accounts}/acme-1")))
                .header("content-type", "application/json")
                .body("{\"psaAccountId\":}"),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["message"], "Unexpected token } in JSON at position 16");
    // Once the status is inactive again, mapping is closed.
    app.set_status("inactive").await.ok(200);
    refused(
        &app,
        "PUT",
        &format!("{accounts}/acme-1"),
        Some(json!({"psaAccountId": acme})),
        409,
        "Mapping opens after Next",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/integrations/{I}/auto-map"),
        None,
        409,
        "Mapping opens after Next",
    )
    .await;
}

#[tokio::test]
async fn card_actions_refuse_and_bulk_is_all_or_nothing() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 48.0).await.ok(201);
    let billing = app.rebuild().await;
    let reconcile = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let psa_only = card_for(&billing, "Bluebird Dental Group", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    refused(
        &app,
        "POST",
        "/billing/cards/65a0c0ffee00000000000abc/approve",
        None,
        404,
        "No service card found",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{reconcile}/explode"),
        None,
        404,
        "Cannot POST",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{reconcile}/adjust"),
        None,
        400,
        "effectiveDate should not be empty",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{reconcile}/adjust"),
        Some(json!({"effectiveDate": "next week"})),
        400,
        "YYYY-MM-DD",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{reconcile}/approve"),
        Some(json!({"quantity": "many"})),
        400,
        "quantity must be a number",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{psa_only}/approve"),
        None,
        409,
        "no vendor quantity to approve",
    )
    .await;
    refused(
        &app,
        "POST",
        "/billing/bulk",
        Some(json!({"action": "adjust", "cardIds": [reconcile]})),
        400,
        "approve, dismiss",
    )
    .await;
    refused(
        &app,
        "POST",
        "/billing/bulk",
        Some(json!({"action": "dismiss", "cardIds": []})),
        400,
        "cardIds should not be empty",
    )
    .await;
    // One unknown card in a bulk approve: nothing of the selection is applied.
    refused(
        &app,
        "POST",
        "/billing/bulk",
        Some(json!({"action": "approve", "cardIds": [reconcile, "65a0c0ffee00000000000abc"]})),
        404,
        "No service card found",
    )
    .await;
    // Approving twice: the second is refused and changes nothing.
    app.sim("POST", &format!("/billing/cards/{reconcile}/approve"), None)
        .await
        .ok(200);
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{reconcile}/dismiss"),
        None,
        409,
        "already approved",
    )
    .await;
}

#[tokio::test]
async fn journal_and_unknown_routes_refuse() {
    let app = spawn().await;
    refused(
        &app,
        "GET",
        "/journal?status=abc",
        None,
        400,
        "status must be an HTTP status code",
    )
    .await;
    refused(
        &app,
        "GET",
        "/journal?limit=-1",
        None,
        400,
        "limit must be a positive integer",
    )
    .await;
    refused(&app, "GET", "/nowhere", None, 404, "Cannot GET /sim/nowhere").await;
    refused(&app, "DELETE", "/reset", None, 404, "Cannot DELETE /sim/reset").await;
    refused(&app, "DELETE", "/faults/abc", None, 404, "No fault found with id: abc").await;
}

/// Foxtrot has two agreements and no BKP-SRV line: usage of a service mapped to BKP-SRV is a New
/// Revenue card whose approval may add its line to either agreement.
async fn foxtrot_new_revenue(app: &mut TestApp) -> (Value, String) {
    let edr = app.mapped_setup().await;
    app.create_accounts(json!([{"id": "fox-1", "name": "Foxtrot Manufacturing Co.", "description": ""}]))
        .await;
    app.map_account("fox-1", "Foxtrot Manufacturing Co.").await;
    let backup = app.create_service("Server Backup").await;
    app.map_service(&backup, &["BKP-SRV"]).await;
    app.count(&backup, "fox-1", 3.0).await.ok(201);
    app.count(&edr, "acme-1", 48.0).await.ok(201);
    let billing = app.rebuild().await;
    let card = card_for(&billing, "Foxtrot Manufacturing Co.", "BKP-SRV")
        .expect("a New Revenue card")
        .clone();
    (card, edr)
}

#[tokio::test]
async fn new_revenue_approval_takes_the_agreement_picked() {
    let mut app = spawn().await;
    let (card, _) = foxtrot_new_revenue(&mut app).await;
    assert_eq!(card["type"], "new_revenue");
    let names: Vec<&str> = card["agreements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Managed Services Agreement", "Security Add-On Agreement"]);
    let second = card["agreements"][1]["id"].as_str().unwrap().to_string();
    let id = card["id"].as_str().unwrap();
    app.sim(
        "POST",
        &format!("/billing/cards/{id}/approve"),
        Some(json!({"agreementId": second})),
    )
    .await
    .ok(200);
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    let fox = psa_company(&psa, "Foxtrot Manufacturing Co.");
    let with_backup: Vec<&str> = fox["agreements"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["lines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["productCode"] == "BKP-SRV" && l["quantity"] == 3.0)
        })
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        with_backup,
        ["Security Add-On Agreement"],
        "the line went where the partner said"
    );
}

#[tokio::test]
async fn an_agreement_not_of_the_account_or_on_a_card_with_a_line_is_refused() {
    let mut app = spawn().await;
    let (card, _) = foxtrot_new_revenue(&mut app).await;
    let id = card["id"].as_str().unwrap().to_string();
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    let acme_agreement = psa_company(&psa, "Acme Corp")["agreements"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for bad in [json!(acme_agreement), json!("65a0c0ffee00000000000abc")] {
        refused(
            &app,
            "POST",
            &format!("/billing/cards/{id}/approve"),
            Some(json!({"agreementId": bad})),
            400,
            "agreementId must be an active agreement of Foxtrot Manufacturing Co.",
        )
        .await;
    }
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{id}/approve"),
        Some(json!({"agreementId": 7})),
        400,
        "agreementId must be a non-empty string",
    )
    .await;
    let billing = app.billing().await;
    let reconcile = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        card_for(&billing, "Acme Corp", "SEC-EDR")
            .unwrap()
            .get("agreements")
            .is_none(),
        "only New Revenue cards list agreements"
    );
    refused(
        &app,
        "POST",
        &format!("/billing/cards/{reconcile}/approve"),
        Some(json!({"agreementId": acme_agreement})),
        400,
        "agreementId applies only to approving or adjusting a New Revenue card",
    )
    .await;
}

#[tokio::test]
async fn cards_with_vendor_usage_come_first() {
    let mut app = spawn().await;
    foxtrot_new_revenue(&mut app).await;
    let billing = app.billing().await;
    let cards = billing["cards"].as_array().unwrap();
    let first_without = cards.iter().position(|c| c["vendorQuantity"].is_null()).unwrap();
    assert!(first_without >= 2, "the Foxtrot and Acme cards lead");
    assert!(cards[first_without..].iter().all(|c| c["vendorQuantity"].is_null()));
    // Groups follow their first card: the two products with usage lead the card view.
    let titles: Vec<&str> = billing["groups"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|g| g["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"Managed EDR - Per Endpoint"), "{titles:?}");
}
