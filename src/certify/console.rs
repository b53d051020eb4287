//! The partner's side, over HTTP: the `/sim` routes the console itself uses (card, wizard,
//! mappings, billing, checklist, journal, faults). The runner is their client only.

use serde_json::{json, Value};
use std::time::Duration;

pub struct Console {
    http: reqwest::Client,
    pub base: String,
    pub integration: String,
}

/// A `/sim` answer that was not a success, with the simulator's own message.
#[derive(Debug, Clone)]
pub struct Refused {
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

pub type Answer = Result<Value, Refused>;

fn message_of(v: &Value) -> String {
    match &v["message"] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "),
        _ => v.to_string(),
    }
}

impl Console {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with no TLS settings builds");
        Console {
            http,
            base: base.to_string(),
            integration: String::new(),
        }
    }

    /// Any call to the simulator, answered as (status, JSON body or Null).
    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), Refused> {
        let m = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut req = self.http.request(m, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        let res = req.send().await.map_err(|e| Refused {
            status: 0,
            message: format!("{method} {path}: {e}"),
        })?;
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// A `/sim` call that must succeed.
    pub async fn sim(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let (status, v) = self.send(method, &format!("/sim{path}"), body).await?;
        if (200..300).contains(&status) {
            Ok(v)
        } else {
            Err(Refused {
                status,
                message: message_of(&v),
            })
        }
    }

    /// A call on this integration's routes (`/sim/integrations/{id}...`).
    pub async fn on(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let body = body.cloned().or_else(|| (method != "GET").then(|| json!({})));
        self.sim(
            method,
            &format!("/integrations/{}{path}", self.integration),
            body.as_ref(),
        )
        .await
    }

    pub async fn card(&self) -> Answer {
        self.on("GET", "", None).await
    }

    pub async fn mappings(&self) -> Answer {
        self.on("GET", "/mappings", None).await
    }

    pub async fn billing(&self) -> Answer {
        self.sim("GET", "/billing", None).await
    }

    /// This integration's QA checklist.
    pub async fn checklist(&self) -> Answer {
        let all = self.sim("GET", "/qa", None).await?;
        Ok(all
            .as_array()
            .and_then(|a| a.iter().find(|q| q["integrationId"] == self.integration.as_str()))
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// The QA report of this integration (checklist, lint summed, advice).
    pub async fn report(&self) -> Answer {
        let r = self.sim("GET", "/qa/report", None).await?;
        Ok(r["reports"]
            .as_array()
            .and_then(|a| a.iter().find(|q| q["integrationId"] == self.integration.as_str()))
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// Journal entries after the one with id `after`, oldest first (the simulator is this run's
    /// own, so every entry is this vendor's).
    pub async fn journal_after(&self, after: u64) -> Result<Vec<Value>, Refused> {
        let j = self.sim("GET", "/journal?limit=1000", None).await?;
        let mut entries: Vec<Value> = j["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["id"].as_u64().is_some_and(|id| id > after))
            .collect();
        entries.sort_by_key(|e| e["id"].as_u64());
        Ok(entries)
    }

    /// The id of the newest journal entry (0 when empty): where the next step's calls start.
    pub async fn journal_mark(&self) -> Result<u64, Refused> {
        let j = self.sim("GET", "/journal?limit=1", None).await?;
        Ok(j["entries"][0]["id"].as_u64().unwrap_or(0))
    }

    pub async fn add_fault(&self, rule: Value) -> Answer {
        self.sim("POST", "/faults", Some(&rule)).await
    }

    pub async fn clear_faults(&self) -> Answer {
        self.sim("DELETE", "/faults", None).await
    }
}
