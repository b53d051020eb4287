//! At scale and on a file database (WAL, with read connections beside the writer): every write
//! reads back at once, in order, through the incremental QA facts, and survives a restart.
//! Correctness only: the speed of these paths is measured by bench/, never asserted here.

mod common;

use common::*;
use serde_json::{json, Value};

/// The evidence the checklist shows for one step of the integration.
async fn evidence(app: &TestApp, key: &str) -> String {
    let list = app
        .sim("GET", &format!("/qa?integrationId={INTEGRATION}"), None)
        .await
        .ok(200);
    let steps = list[0]["steps"].as_array().unwrap();
    let step = steps.iter().find(|s| s["key"] == key).unwrap();
    step["evidence"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn a_bulk_sync_on_a_file_database_reads_back_at_once_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db").to_str().unwrap().to_string();
    let db2 = db.clone();
    let (mut app, store) = spawn_with_store(move |c| c.db = db2).await;
    let service = app.mapped_setup().await;
    // 3,000 more accounts in three bulk bodies, each read back by the very next request.
    for chunk in 0..3 {
        let body: Vec<Value> = (0..1000)
            .map(|i| json!({"id": format!("bulk-{chunk}-{i:04}"), "name": format!("Bulk {chunk} {i}")}))
            .collect();
        app.create_accounts(Value::Array(body)).await;
        let listed = app.vendor("GET", "/organization/accounts", None).await.ok(200);
        let ids: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2 + 1000 * (chunk + 1));
        assert_eq!(ids[ids.len() - 1], format!("bulk-{chunk}-0999"), "creation order kept");
    }
    // The checklist counts every account of every bulk post (folded, not re-read).
    let synced = evidence(&app, "accounts_synced").await;
    assert!(synced.starts_with("3002 account(s)"), "{synced}");
    for n in 0..50 {
        app.count(&service, "acme-1", n as f64).await.ok(201);
    }
    assert_eq!(
        evidence(&app, "sync_initiated").await,
        "50 count(s) accepted for mapped accounts and services"
    );
    // A snapshot carries no derived table: a restore recomputes the checklist's facts.
    app.sim("POST", "/snapshots", Some(json!({"name": "synced"})))
        .await
        .ok(201);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_ne!(
        evidence(&app, "sync_initiated").await,
        "50 count(s) accepted for mapped accounts and services"
    );
    app.sim("POST", "/snapshots/synced/restore", None).await.ok(200);
    assert_eq!(evidence(&app, "accounts_synced").await, synced);
    assert_eq!(
        evidence(&app, "sync_initiated").await,
        "50 count(s) accepted for mapped accounts and services"
    );
    let before = app.snapshot().await;
    // A second simulator on the same file (after a clean stop, as at a restart) sees all of it.
    store.close().unwrap();
    let mut again = spawn_with(move |c| c.db = db).await;
    again.token = app.token.clone();
    assert!(again.snapshot().await == before, "the state after a restart differs");
    assert_eq!(evidence(&again, "accounts_synced").await, synced);
}

#[tokio::test]
async fn the_large_seed_is_selectable_by_name() {
    let app = spawn_with(|c| c.seed = Some("large".into())).await;
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    assert_eq!(psa["companies"].as_array().unwrap().len(), 1000);
    assert_eq!(psa["products"].as_array().unwrap().len(), 50);
    let lines: usize = psa["companies"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["agreements"].as_array().unwrap())
        .map(|a| a["lines"].as_array().unwrap().len())
        .sum();
    assert_eq!(lines, 10_000);
    let billing = app.billing().await;
    assert_eq!(billing["cards"].as_array().unwrap().len(), 10_000);
    // The demo vendor and its kickoff key are the default seed's.
    app.vendor("GET", "", None).await.ok(200);
}
