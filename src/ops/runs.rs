//! Sync runs: each count joins its partner's open run; the billing rebuild closes it with what
//! it changed on the billing page; a run of counts that no rebuild followed closes on its own
//! when the next count comes after the gap, flagged.

use crate::clock::{parse_time, Clock};
use crate::domain::billing::{action_still_hides, ServiceCard, ServiceCardState};
use crate::domain::runs::{self, Baseline, Mark, Seen};
use crate::error::{ApiError, ApiResult};
use crate::store::billing;
use crate::store::runs::{self as store, Closing, PairRow, RunRow};
use rusqlite::Connection;
use serde_json::{json, Value};
use std::collections::HashSet;

/// The open run a count or a refused count at `now` belongs to: the partner's open one, unless
/// the gap since its last count says it was a run of its own (closed here, unbuilt).
fn current_run(tx: &Connection, partner_id: &str, now: &str) -> ApiResult<i64> {
    if let Some(open) = store::open(tx, partner_id)? {
        let gap = runs::starts_new_run(
            parse_time(&open.last_at),
            parse_time(now).unwrap_or_else(chrono::Utc::now),
        );
        if !gap {
            return Ok(open.id);
        }
        close_unbuilt(tx, partner_id, &open)?;
    }
    Ok(store::start(tx, partner_id, now)?)
}

/// An accepted count, in its own transaction (its history row already written).
pub fn note_count(tx: &Connection, partner_id: &str, no_build: bool, now: &str) -> ApiResult<()> {
    let run = current_run(tx, partner_id, now)?;
    store::add_count(tx, run, no_build, now)?;
    Ok(())
}

/// A count refused for an unmapped pair, as the vendor named it.
#[derive(Debug, Clone)]
pub struct Refused {
    pub partner_id: String,
    pub integration_id: String,
    pub account_id: String,
    pub service_id: String,
    pub unit_count: f64,
}

/// A refused count, in a transaction of its own (the count's rolled back).
pub fn note_refused(tx: &Connection, r: &Refused, now: &str) -> ApiResult<()> {
    let run = current_run(tx, &r.partner_id, now)?;
    store::add_refused(
        tx,
        run,
        &r.integration_id,
        &r.account_id,
        &r.service_id,
        r.unit_count,
        now,
    )?;
    Ok(())
}

fn close_unbuilt(tx: &Connection, partner_id: &str, run: &RunRow) -> ApiResult<()> {
    let upto = store::last_history_id(tx)?;
    let counts = store::count_pairs(tx, partner_id, run.history_after, Some(upto))?;
    let closing = Closing {
        run_id: run.id,
        ended_at: &run.last_at,
        history_upto: upto,
        rebuilt: false,
        counts: &counts,
        cards: &[],
    };
    Ok(store::close(tx, partner_id, &closing)?)
}

/// The marks of a partner's cards as the billing page shows them (with this period's actions).
fn marks(tx: &Connection, clock: &Clock, partner_id: &str, cards: &[ServiceCard]) -> ApiResult<Baseline> {
    let actions = billing::actions(tx, partner_id, &clock.period())?;
    Ok(cards
        .iter()
        .map(|card| {
            let state = actions
                .get(&card.id)
                .filter(|a| action_still_hides(card, a.vendor_quantity))
                .map_or(ServiceCardState::Open, |a| a.action);
            (card.id.clone(), Seen::of(card, state))
        })
        .collect())
}

/// Inside a billing rebuild, before its cards are saved: closes the partner's open run with
/// what the rebuild changed against what the last run left. No open run, nothing to say.
pub fn close_by_rebuild(tx: &Connection, clock: &Clock, partner_id: &str, cards: &[ServiceCard]) -> ApiResult<()> {
    let Some(open) = store::open(tx, partner_id)? else {
        return Ok(());
    };
    let baseline = match store::load_baseline(tx, partner_id)? {
        Some(b) => b,
        // The first run: told against the view the rebuild replaces.
        None => marks(tx, clock, partner_id, &billing::load_view(tx, partner_id)?.0)?,
    };
    let now_marks = marks(tx, clock, partner_id, cards)?;
    let fed = store::counted_lines(tx, partner_id, open.history_after)?;
    let changes = runs::diff(&baseline, &now_marks, &fed);
    let upto = store::last_history_id(tx)?;
    let counts = store::count_pairs(tx, partner_id, open.history_after, Some(upto))?;
    let ended = clock.now_iso();
    store::close(
        tx,
        partner_id,
        &Closing {
            run_id: open.id,
            ended_at: &ended,
            history_upto: upto,
            rebuilt: true,
            counts: &counts,
            cards: &changes,
        },
    )?;
    store::save_baseline(tx, partner_id, &now_marks)?;
    Ok(())
}

