//! The seed: a realistic partner MSP with its PSA, and the demo vendor with its keys, as a
//! seed file describes them; and the ids its rows get. Ids a seed leaves out are derived from
//! names, so they are the same after every reset. Reading a seed's text is `seed_parse`;
//! writing one into the tables is `seeding`.

use crate::domain::ids::ObjectId;
use serde::Deserialize;
use std::borrow::Cow;

/// The embedded seeds, by name: `--seed NAME` and `POST /sim/reset {"seed": NAME}` pick one.
/// The first is the default. Every one carries the same demo vendor and keys.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("flamingo", include_str!("../../seed/flamingo.json")),
    ("autotask", include_str!("../../seed/autotask.json")),
    ("halopsa", include_str!("../../seed/halopsa.json")),
    ("bms", include_str!("../../seed/bms.json")),
    ("pulseway", include_str!("../../seed/pulseway.json")),
    ("syncro", include_str!("../../seed/syncro.json")),
    // 1,000 companies, 10,000 contract lines, 50 products: grown from a small file by `generate`.
    ("large", include_str!("../../seed/large.json")),
];

pub const DEFAULT_SEED: &str = EMBEDDED[0].1;

pub fn embedded(name: &str) -> Option<&'static str> {
    EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

pub fn embedded_names() -> Vec<&'static str> {
    EMBEDDED.iter().map(|(n, _)| *n).collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seed {
    /// The embedded seed's name or the file it came from.
    #[serde(skip)]
    pub name: String,
    pub partner: SeedPartner,
    pub products: Vec<SeedProduct>,
    pub companies: Vec<SeedCompany>,
    #[serde(default)]
    pub boards: Vec<SeedBoard>,
    pub vendors: Vec<SeedVendor>,
    /// Generated companies and products on top of the listed ones, up to these totals.
    #[serde(default)]
    pub generate: Option<Generate>,
}

/// Totals a seed grows to with generated data: the same names, ids and quantities every time.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Generate {
    #[serde(default)]
    pub companies: usize,
    /// Contract lines in all, spread evenly over the generated companies.
    #[serde(default)]
    pub lines: usize,
    #[serde(default)]
    pub products: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedPartner {
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "default_psa")]
    pub psa: String,
    #[serde(default)]
    pub psa_url: String,
    #[serde(default = "default_currency")]
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedProduct {
    pub id: Option<String>,
    pub product_code: String,
    pub name: String,
    pub unit_cost: f64,
    pub unit_price: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedCompany {
    pub id: Option<String>,
    pub psa_ref: Option<i64>,
    pub name: String,
    #[serde(rename = "type", default = "default_company_type")]
    pub company_type: String,
    #[serde(default = "default_active")]
    pub status: String,
    #[serde(default)]
    pub agreements: Vec<SeedAgreement>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedAgreement {
    pub id: Option<String>,
    pub name: String,
    #[serde(default = "default_active")]
    pub status: String,
    #[serde(default = "default_cycle")]
    pub billing_cycle: String,
    #[serde(default)]
    pub prorate: bool,
    #[serde(default)]
    pub lines: Vec<SeedLine>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedLine {
    pub id: Option<String>,
    pub product: String,
    pub quantity: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedBoard {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedVendor {
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub integration_portal_url: String,
    #[serde(default)]
    pub vendor_support_page_url: String,
    #[serde(default = "default_modules")]
    pub modules: Vec<String>,
    pub api_key: String,
    pub integration: Option<SeedIntegration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedIntegration {
    pub id: Option<String>,
    /// The kickoff partner key: when present the integration starts connected with it.
    pub partner_key: Option<String>,
}

pub(super) fn default_psa() -> String {
    "ConnectWise PSA".into()
}
pub(super) fn default_currency() -> String {
    "USD".into()
}
pub(super) fn default_company_type() -> String {
    "Customer".into()
}
pub(super) fn default_active() -> String {
    "Active".into()
}
pub(super) fn default_cycle() -> String {
    "Monthly".into()
}
pub(super) fn default_modules() -> Vec<String> {
    vec!["alerts".into(), "billing".into()]
}

/// The demo keys a seed names, printed at start-up.
#[derive(Debug, Clone)]
pub struct DemoKeys {
    pub vendor_api_key: String,
    pub partner_api_key: Option<String>,
    pub integration_id: String,
}

impl Seed {
    pub fn demo_keys(&self) -> DemoKeys {
        let v = &self.vendors[0];
        DemoKeys {
            vendor_api_key: v.api_key.clone(),
            partner_api_key: v.integration.as_ref().and_then(|i| i.partner_key.clone()),
            integration_id: integration_id(v),
        }
    }
}

fn id_or(id: &Option<String>, namespace: &str, name: &str) -> String {
    id.clone()
        .unwrap_or_else(|| ObjectId::derived(namespace, name).into_string())
}

pub fn vendor_id(v: &SeedVendor) -> String {
    id_or(&v.id, "vendor", &v.name)
}

pub(super) fn integration_id(v: &SeedVendor) -> String {
    id_or(
        &v.integration.as_ref().and_then(|i| i.id.clone()),
        "integration",
        &v.name,
    )
}

/// How the PSA rows of one partner get their ids: the seeded partner keeps the seed's (named,
/// or derived from names, as always); a partner created later gets ids derived from its own id
/// and the seeded row's, so that two partners never share a row and `--deterministic` repeats.
#[derive(Debug, Clone, Copy)]
pub enum RowIds<'a> {
    Seeded,
    Partner(&'a str),
}

impl RowIds<'_> {
    /// The row's id: borrowed when the seed holds it (every id, once `Seed::parse` derived the
    /// missing ones), so that writing the large seed's 11,000 rows copies no id and formats no
    /// name; `name` is called only for an id the seed lacks.
    pub(super) fn id<'a>(
        self,
        explicit: &'a Option<String>,
        namespace: &str,
        name: impl FnOnce() -> String,
    ) -> Cow<'a, str> {
        let seeded = match explicit {
            Some(id) => Cow::Borrowed(id.as_str()),
            None => Cow::Owned(ObjectId::derived(namespace, &name()).into_string()),
        };
        match self {
            RowIds::Seeded => seeded,
            RowIds::Partner(p) => Cow::Owned(ObjectId::derived(namespace, &format!("{p}:{seeded}")).into_string()),
        }
    }
}

/// The seed's partner id.
pub fn partner_id(seed: &Seed) -> String {
    id_or(&seed.partner.id, "partner", &seed.partner.name)
}
