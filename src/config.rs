//! Every setting of the simulator in one place, each with its default and its environment variable.

use clap::Parser;
use std::path::PathBuf;

/// The vendor API's body limit by default: body-parser's `100kb` (102,400 bytes); nothing
/// shows production raised it.
pub const DEFAULT_BODY_LIMIT: usize = 100 * 1024;

/// The end of `--help`: two ways to start it, and where QA begins.
const AFTER_HELP: &str = "Examples:
  synthesize-sim
      on http://127.0.0.1:8080, keeping its data in synthesize-sim.db here
  synthesize-sim --port 0 --db :memory: --clock 2027-01-31T12:00:00.000Z --deterministic
      for a CI: any free port (printed), nothing kept, every id and time repeating
  From a checkout, put the flags after --: cargo run --release -- --port 8081

QA checklist: http://127.0.0.1:8080/#/qa (the port you chose); the API reference is at /api-docs.";

/// synthesize-sim: a local simulator of Gradient MSP's Synthesize platform.
#[derive(Debug, Clone, Parser)]
#[command(name = "synthesize-sim", version = env!("SIM_VERSION"), about, after_help = AFTER_HELP)]
pub struct Config {
    /// Address to listen on.
    #[arg(help_heading = "Network", long, env = "SYNTH_SIM_BIND", default_value = "127.0.0.1")]
    pub bind: String,

    /// Port to listen on; 0 picks any free port (the real one is printed).
    #[arg(help_heading = "Network", long, env = "SYNTH_SIM_PORT", default_value_t = 8080)]
    pub port: u16,

