//! CSV usage import: the billing page's other usage source. Every row checked with its own
//! error, nothing stored from a bad file, the usage on cards with its source, and summed with
//! an integration's counts on the same line.

mod common;
use common::*;
use serde_json::{json, Value};

async fn import(app: &TestApp, csv: &str) -> common::Reply {
    app.sim(
        "POST",
        "/usage/csv",
        Some(json!({"csv": csv, "fileName": "pelican-march.csv"})),
    )
    .await
}

async fn state(app: &TestApp) -> Value {
    json!({
        "import": app.sim("GET", "/usage/csv", None).await.ok(200),
        "billing": app.billing().await["cards"],
        "psa": app.sim("GET", "/psa", None).await.body,
    })
}

#[tokio::test]
async fn a_csv_puts_usage_on_cards_with_its_source() {
    let app = spawn().await;
    let csv = "Account Name,Account ID,Product Name,SKU,Quantity,Unit Cost\n\
               Harbor View Realty,,,BKP-GB,200.5,0.03\n\
               ,19301,Security Awareness Training - Per User,,12,\n\
               Harbor View Realty,,,BKP-GB,62.25,\n";
    let out = import(&app, csv).await.ok(200);
    assert_eq!(out["rows"], 3);
    assert_eq!(out["usage"].as_array().unwrap().len(), 2, "rows of one pair are summed");
    let b = app.billing().await;
    let gb = card_for(&b, "Harbor View Realty", "BKP-GB").unwrap();
    assert_eq!(gb["type"], "reconcile");
    assert_eq!(gb["vendorQuantity"], 262.75);
    assert_eq!(gb["usageSources"], json!(["csv"]));
    assert_eq!(
        gb["vendors"],
        json!([{"id": "csv-import", "name": "CSV import (pelican-march.csv)"}])
    );
    let sat = card_for(&b, "Acme Corp", "SEC-SAT").unwrap();
    assert_eq!(sat["type"], "new_revenue");
    assert_eq!(sat["vendorQuantity"], 12.0);
    let current = app.sim("GET", "/usage/csv", None).await.ok(200);
    assert_eq!(current["fileName"], "pelican-march.csv");
    assert_eq!(current["usage"][1]["rows"], json!([2, 4]));

    // A new file replaces the last one; DELETE removes it and the cards lose the usage.
    import(&app, "Account Name,SKU,Quantity\nAcme Corp,SEC-SAT,15\n")
        .await
        .ok(200);
    let b = app.billing().await;
    assert_eq!(
        card_for(&b, "Harbor View Realty", "BKP-GB").unwrap()["type"],
        "psa_only"
    );
    assert_eq!(card_for(&b, "Acme Corp", "SEC-SAT").unwrap()["vendorQuantity"], 15.0);
    assert_eq!(app.sim("DELETE", "/usage/csv", None).await.ok(200)["removed"], 1);
    assert!(card_for(&app.billing().await, "Acme Corp", "SEC-SAT").is_none());
}

#[tokio::test]
async fn csv_usage_adds_to_an_integrations_count_on_the_same_line() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 40.0).await.ok(201);
    import(&app, "Account Name,SKU,Quantity\nAcme Corp,SEC-EDR,8\n")
        .await
        .ok(200);
    let b = app.billing().await;
    let edr = card_for(&b, "Acme Corp", "SEC-EDR").unwrap();
    assert_eq!(edr["vendorQuantity"], 48.0);
    assert_eq!(edr["usageSources"], json!(["integration", "csv"]));
    assert_eq!(edr["type"], "reconcile");
}

#[tokio::test]
async fn a_bad_file_names_every_bad_row_and_stores_nothing() {
    let app = spawn().await;
    import(&app, "Account Name,SKU,Quantity\nAcme Corp,SEC-SAT,5\n")
        .await
        .ok(200);
    let before = state(&app).await;
    let bad = "Account Name,SKU,Quantity\n\
               Acme Corp,SEC-SAT,7\n\
               \n\
               Acme Corporation,SEC-SAT,1\n\
               Kestrel Ventures,MS-WKS,2\n\
               Acme Corp,SEC-XXX,3\n\
               Acme Corp,SEC-EDR,\"1,5\"\n";
    let r = import(&app, bad).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(
        r.body["message"],
        json!([
            "row 3 is blank: the import fails on blank rows, delete it",
            "row 4: no PSA account named \"Acme Corporation\" (names match exactly)",
            "row 5: \"Kestrel Ventures\" is not on the billing page (a prospect, or no active contract)",
            "row 6: no PSA product with SKU \"SEC-XXX\"",
            "row 7: Quantity \"1,5\" is not a number: use a dot for decimals and no thousands separators",
        ])
    );
    assert_eq!(r.body["error"], "Bad Request");
    assert_eq!(state(&app).await, before, "a refused file changes nothing");

    for (body, message) in [
        (json!({}), "csv must be a string"),
        (json!({"csv": "x", "aggregate": "yes"}), "aggregate must be a boolean value"),
        (json!({"csv": "Name,Count\nAcme,1\n"}), "row 1 must be the header, naming Quantity, Account Name or Account ID, and SKU or Product Name (template: Account Name,Account ID,Product Name,SKU,Quantity,Unit Cost)"),
        (json!({"csv": "Account Name,SKU,Quantity\nAcme Corp,SEC-SAT,1\nAcme Corp,SEC-SAT,2\n", "aggregate": false}), "row 3: Acme Corp and SEC-SAT were already on row 2; turn on aggregate to sum them"),
    ] {
        let r = app.sim("POST", "/usage/csv", Some(body)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.body["message"], json!([message]));
        assert_eq!(state(&app).await, before);
    }
}
