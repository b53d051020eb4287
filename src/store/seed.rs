//! The seed: a realistic partner MSP with its PSA, and the demo vendor with its keys.
//! Ids a seed leaves out are derived from names, so they are the same after every reset.

use super::{clear_state, meta_set, modules_to_json};
use crate::domain::billing::PsaLine;
use crate::domain::ids::{ApiKey, ObjectId};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde::Deserialize;
use std::borrow::Cow;

/// The embedded seeds, by name: `--seed NAME` and `POST /sim/reset {"seed": NAME}` pick one.
/// The first is the default. Every one carries the same demo vendor and keys.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("flamingo", include_str!("../../seed/flamingo.json")),
    ("autotask", include_str!("../../seed/autotask.json")),
    ("halopsa", include_str!("../../seed/halopsa.json")),
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

/// `--seed`'s value: the name of an embedded seed, else the path of a seed file.
pub fn load(arg: Option<&std::path::Path>) -> Result<Seed, String> {
    let (name, text) = source(arg)?;
    parse_named(name, &text)
}

/// `--seed`'s name and text, unparsed: a file that cannot be read is an error here.
pub fn source(arg: Option<&std::path::Path>) -> Result<(String, String), String> {
    Ok(match arg {
        None => (EMBEDDED[0].0.to_string(), DEFAULT_SEED.to_string()),
        Some(p) => match p.to_str().and_then(embedded) {
            Some(text) => (p.display().to_string(), text.to_string()),
            None => (
                p.display().to_string(),
                std::fs::read_to_string(p).map_err(|e| {
                    format!(
                        "seed file {}: {e} (embedded seeds: {})",
                        p.display(),
                        embedded_names().join(", ")
                    )
                })?,
            ),
        },
    })
}

