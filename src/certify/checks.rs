//! The steps the partner judges by looking: the card, the wizard's lists, the Billing page,
//! and the verdict the checklist gives at the end.

use super::mapping::{self, Plan};
use super::outcome::{Case, Status};
use super::rounds::{Fail, Runner, Step};
use crate::domain::ids::GradientToken;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

impl Runner {
    /// A partner action that must succeed, its evidence taken from the card it answers.
    pub(super) async fn simple(&self, method: &str, path: &str, evidence: impl Fn(&Value) -> String) -> Step {
        let card = self.console.on(method, path, None).await?;
        Ok((evidence(&card), String::new()))
    }

    pub async fn disconnect(&self) -> Step {
        let d = self.console.on("POST", "/disconnect", None).await?;
        Ok((
            format!(
                "DISCONNECT pressed: {} account(s), {} mapping(s), {} count(s) deleted; the key is revoked",
                d["deleted"]["accounts"],
                d["deleted"]["accountMappings"].as_u64().unwrap_or(0)
                    + d["deleted"]["serviceMappings"].as_u64().unwrap_or(0),
                d["deleted"]["unitCounts"]
            ),
            String::new(),
        ))
    }

    /// OPEN VENDOR PORTAL as the console presses it: the URL, or the blank page's reason.
    pub(super) async fn open_portal(&self) -> Result<String, String> {
        match self.console.on("GET", "/vendor-portal?format=json", None).await {
            Ok(v) => match v["url"].as_str() {
                Some(url) => Ok(url.to_string()),
                None => Err(format!(
                    "OPEN VENDOR PORTAL showed a blank page: {}",
                    v["message"]
                        .as_str()
                        .unwrap_or("the vendor set no integration portal URL")
                )),
            },
            Err(e) => Err(format!("OPEN VENDOR PORTAL showed a blank page: {}", e.message)),
        }
    }

    /// Waits for the card to show `ok`.
    pub(super) async fn watch_card(&self, ok: impl Fn(&Value) -> bool, evidence: impl Fn(&Value) -> String) -> Step {
        let last = std::cell::RefCell::new(Value::Null);
        let (last_ref, ok) = (&last, &ok);
        let found = self
            .settle(Duration::ZERO, || async move {
                let card = self.console.card().await.ok()?;
                let hit = ok(&card);
                *last_ref.borrow_mut() = card.clone();
                hit.then_some(card)
            })
            .await;
        let last = last.into_inner();
        match found {
            Some(card) => Ok((evidence(&card), String::new())),
            None => Err(Fail::seen(format!(
                "after {} s the card shows status {}, {} account(s), {} service(s), NEXT {}",
                self.args.settle_timeout,
                last["status"].as_str().unwrap_or("none"),
                last["accountCount"],
                last["serviceCount"],
                if last["nextEnabled"] == true { "lit" } else { "dark" }
            ))),
        }
    }

