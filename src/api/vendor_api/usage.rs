//! Set Unit Count: one count for one (account, service) pair of a mapped integration.

use super::auth::Partner;
use crate::api::reply::Reply;
use crate::api::{path_param, query_value};
use crate::domain::ids::ObjectId;
use crate::domain::lint::{Lint, LintCode, Linted};
use crate::domain::validate::{object, parse_bool, Fields};
use crate::domain::Rejection;
use crate::error::json_response;
use crate::ops::usage::{set_count, CountFor, NewCount};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use serde_json::json;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/service/{serviceId}/count", web::post().to(set_unit_count));
}

async fn set_unit_count(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    // No service has the vendor's id: the newcomer read `_id` of POST /service's answer.
    let to_vendor_id = path_param(&req, "serviceId").eq_ignore_ascii_case(&caller.vendor.id);
    new_count(&req, state.strict_types())
        .err_into()
        .and_then(|count| set_count(&state.ops, &caller.grant, caller.integration, caller.vendor.id.clone(), count))
        .await
        .map(|()| {
            json_response(
                StatusCode::CREATED,
                &json!({"status": 201, "message": "Success - Created service unit count"}),
            )
        })
        .lint(to_vendor_id.then(|| {
            Lint::new(
                LintCode::CountToVendorId,
                "this serviceId is your vendor's id: POST /service answers your vendor; the new service is the last entry of `skus`",
            )
        }))
}

/// The count the request names: the path's service, the `no_build` query and the body.
fn new_count(req: &HttpRequest, strict_types: bool) -> Linted<NewCount, Rejection> {
    let no_build = match query_value(req, "no_build") {
        None => false,
        Some(v) => match parse_bool(&v) {
            Some(b) => b,
            None => return Linted::err(Rejection::invalid("no_build must be a boolean value")),
        },
    };
    let value = crate::api::json_body(req);
    let obj = match object(&value) {
        Ok(obj) => obj,
        Err(r) => return Linted::err(r),
    };
    let mut f = Fields::new(obj, strict_types);
    // Production picks the id by JavaScript truthiness: `""` counts as absent (the SDK sends
    // `""` for the one of the two the caller left out).
    let account_sent_empty = obj.get("accountId").is_some_and(|v| v == "");
    let account_id = f.id_string("accountId", false).filter(|a| !a.is_empty());
    let client_oid = f.optional_string("clientOId").filter(|c| !c.is_empty());
    // Evidence: the spec types unitCount a number (the SDK's `[Decimal]`, fractions from its
    // byte conversion) and CIPP's test quotes production's "unitCount must be a number"; no
    // upper bound is evidenced. `>= 0` is a guess (docs/vendor-api.md lists it).
    let unit_count = f.number("unitCount", Some(0.0), None, false);
    if account_id.is_none() && client_oid.is_none() && !f.errors.iter().any(|e| e.starts_with("accountId")) {
        f.errors.insert(0, "accountId should not be empty".into());
        if !account_sent_empty {
            f.errors.insert(1, "accountId must be a string".into());
        }
    }
    let account = match (account_id, &client_oid) {
        (Some(a), _) => Some(CountFor::Account(a)),
        // A PSA client id is an ObjectId, which Mongoose takes in either case.
        (None, Some(c)) => Some(CountFor::Company(
            ObjectId::parse(c).map_or_else(|| c.clone(), ObjectId::into_string),
        )),
        (None, None) => None,
    };
    // A count that did not parse may be the CIPP case: not a number at all (a form's "5" parses).
    let not_number = unit_count
        .is_none()
        .then(|| crate::domain::lint::across::unit_count_not_number(&value))
        .flatten();
    let checked = f.finish(account.zip(unit_count));
    let mut lints = checked.lints;
    lints.extend(not_number);
    let (account, unit_count) = match checked.result {
        Ok(values) => values,
        Err(r) => return Linted::new(Err(r), lints),
    };
    if let Some(c) = &client_oid {
        lints.push(Lint::new(
            LintCode::DeprecatedClientOId,
            format!("count sent with clientOId {c:?}"),
        ));
        if matches!(account, CountFor::Company(_)) && ObjectId::parse(c).is_none() {
            return Linted::new(Err(Rejection::InvalidId), lints);
        }
    }
    lints.extend(crate::domain::lint::raw_bytes(unit_count));
    let count = NewCount {
        service_id: path_param(req, "serviceId"),
        account,
        unit_count,
        no_build,
    };
    Linted::new(Ok(count), lints)
}
