//! The vendor API's in-memory copies of stored answers, each current while the epoch it
//! follows holds (see `store::epochs`): the door's key check fills `known_tokens`
//! (`auth`), `GET /api/vendor-api` fills `profile_answers` (`profile`), `GET /organization`
//! fills `organization_answers` (`organization`), the whole account and service lists fill
//! `property_lists` (`accounts`).

use crate::domain::ids::GradientToken;
use crate::store::integrations::IntegrationRow;
use crate::store::vendors::VendorRow;
use crate::store::{EpochCache, Watch};
use actix_web::web;
use std::sync::Arc;

/// A token the door's check accepted with both halves, as a copy tagged with the keys' epoch
/// it was read at: the hot path of every vendor call skips the two key lookups while no key,
/// vendor or integration changed.
pub struct KnownToken {
    pub(crate) token: GradientToken,
    pub(crate) vendor: VendorRow,
    pub(crate) integration: IntegrationRow,
}

/// At most this many tokens are kept: far more than the integrations of a simulator.
pub const KNOWN_TOKENS: usize = 4096;

/// At most this many vendors' profile answers are kept.
const PROFILE_ANSWERS: usize = 1024;

/// At most this many account or service lists are kept, each of at most `LIST_ROWS_KEPT` rows
/// (a longer one is read each time): under 20 MB however many integrations there are.
const PROPERTY_LISTS: usize = 32;
pub const LIST_ROWS_KEPT: usize = 5_000;

pub struct Copies {
    /// Tokens the door's check accepted, current while the keys' epoch holds.
    pub known_tokens: EpochCache<Arc<KnownToken>>,
    /// `GET /api/vendor-api`'s answer per vendor, rendered once and kept while no vendor or
    /// vendor-level service changes: an integration polls it, and its rendering was most of
    /// the call's cost.
    pub profile_answers: EpochCache<web::Bytes>,
    /// `GET /organization`'s answer per integration, kept while no integration, vendor,
    /// partner or count summary changes: its two reads in a snapshot were most of the call.
    pub organization_answers: EpochCache<web::Bytes>,
    /// `GET /organization/accounts` and `/organization/services` unfiltered, per integration:
    /// a sync reads the list back after each write, and its read in a snapshot (a join with
    /// the mappings, sorted) was three times a GET's cost for ten accounts.
    pub property_lists: EpochCache<web::Bytes>,
}

impl Default for Copies {
    fn default() -> Self {
        Copies {
            known_tokens: EpochCache::new(Watch::Keys, KNOWN_TOKENS),
            profile_answers: EpochCache::new(Watch::Profile, PROFILE_ANSWERS),
            organization_answers: EpochCache::new(Watch::Organization, KNOWN_TOKENS),
            property_lists: EpochCache::new(Watch::Properties, PROPERTY_LISTS),
        }
    }
}
