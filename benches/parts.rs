//! What each part of a vendor call costs, measured in one process on one thread: the whole
//! `GET /api/vendor-api` and `POST /service/{id}/count` through the app (every middleware, the
//! token check, the handler, the journal; no socket, no HTTP parsing), the same with the journal
//! off and with the rate limit on, and each part alone: the token's two key hashes, its two
//! key lookups (a check that misses its copy), the copy's lookup (a check that finds it), the
//! rate limiter's check, one journal entry, the count's body read and lint.
//! Measures and prints; asserts nothing. Run by `bench/run.sh`, or alone:
//!   cargo bench --bench parts [-- --seconds 1]
//! Set up as `bench/bench.py` does: the large seed, the rate limit off, a mapped integration.

use actix_web::test::{self, TestRequest};
use clap::Parser;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use synthesize_sim::config::Config;
use synthesize_sim::domain::ids::{GradientToken, KeyHash};
use synthesize_sim::{build_app, Application};

const INTEGRATION: &str = "65a0c0ffee0000000000f1a0";

// The binary's allocator (see Cargo.toml), so that the parts cost what they cost there.
#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Runs `f` for about `budget` (a tenth to warm up, then 7 batches) and returns the median
/// batch's time per run, in ns.
fn time(budget: Duration, f: &mut dyn FnMut()) -> f64 {
    let t0 = Instant::now();
    let mut n = 0u32;
    while n < 200 || t0.elapsed() < budget / 10 {
        f();
        n += 1;
    }
    let per_batch = (n * 9 / 7).max(10);
    let mut batches: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                f();
            }
            t.elapsed().as_nanos() as f64 / per_batch as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[3]
}

/// The same for an async call (the app's service), awaited in place.
async fn time_async<F, Fut>(budget: Duration, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let t0 = Instant::now();
    let mut n = 0u32;
    while n < 200 || t0.elapsed() < budget / 10 {
        f().await;
        n += 1;
    }
    let per_batch = (n * 9 / 7).max(10);
    let mut batches = vec![];
    for _ in 0..7 {
        let t = Instant::now();
        for _ in 0..per_batch {
            f().await;
        }
        batches.push(t.elapsed().as_nanos() as f64 / per_batch as f64);
    }
    batches.sort_by(f64::total_cmp);
    batches[3]
}

fn config(db: &str, extra: &[&str]) -> Config {
    let mut args = vec![
        "synthesize-sim",
        "--port",
        "0",
        "--db",
        db,
        "--seed",
        "large",
        "--quiet",
        "--workers",
        "1",
    ];
    if !extra.contains(&"--rate-limit") {
        args.extend_from_slice(&["--rate-limit", "0"]);
    }
    args.extend_from_slice(extra);
    Config::parse_from(args)
}

/// One call through the app; panics unless it succeeds. A macro: the app's request type is
/// actix-http's, which actix-web does not re-export.
macro_rules! call {
    ($app:expr, $method:expr, $path:expr, $token:expr, $body:expr $(,)?) => {{
        let (method, path, token, body): (&str, &str, Option<&str>, Option<Value>) = ($method, $path, $token, $body);
        let mut req = TestRequest::default()
            .method(method.parse().expect("a method"))
            .uri(path)
            .insert_header(("host", "127.0.0.1"));
        if let Some(t) = token {
            req = req.insert_header(("gradient-token", t));
        }
        if let Some(b) = body {
            req = req.set_json(b);
        }
        let res = test::call_service($app, req.to_request()).await;
        let status = res.status();
        let bytes = test::read_body(res).await;
        assert!(status.is_success(), "{method} {path}: {status} {bytes:?}");
        serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null)
    }};
}

