//! The partner's actions on service cards: Approve, Adjust, Dismiss.

use super::billing::{cards_with_state, rebuild, CardView};
use crate::clock::Clock;
use crate::domain::billing::ServiceCardState;
use crate::domain::event::{CardRef, Event};
use crate::domain::psa::PsaKind;
use crate::error::{ApiError, ApiResult};
use crate::store::{billing, events, psa};
use rusqlite::Connection;
use std::collections::HashMap;

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

    /// The event of this action on one card.
    fn event(self, card: CardRef) -> Event {
        match self {
            CardAction::Approve => Event::CardApproved(card),
            CardAction::Adjust => Event::CardAdjusted(card),
            CardAction::Dismiss => Event::CardDismissed(card),
        }
    }

    /// The state a card is left in by this action.
    fn past(self) -> ServiceCardState {
        match self {
            CardAction::Approve => ServiceCardState::Approved,
            CardAction::Adjust => ServiceCardState::Adjusted,
            CardAction::Dismiss => ServiceCardState::Dismissed,
        }
    }
}

/// Applies one action to one open card of the current billing view. Approve and Adjust write
/// the quantity into the PSA line, effective as the partner's PSA applies changes (ConnectWise
/// at once, Autotask and HaloPSA from the 1st of next month; Autotask rounds decimals); an
/// approved New Revenue card adds a line to the agreement the partner picked, by default the
/// account's first active one.
/// Answers the quantity written and its effective date (none for Dismiss).
#[allow(clippy::too_many_arguments)]
pub fn act(
    tx: &Connection,
    clock: &Clock,
    partner_id: &str,
    card_id: &str,
    action: CardAction,
    effective_date: Option<String>,
    quantity: Option<f64>,
    agreement_id: Option<String>,
) -> ApiResult<Option<(f64, String)>> {
    let (cards, _) = cards_with_state(tx, clock, partner_id)?;
    let view = cards
        .into_iter()
        .find(|v| v.card.id == card_id)
        .ok_or_else(|| not_found(card_id))?;
    let kind = psa_kind(tx, partner_id)?;
    let written = act_on(
        tx,
        clock,
        partner_id,
        kind,
        view,
        action,
        effective_date,
        quantity,
        agreement_id,
    )?;
    rebuild(tx, clock, partner_id)?;
    Ok(written)
}

fn not_found(card_id: &str) -> ApiError {
    ApiError::NotFound(format!("No service card found with id: {card_id}"))
}

fn already(state: ServiceCardState) -> ApiError {
    ApiError::Conflict(format!(
        "This card was already {} for this billing period",
        state.as_str()
    ))
}

fn psa_kind(tx: &Connection, partner_id: &str) -> ApiResult<PsaKind> {
    Ok(PsaKind::of(
        &psa::partner(tx, partner_id)?.map(|p| p.psa).unwrap_or_default(),
    ))
}