    /// While --connect still runs, the accounts may still be coming: the partner maps once
    /// their number has held for a second (or the command is over).
    pub(super) async fn accounts_settled(&self) -> Step {
        let mut last = (u64::MAX, Instant::now());
        let deadline = Instant::now() + self.args.settle_limit();
        loop {
            let n = self.console.card().await?["accountCount"].as_u64().unwrap_or(0);
            if n != last.0 {
                last = (n, Instant::now());
            }
            let held = last.1.elapsed() >= Duration::from_secs(1);
            if !self.connect_running() || held || Instant::now() >= deadline {
                return Ok((format!("{n} account(s) in for mapping"), String::new()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Maps the accounts (or the services) as planned.
    pub(super) async fn map(&self, accounts: bool) -> Step {
        if accounts {
            self.console
                .on("POST", "/step", Some(&json!({"step": "account_mapping"})))
                .await?;
        }
        let lists = self.console.mappings().await?;
        let billing = self.console.billing().await?;
        let Plan {
            accounts: a,
            services: s,
        } = mapping::plan(&lists, &billing, self.mapping.as_ref()).map_err(Fail::seen)?;
        let mut done = vec![];
        let auto = |k: &str| {
            lists[k]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|x| x["source"] == "auto")
                .count()
        };
        if accounts {
            for p in &a {
                let path = format!("/mappings/accounts/{}", enc(&p.id));
                self.console
                    .on("PUT", &path, Some(&json!({"psaAccountId": p.targets[0]})))
                    .await?;
                done.push(p.label.clone());
            }
            let card = self.console.card().await?;
            let n = card["mappedAccountCount"].as_u64().unwrap_or(0);
            if n == 0 {
                return Err(Fail::seen("no account is mapped"));
            }
            let auto = auto("accounts");
            Ok((mapped_evidence(n, auto, &done), String::new()))
        } else {
            for p in &s {
                let path = format!("/mappings/services/{}", enc(&p.id));
                self.console
                    .on("PUT", &path, Some(&json!({"psaProductIds": p.targets})))
                    .await?;
                done.push(p.label.clone());
            }
            let card = self.console.card().await?;
            let n = card["mappedServiceCount"].as_u64().unwrap_or(0);
            if n == 0 {
                return Err(Fail::seen("no service is mapped"));
            }
            Ok((mapped_evidence(n, auto("services"), &done), String::new()))
        }
    }

    /// "Within the vendor portal, initiate a sync": the --sync command (if any), then accepted
    /// counts with this round's key in the journal.
    pub(super) async fn sync(&mut self, r: u32, mark: u64) -> Step {
        let mut output = self.join_connect().await?;
        let mut ran_line = String::from("(--connect sent the usage)");
        if let Some(line) = self.args.sync.clone() {
            let ran = self.vendor(&line, &self.env(r, "sync")).await?;
            output.push_str(&ran.output());
            ran_line = format!("`{line}` ran in {:.1} s", ran.seconds);
        }
        let counts = self.accepted_counts(mark).await;
        if counts.is_empty() {
            let refused = self
                .console
                .journal_after(mark)
                .await
                .unwrap_or_default()
                .iter()
                .filter(|e| is_count(e) && e["status"].as_u64().unwrap_or(0) >= 400)
                .count();
            return Err(Fail {
                seen: format!("{ran_line}; no count was accepted ({refused} refused)"),
                output,
            });
        }
        Ok((format!("{ran_line}; {} count(s) accepted", counts.len()), output))
    }

    /// (accountId, serviceId) of every count accepted with this round's key since `mark`.
    pub async fn accepted_counts(&self, mark: u64) -> Vec<(String, String)> {
        let hint = GradientToken::key_hint(&self.keys.token);
        self.console
            .journal_after(mark)
            .await
            .unwrap_or_default()
            .iter()
            .filter(|e| is_count(e) && e["status"] == 201 && e["token"] == hint.as_str())
            .filter_map(|e| {
                let body: Value = serde_json::from_str(e["requestBody"].as_str()?).ok()?;
                let account = match &body["accountId"] {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return None,
                };
                let service = e["path"].as_str()?.split('/').rev().nth(1)?.to_string();
                Some((account, service))
            })
            .collect()
    }

    /// "Refresh the Billing page": once the rebuild has run, each mapped card a count was
    /// accepted for shows a vendor quantity.
    pub(super) async fn usage_visible(&self, mark: u64) -> Step {
        let counts = self.accepted_counts(mark).await;
        let lists = self.console.mappings().await?;
        let mut expected: Vec<(String, String)> = vec![];
        for (account, service) in &counts {
            let psa = lists["accounts"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|a| a["id"] == account.as_str())
                .and_then(|a| a["psaAccountId"].as_str());
            let products = lists["services"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["id"] == service.as_str())
                .and_then(|s| s["psaProductIds"].as_array());
            if let (Some(psa), Some(products)) = (psa, products) {
                for p in products.iter().filter_map(Value::as_str) {
                    let pair = (psa.to_string(), p.to_string());
                    if !expected.contains(&pair) {
                        expected.push(pair);
                    }
                }
            }
        }
        if expected.is_empty() {
            return Err(Fail::seen(format!(
                "none of the {} accepted count(s) is for an account and a service that are both mapped",
                counts.len()
            )));
        }
        let missing = std::cell::RefCell::new(String::new());
        let (missing_ref, expected) = (&missing, &expected);
        let debounce = Duration::from_millis(self.state.config.rebuild_debounce_ms);
        let shown = self
            .settle(debounce, || async move {
                let b = self.console.billing().await.ok()?;
                if b["pendingRebuild"] == true {
                    *missing_ref.borrow_mut() = "a billing rebuild is still pending".into();
                    return None;
                }
                let cards = b["cards"].as_array()?;
                let mut seen = vec![];
                for (psa, product) in expected {
                    let card = cards.iter().find(|c| {
                        c["psaAccountId"] == psa.as_str()
                            && c["productId"] == product.as_str()
                            && c["vendorQuantity"].is_number()
                    });
                    match card {
                        Some(c) => seen.push(format!(
                            "{} × {}: {}",
                            c["accountName"].as_str().unwrap_or(""),
                            c["productCode"].as_str().unwrap_or(""),
                            c["vendorQuantity"]
                        )),
                        None => {
                            *missing_ref.borrow_mut() =
                                format!("no card shows usage for PSA account {psa} and product {product}");
                            return None;
                        }
                    }
                }
                Some(seen)
            })
            .await;
        match shown {
            Some(seen) => Ok((
                format!(
                    "{} mapped card(s) show the imported usage: {}",
                    seen.len(),
                    seen.join(", ")
                ),
                String::new(),
            )),
            None => Err(Fail::seen(format!(
                "{} (waited the {} ms debounce and {} s)",
                missing.into_inner(),
                self.state.config.rebuild_debounce_ms,
                self.args.settle_timeout
            ))),
        }
    }

    /// The verdict: the checklist's, with its warnings and the report's lint as cases.
    pub(super) async fn conclude(&mut self) {
        let report = self.console.report().await.unwrap_or(Value::Null);
        let checklist = self.console.checklist().await.unwrap_or(Value::Null);
        self.verdict = checklist["verdict"].as_str().unwrap_or("QA not passed yet").to_string();
        let warnings: Vec<String> = checklist["steps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| Some(format!("{}: {}", s["key"].as_str()?, s["warning"].as_str()?)))
            .collect();
        for l in report["lint"].as_array().cloned().unwrap_or_default() {
            let code = l["code"].as_str().unwrap_or("lint").to_string();
            let mut c = Case::new("lint", 0, &code, l["example"].as_str().unwrap_or(""));
            c.evidence = Some(format!(
                "{} time(s). {} Fix: {}",
                l["count"],
                l["why"].as_str().unwrap_or(""),
                l["fix"].as_str().unwrap_or("")
            ));
            c.output = c.evidence.clone().unwrap_or_default();
            if self.args.strict {
                c.status = Status::Failed;
                c.message = Some(format!("lint under --strict: {}", l["fix"].as_str().unwrap_or("")));
            }
            self.push(c);
        }
        let mut c = Case::new("checklist", 0, "verdict", &self.verdict);
        c.output = warnings.join("\n");
        let passed = checklist["passed"] == true;
        if !passed {
            c.status = Status::Failed;
            let current = checklist["currentStep"].as_str().unwrap_or("?");
            let hint = checklist["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|s| s["key"] == current)
                .and_then(|s| s["hint"].as_str())
                .unwrap_or("");
            c.message = Some(format!("the checklist stops at {current}: {hint}"));
        } else if self.args.strict && !warnings.is_empty() {
            c.status = Status::Failed;
            c.message = Some(format!("warnings under --strict: {}", warnings.join("; ")));
        }
        c.evidence = Some(format!("the QA checklist says: {}", self.verdict));
        self.push(c);
        self.final_report = report;
    }
}

fn mapped_evidence(n: u64, auto: usize, done: &[String]) -> String {
    let mut s = format!("{n} mapped");
    if auto > 0 {
        s.push_str(&format!(" ({auto} by exact name)"));
    }
    if !done.is_empty() {
        s.push_str(&format!(": {}", done.join(", ")));
    }
    s
}

/// A count call, by its route.
pub fn is_count(e: &Value) -> bool {
    e["method"] == "POST" && e["route"].as_str().is_some_and(|r| r.ends_with("/count"))
}

/// One path segment, percent-encoded (vendor ids may hold anything).
fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