/// A seed's text parsed, under its name.
pub fn parse_named(name: String, text: &str) -> Result<Seed, String> {
    let mut seed = Seed::parse(text)?;
    seed.name = name;
    Ok(seed)
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

/// Upper bounds on a generated seed, so a typo cannot ask for a billion rows.
const GENERATE_MAX: usize = 1_000_000;

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

fn default_psa() -> String {
    "ConnectWise PSA".into()
}
fn default_currency() -> String {
    "USD".into()
}
fn default_company_type() -> String {
    "Customer".into()
}
fn default_active() -> String {
    "Active".into()
}
fn default_cycle() -> String {
    "Monthly".into()
}
fn default_modules() -> Vec<String> {
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
    pub fn parse(text: &str) -> Result<Seed, String> {
        let mut seed: Seed = serde_json::from_str(text).map_err(|e| format!("seed file: {e}"))?;
        if let Some(g) = seed.generate {
            seed.grow(g)?;
        }
        seed.check()?;
        seed.derive_ids();
        Ok(seed)
    }

    /// Fills in the ids the seed leaves out, once (the same names hashed the same way as
    /// `RowIds` would): each reset, and each partner made from the seed, then reads them instead
    /// of hashing the large seed's 11,000 names again.
    fn derive_ids(&mut self) {
        let derived = |namespace: &str, parts: &[&str]| ObjectId::derived_from(namespace, parts).into_string();
        for p in &mut self.products {
            p.id.get_or_insert_with(|| derived("product", &[&p.product_code]));
        }
        for c in &mut self.companies {
            c.id.get_or_insert_with(|| derived("company", &[&c.name]));
            for a in &mut c.agreements {
                a.id.get_or_insert_with(|| derived("agreement", &[&c.name, &a.name]));
                for l in &mut a.lines {
                    l.id.get_or_insert_with(|| derived("line", &[&c.name, &a.name, &l.product]));
                }
            }
        }
    }

    /// Adds generated products, then companies with one agreement each, until the totals of
    /// `g` are reached. Deterministic: names come from word lists by index, quantities from a
    /// fixed-seed mixer, so every run (and every reset) writes the same rows.
    fn grow(&mut self, g: Generate) -> Result<(), String> {
        if g.companies > GENERATE_MAX || g.lines > GENERATE_MAX || g.products > GENERATE_MAX {
            return Err(format!("seed file: generate asks for more than {GENERATE_MAX} rows"));
        }
        const FAMILIES: [(&str, &str); 10] = [
            ("MS", "Managed Services"),
            ("SEC", "Security"),
            ("BKP", "Backup"),
            ("NET", "Network"),
            ("CLD", "Cloud Hosting"),
            ("VOIP", "Hosted Voice"),
            ("M365", "Microsoft 365"),
            ("MDM", "Mobile Device Management"),
            ("DOC", "Documentation"),
            ("PWD", "Password Management"),
        ];
        let mut n = 0;
        while self.products.len() < g.products {
            let (code, family) = FAMILIES[n % FAMILIES.len()];
            let tier = n / FAMILIES.len() + 1;
            n += 1;
            let product_code = format!("{code}-T{tier}");
            if self.products.iter().any(|p| p.product_code == product_code) {
                continue;
            }
            let cost = (1 + mix(n as u64) % 4000) as f64 / 100.0;
            self.products.push(SeedProduct {
                id: None,
                product_code,
                name: format!("{family} - Tier {tier}"),
                unit_cost: cost,
                unit_price: (cost * 2.5 * 100.0).round() / 100.0,
            });
        }
        if self.products.is_empty() {
            return Err("seed file: generate needs at least one product".into());
        }
        const FIRST: [&str; 25] = [
            "Alder",
            "Birch",
            "Cobalt",
            "Delta",
            "Ember",
            "Falcon",
            "Granite",
            "Harbor",
            "Iris",
            "Juniper",
            "Kestrel",
            "Lumen",
            "Maple",
            "Nimbus",
            "Orchid",
            "Pioneer",
            "Quarry",
            "Redwood",
            "Summit",
            "Tidewater",
            "Upland",
            "Vertex",
            "Willow",
            "Yarrow",
            "Zenith",
        ];
        const SECOND: [&str; 20] = [
            "Dental",
            "Logistics",
            "Legal",
            "Realty",
            "Clinic",
            "Foods",
            "Motors",
            "Studios",
            "Builders",
            "Accounting",
            "Pharmacy",
            "Insurance",
            "Veterinary",
            "Academy",
            "Hotels",
            "Energy",
            "Printing",
            "Partners",
            "Labs",
            "Outfitters",
        ];
        const SUFFIX: [&str; 4] = ["Inc.", "LLC", "Group", "Co."];
        let listed_lines: usize = self
            .companies
            .iter()
            .flat_map(|c| &c.agreements)
            .map(|a| a.lines.len())
            .sum();
        let to_add = g.companies.saturating_sub(self.companies.len());
        let mut lines_left = g.lines.saturating_sub(listed_lines);
        let mut taken: std::collections::HashSet<String> = self.companies.iter().map(|c| c.name.clone()).collect();
        let mut i = 0usize;
        for added in 0..to_add {
            let name = loop {
                let (a, b, c) = (
                    i % FIRST.len(),
                    (i / FIRST.len()) % SECOND.len(),
                    i / (FIRST.len() * SECOND.len()),
                );
                i += 1;
                let name = match c {
                    0..=3 => format!("{} {} {}", FIRST[a], SECOND[b], SUFFIX[c]),
                    _ => format!(
                        "{} {} {} {}",
                        FIRST[a],
                        SECOND[b],
                        SUFFIX[c % SUFFIX.len()],
                        c / SUFFIX.len() + 1
                    ),
                };
                if taken.insert(name.clone()) {
                    break name;
                }
            };
            // Spread what is left evenly: the last companies absorb the remainder.
            let here = lines_left / (to_add - added);
            lines_left -= here;
            let offset = mix(i as u64) as usize;
            let lines = (0..here)
                .map(|k| SeedLine {
                    id: None,
                    // Distinct products per agreement while there are enough; line ids derive from them.
                    product: self.products[(offset + k) % self.products.len()].product_code.clone(),
                    quantity: (1 + mix((i * 131 + k) as u64) % 250) as f64,
                })
                .collect::<Vec<_>>();
            let mut lines = lines.into_iter();
            let agreements = (0..here.div_ceil(self.products.len()))
                .map(|n| SeedAgreement {
                    id: None,
                    name: if n == 0 {
                        "Managed Services Agreement".into()
                    } else {
                        format!("Managed Services Agreement {}", n + 1)
                    },
                    status: default_active(),
                    billing_cycle: default_cycle(),
                    prorate: false,
                    lines: lines.by_ref().take(self.products.len()).collect(),
                })
                .collect();
            self.companies.push(SeedCompany {
                id: None,
                psa_ref: Some(20_000 + i as i64),
                name,
                company_type: default_company_type(),
                status: default_active(),
                agreements,
            });
        }
        Ok(())
    }

    fn check(&self) -> Result<(), String> {
        let id_ok = |id: &Option<String>, what: &str| match id {
            Some(s) if ObjectId::parse(s).is_none() => {
                Err(format!("seed file: {what} id {s:?} is not 24 hex characters"))
            }
            _ => Ok(()),
        };
        id_ok(&self.partner.id, "partner")?;
        let products: std::collections::HashSet<&str> = self.products.iter().map(|p| p.product_code.as_str()).collect();
        for c in &self.companies {
            id_ok(&c.id, "company")?;
            for a in &c.agreements {
                for l in &a.lines {
                    if !products.contains(l.product.as_str()) {
                        return Err(format!(
                            "seed file: company {:?} has a line for unknown product {:?}",
                            c.name, l.product
                        ));
                    }
                }
            }
        }
        if self.vendors.is_empty() {
            return Err("seed file: at least one vendor is needed".into());
        }
        for v in &self.vendors {
            id_ok(&v.id, "vendor")?;
            if ApiKey::from_seed(&v.api_key).is_none() {
                return Err(format!("seed file: vendor {:?} needs an apiKey without ':'", v.name));
            }
            if let Some(i) = &v.integration {
                id_ok(&i.id, "integration")?;
                if let Some(k) = &i.partner_key {
                    if ApiKey::from_seed(k).is_none() {
                        return Err(format!(
                            "seed file: partnerKey of {:?} must be non-empty, without ':'",
                            v.name
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    pub fn demo_keys(&self) -> DemoKeys {
        let v = &self.vendors[0];
        DemoKeys {
            vendor_api_key: v.api_key.clone(),
            partner_api_key: v.integration.as_ref().and_then(|i| i.partner_key.clone()),
            integration_id: integration_id(v),
        }
    }
}

/// splitmix64: a fixed, portable mixer, so generated quantities never change between builds.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn id_or(id: &Option<String>, namespace: &str, name: &str) -> String {
    id.clone()
        .unwrap_or_else(|| ObjectId::derived(namespace, name).into_string())
}

pub fn vendor_id(v: &SeedVendor) -> String {
    id_or(&v.id, "vendor", &v.name)
}

fn integration_id(v: &SeedVendor) -> String {
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
    fn id<'a>(self, explicit: &'a Option<String>, namespace: &str, name: impl FnOnce() -> String) -> Cow<'a, str> {
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

/// Empties every table and writes the seed, inside the caller's transaction (atomic reset).
pub fn apply(tx: &Transaction, seed: &Seed, now: &str) -> rusqlite::Result<()> {
    apply_seeded(tx, seed, now).map(|_| ())
}

/// What `apply_seeded` wrote that the billing view is built from: the one partner and its
/// billable lines, in the PSA's order, exactly as `psa::billable_lines` reads them back (a test
/// holds the two equal for every embedded seed).
pub struct Seeded {
    pub partner_id: String,
    pub billable_lines: Vec<PsaLine>,
}

/// `apply`, handing back the billable lines it wrote: a reset or a first start builds the
/// billing view from them instead of reading 10,000 rows back.
pub fn apply_seeded(tx: &Transaction, seed: &Seed, now: &str) -> rusqlite::Result<Seeded> {
    clear_state(tx)?;
    let partner_id = partner_id(seed);
    insert_partner(
        tx,
        &partner_id,
        &seed.partner.name,
        &seed.partner.psa,
        &seed.partner.psa_url,
        &seed.partner.currency,
    )?;
    // Into empty tables, the big ones' secondary indexes are built after the rows, in one sort
    // each, instead of one b-tree insert per row (5 ms of the large seed's 35).
    let indexes = drop_bulk_indexes(tx)?;
    let psa = write_psa(tx, seed, &partner_id, RowIds::Seeded)?;
    for sql in indexes {
        tx.execute_batch(&sql)?;
    }
    let default_board = psa.default_board;
    for v in &seed.vendors {
        let vid = vendor_id(v);
        let key = ApiKey::from_seed(&v.api_key).expect("checked by Seed::check");
        tx.execute(
            "INSERT INTO vendor (id, name, description, integration_type, integration_portal_url, vendor_support_page_url,
               modules, api_key_hash, api_key_plain, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'custom', ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![
                vid,
                v.name,
                v.description,
                v.integration_portal_url,
                v.vendor_support_page_url,
                modules_to_json(&v.modules),
                key.hash().0,
                key.expose(),
                now
            ],
        )?;
        let iid = integration_id(v);
        let kickoff = v
            .integration
            .as_ref()
            .and_then(|i| i.partner_key.as_deref())
            .and_then(ApiKey::from_seed);
        match kickoff {
            Some(pk) => insert_connected_integration(
                tx,
                &iid,
                &vid,
                &partner_id,
                &v.modules,
                &pk,
                true,
                now,
                default_board.as_deref(),
            )?,
            None => insert_integration(tx, &iid, &vid, &partner_id, &v.modules, default_board.as_deref())?,
        };
    }
    meta_set(tx, "seeded_at", now)?;
    Ok(Seeded {
        partner_id,
        billable_lines: psa.billable_lines,
    })
}

/// The secondary indexes of the seed's biggest tables (10,000 lines, 1,000 agreements on the
/// large seed).
pub const BULK_INDEXES: [&str; 3] = ["line_by_agreement", "line_by_partner", "agreement_by_company"];

/// Drops `BULK_INDEXES`, answering the statements that create them again: as the schema
/// defines them, read from the database itself so that schema.sql stays their one definition.
fn drop_bulk_indexes(tx: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut sqls = vec![];
    for name in BULK_INDEXES {
        let sql: Option<String> = tx
            .query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(sql) = sql {
            tx.execute_batch(&format!("DROP INDEX {name}"))?;
            sqls.push(sql);
        }
    }
    Ok(sqls)
}

pub fn insert_partner(
    tx: &Connection,
    id: &str,
    name: &str,
    psa: &str,
    psa_url: &str,
    currency: &str,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO partner (id, name, psa, psa_url, currency) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, name, psa, psa_url, currency],
    )?;
    Ok(())
}

/// An integration the partner has not connected yet (Ready to Connect).
pub fn insert_integration(
    tx: &Connection,
    id: &str,
    vendor_id: &str,
    partner_id: &str,
    modules: &[String],
    alert_board: Option<&str>,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO integration (id, vendor_id, partner_id, state, modules, alert_board_id, cycle)
         VALUES (?1, ?2, ?3, 'ready_to_connect', ?4, ?5, 0)",
        params![id, vendor_id, partner_id, modules_to_json(modules), alert_board],
    )
}

/// An integration the partner has connected and generated a key for: in setup at its first
/// step, status inactive, QA cycle 1. The seed's kickoff key is kept in clear (`keep_plain`)
/// so the console can show it; a generated key never is.
#[allow(clippy::too_many_arguments)]
pub fn insert_connected_integration(
    tx: &Connection,
    id: &str,
    vendor_id: &str,
    partner_id: &str,
    modules: &[String],
    key: &ApiKey,
    keep_plain: bool,
    now: &str,
    alert_board: Option<&str>,
) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT INTO integration (id, vendor_id, partner_id, state, step, status, modules, partner_key_hash,
           partner_key_hint, partner_key_plain, token_generated_at, connected_at, alert_board_id, cycle)
         VALUES (?1, ?2, ?3, 'setup', 'connect_to_vendor', 'inactive', ?4, ?5, ?6, ?7, ?8, ?8, ?9, 1)",
        params![
            id,
            vendor_id,
            partner_id,
            modules_to_json(modules),
            key.hash().0,
            key.hint(),
            keep_plain.then(|| key.expose()),
            now,
            alert_board
        ],
    )
}

/// Writes the seed's PSA (products, companies with agreements and lines, boards) as one
/// partner's, with ids as `ids` says. Answers the default board's id.
/// What `write_psa` wrote that its caller needs next.
pub struct WrittenPsa {
    pub default_board: Option<String>,
    /// The lines a billing view shows (an active customer's active agreements), in the PSA's
    /// order: `psa::billable_lines`'s answer, without reading them back.
    pub billable_lines: Vec<PsaLine>,
}

pub fn write_psa(tx: &Connection, seed: &Seed, partner_id: &str, ids: RowIds) -> rusqlite::Result<WrittenPsa> {
    // Prepared once: the large seed writes some 12,000 rows, and a reset must stay quick.
    let mut product_st = tx.prepare_cached(
        "INSERT INTO psa_product (id, partner_id, product_code, name, unit_cost, unit_price, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut company_st = tx.prepare_cached(
        "INSERT INTO psa_company (id, partner_id, psa_ref, name, type, status, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut agreement_st = tx.prepare_cached(
        "INSERT INTO psa_agreement (id, partner_id, company_id, name, status, billing_cycle, prorate, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut line_st = tx.prepare_cached(
        "INSERT INTO psa_line (id, partner_id, agreement_id, product_id, quantity, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut product_ids = std::collections::HashMap::new();
    for (i, p) in seed.products.iter().enumerate() {
        let id = ids.id(&p.id, "product", || p.product_code.clone());
        product_st.execute(params![
            id,
            partner_id,
            p.product_code,
            p.name,
            p.unit_cost,
            p.unit_price,
            i as i64
        ])?;
        product_ids.insert(p.product_code.as_str(), (id, p));
    }
    let mut billable_lines = vec![];
    let mut line_pos = 0i64;
    for (ci, c) in seed.companies.iter().enumerate() {
        let company_id = ids.id(&c.id, "company", || c.name.clone());
        company_st.execute(params![
            company_id,
            partner_id,
            c.psa_ref,
            c.name,
            c.company_type,
            c.status,
            ci as i64
        ])?;
        for (ai, a) in c.agreements.iter().enumerate() {
            let agreement_id = ids.id(&a.id, "agreement", || format!("{}:{}", c.name, a.name));
            agreement_st.execute(params![
                agreement_id,
                partner_id,
                company_id,
                a.name,
                a.status,
                a.billing_cycle,
                a.prorate,
                ai as i64
            ])?;
            // The filter `psa::billable_lines` applies, on the same stored strings.
            let billable = c.company_type == "Customer" && c.status == "Active" && a.status == "Active";
            for l in &a.lines {
                let (product_id, product) = product_ids.get(l.product.as_str()).expect("checked by Seed::check");
                line_pos += 1;
                let line_id = ids.id(&l.id, "line", || format!("{}:{}:{}", c.name, a.name, l.product));
                line_st.execute(params![
                    line_id,
                    partner_id,
                    agreement_id,
                    product_id,
                    l.quantity,
                    line_pos
                ])?;
                if billable {
                    billable_lines.push(PsaLine {
                        id: line_id.into_owned(),
                        company_id: company_id.to_string(),
                        company_name: c.name.clone(),
                        agreement_id: agreement_id.to_string(),
                        agreement_name: a.name.clone(),
                        product_id: product_id.to_string(),
                        product_code: product.product_code.clone(),
                        product_name: product.name.clone(),
                        quantity: l.quantity,
                        unit_price: product.unit_price,
                        unit_cost: product.unit_cost,
                    });
                }
            }
        }
    }
    let mut default_board = None;
    for (i, b) in seed.boards.iter().enumerate() {
        let id = ids.id(&b.id, "board", || b.name.clone());
        if b.default || default_board.is_none() {
            default_board = Some(id.to_string());
        }
        tx.execute(
            "INSERT INTO psa_board (id, partner_id, name, is_default, position) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, partner_id, b.name, b.default, i as i64],
        )?;
    }
    Ok(WrittenPsa {
        default_board,
        billable_lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_seed_parses_and_names_its_keys() {
        let seed = Seed::parse(DEFAULT_SEED).unwrap();
        assert_eq!(seed.partner.name, "Flamingo Demo MSP");
        assert!(seed.companies.len() >= 10);
        let keys = seed.demo_keys();
        assert!(keys.partner_api_key.is_some());
    }

    #[test]
    fn the_large_seed_has_the_size_of_a_real_msp_and_is_the_same_every_time() {
        let text = embedded("large").unwrap();
        let seed = Seed::parse(text).unwrap();
        assert_eq!(seed.companies.len(), 1000);
        assert_eq!(seed.products.len(), 50);
        let lines: Vec<&SeedLine> = seed
            .companies
            .iter()
            .flat_map(|c| &c.agreements)
            .flat_map(|a| &a.lines)
            .collect();
        assert_eq!(lines.len(), 10_000);
        let names: std::collections::HashSet<&str> = seed.companies.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), 1000, "company names (and so their ids) are unique");
        for a in seed.companies.iter().flat_map(|c| &c.agreements) {
            let products: std::collections::HashSet<&str> = a.lines.iter().map(|l| l.product.as_str()).collect();
            assert_eq!(products.len(), a.lines.len(), "one line per product in an agreement");
        }
        let again = Seed::parse(text).unwrap();
        let fingerprint = |s: &Seed| {
            s.companies
                .iter()
                .flat_map(|c| &c.agreements)
                .flat_map(|a| &a.lines)
                .map(|l| format!("{}{}", l.product, l.quantity))
                .collect::<String>()
        };
        assert_eq!(fingerprint(&seed), fingerprint(&again));
        assert_eq!(
            seed.demo_keys().vendor_api_key,
            Seed::parse(DEFAULT_SEED).unwrap().demo_keys().vendor_api_key
        );
    }

    #[test]
    fn generate_refuses_absurd_sizes() {
        let text = DEFAULT_SEED.replacen(
            "\"partner\"",
            "\"generate\": {\"companies\": 2000000000},\n  \"partner\"",
            1,
        );
        assert!(Seed::parse(&text).unwrap_err().contains("generate"));
        let bad = DEFAULT_SEED.replacen("\"partner\"", "\"generate\": {\"compnies\": 5},\n  \"partner\"", 1);
        assert!(Seed::parse(&bad).unwrap_err().contains("compnies"));
    }

    #[test]
    fn every_embedded_seed_parses_with_the_demo_keys() {
        let default = Seed::parse(DEFAULT_SEED).unwrap().demo_keys();
        for (name, text) in EMBEDDED {
            let seed = Seed::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(seed.demo_keys().vendor_api_key, default.vendor_api_key, "{name}");
            assert_eq!(seed.demo_keys().partner_api_key, default.partner_api_key, "{name}");
        }
        assert_eq!(
            load(Some(std::path::Path::new("autotask"))).unwrap().partner.psa,
            "Datto Autotask PSA"
        );
        assert!(load(Some(std::path::Path::new("no-such-seed")))
            .unwrap_err()
            .contains(&format!("embedded seeds: {}", embedded_names().join(", "))));
    }

    #[test]
    fn bad_seeds_say_what_is_wrong() {
        let bad = DEFAULT_SEED.replace("\"product\": \"MS-SRV\"", "\"product\": \"NOPE\"");
        assert!(Seed::parse(&bad).unwrap_err().contains("NOPE"));
        assert!(Seed::parse("{").unwrap_err().starts_with("seed file"));
    }
}
