//! The GRADIENT-TOKEN check: `base64(VENDOR_KEY:PARTNER_KEY)` in a header matched
//! case-insensitively. Partner-scoped routes need both halves; vendor-level routes too, unless
//! `--allow-vendor-only-token`.

use super::copies::KnownToken;
use crate::api::{note_caller, note_lints};
use crate::domain::ids::{GradientToken, KeyHash};
use crate::domain::lint::{Lint, LintCode};
use crate::domain::mistakes::{self, TokenRefusal};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::integrations::IntegrationRow;
use crate::store::vendors::VendorRow;
use crate::store::{integrations, vendors, Epochs, Watch};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A caller with both halves: a vendor acting for one partner's integration.
pub struct Partner {
    /// Shared with the key check's copy: a call reads them, never changes them.
    pub vendor: Arc<VendorRow>,
    pub integration: Arc<IntegrationRow>,
    pub grant: Grant,
}

/// A caller of the vendor-level routes (profile, services).
pub struct Vendor {
    pub vendor: Arc<VendorRow>,
    pub integration: Option<Arc<IntegrationRow>>,
    pub grant: Grant,
}

/// What a call was authorized as, checked again inside its write transaction: a key revoked
/// (disconnect, regenerate) between the check at the door and the commit makes the call 401
/// and stores nothing (spec, Concurrency).
#[derive(Clone)]
pub struct Grant {
    token: GradientToken,
    vendor_only_allowed: bool,
    vendor_id: String,
    integration_id: Option<String>,
    /// The keys' epoch the door's check was current at (see `store::epochs`).
    keys_epoch: u64,
    epochs: Arc<Epochs>,
}

impl crate::ops::Access for Grant {
    fn recheck(&self, c: &rusqlite::Connection) -> ApiResult<()> {
        // Inside the write transaction: if no key, vendor or integration changed since the
        // door's check (committed or in this transaction), its answer stands.
        if self.epochs.unchanged_since(Watch::Keys, self.keys_epoch) {
            return Ok(());
        }
        match identify(c, &self.token, self.vendor_only_allowed)? {
            Outcome::Ok(found)
                if found.0.id == self.vendor_id
                    && found.1.as_ref().map(|i| i.id.as_str()) == self.integration_id.as_deref() =>
            {
                Ok(())
            }
            _ => Err(ApiError::Unauthorized),
        }
    }
}

enum Outcome {
    Ok(Box<(VendorRow, Option<IntegrationRow>)>),
    Revoked(String, String),
    /// Refused, and why: production's 401 says nothing, the journal does.
    Denied(TokenRefusal),
}

/// Who a token names: the vendor of its first half and, through its second, one of that
/// vendor's integrations; or a revoked key; or nobody.
fn identify(c: &rusqlite::Connection, token: &GradientToken, vendor_only_allowed: bool) -> Result<Outcome, ApiError> {
    let Some(vendor) = vendors::by_key_hash(c, &KeyHash::of(&token.vendor_key).0)? else {
        let swapped =
            !token.partner_key.is_empty() && vendors::by_key_hash(c, &KeyHash::of(&token.partner_key).0)?.is_some();
        return Ok(Outcome::Denied(TokenRefusal::UnknownVendorKey { swapped }));
    };
    if token.partner_key.is_empty() {
        return Ok(if vendor_only_allowed {
            Outcome::Ok(Box::new((vendor, None)))
        } else {
            Outcome::Denied(TokenRefusal::VendorOnly {
                vendor_level_route: false,
            })
        });
    }
    let hash = KeyHash::of(&token.partner_key);
    Ok(match integrations::by_partner_key_hash(c, &hash.0)? {
        Some(i) if i.vendor_id == vendor.id => Outcome::Ok(Box::new((vendor, Some(i)))),
        Some(_) => Outcome::Denied(TokenRefusal::UnknownPartnerKey { other_vendor: true }),
        None => match integrations::revoked(c, &hash.0)? {
            Some((integration_id, reason)) => Outcome::Revoked(integration_id, reason),
            None => Outcome::Denied(TokenRefusal::UnknownPartnerKey { other_vendor: false }),
        },
    })
}

/// Refuses a call with production's bare 401, noting why for the journal and the terminal.
fn refuse(req: &HttpRequest, why: Lint) -> ApiError {
    note_lints(req, [why]);
    ApiError::Unauthorized
}

