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

pub(crate) mod faults;
pub(crate) mod har;
pub(crate) mod journal;
pub(crate) mod ratelimit;
pub(crate) mod redact;
pub(crate) mod terminal;

pub use journal::{CallFact, CallNotes, Journal, JournalEntry, JournalFilter};

use crate::clock::Clock;
use crate::domain::ids::GradientToken;
use crate::domain::lint::across::{self, CallKind};
use crate::domain::lint::{Lint, LintCode};
use crate::error::ApiError;
use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use faults::Faults;
use ratelimit::{RateLimiter, Verdict};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The gate's parts, each behind its own lock (`/sim` lists, clears and restores each).
pub struct Gate {
    pub(crate) journal: Journal,
    pub(crate) faults: Faults,
    pub(crate) limiter: RateLimiter,
    clock: Arc<Clock>,
    /// Bytes of each body an entry keeps (`--journal-body-limit`).
    pub(crate) body_limit: usize,
    /// The terminal's line per call; none under `--quiet`.
    terminal: Option<terminal::TerminalLines>,
}

/// What the gate is built from: the settings of its parts.
pub struct GateSettings {
    /// Entries and bytes the journal keeps (`--journal-size`, `--journal-bytes`).
    pub journal_size: usize,
    pub journal_bytes: usize,
    pub journal_body_limit: usize,
    /// Calls per second per token (`--rate-limit`, 0 = off).
    pub rate_limit: u32,
    /// No terminal line per call (`--quiet`).
    pub quiet: bool,
}

impl Gate {
    pub fn new(settings: GateSettings, clock: Arc<Clock>) -> Self {
        Gate {
            journal: Journal::new(settings.journal_size, settings.journal_bytes),
            faults: Faults::default(),
            limiter: RateLimiter::new(settings.rate_limit),
            clock,
            body_limit: settings.journal_body_limit,
            terminal: (!settings.quiet).then(terminal::TerminalLines::start),
        }
    }

