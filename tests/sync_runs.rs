//! Sync runs (`/sim/runs`): counts group into runs that a billing rebuild closes; a burst of
//! `no_build=true` counts that no rebuild followed is a run of its own, flagged; each run says
//! per card old -> new, per vendor pair its counts, and the counts refused for unmapped pairs.

mod common;

use common::*;
use serde_json::{json, Value};

/// The newest runs, once the newest is closed by a rebuild (the debounce is 50 ms in tests).
async fn runs_after_rebuild(app: &TestApp, query: &str) -> Vec<Value> {
    for _ in 0..200 {
        let r = app.sim("GET", &format!("/runs{query}"), None).await.ok(200);
        let runs = r["runs"].as_array().cloned().unwrap_or_default();
        if runs.first().is_some_and(|r| r["rebuilt"] == true) {
            return runs;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no rebuilt run came");
}

fn card_pair<'a>(run: &'a Value, account: &str) -> Option<&'a Value> {
    run["pairs"].as_array()?.iter().find(|p| {
        p["kind"] == "card" && p["accountName"] == account && p["serviceName"] == "Managed EDR - Per Endpoint"
    })
}

async fn count_no_build(app: &TestApp, service: &str, account: &str, n: f64) {
    app.vendor(
        "POST",
        &format!("/service/{service}/count?no_build=true"),
        Some(json!({"accountId": account, "unitCount": n})),
    )
    .await
    .ok(201);
}

#[tokio::test]
async fn a_rebuild_closes_the_run_with_each_cards_old_and_new_quantity() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    assert_eq!(app.sim("GET", "/runs", None).await.ok(200)["runs"], json!([]));
    app.count(&service, "acme-1", 50.0).await.ok(201);
    app.count(&service, "cedar-1", 30.0).await.ok(201);
    let runs = runs_after_rebuild(&app, "").await;
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["counts"], 2);
    assert_eq!(run["open"], false);
    assert_eq!(run["flagged"], false);
    assert!(run["endedAt"].is_string() && run["startedAt"].is_string());
    let acme = card_pair(run, "Acme Corp").expect("the Acme card is in the run");
    assert_eq!(acme["new"]["vendorQuantity"], 50.0);
    assert_eq!(acme["old"]["vendorQuantity"], Value::Null, "no count before this run");
    assert_eq!(acme["counted"], true);
    let counts: Vec<&Value> = run["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "count")
        .collect();
    assert_eq!(counts.len(), 2, "one pair per vendor account and service: {counts:?}");
    assert!(counts
        .iter()
        .any(|p| p["accountId"] == "acme-1" && p["unitCount"] == 50.0 && p["serviceId"] == service));
    assert!(run["changed"].as_i64().unwrap() >= 2);

    // The next run: only what it changed, told against the last run.
    app.count(&service, "acme-1", 55.0).await.ok(201);
    let runs = runs_after_rebuild(&app, "").await;
    assert_eq!(runs.len(), 2);
    let run = &runs[0];
    assert!(run["id"].as_i64() > runs[1]["id"].as_i64(), "newest first");
    let acme = card_pair(run, "Acme Corp").unwrap();
    assert_eq!(
        (
            acme["old"]["vendorQuantity"].clone(),
            acme["new"]["vendorQuantity"].clone()
        ),
        (json!(50.0), json!(55.0))
    );
    assert_eq!(acme["change"], "changed");
    assert!(
        card_pair(run, "Cedar Ridge Law, LLP").is_none(),
        "not counted, not changed"
    );
    assert_eq!(run["changed"], 1);

    // One run by id, with the card ids the billing page filters by.
    let one = app.sim("GET", &format!("/runs/{}", run["id"]), None).await.ok(200);
    assert_eq!(one["id"], run["id"]);
    assert_eq!(one["cardIds"]["changed"], json!([acme["cardId"]]));
    assert_eq!(one["cardIds"]["counted"], json!([acme["cardId"]]));
}

