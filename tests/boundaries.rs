//! The layers' boundaries, held by reading the sources: SQL lives in `store/` only, the domain
//! knows neither HTTP nor the database, and only the clock reads the system time or draws randomness (anything else
//! would escape `/sim/clock`, `--clock` and `--deterministic`). Each rule also checks that it
//! still finds what it forbids where it is allowed, so a rule whose patterns went stale fails
//! instead of passing on nothing.

use std::path::{Path, PathBuf};

/// One source file under `src/`, its path relative to `src/` with `/` separators.
struct Source {
    path: String,
    text: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn sources() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "found the sources");
    files
        .into_iter()
        .map(|f| Source {
            path: f
                .strip_prefix(&root)
                .expect("under src")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
            text: std::fs::read_to_string(&f).expect("readable source"),
        })
        .collect()
}

/// Every code line (whole-line comments aside: a comment may name what it avoids) of the files
/// `checked` selects that contains one of `forbidden`, as `path:line: text`.
fn offenders(sources: &[Source], checked: impl Fn(&str) -> bool, forbidden: &[&str]) -> Vec<String> {
    let mut out = vec![];
    for s in sources.iter().filter(|s| checked(&s.path)) {
        for (n, line) in s.text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            if forbidden.iter().any(|f| line.contains(f)) {
                out.push(format!("src/{}:{}: {}", s.path, n + 1, line.trim()));
            }
        }
    }
    out
}

/// Running SQL: rusqlite's calls, and SQL's own words in a string.
const SQL: [&str; 16] = [
    ".execute(",
    ".execute_batch(",
    ".prepare(",
    ".prepare_cached(",
    ".query_row(",
    ".query_map(",
    ".query_and_then(",
    ".cached_row(",
    "params![",
    "SELECT ",
    "INSERT INTO",
    "UPDATE ",
    "DELETE FROM",
    "CREATE TABLE",
    "PRAGMA ",
    " WHERE ",
];

/// Files outside `store/` allowed to run SQL (a path prefix under `src/`), each with its
/// reason. None today; keep it that way.
const SQL_EXCEPTIONS: &[(&str, &str)] = &[];

/// Whether `path` is one of the `exceptions`.
fn excepted(exceptions: &[(&str, &str)], path: &str) -> bool {
    exceptions.iter().any(|(prefix, _why)| path.starts_with(prefix))
}

/// Fails with `advice` and the offending lines when a file `checked` selects holds one of
/// `forbidden`; fails too when the patterns no longer find anything where the thing is
/// allowed (`home`), since then they could not catch it anywhere else either.
fn hold(forbidden: &[&str], checked: impl Fn(&str) -> bool, home: impl Fn(&str) -> bool, advice: &str) {
    let sources = sources();
    let found = offenders(&sources, checked, forbidden);
    assert!(found.is_empty(), "{advice}:\n{}", found.join("\n"));
    assert!(
        !offenders(&sources, home, forbidden).is_empty(),
        "the patterns no longer find what they forbid where it is allowed: update them"
    );
}

#[test]
fn sql_lives_in_the_store() {
    hold(
        &SQL,
        |p| !p.starts_with("store/") && !excepted(SQL_EXCEPTIONS, p),
        |p| p.starts_with("store/"),
        "SQL belongs in src/store/ (add a function there and call it)",
    );
}

/// What ties code to HTTP (the web framework, the API's error type) or to the database.
const HTTP: [&str; 6] = [
    "actix",
    "ApiError",
    "HttpResponse",
    "crate::error",
    "crate::api",
    "rusqlite",
];

#[test]
fn the_domain_knows_no_http_and_no_database() {
    hold(
        &HTTP,
        |p| p.starts_with("domain/"),
        |p| p.starts_with("api/"),
        "src/domain/ is Synthesize's rules without HTTP or SQL: return the domain's own rejection and let \
         api/ turn it into an ApiError; read and write through store/",
    );
}

/// Reading the system time or drawing entropy.
const SYSTEM_TIME: [&str; 6] = [
    "Utc::now(",
    "SystemTime::now(",
    "Local::now(",
    "thread_rng(",
    "new_v4(",
    "from_entropy(",
];

/// Files allowed to read the system time (a path prefix under `src/`), each with its reason.
const TIME_EXCEPTIONS: &[(&str, &str)] = &[
    ("clock.rs", "the clock itself"),
    (
        "tls.rs",
        "the TLS certificates, whose validity a client checks against the real date, not the simulated one",
    ),
    (
        "demo_vendor/",
        "the demo-vendor subcommand is a client of the API (it may talk to production), not part of the \
         simulator's state",
    ),
];

#[test]
fn only_the_clock_reads_the_system_time() {
    hold(
        &SYSTEM_TIME,
        |p| !excepted(TIME_EXCEPTIONS, p),
        |p| p == "clock.rs",
        "read the time and draw randomness through state.clock instead",
    );
}
