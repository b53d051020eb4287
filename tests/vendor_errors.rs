//! Every failure path of the vendor API against the real server: the exact status, the exact
//! NestJS-shaped JSON body, the JSON content type, and proof that nothing stored changed.

mod common;
use common::*;
use serde_json::{json, Value};

const JSON_CT: &str = "application/json; charset=utf-8";
const UNKNOWN_SERVICE: &str = "65a0c0ffee00000000000000";
const CATEGORY_VALUES: &str = "security, backup, productivity, infrastructure, service delivery, consulting, other";
const STATUS_VALUES: &str = "active, inactive, pending";

fn unauthorized() -> Value {
    json!({"statusCode": 401, "message": "Unauthorized"})
}

fn bad_request(message: &str) -> Value {
    json!({"statusCode": 400, "message": message, "error": "Bad Request"})
}

fn invalid(messages: &[&str]) -> Value {
    json!({"statusCode": 400, "message": messages, "error": "Bad Request"})
}

fn invalid_id() -> Value {
    bad_request("You have provided an invalid Id type")
}

fn not_found(message: &str) -> Value {
    json!({"statusCode": 404, "message": message, "error": "Not Found"})
}

fn conflict() -> Value {
    json!({"statusCode": 409, "message": "A resource with this Id already exists.", "error": "Conflict"})
}

/// The answer is exactly this status and body, in JSON.
fn assert_answer(r: &Reply, status: u16, body: &Value, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.text);
    assert_eq!(r.content_type, JSON_CT, "{what}");
    assert_eq!(&r.body, body, "{what}");
}

/// Nothing the vendor API or the partner can see differs from `before`.
async fn assert_unchanged(app: &TestApp, before: &Value, what: &str) {
    let after = app.stored().await;
    assert!(
        &after == before,
        "{what} changed stored state:\nbefore {before:#}\nafter {after:#}"
    );
}

/// A server without the rate limit, for the suites that fire many calls a second (the limit
/// has its own tests below).
async fn spawn_unlimited() -> TestApp {
    spawn_with(|c| c.rate_limit = 0).await
}

/// A vendor API call with any token, or none.
async fn call(app: &TestApp, token: Option<&str>, method: &str, path: &str, body: Option<Value>) -> Reply {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = app.client.request(m, app.url(&format!("/api/vendor-api{path}")));
    if let Some(t) = token {
        rb = rb.header("GRADIENT-TOKEN", t);
    }
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    app.send(rb).await
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn service_body(name: &str) -> Value {
    json!({"name": name, "description": "d", "category": EDR_CATEGORY.0, "subcategory": EDR_CATEGORY.1})
}

fn alert_body() -> Value {
    json!({"title": "t", "description": "d", "alertId": "a-1", "priority": 1, "status": 1})
}

/// Vendor-level routes: both halves of the token by default, `VENDOR_KEY:` with the switch.
fn vendor_routes(service: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", String::new(), None),
        ("PATCH", String::new(), Some(json!({"description": "changed"}))),
        ("POST", "/service".into(), Some(service_body("Another"))),
        ("GET", format!("/service/{service}"), None),
        (
            "PATCH",
            format!("/service/{service}"),
            Some(json!({"description": "changed"})),
        ),
    ]
}

/// Partner-scoped routes: always both halves.
fn partner_routes(service: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        (
            "POST",
            format!("/service/{service}/count"),
            Some(json!({"accountId": "acme-1", "unitCount": 3})),
        ),
        ("GET", "/organization".into(), None),
        ("PATCH", "/organization/status/active".into(), None),
        ("GET", "/organization/clients".into(), None),
        ("GET", "/organization/accounts".into(), None),
        (
            "POST",
            "/organization/accounts".into(),
            Some(json!([{"id": "new-1", "name": "New"}])),
        ),
        (
            "PATCH",
            "/organization/accounts".into(),
            Some(json!([{"id": "acme-1", "name": "Renamed"}])),
        ),
        (
            "PATCH",
            "/organization/accounts/acme-1".into(),
            Some(json!({"name": "Renamed"})),
        ),
        ("GET", "/organization/services".into(), None),
        (
            "POST",
            "/organization/services".into(),
            Some(json!([{"id": "svc-1", "name": "Svc"}])),
        ),
        (
            "PATCH",
            "/organization/services".into(),
            Some(json!([{"id": "svc-1", "name": "Svc"}])),
        ),
        (
            "PATCH",
            "/organization/services/svc-1".into(),
            Some(json!({"name": "Svc"})),
        ),
        ("POST", "/alerting/acme-1".into(), Some(alert_body())),
        (
            "GET",
            "/alerting/debug/00000000-0000-4000-8000-000000000000".into(),
            None,
        ),
    ]
}

fn all_routes(service: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let mut r = vendor_routes(service);
    r.extend(partner_routes(service));
    r
}

// --- authentication ---------------------------------------------------------------------

#[tokio::test]
async fn every_bad_token_is_401_on_every_route() {
    let seed = two_vendor_seed();
    let mut app = spawn_with(|c| c.seed = Some(seed.path().to_path_buf())).await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let partner_key = app.token_partner_key();
    let bad: Vec<(&str, Option<String>)> = vec![
        ("missing token", None),
        ("empty token", Some(String::new())),
        ("not base64", Some("not base64 at all!".into())),
        (
            "base64 without a colon",
            Some(b64(&format!("{VENDOR_KEY}{partner_key}"))),
        ),
        (
            "unknown vendor key",
            Some(b64(&format!("ffffffffffffffffffffffffffffffff:{partner_key}"))),
        ),
        ("empty vendor key", Some(b64(&format!(":{partner_key}")))),
        (
            "unknown partner key",
            Some(b64(&format!("{VENDOR_KEY}:ffffffffffffffffffffffffffffffff"))),
        ),
        (
            "another vendor's partner key",
            Some(token_for(VENDOR_KEY, OTHER_PARTNER_KEY)),
        ),
        (
            "our partner key with another vendor's key",
            Some(token_for(OTHER_VENDOR_KEY, &partner_key)),
        ),
        ("the keys swapped", Some(token_for(&partner_key, VENDOR_KEY))),
    ];
    for (what, token) in &bad {
        for (method, path, body) in all_routes(&service) {
            let r = call(&app, token.as_deref(), method, &path, body).await;
            assert_answer(&r, 401, &unauthorized(), &format!("{what}: {method} {path}"));
        }
    }
    assert_unchanged(&app, &before, "bad tokens").await;
    // The other vendor's own token works, and sees none of this vendor's accounts.
    let other = token_for(OTHER_VENDOR_KEY, OTHER_PARTNER_KEY);
    let r = call(&app, Some(&other), "GET", "/organization/accounts", None).await;
    assert_answer(&r, 200, &json!([]), "other vendor");
}

