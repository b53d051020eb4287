//! The simulator's own JSON control API under `/sim`: everything the console does.

pub(crate) mod billing;
pub(crate) mod control;
pub(crate) mod extract;
pub(crate) mod faults;
pub(crate) mod integrations;
pub(crate) mod misc;
pub(crate) mod partners;
pub(crate) mod qa;
pub(crate) mod runs;
pub(crate) mod scenarios;
pub(crate) mod usage;

use actix_web::web;

pub fn config(cfg: &mut web::ServiceConfig) {
    misc::config(cfg);
    partners::config(cfg);
    integrations::config(cfg);
    billing::config(cfg);
    runs::config(cfg);
    qa::config(cfg);
    faults::config(cfg);
    control::config(cfg);
    scenarios::config(cfg);
    usage::config(cfg);
}
