//! The Synthesize rules, with no HTTP and no SQL.

pub mod billing;
pub mod catalog;
pub mod csv_usage;
pub mod ids;
pub mod lifecycle;
pub mod lint;
pub mod mapping;
pub mod psa;
pub mod qa;
pub mod validate;

/// Production's date format: ISO 8601 with milliseconds and a Z.
pub fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `lastSyncedAt` before the first accepted count.
pub const NEVER_SYNCED: &str = "1900-01-01T00:00:00.000Z";
