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

// ---------------------------------------------------------------------------------------------
// The import graph: which file names which, drawn from the `crate::`, `super::` and `self::`
// paths (and, in a `use`, a child module's name), test code included.

/// The floors, top to bottom: a file may name files on its own floor (without a circle) and on
/// the floors below it, never above. Each entry is a path prefix under `src/`; the longest wins.
const FLOORS: &[(&str, &[(&str, &str)])] = &[
    (
        "app factory",
        &[
            ("lib.rs", "builds the application from its parts"),
            ("tls.rs", "the listener's certificates, set up at start"),
            ("bench_parts.rs", "the benchmark's handle on the parts"),
            (
                "certify/",
                "the qa runner: starts a simulator of its own and is its client",
            ),
            ("process.rs", "what the process asks of its operating system at start"),
        ],
    ),
    (
        "api",
        &[
            (
                "api/",
                "the vendor API and the /sim control API: parse, call ops, render",
            ),
            ("web.rs", "the console and the OpenAPI documents"),
            ("state.rs", "the wiring the handlers are handed: one field per part"),
            ("scenario_gate.rs", "who may interrupt a scenario, held by the wiring"),
            (
                "scenarios.rs",
                "a client of this server's own API, run by POST /sim/scenarios",
            ),
            ("scenarios/", "the scenarios of several steps (a month in the life)"),
        ],
    ),
    (
        "ops",
        &[
            ("ops/", "one transaction per operation"),
            ("config.rs", "the settings, read by the floors above"),
            (
                "shadow/",
                "shadow mode: each vendor call sent on to the upstream after its answer, and compared",
            ),
            (
                "demo_vendor/",
                "the demo vendor: a client of the API, its flags part of the settings",
            ),
            ("certify/cli.rs", "the qa runner's flags, part of the settings"),
        ],
    ),
    (
        "store/gate/clock",
        &[
            ("store/", "SQL, one module per aggregate"),
            ("gate/", "what every vendor call passes"),
            ("clock.rs", "the one source of time and fresh ids"),
            (
                "error.rs",
                "the one error type, which knows a full disk when the store reports one",
            ),
        ],
    ),
    ("domain", &[("domain/", "Synthesize's rules, no HTTP and no SQL")]),
];

/// The floor of a file (0 = top), by the longest prefix that names it.
fn floor_of(path: &str) -> Option<usize> {
    FLOORS
        .iter()
        .enumerate()
        .flat_map(|(floor, (_, entries))| entries.iter().map(move |(prefix, _)| (floor, *prefix)))
        .filter(|(_, prefix)| path == *prefix || (prefix.ends_with('/') && path.starts_with(prefix)))
        .max_by_key(|(_, prefix)| prefix.len())
        .map(|(floor, _)| floor)
}

/// The code of a file with comments, strings and character literals blanked (newlines kept, so
/// that offsets still tell lines).
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(b.get(i.wrapping_sub(1))) {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|k| b.get(j + 1 + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for ch in &b[i..j.min(b.len())] {
                out.push(blank(*ch));
            }
            i = j;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < b.len() {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && (next == Some('\\') || b.get(i + 2) == Some(&'\'')) {
            // A character literal (a lifetime has no closing quote after one character).
            let mut j = i + 1;
            if b.get(j) == Some(&'\\') {
                j += 2;
            } else {
                j += 1;
            }
            while j < b.len() && b[j] != '\'' {
                j += 1;
            }
            for _ in i..=j.min(b.len() - 1) {
                out.push(' ');
            }
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// The module path of a file: `api/sim/mod.rs` is `api::sim`, `gate/faults.rs` is `gate::faults`.
fn module_of(path: &str) -> Vec<String> {
    let mut parts: Vec<String> = path.trim_end_matches(".rs").split('/').map(String::from).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts
}

/// The paths a `use` tree names, its groups expanded and its renames dropped.
fn use_paths(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => {
                let item = tree.split(" as ").next().unwrap_or("").trim();
                if !item.is_empty() {
                    let path = if item == "self" {
                        prefix.trim_end_matches("::").to_string()
                    } else {
                        format!("{prefix}{item}")
                    };
                    out.push(path);
                }
            }
            Some(open) => {
                let head = &tree[..open];
                let body = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
                let mut depth = 0;
                let mut start = 0;
                for (k, ch) in body.char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(&format!("{prefix}{head}"), &body[start..k], out);
                            start = k + 1;
                        }
                        _ => {}
                    }
                }
                expand(&format!("{prefix}{head}"), &body[start..], out);
            }
        }
    }
    let mut out = vec![];
    expand("", &tree, &mut out);
    out
}

