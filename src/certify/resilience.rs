//! `--resilience`: after QA, the vendor's commands run again while the simulator does to them,
//! one at a time, what production does to a careless integration, and each reaction is scored
//! from the journal. What "right" means for each vector, and the evidence for it:
//!
//! - `retry_after`: a count answered 429 with `Retry-After: 1` is sent again, no sooner than the
//!   header says. Production limits each token to 100 requests a second; Gradient's guidance is
//!   to retry transient errors after a delay, and a client that retries at once only meets the
//!   limit again (api-contract, rate limit; the demo vendor honours the header).
//! - `carry_on_404`: with one account unmapped by the partner, its counts get 404 "No account
//!   map found" and every other mapped pair is still sent and accepted. Gradient documents the
//!   404 as "Unknown account, or service is not mapped", a state the partner fixes, not an
//!   error that ends the sync; the 404 is not retried (never retry a 4xx).
//! - `token_regenerated`: the partner regenerates the token mid-sync; after the first 401 the
//!   old key is used at most once more. Gradient: do not retry authentication failures; a
//!   revoked key never works again, so the vendor stops and asks for the new key.
//! - `reconnect`: after a disconnect and reconnect (every account deleted), the vendor's code
//!   reads `GET /organization/accounts` before it posts accounts, and the accounts come back.
//!   Gradient: "Performing the Get Accounts API Call each time a partner authenticates ... is
//!   recommended" (connecting-to-partner-environment).
//! - `retry_503`: a count answered 503 is sent again after a pause (at least 0.2 s), and no call
//!   refused with a 4xx other than 429 is repeated as it was. Gradient: retry transient errors
//!   after a delay, never auth failures or other 4xx (troubleshooting).

use super::checks::is_count;
use super::outcome::{Case, Status};
use super::rounds::{Fail, Keys, Runner};
use crate::domain::ids::GradientToken;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The count route, as a fault rule's glob.
const COUNT: &str = "/api/vendor-api/service/*/count";
/// The shortest pause accepted before a 5xx is retried.
const MIN_PAUSE: f64 = 0.2;

const VECTORS: [(&str, &str); 5] = [
    (
        "retry_after",
        "429 with Retry-After: the count is sent again after the delay",
    ),
    (
        "carry_on_404",
        "404 for an unmapped account: the other counts still go through",
    ),
    (
        "token_regenerated",
        "Token regenerated mid-sync: no hammering after the 401",
    ),
    (
        "reconnect",
        "Disconnect and reconnect: accounts read again and sent back",
    ),
    (
        "retry_503",
        "503: the count is retried after a pause; no 4xx is retried",
    ),
];

/// The vectors, when QA passed (a case saying why not otherwise).
pub async fn run_after_qa(r: &mut Runner) {
    if !r.qa_passed {
        let mut c = Case::new("resilience", 0, "resilience", "Resilience vectors");
        c.status = Status::Skipped;
        c.message = Some("QA did not pass, so the vectors were not run".into());
        r.push(c);
        return;
    }
    run(r).await;
}

async fn run(r: &mut Runner) {
    for (i, (key, title)) in VECTORS.iter().enumerate() {
        let round = r.args.rounds + 1 + i as u32;
        let started = Instant::now();
        let result = vector(r, key, round).await;
        let _ = r.console.clear_faults().await;
        let mut c = Case::new("resilience", 0, key, title);
        c.seconds = started.elapsed().as_secs_f64();
        match result {
            Ok((seen, output)) => {
                c.evidence = Some(seen);
                c.output = output;
            }
            Err(f) => {
                c.status = Status::Failed;
                c.message = Some(advice(key).into());
                c.evidence = Some(f.seen);
                c.output = f.output;
            }
        }
        r.push(c);
    }
}

