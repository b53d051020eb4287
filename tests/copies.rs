//! What the simulator keeps in memory for speed (the key check's answer per token, the vendor
//! profile's and the organization's rendered answers, and group commit's queue) never outlives
//! the rows it was made of: every answer is what a fresh read would give.

mod common;
use common::*;
use serde_json::json;

async fn status_of(app: &TestApp, token: &str) -> u16 {
    app.vendor_as(token, "GET", "", None).await.status
}

#[tokio::test]
async fn a_token_stops_working_the_moment_its_key_does() {
    let mut app = spawn().await;
    let kickoff = app.token.clone();
    // Each token is used twice, so that its check is answered from the copy.
    for _ in 0..2 {
        assert_eq!(status_of(&app, &kickoff).await, 200);
    }
    app.sim("POST", "/snapshots", Some(json!({"name": "kickoff"})))
        .await
        .ok(201);

    // Regenerate: the old key is revoked in the same commit.
    app.fresh_token().await;
    let fresh = app.token.clone();
    for _ in 0..2 {
        assert_eq!(status_of(&app, &fresh).await, 200);
    }
    assert_eq!(status_of(&app, &kickoff).await, 401);

    // A restore brings the saved keys back, and with them the saved key check.
    app.sim("POST", "/snapshots/kickoff/restore", None).await.ok(200);
    assert_eq!(status_of(&app, &fresh).await, 401);
    assert_eq!(status_of(&app, &kickoff).await, 200);

    // Disconnect, then a reset: each ends the key the vendor held.
    app.fresh_token().await;
    let second = app.token.clone();
    assert_eq!(status_of(&app, &second).await, 200);
    app.disconnect().await;
    assert_eq!(status_of(&app, &second).await, 401);
    app.connect().await;
    app.fresh_token().await;
    let third = app.token.clone();
    assert_eq!(status_of(&app, &third).await, 200);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_eq!(status_of(&app, &third).await, 401);
    assert_eq!(status_of(&app, &kickoff).await, 200);
}

#[tokio::test]
async fn the_vendor_profile_answer_follows_every_change() {
    let mut app = spawn().await;
    app.reconnect().await;
    let before = app.vendor("GET", "", None).await.ok(200);
    assert_eq!(
        app.vendor("GET", "", None).await.ok(200),
        before,
        "the same answer twice"
    );

    app.vendor("PATCH", "", Some(json!({"name": "Pelican Renamed"})))
        .await
        .ok(200);
    let renamed = app.vendor("GET", "", None).await.ok(200);
    assert_eq!(renamed["data"]["name"], "Pelican Renamed");

    let service = app.create_service("Mail Protection").await;
    let with_service = app.vendor("GET", "", None).await.ok(200);
    let skus = with_service["data"]["skus"].as_array().unwrap();
    assert!(skus.iter().any(|s| s["id"] == service.as_str()), "{with_service}");

    app.vendor(
        "PATCH",
        &format!("/service/{service}"),
        Some(json!({"name": "Mail Protection Plus"})),
    )
    .await
    .ok(200);
    let patched = app.vendor("GET", "", None).await.ok(200);
    let sku = patched["data"]["skus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == service.as_str())
        .cloned()
        .unwrap();
    assert_eq!(sku["name"], "Mail Protection Plus");

    // A refused update changes nothing, and the answer says so.
    app.vendor("PATCH", "", Some(json!({"name": 7}))).await;
    assert_eq!(app.vendor("GET", "", None).await.ok(200), patched);

    app.sim("POST", "/reset", None).await.ok(200);
    let reset = app
        .vendor_as(&token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY), "GET", "", None)
        .await
        .ok(200);
    assert_ne!(reset["data"]["name"], "Pelican Renamed");
    assert!(reset["data"]["skus"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["id"] != service.as_str()));
}

#[tokio::test]
async fn last_synced_is_the_last_count_of_the_current_cycle() {
    let mut app = spawn().await;
    app.sim(
        "POST",
        "/clock",
        Some(json!({"freeze": true, "set": "2027-01-31T12:00:00.000Z"})),
    )
    .await
    .ok(200);
    let service = app.mapped_setup().await;
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["lastSyncedAt"], "1900-01-01T00:00:00.000Z", "never synced: {org}");
    app.count(&service, "acme-1", 4.0).await.ok(201);
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["lastSyncedAt"], "2027-01-31T12:00:00.000Z", "{org}");
    app.sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    app.count(&service, "cedar-1", 2.0).await.ok(201);
    // A refused count is no sync.
    app.sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    app.count(&service, "nobody", 2.0).await.ok(404);
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["lastSyncedAt"], "2027-01-31T12:01:00.000Z", "{org}");
    // The status PATCH answers the same integration.
    let patched = app.set_status("active").await.ok(200);
    assert_eq!(patched["data"]["lastSyncedAt"], "2027-01-31T12:01:00.000Z", "{patched}");
    // A new cycle has not synced yet.
    app.reconnect().await;
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["lastSyncedAt"], "1900-01-01T00:00:00.000Z", "{org}");
}

