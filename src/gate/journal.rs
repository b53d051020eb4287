//! The request journal: every vendor API call with its request, response and lint findings,
//! in an in-memory ring bounded both in entries and in bytes (oldest dropped first), so
//! recording never slows the API's write path or grows without end. What it keeps of
//! credentials is cut first (see `redact`).

use crate::domain::lint::across::CallKind;
use crate::domain::lint::Lint;
use actix_web::web::Bytes;
use parking_lot::Mutex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub id: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: String,
    /// The route's pattern, e.g. `/api/vendor-api/service/{serviceId}/count`.
    pub route: String,
    pub status: u16,
    pub duration_ms: f64,
    pub integration_id: Option<String>,
    pub vendor_id: Option<String>,
    /// The partner key the GRADIENT-TOKEN carried, by its last four characters (`…a9b6`).
    pub token: Option<String>,
    pub request_headers: Vec<(String, String)>,
    /// The answer's headers, redacted as the request's are; absent in journals saved before
    /// they were kept.
    #[serde(default)]
    pub response_headers: Vec<(String, String)>,
    pub request_body: Option<Body>,
    pub response_body: Option<Body>,
    pub truncated: bool,
    pub lints: Vec<Lint>,
    /// The id of the fault rule that hit this call, if one did.
    pub fault: Option<u64>,
    /// Shadow mode's verdict on this call, once the upstream answered: `different` or
    /// `unreachable` (a call whose answers agreed is not marked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parity: Option<String>,
}