fn advice(key: &str) -> &'static str {
    match key {
        "retry_after" => "On 429, wait the Retry-After seconds, then send the same call again.",
        "carry_on_404" => {
            "Treat a 404 on a count as 'not mapped yet': skip that pair, send the rest, and do not retry it."
        }
        "token_regenerated" => {
            "On 401, stop syncing this partner (the key was revoked) and ask for the new partner API key; do not retry."
        }
        "reconnect" => "After every authentication, GET /organization/accounts and create the missing accounts.",
        _ => "Retry a 5xx after a pause (back off), and never retry a 4xx other than 429.",
    }
}

/// The vendor's sync: --sync, or --connect when it does everything.
fn sync_line(r: &Runner) -> String {
    r.args.sync.clone().unwrap_or_else(|| r.args.connect.clone())
}

fn env(r: &Runner, round: u32, step: &str, key: &str) -> Vec<(String, String)> {
    let mut env = r.env(round, step);
    env.push(("SYNTH_SIM_QA_VECTOR".into(), key.into()));
    env
}

/// A connected, mapped and finished integration with fresh keys, as a QA round leaves it
/// before its sync.
async fn setup(r: &mut Runner, round: u32, key: &str) -> Result<(), Fail> {
    let card = r.console.card().await?;
    if card["state"] != "ready_to_connect" {
        r.console.on("POST", "/disconnect", None).await?;
    }
    r.console.on("POST", "/connect", None).await?;
    let k = r.console.on("POST", "/token", None).await?;
    r.keys = Keys {
        partner: k["partnerApiKey"].as_str().unwrap_or_default().to_string(),
        token: k["gradientToken"].as_str().unwrap_or_default().to_string(),
    };
    // As in a round: the partner maps while --connect runs, in case it waits for the mapping.
    r.start_connect(round, "connect", &[("SYNTH_SIM_QA_VECTOR".into(), key.into())]);
    let partner = async {
        r.watch_card(
            |c| c["nextEnabled"] == true && c["accountCount"].as_u64() > Some(0),
            |_| String::new(),
        )
        .await?;
        r.map(true).await?;
        r.console
            .on("POST", "/step", Some(&json!({"step": "service_mapping"})))
            .await?;
        r.map(false).await?;
        r.console.on("POST", "/step", Some(&json!({"step": "review"}))).await?;
        r.console.on("POST", "/finish", None).await?;
        Ok::<_, Fail>(())
    }
    .await;
    let joined = r.join_connect().await;
    partner?;
    joined.map(|_| ())
}

fn at(e: &Value) -> f64 {
    e["at"]
        .as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}

fn same_call(a: &Value, b: &Value) -> bool {
    a["method"] == b["method"]
        && a["path"] == b["path"]
        && a["query"] == b["query"]
        && a["requestBody"] == b["requestBody"]
}

/// A 4xx (other than 429, and 401 which `token_regenerated` scores) sent again as it was.
fn retried_4xx(calls: &[Value]) -> Option<String> {
    calls.iter().enumerate().find_map(|(i, e)| {
        let s = e["status"].as_u64().unwrap_or(0);
        if !(400..500).contains(&s) || s == 429 || s == 401 {
            return None;
        }
        calls[i + 1..].iter().find(|l| same_call(e, l)).map(|_| {
            format!(
                "{} {} answered {s} and was sent again unchanged",
                e["method"].as_str().unwrap_or(""),
                e["path"].as_str().unwrap_or("")
            )
        })
    })
}

async fn vector(r: &mut Runner, key: &str, round: u32) -> Result<(String, String), Fail> {
    setup(r, round, key).await.map_err(|f| Fail {
        seen: format!("setting up the vector: {}", f.seen),
        output: f.output,
    })?;
    match key {
        "retry_after" => retry(r, key, round, 429).await,
        "retry_503" => retry(r, key, round, 503).await,
        "carry_on_404" => carry_on(r, key, round).await,
        "token_regenerated" => regenerated(r, key, round).await,
        _ => reconnect(r, key, round).await,
    }
}

/// Runs the sync; its exit code is not scored (a vendor may exit non-zero on a partial sync),
/// but a command that cannot start or hangs is.
async fn run_sync(r: &Runner, key: &str, round: u32) -> Result<String, Fail> {
    let line = sync_line(r);
    match r.vendor(&line, &env(r, round, "sync", key)).await {
        Ok(ran) => Ok(ran.output()),
        Err(f) if f.seen.contains("exited with") => Ok(f.output),
        Err(f) => Err(f),
    }
}

