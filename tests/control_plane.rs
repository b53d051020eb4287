//! The control plane for CI: time travel, determinism, snapshots, and the partner-side
//! events a vendor's integration must survive.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const T0: &str = "2027-01-31T12:00:00.000Z";

/// Polls (bounded: 5 s) until `f` holds.
async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 5 s");
}

/// Everything an error must leave alone: the stored state, the snapshots, and a frozen clock
/// (a running one moves by itself).
async fn untouched(app: &TestApp) -> Value {
    let clock = app.sim("GET", "/clock", None).await.body;
    json!({
        "stored": app.stored().await,
        "snapshots": app.sim("GET", "/snapshots", None).await.body,
        "clock": if clock["frozen"] == true { clock } else { json!("running") },
    })
}

/// A /sim error: the shape, the message, and nothing stored changed (clock and snapshots too).
async fn refused(app: &TestApp, method: &str, path: &str, body: Option<Value>, status: u16, says: &str) {
    let before = untouched(app).await;
    let r = app.sim(method, path, body).await;
    assert_eq!(r.status, status, "{method} {path}: {}", r.text);
    assert_eq!(r.content_type, "application/json; charset=utf-8");
    assert_eq!(r.body["statusCode"], status);
    assert!(r.body["error"].is_string(), "{}", r.text);
    assert!(
        r.body["message"].to_string().contains(says),
        "{method} {path}: {} should say {says:?}",
        r.text
    );
    assert!(untouched(app).await == before, "{method} {path} changed something");
}

// --- time travel ---------------------------------------------------------------------

#[tokio::test]
async fn clock_freezes_sets_and_advances() {
    let app = spawn().await;
    let c = app.sim("GET", "/clock", None).await.ok(200);
    assert_eq!(c["frozen"], false);
    assert!(c["now"].as_str().unwrap().ends_with('Z'));

    let c = app
        .sim("POST", "/clock", Some(json!({"set": T0, "freeze": true})))
        .await
        .ok(200);
    assert_eq!(c, json!({"now": T0, "frozen": true}));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(app.sim("GET", "/clock", None).await.ok(200)["now"], T0);

    let c = app
        .sim("POST", "/clock", Some(json!({"advanceMs": 86_400_000})))
        .await
        .ok(200);
    assert_eq!(c, json!({"now": "2027-02-01T12:00:00.000Z", "frozen": true}));

    let c = app.sim("POST", "/clock", Some(json!({"freeze": false}))).await.ok(200);
    assert_eq!(c["frozen"], false);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let now = app.sim("GET", "/clock", None).await.ok(200)["now"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        now.as_str() > "2027-02-01T12:00:00.000Z" && now.as_str() < "2027-02-01T12:01:00.000Z",
        "{now}"
    );
    let c = app.sim("POST", "/clock", Some(json!({"freeze": true}))).await.ok(200);
    assert_eq!(c["frozen"], true);
}

#[tokio::test]
async fn start_frozen_with_the_clock_flag() {
    let app = spawn_with(|c| c.clock = Some("2027-03-01T08:30:00+01:00".into())).await;
    assert_eq!(
        app.sim("GET", "/clock", None).await.ok(200),
        json!({"now": "2027-03-01T07:30:00.000Z", "frozen": true})
    );
    let bad = synthesize_sim::Application::build({
        let mut c = synthesize_sim::config::Config::for_tests();
        c.clock = Some("next tuesday".into());
        c
    });
    assert!(matches!(bad, Err(e) if e.to_string().contains("--clock")));
}

#[tokio::test]
async fn bad_clock_bodies_are_refused_and_move_nothing() {
    let app = spawn_with(|c| c.clock = Some(T0.into())).await;
    for (body, says) in [
        (json!({}), "one of freeze, set or advanceMs is required"),
        (json!({"freeze": "yes"}), "freeze must be a boolean value"),
        (json!({"set": "2027-01-31"}), "set must be a valid ISO 8601 date string"),
        (json!({"set": 5}), "set must be a valid ISO 8601 date string"),
        (json!({"advanceMs": -1}), "advanceMs must not be less than 0"),
        (json!({"advanceMs": 1.5}), "advanceMs must be an integer number"),
        (json!({"advanceMs": 1e18}), "advanceMs must be an integer number"),
        (
            json!({"advanceMs": 10_000_000_000_000_i64}),
            "advanceMs must not be greater than",
        ),
        (json!({"rewind": true}), "property rewind should not exist"),
        // One bad field refuses the whole body: the good one does not apply either.
        (
            json!({"advanceMs": 1000, "freeze": 1}),
            "freeze must be a boolean value",
        ),
        (json!([1]), "the body must be a JSON object"),
    ] {
        refused(&app, "POST", "/clock", Some(body), 400, says).await;
    }
    let r = app.sim("POST", "/clock", None).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(app.sim("GET", "/clock", None).await.ok(200)["now"], T0);
}

