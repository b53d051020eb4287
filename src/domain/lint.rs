//! Integration lint: things a vendor's code did that work here but hurt in production.
//! Each finding says what happened, why it matters, and what to change. Two habits the spec
//! names cannot be seen from the server and so have no code: the token header's casing (HTTP/1.1
//! parsers lowercase header names) and a client reading `_id` (it equals `id`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LintCode {
    NumericId,
    DeprecatedClientOId,
    DeprecatedClientsRoute,
    NoBuildOnCount,
    CountForUnmappedPair,
    AccountReposted,
    DuplicateServiceName,
    StatusNeverPending,
    PortalUrlNeverSet,
    OverRateLimit,
    RevokedToken,
    BodyNotJson,
}

/// Read back (from an imported snapshot's journal) by code and message; the advice is the
/// code's own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lint {
    pub code: LintCode,
    pub message: String,
    pub why: &'static str,
    pub fix: &'static str,
}

#[derive(Deserialize)]
struct LintWire {
    code: LintCode,
    message: String,
}

impl<'de> Deserialize<'de> for Lint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = LintWire::deserialize(d)?;
        Ok(Lint::new(w.code, w.message))
    }
}

impl Lint {
    pub fn new(code: LintCode, message: impl Into<String>) -> Self {
        let (why, fix) = advice(code);
        Lint {
            code,
            message: message.into(),
            why,
            fix,
        }
    }
}

/// Why a finding matters in production, and what to change: the support answer.
pub fn advice(code: LintCode) -> (&'static str, &'static str) {
    match code {
        LintCode::NumericId => (
            "Production documents account ids as strings; a number is coerced today but may be rejected by a stricter validator.",
            "Send ids as JSON strings (e.g. \"1002\", not 1002).",
        ),
        LintCode::DeprecatedClientOId => (
            "clientOId is deprecated; accountId will be required in future versions.",
            "Send accountId (your own account id, as created with POST /organization/accounts).",
        ),
        LintCode::DeprecatedClientsRoute => (
            "Get Clients is deprecated: mapping is done by the partner in the Synthesize UI.",
            "Create your accounts with POST /organization/accounts and let the partner map them.",
        ),
        LintCode::NoBuildOnCount => (
            "A count sent with no_build=true is stored but the billing view is not rebuilt, so the partner sees no usage.",
            "Send no_build=true on every call but the last of a sync, or leave it out.",
        ),
        LintCode::CountForUnmappedPair => (
            "Counts for unmapped accounts or services are rejected with 404; the usage never reaches a service card.",
            "Treat 404 as 'not mapped yet', keep syncing the rest, and ask the partner to map the account and service.",
        ),
        LintCode::AccountReposted => (
            "Posting an account id that already exists is a 409 and nothing of that body is stored.",
            "Call GET /organization/accounts first and create only the missing ones.",
        ),
        LintCode::DuplicateServiceName => (
            "Two services with one name confuse the partner's service mapping and your own name lookups.",
            "GET /api/vendor-api first and create a service only when no sku has that exact name.",
        ),
        LintCode::StatusNeverPending => (
            "Next stays dark in the partner's setup until the integration status is pending.",
            "After the partner authenticates in your portal, PATCH /organization/status/pending.",
        ),
        LintCode::PortalUrlNeverSet => (
            "Open Vendor Portal opens a blank page for partners when no integrationPortalUrl is set.",
            "PATCH /api/vendor-api with integrationPortalUrl pointing at your Gradient integration page (in production, send it to Gradient support).",
        ),
        LintCode::OverRateLimit => (
            "Production answers 429 above 100 requests a second per token; calls over it are lost unless retried.",
            "Spread large pushes, and retry 429 after the Retry-After delay.",
        ),
        LintCode::RevokedToken => (
            "The partner regenerated the key or disconnected: this token will never work again.",
            "Stop syncing this partner and ask them to enter the new partner API key in your portal.",
        ),
        LintCode::BodyNotJson => (
            "Production reads a body only when its Content-Type is application/json (or a form): this body was ignored, as if empty.",
            "Send Content-Type: application/json with every JSON body.",
        ),
    }
}
