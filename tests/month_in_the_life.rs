//! The scenario `month-in-the-life`: a partner's month on its own clock, each event a named
//! step, ending where production would: the new customer billed, the renamed one unmapped,
//! the lost one gone, the lapsed counts named, and the month-end approvals effective on the 1st.

mod common;
use common::*;
use serde_json::{json, Value};

const T0: &str = "2027-01-10T12:00:00.000Z";

#[tokio::test]
async fn a_month_in_the_life_ends_as_production_would() {
    let app = spawn_with(|c| c.clock = Some(T0.into())).await;
    let listed = app.sim("GET", "/scenarios", None).await.ok(200);
    let month = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "month-in-the-life")
        .expect("listed")
        .clone();
    let out = app.sim("POST", "/scenarios/month-in-the-life", None).await.ok(200);

    // Every listed step happened, in order, at the partner's time.
    let names: Vec<&Value> = out["steps"].as_array().unwrap().iter().map(|s| &s["name"]).collect();
    let listed_names: Vec<&Value> = month["steps"].as_array().unwrap().iter().collect();
    assert_eq!(names, listed_names);
    let at = |i: usize| out["steps"][i]["at"].as_str().unwrap().to_string();
    assert_eq!(at(0), "2027-01-25T09:00:00.000Z");
    assert_eq!(at(2), "2027-02-03T10:00:00.000Z");
    assert_eq!(at(9), "2027-02-28T17:00:00.000Z");

    // The partner's clock moved; the global clock did not.
    assert_eq!(app.sim("GET", "/clock", None).await.ok(200)["now"], T0);
    let partner = app.sim("GET", "/info", None).await.ok(200)["partner"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let clock = app
        .sim("GET", &format!("/partners/{partner}/clock"), None)
        .await
        .ok(200);
    assert_eq!(
        clock,
        json!({"now": "2027-02-28T17:00:00.000Z", "frozen": true, "own": true})
    );

    // The new customer auto-mapped; the renamed one did not; the lost one's counts are refused.
    assert!(
        out["steps"][2]["detail"].as_str().unwrap().contains("maps 1 account"),
        "{}",
        out["steps"][2]
    );
    assert!(
        out["steps"][4]["detail"].as_str().unwrap().contains("maps 0 account"),
        "{}",
        out["steps"][4]
    );
    let refused = out["notMapped"].to_string();
    assert!(
        refused.contains("pel-harbor") && refused.contains("pel-ironclad"),
        "{refused}"
    );
    let psa = app.sim("GET", "/psa", None).await.ok(200).to_string();
    assert!(psa.contains("Harbor View Realty Group") && psa.contains("Nightingale Veterinary"));
    assert!(!psa.contains("Ironclad Construction"), "the lost customer left the PSA");
    let mappings = app.mappings().await;
    let account = |id: &str| {
        mappings["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no account {id}"))
            .clone()
    };
    assert_eq!(account("pel-nightingale")["psaAccountName"], "Nightingale Veterinary");
    assert_eq!(account("pel-harbor")["psaAccountId"], Value::Null);
    assert_eq!(account("pel-ironclad")["psaAccountId"], Value::Null);

    // Delta was counted last month only: named at month end.
    assert!(
        out["steps"][8]["detail"]
            .as_str()
            .unwrap()
            .contains("Delta Logistics × Endpoint Protection (last count 2027-01-26)"),
        "{}",
        out["steps"][8]
    );

    // Month end: the reconcile cards approved, effective on the 1st; the rest No Change.
    assert_eq!(out["steps"][9]["detail"], "3 card(s) approved, effective 2027-03-01");
    assert_eq!(out["cards"], json!({"no_change": 4}));
    let b = app.sim("GET", "/billing?includeActioned=true", None).await.ok(200);
    assert_eq!(b["period"], "2027-02");
    for (account, qty) in [
        ("Acme Corp", 47.0),
        ("Cedar Ridge Law, LLP", 31.0),
        ("Nightingale Veterinary", 15.0),
    ] {
        let c = card_for(&b, account, "SEC-EDR").unwrap_or_else(|| panic!("no card for {account}"));
        assert_eq!(c["state"], "approved", "{account}");
        assert_eq!(c["effectiveDate"], "2027-03-01", "{account}");
        assert_eq!(c["psaQuantity"], qty, "{account}");
    }
    assert!(card_for(&b, "Ironclad Construction", "SEC-EDR").is_none());

    // The journal saw the refused counts as production answers them, with the lint.
    let refused_counts = app.journal("status=404").await;
    assert!(
        refused_counts
            .iter()
            .any(|e| e["path"].as_str().unwrap_or("").contains("/count")),
        "{refused_counts:?}"
    );
}