async fn org(app: &TestApp) -> serde_json::Value {
    let first = app.vendor("GET", "/organization", None).await.ok(200);
    let second = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(first, second, "the same answer twice");
    second
}

/// `GET /organization` is answered from a copy while nothing it shows changed: each GET here
/// comes twice, so that the second is the copy's, and each must show the write before it.
#[tokio::test]
async fn the_organization_answer_follows_every_change() {
    let mut app = spawn().await;
    app.sim(
        "POST",
        "/clock",
        Some(json!({"freeze": true, "set": "2027-02-01T09:00:00.000Z"})),
    )
    .await
    .ok(200);
    let service = app.mapped_setup().await;
    let before = org(&app).await;
    assert_eq!(before["lastSyncedAt"], "1900-01-01T00:00:00.000Z", "{before}");
    app.sim("POST", "/snapshots", Some(json!({"name": "unsynced"})))
        .await
        .ok(201);

    // The status, then a count (which, the status being active already, writes only the
    // counts and their summary: the summary is the last sync).
    app.set_status("pending").await.ok(200);
    assert_eq!(org(&app).await["status"], "pending");
    app.set_status("active").await.ok(200);
    assert_eq!(org(&app).await["status"], "active");
    app.count(&service, "acme-1", 4.0).await.ok(201);
    let synced = org(&app).await;
    assert_eq!(synced["lastSyncedAt"], "2027-02-01T09:00:00.000Z", "{synced}");
    app.sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    app.count(&service, "cedar-1", 2.0).await.ok(201);
    assert_eq!(org(&app).await["lastSyncedAt"], "2027-02-01T09:01:00.000Z");

    // The vendor's name.
    app.vendor("PATCH", "", Some(json!({"name": "Pelican Renamed"})))
        .await
        .ok(200);
    assert_eq!(org(&app).await["vendorName"], "Pelican Renamed");

    // A restore empties and re-derives the count summaries: the sync is gone again.
    app.sim("POST", "/snapshots/unsynced/restore", None).await.ok(200);
    let restored = org(&app).await;
    assert_eq!(restored, before, "as saved");

    // A new cycle has not synced; a reset names the seed's partner and vendor again.
    app.count(&service, "acme-1", 5.0).await.ok(201);
    assert_ne!(org(&app).await["lastSyncedAt"], "1900-01-01T00:00:00.000Z");
    app.reconnect().await;
    assert_eq!(org(&app).await["lastSyncedAt"], "1900-01-01T00:00:00.000Z");
    app.sim("POST", "/reset", None).await.ok(200);
    let reset = app
        .vendor_as(
            &token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY),
            "GET",
            "/organization",
            None,
        )
        .await
        .ok(200);
    assert_eq!(reset["vendorName"], before["vendorName"], "{reset}");
}

/// Counts sent at once are group-committed: each answer is its own, a refused one stores
/// nothing, and the pending status turns active exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counts_sent_at_once_are_each_answered_and_stored_alone() {
    let mut app = spawn_with(|c| {
        c.rate_limit = 0;
        c.workers = 4;
    })
    .await;
    let service = app.mapped_setup().await;
    let app = std::sync::Arc::new(app);
    let calls: Vec<_> = (0..120)
        .map(|n| {
            let (app, service) = (app.clone(), service.clone());
            tokio::spawn(async move {
                let account = match n % 3 {
                    0 => "acme-1",
                    1 => "cedar-1",
                    _ => "nobody",
                };
                (n, app.count(&service, account, n as f64).await.status)
            })
        })
        .collect();
    let mut accepted = 0;
    for call in calls {
        let (n, status) = call.await.unwrap();
        let expected = if n % 3 == 2 { 404 } else { 201 };
        assert_eq!(status, expected, "count {n}");
        accepted += (status == 201) as usize;
    }
    assert_eq!(accepted, 80);
    let snapshot = app
        .sim("POST", "/snapshots", Some(json!({"name": "after"})))
        .await
        .ok(201);
    assert!(snapshot["rows"].as_u64().unwrap() > 0);
    let doc = app.sim("GET", "/snapshots/after/export", None).await.ok(200);
    let history = doc["tables"]["unit_count_history"]["rows"].as_array().unwrap();
    assert_eq!(history.len(), 80, "one row per accepted count, none for a refused one");
    let events = doc["tables"]["event"]["rows"].as_array().unwrap();
    let turned_active = events
        .iter()
        .filter(|e| e.to_string().contains("status_auto_active"))
        .count();
    assert_eq!(turned_active, 1, "pending turned active once");
}
