//! The vendor profile and its vendor-level services (SKUs).

use super::{Access, Outcome};
use crate::domain::event::Event;
use crate::domain::lint::{blanked, blanked_fields, Lint, LintCode};
use crate::domain::Rejection;
use crate::error::{ApiError, ApiResult};
use crate::ops::Ops;
use crate::store::events;
use crate::store::vendors::{self, ServiceRow, VendorRow, VendorUpdate};
use rusqlite::Connection;

/// The vendor and its services, as the profile routes answer them.
pub type Profile = (VendorRow, Vec<ServiceRow>);

fn vendor(c: &Connection, vendor_id: &str) -> Result<VendorRow, ApiError> {
    vendors::get(c, vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))
}

/// Where a vendor-level call records its facts: the integration of the token's partner half,
/// when it has one (id, cycle).
pub type Trail = Option<(String, i64)>;

/// Updates the profile; a `""` over stored text is stored, with a lint.
pub async fn update_vendor(
    ops: &Ops,
    access: &impl Access,
    vendor_id: String,
    trail: Trail,
    update: VendorUpdate,
) -> Outcome<Profile> {
    let clock = ops.clock.clone();
    super::write(ops, access, move |tx, lints| {
        let before = vendor(tx, &vendor_id)?;
        let blanked = blanked([
            ("name", &update.name, &before.name),
            ("description", &update.description, &before.description),
            (
                "vendorSupportPageUrl",
                &update.vendor_support_page_url,
                &before.vendor_support_page_url,
            ),
            (
                "integrationPortalUrl",
                &update.integration_portal_url,
                &before.integration_portal_url,
            ),
        ]);
        vendors::update(tx, &vendor_id, &update, &clock.now_iso())?;
        if let (Some(url), Some((iid, cycle))) = (&update.integration_portal_url, &trail) {
            events::record(
                tx,
                Some(iid),
                *cycle,
                &clock.now_iso(),
                &Event::PortalUrlSet { url: url.clone() },
            )?;
        }
        let profile = (vendor(tx, &vendor_id)?, vendors::services(tx, &vendor_id)?);
        lints.extend(blanked_fields(&blanked));
        Ok(profile)
    })
    .await
}

/// The fields of a service a call sent, each already checked; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServiceFields {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub subcategory: Option<String>,
    pub support_article: Option<String>,
    pub support_contact: Option<String>,
    pub logo: Option<String>,
}

impl ServiceFields {
    /// Whether a new service can be made of these: the required fields are all there.
    pub fn complete(&self) -> bool {
        self.name.is_some() && self.description.is_some() && self.category.is_some() && self.subcategory.is_some()
    }

    fn apply(self, s: &mut ServiceRow) {
        let text = [
            (self.name, &mut s.name),
            (self.description, &mut s.description),
            (self.category, &mut s.category),
            (self.subcategory, &mut s.subcategory),
        ];
        for (sent, slot) in text {
            if let Some(v) = sent {
                *slot = v;
            }
        }
        for (sent, slot) in [
            (self.support_article, &mut s.support_article),
            (self.support_contact, &mut s.support_contact),
            (self.logo, &mut s.logo),
        ] {
            if sent.is_some() {
                *slot = sent;
            }
        }
    }
}

/// Creates a vendor-level service from complete fields; a second service of one name is
/// allowed, as in production, with a lint.
pub async fn create_service(
    ops: &Ops,
    access: &impl Access,
    vendor_id: String,
    trail: Trail,
    fields: ServiceFields,
) -> Outcome<Profile> {
    let now = ops.clock.now_iso();
    let mut service = ServiceRow {
        id: ops.clock.object_id().into_string(),
        vendor_id,
        name: String::new(),
        description: String::new(),
        logo: None,
        category: String::new(),
        subcategory: String::new(),
        support_article: None,
        support_contact: None,
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    fields.apply(&mut service);
    super::write(ops, access, move |tx, lints| {
        let duplicate = vendors::service_name_taken(tx, &service.vendor_id, &service.name)?;
        vendors::insert_service(tx, &service)?;
        if let Some((iid, cycle)) = &trail {
            events::record(
                tx,
                Some(iid),
                *cycle,
                &now,
                &Event::ServiceCreated {
                    service_id: service.id.clone(),
                    name: service.name.clone(),
                    duplicate_name: duplicate,
                },
            )?;
        }
        let profile = (
            vendor(tx, &service.vendor_id)?,
            vendors::services(tx, &service.vendor_id)?,
        );
        if duplicate {
            lints.push(Lint::new(
                LintCode::DuplicateServiceName,
                format!(
                    "a service named {:?} already existed; this call created a second one",
                    service.name
                ),
            ));
            // Garbled on the way in, so a client matching names never finds it again.
            if service.name.contains('\u{FFFD}') {
                lints.push(Lint::new(
                    LintCode::ServiceRecreatedGarbled,
                    format!(
                        "{:?} arrived with U+FFFD and was created again under that name: the client de-duplicates by name, and its name was sent as Latin-1",
                        service.name
                    ),
                ));
            }
        }
        Ok(profile)
    })
    .await
}

/// What a PATCH of a service can change.
type ServiceContent = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
);

fn content(s: &ServiceRow) -> ServiceContent {
    (
        s.name.clone(),
        s.description.clone(),
        s.logo.clone(),
        s.category.clone(),
        s.subcategory.clone(),
        s.support_article.clone(),
        s.support_contact.clone(),
    )
}

/// Updates one of the vendor's services. The service is looked up before the body's rules
/// are reported, so `patch` comes checked but not yet judged: a missing service is a 404 even
/// when the body is also wrong.
pub async fn update_service(
    ops: &Ops,
    access: &impl Access,
    vendor_id: String,
    id: String,
    patch: Result<ServiceFields, Rejection>,
) -> Outcome<(VendorRow, ServiceRow)> {
    let clock = ops.clock.clone();
    super::write(ops, access, move |tx, _| {
        let mut s =
            vendors::service(tx, &vendor_id, &id)?.ok_or_else(|| Rejection::NotFound("Service not found".into()))?;
        let before = content(&s);
        patch?.apply(&mut s);
        // The SDK's Update-PSVendorService sends nothing: a no-op leaves updatedAt alone.
        if content(&s) != before {
            vendors::update_service(tx, &s, &clock.now_iso())?;
        }
        let s = vendors::service(tx, &vendor_id, &id)?.ok_or_else(|| ApiError::internal("service vanished"))?;
        Ok((vendor(tx, &vendor_id)?, s))
    })
    .await
}

/// The vendor and its services, as `GET /api/vendor-api` shows them.
pub async fn profile(ops: &Ops, vendor_id: String) -> ApiResult<Profile> {
    ops.read(move |c| Ok((vendor(c, &vendor_id)?, vendors::services(c, &vendor_id)?)))
        .await
}

/// One of the vendor's services, with the vendor.
pub async fn service(ops: &Ops, vendor_id: String, id: String) -> ApiResult<(VendorRow, ServiceRow)> {
    ops.read(move |c| {
        let s = vendors::service(c, &vendor_id, &id)?.ok_or_else(|| Rejection::NotFound("Service not found".into()))?;
        Ok((vendor(c, &vendor_id)?, s))
    })
    .await
}