#[tokio::test]
async fn revoked_keys_are_401_after_regenerate_and_after_disconnect() {
    let mut app = spawn_unlimited().await;
    let service = app.mapped_setup().await;
    let old = app.token.clone();
    app.fresh_token().await;
    let before = app.stored().await;
    for (method, path, body) in all_routes(&service) {
        let r = call(&app, Some(&old), method, &path, body).await;
        assert_answer(&r, 401, &unauthorized(), &format!("regenerated: {method} {path}"));
    }
    assert_unchanged(&app, &before, "a regenerated key").await;

    let live = app.token.clone();
    app.disconnect().await;
    let before = app.stored().await;
    for (method, path, body) in all_routes(&service) {
        let r = call(&app, Some(&live), method, &path, body).await;
        assert_answer(&r, 401, &unauthorized(), &format!("disconnected: {method} {path}"));
    }
    assert_unchanged(&app, &before, "a disconnected key").await;
    // The journal says why, for both keys.
    let entries = app.journal("status=401").await;
    assert!(entries.len() >= 2 * all_routes(&service).len(), "{}", entries.len());
    for e in &entries {
        assert_eq!(lint_codes(e), vec!["revoked_token"], "{e}");
    }
    // A reconnect does not bring either key back.
    app.connect().await;
    for t in [&old, &live] {
        let r = call(&app, Some(t), "GET", "/organization", None).await;
        assert_answer(&r, 401, &unauthorized(), "after reconnect");
    }
}

#[tokio::test]
async fn a_vendor_only_token_is_refused_by_default() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let vendor_only = b64(&format!("{VENDOR_KEY}:"));
    for (method, path, body) in all_routes(&service) {
        let r = call(&app, Some(&vendor_only), method, &path, body).await;
        assert_answer(&r, 401, &unauthorized(), &format!("{method} {path}"));
    }
    assert_unchanged(&app, &before, "a vendor-only token").await;
}

#[tokio::test]
async fn the_switch_opens_vendor_routes_to_a_vendor_only_token_and_nothing_else() {
    let mut app = spawn_with(|c| c.allow_vendor_only_token = true).await;
    let service = app.mapped_setup().await;
    let vendor_only = b64(&format!("{VENDOR_KEY}:"));
    let expected = [200, 200, 201, 200, 200];
    for ((method, path, body), status) in vendor_routes(&service).into_iter().zip(expected) {
        let r = call(&app, Some(&vendor_only), method, &path, body).await;
        assert_eq!(r.status, status, "{method} {path}: {}", r.text);
        assert_eq!(r.content_type, JSON_CT);
    }
    let profile = call(&app, Some(&vendor_only), "GET", "", None).await.ok(200);
    assert_eq!(profile["data"]["description"], "changed");
    assert_eq!(profile["data"]["skus"].as_array().unwrap().len(), 2);
    let before = app.stored().await;
    for (method, path, body) in partner_routes(&service) {
        let r = call(&app, Some(&vendor_only), method, &path, body).await;
        assert_answer(&r, 401, &unauthorized(), &format!("{method} {path}"));
    }
    assert_unchanged(&app, &before, "a vendor-only token on partner routes").await;
    // The switch does not open anything to an unknown vendor key.
    let stranger = b64("ffffffffffffffffffffffffffffffff:");
    let r = call(&app, Some(&stranger), "GET", "", None).await;
    assert_answer(&r, 401, &unauthorized(), "unknown vendor-only");
}

// --- bodies -----------------------------------------------------------------------------

fn post_routes(service: &str) -> Vec<String> {
    vec![
        "/service".into(),
        format!("/service/{service}/count"),
        "/organization/accounts".into(),
        "/organization/services".into(),
        "/alerting/acme-1".into(),
    ]
}

