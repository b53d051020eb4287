//! The database file is the simulator's, tried on the real binary as a careful tester would:
//! the file deleted under a running server, a second server on the same file, a clean stop
//! under load followed by a copy of the `.db` alone, a WAL that may not be written, a process
//! paused and resumed, and the open-files limit at start.

mod common;
use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The real binary on `db`, any port, its terminal kept.
struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

fn start(db: &std::path::Path) -> Server {
    start_with(Command::new(env!("CARGO_BIN_EXE_synthesize-sim")), db)
}

fn start_with(mut command: Command, db: &std::path::Path) -> Server {
    let mut child = command
        .args(["--port", "0", "--rate-limit", "0", "--quiet", "--db"])
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = Arc::new(Mutex::new(String::new()));
    let sink = stderr.clone();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        let mut line = String::new();
        while err.read_line(&mut line).unwrap_or(0) > 0 {
            sink.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            let _ = child.wait();
            panic!("no start line; terminal: {}", stderr.lock().unwrap());
        };
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    Server { child, addr, stderr }
}

impl Server {
    fn terminal(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The terminal once `seen` holds of it (or after 10 s, for the assertion to show): a line the
    /// server logged before it answered may still be in the pipe when the answer arrives.
    fn terminal_once(&self, seen: impl Fn(&str) -> bool) -> String {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let terminal = self.terminal();
            if seen(&terminal) || Instant::now() > until {
                return terminal;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    /// Waits at most `limit` for the process to end; its exit status.
    fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let until = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > until {
                let _ = self.child.kill();
                panic!(
                    "the server did not stop within {limit:?}; terminal: {}",
                    self.terminal()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on its own connection: status and JSON body, or None when the server is gone.
fn call(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let token = token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY);
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nGRADIENT-TOKEN: {token}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut out = String::new();
    stream.read_to_string(&mut out).ok()?;
    let status = out.split(' ').nth(1)?.parse().ok()?;
    let json = out
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    Some((status, json))
}

fn accounts(n: usize, tag: &str) -> Value {
    json!((0..n)
        .map(|i| json!({"id": format!("{tag}-{i}"), "name": format!("Account {tag} {i}")}))
        .collect::<Vec<_>>())
}

const ACCOUNTS: &str = "/api/vendor-api/organization/accounts";

#[test]
fn a_database_deleted_under_the_server_refuses_writes_and_says_so_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db");
    let server = start(&db);
    let a = &server.addr;
    assert_eq!(call(a, "POST", ACCOUNTS, Some(&accounts(3, "kept"))).unwrap().0, 201);
    std::fs::remove_file(&db).unwrap();
    for i in 0..20 {
        let (status, body) = call(a, "POST", ACCOUNTS, Some(&accounts(1, &format!("lost{i}")))).unwrap();
        assert_eq!(status, 503, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("was deleted or replaced"), "{message}");
        assert!(message.contains(db.to_str().unwrap()), "names the file: {message}");
        assert!(message.contains("Restart synthesize-sim"), "says what to do: {message}");
    }
    let (status, health) = call(a, "GET", "/sim/health", None).unwrap();
    assert_eq!(status, 503);
    assert_eq!(health["status"], "database_deleted");
    assert!(health["message"].as_str().unwrap().contains("was deleted or replaced"));
    // Reads still answer from the file as it was, so its state can still be exported.
    let (status, listed) = call(a, "GET", ACCOUNTS, None).unwrap();
    assert_eq!(status, 200);
    assert!(listed.as_array().unwrap().iter().any(|x| x["id"] == "kept-0"));
    let terminal = server.terminal_once(|t| t.contains("was deleted or replaced"));
    let said = terminal.matches("was deleted or replaced").count();
    assert_eq!(said, 1, "one terminal line: {terminal}");
}

#[test]
fn an_idle_server_notices_its_file_deleted_on_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db");
    let server = start(&db);
    std::fs::remove_file(&db).unwrap();
    let terminal = server.terminal_once(|t| t.contains("was deleted or replaced"));
    assert!(terminal.contains("was deleted or replaced"), "not said: {terminal}");
}

#[test]
fn a_second_server_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.db");
    let first = start(&db);
    let out = Command::new(env!("CARGO_BIN_EXE_synthesize-sim"))
        .args(["--port", "0", "--db"])
        .arg(&db)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the second server started");
    let said = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "another synthesize-sim (pid {}) has this database; pick another --db",
        first.child.id()
    );
    assert!(said.contains(&expected), "{said}");
    assert!(
        String::from_utf8_lossy(&out.stdout).is_empty(),
        "no banner for a refused start"
    );
    // The first is untouched, and once it stops cleanly the file is free again.
    assert_eq!(call(&first.addr, "GET", "/sim/health", None).unwrap().0, 200);
    first.signal("TERM");
    let mut first = first;
    assert!(first.wait(Duration::from_secs(10)).success());
    let again = start(&db);
    assert_eq!(call(&again.addr, "GET", ACCOUNTS, None).unwrap().0, 200);
    // A kill -9 leaves no stale lock: the lock goes with the process.
    let mut again = again;
    again.child.kill().unwrap();
    again.child.wait().unwrap();
    let third = start(&db);
    assert_eq!(call(&third.addr, "GET", ACCOUNTS, None).unwrap().0, 200);
}

#[test]
fn a_clean_stop_under_load_leaves_one_self_contained_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db");
    let mut server = start(&db);
    let addr = server.addr.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (addr, stop) = (addr.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut acked = vec![];
                let started = Instant::now();
                for i in 0..20_000 {
                    if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(20) {
                        break;
                    }
                    let id = format!("w{w}-{i}");
                    let body = json!([{"id": id, "name": format!("Stop {id}")}]);
                    // Stopping: refused or unanswered calls were never acknowledged.
                    if let Some((201, _)) = call(&addr, "POST", ACCOUNTS, Some(&body)) {
                        acked.push(id);
                    }
                }
                acked
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(800));
    server.signal("TERM");
    let status = server.wait(Duration::from_secs(15));
    stop.store(true, Ordering::Relaxed);
    let acked: Vec<String> = writers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(status.success(), "exit {status:?}; terminal: {}", server.terminal());
    assert!(acked.len() > 50, "too little load to prove anything: {}", acked.len());
    let wal = dir.path().join("sim.db-wal");
    assert!(!wal.exists(), "the WAL is left beside the file");
    assert!(
        !synthesize_sim::store::file::lock_path(db.to_str().unwrap()).exists(),
        "the lock file is left"
    );
    // The .db alone, copied elsewhere, holds every acknowledged write.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    let c = rusqlite::Connection::open(&copy).unwrap();
    let mut present = std::collections::HashSet::new();
    let mut st = c.prepare("SELECT id FROM vendor_account").unwrap();
    for id in st.query_map([], |r| r.get::<_, String>(0)).unwrap() {
        present.insert(id.unwrap());
    }
    let lost: Vec<&String> = acked.iter().filter(|id| !present.contains(*id)).collect();
    println!(
        "acknowledged before SIGTERM: {}, lost in the copy: {}",
        acked.len(),
        lost.len()
    );
    assert!(
        lost.is_empty(),
        "{} acknowledged account(s) missing from the .db alone",
        lost.len()
    );
}

