//! The integration card's lifecycle rules: what the partner may do in which state, and why not.
//! Ready to Connect → (Connect) → setup (Connect to Vendor, Account Mapping, Service Mapping,
//! Review) → (Finish) → connected; Next lights up only for a pending or active status.

use super::catalog::{CardState, IntegrationStatus, SetupStep};

/// Where a card stands: its state and the vendor-set status.
#[derive(Debug, Clone, Copy)]
pub struct Card {
    pub state: CardState,
    pub status: Option<IntegrationStatus>,
}

/// The seeded integration's label while it holds the kickoff key, in the QA steps' words.
pub const KICKOFF_LABEL: &str = "Connected before QA: disconnect to start";

impl Card {
    /// One status per card, in production's words (Ready to Connect, Pending connection,
    /// Connected); a vendor-set `error` or `disabled` is said as such, whatever the step.
    pub fn label(self) -> &'static str {
        match (self.state, self.status) {
            (CardState::ReadyToConnect, _) => "Ready to Connect",
            (_, Some(IntegrationStatus::Error)) => "Connection error",
            (_, Some(IntegrationStatus::Disabled)) => "Disabled",
            (CardState::Setup, _) => "Pending connection",
            (CardState::Connected, _) => "Connected",
        }
    }

    /// The label of a card whose partner key may be the kickoff key Gradient hands the vendor
    /// with its seeded account: connected before QA began, so the QA steps' first step,
    /// "disconnect it", is what the partner does first.
    pub fn label_with_key(self, kickoff_key: bool) -> &'static str {
        match (self.state, self.status) {
            (_, Some(IntegrationStatus::Error | IntegrationStatus::Disabled)) => self.label(),
            (CardState::Setup, _) if kickoff_key => KICKOFF_LABEL,
            _ => self.label(),
        }
    }

    pub fn next_enabled(self) -> bool {
        self.state != CardState::ReadyToConnect && self.status.is_some_and(IntegrationStatus::lights_next)
    }

    fn status_text(self) -> &'static str {
        self.status.map(IntegrationStatus::as_str).unwrap_or("not set")
    }

    fn connected(self) -> Result<(), String> {
        if self.state == CardState::ReadyToConnect {
            return Err("Connect the integration first".into());
        }
        Ok(())
    }

    /// Generate API Token needs a connected card.
    pub fn may_generate_token(self) -> Result<(), String> {
        self.connected()
            .map_err(|_| "Connect the integration before generating an API token".into())
    }

    /// NEXT/BACK: going back is always allowed; going past the first step needs Next lit.
    pub fn may_enter(self, step: SetupStep) -> Result<(), String> {
        self.connected()?;
        if step > SetupStep::ConnectToVendor && !self.next_enabled() {
            return Err(format!(
                "Next is not lit: the integration status is {}. The vendor's code must set it to pending \
                 (PATCH /api/vendor-api/organization/status/pending) once the partner has authenticated",
                self.status_text()
            ));
        }
        Ok(())
    }

    /// Mapping opens with Next.
    pub fn may_map(self) -> Result<(), String> {
        self.connected()?;
        if !self.next_enabled() {
            return Err(format!(
                "Mapping opens after Next lights up: the integration status is {}, and must be pending or active",
                self.status_text()
            ));
        }
        Ok(())
    }

    /// Finish needs Next lit and at least one mapped account and one mapped service.
    pub fn may_finish(self, mapped_accounts: i64, mapped_services: i64) -> Result<(), String> {
        self.connected()?;
        if !self.next_enabled() {
            return Err(format!(
                "Finish needs the integration status to be pending or active; it is {}",
                self.status_text()
            ));
        }
        if mapped_accounts == 0 || mapped_services == 0 {
            return Err(format!(
                "Finish needs at least one mapped account and one mapped service; {mapped_accounts} account(s) and \
                 {mapped_services} service(s) are mapped"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(state: CardState, status: Option<IntegrationStatus>) -> Card {
        Card { state, status }
    }

    #[test]
    fn next_lights_for_pending_or_active_on_a_connected_card() {
        assert!(!card(CardState::Setup, Some(IntegrationStatus::Inactive)).next_enabled());
        assert!(!card(CardState::Setup, None).next_enabled());
        assert!(card(CardState::Setup, Some(IntegrationStatus::Pending)).next_enabled());
        assert!(card(CardState::Connected, Some(IntegrationStatus::Active)).next_enabled());
        assert!(!card(CardState::ReadyToConnect, Some(IntegrationStatus::Active)).next_enabled());
        assert!(!card(CardState::Setup, Some(IntegrationStatus::Error)).next_enabled());
    }

    #[test]
    fn labels_follow_synthesize() {
        assert_eq!(card(CardState::ReadyToConnect, None).label(), "Ready to Connect");
        assert_eq!(
            card(CardState::Setup, Some(IntegrationStatus::Pending)).label(),
            "Pending connection"
        );
        assert_eq!(
            card(CardState::Connected, Some(IntegrationStatus::Pending)).label(),
            "Connected"
        );
        assert_eq!(
            card(CardState::Connected, Some(IntegrationStatus::Active)).label(),
            "Connected"
        );
        let seeded = card(CardState::Setup, Some(IntegrationStatus::Inactive));
        assert_eq!(seeded.label_with_key(true), "Connected before QA: disconnect to start");
        assert_eq!(seeded.label_with_key(false), "Pending connection");
        let done = card(CardState::Connected, Some(IntegrationStatus::Active));
        assert_eq!(done.label_with_key(true), "Connected");
        // An error is said as an error, never as "Connected".
        for state in [CardState::Setup, CardState::Connected] {
            assert_eq!(
                card(state, Some(IntegrationStatus::Error)).label_with_key(true),
                "Connection error"
            );
            assert_eq!(card(state, Some(IntegrationStatus::Disabled)).label(), "Disabled");
        }
    }

    #[test]
    fn refusals_say_why() {
        let ready = card(CardState::ReadyToConnect, None);
        assert!(ready.may_generate_token().is_err());
        assert_eq!(
            ready.may_enter(SetupStep::ConnectToVendor).unwrap_err(),
            "Connect the integration first"
        );
        let inactive = card(CardState::Setup, Some(IntegrationStatus::Inactive));
        assert!(inactive.may_enter(SetupStep::ConnectToVendor).is_ok());
        assert!(inactive
            .may_enter(SetupStep::AccountMapping)
            .unwrap_err()
            .contains("it to pending"));
        assert!(inactive.may_map().unwrap_err().contains("is inactive"));
        let pending = card(CardState::Setup, Some(IntegrationStatus::Pending));
        assert!(pending
            .may_finish(1, 0)
            .unwrap_err()
            .contains("1 account(s) and 0 service(s)"));
        assert!(pending.may_finish(1, 1).is_ok());
        assert!(inactive.may_finish(1, 1).unwrap_err().contains("pending or active"));
    }
}
