//! Account and service mappings: the partner's links from vendor items to PSA items.

use super::CachedRow;
use crate::domain::billing::Feed;
use crate::domain::ids::ObjectId;
use rusqlite::{params, Connection, OptionalExtension};

/// One vendor account's mapping: (PSA company id, source, mapping id).
/// Every vendor account of the integration in creation order, with its mapping if any:
/// (id, name, description, (psa company, source, mapping id)). One statement for what the
/// account-mapping step shows, instead of three per account.
pub type AccountWithMapping = (String, String, String, Option<(String, String, String)>);

pub fn accounts_with_mappings(c: &Connection, integration_id: &str) -> rusqlite::Result<Vec<AccountWithMapping>> {
    let mut st = c.prepare_cached(
        "SELECT a.id, a.name, a.description, m.psa_company_id, m.source, m.mapping_id
         FROM vendor_account a LEFT JOIN account_mapping m
           ON m.integration_id = a.integration_id AND m.vendor_account_id = a.id
         WHERE a.integration_id = ?1 ORDER BY a.seq",
    )?;
    let rows = st.query_map([integration_id], |r| {
        let mapping = match r.get::<_, Option<String>>(3)? {
            Some(company) => Some((company, r.get(4)?, r.get(5)?)),
            None => None,
        };
        Ok((r.get(0)?, r.get(1)?, r.get(2)?, mapping))
    })?;
    rows.collect()
}

/// What narrows the account mapping step's list: `search` (already lower-cased) in an account's
/// id, name or description, or `companies`, the PSA companies whose name holds it; and
/// `hide_mapped` (the unmapped alone) or `only_mapped` (the mapped alone: the review step).
#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub search: Option<String>,
    pub companies: Vec<String>,
    pub hide_mapped: bool,
    pub only_mapped: bool,
}

impl AccountFilter {
    /// The condition on `a`, each account, and `m`, its mapping joined.
    fn sql(&self) -> String {
        let mut cond = String::new();
        if self.hide_mapped {
            cond.push_str(" AND m.vendor_account_id IS NULL");
        }
        if self.only_mapped {
            cond.push_str(" AND m.vendor_account_id IS NOT NULL");
        }
        if self.search.is_some() {
            // An unmapped account has no company to match: the text alone.
            cond.push_str(if self.hide_mapped { SEARCH_TEXT } else { SEARCH });
        }
        cond
    }

    fn companies_json(&self) -> String {
        serde_json::to_string(&self.companies).unwrap_or_else(|_| "[]".into())
    }
}

const SEARCH_TEXT: &str = " AND (sim_contains(a.name, ?2) OR sim_contains(a.description, ?2) OR sim_contains(a.id, ?2) OR m.psa_company_id IN (SELECT value FROM json_each(?3)))";

/// A search without the join: the accounts mapped to a matching company are one subquery.
const SEARCH: &str = " AND (sim_contains(a.name, ?2) OR sim_contains(a.description, ?2) OR sim_contains(a.id, ?2)
    OR a.id IN (SELECT vendor_account_id FROM account_mapping WHERE integration_id = ?1
                AND psa_company_id IN (SELECT value FROM json_each(?3))))";

/// `sim_contains(text, needle)`: whether `text` holds `needle` (lower case) whatever the case,
/// as the console's search compares (JavaScript's toLowerCase, Unicode): SQLite's LIKE and
/// lower() fold ASCII only.
pub fn register_functions(c: &Connection) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    c.create_scalar_function(
        "sim_contains",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text = ctx.get_raw(0).as_str().unwrap_or("");
            let needle = ctx.get_raw(1).as_str().unwrap_or("");
            Ok(crate::domain::mapping::contains_folded(text, needle))
        },
    )
}

fn page_sql(filter: &AccountFilter) -> String {
    format!(
        "SELECT a.id, a.name, a.description, m.psa_company_id, m.source, m.mapping_id
         FROM vendor_account a LEFT JOIN account_mapping m
           ON m.integration_id = a.integration_id AND m.vendor_account_id = a.id
         WHERE a.integration_id = ?1{} ORDER BY a.seq LIMIT ?4 OFFSET ?5",
        filter.sql()
    )
}

