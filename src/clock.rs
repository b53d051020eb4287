//! The simulator's one source of time and of fresh ids. Everything that stamps a date, computes
//! a billing period, waits for a debounce or an alert, or mints an id, key or message id goes
//! through a `Clock`, so that `/sim/clock` can freeze, set and advance time for all of it at
//! once, and `--deterministic` can make every id repeat run after run. A partner may have a
//! clock of its own (`Clocks`, `/sim/partners/{id}/clock`): its partner-scoped work reads that
//! one, every other partner the global one. All clocks share one id source and one wake-up, so
//! ids stay unique and a sleeper wakes whichever clock is moved.
//! Nothing else in the crate reads the system time (a test holds to that).

use crate::domain::ids::{ApiKey, ObjectId};
use chrono::{DateTime, Duration as TimeDelta, TimeZone, Utc};
use parking_lot::{Mutex, RwLock};
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// The system time shifted by what `set`/`advance` added.
    Running { offset_ms: i64 },
    /// Time stands still until it is set or advanced.
    Frozen { at: DateTime<Utc> },
}

/// What a snapshot of the clock's mode looks like on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub now: DateTime<Utc>,
    pub frozen: bool,
}

pub struct Clock {
    mode: Mutex<Mode>,
    shared: Arc<Shared>,
}

/// What every clock of one simulator shares.
struct Shared {
    /// Bumped on every change of any clock, so that sleepers wake when time is moved by hand.
    moved: watch::Sender<u64>,
    random: Mutex<StdRng>,
    /// Under `--deterministic`, ids carry a counter in place of the creation second, so that
    /// they repeat even while the clock runs.
    deterministic: Option<Mutex<u32>>,
}

/// The creation second deterministic ids count from (2026-01-01T00:00:00Z): plausible
/// ObjectIds that still sort by creation.
const DETERMINISTIC_ID_BASE: u32 = 1_767_225_600;

impl Clock {
    /// The system time, random ids: for tests that do not move time.
    #[cfg(test)]
    pub fn system() -> Self {
        Self::build(Mode::Running { offset_ms: 0 }, StdRng::from_entropy(), None)
    }

    /// Starts from `config`: frozen at `--clock` if given; seeded by `--random-seed`, or by 0
    /// under `--deterministic`.
    pub fn from_settings(start: Option<DateTime<Utc>>, seed: Option<u64>) -> Self {
        let mode = match start {
            Some(at) => Mode::Frozen { at },
            None => Mode::Running { offset_ms: 0 },
        };
        match seed {
            Some(s) => Self::build(mode, StdRng::seed_from_u64(s), Some(Mutex::new(0))),
            None => Self::build(mode, StdRng::from_entropy(), None),
        }
    }

    fn build(mode: Mode, random: StdRng, deterministic: Option<Mutex<u32>>) -> Self {
        Clock {
            mode: Mutex::new(mode),
            shared: Arc::new(Shared {
                moved: watch::channel(0).0,
                random: Mutex::new(random),
                deterministic,
            }),
        }
    }

    /// A clock that reads what this one reads now (frozen or running alike) and then moves on
    /// its own; ids still come from the one shared source.
    fn fork(&self) -> Self {
        Clock {
            mode: Mutex::new(*self.mode.lock()),
            shared: self.shared.clone(),
        }
    }

    /// Whether this clock stands still (a sleeper on it waits for a move, not for time).
    pub fn is_frozen(&self) -> bool {
        matches!(*self.mode.lock(), Mode::Frozen { .. })
    }

    fn system_now() -> DateTime<Utc> {
        Utc::now()
    }

