//! Shadow mode's referee: the simulator's answer to a vendor call and the upstream's answer to
//! the same call, compared after normalising what is volatile. Status, envelope, field names
//! and types always count; values count where both sides hold the same data (what the call
//! itself sent, error messages, the envelope's `status`/`statusCode`). ObjectIds are paired
//! consistently across calls: a simulator id stands for one upstream id, and only one.

use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Keys whose values change with every call or every data set, never compared.
const VOLATILE: [&str; 7] = [
    "messageId",
    "correlationID",
    "lastSyncedAt",
    "createdAt",
    "updatedAt",
    "ticketId",
    "__v",
];

/// Keys whose values are compared whatever the data: the envelope's and the error body's
/// numbers, and their text (an integration's `status` string is data, and not among them).
const ALWAYS_NUMBERS: [&str; 2] = ["status", "statusCode"];
const ALWAYS_TEXT: [&str; 2] = ["message", "error"];

/// Simulator ObjectIds and the upstream ones they stand for, learned as answers are compared.
#[derive(Debug, Default)]
pub struct Pairing {
    sim_to_upstream: HashMap<String, String>,
    upstream_to_sim: HashMap<String, String>,
}

impl Pairing {
    /// Whether `sim` and `upstream` may stand for each other; the first meeting pairs them.
    fn pair(&mut self, sim: &str, upstream: &str) -> bool {
        match (self.sim_to_upstream.get(sim), self.upstream_to_sim.get(upstream)) {
            (Some(u), _) => u == upstream,
            (None, Some(s)) => s == sim,
            (None, None) => {
                self.sim_to_upstream.insert(sim.into(), upstream.into());
                self.upstream_to_sim.insert(upstream.into(), sim.into());
                true
            }
        }
    }
}

/// Every way the two answers differ, one line each (`$.data.status: ...`); empty when they
/// agree. `sent` is the call's request body: its values are the data both sides hold.
pub fn compare(
    sim_status: u16,
    upstream_status: u16,
    sent: &Value,
    sim: &Value,
    upstream: &Value,
    pairing: &mut Pairing,
) -> Vec<String> {
    let mut out = vec![];
    if sim_status != upstream_status {
        out.push(format!("status: {sim_status} here, {upstream_status} upstream"));
    }
    let mut same_data = HashSet::new();
    scalars(sent, &mut same_data);
    walk("$", None, sim, upstream, &same_data, pairing, &mut out);
    out
}

fn scalars(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::Object(o) => o.values().for_each(|v| scalars(v, out)),
        Value::Array(a) => a.iter().for_each(|v| scalars(v, out)),
        Value::String(s) if !s.is_empty() => {
            out.insert(s.clone());
        }
        Value::Number(n) => {
            out.insert(n.to_string());
        }
        _ => {}
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

pub fn is_object_id(s: &str) -> bool {
    s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_date(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

fn walk(
    path: &str,
    key: Option<&str>,
    sim: &Value,
    upstream: &Value,
    same_data: &HashSet<String>,
    pairing: &mut Pairing,
    out: &mut Vec<String>,
) {
    if key.is_some_and(|k| VOLATILE.contains(&k)) {
        return;
    }
    let always = key.is_some_and(|k| ALWAYS_TEXT.contains(&k));
    let always_number = key.is_some_and(|k| ALWAYS_NUMBERS.contains(&k));
    match (sim, upstream) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in a {
                let at = format!("{path}.{k}");
                match b.get(k) {
                    Some(u) => walk(&at, Some(k), v, u, same_data, pairing, out),
                    None => out.push(format!("{at}: only in the simulator's answer")),
                }
            }
            for k in b.keys().filter(|k| !a.contains_key(*k)) {
                out.push(format!("{path}.{k}: only in the upstream's answer"));
            }
        }
        // A validation message list is compared whole: its sentences and their order.
        (Value::Array(a), Value::Array(b)) if always => {
            if a != b {
                out.push(format!("{path}: {sim} here, {upstream} upstream"));
            }
        }
        // Items are compared pairwise: how many there are depends on each side's data.
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), None, x, y, same_data, pairing, out);
            }
        }
        (Value::String(a), Value::String(b)) => {
            let differs = if is_object_id(a) && is_object_id(b) {
                !pairing.pair(&a.to_ascii_lowercase(), &b.to_ascii_lowercase())
            } else if (is_date(a) && is_date(b)) || (is_uuid(a) && is_uuid(b)) {
                false
            } else {
                (always || same_data.contains(a)) && a != b
            };
            if differs {
                out.push(format!("{path}: {sim} here, {upstream} upstream"));
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            if (always_number || same_data.contains(&a.to_string())) && a.as_f64() != b.as_f64() {
                out.push(format!("{path}: {a} here, {b} upstream"));
            }
        }
        (Value::Bool(_), Value::Bool(_)) => {}
        // An optional value may be absent on one side as null (Mongoose leaves unset fields out
        // or null): a type difference only when both hold something.
        (Value::Null, _) | (_, Value::Null) if !always && !always_number => {}
        _ => out.push(format!("{path}: {} here, {} upstream", kind(sim), kind(upstream))),
    }
}

