//! The Synthesize vendor API, served as production serves it under `/api/vendor-api`.

pub(crate) mod accounts;
pub(crate) mod alerting;
pub(crate) mod auth;
pub(crate) mod copies;
pub(crate) mod dto;
pub(crate) mod organization;
pub(crate) mod profile;
pub(crate) mod usage;

use actix_web::web;

pub const PREFIX: &str = "/api/vendor-api";

pub fn config(cfg: &mut web::ServiceConfig) {
    profile::config(cfg);
    usage::config(cfg);
    organization::config(cfg);
    accounts::config(cfg);
    alerting::config(cfg);
}
