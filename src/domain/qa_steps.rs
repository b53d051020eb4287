//! The steps of Gradient's "Steps to QA the Integration", and what proves each one from the
//! facts: its first fact in a cycle, with the time and evidence the checklist shows.

use super::event::Event;
use super::qa_facts::{Fact, QaFacts};
use crate::domain::catalog::IntegrationStatus;

/// The steps of Gradient's QA document. Every step is matched exhaustively below (what proves
/// it, its hint), so a new one cannot be added half-wired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QaStep {
    DisconnectedAtStart,
    Connect,
    TokenGenerated,
    PortalOpened,
    Authenticated,
    NextLit,
    AccountsSynced,
    AccountsMapped,
    ServicesSynced,
    ServicesMapped,
    Finished,
    SyncInitiated,
    UsageVisible,
    Disconnected,
}

impl QaStep {
    /// The steps of one round, in the order of the QA document.
    pub const ROUND: [QaStep; 12] = [
        QaStep::Connect,
        QaStep::TokenGenerated,
        QaStep::PortalOpened,
        QaStep::Authenticated,
        QaStep::NextLit,
        QaStep::AccountsSynced,
        QaStep::AccountsMapped,
        QaStep::ServicesSynced,
        QaStep::ServicesMapped,
        QaStep::Finished,
        QaStep::SyncInitiated,
        QaStep::UsageVisible,
    ];

    /// The step's key in the checklist (round 2 adds `_again`).
    pub fn key(self) -> &'static str {
        match self {
            QaStep::DisconnectedAtStart => "disconnected_at_start",
            QaStep::Connect => "connect",
            QaStep::TokenGenerated => "token_generated",
            QaStep::PortalOpened => "portal_opened",
            QaStep::Authenticated => "authenticated",
            QaStep::NextLit => "next_lit",
            QaStep::AccountsSynced => "accounts_synced",
            QaStep::AccountsMapped => "accounts_mapped",
            QaStep::ServicesSynced => "services_synced",
            QaStep::ServicesMapped => "services_mapped",
            QaStep::Finished => "finished",
            QaStep::SyncInitiated => "sync_initiated",
            QaStep::UsageVisible => "usage_visible",
            QaStep::Disconnected => "disconnected",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            QaStep::DisconnectedAtStart => "If the integration is connected, disconnect it",
            QaStep::Connect => "Click Connect on the integration",
            QaStep::TokenGenerated => "Generate API Token",
            QaStep::PortalOpened => "Open Vendor Portal",
            QaStep::Authenticated => "Authenticate the integration",
            QaStep::NextLit => "Confirm Next lights up (status pending)",
            QaStep::AccountsSynced => "Confirm accounts have synced in for mapping",
            QaStep::AccountsMapped => "Map the accounts created",
            QaStep::ServicesSynced => "Confirm services have synced in for mapping",
            QaStep::ServicesMapped => "Map the services created",
            QaStep::Finished => "Finish the integration setup",
            QaStep::SyncInitiated => "Within the vendor portal, initiate a sync",
            QaStep::UsageVisible => {
                "Refresh the Billing page: usage has synced in for the mapped accounts and services"
            }
            QaStep::Disconnected => "Disconnect the integration, to do it all again",
        }
    }
}

/// A step's proof: when it happened, and what shows it.
pub(super) struct Found {
    pub(super) at: String,
    pub(super) evidence: String,
}

impl Found {
    pub(super) fn new(fact: &Fact, evidence: impl Into<String>) -> Self {
        Found {
            at: fact.at.clone(),
            evidence: evidence.into(),
        }
    }
}

