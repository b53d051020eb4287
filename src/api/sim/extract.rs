//! What every `/sim` request is read for: its JSON body, and the partner it acts for.

use crate::api::body::{parse_lenient, BodyKind};
use crate::api::query_value;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::partners;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;

/// The JSON body of a /sim request: empty means `{}`.
pub fn sim_body(body: &[u8]) -> ApiResult<Value> {
    parse_lenient(body, BodyKind::Json)
}

pub const PARTNER_HEADER: &str = "x-sim-partner";

/// The partner a `/sim` request acts for.
pub struct SimPartner {
    pub id: String,
    /// Named by the request (else the seed's partner, by default).
    pub named: bool,
}

/// `?partnerId=` or `X-Sim-Partner` (both, if given, must agree), else the seed's partner.
pub(super) fn named(req: &HttpRequest) -> ApiResult<Option<String>> {
    let query = query_value(req, "partnerId").filter(|v| !v.is_empty());
    let header = match req.headers().get(PARTNER_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::validation_one("X-Sim-Partner must be a partner id"))?
                .trim()
                .to_string(),
        )
        .filter(|v| !v.is_empty()),
    };
    match (query, header) {
        (Some(q), Some(h)) if q != h => Err(ApiError::validation_one(
            "partnerId and the X-Sim-Partner header name different partners",
        )),
        (q, h) => Ok(q.or(h)),
    }
}

impl FromRequest for SimPartner {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::internal("no app state"))?;
            let (id, named) = match named(&req)? {
                Some(id) => {
                    let checked = id.clone();
                    if !state.ops.read(move |c| Ok(partners::exists(c, &checked)?)).await? {
                        return Err(unknown(&id));
                    }
                    (id, true)
                }
                None => (
                    state
                        .ops
                        .read(|c| Ok(partners::default_id(c)?))
                        .await?
                        .ok_or_else(|| ApiError::internal("the simulator holds no partner"))?,
                    false,
                ),
            };
            Ok(SimPartner { id, named })
        })
    }
}

pub fn unknown(id: &str) -> ApiError {
    ApiError::NotFound(format!("No partner found with id: {id}"))
}
