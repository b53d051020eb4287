//! Scenarios: each one, pushed in one call, ends on the service cards it is meant to show, and
//! gets there through the vendor API and `/sim` (the journal and the QA facts say so).

mod common;
use common::*;
use serde_json::{json, Value};

async fn run(app: &TestApp, name: &str) -> Value {
    app.sim("POST", &format!("/scenarios/{name}"), None).await.ok(200)
}

/// (type, PSA quantity, vendor quantity) of one card.
fn card(b: &Value, account: &str, code: &str) -> (String, f64, f64) {
    let c = card_for(b, account, code).unwrap_or_else(|| panic!("no card {account} {code}"));
    (
        c["type"].as_str().unwrap().into(),
        c["psaQuantity"].as_f64().unwrap(),
        c["vendorQuantity"].as_f64().unwrap_or(f64::NAN),
    )
}

fn fed_cards(b: &Value) -> Vec<&Value> {
    b["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["vendorQuantity"].is_number())
        .collect()
}

#[tokio::test]
async fn scenarios_are_listed_with_the_cards_they_show() {
    let app = spawn().await;
    let list = app.sim("GET", "/scenarios", None).await.ok(200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "all-in-sync",
            "under-billed",
            "over-billed",
            "new-revenue",
            "decimal-usage",
            "large-msp",
            "month-in-the-life"
        ]
    );
    assert_eq!(list[0]["steps"], json!([]), "one sync, no named steps");
    assert_eq!(list[6]["steps"][0], "setup");
    assert_eq!(list[4]["title"], "Decimal usage (storage in GB)");
    let before = app.snapshot().await;
    let r = app.sim("POST", "/scenarios/nope", None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "No scenario found with name: nope");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn all_in_sync_ends_on_no_change_cards_through_the_real_paths() {
    let app = spawn().await;
    let out = run(&app, "all-in-sync").await;
    assert_eq!(out["cards"], json!({"no_change": 9}));
    assert_eq!(out["countsAccepted"], 9);
    let b = app.billing().await;
    assert_eq!(card(&b, "Acme Corp", "SEC-EDR"), ("no_change".into(), 45.0, 45.0));
    assert_eq!(
        card(&b, "Juniper Family Practice", "SEC-EMAIL"),
        ("no_change".into(), 17.0, 17.0)
    );
    assert!(fed_cards(&b).iter().all(|c| c["type"] == "no_change"));
    // Through the vendor API: the journal has the calls, no_build on all counts but the last.
    let counts = app.sim("GET", "/journal?route=/count", None).await.ok(200);
    let entries = counts["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 9);
    assert_eq!(
        entries
            .iter()
            .filter(|e| !e["query"].as_str().unwrap().contains("no_build=true"))
            .count(),
        1
    );
    // And the partner's side through /sim: the integration is connected, its steps recorded.
    let card = app.card().await;
    assert_eq!(card["state"], "connected", "{card}");
    let m = app.mappings().await;
    let source = |id: &str| {
        m["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap()["source"]
            .clone()
    };
    assert_eq!(source("pel-acme"), "auto", "exact names map themselves");
    assert_eq!(source("pel-delta"), "manual", "the partner maps the others");
    let calls = app.sim("GET", "/journal", None).await.ok(200);
    let routes: Vec<String> = calls["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["method"].as_str().unwrap(), e["route"].as_str().unwrap()))
        .collect();
    for call in [
        "PATCH /api/vendor-api/organization/status/{status}",
        "POST /api/vendor-api/organization/accounts",
        "POST /api/vendor-api/service",
    ] {
        assert!(routes.iter().any(|r| r == call), "{call} not in {routes:?}");
    }
}

#[tokio::test]
async fn under_billed_ends_on_reconcile_cards_with_revenue_to_gain() {
    let app = spawn().await;
    let out = run(&app, "under-billed").await;
    assert_eq!(out["cards"], json!({"reconcile": 6}));
    let b = app.billing().await;
    assert_eq!(
        card(&b, "Cedar Ridge Law, LLP", "SEC-EDR"),
        ("reconcile".into(), 29.0, 34.0)
    );
    assert!(fed_cards(&b).iter().all(|c| c["revenueChange"].as_f64().unwrap() > 0.0));
}

#[tokio::test]
async fn over_billed_ends_on_reconcile_cards_with_revenue_to_lose() {
    let app = spawn().await;
    let out = run(&app, "over-billed").await;
    assert_eq!(out["cards"], json!({"reconcile": 5}));
    let b = app.billing().await;
    assert_eq!(
        card(&b, "Foxtrot Manufacturing Co.", "SEC-EDR"),
        ("reconcile".into(), 103.0, 95.0)
    );
    assert!(fed_cards(&b).iter().all(|c| c["revenueChange"].as_f64().unwrap() < 0.0));
}

#[tokio::test]
async fn new_revenue_ends_on_new_cards() {
    let app = spawn().await;
    let out = run(&app, "new-revenue").await;
    assert_eq!(out["cards"], json!({"new_revenue": 4}));
    let b = app.billing().await;
    assert_eq!(
        card(&b, "Harbor View Realty", "SEC-SAT"),
        ("new_revenue".into(), 0.0, 12.0)
    );
    assert!(fed_cards(&b).iter().all(|c| c["isNew"] == true));
}

#[tokio::test]
async fn decimal_usage_keeps_its_decimals() {
    let app = spawn().await;
    let out = run(&app, "decimal-usage").await;
    assert_eq!(out["cards"], json!({"reconcile": 1, "new_revenue": 2}));
    let b = app.billing().await;
    assert_eq!(
        card(&b, "Harbor View Realty", "BKP-GB"),
        ("reconcile".into(), 250.5, 262.75)
    );
    let c = card_for(&b, "Harbor View Realty", "BKP-GB").unwrap();
    assert_eq!(c["difference"], 12.25);
    assert_eq!(c["revenueChange"], 1.23); // 12.25 GB × $0.10, to the cent
    assert_eq!(
        card(&b, "Granite Peak Credit Union", "BKP-GB"),
        ("new_revenue".into(), 0.0, 1024.5)
    );
}

#[tokio::test]
async fn a_large_msp_has_hundreds_of_accounts_and_every_card_type() {
    let app = spawn().await;
    let out = run(&app, "large-msp").await;
    assert_eq!(out["accounts"], 300);
    assert_eq!(out["notMapped"], json!([]));
    assert_eq!(
        out["cards"],
        json!({"no_change": 150, "reconcile": 150, "new_revenue": 30})
    );
    let b = app.billing().await;
    assert!(b["cards"].as_array().unwrap().len() > 600);
    // RESET goes back to the seed: the large MSP's customers are gone again.
    app.sim("POST", "/reset", None).await.ok(200);
    assert_eq!(app.mappings().await["psaAccounts"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn scenarios_run_on_every_psa_seed() {
    let app = spawn_with(|c| c.seed = Some("autotask".into())).await;
    let out = run(&app, "under-billed").await;
    assert_eq!(out["cards"], json!({"reconcile": 6}));
    let b = app.billing().await;
    assert_eq!(b["psa"]["kind"], "autotask");
    assert_eq!(
        card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["contractName"],
        "Managed Services Contract"
    );
}

#[tokio::test]
async fn a_scenario_runs_under_tls_too() {
    // Under --tls the scenario's calls to the server itself go over HTTPS.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db").to_string_lossy().into_owned();
    let mut config = synthesize_sim::config::Config::for_tests();
    config.tls = true;
    config.db = db;
    let app = synthesize_sim::Application::build(config).expect("simulator builds with --tls");
    let base = format!("https://127.0.0.1:{}", app.port());
    tokio::spawn(app.server());
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("{base}/sim/scenarios/new-revenue"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let out: Value = r.json().await.unwrap();
    assert_eq!(out["cards"], json!({"new_revenue": 4}), "{out}");
}

#[tokio::test]
async fn a_scenario_passes_the_control_token_on_its_own_partner_calls() {
    // With a control token (required beyond loopback), the scenario's /sim calls carry it.
    let app = spawn_with(|c| c.control_token = Some("demo-control-token".into())).await;
    let r = app
        .send(
            app.client
                .post(app.url("/sim/scenarios/all-in-sync"))
                .header("x-sim-control-token", "demo-control-token")
                .json(&json!({})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["cards"], json!({"no_change": 9}));
}

#[tokio::test]
async fn one_scenario_at_a_time() {
    let app = std::sync::Arc::new(spawn().await);
    let first = {
        let app = app.clone();
        tokio::spawn(async move { app.sim("POST", "/scenarios/large-msp", None).await })
    };
    // The large MSP takes seconds (300 accounts, 330 counts at 100 requests a second).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let second = app.sim("POST", "/scenarios/all-in-sync", None).await;
    assert_eq!(second.status, 409, "{}", second.text);
    assert_eq!(
        second.body["message"],
        "A scenario is already running: wait for it to finish"
    );
    assert_eq!(second.body, documented_409("alreadyRunning"), "the documented example");
    assert_eq!(first.await.unwrap().status, 200);
}
