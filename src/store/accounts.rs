//! Vendor accounts and organization services: the "mapping properties" a vendor creates for one
//! partner. Both live per integration and share one shape, so one module serves both tables.

use super::next_seq;
use super::CachedRow;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    Account,
    OrgService,
}

impl PropertyKind {
    fn table(self) -> &'static str {
        match self {
            PropertyKind::Account => "vendor_account",
            PropertyKind::OrgService => "org_service",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Property {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Accounts: the account map's id when mapped. Services: unused.
    pub mapping_id: Option<String>,
    pub is_mapped: bool,
}

fn select(kind: PropertyKind) -> String {
    match kind {
        PropertyKind::Account => "SELECT a.id, a.name, a.description, m.mapping_id,
              m.mapping_id IS NOT NULL
            FROM vendor_account a LEFT JOIN account_mapping m
              ON m.integration_id = a.integration_id AND m.vendor_account_id = a.id
            WHERE a.integration_id = ?1"
            .into(),
        PropertyKind::OrgService => "SELECT a.id, a.name, a.description, NULL,
              EXISTS(SELECT 1 FROM service_mapping m WHERE m.integration_id = a.integration_id AND m.service_id = a.id)
            FROM org_service a WHERE a.integration_id = ?1"
            .into(),
    }
}

fn property(r: &rusqlite::Row) -> rusqlite::Result<Property> {
    Ok(Property {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        mapping_id: r.get(3)?,
        is_mapped: r.get(4)?,
    })
}

pub fn list(c: &Connection, kind: PropertyKind, integration_id: &str) -> rusqlite::Result<Vec<Property>> {
    let mut st = c.prepare_cached(&format!("{} ORDER BY a.seq", select(kind)))?;
    let rows = st.query_map([integration_id], property)?;
    rows.collect()
}

pub fn get(c: &Connection, kind: PropertyKind, integration_id: &str, id: &str) -> rusqlite::Result<Option<Property>> {
    let mut st = c.prepare_cached(&format!("{} AND a.id = ?2", select(kind)))?;
    st.query_row(params![integration_id, id], property).optional()
}

pub fn exists(c: &Connection, kind: PropertyKind, integration_id: &str, id: &str) -> rusqlite::Result<bool> {
    let mut st = c.prepare_cached(&format!(
        "SELECT EXISTS(SELECT 1 FROM {} WHERE integration_id = ?1 AND id = ?2)",
        kind.table()
    ))?;
    st.query_row(params![integration_id, id], |r| r.get(0))
}

pub fn count(c: &Connection, kind: PropertyKind, integration_id: &str) -> rusqlite::Result<i64> {
    c.cached_row(
        &format!("SELECT COUNT(*) FROM {} WHERE integration_id = ?1", kind.table()),
        [integration_id],
        |r| r.get(0),
    )
}

pub struct NewProperty {
    pub id: String,
    pub name: String,
    pub description: String,
    pub is_arrears: bool,
}

/// Inserts a body's items in their order, at the next positions. An id the integration has
/// already (before or earlier in the body) stops it: its index is answered, and the rows
/// inserted before it are the caller's to roll back. The primary key is the check, so an item
/// costs one statement, not a look-up first.
pub fn insert_all(
    c: &Connection,
    kind: PropertyKind,
    integration_id: &str,
    items: &[NewProperty],
    now: &str,
) -> rusqlite::Result<Option<usize>> {
    let first = next_seq(c, kind.table())?;
    // Cached: a sync sends thousands of bodies.
    let mut st = c.prepare_cached(&format!(
        "INSERT INTO {} (integration_id, id, name, description, is_arrears, created_at, updated_at, seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
        kind.table()
    ))?;
    for (i, p) in items.iter().enumerate() {
        let seq = first + i as i64;
        match st.execute(params![
            integration_id,
            p.id,
            p.name,
            p.description,
            p.is_arrears,
            now,
            seq
        ]) {
            Ok(_) => {}
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY =>
            {
                return Ok(Some(i))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// The fields an update may change; `None` leaves a field alone. `new_id` renames the id.
#[derive(Debug, Default, Clone)]
pub struct PropertyUpdate {
    pub new_id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub is_active: Option<bool>,
    pub is_arrears: Option<bool>,
}

pub fn update(
    c: &Connection,
    kind: PropertyKind,
    integration_id: &str,
    id: &str,
    u: &PropertyUpdate,
    now: &str,
) -> rusqlite::Result<()> {
    c.execute(
        &format!(
            "UPDATE {} SET name = COALESCE(?3, name), description = COALESCE(?4, description),
               is_active = COALESCE(?5, is_active), is_arrears = COALESCE(?6, is_arrears), updated_at = ?7
             WHERE integration_id = ?1 AND id = ?2",
            kind.table()
        ),
        params![
            integration_id,
            id,
            u.name,
            u.description,
            u.is_active,
            u.is_arrears,
            now
        ],
    )?;
    if let Some(new_id) = u.new_id.as_deref().filter(|n| *n != id) {
        c.execute(
            &format!(
                "UPDATE {} SET id = ?3 WHERE integration_id = ?1 AND id = ?2",
                kind.table()
            ),
            params![integration_id, id, new_id],
        )?;
        // Mappings and counts follow the renamed id, so nothing the partner did is lost.
        match kind {
            PropertyKind::Account => {
                c.execute(
                    "UPDATE account_mapping SET vendor_account_id = ?3 WHERE integration_id = ?1 AND vendor_account_id = ?2",
                    params![integration_id, id, new_id],
                )?;
                c.execute(
                    "UPDATE unit_count SET account_id = ?3 WHERE integration_id = ?1 AND account_id = ?2",
                    params![integration_id, id, new_id],
                )?;
            }
            PropertyKind::OrgService => {
                c.execute(
                    "UPDATE service_mapping SET service_id = ?3 WHERE integration_id = ?1 AND service_id = ?2",
                    params![integration_id, id, new_id],
                )?;
                c.execute(
                    "UPDATE unit_count SET service_id = ?3 WHERE integration_id = ?1 AND service_id = ?2",
                    params![integration_id, id, new_id],
                )?;
            }
        }
    }
    Ok(())
}
