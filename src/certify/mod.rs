//! `synthesize-sim qa`: Gradient's QA steps as one command a vendor adds to CI. It starts a
//! simulator of its own (in memory, on a free port, the clock running), plays the partner
//! through `/sim` as the console does, runs the vendor's own commands for the vendor's half
//! (authenticate and sync, then send usage), and answers with the QA checklist's verdict:
//! a line per step, JUnit XML, the QA report as JSON, and an exit code.
//!
//! The runner is a client of what the simulator already has (the checklist, the journal, the
//! fault rules, the partner's routes); it judges nothing the checklist judges, it reads it.

mod checks;
pub mod cli;
mod command;
mod console;
mod junit;
mod mapping;
mod outcome;
mod resilience;
mod rounds;

use crate::config::Config;
use crate::Application;
pub use cli::QaArgs;
use outcome::Status;
use std::process::ExitCode;

/// Exit codes: QA passed, QA failed, the command line (or a file it names) is wrong.
const PASSED: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

/// `server` holds the simulator's flags given before `qa` (e.g. `--strict-types`, `--rate-limit`),
/// which set up its simulator; where it listens and what it stores are the runner's own.
pub async fn main(args: QaArgs, server: Config) -> ExitCode {
    match run(args, server).await {
        Ok(code) => ExitCode::from(code),
        Err(usage) => {
            eprintln!("synthesize-sim qa: {usage}");
            ExitCode::from(USAGE)
        }
    }
}

/// Checks what can be checked before anything starts, so a usage error costs no QA run.
fn preflight(args: &QaArgs) -> Result<Option<mapping::MappingFile>, String> {
    command::check_exists("--connect", &args.connect)?;
    if let Some(sync) = &args.sync {
        command::check_exists("--sync", sync)?;
    }
    for (flag, path) in [("--junit", &args.junit), ("--report", &args.report)] {
        if let Some(p) = path {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
            if dir.is_some_and(|d| !d.is_dir()) {
                return Err(format!(
                    "{flag} {}: the folder {} does not exist (create it first)",
                    p.display(),
                    dir.map(|d| d.display().to_string()).unwrap_or_default()
                ));
            }
        }
    }
    if let Some(url) = &args.portal_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!(
                "--portal-url {url:?}: give the full address, e.g. https://portal.example.com/gradient"
            ));
        }
    }
    args.mapping.as_deref().map(mapping::load).transpose()
}

async fn run(args: QaArgs, server: Config) -> Result<u8, String> {
    let file = preflight(&args)?;
    // Production's pace (the real debounce, the rate limit) unless the flags before `qa` say
    // otherwise; the database, the port and the plain-HTTP loopback listener are this run's own.
    let mut config = Config {
        bind: "127.0.0.1".into(),
        port: 0,
        db: ":memory:".into(),
        reset: false,
        tls: false,
        tls_cert: None,
        tls_key: None,
        control_token: None,
        clock: None,
        workers: 2,
        quiet: !args.verbose,
        command: None,
        ..server
    };
    if args.seed.is_some() {
        config.seed = args.seed.clone();
    }
    let app = Application::build(config).map_err(|e| format!("the simulator did not start: {e}"))?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let keys = app.demo_keys.clone();
    let state = app.state.clone();
    let server = app.server();
    let handle = server.handle();
    let serving = tokio::spawn(server);

    let mut runner = rounds::Runner::new(args.clone(), &base, state, keys, file);
    let outcome = runner.run_all().await;
    if args.resilience && outcome.is_ok() {
        resilience::run_after_qa(&mut runner).await;
    }
    handle.stop(false).await;
    let _ = serving.await;
    outcome?;

    let cases = &runner.cases;
    let failed = cases.iter().any(|c| c.status == Status::Failed);
    let code = if failed { FAILED } else { PASSED };
    // JUnit's timestamp has no zone; the simulator's clock is UTC.
    let now = runner.state.ops.clock.now_iso();
    let stamp = now.get(..19).unwrap_or(&now).to_string();
    if let Some(path) = &args.junit {
        std::fs::write(path, junit::render(cases, &stamp)).map_err(|e| format!("--junit {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.report {
        let report = serde_json::json!({
            "generatedAt": stamp,
            "simulator": format!("synthesize-sim {}", env!("CARGO_PKG_VERSION")),
            "passed": code == PASSED,
            "exitCode": code,
            "verdict": runner.verdict,
            "rounds": args.rounds,
            "strict": args.strict,
            "cases": cases,
            "checklist": runner.final_report,
        });
        let text = serde_json::to_string_pretty(&report).unwrap_or_default();
        std::fs::write(path, text + "\n").map_err(|e| format!("--report {}: {e}", path.display()))?;
    }
    let passed = cases.iter().filter(|c| c.status == Status::Passed).count();
    let failed_n = cases.iter().filter(|c| c.status == Status::Failed).count();
    let skipped = cases.iter().filter(|c| c.status == Status::Skipped).count();
    println!(
        "{}: {passed} passed, {failed_n} failed, {skipped} skipped{}",
        runner.verdict,
        if code == PASSED { "" } else { " (exit 1)" }
    );
    Ok(code)
}