/// One import: the file named, and the line that names it.
struct Import {
    to: String,
    line: usize,
}

/// The files a source names. `modules` maps each file's module path to its file.
fn imports(source: &Source, modules: &std::collections::BTreeMap<Vec<String>, String>) -> Vec<Import> {
    let code = code_only(&source.text);
    let base = module_of(&source.path);
    let chars: Vec<char> = code.chars().collect();
    let line_at = |offset: usize| chars[..offset].iter().filter(|c| **c == '\n').count() + 1;
    // Inline modules (`mod tests { .. }`) open at a brace depth; `super::` inside them climbs
    // from there.
    let mut inline: Vec<(String, usize)> = vec![];
    let mut depth = 0usize;
    let mut out = vec![];
    let resolve = |segments: &[String], here: &[String], in_use: bool| -> Option<String> {
        let mut path: Vec<String> = match segments.first().map(String::as_str) {
            Some("crate") => vec![],
            Some("self") => here.to_vec(),
            Some("super") => {
                let mut p = here.to_vec();
                p.pop();
                p
            }
            Some(first) if in_use && modules.contains_key(&[here, &[first.to_string()]].concat()) => here.to_vec(),
            _ => return None,
        };
        let mut rest = segments;
        if matches!(segments.first().map(String::as_str), Some("crate" | "self" | "super")) {
            rest = &segments[1..];
            while rest.first().map(String::as_str) == Some("super") {
                path.pop();
                rest = &rest[1..];
            }
        }
        let mut best = None;
        for seg in rest {
            path.push(seg.clone());
            if let Some(file) = modules.get(&path) {
                best = Some(file.clone());
            }
        }
        if best.is_none() {
            // The path names something of a module itself (`super::write`): that module's file,
            // or, for an inline module, the file that holds it.
            path.truncate(path.len() - rest.len());
            while !path.is_empty() && !modules.contains_key(&path) {
                path.pop();
            }
            best = modules.get(&path).cloned();
        }
        best
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at_word = !ident_char(i.checked_sub(1).map(|k| &chars[k]));
        if c == '{' {
            depth += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            while inline.last().is_some_and(|(_, d)| *d > depth) {
                inline.pop();
            }
        }
        if !at_word || !matches!(c, 'm' | 'u' | 'c' | 's') {
            i += 1;
            continue;
        }
        let rest: String = chars[i..chars.len().min(i + 200)].iter().collect();
        let here: Vec<String> = base
            .iter()
            .cloned()
            .chain(inline.iter().map(|(m, _)| m.clone()))
            .collect();
        if let Some(after_mod) = rest.strip_prefix("mod ") {
            let name: String = after_mod
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let after = after_mod[name.len()..].trim_start();
            if after.starts_with('{') {
                inline.push((name, depth + 1));
            }
            i += 4;
            continue;
        }
        if rest.starts_with("use ") {
            let end = chars[i..].iter().position(|c| *c == ';').map_or(chars.len(), |e| i + e);
            let tree: String = chars[i + 4..end].iter().collect();
            for path in use_paths(&tree) {
                let segments: Vec<String> = path.split("::").map(|s| s.trim().to_string()).collect();
                if let Some(to) = resolve(&segments, &here, true) {
                    out.push(Import { to, line: line_at(i) });
                }
            }
            i = end;
            continue;
        }
        if rest.starts_with("crate::") || rest.starts_with("super::") || rest.starts_with("self::") {
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let segments: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(String::from).collect();
            if let Some(to) = resolve(&segments, &here, false) {
                out.push(Import { to, line: line_at(i) });
            }
            i += path.len();
            continue;
        }
        i += 1;
    }
    out.retain(|imp| imp.to != source.path);
    out
}