#[tokio::test]
async fn stored_times_follow_the_clock() {
    let mut app = spawn_with(|c| c.clock = Some(T0.into())).await;
    let service = app.mapped_setup().await;
    let card = app.card().await;
    assert_eq!(card["tokenGeneratedAt"], T0, "{card}");
    assert_eq!(card["tokenFirstUsedAt"], T0, "{card}");
    let vendor = app.vendor("GET", "", None).await.ok(200);
    assert_eq!(vendor["data"]["skus"][0]["createdAt"], T0, "{vendor}");
    // A mapping id is an ObjectId: its first 4 bytes are the clock's second.
    let accounts = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    let secs = format!("{:08x}", 1_801_396_800_u32);
    assert!(
        accounts[0]["mappingId"].as_str().unwrap().starts_with(&secs),
        "{accounts}"
    );

    app.sim("POST", "/clock", Some(json!({"advanceMs": 3_600_000})))
        .await
        .ok(200);
    app.count(&service, "acme-1", 12.0).await.ok(201);
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["lastSyncedAt"], "2027-01-31T13:00:00.000Z", "{org}");
    app.vendor(
        "PATCH",
        "/organization/accounts/acme-1",
        Some(json!({"name": "Acme Corp"})),
    )
    .await;
    let journal = app.journal("limit=1").await;
    assert_eq!(journal[0]["at"], "2027-01-31T13:00:00.000Z");

    // Billing periods are the clock's month: an approval on Jan 31 is January's; a day later
    // the card is February's to action again.
    let billing = app.rebuild().await;
    assert_eq!(billing["period"], "2027-01");
    assert_eq!(billing["builtAt"], "2027-01-31T13:00:00.000Z");
    let card = card_for(&billing, "Acme Corp", "SEC-EDR").expect("acme card").clone();
    let id = card["id"].as_str().unwrap();
    app.sim("POST", &format!("/billing/cards/{id}/approve"), Some(json!({})))
        .await
        .ok(200);
    let line = app.sim("GET", "/psa", None).await.ok(200).to_string();
    assert!(
        line.contains("2027-01-31"),
        "approval's effective date is the clock's day"
    );
    app.sim("POST", "/clock", Some(json!({"advanceMs": 86_400_000})))
        .await
        .ok(200);
    let billing = app.rebuild().await;
    assert_eq!(billing["period"], "2027-02");
}

#[tokio::test]
async fn advancing_the_clock_processes_a_due_alert() {
    let mut app = spawn_with(|c| {
        c.clock = Some(T0.into());
        c.alert_delay_ms = 60_000;
    })
    .await;
    app.mapped_setup().await;
    let alert = app
        .vendor(
            "POST",
            "/alerting/acme-1",
            Some(json!({"alertId": "a-1", "title": "Disk", "description": "full", "priority": 1, "status": 1})),
        )
        .await
        .ok(201);
    let message_id = alert["messageId"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let state = |list: Value| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|a| a["messageId"] == message_id.as_str())
            .map(|a| a["state"].as_str().unwrap().to_string())
    };
    assert_eq!(
        state(app.sim("GET", "/alerts", None).await.ok(200)).as_deref(),
        Some("pending")
    );
    app.sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    eventually("the alert's processing", || async {
        state(app.sim("GET", "/alerts", None).await.body).as_deref() == Some("success")
    })
    .await;
    let tickets = app.sim("GET", "/tickets", None).await.ok(200).to_string();
    assert!(
        tickets.contains("2027-01-31T12:01:00.000Z"),
        "ticket stamped when processed"
    );
}