#[tokio::test]
async fn no_build_counts_that_no_rebuild_followed_are_a_flagged_run() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.sim("POST", "/clock", Some(json!({"freeze": true}))).await.ok(200);
    count_no_build(&app, &service, "acme-1", 50.0).await;
    count_no_build(&app, &service, "cedar-1", 30.0).await;
    let runs = app.sim("GET", "/runs", None).await.ok(200)["runs"].clone();
    let run = &runs[0];
    assert_eq!(run["open"], true);
    assert_eq!(run["rebuilt"], false);
    assert_eq!(run["rebuildPending"], false);
    assert_eq!(run["flagged"], true, "no rebuild is coming for these counts: {run}");
    assert_eq!(run["noBuildCounts"], 2);
    assert!(run["flag"].as_str().unwrap().contains("no_build"));
    assert!(run["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["kind"] == "count" && p["noBuild"] == true));

    // The next night: the counts start a new run, and the first closes flagged, unbuilt.
    app.sim("POST", "/clock", Some(json!({"advanceMs": 8 * 3600 * 1000})))
        .await
        .ok(200);
    app.count(&service, "acme-1", 51.0).await.ok(201);
    app.sim("POST", "/clock", Some(json!({"advanceMs": 1000})))
        .await
        .ok(200);
    let runs = runs_after_rebuild(&app, "").await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    let (night2, night1) = (&runs[0], &runs[1]);
    assert_eq!(night1["rebuilt"], false);
    assert_eq!(night1["flagged"], true);
    assert_eq!(night1["open"], false);
    assert_eq!(night1["counts"], 2);
    assert_eq!(night1["pairsTotal"], 2);
    assert_eq!(night2["counts"], 1);
    assert_eq!(night2["flagged"], false);
    // The rebuild picked up last night's no_build counts too: told against the last rebuilt
    // state, Cedar changed in this run.
    assert!(card_pair(night2, "Cedar Ridge Law, LLP").is_some());
}

#[tokio::test]
async fn a_pair_that_stops_being_reported_is_found() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 50.0).await.ok(201);
    app.count(&service, "cedar-1", 30.0).await.ok(201);
    runs_after_rebuild(&app, "").await;
    // The partner unmaps Acme: its card's vendor number turns to "-".
    app.unmap_account("acme-1").await;
    app.count(&service, "cedar-1", 31.0).await.ok(201);
    let runs = loop {
        let runs = runs_after_rebuild(&app, "").await;
        if runs.len() == 2 {
            break runs;
        }
    };
    let run = &runs[0];
    assert_eq!(run["stoppedReporting"], 1, "{run}");
    let acme = card_pair(run, "Acme Corp").unwrap();
    assert_eq!(acme["change"], "stopped");
    assert_eq!(acme["old"]["vendorQuantity"], 50.0);
    assert_eq!(acme["new"]["vendorQuantity"], Value::Null);
    let one = app.sim("GET", &format!("/runs/{}", run["id"]), None).await.ok(200);
    assert_eq!(one["cardIds"]["stoppedReporting"], json!([acme["cardId"]]));
}

#[tokio::test]
async fn counts_refused_for_an_unmapped_pair_are_counted_per_pair() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.create_accounts(json!([{"id": "ghost-1", "name": "Ghost Ltd", "description": ""}]))
        .await;
    for n in [3.0, 4.0] {
        assert_eq!(app.count(&service, "ghost-1", n).await.status, 404);
    }
    app.count(&service, "acme-1", 50.0).await.ok(201);
    let runs = runs_after_rebuild(&app, "").await;
    let run = &runs[0];
    assert_eq!(run["notMapped"], 2);
    assert_eq!(run["counts"], 1, "refused counts are not accepted counts");
    let refused: Vec<&Value> = run["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] == "notMapped")
        .collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["accountId"], "ghost-1");
    assert_eq!(refused[0]["counts"], 2);
    assert_eq!(refused[0]["unitCount"], 4.0);
    let only = app
        .sim("GET", &format!("/runs/{}?kind=notMapped", run["id"]), None)
        .await
        .ok(200);
    assert_eq!(only["pairs"], json!([refused[0]]));
    assert_eq!(only["pairsTotal"], 1);
    assert_eq!(
        app.sim("GET", &format!("/runs/{}?kind=other", run["id"]), None)
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn runs_belong_to_their_partner_page_and_404_in_the_sim_shape() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 50.0).await.ok(201);
    let runs = runs_after_rebuild(&app, "").await;
    let other = app
        .sim(
            "POST",
            "/partners",
            Some(json!({"name": "Other MSP", "psa": "autotask"})),
        )
        .await
        .ok(201);
    let pid = other["partnerId"].as_str().unwrap();
    assert_eq!(
        app.sim("GET", &format!("/runs?partnerId={pid}"), None).await.ok(200)["runs"],
        json!([])
    );
    let r = app
        .sim("GET", &format!("/runs/{}?partnerId={pid}", runs[0]["id"]), None)
        .await;
    assert_eq!(r.status, 404, "another partner's run is not found");
    for id in ["999999", "abc"] {
        let r = app.sim("GET", &format!("/runs/{id}"), None).await;
        assert_eq!(r.status, 404);
        assert_eq!(r.body["statusCode"], 404);
        assert_eq!(r.body["error"], "Not Found");
        assert_eq!(r.body["message"], format!("No sync run found with id: {id}"));
    }
    for q in ["limit=0", "limit=abc", "limit=201", "pairLimit=-1", "before=x"] {
        let r = app.sim("GET", &format!("/runs?{q}"), None).await;
        assert_eq!(r.status, 400, "{q}");
        assert_eq!(r.body["statusCode"], 400);
    }
    let r = app.sim("GET", &format!("/runs/{}?limit=0", runs[0]["id"]), None).await;
    assert_eq!(r.status, 400);

    // Paging: one run a page, `next` leads to the older one.
    app.count(&service, "acme-1", 51.0).await.ok(201);
    loop {
        if runs_after_rebuild(&app, "").await.len() == 2 {
            break;
        }
    }
    let first = app.sim("GET", "/runs?limit=1&pairLimit=1", None).await.ok(200);
    assert_eq!(first["runs"].as_array().unwrap().len(), 1);
    assert!(first["runs"][0]["pairs"].as_array().unwrap().len() <= 1);
    let next = first["next"].as_i64().expect("a next page");
    let second = app
        .sim("GET", &format!("/runs?limit=1&before={next}"), None)
        .await
        .ok(200);
    assert_eq!(second["runs"][0]["id"], runs[0]["id"]);
    assert_eq!(second["next"], Value::Null);
}

