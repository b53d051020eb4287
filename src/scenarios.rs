//! Scenarios: named data sets a presenter pushes in one click, each ending on the service cards
//! it is meant to show. A scenario resets the simulator directly (as RESET does, to the current
//! seed), then plays both sides over HTTP against this very server, so the journal and the QA
//! checklist record what a real vendor and partner would have done: the vendor through the
//! public vendor API with the `demo-vendor` client, the partner through `/sim`. Finally it
//! rebuilds the billing view, so the cards are there when it answers.

mod month;

use crate::demo_vendor::{self, Account, DataSet, Gradient, Service, Usage};
use crate::error::{ApiError, ApiResult};
use crate::scenario_gate::Run;
pub use crate::scenario_gate::RUN_HEADER;
use crate::state::AppState;
use crate::store::seed::{Seed, SeedAgreement, SeedCompany, SeedLine};
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// The 409 of a scenario interrupted, naming what interrupted it.
pub(crate) fn interrupted(name: &str, by: &str) -> ApiError {
    ApiError::Conflict(format!(
        "The scenario {name:?} was interrupted by {by} from another client: it stopped there, and the state is \
         what that left. Run the scenario again to play it whole."
    ))
}

/// A scenario as `GET /sim/scenarios` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// The card types it ends on.
    pub shows: &'static [&'static str],
    /// The named events it plays, in order (the month in the life has them; the others are one
    /// sync each).
    pub steps: &'static [&'static str],
}

pub const SCENARIOS: [Scenario; 7] = [
    Scenario {
        name: "all-in-sync",
        title: "All in sync",
        description: "Pelican's counts equal the PSA quantities: every card it feeds reads No Change.",
        shows: &["no_change"],
        steps: &[],
    },
    Scenario {
        name: "under-billed",
        title: "Under-billed",
        description: "More endpoints and mailboxes than the PSA bills: Reconcile cards with revenue to gain.",
        shows: &["reconcile"],
        steps: &[],
    },
    Scenario {
        name: "over-billed",
        title: "Over-billed",
        description: "Fewer endpoints than the PSA bills: Reconcile cards with negative revenue change.",
        shows: &["reconcile"],
        steps: &[],
    },
    Scenario {
        name: "new-revenue",
        title: "New revenue",
        description: "Security training used by customers whose contract has no such line: New Revenue cards.",
        shows: &["new_revenue"],
        steps: &[],
    },
    Scenario {
        name: "decimal-usage",
        title: "Decimal usage (storage in GB)",
        description: "Backup storage counted in GB with decimals: a Reconcile card on the per-GB line and New Revenue for customers without one.",
        shows: &["reconcile", "new_revenue"],
        steps: &[],
    },
    Scenario {
        name: "large-msp",
        title: "A large MSP",
        description: "300 more customers in the PSA and at Pelican, mapped by name: hundreds of cards of every type.",
        shows: &["no_change", "reconcile", "new_revenue"],
        steps: &[],
    },
    month::SCENARIO,
];

/// How many customers the large MSP adds to the seed.
pub const LARGE_MSP_CUSTOMERS: usize = 300;

/// What a scenario resets to, what the vendor sends and how the partner maps it.
struct Plan {
    /// Run right after the reset, with the seed partner's id (a month in the life gives it a
    /// clock of its own).
    clock: Option<fn(&AppState, &str)>,
    seed: Seed,
    data: DataSet,
    /// Vendor account id → PSA company name, for names that do not auto-map.
    accounts: Vec<(String, String)>,
    /// Vendor service name → PSA product codes.
    services: Vec<(String, Vec<String>)>,
}

// Pelican's customers, as Pelican names them, and the PSA company each is.
const CUSTOMERS: [(&str, &str, &str); 10] = [
    ("pel-acme", "Acme Corp", "Acme Corp"),
    ("pel-bluebird", "Bluebird Dental Group", "Bluebird Dental Group"),
    ("pel-cedar", "Cedar Ridge Law LLP", "Cedar Ridge Law, LLP"),
    ("pel-delta", "Delta Logistics", "Delta Logistics Inc."),
    (
        "pel-evergreen",
        "Evergreen Animal Hospital",
        "Evergreen Animal Hospital",
    ),
    ("pel-foxtrot", "Foxtrot Manufacturing", "Foxtrot Manufacturing Co."),
    ("pel-granite", "Granite Peak Credit Union", "Granite Peak Credit Union"),
    ("pel-harbor", "Harbor View Realty", "Harbor View Realty"),
    ("pel-ironclad", "Ironclad Construction", "Ironclad Construction"),
    ("pel-juniper", "Juniper Family Practice", "Juniper Family Practice"),
];