impl JournalEntry {
    /// The one line the terminal shows per call, so a vendor sees at once that their code
    /// reaches the simulator: time (UTC), method, path, status, duration, lint codes.
    pub fn terminal_line(&self) -> String {
        let time = self.at.get(11..19).unwrap_or(&self.at);
        let mut target = self.path.clone();
        if !self.query.is_empty() {
            // Long queries would push the status off a narrow terminal; the journal has them whole.
            let query: String = self.query.chars().take(60).collect();
            let cut = if query.len() < self.query.len() { "…" } else { "" };
            target = format!("{target}?{query}{cut}");
        }
        let mut line = format!(
            "{time}  {:<6} {target}  {}  {:.1} ms",
            self.method, self.status, self.duration_ms
        );
        if !self.lints.is_empty() {
            let mut codes: Vec<String> = Vec::new();
            for l in &self.lints {
                let code = serde_json::to_value(l.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
            line.push_str(&format!("  lint: {}", codes.join(", ")));
            // A refused call says why on its own line too (a 401's body never does); the
            // journal has every finding whole.
            if let Some(first) = self.lints.first().filter(|_| self.status >= 400) {
                let said: String = first.message.chars().take(140).collect();
                let cut = if said.len() < first.message.len() { "…" } else { "" };
                line.push_str(&format!(" ({said}{cut})"));
            }
        }
        if let Some(rule) = self.fault {
            line.push_str(&format!("  fault #{rule}"));
        }
        line
    }
}

/// One call as the QA checklist sees it.
#[derive(Debug, Clone)]
pub struct CallFact {
    pub at: String,
    pub method: String,
    /// The route's pattern, as on the entry.
    pub route: String,
    pub status: u16,
    pub lints: Vec<Lint>,
    /// An accepted count, and whether it asked for no rebuild (`no_build=true`).
    pub accepted_count: Option<bool>,
    /// Made by the simulator's own demo vendor portal (it sends `DEMO_PORTAL_HEADER`), not by
    /// the vendor's code.
    pub demo_portal: bool,
}

/// The header the built-in demo vendor portal's calls carry, so the QA report can tell the
/// person playing the vendor by hand from the vendor's code.
pub const DEMO_PORTAL_HEADER: &str = "x-sim-demo-portal";

/// What the handlers learn about a call, read back by the journal once the response is built.
#[derive(Debug, Default, Clone)]
pub struct CallNotes {
    pub integration_id: Option<String>,
    pub vendor_id: Option<String>,
    pub lints: Vec<Lint>,
}

pub struct Journal {
    capacity: usize,
    max_bytes: usize,
    entries: Mutex<Ring>,
    next_id: AtomicU64,
}

#[derive(Default)]
struct Ring {
    entries: VecDeque<(usize, JournalEntry)>,
    bytes: usize,
}

/// The most entries one `GET /sim/journal` answers, whatever `?limit=` asks.
pub const MAX_QUERY_LIMIT: usize = 1000;

impl JournalEntry {
    /// What the entry holds in memory, roughly: its strings plus a fixed overhead per field.
    fn weight(&self) -> usize {
        let strings = [&self.at, &self.method, &self.path, &self.query, &self.route]
            .iter()
            .map(|s| s.len())
            .sum::<usize>();
        let optional = [&self.integration_id, &self.vendor_id, &self.token]
            .iter()
            .map(|s| s.as_ref().map_or(0, String::len))
            .sum::<usize>();
        let bodies = [&self.request_body, &self.response_body]
            .iter()
            .map(|b| b.as_ref().map_or(0, Body::len))
            .sum::<usize>();
        let headers = self
            .request_headers
            .iter()
            .chain(&self.response_headers)
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum::<usize>();
        let lints = self
            .lints
            .iter()
            .map(|l| std::mem::size_of_val(l) + l.message.len())
            .sum::<usize>();
        std::mem::size_of::<JournalEntry>() + strings + optional + bodies + headers + lints
    }
}

#[derive(Debug, Default, Clone)]
pub struct JournalFilter {
    pub route: Option<String>,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub integration_id: Option<String>,
    /// Calls of these integrations only: one partner's (`/sim/journal?partnerId=`).
    pub integration_ids: Option<Vec<String>>,
    pub since: Option<String>,
    pub lint: Option<bool>,
    pub limit: Option<usize>,
}

impl JournalFilter {
    fn matches(&self, e: &JournalEntry) -> bool {
        self.route
            .as_ref()
            .is_none_or(|r| e.route.contains(r.as_str()) || e.path.contains(r.as_str()))
            && self.method.as_ref().is_none_or(|m| e.method.eq_ignore_ascii_case(m))
            && self.status.is_none_or(|s| e.status == s)
            && self
                .integration_id
                .as_ref()
                .is_none_or(|i| e.integration_id.as_deref() == Some(i.as_str()))
            && self
                .integration_ids
                .as_ref()
                .is_none_or(|ids| e.integration_id.as_ref().is_some_and(|i| ids.contains(i)))
            && self.since.as_ref().is_none_or(|s| e.at.as_str() >= s.as_str())
            && self.lint.is_none_or(|l| l != e.lints.is_empty())
    }
}

impl Journal {
    /// At most `capacity` entries and `max_bytes` bytes of them.
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Journal {
            capacity,
            max_bytes,
            entries: Mutex::new(Ring {
                entries: VecDeque::with_capacity(capacity.min(4096)),
                bytes: 0,
            }),
            next_id: AtomicU64::new(1),
        }
    }

    /// Bytes the kept entries hold.
    pub fn bytes(&self) -> usize {
        self.entries.lock().bytes
    }

    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn push(&self, entry: JournalEntry) {
        let weight = entry.weight();
        if self.capacity == 0 || weight > self.max_bytes {
            return;
        }
        let mut ring = self.entries.lock();
        while ring.entries.len() >= self.capacity || ring.bytes + weight > self.max_bytes {
            match ring.entries.pop_front() {
                Some((w, _)) => ring.bytes -= w,
                None => break,
            }
        }
        ring.bytes += weight;
        ring.entries.push_back((weight, entry));
    }

    /// Marks an entry still in the ring with shadow mode's verdict.
    pub fn mark_parity(&self, id: u64, verdict: &str) {
        let mut ring = self.entries.lock();
        if let Some((_, e)) = ring.entries.iter_mut().rev().find(|(_, e)| e.id == id) {
            e.parity = Some(verdict.to_string());
        }
    }

    pub fn clear(&self) {
        let mut ring = self.entries.lock();
        ring.entries.clear();
        ring.bytes = 0;
    }

    /// Every entry, oldest first (a snapshot keeps the journal with the state it explains).
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.lock().entries.iter().map(|(_, e)| e.clone()).collect()
    }

