//! Writing a seed into the tables: a reset empties the state and writes the seed's partner,
//! PSA, vendors and integrations in one transaction; a partner made later gets the seed's PSA
//! under ids of its own.

use super::seed::{integration_id, partner_id, vendor_id, RowIds, Seed};
use super::{clear_state, meta_set, modules_to_json};
use crate::domain::billing::PsaLine;
use crate::domain::ids::ApiKey;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

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