/// Every file's imports: `from -> [(to, first line naming it)]`.
fn import_graph() -> std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>> {
    let sources: Vec<Source> = sources().into_iter().filter(|s| s.path != "main.rs").collect();
    let modules = sources.iter().map(|s| (module_of(&s.path), s.path.clone())).collect();
    let mut graph = std::collections::BTreeMap::new();
    for s in &sources {
        let mut to: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for imp in imports(s, &modules) {
            to.entry(imp.to).or_insert(imp.line);
        }
        graph.insert(s.path.clone(), to);
    }
    graph
}

/// The circles of a graph: each strongly connected set of more than one file, as one circle
/// through it (`a -> b -> a`).
fn circles(graph: &std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>>) -> Vec<Vec<String>> {
    // Tarjan's algorithm, recursive: the graph has a hundred nodes.
    struct Walk<'g> {
        graph: &'g std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>>,
        index: std::collections::BTreeMap<&'g str, usize>,
        low: std::collections::BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: std::collections::BTreeSet<&'g str>,
        sets: Vec<Vec<&'g str>>,
    }
    fn visit<'g>(w: &mut Walk<'g>, v: &'g str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        for to in w.graph.get(v).into_iter().flat_map(|m| m.keys()) {
            if !w.index.contains_key(to.as_str()) {
                visit(w, to);
                let l = w.low[to.as_str()].min(w.low[v]);
                w.low.insert(v, l);
            } else if w.on_stack.contains(to.as_str()) {
                let l = w.index[to.as_str()].min(w.low[v]);
                w.low.insert(v, l);
            }
        }
        if w.low[v] == w.index[v] {
            let mut set = vec![];
            while let Some(x) = w.stack.pop() {
                w.on_stack.remove(x);
                set.push(x);
                if x == v {
                    break;
                }
            }
            w.sets.push(set);
        }
    }
    let mut w = Walk {
        graph,
        index: Default::default(),
        low: Default::default(),
        stack: vec![],
        on_stack: Default::default(),
        sets: vec![],
    };
    for v in graph.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    // For each set, a shortest way from its first file back to itself, inside the set.
    w.sets
        .into_iter()
        .filter(|s| s.len() > 1)
        .map(|set| {
            let members: std::collections::BTreeSet<&str> = set.iter().copied().collect();
            let start = *members.iter().next().expect("a member");
            let mut came_from: std::collections::BTreeMap<&str, &str> = Default::default();
            let mut queue = std::collections::VecDeque::from([start]);
            let mut end = start;
            'search: while let Some(v) = queue.pop_front() {
                for to in graph[v].keys().map(String::as_str).filter(|t| members.contains(t)) {
                    if to == start {
                        end = v;
                        break 'search;
                    }
                    if !came_from.contains_key(to) {
                        came_from.insert(to, v);
                        queue.push_back(to);
                    }
                }
            }
            let mut path = vec![start.to_string()];
            let mut v = end;
            while v != start {
                path.push(v.to_string());
                v = came_from[v];
            }
            path.push(start.to_string());
            let last = path.len() - 1;
            path[1..last].reverse();
            let mut circle = vec![format!("{} files:", members.len())];
            circle.extend(path);
            circle
        })
        .collect()
}

#[test]
fn every_file_has_a_floor() {
    let unplaced: Vec<String> = sources()
        .into_iter()
        .map(|s| s.path)
        .filter(|p| p != "main.rs" && floor_of(p).is_none())
        .collect();
    assert!(unplaced.is_empty(), "give these files a floor in FLOORS: {unplaced:?}");
}

