//! HTTP surfaces: the vendor API (`/api/vendor-api`), the control API (`/sim`), and the
//! middleware they share.

pub(crate) mod body;
pub mod express;
pub mod guard;
pub(crate) mod inflate;
pub(crate) mod middleware;
pub(crate) mod reply;
pub(crate) mod sim;
pub(crate) mod vendor_api;

use crate::domain::lint::Lint;
use crate::gate::CallNotes;
use actix_web::{HttpMessage, HttpRequest};
use percent_encoding::percent_decode_str;

/// A path parameter, percent-decoded once. A literal `+` stays a `+`, as Express leaves it.
/// (actix decodes all but `%2F`, `%25` and `%2B`; decoding the rest here completes it.)
pub fn path_param(req: &HttpRequest, name: &str) -> String {
    let raw = req.match_info().get(name).unwrap_or_default();
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

pub fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string()).unwrap_or_default()
}

pub fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    query_pairs(req).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// Attaches lint findings to this call's journal entry.
pub fn note_lints(req: &HttpRequest, lints: impl IntoIterator<Item = Lint>) {
    if let Some(notes) = req.extensions_mut().get_mut::<CallNotes>() {
        notes.lints.extend(lints);
    }
}

pub fn note_caller(req: &HttpRequest, integration_id: Option<&str>, vendor_id: Option<&str>) {
    if let Some(notes) = req.extensions_mut().get_mut::<CallNotes>() {
        notes.integration_id = integration_id.map(str::to_string);
        notes.vendor_id = vendor_id.map(str::to_string);
    }
}

/// The body of this call, as the body parser left it (`{}` when it parsed none).
pub fn json_body(req: &HttpRequest) -> serde_json::Value {
    body::of(req).value
}
