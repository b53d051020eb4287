//! The QA rounds: the partner's steps played through `/sim`, the vendor's steps run as the
//! vendor's commands, each step judged from what the partner would see (the card, the Billing
//! page) and the journal, its failure explained with the checklist's own hint.

use super::cli::QaArgs;
use super::command::{self, Ran};
use super::console::Console;
use super::mapping::{self, MappingFile};
use super::outcome::case;
use super::outcome::{Case, Status};
use crate::domain::ids::GradientToken;
use crate::state::AppState;
use crate::store::seed::DemoKeys;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A step that did not pass: what the runner saw, and the vendor command's output if any.
pub struct Fail {
    pub seen: String,
    pub output: String,
}

impl Fail {
    pub fn seen(s: impl Into<String>) -> Self {
        Fail {
            seen: s.into(),
            output: String::new(),
        }
    }
}

impl From<super::console::Refused> for Fail {
    fn from(r: super::console::Refused) -> Self {
        Fail::seen(format!("the simulator answered {r}"))
    }
}

pub type Step = Result<(String, String), Fail>;

/// The keys the partner generated in this round.
#[derive(Clone, Default)]
pub struct Keys {
    pub partner: String,
    pub token: String,
}

pub struct Runner {
    pub args: QaArgs,
    pub(super) state: actix_web::web::Data<AppState>,
    pub console: Console,
    pub vendor_key: String,
    pub(super) mapping: Option<MappingFile>,
    pub keys: Keys,
    /// The round's --connect command while it runs: the partner's steps go on beside it, so
    /// that a command that waits for the mapping before it syncs can do everything.
    /// Whether every QA step passed (the resilience vectors run only then).
    pub qa_passed: bool,
    pub(super) connect_task: Option<tokio::task::JoinHandle<std::io::Result<Ran>>>,
    pub cases: Vec<Case>,
    /// The checklist's verdict at the end ("QA passed", ...).
    pub verdict: String,
    /// The checklist's QA report at the end.
    pub final_report: Value,
}

impl Runner {
    pub fn new(
        args: QaArgs,
        base: &str,
        state: actix_web::web::Data<AppState>,
        keys: DemoKeys,
        mapping: Option<MappingFile>,
    ) -> Self {
        let mut console = Console::new(base);
        console.integration = keys.integration_id.clone();
        Runner {
            args,
            state,
            console,
            vendor_key: keys.vendor_api_key,
            mapping,
            keys: Keys::default(),
            connect_task: None,
            qa_passed: false,
            cases: vec![],
            verdict: "QA not passed yet".into(),
            final_report: Value::Null,
        }
    }

    /// Every round, then the checklist's verdict. A usage error found on the way (a mapping
    /// file naming what the seed does not have) is answered before any step runs.
    pub async fn run_all(&mut self) -> Result<(), String> {
        println!(
            "synthesize-sim qa: simulator at {} ({} round(s){})",
            self.console.base,
            self.args.rounds,
            if self.args.resilience { ", then resilience" } else { "" }
        );
        if let Some(file) = &self.mapping {
            let lists = self.console.mappings().await.map_err(|e| e.to_string())?;
            mapping::check_targets(file, &lists)?;
        }
        let mut going = self.prelude().await;
        for r in 1..=self.args.rounds {
            if going {
                going = self.round(r).await;
            } else {
                self.skip_round(r);
            }
        }
        self.qa_passed = going;
        // The verdict is the QA rounds': the vectors' own connections and the failures they
        // provoke on purpose are not the integration's record.
        self.conclude().await;
        Ok(())
    }

    /// Prints the step's line and keeps its case.
    pub fn push(&mut self, c: Case) {
        println!("{}", c.line());
        self.cases.push(c);
    }

    pub(super) fn suite(r: u32) -> String {
        format!("QA round {r}")
    }

    /// Records a step's result: on failure the checklist's hint becomes the message.
    pub async fn record(&mut self, r: u32, key: &str, started: Instant, result: Step) -> bool {
        let mut c = case(&Self::suite(r), r, key);
        c.seconds = started.elapsed().as_secs_f64();
        match result {
            Ok((evidence, output)) => {
                c.evidence = Some(evidence);
                c.output = output;
            }
            Err(f) => {
                c.status = Status::Failed;
                c.message = Some(self.hint(r, key).await.unwrap_or_else(|| f.seen.clone()));
                c.evidence = Some(f.seen);
                c.output = f.output;
            }
        }
        let ok = c.status == Status::Passed;
        self.push(c);
        ok
    }

