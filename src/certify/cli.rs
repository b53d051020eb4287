//! The `qa` subcommand's flags (part of the settings, as `demo-vendor`'s are).

use clap::Args;
use std::path::PathBuf;
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

impl QaArgs {
    /// How long a vendor command may run.
    pub fn step_limit(&self) -> Duration {
        Duration::from_secs_f64(self.step_timeout)
    }

    /// How long to wait for what a command should have caused.
    pub fn settle_limit(&self) -> Duration {
        Duration::from_secs_f64(self.settle_timeout)
    }
}
