//! The live QA checklist: Gradient's "Steps to QA the Integration", ticked from what actually
//! happened (partner actions and accepted vendor calls), never from what a vendor declares.
//! Each step carries its time and evidence, and the first step not done carries the hint that
//! Gradient's support would give.

use serde::Serialize;
use serde_json::Value;

/// One recorded fact: the first event of its kind in a cycle (or a global one, like a billing
/// rebuild). Later events of the same kind only add to `items`: the checklist needs the first
/// time something happened and how much of it there was, never the whole history.
#[derive(Debug, Clone)]
pub struct Fact {
    /// The connection cycle (each CONNECT starts a new one); 0 for global facts.
    pub cycle: i64,
    pub kind: String,
    pub at: String,
    pub detail: Value,
    pub global: bool,
    /// Items all events of this kind in the cycle brought (the ids of bulk creates).
    pub items: i64,
}

/// Counts accepted in one cycle.
#[derive(Debug, Clone, Default)]
pub struct CycleCounts {
    pub accepted: i64,
    pub with_no_build: i64,
    pub first_at: Option<String>,
    pub last_built_at: Option<String>,
}

/// What the checklist reads: recorded facts plus a few current values for the hints.
#[derive(Debug, Clone, Default)]
pub struct QaFacts {
    pub facts: Vec<Fact>,
    pub counts: std::collections::HashMap<i64, CycleCounts>,
    /// The cycle the integration is in now, and whether it is connected.
    pub current_cycle: i64,
    pub connected_now: bool,
    pub portal_url_set: bool,
    pub vendor_services: usize,
    pub status_now: Option<String>,
    /// Times of counts the journal saw rejected as unmapped (404), and of calls with a revoked key.
    pub unmapped_count_rejections: Vec<String>,
    pub revoked_key_calls: Vec<String>,
    pub rebuild_pending: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
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
    pub steps: Vec<Step>,
}

/// The steps of one round, in the order of the QA document.
const ROUND: [(&str, &str); 12] = [
    ("connect", "Click Connect on the integration"),
    ("token_generated", "Generate API Token"),
    ("portal_opened", "Open Vendor Portal"),
    ("authenticated", "Authenticate the integration"),
    ("next_lit", "Confirm Next lights up (status pending)"),
    ("accounts_synced", "Confirm accounts have synced in for mapping"),
    ("accounts_mapped", "Map the accounts created"),
    ("services_synced", "Confirm services have synced in for mapping"),
    ("services_mapped", "Map the services created"),
    ("finished", "Finish the integration setup"),
    ("sync_initiated", "Within the vendor portal, initiate a sync"),
    (
        "usage_visible",
        "Refresh the Billing page: usage has synced in for the mapped accounts and services",
    ),
];

struct Found {
    at: String,
    evidence: String,
}