async fn authenticate(
    req: &HttpRequest,
    partner_required: bool,
) -> Result<(Arc<VendorRow>, Option<Arc<IntegrationRow>>, Grant), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("no app state"))?;
    let header = match req.headers().get(GradientToken::HEADER).map(|v| v.to_str()) {
        Some(Ok(value)) => value,
        Some(Err(_)) => {
            return Err(refuse(
                req,
                Lint::new(LintCode::TokenNotBase64, "the value has characters base64 never has"),
            ))
        }
        None => {
            let authorization = req.headers().get("authorization").and_then(|v| v.to_str().ok());
            return Err(refuse(req, mistakes::missing_token(authorization)));
        }
    };
    let vendor_only_allowed = !partner_required && state.config.allow_vendor_only_token;
    let epochs = state.ops.store.epochs().clone();
    // Read before the lookup, so that a copy is never tagged newer than its rows.
    let keys_epoch = epochs.current(Watch::Keys);
    let (token, vendor, integration) = match state.vendor_api.known_tokens.get(header, keys_epoch) {
        Some(known) => (
            known.token.clone(),
            known.vendor.clone(),
            Some(known.integration.clone()),
        ),
        None => {
            let Some(token) = GradientToken::parse(header) else {
                let why = mistakes::unreadable_token(header)
                    .unwrap_or_else(|| Lint::new(LintCode::TokenNotBase64, "the token does not read"));
                return Err(refuse(req, why));
            };
            // A read: the hot path of every call. Only the first call with a new key writes (below).
            let checked = token.clone();
            let outcome = state
                .ops
                .read(move |c| identify(c, &checked, vendor_only_allowed))
                .await?;
            match outcome {
                Outcome::Ok(found) => {
                    let (vendor, integration) = *found;
                    let (vendor, integration) = (Arc::new(vendor), integration.map(Arc::new));
                    if let Some(i) = &integration {
                        let known = KnownToken {
                            token: token.clone(),
                            vendor: vendor.clone(),
                            integration: i.clone(),
                        };
                        state.vendor_api.known_tokens.put(header, keys_epoch, Arc::new(known));
                    }
                    (token, vendor, integration)
                }
                Outcome::Revoked(integration_id, reason) => {
                    note_caller(req, Some(&integration_id), None);
                    note_lints(
                        req,
                        [Lint::new(
                            LintCode::RevokedToken,
                            format!("this partner key was revoked ({reason}); it will never work again"),
                        )],
                    );
                    return Err(ApiError::Unauthorized);
                }
                Outcome::Denied(refusal) => {
                    let refusal = match refusal {
                        TokenRefusal::VendorOnly { .. } => TokenRefusal::VendorOnly {
                            vendor_level_route: !partner_required,
                        },
                        other => other,
                    };
                    return Err(refuse(req, mistakes::token_refusal(header, &token, refusal)));
                }
            }
        }
    };
    if let Some(i) = integration.as_ref().filter(|i| i.token_first_used_at.is_none()) {
        crate::ops::activity::first_call(&state.ops, i).await?;
    }
    note_caller(req, integration.as_ref().map(|i| i.id.as_str()), Some(&vendor.id));
    let grant = Grant {
        token,
        vendor_only_allowed,
        vendor_id: vendor.id.clone(),
        integration_id: integration.as_ref().map(|i| i.id.clone()),
        keys_epoch,
        epochs,
    };
    Ok((vendor, integration, grant))
}

impl FromRequest for Partner {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (vendor, integration, grant) = authenticate(&req, true).await?;
            let integration = integration.ok_or(ApiError::Unauthorized)?;
            Ok(Partner {
                vendor,
                integration,
                grant,
            })
        })
    }
}

impl FromRequest for Vendor {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let (vendor, integration, grant) = authenticate(&req, false).await?;
            Ok(Vendor {
                vendor,
                integration,
                grant,
            })
        })
    }
}

/// Whose call this is, for the journal, when the call is refused before its route runs (over
/// the rate limit, body too large): (integration id, vendor id) if the token is a live one.
pub async fn attribute(state: &web::Data<AppState>, header: Option<&str>) -> Option<(String, String)> {
    let token = GradientToken::parse(header?)?;
    match state.ops.read(move |c| identify(c, &token, false)).await.ok()? {
        Outcome::Ok(found) => {
            let (vendor, integration) = *found;
            integration.map(|i| (i.id, vendor.id))
        }
        _ => None,
    }
}
