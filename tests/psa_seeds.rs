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

/// Gradient's six PSAs: Kaseya BMS, Pulseway PSA and Syncro are seeded like the first three,
/// each with its own words (BMS and Pulseway bill through contracts and services, Syncro through
/// recurring invoices and their line items), the fields its setup guide asks for, and a sync
/// that shows every card type.
#[tokio::test]
async fn bms_pulseway_and_syncro_each_have_their_words_setup_fields_and_every_card_type() {
    let cases = [
        (
            "bms",
            "Kaseya BMS",
            ["Account", "Contract", "Service", "Queue"],
            "Company Name (Tenant ID)",
            "Managed Services Contract",
        ),
        (
            "pulseway",
            "Pulseway PSA",
            ["Account", "Contract", "Service", "Queue"],
            "FQDN",
            "Managed Services Contract",
        ),
        (
            "syncro",
            "Syncro",
            [
                "Customer",
                "Recurring Invoice",
                "Recurring Invoice Line Item",
                "Issue Type",
            ],
            "Domain Prefix",
            "Monthly Managed Services",
        ),
    ];
    for (key, psa, [account, contract, service, board], field, contract_name) in cases {
        let app = spawn_with(|c| c.seed = Some(key.into())).await;
        let info = app.sim("GET", "/info", None).await.ok(200);
        assert_eq!(info["partner"]["psa"], psa);
        assert_eq!(info["psa"]["kind"], key);
        let fields: Vec<&str> = info["psa"]["setupFields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["label"].as_str().unwrap())
            .collect();
        assert!(fields.contains(&field), "{key}: {fields:?}");

        let shown = app.sim("POST", "/scenarios/decimal-usage", None).await.ok(200);
        assert_eq!(shown["cards"], json!({"reconcile": 1, "new_revenue": 2}), "{key}");
        let b = app.billing().await;
        assert_eq!(
            b["psa"]["terms"],
            json!({"account": account, "contract": contract, "service": service, "board": board}),
            "{key}"
        );
        assert_eq!(b["psa"]["effectiveRule"], "first_of_next_month");
        assert_eq!(b["psa"]["approvalDate"], json!(first_of_next_month()));
        assert_eq!(
            card_for(&b, "Harbor View Realty", "BKP-GB").unwrap()["contractName"],
            contract_name
        );
        assert!(b["cards"].as_array().unwrap().iter().any(|c| c["type"] == "psa_only"));
        let in_sync = app.sim("POST", "/scenarios/all-in-sync", None).await.ok(200);
        assert_eq!(in_sync["cards"], json!({"no_change": 9}), "{key}");
        // The inactive contract's customer and the prospect never reach Synthesize.
        let names = app.mappings().await["psaAccounts"].to_string();
        assert!(
            !names.contains("Orchard Dental Studio") && !names.contains("Kestrel Ventures"),
            "{key}"
        );
    }
}

/// A partner of each new PSA is created beside the seed's, copying that PSA's seed.
#[tokio::test]
async fn a_partner_may_be_created_on_each_of_the_six_psas() {
    let app = spawn().await;
    for (key, psa) in [
        ("connectwise", "ConnectWise PSA"),
        ("autotask", "Datto Autotask PSA"),
        ("halopsa", "HaloPSA"),
        ("bms", "Kaseya BMS"),
        ("pulseway", "Pulseway PSA"),
        ("syncro", "Syncro"),
    ] {
        let made = app.sim("POST", "/partners", Some(json!({"psa": key}))).await.ok(201);
        assert_eq!(made["psa"], psa);
        let id = made["partnerId"].as_str().unwrap();
        let b = app.sim("GET", &format!("/billing?partnerId={id}"), None).await.ok(200);
        assert_eq!(b["psa"]["kind"], key);
        assert!(
            !b["cards"].as_array().unwrap().is_empty(),
            "{key}: its seed's PSA lines"
        );
    }
}