#[actix_web::main]
async fn main() {
    // `cargo test --all-targets` builds and runs every bench target; only `cargo bench` (which
    // passes --bench) should spend the seconds a measurement takes, on an optimised build.
    if !std::env::args().any(|a| a == "--bench") {
        println!("parts: not run under cargo test; measure with cargo bench --bench parts");
        return;
    }
    let seconds: f64 = std::env::args()
        .skip_while(|a| a != "--seconds")
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let budget = Duration::from_secs_f64(seconds);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("parts.db");
    let db = db.to_str().expect("a UTF-8 path");

    // Set up once on the default configuration: a token, a service, a mapped account.
    let app = Application::build(config(db, &[])).expect("the simulator starts");
    let state = app.state.clone();
    let svc = test::init_service(build_app(state.clone())).await;
    let sim = format!("/sim/integrations/{INTEGRATION}");
    call!(&svc, "POST", &format!("{sim}/disconnect"), None, None);
    call!(&svc, "POST", &format!("{sim}/connect"), None, None);
    let token = call!(&svc, "POST", &format!("{sim}/token"), None, None)["gradientToken"]
        .as_str()
        .expect("a token")
        .to_string();
    let t = Some(token.as_str());
    let vendor = call!(
        &svc,
        "POST",
        "/api/vendor-api/service",
        t,
        Some(
            json!({"name": "Endpoint Protection", "description": "per endpoint", "category": "security",
                    "subcategory": "endpoint detection and response (EDR)"})
        ),
    );
    let service = vendor["skus"].as_array().and_then(|s| s.last()).expect("a service")["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let company = call!(&svc, "GET", "/sim/psa", None, None)["companies"][0]["name"].clone();
    call!(
        &svc,
        "POST",
        "/api/vendor-api/organization/accounts",
        t,
        Some(json!([{"id": "acct-00000", "name": company}])),
    );
    call!(&svc, "PATCH", "/api/vendor-api/organization/status/pending", t, None);
    call!(
        &svc,
        "POST",
        &format!("{sim}/step"),
        None,
        Some(json!({"step": "account_mapping"}))
    );
    let products = call!(&svc, "GET", &format!("{sim}/mappings"), None, None)["psaProducts"].clone();
    let edr = products
        .as_array()
        .and_then(|p| p.iter().find(|p| p["productCode"] == "SEC-EDR"))
        .expect("the EDR product")["id"]
        .clone();
    call!(
        &svc,
        "PUT",
        &format!("{sim}/mappings/services/{service}"),
        None,
        Some(json!({"psaProductIds": [edr]})),
    );
    call!(&svc, "POST", &format!("{sim}/finish"), None, None);
    let count_path = format!("/api/vendor-api/service/{service}/count");
    let mut n = 0u32;
    let mut count_body = move || {
        n += 1;
        json!({"accountId": "acct-00000", "unitCount": n % 500})
    };

    println!("what each part of a vendor call costs (one thread, in process, median of 7 batches; µs per call):");
    let row = |label: &str, ns: f64| println!("  {label:58} {:7.1} µs", ns / 1000.0);
    let health = time_async(budget, || async {
        call!(&svc, "GET", "/sim/health", None, None);
    })
    .await;
    row("GET /sim/health: routing, one read, a JSON answer", health);

    // The whole calls, on three configurations of the same database, in 5 rounds that rotate
    // their order (so drift in the machine's load hits all three alike); medians of the rounds.
    let configs = [
        ("as benchmarked (journal on, rate limit off)", &[][..]),
        ("journal off (--journal-size 0)", &["--journal-size", "0"][..]),
        ("rate limit on, never reached", &["--rate-limit", "100000000"][..]),
    ];
    let mut apps = vec![];
    let mut owners = vec![];
    // Each on a simulator of its own, started alike on a copy of the set-up database (one
    // simulator per database file: the set-up one still holds `db`).
    for (k, (_, extra)) in configs.iter().enumerate() {
        let copy = dir.path().join(format!("parts-{k}.db"));
        let copy = copy.to_str().expect("a UTF-8 path");
        rusqlite::Connection::open(db)
            .and_then(|c| c.execute("VACUUM INTO ?1", [copy]))
            .expect("a copy of the set-up database");
        let a = Application::build(config(copy, extra)).expect("the simulator starts");
        apps.push(test::init_service(build_app(a.state.clone())).await);
        owners.push(a);
    }
    const ROUNDS: usize = 5;
    let mut runs: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![], vec![]); configs.len()];
    for round in 0..ROUNDS {
        for k in 0..configs.len() {
            let i = (round + k) % configs.len();
            let s = &apps[i];
            runs[i].0.push(
                time_async(budget / ROUNDS as u32, || async {
                    call!(s, "GET", "/api/vendor-api", t, None);
                })
                .await,
            );
            runs[i].1.push(
                time_async(budget / ROUNDS as u32, || {
                    let body = count_body();
                    let path = &count_path;
                    async move {
                        call!(s, "POST", path, t, Some(body));
                    }
                })
                .await,
            );
        }
    }
    let median = |xs: &[f64]| {
        let mut xs = xs.to_vec();
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    };
    let mut whole = vec![];
    for ((label, _), (gets, counts)) in configs.iter().zip(&runs) {
        let (get, count) = (median(gets), median(counts));
        row(&format!("GET /api/vendor-api, {label}"), get);
        row(&format!("POST count, {label}"), count);
        whole.push((get, count));
    }
    drop(owners);

    // The parts alone.
    let header = token.clone();
    let hashes = time(budget, &mut || {
        let t = GradientToken::parse(&header).expect("a token");
        std::hint::black_box((KeyHash::of(&t.vendor_key), KeyHash::of(&t.partner_key)));
    });
    row("token: base64 decode, two SHA-256 key hashes", hashes);
    // One call, so that the token's copy is current on this simulator (the set-up's last step
    // changed the integration).
    call!(&svc, "GET", "/api/vendor-api", t, None);
    let [lookups, copy, limit, entry, lint] =
        synthesize_sim::bench_parts::parts(&state, &token, &count_path, &mut |f| time(budget, f));
    row("token, copy missed: its two key lookups (one read snapshot)", lookups);
    row("token, copy found: the epoch and the copy's lookup", copy);
    row("rate limit: one admission (token hashed, window counted)", limit);
    row("journal: one entry (headers, bodies, time, push)", entry);
    row("count body: JSON parse, field checks and lints", lint);

    let (get, count) = whole[0];
    println!();
    println!("  so, of a GET's {:.1} µs here:", get / 1000.0);
    let part = |label: &str, ns: f64| println!("    {label:56} {:6.1} µs", ns / 1000.0);
    part("routing and a JSON answer (as /sim/health)", health);
    part("token check (its copy, current while no key changed)", copy);
    part("journal (this GET minus the same with it off)", get - whole[1].0);
    part("rate limit (on minus off)", whole[2].0 - get);
    part(
        "rest: the profile answer (its copy) and the response",
        get - health - copy - (get - whole[1].0),
    );
    println!("  and of a count's {:.1} µs:", count / 1000.0);
    part("token check (its copy; the re-check in the write: the epoch)", copy);
    part("body parse, field checks and lints", lint);
    part("journal (this count minus the same with it off)", count - whole[1].1);
    part("rate limit (on minus off)", whole[2].1 - count);
    part(
        "rest: the write transaction (checks, 3 rows, commit)",
        count - copy - lint - (count - whole[1].1) - health,
    );
    println!(
        "  (a token's first call, or any after a key, vendor or integration changed, checks it \
         with the hashes and lookups: {:.1} µs)",
        (hashes + lookups) / 1000.0
    );
    drop(app);
}
