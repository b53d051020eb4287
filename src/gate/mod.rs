//! The gate every vendor API call passes through: the rate limiter and the fault rules decide
//! whether the call runs (`Gate::admit`), and the journal keeps what happened to it
//! (`Gate::record`: the caller, the lint, the timing, credentials redacted, the terminal's line).
//! The middleware (`api::middleware`) reads the body and routes; what a call meets on its way
//! in and out is decided here, as wiremock-rs's `MockServerState::handle_request` decides it
//! for a mock server.
//!
//! Three parts, three locks, not one state behind one lock:
//! - Admission and recording are two moments of a call with the handler (an await) between
//!   them, so no one lock could make a call atomic; one lock would only make the parts wait on
//!   each other: every call's admission on the console reading the journal (`GET /sim/journal`
//!   copies up to 1,000 entries), and every call's record on a fault rule's glob matching.
//! - Each lock is held for a few field updates, never across an await, and never two at once,
//!   so there is no lock order to keep.
//! - A call pays only for what is on: with the rate limit off (`--rate-limit 0`) the limiter
//!   takes no lock and works out no caller, and with no fault rule (the usual case) the rules'
//!   lock is not taken either (see `Faults::check`). The journal's lock is the one every call
//!   takes.

pub mod faults;
pub mod journal;
pub mod ratelimit;
pub mod redact;

pub use journal::{CallFact, CallNotes, Journal, JournalEntry, JournalFilter};

use crate::clock::Clock;
use crate::domain::ids::GradientToken;
use crate::domain::lint::{Lint, LintCode};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use faults::Faults;
use ratelimit::{RateLimiter, Verdict};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The gate's parts for one call, borrowed from the app state (which owns them, so that `/sim`
/// can list, clear and restore each).
pub struct Gate<'a> {
    journal: &'a Journal,
    faults: &'a Faults,
    limiter: &'a RateLimiter,
    clock: &'a Clock,
    /// Bytes of each body an entry keeps (`--journal-body-limit`).
    body_limit: usize,
    /// No terminal line per call (`--quiet`).
    quiet: bool,
}

impl AppState {
    pub fn gate(&self) -> Gate<'_> {
        Gate {
            journal: &self.journal,
            faults: &self.faults,
            limiter: &self.limiter,
            clock: &self.clock,
            body_limit: self.config.journal_body_limit,
            quiet: self.config.quiet,
        }
    }
}

/// A call at the gate, before it runs.
pub struct Call<'a> {
    pub method: &'a str,
    /// The path routed, which fault rules match.
    pub path: &'a str,
    /// The GRADIENT-TOKEN header as sent, whose partner the limit counts against.
    pub token: Option<&'a str>,
    pub peer: Option<IpAddr>,
}

/// What the gate decided.
#[derive(Debug)]
pub enum Admission {
    /// The call goes to its route; `fault` names a rule that only delayed it.
    Pass { fault: Option<u64> },
    /// The call is answered now, without its route.
    Refuse {
        answer: ApiError,
        /// The fault rule that answered, if one did.
        fault: Option<u64>,
        /// What the journal notes about the refusal (over the rate limit).
        lint: Option<Lint>,
    },
}

/// A call that has been answered, as the journal records it.
pub struct Finished<'a> {
    pub started: Instant,
    pub method: String,
    /// The path as the client sent it.
    pub path: String,
    pub query: String,
    /// The route's pattern, or the path when no route matched.
    pub route: String,
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub token: Option<&'a str>,
    /// What the middleware and the handler learned (caller, lint).
    pub notes: CallNotes,
    pub fault: Option<u64>,
    pub request_body: &'a [u8],
    pub response_body: &'a [u8],
}

impl Gate<'_> {
    /// Admits a call whose body was accepted: the rate limit first (a 429 is what production
    /// would say, whatever a rule wants), then the first fault rule that hits, whose delay is
    /// waited here.
    pub async fn admit(&self, call: &Call<'_>) -> Admission {
        if let Verdict::Limited { retry_after_secs } = self.limiter.admit(call.token, call.peer) {
            let limit = self.limiter.limit();
            return Admission::Refuse {
                answer: ApiError::RateLimited {
                    limit,
                    retry_after_secs,
                },
                fault: None,
                lint: Some(Lint::new(
                    LintCode::OverRateLimit,
                    format!("more than {limit} requests in one second with this token"),
                )),
            };
        }
        let Some(hit) = self.faults.check(call.method, call.path, self.clock) else {
            return Admission::Pass { fault: None };
        };
        if hit.delay_ms > 0 {
            tokio::time::sleep(Duration::from_millis(hit.delay_ms)).await;
        }
        let fault = Some(hit.rule_id);
        match hit.status {
            None => Admission::Pass { fault },
            Some(status) => Admission::Refuse {
                answer: ApiError::Injected {
                    status: StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                    message: hit.message,
                },
                fault,
                lint: None,
            },
        }
    }

    /// Records a finished call in the journal (bodies bounded, credentials redacted) and prints
    /// its line on the terminal.
    pub fn record(&self, call: Finished<'_>) {
        let (request_body, req_cut) = journal::clip(call.request_body, self.body_limit);
        let (mut response_body, res_cut) = journal::clip(call.response_body, self.body_limit);
        let query = redact::redact_query(&call.query);
        // A 404 echoes the URL as sent: its credentials are cut there too.
        if query != call.query && !call.query.is_empty() {
            response_body = response_body.map(|b| b.text().replace(&call.query, &query).into());
        }
        let entry = JournalEntry {
            id: self.journal.next_id(),
            at: self.clock.now_iso(),
            method: call.method,
            path: redact::clip_str(&call.path, redact::MAX_FIELD_BYTES),
            query: redact::clip_str(&query, redact::MAX_FIELD_BYTES),
            route: call.route,
            status: call.status,
            // Real elapsed time, except under --deterministic, where it would break golden files.
            duration_ms: if self.clock.is_deterministic() {
                0.0
            } else {
                (call.started.elapsed().as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
            },
            integration_id: call.notes.integration_id,
            vendor_id: call.notes.vendor_id,
            token: call.token.map(GradientToken::key_hint),
            request_headers: redact::recorded_headers(call.headers),
            request_body,
            response_body,
            truncated: req_cut || res_cut,
            lints: call.notes.lints,
            fault: call.fault,
        };
        if !self.quiet {
            println!("{}", entry.terminal_line());
        }
        self.journal.push(entry);
    }
}
