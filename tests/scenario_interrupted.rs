//! A scenario interrupted by another client (a reset, a disconnect, a new token) answers 409
//! naming what interrupted it, and the state is what the interruption left: the rest of the
//! scenario is not played on top of it.

mod common;
use common::*;
use serde_json::Value;
use std::time::Duration;

/// Starts the large MSP (hundreds of calls: long enough to be interrupted), then sends
/// `interrupt` after `after`; answers the scenario's reply. Retried with a shorter wait if the
/// scenario finished first (a fast machine).
async fn interrupted_by(app: &TestApp, method: &str, path: &str) -> Reply {
    for after in [150, 40, 5] {
        let scenario = app.sim("POST", "/scenarios/large-msp", None);
        let interruption = async {
            tokio::time::sleep(Duration::from_millis(after)).await;
            app.sim(method, path, None).await
        };
        let (reply, interrupting) = tokio::join!(scenario, interruption);
        assert!(interrupting.status < 300, "{path}: {}", interrupting.text);
        if reply.status != 200 {
            return reply;
        }
    }
    panic!("the scenario always finished before {path}");
}

fn account_ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_reset_during_a_scenario_is_a_409_and_the_reset_stands() {
    let app = spawn().await;
    let seeded = account_ids(&app.vendor("GET", "/organization/accounts", None).await.ok(200));
    let r = interrupted_by(&app, "POST", "/reset").await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.body, documented_409("interrupted"), "the documented example");
    let message = r.body["message"].as_str().unwrap();
    assert!(message.contains("\"large-msp\""), "{message}");
    assert!(message.contains("a reset (POST /sim/reset)"), "{message}");
    // The reset's state, not the scenario played on top of it: the seed's accounts only.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let now = account_ids(&app.vendor("GET", "/organization/accounts", None).await.ok(200));
    assert_eq!(now, seeded);
    // Not stuck: the next scenario runs whole.
    app.sim("POST", "/scenarios/all-in-sync", None).await.ok(200);
}

#[tokio::test]
async fn a_disconnect_during_a_scenario_is_a_409_naming_it() {
    let app = spawn().await;
    let path = format!("/integrations/{INTEGRATION}/disconnect");
    let r = interrupted_by(&app, "POST", &path).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("a disconnect of integration {INTEGRATION}")),
        "{message}"
    );
    // The disconnect stands: the scenario did not reconnect or play on after it, so the
    // vendor's key of the integration is refused.
    assert_eq!(app.vendor("GET", "/organization", None).await.status, 401);
}

#[tokio::test]
async fn a_new_token_during_a_scenario_is_a_409_naming_it() {
    let app = spawn().await;
    let path = format!("/integrations/{INTEGRATION}/token");
    let r = interrupted_by(&app, "POST", &path).await;
    assert_eq!(r.status, 409, "{}", r.text);
    let message = r.body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("a new token for integration {INTEGRATION}")),
        "{message}"
    );
}
