//! The vendor API's response shapes, with production's field names and key order.

use crate::domain::ids::ObjectId;
use crate::domain::NEVER_SYNCED;
use crate::store::integrations::IntegrationRow;
use crate::store::vendors::{ServiceRow, VendorRow};
use serde_json::{json, Map, Value};

/// VendorSkuData: `_id` and `id` are equal (the PowerShell SDK reads `_id`, the others `id`).
pub fn sku(s: &ServiceRow) -> Value {
    let mut m = Map::new();
    m.insert("_id".into(), json!(s.id));
    m.insert("id".into(), json!(s.id));
    m.insert("name".into(), json!(s.name));
    m.insert("description".into(), json!(s.description));
    if let Some(logo) = &s.logo {
        m.insert("logo".into(), json!(logo));
    }
    m.insert("category".into(), json!(s.category));
    m.insert("subcategory".into(), json!(s.subcategory));
    if let Some(a) = &s.support_article {
        m.insert("supportArticle".into(), json!(a));
    }
    if let Some(c) = &s.support_contact {
        m.insert("supportContact".into(), json!(c));
    }
    m.insert("createdAt".into(), json!(s.created_at));
    m.insert("updatedAt".into(), json!(s.updated_at));
    Value::Object(m)
}

/// VendorData, as GET /api/vendor-api's `data` and POST /service's bare body.
pub fn vendor_data(v: &VendorRow, skus: &[ServiceRow]) -> Value {
    json!({
        "_id": v.id,
        "id": v.id,
        "name": v.name,
        "description": v.description,
        "integrationType": v.integration_type,
        "imageUri": v.image_uri,
        "skus": skus.iter().map(sku).collect::<Vec<_>>(),
        "isDistributor": v.is_distributor,
        "integrationPortalUrl": v.integration_portal_url,
        "vendorSupportPageUrl": v.vendor_support_page_url,
        "externalIntegrationStatus": "notIntegrated",
        "mappingResponsibilities": ["accounts", "services"],
        "modules": v.modules.iter().map(|m| json!({"variation": m, "status": "active", "externalIntegrationStatus": "notIntegrated"})).collect::<Vec<_>>(),
        "organizationId": vendor_organization_id(&v.id),
        "attributes": [],
        "createdAt": v.created_at,
        "updatedAt": v.updated_at,
        "__v": 0,
    })
}

/// `VendorData.organizationId` (in the newest SDK model): the organization that owns the vendor
/// profile. GUESS: production's value is not public; a stable ObjectId derived from the vendor
/// keeps it ObjectId-shaped and the same on every call and every start.
pub fn vendor_organization_id(vendor_id: &str) -> String {
    ObjectId::derived("vendor-organization", vendor_id).into_string()
}

/// IntegrationData, as GET /organization's bare body and the status PATCH's `data`.
pub fn integration_data(i: &IntegrationRow, partner_name: &str, vendor_name: &str) -> Value {
    json!({
        "organizationId": i.partner_id,
        "name": partner_name,
        "vendorId": i.vendor_id,
        "vendorName": vendor_name,
        "integrationId": i.id,
        "status": i.status.map(|s| s.as_str()).unwrap_or("inactive"),
        "lastSyncedAt": i.last_synced_at.as_deref().unwrap_or(NEVER_SYNCED),
    })
}

/// `{status, data, message}`: the envelope of the GET/PATCH routes that wrap their data.
pub fn envelope(status: u16, data: Value, message: &str) -> Value {
    json!({"status": status, "data": data, "message": message})
}