#[test]
fn no_import_runs_back_up_a_floor() {
    let graph = import_graph();
    let mut found = vec![];
    for (from, to) in &graph {
        let Some(f) = floor_of(from) else { continue };
        for (to, line) in to {
            if let Some(t) = floor_of(to).filter(|t| *t < f) {
                found.push(format!(
                    "src/{from}:{line} ({}) imports src/{to} ({})",
                    FLOORS[f].0, FLOORS[t].0
                ));
            }
        }
    }
    let floors: Vec<&str> = FLOORS.iter().map(|(name, _)| *name).collect();
    assert!(
        found.is_empty(),
        "a file imports only files on its floor or below ({}): move the name down to the lowest \
         floor that needs it, or hand the part in from above:\n{}",
        floors.join(" -> "),
        found.join("\n")
    );
}

#[test]
fn no_import_circle() {
    let graph = import_graph();
    let found: Vec<String> = circles(&graph)
        .iter()
        .map(|c| format!("{} {}", c[0], c[1..].join(" -> ")))
        .collect();
    assert!(
        found.is_empty(),
        "files that import each other, round a circle, change together: move what they share to \
         one file below them:\n{}",
        found.join("\n")
    );
}

/// The graph reader itself: a circle and a climb it must see, in sources made up for the test.
#[test]
fn the_graph_reader_sees_paths_groups_supers_and_inline_modules() {
    let file = |path: &str, text: &str| Source {
        path: path.into(),
        text: text.into(),
    };
    let sources = [
        file("a/mod.rs", "pub mod b;\npub use b::Thing;\n"),
        file(
            "a/b.rs",
            "use super::{c::{self, X as Y}};\n// use crate::z::nothing;\nlet s = \"crate::z\";\nfn f() { crate::d::go() }\n#[cfg(test)]\nmod tests {\n    use super::*;\n    use super::super::super::e;\n}\n",
        ),
        file("a/c.rs", "use crate::a::b::f;\n"),
        file("d.rs", "fn go() { let c = '{'; }\n"),
        file("e.rs", ""),
        file("z.rs", ""),
    ];
    let modules = sources.iter().map(|s| (module_of(&s.path), s.path.clone())).collect();
    let names = |s: &Source| {
        let mut to: Vec<String> = imports(s, &modules).into_iter().map(|i| i.to).collect();
        to.sort();
        to.dedup();
        to
    };
    assert_eq!(names(&sources[0]), ["a/b.rs"]);
    assert_eq!(names(&sources[1]), ["a/c.rs", "d.rs", "e.rs"]);
    assert_eq!(names(&sources[2]), ["a/b.rs"]);
    let graph = sources
        .iter()
        .map(|s| {
            (
                s.path.clone(),
                imports(s, &modules).into_iter().map(|i| (i.to, i.line)).collect(),
            )
        })
        .collect();
    let found = circles(&graph);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0], ["2 files:", "a/b.rs", "a/c.rs", "a/b.rs"]);
    assert_eq!(floor_of("api/sim/qa.rs"), Some(1));
    assert_eq!(floor_of("domain/qa.rs"), Some(FLOORS.len() - 1));
}

/// A source a reader can hold: split a file that grows past this along the concepts inside it.
const MAX_LINES: usize = 600;

#[test]
fn no_source_file_is_over_600_lines() {
    let sources = sources();
    let long: Vec<String> = sources
        .iter()
        .map(|s| (s.text.lines().count(), &s.path))
        .filter(|(n, _)| *n > MAX_LINES)
        .map(|(n, p)| format!("src/{p}: {n} lines"))
        .collect();
    assert!(
        long.is_empty(),
        "split these along the concepts inside them (at most {MAX_LINES} lines each):\n{}",
        long.join("\n")
    );
    assert!(
        sources.iter().any(|s| s.text.lines().count() > MAX_LINES / 2),
        "the line count no longer finds the large files: update the test"
    );
}
