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
    let mut config = Config::for_tests();
    tweak(&mut config);
    let app = Application::build(config).expect("simulator builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.server());
    TestApp {
        base,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        token: GradientToken::encode(VENDOR_KEY, KICKOFF_PARTNER_KEY),
    }
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

pub fn card_for<'a>(billing: &'a Value, account: &str, product_code: &str) -> Option<&'a Value> {
    billing["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["accountName"] == account && c["productCode"] == product_code)
}
