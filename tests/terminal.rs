//! The binary as a person or a script runs it: what it prints at start and per vendor call,
//! `--quiet`, a taken port, stopping on SIGINT and SIGTERM (also when SIGINT is ignored, as it
//! is for a script's background job), and pausing (SIGSTOP, as a debugger does) and resuming.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_synthesize-sim");

struct Running {
    child: Child,
    lines: Receiver<String>,
    base: String,
    token: String,
    /// Every line printed at start, up to "Stop with Ctrl+C".
    banner: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Starts the binary through `sh`, so a test can set a signal's disposition first.
    fn start(shell_prefix: &str, args: &str) -> Running {
        let db = if args.contains("--db ") { "" } else { "--db :memory:" };
        let script = format!("{shell_prefix} exec \"$0\" --port 0 {db} {args}");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(BIN)
            .env_remove("SYNTH_SIM_QUIET")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let (tx, lines) = channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut running = Running {
            child,
            lines,
            base: String::new(),
            token: String::new(),
            banner: Vec::new(),
        };
        loop {
            let line = running.wait_for("");
            let last = line.contains("Ctrl+C");
            running.banner.push(line);
            if last {
                break;
            }
        }
        let first = &running.banner[0];
        assert!(first.contains("listening on"), "{first}");
        running.base = first.rsplit(' ').next().unwrap().to_string();
        let token = running.banner.iter().find(|l| l.contains("GRADIENT-TOKEN")).unwrap();
        running.token = token.split_whitespace().nth(1).unwrap().to_string();
        running
    }

    fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!("no line with {needle:?}; saw:\n{}", seen.join("\n"));
    }

    fn lines_for(&self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut out = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => out.push(line),
                Err(_) => break,
            }
        }
        out
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -{name} failed");
    }

    /// Waits (bounded) for the process to end; its exit status.
    fn exit_within(&mut self, wait: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "still running {wait:?} after the signal");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A plain HTTP/1.1 GET with the token, so the test needs no runtime; the status code.
fn get(base: &str, path: &str, token: &str) -> u16 {
    request(base, "GET", path, token, "")
}

