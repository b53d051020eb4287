//! CSV usage import on the partner's side: a checked file replaces the previous import, and
//! each change rebuilds the billing view, as production's "Save Profile and Import" ends on the
//! updated cards.

use super::billing::rebuild;
use crate::clock::Clock;
use crate::domain::csv_usage::{self, Company, Product};
use crate::domain::event::Event;
use crate::error::{ApiError, ApiResult};
use crate::store::{events, psa, usage};
use rusqlite::Connection;
use serde_json::{json, Value};

/// An import as the request gives it.
pub struct CsvImport {
    pub text: String,
    pub file_name: String,
    /// Rows of the same (company, product) summed, or refused as duplicates.
    pub aggregate: bool,
}

/// Checks every row against the partner's PSA and replaces its previous import; answers what
/// was kept.
pub fn import(tx: &Connection, clock: &Clock, partner_id: &str, file: CsvImport) -> ApiResult<Value> {
    let visible: Vec<String> = psa::visible_companies(tx, partner_id)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let companies: Vec<Company> = psa::all_companies(tx, partner_id)?
        .into_iter()
        .map(|c| Company {
            visible: visible.contains(&c.id),
            id: c.id,
            psa_ref: c.psa_ref,
            name: c.name,
        })
        .collect();
    let products: Vec<Product> = psa::products(tx, partner_id)?
        .into_iter()
        .map(|p| Product {
            id: p.id,
            code: p.product_code,
            name: p.name,
        })
        .collect();
    let parsed = csv_usage::parse(&file.text, &companies, &products, file.aggregate).map_err(ApiError::Validation)?;
    let now = clock.now_iso();
    usage::replace_csv(tx, partner_id, &parsed, &file.file_name, &now)?;
    let rows: usize = parsed.iter().map(|u| u.rows.len()).sum();
    events::record_for_partner(
        tx,
        partner_id,
        &now,
        &Event::CsvImported {
            file_name: file.file_name.clone(),
            rows,
            pairs: parsed.len(),
        },
    )?;
    rebuild(tx, clock, partner_id)?;
    Ok(json!({"status": "ok", "fileName": file.file_name, "rows": rows, "importedAt": now, "usage": parsed}))
}

/// Removes the partner's current import; answers how many rows went.
pub fn remove(tx: &Connection, clock: &Clock, partner_id: &str) -> ApiResult<usize> {
    let n = usage::clear_csv(tx, partner_id)?;
    rebuild(tx, clock, partner_id)?;
    Ok(n)
}
