//! The facts the event log keeps: partner actions and the vendor calls that matter. One variant
//! per kind of event, so a writer cannot misspell a kind and the QA checklist, which matches on
//! the variants, cannot miss one (vaultwarden's `EventType` is the pattern).
//!
//! A row stores the variant's name as its `kind` and its fields as the JSON `detail`, in field
//! order: the serde attributes below are the storage format, and fields keep the order of the
//! details written before the enum existed, so old and new rows read the same.

use super::catalog::{IntegrationStatus, SetupStep};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    content = "detail",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum Event {
    /// CONNECT pressed: a new connection cycle starts.
    Connected {
        modules: Vec<String>,
    },
    /// GENERATE API TOKEN pressed.
    TokenGenerated {
        regenerated: bool,
        key_hint: String,
    },
    /// OPEN VENDOR PORTAL pressed; no URL means the partner got a blank page.
    PortalOpened {
        url: Option<String>,
    },
    /// The vendor set its integrationPortalUrl.
    PortalUrlSet {
        url: String,
    },
    /// The first vendor call accepted with a new partner key.
    Authenticated {},
    /// `PATCH /organization/status/{status}`.
    StatusSet {
        status: IntegrationStatus,
    },
    /// Pending turned active on its own, with the first accepted count or alert.
    StatusAutoActive {
        by: Activity,
    },
    AccountsCreated {
        ids: Vec<String>,
    },
    ServicesCreated {
        ids: Vec<String>,
    },
    ServiceCreated {
        service_id: String,
        name: String,
        duplicate_name: bool,
    },
    AccountMapped {
        account_id: String,
        name: Option<String>,
        psa_account_id: String,
        psa_account_name: Option<String>,
        source: MappingSource,
    },
    /// An account lost its mapping: unmapped by the partner, or its PSA company was removed
    /// (then with the reason and the company).
    AccountUnmapped {
        account_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<UnmapReason>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        psa_account_id: Option<String>,
    },
    ServiceMapped {
        service_id: String,
        name: Option<String>,
        psa_product_ids: Vec<String>,
        source: MappingSource,
    },
    /// A service lost its mapping: unmapped, or mapped to no product at all (then with the
    /// rest of the mapping that was asked for).
    ServiceUnmapped {
        service_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        psa_product_ids: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<MappingSource>,
    },
    /// The setup wizard moved to a step.
    Step {
        step: SetupStep,
    },
    /// FINISH pressed, with how many accounts and services were mapped.
    Finished {
        accounts: i64,
        services: i64,
    },
    /// DISCONNECT pressed, with what it deleted.
    Disconnected(Deleted),
    AlertQueued {
        message_id: String,
    },
    AlertFailed {
        message_id: String,
        errors: Vec<String>,
    },
    AlertSucceeded {
        message_id: String,
        ticket_id: i64,
    },
    /// Global: the billing view was rebuilt; `with_usage` cards showed vendor usage.
    BillingRebuilt {
        cards: usize,
        with_usage: usize,
    },
    /// Global: the partner acted on a service card.
    CardApproved(CardRef),
    CardAdjusted(CardRef),
    CardDismissed(CardRef),
    /// Global: a usage CSV replaced the imported usage.
    CsvImported {
        file_name: String,
        rows: usize,
        pairs: usize,
    },
    /// Global: a PSA company was removed (its mappings went with it).
    PsaCompanyRemoved {
        psa_account_id: String,
        name: String,
    },
}

/// What turned a pending integration active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    Count,
    Alert,
}

/// Who made a mapping: the partner by hand, or AUTO-MAP by exact name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingSource {
    Auto,
    Manual,
}

impl MappingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MappingSource::Auto => "auto",
            MappingSource::Manual => "manual",
        }
    }
}

/// Why a mapping went without the partner unmapping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnmapReason {
    PsaCompanyRemoved,
}

/// The service card an action was taken on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardRef {
    pub card_id: String,
    pub service: String,
    pub account: String,
}

/// What a disconnect deleted. Missing counts read as 0, so a row from an older shape still
/// reads as a disconnect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Deleted {
    pub accounts: usize,
    pub organization_services: usize,
    pub account_mappings: usize,
    pub service_mappings: usize,
    pub unit_counts: usize,
}

/// An event as a row stores it.
#[derive(Serialize, Deserialize)]
struct Stored {
    kind: String,
    detail: Value,
}

impl Event {
    /// The `kind` and `detail` columns of the event's row.
    pub fn to_stored(&self) -> (String, Value) {
        // Serializing a plain enum of strings, numbers and lists cannot fail.
        let stored: Stored = serde_json::to_value(self)
            .and_then(serde_json::from_value)
            .expect("an event serializes");
        (stored.kind, stored.detail)
    }

    /// The event a row stores; `None` for a kind this version does not know or a detail that
    /// does not fit it.
    pub fn from_stored(kind: &str, detail: &Value) -> Option<Event> {
        let stored = Stored {
            kind: kind.to_string(),
            detail: detail.clone(),
        };
        serde_json::to_value(stored)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
    }

