//! The account mapping step a page at a time (`GET /sim/integrations/{id}/mappings/accounts`):
//! a vendor's first sync at a large MSP brings 100,000 accounts, and the step's first page must
//! not wait for all of them. Pages, search, hide mapped, the counts, and bad parameters.

mod common;
use common::*;
use serde_json::{json, Value};

fn page_path(query: &str) -> String {
    format!("/integrations/{INTEGRATION}/mappings/accounts{query}")
}

async fn page(app: &TestApp, query: &str) -> Value {
    app.sim("GET", &page_path(query), None).await.ok(200)
}

/// Acme Corp (auto) and cedar-1 (manual) mapped, then ten unmapped accounts "Tenant 00".."09"
/// and one whose description alone names "Ridge".
async fn setup(app: &mut TestApp) {
    app.mapped_setup().await;
    let more: Vec<Value> = (0..10)
        .map(|i| json!({"id": format!("t-{i:02}"), "name": format!("Tenant {i:02}"), "description": ""}))
        .chain([json!({"id": "zz-1", "name": "Zephyr", "description": "near Blue RIDGE"})])
        .collect();
    app.create_accounts(Value::Array(more)).await;
}

#[tokio::test]
async fn pages_walk_the_accounts_in_creation_order_with_the_counts() {
    let mut app = spawn().await;
    setup(&mut app).await;
    let first = page(&app, "?limit=5").await;
    assert_eq!(ids(&first["accounts"]), ["acme-1", "cedar-1", "t-00", "t-01", "t-02"]);
    assert_eq!(
        (
            &first["total"],
            &first["mapped"],
            &first["matched"],
            &first["offset"],
            &first["limit"]
        ),
        (&json!(13), &json!(2), &json!(13), &json!(0), &json!(5))
    );
    let second = page(&app, "?offset=5&limit=5").await;
    assert_eq!(ids(&second["accounts"]), ["t-03", "t-04", "t-05", "t-06", "t-07"]);
    let last = page(&app, "?offset=10&limit=5").await;
    assert_eq!(ids(&last["accounts"]), ["t-08", "t-09", "zz-1"]);
    assert_eq!(page(&app, "?offset=40").await["accounts"], json!([]));
    // The default page is the console's 60.
    let whole = page(&app, "").await;
    assert_eq!(
        (whole["limit"].as_i64(), whole["accounts"].as_array().unwrap().len()),
        (Some(60), 13)
    );
    // Each row is the one the whole view shows.
    let view = app.mappings().await;
    assert_eq!(whole["accounts"], view["accounts"]);
    // The PSA companies in use, each with its number of accounts.
    let acme = app.psa_account_id("Acme Corp").await;
    let cedar = app.psa_account_id("Cedar Ridge Law, LLP").await;
    assert_eq!(whole["mappedPerPsaAccount"], json!({acme: 1, cedar: 1}));
}

#[tokio::test]
async fn search_matches_id_name_description_and_the_psa_company_whatever_the_case() {
    let mut app = spawn().await;
    setup(&mut app).await;
    // "ridge": cedar-1 by its PSA company and its name, zz-1 by its description.
    let r = page(&app, "?q=RIDGE").await;
    assert_eq!(ids(&r["accounts"]), ["cedar-1", "zz-1"]);
    assert_eq!((&r["matched"], &r["total"]), (&json!(2), &json!(13)));
    // Only the PSA company's name: "Law, LLP" is in "Cedar Ridge Law, LLP", not in the account's.
    assert_eq!(ids(&page(&app, "?q=law%2C%20llp").await["accounts"]), ["cedar-1"]);
    assert_eq!(
        ids(&page(&app, "?q=T-0&limit=3").await["accounts"]),
        ["t-00", "t-01", "t-02"]
    );
    assert_eq!(page(&app, "?q=T-0&limit=3").await["matched"], 10);
    // A search is a substring, not a pattern: % and _ are themselves.
    assert_eq!(page(&app, "?q=%25").await["matched"], 0);
    assert_eq!(page(&app, "?q=t_0").await["matched"], 0);
    // Blank is no search.
    assert_eq!(page(&app, "?q=%20%20").await["matched"], 13);
    // Beyond ASCII, as the console's toLowerCase.
    app.create_accounts(json!([{"id": "e-1", "name": "ÉCOLE Saint-Jean", "description": ""}]))
        .await;
    assert_eq!(ids(&page(&app, "?q=%C3%A9cole").await["accounts"]), ["e-1"]);
}

#[tokio::test]
async fn hide_mapped_leaves_out_mapped_accounts_alone_and_with_a_search() {
    let mut app = spawn().await;
    setup(&mut app).await;
    let r = page(&app, "?hideMapped=true&limit=3").await;
    assert_eq!(ids(&r["accounts"]), ["t-00", "t-01", "t-02"]);
    assert_eq!(
        (&r["matched"], &r["mapped"], &r["total"]),
        (&json!(11), &json!(2), &json!(13))
    );
    let r = page(&app, "?hideMapped=true&q=ridge").await;
    assert_eq!(ids(&r["accounts"]), ["zz-1"]);
    assert_eq!(r["matched"], 1);
    assert_eq!(page(&app, "?hideMapped=false").await["matched"], 13);
}

