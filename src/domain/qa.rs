//! The live QA checklist: Gradient's "Steps to QA the Integration", ticked from what actually
//! happened (partner actions and accepted vendor calls), never from what a vendor declares.
//! Each step carries its time and evidence, and the first step not done carries the hint that
//! Gradient's support would give. The facts it reads are `qa_facts`, the steps and what
//! proves them `qa_steps`; here are the rounds, the hints and the verdict.

use super::event::Event;
pub use super::qa_facts::{lights_next, CycleCounts, Fact, QaFacts};
use super::qa_steps::Found;
pub use super::qa_steps::QaStep;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    /// The step this is, whatever its round.
    #[serde(skip)]
    pub step: QaStep,
    pub key: String,
    pub round: u8,
    pub title: String,
    pub done: bool,
    pub at: Option<String>,
    pub evidence: Option<String>,
    pub hint: Option<String>,
    /// Done, but not as production needs it (e.g. the portal opened with no URL set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Checklist {
    pub passed: bool,
    /// "QA passed", "QA passed with warnings" or "QA not passed yet".
    pub verdict: &'static str,
    /// The first step not done, if any.
    pub current_step: Option<String>,
    /// The QA round that step belongs to (1 or 2); none once passed. The only numbering the
    /// checklist shows: a connection's own cycle number counts the seed's kickoff too.
    pub round: Option<u8>,
    pub steps: Vec<Step>,
}

impl QaFacts {
    /// The cycles of the two rounds the checklist judges: the last two complete rounds (every
    /// step of the round done in one connection), each begun by a CONNECT after the disconnect
    /// that starts QA (or after the very first CONNECT when the integration was never connected
    /// before). A round that went wrong is left behind by disconnecting and connecting again:
    /// until two rounds are complete, the latest connection is the round in progress.
    fn rounds(&self) -> (Option<Found>, Option<i64>, Option<i64>) {
        let local = || self.facts.iter().filter(|f| !f.global);
        let connects: Vec<&Fact> = local().filter(|f| matches!(f.event, Event::Connected { .. })).collect();
        let first_disconnect = local().find(|f| matches!(f.event, Event::Disconnected(_)));
        let start = match (first_disconnect, connects.first()) {
            (Some(d), _) => Some(Found::new(
                d,
                "the partner disconnected the integration before starting",
            )),
            (None, Some(c)) if c.cycle <= 1 => Some(Found::new(
                c,
                "the integration was not connected before the first Connect",
            )),
            _ => None,
        };
        let Some(start_at) = start.as_ref().map(|s| s.at.clone()) else {
            return (None, None, None);
        };
        // One Connected fact per cycle (a fact is the first of its kind), oldest first.
        let cycles: Vec<i64> = connects.iter().filter(|c| c.at >= start_at).map(|c| c.cycle).collect();
        // From the newest back, so that a long history of rounds costs only the rounds it needs.
        let mut complete = cycles.iter().rev().copied().filter(|&c| self.round_complete(c));
        let (last, before) = (complete.next(), complete.next());
        let (round1, round2) = match (before, last) {
            (Some(r1), Some(r2)) => (Some(r1), Some(r2)),
            (None, Some(r1)) => (Some(r1), cycles.last().copied().filter(|&c| c > r1)),
            _ => (cycles.last().copied(), None),
        };
        (start, round1, round2)
    }

    /// Which QA round a connection is (1 or 2), if it is one of them: what lint findings say
    /// instead of the connection's cycle number.
    pub fn round_of(&self, cycle: i64) -> Option<u8> {
        match self.rounds() {
            (_, Some(r1), _) if r1 == cycle => Some(1),
            (_, _, Some(r2)) if r2 == cycle => Some(2),
            _ => None,
        }
    }

    /// Whether every step of a round was done in this connection.
    fn round_complete(&self, cycle: i64) -> bool {
        QaStep::ROUND.iter().all(|&step| self.step_found(step, cycle).is_some())
    }

    /// Whether the connection was disconnected: its round can no longer be finished.
    fn round_ended(&self, cycle: i64) -> bool {
        self.first_that(cycle, |e| matches!(e, Event::Disconnected(_)))
            .is_some()
    }