    /// The checklist's hint for this step (round 2 and later: its `_again` key), or the hint of
    /// the step the checklist is stuck on, which explains the earlier cause.
    async fn hint(&self, r: u32, key: &str) -> Option<String> {
        let q = self.console.checklist().await.ok()?;
        let want = if r >= 2 && key != "disconnected" {
            format!("{key}_again")
        } else {
            key.to_string()
        };
        let steps = q["steps"].as_array()?;
        let own = steps.iter().find(|s| s["key"] == want.as_str());
        if let Some(h) = own.and_then(|s| s["hint"].as_str().or(s["warning"].as_str())) {
            return Some(h.to_string());
        }
        steps.iter().find_map(|s| s["hint"].as_str()).map(String::from)
    }

    fn skip_round(&mut self, r: u32) {
        let mut keys: Vec<&str> = crate::domain::qa::QaStep::ROUND.iter().map(|s| s.key()).collect();
        if r < self.args.rounds {
            keys.push("disconnected");
        }
        for key in keys {
            let mut c = case(&Self::suite(r), r, key);
            c.status = Status::Skipped;
            c.message = Some("not reached: an earlier step failed".into());
            self.push(c);
        }
    }

    /// The environment a vendor command gets: production's base URL (with `/api`), the token
    /// and both keys under the names a public Synthesize CLI reads, and where QA stands.
    pub fn env(&self, round: u32, step: &str) -> Vec<(String, String)> {
        vec![
            ("GRADIENT_BASE_URL".into(), format!("{}/api", self.console.base)),
            ("GRADIENT_TOKEN".into(), self.keys.token.clone()),
            ("GRADIENT_VENDOR_API_KEY".into(), self.vendor_key.clone()),
            ("GRADIENT_PARTNER_API_KEY".into(), self.keys.partner.clone()),
            ("SYNTH_SIM_QA_ROUND".into(), round.to_string()),
            ("SYNTH_SIM_QA_STEP".into(), step.into()),
        ]
    }

    /// Runs one of the vendor's commands; a failure carries its output.
    pub async fn vendor(&self, line: &str, env: &[(String, String)]) -> Result<Ran, Fail> {
        let limit = self.args.step_limit();
        let ran = command::run(line, env, limit)
            .await
            .map_err(|e| Fail::seen(format!("`{line}` could not start: {e}")))?;
        match ran.failure(line, limit) {
            Some(why) => Err(Fail {
                seen: why,
                output: ran.output(),
            }),
            None => Ok(ran),
        }
    }

