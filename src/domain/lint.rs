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
    BodyNotUtf8,
    EmptyStringBlanks,
    PortalUrlNotBrowsable,
    OldStatusValue,
    UnitCountLooksLikeBytes,
    ServiceRecreatedGarbled,
    CatalogueReadNoCount,
    // Why a call was refused, said off the wire (see `domain::mistakes`).
    TokenMissing,
    TokenInAuthorization,
    TokenNotBase64,
    TokenLineBreak,
    TokenOneKey,
    UnknownVendorKey,
    UnknownPartnerKey,
    BaseUrlWithoutApi,
    BaseUrlDoubled,
    JsonSentAsForm,
    CountToVendorId,
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

/// From here a count is more likely raw bytes than units: 1 GiB. No seat, device or mailbox
/// count of one account comes near a billion, while a byte count of any backup passes it.
pub const RAW_BYTES_FROM: f64 = 1_073_741_824.0;

/// The lint of a count that looks like a raw byte count: a whole number from 1 GiB up.
pub fn raw_bytes(unit_count: f64) -> Option<Lint> {
    (unit_count >= RAW_BYTES_FROM && unit_count.fract() == 0.0).then(|| {
        let (gb, tb) = (unit_count / 1_073_741_824.0, unit_count / 1_099_511_627_776.0);
        Lint::new(
            LintCode::UnitCountLooksLikeBytes,
            format!("unitCount {unit_count} looks like a byte count ({gb:.2} GB, {tb:.3} TB); it was stored as {unit_count} units"),
        )
    })
}

/// The text fields a PATCH blanks: (name, value sent, value stored) where `""` was sent over a
/// value that was not empty.
pub fn blanked<'a>(fields: impl IntoIterator<Item = (&'a str, &'a Option<String>, &'a String)>) -> Vec<String> {
    fields
        .into_iter()
        .filter(|(_, sent, was)| sent.as_deref() == Some("") && !was.is_empty())
        .map(|(field, _, _)| field.to_string())
        .collect()
}

/// The lint of a PATCH whose `""` values blanked stored text (none when nothing was blanked).
pub fn blanked_fields(fields: &[String]) -> Option<Lint> {
    (!fields.is_empty()).then(|| {
        Lint::new(
            LintCode::EmptyStringBlanks,
            format!("sent as \"\" and now empty: {}", fields.join(", ")),
        )
    })
}

/// A result and the lints found on the way to it. The lints ride along on success and on
/// refusal alike, so no return path can drop them: a call's parse, its operation and its answer
/// each add theirs, and the HTTP layer hands the whole list to the journal once.
#[must_use]
#[derive(Debug)]
pub struct Linted<T, E> {
    pub result: Result<T, E>,
    pub lints: Vec<Lint>,
}

impl<T, E> Linted<T, E> {
    pub fn new(result: Result<T, E>, lints: Vec<Lint>) -> Self {
        Linted { result, lints }
    }

    pub fn ok(value: T) -> Self {
        Linted::new(Ok(value), vec![])
    }

    pub fn err(e: E) -> Self {
        Linted::new(Err(e), vec![])
    }