    /// Puts back a snapshot's entries (the newest that fit the bounds); ids go on from the last
    /// one, so a restored run numbers its calls as the original did.
    pub fn replace(&self, list: Vec<JournalEntry>) {
        let next = list.last().map_or(1, |e| e.id + 1);
        self.clear();
        for entry in list {
            self.push(entry);
        }
        self.next_id.store(next, Ordering::Relaxed);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().entries.len()
    }

    /// Newest first, at most `limit`; also answers how many entries match in all.
    pub fn query(&self, f: &JournalFilter) -> (usize, Vec<JournalEntry>) {
        let ring = self.entries.lock();
        let limit = f.limit.unwrap_or(200).min(MAX_QUERY_LIMIT);
        let mut matching = 0;
        let mut out = Vec::with_capacity(limit.min(ring.entries.len()));
        for e in ring.entries.iter().rev().map(|(_, e)| e).filter(|e| f.matches(e)) {
            matching += 1;
            if out.len() < limit {
                out.push(e.clone());
            }
        }
        (matching, out)
    }

    /// Every entry that matches, oldest first, whatever `limit` says: the whole record of a run
    /// (the HAR export), bounded by the ring itself.
    pub fn matching(&self, f: &JournalFilter) -> Vec<JournalEntry> {
        let ring = self.entries.lock();
        ring.entries
            .iter()
            .map(|(_, e)| e)
            .filter(|e| f.matches(e))
            .cloned()
            .collect()
    }

    /// What the QA checklist needs of one integration's calls, oldest first: when, the status,
    /// the lint. Cheap to copy, since the console polls it every few seconds.
    /// What the integration's last `n` calls were, newest first, looking back over at most
    /// `LOOK_BACK` entries (the cross-call lints need two; the ring may hold many partners').
    pub fn recent_kinds(&self, integration_id: &str, n: usize) -> Vec<CallKind> {
        const LOOK_BACK: usize = 256;
        self.entries
            .lock()
            .entries
            .iter()
            .rev()
            .take(LOOK_BACK)
            .map(|(_, e)| e)
            .filter(|e| e.integration_id.as_deref() == Some(integration_id))
            .take(n)
            .map(|e| CallKind::of(&e.method, &e.route))
            .collect()
    }

    pub fn call_facts(&self, integration_id: &str) -> Vec<CallFact> {
        self.entries
            .lock()
            .entries
            .iter()
            .map(|(_, e)| e)
            .filter(|e| e.integration_id.as_deref() == Some(integration_id))
            .map(|e| CallFact {
                at: e.at.clone(),
                method: e.method.clone(),
                route: e.route.clone(),
                status: e.status,
                lints: e.lints.clone(),
                accepted_count: (e.status == 201 && CallKind::of(&e.method, &e.route) == CallKind::Count).then(|| {
                    serde_urlencoded::from_str::<Vec<(String, String)>>(&e.query)
                        .unwrap_or_default()
                        .iter()
                        .any(|(k, v)| k == "no_build" && crate::domain::validate::parse_bool(v) == Some(true))
                }),
                demo_portal: e.request_headers.iter().any(|(k, _)| k == DEMO_PORTAL_HEADER),
            })
            .collect()
    }
}

/// A body as the journal keeps it: the bytes as they crossed the wire, shown as text (invalid
/// UTF-8 as U+FFFD) only when the journal is read. Kept as bytes, a call records its bodies
/// without decoding them, and reading the journal clones them without copying.
#[derive(Debug, Clone, PartialEq)]
pub struct Body(Bytes);

impl Body {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn text(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body(Bytes::from(s))
    }
}