async fn retry(r: &mut Runner, key: &str, round: u32, status: u16) -> Result<(String, String), Fail> {
    r.console
        .add_fault(json!({"route": COUNT, "method": "POST", "status": status, "times": 1}))
        .await?;
    let mark = r.console.journal_mark().await?;
    let output = run_sync(r, key, round).await?;
    let calls = r.console.journal_after(mark).await?;
    let fail = |seen: String| Fail {
        seen,
        output: output.clone(),
    };
    let i = calls
        .iter()
        .position(|e| e["status"] == status && !e["fault"].is_null())
        .ok_or_else(|| fail(format!("no count reached the simulator, so none was answered {status}")))?;
    let hit = &calls[i];
    let again = calls[i + 1..].iter().find(|e| same_call(hit, e)).ok_or_else(|| {
        fail(format!(
            "the count answered {status} was never sent again: its usage is lost"
        ))
    })?;
    let pause = at(again) - at(hit);
    let least = if status == 429 { 1.0 } else { MIN_PAUSE };
    if pause + 0.01 < least {
        return Err(fail(format!(
            "the count answered {status} was sent again after {pause:.2} s; at least {least} s was due{}",
            if status == 429 { " (Retry-After: 1)" } else { "" }
        )));
    }
    if let Some(seen) = retried_4xx(&calls) {
        return Err(fail(seen));
    }
    Ok((
        format!(
            "the count answered {status} was sent again {pause:.2} s later and answered {}",
            again["status"]
        ),
        output,
    ))
}