    /// Adds findings after those already here.
    pub fn lint(mut self, lints: impl IntoIterator<Item = Lint>) -> Self {
        self.lints.extend(lints);
        self
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Linted<U, E> {
        Linted::new(self.result.map(f), self.lints)
    }

    pub fn err_into<F: From<E>>(self) -> Linted<T, F> {
        Linted::new(self.result.map_err(F::from), self.lints)
    }

    /// The next step, given the value; its lints come after these. A refusal skips it.
    pub async fn and_then<U, Fut>(self, f: impl FnOnce(T) -> Fut) -> Linted<U, E>
    where
        Fut: std::future::Future<Output = Linted<U, E>>,
    {
        match self.result {
            Ok(value) => {
                let next = f(value).await;
                let mut lints = self.lints;
                lints.extend(next.lints);
                Linted::new(next.result, lints)
            }
            Err(e) => Linted::new(Err(e), self.lints),
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
        LintCode::BodyNotUtf8 => (
            "Production reads a body without a charset as UTF-8 and turns invalid bytes into U+FFFD, so names like \"Müller\" are stored garbled. Windows PowerShell 5.1 and PowerShell up to 7.3 send a string body as ISO-8859-1 when the Content-Type names no charset (the official SDK names none).",
            "Send UTF-8 bytes: in PowerShell pass -Body ([System.Text.Encoding]::UTF8.GetBytes($json)), or use PowerShell 7.4 or later; elsewhere, encode the body as UTF-8.",
        ),
        LintCode::EmptyStringBlanks => (
            "An empty string is a value: production stores it, blanking the field. The PowerShell SDK's Initialize-PS* functions send \"\" for every field the caller leaves out.",
            "Send only the keys you mean to change (build the body as a hashtable, e.g. @{integrationPortalUrl=$url} | ConvertTo-Json), or pass every value.",
        ),
        LintCode::PortalUrlNotBrowsable => (
            "Open Vendor Portal opens integrationPortalUrl in the partner's browser; a value that is not an absolute http(s) URL cannot open there.",
            "Send the full address, scheme included, e.g. https://portal.example.com/gradient.",
        ),
        LintCode::OldStatusValue => (
            "Only older documentation lists disabled and error; the newest spec's VendorIntegrationStatusEnum (the official SDK's dynamicServices branch) holds only active, inactive and pending, so production's validator refuses the others with 400.",
            "Send PATCH /organization/status/inactive (or active, pending) instead.",
        ),
        LintCode::ServiceRecreatedGarbled => (
            "The official SDK's sync-services (Invoke-CreateServices) de-duplicates by exact name: it looks for its own \"Müller Backup\" among the skus of GET /api/vendor-api, finds only the stored \"M\u{FFFD}ller Backup\", and creates the service again on every run. The name arrived with U+FFFD because it was sent as ISO-8859-1 (Windows PowerShell 5.1 and PowerShell up to 7.3 do so when the Content-Type names no charset, as the SDK's does).",
            "Send the body as UTF-8 (-Body ([System.Text.Encoding]::UTF8.GetBytes($json)), or PowerShell 7.4 or later), then rename the garbled services with PATCH /api/vendor-api/service/{serviceId} and ask the partner to map the one you keep.",
        ),
        LintCode::CatalogueReadNoCount => (
            "A sync read the service catalogue after the partner mapped services, then sent no count. The official SDK's Initialize-PSCreateBillingRequest (PSGradient/Model/CreateBillingRequest.ps1, master) calls $attributes.ContainsKey('STORAGE_UNIT_TYPE') on a global $attributes that nothing defines: the call throws before any request, and sync-usage stops with \"An error occurred while syncing usage\".",
            "Define the hashtable before syncing usage ($global:attributes = @{}, or @{STORAGE_UNIT_TYPE = 'GB'} if you send bytes), or null-check $attributes before ContainsKey, as the copy of that file in meetgradient/GradientMSP-SDK-PS does.",
        ),
        LintCode::UnitCountLooksLikeBytes => (
            "Production stores any number as the unit count, so a byte count bills the partner's client a billion units or more. The official SDK converts bytes only when the caller passes UnitType \"bytes\" and the global $attributes['STORAGE_UNIT_TYPE'] is MB, GB or TB (PSGradient/Model/CreateBillingRequest.ps1, Convert-BytesToUnit); without that setting it sends the raw bytes, and the SDK regenerated on its dynamicServices branch has no conversion at all.",
            "Send the unit the partner bills (divide by 1073741824 for GB, 1099511627776 for TB), or set $attributes['STORAGE_UNIT_TYPE'] = 'GB' before calling Initialize-PSCreateBillingRequest with UnitType \"bytes\".",
        ),
        LintCode::TokenMissing => (
            "Every vendor API call needs the GRADIENT-TOKEN header; production answers a bare 401 without it.",
            "Send GRADIENT-TOKEN: base64(VENDOR_KEY:PARTNER_KEY) on every call.",
        ),
        LintCode::TokenInAuthorization => (
            "Production reads the token only from the GRADIENT-TOKEN header; Authorization (Bearer, Basic) is ignored and the call is 401.",
            "Send the same base64 value as GRADIENT-TOKEN: base64(VENDOR_KEY:PARTNER_KEY), with no scheme.",
        ),
        LintCode::TokenNotBase64 => (
            "The token is read as standard base64 of VENDOR_KEY:PARTNER_KEY; anything else is 401 with no word on why.",
            "Encode the two keys joined by one colon: printf %s \"$VENDOR_KEY:$PARTNER_KEY\" | base64 -w0 (PowerShell: [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes(\"${v}:${p}\"))).",
        ),
        LintCode::TokenLineBreak => (
            "The token is 88 characters long and base64 breaks lines at 76, so a token built with a plain base64 call is cut or split across lines.",
            "Use base64 -w0 (or strip the newlines: | tr -d '\\n'), and pass the value on one line.",
        ),
        LintCode::TokenOneKey => (
            "A token needs both halves: the vendor key identifies you, the partner key the partner's integration.",
            "Send base64(VENDOR_KEY:PARTNER_KEY), the partner key being the one Generate API Token showed.",
        ),
        LintCode::UnknownVendorKey => (
            "The first half of the token must be your vendor API key; production answers 401 for any other.",
            "Use the vendor API key the simulator printed at start (GET /sim/info has it), first, then a colon and the partner key.",
        ),
        LintCode::UnknownPartnerKey => (
            "The second half must be the partner key of a connected integration; a mistyped or stale one is 401.",
            "Use the partner key Generate API Token showed last (each new one replaces the previous one).",
        ),
        LintCode::BaseUrlWithoutApi => (
            "Every vendor API route starts with /api/vendor-api: this path reached no route, and production answers 404.",
            "Set the base URL to the host (the client adds /api/vendor-api/...) or to host/api if your client adds /vendor-api/... itself.",
        ),
        LintCode::BaseUrlDoubled => (
            "The path holds /api/vendor-api after another prefix, so it reached no route: the base URL and the client both add part of it.",
            "Drop the part your client adds from the base URL: host alone if the client adds /api/vendor-api, host/api if it adds /vendor-api.",
        ),
        LintCode::JsonSentAsForm => (
            "Production parses a body by its Content-Type: JSON sent as application/x-www-form-urlencoded (curl -d, Python's urllib) becomes one meaningless form field, so every required field is missing.",
            "Send Content-Type: application/json (curl --json, or -H 'Content-Type: application/json').",
        ),
        LintCode::CountToVendorId => (
            "POST /api/vendor-api/service answers your vendor (its _id is the vendor's), not the new service, so its _id is no service id.",
            "The new service is the last entry of skus in that answer (or look it up by name in GET /api/vendor-api's data.skus).",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    /// Runs a future that never waits (the steps below are ready at once).
    fn ready<T>(f: impl Future<Output = T>) -> T {
        let mut f = std::pin::pin!(f);
        match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the step waited"),
        }
    }

    fn lint(message: &str) -> Lint {
        Lint::new(LintCode::NumericId, message)
    }

    fn messages<T, E>(l: &Linted<T, E>) -> Vec<&str> {
        l.lints.iter().map(|l| l.message.as_str()).collect()
    }

    #[test]
    fn lints_keep_their_order_on_every_path() {
        let parsed: Linted<i32, &str> = Linted::ok(1).lint([lint("parse")]);
        let done = ready(parsed.and_then(|n| async move { Linted::<i32, &str>::ok(n + 1).lint([lint("op")]) }));
        assert_eq!(done.result, Ok(2));
        assert_eq!(messages(&done), ["parse", "op"]);

        // Refused by the step: the earlier lints stay, the step's own follow.
        let parsed: Linted<i32, &str> = Linted::ok(1).lint([lint("parse")]);
        let refused = ready(parsed.and_then(|_| async { Linted::<i32, &str>::err("404").lint([lint("op")]) }));
        assert_eq!(refused.result, Err("404"));
        assert_eq!(messages(&refused), ["parse", "op"]);

        // Refused before the step: the step never runs, the lints found so far stay.
        let invalid: Linted<i32, &str> = Linted::err("400").lint([lint("parse")]);
        let mut ran = false;
        let skipped = ready(invalid.and_then(|n| {
            ran = true;
            async move { Linted::ok(n) }
        }));
        assert!(!ran);
        assert_eq!(skipped.result, Err("400"));
        assert_eq!(messages(&skipped), ["parse"]);
    }
}
