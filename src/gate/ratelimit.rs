//! Production's limit: 100 requests a second per token. A fixed one-second window per key,
//! which is what NestJS's throttler does; `--rate-limit 0` turns it off. The key is the
//! partner identity behind the token, not the header's spelling (spec, Concurrency).

use parking_lot::Mutex;
use std::collections::HashMap;

pub struct RateLimiter {
    per_second: u32,
    windows: Mutex<HashMap<String, (u64, u32)>>,
}

/// Whom a call counts against: the key pair the GRADIENT-TOKEN decodes to (so padding,
/// whitespace or any other spelling of the same token shares one window), hashed so the limiter
/// never holds a key in clear; the peer address when there is no readable token.
pub fn caller_key(token_header: Option<&str>, peer: Option<std::net::IpAddr>) -> String {
    match token_header.and_then(crate::domain::ids::GradientToken::parse) {
        Some(t) => {
            let pair = format!("{}:{}", t.vendor_key, t.partner_key);
            format!("key:{}", crate::domain::ids::KeyHash::of(&pair).0)
        }
        None => format!("peer:{}", peer.map(|a| a.to_string()).unwrap_or_default()),
    }
}

pub enum Verdict {
    Allowed,
    Limited { retry_after_secs: u64 },
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        RateLimiter {
            per_second,
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> u32 {
        self.per_second
    }

    /// Counts a call against its caller's window (see `caller_key`). With the limit off, the
    /// caller is not even worked out (a key is a SHA-256 of the token's pair).
    pub fn admit(&self, token_header: Option<&str>, peer: Option<std::net::IpAddr>) -> Verdict {
        if self.per_second == 0 {
            return Verdict::Allowed;
        }
        self.check(caller_key(token_header, peer))
    }

    pub fn check(&self, key: String) -> Verdict {
        if self.per_second == 0 {
            return Verdict::Allowed;
        }
        // Real seconds, not the simulator's clock: a frozen or advanced clock must neither lock a
        // token out for good nor lift its limit.
        let second = crate::clock::real_unix_second();
        let mut windows = self.windows.lock();
        if windows.len() > 10_000 {
            windows.retain(|_, (s, _)| *s == second);
        }
        let w = windows.entry(key).or_insert((second, 0));
        if w.0 != second {
            *w = (second, 0);
        }
        w.1 += 1;
        if w.1 > self.per_second {
            Verdict::Limited { retry_after_secs: 1 }
        } else {
            Verdict::Allowed
        }
    }

    pub fn clear(&self) {
        self.windows.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_can_be_off() {
        let rl = RateLimiter::new(3);
        let allowed = (0..5)
            .filter(|_| matches!(rl.check("a".into()), Verdict::Allowed))
            .count();
        // The window may roll over mid-loop; at least the limit passes, never all five.
        assert!((3..5).contains(&allowed), "{allowed}");
        assert!(matches!(rl.check("b".into()), Verdict::Allowed));
        // Spellings of one token are one caller.
        let token = crate::domain::ids::GradientToken::encode("vk", "pk1");
        let key = caller_key(Some(&token), None);
        assert_eq!(caller_key(Some(token.trim_end_matches('=')), None), key);
        assert_eq!(caller_key(Some(&format!("  {token}  ")), None), key);
        assert_ne!(
            caller_key(Some(&crate::domain::ids::GradientToken::encode("vk", "pk2")), None),
            key
        );
        assert!(!key.contains("pk1"));
        let off = RateLimiter::new(0);
        assert!((0..1000).all(|_| matches!(off.check("a".into()), Verdict::Allowed)));
    }
}