const EDR: &str = "Endpoint Protection";
const EMAIL: &str = "Email Security";
const SAT: &str = "Security Awareness Training";
const STORAGE: &str = "Pelican Vault Backup Storage (GB)";

fn plan(name: &str, current: &Seed) -> Option<Plan> {
    let usage: &[(&str, &str, f64)] = match name {
        "all-in-sync" => &[
            ("pel-acme", EDR, 45.0),
            ("pel-acme", EMAIL, 40.0),
            ("pel-bluebird", EDR, 20.0),
            ("pel-bluebird", EMAIL, 22.0),
            ("pel-delta", EDR, 69.0),
            ("pel-evergreen", EDR, 12.0),
            ("pel-evergreen", EMAIL, 14.0),
            ("pel-juniper", EDR, 16.0),
            ("pel-juniper", EMAIL, 17.0),
        ],
        "under-billed" => &[
            ("pel-acme", EDR, 52.0),
            ("pel-acme", EMAIL, 44.0),
            ("pel-cedar", EDR, 34.0),
            ("pel-granite", EDR, 63.0),
            ("pel-granite", EMAIL, 66.0),
            ("pel-ironclad", EDR, 41.0),
        ],
        "over-billed" => &[
            ("pel-acme", EDR, 38.0),
            ("pel-delta", EDR, 61.0),
            ("pel-foxtrot", EDR, 95.0),
            ("pel-granite", EMAIL, 55.0),
            ("pel-juniper", EDR, 12.0),
        ],
        "new-revenue" => &[
            ("pel-acme", SAT, 44.0),
            ("pel-cedar", SAT, 31.0),
            ("pel-delta", SAT, 70.0),
            ("pel-harbor", SAT, 12.0),
        ],
        "decimal-usage" => &[
            ("pel-harbor", STORAGE, 262.75),
            ("pel-acme", STORAGE, 118.4),
            ("pel-granite", STORAGE, 1024.5),
        ],
        "large-msp" => &[],
        _ => return None,
    };
    let mut data = DataSet {
        services: pelican_services(),
        accounts: vec![],
        usage: usage
            .iter()
            .map(|(account, service, units)| Usage {
                account: account.to_string(),
                service: service.to_string(),
                units: *units,
            })
            .collect(),
    };
    let mut accounts = vec![];
    // Only the customers the usage names: a scenario shows its cards and nothing else.
    for (id, vendor_name, psa_name) in CUSTOMERS {
        if data.usage.iter().any(|u| u.account == id) {
            data.accounts.push(Account {
                id: id.into(),
                name: vendor_name.into(),
            });
            accounts.push((id.to_string(), psa_name.to_string()));
        }
    }
    let mut seed = current.clone();
    if name == "large-msp" {
        large_msp(&mut seed, &mut data);
    }
    let services = [
        (EDR, "SEC-EDR"),
        (EMAIL, "SEC-EMAIL"),
        (SAT, "SEC-SAT"),
        (STORAGE, "BKP-GB"),
    ]
    .iter()
    .filter(|(s, code)| {
        data.usage.iter().any(|u| u.service == *s) && seed.products.iter().any(|p| p.product_code == *code)
    })
    .map(|(s, code)| (s.to_string(), vec![code.to_string()]))
    .collect();
    Some(Plan {
        clock: None,
        seed,
        data,
        accounts,
        services,
    })
}

fn pelican_services() -> Vec<Service> {
    let mut services = demo_vendor::pelican().services;
    services.push(Service {
        name: STORAGE.into(),
        description: "Pelican Vault: cloud backup storage, billed per GB".into(),
        category: "backup".into(),
        subcategory: "cloud backup".into(),
    });
    services
}

