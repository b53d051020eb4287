//! The one error type. Every failure, ours or actix's, leaves through it, so the wire shape
//! (NestJS's `{statusCode, message, error}`) never drifts between routes.

use crate::store::StorageKind;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde_json::{json, Value};

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401, NestJS's bare guard answer: no `error` field.
    #[error("Unauthorized")]
    Unauthorized,
    /// 400 from class-validator: one message per broken rule.
    #[error("validation failed: {0:?}")]
    Validation(Vec<String>),
    /// 400 with a single message (malformed JSON, bad query value, ...).
    #[error("{0}")]
    BadRequest(String),
    /// 400 for a path id that is not ObjectId-shaped.
    #[error("You have provided an invalid Id type")]
    InvalidId,
    #[error("{0}")]
    NotFound(String),
    /// 404 for a route that does not exist, worded as Express/NestJS does.
    #[error("Cannot {method} {path}")]
    RouteNotFound { method: String, path: String },
    #[error("{0}")]
    Conflict(String),
    /// 403: the partner side refused a request from another site or host (see `api::guard`).
    #[error("{0}")]
    Forbidden(String),
    #[error("request entity too large")]
    PayloadTooLarge,
    /// 415 from body-parser: a charset its JSON (or form) parser does not take.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 408: the request body did not arrive within `--body-timeout-ms`.
    #[error("Request Timeout")]
    RequestTimeout,
    #[error("Request limit reached ({limit} requests a second)")]
    RateLimited { limit: u32, retry_after_secs: u64 },
    /// A fault the simulator injected on purpose (see /sim/faults).
    #[error("{message}")]
    Injected { status: StatusCode, message: String },
    /// 507: the database's disk is full (SQLITE_FULL); nothing of the call was stored.
    #[error("The simulator's database disk is full; nothing was stored. Free disk space and retry.")]
    StorageFull,
    /// 503: the database file may not be written, failed on disk, or was deleted under the
    /// server (see `store::failure`); nothing of the call was stored.
    #[error("{}", storage_message(*kind, file.as_deref(), detail))]
    Storage {
        kind: crate::store::StorageKind,
        file: Option<String>,
        detail: String,
    },
    #[error("Internal server error")]
    Internal(String),
}

impl ApiError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    pub fn validation_one(msg: impl Into<String>) -> Self {
        ApiError::Validation(vec![msg.into()])
    }

    /// The JSON body this error answers with.
    pub fn body(&self) -> Value {
        let code = self.status_code().as_u16();
        match self {
            ApiError::Unauthorized | ApiError::RateLimited { .. } => {
                json!({"statusCode": code, "message": self.to_string()})
            }
            ApiError::Validation(messages) => {
                json!({"statusCode": code, "message": messages, "error": "Bad Request"})
            }
            ApiError::Internal(_) => json!({"statusCode": 500, "message": "Internal server error"}),
            _ => json!({
                "statusCode": code,
                "message": self.to_string(),
                "error": self.status_code().canonical_reason().unwrap_or("Error"),
            }),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Validation(_) | ApiError::BadRequest(_) | ApiError::InvalidId => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) | ApiError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Injected { status, .. } => *status,
            ApiError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Storage { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            log::error!("internal error: {cause}");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE));
        if let ApiError::RateLimited { retry_after_secs, .. } = self {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        res.body(self.body().to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        match crate::store::failure::storage_kind(&e) {
            Some(StorageKind::DiskFull) => ApiError::StorageFull,
            Some(kind) => ApiError::Storage {
                kind,
                file: None,
                detail: e.to_string(),
            },
            None => ApiError::internal(e),
        }
    }
}

