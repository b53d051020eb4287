//! The database at start and when the disk fills: another program's file or a newer schema is
//! refused with a clear message, and a full disk says so (507, and in /sim/health).

mod common;
use common::*;
use serde_json::json;
use synthesize_sim::config::Config;
use synthesize_sim::Application;

fn config_on(path: &std::path::Path) -> Config {
    let mut config = Config::for_tests();
    config.db = path.to_str().unwrap().to_string();
    config
}

fn refusal(path: &std::path::Path) -> String {
    match Application::build(config_on(path)) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn another_programs_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm.db");
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a@b.c');")
        .unwrap();
    drop(c);
    let before = std::fs::read(&path).unwrap();
    let message = refusal(&path);
    assert!(message.contains("is not a synthesize-sim database"), "{message}");
    assert!(message.contains("users"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "the foreign file was written to");

    // Another program's own application_id, even without tables.
    let tagged = dir.path().join("tagged.db");
    let c = rusqlite::Connection::open(&tagged).unwrap();
    c.pragma_update(None, "application_id", 0x0f0f_0f0f).unwrap();
    drop(c);
    assert!(refusal(&tagged).contains("application_id is 0xf0f0f0f"));

    // Not SQLite at all.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "these are my notes, not a database; ".repeat(200)).unwrap();
    assert!(refusal(&text).contains("is not an SQLite database"));
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_an_older_file_is_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.db");
    let first = Application::build(config_on(&path)).unwrap();
    // Stopped cleanly: the file is free for the next start.
    first.state.ops.store.close().unwrap();
    drop(first);
    let c = rusqlite::Connection::open(&path).unwrap();
    let (app_id, version): (i32, i32) = c
        .query_row("SELECT * FROM pragma_application_id, pragma_user_version", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        (app_id, version),
        (
            synthesize_sim::store::APPLICATION_ID,
            synthesize_sim::store::USER_VERSION
        )
    );

    c.pragma_update(None, "user_version", 99).unwrap();
    let message = refusal(&path);
    assert!(
        message.contains("written by a newer synthesize-sim (schema 99"),
        "{message}"
    );

    // A file of a build from before application_id was set: recognised by its meta row.
    c.pragma_update(None, "user_version", 0).unwrap();
    c.pragma_update(None, "application_id", 0).unwrap();
    drop(c);
    let app = Application::build(config_on(&path)).unwrap();
    assert!(
        app.state.ops.store.read(|c| c
            .query_row("PRAGMA application_id", [], |r| r.get::<_, i32>(0))
            .unwrap())
            == synthesize_sim::store::APPLICATION_ID
    );
}

#[tokio::test]
async fn a_full_disk_says_so_and_health_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.db");
    let app = Application::build(config_on(&path)).unwrap();
    let state = app.state.clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.server());
    let t = TestApp {
        base,
        client: reqwest::Client::new(),
        token: token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY),
    };
    // The disk "fills": the database may not grow past its present size.
    state.ops.store.on_writer(|c| {
        let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).unwrap();
        c.pragma_update(None, "max_page_count", pages).unwrap();
    });
    let before = t.vendor("GET", "/organization/accounts", None).await.ok(200);
    let big: Vec<_> = (0..90)
        .map(|i| json!({"id": format!("big-{i}"), "name": "x".repeat(900)}))
        .collect();
    let r = t.vendor("POST", "/organization/accounts", Some(json!(big))).await;
    assert_eq!(r.status, 507, "{}", r.text);
    assert_eq!(r.body["error"], "Insufficient Storage");
    assert!(r.body["message"].as_str().unwrap().contains("disk is full"));
    assert_eq!(t.vendor("GET", "/organization/accounts", None).await.ok(200), before);
    let health = t.sim("GET", "/health", None).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.body["status"], "disk_full");
    // Space is freed: the next write goes through and health is ok again.
    state
        .ops
        .store
        .on_writer(|c| c.pragma_update(None, "max_page_count", 1_000_000).unwrap());
    t.vendor("POST", "/organization/accounts", Some(json!(big)))
        .await
        .ok(201);
    assert_eq!(t.sim("GET", "/health", None).await.ok(200), json!({"status": "ok"}));
}

#[tokio::test]
async fn a_read_only_database_is_a_storage_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sim.db");
    let app = Application::build(config_on(&path)).unwrap();
    let state = app.state.clone();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.server());
    let t = TestApp {
        base,
        client: reqwest::Client::new(),
        token: token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY),
    };
    // SQLite answers SQLITE_READONLY, as for a file or folder made read-only under it.
    state
        .ops
        .store
        .on_writer(|c| c.pragma_update(None, "query_only", true).unwrap());
    let body = json!([{"id": "ro-1", "name": "Read only"}]);
    for _ in 0..3 {
        let r = t.vendor("POST", "/organization/accounts", Some(body.clone())).await;
        assert_eq!(r.status, 503, "{}", r.text);
        assert_eq!(r.body["error"], "Service Unavailable");
        let message = r.body["message"].as_str().unwrap();
        assert!(message.contains(path.to_str().unwrap()), "names the file: {message}");
        assert!(message.contains("may not be written"), "{message}");
        assert!(message.contains("nothing was stored"), "{message}");
    }
    let health = t.sim("GET", "/health", None).await;
    assert_eq!(health.status, 503);
    assert_eq!(health.body["status"], "storage_error");
    assert!(health.body["message"].as_str().unwrap().contains("may not be written"));
    state
        .ops
        .store
        .on_writer(|c| c.pragma_update(None, "query_only", false).unwrap());
    t.vendor("POST", "/organization/accounts", Some(body)).await.ok(201);
    assert_eq!(t.sim("GET", "/health", None).await.ok(200), json!({"status": "ok"}));
}