impl QaFacts {
    fn in_cycle<'a>(&'a self, cycle: i64, kind: &'a str) -> impl Iterator<Item = &'a Fact> + 'a {
        self.facts
            .iter()
            .filter(move |f| !f.global && f.cycle == cycle && f.kind == kind)
    }

    fn first(&self, cycle: i64, kinds: &[&str]) -> Option<&Fact> {
        self.facts
            .iter()
            .find(|f| !f.global && f.cycle == cycle && kinds.contains(&f.kind.as_str()))
    }

    /// The cycles of the two rounds: the first CONNECT after the first disconnect (or the very
    /// first CONNECT when the integration was never connected before), then the next CONNECT
    /// after that round's disconnect.
    fn rounds(&self) -> (Option<Found>, Option<i64>, Option<i64>) {
        let connects: Vec<&Fact> = self
            .facts
            .iter()
            .filter(|f| !f.global && f.kind == "connected")
            .collect();
        let first_disconnect = self.facts.iter().find(|f| !f.global && f.kind == "disconnected");
        let start = match (first_disconnect, connects.first()) {
            (Some(d), _) => Some(Found {
                at: d.at.clone(),
                evidence: "the partner disconnected the integration before starting".into(),
            }),
            (None, Some(c)) if c.cycle <= 1 => Some(Found {
                at: c.at.clone(),
                evidence: "the integration was not connected before the first Connect".into(),
            }),
            _ => None,
        };
        let Some(start_at) = start.as_ref().map(|s| s.at.clone()) else {
            return (None, None, None);
        };
        let round1 = connects.iter().find(|c| c.at >= start_at).map(|c| c.cycle);
        let round2 = round1.and_then(|r1| {
            let end = self
                .facts
                .iter()
                .find(|f| !f.global && f.kind == "disconnected" && f.cycle == r1)?;
            connects
                .iter()
                .find(|c| c.at >= end.at && c.cycle > r1)
                .map(|c| c.cycle)
        });
        (start, round1, round2)
    }

    fn step_found(&self, key: &str, cycle: i64) -> Option<Found> {
        let fact = |kinds: &[&str]| self.first(cycle, kinds);
        match key {
            "connect" => fact(&["connected"]).map(|f| Found {
                at: f.at.clone(),
                evidence: format!(
                    "CONNECT pressed, modules: {}",
                    f.detail["modules"]
                        .as_array()
                        .map(|m| m.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                ),
            }),
            "token_generated" => fact(&["token_generated"]).map(|f| Found {
                at: f.at.clone(),
                evidence: format!(
                    "partner API key …{} generated",
                    f.detail["keyHint"].as_str().unwrap_or("")
                ),
            }),
            // An open with the URL set counts over an earlier one that showed a blank page.
            "portal_opened" => self
                .in_cycle(cycle, "portal_opened")
                .find(|f| f.detail["url"].is_string())
                .or_else(|| fact(&["portal_opened"]))
                .map(|f| Found {
                    at: f.at.clone(),
                    evidence: match f.detail["url"].as_str() {
                        Some(u) => format!("OPEN VENDOR PORTAL opened {u}"),
                        None => "OPEN VENDOR PORTAL pressed, but no integrationPortalUrl was set (blank page)".into(),
                    },
                }),
            "authenticated" => fact(&["authenticated"]).map(|f| Found {
                at: f.at.clone(),
                evidence: "first vendor API call accepted with the new partner key".into(),
            }),
            "next_lit" => self
                .in_cycle(cycle, "status_set")
                .find(|f| matches!(f.detail["status"].as_str(), Some("pending" | "active")))
                .or_else(|| fact(&["status_auto_active"]))
                .map(|f| Found {
                    at: f.at.clone(),
                    evidence: match f.detail["status"].as_str() {
                        Some(s) => format!("vendor set the status to {s} (PATCH /organization/status/{s})"),
                        None => "status turned active with the first accepted usage or alert".into(),
                    },
                }),
            "accounts_synced" => self.in_cycle(cycle, "accounts_created").next().map(|f| {
                let n: i64 = self.in_cycle(cycle, "accounts_created").map(|f| f.items).sum();
                Found {
                    at: f.at.clone(),
                    evidence: format!("{n} account(s) created with POST /organization/accounts"),
                }
            }),
            "accounts_mapped" => fact(&["account_mapped"]).map(|f| {
                let d = &f.detail;
                let id = d["accountId"].as_str().unwrap_or("?");
                Found {
                    at: f.at.clone(),
                    evidence: match (d["name"].as_str(), d["psaAccountName"].as_str()) {
                        (Some(name), Some(psa)) => format!(
                            "account {name} ({id}) mapped to {psa} ({})",
                            d["source"].as_str().unwrap_or("manual")
                        ),
                        _ => format!("account {id} mapped ({})", d["source"].as_str().unwrap_or("manual")),
                    },
                }
            }),
            "services_synced" => {
                let created = self.facts.iter().find(|f| {
                    !f.global && f.cycle == cycle && (f.kind == "service_created" || f.kind == "services_created")
                });
                match created {
                    Some(f) => Some(Found {
                        at: f.at.clone(),
                        evidence: "service created by the vendor".into(),
                    }),
                    // Vendor-level services survive a disconnect: they are there for mapping already.
                    None if self.vendor_services > 0 && self.first(cycle, &["service_mapped"]).is_some() => {
                        let f = self.first(cycle, &["service_mapped"])?;
                        Some(Found {
                            at: f.at.clone(),
                            evidence: format!("{} vendor-level service(s) available for mapping", self.vendor_services),
                        })
                    }
                    None if self.vendor_services > 0 && self.connected_now && cycle == self.current_cycle => {
                        let f = fact(&["connected"])?;
                        Some(Found {
                            at: f.at.clone(),
                            evidence: format!("{} vendor-level service(s) available for mapping", self.vendor_services),
                        })
                    }
                    None => None,
                }
            }
            "services_mapped" => fact(&["service_mapped"]).map(|f| {
                let d = &f.detail;
                let products = d["psaProductIds"].as_array().map_or(0, Vec::len);
                Found {
                    at: f.at.clone(),
                    evidence: format!(
                        "service {} mapped to {products} PSA product(s) ({})",
                        d["name"].as_str().or(d["serviceId"].as_str()).unwrap_or("?"),
                        d["source"].as_str().unwrap_or("manual")
                    ),
                }
            }),
            "finished" => fact(&["finished"]).map(|f| Found {
                at: f.at.clone(),
                evidence: "FINISH pressed".into(),
            }),
            "sync_initiated" => self.counts.get(&cycle).filter(|c| c.accepted > 0).and_then(|c| {
                Some(Found {
                    at: c.first_at.clone()?,
                    evidence: format!("{} count(s) accepted for mapped accounts and services", c.accepted),
                })
            }),
            "usage_visible" => {
                let counts = self.counts.get(&cycle)?;
                let first = counts.first_at.as_ref()?;
                self.facts
                    .iter()
                    .find(|f| {
                        f.global
                            && f.kind == "billing_rebuilt"
                            && f.at >= *first
                            && f.detail["withUsage"].as_u64().unwrap_or(0) > 0
                    })
                    .map(|f| Found {
                        at: f.at.clone(),
                        evidence: format!(
                            "billing view rebuilt with {} card(s) showing vendor usage",
                            f.detail["withUsage"].as_u64().unwrap_or(0)
                        ),
                    })
            }
            _ => None,
        }
    }

    fn hint(&self, key: &str, round: u8, cycle: Option<i64>) -> String {
        let again = round == 2;
        match key {
            "disconnected_at_start" => "The seeded integration starts connected with the kickoff key. Press DISCONNECT on the \
                integration (and disconnect it on your vendor side), then start again with CONNECT."
                .into(),
            "connect" if again => "Press CONNECT on the integration card again: partners must be able to reconnect.".into(),
            "connect" => "Press CONNECT on the integration card (Integrations page) and choose the modules.".into(),
            "token_generated" => "Press GENERATE API TOKEN and copy the partner API key into your vendor portal.".into(),
            "portal_opened" if !self.portal_url_set => "Press OPEN VENDOR PORTAL. Your integrationPortalUrl is not set, so it would open a blank \
                page: PATCH /api/vendor-api with {\"integrationPortalUrl\": \"https://…/your-gradient-page\"} (in production, \
                send the URL to Gradient support)."
                .into(),
            "portal_opened" => "Press OPEN VENDOR PORTAL: it should open your Gradient MSP integration page.".into(),
            "authenticated" if !self.revoked_key_calls.is_empty() => format!(
                "Calls arrived with a revoked partner key ({} so far): your code still uses the old key. Enter the new \
                 partner API key in your portal; GRADIENT-TOKEN = base64(VENDOR_KEY:PARTNER_KEY).",
                self.revoked_key_calls.len()
            ),
            "authenticated" => "No call has arrived with the new partner key yet. Enter it in your vendor portal; your code \
                must send GRADIENT-TOKEN = base64(VENDOR_KEY:PARTNER_KEY), e.g. GET /api/vendor-api/organization."
                .into(),
            "next_lit" => {
                let now = self.status_now.as_deref().unwrap_or("inactive");
                format!(
                    "Next only lights up once the integration status is pending, and it is {now}: your code must call \
                     PATCH /api/vendor-api/organization/status/pending after the partner authenticates, then press STATUS REFRESH."
                )
            }
            "accounts_synced" if again => "The disconnect deleted every account you created: after each authentication your code \
                must call GET /organization/accounts and create the missing ones (POST /organization/accounts)."
                .into(),
            "accounts_synced" => "No accounts yet: after authentication your code must call GET /organization/accounts and \
                create the missing ones with POST /organization/accounts, then press STATUS REFRESH."
                .into(),
            "accounts_mapped" => "Press NEXT and map at least one of your accounts to a PSA account (drag it onto its \
                match). With seeded data, map to the accounts you see on the Billing page."
                .into(),
            "services_synced" => "No services yet: create them with POST /api/vendor-api/service (name, description, \
                category, subcategory), then press STATUS REFRESH."
                .into(),
            "services_mapped" => "On the Service Mapping step, map at least one of your services to a PSA product \
                (e.g. one you see on the Billing page)."
                .into(),
            "finished" => "Press NEXT to the Review step, then FINISH.".into(),
            "sync_initiated" => {
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
            "usage_visible" => match cycle.and_then(|c| self.counts.get(&c)) {
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
            "disconnected" => "Disconnect the integration (and on your vendor side), then go through every step again to \
                show partners can disconnect and reconnect."
                .into(),
            _ => String::new(),
        }
    }

    /// What a done step did that production would not accept as it is.
    fn step_warning(&self, key: &str, cycle: i64) -> Option<String> {
        match key {
            "portal_opened" => {
                let mut opens = self.in_cycle(cycle, "portal_opened").peekable();
                opens.peek()?;
                opens.all(|f| !f.detail["url"].is_string()).then(|| {
                    "No integrationPortalUrl was set, so the partner got a blank page: set it with \
                     PATCH /api/vendor-api (integrationPortalUrl), then press OPEN VENDOR PORTAL again."
                        .to_string()
                })
            }
            _ => None,
        }
    }

    pub fn checklist(&self) -> Checklist {
        let (start, round1, round2) = self.rounds();
        let mut steps = vec![Step {
            key: "disconnected_at_start".into(),
            round: 1,
            title: "If the integration is connected, disconnect it".into(),
            done: start.is_some(),
            at: start.as_ref().map(|s| s.at.clone()),
            evidence: start.as_ref().map(|s| s.evidence.clone()),
            hint: None,
            warning: None,
        }];
        for (round, cycle) in [(1u8, round1), (2u8, round2)] {
            for (key, title) in ROUND {
                let found = cycle.and_then(|c| self.step_found(key, c));
                let warning = found.as_ref().and(cycle).and_then(|c| self.step_warning(key, c));
                steps.push(Step {
                    key: if round == 2 {
                        format!("{key}_again")
                    } else {
                        key.to_string()
                    },
                    round,
                    title: if round == 2 {
                        format!("Again: {title}")
                    } else {
                        title.to_string()
                    },
                    done: found.is_some(),
                    at: found.as_ref().map(|f| f.at.clone()),
                    evidence: found.map(|f| f.evidence),
                    hint: None,
                    warning,
                });
            }
            if round == 1 {
                let d = round1.and_then(|c| self.in_cycle(c, "disconnected").next());
                steps.push(Step {
                    key: "disconnected".into(),
                    round: 1,
                    title: "Disconnect the integration, to do it all again".into(),
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
            let key = steps[i].key.trim_end_matches("_again").to_string();
            let round = steps[i].round;
            let cycle = if round == 2 { round2 } else { round1 };
            steps[i].hint = Some(self.hint(&key, round, cycle));
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
            steps,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fact(cycle: i64, kind: &str, at: &str, detail: Value) -> Fact {
        Fact {
            cycle,
            kind: kind.into(),
            at: at.into(),
            items: detail["ids"].as_array().map_or(0, |a| a.len() as i64),
            detail,
            global: false,
        }
    }

    fn round(cycle: i64, t: &str) -> Vec<Fact> {
        vec![
            fact(cycle, "connected", &format!("{t}:01"), json!({"modules": ["billing"]})),
            fact(cycle, "token_generated", &format!("{t}:02"), json!({"keyHint": "abcd"})),
            fact(
                cycle,
                "portal_opened",
                &format!("{t}:03"),
                json!({"url": "https://vendor.example/gradient"}),
            ),
            fact(cycle, "authenticated", &format!("{t}:04"), json!({})),
            fact(cycle, "status_set", &format!("{t}:05"), json!({"status": "pending"})),
            fact(cycle, "accounts_created", &format!("{t}:06"), json!({"ids": ["a"]})),
            fact(cycle, "service_created", &format!("{t}:07"), json!({})),
            fact(
                cycle,
                "account_mapped",
                &format!("{t}:08"),
                json!({"accountId": "a", "source": "auto"}),
            ),
            fact(
                cycle,
                "service_mapped",
                &format!("{t}:09"),
                json!({"serviceId": "s", "source": "manual"}),
            ),
            fact(cycle, "finished", &format!("{t}:10"), json!({})),
            Fact {
                cycle: 0,
                kind: "billing_rebuilt".into(),
                at: format!("{t}:12"),
                detail: json!({"withUsage": 1}),
                global: true,
                items: 0,
            },
            fact(cycle, "disconnected", &format!("{t}:13"), json!({})),
        ]
    }

    fn counts(cycle: i64, t: &str, no_build: i64) -> (i64, CycleCounts) {
        (
            cycle,
            CycleCounts {
                accepted: 2,
                with_no_build: no_build,
                first_at: Some(format!("{t}:11")),
                last_built_at: None,
            },
        )
    }

    #[test]
    fn a_correct_vendor_twice_through_the_cycle_passes() {
        let mut facts = vec![fact(1, "disconnected", "T0:00", json!({}))];
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
    }

    #[test]
    fn a_portal_opened_with_no_url_passes_with_a_warning() {
        let blank = |cycle: i64, t: &str| {
            round(cycle, t).into_iter().map(move |mut f| {
                if f.kind == "portal_opened" {
                    f.detail = json!({"url": null});
                }
                f
            })
        };
        let mut facts = vec![fact(1, "disconnected", "T0:00", json!({}))];
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
        facts.push(fact(
            2,
            "portal_opened",
            "T1:03b",
            json!({"url": "https://vendor.example/g"}),
        ));
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
        let mut facts = vec![fact(1, "disconnected", "T0:00", json!({}))];
        facts.extend(round(2, "T1").into_iter().filter(|f| f.kind != "status_set"));
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
        let mut facts = vec![fact(1, "disconnected", "T0:00", json!({}))];
        facts.extend(round(2, "T1").into_iter().filter(|f| f.kind != "billing_rebuilt"));
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
            facts: vec![fact(1, "authenticated", "T0:00", json!({}))],
            current_cycle: 1,
            ..Default::default()
        };
        let c = qa.checklist();
        assert_eq!(c.current_step.as_deref(), Some("disconnected_at_start"));
        assert!(!c.passed);
    }
}