impl From<&str> for Body {
    fn from(s: &str) -> Self {
        Body(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl Serialize for Body {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Body::from)
    }
}

/// Keeps at most `limit` bytes of a body. Copied, and only the bytes kept: a shared slice would
/// hold its whole buffer (spare capacity and the part cut off included) beyond what the
/// journal's byte bound counts.
pub fn clip(bytes: &[u8], limit: usize) -> (Option<Body>, bool) {
    if bytes.is_empty() {
        return (None, false);
    }
    let truncated = bytes.len() > limit;
    let kept = &bytes[..bytes.len().min(limit)];
    (Some(Body(Bytes::copy_from_slice(kept))), truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(j: &Journal, status: u16) -> JournalEntry {
        JournalEntry {
            id: j.next_id(),
            at: "2027-01-31T12:00:00.000Z".into(),
            method: "GET".into(),
            path: "/api/vendor-api".into(),
            query: String::new(),
            route: "/api/vendor-api".into(),
            status,
            duration_ms: 0.1,
            integration_id: None,
            vendor_id: None,
            token: None,
            request_headers: vec![],
            response_headers: vec![],
            request_body: None,
            response_body: None,
            truncated: false,
            lints: vec![],
            fault: None,
            parity: None,
        }
    }

    #[test]
    fn bounded_newest_first_and_filtered() {
        let j = Journal::new(3, 1 << 20);
        for s in [200, 401, 200, 404] {
            j.push(entry(&j, s));
        }
        assert_eq!(j.len(), 3);
        let (matching, all) = j.query(&JournalFilter::default());
        assert_eq!(matching, 3);
        assert_eq!(all.iter().map(|e| e.status).collect::<Vec<_>>(), vec![404, 200, 401]);
        let (_, only) = j.query(&JournalFilter {
            status: Some(200),
            ..Default::default()
        });
        assert_eq!(only.len(), 1);
        assert_eq!(clip(b"abcdef", 3), (Some("abc".into()), true));
        // Shown as text when read: a body cut inside a character shows U+FFFD, as it always has.
        let (cut, _) = clip("hé".as_bytes(), 2);
        assert_eq!(serde_json::to_value(cut).unwrap(), serde_json::json!("h\u{FFFD}"));
        let mut e = entry(&j, 201);
        e.at = "2026-01-02T03:04:05.678Z".into();
        e.method = "POST".into();
        e.path = "/api/vendor-api/service/x/count".into();
        e.query = "no_build=true".into();
        e.duration_ms = 2.345;
        let numeric = Lint::new(crate::domain::lint::LintCode::NumericId, "id 1");
        e.lints = vec![numeric.clone(), numeric];
        e.fault = Some(3);
        assert_eq!(
            e.terminal_line(),
            "03:04:05  POST   /api/vendor-api/service/x/count?no_build=true  201  2.3 ms  lint: numeric_id  fault #3"
        );
        // A refused call's line says why, in the first finding's words.
        e.status = 404;
        e.fault = None;
        e.lints = vec![Lint::new(
            crate::domain::lint::LintCode::BaseUrlWithoutApi,
            "did you mean /api/vendor-api/x?",
        )];
        assert!(
            e.terminal_line()
                .ends_with("404  2.3 ms  lint: base_url_without_api (did you mean /api/vendor-api/x?)"),
            "{}",
            e.terminal_line()
        );
        let off = Journal::new(0, 1 << 20);
        off.push(entry(&off, 200));
        assert_eq!(off.len(), 0);
    }

    #[test]
    fn bounded_in_bytes_whatever_the_entries_hold() {
        let j = Journal::new(1000, 64 * 1024);
        for _ in 0..200 {
            let mut e = entry(&j, 200);
            e.request_body = Some("x".repeat(10_000).into());
            j.push(e);
        }
        assert!(j.bytes() <= 64 * 1024, "{}", j.bytes());
        assert!((5..=7).contains(&j.len()), "{}", j.len());
        // An entry larger than the whole budget is not kept at all, and evicts nothing.
        let mut huge = entry(&j, 201);
        huge.request_body = Some("y".repeat(100_000).into());
        j.push(huge);
        assert!(j.query(&JournalFilter::default()).1.iter().all(|e| e.status == 200));
        j.clear();
        assert_eq!((j.len(), j.bytes()), (0, 0));
        // A `limit` beyond the cap answers the cap.
        let big = Journal::new(5000, 1 << 30);
        for _ in 0..1500 {
            big.push(entry(&big, 200));
        }
        let (matching, out) = big.query(&JournalFilter {
            limit: Some(1_000_000),
            ..Default::default()
        });
        assert_eq!((matching, out.len()), (1500, MAX_QUERY_LIMIT));
    }
}
