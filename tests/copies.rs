//! What the simulator keeps in memory for speed (the key check's answer per token, the vendor
//! profile's, the organization's and the account and service lists' rendered answers, and
//! group commit's queue) never outlives
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

/// A vendor GET asked twice, so that the second answer is the copy's: both the same.
async fn twice(app: &TestApp, path: &str) -> serde_json::Value {
    let first = app.vendor("GET", path, None).await.ok(200);
    let second = app.vendor("GET", path, None).await.ok(200);
    assert_eq!(first, second, "the same answer twice");
    second
}

async fn org(app: &TestApp) -> serde_json::Value {
    twice(app, "/organization").await
}

/// A vendor GET with the seed's kickoff key, as a reset leaves it.
async fn as_kickoff(app: &TestApp, path: &str) -> serde_json::Value {
    app.vendor_as(&token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY), "GET", path, None)
        .await
        .ok(200)
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
    let reset = as_kickoff(&app, "/organization").await;
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

async fn listed(app: &TestApp, what: &str) -> serde_json::Value {
    twice(app, &format!("/organization/{what}")).await
}

fn mapped_flags(list: &serde_json::Value) -> Vec<(String, bool)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap().to_string(), a["isMapped"].as_bool().unwrap()))
        .collect()
}

fn flags(pairs: &[(&str, bool)]) -> Vec<(String, bool)> {
    pairs.iter().map(|(id, m)| (id.to_string(), *m)).collect()
}

/// The whole account and service lists are answered from a copy while nothing they show
/// changed: each list is asked twice here (the second answer is the copy's), and each must show
/// the write before it, the vendor's, the partner's, a restore's, a disconnect's and a reset's.
#[tokio::test]
async fn the_account_and_service_lists_follow_every_change() {
    let mut app = spawn().await;
    app.reconnect().await;
    let bare_token = app.token.clone();
    app.sim("POST", "/snapshots", Some(json!({"name": "bare"})))
        .await
        .ok(201);
    app.mapped_setup().await;
    let two = listed(&app, "accounts").await;
    assert_eq!(mapped_flags(&two), flags(&[("acme-1", true), ("cedar-1", true)]));
    assert_eq!(listed(&app, "services").await, json!([]));
    app.sim("POST", "/snapshots", Some(json!({"name": "two"})))
        .await
        .ok(201);

    // The vendor's writes: an account, its new name, an organization service.
    app.create_accounts(json!([{"id": "new-1", "name": "New Co", "description": ""}]))
        .await;
    let three = listed(&app, "accounts").await;
    assert_eq!(
        mapped_flags(&three),
        flags(&[("acme-1", true), ("cedar-1", true), ("new-1", false)])
    );
    app.vendor(
        "PATCH",
        "/organization/accounts/new-1",
        Some(json!({"name": "New Co Renamed"})),
    )
    .await
    .ok(200);
    assert_eq!(listed(&app, "accounts").await[2]["name"], "New Co Renamed");
    app.vendor(
        "POST",
        "/organization/services",
        Some(json!({"id": "svc-1", "name": "Backup"})),
    )
    .await
    .ok(201);
    assert_eq!(
        mapped_flags(&listed(&app, "services").await),
        flags(&[("svc-1", false)])
    );

    // The partner's mappings, made and undone.
    app.map_account("new-1", "Cedar Ridge Law, LLP").await;
    let mapped = listed(&app, "accounts").await;
    assert_eq!(mapped[2]["isMapped"], true);
    assert!(mapped[2]["mappingId"].is_string(), "{mapped}");
    app.unmap_account("new-1").await;
    let unmapped = listed(&app, "accounts").await;
    assert_eq!(
        (&unmapped[2]["isMapped"], &unmapped[2]["mappingId"]),
        (&json!(false), &json!(null))
    );
    app.map_service("svc-1", &["SEC-EDR"]).await;
    assert_eq!(mapped_flags(&listed(&app, "services").await), flags(&[("svc-1", true)]));
    // A filtered list beside the copy.
    let only_mapped = app
        .vendor("GET", "/organization/accounts?returnUnmapped=false", None)
        .await
        .ok(200);
    assert_eq!(ids(&only_mapped), ["acme-1", "cedar-1"]);

    // A restore, then a disconnect (the accounts go with it), then a reset.
    app.sim("POST", "/snapshots/two/restore", None).await.ok(200);
    assert_eq!(listed(&app, "accounts").await, two);
    assert_eq!(listed(&app, "services").await, json!([]));
    app.create_accounts(json!([{"id": "new-2", "name": "Other Co", "description": ""}]))
        .await;
    assert_eq!(listed(&app, "accounts").await.as_array().unwrap().len(), 3);
    app.reconnect().await;
    assert_eq!(listed(&app, "accounts").await, json!([]));
    app.create_accounts(json!([{"id": "new-3", "name": "Third Co", "description": ""}]))
        .await;
    assert_eq!(ids(&listed(&app, "accounts").await), ["new-3"]);
    // A restore of a state without accounts (the emptied table was truncated, unseen).
    app.sim("POST", "/snapshots/bare/restore", None).await.ok(200);
    app.token = bare_token;
    assert_eq!(listed(&app, "accounts").await, json!([]));
    app.sim("POST", "/reset", None).await.ok(200);
    let reset = as_kickoff(&app, "/organization/accounts").await;
    assert_eq!(reset, json!([]), "the seed holds no vendor account");
}
