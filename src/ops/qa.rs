//! Gathers the facts the QA checklist reads (events, counts, journal) and builds the report.

use crate::domain::catalog::CardState;
use crate::domain::event::Event;
use crate::domain::lint::{advice, Lint, LintCode};
use crate::domain::qa::{lights_next, Checklist, CycleCounts, Fact, QaFacts};
use crate::error::{ApiError, ApiResult};
use crate::gate::CallFact;
use crate::store::{events, usage, vendors};
use rusqlite::Connection;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationQa {
    pub integration_id: String,
    pub vendor_id: String,
    pub vendor_name: String,
    pub passed: bool,
    pub verdict: &'static str,
    /// The QA round in progress (1 or 2), none once passed: the only numbering shown.
    pub round: Option<u8>,
    pub current_step: Option<String>,
    pub steps: Vec<crate::domain::qa::Step>,
}

/// Reads everything the checklist needs for one integration. The journal entries are the
/// integration's calls still in the ring (for hints about rejected counts and revoked keys).
pub fn facts(
    c: &Connection,
    integration_id: &str,
    journal: &[CallFact],
    rebuild_pending: bool,
) -> ApiResult<(QaFacts, IntegrationQa)> {
    let i = super::integrations::load(c, integration_id)?;
    let vendor = vendors::get(c, &i.vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
    // The first event of each (cycle, kind, variant), kept as events are recorded: a few rows
    // however many calls the integration made.
    let firsts = events::firsts(c, integration_id)?;
    let mut counts = HashMap::new();
    let mut rebuilds = vec![];
    let cycles: std::collections::BTreeSet<i64> = firsts.iter().map(|e| e.cycle).collect();
    for cycle in cycles {
        let s = usage::summary(c, integration_id, cycle)?;
        // The billing rebuild the usage step needs: the first one after this cycle's first count.
        if let Some(first) = s.first_at.as_deref() {
            if let Some(e) = events::first_rebuild_with_usage(c, &i.partner_id, first)? {
                if !rebuilds.iter().any(|r: &events::EventRow| r.id == e.id) {
                    rebuilds.push(e);
                }
            }
        }
        counts.insert(
            cycle,
            CycleCounts {
                accepted: s.accepted,
                with_no_build: s.with_no_build,
                first_at: s.first_at,
            },
        );
    }
    rebuilds.sort_by(|a, b| (&a.at, a.id).cmp(&(&b.at, b.id)));
    let has = |code: LintCode| -> Vec<String> {
        journal
            .iter()
            .filter(|e| e.lints.iter().any(|l| l.code == code))
            .map(|e| e.at.clone())
            .collect()
    };
    // The run's last accepted count asked for no rebuild, and none came after it.
    let last_count = journal.iter().rev().find_map(|e| e.accepted_count.map(|nb| (e, nb)));
    // A connection whose every count asked for no rebuild is `no_build_on_count`'s finding.
    let all_unbuilt = counts
        .get(&i.cycle)
        .is_some_and(|c: &CycleCounts| c.accepted > 0 && c.with_no_build == c.accepted);
    let last_count_unbuilt = match last_count {
        Some((e, true))
            if !all_unbuilt
                && !rebuild_pending
                && events::first_rebuild_with_usage(c, &i.partner_id, &e.at)?.is_none() =>
        {
            Some(e.at.clone())
        }
        _ => None,
    };
    let sequence_lints = journal
        .iter()
        .flat_map(|e| e.lints.iter().map(move |l| (l.code, e.at.clone())))
        .filter(|(code, _)| {
            matches!(
                code,
                LintCode::CatalogueRefetched
                    | LintCode::StatusDemoted
                    | LintCode::UnitCountNotNumber
                    | LintCode::MultiValueQueryParam
            )
        })
        .collect();
    let qa = QaFacts {
        facts: firsts
            .into_iter()
            .map(|e| Fact {
                global: false,
                cycle: e.cycle,
                at: e.at,
                event: e.event,
                items: e.items,
            })
            .chain(rebuilds.into_iter().map(|e| Fact {
                global: true,
                cycle: e.cycle,
                at: e.at,
                event: e.event,
                items: 0,
            }))
            .collect(),
        counts,
        current_cycle: i.cycle,
        connected_now: i.state != CardState::ReadyToConnect,
        portal_url_set: !vendor.integration_portal_url.is_empty(),
        vendor_services: vendors::services(c, &vendor.id)?.len(),
        status_now: i.status.map(|s| s.as_str().to_string()),
        unmapped_count_rejections: has(LintCode::CountForUnmappedPair),
        revoked_key_calls: has(LintCode::RevokedToken),
        rebuild_pending,
        last_count_unbuilt,
        sequence_lints,
    };
    let Checklist {
        passed,
        verdict,
        current_step,
        round,
        steps,
    } = qa.checklist();
    Ok((
        qa,
        IntegrationQa {
            integration_id: i.id,
            vendor_id: vendor.id,
            vendor_name: vendor.name,
            passed,
            verdict,
            round,
            current_step,
            steps,
        },
    ))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintSummary {
    pub code: LintCode,
    pub count: usize,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    pub example: String,
    pub why: &'static str,
    pub fix: &'static str,
}

/// Findings for the report: every lint the journal attached to this integration's calls,
/// summed by code, plus the findings only the whole history shows.
pub fn lint_summary(qa: &QaFacts, journal: &[CallFact]) -> Vec<LintSummary> {
    let mut by_code: BTreeMap<String, LintSummary> = BTreeMap::new();
    let mut add = |lint: &Lint, at: Option<&str>| {
        let key = serde_json::to_string(&lint.code).unwrap_or_default();
        let e = by_code.entry(key).or_insert_with(|| LintSummary {
            code: lint.code,
            count: 0,
            first_at: at.map(String::from),
            last_at: None,
            example: lint.message.clone(),
            why: lint.why,
            fix: lint.fix,
        });
        e.count += 1;
        e.last_at = at.map(String::from);
    };
    for entry in journal {
        for lint in &entry.lints {
            add(lint, Some(&entry.at));
        }
    }
    for (cycle, c) in &qa.counts {
        if c.accepted > 0 && c.with_no_build == c.accepted {
            add(
                &Lint::new(
                    LintCode::NoBuildOnCount,
                    format!(
                        "all {} count(s) of {} were sent with no_build=true: usage never showed",
                        c.accepted,
                        connection_name(qa, *cycle)
                    ),
                ),
                c.first_at.as_deref(),
            );
        }
    }
    // Connections the partner made with CONNECT: the seed's kickoff connection is the demo's
    // state, not the vendor's doing, and never counts against the vendor.
    let cycles: std::collections::BTreeSet<i64> = qa
        .facts
        .iter()
        .filter(|f| !f.global && matches!(f.event, Event::Authenticated {}))
        .map(|f| f.cycle)
        .filter(|&cycle| partner_connected(qa, cycle))
        .collect();
    for cycle in cycles {
        let lit = qa
            .facts
            .iter()
            .any(|f| !f.global && f.cycle == cycle && lights_next(&f.event));
        // Only once the vendor has moved on (synced, or the connection ended): between the
        // authentication and the status call the finding would be premature.
        let moved_on = cycle != qa.current_cycle
            || !qa.connected_now
            || qa.facts.iter().any(|f| {
                !f.global
                    && f.cycle == cycle
                    && matches!(
                        f.event,
                        Event::AccountsCreated { .. } | Event::ServiceCreated { .. } | Event::ServicesCreated { .. }
                    )
            });
        if !lit && moved_on {
            add(
                &Lint::new(
                    LintCode::StatusNeverPending,
                    format!(
                        "{}: the vendor authenticated but never set the status to pending",
                        connection_name(qa, cycle)
                    ),
                ),
                None,
            );
        }
    }
    if let Some(at) = &qa.last_count_unbuilt {
        add(&crate::domain::lint::across::rebuild_never_triggered(at), Some(at));
    }
    if let Some(read) = catalogue_read_without_count(qa, journal) {
        add(
            &Lint::new(
                LintCode::CatalogueReadNoCount,
                "the service catalogue (GET /api/vendor-api) was read after services were mapped, and no count followed",
            ),
            Some(read),
        );
    }
    // Only once the vendor has called: before that, the seed's state is not the vendor's doing.
    let vendor_called = !journal.is_empty()
        || qa
            .facts
            .iter()
            .any(|f| !f.global && matches!(f.event, Event::Authenticated {}));
    if !qa.portal_url_set && vendor_called {
        add(
            &Lint::new(
                LintCode::PortalUrlNeverSet,
                "the vendor's integrationPortalUrl is empty",
            ),
            None,
        );
    }
    by_code.into_values().collect()
}

/// Whether the partner began this connection with CONNECT (the seed's kickoff one it did not).
fn partner_connected(qa: &QaFacts, cycle: i64) -> bool {
    qa.facts
        .iter()
        .any(|f| !f.global && f.cycle == cycle && matches!(f.event, Event::Connected { .. }))
}

/// A connection as findings name it: by its QA round, the numbering the checklist shows (a
/// cycle number counts the seed's kickoff connection too).
fn connection_name(qa: &QaFacts, cycle: i64) -> String {
    match qa.round_of(cycle) {
        Some(round) => format!("round {round}'s connection"),
        None if !partner_connected(qa, cycle) => "the seeded kickoff connection".into(),
        None => "a connection outside the QA rounds (one left behind by reconnecting)".into(),
    }
}

/// The calls a report counts, and how many it leaves out: the calls the simulator's own demo
/// vendor portal made after a disconnect that were refused for the revoked key. The portal keeps
/// the old key in its field until a new one is pasted, so those are the person playing the vendor
/// by hand pressing its buttons, not calls a vendor's code made. (Told by the key the call was
/// refused for, not by times alone: a call and a disconnect can share a millisecond.)
pub fn reported_calls(qa: &QaFacts, journal: &[CallFact]) -> (Vec<CallFact>, usize) {
    let first_disconnect = qa
        .facts
        .iter()
        .filter(|f| !f.global && matches!(f.event, Event::Disconnected(_)))
        .map(|f| f.at.as_str())
        .min();
    let stale = |c: &CallFact| {
        c.demo_portal
            && first_disconnect.is_some_and(|d| d <= c.at.as_str())
            && c.lints.iter().any(|l| l.code == LintCode::RevokedToken)
    };
    let (left_out, kept): (Vec<&CallFact>, Vec<&CallFact>) = journal.iter().partition(|c| stale(c));
    (kept.into_iter().cloned().collect(), left_out.len())
}

/// The journal's route patterns of Get Vendor and Set Unit Count.
const CATALOGUE_ROUTE: &str = "/api/vendor-api";
const COUNT_ROUTE: &str = "/api/vendor-api/service/{serviceId}/count";

/// The time of the last catalogue read (a successful GET /api/vendor-api) of this connection
/// that came after the partner mapped a service and that no count call followed: what a
/// sync-usage run that failed in the client before its first count leaves in the journal.
fn catalogue_read_without_count<'a>(qa: &QaFacts, journal: &'a [CallFact]) -> Option<&'a str> {
    let mapped_at = qa
        .facts
        .iter()
        .filter(|f| !f.global && f.cycle == qa.current_cycle && matches!(f.event, Event::ServiceMapped { .. }))
        .map(|f| f.at.as_str())
        .min()?;
    let is_read = |c: &CallFact| c.method == "GET" && c.route == CATALOGUE_ROUTE && c.status == 200;
    let is_count = |c: &CallFact| c.route == COUNT_ROUTE;
    let read = journal
        .iter()
        .filter(|c| is_read(c) && c.at.as_str() >= mapped_at)
        .map(|c| c.at.as_str())
        .max()?;
    let counted = journal.iter().any(|c| is_count(c) && c.at.as_str() >= read);
    (!counted).then_some(read)
}

