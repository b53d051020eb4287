//! The partner's operations run without HTTP: straight on a store, inside the one transaction
//! each request gets, with the whole state compared around every refusal.

use super::integrations::{self as ops, IntegrationCard};
use super::mappings;
use crate::clock::{parse_time, Clock};
use crate::error::{ApiError, ApiResult};
use crate::store::seed::{self, Seed};
use crate::store::seeding;
use crate::store::{snapshot, Store};
use serde_json::Value;

fn seeded() -> (Store, Clock, String) {
    let store = Store::open(":memory:").unwrap();
    let clock = Clock::from_settings(parse_time("2027-01-15T12:00:00.000Z"), Some(7));
    let seed = Seed::parse(seed::DEFAULT_SEED).unwrap();
    let kickoff = seed.demo_keys().integration_id;
    store
        .write(|tx| -> ApiResult<()> { Ok(seeding::apply(tx, &seed, &clock.now_iso())?) })
        .unwrap();
    (store, clock, kickoff)
}

fn state(store: &Store) -> Value {
    store.read(|c| snapshot::dump(c).unwrap())
}

/// Runs a write that must be refused; answers the refusal after checking it changed nothing.
fn refused<T: std::fmt::Debug>(store: &Store, f: impl FnOnce(&rusqlite::Transaction) -> ApiResult<T>) -> ApiError {
    let before = state(store);
    let err = store.write(f).unwrap_err();
    assert_eq!(state(store), before, "a refused write ({err}) left the store as it was");
    err
}

fn not_found(err: ApiError) -> String {
    match err {
        ApiError::NotFound(m) => m,
        other => panic!("expected a 404, got {other:?}"),
    }
}

#[test]
fn every_operation_on_an_unknown_integration_answers_the_same_404_and_writes_nothing() {
    let (store, clock, _) = seeded();
    let c = &clock;
    let expected = "No integration found with id: nope";
    let answers = [
        not_found(refused(&store, |tx| ops::card_of(tx, "nope"))),
        not_found(refused(&store, |tx| ops::connect(tx, c, "nope", None))),
        not_found(refused(&store, |tx| ops::generate_token(tx, c, "nope"))),
        not_found(refused(&store, |tx| ops::open_vendor_portal(tx, c, "nope"))),
        not_found(refused(&store, |tx| {
            mappings::enter_step(tx, c, "nope", crate::domain::catalog::SetupStep::Review)
        })),
        not_found(refused(&store, |tx| mappings::auto_map(tx, c, "nope"))),
        not_found(refused(&store, |tx| mappings::mappings_view(tx, "nope", true))),
        not_found(refused(&store, |tx| mappings::map_account(tx, c, "nope", "a", "b"))),
        not_found(refused(&store, |tx| mappings::unmap_account(tx, c, "nope", "a"))),
        not_found(refused(&store, |tx| mappings::map_service(tx, c, "nope", "s", &[]))),
        not_found(refused(&store, |tx| mappings::unmap_service(tx, c, "nope", "s"))),
        not_found(refused(&store, |tx| ops::finish(tx, c, "nope"))),
        not_found(refused(&store, |tx| ops::disconnect(tx, c, "nope"))),
        not_found(refused(&store, |tx| ops::set_alert_board(tx, "nope", None))),
    ];
    for answer in answers {
        assert_eq!(answer, expected);
    }
}

#[test]
fn the_wizard_runs_on_the_store_alone_and_each_refusal_rolls_back() {
    let (store, clock, id) = seeded();
    let c = &clock;
    let gone = store.write(|tx| ops::disconnect(tx, c, &id)).unwrap();
    assert_eq!(gone.integration.state, "ready_to_connect");
    assert!(gone.integration.modules.is_empty());

    let err = refused(&store, |tx| ops::generate_token(tx, c, &id));
    assert!(matches!(err, ApiError::Conflict(ref m) if m.contains("Connect the integration")));
    let err = refused(&store, |tx| ops::connect(tx, c, &id, Some(vec!["tickets".into()])));
    assert!(matches!(err, ApiError::Validation(ref m) if m[0].starts_with("modules must be among")));

    let card: IntegrationCard = store
        .write(|tx| ops::connect(tx, c, &id, Some(vec!["billing".into()])))
        .unwrap();
    assert_eq!(
        (card.state, card.modules.clone()),
        ("setup", vec!["billing".to_string()])
    );
    assert_eq!(card.cycle, gone.integration.cycle + 1, "a new cycle starts at connect");
    // Connecting a connected card answers it as it is.
    let again = store.write(|tx| ops::connect(tx, c, &id, None)).unwrap();
    assert_eq!(again.modules, card.modules);

    let keys = store.write(|tx| ops::generate_token(tx, c, &id)).unwrap();
    assert_eq!(
        store
            .read(|r| ops::card_of(r, &id))
            .unwrap()
            .partner_key_hint
            .as_deref(),
        Some(&keys.partner_api_key[keys.partner_api_key.len() - 4..])
    );
    // Mapping waits for the vendor to set the status: nothing lights Next yet.
    let err = refused(&store, |tx| mappings::auto_map(tx, c, &id));
    assert!(matches!(err, ApiError::Conflict(ref m) if m.starts_with("Mapping opens after Next")));
    let err = refused(&store, |tx| ops::finish(tx, c, &id));
    assert!(matches!(err, ApiError::Conflict(_)));
    // No portal URL yet: the press is still recorded (the QA checklist sees it), and the
    // outer result commits while the inner one carries the 404.
    let before = state(&store);
    let inner = store.write(|tx| ops::open_vendor_portal(tx, c, &id)).unwrap();
    assert!(matches!(inner, Err(ApiError::NotFound(ref m)) if m.contains("integration portal URL")));
    assert_ne!(state(&store), before, "the press was recorded");
    let err = refused(&store, |tx| ops::set_alert_board(tx, &id, Some("no-board")));
    assert_eq!(not_found(err), "No PSA board found with id: no-board");
}