#[tokio::test]
async fn malformed_json_names_the_position_on_every_route_with_a_body() {
    let mut app = spawn_unlimited().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let cases: Vec<(&str, String)> = vec![
        (r#"{"name": }"#, "Unexpected token } in JSON at position 9".into()),
        (r#"{"a":1,}"#, "Unexpected token } in JSON at position 7".into()),
        (r#"{'a':1}"#, "Unexpected token ' in JSON at position 1".into()),
        (r#"{"a":1} x"#, "Unexpected token x in JSON at position 8".into()),
        (
            r#"[{"id":"a","name":"b"},]"#,
            "Unexpected token ] in JSON at position 23".into(),
        ),
        (
            "{\n  \"a\": 1,\n  x\n}",
            "Unexpected token x in JSON at position 14".into(),
        ),
        (r#"{"a": tru}"#, "Unexpected token } in JSON at position 9".into()),
        // Node counts UTF-16 code units, not bytes.
        (r#"{"name":"é€", }"#, "Unexpected token } in JSON at position 14".into()),
        (r#"{"a":"#, "Unexpected end of JSON input".into()),
        ("   ", "Unexpected end of JSON input".into()),
    ];
    let mut routes: Vec<(&str, String)> = post_routes(&service).into_iter().map(|p| ("POST", p)).collect();
    // The PATCH routes parse a JSON body the same way.
    routes.extend([
        ("PATCH", String::new()),
        ("PATCH", format!("/service/{service}")),
        ("PATCH", "/organization/accounts".into()),
        ("PATCH", "/organization/accounts/acme-1".into()),
        ("PATCH", "/organization/services".into()),
    ]);
    for (method, path) in &routes {
        for (body, message) in &cases {
            if *method == "PATCH" && body.trim().is_empty() {
                continue; // The PATCH routes take no body at all (see client_quirks).
            }
            let r = app.vendor_raw(method, path, Some("application/json"), body).await;
            assert_answer(&r, 400, &bad_request(message), &format!("{method} {path} {body:?}"));
        }
    }
    assert_unchanged(&app, &before, "malformed JSON").await;
}

#[tokio::test]
async fn an_empty_body_is_an_empty_object_and_fails_validation() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let expected: Vec<(String, Vec<&str>)> = vec![
        (
            "/service".into(),
            vec![
                "name should not be empty",
                "name must be a string",
                "description must be a string",
                "category should not be empty",
                "category must be a string",
                "subcategory should not be empty",
                "subcategory must be a string",
            ],
        ),
        (
            format!("/service/{service}/count"),
            vec![
                "accountId should not be empty",
                "accountId must be a string",
                "unitCount must be a number conforming to the specified constraints",
            ],
        ),
        (
            "/organization/accounts".into(),
            vec![
                "id should not be empty",
                "id must be a string",
                "name should not be empty",
                "name must be a string",
            ],
        ),
        (
            "/organization/services".into(),
            vec![
                "id should not be empty",
                "id must be a string",
                "name should not be empty",
                "name must be a string",
            ],
        ),
        (
            "/alerting/acme-1".into(),
            vec![
                "title should not be empty",
                "title must be a string",
                "description should not be empty",
                "description must be a string",
                "alertId should not be empty",
                "alertId must be a string",
                "priority must be an integer number",
                "status must be an integer number",
            ],
        ),
    ];
    for (path, messages) in &expected {
        // Zero bytes with a JSON content type, as body-parser treats it: `{}`.
        let r = app.vendor_raw("POST", path, Some("application/json"), "").await;
        assert_answer(&r, 400, &invalid(messages), &format!("empty {path}"));
        // And `{}` itself answers the same.
        let r = app.vendor_raw("POST", path, Some("application/json"), "{}").await;
        assert_answer(&r, 400, &invalid(messages), &format!("{{}} {path}"));
    }
    assert_unchanged(&app, &before, "empty bodies").await;
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_not_read() {
    // NestJS's body parsers read only application/json (and forms): a JSON body sent as
    // text/plain or with no Content-Type reaches the validator as `{}` in production.
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let count = format!("/service/{service}/count");
    let body = r#"{"accountId":"acme-1","unitCount":5}"#;
    let expected = invalid(&[
        "accountId should not be empty",
        "accountId must be a string",
        "unitCount must be a number conforming to the specified constraints",
    ]);
    for ct in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/jsonx"),
    ] {
        let r = app.vendor_raw("POST", &count, ct, body).await;
        assert_answer(&r, 400, &expected, &format!("{ct:?}"));
    }
    let r = app
        .vendor_raw(
            "POST",
            "/organization/accounts",
            None,
            r#"[{"id":"new-1","name":"New"}]"#,
        )
        .await;
    assert_answer(
        &r,
        400,
        &invalid(&[
            "id should not be empty",
            "id must be a string",
            "name should not be empty",
            "name must be a string",
        ]),
        "accounts without a content type",
    );
    assert_unchanged(&app, &before, "bodies without a JSON content type").await;
    // The media type is matched case-insensitively, with or without parameters.
    for ct in [
        "Application/JSON",
        "application/json;charset=UTF-8",
        " application/json ; charset=utf-8",
    ] {
        let r = app.vendor_raw("POST", &count, Some(ct), body).await;
        assert_eq!(r.status, 201, "{ct}: {}", r.text);
    }
}

#[tokio::test]
async fn bodies_of_the_wrong_shape_are_400() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let count = format!("/service/{service}/count");
    // body-parser's strict mode: only an object or an array may stand at the top.
    let strict = |token: &str, at: usize| bad_request(&format!("Unexpected token {token} in JSON at position {at}"));
    let cases: Vec<(String, &str, Value)> = vec![
        ("/service".into(), "\"name\"", strict("\"", 0)),
        (count.clone(), "5", strict("5", 0)),
        (count.clone(), " \n 12.5", strict("1", 3)),
        ("/alerting/acme-1".into(), "null", strict("n", 0)),
        ("/organization/accounts".into(), "true", strict("t", 0)),
        ("/organization/services".into(), "  -1", strict("-", 2)),
        ("/service".into(), "[1]", invalid(&["body must be an object"])),
        (count.clone(), "[{}]", invalid(&["body must be an object"])),
        (
            "/organization/accounts".into(),
            "[]",
            invalid(&["body should not be empty"]),
        ),
        (
            "/organization/accounts".into(),
            r#"[{"id":"a","name":"A"}, 5, "x"]"#,
            invalid(&["1 must be an object", "2 must be an object"]),
        ),
    ];
    for (path, body, answer) in cases {
        let r = app.vendor_raw("POST", &path, Some("application/json"), body).await;
        assert_answer(&r, 400, &answer, &format!("{path} {body}"));
    }
    assert_unchanged(&app, &before, "wrong shapes").await;
}

#[tokio::test]
async fn wrong_types_are_400_with_class_validator_messages() {
    let mut app = spawn_unlimited().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let count = format!("/service/{service}/count");
    let category = format!("category must be one of the following values: {CATEGORY_VALUES}");
    let cases: Vec<(&str, String, Value, Vec<&str>)> = vec![
        (
            "POST",
            count.clone(),
            json!({"accountId": "acme-1", "unitCount": "5"}),
            vec!["unitCount must be a number conforming to the specified constraints"],
        ),
        (
            "POST",
            count.clone(),
            json!({"accountId": "acme-1", "unitCount": true}),
            vec!["unitCount must be a number conforming to the specified constraints"],
        ),
        (
            "POST",
            count.clone(),
            json!({"accountId": "acme-1", "unitCount": null}),
            vec!["unitCount must be a number conforming to the specified constraints"],
        ),
        (
            "POST",
            count.clone(),
            json!({"accountId": "acme-1", "unitCount": -1}),
            vec!["unitCount must not be less than 0"],
        ),
        (
            "POST",
            count.clone(),
            json!({"accountId": ["acme-1"], "unitCount": 1}),
            vec!["accountId must be a string"],
        ),
        (
            "POST",
            count.clone(),
            json!({"accountId": "acme-1", "clientOId": 5, "unitCount": 1}),
            vec!["clientOId must be a string"],
        ),
        (
            "POST",
            "/service".into(),
            json!({"name": 5, "description": "d", "category": "security", "subcategory": "email security"}),
            vec!["name must be a string"],
        ),
        (
            "POST",
            "/service".into(),
            json!({"name": "N", "description": "d", "category": "security", "subcategory": "email security", "supportArticle": 7}),
            vec!["supportArticle must be a string"],
        ),
        (
            "POST",
            "/alerting/acme-1".into(),
            json!({"title": "t", "description": "d", "alertId": "a", "priority": 9, "status": 1}),
            vec!["priority must not be greater than 4"],
        ),
        (
            "POST",
            "/alerting/acme-1".into(),
            json!({"title": "t", "description": "d", "alertId": "a", "status": 0, "priority": 1}),
            vec!["status must not be less than 1"],
        ),
        (
            "POST",
            "/alerting/acme-1".into(),
            json!({"title": "t", "description": "d", "alertId": "a", "status": 7, "priority": 1}),
            vec!["status must not be greater than 6"],
        ),
        (
            "POST",
            "/alerting/acme-1".into(),
            json!({"title": "t", "description": "d", "alertId": "a", "priority": 1.5, "status": 1}),
            vec!["priority must be an integer number"],
        ),
        (
            "POST",
            "/alerting/acme-1".into(),
            json!({"title": "t", "description": "d", "alertId": "a", "priority": "2", "status": 1}),
            vec!["priority must be an integer number"],
        ),
        (
            "POST",
            "/alerting/acme-1".into(),
            json!({"title": "", "description": "d", "alertId": "a", "dueDateTime": "tomorrow", "priority": 1, "status": 1}),
            vec![
                "title should not be empty",
                "dueDateTime must be a valid ISO 8601 date string",
            ],
        ),
        (
            "POST",
            "/organization/accounts".into(),
            json!({"id": "n-1", "name": ["x"], "description": 3}),
            vec!["name must be a string", "description must be a string"],
        ),
        (
            "POST",
            "/organization/accounts".into(),
            json!([{"id": "n-1", "name": "N"}, {"id": true, "name": "M", "isArrears": "yes"}]),
            vec!["1.id must be a string", "1.isArrears must be a boolean value"],
        ),
        (
            "PATCH",
            "/organization/accounts/acme-1".into(),
            json!({"name": 5, "isActive": "no"}),
            vec!["name must be a string", "isActive must be a boolean value"],
        ),
        (
            "PATCH",
            "/organization/accounts".into(),
            json!([{"id": "acme-1", "name": "A"}, {"name": "no id"}]),
            vec!["1.id should not be empty", "1.id must be a string"],
        ),
        (
            "PATCH",
            format!("/service/{service}"),
            json!({"category": "Security"}),
            vec![category.as_str()],
        ),
    ];
    for (method, path, body, messages) in cases {
        let r = app.vendor(method, &path, Some(body.clone())).await;
        assert_answer(&r, 400, &invalid(&messages), &format!("{method} {path} {body}"));
    }
    assert_unchanged(&app, &before, "wrong types").await;
}

#[tokio::test]
async fn missing_required_fields_are_400() {
    let mut app = spawn_unlimited().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let cases: Vec<(String, Value, Vec<&str>)> = vec![
        (
            "/service".into(),
            json!({"name": "N", "description": "d", "subcategory": "email security"}),
            vec!["category should not be empty", "category must be a string"],
        ),
        (
            "/organization/accounts".into(),
            json!({"id": "n-1", "description": ""}),
            vec!["name should not be empty", "name must be a string"],
        ),
        (
            "/organization/accounts".into(),
            json!([{"id": "n-1", "name": "A"}, {"id": "n-2", "name": null}]),
            vec!["1.name should not be empty", "1.name must be a string"],
        ),
        (
            // CIPP's broken alert path posts an array of nulls: a 4xx it catches and logs.
            "/organization/accounts".into(),
            json!([{"id": null, "name": null, "description": null}]),
            vec![
                "0.id should not be empty",
                "0.id must be a string",
                "0.name should not be empty",
                "0.name must be a string",
            ],
        ),
        (
            "/organization/services".into(),
            json!([{"name": "S"}]),
            vec!["0.id should not be empty", "0.id must be a string"],
        ),
        (
            "/alerting/acme-1".into(),
            json!({"description": "d", "alertId": "a", "priority": 1, "status": 1}),
            vec!["title should not be empty", "title must be a string"],
        ),
        (
            format!("/service/{service}/count"),
            json!({"unitCount": 5}),
            vec!["accountId should not be empty", "accountId must be a string"],
        ),
        (
            format!("/service/{service}/count"),
            json!({"accountId": "acme-1"}),
            vec!["unitCount must be a number conforming to the specified constraints"],
        ),
        (
            format!("/service/{service}/count"),
            json!({"accountId": null, "clientOId": null, "unitCount": 5}),
            vec!["accountId should not be empty", "accountId must be a string"],
        ),
    ];
    for (path, body, messages) in cases {
        let r = app.vendor("POST", &path, Some(body.clone())).await;
        assert_answer(&r, 400, &invalid(&messages), &format!("{path} {body}"));
    }
    // PATCH of the vendor needs at least one property.
    for body in [json!({}), json!({"unknown": "x"}), json!({"name": null})] {
        let r = app.vendor("PATCH", "", Some(body)).await;
        assert_answer(
            &r,
            400,
            &invalid(&["Must provide at least one property value: name, description, vendorSupportPageUrl, integrationPortalUrl"]),
            "PATCH vendor",
        );
    }
    assert_unchanged(&app, &before, "missing fields").await;
}

#[tokio::test]
async fn enums_are_exact_and_case_sensitive() {
    let mut app = spawn_unlimited().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let category = format!("category must be one of the following values: {CATEGORY_VALUES}");
    for c in ["Security", "SECURITY", "security ", "Service Delivery", ""] {
        let r = app
            .vendor(
                "POST",
                "/service",
                Some(json!({"name": "N", "description": "d", "category": c, "subcategory": "email security"})),
            )
            .await;
        let expected = if c.is_empty() {
            invalid(&["category should not be empty"])
        } else {
            invalid(&[&category])
        };
        assert_answer(&r, 400, &expected, c);
    }
    let subcategory = format!(
        "subcategory must be one of the following values: {}",
        synthesize_sim::domain::catalog::SUBCATEGORIES.join(", ")
    );
    for s in [
        "Email Security",
        "privileged access and identity management (PAM/PIM)",
        "EDR",
    ] {
        let r = app
            .vendor(
                "POST",
                "/service",
                Some(json!({"name": "N", "description": "d", "category": "security", "subcategory": s})),
            )
            .await;
        assert_answer(&r, 400, &invalid(&[&subcategory]), s);
    }
    let status = format!("status must be one of the following values: {STATUS_VALUES}");
    for s in [
        "Pending",
        "ACTIVE",
        "paused",
        "Inactive",
        "active%20",
        "%20active",
        "disabled",
        "error",
    ] {
        let r = app.set_status(s).await;
        assert_answer(&r, 400, &invalid(&[&status]), s);
    }
    assert_unchanged(&app, &before, "enum case").await;
    assert_eq!(
        app.vendor("GET", "/organization", None).await.ok(200)["status"],
        "pending"
    );
    let _ = service;
}

// --- ids --------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_ids_are_404_with_a_specific_message() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    // An account the partner has not mapped, and a service it has not mapped.
    app.create_accounts(json!([{"id": "dune-1", "name": "Dune Holdings"}]))
        .await;
    let unmapped_service = app.create_service("Mail Shield").await;
    let before = app.stored().await;
    let count = |s: &str, body: Value| {
        let path = format!("/service/{s}/count");
        let app = &app;
        async move { app.vendor("POST", &path, Some(body)).await }
    };
    let cases: Vec<(Reply, Value, &str)> = vec![
        (
            count(&service, json!({"accountId": "ghost", "unitCount": 1})).await,
            not_found("No account map found with id: ghost"),
            "unknown account",
        ),
        (
            count(&service, json!({"accountId": "dune-1", "unitCount": 1})).await,
            not_found("No account map found with id: dune-1"),
            "unmapped account",
        ),
        (
            count(&unmapped_service, json!({"accountId": "acme-1", "unitCount": 1})).await,
            not_found("Unknown account, or service is not mapped"),
            "unmapped service",
        ),
        (
            count(&unmapped_service, json!({"accountId": "ghost", "unitCount": 1})).await,
            not_found("No account map found with id: ghost"),
            "unknown account and unmapped service",
        ),
        (
            count(UNKNOWN_SERVICE, json!({"accountId": "acme-1", "unitCount": 1})).await,
            not_found("Service not found"),
            "unknown service",
        ),
        (
            count(
                &service,
                json!({"clientOId": "65a0c0ffee0000000000abcd", "unitCount": 1}),
            )
            .await,
            not_found("No account map found with id: 65a0c0ffee0000000000abcd"),
            "unknown clientOId",
        ),
        (
            app.vendor("GET", &format!("/service/{UNKNOWN_SERVICE}"), None).await,
            not_found("Service not found"),
            "GET unknown service",
        ),
        (
            app.vendor(
                "PATCH",
                &format!("/service/{UNKNOWN_SERVICE}"),
                Some(json!({"name": "x"})),
            )
            .await,
            not_found("Service not found"),
            "PATCH unknown service",
        ),
        (
            app.vendor("PATCH", "/organization/accounts/ghost", Some(json!({"name": "x"})))
                .await,
            not_found("No account found with id: ghost"),
            "PATCH unknown account",
        ),
        (
            // Bulk: one unknown id and nothing of the body is applied.
            app.vendor(
                "PATCH",
                "/organization/accounts",
                Some(json!([{"id": "acme-1", "name": "Renamed"}, {"id": "ghost", "name": "x"}])),
            )
            .await,
            not_found("No account found with id: ghost"),
            "bulk PATCH with an unknown account",
        ),
        (
            app.vendor("PATCH", "/organization/services/ghost", Some(json!({"name": "x"})))
                .await,
            not_found("No service found with id: ghost"),
            "PATCH unknown org service",
        ),
        (
            app.vendor(
                "PATCH",
                "/organization/services",
                Some(json!({"id": "ghost", "name": "x"})),
            )
            .await,
            not_found("No service found with id: ghost"),
            "bulk PATCH unknown org service",
        ),
        (
            app.vendor("GET", "/alerting/debug/5b7f3c8e-1d2a-4f6b-9c0e-3a4b5c6d7e8f", None)
                .await,
            not_found("No alert found with messageId: 5b7f3c8e-1d2a-4f6b-9c0e-3a4b5c6d7e8f"),
            "unknown alert",
        ),
    ];
    for (r, body, what) in cases {
        assert_answer(&r, 404, &body, what);
    }
    assert_unchanged(&app, &before, "unknown ids").await;
    // The journal tells the vendor why a count was refused.
    let lints = lint_codes_oldest_first(
        &app.journal("status=404&route=/api/vendor-api/service/{serviceId}/count")
            .await,
    );
    let unmapped = || vec!["count_for_unmapped_pair".to_string()];
    assert_eq!(
        lints,
        vec![
            unmapped(),
            unmapped(),
            unmapped(),
            unmapped(),
            vec![],
            vec![
                "deprecated_client_o_id".to_string(),
                "count_for_unmapped_pair".to_string()
            ],
        ]
    );
}

#[tokio::test]
async fn malformed_ids_are_400_invalid_id_type() {
    let mut app = spawn_unlimited().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    // Upper-case hex is an ObjectId (Mongoose casts it): see tests/drop_in.rs.
    let short = &service[..23];
    let body = json!({"accountId": "acme-1", "unitCount": 1});
    for bad in [
        "1002",
        "g5a0c0ffee0000000000f1a0",
        short,
        "65a0c0ffee0000000000f1a0x",
        "zz0c0ffee0000000000f1a0",
    ] {
        let r = app.vendor("GET", &format!("/service/{bad}"), None).await;
        assert_answer(&r, 400, &invalid_id(), &format!("GET /service/{bad}"));
        let r = app
            .vendor("PATCH", &format!("/service/{bad}"), Some(json!({"name": "x"})))
            .await;
        assert_answer(&r, 400, &invalid_id(), &format!("PATCH /service/{bad}"));
        let r = app
            .vendor("POST", &format!("/service/{bad}/count"), Some(body.clone()))
            .await;
        assert_answer(&r, 400, &invalid_id(), &format!("count /service/{bad}"));
    }
    // A clientOId that is not ObjectId-shaped, and a malformed Get Clients cursor.
    let r = app
        .vendor(
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"clientOId": "19301", "unitCount": 1})),
        )
        .await;
    assert_answer(&r, 400, &invalid_id(), "clientOId");
    let r = app.vendor("GET", "/organization/clients?previousId=nope", None).await;
    assert_answer(&r, 400, &invalid_id(), "previousId");
    assert_unchanged(&app, &before, "malformed ids").await;
}

#[tokio::test]
async fn a_duplicate_account_id_is_409_and_nothing_of_that_body_is_stored() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let before = app.stored().await;
    let cases = [
        json!([{"id": "acme-1", "name": "Acme again"}]),
        json!({"id": "acme-1", "name": "Acme again"}),
        json!([{"id": "new-1", "name": "New"}, {"id": "cedar-1", "name": "Cedar again"}]),
        json!([{"id": "new-2", "name": "A"}, {"id": "new-3", "name": "B"}, {"id": "new-2", "name": "C"}]),
        // A number and its string are the same id.
        json!([{"id": "77", "name": "A"}, {"id": 77, "name": "B"}]),
    ];
    for body in cases {
        let r = app.vendor("POST", "/organization/accounts", Some(body.clone())).await;
        assert_answer(&r, 409, &conflict(), &body.to_string());
    }
    // Renaming an account to an id that is taken.
    let r = app
        .vendor("PATCH", "/organization/accounts/acme-1", Some(json!({"id": "cedar-1"})))
        .await;
    assert_answer(&r, 409, &conflict(), "rename onto cedar-1");
    assert_unchanged(&app, &before, "duplicate accounts").await;
    let reposted = lint_codes_oldest_first(&app.journal("status=409").await);
    let reposted_lint = || vec!["account_reposted".to_string()];
    assert_eq!(
        reposted,
        vec![
            reposted_lint(),
            reposted_lint(),
            reposted_lint(),
            reposted_lint(),
            vec!["numeric_id".to_string(), "account_reposted".to_string()],
            vec![],
        ]
    );

    // Organization services: the same rule.
    app.vendor(
        "POST",
        "/organization/services",
        Some(json!([{"id": "svc-1", "name": "Backup Vault"}])),
    )
    .await
    .ok(201);
    let before = app.stored().await;
    for body in [
        json!({"id": "svc-1", "name": "Again"}),
        json!([{"id": "svc-2", "name": "A"}, {"id": "svc-2", "name": "B"}]),
        json!([{"id": "svc-3", "name": "A"}, {"id": "svc-1", "name": "B"}]),
    ] {
        let r = app.vendor("POST", "/organization/services", Some(body.clone())).await;
        assert_answer(&r, 409, &conflict(), &body.to_string());
    }
    assert_unchanged(&app, &before, "duplicate org services").await;
}

