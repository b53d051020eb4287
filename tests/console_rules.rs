//! Rules the partner console relies on at a real MSP's size: accounts that arrive while the
//! partner is mapping are auto-mapped as the step's page says, and an actioned card stays off
//! the dashboard for the month (the page says how many are off it).

mod common;
use common::*;
use serde_json::json;

fn account<'a>(m: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap()
}

#[tokio::test]
async fn accounts_arriving_on_the_mapping_step_are_auto_mapped_by_exact_name() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.create_service("Endpoint Protection").await;
    // Before the step: an exact name waits for the step (entering it maps it).
    app.create_accounts(json!([{"id": "early", "name": "Juniper Family Practice", "description": ""}]))
        .await;
    assert!(account(&app.mappings().await, "early")["source"].is_null());
    app.set_status("pending").await.ok(200);
    app.step("account_mapping").await.ok(200);
    assert_eq!(account(&app.mappings().await, "early")["source"], "auto");

    // On the step: exact names map as they arrive; near misses stay unmapped.
    app.create_accounts(json!([
        {"id": "acme-1", "name": "Acme Corp", "description": ""},
        {"id": "cedar-1", "name": "Cedar Ridge Law LLP", "description": ""}
    ]))
    .await;
    let m = app.mappings().await;
    assert_eq!(account(&m, "acme-1")["source"], "auto");
    assert_eq!(
        account(&m, "acme-1")["psaAccountId"],
        app.psa_account_id("Acme Corp").await
    );
    assert!(account(&m, "cedar-1")["psaAccountId"].is_null());

    // A mapping the partner took back stays undone when more accounts arrive.
    app.unmap_account("acme-1").await;
    app.create_accounts(json!([{"id": "blue-1", "name": "Bluebird Dental Group", "description": ""}]))
        .await;
    let m = app.mappings().await;
    assert_eq!(account(&m, "blue-1")["source"], "auto");
    assert!(account(&m, "acme-1")["psaAccountId"].is_null());
}

#[tokio::test]
async fn accounts_arriving_after_finish_wait_for_the_partner() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    app.create_accounts(json!([{"id": "blue-1", "name": "Bluebird Dental Group", "description": ""}]))
        .await;
    // Connected: production leaves new vendor accounts unmapped (the monthly "unmapped" count).
    assert!(account(&app.mappings().await, "blue-1")["psaAccountId"].is_null());
}

#[tokio::test]
async fn an_approved_new_revenue_card_does_not_come_back_as_an_open_no_change_card() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let sat = app.create_service("Awareness Training").await;
    app.map_service(&sat, &["SEC-SAT"]).await;
    app.count(&sat, "acme-1", 12.0).await.ok(201);
    let b = app.rebuild().await;
    assert_eq!(b["actionedCount"], 0);
    let new = card_for(&b, "Acme Corp", "SEC-SAT").unwrap();
    assert_eq!(new["type"], "new_revenue");
    let id = new["id"].as_str().unwrap();
    app.sim("POST", &format!("/billing/cards/{id}/approve"), None)
        .await
        .ok(200);

    // The new PSA line reads 12 against 12: a No Change card, actioned, off the dashboard.
    let b = app.rebuild().await;
    assert!(card_for(&b, "Acme Corp", "SEC-SAT").is_none());
    assert_eq!(b["actionedCount"], 1);
    let all = app.sim("GET", "/billing?includeActioned=true", None).await.ok(200);
    let line = card_for(&all, "Acme Corp", "SEC-SAT").unwrap();
    assert_eq!(line["type"], "no_change");
    assert_eq!(line["state"], "approved");
    assert!(line["contractId"].is_string());

    // A new value comes back, open, as production shows cards with new values.
    app.count(&sat, "acme-1", 14.0).await.ok(201);
    let b = app.rebuild().await;
    let line = card_for(&b, "Acme Corp", "SEC-SAT").unwrap();
    assert_eq!(line["type"], "reconcile");
    assert_eq!(line["state"], "open");
    assert_eq!(b["actionedCount"], 0);
}