    fn now_in(mode: Mode) -> DateTime<Utc> {
        match mode {
            Mode::Running { offset_ms } => Self::system_now() + TimeDelta::milliseconds(offset_ms),
            Mode::Frozen { at } => at,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Self::now_in(*self.mode.lock())
    }

    /// Production's date format: ISO 8601 with milliseconds and a Z.
    pub fn now_iso(&self) -> String {
        crate::domain::iso(self.now())
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// The billing period cards are actioned in: the current month.
    pub fn period(&self) -> String {
        self.now().format("%Y-%m").to_string()
    }

    pub fn reading(&self) -> Reading {
        let mode = *self.mode.lock();
        Reading {
            now: Self::now_in(mode),
            frozen: matches!(mode, Mode::Frozen { .. }),
        }
    }

    fn change(&self, f: impl FnOnce(Mode) -> Mode) -> Reading {
        let reading = {
            let mut mode = self.mode.lock();
            *mode = f(*mode);
            Reading {
                now: Self::now_in(*mode),
                frozen: matches!(*mode, Mode::Frozen { .. }),
            }
        };
        self.shared.moved.send_modify(|n| *n = n.wrapping_add(1));
        reading
    }

    /// Stops time where it is now.
    pub fn freeze(&self) -> Reading {
        self.change(|m| Mode::Frozen { at: Self::now_in(m) })
    }

    /// Lets time run again from where it stood.
    pub fn unfreeze(&self) -> Reading {
        self.change(|m| match m {
            Mode::Frozen { at } => Mode::Running {
                offset_ms: (at - Self::system_now()).num_milliseconds(),
            },
            running => running,
        })
    }

    /// Jumps to `t`, frozen or running as before.
    pub fn set(&self, t: DateTime<Utc>) -> Reading {
        self.change(|m| match m {
            Mode::Frozen { .. } => Mode::Frozen { at: t },
            Mode::Running { .. } => Mode::Running {
                offset_ms: (t - Self::system_now()).num_milliseconds(),
            },
        })
    }

    /// Moves time on (or back, for a negative amount) by `ms`.
    pub fn advance(&self, ms: i64) -> Reading {
        self.change(|m| match m {
            Mode::Frozen { at } => Mode::Frozen {
                at: at + TimeDelta::milliseconds(ms),
            },
            Mode::Running { offset_ms } => Mode::Running {
                offset_ms: offset_ms.saturating_add(ms),
            },
        })
    }

    /// Waits until the clock reads `deadline` or later, or until the clock is moved by hand
    /// (the caller re-checks what it waits for). A frozen clock only wakes by being moved.
    pub async fn wait_until(&self, deadline: DateTime<Utc>) {
        let mut moved = self.shared.moved.subscribe();
        let (now, frozen) = {
            let mode = *self.mode.lock();
            (Self::now_in(mode), matches!(mode, Mode::Frozen { .. }))
        };
        if now >= deadline {
            return;
        }
        if frozen {
            let _ = moved.changed().await;
            return;
        }
        // Capped, so that a long wait re-reads a clock whose system time jumped.
        let wait = (deadline - now)
            .to_std()
            .unwrap_or_default()
            .min(Duration::from_secs(60));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = moved.changed() => {}
        }
    }

    /// A fresh ObjectId-shaped id: 4 bytes of creation second (a counter under
    /// `--deterministic`), then 8 random bytes.
    pub fn object_id(&self) -> ObjectId {
        let secs = match &self.shared.deterministic {
            Some(n) => {
                let mut n = n.lock();
                *n = n.wrapping_add(1);
                DETERMINISTIC_ID_BASE.wrapping_add(*n)
            }
            None => self.now().timestamp() as u32,
        };
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&secs.to_be_bytes());
        self.shared.random.lock().fill_bytes(&mut bytes[4..]);
        ObjectId::from_bytes(bytes)
    }

    /// A fresh API key: 128 random bits.
    pub fn api_key(&self) -> ApiKey {
        let mut bytes = [0u8; 16];
        self.shared.random.lock().fill_bytes(&mut bytes);
        ApiKey::from_bytes(bytes)
    }

    /// An alert's message id: a UUID v4, as production returns.
    pub fn message_id(&self) -> String {
        let mut bytes = [0u8; 16];
        self.shared.random.lock().fill_bytes(&mut bytes);
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    /// True with probability `p` (fault injection), from the same seeded source.
    pub fn chance(&self, p: f64) -> bool {
        self.shared.random.lock().gen_bool(p.clamp(0.0, 1.0))
    }

    pub fn is_deterministic(&self) -> bool {
        self.shared.deterministic.is_some()
    }
}

/// The global clock and the partners' own: a partner without one reads the global clock, so
/// `/sim/clock` keeps driving every partner that was never given its own.
pub struct Clocks {
    global: Arc<Clock>,
    own: RwLock<HashMap<String, Arc<Clock>>>,
}

impl Clocks {
    pub fn new(global: Arc<Clock>) -> Self {
        Clocks {
            global,
            own: RwLock::new(HashMap::new()),
        }
    }

    pub fn global(&self) -> &Arc<Clock> {
        &self.global
    }

    /// The clock a partner's work reads: its own, else the global one.
    pub fn of(&self, partner_id: &str) -> Arc<Clock> {
        self.own(partner_id).unwrap_or_else(|| self.global.clone())
    }

    pub fn own(&self, partner_id: &str) -> Option<Arc<Clock>> {
        self.own.read().get(partner_id).cloned()
    }

    /// The partner's own clock, made on first use from what the global clock reads now.
    pub fn own_or_new(&self, partner_id: &str) -> Arc<Clock> {
        if let Some(c) = self.own(partner_id) {
            return c;
        }
        self.own
            .write()
            .entry(partner_id.to_string())
            .or_insert_with(|| Arc::new(self.global.fork()))
            .clone()
    }

    /// The partner follows the global clock again; true if it had its own.
    pub fn release(&self, partner_id: &str) -> bool {
        let had = self.own.write().remove(partner_id).is_some();
        if had {
            self.global.shared.moved.send_modify(|n| *n = n.wrapping_add(1));
        }
        had
    }

