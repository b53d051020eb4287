//! A clock per partner (`/sim/partners/{id}/clock`): moving one partner's time moves its
//! billing month, its effective dates, its debounced rebuild and its alert queue, and nothing
//! of any other partner's; the global `/sim/clock` keeps driving every partner without its own.

mod common;
use common::*;
use serde_json::{json, Value};

const T0: &str = "2027-01-31T12:00:00.000Z";

fn dup(app: &TestApp) -> TestApp {
    TestApp {
        base: app.base.clone(),
        client: app.client.clone(),
        token: app.token.clone(),
    }
}

async fn partner(app: &TestApp) -> String {
    let made = app.sim("POST", "/partners", Some(json!({}))).await.ok(201);
    made["partnerId"].as_str().unwrap().to_string()
}

async fn clock_of(app: &TestApp, id: &str) -> Value {
    app.sim("GET", &format!("/partners/{id}/clock"), None).await.ok(200)
}

async fn billing_of(app: &TestApp, id: &str) -> Value {
    app.sim("GET", &format!("/billing?partnerId={id}"), None).await.ok(200)
}

/// Two partners' clocks advanced at once from many threads each end exactly where their own
/// advances add up to; the global clock and the default partner never move with them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_partners_advanced_concurrently_each_see_only_their_own_time() {
    let app = spawn_with(|c| c.clock = Some(T0.into())).await;
    let (b, c) = (partner(&app).await, partner(&app).await);
    let default = app.sim("GET", "/info", None).await.ok(200)["partner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        clock_of(&app, &b).await,
        json!({"now": T0, "frozen": true, "own": false})
    );

    let mut tasks = vec![];
    for i in 0..20 {
        let (app, id, ms) = if i % 2 == 0 {
            (dup(&app), b.clone(), 86_400_000)
        } else {
            (dup(&app), c.clone(), 3_600_000)
        };
        tasks.push(tokio::spawn(async move {
            app.sim("POST", &format!("/partners/{id}/clock"), Some(json!({"advanceMs": ms})))
                .await
                .ok(200)
        }));
    }
    for t in tasks {
        let moved = t.await.unwrap();
        assert_eq!(moved["own"], true);
    }
    assert_eq!(clock_of(&app, &b).await["now"], "2027-02-10T12:00:00.000Z");
    assert_eq!(clock_of(&app, &c).await["now"], "2027-01-31T22:00:00.000Z");
    assert_eq!(app.sim("GET", "/clock", None).await.ok(200)["now"], T0);
    assert_eq!(
        clock_of(&app, &default).await,
        json!({"now": T0, "frozen": true, "own": false})
    );

    // Each partner's month end and effective dates are its own.
    let (bb, cb, db) = (
        billing_of(&app, &b).await,
        billing_of(&app, &c).await,
        app.billing().await,
    );
    assert_eq!(bb["period"], "2027-02");
    assert_eq!(bb["psa"]["approvalDate"], "2027-02-10");
    assert_eq!(cb["period"], "2027-01");
    assert_eq!(cb["psa"]["approvalDate"], "2027-01-31");
    assert_eq!(db["period"], "2027-01");

    // The default partner follows /sim/clock; the partners with their own do not.
    app.sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    assert_eq!(clock_of(&app, &default).await["now"], "2027-01-31T12:01:00.000Z");
    assert_eq!(clock_of(&app, &b).await["now"], "2027-02-10T12:00:00.000Z");
    assert_eq!(clock_of(&app, &c).await["now"], "2027-01-31T22:00:00.000Z");

    // DELETE hands the partner back to the global clock; a reset does so for all.
    let back = app.sim("DELETE", &format!("/partners/{c}/clock"), None).await.ok(200);
    assert_eq!(
        back,
        json!({"now": "2027-01-31T12:01:00.000Z", "frozen": true, "own": false})
    );
    app.sim("POST", "/reset", None).await.ok(200);
    let r = app.sim("GET", &format!("/partners/{b}/clock"), None).await;
    assert_eq!(r.status, 404, "a reset removes the created partners");
    assert_eq!(r.body["message"], format!("No partner found with id: {b}"));
}

