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
    // Habits only a sequence of calls shows, learned from real clients' defects (see `across`).
    CatalogueRefetched,
    StatusDemoted,
    RebuildNeverTriggered,
    UnitCountNotNumber,
    MultiValueQueryParam,
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
        LintCode::CatalogueRefetched => (
            "The service catalogue was read again between two counts of one sync. A client that reads it once per licence (CIPP's extension did) doubles its calls and meets the 100-a-second limit.",
            "Read GET /api/vendor-api once per sync, keep the service ids by name, and send every count with them.",
        ),
        LintCode::StatusDemoted => (
            "The status was set back to pending while the integration was active: the partner's card shows setup again. The SDK's status update did this on every run until it was fixed.",
            "Set pending only at the first authentication (when the status is inactive); once active, leave it.",
        ),
        LintCode::RebuildNeverTriggered => (
            "The sync's last count carried no_build=true and no rebuild followed, so the billing view never shows this run's usage.",
            "Leave no_build off (or false) on the last count of every sync.",
        ),
        LintCode::UnitCountNotNumber => (
            "unitCount must be a JSON number; a string (\"5\"), a boolean or an object is refused with 400. CIPP sent a PowerShell scriptblock's text here.",
            "Send the count as a number: {\"accountId\":\"a-1\",\"unitCount\":5}.",
        ),
        LintCode::MultiValueQueryParam => (
            "accountIds[] is the bracket form of a list some HTTP libraries write; Gradient documents accountIds (repeated, or comma-separated).",
            "Send ?accountIds=a-1,a-2 (or accountIds=a-1&accountIds=a-2), without brackets.",
        ),
    }
}

/// The lints a sequence of calls shows, each decided from the few facts it needs.
pub mod across {
    use super::{Lint, LintCode};
    use crate::domain::catalog::IntegrationStatus;
    use serde_json::Value;

    /// What a call was, as far as these rules care.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum CallKind {
        /// `GET /api/vendor-api`: the service catalogue.
        Catalogue,
        /// `POST /api/vendor-api/service/{id}/count`.
        Count,
        Other,
    }

    impl CallKind {
        pub fn of(method: &str, route: &str) -> Self {
            match (method, route) {
                ("GET", "/api/vendor-api") => CallKind::Catalogue,
                ("POST", r) if r.ends_with("/count") => CallKind::Count,
                _ => CallKind::Other,
            }
        }
    }

    /// A count right after a catalogue read that came right after a count: the catalogue was
    /// read again inside one sync. `earlier` is the integration's previous calls, newest first.
    pub fn catalogue_refetched(this: CallKind, earlier: &[CallKind]) -> Option<Lint> {
        (this == CallKind::Count && earlier.starts_with(&[CallKind::Catalogue, CallKind::Count])).then(|| {
            Lint::new(
                LintCode::CatalogueRefetched,
                "GET /api/vendor-api was read again between two counts",
            )
        })
    }

    /// Pending set over active.
    pub fn status_demoted(before: Option<IntegrationStatus>, after: IntegrationStatus) -> Option<Lint> {
        (before == Some(IntegrationStatus::Active) && after == IntegrationStatus::Pending).then(|| {
            Lint::new(
                LintCode::StatusDemoted,
                "the status was set to pending while the integration was active",
            )
        })
    }

    /// The last count of the run was sent with no_build and no rebuild came after it.
    pub fn rebuild_never_triggered(last_count_at: &str) -> Lint {
        Lint::new(
            LintCode::RebuildNeverTriggered,
            format!("the last count ({last_count_at}) was sent with no_build=true and no billing rebuild followed"),
        )
    }

    /// A count body whose unitCount is there but no number.
    pub fn unit_count_not_number(body: &Value) -> Option<Lint> {
        let kind = match body.get("unitCount")? {
            Value::Number(_) | Value::Null => return None,
            Value::String(_) => "a string",
            Value::Bool(_) => "a boolean",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        Some(Lint::new(
            LintCode::UnitCountNotNumber,
            format!("unitCount was sent as {kind}, not a number"),
        ))
    }

    /// Query keys in the bracket form (`accountIds[]`, `accountIds[0]`).
    pub fn multi_value_query_param<'a>(keys: impl IntoIterator<Item = &'a str>) -> Option<Lint> {
        let key = keys.into_iter().find(|k| k.ends_with(']') && k.contains('['))?;
        let bare = key.split('[').next().unwrap_or(key);
        Some(Lint::new(
            LintCode::MultiValueQueryParam,
            format!("query key {key} (brackets): send {bare} instead"),
        ))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use serde_json::json;
        use CallKind::*;

        #[test]
        fn the_catalogue_read_between_two_counts_is_named_once_per_read() {
            assert!(catalogue_refetched(Count, &[Catalogue, Count, Catalogue]).is_some());
            assert!(
                catalogue_refetched(Count, &[Catalogue, Other]).is_none(),
                "read once before the sync"
            );
            assert!(catalogue_refetched(Count, &[Count, Count]).is_none());
            assert!(catalogue_refetched(Other, &[Catalogue, Count]).is_none());
            assert_eq!(CallKind::of("GET", "/api/vendor-api"), Catalogue);
            assert_eq!(CallKind::of("POST", "/api/vendor-api/service/{serviceId}/count"), Count);
        }

        #[test]
        fn pending_over_active_only() {
            use IntegrationStatus::*;
            assert!(status_demoted(Some(Active), Pending).is_some());
            assert!(status_demoted(Some(Inactive), Pending).is_none());
            assert!(status_demoted(Some(Pending), Pending).is_none());
            assert!(status_demoted(Some(Active), Active).is_none());
        }

        #[test]
        fn unit_counts_and_query_keys() {
            assert!(unit_count_not_number(&json!({"unitCount": "5"}))
                .unwrap()
                .message
                .contains("a string"));
            assert!(unit_count_not_number(&json!({"unitCount": {"a": 1}})).is_some());
            assert!(unit_count_not_number(&json!({"unitCount": 5.5})).is_none());
            assert!(unit_count_not_number(&json!({"accountId": "a"})).is_none());
            let l = multi_value_query_param(["returnUnmapped", "accountIds[]"]).unwrap();
            assert!(l.message.contains("send accountIds instead"));
            assert!(multi_value_query_param(["accountIds[0]"])
                .unwrap()
                .message
                .contains("send accountIds instead"));
            assert!(multi_value_query_param(["accountIds"]).is_none());
        }
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
