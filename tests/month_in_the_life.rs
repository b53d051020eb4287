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
    assert_eq!(at(3), "2027-02-04T01:00:00.000Z");
    assert_eq!(at(12), "2027-02-28T17:00:00.000Z");
    assert_eq!(at(13), "2027-03-01T02:00:00.000Z");

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
    // The last night's push and, after the quiet time, its rebuild.
    assert!(
        clock["now"].as_str().unwrap().starts_with("2027-03-01T02:00:"),
        "{clock}"
    );
    assert_eq!((&clock["frozen"], &clock["own"]), (&json!(true), &json!(true)));

    // A PSA change reaches Synthesize at the PSA's next nightly sync: the new customer maps
    // only after it; the renamed one does not map at all; the lost one's counts are refused.
    let detail = |i: usize| out["steps"][i]["detail"].as_str().unwrap().to_string();
    assert!(
        detail(2).contains("maps 0 account"),
        "before the PSA sync: {}",
        detail(2)
    );
    assert!(detail(3).contains("maps 1 account"), "after it: {}", detail(3));
    assert!(detail(6).contains("maps 0 account"), "{}", detail(6));
    assert!(detail(9).contains("1 vendor account(s) unmapped"), "{}", detail(9));
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

    // Delta was counted last month only: named at month end, gone from its card in the next.
    assert!(
        detail(11).contains("Delta Logistics × Endpoint Protection (last count 2027-01-26)"),
        "{}",
        detail(11)
    );
    assert_eq!(detail(12), "3 card(s) approved, effective 2027-03-01");
    assert!(
        detail(13).contains("not refreshed last month: Delta Logistics Inc. × Managed EDR - Per Endpoint"),
        "{}",
        detail(13)
    );

    // The next month: the approved quantities are the PSA's, effective on the 1st, so every
    // card still fed is No Change; Delta's card shows "-"; Ironclad's cards are gone.
    assert_eq!(out["cards"], json!({"no_change": 6}));
    let b = app.sim("GET", "/billing?includeActioned=true", None).await.ok(200);
    assert_eq!(b["period"], "2027-03");
    for (account, qty) in [
        ("Acme Corp", 47.0),
        ("Cedar Ridge Law, LLP", 31.0),
        ("Nightingale Veterinary", 15.0),
    ] {
        let c = card_for(&b, account, "SEC-EDR").unwrap_or_else(|| panic!("no card for {account}"));
        assert_eq!(c["type"], "no_change", "{account}");
        assert_eq!(c["psaQuantity"], qty, "{account}");
        assert_eq!(c["vendorQuantity"], qty, "{account}");
    }
    let approved_lines = psa.matches("\"effectiveDate\":\"2027-03-01\"").count();
    assert_eq!(approved_lines, 3, "the approvals' lines carry the 1st: {psa}");
    let delta = card_for(&b, "Delta Logistics Inc.", "SEC-EDR").expect("Delta's PSA line stays");
    assert_eq!(delta["vendorQuantity"], Value::Null);
    assert_eq!(delta["feed"], "no_count");
    assert_eq!(delta["type"], "psa_only");
    assert!(card_for(&b, "Ironclad Construction", "SEC-EDR").is_none());

    // The sync runs tell the same story: the new month's run names Delta's card as stopped.
    let runs = app.sim("GET", "/runs", None).await.ok(200);
    let last = &runs["runs"][0];
    assert_eq!(last["startedAt"], "2027-03-01T02:00:00.000Z");
    assert_eq!(runs["runs"].as_array().unwrap().len(), 5, "one run a night: {runs}");
    assert_eq!(last["stoppedReporting"], 1, "{last}");
    assert_eq!(last["notMapped"], 2, "{last}");
    assert!(
        runs["runs"].as_array().unwrap().iter().all(|r| r["rebuilt"] == true
            && r["endedAt"].as_str().unwrap_or("")[..13] == r["startedAt"].as_str().unwrap_or("")[..13]),
        "each night's run ends that night with its rebuild: {runs}"
    );

    // The journal saw the refused counts as production answers them, with the lint.
    let refused_counts = app.journal("status=404").await;
    assert!(
        refused_counts
            .iter()
            .any(|e| e["path"].as_str().unwrap_or("").contains("/count")),
        "{refused_counts:?}"
    );

    // The QA checklist: a month of syncs on the seeded kickoff key is no QA round, as Gradient's
    // QA starts from a disconnected integration; the checklist still asks for that first step.
    let qa = app.sim("GET", "/qa", None).await.ok(200);
    assert_eq!(qa[0]["passed"], false);
    assert_eq!(qa[0]["currentStep"], "disconnected_at_start");
}