/// Who the report is about besides the vendor: the partner, its PSA, and the seed it began from.
#[derive(Debug, Clone)]
pub struct Subject {
    pub partner_id: String,
    pub partner_name: String,
    pub psa: String,
    pub seed: String,
}

/// The partner an integration belongs to, as the report names it.
pub fn subject(c: &Connection, partner_id: &str, seed: &str) -> ApiResult<Subject> {
    let p = crate::store::psa::partner(c, partner_id)?.ok_or_else(|| ApiError::internal("partner vanished"))?;
    Ok(Subject {
        partner_id: p.id,
        partner_name: p.name,
        psa: p.psa,
        seed: seed.to_string(),
    })
}

/// The report a vendor keeps: what was tested, when, for which partner, PSA and seed, the
/// evidence for each step, the findings.
pub fn report(qa: &IntegrationQa, facts: &QaFacts, journal: &[CallFact], about: &Subject, generated_at: &str) -> Value {
    let (journal, left_out) = reported_calls(facts, journal);
    let lints = lint_summary(facts, &journal);
    let calls = journal.len();
    let failed = journal.iter().filter(|e| e.status >= 400).count();
    json!({
        "generatedAt": generated_at,
        "simulator": format!("synthesize-sim {}", env!("CARGO_PKG_VERSION")),
        "partnerId": about.partner_id,
        "partnerName": about.partner_name,
        "psa": about.psa,
        "seed": about.seed,
        "integrationId": qa.integration_id,
        "vendorId": qa.vendor_id,
        "vendorName": qa.vendor_name,
        "passed": qa.passed,
        "verdict": qa.verdict,
        "round": qa.round,
        "currentStep": qa.current_step,
        "steps": qa.steps,
        "lint": lints,
        "calls": {"recorded": calls, "failed": failed, "demoPortalAfterDisconnect": left_out},
        "advice": lints.iter().map(|l| advice(l.code).1).collect::<Vec<_>>(),
    })
}
