//! Durability of the real binary: concurrent writers, SIGKILL mid-load, a restart on the same
//! file, and every write the server acknowledged (201) is there afterwards.

mod common;
use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Starts the real binary on `db`, any port; answers the process and its base URL.
fn start(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_synthesize-sim"))
        .args([
            "--port",
            "0",
            "--rate-limit",
            "0",
            "--rebuild-debounce-ms",
            "20",
            "--db",
        ])
        .arg(db)
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let line = lines.next().expect("a start line").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, base)
}

/// One blocking POST; the status, or None when the server is gone.
fn post(addr: &str, path: &str, token: &str, body: &str) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nGRADIENT-TOKEN: {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    out.split(' ').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("durable.db");
    let (mut child, base) = start(&db);
    let mut app = TestApp {
        base: base.clone(),
        client: reqwest::Client::new(),
        token: token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY),
    };
    let service = app.mapped_setup().await;
    let addr = base.trim_start_matches("http://").to_string();

    // Four writers: two create accounts, two send counts; each keeps what was acknowledged.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (addr, token, service, stop) = (addr.clone(), app.token.clone(), service.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut acked = vec![];
                let started = Instant::now();
                for i in 0..5000 {
                    if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(30) {
                        break;
                    }
                    let (path, body, what) = if w < 2 {
                        let id = format!("w{w}-{i}");
                        let body = json!([{"id": id, "name": format!("Durable {id}")}]).to_string();
                        ("/api/vendor-api/organization/accounts".to_string(), body, id)
                    } else {
                        let account = if w == 2 { "acme-1" } else { "cedar-1" };
                        let count = (w * 100_000 + i) as f64;
                        let body = json!({"accountId": account, "unitCount": count}).to_string();
                        (
                            format!("/api/vendor-api/service/{service}/count"),
                            body,
                            format!("{account}={count}"),
                        )
                    };
                    match post(&addr, &path, &token, &body) {
                        Some(201) => acked.push(what),
                        Some(other) => panic!("writer {w}: unexpected status {other}"),
                        None => break, // killed: this one was never acknowledged
                    }
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    child.kill().unwrap(); // SIGKILL: no shutdown, no checkpoint
    child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<Vec<String>> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert!(acked.iter().all(|a| !a.is_empty()), "a writer got nothing acknowledged");
    println!(
        "acknowledged before SIGKILL: {:?}",
        acked.iter().map(Vec::len).collect::<Vec<_>>()
    );

    // Restart on the same file: every acknowledged account is there...
    let (mut child, base) = start(&db);
    app.base = base;
    let accounts = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    let present: std::collections::HashSet<&str> = ids(&accounts).into_iter().collect();
    for id in acked[0].iter().chain(&acked[1]) {
        assert!(present.contains(id.as_str()), "acknowledged account {id} lost");
    }
    // ... and every acknowledged count is in the history, read from the file beside the server.
    let c = rusqlite::Connection::open(&db).unwrap();
    for entry in acked[2].iter().chain(&acked[3]) {
        let (account, count) = entry.split_once('=').unwrap();
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM unit_count_history WHERE account_id = ?1 AND unit_count = ?2",
                rusqlite::params![account, count.parse::<f64>().unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1, "acknowledged count {entry} lost");
    }
    // The latest acknowledged count of an account is what the billing card shows.
    let last = acked[2]
        .last()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .parse::<f64>()
        .unwrap();
    let billing = app.rebuild().await;
    let card = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap();
    assert!(card["vendorQuantity"].as_f64().unwrap() >= last);
    child.kill().unwrap();
    child.wait().unwrap();
}
