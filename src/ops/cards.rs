//! The partner's actions on service cards: Approve, Adjust, Dismiss.

use super::billing::{cards_with_state, rebuild};
use crate::clock::Clock;
use crate::error::{ApiError, ApiResult};
use crate::store::{billing, events, psa};
use rusqlite::Connection;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardAction {
    Approve,
    Adjust,
    Dismiss,
}

impl CardAction {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "approve" => Some(CardAction::Approve),
            "adjust" => Some(CardAction::Adjust),
            "dismiss" => Some(CardAction::Dismiss),
            _ => None,
        }
    }

    fn past(self) -> &'static str {
        match self {
            CardAction::Approve => "approved",
            CardAction::Adjust => "adjusted",
            CardAction::Dismiss => "dismissed",
        }
    }
}

/// Applies one action to one open card of the current billing view. Approve and Adjust write
/// the quantity into the PSA line (ConnectWise applies approvals at once); an approved New
/// Revenue card adds a line to the account's first active agreement.
pub fn act(
    tx: &Connection,
    clock: &Clock,
    card_id: &str,
    action: CardAction,
    effective_date: Option<String>,
    quantity: Option<f64>,
) -> ApiResult<()> {
    let (cards, _) = cards_with_state(tx, clock)?;
    let view = cards
        .into_iter()
        .find(|v| v.card.id == card_id)
        .ok_or_else(|| ApiError::NotFound(format!("No service card found with id: {card_id}")))?;
    if view.state != "open" {
        return Err(ApiError::Conflict(format!(
            "This card was already {} for this billing period",
            view.state
        )));
    }
    let card = view.card;
    let now = clock.now_iso();
    let today = now[..10].to_string();
    if action != CardAction::Dismiss {
        let qty = quantity.or(card.vendor_quantity).ok_or_else(|| {
            ApiError::Conflict(
                "This card has no vendor quantity to approve: dismiss it, or adjust with a quantity".into(),
            )
        })?;
        if qty < 0.0 || !qty.is_finite() {
            return Err(ApiError::validation_one("quantity must not be less than 0"));
        }
        let effective = effective_date.clone().unwrap_or_else(|| today.clone());
        match &card.contract_line_id {
            Some(line) => {
                psa::set_line_quantity(tx, line, qty, &effective, &now)?;
            }
            None => {
                let agreement = psa::first_active_agreement(tx, &card.psa_account_id)?.ok_or_else(|| {
                    ApiError::Conflict(format!(
                        "{} has no active agreement to add this service to",
                        card.account_name
                    ))
                })?;
                psa::add_line(
                    tx,
                    clock.object_id().as_str(),
                    &agreement,
                    &card.product_id,
                    qty,
                    &effective,
                    &now,
                )?;
            }
        }
    }
    billing::record_action(
        tx,
        &billing::ActionRecord {
            card_id: &card.id,
            period: &clock.period(),
            action: action.past(),
            vendor_quantity: card.vendor_quantity,
            quantity,
            effective_date: effective_date.as_deref(),
        },
        &now,
    )?;
    events::record(
        tx,
        None,
        0,
        &format!("card_{}", action.past()),
        &now,
        &json!({"cardId": card.id, "service": card.service_name, "account": card.account_name}),
    )?;
    rebuild(tx, clock)
}
