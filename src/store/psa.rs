//! The simulated PSA (ConnectWise by default): companies, agreements, catalogue, contract lines,
//! boards and tickets.

use super::CachedRow;
use crate::domain::billing::{PsaLine, PsaProduct};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    pub id: String,
    pub psa_ref: Option<i64>,
    pub name: String,
    #[serde(rename = "type")]
    pub company_type: String,
    pub status: String,
}

/// Only companies that are customers with at least one active agreement reach Synthesize
/// (prospects and companies without an active contract are never pulled from the PSA).
const VISIBLE: &str = "c.type = 'Customer' AND c.status = 'Active' AND EXISTS (
    SELECT 1 FROM psa_agreement a WHERE a.company_id = c.id AND a.status = 'Active')";

fn company(r: &rusqlite::Row) -> rusqlite::Result<Company> {
    Ok(Company {
        id: r.get(0)?,
        psa_ref: r.get(1)?,
        name: r.get(2)?,
        company_type: r.get(3)?,
        status: r.get(4)?,
    })
}

/// One partner's companies that Synthesize sees.
pub fn visible_companies(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<Company>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT c.id, c.psa_ref, c.name, c.type, c.status FROM psa_company c WHERE c.partner_id = ?1 AND {VISIBLE}
         ORDER BY c.name, c.id"
    ))?;
    let rows = st.query_map([partner_id], company)?;
    rows.collect()
}

/// A company of this partner's PSA that Synthesize sees; another partner's is none.
pub fn visible_company(c: &Connection, partner_id: &str, id: &str) -> rusqlite::Result<Option<Company>> {
    c.cached_row(
        &format!(
            "SELECT c.id, c.psa_ref, c.name, c.type, c.status FROM psa_company c
             WHERE c.id = ?1 AND c.partner_id = ?2 AND {VISIBLE}"
        ),
        [id, partner_id],
        company,
    )
    .optional()
}

