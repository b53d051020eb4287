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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lint::{Lint, LintCode};
    use crate::gate::CallNotes;
    use actix_web::{test::TestRequest, HttpMessage};
    use serde_json::json;

    #[test]
    fn each_rejection_answers_as_production_does() {
        let cases = [
            (
                Rejection::Invalid(vec!["name must be a string".into()]),
                json!({"statusCode": 400, "message": ["name must be a string"], "error": "Bad Request"}),
            ),
            (
                Rejection::InvalidId,
                json!({"statusCode": 400, "message": "You have provided an invalid Id type", "error": "Bad Request"}),
            ),
            (
                Rejection::NotFound("Service not found".into()),
                json!({"statusCode": 404, "message": "Service not found", "error": "Not Found"}),
            ),
            (
                Rejection::Conflict("A resource with this Id already exists.".into()),
                json!({"statusCode": 409, "message": "A resource with this Id already exists.", "error": "Conflict"}),
            ),
        ];
        for (rejection, body) in cases {
            assert_eq!(ApiError::from(rejection.clone()).body(), body, "{rejection:?}");
        }
    }

    #[test]
    fn a_reply_hands_its_lints_to_the_journal_on_either_path() {
        for result in [Ok(HttpResponse::Created().finish()), Err(ApiError::InvalidId)] {
            let req = TestRequest::default().to_http_request();
            req.extensions_mut().insert(CallNotes::default());
            let expected = if result.is_ok() { 201 } else { 400 };
            let reply = Reply::new(result, vec![Lint::new(LintCode::NumericId, "sent as a number")]);
            let response = reply.respond_to(&req);
            assert_eq!(response.status().as_u16(), expected);
            let notes = req.extensions().get::<CallNotes>().cloned().unwrap();
            assert_eq!(notes.lints.len(), 1);
            assert_eq!(notes.lints[0].code, LintCode::NumericId);
        }
    }
}