    /// SQLite database file, created and seeded on first run; `:memory:` keeps nothing.
    #[arg(
        help_heading = "Data",
        long,
        env = "SYNTH_SIM_DB",
        default_value = "synthesize-sim.db"
    )]
    pub db: String,

    /// An embedded seed by name (`flamingo`, the default; `autotask`; `halopsa`; `large`: 1,000
    /// companies, 10,000 contract lines), or a seed file (JSON).
    #[arg(help_heading = "Data", long, env = "SYNTH_SIM_SEED")]
    pub seed: Option<PathBuf>,

    /// Throw away the database's content and reseed at start.
    #[arg(help_heading = "Data", long, env = "SYNTH_SIM_RESET", default_value_t = false)]
    pub reset: bool,

    /// Accept `base64(VENDOR_KEY:)` on the vendor-level routes (GET/PATCH /api/vendor-api, services).
    #[arg(
        help_heading = "Realism",
        long,
        env = "SYNTH_SIM_ALLOW_VENDOR_ONLY_TOKEN",
        default_value_t = false
    )]
    pub allow_vendor_only_token: bool,

    /// Reject numeric ids with 400 instead of storing them as strings with a lint warning.
    #[arg(
        help_heading = "Realism",
        long,
        env = "SYNTH_SIM_STRICT_TYPES",
        default_value_t = false
    )]
    pub strict_types: bool,

    /// Requests per second allowed per token, as production (100); 0 turns the limit off.
    #[arg(help_heading = "Realism", long, env = "SYNTH_SIM_RATE_LIMIT", default_value_t = 100)]
    pub rate_limit: u32,

    /// Quiet time after the last count before the billing view is rebuilt.
    #[arg(
        help_heading = "Realism",
        long,
        env = "SYNTH_SIM_REBUILD_DEBOUNCE_MS",
        default_value_t = 2000
    )]
    pub rebuild_debounce_ms: u64,

    /// Time an alert waits in the queue before it becomes a ticket (or fails).
    #[arg(
        help_heading = "Realism",
        long,
        env = "SYNTH_SIM_ALERT_DELAY_MS",
        default_value_t = 1000
    )]
    pub alert_delay_ms: u64,

    /// Most vendor API calls kept in the request journal (oldest dropped first); 0 keeps none.
    #[arg(
        help_heading = "Journal",
        long,
        env = "SYNTH_SIM_JOURNAL_SIZE",
        default_value_t = 2000
    )]
    pub journal_size: usize,

    /// Most memory the journal's entries may hold, in bytes (oldest dropped first).
    #[arg(help_heading = "Journal", long, env = "SYNTH_SIM_JOURNAL_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub journal_bytes: usize,

    /// Largest request or response body kept in a journal entry, in bytes.
    #[arg(help_heading = "Journal", long, env = "SYNTH_SIM_JOURNAL_BODY_LIMIT", default_value_t = 16 * 1024)]
    pub journal_body_limit: usize,

    /// Largest request body read, in bytes; over it, 413. Default: body-parser's 100kb.
    #[arg(help_heading = "Realism", long, env = "SYNTH_SIM_BODY_LIMIT", default_value_t = DEFAULT_BODY_LIMIT)]
    pub body_limit: usize,

    /// Serve HTTPS instead of HTTP (with --tls-cert/--tls-key, or a local CA's certificate).
    #[arg(help_heading = "TLS", long, env = "SYNTH_SIM_TLS", default_value_t = false)]
    pub tls: bool,

    /// PEM certificate chain to serve over HTTPS (implies --tls; default: one issued by a local CA
    /// kept beside the database).
    #[arg(help_heading = "TLS", long, env = "SYNTH_SIM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(help_heading = "TLS", long, env = "SYNTH_SIM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Time a request body (vendor API or /sim) may take to arrive in full, in milliseconds (408 after).
    #[arg(
        help_heading = "Realism",
        long,
        env = "SYNTH_SIM_BODY_TIMEOUT_MS",
        default_value_t = 30_000
    )]
    pub body_timeout_ms: u64,

    /// Token that /sim and the console require (header X-Sim-Control-Token, or entered once in
    /// the console). Bound beyond loopback without one, a random token is made and printed.
    #[arg(help_heading = "Network", long, env = "SYNTH_SIM_CONTROL_TOKEN")]
    pub control_token: Option<String>,

    /// More host names /sim and the console answer to, besides localhost, 127.0.0.1, [::1] and
    /// the bind address (repeatable; comma-separated in the environment variable).
    #[arg(
        help_heading = "Network",
        long = "allowed-host",
        env = "SYNTH_SIM_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,

    /// Worker threads of the HTTP server (0 = one per core).
    #[arg(help_heading = "Network", long, env = "SYNTH_SIM_WORKERS", default_value_t = 0)]
    pub workers: usize,

    /// Shadow mode: every vendor API call is also sent to this upstream (production's base URL,
    /// e.g. https://app.usegradient.com) and the two answers compared (GET /sim/parity). The
    /// simulator's own answer never waits for it.
    #[arg(help_heading = "Shadow", long, env = "SYNTH_SIM_SHADOW")]
    pub shadow: Option<String>,

    /// The GRADIENT-TOKEN the upstream accepts (your seeded account's), sent in place of the
    /// call's own; shown nowhere.
    #[arg(
        help_heading = "Shadow",
        long,
        env = "SYNTH_SIM_SHADOW_TOKEN",
        hide_env_values = true
    )]
    pub shadow_token: Option<Secret>,

    /// Send writes (POST, PATCH) upstream too, not only reads: the upstream is your real account.
    #[arg(
        help_heading = "Shadow",
        long,
        env = "SYNTH_SIM_SHADOW_WRITES",
        default_value_t = false
    )]
    pub shadow_writes: bool,

    /// How long an upstream answer may take before the call counts as unreachable.
    #[arg(
        help_heading = "Shadow",
        long,
        env = "SYNTH_SIM_SHADOW_TIMEOUT_MS",
        default_value_t = 5000
    )]
    pub shadow_timeout_ms: u64,

    /// Print nothing per vendor API call (by default each call prints one line).
    #[arg(help_heading = "Journal", long, env = "SYNTH_SIM_QUIET", default_value_t = false)]
    pub quiet: bool,

    /// Start with the clock frozen at this ISO 8601 time (e.g. 2027-01-31T12:00:00.000Z);
    /// `/sim/clock` moves it.
    #[arg(help_heading = "Determinism", long, env = "SYNTH_SIM_CLOCK")]
    pub clock: Option<String>,

    /// Make every generated id, key and message id repeat run after run (same as
    /// `--random-seed 0`); with `--clock`, every timestamp repeats too.
    #[arg(
        help_heading = "Determinism",
        long,
        env = "SYNTH_SIM_DETERMINISTIC",
        default_value_t = false
    )]
    pub deterministic: bool,

    /// Seed of the generator behind ids, keys, message ids and fault probabilities; implies
    /// `--deterministic`.
    #[arg(help_heading = "Determinism", long, env = "SYNTH_SIM_RANDOM_SEED")]
    pub random_seed: Option<u64>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands; without one the binary runs the simulator.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Play a vendor's integration against a Synthesize base URL (this simulator or production).
    DemoVendor(crate::demo_vendor::cli::DemoVendorArgs),
}