pub fn all_companies(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<Company>> {
    let mut st = c.prepare_cached(
        "SELECT id, psa_ref, name, type, status FROM psa_company WHERE partner_id = ?1 ORDER BY position",
    )?;
    let rows = st.query_map([partner_id], company)?;
    rows.collect()
}

pub fn products(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<PsaProduct>> {
    let mut st = c.prepare_cached(
        "SELECT id, product_code, name, unit_price, unit_cost FROM psa_product WHERE partner_id = ?1 ORDER BY position",
    )?;
    let rows = st.query_map([partner_id], |r| {
        Ok(PsaProduct {
            id: r.get(0)?,
            product_code: r.get(1)?,
            name: r.get(2)?,
            unit_price: r.get(3)?,
            unit_cost: r.get(4)?,
        })
    })?;
    rows.collect()
}

/// One partner's contract lines of active agreements of visible companies: what its billing page
/// shows, in
/// the PSA's order (company, agreement, line). Joined here rather than in SQL: the ids are TEXT
/// keys, so the SQL join cost each line six b-tree descents and a sort, 18 ms for the large
/// seed's 10,000 lines on every rebuild and reset; three small maps and one pass over the lines
/// take a fraction of that. A line's agreement being active makes its company visible.
pub fn billable_lines(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<PsaLine>> {
    use std::collections::HashMap;
    let mut st = c.prepare_cached(
        "SELECT id, product_code, name, unit_price, unit_cost FROM psa_product WHERE partner_id = ?1",
    )?;
    let products: HashMap<String, PsaProduct> = st
        .query_map([partner_id], |r| {
            Ok((
                r.get(0)?,
                PsaProduct {
                    id: r.get(0)?,
                    product_code: r.get(1)?,
                    name: r.get(2)?,
                    unit_price: r.get(3)?,
                    unit_cost: r.get(4)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = c.prepare_cached(
        "SELECT id, position, name FROM psa_company WHERE partner_id = ?1 AND type = 'Customer' AND status = 'Active'",
    )?;
    let companies: HashMap<String, (i64, String)> = st
        .query_map([partner_id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = c.prepare_cached(
        "SELECT id, position, company_id, name FROM psa_agreement WHERE partner_id = ?1 AND status = 'Active'",
    )?;
    let agreements: HashMap<String, (i64, String, String)> = st
        .query_map([partner_id], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?))))?
        .collect::<rusqlite::Result<_>>()?;
    let mut st = c.prepare_cached(
        "SELECT id, agreement_id, product_id, quantity, position FROM psa_line WHERE partner_id = ?1",
    )?;
    let mut rows = st.query([partner_id])?;
    let mut out: Vec<((i64, i64, i64), PsaLine)> = vec![];
    while let Some(r) = rows.next()? {
        let agreement_id = r.get_ref(1)?.as_str()?;
        let Some((agreement_pos, company_id, agreement_name)) = agreements.get(agreement_id) else {
            continue;
        };
        let Some((company_pos, company_name)) = companies.get(company_id) else {
            continue;
        };
        let Some(p) = products.get(r.get_ref(2)?.as_str()?) else {
            continue;
        };
        out.push((
            (*company_pos, *agreement_pos, r.get(4)?),
            PsaLine {
                id: r.get(0)?,
                company_id: company_id.clone(),
                company_name: company_name.clone(),
                agreement_id: agreement_id.to_string(),
                agreement_name: agreement_name.clone(),
                product_id: p.id.clone(),
                product_code: p.product_code.clone(),
                product_name: p.name.clone(),
                quantity: r.get(3)?,
                unit_price: p.unit_price,
                unit_cost: p.unit_cost,
            },
        ));
    }
    out.sort_by_key(|(key, _)| *key);
    Ok(out.into_iter().map(|(_, line)| line).collect())
}

pub fn set_line_quantity(
    c: &Connection,
    partner_id: &str,
    line_id: &str,
    quantity: f64,
    effective: &str,
    now: &str,
) -> rusqlite::Result<usize> {
    // Cached: a bulk approve writes a thousand lines.
    c.prepare_cached(
        "UPDATE psa_line SET quantity = ?2, effective_date = ?3, updated_at = ?4 WHERE id = ?1 AND partner_id = ?5",
    )?
    .execute(params![line_id, quantity, effective, now, partner_id])
}

/// A company's active agreements in the PSA's order: where an approved New Revenue card may add
/// its line (the first unless the partner picks another).
pub fn active_agreements(c: &Connection, company_id: &str) -> rusqlite::Result<Vec<(String, String)>> {
    let mut st = c.prepare_cached(
        "SELECT id, name FROM psa_agreement WHERE company_id = ?1 AND status = 'Active' ORDER BY position",
    )?;
    let rows = st.query_map([company_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

#[allow(clippy::too_many_arguments)]
pub fn add_line(
    c: &Connection,
    partner_id: &str,
    id: &str,
    agreement_id: &str,
    product_id: &str,
    quantity: f64,
    effective: &str,
    now: &str,
) -> rusqlite::Result<()> {
    // Last of its partner's lines (positions order lines only within a partner): a seek of
    // `line_by_partner`, where the maximum over every partner's lines was a scan of them all,
    // once per New Revenue card a bulk approve adds.
    c.prepare_cached(
        "INSERT INTO psa_line (id, partner_id, agreement_id, product_id, quantity, effective_date, updated_at, position)
         VALUES (?1, ?7, ?2, ?3, ?4, ?5, ?6,
           (SELECT COALESCE(MAX(position), 0) + 1 FROM psa_line WHERE partner_id = ?7))",
    )?
    .execute(params![id, agreement_id, product_id, quantity, effective, now, partner_id])?;
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Board {
    pub id: String,
    pub name: String,
    pub is_default: bool,
}

pub fn boards(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<Board>> {
    let mut st =
        c.prepare_cached("SELECT id, name, is_default FROM psa_board WHERE partner_id = ?1 ORDER BY position")?;
    let rows = st.query_map([partner_id], |r| {
        Ok(Board {
            id: r.get(0)?,
            name: r.get(1)?,
            is_default: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// Whether this partner's PSA has the board (another partner's does not count).
pub fn board_exists(c: &Connection, partner_id: &str, id: &str) -> rusqlite::Result<bool> {
    c.cached_row(
        "SELECT EXISTS(SELECT 1 FROM psa_board WHERE id = ?1 AND partner_id = ?2)",
        [id, partner_id],
        |r| r.get(0),
    )
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub id: i64,
    pub board_id: String,
    pub company_id: String,
    pub account_name: String,
    pub vendor_name: String,
    pub summary: String,
    pub description: String,
    pub priority: i64,
    pub status: i64,
    pub due_date_time: Option<String>,
    pub alert_id: String,
    pub message_id: String,
    pub service_id: Option<String>,
    pub created_at: String,
}

pub struct NewTicket<'a> {
    pub partner_id: &'a str,
    pub board_id: &'a str,
    pub company_id: &'a str,
    pub integration_id: &'a str,
    pub summary: &'a str,
    pub description: &'a str,
    pub priority: i64,
    pub status: i64,
    pub due_date_time: Option<&'a str>,
    pub alert_id: &'a str,
    pub message_id: &'a str,
    pub service_id: Option<&'a str>,
    pub created_at: &'a str,
}

pub fn insert_ticket(c: &Connection, t: &NewTicket) -> rusqlite::Result<i64> {
    // Cached: the alert worker opens a ticket for every alert it takes.
    c.prepare_cached(
        "INSERT INTO psa_ticket (id, partner_id, board_id, company_id, integration_id, summary, description, priority,
           status, due_date_time, alert_id, message_id, service_id, created_at)
         VALUES ((SELECT COALESCE(MAX(id), 70000) + 1 FROM psa_ticket), ?13, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
            t.board_id,
            t.company_id,
            t.integration_id,
            t.summary,
            t.description,
            t.priority,
            t.status,
            t.due_date_time,
            t.alert_id,
            t.message_id,
            t.service_id,
            t.created_at,
            t.partner_id
        ])?;
    Ok(c.last_insert_rowid())
}

pub fn tickets(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<Ticket>> {
    let mut st = c.prepare_cached(
        "SELECT t.id, t.board_id, t.company_id, COALESCE(c.name, ''), COALESCE(v.name, ''), t.summary, t.description,
           t.priority, t.status, t.due_date_time, t.alert_id, t.message_id, t.service_id, t.created_at
         FROM psa_ticket t LEFT JOIN psa_company c ON c.id = t.company_id
           LEFT JOIN integration i ON i.id = t.integration_id LEFT JOIN vendor v ON v.id = i.vendor_id
         WHERE t.partner_id = ?1 ORDER BY t.id DESC",
    )?;
    let rows = st.query_map([partner_id], |r| {
        Ok(Ticket {
            id: r.get(0)?,
            board_id: r.get(1)?,
            company_id: r.get(2)?,
            account_name: r.get(3)?,
            vendor_name: r.get(4)?,
            summary: r.get(5)?,
            description: r.get(6)?,
            priority: r.get(7)?,
            status: r.get(8)?,
            due_date_time: r.get(9)?,
            alert_id: r.get(10)?,
            message_id: r.get(11)?,
            service_id: r.get(12)?,
            created_at: r.get(13)?,
        })
    })?;
    rows.collect()
}

/// One partner's whole PSA as JSON, for `GET /sim/psa`: companies with agreements and lines.
pub fn dump(c: &Connection, partner_id: &str) -> rusqlite::Result<serde_json::Value> {
    let companies = all_companies(c, partner_id)?;
    let mut agreements_st = c.prepare(
        "SELECT id, name, status, billing_cycle, prorate FROM psa_agreement WHERE company_id = ?1 ORDER BY position",
    )?;
    let mut lines_st = c.prepare(
        "SELECT l.id, p.id, p.product_code, p.name, l.quantity, l.effective_date, l.updated_at
         FROM psa_line l JOIN psa_product p ON p.id = l.product_id WHERE l.agreement_id = ?1 ORDER BY l.position",
    )?;
    let visible: Vec<String> = visible_companies(c, partner_id)?.into_iter().map(|c| c.id).collect();
    let mut out = vec![];
    for co in companies {
        let mut agreements = vec![];
        let rows: Vec<(String, String, String, String, bool)> = agreements_st
            .query_map([&co.id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (id, name, status, cycle, prorate) in rows {
            let lines: Vec<serde_json::Value> = lines_st
                .query_map([&id], |r| {
                    Ok(serde_json::json!({
                        "id": r.get::<_, String>(0)?, "productId": r.get::<_, String>(1)?,
                        "productCode": r.get::<_, String>(2)?, "productName": r.get::<_, String>(3)?,
                        "quantity": r.get::<_, f64>(4)?, "effectiveDate": r.get::<_, Option<String>>(5)?,
                        "updatedAt": r.get::<_, Option<String>>(6)?,
                    }))
                })?
                .collect::<rusqlite::Result<_>>()?;
            agreements.push(serde_json::json!({
                "id": id, "name": name, "status": status, "billingCycle": cycle, "prorate": prorate, "lines": lines
            }));
        }
        let mut v = serde_json::to_value(&co).unwrap_or_default();
        v["visibleInSynthesize"] = serde_json::Value::Bool(visible.contains(&co.id));
        v["agreements"] = serde_json::Value::Array(agreements);
        out.push(v);
    }
    let products: Vec<serde_json::Value> = products(c, partner_id)?
        .into_iter()
        .map(|p| {
            serde_json::json!({"id": p.id, "productCode": p.product_code, "name": p.name,
                "unitCost": p.unit_cost, "unitPrice": p.unit_price})
        })
        .collect();
    Ok(serde_json::json!({"companies": out, "products": products, "boards": boards(c, partner_id)?}))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Partner {
    pub id: String,
    pub name: String,
    pub psa: String,
    pub psa_url: String,
    pub currency: String,
}

pub fn partner(c: &Connection, id: &str) -> rusqlite::Result<Option<Partner>> {
    c.cached_row(
        "SELECT id, name, psa, psa_url, currency FROM partner WHERE id = ?1",
        [id],
        |r| {
            Ok(Partner {
                id: r.get(0)?,
                name: r.get(1)?,
                psa: r.get(2)?,
                psa_url: r.get(3)?,
                currency: r.get(4)?,
            })
        },
    )
    .optional()
}

/// What the PSA losing a company took with it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedCompany {
    pub company: Company,
    pub agreements: usize,
    pub lines: usize,
    /// `(integration id, vendor account id)` of every account that was mapped to it.
    pub unmapped: Vec<(String, String)>,
}

/// The company is deleted in the PSA: its agreements and contract lines go with it, and every
/// account mapped to it is left unmapped. Tickets already raised for it stay, as a PSA keeps
/// closed history.
pub fn remove_company(c: &Connection, partner_id: &str, id: &str) -> rusqlite::Result<Option<RemovedCompany>> {
    let Some(company) = c
        .query_row(
            "SELECT id, psa_ref, name, type, status FROM psa_company WHERE id = ?1 AND partner_id = ?2",
            [id, partner_id],
            company,
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut st = c.prepare(
        "SELECT integration_id, vendor_account_id FROM account_mapping WHERE psa_company_id = ?1 ORDER BY rowid",
    )?;
    let unmapped = st
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
    c.execute("DELETE FROM account_mapping WHERE psa_company_id = ?1", [id])?;
    let lines = c.execute(
        "DELETE FROM psa_line WHERE agreement_id IN (SELECT id FROM psa_agreement WHERE company_id = ?1)",
        [id],
    )?;
    let agreements = c.execute("DELETE FROM psa_agreement WHERE company_id = ?1", [id])?;
    c.execute("DELETE FROM psa_company WHERE id = ?1", [id])?;
    Ok(Some(RemovedCompany {
        company,
        agreements,
        lines,
        unmapped,
    }))
}

/// A company the PSA gains (a new customer with one active monthly agreement), as the next PSA
/// sync brings it to Synthesize; ids come from the caller.
pub struct NewCompany<'a> {
    pub id: &'a str,
    pub psa_ref: i64,
    pub name: &'a str,
    pub agreement_id: &'a str,
    pub agreement_name: &'a str,
    /// (line id, PSA product id, quantity)
    pub lines: &'a [(String, String, f64)],
}

pub fn add_company(c: &Connection, partner_id: &str, new: &NewCompany) -> rusqlite::Result<()> {
    let position: i64 = c.query_row(
        "SELECT COALESCE(MAX(position), 0) + 1 FROM psa_company WHERE partner_id = ?1",
        [partner_id],
        |r| r.get(0),
    )?;
    c.execute(
        "INSERT INTO psa_company (id, partner_id, psa_ref, name, type, status, position)
         VALUES (?1, ?2, ?3, ?4, 'Customer', 'Active', ?5)",
        rusqlite::params![new.id, partner_id, new.psa_ref, new.name, position],
    )?;
    c.execute(
        "INSERT INTO psa_agreement (id, partner_id, company_id, name, status, billing_cycle, prorate, position)
         VALUES (?1, ?2, ?3, ?4, 'Active', 'Monthly', 0, 1)",
        rusqlite::params![new.agreement_id, partner_id, new.id, new.agreement_name],
    )?;
    for (i, (line, product, quantity)) in new.lines.iter().enumerate() {
        c.execute(
            "INSERT INTO psa_line (id, partner_id, agreement_id, product_id, quantity, position)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![line, partner_id, new.agreement_id, product, quantity, i as i64 + 1],
        )?;
    }
    Ok(())
}

/// The company is renamed in the PSA; answers whether it was this partner's.
pub fn rename_company(c: &Connection, partner_id: &str, id: &str, name: &str) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "UPDATE psa_company SET name = ?3 WHERE id = ?1 AND partner_id = ?2",
        [id, partner_id, name],
    )? == 1)
}
