//! The lints learned from real clients' defects that only a run of calls shows: each lands on
//! the call's journal entry, in the QA report, and as a warning on the checklist step it spoils.

mod common;
use common::*;
use serde_json::{json, Value};

async fn report(app: &TestApp) -> Value {
    app.sim("GET", "/qa/report", None).await.ok(200)["reports"][0].clone()
}

async fn qa_step(app: &TestApp, key: &str) -> Value {
    let qa = app.sim("GET", "/qa", None).await.ok(200);
    qa[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap()
        .clone()
}

#[tokio::test]
async fn the_catalogue_read_again_between_counts_is_named_on_the_count() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.vendor("GET", "", None).await.ok(200);
    app.count(&service, "acme-1", 5.0).await.ok(201);
    let first = &app.journal("route=/count").await[0];
    assert!(
        !lint_codes(first).contains(&"catalogue_refetched"),
        "read once before the sync"
    );
    app.vendor("GET", "", None).await.ok(200);
    app.count(&service, "cedar-1", 6.0).await.ok(201);
    let second = &app.journal("route=/count").await[0];
    assert_eq!(lint_codes(second), ["catalogue_refetched"], "{second:#}");
    assert!(report_lint_codes(&report(&app).await).contains(&"catalogue_refetched"));
    let sync = qa_step(&app, "sync_initiated").await;
    assert!(
        sync["warning"].as_str().unwrap_or("").contains("once per sync"),
        "{sync:#}"
    );
}

#[tokio::test]
async fn pending_set_while_active_is_a_demotion() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    app.set_status("active").await.ok(200);
    app.set_status("pending").await.ok(200);
    let entry = &app.journal("route=/status").await[0];
    assert_eq!(lint_codes(entry), ["status_demoted"], "{entry:#}");
    let next = qa_step(&app, "next_lit").await;
    let warning = next["warning"].as_str().unwrap_or("");
    assert!(
        warning.contains("Set pending only at the first authentication"),
        "{next:#}"
    );
}

#[tokio::test]
async fn a_unit_count_that_is_no_number_and_bracketed_query_keys() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let r = app
        .vendor(
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"accountId": "acme-1", "unitCount": "5"})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let entry = &app.journal("route=/count").await[0];
    assert!(lint_codes(entry).contains(&"unit_count_not_number"), "{entry:#}");

    app.vendor("GET", "/organization/accounts?accountIds[]=acme-1", None)
        .await
        .ok(200);
    let entry = &app.journal("route=/organization/accounts").await[0];
    assert_eq!(lint_codes(entry), ["multi_value_query_param"], "{entry:#}");
    // The plain forms are not named.
    app.vendor("GET", "/organization/accounts?accountIds=acme-1,cedar-1", None)
        .await
        .ok(200);
    assert!(lint_codes(&app.journal("route=/organization/accounts").await[0]).is_empty());
}

#[tokio::test]
async fn a_run_ending_on_no_build_is_named_in_the_report_and_the_checklist() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 5.0).await.ok(201);
    // Its debounced rebuild runs before the run's last count.
    for _ in 0..200 {
        if app.billing().await["pendingRebuild"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    app.vendor(
        "POST",
        &format!("/service/{service}/count?no_build=true"),
        Some(json!({"accountId": "cedar-1", "unitCount": 7})),
    )
    .await
    .ok(201);
    let r = report(&app).await;
    assert!(report_lint_codes(&r).contains(&"rebuild_never_triggered"), "{r:#}");
    let usage = qa_step(&app, "usage_visible").await;
    assert_eq!(usage["done"], true, "the first count was rebuilt: {usage:#}");
    assert!(
        usage["warning"].as_str().unwrap_or("").contains("no_build=true"),
        "{usage:#}"
    );

    // A count after it that rebuilds clears both.
    app.count(&service, "cedar-1", 7.0).await.ok(201);
    app.rebuild().await;
    let r = report(&app).await;
    assert!(!report_lint_codes(&r).contains(&"rebuild_never_triggered"), "{r:#}");
}
