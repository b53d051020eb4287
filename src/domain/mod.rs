//! The Synthesize rules, with no HTTP and no SQL.

pub(crate) mod billing;
pub mod catalog;
pub(crate) mod csv_usage;
pub(crate) mod event;
pub mod ids;
pub(crate) mod lifecycle;
pub(crate) mod lint;
pub(crate) mod mapping;
pub(crate) mod mistakes;
pub(crate) mod parity;
pub mod psa;
pub(crate) mod qa;
pub(crate) mod qa_facts;
pub(crate) mod qa_steps;
pub(crate) mod rejection;
pub(crate) mod runs;
pub(crate) mod validate;

pub use rejection::Rejection;

/// Production's date format: ISO 8601 with milliseconds and a Z.
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The one way a person is shown a time, in the console, the journal and the QA report alike:
/// `2026-11-28 18:04:34 UTC` (UTC, as the terminal and the API's own timestamps). Text that is
/// not an ISO time is returned as it is.
pub fn display_time(s: &str) -> String {
    match chrono::DateTime::parse_from_rfc3339(s) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
        Err(_) => s.to_string(),
    }
}

/// `lastSyncedAt` before the first accepted count.
pub const NEVER_SYNCED: &str = "1900-01-01T00:00:00.000Z";

#[cfg(test)]
mod tests {
    #[test]
    fn display_time_is_utc_to_the_second() {
        assert_eq!(
            super::display_time("2026-11-28T18:04:34.567Z"),
            "2026-11-28 18:04:34 UTC"
        );
        assert_eq!(
            super::display_time("2026-11-28T19:04:34+01:00"),
            "2026-11-28 18:04:34 UTC"
        );
        assert_eq!(super::display_time("soon"), "soon");
    }
}
