//! Fault injection: rules that make chosen vendor API calls slow or fail, so a vendor can prove
//! its integration survives production's bad moments (a 503, a 429 storm, a slow answer) before
//! it meets them. Held in memory; cleared by a reset.

use glob::{MatchOptions, Pattern};
use parking_lot::Mutex;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultRule {
    pub id: u64,
    /// A glob on the path: `*` is one segment's worth of characters, `**` spans segments.
    pub route: String,
    /// Only this method (any when absent).
    pub method: Option<String>,
    /// The status to answer; absent means the call goes through, only delayed.
    pub status: Option<u16>,
    pub message: String,
    pub delay_ms: u64,
    /// Chance, 0..=1, that a matching call is hit.
    pub probability: f64,
    /// How many more calls to hit; absent means every matching call.
    pub remaining: Option<u64>,
    pub hits: u64,
    #[serde(skip)]
    pattern: Pattern,
}

/// What a rule does to one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub rule_id: u64,
    pub status: Option<u16>,
    pub message: String,
    pub delay_ms: u64,
}

#[derive(Debug, Clone)]
pub struct NewRule {
    pub route: String,
    pub method: Option<String>,
    pub status: Option<u16>,
    pub message: Option<String>,
    pub delay_ms: u64,
    pub probability: f64,
    pub times: Option<u64>,
}

#[derive(Default)]
pub struct Faults {
    rules: Mutex<Rules>,
    /// How many rules there are, readable without the lock: with none (the usual case), a call
    /// passes without taking it.
    armed: AtomicUsize,
}

#[derive(Default)]
struct Rules {
    list: Vec<FaultRule>,
    /// The last id given; never reused, not even after a clear.
    last_id: u64,
}

const MATCH: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

impl Faults {
    pub fn add(&self, r: NewRule) -> Result<FaultRule, Vec<String>> {
        let mut errors = vec![];
        let pattern = Pattern::new(&r.route).map_err(|e| vec![format!("route is not a valid pattern: {e}")]);
        if !r.route.starts_with('/') {
            errors.push("route must start with /".to_string());
        }
        if let Some(s) = r.status {
            if !(400..=599).contains(&s) {
                errors.push("status must be an HTTP error status (400 to 599)".into());
            }
        }
        if !(0.0..=1.0).contains(&r.probability) {
            errors.push("probability must be between 0 and 1".into());
        }
        if r.delay_ms > 60_000 {
            errors.push("delayMs must not be greater than 60000".into());
        }
        if r.status.is_none() && r.delay_ms == 0 {
            errors.push("a fault needs a status, a delayMs, or both".into());
        }
        let pattern = match pattern {
            Ok(p) if errors.is_empty() => p,
            Ok(_) => return Err(errors),
            Err(mut e) => {
                e.extend(errors);
                return Err(e);
            }
        };
        let mut rules = self.rules.lock();
        rules.last_id += 1;
        let status = r.status;
        let rule = FaultRule {
            id: rules.last_id,
            route: r.route,
            method: r.method.map(|m| m.to_ascii_uppercase()),
            status,
            message: r.message.unwrap_or_else(|| match status {
                Some(s) => format!("Injected fault ({s})"),
                None => String::new(),
            }),
            delay_ms: r.delay_ms,
            probability: r.probability,
            remaining: r.times,
            hits: 0,
            pattern,
        };
        rules.list.push(rule.clone());
        self.armed.store(rules.list.len(), Ordering::Release);
        Ok(rule)
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.lock().list.clone()
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.lock();
        let before = rules.list.len();
        rules.list.retain(|r| r.id != id);
        self.armed.store(rules.list.len(), Ordering::Release);
        rules.list.len() != before
    }

    pub fn clear(&self) {
        let mut rules = self.rules.lock();
        rules.list.clear();
        self.armed.store(0, Ordering::Release);
    }

    /// The first rule that hits this call, if any (spending one of its `times`).
    /// Probabilities draw from the clock's generator, so `--random-seed` repeats them too.
    pub fn check(&self, method: &str, path: &str, clock: &crate::clock::Clock) -> Option<Hit> {
        // A rule added while this call passes applies from the next call on, as if it had been
        // added a moment later.
        if self.armed.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.rules.lock();
        for rule in rules.list.iter_mut() {
            let applies = rule.method.as_deref().is_none_or(|m| m == method)
                && rule.pattern.matches_with(path, MATCH)
                && rule.remaining != Some(0);
            if applies && (rule.probability >= 1.0 || clock.chance(rule.probability)) {
                rule.hits += 1;
                if let Some(n) = rule.remaining.as_mut() {
                    *n -= 1;
                }
                return Some(Hit {
                    rule_id: rule.id,
                    status: rule.status,
                    message: rule.message.clone(),
                    delay_ms: rule.delay_ms,
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn rule(route: &str, status: Option<u16>, times: Option<u64>) -> NewRule {
        NewRule {
            route: route.into(),
            method: None,
            status,
            message: None,
            delay_ms: 0,
            probability: 1.0,
            times,
        }
    }

    #[test]
    fn globs_match_segments_and_times_run_out() {
        let f = Faults::default();
        let clock = Clock::system();
        f.add(rule("/api/vendor-api/service/*/count", Some(503), Some(2)))
            .unwrap();
        assert!(f.check("POST", "/api/vendor-api/service/abc/count", &clock).is_some());
        assert!(f.check("POST", "/api/vendor-api/service/a/b/count", &clock).is_none());
        assert!(f.check("POST", "/api/vendor-api/service/abc/count", &clock).is_some());
        assert!(
            f.check("POST", "/api/vendor-api/service/abc/count", &clock).is_none(),
            "times spent"
        );
        assert_eq!(f.list()[0].hits, 2);
        f.add(rule("/api/vendor-api/**", Some(500), None)).unwrap();
        assert_eq!(
            f.check("GET", "/api/vendor-api/organization/accounts", &clock)
                .unwrap()
                .status,
            Some(500)
        );
    }

    #[test]
    fn bad_rules_are_refused_with_reasons() {
        let f = Faults::default();
        assert!(f.add(rule("nope", Some(200), None)).unwrap_err().len() == 2);
        assert!(f.add(rule("/x", None, None)).is_err());
        let mut p = rule("/x", Some(503), None);
        p.probability = 2.0;
        assert!(f.add(p).is_err());
        let mut m = rule("/x", Some(503), None);
        m.method = Some("post".into());
        let r = f.add(m).unwrap();
        assert_eq!(r.method.as_deref(), Some("POST"));
        assert!(f.check("GET", "/x", &Clock::system()).is_none());
        assert!(f.remove(r.id));
        assert!(!f.remove(r.id));
    }
}