/// Adds the large MSP's customers to the PSA (each with workstations and EDR) and to Pelican's
/// accounts under the same names, so they map themselves. A quarter are in sync, a quarter
/// under-billed, a quarter over-billed; every tenth also buys training it is not billed for.
fn large_msp(seed: &mut Seed, data: &mut DataSet) {
    for i in 0..LARGE_MSP_CUSTOMERS {
        let name = format!(
            "{} {} {:03}",
            PREFIXES[i % PREFIXES.len()],
            SUFFIXES[i % SUFFIXES.len()],
            i + 1
        );
        let endpoints = 5.0 + (i % 40) as f64;
        seed.companies.push(SeedCompany {
            id: None,
            psa_ref: Some(50_000 + i as i64),
            name: name.clone(),
            company_type: "Customer".into(),
            status: "Active".into(),
            agreements: vec![SeedAgreement {
                id: None,
                name: "Managed Services Agreement".into(),
                status: "Active".into(),
                billing_cycle: "Monthly".into(),
                prorate: false,
                lines: vec![
                    SeedLine {
                        id: None,
                        product: "MS-WKS".into(),
                        quantity: endpoints,
                    },
                    SeedLine {
                        id: None,
                        product: "SEC-EDR".into(),
                        quantity: endpoints,
                    },
                ],
            }],
        });
        let id = format!("pel-msp-{:03}", i + 1);
        data.accounts.push(Account { id: id.clone(), name });
        let delta = match i % 4 {
            0 => 0.0,
            1 => 1.0 + (i % 5) as f64,
            2 => -1.0 - (i % 3) as f64,
            _ => 0.0,
        };
        data.usage.push(Usage {
            account: id.clone(),
            service: EDR.into(),
            units: endpoints + delta,
        });
        if i % 10 == 3 {
            data.usage.push(Usage {
                account: id,
                service: SAT.into(),
                units: endpoints,
            });
        }
    }
}

const PREFIXES: [&str; 6] = ["Summit", "Riverbend", "Oakmont", "Bayside", "Prairie", "Copper"];
const SUFFIXES: [&str; 5] = ["Dental", "Logistics", "Realty", "Accounting", "Clinic"];

/// What a run did, as `POST /sim/scenarios/{name}` answers it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub scenario: &'static str,
    pub title: &'static str,
    pub accounts: usize,
    pub counts_accepted: usize,
    pub not_mapped: Vec<String>,
    /// Calls the vendor client repeated after a 429 or a transient error.
    pub retries: u32,
    /// Cards with usage after the rebuild, by type.
    pub cards: Value,
    /// The named events played, each at the partner's time (empty for one-sync scenarios).
    pub steps: Vec<StepDone>,
    pub duration_ms: u128,
}

/// One named event of a scenario, as it happened.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepDone {
    pub name: &'static str,
    /// The partner's time when it happened.
    pub at: String,
    pub detail: String,
}

pub async fn run(state: &AppState, name: &str) -> ApiResult<Outcome> {
    let scenario = SCENARIOS
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("No scenario found with name: {name}")))?;
    let gate = &state.scenario;
    let _one_at_a_time = gate
        .one_at_a_time
        .try_lock()
        .map_err(|_| ApiError::Conflict("A scenario is already running: wait for it to finish".into()))?;
    let run = Arc::new(Run {
        id: crate::domain::ids::ApiKey::secret().expose().to_string(),
        interrupted_by: Default::default(),
        steps: Default::default(),
    });
    *gate.current.lock() = Some(run.clone());
    let out = play(state, scenario, &run).await;
    *gate.current.lock() = None;
    // Whatever a step answered once interrupted, the interruption is the reason.
    match run.interrupted() {
        Some(by) => Err(interrupted(scenario.name, &by)),
        None => out,
    }
}