/// A refused call keeps every lint found before the refusal, and the refusal's own after them,
/// whichever step refused it: the body's rules, a lookup, or a duplicate.
#[tokio::test]
async fn a_refused_call_keeps_the_lints_found_on_the_way() {
    let mut app = spawn_unlimited().await;
    let service = app.mapped_setup().await;
    let unmapped_service = app.create_service("Backup Vault").await;
    let before = app.stored().await;
    let count = |service: &str| format!("/service/{service}/count");
    let cases = [
        (
            app.vendor(
                "POST",
                &count(&service),
                Some(json!({"accountId": 1002, "unitCount": -1})),
            )
            .await,
            400,
            vec!["numeric_id"],
        ),
        (
            app.vendor(
                "POST",
                &count(&service),
                Some(json!({"accountId": 1002, "unitCount": 1})),
            )
            .await,
            404,
            vec!["numeric_id", "count_for_unmapped_pair"],
        ),
        (
            app.vendor(
                "POST",
                &count(&unmapped_service),
                Some(json!({"accountId": "acme-1", "clientOId": "65a0c0ffee0000000000f1a0", "unitCount": 1})),
            )
            .await,
            404,
            vec!["deprecated_client_o_id", "count_for_unmapped_pair"],
        ),
        (
            app.vendor(
                "POST",
                &count(UNKNOWN_SERVICE),
                Some(json!({"accountId": 7, "unitCount": 1})),
            )
            .await,
            404,
            vec!["numeric_id"],
        ),
        (
            app.vendor(
                "PATCH",
                "/organization/accounts",
                Some(json!([{"id": "acme-1", "name": ""}, {"id": 404404, "name": "x"}])),
            )
            .await,
            404,
            vec!["numeric_id"],
        ),
        (
            app.vendor(
                "POST",
                "/organization/accounts",
                Some(json!([{"id": 5, "name": "Five"}, {"id": "5", "name": "Five again"}])),
            )
            .await,
            409,
            vec!["numeric_id", "account_reposted"],
        ),
        (
            app.vendor(
                "POST",
                "/alerting/acme-1",
                Some(json!({"alertId": 9, "title": "Disk full"})),
            )
            .await,
            400,
            vec!["numeric_id"],
        ),
    ];
    let entries = app.journal(&format!("limit={}", cases.len())).await;
    // Newest first: the last `cases.len()` calls, oldest of them first.
    let recent = lint_codes_oldest_first(&entries[..cases.len()]);
    for ((r, status, lints), found) in cases.iter().zip(recent) {
        assert_eq!(r.status, *status, "{}", r.text);
        assert_eq!(found, *lints, "{}", r.text);
    }
    assert_unchanged(&app, &before, "refused calls with lints").await;
}

