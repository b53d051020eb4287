//! The vendor profile and its vendor-level services (SKUs).

use super::auth::Vendor;
use super::dto::{envelope, vendor_data};
use crate::api::{note_lints, path_param};
use crate::domain::catalog::{CATEGORIES, SUBCATEGORIES};
use crate::domain::event::Event;
use crate::domain::ids::ObjectId;
use crate::domain::lint::{blanked, blanked_fields, Lint, LintCode};
use crate::domain::validate::{object, Fields};
use crate::error::{json_response, ApiError, ApiResult};
use crate::state::AppState;
use crate::store::events;
use crate::store::vendors::{self, ServiceRow, VendorUpdate};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("", crate::api::express::get().to(get_vendor))
        .route("", web::patch().to(update_vendor))
        .route("/service", web::post().to(create_service))
        .route("/service/{serviceId}", crate::api::express::get().to(get_service))
        .route("/service/{serviceId}", web::patch().to(update_service));
}

async fn get_vendor(state: web::Data<AppState>, caller: Vendor) -> ApiResult<HttpResponse> {
    let vendor_id = caller.vendor.id;
    let (vendor, skus) = state
        .read(move |c| {
            let v = vendors::get(c, &vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            Ok((v, vendors::services(c, &vendor_id)?))
        })
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &envelope(200, vendor_data(&vendor, &skus), "Success - Retrieved Vendor"),
    ))
}