/// One page of the account mapping step: the accounts `filter` keeps, in creation order.
pub fn account_page(
    c: &Connection,
    integration_id: &str,
    filter: &AccountFilter,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<Vec<AccountWithMapping>> {
    let mut st = c.prepare_cached(&page_sql(filter))?;
    let search = filter.search.clone().unwrap_or_default();
    let rows = st.query_map(
        params![integration_id, search, filter.companies_json(), limit, offset],
        |r| {
            let mapping = match r.get::<_, Option<String>>(3)? {
                Some(company) => Some((company, r.get(4)?, r.get(5)?)),
                None => None,
            };
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, mapping))
        },
    )?;
    rows.collect()
}

/// How many accounts of the integration `filter` keeps. Every mapping names an account of its
/// integration (a mapping is made for an existing account, and both go together on disconnect
/// and reset), so "unmapped" alone is the total less the mappings, not a join per account.
pub fn count_accounts(c: &Connection, integration_id: &str, filter: &AccountFilter) -> rusqlite::Result<i64> {
    if filter.search.is_none() {
        if filter.only_mapped {
            return Ok(counts(c, integration_id)?.0);
        }
        let total = super::accounts::count(c, super::accounts::PropertyKind::Account, integration_id)?;
        if !filter.hide_mapped {
            return Ok(total);
        }
        return Ok(total - counts(c, integration_id)?.0);
    }
    let (join, cond) = if filter.hide_mapped || filter.only_mapped {
        (
            " LEFT JOIN account_mapping m ON m.integration_id = a.integration_id AND m.vendor_account_id = a.id",
            filter.sql(),
        )
    } else {
        ("", SEARCH.to_string())
    };
    c.cached_row(
        &format!("SELECT COUNT(*) FROM vendor_account a{join} WHERE a.integration_id = ?1{cond}"),
        params![
            integration_id,
            filter.search.clone().unwrap_or_default(),
            filter.companies_json()
        ],
        |r| r.get(0),
    )
}

