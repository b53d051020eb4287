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

/// Every value of an array query parameter, in the three forms clients send: the SDK's
/// `accountIds[]=a&accountIds[]=b` (qs's brackets, also indexed `accountIds[0]=a`), repeated
/// keys, and comma lists (`accountIds=a,b`). Empty items are dropped.
pub fn query_list(pairs: &[(String, String)], name: &str) -> Vec<String> {
    let is_key = |k: &str| {
        k.strip_prefix(name).is_some_and(|rest| {
            rest.is_empty()
                || rest
                    .strip_prefix('[')
                    .and_then(|r| r.strip_suffix(']'))
                    .is_some_and(|inside| inside.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    pairs
        .iter()
        .filter(|(k, _)| is_key(k))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

pub fn query_value(req: &HttpRequest, name: &str) -> Option<String> {
    query_pairs(req).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A boolean query parameter of `pairs` (`true`/`false`, `1`/`0`), `default` when absent; any
/// other value is a 400 in class-validator's IsBoolean wording.
pub fn query_flag(pairs: &[(String, String)], name: &str, default: bool) -> Result<bool, crate::error::ApiError> {
    match pairs.iter().find(|(k, _)| k == name) {
        None => Ok(default),
        Some((_, v)) => crate::domain::validate::parse_bool(v)
            .ok_or_else(|| crate::error::ApiError::validation_one(format!("{name} must be a boolean value"))),
    }
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

#[cfg(test)]
mod tests {
    use super::query_list;

    fn pairs(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    #[test]
    fn array_query_parameters_in_every_form() {
        for q in [
            "accountIds[]=a&accountIds[]=b",
            "accountIds%5B%5D=a&accountIds%5B%5D=b",
            "accountIds[0]=a&accountIds[1]=b",
            "accountIds=a&accountIds=b",
            "accountIds=a,b",
            "accountIds=a%2C%20b&other=c",
        ] {
            assert_eq!(query_list(&pairs(q), "accountIds"), ["a", "b"], "{q}");
        }
        assert!(query_list(&pairs("accountIdsX=a&accountIds[x]=b&accountIds="), "accountIds").is_empty());
    }
}
