//! `synthesize-sim demo-vendor`, the real binary, on the vendor's side of the whole QA flow
//! while the test plays the partner through `/sim`: twice (disconnect and reconnect), ending on
//! "QA passed" and the service cards Pelican's usage is meant to produce.

mod common;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs the binary's `demo-vendor` subcommand against the test server.
async fn demo_vendor(app: &TestApp, partner_key: &str, args: &[&str]) -> Run {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_synthesize-sim"));
    cmd.arg("demo-vendor")
        .args(["--base-url", &app.base, "--partner-key", partner_key])
        .args(args)
        .env("RUST_LOG", "warn");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("binary runs"))
        .await
        .unwrap();
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn qa(app: &TestApp) -> Value {
    app.sim("GET", "/qa", None).await.ok(200)[0].clone()
}

async fn wait_for_rebuild(app: &TestApp) {
    for _ in 0..200 {
        if !app.billing().await["pendingRebuild"].as_bool().unwrap() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the debounced rebuild never ran");
}

async fn service_id(app: &TestApp, name: &str) -> String {
    app.mappings().await["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The partner's side of one round: connect, token, vendor portal, mapping, finish.
/// Answers the new partner key.
async fn partner_connects(app: &mut TestApp) -> String {
    app.connect().await;
    let keys = app.fresh_token().await;
    keys["partnerApiKey"].as_str().unwrap().to_string()
}

async fn partner_maps_and_finishes(app: &TestApp) {
    app.sim("GET", &format!("/integrations/{INTEGRATION}/vendor-portal"), None)
        .await
        .ok(302);
    app.step("account_mapping").await.ok(200); // Acme Corp and Granite Peak map themselves
    app.map_account("pel-cedar", "Cedar Ridge Law, LLP").await;
    app.map_account("pel-delta", "Delta Logistics Inc.").await;
    app.step("service_mapping").await.ok(200);
    for (name, code) in [
        ("Endpoint Protection", "SEC-EDR"),
        ("Email Security", "SEC-EMAIL"),
        ("Security Awareness Training", "SEC-SAT"),
    ] {
        let id = service_id(app, name).await;
        app.map_service(&id, &[code]).await;
    }
    app.step("review").await.ok(200);
    app.finish().await.ok(200);
}

fn card_summary(billing: &Value, account: &str, code: &str) -> (String, Value, Value) {
    let c = card_for(billing, account, code).unwrap_or_else(|| panic!("no card {account} {code}"));
    (
        c["type"].as_str().unwrap().to_string(),
        c["psaQuantity"].clone(),
        c["vendorQuantity"].clone(),
    )
}

#[tokio::test]
async fn demo_vendor_and_the_partner_pass_qa_twice_through_the_cycle() {
    let mut app = spawn().await;
    let portal = format!("{}/demo-vendor/", app.base);
    for round in 1..=2 {
        app.disconnect().await;
        let key = partner_connects(&mut app).await;
        let run = demo_vendor(&app, &key, &["--portal-url", &portal, "connect", "setup"]).await;
        assert!(run.ok, "round {round}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout
                .contains("authenticated with Flamingo Demo MSP; status pending"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("4 account(s) sent, 0 already there"),
            "{}",
            run.stdout
        );
        partner_maps_and_finishes(&app).await;
        let run = demo_vendor(&app, &key, &["usage", "alert"]).await;
        assert!(run.ok, "round {round}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("usage: 6 count(s) accepted, 0 not mapped"),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains(": success"),
            "the alert became a ticket: {}",
            run.stdout
        );
        wait_for_rebuild(&app).await;
    }
    let q = qa(&app).await;
    assert_eq!(q["passed"], true, "{q:#}");
    let report = app.sim("GET", "/qa/report", None).await.ok(200);
    assert_eq!(report["reports"][0]["verdict"], "QA passed");

    let b = app.billing().await;
    assert_eq!(
        card_summary(&b, "Acme Corp", "SEC-EDR"),
        ("reconcile".into(), json!(45.0), json!(48.0))
    );
    assert_eq!(
        card_summary(&b, "Acme Corp", "SEC-EMAIL"),
        ("no_change".into(), json!(40.0), json!(40.0))
    );
    assert_eq!(
        card_summary(&b, "Acme Corp", "SEC-SAT"),
        ("new_revenue".into(), json!(0.0), json!(12.0))
    );
    assert_eq!(
        card_summary(&b, "Cedar Ridge Law, LLP", "SEC-EDR"),
        ("reconcile".into(), json!(29.0), json!(27.0))
    );
    assert_eq!(
        card_summary(&b, "Delta Logistics Inc.", "SEC-EDR"),
        ("no_change".into(), json!(69.0), json!(69.0))
    );
    assert_eq!(
        card_summary(&b, "Granite Peak Credit Union", "SEC-EDR"),
        ("reconcile".into(), json!(58.0), json!(60.0))
    );
    // One rebuild request per sync: every count but the last carried no_build.
    let journal = app.sim("GET", "/journal?route=/count", None).await.ok(200);
    let built: Vec<&Value> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["query"].as_str().unwrap_or("").contains("no_build=true"))
        .collect();
    assert_eq!(built.len(), 2, "one count without no_build per round: {journal:#}");
}

#[tokio::test]
async fn unmapped_pairs_are_reported_and_a_revoked_key_is_a_clear_401() {
    let mut app = spawn().await;
    app.disconnect().await;
    let key = partner_connects(&mut app).await;
    // Usage before the services exist: a plain sentence, nothing created.
    let run = demo_vendor(&app, &key, &["usage"]).await;
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("service \"Endpoint Protection\" is not in Gradient: run the setup step first"),
        "{}",
        run.stderr
    );
    // Usage before the partner mapped anything: every count is refused with 404 and named.
    let run = demo_vendor(&app, &key, &["connect", "setup", "usage"]).await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("usage: 0 count(s) accepted, 6 not mapped"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("pel-cedar × Endpoint Protection: not mapped by the partner yet (No account map found with id: pel-cedar); skipped"),
        "{}",
        run.stdout
    );
    // A new token revokes the key the vendor holds: a 401, said plainly, and a failure exit.
    app.fresh_token().await;
    let run = demo_vendor(&app, &key, &["connect"]).await;
    assert!(!run.ok);
    assert!(
        run.stderr.contains("401 Unauthorized on GET /organization"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("partner API key the partner generated last"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn demo_vendor_backs_off_on_429_and_transient_5xx() {
    // A low rate limit makes production's 429 (with Retry-After) happen during the sync.
    let mut app = spawn_with(|c| c.rate_limit = 4).await;
    app.disconnect().await;
    let key = partner_connects(&mut app).await;
    let portal = format!("{}/demo-vendor/", app.base);
    let run = demo_vendor(&app, &key, &["--portal-url", &portal, "connect", "setup"]).await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    partner_maps_and_finishes(&app).await;
    app.sim(
        "POST",
        "/faults",
        Some(json!({"route": "/api/vendor-api/service/*/count", "status": 503, "times": 2})),
    )
    .await
    .ok(201);
    let run = demo_vendor(&app, &key, &["usage"]).await;
    assert!(run.ok, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("usage: 6 count(s) accepted, 0 not mapped"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("call(s) repeated after 429 or a transient error"),
        "{}",
        run.stdout
    );
    let journal = app.sim("GET", "/journal", None).await.ok(200);
    let statuses: Vec<u64> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["status"].as_u64())
        .collect();
    assert!(statuses.contains(&429) && statuses.contains(&503), "{statuses:?}");
}

#[tokio::test]
async fn an_unreachable_base_url_is_said_at_once() {
    // Bind a port, then free it: nothing listens there, so every connection is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_synthesize-sim"));
    cmd.args([
        "demo-vendor",
        "--base-url",
        &format!("http://127.0.0.1:{port}"),
        "connect",
    ]);
    let started = std::time::Instant::now();
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("nothing answers at http://127.0.0.1:{port}/api/vendor-api")),
        "{stderr}"
    );
    assert!(stderr.contains("--base-url"), "{stderr}");
    // No back-off: a refused first connection is not a passing fault.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn server_flags_before_demo_vendor_are_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_synthesize-sim"))
        .args(["--port", "9000", "--quiet", "demo-vendor", "connect"])
        .env_remove("SYNTH_SIM_PORT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--port, --quiet are the simulator's flags"), "{stderr}");
    assert!(stderr.contains("synthesize-sim demo-vendor --base-url"), "{stderr}");
    // The simulator's flags in the environment are no mistake: demo-vendor ignores them.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_synthesize-sim"))
        .args(["demo-vendor", "--help"])
        .env("SYNTH_SIM_PORT", "9000")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
