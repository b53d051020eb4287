//! Time is read in one place: the clock. Any other read of the system time would escape
//! `/sim/clock` (and `--clock`), so this test fails when one appears.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn only_the_clock_reads_the_system_time() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&root, &mut files);
    assert!(files.len() > 10, "found the sources");
    let forbidden = [
        "Utc::now(",
        "SystemTime::now(",
        "Local::now(",
        "thread_rng(",
        "new_v4(",
        "from_entropy(",
    ];
    let mut offenders = vec![];
    for file in &files {
        // The clock itself; the TLS certificates, whose validity a client checks against the
        // real date, not the simulated one; and the demo-vendor subcommand, a client of the API
        // (it may talk to production), not part of the simulator's state.
        let client = file.components().any(|c| c.as_os_str() == "demo_vendor");
        if file.ends_with("clock.rs") || file.ends_with("tls.rs") || client {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            for f in forbidden {
                if line.contains(f) {
                    offenders.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "read the time and draw randomness through state.clock instead:\n{}",
        offenders.join("\n")
    );
}
