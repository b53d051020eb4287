//! Set Unit Count: one count for one (account, service) pair of a mapped integration.

use super::auth::Partner;
use crate::api::{note_lints, path_param, query_value};
use crate::domain::catalog::IntegrationStatus;
use crate::domain::event::{Activity, Event};
use crate::domain::ids::ObjectId;
use crate::domain::lint::{Lint, LintCode};
use crate::domain::validate::{object, parse_bool, Fields};
use crate::error::{json_response, ApiError, ApiResult};
use crate::state::AppState;
use crate::store::accounts::{self, PropertyKind};
use crate::store::{events, integrations, mappings, usage, vendors};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use rusqlite::OptionalExtension;
use serde_json::json;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/service/{serviceId}/count", web::post().to(set_unit_count));
}

enum Rejection {
    UnmappedAccount(String),
    UnmappedService,
}

async fn set_unit_count(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> ApiResult<HttpResponse> {
    let service_id = path_param(&req, "serviceId");
    let no_build = match query_value(&req, "no_build") {
        None => false,
        Some(v) => parse_bool(&v).ok_or_else(|| ApiError::validation_one("no_build must be a boolean value"))?,
    };
    let value = crate::api::json_body(&req);
    let obj = object(&value)?;
    let mut f = Fields::new(obj, state.strict_types());
    // Production picks the id by JavaScript truthiness: `""` counts as absent (the SDK sends
    // `""` for the one of the two the caller left out).
    let account_sent_empty = obj.get("accountId").is_some_and(|v| v == "");
    let account_id = f.id_string("accountId", false).filter(|a| !a.is_empty());
    let client_oid = f.optional_string("clientOId").filter(|c| !c.is_empty());
    let unit_count = f.number(
        "unitCount",
        Some(0.0),
        Some(crate::domain::billing::MAX_UNIT_COUNT),
        false,
    );
    if account_id.is_none() && client_oid.is_none() && !f.errors.iter().any(|e| e.starts_with("accountId")) {
        f.errors.insert(0, "accountId should not be empty".into());
        if !account_sent_empty {
            f.errors.insert(1, "accountId must be a string".into());
        }
    }
    let mut lints = std::mem::take(&mut f.lints);
    if !f.errors.is_empty() {
        note_lints(&req, lints);
        return Err(ApiError::Validation(f.errors));
    }
    let unit_count = unit_count.expect("validated");
    if let Some(c) = &client_oid {
        lints.push(Lint::new(
            LintCode::DeprecatedClientOId,
            format!("count sent with clientOId {c:?}"),
        ));
        if account_id.is_none() && ObjectId::parse(c).is_none() {
            note_lints(&req, lints);
            return Err(ApiError::InvalidId);
        }
    }
    // A PSA client id is an ObjectId, which Mongoose takes in either case.
    let client_oid = client_oid.map(|c| ObjectId::parse(&c).map_or(c, ObjectId::into_string));
    let integration = caller.integration;
    let partner_id = integration.partner_id.clone();
    let vendor_id = caller.vendor.id.clone();
    let clock = state.clock.clone();
    let outcome = caller
        .grant
        .write(&state, move |tx| {
            // A vendor-level sku of this vendor, or one of this partner's organization services.
            // Organization service ids are the vendor's own strings (exact); a vendor-level
            // service id is an ObjectId, matched in either case.
            let service_id = if accounts::exists(tx, PropertyKind::OrgService, &integration.id, &service_id)? {
                service_id
            } else {
                match ObjectId::parse(&service_id).map(ObjectId::into_string) {
                    Some(oid) if vendors::service(tx, &vendor_id, &oid)?.is_some() => oid,
                    Some(_) => return Err(ApiError::NotFound("Service not found".into())),
                    None => return Err(ApiError::InvalidId),
                }
            };
            let account = match (&account_id, &client_oid) {
                (Some(a), _) => a.clone(),
                (None, Some(client)) => {
                    // Deprecated path: a PSA client id; the count goes to a vendor account mapped to it.
                    let mapped: Option<String> = tx
                        .query_row(
                            "SELECT vendor_account_id FROM account_mapping WHERE integration_id = ?1 AND psa_company_id = ?2
                             ORDER BY created_at LIMIT 1",
                            [&integration.id, client],
                            |r| r.get(0),
                        )
                        .optional()?;
                    match mapped {
                        Some(a) => a,
                        None => return Ok(Err(Rejection::UnmappedAccount(client.clone()))),
                    }
                }
                (None, None) => unreachable!("validated"),
            };
            if mappings::account_mapping(tx, &integration.id, &account)?.is_none() {
                return Ok(Err(Rejection::UnmappedAccount(account)));
            }
            if !mappings::is_service_mapped(tx, &integration.id, &service_id)? {
                return Ok(Err(Rejection::UnmappedService));
            }
            let now = clock.now_iso();
            let count = usage::NewCount {
                integration_id: &integration.id,
                cycle: integration.cycle,
                service_id: &service_id,
                account_id: &account,
                unit_count,
                no_build,
            };
            usage::set_count(tx, &count, &now)?;
            integrations::set_last_synced(tx, &integration.id, &now)?;
            // The first accepted count turns pending into active.
            if integration.status == Some(IntegrationStatus::Pending) {
                integrations::set_status(tx, &integration.id, IntegrationStatus::Active)?;
                events::record(tx, Some(&integration.id), integration.cycle, &now, &Event::StatusAutoActive { by: Activity::Count })?;
            }
            Ok(Ok(()))
        })
        .await?;
    match outcome {
        Ok(()) => {
            note_lints(&req, lints);
            if !no_build {
                state.rebuild.request(&partner_id);
            }
            Ok(json_response(
                StatusCode::CREATED,
                &json!({"status": 201, "message": "Success - Created service unit count"}),
            ))
        }
        Err(rejection) => {
            let (lint, err) = match rejection {
                Rejection::UnmappedAccount(a) => (
                    format!("account {a:?} is unknown or not mapped by the partner"),
                    ApiError::NotFound(format!("No account map found with id: {a}")),
                ),
                Rejection::UnmappedService => (
                    "the service is not mapped by the partner".to_string(),
                    ApiError::NotFound("Unknown account, or service is not mapped".into()),
                ),
            };
            lints.push(Lint::new(LintCode::CountForUnmappedPair, lint));
            note_lints(&req, lints);
            Err(err)
        }
    }
}
