//! Unit counts: the latest value per (integration, service, account), plus every accepted count.

use rusqlite::{params, Connection, OptionalExtension};

/// One accepted count.
pub struct NewCount<'a> {
    pub integration_id: &'a str,
    pub cycle: i64,
    pub service_id: &'a str,
    pub account_id: &'a str,
    pub unit_count: f64,
    pub no_build: bool,
}

pub fn set_count(c: &Connection, n: &NewCount, now: &str) -> rusqlite::Result<()> {
    let mut upsert = c.prepare_cached(
        "INSERT INTO unit_count (integration_id, service_id, account_id, unit_count, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(integration_id, service_id, account_id) DO UPDATE SET unit_count = excluded.unit_count,
           updated_at = excluded.updated_at",
    )?;
    upsert.execute(params![n.integration_id, n.service_id, n.account_id, n.unit_count, now])?;
    let mut history = c.prepare_cached(
        "INSERT INTO unit_count_history (integration_id, cycle, service_id, account_id, unit_count, no_build, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    history.execute(params![
        n.integration_id,
        n.cycle,
        n.service_id,
        n.account_id,
        n.unit_count,
        n.no_build,
        now
    ])?;
    // The running summary the checklist reads, instead of aggregating the history each time.
    let mut summary = c.prepare_cached(
        "INSERT INTO count_summary (integration_id, cycle, accepted, with_no_build, first_at, last_at)
         VALUES (?1, ?2, 1, ?3, ?4, ?4)
         ON CONFLICT(integration_id, cycle) DO UPDATE SET accepted = accepted + 1,
           with_no_build = with_no_build + excluded.with_no_build, last_at = excluded.last_at",
    )?;
    summary.execute(params![n.integration_id, n.cycle, n.no_build as i64, now])?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CountSummary {
    pub accepted: i64,
    pub with_no_build: i64,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
}

fn summary_row(r: &rusqlite::Row) -> rusqlite::Result<CountSummary> {
    Ok(CountSummary {
        accepted: r.get(0)?,
        with_no_build: r.get(1)?,
        first_at: r.get(2)?,
        last_at: r.get(3)?,
    })
}

/// The counts accepted in one QA cycle of an integration: one row, kept as counts arrive.
pub fn summary(c: &Connection, integration_id: &str, cycle: i64) -> rusqlite::Result<CountSummary> {
    c.prepare_cached(
        "SELECT accepted, with_no_build, first_at, last_at FROM count_summary
         WHERE integration_id = ?1 AND cycle = ?2",
    )?
    .query_row(params![integration_id, cycle], summary_row)
    .optional()
    .map(|s| {
        s.unwrap_or(CountSummary {
            accepted: 0,
            with_no_build: 0,
            first_at: None,
            last_at: None,
        })
    })
}

/// The same summary aggregated from every count received: what `count_summary` must equal.
#[cfg(test)]
pub fn summary_from_history(c: &Connection, integration_id: &str, cycle: i64) -> rusqlite::Result<CountSummary> {
    c.query_row(
        "SELECT COUNT(*), COALESCE(SUM(no_build), 0), MIN(received_at), MAX(received_at)
         FROM unit_count_history WHERE integration_id = ?1 AND cycle = ?2",
        params![integration_id, cycle],
        summary_row,
    )
}

/// Every cycle with counts, summarised: `count_summary` from scratch.
pub fn resummarise(c: &Connection) -> rusqlite::Result<()> {
    // Row by row: an epoch watches the summaries (see `store::epochs`).
    c.execute("DELETE FROM count_summary WHERE 1", [])?;
    c.execute(
        "INSERT INTO count_summary (integration_id, cycle, accepted, with_no_build, first_at, last_at)
         SELECT integration_id, cycle, COUNT(*), SUM(no_build), MIN(received_at), MAX(received_at)
         FROM unit_count_history GROUP BY integration_id, cycle",
        [],
    )?;
    Ok(())
}

