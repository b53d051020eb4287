//! Operations: one transaction each, composing store calls with the domain's rules. Shared by
//! the vendor API, the control API and the background workers.

pub mod alerts;
pub mod billing;
pub mod cards;
pub mod control;
pub mod csv_usage;
pub mod integrations;
pub mod qa;
pub mod snapshots;

#[cfg(test)]
mod tests;
