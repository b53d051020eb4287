//! Spawns the real simulator on port 0 with a private in-memory database, and speaks HTTP to it
//! through typed helpers: one per vendor API route and partner action.
#![allow(dead_code)]

use serde_json::{json, Value};
use synthesize_sim::config::Config;
use synthesize_sim::domain::ids::GradientToken;
use synthesize_sim::Application;

pub const VENDOR_KEY: &str = "a3f1c9e27b4d4e0f9c1a6b2d8e7f5a40";
pub const KICKOFF_PARTNER_KEY: &str = "5c2e8b71d9a64f3ea0b7c4d1e2f3a9b6";
pub const INTEGRATION: &str = "65a0c0ffee0000000000f1a0";
pub const EDR_CATEGORY: (&str, &str) = ("security", "endpoint detection and response (EDR)");

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The GRADIENT-TOKEN the vendor uses (kickoff key until `fresh_token`).
    pub token: String,
}

pub async fn spawn() -> TestApp {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
    spawn_with_store(tweak).await.0
}

/// `spawn_with`, and the store, so that a test can close it (as a clean stop does) before
/// another simulator opens the same file: one server per database file.
pub async fn spawn_with_store(
    tweak: impl FnOnce(&mut Config),
) -> (TestApp, std::sync::Arc<synthesize_sim::store::Store>) {
    let mut config = Config::for_tests();
    tweak(&mut config);
    let app = Application::build(config).expect("simulator builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.state.ops.store.clone();
    tokio::spawn(app.server());
    let app = TestApp {
        base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        token: GradientToken::encode(VENDOR_KEY, KICKOFF_PARTNER_KEY),
    };
    (app, store)
}

/// A response read whole: status, content type, JSON body (Null when not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn ok(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        self.body
    }
}

