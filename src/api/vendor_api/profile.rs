//! The vendor profile and its vendor-level services (SKUs).

use super::auth::Vendor;
use super::dto::{envelope, vendor_data};
use crate::api::path_param;
use crate::api::reply::Reply;
use crate::domain::catalog::{CATEGORIES, SUBCATEGORIES};
use crate::domain::ids::ObjectId;
use crate::domain::lint::{Lint, LintCode, Linted};
use crate::domain::validate::{object, Fields};
use crate::domain::Rejection;
use crate::error::{json_bytes_response, json_response, ApiError, ApiResult};
use crate::ops::profile::{self as ops, ServiceFields};
use crate::state::AppState;
use crate::store::vendors::VendorUpdate;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("", crate::api::express::get().to(get_vendor))
        .route("", web::patch().to(update_vendor))
        .route("/service", web::post().to(create_service))
        .route("/service/{serviceId}", crate::api::express::get().to(get_service))
        .route("/service/{serviceId}", web::patch().to(update_service));
}

async fn get_vendor(state: web::Data<AppState>, caller: Vendor) -> ApiResult<HttpResponse> {
    let answers = &state.vendor_api.profile_answers;
    // Read before the read, so that an answer is never tagged newer than its rows.
    let epoch = state.ops.store.epochs().current(answers.watch());
    let body = match answers.get(&caller.vendor.id, epoch) {
        Some(body) => body,
        None => {
            let (vendor, skus) = ops::profile(&state.ops, caller.vendor.id.clone()).await?;
            let answer = envelope(200, vendor_data(&vendor, &skus), "Success - Retrieved Vendor");
            let body = web::Bytes::from(serde_json::to_vec(&answer).map_err(ApiError::internal)?);
            answers.put(&caller.vendor.id, epoch, body.clone());
            body
        }
    };
    Ok(json_bytes_response(StatusCode::OK, body))
}

async fn update_vendor(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> Reply {
    let body = crate::api::body::of(&req);
    let trail = caller.integration.map(|i| (i.id.clone(), i.cycle));
    vendor_update(&body.value, body.form, state.strict_types())
        .err_into()
        .and_then(|update| ops::update_vendor(&state.ops, &caller.grant, caller.vendor.id.clone(), trail, update))
        .await
        .map(|(vendor, skus)| {
            json_response(
                StatusCode::OK,
                &envelope(200, vendor_data(&vendor, &skus), "Success - Updated Vendor"),
            )
        })
}

fn vendor_update(body: &Value, form: bool, strict_types: bool) -> Linted<VendorUpdate, Rejection> {
    let obj = match object(body) {
        Ok(obj) => obj,
        Err(r) => return Linted::err(r),
    };
    let mut f = Fields::new(obj, strict_types).form(form);
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
        // Evidence: the SDK's Update-PSVendor help ("Must provide at least one property value").
        f.errors.push(
            "Must provide at least one property value: name, description, vendorSupportPageUrl, integrationPortalUrl"
                .into(),
        );
    }
    // No URL rule is evidenced: production stores any string. One a browser cannot open is
    // worth a lint, since "Open Vendor Portal" is all the partner has.
    let unbrowsable = update
        .integration_portal_url
        .as_deref()
        .filter(|u| !u.is_empty() && !browsable(u))
        .map(|url| {
            Lint::new(
                LintCode::PortalUrlNotBrowsable,
                format!("integrationPortalUrl {url:?} is not an absolute http(s) URL"),
            )
        });
    let checked = f.finish(Some(update));
    // Only an accepted update is worth the lint.
    let accepted = checked.result.is_ok();
    checked.lint(unbrowsable.filter(|_| accepted))
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
fn service_fields(
    obj: &Map<String, Value>,
    form: bool,
    strict_types: bool,
    create: bool,
) -> Linted<ServiceFields, Rejection> {
    let mut f = Fields::new(obj, strict_types).form(form);
    let mut s = ServiceFields::default();
    if create || f.has("name") {
        s.name = f.required_string("name");
    }
    // Required, but `""` is a description (Gradient's own Sherweb integration sends it).
    if create || f.has("description") {
        s.description = f.string("description", true);
    }
    // Exact and case-sensitive: SDK commit d9d8f7f ("The API needs these to be case sensitive").
    if create || f.has("category") {
        s.category = f.one_of("category", &CATEGORIES);
    }
    if create || f.has("subcategory") {
        s.subcategory = f.one_of("subcategory", &SUBCATEGORIES);
    }
    s.support_article = f.optional_string("supportArticle");
    s.support_contact = f.optional_string("supportContact");
    s.logo = f.optional_string("logo");
    let ready = !create || s.complete();
    f.finish(ready.then_some(s))
}

async fn create_service(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> Reply {
    let value = crate::api::json_body(&req);
    let trail = caller.integration.map(|i| (i.id.clone(), i.cycle));
    let fields = match object(&value) {
        Ok(obj) => service_fields(obj, false, state.strict_types(), true),
        Err(r) => Linted::err(r),
    };
    fields
        .err_into()
        .and_then(|fields| ops::create_service(&state.ops, &caller.grant, caller.vendor.id.clone(), trail, fields))
        .await
        // Bare VendorData with a top-level `skus` (CIPP reads the new sku from there).
        .map(|(vendor, skus)| json_response(StatusCode::CREATED, &vendor_data(&vendor, &skus)))
}

fn parse_service_id(req: &HttpRequest) -> ApiResult<String> {
    let id = path_param(req, "serviceId");
    ObjectId::parse(&id)
        .map(ObjectId::into_string)
        .ok_or(ApiError::InvalidId)
}

async fn get_service(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> ApiResult<HttpResponse> {
    let id = parse_service_id(&req)?;
    let (vendor, service) = ops::service(&state.ops, caller.vendor.id.clone(), id).await?;
    Ok(json_response(
        StatusCode::OK,
        &envelope(
            200,
            vendor_data(&vendor, &[service]),
            "Success - Retrieved Vendor Service",
        ),
    ))
}

async fn update_service(state: web::Data<AppState>, caller: Vendor, req: HttpRequest) -> Reply {
    let id = match parse_service_id(&req) {
        Ok(id) => id,
        Err(e) => return Reply::err(e),
    };
    let body = crate::api::body::of(&req);
    let obj = match object(&body.value) {
        Ok(obj) => obj,
        Err(r) => return Reply::err(r.into()),
    };
    // Checked here, judged after the lookup (see `ops::profile::update_service`).
    let Linted { result: patch, lints } = service_fields(obj, body.form, state.strict_types(), false);
    Linted::new(Ok(()), lints)
        .and_then(|()| ops::update_service(&state.ops, &caller.grant, caller.vendor.id.clone(), id, patch))
        .await
        .map(|(vendor, service)| {
            json_response(
                StatusCode::OK,
                &envelope(
                    200,
                    vendor_data(&vendor, &[service]),
                    "Success - Updated Vendor Service",
                ),
            )
        })
}
