//! The account-mapping step's view is read in one listing (a vendor's first sync at a large
//! MSP brings 100,000 accounts): each row shows what the account's own mapping holds.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn each_account_row_shows_its_own_mapping_in_creation_order() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    app.create_accounts(json!([{"id": "zed-1", "name": "Zed Unknown", "description": "none of the PSA"}]))
        .await;
    let view = app
        .sim("GET", &format!("/integrations/{INTEGRATION}/mappings"), None)
        .await
        .ok(200);
    let rows = view["accounts"].as_array().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["acme-1", "cedar-1", "zed-1"]);
    let acme = &rows[0];
    assert_eq!(
        (&acme["name"], &acme["psaAccountName"], &acme["source"]),
        (&json!("Acme Corp"), &json!("Acme Corp"), &json!("auto")),
        "{acme}"
    );
    assert_eq!(acme["psaAccountId"], app.psa_account_id("Acme Corp").await);
    assert!(acme["mappingId"].is_string(), "{acme}");
    let cedar = &rows[1];
    assert_eq!(
        (&cedar["psaAccountName"], &cedar["source"]),
        (&json!("Cedar Ridge Law, LLP"), &json!("manual")),
        "{cedar}"
    );
    assert_ne!(cedar["mappingId"], acme["mappingId"]);
    let zed = &rows[2];
    assert_eq!(zed["description"], "none of the PSA");
    for field in ["psaAccountId", "psaAccountName", "source", "mappingId"] {
        assert!(zed[field].is_null(), "{field}: {zed}");
    }
    // The mapping a hand-map answers is the row the view then shows.
    let mapped = app.map_account("zed-1", "Delta Logistics Inc.").await;
    let view = app
        .sim("GET", &format!("/integrations/{INTEGRATION}/mappings"), None)
        .await
        .ok(200);
    let zed = &view["accounts"][2];
    for field in [
        "id",
        "name",
        "description",
        "psaAccountId",
        "psaAccountName",
        "source",
        "mappingId",
    ] {
        assert_eq!(zed[field], mapped[field], "{field}: {mapped} against {zed}");
    }
}