#[tokio::test]
async fn advancing_past_the_debounce_releases_the_rebuild() {
    let mut app = spawn_with(|c| {
        c.clock = Some(T0.into());
        c.rebuild_debounce_ms = 120_000;
    })
    .await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 7.0).await.ok(201);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let billing = app.billing().await;
    assert_eq!(
        billing["pendingRebuild"], true,
        "frozen time: the debounce has not run out"
    );
    app.sim("POST", "/clock", Some(json!({"advanceMs": 120_000})))
        .await
        .ok(200);
    eventually("the debounced rebuild", || async {
        let b = app.sim("GET", "/billing", None).await.body;
        b["pendingRebuild"] == false && card_for(&b, "Acme Corp", "SEC-EDR").is_some_and(|c| c["vendorQuantity"] == 7.0)
    })
    .await;
    assert_eq!(app.billing().await["builtAt"], "2027-01-31T12:02:00.000Z");
}

// --- determinism -----------------------------------------------------------------------

/// The same flow on a fresh deterministic server: returns the journal and the QA report.
async fn golden_run() -> (String, String) {
    let mut app = spawn_with(|c| {
        c.clock = Some(T0.into());
        c.deterministic = true;
    })
    .await;
    // A fixed Host: the journal records the request headers, and each server has its own port.
    let call = |method: &str, path: &str, body: Option<Value>, token: String, app: &TestApp| {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = app
            .client
            .request(m, app.url(&format!("/api/vendor-api{path}")))
            .header("host", "sim.test")
            .header("GRADIENT-TOKEN", token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        rb.send()
    };
    app.reconnect().await;
    let service = call(
        "POST",
        "/service",
        Some(json!({"name": "Backup", "description": "Nightly backup", "category": "security", "subcategory": "endpoint detection and response (EDR)"})),
        app.token.clone(),
        &app,
    )
    .await
    .unwrap()
    .json::<Value>()
    .await
    .unwrap();
    let service_id = service["skus"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{service}"))
        .to_string();
    call(
        "POST",
        "/organization/accounts",
        Some(json!([{"id": "acme-1", "name": "Acme Corp", "description": ""}])),
        app.token.clone(),
        &app,
    )
    .await
    .unwrap();
    call("PATCH", "/organization/status/pending", None, app.token.clone(), &app)
        .await
        .unwrap();
    app.step("account_mapping").await.ok(200);
    app.step("service_mapping").await.ok(200);
    app.map_service(&service_id, &["SEC-EDR"]).await;
    app.step("review").await.ok(200);
    app.finish().await.ok(200);
    call(
        "POST",
        &format!("/service/{service_id}/count"),
        Some(json!({"accountId": "acme-1", "unitCount": 3})),
        app.token.clone(),
        &app,
    )
    .await
    .unwrap();
    call(
        "POST",
        "/alerting/acme-1",
        Some(json!({"alertId": "a", "title": "t", "description": "d", "priority": 1, "status": 1})),
        app.token.clone(),
        &app,
    )
    .await
    .unwrap();
    let journal = app.sim("GET", "/journal?limit=1000", None).await.text;
    let report = app.sim("GET", "/qa/report", None).await.text;
    (journal, report)
}

#[tokio::test]
async fn deterministic_runs_repeat_byte_for_byte() {
    let (journal_a, report_a) = golden_run().await;
    let (journal_b, report_b) = golden_run().await;
    assert!(journal_a.contains("/count"), "{journal_a}");
    assert!(
        journal_a.contains("messageId"),
        "the alert's message id is in the journal"
    );
    assert_eq!(journal_a, journal_b);
    assert_eq!(report_a, report_b);
    // And a different seed mints different keys.
    let app = spawn_with(|c| c.random_seed = Some(1)).await;
    let other = app
        .sim("POST", &format!("/integrations/{INTEGRATION}/disconnect"), None)
        .await;
    other.ok(200);
    app.connect().await;
    let k1 = app
        .sim("POST", &format!("/integrations/{INTEGRATION}/token"), None)
        .await
        .ok(200);
    let app0 = spawn_with(|c| c.deterministic = true).await;
    app0.disconnect().await;
    app0.connect().await;
    let k0 = app0
        .sim("POST", &format!("/integrations/{INTEGRATION}/token"), None)
        .await
        .ok(200);
    assert_ne!(k0["partnerApiKey"], k1["partnerApiKey"]);
    let app0b = spawn_with(|c| c.random_seed = Some(0)).await;
    app0b.disconnect().await;
    app0b.connect().await;
    let k0b = app0b
        .sim("POST", &format!("/integrations/{INTEGRATION}/token"), None)
        .await
        .ok(200);
    assert_eq!(
        k0["partnerApiKey"], k0b["partnerApiKey"],
        "--deterministic is --random-seed 0"
    );
}

// --- snapshots ---------------------------------------------------------------------------

#[tokio::test]
async fn snapshot_save_restore_list_delete() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 5.0).await.ok(201);
    let saved_state = app.stored().await;
    let saved_journal = app.journal("limit=1000").await;
    let s = app
        .sim("POST", "/snapshots", Some(json!({"name": "mapped"})))
        .await
        .ok(201);
    assert_eq!(s["name"], "mapped");
    assert!(s["rows"].as_u64().unwrap() > 10);

    // Change everything a vendor and a partner can change, then go back.
    app.count(&service, "acme-1", 9.0).await.ok(201);
    app.sim(
        "DELETE",
        &format!("/integrations/{INTEGRATION}/mappings/accounts/cedar-1"),
        None,
    )
    .await;
    let saved_token = app.token.clone();
    app.reconnect().await;
    let reconnect_token = app.token.clone();
    assert_ne!(app.stored().await, saved_state);
    let r = app.sim("POST", "/snapshots/mapped/restore", None).await.ok(200);
    assert_eq!(r["name"], "mapped");
    app.token = saved_token;
    // `stored` rebuilds billing, which the saved state did too: compare like with like.
    let restored = app.stored().await;
    assert_eq!(restored["mappings"], saved_state["mappings"]);
    assert_eq!(restored["accounts"], saved_state["accounts"]);
    assert_eq!(restored["card"], saved_state["card"]);
    assert_eq!(restored["psa"], saved_state["psa"]);
    assert_eq!(restored["cards"], saved_state["cards"]);
    // The journal comes back with the state it explains.
    let journal = app.journal("limit=1000").await;
    assert!(journal.len() >= saved_journal.len());
    // The token of the restored state works again; the reconnect's token does not.
    assert_eq!(
        app.vendor_as(&reconnect_token, "GET", "/organization", None)
            .await
            .status,
        401
    );

    let list = app.sim("GET", "/snapshots", None).await.ok(200);
    assert_eq!(list["snapshots"].as_array().unwrap().len(), 1);
    app.sim("DELETE", "/snapshots/mapped", None).await.ok(200);
    assert_eq!(
        app.sim("GET", "/snapshots", None).await.ok(200),
        json!({"snapshots": []})
    );
}