// --- transport --------------------------------------------------------------------------

/// A JSON body of exactly `len` bytes that creates one account.
fn account_body_of_len(id: &str, len: usize) -> String {
    let head = format!(r#"{{"id":"{id}","name":"Big","description":""#);
    let tail = r#""}"#;
    let pad = len - head.len() - tail.len();
    format!("{head}{}{tail}", "x".repeat(pad))
}

#[tokio::test]
async fn a_body_over_100_kb_is_413_and_body_limit_raises_it() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let before = app.stored().await;
    let too_large = json!({"statusCode": 413, "message": "request entity too large", "error": "Payload Too Large"});
    // body-parser's default limit, "100kb": 102,400 bytes.
    let body = account_body_of_len("big-1", 100 * 1024 + 1);
    let r = app
        .vendor_raw("POST", "/organization/accounts", Some("application/json"), &body)
        .await;
    assert_answer(&r, 413, &too_large, "100 KB + 1");
    // Far over, and without a token: the body limit answers first, as body-parser does.
    let huge = account_body_of_len("big-2", 3 * 1024 * 1024);
    let r = app
        .send(
            app.client
                .post(app.url("/api/vendor-api/organization/accounts"))
                .header("content-type", "application/json")
                .body(huge),
        )
        .await;
    assert_answer(&r, 413, &too_large, "3 MiB without a token");
    // Chunked, with no Content-Length.
    let chunk = "x".repeat(64 * 1024);
    let mut chunked = String::new();
    for _ in 0..20 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("0\r\n\r\n");
    let r = app
        .raw_http(
            &format!(
                "POST /api/vendor-api/organization/accounts HTTP/1.1\r\nGRADIENT-TOKEN: {}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked",
                app.token
            ),
            chunked.as_bytes(),
        )
        .await;
    assert_eq!(r.status, 413, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_CT));
    assert_eq!(r.body, too_large);
    assert_unchanged(&app, &before, "oversized bodies").await;
    // Exactly 100 KB is within the limit.
    let body = account_body_of_len("big-3", 100 * 1024);
    let r = app
        .vendor_raw("POST", "/organization/accounts", Some("application/json"), &body)
        .await;
    assert_eq!(r.status, 201, "{}", &r.text[..200.min(r.text.len())]);
    assert_eq!(r.body[0]["id"], "big-3");
    // --body-limit raises it.
    let mut app = spawn_with(|c| c.body_limit = 2 * 1024 * 1024).await;
    app.reconnect().await;
    let body = account_body_of_len("big-4", 1024 * 1024);
    let r = app
        .vendor_raw("POST", "/organization/accounts", Some("application/json"), &body)
        .await;
    assert_eq!(r.status, 201, "{}", &r.text[..200.min(r.text.len())]);
    let body = account_body_of_len("big-5", 2 * 1024 * 1024 + 1);
    let r = app
        .vendor_raw("POST", "/organization/accounts", Some("application/json"), &body)
        .await;
    assert_answer(&r, 413, &too_large, "2 MiB + 1 under --body-limit 2 MiB");
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_like_nestjs() {
    let mut app = spawn_unlimited().await;
    app.mapped_setup().await;
    let before = app.stored().await;
    let cases = [
        ("GET", "/api/vendor-api/nope"),
        ("DELETE", "/api/vendor-api"),
        ("PUT", "/api/vendor-api"),
        ("DELETE", "/api/vendor-api/organization/accounts"),
        ("PUT", "/api/vendor-api/organization/accounts/acme-1"),
        ("POST", "/api/vendor-api/organization"),
        ("GET", "/api/vendor-api/service"),
        ("GET", "/api/vendor-api/organization/status/active"),
        ("GET", "/api/vendor-api/nope?x=1&y=2"),
        ("GET", "/api/vendor-api/nope/"),
        ("GET", "/api/vendor-api/nope/?x=1"),
        ("DELETE", "/api/vendor-api/"),
        ("DELETE", "/api/vendor-api/?x=1"),
        ("PUT", "/api/vendor-api/organization/accounts/?x=1"),
        ("GET", "/api/vendor-api/organization//"),
        ("GET", "/api/vendor-api//organization"),
        ("DELETE", "/api/vendor-api/organization/accounts/a%2Fb"),
    ];
    for (method, path) in cases {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        for token in [Some(app.token.clone()), None] {
            let mut rb = app.client.request(m.clone(), app.url(path));
            if let Some(t) = &token {
                rb = rb.header("GRADIENT-TOKEN", t);
            }
            let r = app.send(rb).await;
            assert_answer(
                &r,
                404,
                &not_found(&format!("Cannot {method} {path}")),
                &format!("{method} {path}"),
            );
        }
    }
    assert_unchanged(&app, &before, "unknown routes").await;
}