    /// What tells events of one kind apart for the checklist: a status_set's status (only
    /// pending or active light Next) and whether OPEN VENDOR PORTAL had a URL to open.
    pub fn variant(&self) -> &'static str {
        match self {
            Event::StatusSet { status } => status.as_str(),
            Event::PortalOpened { url: Some(_) } => "url",
            Event::PortalOpened { url: None } => "no_url",
            _ => "",
        }
    }

    /// How many things the event brought (the ids of a bulk create).
    pub fn items(&self) -> i64 {
        match self {
            Event::AccountsCreated { ids } | Event::ServicesCreated { ids } => ids.len() as i64,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The rows written before the enum existed: (kind, detail) exactly as the string-typed
    /// writers stored them.
    fn legacy() -> Vec<(&'static str, Value)> {
        vec![
            ("connected", json!({"modules": ["alerts", "billing"]})),
            ("token_generated", json!({"regenerated": false, "keyHint": "abcd"})),
            ("portal_opened", json!({"url": null})),
            ("portal_opened", json!({"url": "https://vendor.example/g"})),
            ("portal_url_set", json!({"url": "https://vendor.example/g"})),
            ("authenticated", json!({})),
            ("status_set", json!({"status": "pending"})),
            ("status_auto_active", json!({"by": "count"})),
            ("status_auto_active", json!({"by": "alert"})),
            ("accounts_created", json!({"ids": ["a", "b"]})),
            ("services_created", json!({"ids": ["s"]})),
            (
                "service_created",
                json!({"serviceId": "s", "name": "EDR", "duplicateName": false}),
            ),
            (
                "account_mapped",
                json!({"accountId": "a", "name": "Acme", "psaAccountId": "c1", "psaAccountName": "Acme", "source": "auto"}),
            ),
            (
                "account_mapped",
                json!({"accountId": "a", "name": "Acme", "psaAccountId": "c1", "psaAccountName": null, "source": "manual"}),
            ),
            ("account_unmapped", json!({"accountId": "a"})),
            (
                "account_unmapped",
                json!({"accountId": "a", "reason": "psa_company_removed", "psaAccountId": "c1"}),
            ),
            (
                "service_mapped",
                json!({"serviceId": "s", "name": null, "psaProductIds": ["p"], "source": "auto"}),
            ),
            ("service_unmapped", json!({"serviceId": "s"})),
            (
                "service_unmapped",
                json!({"serviceId": "s", "name": "EDR", "psaProductIds": [], "source": "manual"}),
            ),
            ("step", json!({"step": "account_mapping"})),
            ("finished", json!({"accounts": 2, "services": 1})),
            (
                "disconnected",
                json!({"accounts": 2, "organizationServices": 0, "accountMappings": 1, "serviceMappings": 1, "unitCounts": 3}),
            ),
            ("alert_queued", json!({"messageId": "m"})),
            ("alert_failed", json!({"messageId": "m", "errors": ["no board"]})),
            ("alert_succeeded", json!({"messageId": "m", "ticketId": 7})),
            ("billing_rebuilt", json!({"cards": 5, "withUsage": 2})),
            (
                "card_approved",
                json!({"cardId": "k", "service": "EDR", "account": "Acme"}),
            ),
            (
                "card_adjusted",
                json!({"cardId": "k", "service": "EDR", "account": "Acme"}),
            ),
            (
                "card_dismissed",
                json!({"cardId": "k", "service": "EDR", "account": "Acme"}),
            ),
            ("csv_imported", json!({"fileName": "u.csv", "rows": 3, "pairs": 2})),
            ("psa_company_removed", json!({"psaAccountId": "c1", "name": "Acme"})),
        ]
    }

    #[test]
    fn every_stored_shape_reads_and_writes_back_byte_for_byte() {
        for (kind, detail) in legacy() {
            let event = Event::from_stored(kind, &detail).unwrap_or_else(|| panic!("{kind} {detail}"));
            let (k, d) = event.to_stored();
            assert_eq!(k, kind);
            assert_eq!(d.to_string(), detail.to_string(), "{kind}");
        }
    }

    #[test]
    fn older_details_still_read() {
        // Mappings were once recorded with no names.
        let old = json!({"accountId": "a", "psaAccountId": "c1", "source": "auto"});
        assert!(matches!(
            Event::from_stored("account_mapped", &old),
            Some(Event::AccountMapped { name: None, .. })
        ));
        assert_eq!(
            Event::from_stored("disconnected", &json!({})),
            Some(Event::Disconnected(Deleted::default()))
        );
        assert_eq!(Event::from_stored("no_such_kind", &json!({})), None);
        assert_eq!(Event::from_stored("connected", &json!({"modules": 3})), None);
    }

    #[test]
    fn variants_and_items() {
        let pending = Event::StatusSet {
            status: IntegrationStatus::Pending,
        };
        assert_eq!(pending.variant(), "pending");
        assert_eq!(Event::PortalOpened { url: None }.variant(), "no_url");
        assert_eq!(
            Event::AccountsCreated {
                ids: vec!["a".into(), "b".into()]
            }
            .items(),
            2
        );
        assert_eq!(Event::Authenticated {}.items(), 0);
    }
}