/// How many of the integration's accounts map to each PSA company (companies with none left
/// out): what the console marks as used, without every account.
pub fn mapped_per_company(c: &Connection, integration_id: &str) -> rusqlite::Result<Vec<(String, i64)>> {
    let mut st = c.prepare_cached(
        "SELECT psa_company_id, COUNT(*) FROM account_mapping WHERE integration_id = ?1
         GROUP BY psa_company_id ORDER BY psa_company_id",
    )?;
    let rows = st.query_map([integration_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

pub fn account_mapping(
    c: &Connection,
    integration_id: &str,
    vendor_account_id: &str,
) -> rusqlite::Result<Option<(String, String, String)>> {
    let mut st = c.prepare_cached(
        "SELECT psa_company_id, source, mapping_id FROM account_mapping WHERE integration_id = ?1 AND vendor_account_id = ?2",
    )?;
    st.query_row(params![integration_id, vendor_account_id], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .optional()
}

/// The vendor account first mapped to a PSA company (the deprecated count by `clientOId`).
pub fn account_for_company(
    c: &Connection,
    integration_id: &str,
    psa_company_id: &str,
) -> rusqlite::Result<Option<String>> {
    let mut st = c.prepare_cached(
        "SELECT vendor_account_id FROM account_mapping WHERE integration_id = ?1 AND psa_company_id = ?2
         ORDER BY created_at LIMIT 1",
    )?;
    st.query_row(params![integration_id, psa_company_id], |r| r.get(0))
        .optional()
}

pub fn map_account(
    c: &Connection,
    integration_id: &str,
    vendor_account_id: &str,
    psa_company_id: &str,
    source: &str,
    now: &str,
    mapping_id: &ObjectId,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO account_mapping (integration_id, vendor_account_id, mapping_id, psa_company_id, source, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(integration_id, vendor_account_id) DO UPDATE SET psa_company_id = excluded.psa_company_id,
           source = excluded.source",
        params![integration_id, vendor_account_id, mapping_id.as_str(), psa_company_id, source, now],
    )?;
    Ok(())
}

pub fn unmap_account(c: &Connection, integration_id: &str, vendor_account_id: &str) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM account_mapping WHERE integration_id = ?1 AND vendor_account_id = ?2",
        params![integration_id, vendor_account_id],
    )
}

/// The PSA products a service is mapped to, with the mapping's source.
pub fn service_products(
    c: &Connection,
    integration_id: &str,
    service_id: &str,
) -> rusqlite::Result<(Vec<String>, Option<String>)> {
    let mut st = c.prepare_cached(
        "SELECT m.psa_product_id, m.source FROM service_mapping m JOIN psa_product p ON p.id = m.psa_product_id
         WHERE m.integration_id = ?1 AND m.service_id = ?2 ORDER BY p.position",
    )?;
    let rows: Vec<(String, String)> = st
        .query_map(params![integration_id, service_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let source = rows.first().map(|r| r.1.clone());
    Ok((rows.into_iter().map(|r| r.0).collect(), source))
}

pub fn is_service_mapped(c: &Connection, integration_id: &str, service_id: &str) -> rusqlite::Result<bool> {
    let mut st =
        c.prepare_cached("SELECT EXISTS(SELECT 1 FROM service_mapping WHERE integration_id = ?1 AND service_id = ?2)")?;
    st.query_row(params![integration_id, service_id], |r| r.get(0))
}

/// Replaces a service's mapping with exactly these products.
pub fn map_service(
    c: &Connection,
    integration_id: &str,
    service_id: &str,
    product_ids: &[String],
    source: &str,
    now: &str,
) -> rusqlite::Result<()> {
    unmap_service(c, integration_id, service_id)?;
    for p in product_ids {
        c.execute(
            "INSERT OR IGNORE INTO service_mapping (integration_id, service_id, psa_product_id, source, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![integration_id, service_id, p, source, now],
        )?;
    }
    Ok(())
}

pub fn unmap_service(c: &Connection, integration_id: &str, service_id: &str) -> rusqlite::Result<usize> {
    c.execute(
        "DELETE FROM service_mapping WHERE integration_id = ?1 AND service_id = ?2",
        params![integration_id, service_id],
    )
}

pub fn counts(c: &Connection, integration_id: &str) -> rusqlite::Result<(i64, i64)> {
    let accounts = c.cached_row(
        "SELECT COUNT(*) FROM account_mapping WHERE integration_id = ?1",
        [integration_id],
        |r| r.get(0),
    )?;
    let services = c.cached_row(
        "SELECT COUNT(DISTINCT service_id) FROM service_mapping WHERE integration_id = ?1",
        [integration_id],
        |r| r.get(0),
    )?;
    Ok((accounts, services))
}

/// Every (PSA company, PSA product) a connected integration of the partner feeds, with the
/// latest count of each mapped (account, service) pair: the billing computation's input.
/// A count last sent before `counted_since` (ISO 8601) feeds its pair no more: the pair is
/// still mapped, with no count.
pub fn feeds(c: &Connection, partner_id: &str, counted_since: &str) -> rusqlite::Result<Vec<Feed>> {
    let mut st = c.prepare_cached(
        "SELECT v.id, v.name, am.psa_company_id, pc.name, sm.psa_product_id,
                CASE WHEN uc.updated_at >= ?2 THEN uc.unit_count END
         FROM integration i JOIN vendor v ON v.id = i.vendor_id
           JOIN account_mapping am ON am.integration_id = i.id
           JOIN psa_company pc ON pc.id = am.psa_company_id
           JOIN service_mapping sm ON sm.integration_id = i.id
           LEFT JOIN unit_count uc ON uc.integration_id = i.id AND uc.service_id = sm.service_id
             AND uc.account_id = am.vendor_account_id
         WHERE i.partner_id = ?1 AND i.state <> 'ready_to_connect'",
    )?;
    let rows = st.query_map([partner_id, counted_since], |r| {
        Ok(Feed {
            vendor_id: r.get(0)?,
            vendor_name: r.get(1)?,
            company_id: r.get(2)?,
            company_name: r.get(3)?,
            product_id: r.get(4)?,
            quantity: r.get(5)?,
        })
    })?;
    rows.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page walks one integration's accounts in order: no sort of them all, whatever the filter.
    #[test]
    fn a_page_is_read_in_index_order_without_a_sort() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(include_str!("schema.sql")).unwrap();
        register_functions(&c).unwrap();
        for (search, hide_mapped, only_mapped) in [
            (None, false, false),
            (None, true, false),
            (None, false, true),
            (Some("x".to_string()), false, false),
            (Some("x".to_string()), true, false),
            (Some("x".to_string()), false, true),
        ] {
            let filter = AccountFilter {
                search,
                companies: vec![],
                hide_mapped,
                only_mapped,
            };
            let plan: Vec<String> = c
                .prepare(&format!("EXPLAIN QUERY PLAN {}", page_sql(&filter)))
                .unwrap()
                .query_map(params!["i", "x", "[]", 60, 0], |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            let plan = plan.join(" | ");
            assert!(!plan.contains("TEMP B-TREE"), "{filter:?}: {plan}");
            assert!(plan.contains("vendor_account_by_integration"), "{filter:?}: {plan}");
        }
    }
}