    fn hint(&self, step: QaStep, round: u8, cycle: Option<i64>) -> String {
        let again = round == 2;
        match step {
            QaStep::DisconnectedAtStart => "The seeded integration starts connected with the kickoff key. Press DISCONNECT on the \
                integration (and disconnect it on your vendor side), then start again with CONNECT."
                .into(),
            QaStep::Connect if again => {
                "Press CONNECT on the integration card again: partners must be able to reconnect.".into()
            }
            QaStep::Connect => "Press CONNECT on the integration card (Integrations page) and choose the modules.".into(),
            QaStep::TokenGenerated => {
                "Press GENERATE API TOKEN and copy the partner API key into your vendor portal.".into()
            }
            QaStep::PortalOpened if !self.portal_url_set => "Press OPEN VENDOR PORTAL. Your integrationPortalUrl is not set, so it would open a blank \
                page: PATCH /api/vendor-api with {\"integrationPortalUrl\": \"https://…/your-gradient-page\"} (in production, \
                send the URL to Gradient support)."
                .into(),
            QaStep::PortalOpened => "Press OPEN VENDOR PORTAL: it should open your Gradient MSP integration page.".into(),
            QaStep::Authenticated if !self.revoked_key_calls.is_empty() => format!(
                "Calls arrived with a revoked partner key ({} so far): your code still uses the old key. Enter the new \
                 partner API key in your portal; GRADIENT-TOKEN = base64(VENDOR_KEY:PARTNER_KEY).",
                self.revoked_key_calls.len()
            ),
            QaStep::Authenticated => "No call has arrived with the new partner key yet. Enter it in your vendor portal; your code \
                must send GRADIENT-TOKEN = base64(VENDOR_KEY:PARTNER_KEY), e.g. GET /api/vendor-api/organization."
                .into(),
            QaStep::NextLit => {
                let now = self.status_now.as_deref().unwrap_or("inactive");
                format!(
                    "Next only lights up once the integration status is pending, and it is {now}: your code must call \
                     PATCH /api/vendor-api/organization/status/pending after the partner authenticates, then press STATUS REFRESH."
                )
            }
            QaStep::AccountsSynced if again => "The disconnect deleted every account you created: after each authentication your code \
                must call GET /organization/accounts and create the missing ones (POST /organization/accounts)."
                .into(),
            QaStep::AccountsSynced => "No accounts yet: after authentication your code must call GET /organization/accounts and \
                create the missing ones with POST /organization/accounts, then press STATUS REFRESH."
                .into(),
            QaStep::AccountsMapped => "Press NEXT and map at least one of your accounts to a PSA account (drag it onto its \
                match). With seeded data, map to the accounts you see on the Billing page."
                .into(),
            QaStep::ServicesSynced => "No services yet: create them with POST /api/vendor-api/service (name, description, \
                category, subcategory), then press STATUS REFRESH."
                .into(),
            QaStep::ServicesMapped => "On the Service Mapping step, map at least one of your services to a PSA product \
                (e.g. one you see on the Billing page)."
                .into(),
            QaStep::Finished => "Press NEXT to the Review step, then FINISH.".into(),
            QaStep::SyncInitiated => {
                let rejected = self.unmapped_count_rejections.len();
                if rejected > 0 {
                    format!(
                        "{rejected} count(s) were rejected with 404 because the account or service is not mapped: map them \
                         in Synthesize, then sync again (POST /api/vendor-api/service/{{serviceId}}/count with {{accountId, unitCount}})."
                    )
                } else {
                    "Initiate a sync in your vendor portal: POST /api/vendor-api/service/{serviceId}/count with \
                     {accountId, unitCount} for each mapped account and service."
                        .into()
                }
            }
            QaStep::UsageVisible => match cycle.and_then(|c| self.counts.get(&c)) {
                Some(c) if c.accepted > 0 && c.with_no_build == c.accepted => {
                    "Every count was sent with no_build=true, so the billing view was never rebuilt: leave no_build off \
                     (or false) on the last call of a sync."
                        .into()
                }
                _ if self.rebuild_pending => "A billing rebuild is due once your calls pause (debounce); then refresh the \
                    Billing page."
                    .into(),
                _ => "Refresh the Billing page. Usage shows only for mapped accounts and services: check both are mapped.".into(),
            },
            QaStep::Disconnected => "Disconnect the integration (and on your vendor side), then go through every step again to \
                show partners can disconnect and reconnect."
                .into(),
        }
    }

