//! Hardening: secrets never kept in clear, the rate limit per partner whatever the token's
//! spelling, and the journal bounded in bytes.

mod common;
use common::*;

#[tokio::test]
async fn a_token_in_any_header_or_query_parameter_is_kept_redacted() {
    let app = spawn().await;
    let token = app.token.clone();
    let url = |q: &str| app.url(&format!("/api/vendor-api/organization{q}"));
    // The token where it belongs, in the wrong header, under an innocent name, and in the query.
    app.send(app.client.get(url("")).header("GRADIENT-TOKEN", &token)).await;
    app.send(
        app.client
            .get(url(""))
            .header("Authorization", format!("Bearer {token}")),
    )
    .await;
    app.send(app.client.get(url("")).header("X-Request-Context", &token))
        .await;
    app.send(app.client.get(url(&format!(
        "?token={}&apiKey={KICKOFF_PARTNER_KEY}",
        urlencode(&token)
    ))))
    .await;
    // An unknown route echoes its URL: the journal keeps that answer redacted too.
    app.send(
        app.client
            .get(app.url(&format!("/api/vendor-api/nowhere?gradientToken={}", urlencode(&token)))),
    )
    .await;
    let journal = app.sim("GET", "/journal", None).await;
    assert_eq!(journal.body["total"], 5);
    for secret in [
        token.as_str(),
        &token[..token.len() - 4],
        &urlencode(&token)[..20],
        VENDOR_KEY,
        KICKOFF_PARTNER_KEY,
    ] {
        assert!(
            !journal.text.contains(secret),
            "{secret} kept in clear: {}",
            journal.text
        );
    }
    let entries = journal.body["entries"].as_array().unwrap();
    let header = |e: &serde_json::Value, name: &str| {
        e["requestHeaders"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == name)
            .map(|h| h[1].as_str().unwrap().to_string())
    };
    let tail = &token[token.len() - 4..];
    // The token header is named as the console names keys: by the partner key's tail.
    assert_eq!(
        header(&entries[4], "gradient-token").unwrap(),
        format!("…{}", &KICKOFF_PARTNER_KEY[28..])
    );
    assert_eq!(entries[4]["token"], format!("…{}", &KICKOFF_PARTNER_KEY[28..]));
    assert_eq!(header(&entries[3], "authorization").unwrap(), format!("Bearer …{tail}"));
    assert_eq!(header(&entries[2], "x-request-context").unwrap(), format!("…{tail}"));
    assert!(entries[1]["query"].as_str().unwrap().starts_with("token=…"));
    assert!(entries[1]["query"]
        .as_str()
        .unwrap()
        .ends_with(&format!("apiKey=…{}", &KICKOFF_PARTNER_KEY[28..])));
    assert!(entries[0]["responseBody"].as_str().unwrap().contains("gradientToken=…"));
}

#[tokio::test]
async fn spellings_of_one_token_share_one_rate_limit() {
    let app = spawn_with(|c| c.rate_limit = 5).await;
    let token = app.token.clone();
    let bare = token.trim_end_matches('=').to_string();
    let spellings = [token.clone(), bare.clone(), format!("{bare}=="), format!("{bare}===")];
    let mut limited = 0;
    for i in 0..12 {
        let r = app.vendor_as(&spellings[i % 4], "GET", "/organization", None).await;
        assert!(matches!(r.status, 200 | 429), "{}", r.text);
        limited += usize::from(r.status == 429);
    }
    // Twelve calls, five allowed per second: at least two are refused even if a second
    // boundary falls inside the loop. Per spelling, three each, none would be.
    assert!(limited >= 2, "only {limited} of 12 limited");
}

#[tokio::test]
async fn the_journal_is_bounded_in_bytes_whatever_the_calls_carry() {
    let bound = 256 * 1024;
    let app = spawn_with(|c| {
        c.journal_bytes = bound;
        c.rate_limit = 0;
    })
    .await;
    let filler = "f".repeat(6000);
    for i in 0..120 {
        let r = app
            .send(
                app.client
                    .get(app.url(&format!("/api/vendor-api/organization?i={i}&pad={filler}")))
                    .header("GRADIENT-TOKEN", &app.token)
                    .header("X-Filler-A", &filler)
                    .header("X-Filler-B", &filler),
            )
            .await;
        assert_eq!(r.status, 200);
    }
    let journal = app.sim("GET", "/journal?limit=100000", None).await.ok(200);
    let bytes = journal["bytes"].as_u64().unwrap() as usize;
    assert!(bytes <= bound, "{bytes}");
    assert_eq!(journal["maxBytes"], bound);
    let total = journal["total"].as_u64().unwrap();
    assert!(total > 10 && total < 120, "{total}");
    // Each long value is cut, and the cut is marked.
    let e = &journal["entries"][0];
    assert!(e["query"].as_str().unwrap().len() < 2100);
    assert!(e["query"].as_str().unwrap().ends_with('…'));
    assert_eq!(journal["entries"].as_array().unwrap().len() as u64, total);
}