#[tokio::test]
async fn restore_puts_back_counts_and_qa() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let token = app.token.clone();
    app.count(&service, "acme-1", 5.0).await.ok(201);
    // Rebuilt now, so that the debounced rebuild cannot land between the checklist read and the
    // snapshot (on a loaded machine it did, and the two checklists differed by usage_visible).
    app.rebuild().await;
    let qa = app.sim("GET", "/qa", None).await.ok(200);
    app.sim("POST", "/snapshots", Some(json!({"name": "a"}))).await.ok(201);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_eq!(app.vendor_as(&token, "GET", "/organization", None).await.status, 401);
    app.sim("POST", "/snapshots/a/restore", None).await.ok(200);
    assert_eq!(app.vendor_as(&token, "GET", "/organization", None).await.status, 200);
    assert_eq!(app.sim("GET", "/qa", None).await.ok(200), qa);
}

#[tokio::test]
async fn snapshot_export_and_import_round_trip() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "cedar-1", 4.0).await.ok(201);
    let before = app.stored().await;
    app.sim("POST", "/snapshots", Some(json!({"name": "ticket-123"})))
        .await
        .ok(201);
    let file = app
        .client
        .get(app.url("/sim/snapshots/ticket-123/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), 200);
    assert!(file.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment; filename=\"ticket-123.snapshot.json\""));
    let bytes = file.bytes().await.unwrap();

    // Into a fresh simulator, as a support engineer or a CI job would.
    let other = spawn().await;
    let imported = other
        .client
        .post(other.url("/sim/snapshots/import?name=from-file"))
        .header("content-type", "application/json")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), 201);
    other.sim("POST", "/snapshots/from-file/restore", None).await.ok(200);
    let mut other = other;
    other.token = app.token.clone();
    let after = other.stored().await;
    assert_eq!(after["mappings"], before["mappings"]);
    assert_eq!(after["accounts"], before["accounts"]);
    assert_eq!(after["cards"], before["cards"]);
    assert_eq!(after["organization"], before["organization"]);
}

