//! The `demo-vendor` subcommand: flags, and the steps printed as they happen.

use super::{client::Gradient, DataSet};
use crate::store::seed::{Seed, DEFAULT_SEED};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Play the vendor's side of an integration against any Synthesize base URL, over HTTP.
#[derive(Debug, Clone, Args)]
pub struct DemoVendorArgs {
    /// Base URL of the vendor API (`http://host:port`, `.../api` or `.../api/vendor-api`).
    #[arg(long, env = "SYNTH_SIM_DEMO_BASE_URL", default_value = "http://127.0.0.1:8080")]
    pub base_url: String,

    /// Vendor API key (default: the seeded demo vendor's key).
    #[arg(long, env = "SYNTH_SIM_DEMO_VENDOR_KEY")]
    pub vendor_key: Option<String>,

    /// Partner API key from the partner's Generate API Token (default: the seed's kickoff key).
    #[arg(long, env = "SYNTH_SIM_DEMO_PARTNER_KEY")]
    pub partner_key: Option<String>,

    /// Services, accounts and usage to send (JSON, the shape of `src/demo_vendor/pelican.json`);
    /// default: Pelican Endpoint Security's.
    #[arg(long, env = "SYNTH_SIM_DEMO_DATA")]
    pub data: Option<PathBuf>,

    /// Also set the vendor's integration portal URL (what OPEN VENDOR PORTAL opens).
    #[arg(long, env = "SYNTH_SIM_DEMO_PORTAL_URL")]
    pub portal_url: Option<String>,

    /// Account the test alert is about (default: the first account of the data).
    #[arg(long, env = "SYNTH_SIM_DEMO_ALERT_ACCOUNT")]
    pub alert_account: Option<String>,

    /// Steps to run, in this order; default: connect setup usage alert.
    #[arg(value_enum)]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Step {
    /// Authenticate and set the status to pending.
    Connect,
    /// Create missing services and send missing accounts.
    Setup,
    /// Push every unit count (no_build on all but the last).
    Usage,
    /// Send a test alert and follow its delivery.
    Alert,
    /// Set the status to inactive.
    Disconnect,
}

/// Runs the steps, printing one line per result; any error stops with its sentence.
pub async fn main(args: DemoVendorArgs) -> ExitCode {
    match run(&args, &mut |line| println!("{line}")).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("demo-vendor: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run(args: &DemoVendorArgs, say: &mut dyn FnMut(String)) -> super::Result<()> {
    let demo = Seed::parse(DEFAULT_SEED).map_err(super::Error::Setup)?.demo_keys();
    let vendor_key = args.vendor_key.clone().unwrap_or(demo.vendor_api_key);
    let partner_key = args.partner_key.clone().or(demo.partner_api_key).unwrap_or_default();
    let data: DataSet = match &args.data {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
            .map_err(|e| super::Error::Setup(format!("data file {}: {e}", path.display())))?,
        None => super::pelican(),
    };
    let steps = if args.steps.is_empty() {
        vec![Step::Connect, Step::Setup, Step::Usage, Step::Alert]
    } else {
        args.steps.clone()
    };
    let g = Gradient::new(&args.base_url, &vendor_key, &partner_key)?;
    say(format!("vendor API {}", g.url("")));
    let mut ids = None;
    for step in steps {
        match step {
            Step::Connect => {
                let (partner, status) = super::connect(&g).await?;
                say(format!("connect: authenticated with {partner}; status {status}"));
                if let Some(url) = &args.portal_url {
                    super::set_portal_url(&g, url).await?;
                    say(format!("connect: integration portal URL set to {url}"));
                }
            }
            Step::Setup => {
                let found = super::sync_services(&g, &data.services).await?;
                say(format!("setup: {} service(s) in Gradient", found.len()));
                ids = Some(found);
                let sent = super::sync_accounts(&g, &data.accounts).await?;
                say(format!(
                    "setup: {sent} account(s) sent, {} already there",
                    data.accounts.len() - sent
                ));
            }
            Step::Usage => {
                let ids = match ids.take() {
                    Some(ids) => ids,
                    None => super::service_ids(&g).await?,
                };
                let report = super::sync_usage(&g, &ids, &data.usage).await?;
                say(format!(
                    "usage: {} count(s) accepted, {} not mapped",
                    report.accepted,
                    report.not_mapped.len()
                ));
                for line in &report.not_mapped {
                    say(format!("usage: {line}"));
                }
            }
            Step::Alert => {
                let account = args
                    .alert_account
                    .clone()
                    .or_else(|| data.accounts.first().map(|a| a.id.clone()))
                    .ok_or_else(|| super::Error::Setup("no account to send an alert about".into()))?;
                let (message_id, delivery) = super::send_alert(
                    &g,
                    &account,
                    "Pelican: ransomware behaviour blocked",
                    "Pelican EDR blocked a process encrypting files and isolated the endpoint.",
                )
                .await?;
                say(format!("alert: message {message_id} for {account}: {delivery}"));
            }
            Step::Disconnect => {
                super::disconnect(&g).await?;
                say("disconnect: status inactive".into());
            }
        }
    }
    if g.retries() > 0 {
        say(format!(
            "({} call(s) repeated after 429 or a transient error)",
            g.retries()
        ));
    }
    Ok(())
}
