//! Shadow mode, tested against a second simulator made to differ on purpose (`--strict-types`,
//! a fault rule, a delay): the simulator answers as without the flag, the upstream's answer is
//! compared after it, and its token shows nowhere.

mod common;
use common::*;
use serde_json::{json, Value};
use synthesize_sim::config::Config;

/// The upstream, with a token of its own (a fresh partner key, so it is no token the vendor's
/// code holds), and a simulator shadowing it.
async fn pair(tweak_upstream: impl FnOnce(&mut Config), tweak: impl FnOnce(&mut Config)) -> (TestApp, TestApp) {
    let mut upstream = spawn_with(|c| {
        c.rate_limit = 0;
        tweak_upstream(c);
    })
    .await;
    upstream.fresh_token().await;
    let token = upstream.token.clone();
    let base = upstream.base.clone();
    let sim = spawn_with(move |c| {
        c.shadow = Some(base);
        c.shadow_token = Some(token.as_str().into());
        tweak(c);
    })
    .await;
    (upstream, sim)
}

/// `/sim/parity` once `calls` calls are judged (bounded: at most about ten seconds).
async fn parity_after(sim: &TestApp, calls: u64) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        last = sim.sim("GET", "/parity", None).await.ok(200);
        if last["calls"].as_u64() >= Some(calls) {
            return last;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("parity never reached {calls} calls: {last}");
}

