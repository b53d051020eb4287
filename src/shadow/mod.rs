//! Shadow mode (`--shadow URL`): every vendor API call, once the simulator has answered it, is
//! also sent to the upstream (reads always, writes only with `--shadow-writes`), and the two
//! answers are compared (`domain::parity`). The calls go through a bounded queue to one thread
//! of its own, in the order the vendor made them: the simulator's answer never waits for the
//! upstream, and a full queue or a slow upstream costs only the comparison (`unreachable`).
//! The upstream token lives here and in the settings only; no report, journal entry or line
//! carries it.

use crate::config::Secret;
use crate::domain::parity::{self, Pairing, GUESSES};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

/// Calls waiting for the upstream; beyond it a call is counted unreachable at once.
const QUEUE: usize = 1024;
/// Differences kept for `/sim/parity`, newest last.
const KEPT: usize = 200;
/// Bytes of each answer a difference keeps.
const BODY_KEPT: usize = 16 * 1024;

/// What shadow mode needs to send a call upstream and judge the answers.
pub struct Call {
    pub entry_id: u64,
    pub method: String,
    /// Path and query as the vendor sent them, and as reports show them (credential-looking
    /// query values cut, as the journal cuts them).
    pub target: String,
    pub shown: String,
    pub route: String,
    pub content_type: Option<String>,
    pub token_sent: bool,
    pub body: actix_web::web::Bytes,
    pub sim_status: u16,
    pub sim_body: actix_web::web::Bytes,
}

/// Where a verdict goes besides the tally: the journal's mark and the terminal's line.
pub type Marker = Box<dyn Fn(u64, &str, Option<&str>) + Send>;

pub struct Shadow {
    queue: SyncSender<Call>,
    writes: bool,
    tally: Arc<Mutex<Tally>>,
    /// The upstream's scheme, host and port: what reports show of it.
    upstream: String,
}

#[derive(Default)]
struct Tally {
    calls: u64,
    same: u64,
    different: u64,
    unreachable: u64,
    differences: VecDeque<Value>,
    pairing: Pairing,
    /// Per guessed rule: (confirmed, contradicted).
    rules: BTreeMap<&'static str, (u64, u64)>,
}

/// The `--shadow` URL, checked at start: an absolute http(s) URL with a host, no query.
pub fn parse_upstream(raw: &str) -> Result<reqwest::Url, String> {
    let bad =
        |why: &str| format!("--shadow {raw:?} {why}: give the upstream's base URL, e.g. https://app.usegradient.com");
    let url = reqwest::Url::parse(raw).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad("is not an absolute http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("has a query or fragment"));
    }
    Ok(url)
}

impl Shadow {
    /// Starts the thread that talks to the upstream; `marker` receives each verdict.
    pub fn start(
        upstream: reqwest::Url,
        token: Secret,
        writes: bool,
        timeout: Duration,
        marker: Marker,
    ) -> std::io::Result<Shadow> {
        let (queue, calls) = sync_channel(QUEUE);
        let tally = Arc::new(Mutex::new(Tally::default()));
        let shown = match upstream.port() {
            Some(p) => format!(
                "{}://{}:{p}",
                upstream.scheme(),
                upstream.host_str().unwrap_or_default()
            ),
            None => format!("{}://{}", upstream.scheme(), upstream.host_str().unwrap_or_default()),
        };
        let worker = Worker {
            base: upstream.as_str().trim_end_matches('/').to_string(),
            token,
            timeout,
            tally: tally.clone(),
            marker,
        };
        std::thread::Builder::new()
            .name("shadow".into())
            .spawn(move || worker.run(calls))?;
        Ok(Shadow {
            queue,
            writes,
            tally,
            upstream: shown,
        })
    }

    /// Hands a call over, without waiting. Writes go only with `--shadow-writes`; answers that
    /// depend on this simulator's own keys and limits (a refused token, the rate limit) are not
    /// comparable and are not sent.
    pub fn offer(&self, call: Call) {
        let read = matches!(call.method.as_str(), "GET" | "HEAD");
        let own = (call.sim_status == 401 && call.token_sent) || call.sim_status == 429;
        if (!read && !self.writes) || own {
            return;
        }
        match self.queue.try_send(call) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                let mut t = self.tally.lock();
                t.calls += 1;
                t.unreachable += 1;
            }
        }
    }

    /// `GET /sim/parity`'s answer.
    pub fn report(&self) -> Value {
        let t = self.tally.lock();
        report(Some(&self.upstream), self.writes, &t)
    }
}

/// The answer of `GET /sim/parity` when shadow mode is off.
pub fn report_off() -> Value {
    report(None, false, &Tally::default())
}

fn report(upstream: Option<&str>, writes: bool, t: &Tally) -> Value {
    let rules: Vec<Value> = GUESSES
        .iter()
        .map(|g| {
            let (confirmed, contradicted) = t.rules.get(g.id).copied().unwrap_or((0, 0));
            let verdict = match (confirmed, contradicted) {
                (0, 0) => "never met",
                (_, 0) => "confirmed",
                _ => "contradicted",
            };
            json!({"id": g.id, "rule": g.rule, "verdict": verdict, "confirmed": confirmed, "contradicted": contradicted})
        })
        .collect();
    json!({
        "enabled": upstream.is_some(),
        "upstream": upstream,
        "writes": writes,
        "calls": t.calls,
        "same": t.same,
        "different": t.different,
        "unreachable": t.unreachable,
        "differences": t.differences,
        "rules": rules,
    })
}

