//! The partner's integration as the vendor sees it: settings, status, and (deprecated) clients.

use super::auth::Partner;
use super::dto::integration_data;
use crate::api::reply::Reply;
use crate::api::{path_param, query_pairs};
use crate::domain::catalog::IntegrationStatus;
use crate::domain::ids::ObjectId;
use crate::domain::lint::{Lint, LintCode, Linted};
use crate::domain::Rejection;
use crate::error::{json_bytes_response, json_response, ApiError, ApiResult};
use crate::ops::organization::{as_seen, clients, set_status, ClientsQuery, StatusPatch, CLIENTS_PAGE_SIZE};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/organization", crate::api::express::get().to(get_integration))
        .route("/organization/status/{status}", web::patch().to(update_status))
        .route("/organization/clients", crate::api::express::get().to(get_clients));
}

async fn get_integration(state: web::Data<AppState>, caller: Partner) -> ApiResult<HttpResponse> {
    let answers = &state.vendor_api.organization_answers;
    // Read before the read, so that an answer is never tagged newer than its rows.
    let epoch = state.ops.store.epochs().current(answers.watch());
    let body = match answers.get(&caller.integration.id, epoch) {
        Some(body) => body,
        None => {
            let (integration, name) = as_seen(&state.ops, &caller.integration).await?;
            let answer = integration_data(&integration, &name, &caller.vendor.name);
            let body = web::Bytes::from(serde_json::to_vec(&answer).map_err(ApiError::internal)?);
            answers.put(&caller.integration.id, epoch, body.clone());
            body
        }
    };
    Ok(json_bytes_response(StatusCode::OK, body))
}

async fn update_status(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    // Any body the body parser let through (none, `{}`, a form, anything unparsed) is ignored,
    // as the real clients send all of them.
    status_patch(&req)
        .err_into()
        .and_then(|patch| set_status(&state.ops, &caller.grant, &caller.integration, patch))
        .await
        .map(|(integration, partner_name)| {
            json_response(
                StatusCode::OK,
                &json!({
                    "data": integration_data(&integration, &partner_name, &caller.vendor.name),
                    "status": 200,
                    "message": "Success - Updated Integration Status",
                }),
            )
        })
}

fn status_patch(req: &HttpRequest) -> Linted<StatusPatch, Rejection> {
    let raw = path_param(req, "status");
    // Evidence: the newest spec's VendorIntegrationStatusEnum (SDK `dynamicServices` branch,
    // `Model/VendorIntegrationStatusEnum.ps1`) holds only these three, and the docs call the
    // value case-sensitive; the sentence is class-validator's IsEnum wording.
    let Some(status) = IntegrationStatus::parse_current(&raw) else {
        let old = IntegrationStatus::parse(&raw).map(|s| {
            Lint::new(
                LintCode::OldStatusValue,
                format!("status {:?} is listed only in older documentation", s.as_str()),
            )
        });
        let refused = Rejection::invalid(format!(
            "status must be one of the following values: {}",
            IntegrationStatus::CURRENT.map(|s| s.as_str()).join(", ")
        ));
        return Linted::err(refused).lint(old);
    };
    Linted::ok(StatusPatch { status })
}

/// Deprecated: the partner's PSA companies that have an active contract, 50 a page after
/// `previousId`, filtered by `search` (case-insensitive substring of the name).
async fn get_clients(state: web::Data<AppState>, caller: Partner, req: HttpRequest) -> Reply {
    let deprecated = Lint::new(
        LintCode::DeprecatedClientsRoute,
        "GET /organization/clients is deprecated",
    );
    let partner_id = caller.integration.partner_id.clone();
    Linted::new(clients_page(&state, &req, partner_id).await, vec![deprecated])
}

/// The caller's partner's PSA only: another partner's companies are not this token's.
async fn clients_page(state: &AppState, req: &HttpRequest, partner_id: String) -> ApiResult<HttpResponse> {
    let q = query_pairs(req);
    let search = q.iter().find(|(k, _)| k == "search").map(|(_, v)| v.to_lowercase());
    // An ObjectId, taken in either case as Mongoose casts it.
    let previous = match q.iter().find(|(k, _)| k == "previousId").map(|(_, v)| v.as_str()) {
        None | Some("") => None,
        Some(p) => Some(ObjectId::parse(p).ok_or(ApiError::InvalidId)?.into_string()),
    };
    let page = clients(
        &state.ops,
        ClientsQuery {
            partner_id,
            search,
            previous,
        },
    )
    .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "meta": {"total": page.total, "pageSize": CLIENTS_PAGE_SIZE, "hasMore": page.has_more},
            "clients": page.clients.iter().map(|c| json!({"_id": c.id, "id": c.id, "name": c.name})).collect::<Vec<_>>(),
        }),
    ))
}
