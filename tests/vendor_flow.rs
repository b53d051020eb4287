//! The whole vendor flow against the real server: services, pending, accounts, mapping through
//! /sim, counts, active, billing cards, disconnect, regenerate.

mod common;
use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn full_qa_flow_reaches_the_billing_cards() {
    let mut app = spawn().await;
    // Before any vendor data: every card shows one number.
    let before = app.billing().await;
    let acme_edr = card_for(&before, "Acme Corp", "SEC-EDR").unwrap();
    assert_eq!(acme_edr["type"], "psa_only");
    assert_eq!(acme_edr["feed"], "none");
    assert_eq!(acme_edr["psaQuantity"], 45.0);
    assert!(acme_edr["vendorQuantity"].is_null());
    // Traps of the seed: a prospect and a company with no active agreement never show.
    let names: Vec<&str> = before["cards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["accountName"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Kestrel Ventures") && !names.contains(&"Lakeside Bakery"));

    let service = app.mapped_setup().await;
    let card = app.card().await;
    assert_eq!(card["state"], "connected");
    assert_eq!(card["status"], "pending");
    assert_eq!(card["accountCount"], 2);
    assert_eq!(card["mappedAccountCount"], 2);
    let m = app.mappings().await;
    let acme = m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "acme-1")
        .unwrap();
    assert_eq!(acme["source"], "auto");
    let cedar = m["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "cedar-1")
        .unwrap();
    assert_eq!(cedar["source"], "manual");

    // After Finish the fed lines show "-" until a count arrives.
    let fed = app.billing().await;
    assert_eq!(card_for(&fed, "Acme Corp", "SEC-EDR").unwrap()["feed"], "no_count");
    assert_eq!(
        card_for(&fed, "Bluebird Dental Group", "SEC-EDR").unwrap()["feed"],
        "none"
    );

    // Sync: one count up, one equal.
    app.count(&service, "acme-1", 48.0).await.ok(201);
    let r = app.count(&service, "cedar-1", 29.0).await;
    assert_eq!(
        r.body,
        json!({"status": 201, "message": "Success - Created service unit count"})
    );
    // The first accepted count turned pending into active and stamped lastSyncedAt.
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["status"], "active");
    assert_ne!(org["lastSyncedAt"], "1900-01-01T00:00:00.000Z");

    // The debounced rebuild lands (50 ms in tests); poll as a partner reloading the page.
    let mut billing = app.billing().await;
    for _ in 0..50 {
        if card_for(&billing, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"] == 48.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        billing = app.billing().await;
    }
    let acme = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap();
    assert_eq!(acme["type"], "reconcile");
    assert_eq!(acme["psaQuantity"], 45.0);
    assert_eq!(acme["vendorQuantity"], 48.0);
    assert_eq!(acme["difference"], 3.0);
    assert_eq!(acme["revenueChange"], 27.0);
    assert_eq!(acme["profitChange"], 16.5);
    let cedar = card_for(&billing, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap();
    assert_eq!(cedar["type"], "no_change");

    // Latest value wins.
    app.count(&service, "acme-1", 44.0).await.ok(201);
    let billing = app.rebuild().await;
    assert_eq!(
        card_for(&billing, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"],
        44.0
    );

    // Approve writes the quantity into the PSA line; the card leaves the dashboard.
    let card_id = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sim("POST", &format!("/billing/cards/{card_id}/approve"), None)
        .await
        .ok(200);
    let after = app.billing().await;
    assert!(card_for(&after, "Acme Corp", "SEC-EDR").is_none());
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    let acme_psa = psa_company(&psa, "Acme Corp");
    let edr_line = acme_psa["agreements"][0]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["productCode"] == "SEC-EDR")
        .unwrap();
    assert_eq!(edr_line["quantity"], 44.0);
    // Approving again is refused: the card was actioned this period.
    assert_eq!(
        app.sim("POST", &format!("/billing/cards/{card_id}/approve"), None)
            .await
            .status,
        409
    );

    // Disconnect deletes the vendor's accounts, mappings and usage; the old key stops working.
    let out = app.disconnect().await;
    assert_eq!(out["deleted"]["accounts"], 2);
    assert_eq!(out["deleted"]["accountMappings"], 2);
    assert_eq!(out["deleted"]["serviceMappings"], 1);
    assert_eq!(out["deleted"]["unitCounts"], 2);
    assert_eq!(out["integration"]["state"], "ready_to_connect");
    assert_eq!(out["integration"]["stateLabel"], "Ready to Connect");
    assert_eq!(app.vendor("GET", "/organization", None).await.status, 401);
    // Vendor-level services survive.
    app.connect().await;
    app.fresh_token().await;
    let vendor = app.vendor("GET", "", None).await.ok(200);
    assert_eq!(vendor["data"]["skus"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.vendor("GET", "/organization/accounts", None).await.ok(200),
        json!([])
    );
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["status"], "inactive");
}

#[tokio::test]
async fn regenerate_revokes_the_old_key_and_keeps_accounts() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let old = app.token.clone();
    let keys = app.fresh_token().await;
    assert_eq!(keys["vendorApiKey"], VENDOR_KEY);
    assert_eq!(app.vendor_as(&old, "GET", "/organization", None).await.status, 401);
    let accounts = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    assert_eq!(accounts.as_array().unwrap().len(), 2);
    assert_eq!(accounts[0]["isMapped"], true);
    // Status is kept by a regenerate.
    assert_eq!(
        app.vendor("GET", "/organization", None).await.ok(200)["status"],
        "pending"
    );
    app.count(&service, "acme-1", 1.0).await.ok(201);
    // The journal says why the old key failed.
    let journal = app.sim("GET", "/journal?status=401", None).await.ok(200);
    let lint = &journal["entries"][0]["lints"][0];
    assert_eq!(lint["code"], "revoked_token");
}

