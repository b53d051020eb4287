//! `synthesize-sim qa`: Gradient's QA steps as one command a vendor adds to CI. It starts a
//! simulator of its own (in memory, on a free port, the clock running), plays the partner
//! through `/sim` as the console does, runs the vendor's own commands for the vendor's half
//! (authenticate and sync, then send usage), and answers with the QA checklist's verdict:
//! a line per step, JUnit XML, the QA report as JSON, and an exit code.
//!
//! The runner is a client of what the simulator already has (the checklist, the journal, the
//! fault rules, the partner's routes); it judges nothing the checklist judges, it reads it.

mod checks;
mod command;
mod console;
mod junit;
mod mapping;
mod outcome;
mod resilience;
mod rounds;

use crate::config::Config;
use crate::Application;
use clap::Args;
use outcome::{Case, Status};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Run Gradient's QA steps against an integration's own commands, on a simulator of its own.
#[derive(Debug, Clone, Args)]
pub struct QaArgs {
    /// The vendor's command for "Authenticate the integration": reads GRADIENT_BASE_URL and
    /// GRADIENT_TOKEN (or the two keys), sets the status to pending, sends services and accounts.
    #[arg(long, value_name = "CMD")]
    pub connect: String,

    /// The vendor's command for "initiate a sync": sends the unit counts. Leave it out when
    /// --connect does everything.
    #[arg(long, value_name = "CMD")]
    pub sync: Option<String>,

    /// Connect-to-disconnect rounds (the QA steps ask for 2).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=10))]
    pub rounds: u32,

    /// The simulator's seed: an embedded one by name (flamingo, autotask, halopsa, large) or a
    /// seed file.
    #[arg(long)]
    pub seed: Option<PathBuf>,

    /// How to map accounts and services (JSON, see docs/qa-runner.md); by default each vendor
    /// account and service is mapped to a company and a product shown on the Billing page.
    #[arg(long, value_name = "FILE")]
    pub mapping: Option<PathBuf>,

    /// Where OPEN VENDOR PORTAL leads, for code that does not set it (in production Gradient
    /// support sets it).
    #[arg(long, value_name = "URL")]
    pub portal_url: Option<String>,

    /// Seconds a vendor command may run before it is stopped and its step fails.
    #[arg(long, default_value_t = 120.0, value_name = "SECS", value_parser = positive_seconds)]
    pub step_timeout: f64,

    /// Seconds to wait, once a command is done, for what it should have caused (Next lit,
    /// accounts in, the billing rebuild after its debounce).
    #[arg(long, default_value_t = 10.0, value_name = "SECS", value_parser = positive_seconds)]
    pub settle_timeout: f64,

    /// Write JUnit XML here (one test case per QA step per round).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write the QA report (JSON) here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Fail (exit 1) on warnings too: a checklist step's warning or any lint finding.
    #[arg(long, default_value_t = false)]
    pub strict: bool,

    /// After QA, run the commands again under production's failures, one at a time, and score
    /// each reaction from the journal (429, 404, token regenerated, reconnect, 503).
    #[arg(long, default_value_t = false)]
    pub resilience: bool,

    /// Also print the simulator's line per vendor API call.
    #[arg(long, default_value_t = false)]
    pub verbose: bool,
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() && v <= 86_400.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds above 0 (e.g. 30 or 0.5)")),
    }
}

/// Exit codes: QA passed, QA failed, the command line (or a file it names) is wrong.
const PASSED: u8 = 0;
const FAILED: u8 = 1;
const USAGE: u8 = 2;

pub async fn main(args: QaArgs) -> ExitCode {
    match run(args).await {
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

async fn run(args: QaArgs) -> Result<u8, String> {
    let file = preflight(&args)?;
    let mut config = Config::for_tests();
    // Production's pace, not the test suite's: the rebuild waits its real debounce, alerts
    // their real delay; only the database and the port are this run's own.
    config.rebuild_debounce_ms = 2000;
    config.alert_delay_ms = 1000;
    config.workers = 2;
    config.seed = args.seed.clone();
    config.quiet = !args.verbose;
    let app = Application::build(config).map_err(|e| format!("the simulator did not start: {e}"))?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let keys = app.demo_keys.clone();
    let state = app.state.clone();
    let server = app.server();
    let handle = server.handle();
    let serving = tokio::spawn(server);

    let mut runner = rounds::Runner::new(args.clone(), &base, state, keys, file);
    let outcome = runner.run_all().await;
    handle.stop(false).await;
    let _ = serving.await;
    let usage_error = outcome?;
    if let Some(e) = usage_error {
        return Err(e);
    }

    let cases = &runner.cases;
    let failed = cases.iter().any(|c| c.status == Status::Failed);
    let code = if failed { FAILED } else { PASSED };
    let stamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
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

/// The seconds of a flag as a duration.
fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The checklist's title for a step key, when it is one of its steps.
fn title_of(key: &str) -> String {
    use crate::domain::qa::QaStep;
    QaStep::ROUND
        .iter()
        .chain([QaStep::DisconnectedAtStart, QaStep::Disconnected].iter())
        .find(|s| s.key() == key)
        .map(|s| s.title().to_string())
        .unwrap_or_else(|| key.replace('_', " "))
}

fn case(suite: &str, round: u32, key: &str) -> Case {
    Case::new(suite, round, key, &title_of(key))
}
