//! A bulk approve or dismiss of service cards is one piece of work (one read of the billing
//! view, one rebuild after the last card), and leaves what the same actions one by one leave.

mod common;
use common::*;
use serde_json::{json, Value};

const T0: &str = "2027-01-31T12:00:00.000Z";

/// A simulator whose ids and times repeat, mapped, with counts for both accounts and a view
/// rebuilt on them: the cards to approve (those with a vendor quantity, New Revenue among
/// them) and to dismiss (PSA-only ones).
async fn with_cards() -> (TestApp, Vec<String>, Vec<String>) {
    let mut app = spawn_with(|c| {
        c.clock = Some(T0.into());
        c.deterministic = true;
    })
    .await;
    let service = app.mapped_setup().await;
    // A product Acme has no line of: its count is a New Revenue card.
    let monitoring = app.create_service("Network Watch").await;
    app.map_service(&monitoring, &["NET-MON"]).await;
    app.count(&service, "acme-1", 48.0).await.ok(201);
    app.count(&service, "cedar-1", 7.0).await.ok(201);
    app.count(&monitoring, "acme-1", 12.0).await.ok(201);
    let billing = app.rebuild().await;
    let cards = billing["cards"].as_array().unwrap();
    let ids = |usage: bool| -> Vec<String> {
        cards
            .iter()
            .filter(|c| c["vendorQuantity"].is_null() != usage)
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let approve = ids(true);
    let dismiss: Vec<String> = ids(false).into_iter().take(6).collect();
    assert_eq!(approve.len(), 3, "two reconcile cards and a New Revenue one");
    assert!(
        cards
            .iter()
            .any(|c| c["contractLineId"].is_null() && !c["vendorQuantity"].is_null()),
        "a New Revenue card among them"
    );
    assert_eq!(dismiss.len(), 6);
    (app, approve, dismiss)
}

/// What the actions leave: every card with its state, and the PSA's lines.
async fn end_state(app: &TestApp) -> (Value, Value) {
    let billing = app.sim("GET", "/billing?includeActioned=true", None).await.ok(200);
    let psa = app.sim("GET", "/psa", None).await.ok(200);
    (billing, psa)
}

#[tokio::test]
async fn a_bulk_action_leaves_what_the_same_actions_one_by_one_leave() {
    let (one_by_one, approve, dismiss) = with_cards().await;
    for (action, ids) in [("approve", &approve), ("dismiss", &dismiss)] {
        for id in ids {
            one_by_one
                .sim("POST", &format!("/billing/cards/{id}/{action}"), None)
                .await
                .ok(200);
        }
    }
    let (bulk, approve_again, dismiss_again) = with_cards().await;
    assert_eq!((&approve, &dismiss), (&approve_again, &dismiss_again), "the same cards");
    for (action, ids) in [("approve", &approve), ("dismiss", &dismiss)] {
        let out = bulk
            .sim("POST", "/billing/bulk", Some(json!({"action": action, "cardIds": ids})))
            .await
            .ok(200);
        assert_eq!(out["count"], ids.len());
    }
    let (billing, psa) = end_state(&bulk).await;
    assert_eq!(end_state(&one_by_one).await, (billing.clone(), psa));
    let states: Vec<&str> = billing["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| approve.iter().chain(&dismiss).any(|id| c["id"] == id.as_str()))
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "dismissed").count(), 6, "{states:?}");
    assert!(states.contains(&"approved"), "{states:?}");
}

#[tokio::test]
async fn a_card_named_twice_refuses_the_whole_bulk_as_one_by_one_would() {
    let (app, approve, dismiss) = with_cards().await;
    let before = end_state(&app).await;
    let twice = vec![dismiss[0].clone(), dismiss[1].clone(), dismiss[0].clone()];
    let refused = app
        .sim(
            "POST",
            "/billing/bulk",
            Some(json!({"action": "dismiss", "cardIds": twice})),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.to_string().contains("already dismissed"),
        "{}",
        refused.body
    );
    // An approved New Revenue card is replaced by its new line's card: named again, it is gone.
    let billing = app.billing().await;
    let new_revenue = billing["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contractLineId"].is_null() && !c["vendorQuantity"].is_null())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(approve.contains(&new_revenue));
    let refused = app
        .sim(
            "POST",
            "/billing/bulk",
            Some(json!({"action": "approve", "cardIds": [new_revenue, new_revenue]})),
        )
        .await;
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert_eq!(end_state(&app).await, before, "nothing of either bulk was applied");
    // One by one, the second approve of that card is refused the same way.
    app.sim("POST", &format!("/billing/cards/{new_revenue}/approve"), None)
        .await
        .ok(200);
    let again = app
        .sim("POST", &format!("/billing/cards/{new_revenue}/approve"), None)
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
}
