//! The request journal: every vendor API call with its request, response and lint findings,
//! in a bounded in-memory ring (oldest dropped first), so recording never slows the API's
//! write path or grows without end.

use crate::domain::lint::Lint;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
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
    /// The GRADIENT-TOKEN, redacted to its last four characters.
    pub token: Option<String>,
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    pub truncated: bool,
    pub lints: Vec<Lint>,
    /// The id of the fault rule that hit this call, if one did.
    pub fault: Option<u64>,
}

/// One call as the QA checklist sees it.
#[derive(Debug, Clone)]
pub struct CallFact {
    pub at: String,
    pub status: u16,
    pub lints: Vec<Lint>,
}

/// What the handlers learn about a call, read back by the journal once the response is built.
#[derive(Debug, Default, Clone)]
pub struct CallNotes {
    pub integration_id: Option<String>,
    pub vendor_id: Option<String>,
    pub lints: Vec<Lint>,
}

pub struct Journal {
    capacity: usize,
    entries: Mutex<VecDeque<JournalEntry>>,
    next_id: AtomicU64,
}

#[derive(Debug, Default, Clone)]
pub struct JournalFilter {
    pub route: Option<String>,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub integration_id: Option<String>,
    pub since: Option<String>,
    pub lint: Option<bool>,
    pub limit: Option<usize>,
}

impl Journal {
    pub fn new(capacity: usize) -> Self {
        Journal {
            capacity,
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
            next_id: AtomicU64::new(1),
        }
    }

    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub fn push(&self, entry: JournalEntry) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock();
        while entries.len() >= self.capacity {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    pub fn clear(&self) {
        self.entries.lock().clear();
    }

    /// Every entry, oldest first (a snapshot keeps the journal with the state it explains).
    pub fn entries(&self) -> Vec<JournalEntry> {
        self.entries.lock().iter().cloned().collect()
    }

    /// Puts back a snapshot's entries (the newest that fit); ids go on from the last one, so a
    /// restored run numbers its calls as the original did.
    pub fn replace(&self, list: Vec<JournalEntry>) {
        let mut entries = self.entries.lock();
        entries.clear();
        let skip = list.len().saturating_sub(self.capacity);
        let next = list.last().map_or(1, |e| e.id + 1);
        entries.extend(list.into_iter().skip(skip));
        self.next_id.store(next, Ordering::Relaxed);
    }

    pub fn len(&self) -> usize {
        self.entries.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Newest first.
    /// Newest first, at most `limit`; also answers how many entries match in all.
    pub fn query(&self, f: &JournalFilter) -> (usize, Vec<JournalEntry>) {
        let entries = self.entries.lock();
        let limit = f.limit.unwrap_or(200);
        let mut matching = 0;
        let mut out = Vec::with_capacity(limit.min(entries.len()));
        for e in entries.iter().rev().filter(|e| {
            f.route
                .as_ref()
                .is_none_or(|r| e.route.contains(r.as_str()) || e.path.contains(r.as_str()))
                && f.method.as_ref().is_none_or(|m| e.method.eq_ignore_ascii_case(m))
                && f.status.is_none_or(|s| e.status == s)
                && f.integration_id
                    .as_ref()
                    .is_none_or(|i| e.integration_id.as_deref() == Some(i.as_str()))
                && f.since.as_ref().is_none_or(|s| e.at.as_str() >= s.as_str())
                && f.lint.is_none_or(|l| l != e.lints.is_empty())
        }) {
            matching += 1;
            if out.len() < limit {
                out.push(e.clone());
            }
        }
        (matching, out)
    }

    /// What the QA checklist needs of one integration's calls, oldest first: when, the status,
    /// the lint. Cheap to copy, since the console polls it every few seconds.
    pub fn call_facts(&self, integration_id: &str) -> Vec<CallFact> {
        self.entries
            .lock()
            .iter()
            .filter(|e| e.integration_id.as_deref() == Some(integration_id))
            .map(|e| CallFact {
                at: e.at.clone(),
                status: e.status,
                lints: e.lints.clone(),
            })
            .collect()
    }
}

/// Keeps at most `limit` bytes of a body, as text.
pub fn clip(bytes: &[u8], limit: usize) -> (Option<String>, bool) {
    if bytes.is_empty() {
        return (None, false);
    }
    let truncated = bytes.len() > limit;
    let kept = &bytes[..bytes.len().min(limit)];
    (Some(String::from_utf8_lossy(kept).into_owned()), truncated)
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
            request_body: None,
            response_body: None,
            truncated: false,
            lints: vec![],
            fault: None,
        }
    }

    #[test]
    fn bounded_newest_first_and_filtered() {
        let j = Journal::new(3);
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
        let off = Journal::new(0);
        off.push(entry(&off, 200));
        assert!(off.is_empty());
    }
}