#[tokio::test]
async fn reset_empties_the_runs_and_a_snapshot_keeps_them() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 50.0).await.ok(201);
    let runs = runs_after_rebuild(&app, "").await;
    app.sim("POST", "/snapshots", Some(json!({"name": "with-runs"})))
        .await
        .ok(201);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_eq!(app.sim("GET", "/runs", None).await.ok(200)["runs"], json!([]));
    app.sim("POST", "/snapshots/with-runs/restore", None).await.ok(200);
    let back = app.sim("GET", "/runs", None).await.ok(200);
    assert_eq!(back["runs"][0]["id"], runs[0]["id"]);
    assert_eq!(back["runs"][0]["pairs"], runs[0]["pairs"]);
}

#[tokio::test]
async fn the_card_history_follows_the_last_rebuilt_runs() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    for n in [10.0, 12.0, 12.0, 15.0] {
        app.count(&service, "acme-1", n).await.ok(201);
        let want = app.sim("GET", "/runs", None).await.ok(200)["runs"]
            .as_array()
            .map_or(0, Vec::len);
        loop {
            let runs = runs_after_rebuild(&app, "").await;
            if runs.len() == want {
                break;
            }
        }
    }
    let billing = app.billing().await;
    let acme = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let cedar = card_for(&billing, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let h = app
        .sim("GET", &format!("/billing/history?runs=3&cardIds={acme},{cedar}"), None)
        .await
        .ok(200);
    assert_eq!(h["runs"].as_array().unwrap().len(), 3);
    let vendor: Vec<Value> = h["cards"][&acme]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["vendorQuantity"].clone())
        .collect();
    assert_eq!(vendor, vec![json!(12.0), json!(12.0), json!(15.0)]);
    let cedar_points = h["cards"][&cedar].as_array().unwrap();
    assert!(cedar_points
        .iter()
        .all(|p| p["vendorQuantity"] == Value::Null && p["psaQuantity"].is_number()));
    let r = app.sim("GET", "/billing/history?runs=0", None).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_snapshot_file_from_before_sync_runs_still_imports() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 50.0).await.ok(201);
    runs_after_rebuild(&app, "").await;
    let before = app.billing().await["cards"].clone();
    app.sim("POST", "/snapshots", Some(json!({"name": "now"})))
        .await
        .ok(201);
    let mut file = app.sim("GET", "/snapshots/now/export", None).await.ok(200);
    // As a build of schema 3 wrote it: no run tables.
    file["schemaVersion"] = json!("3");
    for t in ["sync_run", "sync_run_pair", "sync_baseline"] {
        assert!(
            file["tables"].as_object_mut().unwrap().remove(t).is_some(),
            "{t} is exported"
        );
    }
    app.sim("POST", "/snapshots/import?name=old", Some(file)).await.ok(201);
    app.sim("POST", "/snapshots/old/restore", None).await.ok(200);
    assert_eq!(app.sim("GET", "/runs", None).await.ok(200)["runs"], json!([]));
    assert_eq!(app.billing().await["cards"], before);
    app.count(&service, "acme-1", 52.0).await.ok(201);
    let runs = runs_after_rebuild(&app, "").await;
    let acme = card_pair(&runs[0], "Acme Corp").unwrap();
    assert_eq!(
        (
            acme["old"]["vendorQuantity"].clone(),
            acme["new"]["vendorQuantity"].clone()
        ),
        (json!(50.0), json!(52.0))
    );
}