/// A rule of docs/vendor-api.md's "Rules that are guesses" that a call's answer shows it met.
pub struct Guess {
    pub id: &'static str,
    pub rule: &'static str,
}

pub const GUESSES: [Guess; 11] = [
    Guess {
        id: "class_validator_sentences",
        rule: "the exact class-validator sentences and their order",
    },
    Guess {
        id: "empty_string_refused",
        rule: "\"\" refused (should not be empty) in a required field",
    },
    Guess {
        id: "boolean_values",
        rule: "no_build and returnUnmapped other than true/false or 1/0: 400 must be a boolean value",
    },
    Guess {
        id: "unit_count_not_negative",
        rule: "unitCount below 0: 400 must not be less than 0",
    },
    Guess {
        id: "alert_ranges",
        rule: "alert priority outside 1..4 or status outside 1..6 refused by the server",
    },
    Guess {
        id: "array_body_shape",
        rule: "an array body with a non-object item, an empty array, or neither object nor array: 400",
    },
    Guess {
        id: "object_id_cast",
        rule: "a malformed ObjectId (clientOId, previousId, a path id): 400 You have provided an invalid Id type",
    },
    Guess {
        id: "duplicate_account_409",
        rule: "a duplicate account id is 409",
    },
    Guess {
        id: "not_found_wording",
        rule: "the 404s for an unknown service, account, organization service or alert",
    },
    Guess {
        id: "missing_token_401",
        rule: "a missing token is 401, as a wrong one is",
    },
    Guess {
        id: "iso_date",
        rule: "dueDateTime must parse as an ISO 8601 date",
    },
];

/// The guesses a call met, read from the simulator's answer to it.
pub fn guesses_met(method: &str, route: &str, sim_status: u16, sim: &Value, token_sent: bool) -> Vec<&'static str> {
    let messages: Vec<&str> = match &sim["message"] {
        Value::String(m) => vec![m.as_str()],
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let any = |needle: &str| messages.iter().any(|m| m.contains(needle));
    let mut out = vec![];
    let mut met = |yes: bool, id| {
        if yes {
            out.push(id);
        }
    };
    met(
        sim_status == 400 && sim["message"].is_array(),
        "class_validator_sentences",
    );
    met(
        any("should not be empty") && !any("body should not be empty"),
        "empty_string_refused",
    );
    met(any("must be a boolean value"), "boolean_values");
    met(any("unitCount must not be less than 0"), "unit_count_not_negative");
    met(
        route.contains("/alerting/") && (any("priority must") || any("status must")),
        "alert_ranges",
    );
    met(
        any(" must be an object") || any("body should not be empty") || any("body must be an object"),
        "array_body_shape",
    );
    met(any("You have provided an invalid Id type"), "object_id_cast");
    met(
        method == "POST" && route.ends_with("/organization/accounts") && sim_status == 409,
        "duplicate_account_409",
    );
    met(
        sim_status == 404
            && (any("Service not found")
                || any("No account found")
                || any("No service found")
                || any("No alert found")),
        "not_found_wording",
    );
    met(sim_status == 401 && !token_sent, "missing_token_401");
    met(any("must be a valid ISO 8601 date string"), "iso_date");
    out
}

