//! Compressed request bodies, as production's body-parser takes them: gzip and deflate are
//! inflated within the same 100 KB limit (counted after inflating, so a zip bomb is a 413),
//! any other coding is a 415, and all of it before the token is looked at.

mod common;
use common::*;
use flate2::write::{GzEncoder, ZlibEncoder};
use flate2::Compression;
use serde_json::{json, Value};
use std::io::Write;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(vec![], Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(vec![], Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

async fn post(app: &TestApp, token: &str, coding: &str, content_type: &str, body: Vec<u8>) -> Reply {
    let rb = app
        .client
        .post(app.url("/api/vendor-api/organization/accounts"))
        .header("GRADIENT-TOKEN", token)
        .header("Content-Type", content_type)
        .header("Content-Encoding", coding)
        .body(body);
    app.send(rb).await
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn gzip_and_deflate_bodies_are_inflated() {
    let app = spawn().await;
    let t = app.token.clone();
    let gz = json!([{"id": "gz-1", "name": "Gzipped"}]).to_string();
    post(&app, &t, "gzip", "application/json", gzip(gz.as_bytes()))
        .await
        .ok(201);
    let df = json!([{"id": "df-1", "name": "Deflated"}]).to_string();
    post(&app, &t, "Deflate", "application/json", deflate(df.as_bytes()))
        .await
        .ok(201);
    post(
        &app,
        &t,
        "identity",
        "application/json",
        b"[{\"id\":\"id-1\",\"name\":\"Plain\"}]".to_vec(),
    )
    .await
    .ok(201);
    let listed = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    for id in ["gz-1", "df-1", "id-1"] {
        assert!(ids(&listed).contains(&id), "{id} in {listed}");
    }
    // The journal shows the body as the parser read it, inflated.
    let journal = app.sim("GET", "/journal?limit=5", None).await.ok(200);
    assert!(journal.to_string().contains("Gzipped"), "{journal}");
}

#[tokio::test]
async fn the_limit_counts_inflated_bytes_and_stops_a_zip_bomb() {
    let app = spawn().await;
    let t = app.token.clone();
    // 5 MB of JSON in a few KB: within any sane compressed size, far over 100 KB inflated.
    let huge = json!([{"id": "bomb", "name": "x".repeat(5 << 20)}]);
    let bomb = gzip(huge.to_string().as_bytes());
    assert!(bomb.len() < 100 * 1024);
    let r = post(&app, &t, "gzip", "application/json", bomb).await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.body["message"], "request entity too large");
    // Under the limit once inflated, whatever the compressed size: accepted.
    let fine: Vec<Value> = (0..1000).map(|i| json!({"id": format!("f{i}"), "name": "y"})).collect();
    post(
        &app,
        &t,
        "gzip",
        "application/json",
        gzip(Value::Array(fine).to_string().as_bytes()),
    )
    .await
    .ok(201);
    let listed = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    assert!(ids(&listed).contains(&"f999") && !ids(&listed).contains(&"bomb"));
}

#[tokio::test]
async fn other_codings_and_broken_streams_are_refused_as_body_parser_refuses_them() {
    let app = spawn().await;
    let t = app.token.clone();
    let body = b"[{\"id\":\"br-1\",\"name\":\"Brotli?\"}]".to_vec();
    for coding in ["br", "zstd", "x-gzip", "gzip, deflate"] {
        let r = post(&app, &t, coding, "application/json", body.clone()).await;
        assert_eq!(r.status, 415, "{coding}: {}", r.text);
        assert_eq!(
            r.body,
            json!({"statusCode": 415, "message": format!("unsupported content encoding \"{coding}\""), "error": "Unsupported Media Type"})
        );
    }
    // Before the token: a bad token still gets the 415, as the parser runs before the guard.
    let r = post(&app, "bad-token", "br", "application/json", body.clone()).await;
    assert_eq!(r.status, 415);
    // A charset the parser refuses is said first.
    let r = post(&app, &t, "br", "application/json; charset=latin1", body.clone()).await;
    assert_eq!(r.body["message"], "unsupported charset \"LATIN1\"");
    // Not gzip at all, or cut short: zlib's words, 400.
    let r = post(&app, &t, "gzip", "application/json", body.clone()).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["message"], "incorrect header check");
    let whole = gzip(&body);
    let r = post(&app, &t, "gzip", "application/json", whole[..whole.len() / 2].to_vec()).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.body["message"], "unexpected end of file");
    // A body the parser does not read (not JSON, not a form) is not inflated nor refused.
    let r = post(&app, &t, "br", "text/plain", body).await;
    assert_ne!(r.status, 415, "{}", r.text);
    // Nothing of the refused calls was stored.
    let listed = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    assert!(!ids(&listed).contains(&"br-1"));
}
