//! Synthesize's enums, exact and case-sensitive as production validates them.

use serde::{Deserialize, Serialize};

/// The integration status a vendor sets with `PATCH /organization/status/{status}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntegrationStatus {
    Active,
    Inactive,
    Pending,
    Disabled,
    Error,
}

impl IntegrationStatus {
    pub const ALL: [IntegrationStatus; 5] = [
        IntegrationStatus::Active,
        IntegrationStatus::Inactive,
        IntegrationStatus::Pending,
        IntegrationStatus::Disabled,
        IntegrationStatus::Error,
    ];

    /// The values the newest spec's `VendorIntegrationStatusEnum` holds (the SDK's
    /// `dynamicServices` branch deleted `disabled` and `error`): what the status PATCH accepts.
    pub const CURRENT: [IntegrationStatus; 3] = [
        IntegrationStatus::Active,
        IntegrationStatus::Inactive,
        IntegrationStatus::Pending,
    ];

    /// Any value ever documented: stored statuses (older snapshots) are read with this.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// A value the status PATCH accepts: the newest spec's, exact and case-sensitive.
    pub fn parse_current(s: &str) -> Option<Self> {
        Self::CURRENT.into_iter().find(|v| v.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IntegrationStatus::Active => "active",
            IntegrationStatus::Inactive => "inactive",
            IntegrationStatus::Pending => "pending",
            IntegrationStatus::Disabled => "disabled",
            IntegrationStatus::Error => "error",
        }
    }

    /// The values the newest spec names; `disabled` and `error` are only in older docs.
    pub fn current(self) -> bool {
        Self::CURRENT.contains(&self)
    }

    /// Next lights up in the partner console only for these.
    pub fn lights_next(self) -> bool {
        matches!(self, IntegrationStatus::Pending | IntegrationStatus::Active)
    }
}

/// Where the integration card stands, on the partner's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardState {
    ReadyToConnect,
    Setup,
    Connected,
}

impl CardState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "ready_to_connect" => Some(CardState::ReadyToConnect),
            "setup" => Some(CardState::Setup),
            "connected" => Some(CardState::Connected),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CardState::ReadyToConnect => "ready_to_connect",
            CardState::Setup => "setup",
            CardState::Connected => "connected",
        }
    }
}

/// What became of an alert a vendor queued: it waits its delay, then becomes a ticket or fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Pending,
    Success,
    Failed,
}

impl AlertState {
    pub const ALL: [AlertState; 3] = [AlertState::Pending, AlertState::Success, AlertState::Failed];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Success => "success",
            AlertState::Failed => "failed",
        }
    }
}

/// The four steps of the setup wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SetupStep {
    ConnectToVendor,
    AccountMapping,
    ServiceMapping,
    Review,
}

impl SetupStep {
    pub const ALL: [SetupStep; 4] = [
        SetupStep::ConnectToVendor,
        SetupStep::AccountMapping,
        SetupStep::ServiceMapping,
        SetupStep::Review,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SetupStep::ConnectToVendor => "connect_to_vendor",
            SetupStep::AccountMapping => "account_mapping",
            SetupStep::ServiceMapping => "service_mapping",
            SetupStep::Review => "review",
        }
    }
}

pub const MODULES: [&str; 2] = ["alerts", "billing"];

/// ServiceCategoryEnum.
pub const CATEGORIES: [&str; 7] = [
    "security",
    "backup",
    "productivity",
    "infrastructure",
    "service delivery",
    "consulting",
    "other",
];

/// ServiceSubCategoryEnum, with production's spellings ("priviledged", "centre").
pub const SUBCATEGORIES: [&str; 46] = [
    "endpoint detection and response (EDR)",
    "email security",
    "virtual private network services (VPN)",
    "DNS filtering",
    "dark web monitoring",
    "password management",
    "single sign on (SSO)",
    "priviledged access and identity management (PAM/PIM)",
    "security information and event management (SIEM)",
    "mobile device management (MDM)",
    "application security",
    "mobile application management (MAM)",
    "multi factor authentication (MFA)",
    "cloud backup",
    "local backup",
    "desktop backup",
    "data archiving",
    "physical offsite storage",
    "business continuity",
    "hosted email",
    "video conferencing",
    "voice over IP services (VOIP)",
    "line of business application support",
    "unified communications as a service (UCaaS)",
    "customer relationship management",
    "cloud storage",
    "website hosting",
    "hardware as a service (HaaS)",
    "managed print services",
    "virtual desktop infrastructure (VDI)",
    "virtual server hosting",
    "infrastructure as a service (IaaS)",
    "end user support",
    "server management and support",
    "network management and support",
    "printer management and support",
    "desktop management and support",
    "hosted security operations centre (SOC)",
    "software development",
    "penetration testing",
    "project services",
    "governance and compliance",
    "business intelligence services / analytics",
    "phishing simulation",
    "privacy and security awareness training",
    "other",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_is_case_sensitive() {
        assert_eq!(IntegrationStatus::parse("pending"), Some(IntegrationStatus::Pending));
        assert_eq!(IntegrationStatus::parse("Pending"), None);
        assert_eq!(IntegrationStatus::parse("ACTIVE"), None);
        assert!(IntegrationStatus::Active.lights_next());
        assert!(!IntegrationStatus::Inactive.lights_next());
    }

    #[test]
    fn enums_have_no_duplicates() {
        let mut subs = SUBCATEGORIES.to_vec();
        subs.sort();
        subs.dedup();
        assert_eq!(subs.len(), SUBCATEGORIES.len());
        assert!(SetupStep::AccountMapping < SetupStep::Review);
    }

    #[test]
    fn alert_states_read_back_as_written() {
        for s in AlertState::ALL {
            assert_eq!(AlertState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(AlertState::parse("Pending"), None);
    }
}