#[tokio::test]
async fn snapshot_errors_change_nothing() {
    let app = spawn().await;
    app.sim("POST", "/snapshots", Some(json!({"name": "one"})))
        .await
        .ok(201);
    let cases: [(&str, &str, Option<Value>, u16, &str); 7] = [
        ("POST", "/snapshots", Some(json!({})), 400, "name must be a string"),
        (
            "POST",
            "/snapshots",
            Some(json!({"name": "a/b"})),
            400,
            "name must be 1 to 64",
        ),
        (
            "POST",
            "/snapshots",
            Some(json!({"name": ""})),
            400,
            "name must be 1 to 64",
        ),
        (
            "POST",
            "/snapshots",
            Some(json!({"name": "one"})),
            409,
            "already exists",
        ),
        (
            "POST",
            "/snapshots/nope/restore",
            None,
            404,
            "No snapshot found with name: nope",
        ),
        (
            "DELETE",
            "/snapshots/nope",
            None,
            404,
            "No snapshot found with name: nope",
        ),
        (
            "GET",
            "/snapshots/nope/export",
            None,
            404,
            "No snapshot found with name: nope",
        ),
    ];
    for (method, path, body, status, says) in cases {
        refused(&app, method, path, body, status, says).await;
    }

    let file = app
        .client
        .get(app.url("/sim/snapshots/one/export"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let import = |body: Value| {
        let app = &app;
        async move {
            let before = app.sim("GET", "/snapshots", None).await.body;
            let r = app
                .client
                .post(app.url("/sim/snapshots/import?name=other"))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            assert_eq!(app.sim("GET", "/snapshots", None).await.body, before);
            (status, text)
        }
    };
    let mut broken = file.clone();
    broken["format"] = json!("zip");
    assert!(import(broken).await.1.contains("format must be"));
    let mut broken = file.clone();
    broken["schemaVersion"] = json!("0");
    assert!(import(broken).await.1.contains("schemaVersion"));
    let mut broken = file.clone();
    broken["tables"]["nope"] = json!({"columns": [], "rows": []});
    assert!(import(broken).await.1.contains("unknown table"));
    let mut broken = file.clone();
    broken["tables"]["partner"]["columns"][0] = json!("id; DROP TABLE partner");
    assert!(import(broken).await.1.contains("has no column"));
    let mut broken = file.clone();
    broken["tables"]["vendor"]["rows"][0] = json!([1]);
    assert!(import(broken).await.1.contains("must hold"));
    // A row that breaks a foreign key is found at import, not at restore.
    let mut broken = file.clone();
    let rows = broken["tables"]["psa_line"]["rows"].as_array_mut().unwrap();
    let cols = file["tables"]["psa_line"]["columns"].as_array().unwrap();
    let agreement = cols.iter().position(|c| c == "agreement_id").unwrap();
    rows[0][agreement] = json!("no-such-agreement");
    let (status, text) = import(broken).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("FOREIGN KEY"), "{text}");
    let mut broken = file.clone();
    broken["tables"].as_object_mut().unwrap().remove("partner");
    assert!(import(broken).await.1.contains("missing"));
    let (status, text) = import(json!("nope")).await;
    assert_eq!(status, 400, "{text}");
    let r = app
        .client
        .post(app.url("/sim/snapshots/import"))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Taken name.
    let r = app
        .client
        .post(app.url("/sim/snapshots/import"))
        .json(&file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
}

// --- partner-side events ----------------------------------------------------------------

#[tokio::test]
async fn token_regenerated_mid_sync_refuses_the_old_token() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 1.0).await.ok(201);
    let old = app.token.clone();
    app.fresh_token().await;
    let r = app
        .vendor_as(
            &old,
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"accountId": "cedar-1", "unitCount": 2})),
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!({"statusCode": 401, "message": "Unauthorized"}));
    app.count(&service, "cedar-1", 2.0).await.ok(201);
}