/// Sends `request` as is over a fresh connection (off the async threads); answers the status
/// and the whole text.
async fn raw(addr: &str, request: String) -> (u16, String) {
    let addr = addr.to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut out = vec![];
        let _ = stream.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        (status, text)
    })
    .await
    .unwrap()
}

/// A GET with the `Host` header of one's choice.
async fn get_as_host(addr: &str, host: &str, path: &str, extra: &str) -> (u16, String) {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: close\r\n\r\n"),
    )
    .await
}

/// A POST as a browser page on `origin` sends it (`Origin` set, the body of its choice).
async fn browser_post(addr: &str, origin: &str, path: &str, content_type: &str, body: &str) -> (u16, String) {
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: {origin}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    raw(addr, request).await
}

fn addr_of(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn a_page_on_another_site_cannot_drive_the_simulator() {
    let app = spawn().await;
    let addr = addr_of(&app);
    let own = format!("http://{addr}");
    let before = app.stored().await;
    let fault = r#"{"route":"/api/vendor-api/*","status":500}"#;
    // A cross-site form-like POST: text/plain needs no preflight, so the browser sends it.
    let (status, text) = browser_post(&addr, "http://evil.example", "/sim/faults", "text/plain", fault).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains(r#""error":"Forbidden""#), "{text}");
    let disconnect = format!("/sim/integrations/{INTEGRATION}/disconnect");
    assert_eq!(browser_post(&addr, "null", &disconnect, "text/plain", "").await.0, 403);
    assert_eq!(app.sim("GET", "/faults", None).await.ok(200), serde_json::json!([]));
    assert_eq!(app.stored().await, before);

    // The console's own request (same origin, JSON) and curl's (no Origin, form type) work.
    let (status, text) = browser_post(&addr, &own, "/sim/faults", "application/json", fault).await;
    assert_eq!(status, 201, "{text}");
    // Same origin but not JSON: a browser request must send JSON.
    assert_eq!(
        browser_post(&addr, &own, "/sim/faults", "text/plain", fault).await.0,
        403
    );
    let r = app
        .send(
            app.client
                .post(app.url("/sim/faults"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(fault),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        app.sim("GET", "/faults", None).await.ok(200).as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn a_rebound_host_name_reads_no_keys() {
    let app = spawn_with(|c| c.allowed_hosts = vec!["sim.lan".into()]).await;
    let addr = addr_of(&app);
    let port = addr.rsplit(':').next().unwrap().to_string();
    let rebound = format!("attacker.example:{port}");
    for path in ["/sim/info", "/", "/demo-vendor/", "/sim/journal"] {
        let (status, text) = get_as_host(&addr, &rebound, path, "").await;
        assert_eq!(status, 403, "{path}: {text}");
        assert!(
            !text.contains(VENDOR_KEY) && !text.contains(KICKOFF_PARTNER_KEY),
            "{text}"
        );
    }
    // The machine's own names, and one given with --allowed-host, are answered.
    for host in ["localhost", "127.0.0.1", "[::1]", "sim.lan", "SIM.LAN"] {
        let (status, text) = get_as_host(&addr, &format!("{host}:{port}"), "/sim/info", "").await;
        assert_eq!(status, 200, "{host}: {text}");
    }
    // The vendor API is not the partner side: any host name reaches it, as in production.
    let token = format!("GRADIENT-TOKEN: {}\r\n", app.token);
    let (status, _) = get_as_host(
        &addr,
        &format!("api.example:{port}"),
        "/api/vendor-api/organization",
        &token,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn with_a_control_token_the_partner_side_wants_it() {
    let app = spawn_with(|c| c.control_token = Some("0123456789abcdef-control".into())).await;
    assert_eq!(app.sim("GET", "/info", None).await.status, 401);
    let page = app.send(app.client.get(app.url("/"))).await;
    assert_eq!(page.status, 401);
    assert!(page.content_type.starts_with("text/html") && page.text.contains("Control token"));
    let with_header = app
        .send(
            app.client
                .get(app.url("/sim/info"))
                .header("X-Sim-Control-Token", "0123456789abcdef-control"),
        )
        .await;
    assert_eq!(with_header.status, 200);
    // Entered once in the console: a wrong token is refused, the right one becomes a cookie.
    let wrong = app
        .sim("POST", "/session", Some(serde_json::json!({"token": "guess"})))
        .await;
    assert_eq!(wrong.status, 401);
    let right = app
        .sim(
            "POST",
            "/session",
            Some(serde_json::json!({"token": "0123456789abcdef-control"})),
        )
        .await;
    assert_eq!(right.status, 200);
    let cookie = right.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let console = app.send(app.client.get(app.url("/")).header("cookie", &pair)).await;
    assert_eq!(console.status, 200);
    assert!(console.text.contains("<html"));
    // The vendor API is unchanged.
    app.vendor("GET", "/organization", None).await.ok(200);
}

#[test]
fn bound_beyond_loopback_a_token_is_made() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut config = synthesize_sim::config::Config::for_tests();
        config.bind = "0.0.0.0".into();
        let app = synthesize_sim::Application::build(config).unwrap();
        assert!(app.control_token().is_some_and(|t| t.len() >= 32));
        let mut config = synthesize_sim::config::Config::for_tests();
        config.bind = "127.0.0.1".into();
        assert!(synthesize_sim::Application::build(config)
            .unwrap()
            .control_token()
            .is_none());
    });
}

/// Sends `head`, then (after a pause, if `streaming`, as a client streaming its body) `rest`,
/// then closes its writing half if `half_close`; answers the status (0 for none) and the text.
fn streamed(addr: &str, head: &str, rest: &[u8], streaming: bool, half_close: bool) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut first = head.as_bytes().to_vec();
    if streaming {
        stream.write_all(&first).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(150));
        stream.write_all(rest).unwrap();
    } else {
        first.extend_from_slice(rest);
        stream.write_all(&first).unwrap();
    }
    if half_close {
        std::thread::sleep(std::time::Duration::from_millis(100));
        stream.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut out = vec![];
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text)
}

#[tokio::test]
async fn a_broken_body_gets_a_json_400_in_the_journal() {
    let app = spawn().await;
    let before = app.stored().await;
    let journaled = app.journal("").await.len();
    let (addr, token) = (addr_of(&app), app.token.clone());
    let head = |framing: &str| {
        format!(
            "POST /api/vendor-api/organization/accounts HTTP/1.1\r\nHost: {addr}\r\nGRADIENT-TOKEN: {token}\r\n\
             Content-Type: application/json\r\n{framing}\r\n\r\n"
        )
    };
    // A chunk cut short and a Content-Length body cut short (by a client that then stops), and
    // a chunk size that is not hex, streamed or in the very packet of the head.
    let chunked = head("Transfer-Encoding: chunked");
    let bad_size = b"ZZ\r\n[1]\r\n0\r\n\r\n".to_vec();
    let cases = [
        (chunked.clone(), b"20\r\n[{\"id\":".to_vec(), true, true),
        (head("Content-Length: 100"), b"[{\"id\":".to_vec(), true, true),
        (chunked.clone(), bad_size.clone(), true, false),
        (chunked, bad_size, false, false),
    ];
    for (i, (head, rest, streaming, half_close)) in cases.into_iter().enumerate() {
        let addr = addr_of(&app);
        let (status, text) = tokio::task::spawn_blocking(move || streamed(&addr, &head, &rest, streaming, half_close))
            .await
            .unwrap();
        assert_eq!(status, 400, "case {i}: {text}");
        assert!(
            text.to_ascii_lowercase().contains("content-type: application/json"),
            "{text}"
        );
        let body: serde_json::Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"statusCode": 400, "message": "request aborted", "error": "Bad Request"})
        );
        let entries = app.journal("").await;
        assert_eq!(entries.len(), journaled + i + 1, "case {i} was not journaled");
        assert_eq!(entries[0]["status"], 400);
        assert_eq!(entries[0]["route"], "/api/vendor-api/organization/accounts");
    }
    assert_eq!(app.stored().await, before);
}