    /// Drops every partner's own clock (a reset: each partner follows `/sim/clock` again).
    pub fn release_all(&self) {
        self.own.write().clear();
        self.global.shared.moved.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Whether some partner has its own clock (else every "now" is the global one).
    pub fn any_own(&self) -> bool {
        !self.own.read().is_empty()
    }

    /// Wakes on the next move of any clock.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.global.shared.moved.subscribe()
    }
}

/// The real Unix second, whatever the simulated time: for the rate limiter, whose windows are
/// production's real seconds (a frozen clock must neither lock a token out nor lift its limit).
pub fn real_unix_second() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Parses `--clock` and `/sim/clock`'s `set`: an ISO 8601 date-time with an offset.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| Utc.timestamp_opt(0, 0).single().is_some_and(|e| *t >= e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_clock_moves_only_by_hand() {
        let t = parse_time("2027-01-31T12:00:00.000Z").unwrap();
        let c = Clock::from_settings(Some(t), None);
        assert_eq!(c.now(), t);
        assert_eq!(c.now_iso(), "2027-01-31T12:00:00.000Z");
        c.advance(86_400_000);
        assert_eq!(c.now_iso(), "2027-02-01T12:00:00.000Z");
        assert_eq!(c.period(), "2027-02");
        let r = c.unfreeze();
        assert!(!r.frozen);
        assert!((c.now() - t).num_seconds() >= 86_399);
        c.set(t);
        assert!((c.now() - t).num_seconds().abs() < 5);
        assert!(c.freeze().frozen);
    }

    /// A partner's own clock starts where the global one stands and then moves alone; the
    /// others, and the global clock, keep their time; ids stay unique across clocks.
    #[test]
    fn a_partners_own_clock_moves_alone() {
        let t = parse_time("2027-01-31T12:00:00.000Z").unwrap();
        let clocks = Clocks::new(Arc::new(Clock::from_settings(Some(t), Some(1))));
        assert!(!clocks.any_own());
        let a = clocks.own_or_new("a");
        assert!(Arc::ptr_eq(&a, &clocks.own_or_new("a")));
        a.advance(86_400_000);
        assert_eq!(clocks.of("a").now_iso(), "2027-02-01T12:00:00.000Z");
        assert_eq!(clocks.of("b").now(), t);
        assert_eq!(clocks.global().now(), t);
        clocks.global().advance(1_000);
        assert_eq!(clocks.of("a").now_iso(), "2027-02-01T12:00:00.000Z");
        assert_eq!(clocks.of("b").now_iso(), "2027-01-31T12:00:01.000Z");
        assert_ne!(a.object_id(), clocks.global().object_id());
        assert!(clocks.release("a") && !clocks.release("a"));
        assert_eq!(clocks.of("a").now_iso(), "2027-01-31T12:00:01.000Z");
    }

    /// A sleeper on one clock wakes when another is moved (it re-checks what it waits for).
    #[tokio::test]
    async fn moving_any_clock_wakes_the_sleepers() {
        let t = parse_time("2027-01-31T12:00:00.000Z").unwrap();
        let clocks = Arc::new(Clocks::new(Arc::new(Clock::from_settings(Some(t), None))));
        let mut moved = clocks.subscribe();
        clocks.own_or_new("a").advance(5);
        tokio::time::timeout(Duration::from_secs(5), moved.changed())
            .await
            .expect("woken")
            .unwrap();
    }

    #[test]
    fn seeded_clocks_mint_the_same_ids() {
        let a = Clock::from_settings(None, Some(7));
        let b = Clock::from_settings(None, Some(7));
        for _ in 0..3 {
            assert_eq!(a.object_id(), b.object_id());
            assert_eq!(a.api_key().expose(), b.api_key().expose());
            assert_eq!(a.message_id(), b.message_id());
        }
        let other = Clock::from_settings(None, Some(8));
        assert_ne!(a.api_key().expose(), other.api_key().expose());
        assert!(ObjectId::parse(a.object_id().as_str()).is_some());
        assert!(uuid::Uuid::parse_str(&a.message_id()).is_ok_and(|u| u.get_version_num() == 4));
    }

    #[test]
    fn rejects_times_without_offset_or_before_1970() {
        assert!(parse_time("2027-01-31T12:00:00").is_none());
        assert!(parse_time("yesterday").is_none());
        assert!(parse_time("1969-12-31T23:59:59Z").is_none());
        assert!(parse_time("2027-01-31T13:00:00+01:00").is_some());
    }

    #[test]
    fn keys_are_random_hashed_and_compared_whole() {
        let clock = Clock::system();
        let a = clock.api_key();
        assert_eq!(a.expose().len(), 32);
        assert_ne!(a, clock.api_key());
        assert_eq!(a.hash(), crate::domain::ids::KeyHash::of(a.expose()));
        assert_ne!(a.hash(), crate::domain::ids::KeyHash::of("other"));
        assert_eq!(a.hint().len(), 4);
        assert!(!format!("{a:?}").contains(a.expose()));
    }
}