pub fn token_for(vendor_key: &str, partner_key: &str) -> String {
    GradientToken::encode(vendor_key, partner_key)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn send(&self, rb: reqwest::RequestBuilder) -> Reply {
        let res = rb.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            headers,
            body,
            text,
        }
    }

    /// A vendor API call with the current token.
    pub async fn vendor(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.vendor_as(&self.token.clone(), method, path, body).await
    }

    pub async fn vendor_as(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self
            .client
            .request(m, self.url(&format!("/api/vendor-api{path}")))
            .header("GRADIENT-TOKEN", token)
            .header("accept", "application/json");
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        self.send(rb).await
    }

    /// A vendor API call with a raw body and content type.
    pub async fn vendor_raw(&self, method: &str, path: &str, content_type: Option<&str>, body: &str) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self
            .client
            .request(m, self.url(&format!("/api/vendor-api{path}")))
            .header("GRADIENT-TOKEN", &self.token)
            .body(body.to_string());
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        self.send(rb).await
    }

    pub async fn sim(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.client.request(m, self.url(&format!("/sim{path}")));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        self.send(rb).await
    }

    // --- partner actions -------------------------------------------------------------

    pub async fn disconnect(&self) -> Value {
        self.sim("POST", &format!("/integrations/{INTEGRATION}/disconnect"), None)
            .await
            .ok(200)
    }

    pub async fn connect(&self) -> Value {
        self.sim("POST", &format!("/integrations/{INTEGRATION}/connect"), None)
            .await
            .ok(200)
    }

    /// Generate API Token; the vendor uses the new token from then on.
    pub async fn fresh_token(&mut self) -> Value {
        let keys = self
            .sim("POST", &format!("/integrations/{INTEGRATION}/token"), None)
            .await
            .ok(200);
        self.token = keys["gradientToken"].as_str().unwrap().to_string();
        keys
    }

    pub async fn card(&self) -> Value {
        self.sim("GET", &format!("/integrations/{INTEGRATION}"), None)
            .await
            .ok(200)
    }

    pub async fn step(&self, step: &str) -> Reply {
        self.sim(
            "POST",
            &format!("/integrations/{INTEGRATION}/step"),
            Some(json!({"step": step})),
        )
        .await
    }

    pub async fn mappings(&self) -> Value {
        self.sim("GET", &format!("/integrations/{INTEGRATION}/mappings"), None)
            .await
            .ok(200)
    }

    pub async fn psa_account_id(&self, name: &str) -> String {
        let m = self.mappings().await;
        m["psaAccounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no PSA account {name}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn psa_product_id(&self, code: &str) -> String {
        let m = self.mappings().await;
        m["psaProducts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["productCode"] == code)
            .unwrap_or_else(|| panic!("no product {code}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn map_account(&self, vendor_account: &str, psa_name: &str) -> Value {
        let psa = self.psa_account_id(psa_name).await;
        self.sim(
            "PUT",
            &format!(
                "/integrations/{INTEGRATION}/mappings/accounts/{}",
                urlencode(vendor_account)
            ),
            Some(json!({"psaAccountId": psa})),
        )
        .await
        .ok(200)
    }

    /// The partner takes an account's mapping back (answered 200).
    pub async fn unmap_account(&self, vendor_account: &str) -> Value {
        self.sim(
            "DELETE",
            &format!(
                "/integrations/{INTEGRATION}/mappings/accounts/{}",
                urlencode(vendor_account)
            ),
            None,
        )
        .await
        .ok(200)
    }

    pub async fn map_service(&self, service_id: &str, codes: &[&str]) -> Value {
        let mut ids = vec![];
        for c in codes {
            ids.push(self.psa_product_id(c).await);
        }
        self.sim(
            "PUT",
            &format!(
                "/integrations/{INTEGRATION}/mappings/services/{}",
                urlencode(service_id)
            ),
            Some(json!({"psaProductIds": ids})),
        )
        .await
        .ok(200)
    }

    pub async fn finish(&self) -> Reply {
        self.sim("POST", &format!("/integrations/{INTEGRATION}/finish"), None)
            .await
    }

    pub async fn rebuild(&self) -> Value {
        self.sim("POST", "/billing/rebuild", None).await.ok(200)
    }

    pub async fn billing(&self) -> Value {
        self.sim("GET", "/billing", None).await.ok(200)
    }

    // --- vendor calls -----------------------------------------------------------------

    pub async fn create_service(&self, name: &str) -> String {
        let body = self
            .vendor(
                "POST",
                "/service",
                Some(json!({"name": name, "description": format!("{name} per device"), "category": EDR_CATEGORY.0, "subcategory": EDR_CATEGORY.1})),
            )
            .await
            .ok(201);
        body["skus"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|s| s["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn create_accounts(&self, accounts: Value) -> Value {
        self.vendor("POST", "/organization/accounts", Some(accounts))
            .await
            .ok(201)
    }

    pub async fn set_status(&self, status: &str) -> Reply {
        self.vendor("PATCH", &format!("/organization/status/{status}"), None)
            .await
    }

    pub async fn count(&self, service_id: &str, account_id: &str, unit_count: f64) -> Reply {
        self.vendor(
            "POST",
            &format!("/service/{service_id}/count"),
            Some(json!({"accountId": account_id, "unitCount": unit_count})),
        )
        .await
    }

    /// What became of an alert once the queue processed it (its debug record, no longer pending).
    pub async fn alert_outcome(&self, message_id: &str) -> Value {
        let mut done = Value::Null;
        for _ in 0..100 {
            done = self
                .vendor("GET", &format!("/alerting/debug/{message_id}"), None)
                .await
                .ok(200);
            if done["status"] != "pending" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        done
    }

    /// Everything the vendor API and the partner can see, to prove an error changed nothing.
    pub async fn snapshot(&self) -> Value {
        json!({
            "vendor": self.vendor("GET", "", None).await.body["data"]["skus"],
            "organization": self.vendor("GET", "/organization", None).await.body,
            "accounts": self.vendor("GET", "/organization/accounts", None).await.body,
            "mappings": self.mappings().await,
            "card": self.card().await,
            "psa": self.sim("GET", "/psa", None).await.body,
            "alerts": self.sim("GET", "/alerts", None).await.body,
        })
    }

    /// Connects afresh with a new token, as a QA cycle starts: disconnect, connect, token.
    pub async fn reconnect(&mut self) {
        self.disconnect().await;
        self.connect().await;
        self.fresh_token().await;
    }

    /// A connected integration with one service and two accounts, both mapped, status pending.
    /// Returns the service id. "Acme Corp" maps to PSA "Acme Corp"; "cedar-1" to "Cedar Ridge Law, LLP";
    /// the service maps to SEC-EDR.
    pub async fn mapped_setup(&mut self) -> String {
        self.reconnect().await;
        let service = self.create_service("Endpoint Protection").await;
        self.create_accounts(json!([
            {"id": "acme-1", "name": "Acme Corp", "description": ""},
            {"id": "cedar-1", "name": "Cedar Ridge Law LLP", "description": ""}
        ]))
        .await;
        self.set_status("pending").await.ok(200);
        self.step("account_mapping").await.ok(200); // auto-maps Acme Corp
        self.map_account("cedar-1", "Cedar Ridge Law, LLP").await;
        self.step("service_mapping").await.ok(200);
        self.map_service(&service, &["SEC-EDR"]).await;
        self.step("review").await.ok(200);
        self.finish().await.ok(200);
        service
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One company of `GET /sim/psa`, by name.
pub fn psa_company<'a>(psa: &'a Value, name: &str) -> &'a Value {
    psa["companies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no PSA company {name}"))
}

pub fn card_for<'a>(billing: &'a Value, account: &str, product_code: &str) -> Option<&'a Value> {
    billing["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["accountName"] == account && c["productCode"] == product_code)
}

// --- helpers for the error and quirk suites ---------------------------------------------

/// The seed's second vendor (only in `two_vendor_seed`): its own keys and integration.
pub const OTHER_VENDOR_KEY: &str = "0b9d7e5c3a1f4e2d8c6b4a2f0e8d6c4b";
pub const OTHER_PARTNER_KEY: &str = "7e6d5c4b3a2f41e0d9c8b7a6f5e4d3c2";
pub const OTHER_INTEGRATION: &str = "65a0c0ffee0000000000f1a1";

/// The default seed plus a second vendor, connected to the same partner with its own keys,
/// written to a temporary file (kept alive by the returned handle until the server has read it).
pub fn two_vendor_seed() -> tempfile::NamedTempFile {
    let mut seed: Value = serde_json::from_str(synthesize_sim::store::seed::DEFAULT_SEED).unwrap();
    seed["vendors"].as_array_mut().unwrap().push(json!({
        "id": "65a0c0ffee0000000000d3e1",
        "name": "Osprey Backup",
        "description": "A second vendor, to prove keys never cross vendors",
        "apiKey": OTHER_VENDOR_KEY,
        "integration": {"id": OTHER_INTEGRATION, "partnerKey": OTHER_PARTNER_KEY}
    }));
    seed_file(&seed)
}

/// The default seed with `extra` more PSA companies (each with an active agreement), so that
/// Get Clients has more than one page.
pub fn many_companies_seed(extra: usize) -> tempfile::NamedTempFile {
    let mut seed: Value = serde_json::from_str(synthesize_sim::store::seed::DEFAULT_SEED).unwrap();
    let companies = seed["companies"].as_array_mut().unwrap();
    for i in 0..extra {
        companies.push(json!({
            "psaRef": 30000 + i,
            "name": format!("Zulu Client {i:03}"),
            "agreements": [{"name": "Managed Services Agreement", "lines": [{"product": "MS-WKS", "quantity": 1}]}]
        }));
    }
    seed_file(&seed)
}

pub fn seed_file(seed: &Value) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), serde_json::to_vec_pretty(seed).unwrap()).unwrap();
    file
}

/// A response to a raw HTTP/1.1 request.
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    /// Header names lowercased, values as sent.
    pub headers: Vec<(String, String)>,
    pub body: Value,
    pub text: String,
}