impl crate::store::StorageFailure for ApiError {
    fn storage_kind(&self) -> Option<StorageKind> {
        match self {
            ApiError::StorageFull => Some(StorageKind::DiskFull),
            ApiError::Storage { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    fn on_file(self, name: &str) -> Self {
        match self {
            ApiError::Storage {
                kind,
                file: None,
                detail,
            } => ApiError::Storage {
                kind,
                file: Some(name.to_string()),
                detail,
            },
            other => other,
        }
    }
}

/// A storage failure as the caller reads it: what happened, to which file, and what to do.
fn storage_message(kind: StorageKind, file: Option<&str>, detail: &str) -> String {
    let file = file.unwrap_or("(its file)");
    match kind {
        StorageKind::Gone => format!(
            "The simulator's database file {file} was deleted or replaced while the simulator ran; nothing was stored, \
             and writes are refused until it restarts. Restart synthesize-sim: it creates {file} afresh from the seed."
        ),
        StorageKind::ReadOnly => format!(
            "The simulator's database {file} may not be written ({detail}); nothing was stored. \
             Make the file, its -wal and -shm files and their folder writable, then retry."
        ),
        StorageKind::Io | StorageKind::DiskFull => format!(
            "The simulator's database {file} failed on disk ({detail}); nothing was stored. \
             Check the disk and the file (and its -wal beside it), then retry or restart synthesize-sim."
        ),
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON answer with the content type production sends on every response.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> HttpResponse {
    json_bytes_response(status, serde_json::to_string(body).unwrap_or_else(|_| "null".into()))
}

/// A JSON answer already rendered.
pub fn json_bytes_response(status: StatusCode, body: impl actix_web::body::MessageBody + 'static) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, JSON_CONTENT_TYPE))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error catalogue: every variant and the exact body it sends. A change here is a
    /// change to the wire contract.
    #[test]
    fn every_variant_has_its_nestjs_shape() {
        let cases: Vec<(ApiError, u16, Value)> = vec![
            (
                ApiError::Unauthorized,
                401,
                json!({"statusCode":401,"message":"Unauthorized"}),
            ),
            (
                ApiError::Validation(vec!["name must be a string".into()]),
                400,
                json!({"statusCode":400,"message":["name must be a string"],"error":"Bad Request"}),
            ),
            (
                ApiError::BadRequest("Unexpected end of JSON input".into()),
                400,
                json!({"statusCode":400,"message":"Unexpected end of JSON input","error":"Bad Request"}),
            ),
            (
                ApiError::InvalidId,
                400,
                json!({"statusCode":400,"message":"You have provided an invalid Id type","error":"Bad Request"}),
            ),
            (
                ApiError::NotFound("No account map found with id: 1".into()),
                404,
                json!({"statusCode":404,"message":"No account map found with id: 1","error":"Not Found"}),
            ),
            (
                ApiError::RouteNotFound {
                    method: "GET".into(),
                    path: "/api/vendor-api/x".into(),
                },
                404,
                json!({"statusCode":404,"message":"Cannot GET /api/vendor-api/x","error":"Not Found"}),
            ),
            (
                ApiError::Conflict("A resource with this Id already exists.".into()),
                409,
                json!({"statusCode":409,"message":"A resource with this Id already exists.","error":"Conflict"}),
            ),
            (
                ApiError::RequestTimeout,
                408,
                json!({"statusCode":408,"message":"Request Timeout","error":"Request Timeout"}),
            ),
            (
                ApiError::Forbidden("no".into()),
                403,
                json!({"statusCode":403,"message":"no","error":"Forbidden"}),
            ),
            (
                ApiError::PayloadTooLarge,
                413,
                json!({"statusCode":413,"message":"request entity too large","error":"Payload Too Large"}),
            ),
            (
                ApiError::UnsupportedMediaType("unsupported charset \"ISO-8859-1\"".into()),
                415,
                json!({"statusCode":415,"message":"unsupported charset \"ISO-8859-1\"","error":"Unsupported Media Type"}),
            ),
            (
                ApiError::RateLimited {
                    limit: 100,
                    retry_after_secs: 1,
                },
                429,
                json!({"statusCode":429,"message":"Request limit reached (100 requests a second)"}),
            ),
            (
                ApiError::Injected {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    message: "injected".into(),
                },
                503,
                json!({"statusCode":503,"message":"injected","error":"Service Unavailable"}),
            ),
            (
                ApiError::StorageFull,
                507,
                json!({"statusCode":507,"message":"The simulator's database disk is full; nothing was stored. Free disk space and retry.","error":"Insufficient Storage"}),
            ),
            (
                ApiError::Storage {
                    kind: StorageKind::ReadOnly,
                    file: Some("sim.db".into()),
                    detail: "attempt to write a readonly database".into(),
                },
                503,
                json!({"statusCode":503,"message":"The simulator's database sim.db may not be written (attempt to write a readonly database); nothing was stored. Make the file, its -wal and -shm files and their folder writable, then retry.","error":"Service Unavailable"}),
            ),
            (
                ApiError::Internal("disk on fire".into()),
                500,
                json!({"statusCode":500,"message":"Internal server error"}),
            ),
        ];
        for (err, code, body) in cases {
            assert_eq!(err.status_code().as_u16(), code, "{err:?}");
            assert_eq!(err.body(), body, "{err:?}");
        }
    }
}
