//! The HTTP side of the demo vendor: one authenticated client for Gradient's vendor API, with
//! the back-off production needs. Copy this part as it is; it has nothing specific to Pelican.

use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// How often one call is tried before giving up: production answers 429 (100 requests a second
/// per token, with `Retry-After`) and, rarely, 502/503/504 while it deploys.
const MAX_ATTEMPTS: u32 = 6;
/// Longest wait we accept from a `Retry-After`, so a bad header cannot stall a sync.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// First wait after a transient 5xx; doubled on every further one (0.25 s, 0.5 s, 1 s, ...).
const FIRST_BACKOFF: Duration = Duration::from_millis(250);

/// What can go wrong, worded for the person running the integration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "401 Unauthorized on {0}: Gradient refused the GRADIENT-TOKEN. Check the vendor API key, and use the \
         partner API key the partner generated last (Generate API Token or Disconnect revokes the previous one)."
    )]
    Unauthorized(String),
    #[error("{method} {path} answered {status}: {message}")]
    Http {
        method: String,
        path: String,
        status: u16,
        message: String,
    },
    #[error("{method} {path}: still {last} after {MAX_ATTEMPTS} attempts with back-off; try again later")]
    GaveUp { method: String, path: String, last: String },
    #[error(
        "nothing answers at {0}: start the simulator there (synthesize-sim, or cargo run --release), or pass \
         --base-url with the URL it printed"
    )]
    NothingListens(String),
    #[error("{0}")]
    Setup(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// An authenticated client of `{base}/api/vendor-api`.
pub struct Gradient {
    http: reqwest::Client,
    api: String,
    token: String,
    retries: std::sync::atomic::AtomicU32,
    /// Whether anything has answered yet: a refused connection before that means nothing
    /// listens at the base URL, which no back-off will fix.
    answered: std::sync::atomic::AtomicBool,
}

impl Gradient {
    /// `base_url` may be given as `https://host`, `https://host/api` or the full
    /// `https://host/api/vendor-api`, as the various clients configure it.
    pub fn new(base_url: &str, vendor_key: &str, partner_key: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("synthesize-sim-demo-vendor/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Setup(format!("HTTP client: {e}")))?;
        Self::with_http(base_url, vendor_key, partner_key, http)
    }

    /// The same, over a client the caller configured (proxy, certificates, timeouts).
    pub fn with_http(base_url: &str, vendor_key: &str, partner_key: &str, http: reqwest::Client) -> Result<Self> {
        if vendor_key.is_empty() || partner_key.is_empty() || vendor_key.contains(':') {
            return Err(Error::Setup(
                "both keys are needed: the vendor API key and the partner API key (neither contains ':')".into(),
            ));
        }
        let base = base_url.trim_end_matches('/');
        let api = if base.ends_with("/api/vendor-api") {
            base.to_string()
        } else if base.ends_with("/api") {
            format!("{base}/vendor-api")
        } else {
            format!("{base}/api/vendor-api")
        };
        // The token is base64("VENDOR_KEY:PARTNER_KEY"), sent on every call.
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{vendor_key}:{partner_key}"));
        Ok(Gradient {
            http,
            api,
            token,
            retries: Default::default(),
            answered: Default::default(),
        })
    }

    /// The full URL of a vendor API path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// How many calls were repeated after a 429, a transient 5xx or a network error.
    pub fn retries(&self) -> u32 {
        self.retries.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One call, retried on 429 and transient failures. Answers the status and the JSON body of
    /// any 2xx or 404 (the caller decides what a 404 means); other statuses are errors.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        let url = self.url(path);
        let mut backoff = FIRST_BACKOFF;
        let mut last = String::new();
        for attempt in 1..=MAX_ATTEMPTS {
            if attempt > 1 {
                self.retries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            let mut req = self
                .http
                .request(method.clone(), &url)
                .header("GRADIENT-TOKEN", &self.token)
                .header("Accept", "application/json");
            if let Some(b) = body {
                req = req.json(b); // also sets Content-Type: application/json, which production requires
            }
            let wait = match req.send().await {
                // Not connected: nothing was sent, so sending again is safe for any call. A
                // timeout may hide a write that was stored: only reads and PATCHes (which set,
                // not add) are repeated then; a POST fails, and running the sync again is safe
                // because each step first reads what Gradient already has.
                Err(e) if e.is_connect() && !self.answered.load(std::sync::atomic::Ordering::Relaxed) => {
                    return Err(Error::NothingListens(self.api.clone()));
                }
                Err(e) if e.is_connect() || (e.is_timeout() && method != Method::POST) => {
                    last = format!("network error ({e})");
                    backoff
                }
                Err(e) => return Err(Error::Setup(format!("{method} {url}: {e}"))),
                Ok(res) => {
                    self.answered.store(true, std::sync::atomic::Ordering::Relaxed);
                    let status = res.status();
                    let retry_after = res
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<f64>().ok())
                        .filter(|s| s.is_finite() && *s >= 0.0)
                        .map(|s| Duration::from_secs_f64(s).min(MAX_RETRY_AFTER));
                    let text = res.text().await.unwrap_or_default();
                    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    match status {
                        s if s.is_success() || s == StatusCode::NOT_FOUND => return Ok((s.as_u16(), json)),
                        StatusCode::UNAUTHORIZED => return Err(Error::Unauthorized(format!("{method} {path}"))),
                        StatusCode::TOO_MANY_REQUESTS => {
                            last = "429 Too Many Requests".into();
                            retry_after.unwrap_or(Duration::from_secs(1))
                        }
                        StatusCode::BAD_GATEWAY | StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
                            last = format!("{status}");
                            retry_after.unwrap_or(backoff)
                        }
                        _ => {
                            return Err(Error::Http {
                                method: method.to_string(),
                                path: path.to_string(),
                                status: status.as_u16(),
                                message: message_of(&json, &text),
                            })
                        }
                    }
                }
            };
            if attempt < MAX_ATTEMPTS {
                tokio::time::sleep(wait).await;
                backoff *= 2;
            }
        }
        Err(Error::GaveUp {
            method: method.to_string(),
            path: path.to_string(),
            last,
        })
    }
}

/// Gradient's error bodies are NestJS's: `message` is a string or an array of sentences.
pub fn message_of(json: &Value, text: &str) -> String {
    match json.get("message") {
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| p.as_str().map(String::from).unwrap_or_else(|| p.to_string()))
            .collect::<Vec<_>>()
            .join("; "),
        Some(Value::String(s)) => s.clone(),
        _ => text.chars().take(200).collect(),
    }
}