/// Whether the upstream agreed with the simulator on what a guess is about: the status and
/// the error message.
pub fn agrees(differences: &[String]) -> bool {
    !differences
        .iter()
        .any(|d| d.starts_with("status:") || d.starts_with("$.message") || d.starts_with("$.statusCode"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn diff(sim: Value, upstream: Value, sent: Value, pairing: &mut Pairing) -> Vec<String> {
        compare(200, 200, &sent, &sim, &upstream, pairing)
    }

    #[test]
    fn volatile_values_are_normalised_and_ids_paired_consistently() {
        let mut p = Pairing::default();
        let sim = json!({"status": 200, "data": {"id": "65a0c0ffee0000000000f1a0", "name": "Acme", "createdAt": "2027-01-01T00:00:00.000Z", "messageId": "x"}});
        let up = json!({"status": 200, "data": {"id": "64f1a2b3c4d5e6f708192aff", "name": "Other", "createdAt": "2023-05-05T10:00:00Z", "messageId": "y"}});
        // "Acme" was not sent: each side's own data, not compared.
        assert!(diff(sim.clone(), up.clone(), json!({}), &mut p).is_empty());
        // The same sim id now stands for another upstream id: a difference.
        let up2 = json!({"status": 200, "data": {"id": "64f1a2b3c4d5e6f708192a00", "name": "Other"}});
        let sim2 = json!({"status": 200, "data": {"id": "65a0c0ffee0000000000f1a0", "name": "Acme"}});
        assert_eq!(
            diff(sim2, up2, json!({}), &mut p),
            ["$.data.id: \"65a0c0ffee0000000000f1a0\" here, \"64f1a2b3c4d5e6f708192a00\" upstream"]
        );
        // A value the call sent is the same data on both sides: compared.
        assert_eq!(
            diff(sim, up, json!({"name": "Acme"}), &mut p),
            ["$.data.name: \"Acme\" here, \"Other\" upstream"]
        );
    }

    #[test]
    fn status_envelope_names_types_and_messages_count() {
        let mut p = Pairing::default();
        let sim = json!({"statusCode": 400, "message": ["a must be a string"], "error": "Bad Request"});
        let up = json!({"statusCode": 400, "message": ["a must be a number"], "extra": 1});
        let d = compare(400, 400, &json!({}), &sim, &up, &mut p);
        assert_eq!(
            d,
            [
                "$.message: [\"a must be a string\"] here, [\"a must be a number\"] upstream",
                "$.error: only in the simulator's answer",
                "$.extra: only in the upstream's answer",
            ]
        );
        let d = compare(
            201,
            400,
            &json!({}),
            &json!([{"isMapped": true}]),
            &json!({"n": 1}),
            &mut p,
        );
        assert_eq!(d, ["status: 201 here, 400 upstream", "$: array here, object upstream"]);
        let d = diff(
            json!([{"isMapped": "yes"}]),
            json!([{"isMapped": false}]),
            json!({}),
            &mut p,
        );
        assert_eq!(d, ["$[0].isMapped: string here, boolean upstream"]);
    }

    #[test]
    fn guesses_are_read_from_the_simulators_answer() {
        let refused =
            json!({"statusCode": 400, "message": ["unitCount must not be less than 0"], "error": "Bad Request"});
        assert_eq!(
            guesses_met("POST", "/api/vendor-api/service/{serviceId}/count", 400, &refused, true),
            ["class_validator_sentences", "unit_count_not_negative"]
        );
        let dup = json!({"statusCode": 409, "message": "A resource with this Id already exists.", "error": "Conflict"});
        assert_eq!(
            guesses_met("POST", "/api/vendor-api/organization/accounts", 409, &dup, true),
            ["duplicate_account_409"]
        );
        assert_eq!(
            guesses_met(
                "GET",
                "/api/vendor-api",
                401,
                &json!({"statusCode": 401, "message": "Unauthorized"}),
                false
            ),
            ["missing_token_401"]
        );
        assert!(agrees(&["$.data.name: a here, b upstream".into()]));
        assert!(!agrees(&["status: 201 here, 400 upstream".into()]));
    }
}
