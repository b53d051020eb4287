//! Other PSAs: the Autotask and HaloPSA seeds, chosen at start (`--seed NAME`) or by a reset,
//! with their words and effective-date rules on the billing page and its actions.

mod common;
use common::*;
use serde_json::{json, Value};

fn first_of_next_month() -> String {
    synthesize_sim::domain::psa::first_of_next_month(chrono::Utc::now().date_naive()).to_string()
}

/// A mapped integration with one reconcile card (Acme Corp EDR, PSA 45, vendor `units`).
async fn reconcile_card(app: &mut TestApp, units: f64) -> Value {
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", units).await.ok(201);
    let b = app.rebuild().await;
    card_for(&b, "Acme Corp", "SEC-EDR").unwrap().clone()
}

async fn approve(app: &TestApp, card: &Value) -> Value {
    let path = format!("/billing/cards/{}/approve", card["id"].as_str().unwrap());
    app.sim("POST", &path, None).await.ok(200)
}

#[tokio::test]
async fn autotask_words_first_of_month_dates_and_whole_quantities() {
    let mut app = spawn_with(|c| c.seed = Some("autotask".into())).await;
    let info = app.sim("GET", "/info", None).await.ok(200);
    assert_eq!(info["partner"]["psa"], "Datto Autotask PSA");
    assert_eq!(info["seed"], "autotask");
    // Only accounts of type Customer reach Synthesize: the Vendor and the Prospect do not.
    let names: Vec<Value> = app.mappings().await["psaAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert!(names.contains(&json!("Acme Corp")));
    assert!(!names.contains(&json!("Northwind Supply")) && !names.contains(&json!("Kestrel Ventures")));

    let card = reconcile_card(&mut app, 47.6).await;
    let b = app.billing().await;
    assert_eq!(b["psa"]["kind"], "autotask");
    assert_eq!(
        b["psa"]["terms"],
        json!({"account": "Account", "contract": "Contract", "service": "Service", "board": "Queue"})
    );
    assert_eq!(b["psa"]["effectiveRule"], "first_of_next_month");
    assert_eq!(b["psa"]["takesDecimals"], false);
    assert_eq!(card["contractName"], "Managed Services Contract");

    // A date that is not the 1st is refused, and nothing changes.
    let before = app.snapshot().await;
    let r = app
        .sim(
            "POST",
            &format!("/billing/cards/{}/adjust", card["id"].as_str().unwrap()),
            Some(json!({"effectiveDate": "2026-12-15"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(
        r.text
            .contains("Autotask applies contract service changes from the 1st (e.g. 2027-01-01)"),
        "{}",
        r.text
    );
    assert_eq!(app.snapshot().await, before);

    // Approve: effective on the 1st of next month, 47.6 written back as 48.
    let ok = approve(&app, &card).await;
    assert_eq!(ok["effectiveDate"], json!(first_of_next_month()));
    assert_eq!(ok["psaQuantity"], 48.0);
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    assert!(psa.to_string().contains(&first_of_next_month()));
}

#[tokio::test]
async fn connectwise_approves_at_once_and_keeps_decimals() {
    let mut app = spawn().await;
    let card = reconcile_card(&mut app, 47.5).await;
    let b = app.billing().await;
    assert_eq!(b["psa"]["terms"]["contract"], "Agreement");
    assert_eq!(b["psa"]["effectiveRule"], "immediate");
    let ok = approve(&app, &card).await;
    assert_eq!(ok["effectiveDate"], json!(chrono::Utc::now().date_naive().to_string()));
    assert_eq!(ok["psaQuantity"], 47.5);
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    assert!(psa.to_string().contains("47.5"), "decimals reach the ConnectWise line");
}

#[tokio::test]
async fn a_reset_switches_the_seed_and_refuses_unknown_names() {
    let app = spawn().await;
    let seeds = app.sim("GET", "/seeds", None).await.ok(200);
    let names: Vec<&str> = seeds
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, synthesize_sim::store::seed::embedded_names());
    assert!(names.starts_with(&["flamingo", "autotask", "halopsa"]));
    assert_eq!(seeds[0]["current"], true);

    let before = app.snapshot().await;
    let r = app.sim("POST", "/reset", Some(json!({"seed": "kaseya"}))).await;
    assert_eq!(r.status, 400);
    let expected = format!(
        "seed must be one of the following values: {}",
        synthesize_sim::store::seed::embedded_names().join(", ")
    );
    assert_eq!(r.body["message"], json!([expected]));
    assert_eq!(app.snapshot().await, before);

    let r = app
        .sim("POST", "/reset", Some(json!({"seed": "halopsa"})))
        .await
        .ok(200);
    assert_eq!(r["seed"], "halopsa");
    let b = app.billing().await;
    assert_eq!(b["psa"]["kind"], "halopsa");
    assert_eq!(b["psa"]["terms"]["account"], "Customer");
    assert_eq!(b["psa"]["approvalDate"], json!(first_of_next_month()));
    // A plain reset keeps the chosen seed; the seeded keys still work on every seed.
    app.sim("POST", "/reset", None).await.ok(200);
    assert_eq!(app.sim("GET", "/info", None).await.ok(200)["partner"]["psa"], "HaloPSA");
    assert_eq!(
        app.vendor("GET", "/organization", None).await.ok(200)["name"],
        "Flamingo Demo MSP (HaloPSA)"
    );
    let seeds = app.sim("GET", "/seeds", None).await.ok(200);
    assert_eq!(seeds[2]["current"], true);
}
