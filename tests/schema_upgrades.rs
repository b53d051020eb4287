//! Files and snapshots of schema 2 (before three columns that nothing read were dropped) open
//! and restore in this build: a database file is upgraded in place at open, every other value
//! intact; a snapshot document of schema 2 imports and restores as one of this build's.

mod common;
use common::*;
use rusqlite::types::Value as Sql;
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use synthesize_sim::store::migrate::UNREAD_COLUMNS;

/// The tables of sync runs (schema 4).
const RUN_TABLES: [&str; 3] = ["sync_run", "sync_run_pair", "sync_baseline"];
use synthesize_sim::store::{Store, APPLICATION_ID, SCHEMA_VERSION, USER_VERSION};

/// A stale last sync, as the integration rows of earlier builds kept it: never what is shown.
const STALE_SYNC: &str = "2001-01-01T00:00:00.000Z";

fn tables(c: &Connection, schema: &str) -> Vec<String> {
    c.prepare(&format!(
        "SELECT name FROM {schema}.sqlite_master WHERE type = 'table' ORDER BY name"
    ))
    .unwrap()
    .query_map([], |r| r.get(0))
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn columns(c: &Connection, schema: &str, table: &str) -> Vec<String> {
    c.prepare(&format!("PRAGMA {schema}.table_info({table})"))
        .unwrap()
        .query_map([], |r| r.get(1))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every row of every table, by rowid.
fn contents(path: &std::path::Path) -> BTreeMap<String, Vec<Vec<Sql>>> {
    let c = Connection::open(path).unwrap();
    let mut out = BTreeMap::new();
    for t in tables(&c, "main") {
        let mut st = c.prepare(&format!("SELECT * FROM {t} ORDER BY rowid")).unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| (0..n).map(|i| r.get::<_, Sql>(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        out.insert(t, rows);
    }
    out
}

/// The same rows in a file of schema 2, as that build wrote them: the dropped columns filled
/// (a tally per QA fact, the last built count, a stale last sync), meta and versions of 2.
fn write_schema_2(from: &std::path::Path, to: &std::path::Path) {
    let c = Connection::open(to).unwrap();
    // Tables copied in name order, parents after some children.
    c.pragma_update(None, "foreign_keys", "OFF").unwrap();
    c.execute_batch(include_str!("fixtures/schema-v2.sql")).unwrap();
    c.execute("ATTACH DATABASE ?1 AS src", [from.to_str().unwrap()])
        .unwrap();
    for t in tables(&c, "main") {
        let cols = columns(&c, "src", &t).join(", ");
        c.execute(
            &format!("INSERT INTO main.{t} (rowid, {cols}) SELECT rowid, {cols} FROM src.{t}"),
            [],
        )
        .unwrap();
    }
    c.execute_batch(&format!(
        "UPDATE main.qa_fact SET events = items + 2;
         UPDATE main.count_summary SET last_built_at = last_at;
         UPDATE main.integration SET last_synced_at = '{STALE_SYNC}';
         UPDATE main.meta SET value = '2' WHERE key = 'schema_version';
         DETACH DATABASE src;"
    ))
    .unwrap();
    let filled: i64 = c
        .query_row(
            "SELECT (SELECT COUNT(*) FROM qa_fact WHERE events > 0) * (SELECT COUNT(*) FROM count_summary WHERE last_built_at IS NOT NULL)
               * (SELECT COUNT(*) FROM integration WHERE last_synced_at IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(filled > 0, "the schema-2 file has values in every dropped column");
    c.pragma_update(None, "user_version", 2).unwrap();
    c.pragma_update(None, "application_id", APPLICATION_ID).unwrap();
}

#[tokio::test]
async fn a_schema_2_database_is_upgraded_with_its_data_intact() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.db");
    let path = current.clone();
    let (mut app, store) = spawn_with_store(|c| {
        c.db = path.to_str().unwrap().to_string();
        c.clock = Some("2027-01-31T12:00:00.000Z".into());
    })
    .await;
    let service = busy_state(&mut app).await;
    let before = partner_view(&app).await;
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_ne!(org["lastSyncedAt"], "1900-01-01T00:00:00.000Z", "{org}");
    // Stopped cleanly: the file alone holds the state.
    store.close().unwrap();

    let old = dir.path().join("old.db");
    write_schema_2(&current, &old);
    // A build of schema 3 opens it: the columns are gone and every other value is as it was.
    drop(Store::open(old.to_str().unwrap()).unwrap());
    let c = Connection::open(&old).unwrap();
    for (table, column) in UNREAD_COLUMNS {
        assert!(
            !columns(&c, "main", table).iter().any(|c| c == column),
            "{table}.{column} is still there"
        );
    }
    let version: i32 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, USER_VERSION);
    let broken: i64 = c
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(broken, 0);
    drop(c);
    // A file of schema 2 has no sync runs: it gains their tables, empty (schema 4).
    let (mut old_rows, mut current_rows) = (contents(&old), contents(&current));
    for t in RUN_TABLES {
        assert_eq!(old_rows.remove(t), Some(vec![]), "{t}");
        current_rows.remove(t);
    }
    assert_eq!(old_rows, current_rows);

    // Served, it answers as the original did, and works on.
    let path = old.clone();
    let mut upgraded = spawn_with(|c| {
        c.db = path.to_str().unwrap().to_string();
        c.clock = Some("2027-01-31T12:00:00.000Z".into());
    })
    .await;
    upgraded.token = app.token.clone();
    assert_eq!(partner_view(&upgraded).await, before);
    let shown = upgraded.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(shown["lastSyncedAt"], org["lastSyncedAt"], "{shown}");
    assert_ne!(shown["lastSyncedAt"], STALE_SYNC);
    let clock = upgraded
        .sim("POST", "/clock", Some(json!({"advanceMs": 60_000})))
        .await
        .ok(200);
    upgraded.count(&service, "acme-1", 22.0).await.ok(201);
    let later = upgraded.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(later["lastSyncedAt"], clock["now"], "{later}");
}

/// An exported snapshot as a build of schema 2 wrote it: the integration rows with their
/// `last_synced_at`.
fn as_schema_2(mut file: Value) -> Value {
    file["schemaVersion"] = json!("2");
    let t = &mut file["tables"]["integration"];
    t["columns"].as_array_mut().unwrap().insert(3, json!("last_synced_at"));
    for row in t["rows"].as_array_mut().unwrap() {
        row.as_array_mut().unwrap().insert(3, json!(STALE_SYNC));
    }
    file
}

#[tokio::test]
async fn a_schema_2_snapshot_file_imports_and_restores() {
    let mut app = spawn_with(|c| c.clock = Some("2027-01-31T12:00:00.000Z".into())).await;
    busy_state(&mut app).await;
    let before = partner_view(&app).await;
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    app.sim("POST", "/snapshots", Some(json!({"name": "now"})))
        .await
        .ok(201);
    let file = app.sim("GET", "/snapshots/now/export", None).await.ok(200);
    assert_eq!(file["schemaVersion"], SCHEMA_VERSION);
    let old = as_schema_2(file.clone());

    app.sim("POST", "/snapshots/import?name=old", Some(old.clone()))
        .await
        .ok(201);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_ne!(app.billing().await["cards"], before["billing"]["cards"]);
    app.sim("POST", "/snapshots/old/restore", None).await.ok(200);
    assert_eq!(partner_view(&app).await, before);
    let shown = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(shown["lastSyncedAt"], org["lastSyncedAt"], "{shown}");
    // Re-exported, it is a file of this build's schema, without the dropped column.
    let again = app.sim("GET", "/snapshots/old/export", None).await.ok(200);
    assert_eq!(again["schemaVersion"], SCHEMA_VERSION);
    assert_eq!(
        again["tables"]["integration"]["columns"],
        file["tables"]["integration"]["columns"]
    );

    // The upgrade forgives nothing else: a schema-2 row cut short, an unknown column, a
    // schema this build does not know.
    let mut short = old.clone();
    short["tables"]["integration"]["rows"][0] = json!(["65a0c0ffee0000000000f1a0"]);
    let r = app.sim("POST", "/snapshots/import?name=short", Some(short)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("integration.rows[0]"), "{}", r.text);
    let mut unknown = old.clone();
    unknown["tables"]["integration"]["columns"][0] = json!("nickname");
    let r = app.sim("POST", "/snapshots/import?name=unknown", Some(unknown)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("nickname"), "{}", r.text);
    let mut newer = file;
    newer["schemaVersion"] = json!("5");
    let r = app.sim("POST", "/snapshots/import?name=newer", Some(newer)).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains(r#"schemaVersion \"5\" does not match"#), "{}", r.text);
}