    /// Writes the terminal's lines still gathering (the simulator is stopping).
    pub fn flush_terminal(&self) {
        if let Some(t) = &self.terminal {
            t.flush();
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
    /// The answer's headers (a 429's `Retry-After`, the content type), for the journal's HAR.
    pub response_headers: &'a HeaderMap,
    pub token: Option<&'a str>,
    /// What the middleware and the handler learned (caller, lint).
    pub notes: CallNotes,
    pub fault: Option<u64>,
    pub request_body: &'a [u8],
    pub response_body: &'a [u8],
}

impl Gate {
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
        let Some(hit) = self.faults.check(call.method, call.path, &self.clock) else {
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
    /// Marks a recorded call with shadow mode's verdict, and prints its `parity:` line.
    pub fn mark_parity(&self, entry_id: u64, verdict: &str, line: Option<&str>) {
        self.journal.mark_parity(entry_id, verdict);
        if let (Some(t), Some(line)) = (&self.terminal, line) {
            t.print(line);
        }
    }

    /// Journals the call (and prints its line); answers the entry's id.
    pub fn record(&self, call: Finished<'_>) -> u64 {
        let (request_body, req_cut) = journal::clip(call.request_body, self.body_limit);
        let (mut response_body, res_cut) = journal::clip(call.response_body, self.body_limit);
        let query = redact::redact_query(&call.query);
        // A 404 echoes the URL as sent: its credentials are cut there too.
        if query != call.query && !call.query.is_empty() {
            response_body = response_body.map(|b| b.text().replace(&call.query, &query).into());
        }
        let mut lints = call.notes.lints;
        if let Some(id) = &call.notes.integration_id {
            let this = CallKind::of(&call.method, &call.route);
            if this == CallKind::Count {
                lints.extend(across::catalogue_refetched(this, &self.journal.recent_kinds(id, 2)));
            }
        }
        let token = call.token.map(GradientToken::key_hint);
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
            request_headers: redact::recorded_headers_with(call.headers, token.as_deref()),
            token,
            response_headers: redact::recorded_headers(call.response_headers),
            request_body,
            response_body,
            truncated: req_cut || res_cut,
            lints,
            fault: call.fault,
            parity: None,
        };
        if let Some(t) = &self.terminal {
            t.print(&entry.terminal_line());
        }
        let id = entry.id;
        self.journal.push(entry);
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::faults::NewRule;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn gate(rate_limit: u32, body_limit: usize) -> Gate {
        let at = crate::clock::parse_time("2027-01-31T12:00:00.000Z");
        let settings = GateSettings {
            journal_size: 10,
            journal_bytes: 1 << 20,
            journal_body_limit: body_limit,
            rate_limit,
            quiet: true,
        };
        Gate::new(settings, Arc::new(Clock::from_settings(at, Some(0))))
    }

    fn rule(status: Option<u16>, delay_ms: u64, times: Option<u64>) -> NewRule {
        NewRule {
            route: "/api/vendor-api/**".into(),
            method: None,
            status,
            message: None,
            delay_ms,
            probability: 1.0,
            times,
        }
    }

    const CALL: Call<'static> = Call {
        method: "GET",
        path: "/api/vendor-api/organization",
        token: Some("a-token"),
        peer: None,
    };

    #[tokio::test]
    async fn the_rate_limit_answers_before_any_fault_rule() {
        let gate = gate(1, 1024);
        assert!(matches!(gate.admit(&CALL).await, Admission::Pass { fault: None }));
        gate.faults.add(rule(Some(503), 0, Some(1))).unwrap();
        // Over the limit in the same second (or, if the second just turned, the rule answers).
        match gate.admit(&CALL).await {
            Admission::Refuse {
                answer: ApiError::RateLimited { limit: 1, .. },
                fault: None,
                lint: Some(lint),
            } => {
                assert_eq!(lint.code, LintCode::OverRateLimit);
                assert_eq!(gate.faults.list()[0].hits, 0, "a refused call spends no rule");
            }
            Admission::Refuse { fault: Some(_), .. } => {}
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_fault_delays_or_answers_and_names_its_rule() {
        let gate = gate(0, 1024);
        let delay = gate.faults.add(rule(None, 20, Some(1))).unwrap();
        let started = Instant::now();
        match gate.admit(&CALL).await {
            Admission::Pass { fault } => assert_eq!(fault, Some(delay.id)),
            other => panic!("{other:?}"),
        }
        assert!(started.elapsed() >= Duration::from_millis(20));
        let answer = gate.faults.add(rule(Some(503), 0, None)).unwrap();
        match gate.admit(&CALL).await {
            Admission::Refuse {
                answer: ApiError::Injected { status, message },
                fault,
                lint: None,
            } => {
                assert_eq!((status.as_u16(), message.as_str()), (503, "Injected fault (503)"));
                assert_eq!(fault, Some(answer.id));
            }
            other => panic!("{other:?}"),
        }
        // Removed, a rule no longer hits; with none left, calls pass.
        gate.faults.clear();
        assert!(matches!(gate.admit(&CALL).await, Admission::Pass { fault: None }));
    }

    #[test]
    fn a_record_keeps_the_notes_bounded_and_redacted() {
        let mut gate = gate(0, 1024);
        let token = GradientToken::encode("a3f1c9e27b4d4e0f9c1a6b2d8e7f5a40", "5c2e8b71d9a64f3ea0b7c4d1e2f3a9b6");
        let query = format!("gradientToken={token}");
        let echoed = format!("Cannot GET /api/vendor-api/nowhere?{query}");
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("gradient-token"),
            HeaderValue::from_str(&token).unwrap(),
        );
        let record = |gate: &Gate| {
            gate.record(Finished {
                started: Instant::now(),
                method: "GET".into(),
                path: "/api/vendor-api/nowhere".into(),
                query: query.clone(),
                route: "/api/vendor-api/nowhere".into(),
                status: 404,
                headers: &headers,
                response_headers: &HeaderMap::new(),
                token: Some(&token),
                notes: CallNotes {
                    integration_id: Some("i1".into()),
                    vendor_id: Some("v1".into()),
                    lints: vec![Lint::new(LintCode::NumericId, "id 1")],
                },
                fault: Some(7),
                request_body: b"{\"a\":1}",
                response_body: echoed.as_bytes(),
            })
        };
        record(&gate);
        gate.body_limit = 4;
        record(&gate);

        let mut entries = gate.journal.entries();
        let (cut, entry) = (entries.pop().unwrap(), entries.pop().unwrap());
        assert_eq!((entry.id, entry.at.as_str()), (1, "2027-01-31T12:00:00.000Z"));
        assert_eq!(entry.duration_ms, 0.0, "deterministic");
        assert_eq!(entry.integration_id.as_deref(), Some("i1"));
        assert_eq!(entry.lints[0].code, LintCode::NumericId);
        assert_eq!(entry.fault, Some(7));
        assert!(!entry.query.contains(&token[..20]), "{}", entry.query);
        assert_eq!(entry.token.as_deref(), Some("…a9b6"));
        assert_eq!(entry.request_headers, vec![("gradient-token".into(), "…a9b6".into())]);
        // A 404 echoes the URL as sent: the credential is cut there too.
        let echo = entry.response_body.unwrap().text().into_owned();
        assert!(
            echo.starts_with("Cannot GET /api/vendor-api/nowhere?gradientToken=…"),
            "{echo}"
        );
        assert!(!echo.contains(&token[..20]), "{echo}");
        assert!(!entry.truncated);
        // Bodies keep `body_limit` bytes.
        assert_eq!(cut.id, 2);
        assert!(cut.truncated);
        assert_eq!(cut.request_body.unwrap().text(), "{\"a\"");
        assert_eq!(cut.response_body.unwrap().text(), "Cann");
    }
}
