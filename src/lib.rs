//! synthesize-sim: a local simulator of Gradient MSP's Synthesize platform. The vendor API as
//! production serves it, the partner console, service cards, and a live QA checklist.

pub mod api;
#[doc(hidden)]
pub mod bench_parts;
pub mod certify;
pub(crate) mod clock;
pub mod config;
pub mod demo_vendor;
pub mod domain;
pub(crate) mod error;
pub(crate) mod gate;
pub(crate) mod ops;
pub mod process;
pub(crate) mod scenario_gate;
pub(crate) mod scenarios;
pub(crate) mod shadow;
pub mod state;
pub mod store;
pub(crate) mod tls;
pub mod web;

use crate::config::Config;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::seed::DemoKeys;
use crate::store::Store;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web as aweb, App, HttpRequest, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;

/// A built simulator, bound to its port and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    pub state: aweb::Data<AppState>,
    pub demo_keys: DemoKeys,
    /// Whether the seed's kickoff partner key still works (a disconnect or a new token revokes
    /// it, and a database kept from an earlier run remembers that).
    pub kickoff_live: bool,
    /// Under `--tls`: the local CA's file, when it issued the certificate.
    tls_ca: Option<std::path::PathBuf>,
    https: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Seed(String),
    #[error("{0}")]
    Clock(String),
    #[error("database {path}: {source}")]
    Database { path: String, source: rusqlite::Error },
    /// A database this build must not write (another program's, or a newer schema's).
    #[error("{0}")]
    DatabaseRefused(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("{0}")]
    Tls(String),
    /// A `--shadow` setting that cannot work, named by its flag.
    #[error("{0}")]
    Shadow(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Application {
    /// Opens (and seeds, on first run or `--reset`) the database, binds the listener and
    /// builds the server. Must be called inside a Tokio runtime; workers start with it.
    pub fn build(mut config: Config) -> Result<Self, StartError> {
        if config.control_token.is_none() && !api::guard::is_loopback_bind(&config.bind) {
            // Beyond loopback, the partner side is never open without a token.
            config.control_token = Some(domain::ids::ApiKey::secret().expose().to_string());
        }
        let upstream = shadow_settings(&config).map_err(StartError::Shadow)?;
        let (seed_name, seed_text) = store::seed_parse::source(config.seed.as_deref()).map_err(StartError::Seed)?;
        let db_err = |source| StartError::Database {
            path: config.db.clone(),
            source,
        };
        let start = match &config.clock {
            Some(s) => Some(clock::parse_time(s).ok_or_else(|| {
                StartError::Clock(format!(
                    "--clock {s:?} is not an ISO 8601 time with an offset, e.g. 2027-01-31T12:00:00.000Z"
                ))
            })?),
            None => None,
        };
        let clock = Arc::new(clock::Clock::from_settings(start, config.random_seed()));
        // The seed is parsed beside the database's opening: the large one takes some 5 ms to
        // grow and derive its ids, about what a new file's schema takes. A seed that does not
        // parse is still the error reported, before any of the database's (a new file is then
        // left with the schema only, and seeded at the next start).
        let (seed, store) = std::thread::scope(|s| {
            let opening = s.spawn(|| Store::open(&config.db));
            let seed = store::seed_parse::parse_named(seed_name, &seed_text);
            let store = opening.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (seed, store)
        });
        let seed = seed.map_err(StartError::Seed)?;
        let store = store.map_err(|e| match e {
            store::OpenError::Sqlite(source) => db_err(source),
            store::OpenError::Refused(message) => StartError::DatabaseRefused(message),
        })?;
        if config.reset || !store.is_seeded().map_err(db_err)? {
            store
                .write_seed(|tx| -> Result<(), ApiError> {
                    let seeded = store::seeding::apply_seeded(tx, &seed, &clock.now_iso())?;
                    ops::billing::rebuild_seeded(tx, &clock, seeded)
                })
                .map_err(|e| StartError::Seed(format!("seeding {}: {e}", config.db)))?;
        }
        // A certificate given is HTTPS asked for.
        let tls = if config.tls || config.tls_cert.is_some() {
            Some(tls::setup(&config).map_err(StartError::Tls)?)
        } else {
            None
        };
        let addr = format!("{}:{}", config.bind, config.port);
        let listener = TcpListener::bind(&addr).map_err(|source| StartError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let port = listener.local_addr()?.port();
        config.port = port; // the real one, so that scenarios can call this server's own API
        let workers = config.workers;
        let demo_keys = seed.demo_keys();
        let kickoff_live = store
            .read(|c| store::integrations::get(c, &demo_keys.integration_id))
            .ok()
            .flatten()
            .is_some_and(|i| i.partner_key_plain.is_some());
        let allowed_hosts = api::guard::allowed_hosts(&config.bind, &config.allowed_hosts);
        let state = aweb::Data::new(AppState::new(config, store, seed, clock, allowed_hosts));
        state::spawn_workers(state.clone());
        if let (Some(url), Some(token)) = (upstream, state.config.shadow_token.clone()) {
            state::start_shadow(&state, url, token)?;
        }
        let app_state = state.clone();
        // A stop waits at most this long for calls in flight before it closes them.
        let server = HttpServer::new(move || build_app(app_state.clone()))
            .shutdown_timeout(5)
            // actix checks its connection timers before reading, and they run on wall time:
            // after a pause (SIGSTOP, a debugger) longer than its 5 s keep-alive, a request
            // already waiting on a kept-alive connection was dropped unread. Production's
            // clients talk to a load balancer, which never pauses: so idle connections are
            // left for the client (or the OS) to close, and the first request's head may take
            // Node's 60 s (`headersTimeout`) before a 408.
            .keep_alive(actix_web::http::KeepAlive::Os)
            .client_request_timeout(std::time::Duration::from_secs(60));
        let https = tls.is_some();
        let tls_ca = tls.as_ref().and_then(|t| t.ca_file.clone());
        let mut server = match tls {
            Some(t) => server.listen_rustls_0_23(listener, t.server_config)?,
            None => server.listen(listener)?,
        };
        if workers > 0 {
            server = server.workers(workers);
        }
        Ok(Application {
            port,
            server: server.disable_signals().run(),
            state,
            demo_keys,
            kickoff_live,
            tls_ca,
            https,
        })
    }

    /// `https` under `--tls`, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.https {
            "https"
        } else {
            "http"
        }
    }

    /// The start-up lines on trusting the local CA (under `--tls` without a certificate given).
    pub fn tls_note(&self) -> Option<String> {
        self.tls_ca.as_deref().map(tls::startup_text)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The token /sim and the console require, if any (printed at start).
    pub fn control_token(&self) -> Option<&str> {
        self.state.config.control_token.as_deref()
    }

    pub fn server(self) -> Server {
        self.server
    }
}

/// The upstream of `--shadow`, checked before anything starts: a URL that cannot work, a
/// missing token or `--shadow-writes` alone are refused, each naming its flag.
fn shadow_settings(config: &Config) -> Result<Option<reqwest::Url>, String> {
    let Some(raw) = &config.shadow else {
        if config.shadow_writes || config.shadow_token.is_some() {
            return Err("--shadow-writes and --shadow-token need --shadow URL (the upstream to compare with)".into());
        }
        return Ok(None);
    };
    let url = shadow::parse_upstream(raw)?;
    if config.shadow_token.as_ref().is_none_or(|t| t.expose().is_empty()) {
        return Err("--shadow needs --shadow-token TOKEN: the GRADIENT-TOKEN the upstream accepts".into());
    }
    Ok(Some(url))
}

/// The app factory: every route, middleware and error handler. Tests use it through
/// `Application::build` on port 0.
pub fn build_app(
    state: aweb::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(state)
        // The control API's bodies (the vendor API reads its own, see `api::body`).
        .app_data(aweb::PayloadConfig::new(api::guard::SIM_BODY_LIMIT))
        // Inside the guard: a refused request neither interrupts a scenario nor is one's step.
        .wrap(from_fn(api::sim::scenarios::scenario_calls))
        .wrap(from_fn(api::middleware::json_errors))
        .wrap(from_fn(api::middleware::stray_calls))
        .wrap(from_fn(api::express::case_insensitive))
        // Outermost: a refused request never reaches a route (its answers are already JSON).
        .wrap(from_fn(api::guard::partner_side))
        .service(
            aweb::scope(api::vendor_api::PREFIX)
                .wrap(from_fn(api::middleware::vendor_call))
                .configure(api::vendor_api::config)
                .default_service(aweb::to(route_not_found)),
        )
        .service(
            aweb::scope("/sim")
                .wrap(from_fn(api::sim::partners::integrations_of_named_partner))
                .configure(api::sim::config)
                .route("/openapi.json", aweb::get().to(web::sim_openapi))
                .route("/session", aweb::post().to(api::guard::session))
                .default_service(aweb::to(route_not_found)),
        )
        .configure(web::config)
        .default_service(aweb::to(route_not_found))
}

async fn route_not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    // NestJS words it with the URL as sent, query included.
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or(req.path());
    Err(ApiError::RouteNotFound {
        method: req.method().to_string(),
        path: path.to_string(),
    })
}