/// The current Unix second, as the rate limiter counts windows.
fn unix_second() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Sleeps until a new second starts, so a burst lands in one fresh rate-limit window.
async fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let left = 1_000_000_000 - now.subsec_nanos() as u64;
    tokio::time::sleep(std::time::Duration::from_nanos(left + 5_000_000)).await;
}

#[tokio::test]
async fn the_rate_limit_answers_429_per_token() {
    let seed = two_vendor_seed();
    let mut app = spawn_with(|c| {
        c.seed = Some(seed.path().to_path_buf());
        c.rate_limit = 5;
    })
    .await;
    app.mapped_setup().await;
    let other = token_for(OTHER_VENDOR_KEY, OTHER_PARTNER_KEY);
    let limited = json!({"statusCode": 429, "message": "Request limit reached (5 requests a second)"});
    // A burst must land inside one second; if the clock ticks over mid-burst, try again.
    for attempt in 0..5 {
        next_second().await; // the snapshot's own four calls, in a window of their own
        let before = app.stored().await;
        let refused_before = app.journal("status=429").await.len();
        next_second().await;
        let start = unix_second();
        let mut allowed = vec![];
        for _ in 0..5 {
            allowed.push(app.vendor("GET", "/organization", None).await.status);
        }
        let sixth = app
            .vendor(
                "POST",
                "/organization/accounts",
                Some(json!({"id": format!("rl-{attempt}"), "name": "Rate"})),
            )
            .await;
        let seventh = app.vendor("GET", "", None).await;
        let other_token = call(&app, Some(&other), "GET", "/organization", None).await;
        if unix_second() != start {
            continue;
        }
        assert_eq!(allowed, vec![200; 5]);
        for r in [&sixth, &seventh] {
            assert_answer(r, 429, &limited, "over the limit");
            assert_eq!(r.headers.get("retry-after").unwrap(), "1");
        }
        assert_eq!(other_token.status, 200, "another token has its own window");
        let journal = app.journal("status=429").await;
        assert_eq!(journal.len(), refused_before + 2);
        assert_eq!(lint_codes(&journal[0]), vec!["over_rate_limit"]);
        assert_eq!(journal[1]["method"], "POST");
        // The next second the token works again, and the refused POST stored nothing.
        next_second().await;
        assert_unchanged(&app, &before, "rate-limited calls").await;
        return;
    }
    panic!("no burst fitted in one second in five attempts");
}