#[tokio::test]
async fn a_database_file_from_before_sync_runs_opens_and_records_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db");
    let path = db.to_str().unwrap().to_string();
    let (mut app, store) = spawn_with_store(|c| c.db = path.clone()).await;
    let service = app.mapped_setup().await;
    let token = app.token.clone();
    store.close().unwrap();
    drop(store);
    // As a build of schema 3 left it.
    let c = rusqlite::Connection::open(&db).unwrap();
    c.execute_batch(
        "DROP TABLE sync_run; DROP TABLE sync_run_pair; DROP TABLE sync_baseline;
         UPDATE meta SET value = '3' WHERE key = 'schema_version';",
    )
    .unwrap();
    c.pragma_update(None, "user_version", 3).unwrap();
    drop(c);
    let path = db.to_str().unwrap().to_string();
    let mut reopened = spawn_with(|c| c.db = path).await;
    reopened.token = token;
    assert_eq!(reopened.sim("GET", "/runs", None).await.ok(200)["runs"], json!([]));
    reopened.count(&service, "acme-1", 50.0).await.ok(201);
    assert_eq!(runs_after_rebuild(&reopened, "").await[0]["counts"], 1);
    let c = rusqlite::Connection::open(&db).unwrap();
    let version: i32 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, synthesize_sim::store::USER_VERSION);
}

/// Gradient: cards not updated during a month drop off the next month. A count sent in
/// January still shows all February; from the first rebuild in March its card shows "-", the
/// run names it as stopped, and a new count brings the number back.
#[tokio::test]
async fn a_count_not_refreshed_during_a_month_drops_off_its_card_the_next_month() {
    let mut app = spawn_with(|c| c.clock = Some("2027-01-20T12:00:00.000Z".into())).await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 50.0).await.ok(201);
    let acme = |b: &Value| card_for(b, "Acme Corp", "SEC-EDR").expect("Acme's EDR line").clone();
    let b = rebuilt_at(&app, "2027-02-27T23:59:00.000Z").await;
    assert_eq!(
        acme(&b)["vendorQuantity"],
        50.0,
        "still shown the month after it was sent"
    );

    // March's first night: the vendor counts Cedar only.
    app.sim("POST", "/clock", Some(json!({"set": "2027-03-01T02:00:00.000Z"})))
        .await
        .ok(200);
    app.count(&service, "cedar-1", 30.0).await.ok(201);
    let b = rebuilt_at(&app, "2027-03-01T02:00:00.000Z").await;
    let card = acme(&b);
    assert_eq!(card["vendorQuantity"], Value::Null, "{card}");
    assert_eq!(card["feed"], "no_count");
    assert_eq!(card["type"], "psa_only");
    let runs = app.sim("GET", "/runs", None).await.ok(200);
    assert_eq!(runs["runs"][0]["stoppedReporting"], 1, "{}", runs["runs"][0]);
    assert_eq!(card_pair(&runs["runs"][0], "Acme Corp").unwrap()["change"], "stopped");
    app.count(&service, "acme-1", 52.0).await.ok(201);
    let b = app.sim("POST", "/billing/rebuild", Some(json!({}))).await.ok(200);
    assert_eq!(acme(&b)["vendorQuantity"], 52.0);
}

/// The billing view rebuilt at once with the global (default partner's) clock set to `t`.
async fn rebuilt_at(app: &TestApp, t: &str) -> Value {
    app.sim("POST", "/clock", Some(json!({"set": t, "freeze": true})))
        .await
        .ok(200);
    app.sim("POST", "/billing/rebuild", Some(json!({}))).await.ok(200)
}