async fn update_vendor(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> ApiResult<HttpResponse> {
    let body = crate::api::body::of(&req);
    let obj = object(&body.value)?;
    let mut f = Fields::new(obj, state.strict_types()).form(body.form);
    let update = VendorUpdate {
        name: f.optional_string("name"),
        description: f.optional_string("description"),
        vendor_support_page_url: f.optional_string("vendorSupportPageUrl"),
        integration_portal_url: f.optional_string("integrationPortalUrl"),
    };
    if f.errors.is_empty()
        && update.name.is_none()
        && update.description.is_none()
        && update.vendor_support_page_url.is_none()
        && update.integration_portal_url.is_none()
    {
        f.errors.push(
            "Must provide at least one property value: name, description, vendorSupportPageUrl, integrationPortalUrl"
                .into(),
        );
    }
    if !f.errors.is_empty() {
        return Err(ApiError::Validation(f.errors));
    }
    // No URL rule is evidenced: production stores any string. One a browser cannot open is
    // worth a lint, since "Open Vendor Portal" is all the partner has.
    if let Some(url) = update
        .integration_portal_url
        .as_deref()
        .filter(|u| !u.is_empty() && !browsable(u))
    {
        note_lints(
            &req,
            [Lint::new(
                LintCode::PortalUrlNotBrowsable,
                format!("integrationPortalUrl {url:?} is not an absolute http(s) URL"),
            )],
        );
    }
    let vendor_id = caller.vendor.id.clone();
    let integration = caller.integration.map(|i| (i.id, i.cycle));
    let clock = state.clock.clone();
    let (vendor, skus, blanked) = caller
        .grant
        .write(&state, move |tx| {
            let before = vendors::get(tx, &vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
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
            if let (Some(url), Some((iid, cycle))) = (&update.integration_portal_url, &integration) {
                events::record(
                    tx,
                    Some(iid),
                    *cycle,
                    &clock.now_iso(),
                    &Event::PortalUrlSet { url: url.clone() },
                )?;
            }
            let v = vendors::get(tx, &vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            Ok((v, vendors::services(tx, &vendor_id)?, blanked))
        })
        .await?;
    note_lints(&req, blanked_fields(&blanked));
    Ok(json_response(
        StatusCode::OK,
        &envelope(200, vendor_data(&vendor, &skus), "Success - Updated Vendor"),
    ))
}

/// Whether a browser can open this address: an absolute http(s) URL with a host.
fn browsable(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !url.chars().any(char::is_whitespace)
    })
}

/// The fields of a service (create: all required ones checked; update: only those present).
fn service_fields(f: &mut Fields, s: &mut ServiceRow, create: bool) {
    if create || f.has("name") {
        if let Some(v) = f.required_string("name") {
            s.name = v;
        }
    }
    // Required, but `""` is a description (Gradient's own Sherweb integration sends it).
    if create || f.has("description") {
        if let Some(v) = f.string("description", true) {
            s.description = v;
        }
    }
    if create || f.has("category") {
        if let Some(v) = f.one_of("category", &CATEGORIES) {
            s.category = v;
        }
    }
    if create || f.has("subcategory") {
        if let Some(v) = f.one_of("subcategory", &SUBCATEGORIES) {
            s.subcategory = v;
        }
    }
    for (key, slot) in [
        ("supportArticle", &mut s.support_article),
        ("supportContact", &mut s.support_contact),
        ("logo", &mut s.logo),
    ] {
        if let Some(v) = f.optional_string(key) {
            *slot = Some(v);
        }
    }
}

async fn create_service(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> ApiResult<HttpResponse> {
    let value = crate::api::json_body(&req);
    let obj = object(&value)?;
    let now = state.clock.now_iso();
    let mut service = ServiceRow {
        id: state.clock.object_id().into_string(),
        vendor_id: caller.vendor.id.clone(),
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
    let mut f = Fields::new(obj, state.strict_types());
    service_fields(&mut f, &mut service, true);
    if !f.errors.is_empty() {
        return Err(ApiError::Validation(f.errors));
    }
    let integration = caller.integration.map(|i| (i.id, i.cycle));
    let (vendor, skus, duplicate) = caller
        .grant
        .write(&state, move |tx| {
            let duplicate = vendors::service_name_taken(tx, &service.vendor_id, &service.name)?;
            vendors::insert_service(tx, &service)?;
            if let Some((iid, cycle)) = &integration {
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
            let v = vendors::get(tx, &service.vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            Ok((
                v,
                vendors::services(tx, &service.vendor_id)?,
                duplicate.then_some(service.name.clone()),
            ))
        })
        .await?;
    if let Some(name) = duplicate {
        note_lints(
            &req,
            [Lint::new(
                LintCode::DuplicateServiceName,
                format!("a service named {name:?} already existed; this call created a second one"),
            )],
        );
    }
    // Bare VendorData with a top-level `skus` (CIPP reads the new sku from there).
    Ok(json_response(StatusCode::CREATED, &vendor_data(&vendor, &skus)))
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

fn parse_service_id(req: &HttpRequest) -> ApiResult<String> {
    let id = path_param(req, "serviceId");
    ObjectId::parse(&id)
        .map(ObjectId::into_string)
        .ok_or(ApiError::InvalidId)
}

async fn get_service(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = parse_service_id(&req)?;
    let vendor_id = caller.vendor.id.clone();
    let (vendor, service) = state
        .read(move |c| {
            let s =
                vendors::service(c, &vendor_id, &id)?.ok_or_else(|| ApiError::NotFound("Service not found".into()))?;
            let v = vendors::get(c, &vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            Ok((v, s))
        })
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &envelope(
            200,
            vendor_data(&vendor, &[service]),
            "Success - Retrieved Vendor Service",
        ),
    ))
}

async fn update_service(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = parse_service_id(&req)?;
    let body = crate::api::body::of(&req);
    let form = body.form;
    let obj = object(&body.value)?.clone();
    let strict = state.strict_types();
    let vendor_id = caller.vendor.id.clone();
    let clock = state.clock.clone();
    let (vendor, service) = caller
        .grant
        .write(&state, move |tx| {
            let mut s =
                vendors::service(tx, &vendor_id, &id)?.ok_or_else(|| ApiError::NotFound("Service not found".into()))?;
            let before = content(&s);
            let mut f = Fields::new(&obj, strict).form(form);
            service_fields(&mut f, &mut s, false);
            if !f.errors.is_empty() {
                return Err(ApiError::Validation(f.errors));
            }
            // The SDK's Update-PSVendorService sends nothing: a no-op leaves updatedAt alone.
            if content(&s) != before {
                vendors::update_service(tx, &s, &clock.now_iso())?;
            }
            let s = vendors::service(tx, &vendor_id, &id)?.ok_or_else(|| ApiError::internal("service vanished"))?;
            let v = vendors::get(tx, &vendor_id)?.ok_or_else(|| ApiError::internal("vendor vanished"))?;
            Ok((v, s))
        })
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &envelope(
            200,
            vendor_data(&vendor, &[service]),
            "Success - Updated Vendor Service",
        ),
    ))
}