impl RawReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == &name.to_ascii_lowercase())
            .map(|(_, v)| v.as_str())
    }
}

impl TestApp {
    /// Everything `snapshot` shows, plus the whole vendor profile, the billing cards (rebuilt,
    /// so a stored count would show) and the tickets: what an error must leave untouched.
    pub async fn stored(&self) -> Value {
        let mut s = self.snapshot().await;
        s["profile"] = self.vendor("GET", "", None).await.body["data"].clone();
        s["cards"] = self.rebuild().await["cards"].clone();
        s["tickets"] = self.sim("GET", "/tickets", None).await.body;
        s
    }

    /// Sends `head` (request line and headers, CRLF-separated, without the blank line) and
    /// `body` byte for byte over a fresh connection, so header casing and path escapes reach
    /// the server exactly as a real client writes them.
    pub async fn raw_http(&self, head: &str, body: &[u8]) -> RawReply {
        let addr = self.base.trim_start_matches("http://").to_string();
        let mut request = head.trim_end().as_bytes().to_vec();
        request.extend_from_slice(format!("\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes());
        request.extend_from_slice(body);
        let raw = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut stream = std::net::TcpStream::connect(&addr).unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            // The server may answer (and stop reading) before the whole body is sent.
            let _ = stream.write_all(&request);
            // Read until the answer is complete by its Content-Length, not until the server
            // closes: a loaded machine may keep the connection open for a while.
            let mut out = vec![];
            let mut buf = [0u8; 8192];
            loop {
                if let Some(end) = out.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&out[..end]).to_ascii_lowercase();
                    let length = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok());
                    if length.is_some_and(|n| out.len() >= end + 4 + n) {
                        break;
                    }
                }
                match stream.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => out.extend_from_slice(&buf[..n]),
                    Err(e) => panic!("reading the answer: {e}"),
                }
            }
            out
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("a complete HTTP answer");
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        RawReply {
            status,
            headers,
            body: serde_json::from_str(body).unwrap_or(Value::Null),
            text: body.to_string(),
        }
    }

    /// The journal's entries (newest first), as `GET /sim/journal?{query}` lists them.
    pub async fn journal(&self, query: &str) -> Vec<Value> {
        self.sim("GET", &format!("/journal?{query}"), None).await.ok(200)["entries"]
            .as_array()
            .unwrap()
            .clone()
    }
}

