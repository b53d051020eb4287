//! A month in the life of the MSP, on the seed partner's own clock: the vendor's nightly syncs,
//! and between them what a partner's PSA does in a month (a new customer, a renamed one, one
//! that stops being a customer), then the month-end reconciliation with approvals effective on
//! the 1st, and the next month's first night, when the cards the vendor did not refresh drop
//! off. Each event is a named step at the partner's time; the global clock does not move. A
//! change made in the PSA reaches Synthesize at the PSA's next nightly sync (01:00), a step of
//! its own, before the vendor's push (02:00).

use super::{cards_by_type, failed, set_up, Outcome, Plan, Scenario, SetUp, StepDone, EDR, EMAIL};
use crate::clock::Clock;
use crate::demo_vendor::{self, Account, DataSet, Usage};
use crate::domain::psa::first_of_next_month;
use crate::error::{ApiError, ApiResult};
use crate::ops::control::{self, ClockMove};
use crate::scenario_gate::Run;
use crate::state::AppState;
use crate::store::seed::Seed;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

pub const SCENARIO: Scenario = Scenario {
    name: "month-in-the-life",
    title: "A month in the life",
    description: "The partner's month on its own clock: nightly syncs, a new PSA customer, a renamed one that no longer auto-maps, \
                  one that stops being a customer, cards not refreshed this month, and the month-end reconciliation with approvals \
                  effective on the 1st.",
    shows: &["no_change"],
    steps: &[
        "setup",
        "nightly-sync",
        "new-psa-company",
        "psa-sync",
        "nightly-sync",
        "company-renamed",
        "psa-sync",
        "nightly-sync",
        "customer-lost",
        "psa-sync",
        "nightly-sync",
        "not-refreshed-this-month",
        "month-end-reconciliation",
        "new-month",
    ],
};

/// The new customer the PSA gains, the one it renames (and its new name), the one it loses,
/// and the one whose vendor service lapses (its cards are not refreshed after the 1st).
pub const NEW_COMPANY: &str = "Nightingale Veterinary";
pub const RENAMED: (&str, &str) = ("Harbor View Realty", "Harbor View Realty Group");
pub const LOST: &str = "Ironclad Construction";
pub const LAPSED: &str = "Delta Logistics Inc.";

// Pelican's customers at the start: (vendor id, vendor name, PSA name, EDR count).
const START: [(&str, &str, &str, f64); 6] = [
    ("pel-acme", "Acme Corp", "Acme Corp", 45.0),
    ("pel-bluebird", "Bluebird Dental Group", "Bluebird Dental Group", 20.0),
    ("pel-cedar", "Cedar Ridge Law LLP", "Cedar Ridge Law, LLP", 29.0),
    ("pel-delta", "Delta Logistics", LAPSED, 69.0),
    ("pel-ironclad", "Ironclad Construction", LOST, 36.0),
    (
        "pel-juniper",
        "Juniper Family Practice",
        "Juniper Family Practice",
        16.0,
    ),
];

fn plan(current: &Seed) -> Plan {
    let accounts: Vec<Account> = START
        .iter()
        .map(|(id, name, _, _)| Account {
            id: id.to_string(),
            name: name.to_string(),
        })
        .collect();
    Plan {
        clock: Some(start_clock),
        seed: current.clone(),
        data: DataSet {
            services: super::pelican_services(),
            accounts,
            usage: vec![],
        },
        accounts: START
            .iter()
            .map(|(id, _, psa, _)| (id.to_string(), psa.to_string()))
            .collect(),
        services: vec![
            (EDR.to_string(), vec!["SEC-EDR".to_string()]),
            (EMAIL.to_string(), vec!["SEC-EMAIL".to_string()]),
        ],
    }
}

/// The 25th of the global clock's month, 09:00: the setup lands late in one month, so the
/// month that follows is the partner's first whole one.
fn start_of(now: DateTime<Utc>) -> DateTime<Utc> {
    let d = NaiveDate::from_ymd_opt(now.year(), now.month(), 25).expect("every month has a 25th");
    d.and_hms_opt(9, 0, 0).expect("09:00 exists").and_utc()
}

/// Gives the seed partner a clock of its own, frozen at the scenario's start.
fn start_clock(state: &AppState, partner_id: &str) {
    let start = start_of(state.ops.clock.now());
    let own = state.ops.clocks.own_or_new(partner_id);
    control::move_clock(
        &own,
        ClockMove {
            freeze: Some(true),
            set: Some(start),
            advance_ms: None,
        },
    );
}