#[tokio::test]
async fn a_rate_limit_of_zero_never_limits() {
    let app = spawn_with(|c| c.rate_limit = 0).await;
    for i in 0..150 {
        let r = app.vendor("GET", "/organization", None).await;
        assert_eq!(r.status, 200, "call {i}: {}", r.text);
    }
    assert!(app.journal("status=429").await.is_empty());
}

#[tokio::test]
async fn strict_types_refuse_numeric_ids() {
    let mut app = spawn_with(|c| c.strict_types = true).await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let cases: Vec<(&str, String, Value, Vec<&str>)> = vec![
        (
            "POST",
            "/organization/accounts".into(),
            json!({"id": 1002, "name": "Numeric"}),
            vec!["id must be a string"],
        ),
        (
            "POST",
            "/organization/accounts".into(),
            json!([{"id": 1002, "name": "Numeric"}]),
            vec!["0.id must be a string"],
        ),
        (
            "POST",
            "/organization/accounts".into(),
            json!([{"id": "ok-1", "name": "A"}, {"id": 1003, "name": "B"}, {"id": 1.5, "name": "C"}]),
            vec!["1.id must be a string", "2.id must be a string"],
        ),
        (
            "POST",
            "/organization/services".into(),
            json!([{"id": 9, "name": "S"}]),
            vec!["0.id must be a string"],
        ),
        (
            "POST",
            format!("/service/{service}/count"),
            json!({"accountId": 1002, "unitCount": 1}),
            vec!["accountId must be a string"],
        ),
        (
            "POST",
            "/alerting/acme-1".into(),
            json!({"title": "t", "description": "d", "alertId": 42, "priority": 1, "status": 1}),
            vec!["alertId must be a string"],
        ),
        (
            "PATCH",
            "/organization/accounts/acme-1".into(),
            json!({"id": 5}),
            vec!["id must be a string"],
        ),
    ];
    for (method, path, body, messages) in cases {
        let r = app.vendor(method, &path, Some(body.clone())).await;
        assert_answer(&r, 400, &invalid(&messages), &format!("{method} {path} {body}"));
    }
    assert_unchanged(&app, &before, "strict types").await;
}

