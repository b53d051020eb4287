//! The simulator's own JSON control API under `/sim`: everything the console does.

pub mod billing;
pub mod control;
pub mod faults;
pub mod integrations;
pub mod misc;
pub mod partners;
pub mod qa;
pub mod scenarios;
pub mod usage;

use actix_web::web;

pub fn config(cfg: &mut web::ServiceConfig) {
    misc::config(cfg);
    partners::config(cfg);
    integrations::config(cfg);
    billing::config(cfg);
    qa::config(cfg);
    faults::config(cfg);
    control::config(cfg);
    scenarios::config(cfg);
    usage::config(cfg);
}