fn at(clock: &Clock, t: DateTime<Utc>) -> String {
    control::move_clock(
        clock,
        ClockMove {
            freeze: Some(true),
            set: Some(t),
            advance_ms: None,
        },
    );
    clock.now_iso()
}

fn usage(list: &[(&str, &str, f64)]) -> Vec<Usage> {
    list.iter()
        .map(|(account, service, units)| Usage {
            account: account.to_string(),
            service: service.to_string(),
            units: *units,
        })
        .collect()
}

pub async fn play(
    state: &AppState,
    scenario: &Scenario,
    run: &Run,
    current: Seed,
    started: Instant,
) -> ApiResult<Outcome> {
    let agreement = current
        .companies
        .first()
        .and_then(|c| c.agreements.first())
        .map(|a| a.name.clone())
        .unwrap_or_else(|| "Managed Services Agreement".into());
    let partner_id = crate::store::seed::partner_id(&current);
    let su = set_up(state, run, plan(&current)).await?;
    let clock: Arc<Clock> = state.ops.clock_of(&partner_id);
    let start = clock.now();
    let month = first_of_next_month(start.date_naive());
    let day = |d: u32, h: u32| -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(month.year(), month.month(), d)
            .expect("a day of the month")
            .and_hms_opt(h, 0, 0)
            .expect("an hour")
            .and_utc()
    };
    let last_day = first_of_next_month(month) - Duration::days(1);
    let mut steps = vec![StepDone {
        name: "setup",
        at: clock.now_iso(),
        detail: format!(
            "Pelican connected, sent {} accounts and its services; the partner mapped them and finished",
            su.plan.data.accounts.len()
        ),
    }];
    let mut tally = Tally::default();

    // The first night: every customer counted.
    let t = at(&clock, start + Duration::hours(17));
    let first: Vec<(&str, &str, f64)> = START
        .iter()
        .map(|(id, _, _, n)| (*id, EDR, *n))
        .chain([("pel-acme", EMAIL, 40.0)])
        .collect();
    tally.night(
        &mut steps,
        t,
        push(state, &su, &partner_id, &clock, usage(&first)).await?,
        "Pelican's nightly push",
    );

    // The 3rd: the PSA gains a customer, and Pelican sells to it under the same name the same
    // day. Synthesize has not seen the company yet (its PSA syncs nightly): nothing maps.
    let t = at(&clock, day(3, 10));
    sync_accounts(&su, "pel-nightingale", NEW_COMPANY).await?;
    let mapped = su.partner.post("/auto-map", json!({})).await?;
    steps.push(StepDone {
        name: "new-psa-company",
        at: t,
        detail: format!(
            "{NEW_COMPANY} joins the PSA (a {agreement} with Managed EDR for 14 endpoints) and Pelican; Synthesize has not seen it yet, so the exact-name auto-map maps {} account(s)",
            mapped["accounts"]
        ),
    });
    let t = at(&clock, day(4, 1));
    psa_change(state, run, &partner_id, PsaChange::Add { agreement: &agreement }).await?;
    let mapped = su.partner.post("/auto-map", json!({})).await?;
    steps.push(StepDone {
        name: "psa-sync",
        at: t,
        detail: format!(
            "The PSA's nightly sync brings {NEW_COMPANY} to Synthesize; the partner's exact-name auto-map then maps {} account(s)",
            mapped["accounts"]
        ),
    });
    // Pelican no longer sells to Delta this month: its cards are not refreshed.
    let month_usage = |extra: &[(&'static str, f64)]| -> Vec<Usage> {
        let mut list: Vec<(&str, &str, f64)> = vec![
            ("pel-acme", EDR, 47.0),
            ("pel-acme", EMAIL, 40.0),
            ("pel-bluebird", EDR, 20.0),
            ("pel-cedar", EDR, 31.0),
            ("pel-juniper", EDR, 16.0),
            ("pel-ironclad", EDR, 36.0),
            ("pel-nightingale", EDR, 15.0),
        ];
        list.extend(extra.iter().map(|(a, n)| (*a, EDR, *n)));
        usage(&list)
    };
    let t = at(&clock, day(4, 2));
    tally.night(
        &mut steps,
        t,
        push(state, &su, &partner_id, &clock, month_usage(&[])).await?,
        "Pelican's nightly push (no longer Delta)",
    );

    // The 12th: the PSA renames a company, and Pelican adds an account under its old name. At
    // the PSA's next sync Synthesize has the new name, which the exact-name auto-map no longer
    // matches: the account stays unmapped and its counts are refused.
    let t = at(&clock, day(12, 10));
    sync_accounts(&su, "pel-harbor", RENAMED.0).await?;
    steps.push(StepDone {
        name: "company-renamed",
        at: t,
        detail: format!(
            "The PSA renames {:?} to {:?}; Pelican adds an account under the old name",
            RENAMED.0, RENAMED.1
        ),
    });
    let t = at(&clock, day(13, 1));
    psa_change(state, run, &partner_id, PsaChange::Rename).await?;
    let mapped = su.partner.post("/auto-map", json!({})).await?;
    steps.push(StepDone {
        name: "psa-sync",
        at: t,
        detail: format!(
            "The PSA's nightly sync brings the new name {:?}; the exact-name auto-map maps {} account(s), so {:?} stays unmapped",
            RENAMED.1, mapped["accounts"], RENAMED.0
        ),
    });
    let t = at(&clock, day(13, 2));
    tally.night(
        &mut steps,
        t,
        push(state, &su, &partner_id, &clock, month_usage(&[("pel-harbor", 9.0)])).await?,
        "Pelican's nightly push",
    );

    // The 20th: a customer leaves the MSP. The PSA drops it; at its next sync the company's
    // cards go and its account is unmapped.
    let t = at(&clock, day(20, 10));
    steps.push(StepDone {
        name: "customer-lost",
        at: t,
        detail: format!("{LOST} stops being a customer: the PSA no longer lists it"),
    });
    let t = at(&clock, day(21, 1));
    let removed = psa_change(state, run, &partner_id, PsaChange::Lose).await?;
    steps.push(StepDone {
        name: "psa-sync",
        at: t,
        detail: format!("The PSA's nightly sync drops {LOST}: {removed}"),
    });
    let t = at(&clock, day(21, 2));
    tally.night(
        &mut steps,
        t,
        push(state, &su, &partner_id, &clock, month_usage(&[("pel-harbor", 9.0)])).await?,
        "Pelican's nightly push",
    );

    // Month end: the partner reloads, finds the cards not refreshed this month, and approves
    // the rest with the 1st of next month as their effective date.
    let t = at(&clock, last_day.and_hms_opt(17, 0, 0).expect("17:00").and_utc());
    let billing = su.partner.sim("POST", "/billing/rebuild", json!({})).await?;
    let stale = not_refreshed(state, &su.partner.integration, month).await?;
    steps.push(StepDone {
        name: "not-refreshed-this-month",
        at: t.clone(),
        detail: if stale.is_empty() {
            "every count was refreshed this month".into()
        } else {
            format!("not refreshed since last month: {}", stale.join("; "))
        },
    });
    let effective = first_of_next_month(last_day).to_string();
    let open: Vec<Value> = billing["cards"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["type"] == "reconcile" || c["type"] == "new_revenue")
        .map(|c| c["id"].clone())
        .collect();
    let approved = open.len();
    if approved > 0 {
        su.partner
            .sim(
                "POST",
                "/billing/bulk",
                json!({"action": "approve", "cardIds": open, "effectiveDate": effective}),
            )
            .await?;
    }
    steps.push(StepDone {
        name: "month-end-reconciliation",
        at: t,
        detail: format!("{approved} card(s) approved, effective {effective}"),
    });

    // The 1st: the first night of the new month. The counts not refreshed last month drop off
    // the cards at the rebuild that follows it (their vendor number turns to "-").
    let t = at(
        &clock,
        first_of_next_month(last_day)
            .and_hms_opt(2, 0, 0)
            .expect("02:00")
            .and_utc(),
    );
    let report = push(state, &su, &partner_id, &clock, month_usage(&[("pel-harbor", 9.0)])).await?;
    let told = tally.add(report);
    let runs = su.partner.sim("GET", "/runs?limit=1", Value::Null).await?;
    let dropped: Vec<String> = runs["runs"][0]["pairs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["change"] == "stopped")
        .map(|p| {
            format!(
                "{} × {}",
                p["accountName"].as_str().unwrap_or(""),
                p["serviceName"].as_str().unwrap_or("")
            )
        })
        .collect();
    steps.push(StepDone {
        name: "new-month",
        at: t,
        detail: format!(
            "Pelican's first push of the month: {told}; no longer shown, as not refreshed last month: {}",
            if dropped.is_empty() {
                "none".to_string()
            } else {
                dropped.join("; ")
            }
        ),
    });
    let billing = su.partner.sim("GET", "/billing", Value::Null).await?;
    Ok(Outcome {
        scenario: scenario.name,
        title: scenario.title,
        accounts: su.plan.data.accounts.len() + 2,
        counts_accepted: tally.accepted,
        not_mapped: tally.not_mapped,
        retries: su.vendor.retries(),
        cards: cards_by_type(&billing),
        steps,
        duration_ms: started.elapsed().as_millis(),
    })
}

/// What the nightly pushes did, all told.
#[derive(Default)]
struct Tally {
    accepted: usize,
    not_mapped: Vec<String>,
}

impl Tally {
    /// Adds one push to the tally; answers "N counts accepted, N refused as not mapped".
    fn add(&mut self, report: demo_vendor::UsageReport) -> String {
        self.accepted += report.accepted;
        let refused = report.not_mapped.len();
        self.not_mapped.extend(report.not_mapped);
        format!("{} counts accepted, {refused} refused as not mapped", report.accepted)
    }

    fn night(&mut self, steps: &mut Vec<StepDone>, at: String, report: demo_vendor::UsageReport, what: &str) {
        let told = self.add(report);
        steps.push(StepDone {
            name: "nightly-sync",
            at,
            detail: format!("{what}: {told}"),
        });
    }
}

/// Pelican starts selling to one more customer: one account sent.
async fn sync_accounts(su: &SetUp, id: &str, name: &str) -> ApiResult<()> {
    demo_vendor::sync_accounts(
        &su.vendor,
        &[Account {
            id: id.into(),
            name: name.into(),
        }],
    )
    .await
    .map(|_| ())
    .map_err(failed)
}

/// The vendor's nightly push: every count, then the billing rebuild the last one asks for,
/// once the quiet time has passed on the partner's clock, so that the night's sync run ends
/// that night rather than at the next step's time.
async fn push(
    state: &AppState,
    su: &SetUp,
    partner_id: &str,
    clock: &Clock,
    list: Vec<Usage>,
) -> ApiResult<demo_vendor::UsageReport> {
    let report = demo_vendor::sync_usage(&su.vendor, &su.ids, &list)
        .await
        .map_err(failed)?;
    let quiet = i64::try_from(state.config.rebuild_debounce_ms).unwrap_or(i64::MAX);
    control::move_clock(
        clock,
        ClockMove {
            freeze: Some(true),
            set: None,
            advance_ms: Some(quiet.saturating_add(1_000)),
        },
    );
    // Bounded: the rebuild worker is in this process and only has this partner's view to make.
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    while state.ops.rebuild.is_pending(partner_id) && Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    Ok(report)
}

enum PsaChange<'a> {
    Add { agreement: &'a str },
    Rename,
    Lose,
}

/// One change in the partner's PSA, as its next sync brings it to Synthesize, made in one
/// transaction that rebuilds the billing view (an interruption waits for it).
async fn psa_change(state: &AppState, run: &Run, partner_id: &str, change: PsaChange<'_>) -> ApiResult<String> {
    let Some(_step) = run.step().await else {
        return Err(ApiError::Conflict("interrupted".into()));
    };
    let clock = state.ops.clock_of(partner_id);
    let p = partner_id.to_string();
    let out = match change {
        PsaChange::Add { agreement } => {
            let agreement = agreement.to_string();
            let lines = [("SEC-EDR".to_string(), 14.0), ("MS-WKS".to_string(), 14.0)];
            state
                .ops
                .write_rebuilding(partner_id, move |tx| {
                    control::add_psa_company(tx, &clock, &p, NEW_COMPANY, 90_001, &agreement, &lines)
                })
                .await?;
            String::new()
        }
        PsaChange::Rename => {
            state
                .ops
                .write_rebuilding(partner_id, move |tx| {
                    control::rename_psa_company(tx, &clock, &p, RENAMED.0, RENAMED.1)
                })
                .await?;
            String::new()
        }
        PsaChange::Lose => {
            let removed = state
                .ops
                .write_rebuilding(partner_id, move |tx| {
                    let id = control::psa_company_id(tx, &p, LOST)?;
                    control::remove_psa_company(tx, &clock, &p, &id)
                })
                .await?;
            format!(
                "{} contract line(s) gone with its agreement(s), {} vendor account(s) unmapped",
                removed.lines,
                removed.unmapped.len()
            )
        }
    };
    Ok(out)
}

/// Pairs whose last count is older than this month: "account × service (last count DATE)".
async fn not_refreshed(state: &AppState, integration: &str, month: NaiveDate) -> ApiResult<Vec<String>> {
    let i = integration.to_string();
    let since = crate::domain::iso(month.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    state
        .ops
        .read(move |c| control::counts_not_refreshed(c, &i, &since))
        .await
}