#[tokio::test]
async fn unmapping_makes_the_next_count_a_404() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "cedar-1", 2.0).await.ok(201);
    app.unmap_account("cedar-1").await;
    let r = app.count(&service, "cedar-1", 3.0).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "No account map found with id: cedar-1");
    app.count(&service, "acme-1", 3.0).await.ok(201);
    app.sim(
        "DELETE",
        &format!("/integrations/{INTEGRATION}/mappings/services/{service}"),
        None,
    )
    .await
    .ok(200);
    let r = app.count(&service, "acme-1", 4.0).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "Unknown account, or service is not mapped");
}

#[tokio::test]
async fn the_psa_losing_a_company_unmaps_it_everywhere() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "cedar-1", 2.0).await.ok(201);
    let cedar = app.psa_account_id("Cedar Ridge Law, LLP").await;
    let clients = app.vendor("GET", "/organization/clients", None).await.ok(200);
    assert!(clients.to_string().contains(&cedar));
    assert!(card_for(&app.rebuild().await, "Cedar Ridge Law, LLP", "SEC-EDR").is_some());

    let r = app
        .sim("DELETE", &format!("/psa/companies/{cedar}"), None)
        .await
        .ok(200);
    assert_eq!(r["company"]["id"], cedar.as_str());
    assert_eq!(
        r["unmappedAccounts"],
        json!([{"integrationId": INTEGRATION, "accountId": "cedar-1"}])
    );

    let clients = app.vendor("GET", "/organization/clients", None).await.ok(200);
    assert!(!clients.to_string().contains(&cedar));
    let r = app.count(&service, "cedar-1", 3.0).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "No account map found with id: cedar-1");
    let accounts = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    let cedar_account = accounts["data"]
        .as_array()
        .or(accounts.as_array())
        .and_then(|a| a.iter().find(|x| x["id"] == "cedar-1").cloned())
        .unwrap_or_else(|| panic!("{accounts}"));
    assert_eq!(cedar_account["isMapped"], false, "{cedar_account}");
    assert!(card_for(&app.rebuild().await, "Cedar Ridge Law, LLP", "SEC-EDR").is_none());
    app.count(&service, "acme-1", 3.0).await.ok(201);

    refused(
        &app,
        "DELETE",
        &format!("/psa/companies/{cedar}"),
        None,
        404,
        "No PSA company found with id",
    )
    .await;
}

#[tokio::test]
async fn restore_brings_back_a_pending_alert_and_keeps_fault_rules() {
    let mut app = spawn_with(|c| {
        c.clock = Some(T0.into());
        c.alert_delay_ms = 60_000;
    })
    .await;
    app.mapped_setup().await;
    let body = json!({"alertId": "a-1", "title": "Disk", "description": "full", "priority": 1, "status": 1});
    app.vendor("POST", "/alerting/acme-1", Some(body)).await.ok(201);
    app.sim("POST", "/snapshots", Some(json!({"name": "queued"})))
        .await
        .ok(201);
    let states = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|a| a["state"].as_str().unwrap().to_string())
            .collect()
    };
    app.sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    eventually("the alert's processing", || async {
        states(&app.sim("GET", "/alerts", None).await.body) == ["success"]
    })
    .await;

    let rule = json!({"route": "/api/vendor-api/organization", "method": "GET", "status": 503});
    app.sim("POST", "/faults", Some(rule)).await.ok(201);
    app.sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    app.sim("POST", "/snapshots/queued/restore", None).await.ok(200);
    // The clock is not part of a snapshot: the restored alert is due, and the queue wakes.
    eventually("the restored alert's processing", || async {
        states(&app.sim("GET", "/alerts", None).await.body) == ["success"]
    })
    .await;
    let tickets = app.sim("GET", "/tickets", None).await.ok(200).to_string();
    assert_eq!(tickets.matches("\"alertId\":\"a-1\"").count(), 1, "{tickets}");
    assert!(
        tickets.contains("2027-01-31T12:02:00.000Z"),
        "processed again after the restore: {tickets}"
    );
    assert!(
        !tickets.contains("2027-01-31T12:01:00.000Z"),
        "the first ticket went back with the restore"
    );
    // Fault rules are the test's setup, not the partner's state: they survive a restore.
    assert_eq!(app.vendor("GET", "/organization", None).await.status, 503);
    assert_eq!(
        app.sim("GET", "/faults", None).await.ok(200).as_array().unwrap().len(),
        1
    );
}