impl QaFacts {
    pub(super) fn step_found(&self, step: QaStep, cycle: i64) -> Option<Found> {
        match step {
            // Both are found by the rounds themselves.
            QaStep::DisconnectedAtStart | QaStep::Disconnected => None,
            QaStep::Connect => self
                .first(cycle, |e| match e {
                    Event::Connected { modules } => Some(modules),
                    _ => None,
                })
                .map(|(f, modules)| Found::new(f, format!("CONNECT pressed, modules: {}", modules.join(", ")))),
            QaStep::TokenGenerated => self
                .first(cycle, |e| match e {
                    Event::TokenGenerated { key_hint, .. } => Some(key_hint),
                    _ => None,
                })
                .map(|(f, hint)| Found::new(f, format!("partner API key …{hint} generated"))),
            // An open with the URL set counts over an earlier one that showed a blank page.
            QaStep::PortalOpened => self
                .first(cycle, |e| match e {
                    Event::PortalOpened { url: Some(url) } => Some(Some(url)),
                    _ => None,
                })
                .or_else(|| {
                    self.first(cycle, |e| match e {
                        Event::PortalOpened { url } => Some(url.as_ref()),
                        _ => None,
                    })
                })
                .map(|(f, url)| match url {
                    Some(u) => Found::new(f, format!("OPEN VENDOR PORTAL opened {u}")),
                    None => Found::new(
                        f,
                        "OPEN VENDOR PORTAL pressed, but no integrationPortalUrl was set (blank page)",
                    ),
                }),
            QaStep::Authenticated => self
                .first_that(cycle, |e| matches!(e, Event::Authenticated {}))
                .map(|f| Found::new(f, "first vendor API call accepted with the new partner key")),
            // A status the vendor set counts over the automatic turn to active.
            QaStep::NextLit => self
                .first(cycle, |e| match e {
                    Event::StatusSet { status } if status.lights_next() => Some(Some(*status)),
                    _ => None,
                })
                .or_else(|| {
                    self.first(cycle, |e| match e {
                        Event::StatusAutoActive { .. } => Some(None),
                        _ => None,
                    })
                })
                .map(|(f, status): (&Fact, Option<IntegrationStatus>)| match status {
                    Some(s) => {
                        let s = s.as_str();
                        Found::new(
                            f,
                            format!("vendor set the status to {s} (PATCH /organization/status/{s})"),
                        )
                    }
                    None => Found::new(f, "status turned active with the first accepted usage or alert"),
                }),
            QaStep::AccountsSynced => {
                let created = |e: &Event| matches!(e, Event::AccountsCreated { .. });
                self.first_that(cycle, created).map(|f| {
                    let n: i64 = self
                        .of_cycle(cycle)
                        .filter(|f| created(&f.event))
                        .map(|f| f.items)
                        .sum();
                    Found::new(f, format!("{n} account(s) created with POST /organization/accounts"))
                })
            }
            QaStep::AccountsMapped => self
                .first(cycle, |e| match e {
                    Event::AccountMapped {
                        account_id,
                        name,
                        psa_account_name,
                        source,
                        ..
                    } => Some((account_id, name, psa_account_name, *source)),
                    _ => None,
                })
                .map(|(f, (id, name, psa, source))| {
                    let source = source.as_str();
                    Found::new(
                        f,
                        match (name, psa) {
                            (Some(name), Some(psa)) => format!("account {name} ({id}) mapped to {psa} ({source})"),
                            _ => format!("account {id} mapped ({source})"),
                        },
                    )
                }),
            QaStep::ServicesSynced => {
                let created = self.first_that(cycle, |e| {
                    matches!(e, Event::ServiceCreated { .. } | Event::ServicesCreated { .. })
                });
                let mapped = || self.first_that(cycle, |e| matches!(e, Event::ServiceMapped { .. }));
                let available = || format!("{} vendor-level service(s) available for mapping", self.vendor_services);
                match created {
                    Some(f) => Some(Found::new(f, "service created by the vendor")),
                    // Vendor-level services survive a disconnect: they are there for mapping already.
                    None if self.vendor_services > 0 && mapped().is_some() => Some(Found::new(mapped()?, available())),
                    None if self.vendor_services > 0 && self.connected_now && cycle == self.current_cycle => {
                        let f = self.first_that(cycle, |e| matches!(e, Event::Connected { .. }))?;
                        Some(Found::new(f, available()))
                    }
                    None => None,
                }
            }
            QaStep::ServicesMapped => self
                .first(cycle, |e| match e {
                    Event::ServiceMapped {
                        service_id,
                        name,
                        psa_product_ids,
                        source,
                    } => Some((name.as_deref().unwrap_or(service_id), psa_product_ids.len(), *source)),
                    _ => None,
                })
                .map(|(f, (name, products, source))| {
                    Found::new(
                        f,
                        format!(
                            "service {name} mapped to {products} PSA product(s) ({})",
                            source.as_str()
                        ),
                    )
                }),
            QaStep::Finished => self
                .first_that(cycle, |e| matches!(e, Event::Finished { .. }))
                .map(|f| Found::new(f, "FINISH pressed")),
            QaStep::SyncInitiated => self.counts.get(&cycle).filter(|c| c.accepted > 0).and_then(|c| {
                Some(Found {
                    at: c.first_at.clone()?,
                    evidence: format!("{} count(s) accepted for mapped accounts and services", c.accepted),
                })
            }),
            QaStep::UsageVisible => {
                let counts = self.counts.get(&cycle)?;
                let first = counts.first_at.as_ref()?;
                self.facts.iter().find_map(|f| match f.event {
                    Event::BillingRebuilt { with_usage, .. } if f.global && f.at >= *first && with_usage > 0 => {
                        Some(Found::new(
                            f,
                            format!("billing view rebuilt with {with_usage} card(s) showing vendor usage"),
                        ))
                    }
                    _ => None,
                })
            }
        }
    }

    /// What a done step did that production would not accept as it is.
    pub(super) fn step_warning(&self, step: QaStep, cycle: i64) -> Option<String> {
        match step {
            QaStep::PortalOpened => {
                let mut opens = self
                    .of_cycle(cycle)
                    .filter_map(|f| match &f.event {
                        Event::PortalOpened { url } => Some(url),
                        _ => None,
                    })
                    .peekable();
                opens.peek()?;
                opens.all(Option::is_none).then(|| {
                    "No integrationPortalUrl was set, so the partner got a blank page: set it with \
                     PATCH /api/vendor-api (integrationPortalUrl), then press OPEN VENDOR PORTAL again."
                        .to_string()
                })
            }
            _ => None,
        }
    }
}
