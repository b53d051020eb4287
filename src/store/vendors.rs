//! Vendors and their vendor-level services (SKUs).

use super::CachedRow;
use super::{modules_from_json, next_seq};
use rusqlite::{params, Connection, OptionalExtension, Row};

#[derive(Debug, Clone)]
pub struct VendorRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub integration_type: String,
    pub image_uri: String,
    pub is_distributor: bool,
    pub integration_portal_url: String,
    pub vendor_support_page_url: String,
    pub modules: Vec<String>,
    pub api_key_plain: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub id: String,
    pub vendor_id: String,
    pub name: String,
    pub description: String,
    pub logo: Option<String>,
    pub category: String,
    pub subcategory: String,
    pub support_article: Option<String>,
    pub support_contact: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

const VENDOR_COLS: &str = "id, name, description, integration_type, image_uri, is_distributor, integration_portal_url,
    vendor_support_page_url, modules, api_key_plain, created_at, updated_at";

fn vendor_row(r: &Row) -> rusqlite::Result<VendorRow> {
    Ok(VendorRow {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        integration_type: r.get(3)?,
        image_uri: r.get(4)?,
        is_distributor: r.get(5)?,
        integration_portal_url: r.get(6)?,
        vendor_support_page_url: r.get(7)?,
        modules: modules_from_json(&r.get::<_, String>(8)?),
        api_key_plain: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

const SERVICE_COLS: &str = "id, vendor_id, name, description, logo, category, subcategory, support_article,
    support_contact, created_at, updated_at";

fn service_row(r: &Row) -> rusqlite::Result<ServiceRow> {
    Ok(ServiceRow {
        id: r.get(0)?,
        vendor_id: r.get(1)?,
        name: r.get(2)?,
        description: r.get(3)?,
        logo: r.get(4)?,
        category: r.get(5)?,
        subcategory: r.get(6)?,
        support_article: r.get(7)?,
        support_contact: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

pub fn get(c: &Connection, id: &str) -> rusqlite::Result<Option<VendorRow>> {
    c.cached_row(
        &format!("SELECT {VENDOR_COLS} FROM vendor WHERE id = ?1"),
        [id],
        vendor_row,
    )
    .optional()
}

pub fn by_key_hash(c: &Connection, hash: &str) -> rusqlite::Result<Option<VendorRow>> {
    c.cached_row(
        &format!("SELECT {VENDOR_COLS} FROM vendor WHERE api_key_hash = ?1"),
        [hash],
        vendor_row,
    )
    .optional()
}

pub fn list(c: &Connection) -> rusqlite::Result<Vec<VendorRow>> {
    let mut st = c.prepare_cached(&format!("SELECT {VENDOR_COLS} FROM vendor ORDER BY name"))?;
    let rows = st.query_map([], vendor_row)?;
    rows.collect()
}

/// The fields `PATCH /api/vendor-api` may change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct VendorUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub vendor_support_page_url: Option<String>,
    pub integration_portal_url: Option<String>,
}

pub fn update(c: &Connection, id: &str, u: &VendorUpdate, now: &str) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE vendor SET name = COALESCE(?2, name), description = COALESCE(?3, description),
           vendor_support_page_url = COALESCE(?4, vendor_support_page_url),
           integration_portal_url = COALESCE(?5, integration_portal_url), updated_at = ?6
         WHERE id = ?1",
        params![
            id,
            u.name,
            u.description,
            u.vendor_support_page_url,
            u.integration_portal_url,
            now
        ],
    )?;
    Ok(())
}

pub fn services(c: &Connection, vendor_id: &str) -> rusqlite::Result<Vec<ServiceRow>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {SERVICE_COLS} FROM vendor_service WHERE vendor_id = ?1 ORDER BY seq"
    ))?;
    let rows = st.query_map([vendor_id], service_row)?;
    rows.collect()
}

pub fn service(c: &Connection, vendor_id: &str, id: &str) -> rusqlite::Result<Option<ServiceRow>> {
    c.cached_row(
        &format!("SELECT {SERVICE_COLS} FROM vendor_service WHERE vendor_id = ?1 AND id = ?2"),
        [vendor_id, id],
        service_row,
    )
    .optional()
}

pub fn service_name_taken(c: &Connection, vendor_id: &str, name: &str) -> rusqlite::Result<bool> {
    c.cached_row(
        "SELECT EXISTS(SELECT 1 FROM vendor_service WHERE vendor_id = ?1 AND name = ?2)",
        [vendor_id, name],
        |r| r.get(0),
    )
}

pub fn insert_service(c: &Connection, s: &ServiceRow) -> rusqlite::Result<()> {
    let seq = next_seq(c, "vendor_service")?;
    c.execute(
        "INSERT INTO vendor_service (id, vendor_id, name, description, logo, category, subcategory, support_article,
           support_contact, created_at, updated_at, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            s.id,
            s.vendor_id,
            s.name,
            s.description,
            s.logo,
            s.category,
            s.subcategory,
            s.support_article,
            s.support_contact,
            s.created_at,
            s.updated_at,
            seq
        ],
    )?;
    Ok(())
}

pub fn update_service(c: &Connection, s: &ServiceRow, now: &str) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE vendor_service SET name = ?3, description = ?4, logo = ?5, category = ?6, subcategory = ?7,
           support_article = ?8, support_contact = ?9, updated_at = ?10 WHERE vendor_id = ?1 AND id = ?2",
        params![
            s.vendor_id,
            s.id,
            s.name,
            s.description,
            s.logo,
            s.category,
            s.subcategory,
            s.support_article,
            s.support_contact,
            now
        ],
    )?;
    Ok(())
}
