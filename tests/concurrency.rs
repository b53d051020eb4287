//! Concurrency, with real threads against the real server: nothing a vendor writes survives the
//! disconnect that revoked its key (spec, Concurrency), and the rate limit counts per partner.

mod common;
use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::time::Duration;

/// One blocking HTTP/1.1 POST over its own connection; answers the status.
fn post(addr: &str, path: &str, token: &str, body: &str) -> u16 {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nGRADIENT-TOKEN: {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = stream.read_to_string(&mut out);
    out.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_posted_during_a_disconnect_never_survive_it() {
    let mut app = spawn_with(|c| {
        c.rate_limit = 0;
        c.workers = 4;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_string();
    // The race is short (between the key check at the door and the write), so it is run over
    // several rounds, each with bodies large enough to keep the handlers busy in between.
    for round in 0..6 {
        app.reconnect().await;
        let token = app.token.clone();
        let writers: Vec<_> = (0..6)
            .map(|t| {
                let (addr, token) = (addr.clone(), token.clone());
                std::thread::spawn(move || {
                    let mut created = vec![];
                    for i in 0..40 {
                        let batch: Vec<String> = (0..40).map(|k| format!("r{round}-t{t}-{i}-{k}")).collect();
                        let body: Vec<_> = batch
                            .iter()
                            .map(|id| json!({"id": id, "name": format!("Account {id}")}))
                            .collect();
                        let body = serde_json::Value::from(body).to_string();
                        match post(&addr, "/api/vendor-api/organization/accounts", &token, &body) {
                            201 => created.extend(batch),
                            401 => break,
                            other => panic!("unexpected status {other}"),
                        }
                    }
                    created
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(40 + 20 * round)).await;
        app.disconnect().await;
        let created: Vec<String> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        assert!(
            !created.is_empty(),
            "round {round}: no post went through before the disconnect"
        );

        // Nothing is left on the disconnected integration...
        app.connect().await;
        app.fresh_token().await;
        let left = app.vendor("GET", "/organization/accounts", None).await.ok(200);
        assert_eq!(
            left.as_array().unwrap().len(),
            0,
            "round {round}: accounts survived the disconnect"
        );
        // ... so round two of the QA steps re-creates every one of them without a 409.
        let again: Vec<_> = created
            .iter()
            .map(|id| json!({"id": id, "name": format!("Account {id}")}))
            .collect();
        let mut made = 0;
        for batch in again.chunks(400) {
            made += app.create_accounts(json!(batch)).await.as_array().unwrap().len();
        }
        assert_eq!(made, created.len());
    }
}