#[tokio::test]
async fn reads_are_compared_and_a_strict_upstream_differs_on_writes() {
    let (upstream, sim) = pair(|c| c.strict_types = true, |c| c.shadow_writes = true).await;
    // The upstream was reconnected, so its integration differs in data, not in shape.
    sim.vendor("GET", "/organization", None).await.ok(200);
    let p = parity_after(&sim, 1).await;
    assert_eq!(
        (p["same"].as_u64(), p["different"].as_u64()),
        (Some(1), Some(0)),
        "{p:#}"
    );
    // A numeric id: stored here with a lint, refused upstream under --strict-types.
    let here = sim
        .vendor(
            "POST",
            "/organization/accounts",
            Some(json!([{"id": 1002, "name": "Numbered"}])),
        )
        .await
        .ok(201);
    assert_eq!(here[0]["id"], "1002");
    let p = parity_after(&sim, 2).await;
    assert_eq!(p["different"], 1, "{p:#}");
    let d = &p["differences"][0];
    assert_eq!(d["method"], "POST");
    assert_eq!(d["path"], "/api/vendor-api/organization/accounts");
    assert_eq!(
        (d["simStatus"].as_u64(), d["upstreamStatus"].as_u64()),
        (Some(201), Some(400))
    );
    let fields: Vec<&str> = d["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(fields[0], "status: 201 here, 400 upstream");
    assert_eq!(d["upstream"]["message"], json!(["0.id must be a string"]));
    // The journal marks the differing call, and only it.
    let entries = sim.journal("limit=5").await;
    assert_eq!(entries[0]["parity"], "different");
    assert!(entries[1].get("parity").is_none());
    // A guessed rule the calls met: the upstream's 400 agrees on status and sentence.
    let refused = sim
        .vendor("POST", "/organization/accounts", Some(json!([{"id": "x", "name": ""}])))
        .await;
    assert_eq!(refused.status, 400);
    let p = parity_after(&sim, 3).await;
    let rule = |id: &str| {
        p["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(rule("empty_string_refused")["verdict"], "confirmed", "{p:#}");
    assert_eq!(rule("missing_token_401")["verdict"], "never met");
    // The upstream's token shows in no report, journal entry or setting.
    for text in [
        sim.sim("GET", "/parity", None).await.text,
        sim.sim("GET", "/journal", None).await.text,
        sim.sim("GET", "/info", None).await.text,
    ] {
        assert!(!text.contains(&upstream.token), "the upstream token leaked: {text}");
        let partner_key = upstream.token_partner_key();
        assert!(!text.contains(&partner_key), "the upstream key leaked");
    }
    assert_eq!(p["upstream"], upstream.base.as_str());
}

#[tokio::test]
async fn writes_stay_home_without_shadow_writes() {
    let (upstream, sim) = pair(|_| {}, |_| {}).await;
    sim.vendor(
        "POST",
        "/organization/accounts",
        Some(json!([{"id": "w-1", "name": "W"}])),
    )
    .await
    .ok(201);
    sim.vendor("GET", "/organization/accounts", None).await.ok(200);
    let p = parity_after(&sim, 1).await;
    assert_eq!(p["calls"], 1, "{p:#}");
    assert!(
        upstream.journal("method=POST").await.is_empty(),
        "a write reached the upstream"
    );
}

#[tokio::test]
async fn an_upstream_fault_is_a_difference_and_its_answer_never_reaches_the_vendor() {
    let (upstream, sim) = pair(|_| {}, |_| {}).await;
    upstream
        .sim(
            "POST",
            "/faults",
            Some(json!({"route": "/api/vendor-api/organization", "method": "GET", "status": 503})),
        )
        .await
        .ok(201);
    let here = sim.vendor("GET", "/organization", None).await;
    assert_eq!(here.status, 200);
    let p = parity_after(&sim, 1).await;
    assert_eq!(p["different"], 1, "{p:#}");
    assert_eq!(p["differences"][0]["upstreamStatus"], 503);
    assert_eq!(
        p["differences"][0]["upstream"],
        json!({"statusCode": 503, "message": "Injected fault (503)", "error": "Service Unavailable"})
    );
}

#[tokio::test]
async fn a_slow_upstream_is_unreachable_after_the_bounded_wait_and_never_delays_the_answer() {
    let (upstream, sim) = pair(|_| {}, |c| c.shadow_timeout_ms = 300).await;
    upstream
        .sim(
            "POST",
            "/faults",
            Some(json!({"route": "/api/vendor-api/organization", "delayMs": 3000})),
        )
        .await
        .ok(201);
    sim.vendor("GET", "/organization", None).await.ok(200);
    // The answer came while the upstream was still sleeping on its copy of the call.
    assert_eq!(sim.sim("GET", "/parity", None).await.ok(200)["calls"], 0);
    let p = parity_after(&sim, 1).await;
    assert_eq!(p["unreachable"], 1, "{p:#}");
    assert_eq!(sim.journal("limit=1").await[0]["parity"], "unreachable");
}

#[tokio::test]
async fn an_upstream_that_is_not_there_is_unreachable() {
    let sim = spawn_with(|c| {
        c.shadow = Some("http://127.0.0.1:9".into());
        c.shadow_token = Some("dG9rZW4=".into());
    })
    .await;
    sim.vendor("GET", "/organization", None).await.ok(200);
    let p = parity_after(&sim, 1).await;
    assert_eq!((p["unreachable"].as_u64(), p["same"].as_u64()), (Some(1), Some(0)));
}

#[test]
fn bad_shadow_settings_are_refused_at_start_naming_the_flag() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let start = |tweak: &dyn Fn(&mut Config)| {
        let mut c = Config::for_tests();
        tweak(&mut c);
        match synthesize_sim::Application::build(c) {
            Ok(_) => panic!("started"),
            Err(e) => e.to_string(),
        }
    };
    let e = start(&|c| {
        c.shadow = Some("app.usegradient.com".into());
        c.shadow_token = Some("dG9rZW4=".into());
    });
    assert!(e.starts_with("--shadow \"app.usegradient.com\""), "{e}");
    let e = start(&|c| c.shadow = Some("https://app.usegradient.com".into()));
    assert!(e.contains("--shadow-token"), "{e}");
    let e = start(&|c| c.shadow_writes = true);
    assert!(e.contains("--shadow"), "{e}");
}

#[tokio::test]
async fn parity_without_shadow_mode_says_so() {
    let app = spawn().await;
    let p = app.sim("GET", "/parity", None).await.ok(200);
    assert_eq!(p["enabled"], false);
    assert_eq!(p["calls"], 0);
    assert_eq!(p["rules"].as_array().unwrap().len(), 11);
}