#[tokio::test]
async fn a_mapping_made_or_taken_back_is_in_the_next_page() {
    let mut app = spawn().await;
    setup(&mut app).await;
    let delta = app.psa_account_id("Delta Logistics Inc.").await;
    let mapped = app.map_account("t-03", "Delta Logistics Inc.").await;
    let r = page(&app, "?offset=5&limit=1").await;
    assert_eq!(r["accounts"][0], mapped);
    assert_eq!(
        (&r["mapped"], &r["mappedPerPsaAccount"][&delta]),
        (&json!(3), &json!(1))
    );
    assert_eq!(page(&app, "?hideMapped=1").await["matched"], 10);
    assert_eq!(ids(&page(&app, "?q=delta").await["accounts"]), ["t-03"]);
    app.map_account("t-04", "Delta Logistics Inc.").await;
    assert_eq!(page(&app, "").await["mappedPerPsaAccount"][&delta], 2);
    app.unmap_account("t-03").await;
    app.unmap_account("t-04").await;
    let r = page(&app, "?q=delta").await;
    assert_eq!((&r["matched"], &r["mapped"]), (&json!(0), &json!(2)));
    assert!(r["mappedPerPsaAccount"].get(&delta).is_none(), "{r}");
    // Accounts that arrive are in the next page too.
    app.create_accounts(json!([{"id": "new-1", "name": "Newcomer", "description": ""}]))
        .await;
    let r = page(&app, "?offset=13").await;
    assert_eq!((ids(&r["accounts"]), &r["total"]), (vec!["new-1"], &json!(14)));
}

#[tokio::test]
async fn only_mapped_keeps_the_mapped_accounts_for_the_review_step() {
    let mut app = spawn().await;
    setup(&mut app).await;
    let r = page(&app, "?onlyMapped=true").await;
    assert_eq!(ids(&r["accounts"]), ["acme-1", "cedar-1"]);
    assert_eq!(
        (&r["matched"], &r["mapped"], &r["total"]),
        (&json!(2), &json!(2), &json!(13))
    );
    assert!(
        r["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["psaAccountId"].is_string()),
        "{r}"
    );
    // With a search, in the account's own text and its PSA company's name.
    let r = page(&app, "?onlyMapped=true&q=law").await;
    assert_eq!((ids(&r["accounts"]), &r["matched"]), (vec!["cedar-1"], &json!(1)));
    assert_eq!(page(&app, "?onlyMapped=1&q=tenant").await["matched"], 0);
    app.map_account("t-05", "Delta Logistics Inc.").await;
    let r = page(&app, "?onlyMapped=true&offset=2&limit=1").await;
    assert_eq!((ids(&r["accounts"]), &r["matched"]), (vec!["t-05"], &json!(3)));
    app.unmap_account("acme-1").await;
    assert_eq!(
        ids(&page(&app, "?onlyMapped=true").await["accounts"]),
        ["cedar-1", "t-05"]
    );
    assert_eq!(page(&app, "?onlyMapped=false").await["matched"], 13);
}

/// The console pages the accounts: the PSA side and the services come without them.
#[tokio::test]
async fn the_mappings_view_leaves_the_accounts_out_when_asked() {
    let mut app = spawn().await;
    setup(&mut app).await;
    let whole = app.mappings().await;
    let path = format!("/integrations/{INTEGRATION}/mappings");
    let without = app.sim("GET", &format!("{path}?accounts=false"), None).await.ok(200);
    assert!(without.get("accounts").is_none(), "{without}");
    for key in ["services", "psaAccounts", "psaProducts"] {
        assert_eq!(without[key], whole[key], "{key}");
    }
    assert!(!whole["psaAccounts"].as_array().unwrap().is_empty());
    assert_eq!(
        app.sim("GET", &format!("{path}?accounts=true"), None).await.ok(200),
        whole
    );
    let r = app.sim("GET", &format!("{path}?accounts=some"), None).await;
    assert_eq!(
        (r.status, &r.body["message"]),
        (400, &json!(["accounts must be a boolean value"]))
    );
    let r = app.sim("GET", "/integrations/nope/mappings?accounts=false", None).await;
    assert_eq!(r.status, 404, "{}", r.text);
}

#[tokio::test]
async fn bad_parameters_are_refused_with_a_clear_message() {
    let mut app = spawn().await;
    setup(&mut app).await;
    for (query, message) in [
        ("?limit=0", "limit must be a whole number from 1 to 500"),
        ("?limit=501", "limit must be a whole number from 1 to 500"),
        ("?limit=ten", "limit must be a whole number from 1 to 500"),
        ("?offset=-1", "offset must be a whole number from 0 to 2147483647"),
        ("?offset=1.5", "offset must be a whole number from 0 to 2147483647"),
        ("?hideMapped=maybe", "hideMapped must be a boolean value"),
        ("?onlyMapped=yes", "onlyMapped must be a boolean value"),
        (
            "?hideMapped=true&onlyMapped=true",
            "hideMapped and onlyMapped cannot both be true",
        ),
    ] {
        let r = app.sim("GET", &page_path(query), None).await;
        assert_eq!(r.status, 400, "{query}: {}", r.text);
        assert_eq!(r.body["message"], json!([message]), "{query}");
        assert_eq!(r.body["statusCode"], 400);
    }
    let long = "a".repeat(201);
    let r = app.sim("GET", &page_path(&format!("?q={long}")), None).await;
    assert_eq!(
        (r.status, &r.body["message"]),
        (400, &json!(["q must be at most 200 characters"]))
    );
    assert_eq!(
        app.sim("GET", &page_path(&format!("?q={}", &long[1..])), None)
            .await
            .status,
        200
    );
    let r = app.sim("GET", "/integrations/nope/mappings/accounts", None).await;
    assert_eq!(r.status, 404, "{}", r.text);
}