/// `chattr +i` on the WAL: every write to it then fails with EPERM, SQLite's I/O error. Needs
/// the right to set the attribute (root, on a file system that has it): said and skipped if not.
#[cfg(target_os = "linux")]
#[test]
fn an_immutable_wal_is_a_storage_error_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db");
    let server = start(&db);
    let a = &server.addr;
    assert_eq!(call(a, "POST", ACCOUNTS, Some(&accounts(1, "before"))).unwrap().0, 201);
    let wal = dir.path().join("sim.db-wal");
    let chattr = |flag: &str| {
        Command::new("chattr")
            .arg(flag)
            .arg(&wal)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !immutable_stops_open_descriptors(dir.path()) {
        println!(
            "skipped: chattr +i is not allowed here, or this file system lets a descriptor opened \
             before it write on (tmpfs does; ext4 refuses)"
        );
        return;
    }
    assert!(chattr("+i"), "chattr +i worked on the probe but not on the WAL");
    let mut refused = 0;
    for i in 0..30 {
        let (status, body) = call(a, "POST", ACCOUNTS, Some(&accounts(40, &format!("x{i}")))).unwrap();
        if status == 201 {
            continue; // a write whose pages fit in what the WAL already had
        }
        assert_eq!(status, 503, "{body}");
        assert_eq!(body["error"], "Service Unavailable");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(db.to_str().unwrap()), "names the file: {message}");
        assert!(message.contains("failed on disk"), "{message}");
        refused += 1;
    }
    let (status, health) = call(a, "GET", "/sim/health", None).unwrap();
    chattr("-i");
    assert!(refused >= 10, "only {refused} refused");
    assert_eq!(status, 503, "{health}");
    assert_eq!(health["status"], "storage_error");
    let storage_lines = |t: &str| t.lines().filter(|l| l.contains("storage:")).count();
    let terminal = server.terminal_once(|t| storage_lines(t) > 0);
    assert_eq!(
        storage_lines(&terminal),
        1,
        "one line for the kind, not one per write ({refused} refused): {terminal}"
    );
    // Writable again: the next write commits, health is ok, and the count is said once.
    assert_eq!(call(a, "POST", ACCOUNTS, Some(&accounts(1, "after"))).unwrap().0, 201);
    assert_eq!(call(a, "GET", "/sim/health", None).unwrap().0, 200);
    let terminal = server.terminal_once(|t| t.contains("writes commit again"));
    assert!(terminal.contains("writes commit again"), "{terminal}");
}

/// Whether `chattr +i` in `dir` makes a write through a descriptor opened before it fail, as
/// the server's open WAL needs: it is tried on a probe file of its own, never the WAL.
#[cfg(target_os = "linux")]
fn immutable_stops_open_descriptors(dir: &std::path::Path) -> bool {
    let probe = dir.join("immutable-probe");
    let mut file = std::fs::File::create(&probe).unwrap();
    let set = |flag: &str| {
        Command::new("chattr")
            .arg(flag)
            .arg(&probe)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !set("+i") {
        return false;
    }
    let refused = file.write_all(b"probe").and_then(|()| file.sync_all()).is_err();
    set("-i");
    refused
}

#[cfg(target_os = "linux")]
#[test]
fn the_open_files_soft_limit_is_raised_to_the_hard_limit() {
    let dir = tempfile::tempdir().unwrap();
    // A shell's default: a low soft limit under a higher hard one.
    let mut sh = Command::new("sh");
    sh.args([
        "-c",
        "ulimit -Sn 256 && exec \"$0\" \"$@\"",
        env!("CARGO_BIN_EXE_synthesize-sim"),
    ]);
    let server = start_with(sh, &dir.path().join("sim.db"));
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.child.id())).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let numbers: Vec<&str> = line.split_whitespace().skip(3).take(2).collect();
    assert_eq!(numbers[0], numbers[1], "soft limit not raised: {line}");
    assert_ne!(numbers[0], "256", "{line}");
}
