//! The Synthesize vendor API, served as production serves it under `/api/vendor-api`.

pub mod accounts;
pub mod alerting;
pub mod auth;
pub mod dto;
pub mod organization;
pub mod profile;
pub mod usage;

use actix_web::web;

pub const PREFIX: &str = "/api/vendor-api";

pub fn config(cfg: &mut web::ServiceConfig) {
    profile::config(cfg);
    usage::config(cfg);
    organization::config(cfg);
    accounts::config(cfg);
    alerting::config(cfg);
}