async fn play(state: &AppState, scenario: &Scenario, run: &Run) -> ApiResult<Outcome> {
    let name = scenario.name;
    let started = Instant::now();
    let current = state.seed.read().clone();
    if name == month::SCENARIO.name {
        return month::play(state, scenario, run, current, started).await;
    }
    let plan = plan(name, &current).expect("every listed scenario has a plan");
    let mut set_up = set_up(state, run, plan).await?;
    let plan = &set_up.plan;
    // The vendor's usage, then the billing view as the partner would see it after a reload.
    let report = demo_vendor::sync_usage(&set_up.vendor, &set_up.ids, &plan.data.usage)
        .await
        .map_err(failed)?;
    let billing = set_up.partner.sim("POST", "/billing/rebuild", json!({})).await?;
    Ok(Outcome {
        scenario: scenario.name,
        title: scenario.title,
        accounts: plan.data.accounts.len(),
        counts_accepted: report.accepted,
        not_mapped: std::mem::take(&mut set_up.not_mapped)
            .into_iter()
            .chain(report.not_mapped)
            .collect(),
        retries: set_up.vendor.retries(),
        cards: cards_by_type(&billing),
        steps: vec![],
        duration_ms: started.elapsed().as_millis(),
    })
}

/// Cards with vendor usage, counted by type.
fn cards_by_type(billing: &Value) -> Value {
    let mut cards = serde_json::Map::new();
    for c in billing["cards"].as_array().into_iter().flatten() {
        if c["vendorQuantity"].is_number() {
            let t = c["type"].as_str().unwrap_or("other").to_string();
            let n = cards.get(&t).and_then(Value::as_u64).unwrap_or(0);
            cards.insert(t, json!(n + 1));
        }
    }
    Value::Object(cards)
}

/// Where a scenario stands once both sides set the integration up.
struct SetUp {
    plan: Plan,
    partner: Partner,
    vendor: Gradient,
    /// Vendor service name → Gradient's id.
    ids: std::collections::BTreeMap<String, String>,
    not_mapped: Vec<String>,
}

