//! How a handler's result leaves: the rejections of the domain become production's errors here,
//! in one place, and the lints a call earned reach the journal here, whichever way it ended.

use super::note_lints;
use crate::domain::lint::Linted;
use crate::domain::Rejection;
use crate::error::ApiError;
use actix_web::body::BoxBody;
use actix_web::{HttpRequest, HttpResponse, Responder};

/// A handler's answer with its call's lints. Handlers return this, never a bare result, so no
/// return path can leave its lints behind.
pub type Reply = Linted<HttpResponse, ApiError>;

impl Responder for Linted<HttpResponse, ApiError> {
    type Body = BoxBody;

    fn respond_to(self, req: &HttpRequest) -> HttpResponse {
        note_lints(req, self.lints);
        match self.result {
            Ok(response) => response,
            // As actix answers a handler's `Err`: the error stays attached to the response.
            Err(e) => HttpResponse::from_error(e),
        }
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Invalid(messages) => ApiError::Validation(messages),
            Rejection::InvalidId => ApiError::InvalidId,
            Rejection::NotFound(message) => ApiError::NotFound(message),
            Rejection::Conflict(message) => ApiError::Conflict(message),
        }
    }
}
