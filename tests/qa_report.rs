//! The QA report and checklist charge the vendor only for what the vendor did: no finding
//! before its first call, none for the seed's kickoff connection, none for what the built-in
//! demo vendor portal sent with a revoked key after a disconnect. One numbering (the QA round)
//! everywhere, and the printable report says whose integration it judged.

mod common;
use common::*;
use serde_json::{json, Value};

async fn report(app: &TestApp) -> Value {
    let r = app.sim("GET", "/qa/report", None).await.ok(200);
    r["reports"][0].clone()
}

fn lint<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["lint"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("no {code} finding in {report:#}"))
}

/// A call as the demo vendor portal (static/demo-vendor) makes it: with its marking header.
async fn portal_call(app: &TestApp, token: &str, method: &str, path: &str, body: Option<Value>) -> u16 {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = app
        .client
        .request(m, app.url(&format!("/api/vendor-api{path}")))
        .header("GRADIENT-TOKEN", token)
        .header("X-Sim-Demo-Portal", "1");
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    app.send(rb).await.status
}

#[tokio::test]
async fn a_fresh_start_charges_the_vendor_nothing_before_its_first_call() {
    let app = spawn().await;
    let r = report(&app).await;
    assert_eq!(r["lint"], json!([]), "no finding before any vendor call: {r:#}");
    assert_eq!(r["calls"]["recorded"], 0);
    let html = app.sim("GET", "/qa/report?format=html", None).await;
    assert!(html.text.contains("No findings."), "{}", html.text);
    // Once the vendor calls, an empty portal URL is the vendor's to fix.
    app.vendor("GET", "/organization", None).await.ok(200);
    assert!(report_lint_codes(&report(&app).await).contains(&"portal_url_never_set"));
}

#[tokio::test]
async fn the_seeded_kickoff_connection_never_counts_against_the_vendor() {
    let app = spawn().await;
    // The vendor tries the kickoff key, as Gradient hands it over, then QA starts.
    app.vendor("GET", "/organization", None).await.ok(200);
    app.disconnect().await;
    let r = report(&app).await;
    assert!(
        !report_lint_codes(&r).contains(&"status_never_pending"),
        "the kickoff connection is the seed's, not a connection the vendor had to set pending: {r:#}"
    );
}

#[tokio::test]
async fn rounds_are_the_one_numbering_in_the_checklist_and_the_findings() {
    let mut app = spawn().await;
    app.disconnect().await;
    app.connect().await; // the integration's second connection, QA's first round
    let q = app.sim("GET", "/qa", None).await.ok(200)[0].clone();
    assert_eq!(q["round"], 1, "{q:#}");
    assert!(q.get("cycle").is_none(), "no connection number beside the round: {q:#}");
    app.fresh_token().await;
    app.vendor("GET", "/organization", None).await.ok(200);
    // Never sets pending, syncs accounts anyway: the finding names the round.
    app.create_accounts(json!([{"id": "acme-1", "name": "Acme Corp"}]))
        .await;
    let r = report(&app).await;
    assert_eq!(r["round"], 1);
    let example = lint(&r, "status_never_pending")["example"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(example.starts_with("round 1's connection"), "{example}");
    assert!(!example.contains("connection 2"), "{example}");
}

#[tokio::test]
async fn the_printable_report_names_partner_psa_and_seed_and_prints() {
    let app = spawn().await;
    let r = report(&app).await;
    assert_eq!(r["partnerName"], "Flamingo Demo MSP");
    assert_eq!(r["psa"], "ConnectWise PSA");
    assert_eq!(r["seed"], "flamingo");
    let html = app.sim("GET", "/qa/report?format=html", None).await.text;
    for shown in [
        "<dd data-testid=\"report-partner\">Flamingo Demo MSP</dd>",
        "<dd data-testid=\"report-psa\">ConnectWise PSA</dd>",
        "<dd data-testid=\"report-seed\">flamingo</dd>",
        "onclick=\"window.print()\"",
        // The button is not printed; the page asks no favicon of the server.
        "@media print{body{margin:0}.print{display:none}}",
        "<link rel=\"icon\" href=\"data:,\">",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
}

#[tokio::test]
async fn the_demo_portals_calls_after_a_disconnect_are_left_out_of_the_report() {
    let mut app = spawn().await;
    app.disconnect().await;
    app.connect().await;
    app.fresh_token().await;
    let key = app.token.clone();
    assert_eq!(portal_call(&app, &key, "GET", "/organization", None).await, 200);
    app.disconnect().await;
    // The portal still holds the revoked key: the person at it presses a few buttons.
    assert_eq!(portal_call(&app, &key, "GET", "/organization", None).await, 401);
    let inactive = Some(json!({}));
    assert_eq!(
        portal_call(&app, &key, "PATCH", "/organization/status/inactive", inactive).await,
        401
    );
    let r = report(&app).await;
    assert_eq!(r["calls"]["recorded"], 1, "{r:#}");
    assert_eq!(r["calls"]["failed"], 0);
    assert_eq!(r["calls"]["demoPortalAfterDisconnect"], 2);
    assert!(!report_lint_codes(&r).contains(&"revoked_token"), "{r:#}");
    let html = app.sim("GET", "/qa/report?format=html", None).await.text;
    assert!(
        html.contains("Left out: 2 call(s) the built-in demo vendor portal made after a disconnect"),
        "{html}"
    );
    // The journal keeps them all, and the vendor's own code with the old key still counts.
    assert_eq!(app.journal("integrationId=65a0c0ffee0000000000f1a0").await.len(), 3);
    assert_eq!(app.vendor_as(&key, "GET", "/organization", None).await.status, 401);
    let r = report(&app).await;
    assert_eq!(r["calls"]["recorded"], 2);
    assert_eq!(r["calls"]["failed"], 1);
    assert!(report_lint_codes(&r).contains(&"revoked_token"), "{r:#}");
    // After the next token, the portal plays the vendor again and its calls count.
    app.connect().await;
    app.fresh_token().await;
    let new_key = app.token.clone();
    assert_eq!(portal_call(&app, &new_key, "GET", "/organization", None).await, 200);
    let r = report(&app).await;
    assert_eq!(r["calls"]["recorded"], 3);
    assert_eq!(r["calls"]["demoPortalAfterDisconnect"], 2);
}

#[tokio::test]
async fn open_vendor_portal_as_json_answers_a_missing_url_without_a_404() {
    let app = spawn().await;
    app.disconnect().await;
    app.connect().await;
    let path = format!("/integrations/{INTEGRATION}/vendor-portal");
    // What the console asks: an answer to show, not an error in the partner's browser console.
    let r = app.sim("GET", &format!("{path}?format=json"), None).await.ok(200);
    assert_eq!(r["url"], Value::Null);
    let message = r["message"].as_str().unwrap();
    assert!(message.contains("has not set an integration portal URL"), "{message}");
    // The redirecting form keeps its 404, with the same words.
    let plain = app.sim("GET", &path, None).await;
    assert_eq!(plain.status, 404);
    assert_eq!(plain.body["message"], message);
    // Pressed either way, the step is done (with its warning).
    let q = app.sim("GET", "/qa", None).await.ok(200)[0].clone();
    let portal = q["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == "portal_opened")
        .unwrap()
        .clone();
    assert_eq!(portal["done"], true);
    assert!(portal["warning"].is_string(), "{portal}");
    // An unknown integration is still a 404.
    let unknown = app
        .sim(
            "GET",
            "/integrations/65a0c0ffee0000000000ffff/vendor-portal?format=json",
            None,
        )
        .await;
    assert_eq!(unknown.status, 404);
}