    /// Polls `probe` until it answers Some, for at most the settle time (plus `extra`) after
    /// the --connect command is over: while it runs (its own time limit bounds it), it may
    /// still be doing what is awaited.
    pub async fn settle<T, F, Fut>(&self, extra: Duration, mut probe: F) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let mut deadline = Instant::now() + self.args.settle_limit() + extra;
        loop {
            if let Some(v) = probe().await {
                return Some(v);
            }
            if self.connect_running() {
                deadline = deadline.max(Instant::now() + self.args.settle_limit());
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Before round 1: the portal URL set as Gradient support sets it, then "If the
    /// integration is connected, disconnect it".
    async fn prelude(&mut self) -> bool {
        let started = Instant::now();
        let result = async {
            let card = self.console.card().await?;
            if let Some(url) = self.args.portal_url.clone() {
                let vendor = card["vendorId"].as_str().unwrap_or_default().to_string();
                self.set_portal_url(vendor, url).await?;
            }
            if card["state"] == "ready_to_connect" {
                return Ok(("the integration was not connected".into(), String::new()));
            }
            self.console.on("POST", "/disconnect", None).await?;
            Ok((
                format!(
                    "disconnected it (it was {})",
                    card["stateLabel"].as_str().unwrap_or("connected")
                ),
                String::new(),
            ))
        }
        .await;
        self.record(1, "disconnected_at_start", started, result).await
    }

    /// Gradient support's action, which has no route: the vendor profile's update, in process,
    /// with no caller's key (a vendor API call would count as the vendor authenticating).
    async fn set_portal_url(&self, vendor_id: String, url: String) -> Result<(), Fail> {
        let update = crate::store::vendors::VendorUpdate {
            integration_portal_url: Some(url),
            ..Default::default()
        };
        crate::ops::profile::update_vendor(&self.state.ops, &Support, vendor_id, None, update)
            .await
            .result
            .map(|_| ())
            .map_err(|e| Fail::seen(format!("setting --portal-url: {e}")))
    }

    /// One round, connect to finish and usage; false when a step failed that later ones need.
    async fn round(&mut self, r: u32) -> bool {
        let mark = self.console.journal_mark().await.unwrap_or(0);
        let t = Instant::now();
        let res = self.simple("POST", "/connect", |c| {
            format!("CONNECT pressed: {}", c["stateLabel"].as_str().unwrap_or(""))
        });
        let res = res.await;
        if !self.record(r, "connect", t, res).await {
            return self.stop(r, "token_generated");
        }

        let t = Instant::now();
        let res = match self.console.on("POST", "/token", None).await {
            Ok(k) => {
                self.keys = Keys {
                    partner: k["partnerApiKey"].as_str().unwrap_or_default().to_string(),
                    token: k["gradientToken"].as_str().unwrap_or_default().to_string(),
                };
                Ok((
                    format!(
                        "partner API key {} generated",
                        GradientToken::key_hint(&self.keys.token)
                    ),
                    String::new(),
                ))
            }
            Err(e) => Err(e.into()),
        };
        if !self.record(r, "token_generated", t, res).await {
            return self.stop(r, "portal_opened");
        }

        // OPEN VENDOR PORTAL comes before authentication in the QA steps; a blank page is
        // tried again once the vendor's code has run (which may set the URL).
        let t_portal = Instant::now();
        let first_open = self.open_portal().await;
        if let Ok(url) = &first_open {
            let res = Ok((format!("OPEN VENDOR PORTAL opened {url}"), String::new()));
            self.record(r, "portal_opened", t_portal, res).await;
        }

        let t = Instant::now();
        let res = self.authenticate(r, mark).await;
        let authenticated = self.record(r, "authenticated", t, res).await;
        if first_open.is_err() {
            let res = match self.open_portal().await {
                Ok(url) => Ok((
                    format!("OPEN VENDOR PORTAL opened {url} (set by the vendor's code)"),
                    String::new(),
                )),
                Err(seen) => Err(Fail::seen(seen)),
            };
            let at = self.cases.len() - 1;
            if !self.record(r, "portal_opened", t_portal, res).await {
                let c = self.cases.last_mut().expect("just pushed");
                let m = c.message.take().unwrap_or_default();
                c.message = Some(format!(
                    "{m} Or pass --portal-url URL to `synthesize-sim qa` (in production, Gradient support sets it)."
                ));
            }
            let portal = self.cases.pop().expect("just pushed");
            self.cases.insert(at, portal);
        }
        if !authenticated {
            return self.stop(r, "next_lit");
        }

        let t = Instant::now();
        let res = self.watch_card(
            |c| c["nextEnabled"] == true,
            |c| format!("NEXT is lit: status {}", c["status"].as_str().unwrap_or("?")),
        );
        let res = res.await;
        if !self.record(r, "next_lit", t, res).await {
            return self.stop(r, "accounts_synced");
        }

        let t = Instant::now();
        let res = self.watch_card(
            |c| c["accountCount"].as_u64().unwrap_or(0) > 0,
            |c| format!("{} account(s) in for mapping", c["accountCount"]),
        );
        let mut res = res.await;
        if res.is_ok() {
            res = self.accounts_settled().await;
        }
        if !self.record(r, "accounts_synced", t, res).await {
            return self.stop(r, "accounts_mapped");
        }

        let t = Instant::now();
        let res = self.map(true).await;
        if !self.record(r, "accounts_mapped", t, res).await {
            return self.stop(r, "services_synced");
        }

        let t = Instant::now();
        let res = async {
            self.console
                .on("POST", "/step", Some(&json!({"step": "service_mapping"})))
                .await?;
            let m = self.console.mappings().await?;
            let n = m["services"].as_array().map_or(0, Vec::len);
            if n == 0 {
                return Err(Fail::seen("the Service Mapping step lists no service"));
            }
            Ok((format!("{n} service(s) in for mapping"), String::new()))
        }
        .await;
        if !self.record(r, "services_synced", t, res).await {
            return self.stop(r, "services_mapped");
        }

        let t = Instant::now();
        let res = self.map(false).await;
        if !self.record(r, "services_mapped", t, res).await {
            return self.stop(r, "finished");
        }

        let t = Instant::now();
        let res = async {
            self.console
                .on("POST", "/step", Some(&json!({"step": "review"})))
                .await?;
            let card = self.console.on("POST", "/finish", None).await?;
            Ok((
                format!("FINISH pressed: {}", card["stateLabel"].as_str().unwrap_or("")),
                String::new(),
            ))
        }
        .await;
        if !self.record(r, "finished", t, res).await {
            return self.stop(r, "sync_initiated");
        }

        let t = Instant::now();
        let res = self.sync(r, mark).await;
        if !self.record(r, "sync_initiated", t, res).await {
            return self.stop(r, "usage_visible");
        }

        let t = Instant::now();
        let res = self.usage_visible(mark).await;
        if !self.record(r, "usage_visible", t, res).await {
            return self.stop(r, "disconnected");
        }

        if r < self.args.rounds {
            let t = Instant::now();
            let res = self.disconnect().await;
            return self.record(r, "disconnected", t, res).await;
        }
        true
    }

    /// Marks the rest of round `r` from `from` as not reached; answers false.
    fn stop(&mut self, r: u32, from: &str) -> bool {
        if let Some(task) = self.connect_task.take() {
            task.abort();
        }
        let mut keys: Vec<&str> = crate::domain::qa::QaStep::ROUND.iter().map(|s| s.key()).collect();
        if r < self.args.rounds {
            keys.push("disconnected");
        }
        let Some(i) = keys.iter().position(|k| *k == from) else {
            return false;
        };
        for key in &keys[i..] {
            if self.cases.iter().any(|c| c.round == r && c.key == *key) {
                continue; // the portal step may have been recorded out of order
            }
            let mut c = case(&Self::suite(r), r, key);
            c.status = Status::Skipped;
            c.message = Some("not reached: an earlier step failed".into());
            self.push(c);
        }
        false
    }

    /// Starts the round's --connect command in the background.
    pub(super) fn start_connect(&mut self, r: u32, step: &str, extra: &[(String, String)]) {
        let line = self.args.connect.clone();
        let mut env = self.env(r, step);
        env.extend(extra.iter().cloned());
        let limit = self.args.step_limit();
        self.connect_task = Some(tokio::spawn(async move { command::run(&line, &env, limit).await }));
    }

    /// Waits for the --connect command to end: its output, or why it failed.
    pub(super) async fn join_connect(&mut self) -> Result<String, Fail> {
        let Some(task) = self.connect_task.take() else {
            return Ok(String::new());
        };
        let line = &self.args.connect;
        let ran = task
            .await
            .map_err(|e| Fail::seen(e.to_string()))?
            .map_err(|e| Fail::seen(format!("`{line}` could not start: {e}")))?;
        match ran.failure(line, self.args.step_limit()) {
            Some(why) => Err(Fail {
                seen: why,
                output: ran.output(),
            }),
            None => Ok(ran.output()),
        }
    }

    pub(super) fn connect_running(&self) -> bool {
        self.connect_task.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// "Authenticate the integration": the vendor's --connect command runs; the step passes
    /// once a call with the new key is accepted (the command may go on, e.g. to wait for the
    /// mapping), and fails if the command ends without one or fails first.
    async fn authenticate(&mut self, r: u32, mark: u64) -> Step {
        self.start_connect(r, "connect", &[]);
        let hint = GradientToken::key_hint(&self.keys.token);
        let limit = self.args.step_limit();
        let started = Instant::now();
        let accepted = loop {
            let calls = self.console.journal_after(mark).await.unwrap_or_default();
            let hit = calls
                .into_iter()
                .find(|e| e["token"] == hint.as_str() && e["status"].as_u64().is_some_and(|s| s < 400));
            if hit.is_some() || !self.connect_running() || started.elapsed() > limit {
                break hit;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // A quick command is given a moment to end, so its output stays with this step.
        let grace = Instant::now() + Duration::from_secs(2);
        while accepted.is_some() && self.connect_running() && Instant::now() < grace {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let line = self.args.connect.clone();
        // A command that is over is judged whole now; one still running is joined at the sync.
        let output = if accepted.is_some() && self.connect_running() {
            String::new()
        } else {
            // No call accepted: the command's own end (its time limit at the latest) says why.
            self.join_connect().await?
        };
        match accepted {
            Some(e) => Ok((
                format!(
                    "`{line}`: first call with the new key: {} {} {}",
                    e["method"].as_str().unwrap_or(""),
                    e["path"].as_str().unwrap_or(""),
                    e["status"]
                ),
                output,
            )),
            None => Err(Fail {
                seen: format!("`{line}` ended, and no call with the new partner key ({hint}) was accepted"),
                output,
            }),
        }
    }
}

/// Gradient support, acting on the vendor profile: no key to check again.
#[derive(Clone)]
struct Support;

impl crate::ops::Access for Support {
    fn recheck(&self, _: &rusqlite::Connection) -> crate::error::ApiResult<()> {
        Ok(())
    }
}
