//! Fault injection: a vendor proves its integration survives production's bad moments.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn a_fault_answers_its_status_for_its_times_then_stops() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let rule = app
        .sim(
            "POST",
            "/faults",
            Some(json!({"route": "/api/vendor-api/service/*/count", "method": "post", "status": 503, "times": 2})),
        )
        .await
        .ok(201);
    assert_eq!(rule["method"], "POST");
    assert_eq!(rule["remaining"], 2);
    for _ in 0..2 {
        let r = app.count(&service, "acme-1", 5.0).await;
        assert_eq!(r.status, 503);
        assert_eq!(r.content_type, "application/json; charset=utf-8");
        assert_eq!(
            r.body,
            json!({"statusCode": 503, "message": "Injected fault (503)", "error": "Service Unavailable"})
        );
    }
    // The third goes through: the vendor's retry would now succeed.
    app.count(&service, "acme-1", 5.0).await.ok(201);
    // Other routes were never touched.
    app.vendor("GET", "/organization", None).await.ok(200);
    let rules = app.sim("GET", "/faults", None).await.ok(200);
    assert_eq!(rules[0]["hits"], 2);
    assert_eq!(rules[0]["remaining"], 0);
    // The journal names the rule on the calls it hit.
    let j = app.sim("GET", "/journal?status=503", None).await.ok(200);
    assert_eq!(j["matching"], 2);
    assert_eq!(j["entries"][0]["fault"], rule["id"]);
}

#[tokio::test]
async fn a_failed_injected_call_stores_nothing() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    app.sim(
        "POST",
        "/faults",
        Some(json!({"route": "/api/vendor-api/organization/accounts", "status": 500})),
    )
    .await
    .ok(201);
    let r = app
        .vendor(
            "POST",
            "/organization/accounts",
            Some(json!([{"id": "new-1", "name": "New"}])),
        )
        .await;
    assert_eq!(r.status, 500);
    app.sim("DELETE", "/faults", None).await.ok(200);
    let accounts = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    assert!(accounts.as_array().unwrap().iter().all(|a| a["id"] != "new-1"));
}

#[tokio::test]
async fn a_delay_only_fault_slows_without_failing_and_reset_clears_faults() {
    let app = spawn().await;
    let rule = app
        .sim(
            "POST",
            "/faults",
            Some(json!({"route": "/api/vendor-api/organization", "delayMs": 150})),
        )
        .await
        .ok(201);
    let started = std::time::Instant::now();
    app.vendor("GET", "/organization", None).await.ok(200);
    // A lower bound only: the delay is a sleep, so it can only make the call slower.
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
    let id = rule["id"].as_u64().unwrap();
    app.sim("DELETE", &format!("/faults/{id}"), None).await.ok(200);
    assert_eq!(app.sim("DELETE", &format!("/faults/{id}"), None).await.status, 404);
    app.sim(
        "POST",
        "/faults",
        Some(json!({"route": "/api/vendor-api/**", "status": 502})),
    )
    .await
    .ok(201);
    assert_eq!(app.vendor("GET", "/organization", None).await.status, 502);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_eq!(app.sim("GET", "/faults", None).await.ok(200), json!([]));
    app.vendor("GET", "/organization", None).await.ok(200);
}

#[tokio::test]
async fn bad_fault_rules_are_refused_with_reasons() {
    let app = spawn().await;
    let r = app
        .sim("POST", "/faults", Some(json!({"route": "no-slash", "status": 200})))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["message"],
        json!([
            "route must start with /",
            "status must be an HTTP error status (400 to 599)"
        ])
    );
    let r = app.sim("POST", "/faults", Some(json!({"route": "/x"}))).await;
    assert_eq!(r.body["message"], json!(["a fault needs a status, a delayMs, or both"]));
    let r = app
        .sim(
            "POST",
            "/faults",
            Some(json!({"route": "/x", "status": 503, "probability": 3})),
        )
        .await;
    assert_eq!(r.body["message"], json!(["probability must be between 0 and 1"]));
    let r = app.sim("POST", "/faults", Some(json!({"status": "503"}))).await;
    assert_eq!(
        r.body["message"],
        json!(["route should not be empty", "status must be a non-negative integer"])
    );
    assert_eq!(app.sim("GET", "/faults", None).await.ok(200), json!([]));
}
