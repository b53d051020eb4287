//! Sync runs (`/sim/runs`) and the billing page's card history: what each burst of counts did.

use super::extract::SimPartner;
use crate::api::{path_param, query_pairs};
use crate::error::{json_response, ApiError, ApiResult};
use crate::ops::runs::{self, Paging};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

pub fn config(cfg: &mut web::ServiceConfig) {
    cfg.route("/runs", web::get().to(list))
        .route("/runs/{id}", web::get().to(one))
        .route("/billing/history", web::get().to(history));
}

/// Most cards one history request may name: the billing page draws 120 at a time.
const MAX_HISTORY_CARDS: usize = 500;

/// A whole-number query parameter within `min..=max`, else the default.
pub(super) fn number(req: &HttpRequest, name: &str, default: i64, min: i64, max: i64) -> ApiResult<i64> {
    let q = query_pairs(req);
    let Some((_, v)) = q.iter().find(|(k, _)| k == name) else {
        return Ok(default);
    };
    v.parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| ApiError::validation_one(format!("{name} must be a whole number from {min} to {max}")))
}

async fn list(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let limit = number(&req, "limit", 20, 1, 200)?;
    let pair_limit = number(&req, "pairLimit", 100, 0, 1000)?;
    let before = match query_pairs(&req).into_iter().find(|(k, _)| k == "before") {
        None => None,
        Some((_, v)) => Some(
            v.parse::<i64>()
                .map_err(|_| ApiError::validation_one("before must be a run id"))?,
        ),
    };
    let pending = state.ops.rebuild.is_pending(&partner.id);
    let v = state
        .ops
        .read_off_thread(move |c| runs::list(c, &partner.id, before, limit, pair_limit, pending))
        .await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn one(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let id = path_param(&req, "id");
    let kind = match query_pairs(&req).into_iter().find(|(k, _)| k == "kind") {
        None => None,
        Some((_, v)) => Some(runs::parse_kind(&v).ok_or_else(|| {
            ApiError::validation_one("kind must be one of the following values: card, count, notMapped")
        })?),
    };
    let page = Paging {
        offset: number(&req, "offset", 0, 0, i64::from(i32::MAX))?,
        limit: number(&req, "limit", 500, 1, 10_000)?,
        kind,
    };
    let pending = state.ops.rebuild.is_pending(&partner.id);
    let v = state
        .ops
        .read_off_thread(move |c| runs::get(c, &partner.id, &id, page, pending))
        .await?;
    Ok(json_response(StatusCode::OK, &v))
}

async fn history(state: web::Data<AppState>, req: HttpRequest, partner: SimPartner) -> ApiResult<HttpResponse> {
    let last = number(&req, "runs", 8, 1, 30)?;
    let ids: Vec<String> = query_pairs(&req)
        .into_iter()
        .find(|(k, _)| k == "cardIds")
        .map(|(_, v)| v.split(',').filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    if ids.len() > MAX_HISTORY_CARDS {
        return Err(ApiError::validation_one(format!(
            "cardIds must name at most {MAX_HISTORY_CARDS} cards"
        )));
    }
    let v = state
        .ops
        .read_off_thread(move |c| runs::card_history(c, &partner.id, &ids, last))
        .await?;
    Ok(json_response(StatusCode::OK, &v))
}