/// Resets to the plan's seed, then plays the setup both sides do: the vendor authenticates,
/// sets pending and its portal URL, sends services and accounts; the partner maps (exact
/// names map themselves, the plan's others by hand), reviews and finishes.
async fn set_up(state: &AppState, run: &Run, plan: Plan) -> ApiResult<SetUp> {
    let keys = plan.seed.demo_keys();
    {
        // The scenario's own reset is a step too: an interruption waits for it.
        let Some(_step) = run.step().await else {
            return Err(ApiError::Conflict("interrupted".into()));
        };
        crate::ops::control::reset_to(&state.ops, &state.gate, plan.seed.clone()).await?;
    }
    // A month in the life moves the partner's own clock from here on (see `month`).
    if let Some(prepare) = &plan.clock {
        prepare(state, &crate::store::seed::partner_id(&plan.seed));
    }

    let base = self_url(state);
    let http = self_client(state, &run.id)?;
    let partner = Partner {
        http: http.clone(),
        base: base.clone(),
        integration: keys.integration_id.clone(),
        control_token: state.config.control_token.clone(),
    };
    // The seed's kickoff key, as the seeded integration starts with; else connect for a token.
    let partner_key = match keys.partner_api_key {
        Some(k) => k,
        None => {
            partner.post("/connect", json!({})).await?;
            let t = partner.post("/token", json!({})).await?;
            t["partnerApiKey"].as_str().unwrap_or_default().to_string()
        }
    };
    let vendor = Gradient::with_http(&base, &keys.vendor_api_key, &partner_key, http).map_err(failed)?;

    // The vendor: authenticate, pending, portal URL, services and accounts.
    demo_vendor::connect(&vendor).await.map_err(failed)?;
    demo_vendor::set_portal_url(&vendor, &format!("{base}/demo-vendor/"))
        .await
        .map_err(failed)?;
    let ids = demo_vendor::sync_services(&vendor, &plan.data.services)
        .await
        .map_err(failed)?;
    demo_vendor::sync_accounts(&vendor, &plan.data.accounts)
        .await
        .map_err(failed)?;

    // The partner: mapping (exact names map themselves), review, finish.
    partner.post("/step", json!({"step": "account_mapping"})).await?;
    let m = partner.get("/mappings").await?;
    let psa_id = |list: &str, key: &str, wanted: &str| {
        m[list]
            .as_array()
            .into_iter()
            .flatten()
            .find(|x| x[key] == wanted)
            .and_then(|x| x["id"].as_str())
            .map(String::from)
    };
    for (account, psa_name) in &plan.accounts {
        let mapped = m["accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a["id"] == account.as_str() && a["psaAccountId"].is_string());
        if let (false, Some(id)) = (mapped, psa_id("psaAccounts", "name", psa_name)) {
            partner
                .put(
                    &format!("/mappings/accounts/{}", enc(account)),
                    json!({"psaAccountId": id}),
                )
                .await?;
        }
    }
    partner.post("/step", json!({"step": "service_mapping"})).await?;
    for (service, codes) in &plan.services {
        let products: Vec<String> = codes
            .iter()
            .filter_map(|c| psa_id("psaProducts", "productCode", c))
            .collect();
        if let (Some(id), false) = (ids.get(service), products.is_empty()) {
            partner
                .put(
                    &format!("/mappings/services/{}", enc(id)),
                    json!({"psaProductIds": products}),
                )
                .await?;
        }
    }
    partner.post("/step", json!({"step": "review"})).await?;
    partner.post("/finish", json!({})).await?;
    Ok(SetUp {
        plan,
        partner,
        vendor,
        ids,
        not_mapped: vec![],
    })
}

fn failed(e: demo_vendor::Error) -> ApiError {
    ApiError::Internal(format!("scenario: the vendor's call failed: {e}"))
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn https(state: &AppState) -> bool {
    state.config.tls || state.config.tls_cert.is_some()
}

/// This server's own address, as a client on this machine reaches it.
fn self_url(state: &AppState) -> String {
    let host = match state.config.bind.as_str() {
        "0.0.0.0" => "127.0.0.1".to_string(),
        "::" => "[::1]".to_string(),
        h if h.contains(':') => format!("[{h}]"),
        h => h.to_string(),
    };
    let scheme = if https(state) { "https" } else { "http" };
    format!("{scheme}://{host}:{}", state.config.port)
}

/// A client for this server's own address. Under `--tls` its certificate names the host the
/// partner uses, not necessarily the bind address, and the connection goes to the socket this
/// process listens on: so the certificate is not checked for these calls only.
fn self_client(state: &AppState, run_id: &str) -> ApiResult<reqwest::Client> {
    let mut headers = reqwest::header::HeaderMap::new();
    let id = reqwest::header::HeaderValue::from_str(run_id).map_err(ApiError::internal)?;
    headers.insert(RUN_HEADER, id);
    reqwest::Client::builder()
        .default_headers(headers)
        .timeout(std::time::Duration::from_secs(30))
        .danger_accept_invalid_certs(https(state))
        .build()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The partner's side, through `/sim` as the console calls it.
struct Partner {
    http: reqwest::Client,
    base: String,
    integration: String,
    /// `/sim` asks for it when the server listens beyond loopback (only `/sim` gets it).
    control_token: Option<String>,
}

impl Partner {
    async fn get(&self, path: &str) -> ApiResult<Value> {
        self.sim("GET", &format!("/integrations/{}{path}", self.integration), Value::Null)
            .await
    }

    async fn post(&self, path: &str, body: Value) -> ApiResult<Value> {
        self.sim("POST", &format!("/integrations/{}{path}", self.integration), body)
            .await
    }

    async fn put(&self, path: &str, body: Value) -> ApiResult<Value> {
        self.sim("PUT", &format!("/integrations/{}{path}", self.integration), body)
            .await
    }

    async fn sim(&self, method: &str, path: &str, body: Value) -> ApiResult<Value> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut req = self.http.request(method.clone(), format!("{}/sim{path}", self.base));
        if let Some(token) = &self.control_token {
            req = req.header(crate::api::guard::CONTROL_TOKEN_HEADER, token);
        }
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let res = req
            .send()
            .await
            .map_err(|e| ApiError::Internal(format!("scenario: /sim{path}: {e}")))?;
        let status = res.status();
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(ApiError::Internal(format!(
                "scenario: {method} /sim{path} answered {status}: {}",
                demo_vendor::client::message_of(&answer, "")
            )));
        }
        Ok(answer)
    }
}
