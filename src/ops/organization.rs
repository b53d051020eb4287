//! The vendor's view of its integration: the status it sets.

use super::{Access, Outcome};
use crate::domain::catalog::IntegrationStatus;
use crate::domain::event::Event;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::integrations::IntegrationRow;
use crate::store::{events, integrations, psa};

/// `PATCH /organization/status/{status}`, the status already parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusPatch {
    pub status: IntegrationStatus,
}

/// Sets the status the vendor reports; answers the integration as it now stands and its
/// partner's name.
pub async fn set_status(
    state: &AppState,
    access: &impl Access,
    integration: &IntegrationRow,
    patch: StatusPatch,
) -> Outcome<(IntegrationRow, String)> {
    let (id, cycle) = (integration.id.clone(), integration.cycle);
    let clock = state.clock.clone();
    super::write(state, access, move |tx, _| {
        integrations::set_status(tx, &id, patch.status)?;
        let set = Event::StatusSet { status: patch.status };
        events::record(tx, Some(&id), cycle, &clock.now_iso(), &set)?;
        let integration = integrations::get(tx, &id)?.ok_or_else(|| ApiError::internal("integration vanished"))?;
        let partner = psa::partner(tx, &integration.partner_id)?
            .map(|p| p.name)
            .unwrap_or_default();
        Ok((integration, partner))
    })
    .await
}