/// `act` on a card of a view already read, without the rebuild that follows.
#[allow(clippy::too_many_arguments)]
fn act_on(
    tx: &Connection,
    clock: &Clock,
    partner_id: &str,
    kind: PsaKind,
    view: CardView,
    action: CardAction,
    effective_date: Option<String>,
    quantity: Option<f64>,
    agreement_id: Option<String>,
) -> ApiResult<Option<(f64, String)>> {
    if view.state != ServiceCardState::Open {
        return Err(already(view.state));
    }
    let card = view.card;
    if agreement_id.is_some() && (card.contract_line_id.is_some() || action == CardAction::Dismiss) {
        return Err(ApiError::validation_one(
            "agreementId applies only to approving or adjusting a New Revenue card",
        ));
    }
    let now = clock.now_iso();
    if let Some(date) = &effective_date {
        let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
            .map_err(|_| ApiError::validation_one("effectiveDate must be a date as YYYY-MM-DD"))?;
        kind.check_date(d).map_err(ApiError::validation_one)?;
    }
    let mut written = None;
    // The line an approved New Revenue card adds: its own card must not come back this month
    // as an open No Change card.
    let mut added_line = None;
    if action != CardAction::Dismiss {
        let qty = quantity.or(card.vendor_quantity).ok_or_else(|| {
            ApiError::Conflict(
                "This card has no vendor quantity to approve: dismiss it, or adjust with a quantity".into(),
            )
        })?;
        if qty < 0.0 || !qty.is_finite() {
            return Err(ApiError::validation_one("quantity must not be less than 0"));
        }
        let qty = kind.write_back(qty);
        let effective = effective_date
            .clone()
            .unwrap_or_else(|| kind.approval_date(clock.now().date_naive()).to_string());
        match &card.contract_line_id {
            Some(line) => {
                psa::set_line_quantity(tx, partner_id, line, qty, &effective, &now)?;
            }
            None => {
                let agreements = psa::active_agreements(tx, &card.psa_account_id)?;
                let agreement = match &agreement_id {
                    Some(id) => agreements.iter().find(|(a, _)| a == id).ok_or_else(|| {
                        ApiError::validation_one(format!(
                            "agreementId must be an active agreement of {}",
                            card.account_name
                        ))
                    })?,
                    None => agreements.first().ok_or_else(|| {
                        ApiError::Conflict(format!(
                            "{} has no active agreement to add this service to",
                            card.account_name
                        ))
                    })?,
                };
                let line = clock.object_id().into_string();
                psa::add_line(
                    tx,
                    partner_id,
                    &line,
                    &agreement.0,
                    &card.product_id,
                    qty,
                    &effective,
                    &now,
                )?;
                added_line = Some(line);
            }
        }
        written = Some((qty, effective));
    }
    for card_id in std::iter::once(&card.id).chain(added_line.as_ref()) {
        billing::record_action(
            tx,
            &billing::ActionRecord {
                partner_id,
                card_id,
                period: &clock.period(),
                action: action.past(),
                vendor_quantity: card.vendor_quantity,
                quantity,
                effective_date: written.as_ref().map(|w| w.1.as_str()),
            },
            &now,
        )?;
    }
    events::record_for_partner(
        tx,
        partner_id,
        &now,
        &action.event(CardRef {
            card_id: card.id.clone(),
            service: card.service_name.clone(),
            account: card.account_name.clone(),
        }),
    )?;
    Ok(written)
}

/// One action on each of the selected cards, all or nothing (the caller's one transaction),
/// with one read of the view and one rebuild after the last card, instead of both per card:
/// each card is acted on as the page showed it. The end state is the one-by-one end state,
/// since an action changes only its own card (its line's quantity, or the line it adds), and
/// a card named twice is refused as it would be the second time: already actioned, or, for
/// an approved New Revenue card, gone (its new line is a card of its own).
pub fn act_on_all(
    tx: &Connection,
    clock: &Clock,
    partner_id: &str,
    card_ids: &[String],
    action: CardAction,
    effective_date: Option<String>,
) -> ApiResult<()> {
    let (cards, _) = cards_with_state(tx, clock, partner_id)?;
    let mut open: HashMap<String, CardView> = cards.into_iter().map(|v| (v.card.id.clone(), v)).collect();
    let mut acted: HashMap<&str, bool> = HashMap::new();
    let kind = psa_kind(tx, partner_id)?;
    for id in card_ids {
        let Some(view) = open.remove(id) else {
            return Err(match acted.get(id.as_str()) {
                Some(false) => already(action.past()),
                _ => not_found(id),
            });
        };
        let replaced = view.card.contract_line_id.is_none() && action != CardAction::Dismiss;
        act_on(
            tx,
            clock,
            partner_id,
            kind,
            view,
            action,
            effective_date.clone(),
            None,
            None,
        )?;
        acted.insert(id, replaced);
    }
    rebuild(tx, clock, partner_id)?;
    Ok(())
}
