//! Isolated partners: `POST /sim/partners` creates a partner from the seed's template with its
//! own PSA, integration and keys; `GET /sim/partners` lists them. Every partner-wide `/sim`
//! route acts for the partner named by `?partnerId=` or the `X-Sim-Partner` header, else for
//! the seed's partner, so a test that names none behaves as it did before partners existed.

use super::extract::{named, sim_body, unknown};
use crate::domain::psa::PsaKind;
use crate::error::{json_response, ApiError, ApiResult};
use crate::ops::partners as ops;
use crate::state::AppState;
use crate::store::{integrations, partners, seed};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/partners", web::get().to(list))
        .route("/partners", web::post().to(create));
}

/// Wrapped around `/sim`: a request that names a partner reaches only that partner's
/// integrations. `/sim/integrations/{id}/...` of another partner's integration answers the 404
/// of an unknown integration, so a test that names its partner can never map, connect or
/// disconnect another test's integration. A request that names none acts on any, as before.
pub async fn integrations_of_named_partner(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let integration = req
        .path()
        .strip_prefix("/sim/integrations/")
        .and_then(|rest| rest.split('/').next())
        .map(|raw| percent_decode_str(raw).decode_utf8_lossy().into_owned())
        .filter(|id| !id.is_empty());
    if let Some(id) = integration {
        let refusal = match named(req.request()) {
            Err(e) => Some(e),
            Ok(None) => None,
            Ok(Some(partner)) => {
                let state = req
                    .app_data::<web::Data<AppState>>()
                    .cloned()
                    .expect("app state is registered");
                let (p, i) = (partner.clone(), id.clone());
                let found = state
                    .ops
                    .read(move |c| {
                        Ok((
                            partners::exists(c, &p)?,
                            integrations::get(c, &i)?.map(|i| i.partner_id),
                        ))
                    })
                    .await;
                match found {
                    Err(e) => Some(e),
                    Ok((false, _)) => Some(unknown(&partner)),
                    Ok((true, Some(owner))) if owner != partner => {
                        Some(ApiError::NotFound(format!("No integration found with id: {id}")))
                    }
                    Ok(_) => None,
                }
            }
        };
        if let Some(e) = refusal {
            return Ok(req.error_response(e).map_into_boxed_body());
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let list = state.ops.read(|c| Ok(partners::list(c)?)).await?;
    Ok(json_response(StatusCode::OK, &json!({"partners": list})))
}

/// What `POST /sim/partners` asks for, checked whole before anything is written.
struct Request {
    name: Option<String>,
    psa: Option<PsaKind>,
    vendor_id: Option<String>,
}

fn parse(body: &Value) -> ApiResult<Request> {
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::validation_one("the body must be a JSON object"))?;
    let mut errors = vec![];
    for key in obj.keys() {
        if !["name", "psa", "vendorId"].contains(&key.as_str()) {
            errors.push(format!("property {key} should not exist"));
        }
    }
    let name = match obj.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 200 => Some(s.trim().to_string()),
        Some(_) => {
            errors.push("name must be a non-empty string of at most 200 characters".into());
            None
        }
    };
    let psa = match obj.get("psa") {
        None | Some(Value::Null) => None,
        Some(v) => {
            // Each PSA's partner copies the embedded seed of that PSA (see `ops::partners::template`).
            let found = v.as_str().and_then(PsaKind::parse);
            if found.is_none() {
                let keys: Vec<&str> = PsaKind::ALL.iter().map(|k| k.key()).collect();
                errors.push(format!("psa must be one of the following values: {}", keys.join(", ")));
            }
            found
        }
    };
    let vendor_id = match obj.get("vendorId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => {
            errors.push("vendorId must be a non-empty string".into());
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(Request { name, psa, vendor_id })
}

async fn create(state: web::Data<AppState>, body: web::Bytes) -> ApiResult<HttpResponse> {
    let req = parse(&sim_body(&body)?)?;
    let current = state.seed.read().clone();
    let template = ops::template(&current, req.psa)?;
    let default_vendor = current.vendors.first().map(seed::vendor_id).unwrap_or_default();
    let clock = state.ops.clock.clone();
    let wanted = ops::Wanted {
        name: req.name,
        vendor_id: req.vendor_id,
        default_vendor,
    };
    let created = state
        .ops
        .write_off_thread(move |tx| ops::create(tx, &clock, &template, wanted))
        .await?;
    Ok(json_response(StatusCode::CREATED, &created))
}
