//! The newest spec the official SDK was generated from (its `dynamicServices` branch): Get
//! Organization Services, `isMapped` on every listed item, `_id` on organization services and
//! counts posted to it, array query parameters as the SDK sends them, VendorData.organizationId,
//! and counts without an upper bound.

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

/// The SDK's dynamic-services flow: `sync-services` posts organization services with
/// `id = name`; `sync-usage` reads Get Organization Services, maps names to `$sku._id`, and
/// posts each count to `/service/{that _id}/count`.
#[tokio::test]
async fn the_dynamic_services_flow_lands_on_the_right_card() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let created = app
        .vendor(
            "POST",
            "/organization/services",
            Some(json!([{"id": "Backup", "name": "Backup", "description": "per device"}])),
        )
        .await
        .ok(201);
    assert_eq!(
        created,
        json!([{"_id": "Backup", "id": "Backup", "name": "Backup", "description": "per device", "isMapped": false}])
    );
    let listed = app.vendor("GET", "/organization/services", None).await.ok(200);
    assert_eq!(
        listed,
        json!([{"_id": "Backup", "id": "Backup", "name": "Backup", "description": "per device", "isMapped": false}])
    );
    // Unmapped: returnUnmapped=false leaves it out, and its count is a 404.
    let mapped_only = app
        .vendor("GET", "/organization/services?returnUnmapped=false", None)
        .await
        .ok(200);
    assert_eq!(mapped_only, json!([]));
    assert_eq!(app.count("Backup", "acme-1", 4.0).await.status, 404);

    app.map_service("Backup", &["BKP-GB"]).await;
    let listed = app
        .vendor("GET", "/organization/services?returnUnmapped=false", None)
        .await
        .ok(200);
    assert_eq!(listed[0]["isMapped"], true);
    let sku_id = listed[0]["_id"].as_str().unwrap().to_string();
    app.count(&sku_id, "acme-1", 4.0).await.ok(201);
    let billing = app.rebuild().await;
    let card = card_for(&billing, "Acme Corp", "BKP-GB").expect("a card for the organization service");
    assert_eq!(card["vendorQuantity"], 4.0);
}

#[tokio::test]
async fn listings_filter_by_ids_in_every_form_the_clients_send() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.create_accounts(json!([
        {"id": "a-1", "name": "One"}, {"id": "a-2", "name": "Two"}, {"id": "a-3", "name": "Three"}
    ]))
    .await;
    app.vendor(
        "POST",
        "/organization/services",
        Some(json!([{"id": "s-1", "name": "One"}, {"id": "s-2", "name": "Two"}, {"id": "s-3", "name": "Three"}])),
    )
    .await
    .ok(201);
    for (route, key) in [
        ("/organization/accounts", "accountIds"),
        ("/organization/services", "serviceIds"),
    ] {
        let prefix = &key[..1];
        for q in [
            format!("{key}[]={prefix}-1&{key}[]={prefix}-3"),
            format!("{key}%5B%5D={prefix}-1&{key}%5B%5D={prefix}-3"),
            format!("{key}={prefix}-1&{key}={prefix}-3"),
            format!("{key}={prefix}-1,{prefix}-3"),
            format!("{key}[0]={prefix}-1&{key}[1]={prefix}-3"),
        ] {
            let listed = app.vendor("GET", &format!("{route}?{q}"), None).await.ok(200);
            assert_eq!(
                ids(&listed),
                [format!("{prefix}-1"), format!("{prefix}-3")],
                "{route}?{q}"
            );
            assert!(listed.as_array().unwrap().iter().all(|i| i["isMapped"] == false));
        }
        // The SDK's single value.
        let one = app
            .vendor("GET", &format!("{route}?{key}={prefix}-2"), None)
            .await
            .ok(200);
        assert_eq!(ids(&one), [format!("{prefix}-2")]);
        let bad = app.vendor("GET", &format!("{route}?returnUnmapped=maybe"), None).await;
        assert_eq!(bad.status, 400);
        assert_eq!(
            bad.body,
            json!({"statusCode": 400, "message": ["returnUnmapped must be a boolean value"], "error": "Bad Request"})
        );
    }
}

#[tokio::test]
async fn organization_services_are_this_partners_only() {
    let app = spawn_with(|_| {}).await;
    let listed = app.vendor("GET", "/organization/services", None).await.ok(200);
    assert!(listed.as_array().unwrap().iter().all(|s| s["_id"] == s["id"]));
    let no_token = app.vendor_as("", "GET", "/organization/services", None).await;
    assert_eq!(no_token.status, 401);
}

#[tokio::test]
async fn vendor_data_answers_its_organization_id() {
    let app = spawn().await;
    let first = app.vendor("GET", "", None).await.ok(200);
    let org = first["data"]["organizationId"]
        .as_str()
        .expect("organizationId")
        .to_string();
    assert_eq!(org.len(), 24);
    assert!(org.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(org, first["data"]["id"].as_str().unwrap());
    // The same on every call, in every shape VendorData takes.
    let created = app
        .vendor(
            "POST",
            "/service",
            Some(json!({"name": "Org id check", "description": "", "category": EDR_CATEGORY.0, "subcategory": EDR_CATEGORY.1})),
        )
        .await
        .ok(201);
    assert_eq!(created["organizationId"], org.as_str());
}

/// Production's validator has no upper bound, and the SDK sends raw bytes when a vendor forgets
/// its unit setting: such counts are stored, with a lint, and the billing view stays whole.
#[tokio::test]
async fn counts_past_a_billion_are_stored_with_a_bytes_lint() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let five_gib = 5.0 * 1_073_741_824.0;
    app.count(&service, "acme-1", five_gib).await.ok(201);
    let entry = last_entry(&app).await;
    assert_eq!(lint_codes(&entry), vec!["unit_count_looks_like_bytes"]);
    assert!(entry["lints"][0]["message"].as_str().unwrap().contains("5.00 GB"));
    assert!(entry["lints"][0]["fix"].as_str().unwrap().contains("STORAGE_UNIT_TYPE"));
    // A count below 1 GiB, or a fraction (already converted), is no byte count.
    app.count(&service, "acme-1", 1_000_000.0).await.ok(201);
    assert!(lint_codes(&last_entry(&app).await).is_empty());
    app.count(&service, "acme-1", 1_500_000_000.5).await.ok(201);
    assert!(lint_codes(&last_entry(&app).await).is_empty());
    // As large as JSON holds: stored, every figure a finite number.
    app.count(&service, "acme-1", f64::MAX).await.ok(201);
    let billing = app.rebuild().await;
    let card = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap();
    assert_eq!(card["vendorQuantity"], f64::MAX);
    for key in ["difference", "revenueChange", "profitChange"] {
        assert!(card[key].as_f64().is_some_and(f64::is_finite), "{key} = {}", card[key]);
    }
    // The ceiling of what a card holds exactly to the cent (just under 2^46 dollars).
    assert_eq!(card["revenueChange"], 70_368_744_177_663.99);
    // Negative counts stay refused (no client sends one).
    let r = app.count(&service, "acme-1", -1.0).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["message"], json!(["unitCount must not be less than 0"]));
}