struct Worker {
    base: String,
    token: Secret,
    timeout: Duration,
    tally: Arc<Mutex<Tally>>,
    marker: Marker,
}

/// What the upstream answered, or that it did not in time.
enum Upstream {
    Answered { status: u16, body: actix_web::web::Bytes },
    Unreachable,
}

impl Worker {
    fn run(self, calls: Receiver<Call>) {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(r) => r,
            Err(e) => {
                log::error!("shadow mode cannot start: {e}");
                return;
            }
        };
        let client = match reqwest::Client::builder().timeout(self.timeout).build() {
            Ok(c) => c,
            Err(e) => {
                log::error!("shadow mode cannot start: {e}");
                return;
            }
        };
        while let Ok(call) = calls.recv() {
            let answer = runtime.block_on(self.send(&client, &call));
            self.judge(call, answer);
        }
    }

    async fn send(&self, client: &reqwest::Client, call: &Call) -> Upstream {
        let Ok(method) = reqwest::Method::from_bytes(call.method.as_bytes()) else {
            return Upstream::Unreachable;
        };
        let mut rb = client
            .request(method, format!("{}{}", self.base, call.target))
            .header("Accept", "application/json");
        if call.token_sent {
            rb = rb.header("GRADIENT-TOKEN", self.token.expose());
        }
        if let Some(ct) = &call.content_type {
            rb = rb.header("Content-Type", ct);
        }
        if !call.body.is_empty() {
            rb = rb.body(call.body.clone());
        }
        let sent = async {
            let res = rb.send().await?;
            let status = res.status().as_u16();
            Ok::<_, reqwest::Error>((status, res.bytes().await?))
        };
        // The client's own timeout bounds connecting and reading; this bounds the whole call.
        match tokio::time::timeout(self.timeout, sent).await {
            Ok(Ok((status, body))) => Upstream::Answered { status, body },
            _ => Upstream::Unreachable,
        }
    }

    fn judge(&self, call: Call, answer: Upstream) {
        let Upstream::Answered { status, body } = answer else {
            {
                let mut t = self.tally.lock();
                t.calls += 1;
                t.unreachable += 1;
            }
            let line = format!(
                "parity: {} {} unreachable (no answer within {} ms)",
                call.method,
                call.shown,
                self.timeout.as_millis()
            );
            (self.marker)(call.entry_id, "unreachable", Some(&line));
            return;
        };
        let as_json = |b: &[u8]| {
            serde_json::from_slice::<Value>(b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
        };
        // A HEAD answer has no body on the wire: only its status compares.
        let head = call.method == "HEAD";
        let sim = if head { Value::Null } else { as_json(&call.sim_body) };
        let upstream = if head { Value::Null } else { as_json(&body) };
        let sent = serde_json::from_slice::<Value>(&call.body).unwrap_or(Value::Null);
        let mut t = self.tally.lock();
        let fields = parity::compare(call.sim_status, status, &sent, &sim, &upstream, &mut t.pairing);
        t.calls += 1;
        let agrees = parity::agrees(&fields);
        for id in parity::guesses_met(&call.method, &call.route, call.sim_status, &sim, call.token_sent) {
            let e = t.rules.entry(id).or_default();
            if agrees {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
        if fields.is_empty() {
            t.same += 1;
            return;
        }
        t.different += 1;
        let line = format!(
            "parity: {} {} here {} upstream {}: {}",
            call.method,
            call.shown,
            call.sim_status,
            status,
            fields.first().map(String::as_str).unwrap_or_default()
        );
        if t.differences.len() >= KEPT {
            t.differences.pop_front();
        }
        t.differences.push_back(json!({
            "method": call.method,
            "path": call.shown,
            "simStatus": call.sim_status,
            "upstreamStatus": status,
            "fields": fields,
            "sim": clip(sim),
            "upstream": clip(upstream),
        }));
        drop(t);
        (self.marker)(call.entry_id, "different", Some(&line));
    }
}

/// An answer as a difference keeps it: whole up to `BODY_KEPT` bytes, else its start as text.
fn clip(v: Value) -> Value {
    let text = v.to_string();
    if text.len() <= BODY_KEPT {
        return v;
    }
    let mut end = BODY_KEPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Value::String(format!("{}…", &text[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_upstream_url_is_refused_naming_the_flag() {
        for bad in [
            "",
            "app.usegradient.com",
            "ftp://x.example",
            "https://x.example/?a=1",
            "http://",
        ] {
            let e = parse_upstream(bad).unwrap_err();
            assert!(e.starts_with("--shadow "), "{e}");
        }
        assert!(parse_upstream("https://app.usegradient.com").is_ok());
        assert!(parse_upstream("http://127.0.0.1:9000/").is_ok());
    }

    #[test]
    fn the_upstream_token_shows_in_no_debug_output() {
        let token = Secret::from("dmVuZG9yOnBhcnRuZXI=");
        assert!(!format!("{token:?}").contains("dmVuZG9y"));
    }
}