impl TestApp {
    /// The partner half of the current token.
    pub fn token_partner_key(&self) -> String {
        GradientToken::parse(&self.token).unwrap().partner_key
    }
}

/// The lint codes of a journal entry, in order.
pub fn lint_codes(entry: &Value) -> Vec<&str> {
    entry["lints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap())
        .collect()
}

/// Each journal entry's lint codes, oldest entry first (the journal answers newest first).
pub fn lint_codes_oldest_first(entries: &[Value]) -> Vec<Vec<String>> {
    entries
        .iter()
        .rev()
        .map(|e| lint_codes(e).into_iter().map(String::from).collect())
        .collect()
}

/// The lint codes of a QA report (`GET /sim/qa/report`'s `reports[n]`), in order.
pub fn report_lint_codes(report: &Value) -> Vec<&str> {
    report["lint"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap())
        .collect()
}

/// The `id`s of a list of accounts, services or skus, in order.
/// Every ticket of a `GET /sim/tickets` answer, board after board.
pub fn board_tickets(tickets: &Value) -> Vec<Value> {
    tickets["boards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["tickets"].as_array().unwrap().clone())
        .collect()
}

pub fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect()
}

/// What a partner sees, to compare a state before and after a migration.
pub async fn partner_view(app: &TestApp) -> Value {
    let mut billing = app.billing().await;
    billing["pendingRebuild"] = Value::Null;
    json!({
        "psa": app.sim("GET", "/psa", None).await.ok(200),
        "billing": billing,
        "qa": app.sim("GET", "/qa", None).await.ok(200),
        "integrations": app.sim("GET", "/integrations", None).await.ok(200),
        "tickets": app.sim("GET", "/tickets", None).await.ok(200),
        "accounts": app.vendor("GET", "/organization/accounts", None).await.ok(200),
    })
}

/// A state worth migrating: mapped, counted, a card dismissed, a CSV import, a rebuild. Answers
/// the counted service's id.
pub async fn busy_state(app: &mut TestApp) -> String {
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 21.0).await.ok(201);
    app.sim(
        "POST",
        "/usage/csv",
        Some(json!({"csv": "Account Name,SKU,Quantity\nHarbor View Realty,BKP-GB,262.75\n"})),
    )
    .await
    .ok(200);
    let billing = app.rebuild().await;
    let card = card_for(&billing, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.sim("POST", &format!("/billing/cards/{card}/dismiss"), None)
        .await
        .ok(200);
    service
}

/// An example of the 409 that `POST /sim/scenarios/{name}` documents in the /sim OpenAPI document.
pub fn documented_409(example: &str) -> Value {
    let doc: Value = serde_json::from_str(synthesize_sim::web::SIM_OPENAPI).unwrap();
    let v = doc["paths"]["/sim/scenarios/{name}"]["post"]["responses"]["409"]["content"]["application/json"]
        ["examples"][example]["value"]
        .clone();
    assert!(
        !v.is_null(),
        "no 409 example {example} for POST /sim/scenarios/{{name}}"
    );
    v
}