#[tokio::test]
async fn a_bad_no_build_or_return_unmapped_is_400() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    for flag in ["maybe", "yes", "2", "tru"] {
        let r = app
            .vendor(
                "POST",
                &format!("/service/{service}/count?no_build={flag}"),
                Some(json!({"accountId": "acme-1", "unitCount": 1})),
            )
            .await;
        assert_answer(&r, 400, &invalid(&["no_build must be a boolean value"]), flag);
    }
    let r = app
        .vendor("GET", "/organization/accounts?returnUnmapped=maybe", None)
        .await;
    assert_answer(
        &r,
        400,
        &invalid(&["returnUnmapped must be a boolean value"]),
        "returnUnmapped",
    );
    assert_unchanged(&app, &before, "bad flags").await;
}

#[tokio::test]
async fn another_vendors_services_and_accounts_are_not_found() {
    let seed = two_vendor_seed();
    let mut app = spawn_with(|c| c.seed = Some(seed.path().to_path_buf())).await;
    let service = app.mapped_setup().await;
    let other = token_for(OTHER_VENDOR_KEY, OTHER_PARTNER_KEY);
    let created = call(
        &app,
        Some(&other),
        "POST",
        "/service",
        Some(service_body("Osprey Vault")),
    )
    .await
    .ok(201);
    let theirs = created["skus"][0]["id"].as_str().unwrap().to_string();
    call(
        &app,
        Some(&other),
        "POST",
        "/organization/accounts",
        Some(json!([{"id": "osprey-1", "name": "Acme Corp"}])),
    )
    .await
    .ok(201);
    let before = app.stored().await;
    let service_not_found = not_found("Service not found");
    for (method, path, body) in [
        ("GET", format!("/service/{theirs}"), None),
        ("PATCH", format!("/service/{theirs}"), Some(json!({"name": "mine now"}))),
        (
            "POST",
            format!("/service/{theirs}/count"),
            Some(json!({"accountId": "acme-1", "unitCount": 1})),
        ),
    ] {
        let r = app.vendor(method, &path, body).await;
        assert_answer(&r, 404, &service_not_found, &format!("{method} {path}"));
    }
    let r = app
        .vendor("PATCH", "/organization/accounts/osprey-1", Some(json!({"name": "x"})))
        .await;
    assert_answer(
        &r,
        404,
        &not_found("No account found with id: osprey-1"),
        "their account",
    );
    let r = app
        .vendor(
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"accountId": "osprey-1", "unitCount": 1})),
        )
        .await;
    assert_answer(
        &r,
        404,
        &not_found("No account map found with id: osprey-1"),
        "count for their account",
    );
    assert_unchanged(&app, &before, "another vendor's ids").await;
    // And the other way round: their vendor sees one sku, ours is unknown to them.
    let r = call(&app, Some(&other), "GET", &format!("/service/{service}"), None).await;
    assert_answer(&r, 404, &service_not_found, "ours, from them");
    let theirs_profile = call(&app, Some(&other), "GET", "", None).await.ok(200);
    assert_eq!(ids(&theirs_profile["data"]["skus"]), vec![theirs.as_str()]);
}