#[tokio::test]
async fn next_lights_only_for_pending_or_active() {
    let mut app = spawn().await;
    app.reconnect().await;
    let card = app.card().await;
    assert_eq!(card["status"], "inactive");
    assert_eq!(card["nextEnabled"], false);
    let refused = app.step("account_mapping").await;
    assert_eq!(refused.status, 409);
    assert!(refused.body["message"].as_str().unwrap().contains("pending"));
    assert_eq!(app.finish().await.status, 409);
    app.set_status("inactive").await.ok(200);
    assert_eq!(app.card().await["nextEnabled"], false);
    let r = app.set_status("pending").await.ok(200);
    assert_eq!(r["message"], "Success - Updated Integration Status");
    assert_eq!(r["status"], 200);
    assert_eq!(r["data"]["status"], "pending");
    assert_eq!(app.card().await["nextEnabled"], true);
    app.set_status("active").await.ok(200);
    assert_eq!(app.card().await["nextEnabled"], true);
    // Finish needs one mapped account and one mapped service.
    let r = app.finish().await;
    assert_eq!(r.status, 409);
    assert!(r.body["message"].as_str().unwrap().contains("0 account"));
}

#[tokio::test]
async fn every_card_type_and_two_services_on_one_line() {
    let mut app = spawn().await;
    let edr = app.mapped_setup().await;
    // A second service mapped to the same product: counts on one line are summed.
    let edr2 = app.create_service("Endpoint Protection Plus").await;
    app.map_service(&edr2, &["SEC-EDR"]).await;
    // A service mapped to a product Acme has no line for: New Revenue.
    let sat = app.create_service("Awareness Training").await;
    app.map_service(&sat, &["SEC-SAT"]).await;
    app.count(&edr, "acme-1", 40.0).await.ok(201);
    app.count(&edr2, "acme-1", 5.0).await.ok(201);
    app.count(&sat, "acme-1", 12.0).await.ok(201);
    let b = app.rebuild().await;
    let acme_edr = card_for(&b, "Acme Corp", "SEC-EDR").unwrap();
    assert_eq!(acme_edr["vendorQuantity"], 45.0);
    assert_eq!(acme_edr["type"], "no_change");
    let new = card_for(&b, "Acme Corp", "SEC-SAT").unwrap();
    assert_eq!(new["type"], "new_revenue");
    assert_eq!(new["isNew"], true);
    assert_eq!(new["psaQuantity"], 0.0);
    assert_eq!(new["revenueChange"], 42.0);
    // Cedar is mapped but got no EDR count: "-".
    assert_eq!(
        card_for(&b, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["feed"],
        "no_count"
    );
    // Approving New Revenue adds the line to the PSA.
    let id = new["id"].as_str().unwrap();
    app.sim("POST", &format!("/billing/cards/{id}/approve"), None)
        .await
        .ok(200);
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    let acme = psa_company(&psa, "Acme Corp");
    let lines = acme["agreements"][0]["lines"].as_array().unwrap();
    assert!(lines
        .iter()
        .any(|l| l["productCode"] == "SEC-SAT" && l["quantity"] == 12.0));
    // Dismiss hides a card until its vendor quantity changes.
    let cedar_mail = card_for(&b, "Granite Peak Credit Union", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sim("POST", &format!("/billing/cards/{cedar_mail}/dismiss"), None)
        .await
        .ok(200);
    assert!(card_for(&app.billing().await, "Granite Peak Credit Union", "SEC-EDR").is_none());
    // List view grouped by account carries section totals.
    let list = app.sim("GET", "/billing?view=list&groupBy=account", None).await.ok(200);
    assert_eq!(list["groupBy"], "account");
    assert!(list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["title"] == "Acme Corp"));
}

#[tokio::test]
async fn no_build_stores_without_rebuilding_until_a_call_without_it() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let built = app.billing().await["builtAt"].clone();
    for flag in ["True", "true", "1"] {
        app.vendor(
            "POST",
            &format!("/service/{service}/count?no_build={flag}"),
            Some(json!({"accountId": "acme-1", "unitCount": 50})),
        )
        .await
        .ok(201);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let b = app.billing().await;
    assert_eq!(b["builtAt"], built, "no_build must not rebuild");
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["feed"], "no_count");
    // A call without no_build (here no_build=false) triggers the debounced rebuild.
    app.vendor(
        "POST",
        &format!("/service/{service}/count?no_build=FALSE"),
        Some(json!({"accountId": "cedar-1", "unitCount": 30})),
    )
    .await
    .ok(201);
    let mut b = app.billing().await;
    for _ in 0..50 {
        if b["builtAt"] != built && !b["pendingRebuild"].as_bool().unwrap() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        b = app.billing().await;
    }
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 50.0);
    assert_eq!(
        card_for(&b, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["vendorQuantity"],
        30.0
    );
}

