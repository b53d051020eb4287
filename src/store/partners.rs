//! Partners: the seeded one, and the isolated ones `POST /sim/partners` creates from the seed's
//! template, each with its own PSA, integrations, keys, billing view and QA history.

use super::seed::{RowIds, Seed};
use super::seeding;
use crate::domain::ids::ApiKey;
use rusqlite::{params, Connection};
use serde::Serialize;

/// What a new partner is made of; ids and the key come from the caller's clock, so that
/// `--deterministic` repeats them.
pub struct NewPartner<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// The seed whose PSA, PSA name and URL the partner gets.
    pub template: &'a Seed,
    /// The vendor whose integration starts connected with `key`.
    pub vendor_id: &'a str,
    pub integration_id: &'a str,
    pub key: &'a ApiKey,
    pub now: &'a str,
}

/// Writes a partner from its template in the caller's transaction: the partner, its PSA (rows
/// under ids of its own), and one integration per vendor, as the seed gives its partner: the
/// chosen vendor's connected with a fresh partner key (CONNECT then GENERATE API TOKEN), the
/// others Ready to Connect. Integration ids other than the chosen one's derive from the
/// partner's id and the vendor's.
///
/// Answers the partner's billable lines as written, which its first billing view is built from.
pub fn create(tx: &Connection, p: &NewPartner) -> rusqlite::Result<seeding::Seeded> {
    let t = &p.template.partner;
    seeding::insert_partner(tx, p.id, p.name, &t.psa, &t.psa_url, &t.currency)?;
    let psa = seeding::write_psa(tx, p.template, p.id, RowIds::Partner(p.id))?;
    let board = psa.default_board;
    let vendors: Vec<(String, String)> = tx
        .prepare("SELECT id, modules FROM vendor ORDER BY rowid")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (vendor_id, modules) in vendors {
        let modules = super::modules_from_json(&modules);
        if vendor_id == p.vendor_id {
            seeding::insert_connected_integration(
                tx,
                p.integration_id,
                &vendor_id,
                p.id,
                &modules,
                p.key,
                false,
                p.now,
                board.as_deref(),
            )?;
        } else {
            let id =
                crate::domain::ids::ObjectId::derived("integration", &format!("{}:{vendor_id}", p.id)).into_string();
            seeding::insert_integration(tx, &id, &vendor_id, p.id, &modules, board.as_deref())?;
        }
    }
    Ok(seeding::Seeded {
        partner_id: p.id.to_string(),
        billable_lines: psa.billable_lines,
    })
}

pub fn exists(c: &Connection, id: &str) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT EXISTS(SELECT 1 FROM partner WHERE id = ?1)")?
        .query_row([id], |r| r.get(0))
}

/// The partner `/sim` acts for when a request names none: the first written, the seed's.
pub fn default_id(c: &Connection) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    c.prepare_cached("SELECT id FROM partner ORDER BY rowid LIMIT 1")?
        .query_row([], |r| r.get(0))
        .optional()
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerSummary {
    pub id: String,
    pub name: String,
    pub psa: String,
    /// The seed's partner, which `/sim` acts for when a request names no partner.
    pub is_default: bool,
    pub integration_ids: Vec<String>,
}

/// Every partner, the seed's first, then in the order they were created.
pub fn list(c: &Connection) -> rusqlite::Result<Vec<PartnerSummary>> {
    let mut ids_st = c.prepare_cached("SELECT id FROM integration WHERE partner_id = ?1 ORDER BY rowid")?;
    let mut st = c.prepare_cached("SELECT id, name, psa FROM partner ORDER BY rowid")?;
    let rows: Vec<(String, String, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = vec![];
    for (n, (id, name, psa)) in rows.into_iter().enumerate() {
        let integration_ids = ids_st
            .query_map(params![id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        out.push(PartnerSummary {
            id,
            name,
            psa,
            is_default: n == 0,
            integration_ids,
        });
    }
    Ok(out)
}

pub fn count(c: &Connection) -> rusqlite::Result<i64> {
    c.query_row("SELECT COUNT(*) FROM partner", [], |r| r.get(0))
}