async fn carry_on(r: &mut Runner, key: &str, round: u32) -> Result<(String, String), Fail> {
    let lists = r.console.mappings().await?;
    let mapped: Vec<String> = lists["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["psaAccountId"].is_string())
        .filter_map(|a| a["id"].as_str().map(String::from))
        .collect();
    if mapped.len() < 2 {
        return Err(Fail::seen(
            "this vector needs two mapped accounts, and your code sent fewer: send at least two accounts",
        ));
    }
    let unmapped = mapped[0].clone();
    let path = format!(
        "/mappings/accounts/{}",
        percent_encoding::utf8_percent_encode(&unmapped, percent_encoding::NON_ALPHANUMERIC)
    );
    r.console.on("DELETE", &path, None).await?;
    let mark = r.console.journal_mark().await?;
    let output = run_sync(r, key, round).await?;
    let calls = r.console.journal_after(mark).await?;
    let fail = |seen: String| Fail {
        seen,
        output: output.clone(),
    };
    let refused = calls.iter().filter(|e| is_count(e) && e["status"] == 404).count();
    if refused == 0 {
        return Err(fail(format!(
            "no count was sent for the unmapped account {unmapped}, so there was no 404 to carry on past"
        )));
    }
    let others = r.accepted_counts(mark).await;
    let reached: Vec<&String> = mapped[1..]
        .iter()
        .filter(|a| others.iter().any(|(x, _)| x == *a))
        .collect();
    if reached.len() < mapped.len() - 1 {
        let missed: Vec<&String> = mapped[1..].iter().filter(|a| !reached.contains(a)).collect();
        return Err(fail(format!(
            "after the 404 for {unmapped}, no count was accepted for the still-mapped account(s) {}",
            missed.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(seen) = retried_4xx(&calls) {
        return Err(fail(seen));
    }
    Ok((
        format!(
            "{refused} count(s) for {unmapped} answered 404; {} count(s) for the other account(s) accepted",
            others.len()
        ),
        output,
    ))
}

async fn regenerated(r: &mut Runner, key: &str, round: u32) -> Result<(String, String), Fail> {
    // Slow counts, so that there is a "mid-sync" for the partner to act in: a second wide, as the
    // journal is polled every 100 ms and a loaded CI machine must still land the regeneration
    // between two counts.
    r.console
        .add_fault(json!({"route": COUNT, "method": "POST", "delayMs": 1000}))
        .await?;
    let mark = r.console.journal_mark().await?;
    let old = GradientToken::key_hint(&r.keys.token);
    let line = sync_line(r);
    let vars = env(r, round, "sync", key);
    let limit = r.args.step_limit();
    let sync = tokio::spawn(async move { super::command::run(&line, &vars, limit).await });
    let first = r
        .settle(Duration::ZERO, || async {
            let calls = r.console.journal_after(mark).await.ok()?;
            calls.into_iter().find(|e| is_count(e) && e["status"] == 201)
        })
        .await;
    let regenerated_at = r.console.journal_mark().await?;
    if first.is_some() {
        r.console.on("POST", "/token", None).await?;
        // Later counts (a defect's retries among them) need no slowing: the mid-sync is made.
        r.console.clear_faults().await?;
    }
    let ran = sync
        .await
        .map_err(|e| Fail::seen(e.to_string()))?
        .map_err(|e| Fail::seen(e.to_string()))?;
    let output = ran.output();
    let fail = |seen: String| Fail {
        seen,
        output: output.clone(),
    };
    if first.is_none() {
        return Err(fail(
            "no count was accepted, so the token could not be regenerated mid-sync".into(),
        ));
    }
    let after: Vec<Value> = r
        .console
        .journal_after(regenerated_at)
        .await?
        .into_iter()
        .filter(|e| e["token"] == old.as_str())
        .collect();
    let Some(first_401) = after.iter().position(|e| e["status"] == 401) else {
        return Err(fail(
            "the sync ended before it used the regenerated key: send at least two counts so that it can be tested"
                .into(),
        ));
    };
    let more = after.len() - first_401 - 1;
    if more > 1 {
        return Err(fail(format!(
            "after the first 401, the revoked key was used {more} more time(s) ({} of them 401)",
            after[first_401 + 1..].iter().filter(|e| e["status"] == 401).count()
        )));
    }
    Ok((
        format!("the first 401 came after the regeneration; the revoked key was used {more} more time(s)"),
        output,
    ))
}

async fn reconnect(r: &mut Runner, key: &str, round: u32) -> Result<(String, String), Fail> {
    r.console.on("POST", "/disconnect", None).await?;
    r.console.on("POST", "/connect", None).await?;
    let k = r.console.on("POST", "/token", None).await?;
    r.keys = Keys {
        partner: k["partnerApiKey"].as_str().unwrap_or_default().to_string(),
        token: k["gradientToken"].as_str().unwrap_or_default().to_string(),
    };
    let mark = r.console.journal_mark().await?;
    let line = r.args.connect.clone();
    let ran = r.vendor(&line, &env(r, round, "connect", key)).await?;
    let output = ran.output();
    let fail = |seen: String| Fail {
        seen,
        output: output.clone(),
    };
    let hint = GradientToken::key_hint(&r.keys.token);
    let calls: Vec<Value> = r
        .console
        .journal_after(mark)
        .await?
        .into_iter()
        .filter(|e| e["token"] == hint.as_str())
        .collect();
    let accounts = |m: &str| {
        calls.iter().position(|e| {
            e["method"] == m
                && e["route"]
                    .as_str()
                    .is_some_and(|x| x.ends_with("/organization/accounts"))
        })
    };
    let card = r.console.card().await?;
    let n = card["accountCount"].as_u64().unwrap_or(0);
    match (accounts("GET"), accounts("POST")) {
        (_, None) => Err(fail(format!(
            "no account was sent after the reconnect ({n} in Synthesize): the disconnect deleted them all"
        ))),
        (None, Some(_)) => Err(fail(
            "accounts were posted without reading GET /organization/accounts first".into(),
        )),
        (Some(g), Some(p)) if g > p => Err(fail("accounts were posted before GET /organization/accounts".into())),
        _ if n == 0 => Err(fail("accounts were posted but none is in Synthesize".into())),
        _ => Ok((
            format!("GET /organization/accounts, then {n} account(s) sent back"),
            output,
        )),
    }
}