#[tokio::test]
async fn a_stalled_body_times_out_with_a_json_408() {
    let app = spawn_with(|c| c.body_timeout_ms = 300).await;
    let before = app.stored().await;
    let (addr, token) = (addr_of(&app), app.token.clone());
    let started = std::time::Instant::now();
    // Promises 100 bytes, sends 10, then waits (reading) for the answer.
    let (status, text) = raw(
        &addr,
        format!(
            "POST /api/vendor-api/organization/accounts HTTP/1.1\r\nHost: {addr}\r\nGRADIENT-TOKEN: {token}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n[{{\"id\":\"a\""
        ),
    )
    .await;
    assert_eq!(status, 408, "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(9));
    assert!(text.contains(r#"{"statusCode":408,"message":"Request Timeout","error":"Request Timeout"}"#));
    let entries = app.journal("").await;
    assert_eq!(entries[0]["status"], 408);
    assert_eq!(app.stored().await, before);
}

/// Every number on every card, with where it sits, to prove none is null or absurd.
fn figures(cards: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    let mut out = vec![];
    for card in cards.as_array().unwrap() {
        for key in ["psaQuantity", "revenueChange", "profitChange", "unitPrice", "unitCost"] {
            out.push((format!("{}:{key}", card["id"]), card[key].clone()));
        }
    }
    out
}

/// No count bound exists in production, so none exists here: an absurd count is stored, and
/// the billing view stays whole, every figure a finite number (the saved view included).
#[tokio::test]
async fn no_single_count_breaks_a_service_card() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let cards_before = app.stored().await["cards"].as_array().unwrap().len();
    assert!(cards_before > 1);
    for absurd in [2e307, 1e9 + 1.0, f64::MAX] {
        app.count(&service, "acme-1", absurd).await.ok(201);
        app.count(&service, "cedar-1", absurd).await.ok(201);
        let billing = app.rebuild().await;
        let cards = &billing["cards"];
        assert_eq!(cards.as_array().unwrap().len(), cards_before);
        for (at, v) in figures(cards) {
            assert!(v.as_f64().is_some_and(f64::is_finite), "{at} = {v}");
        }
        let card = card_for(&billing, "Acme Corp", "SEC-EDR").unwrap();
        assert_eq!(card["vendorQuantity"], absurd);
        assert!(card["revenueChange"].as_f64().unwrap() > 0.0);
        for group in billing["groups"].as_array().into_iter().flatten() {
            assert!(group["totalRevenueChange"].as_f64().is_some_and(f64::is_finite));
        }
        assert_eq!(app.billing().await["cards"], *cards);
    }
}

#[tokio::test]
async fn a_stalled_body_on_the_partner_side_times_out_too() {
    let app = spawn_with(|c| c.body_timeout_ms = 300).await;
    let addr = addr_of(&app);
    let (status, text) = raw(
        &addr,
        format!("POST /sim/faults HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"route\""),
    )
    .await;
    assert_eq!(status, 408, "{text}");
    assert!(text.contains(r#"{"statusCode":408,"message":"Request Timeout","error":"Request Timeout"}"#));
    assert_eq!(app.sim("GET", "/faults", None).await.ok(200), serde_json::json!([]));
    // A body that arrives in time is read as before.
    app.sim(
        "POST",
        "/faults",
        Some(serde_json::json!({"route": "/api/vendor-api/*", "status": 500})),
    )
    .await
    .ok(201);
}

/// Sends raw bytes (headers that are not text included) over a fresh connection; the status.
async fn raw_bytes(addr: &str, request: Vec<u8>) -> (u16, String) {
    let addr = addr.to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        stream.write_all(&request).unwrap();
        let mut out = vec![];
        let _ = stream.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        (text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0), text)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn an_unreadable_or_doubled_host_or_origin_is_foreign_not_absent() {
    let app = spawn().await;
    let addr = addr_of(&app);
    let before = app.stored().await;
    let disconnect = format!("/sim/integrations/{INTEGRATION}/disconnect");
    let sent = |head: Vec<u8>| {
        let mut r = format!("POST {disconnect} HTTP/1.1\r\n").into_bytes();
        r.extend(head);
        r.extend(b"Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
        r
    };
    // A Host of bytes that are not text (a rebinding page cannot read as ours).
    let mut host = b"Host: ".to_vec();
    host.extend(b"evil\xff.example\r\n");
    let (status, text) = raw_bytes(&addr, sent(host)).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Host header that is not readable"), "{text}");
    // Two Hosts, the first ours: refused (the HTTP parser itself answers 400 to most).
    let two = format!("Host: {addr}\r\nHost: evil.example\r\n").into_bytes();
    let status = raw_bytes(&addr, sent(two)).await.0;
    assert!(status == 403 || status == 400, "{status}");
    // An Origin that is not text, with our own Host.
    let mut origin = format!("Host: {addr}\r\nOrigin: http://").into_bytes();
    origin.extend(b"\xe9vil.example\r\n");
    let (status, text) = raw_bytes(&addr, sent(origin)).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Origin header that is not readable"), "{text}");
    // Nothing happened; the same request with readable headers and no Origin goes through.
    assert_eq!(app.stored().await, before);
    let fine = format!("Host: {addr}\r\n").into_bytes();
    assert_eq!(raw_bytes(&addr, sent(fine)).await.0, 200);
}