#[tokio::test]
async fn alerts_become_tickets_or_fail_with_a_reason() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let created = app
        .vendor(
            "POST",
            "/alerting/acme-1",
            Some(json!({"title": "Threat quarantined", "description": "EDR blocked x.exe", "alertId": "a-1", "priority": 3, "status": 1})),
        )
        .await
        .ok(201);
    let message_id = created["messageId"].as_str().unwrap().to_string();
    assert_eq!(message_id.len(), 36);
    assert_eq!(created["alertId"], "a-1");
    assert_eq!(created["correlationID"].as_str().unwrap().len(), 24);
    let unmapped = app
        .vendor(
            "POST",
            "/alerting/nobody",
            Some(json!({"title": "t", "description": "d", "alertId": "a-2", "priority": 1, "status": 1})),
        )
        .await
        .ok(201);
    // Pending at first, then processed (50 ms in tests).
    let first = app
        .vendor("GET", &format!("/alerting/debug/{message_id}"), None)
        .await
        .ok(200);
    assert!(first["status"] == "pending" || first["status"] == "success");
    tokio::time::sleep(std::time::Duration::from_millis(120)).await;
    let done = app
        .vendor("GET", &format!("/alerting/debug/{message_id}"), None)
        .await
        .ok(200);
    assert_eq!(done["status"], "success");
    assert!(done["ticketId"].is_string());
    let failed = app
        .vendor(
            "GET",
            &format!("/alerting/debug/{}", unmapped["messageId"].as_str().unwrap()),
            None,
        )
        .await
        .ok(200);
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["errors"][0], "No account map found with id: nobody");
    // The ticket is on the integration's board, and the alert turned pending into active.
    let all = board_tickets(&app.sim("GET", "/tickets", None).await.ok(200));
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["summary"], "Threat quarantined");
    assert_eq!(all[0]["accountName"], "Acme Corp");
    assert_eq!(
        app.vendor("GET", "/organization", None).await.ok(200)["status"],
        "active"
    );
    assert_eq!(
        app.vendor("GET", "/alerting/debug/00000000-0000-4000-8000-000000000000", None)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn reset_returns_to_the_seed_atomically() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    app.sim("POST", "/reset", None).await.ok(200);
    let card = app.card().await;
    assert_eq!(card["state"], "setup");
    assert_eq!(card["accountCount"], 0);
    assert_eq!(app.sim("GET", "/journal", None).await.ok(200)["total"], 0);
    // The kickoff key works again.
    let kickoff = token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY);
    assert_eq!(app.vendor_as(&kickoff, "GET", "/organization", None).await.status, 200);
    let info = app.sim("GET", "/info", None).await.ok(200);
    assert_eq!(info["demoKeys"]["partnerApiKey"], KICKOFF_PARTNER_KEY);
}

#[tokio::test]
async fn the_seeded_card_says_it_is_connected_with_the_kickoff_key() {
    let mut app = spawn().await;
    assert_eq!(
        app.card().await["stateLabel"],
        "Connected before QA: disconnect to start"
    );
    // A key the partner generates is no kickoff key: the card waits for the vendor again.
    app.reconnect().await;
    assert_eq!(app.card().await["stateLabel"], "Pending connection");
}

/// The queue's worker alone (no debug call, which processes what is due itself) turns alerts
/// queued one after another into tickets: one queued while the worker already plans to look
/// before it is due does not wake it, and still becomes a ticket at that look or the next.
#[tokio::test]
async fn the_queue_alone_turns_a_stream_of_alerts_into_tickets() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let tickets = |t: &Value| board_tickets(t).len();
    let before = tickets(&app.sim("GET", "/tickets", None).await.ok(200));
    // 50 ms of delay in tests: alerts 15 ms apart fall due across several of the worker's looks.
    for i in 0..8 {
        app.vendor(
            "POST",
            "/alerting/acme-1",
            Some(
                json!({"title": format!("alert {i}"), "description": "d", "alertId": format!("s-{i}"),
                        "priority": 2, "status": 1}),
            ),
        )
        .await
        .ok(201);
        tokio::time::sleep(std::time::Duration::from_millis(15)).await;
    }
    let mut made = 0;
    for _ in 0..100 {
        made = tickets(&app.sim("GET", "/tickets", None).await.ok(200)) - before;
        if made == 8 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(made, 8, "every alert became a ticket without a debug call");
}
