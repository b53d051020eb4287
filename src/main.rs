use synthesize_sim::config::{Command, Config};
use synthesize_sim::domain::ids::GradientToken;
use synthesize_sim::store::seed::DemoKeys;
use synthesize_sim::{Application, StartError};

// See Cargo.toml: what a call allocates is a good part of its cost.
#[cfg(not(windows))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    // actix's own INFO lines (workers starting, shutting down) would drown the call lines;
    // RUST_LOG still brings them back.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format(log_line)
        .init();
    let mut config = Config::from_command_line();
    match config.command.take() {
        Some(Command::DemoVendor(args)) => return synthesize_sim::demo_vendor::cli::main(args).await,
        Some(Command::Qa(args)) => return synthesize_sim::certify::main(args, config).await,
        None => {}
    }
    // The server's own signal handling is off (tests run many servers in one process), so the
    // binary stops itself: gracefully on the first SIGINT or SIGTERM, at once on a second one.
    // Installing the handlers also overrides SIGINT being ignored, as it is for a script's
    // background job, so `kill -INT` stops it there too. Installed before anything is printed,
    // so that a script that signals as soon as it reads the banner is heard.
    let signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("synthesize-sim: cannot listen for signals: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Err(e) = synthesize_sim::process::raise_open_files_limit() {
        log::warn!("the open-files limit stays as it is ({e}): many connections at once may be refused");
    }
    let db = config.db.clone();
    let bind = config.bind.clone();
    let bind_addr = config.bind.clone();
    let quiet = config.quiet;
    let app = match Application::build(config) {
        Ok(app) => app,
        Err(e) => {
            eprintln!("synthesize-sim: {e}");
            if let StartError::Bind { source, .. } = &e {
                if source.kind() == std::io::ErrorKind::AddrInUse {
                    eprintln!(
                        "  Another program (perhaps another synthesize-sim) has that port. Pick another with\n  \
                         --port 0 (any free port; the real one is printed) or a number, e.g. --port 8081."
                    );
                }
            }
            return std::process::ExitCode::FAILURE;
        }
    };
    let host = if bind == "0.0.0.0" {
        "127.0.0.1".to_string()
    } else {
        bind
    };
    let url = format!("{}://{host}:{}", app.scheme(), app.port());
    // Features with something to say at start add their lines here (HTTPS: how to trust the CA;
    // the control token when bound beyond this machine).
    let mut extra: Vec<String> = app
        .tls_note()
        .map(|note| note.lines().map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(token) = app.control_token() {
        extra.push(format!(
            "  {:<20}{token}   (/sim and the console: header X-Sim-Control-Token, or enter it once)",
            "control token"
        ));
    }
    print!("{}", banner(&url, &db, &app.demo_keys, app.kickoff_live, quiet, &extra));
    if !synthesize_sim::api::guard::is_loopback_bind(&bind_addr) {
        eprintln!(
            "warning: listening on {bind_addr}, beyond this machine: anyone who can reach it may call the vendor API; \
             /sim and the console require the control token"
        );
    }

    let state = app.state.clone();
    let stopping = state.clone();
    let server = app.server();
    let handle = server.handle();
    tokio::spawn(async move {
        let mut signals = signals;
        let name = signals.next().await;
        eprintln!("synthesize-sim: {name}: stopping (finishing the calls in flight)");
        let first = std::time::Instant::now();
        let stop = handle.stop(true);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                name = signals.next() => {
                    // `timeout` and group kills deliver one signal twice at once: only a second,
                    // later signal (a second Ctrl+C) means "now".
                    if first.elapsed() < std::time::Duration::from_millis(500) {
                        continue;
                    }
                    eprintln!("synthesize-sim: {name} again: stopping now");
                    stopping.flush_terminal();
                    std::process::exit(130);
                }
            }
        }
    });
    let stopped = server.await;
    // A clean stop leaves one self-contained file: the WAL copied back, the lock released.
    let closed = state.ops.store.close();
    state.flush_terminal();
    if let Err(e) = closed {
        eprintln!("synthesize-sim: {e}");
        return std::process::ExitCode::FAILURE;
    }
    match stopped {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synthesize-sim: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A log record as env_logger writes it, except the HTTP parser's refusal of a request it
/// could not read: actix answers it an empty 400 before any route, so no journal entry can say
/// why. Its line names the two usual causes instead.
fn log_line(buf: &mut env_logger::fmt::Formatter, record: &log::Record) -> std::io::Result<()> {
    use std::io::Write;
    let message = record.args().to_string();
    if record.target().starts_with("actix_http::h1") && message.contains("request parse error") {
        let time = buf.timestamp_seconds().to_string();
        let time = time.get(11..19).unwrap_or(&time).to_string();
        return writeln!(
            buf,
            "{time}  a request this port could not read as HTTP got an empty 400 ({message}). A TLS handshake? \
             Use http://, or start with --tls. A header broken over two lines? A token from base64 is wrapped at \
             76 columns: use base64 -w0."
        );
    }
    writeln!(
        buf,
        "[{} {} {}] {message}",
        buf.timestamp_seconds(),
        record.level(),
        record.target()
    )
}

/// What the terminal shows at start: where everything is, the demo keys, how to stop. One
/// function, so that a feature with something to say at start adds its lines through `extra`.
fn banner(url: &str, db: &str, keys: &DemoKeys, kickoff_live: bool, quiet: bool, extra: &[String]) -> String {
    let mut out = format!("synthesize-sim {} listening on {url}\n", env!("CARGO_PKG_VERSION"));
    let mut line = |label: &str, value: String| out.push_str(&format!("  {label:<20}{value}\n"));
    line("QA checklist", format!("{url}/#/qa"));
    line("partner console", format!("{url}/"));
    line(
        "vendor API",
        format!("{url}/api/vendor-api   (base URL {url} or {url}/api)"),
    );
    line("API reference", format!("{url}/api-docs"));
    line("demo vendor portal", format!("{url}/demo-vendor/"));
    line(
        "control API",
        format!("{url}/sim   (reference: {url}/sim/openapi.json)"),
    );
    line("database", db.to_string());
    line("vendor API key", keys.vendor_api_key.clone());
    match &keys.partner_api_key {
        Some(pk) if kickoff_live => {
            line(
                "partner API key",
                format!("{pk}   (kickoff key of the seeded integration)"),
            );
            line("GRADIENT-TOKEN", GradientToken::encode(&keys.vendor_api_key, pk));
        }
        // A database kept from an earlier run where the seeded integration was disconnected
        // or given a new token: the kickoff key answers 401 now, so it is not offered as one.
        Some(pk) => {
            line(
                "partner API key",
                format!("{pk}   REVOKED: the seeded integration was disconnected or given a new token"),
            );
            line(
                "GRADIENT-TOKEN",
                format!(
                    "none printed: press CONNECT (if disconnected) and GENERATE API TOKEN on {url}/#/integrations (or POST \
                     /sim/integrations/{}/token) for a working one, or start with --reset",
                    keys.integration_id
                ),
            );
        }
        None => {}
    }
    // Extra lines come indented as their feature wants them.
    for l in extra {
        out.push_str(l);
        out.push('\n');
    }
    if quiet {
        out.push_str("Vendor API calls are not printed (--quiet). Stop with Ctrl+C.\n");
    } else {
        out.push_str("Each vendor API call prints one line below (--quiet turns them off). Stop with Ctrl+C.\n");
    }
    out
}

/// SIGINT and SIGTERM; on Windows Ctrl+C, Ctrl+Break and the console window closing; as one stream
/// of names. Every handler is installed when this is made, before the banner.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
    #[cfg(windows)]
    ctrl_break: tokio::signal::windows::CtrlBreak,
    /// Windows gives a closing console a few seconds: enough to finish the calls in flight.
    #[cfg(windows)]
    ctrl_close: tokio::signal::windows::CtrlClose,
}

impl Signals {
    fn new() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(windows)]
        {
            use tokio::signal::windows;
            Ok(Signals {
                ctrl_c: windows::ctrl_c()?,
                ctrl_break: windows::ctrl_break()?,
                ctrl_close: windows::ctrl_close()?,
            })
        }
    }

    async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => "SIGINT",
                _ = self.term.recv() => "SIGTERM",
            }
        }
        #[cfg(windows)]
        {
            tokio::select! {
                _ = self.ctrl_c.recv() => "Ctrl+C",
                _ = self.ctrl_break.recv() => "Ctrl+Break",
                _ = self.ctrl_close.recv() => "console closed",
            }
        }
    }
}