/// Which of a run's pairs to show.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub offset: i64,
    pub limit: i64,
    /// Only pairs of this kind, as the answer names it (`card`, `count`, `notMapped`).
    pub kind: Option<&'static str>,
}

/// A pair kind as the answer names it, to the stored one.
pub fn parse_kind(s: &str) -> Option<&'static str> {
    ["card", "count", "notMapped"].into_iter().find(|k| *k == s)
}

fn stored_kind(kind: &str) -> &'static str {
    match kind {
        "notMapped" => "refused",
        "card" => "card",
        _ => "count",
    }
}

fn mark_json(m: &Option<Mark>) -> Value {
    match m {
        None => Value::Null,
        Some(m) => json!({
            "psaQuantity": m.psa, "vendorQuantity": m.vendor, "type": m.card_type, "state": m.state,
        }),
    }
}

fn pair_json(p: &PairRow) -> Value {
    match p.kind.as_str() {
        "card" => json!({
            "kind": "card", "cardId": p.card_id, "change": p.change, "counted": p.counted.unwrap_or(false),
            "psaAccountId": p.psa_account_id, "accountName": p.account_name, "productId": p.product_id,
            "serviceName": p.service_name, "old": mark_json(&p.old), "new": mark_json(&p.new),
        }),
        "refused" => json!({
            "kind": "notMapped", "integrationId": p.integration_id, "accountId": p.account_id,
            "serviceId": p.service_id, "counts": p.counts, "unitCount": p.unit_count,
        }),
        _ => json!({
            "kind": "count", "integrationId": p.integration_id, "accountId": p.account_id,
            "serviceId": p.service_id, "counts": p.counts, "unitCount": p.unit_count,
            "noBuild": p.no_build.unwrap_or(false),
        }),
    }
}

/// A run's pairs: stored once it closed; for the open run, its refusals so far and its counts
/// summed from the history as they stand.
fn run_pairs(c: &Connection, partner_id: &str, run: &RunRow, page: Paging) -> ApiResult<(Vec<Value>, i64)> {
    let kind = page.kind.map(stored_kind);
    if run.ended_at.is_some() {
        let pairs = store::pairs(c, run.id, kind, page.offset, page.limit)?;
        return Ok((
            pairs.iter().map(pair_json).collect(),
            store::pair_count(c, run.id, kind)?,
        ));
    }
    let mut all: Vec<Value> = store::pairs(c, run.id, None, 0, i64::MAX)?
        .iter()
        .map(pair_json)
        .collect();
    for p in store::count_pairs(c, partner_id, run.history_after, None)? {
        all.push(json!({
            "kind": "count", "integrationId": p.integration_id, "accountId": p.account_id,
            "serviceId": p.service_id, "counts": p.counts, "unitCount": p.unit_count, "noBuild": p.no_build,
        }));
    }
    all.retain(|p| page.kind.is_none_or(|k| p["kind"] == k));
    let total = all.len() as i64;
    let shown = all
        .into_iter()
        .skip(page.offset.max(0) as usize)
        .take(page.limit.max(0) as usize)
        .collect();
    Ok((shown, total))
}

fn run_json(run: &RunRow, pending: bool, pairs: Vec<Value>, total: i64) -> Value {
    let open = run.ended_at.is_none();
    // Counts that no rebuild picked up and none is coming for: not on the billing page.
    let flagged = !run.rebuilt && run.counts > 0 && !(open && pending);
    let flag = flagged.then_some({
        if run.no_build_counts > 0 {
            "counts sent with no_build=true that no billing rebuild followed"
        } else {
            "counts that no billing rebuild followed"
        }
    });
    json!({
        "id": run.id, "startedAt": run.started_at, "endedAt": run.ended_at, "lastCountAt": run.last_at,
        "open": open, "rebuildPending": open && pending,
        "counts": run.counts, "noBuildCounts": run.no_build_counts, "notMapped": run.not_mapped,
        "changed": run.changed, "stoppedReporting": run.stopped, "rebuilt": run.rebuilt,
        "flagged": flagged, "flag": flag, "pairsTotal": total, "pairs": pairs,
    })
}