impl Config {
    /// The command line, as `Config::parse` reads it, but refusing the simulator's own flags
    /// before a subcommand: `synthesize-sim --port 9000 demo-vendor` starts no server, so the
    /// flag would be taken and silently ignored.
    pub fn from_command_line() -> Config {
        use clap::parser::ValueSource;
        use clap::{CommandFactory, FromArgMatches};
        let matches = Config::command().get_matches();
        let config = Config::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        // Only subcommands that start no simulator: one that does may well take its flags.
        if let Some((name @ "demo-vendor", _)) = matches.subcommand() {
            let given: Vec<String> = Config::command()
                .get_arguments()
                .filter(|a| matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine))
                .map(|a| format!("--{}", a.get_long().unwrap_or(a.get_id().as_str())))
                .collect();
            if !given.is_empty() {
                let (are, flags) = if given.len() == 1 {
                    ("is", "flag")
                } else {
                    ("are", "flags")
                };
                let message = format!(
                    "{} {are} the simulator's {flags}, and {name} starts no simulator. Give {name} its own flags, \
                     after it: synthesize-sim {name} --base-url http://127.0.0.1:8080 (see synthesize-sim {name} --help)\n",
                    given.join(", ")
                );
                clap::Error::raw(clap::error::ErrorKind::ArgumentConflict, message)
                    .with_cmd(&Config::command())
                    .exit();
            }
        }
        config
    }

    /// The seed of the id generator, if ids are to repeat.
    pub fn random_seed(&self) -> Option<u64> {
        self.random_seed.or(self.deterministic.then_some(0))
    }

    /// The settings a test wants: any port, a private in-memory database, short delays.
    pub fn for_tests() -> Self {
        Config {
            bind: "127.0.0.1".into(),
            port: 0,
            db: ":memory:".into(),
            seed: None,
            reset: false,
            allow_vendor_only_token: false,
            strict_types: false,
            rate_limit: 100,
            rebuild_debounce_ms: 50,
            alert_delay_ms: 50,
            journal_size: 2000,
            journal_bytes: 32 * 1024 * 1024,
            body_timeout_ms: 30_000,
            control_token: None,
            allowed_hosts: vec![],
            journal_body_limit: 16 * 1024,
            body_limit: DEFAULT_BODY_LIMIT,
            tls: false,
            tls_cert: None,
            tls_key: None,
            workers: 1,
            quiet: true,
            clock: None,
            deterministic: false,
            random_seed: None,
            command: None,
            shadow: None,
            shadow_token: None,
            shadow_writes: false,
            shadow_timeout_ms: 5000,
        }
    }
}

/// A credential given on the command line: its `Debug` shows nothing of it, so no log of the
/// settings can leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}