/// The default partner on its own clock: the global clock's moves neither release its
/// debounced rebuild nor process its alerts; its own clock's do, and stamp its QA facts.
#[tokio::test]
async fn a_partners_debounce_and_alert_delay_run_on_its_own_clock() {
    let mut app = spawn_with(|c| {
        c.clock = Some(T0.into());
        c.rebuild_debounce_ms = 60_000;
        c.alert_delay_ms = 60_000;
    })
    .await;
    let default = app.sim("GET", "/info", None).await.ok(200)["partner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let own = format!("/partners/{default}/clock");
    app.sim("POST", &own, Some(json!({"set": "2027-03-01T09:00:00.000Z"})))
        .await
        .ok(200);
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 50.0).await.ok(201);
    let alert = app
        .vendor(
            "POST",
            "/alerting/acme-1",
            Some(json!({"title": "t", "description": "d", "alertId": "a-1", "priority": 2, "status": 1})),
        )
        .await
        .ok(201);
    let message_id = alert["messageId"].as_str().unwrap().to_string();
    assert_eq!(app.billing().await["pendingRebuild"], true);

    // A day on the global clock: this partner's time has not moved.
    app.sim("POST", "/clock", Some(json!({"advanceMs": 86_400_000})))
        .await
        .ok(200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.billing().await["pendingRebuild"], true);
    let debug = format!("/alerting/debug/{message_id}");
    assert_eq!(app.vendor("GET", &debug, None).await.ok(200)["status"], "pending");

    // A minute on its own clock: both fall due.
    app.sim("POST", &own, Some(json!({"advanceMs": 61_000}))).await.ok(200);
    assert_eq!(app.alert_outcome(&message_id).await["status"], "success");
    let mut built = Value::Null;
    for _ in 0..100 {
        built = app.billing().await;
        if built["pendingRebuild"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(built["pendingRebuild"], false);
    assert_eq!(built["builtAt"], "2027-03-01T09:01:01.000Z");
    assert_eq!(built["period"], "2027-03");
    assert_eq!(
        card_for(&built, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"],
        50.0
    );
    // The QA facts carry the partner's time, not the global clock's.
    let qa = app.sim("GET", "/qa", None).await.ok(200).to_string();
    assert!(qa.contains("2027-03-01T09:00:00.000Z"), "{qa}");
    assert!(!qa.contains("2027-02-01T12:00:00.000Z"), "{qa}");
}

#[tokio::test]
async fn bad_partner_clock_requests_are_refused_and_move_nothing() {
    let app = spawn_with(|c| c.clock = Some(T0.into())).await;
    let b = partner(&app).await;
    let path = format!("/partners/{b}/clock");
    for (body, says) in [
        (json!({"advanceMs": -1}), "advanceMs must not be less than 0"),
        (
            json!({"set": "tomorrow"}),
            "set must be a valid ISO 8601 date string with an offset, e.g. 2027-01-31T12:00:00.000Z",
        ),
        (json!({"speed": 2}), "property speed should not exist"),
        (json!({}), "one of freeze, set or advanceMs is required"),
    ] {
        let r = app.sim("POST", &path, Some(body)).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.body["message"], json!([says]));
    }
    assert_eq!(
        clock_of(&app, &b).await,
        json!({"now": T0, "frozen": true, "own": false})
    );
    for method in ["GET", "POST", "DELETE"] {
        let body = (method == "POST").then(|| json!({"advanceMs": 1}));
        let r = app.sim(method, "/partners/65a0c0ffee00000000000abc/clock", body).await;
        assert_eq!(r.status, 404, "{method}");
        assert_eq!(r.body["message"], "No partner found with id: 65a0c0ffee00000000000abc");
    }
}