/// `GET /sim/runs`: newest first, `limit` runs from before run `before`, each with its first
/// `pair_limit` pairs; `next` is the `before` of the following page.
pub fn list(
    c: &Connection,
    partner_id: &str,
    before: Option<i64>,
    limit: i64,
    pair_limit: i64,
    pending: bool,
) -> ApiResult<Value> {
    let rows = store::list(c, partner_id, before, limit + 1)?;
    let more = rows.len() as i64 > limit;
    let mut out = vec![];
    for run in rows.iter().take(limit as usize) {
        let (pairs, total) = run_pairs(
            c,
            partner_id,
            run,
            Paging {
                offset: 0,
                limit: pair_limit,
                kind: None,
            },
        )?;
        out.push(run_json(run, pending, pairs, total));
    }
    let next = more.then(|| rows.get(limit as usize - 1).map(|r| r.id)).flatten();
    Ok(json!({"runs": out, "next": next}))
}

/// `GET /sim/runs/{id}`: the run, a page of its pairs, and the ids of its cards by change (for
/// the billing page's filters).
pub fn get(c: &Connection, partner_id: &str, id: &str, page: Paging, pending: bool) -> ApiResult<Value> {
    let not_found = || ApiError::NotFound(format!("No sync run found with id: {id}"));
    let run_id: i64 = id.parse().map_err(|_| not_found())?;
    let run = store::get(c, partner_id, run_id)?.ok_or_else(not_found)?;
    let (pairs, total) = run_pairs(c, partner_id, &run, page)?;
    let mut v = run_json(&run, pending, pairs, total);
    let (mut changed, mut stopped, mut counted) = (vec![], vec![], vec![]);
    for (card, change, fed) in store::card_ids(c, run.id)? {
        match runs::Change::parse(&change) {
            Some(runs::Change::Stopped) => stopped.push(card.clone()),
            Some(runs::Change::New | runs::Change::Changed) => changed.push(card.clone()),
            _ => {}
        }
        if fed {
            counted.push(card);
        }
    }
    v["offset"] = json!(page.offset);
    v["limit"] = json!(page.limit);
    v["cardIds"] = json!({"changed": changed, "stoppedReporting": stopped, "counted": counted});
    Ok(v)
}

/// `GET /sim/billing/history`: some cards' PSA and vendor quantities at each of the partner's
/// last `last` rebuilt runs (oldest first); null where the card was not there.
pub fn card_history(c: &Connection, partner_id: &str, card_ids: &[String], last: i64) -> ApiResult<Value> {
    let mut window: Vec<RunRow> = vec![];
    let mut before = None;
    // Runs that no rebuild closed change no card: the window is of rebuilt runs.
    while (window.len() as i64) < last {
        let page = store::list(c, partner_id, before, 50)?;
        let Some(oldest) = page.last().map(|r| r.id) else { break };
        window.extend(page.into_iter().filter(|r| r.rebuilt));
        before = Some(oldest);
    }
    window.truncate(last as usize);
    window.reverse();
    let ids: Vec<i64> = window.iter().map(|r| r.id).collect();
    let baseline = store::load_baseline(c, partner_id)?.unwrap_or_default();
    let recorded = match ids.first() {
        Some(first) => store::card_marks(c, card_ids, *first)?,
        None => vec![],
    };
    let mut cards = serde_json::Map::new();
    let unique: HashSet<&String> = card_ids.iter().collect();
    for id in unique {
        let mine: Vec<runs::Recorded> = recorded
            .iter()
            .filter(|(card, ..)| card == id)
            .map(|(_, run, old, new)| (*run, *old, *new))
            .collect();
        let points = runs::history(&ids, &mine, baseline.get(id).map(|s| s.mark));
        let values: Vec<Value> = points
            .iter()
            .map(|p| {
                p.map_or(
                    Value::Null,
                    |m| json!({"psaQuantity": m.psa, "vendorQuantity": m.vendor}),
                )
            })
            .collect();
        cards.insert(id.clone(), Value::Array(values));
    }
    let runs_json: Vec<Value> = window
        .iter()
        .map(|r| json!({"id": r.id, "endedAt": r.ended_at, "counts": r.counts, "changed": r.changed, "stoppedReporting": r.stopped}))
        .collect();
    Ok(json!({"runs": runs_json, "cards": cards}))
}