/// One HTTP/1.1 request (JSON body when not empty); the status code, 0 when none came back.
fn request(base: &str, method: &str, path: &str, token: &str, body: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nGRADIENT-TOKEN: {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// Makes every vendor call wait `ms` (fault injection), so a call is still in flight at a signal.
fn slow_calls(sim: &Running, ms: u64) {
    let rule = format!(r#"{{"route":"/api/vendor-api/**","delayMs":{ms}}}"#);
    assert_eq!(request(&sim.base, "POST", "/sim/faults", "", &rule), 201);
}

#[test]
fn start_up_names_every_page_and_how_to_stop() {
    let mut sim = Running::start("", "");
    let base = sim.base.clone();
    for needle in [
        format!("QA checklist        {base}/#/qa"),
        format!("API reference       {base}/api-docs"),
        format!("demo vendor portal  {base}/demo-vendor/"),
        "Stop with Ctrl+C".to_string(),
    ] {
        assert!(
            sim.banner.iter().any(|l| l.contains(&needle)),
            "{needle} in {:#?}",
            sim.banner
        );
    }
    sim.signal("TERM");
    assert!(sim.exit_within(Duration::from_secs(10)).success());
}

#[test]
fn each_vendor_call_prints_one_line_with_its_status_and_lint() {
    let mut sim = Running::start("", "");
    assert_eq!(get(&sim.base, "/api/vendor-api/organization", &sim.token), 200);
    let line = sim.wait_for("/api/vendor-api/organization");
    assert!(
        line.contains("GET") && line.contains(" 200 ") && line.contains(" ms"),
        "{line}"
    );
    assert_eq!(
        get(&sim.base, "/api/vendor-api/organization/accounts", "bm9wZTpub3Bl"),
        401
    );
    let line = sim.wait_for("/organization/accounts");
    assert!(line.contains(" 401 "), "{line}");
    // The console's own calls (/sim, pages) are not vendor calls: no line for them.
    assert_eq!(get(&sim.base, "/sim/health", ""), 200);
    let later = sim.lines_for(Duration::from_millis(500));
    assert!(later.iter().all(|l| !l.contains("/sim/health")), "{later:?}");
    // actix's own INFO lines stay out of the way.
    assert!(later.iter().all(|l| !l.contains("INFO")), "{later:?}");
}

#[test]
fn quiet_prints_no_call_lines() {
    let mut sim = Running::start("", "--quiet");
    assert_eq!(get(&sim.base, "/api/vendor-api/organization", &sim.token), 200);
    let later = sim.lines_for(Duration::from_millis(700));
    assert!(
        later.iter().all(|l| !l.contains("/api/vendor-api/organization")),
        "{later:?}"
    );
    sim.signal("INT");
    assert!(sim.exit_within(Duration::from_secs(10)).success());
}

#[test]
fn sigint_stops_it_even_where_sigint_is_ignored() {
    // `trap '' INT` is what a non-interactive shell does to a background job (`sim &`).
    let mut sim = Running::start("trap '' INT;", "");
    sim.signal("INT");
    let status = sim.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

#[test]
fn sigterm_stops_it_gracefully() {
    let mut sim = Running::start("", "");
    sim.signal("TERM");
    sim.wait_for("SIGTERM: stopping");
    let status = sim.exit_within(Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_stop_lets_the_call_in_flight_finish() {
    let mut sim = Running::start("", "--quiet");
    slow_calls(&sim, 1500);
    let (base, token) = (sim.base.clone(), sim.token.clone());
    let call = std::thread::spawn(move || get(&base, "/api/vendor-api/organization", &token));
    std::thread::sleep(Duration::from_millis(400));
    sim.signal("INT");
    assert_eq!(call.join().unwrap(), 200, "the call in flight got its answer");
    assert!(sim.exit_within(Duration::from_secs(10)).success());
}

#[test]
fn a_second_signal_later_stops_at_once() {
    let mut sim = Running::start("", "--quiet");
    slow_calls(&sim, 8000);
    let (base, token) = (sim.base.clone(), sim.token.clone());
    let _call = std::thread::spawn(move || get(&base, "/api/vendor-api/organization", &token));
    std::thread::sleep(Duration::from_millis(400));
    let started = Instant::now();
    sim.signal("INT");
    // A duplicate at once (as `timeout` or a group kill sends) is the same stop, not a second one.
    sim.signal("INT");
    std::thread::sleep(Duration::from_millis(900));
    assert!(
        sim.child.try_wait().unwrap().is_none(),
        "still finishing the call in flight"
    );
    sim.signal("INT");
    let status = sim.exit_within(Duration::from_secs(3));
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it did not wait for the slow call"
    );
}

#[test]
fn a_taken_port_says_how_to_pick_another() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let out = Command::new(BIN)
        .args(["--port", &port.to_string(), "--db", ":memory:"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{port}")), "{err}");
    assert!(err.contains("--port 0"), "{err}");
}

#[test]
fn a_call_that_missed_the_vendor_api_prints_the_path_meant() {
    let mut sim = Running::start("", "");
    assert_eq!(get(&sim.base, "/vendor-api/organization", &sim.token), 404);
    let line = sim.wait_for("/vendor-api/organization");
    assert!(
        line.contains(" 404 ") && line.contains("lint: base_url_without_api"),
        "{line}"
    );
    assert!(line.contains("did you mean /api/vendor-api/organization?"), "{line}");
    // A 401 says why on its line, though its body never does.
    assert_eq!(get(&sim.base, "/api/vendor-api/organization", "Bearer x"), 401);
    let line = sim.wait_for(" 401 ");
    assert!(
        line.contains("lint: token_not_base64 (the value starts with \"Bearer \""),
        "{line}"
    );
}

#[test]
fn a_request_it_cannot_read_as_http_names_tls_and_wrapped_tokens() {
    use std::io::{Read, Write};
    let mut sim = Running::start("", "");
    let addr = sim.base.trim_start_matches("http://").to_string();
    // The first bytes of a TLS ClientHello: what an https:// URL sends to this HTTP port.
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03").unwrap();
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let line = sim.wait_for("could not read as HTTP");
    assert!(line.contains("Use http://, or start with --tls"), "{line}");
    assert!(line.contains("base64 -w0"), "{line}");
}

#[test]
fn the_banner_marks_a_revoked_kickoff_key_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let args = format!("--db {}", db.display());
    let mut sim = Running::start("", &args);
    assert!(sim
        .banner
        .iter()
        .any(|l| l.contains("(kickoff key of the seeded integration)")));
    let disconnect = "/sim/integrations/65a0c0ffee0000000000f1a0/disconnect";
    assert_eq!(request(&sim.base, "POST", disconnect, "", ""), 200);
    sim.signal("TERM");
    assert!(sim.exit_within(Duration::from_secs(10)).success());

    let again = Running::start("", &args);
    let key = again.banner.iter().find(|l| l.contains("partner API key")).unwrap();
    assert!(key.contains("REVOKED"), "{key}");
    let token = again.banner.iter().find(|l| l.contains("GRADIENT-TOKEN")).unwrap();
    assert!(
        token.contains("GENERATE API TOKEN") && token.contains("--reset"),
        "{token}"
    );
}

#[test]
fn help_groups_the_flags_and_ends_with_examples_and_the_checklist() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let mut at = 0;
    for heading in [
        "Network:",
        "Data:",
        "Realism:",
        "Journal:",
        "TLS:",
        "Determinism:",
        "Examples:",
    ] {
        let found = help[at..]
            .find(heading)
            .unwrap_or_else(|| panic!("{heading} after the ones before in\n{help}"));
        at += found;
    }
    assert!(help[at..].contains("--port 0 --db :memory:"), "{help}");
    assert!(
        help.trim_end().ends_with("the API reference is at /api-docs."),
        "{help}"
    );
    assert!(help.contains("QA checklist: http://127.0.0.1:8080/#/qa"), "{help}");
}

/// One kept-alive HTTP/1.1 connection, read one response at a time.
struct KeptAlive {
    reader: BufReader<std::net::TcpStream>,
    addr: String,
}

impl KeptAlive {
    fn open(base: &str) -> KeptAlive {
        let addr = base.trim_start_matches("http://").to_string();
        let s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        KeptAlive {
            reader: BufReader::new(s),
            addr,
        }
    }

    /// Sends a GET; a connection the server closed shows as no status (0) on reading.
    fn send(&mut self, path: &str) {
        use std::io::Write;
        let addr = &self.addr;
        let _ = write!(self.reader.get_mut(), "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    }

    /// The status of the next response, read whole (its body by Content-Length); 0 when the
    /// connection ended first.
    fn status(&mut self) -> u16 {
        use std::io::Read;
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).unwrap_or(0) == 0 {
                return 0;
            }
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).unwrap();
        head.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
    }
}

#[test]
fn a_request_just_after_a_long_pause_is_served_on_its_kept_alive_connection() {
    let mut sim = Running::start("", "--quiet");
    // Two connections that served a request and are kept alive, one opened and not used yet.
    let mut sent_in_pause = KeptAlive::open(&sim.base);
    let mut sent_after = KeptAlive::open(&sim.base);
    for c in [&mut sent_in_pause, &mut sent_after] {
        c.send("/sim/health");
        assert_eq!(c.status(), 200);
    }
    let mut fresh = KeptAlive::open(&sim.base);
    // Accepted by the server before the pause, so that its first-request timer runs.
    std::thread::sleep(Duration::from_millis(300));
    // Longer than actix's default keep-alive and first-request timers (5 s): a debugger's pause.
    sim.signal("STOP");
    std::thread::sleep(Duration::from_secs(6));
    sent_in_pause.send("/sim/health");
    fresh.send("/sim/health");
    sim.signal("CONT");
    sent_after.send("/sim/health");
    let statuses = [sent_in_pause.status(), fresh.status(), sent_after.status()];
    // The request that waited out the pause, the first request of a connection opened before
    // it, and one sent as the server resumed.
    assert_eq!(statuses, [200; 3]);
    // The three idle connections still open do not hold up a clean stop, which would wait
    // its 5 s for them.
    sim.signal("TERM");
    assert!(sim.exit_within(Duration::from_secs(4)).success());
}