    pub fn checklist(&self) -> Checklist {
        let (start, round1, round2) = self.rounds();
        let mut steps = vec![Step {
            step: QaStep::DisconnectedAtStart,
            key: QaStep::DisconnectedAtStart.key().into(),
            round: 1,
            title: QaStep::DisconnectedAtStart.title().into(),
            done: start.is_some(),
            at: start.as_ref().map(|s| s.at.clone()),
            evidence: start.as_ref().map(|s| s.evidence.clone()),
            hint: None,
            warning: None,
        }];
        for (round, cycle) in [(1u8, round1), (2u8, round2)] {
            for step in QaStep::ROUND {
                let found = cycle.and_then(|c| self.step_found(step, c));
                let warning = found.as_ref().and(cycle).and_then(|c| self.step_warning(step, c));
                steps.push(Step {
                    step,
                    key: if round == 2 {
                        format!("{}_again", step.key())
                    } else {
                        step.key().to_string()
                    },
                    round,
                    title: if round == 2 {
                        format!("Again: {}", step.title())
                    } else {
                        step.title().to_string()
                    },
                    done: found.is_some(),
                    at: found.as_ref().map(|f| f.at.clone()),
                    evidence: found.map(|f| f.evidence),
                    hint: None,
                    warning,
                });
            }
            if round == 1 {
                let d = round1.and_then(|c| self.first_that(c, |e| matches!(e, Event::Disconnected(_))));
                steps.push(Step {
                    step: QaStep::Disconnected,
                    key: QaStep::Disconnected.key().into(),
                    round: 1,
                    title: QaStep::Disconnected.title().into(),
                    done: d.is_some(),
                    at: d.map(|f| f.at.clone()),
                    evidence: d.map(|_| "DISCONNECT pressed: accounts, mappings and usage deleted, key revoked".into()),
                    hint: None,
                    warning: None,
                });
            }
        }
        let current = steps.iter().position(|s| !s.done);
        if let Some(i) = current {
            let round = steps[i].round;
            let cycle = if round == 2 { round2 } else { round1 };
            let hint = self.hint(steps[i].step, round, cycle);
            // A step of a round that was disconnected before it can only be done in a new round.
            let ended = steps[i].step != QaStep::Disconnected && cycle.is_some_and(|c| self.round_ended(c));
            steps[i].hint = Some(if ended {
                format!(
                    "This round was disconnected before this step, so it cannot pass: press CONNECT and go through \
                     every step again in a new round (QA judges the last two complete rounds). {hint}"
                )
            } else {
                hint
            });
        }
        let verdict = match current {
            Some(_) => "QA not passed yet",
            None if steps.iter().any(|s| s.warning.is_some()) => "QA passed with warnings",
            None => "QA passed",
        };
        Checklist {
            verdict,
            passed: current.is_none(),
            current_step: current.map(|i| steps[i].key.clone()),
            round: current.map(|i| steps[i].round),
            steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::IntegrationStatus;
    use crate::domain::event::MappingSource;

    fn fact(cycle: i64, at: &str, event: Event) -> Fact {
        Fact {
            cycle,
            at: at.into(),
            items: event.items(),
            event,
            global: false,
        }
    }

    fn portal(url: Option<&str>) -> Event {
        Event::PortalOpened {
            url: url.map(String::from),
        }
    }

    fn disconnected(cycle: i64, at: &str) -> Fact {
        fact(cycle, at, Event::Disconnected(Default::default()))
    }

    fn round(cycle: i64, t: &str) -> Vec<Fact> {
        let at = |n: u8| format!("{t}:{n:02}");
        vec![
            fact(
                cycle,
                &at(1),
                Event::Connected {
                    modules: vec!["billing".into()],
                },
            ),
            fact(
                cycle,
                &at(2),
                Event::TokenGenerated {
                    regenerated: false,
                    key_hint: "abcd".into(),
                },
            ),
            fact(cycle, &at(3), portal(Some("https://vendor.example/gradient"))),
            fact(cycle, &at(4), Event::Authenticated {}),
            fact(
                cycle,
                &at(5),
                Event::StatusSet {
                    status: IntegrationStatus::Pending,
                },
            ),
            fact(cycle, &at(6), Event::AccountsCreated { ids: vec!["a".into()] }),
            fact(
                cycle,
                &at(7),
                Event::ServiceCreated {
                    service_id: "s".into(),
                    name: "EDR".into(),
                    duplicate_name: false,
                },
            ),
            fact(
                cycle,
                &at(8),
                Event::AccountMapped {
                    account_id: "a".into(),
                    name: None,
                    psa_account_id: "c".into(),
                    psa_account_name: None,
                    source: MappingSource::Auto,
                },
            ),
            fact(
                cycle,
                &at(9),
                Event::ServiceMapped {
                    service_id: "s".into(),
                    name: None,
                    psa_product_ids: vec![],
                    source: MappingSource::Manual,
                },
            ),
            fact(
                cycle,
                &at(10),
                Event::Finished {
                    accounts: 1,
                    services: 1,
                },
            ),
            Fact {
                cycle: 0,
                at: at(12),
                event: Event::BillingRebuilt {
                    cards: 1,
                    with_usage: 1,
                },
                global: true,
                items: 0,
            },
            disconnected(cycle, &at(13)),
        ]
    }

    fn counts(cycle: i64, t: &str, no_build: i64) -> (i64, CycleCounts) {
        (
            cycle,
            CycleCounts {
                accepted: 2,
                with_no_build: no_build,
                first_at: Some(format!("{t}:11")),
            },
        )
    }

    #[test]
    fn a_correct_vendor_twice_through_the_cycle_passes() {
        let mut facts = vec![disconnected(1, "T0:00")];
        facts.extend(round(2, "T1"));
        facts.extend(round(3, "T2"));
        let qa = QaFacts {
            facts,
            counts: [counts(2, "T1", 0), counts(3, "T2", 0)].into_iter().collect(),
            portal_url_set: true,
            ..Default::default()
        };
        let c = qa.checklist();
        assert!(c.passed, "{:#?}", c.steps.iter().find(|s| !s.done));
        assert_eq!(c.steps.len(), 26);
        assert!(c.steps.iter().all(|s| s.hint.is_none()));
        assert_eq!(c.verdict, "QA passed");
        assert!(c.steps.iter().all(|s| s.warning.is_none()));
        assert_eq!(c.round, None, "no round in progress once passed");
        assert_eq!(
            (qa.round_of(2), qa.round_of(3), qa.round_of(1)),
            (Some(1), Some(2), None)
        );
    }

    #[test]
    fn a_portal_opened_with_no_url_passes_with_a_warning() {
        let blank = |cycle: i64, t: &str| {
            round(cycle, t).into_iter().map(move |mut f| {
                if matches!(f.event, Event::PortalOpened { .. }) {
                    f.event = portal(None);
                }
                f
            })
        };
        let mut facts = vec![disconnected(1, "T0:00")];
        facts.extend(blank(2, "T1"));
        facts.extend(round(3, "T2"));
        let qa = QaFacts {
            facts: facts.clone(),
            counts: [counts(2, "T1", 0), counts(3, "T2", 0)].into_iter().collect(),
            ..Default::default()
        };
        let c = qa.checklist();
        assert!(c.passed);
        assert_eq!(c.verdict, "QA passed with warnings");
        let warned: Vec<&str> = c
            .steps
            .iter()
            .filter(|s| s.warning.is_some())
            .map(|s| s.key.as_str())
            .collect();
        assert_eq!(warned, ["portal_opened"], "round 2 opened the portal with its URL");
        assert!(c.steps[3].warning.as_ref().unwrap().contains("integrationPortalUrl"));
        // Opening it again once the URL is set clears the warning of that round.
        facts.push(fact(2, "T1:03b", portal(Some("https://vendor.example/g"))));
        let qa = QaFacts { facts, ..qa };
        let c = qa.checklist();
        assert_eq!(c.verdict, "QA passed");
        assert!(c.steps[3]
            .evidence
            .as_ref()
            .unwrap()
            .contains("https://vendor.example/g"));
    }

    #[test]
    fn stops_at_next_lit_with_the_pending_hint() {
        let mut facts = vec![disconnected(1, "T0:00")];
        facts.extend(
            round(2, "T1")
                .into_iter()
                .filter(|f| !matches!(f.event, Event::StatusSet { .. })),
        );
        let qa = QaFacts {
            facts,
            status_now: Some("inactive".into()),
            ..Default::default()
        };
        let c = qa.checklist();
        assert_eq!(c.current_step.as_deref(), Some("next_lit"));
        let step = c.steps.iter().find(|s| s.key == "next_lit").unwrap();
        assert!(step.hint.as_ref().unwrap().contains("status/pending"));
    }

    #[test]
    fn no_build_on_every_count_is_named() {
        let mut facts = vec![disconnected(1, "T0:00")];
        facts.extend(
            round(2, "T1")
                .into_iter()
                .filter(|f| !matches!(f.event, Event::BillingRebuilt { .. })),
        );
        let qa = QaFacts {
            facts,
            counts: [counts(2, "T1", 2)].into_iter().collect(),
            ..Default::default()
        };
        let c = qa.checklist();
        assert_eq!(c.current_step.as_deref(), Some("usage_visible"));
        assert!(c
            .steps
            .iter()
            .find(|s| s.key == "usage_visible")
            .unwrap()
            .hint
            .as_ref()
            .unwrap()
            .contains("no_build"));
    }

    #[test]
    fn must_disconnect_first() {
        let qa = QaFacts {
            facts: vec![fact(1, "T0:00", Event::Authenticated {})],
            current_cycle: 1,
            ..Default::default()
        };
        let c = qa.checklist();
        assert_eq!(c.current_step.as_deref(), Some("disconnected_at_start"));
        assert_eq!(c.round, Some(1));
        assert_eq!(qa.round_of(1), None, "the kickoff connection is no QA round");
        assert!(!c.passed);
    }
}