/// Replaces the CSV usage with a new import (an import is the month's file, not an addition).
pub fn replace_csv(
    c: &Connection,
    partner_id: &str,
    usage: &[crate::domain::csv_usage::ImportedUsage],
    file_name: &str,
    now: &str,
) -> rusqlite::Result<()> {
    clear_csv(c, partner_id)?;
    let mut st = c.prepare_cached(
        "INSERT INTO csv_usage (partner_id, company_id, product_id, quantity, unit_cost, rows, file_name, imported_at)
         VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for u in usage {
        let rows = serde_json::to_string(&u.rows).unwrap_or_else(|_| "[]".into());
        st.execute(params![
            u.company_id,
            u.product_id,
            u.quantity,
            u.unit_cost,
            rows,
            file_name,
            now,
            partner_id
        ])?;
    }
    Ok(())
}

pub fn clear_csv(c: &Connection, partner_id: &str) -> rusqlite::Result<usize> {
    c.execute("DELETE FROM csv_usage WHERE partner_id = ?1", [partner_id])
}

/// The current import as the console lists it: file, time, and each pair with its rows.
pub fn csv_import(c: &Connection, partner_id: &str) -> rusqlite::Result<serde_json::Value> {
    let mut st = c.prepare_cached(
        "SELECT u.company_id, pc.name, u.product_id, p.product_code, p.name, u.quantity, u.unit_cost, u.rows,
           u.file_name, u.imported_at
         FROM csv_usage u JOIN psa_company pc ON pc.id = u.company_id JOIN psa_product p ON p.id = u.product_id
         WHERE u.partner_id = ?1 ORDER BY pc.name, p.product_code",
    )?;
    let mut file = None;
    let rows = st.query_map([partner_id], |r| {
        Ok((
            serde_json::json!({
                "psaAccountId": r.get::<_, String>(0)?, "accountName": r.get::<_, String>(1)?,
                "productId": r.get::<_, String>(2)?, "productCode": r.get::<_, String>(3)?,
                "serviceName": r.get::<_, String>(4)?, "quantity": r.get::<_, f64>(5)?,
                "unitCost": r.get::<_, Option<f64>>(6)?,
                "rows": serde_json::from_str::<serde_json::Value>(&r.get::<_, String>(7)?).unwrap_or_default(),
            }),
            (r.get::<_, String>(8)?, r.get::<_, String>(9)?),
        ))
    })?;
    let mut usage = vec![];
    for row in rows {
        let (u, f) = row?;
        file = Some(f);
        usage.push(u);
    }
    Ok(serde_json::json!({
        "fileName": file.as_ref().map(|f| f.0.clone()),
        "importedAt": file.map(|f| f.1),
        "usage": usage,
    }))
}

/// The CSV usage as a source of the billing view, beside the integrations' counts.
pub fn csv_feeds(c: &Connection, partner_id: &str) -> rusqlite::Result<Vec<crate::domain::billing::Feed>> {
    let mut st = c.prepare_cached(
        "SELECT u.company_id, pc.name, u.product_id, u.quantity, u.file_name
         FROM csv_usage u JOIN psa_company pc ON pc.id = u.company_id WHERE u.partner_id = ?1",
    )?;
    let rows = st.query_map([partner_id], |r| {
        Ok(crate::domain::billing::Feed {
            vendor_id: crate::domain::billing::CSV_SOURCE_ID.into(),
            vendor_name: format!("CSV import ({})", r.get::<_, String>(4)?),
            company_id: r.get(0)?,
            company_name: r.get(1)?,
            product_id: r.get(2)?,
            quantity: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// The integration's counts last sent before `since` (ISO 8601): (vendor account name, service
/// name, when it was last sent), oldest first. A month in the life lists them at month end.
pub fn counts_before(
    c: &Connection,
    integration_id: &str,
    since: &str,
) -> rusqlite::Result<Vec<(String, String, String)>> {
    let mut st = c.prepare(
        "SELECT COALESCE(a.name, u.account_id), COALESCE(s.name, o.name, u.service_id), u.updated_at
           FROM unit_count u
           LEFT JOIN vendor_account a ON a.integration_id = u.integration_id AND a.id = u.account_id
           LEFT JOIN vendor_service s ON s.id = u.service_id
           LEFT JOIN org_service o ON o.integration_id = u.integration_id AND o.id = u.service_id
          WHERE u.integration_id = ?1 AND u.updated_at < ?2
          ORDER BY u.updated_at, u.account_id, u.service_id",
    )?;
    let rows = st.query_map([integration_id, since], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}
