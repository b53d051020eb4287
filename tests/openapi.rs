//! The two OpenAPI documents the binary serves, held to the server: the routes they list are the
//! routes it answers (and no others on those paths), every answer it sends matches the schema
//! documented for that status, the error examples are its real error bodies, and the enums are
//! the domain's.

mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;
use synthesize_sim::domain::catalog::{IntegrationStatus, SetupStep, CATEGORIES, MODULES, SUBCATEGORIES};
use synthesize_sim::web::{document_for, SIM_OPENAPI, VENDOR_OPENAPI};

const JSON_UTF8: &str = "application/json; charset=utf-8";

/// Every route of the vendor API, with production's operationId.
const VENDOR_ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/api/vendor-api", "getVendor"),
    ("PATCH", "/api/vendor-api", "updateVendor"),
    ("POST", "/api/vendor-api/service", "createVendorService"),
    ("GET", "/api/vendor-api/service/{serviceId}", "getVendorService"),
    ("PATCH", "/api/vendor-api/service/{serviceId}", "updateVendorService"),
    ("POST", "/api/vendor-api/service/{serviceId}/count", "createBilling"),
    ("GET", "/api/vendor-api/organization", "getIntegration"),
    (
        "PATCH",
        "/api/vendor-api/organization/status/{status}",
        "updateIntegrationStatus",
    ),
    ("GET", "/api/vendor-api/organization/clients", "getClients"),
    ("GET", "/api/vendor-api/organization/accounts", "getAccounts"),
    ("POST", "/api/vendor-api/organization/accounts", "createAccount"),
    ("PATCH", "/api/vendor-api/organization/accounts", "updateAccounts"),
    (
        "PATCH",
        "/api/vendor-api/organization/accounts/{accountId}",
        "updateAccount",
    ),
    ("GET", "/api/vendor-api/organization/services", "getServices"),
    (
        "POST",
        "/api/vendor-api/organization/services",
        "createOrganizationServices",
    ),
    (
        "PATCH",
        "/api/vendor-api/organization/services",
        "updateOrganizationServices",
    ),
    (
        "PATCH",
        "/api/vendor-api/organization/services/{serviceId}",
        "updateOrganizationService",
    ),
    (
        "POST",
        "/api/vendor-api/alerting/{accountId}",
        "alertingControllerCreateTicket",
    ),
    (
        "GET",
        "/api/vendor-api/alerting/debug/{messageId}",
        "alertingControllerGetTicketByIdDebug",
    ),
];

/// Every route of the control API.
const SIM_ROUTES: &[(&str, &str)] = &[
    ("GET", "/sim/health"),
    ("GET", "/sim/info"),
    ("POST", "/sim/reset"),
    ("GET", "/sim/seeds"),
    ("GET", "/sim/partners"),
    ("POST", "/sim/partners"),
    ("GET", "/sim/partners/{id}/clock"),
    ("POST", "/sim/partners/{id}/clock"),
    ("DELETE", "/sim/partners/{id}/clock"),
    ("POST", "/sim/session"),
    ("GET", "/sim/openapi.json"),
    ("GET", "/sim/psa"),
    ("GET", "/sim/tickets"),
    ("GET", "/sim/alerts"),
    ("GET", "/sim/journal"),
    ("GET", "/sim/parity"),
    ("GET", "/sim/qa"),
    ("GET", "/sim/qa/report"),
    ("GET", "/sim/integrations"),
    ("GET", "/sim/integrations/{id}"),
    ("POST", "/sim/integrations/{id}/connect"),
    ("POST", "/sim/integrations/{id}/token"),
    ("GET", "/sim/integrations/{id}/vendor-portal"),
    ("POST", "/sim/integrations/{id}/step"),
    ("GET", "/sim/integrations/{id}/mappings"),
    ("GET", "/sim/integrations/{id}/mappings/accounts"),
    ("PUT", "/sim/integrations/{id}/mappings/accounts/{accountId}"),
    ("DELETE", "/sim/integrations/{id}/mappings/accounts/{accountId}"),
    ("PUT", "/sim/integrations/{id}/mappings/services/{serviceId}"),
    ("DELETE", "/sim/integrations/{id}/mappings/services/{serviceId}"),
    ("POST", "/sim/integrations/{id}/auto-map"),
    ("POST", "/sim/integrations/{id}/finish"),
    ("POST", "/sim/integrations/{id}/disconnect"),
    ("PUT", "/sim/integrations/{id}/alert-board"),
    ("GET", "/sim/billing"),
    ("POST", "/sim/billing/rebuild"),
    ("POST", "/sim/billing/bulk"),
    ("POST", "/sim/billing/cards/{cardId}/approve"),
    ("POST", "/sim/billing/cards/{cardId}/adjust"),
    ("POST", "/sim/billing/cards/{cardId}/dismiss"),
    ("GET", "/sim/billing/history"),
    ("GET", "/sim/runs"),
    ("GET", "/sim/runs/{id}"),
    ("GET", "/sim/faults"),
    ("POST", "/sim/faults"),
    ("DELETE", "/sim/faults"),
    ("DELETE", "/sim/faults/{id}"),
    ("GET", "/sim/clock"),
    ("POST", "/sim/clock"),
    ("GET", "/sim/snapshots"),
    ("POST", "/sim/snapshots"),
    ("POST", "/sim/snapshots/import"),
    ("DELETE", "/sim/snapshots/{name}"),
    ("POST", "/sim/snapshots/{name}/restore"),
    ("GET", "/sim/snapshots/{name}/export"),
    ("DELETE", "/sim/psa/companies/{id}"),
    ("GET", "/sim/usage/csv"),
    ("POST", "/sim/usage/csv"),
    ("DELETE", "/sim/usage/csv"),
    ("GET", "/sim/scenarios"),
    ("POST", "/sim/scenarios/{name}"),
];

/// Routes another part of the simulator may not serve yet: checked only once they exist.
fn optional(path: &str) -> bool {
    path.starts_with("/sim/qa") || path.starts_with("/sim/faults")
}

/// Checked by `the_sim_document_is_served_as_json_utf8` (see there).
const SIM_DOC: &str = "/sim/openapi.json";

const HTTP_METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
const PROBED_METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const UNKNOWN_OBJECT_ID: &str = "65a0c0ffee00000000000abc";
const UNKNOWN_UUID: &str = "0b6f2f3e-8a3c-4c55-9d6e-2f1a7c9b5e11";

// --- reading the documents ------------------------------------------------------------------

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("the document is JSON")
}

/// (METHOD, path, operation) of every operation.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if HTTP_METHODS.contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

fn route_set(doc: &Value) -> BTreeSet<(String, String)> {
    operations(doc).into_iter().map(|(m, p, _)| (m, p)).collect()
}

fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    while let Some(r) = v.get("$ref").and_then(Value::as_str) {
        v = r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .unwrap_or_else(|| panic!("unresolved $ref {r}"));
    }
    v
}

fn collect_refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => collect_refs(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

fn enum_of(doc: &Value, pointer: &str) -> Vec<String> {
    doc.pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no enum at {pointer}"))
        .iter()
        .map(|v| v.as_str().expect("string enum").to_string())
        .collect()
}

/// The example value of a response component.
fn example<'a>(doc: &'a Value, response: &str, name: &str) -> &'a Value {
    let v = &doc["components"]["responses"][response]["content"]["application/json"]["examples"][name]["value"];
    assert!(!v.is_null(), "no example {name} in the {response} response");
    v
}

// --- talking to the server ------------------------------------------------------------------

/// A documented path with plausible values in its parameters.
fn fill(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{serviceId}" => UNKNOWN_OBJECT_ID,
            "{accountId}" => "acme-1",
            "{messageId}" | "{cardId}" => UNKNOWN_UUID,
            "{status}" => "pending",
            "{id}" => INTEGRATION,
            "{name}" => "no-such-name",
            s if s.starts_with('{') => panic!("no plausible value for {s} in {path}"),
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

async fn call(app: &TestApp, method: &str, path: &str, token: Option<&str>) -> Reply {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = app.client.request(m, app.url(path));
    if let Some(t) = token {
        rb = rb.header("GRADIENT-TOKEN", t);
    }
    app.send(rb).await
}

/// The answer of a path no route serves: `404 Cannot <METHOD> <path>`.
fn route_missing(r: &Reply) -> bool {
    r.status == 404 && r.body["message"].as_str().is_some_and(|m| m.starts_with("Cannot "))
}

/// Every documented route answers something other than `Cannot ...`, and the methods the document
/// does not list on its paths do answer `Cannot ...` (so the server has no route it leaves out).
async fn probe(app: &TestApp, doc: &Value, token: Option<&str>) {
    let documented = route_set(doc);
    let paths: BTreeSet<&String> = documented.iter().map(|(_, p)| p).collect();
    for (method, path) in &documented {
        let r = call(app, method, &fill(path), token).await;
        if route_missing(&r) && optional(path) {
            eprintln!("{method} {path} is not served yet: skipped");
            continue;
        }
        assert!(
            !route_missing(&r),
            "{method} {path} is documented, but the server has no such route: {}",
            r.text
        );
    }
    for path in paths.into_iter().filter(|p| !optional(p)) {
        for method in PROBED_METHODS {
            if documented.contains(&(method.to_string(), path.clone())) {
                continue;
            }
            let r = call(app, method, &fill(path), token).await;
            assert!(
                route_missing(&r),
                "{method} {path} answers {} {}: a route the document does not list",
                r.status,
                r.text
            );
        }
    }
}

// --- a small OpenAPI schema checker ---------------------------------------------------------

/// Checks `value` against an OpenAPI 3.0 schema. Stricter than OpenAPI on one point, on purpose:
/// an object schema with `properties` is closed unless it says `additionalProperties: true`, so
/// a field the server sends but the document does not list is an error.
fn validate(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if value.is_null() {
        let anything = schema.as_object().is_some_and(|o| o.is_empty());
        if !(anything || schema["nullable"] == true) {
            errors.push(format!("{at}: null, which the document does not allow"));
        }
        return;
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        validate(doc, part, value, at, errors);
    }
    for (key, exactly_one) in [("oneOf", true), ("anyOf", false)] {
        if let Some(options) = schema[key].as_array() {
            let passing = options
                .iter()
                .filter(|o| {
                    let mut e = vec![];
                    validate(doc, o, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            if passing == 0 || (exactly_one && passing > 1) {
                errors.push(format!("{at}: {passing} of the {key} alternatives match {value}"));
            }
        }
    }
    if let Some(t) = schema["type"].as_str() {
        let ok = match t {
            "string" => value.is_string(),
            "number" => value.is_number(),
            "integer" => value.is_i64() || value.is_u64(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            other => panic!("unknown schema type {other}"),
        };
        if !ok {
            errors.push(format!("{at}: {value} is not of type {t}"));
            return;
        }
    }
    if let Some(allowed) = schema["enum"].as_array() {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of the documented values"));
        }
    }
    if let Some(s) = value.as_str() {
        if let Some(min) = schema["minLength"].as_u64() {
            if (s.chars().count() as u64) < min {
                errors.push(format!("{at}: {s:?} is shorter than {min}"));
            }
        }
        let pattern_ok = match schema["pattern"].as_str() {
            None => true,
            Some("^[0-9a-f]{24}$") => s.len() == 24 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            Some("^(https?://.*)?$") => s.is_empty() || s.starts_with("http://") || s.starts_with("https://"),
            Some("^[A-Za-z0-9._-]{1,64}$") => {
                (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
            }
            Some(p) => panic!("the checker does not know the pattern {p}; teach it"),
        };
        if !pattern_ok {
            errors.push(format!("{at}: {s:?} does not match {}", schema["pattern"]));
        }
        let format_ok = match schema["format"].as_str() {
            Some("date-time") => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            Some("date") => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
            Some("uuid") => uuid::Uuid::parse_str(s).is_ok(),
            _ => true,
        };
        if !format_ok {
            errors.push(format!("{at}: {s:?} is not a {}", schema["format"]));
        }
    }
    if let Some(x) = value.as_f64() {
        if schema["minimum"].as_f64().is_some_and(|m| x < m) || schema["maximum"].as_f64().is_some_and(|m| x > m) {
            errors.push(format!("{at}: {x} is out of the documented range"));
        }
    }
    if let Some(items) = value.as_array() {
        if schema["minItems"].as_u64().is_some_and(|m| (items.len() as u64) < m) {
            errors.push(format!("{at}: fewer items than {}", schema["minItems"]));
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, v) in items.iter().enumerate() {
                validate(doc, item_schema, v, &format!("{at}[{i}]"), errors);
            }
        }
    }
    if let Some(obj) = value.as_object() {
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().expect("required names");
            if !obj.contains_key(key) {
                errors.push(format!("{at}.{key}: required by the document, missing"));
            }
        }
        if let Some(props) = schema["properties"].as_object() {
            let open = schema["additionalProperties"] == true;
            for (k, v) in obj {
                match props.get(k) {
                    Some(p) => validate(doc, p, v, &format!("{at}.{k}"), errors),
                    None if !open => errors.push(format!("{at}.{k}: sent, but the document does not list it")),
                    None => {}
                }
            }
        }
    }
}

/// Checks answers against one document and remembers which operations answered a 2xx.
struct Checker {
    doc: Value,
    succeeded: BTreeSet<(String, String)>,
}

impl Checker {
    fn new(text: &str) -> Self {
        Checker {
            doc: parse(text),
            succeeded: BTreeSet::new(),
        }
    }

    /// `template` is the documented path; the answer must be documented for its status and
    /// content type, and match the schema.
    fn check(&mut self, method: &str, template: &str, r: &Reply) {
        let doc = &self.doc;
        let op = &doc["paths"][template][method.to_lowercase()];
        assert!(op.is_object(), "{method} {template} is not documented");
        let code = r.status.to_string();
        let response = op["responses"].get(&code).unwrap_or_else(|| {
            panic!(
                "{method} {template} answered {code}, which the document does not list: {}",
                r.text
            )
        });
        let response = resolve(doc, response);
        match response.get("content") {
            None => assert!(
                r.text.is_empty(),
                "{method} {template} {code}: the document says no body, the server sent {}",
                r.text
            ),
            Some(content) => {
                let media = r.content_type.split(';').next().unwrap_or("").trim();
                let documented = &content[media];
                assert!(
                    documented.is_object(),
                    "{method} {template} {code}: content type {} is not documented",
                    r.content_type
                );
                if media == "application/json" {
                    assert_eq!(r.content_type, JSON_UTF8, "{method} {template} {code}");
                    let mut errors = vec![];
                    validate(doc, &documented["schema"], &r.body, "body", &mut errors);
                    assert!(
                        errors.is_empty(),
                        "{method} {template} {code} does not match the document:\n  {}\nbody: {}",
                        errors.join("\n  "),
                        r.text
                    );
                }
            }
        }
        if (200..300).contains(&r.status) {
            self.succeeded.insert((method.to_string(), template.to_string()));
        }
    }

    fn check_status(&mut self, method: &str, template: &str, r: &Reply, status: u16) {
        assert_eq!(r.status, status, "{method} {template}: {}", r.text);
        self.check(method, template, r);
    }
}

/// A vendor API call, checked: `template` and `path` without the `/api/vendor-api` prefix.
async fn vendor(
    app: &TestApp,
    ck: &mut Checker,
    method: &str,
    template: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let r = app.vendor(method, path, body).await;
    ck.check_status(method, &format!("/api/vendor-api{template}"), &r, status);
    r.body
}

/// A control API call, checked: `template` and `path` without the `/sim` prefix.
async fn sim(
    app: &TestApp,
    ck: &mut Checker,
    method: &str,
    template: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
) -> Value {
    let r = app.sim(method, path, body).await;
    ck.check_status(method, &format!("/sim{template}"), &r, status);
    r.body
}

// --- the tests ------------------------------------------------------------------------------

#[tokio::test]
async fn both_documents_are_served_as_json() {
    let app = spawn().await;
    for (path, text) in [
        ("/api-docs", VENDOR_OPENAPI),
        ("/api-docs/openapi.json", VENDOR_OPENAPI),
        ("/sim/openapi.json", SIM_OPENAPI),
    ] {
        let r = call(&app, "GET", path, None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        let served: Value = serde_json::from_str(&r.text).expect("the served document parses");
        assert_eq!(
            served["servers"],
            json!([{"url": app.base, "description": "this synthesize-sim"}]),
            "{path}"
        );
        assert_eq!(served, document_for(text, &app.base), "{path} serves its document");
        assert_eq!(served["openapi"], "3.0.3", "{path}");
        if path != SIM_DOC {
            assert_eq!(r.content_type, JSON_UTF8, "{path}");
        }
    }
}

/// What a browser sends for a page, and what tools send.
const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (u16, String, String) {
    let mut rb = app.client.get(app.url(path));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ct, r.text().await.unwrap())
}

#[tokio::test]
async fn browsers_get_the_reference_page_and_tools_get_json() {
    let app = spawn().await;
    for (path, json_url) in [
        ("/api-docs", "/api-docs/openapi.json"),
        ("/sim/openapi.json", "/sim/openapi.json?format=json"),
    ] {
        let (status, ct, page) = get_with(&app, path, &[("accept", BROWSER_ACCEPT)]).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(ct, "text/html; charset=utf-8", "{path}");
        assert!(page.contains("/vendor/redoc/redoc.standalone.js"), "{path}");
        assert!(
            page.contains(&format!("data-spec-url=\"{json_url}\"")),
            "{path}: {page}"
        );
        assert!(!page.contains("{{"), "{path}: every placeholder is filled");
        // The URL the page reads answers JSON even to the browser's Accept.
        let (status, ct, body) = get_with(&app, json_url, &[("accept", BROWSER_ACCEPT)]).await;
        assert_eq!((status, ct.as_str()), (200, JSON_UTF8), "{json_url}");
        assert_eq!(parse(&body)["openapi"], "3.0.3");
        // Tools: no Accept, */*, JSON, or JSON preferred to HTML.
        for accept in [
            "*/*",
            "application/json",
            "application/json, text/html;q=0.5",
            "application/json, text/html",
        ] {
            let (status, ct, body) = get_with(&app, path, &[("accept", accept)]).await;
            assert_eq!((status, ct.as_str()), (200, JSON_UTF8), "{path} with Accept {accept}");
            assert_eq!(parse(&body)["openapi"], "3.0.3");
        }
    }
    // The viewer itself is served from the binary, with its licence.
    let (status, ct, js) = get_with(&app, "/vendor/redoc/redoc.standalone.js", &[]).await;
    assert_eq!(status, 200);
    assert!(ct.contains("javascript"), "{ct}");
    assert!(js.len() > 500_000);
    // Nothing remote: Redoc's badge logo is served as an empty inline image.
    assert!(
        !js.contains("https://cdn.redoc.ly/"),
        "the bundle names no remote image"
    );
    assert!(js.contains("data:image/svg+xml,"));
    let (status, _, licence) = get_with(&app, "/vendor/redoc/LICENSE", &[]).await;
    assert_eq!(status, 200);
    assert!(licence.contains("MIT"), "{licence}");
}

#[tokio::test]
async fn servers_name_the_host_the_document_was_fetched_from() {
    let app = spawn().await;
    let (_, _, body) = get_with(&app, "/api-docs", &[("host", "sim.example.test:9443")]).await;
    assert_eq!(parse(&body)["servers"][0]["url"], "http://sim.example.test:9443");
    // A Host that is no authority is not echoed: the bound address is named instead.
    let (_, _, body) = get_with(&app, "/api-docs/openapi.json", &[("host", "bad host/<x>")]).await;
    let url = parse(&body)["servers"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(url, app.base, "{url}");
}

#[tokio::test]
async fn the_sim_document_is_served_as_json_utf8() {
    let app = spawn().await;
    let mut ck = Checker::new(SIM_OPENAPI);
    let r = call(&app, "GET", SIM_DOC, None).await;
    assert_eq!(r.content_type, JSON_UTF8);
    ck.check_status("GET", SIM_DOC, &r, 200);
}

#[tokio::test]
async fn the_vendor_document_lists_exactly_the_vendor_routes() {
    let doc = parse(VENDOR_OPENAPI);
    let expected: BTreeSet<(String, String)> = VENDOR_ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(route_set(&doc), expected);
    let app = spawn_with(|c| c.rate_limit = 0).await;
    probe(&app, &doc, Some(&app.token)).await;
}

#[tokio::test]
async fn the_sim_document_lists_exactly_the_sim_routes() {
    let doc = parse(SIM_OPENAPI);
    let expected: BTreeSet<(String, String)> = SIM_ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(route_set(&doc), expected);
    let app = spawn_with(|c| c.rate_limit = 0).await;
    probe(&app, &doc, None).await;
}

#[test]
fn every_operation_has_an_id_a_success_and_resolvable_refs() {
    for (name, text) in [("vendor-api.json", VENDOR_OPENAPI), ("sim-api.json", SIM_OPENAPI)] {
        let doc = parse(text);
        assert_eq!(doc["openapi"], "3.0.3", "{name}");
        assert_eq!(doc["servers"][0]["url"], "http://127.0.0.1:8080", "{name}");
        let mut ids = BTreeSet::new();
        for (method, path, op) in operations(&doc) {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: {method} {path} has no operationId"));
            assert!(ids.insert(id), "{name}: operationId {id} is used twice");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|code| code.starts_with('2')),
                "{name}: {method} {path} documents no 2xx response"
            );
            // The path's {parameters} are exactly its declared path parameters.
            let in_template: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .collect();
            let declared: BTreeSet<&str> = doc["paths"][&path]["parameters"]
                .as_array()
                .into_iter()
                .chain(op["parameters"].as_array())
                .flatten()
                .map(|p| resolve(&doc, p))
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(
                        p["required"], true,
                        "{name}: {method} {path}: path parameters are required"
                    );
                    p["name"].as_str().expect("parameter name")
                })
                .collect();
            assert_eq!(declared, in_template, "{name}: {method} {path}");
        }
        let mut refs = vec![];
        collect_refs(&doc, &mut refs);
        for r in &refs {
            assert!(
                r.strip_prefix('#').and_then(|p| doc.pointer(p)).is_some(),
                "{name}: $ref {r} does not resolve"
            );
        }
        // No component is left unused.
        for kind in ["schemas", "responses", "parameters"] {
            for key in doc["components"][kind]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
            {
                let target = format!("#/components/{kind}/{key}");
                assert!(refs.contains(&target.as_str()), "{name}: {target} is never used");
            }
        }
    }

    let vendor = parse(VENDOR_OPENAPI);
    for (method, path, id) in VENDOR_ROUTES {
        assert_eq!(
            vendor["paths"][path][method.to_lowercase()]["operationId"],
            *id,
            "{method} {path} has production's operationId"
        );
    }
    assert_eq!(
        vendor["components"]["securitySchemes"]["GradientToken"],
        json!({"type": "apiKey", "in": "header", "name": "GRADIENT-TOKEN",
               "description": vendor["components"]["securitySchemes"]["GradientToken"]["description"]})
    );
    assert_eq!(vendor["security"], json!([{"GradientToken": []}]));
}

#[test]
fn enums_are_the_domain_enums() {
    let vendor = parse(VENDOR_OPENAPI);
    assert_eq!(
        enum_of(&vendor, "/components/schemas/ServiceCategoryEnum/enum"),
        CATEGORIES.to_vec()
    );
    assert_eq!(
        enum_of(&vendor, "/components/schemas/ServiceSubCategoryEnum/enum"),
        SUBCATEGORIES.to_vec()
    );
    assert_eq!(
        enum_of(&vendor, "/components/schemas/ServiceSubCategoryEnum/enum").len(),
        46
    );
    let statuses: Vec<&str> = IntegrationStatus::CURRENT.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        enum_of(&vendor, "/components/schemas/VendorIntegrationStatusEnum/enum"),
        statuses
    );
    assert_eq!(
        enum_of(&vendor, "/components/schemas/VendorModuleVariationEnum/enum"),
        MODULES.to_vec()
    );
    let sim = parse(SIM_OPENAPI);
    let steps: Vec<&str> = SetupStep::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(enum_of(&sim, "/components/schemas/SetupStep/enum"), steps);
    // The control API shows any stored status, older snapshots' `disabled`/`error` included.
    let stored: Vec<&str> = IntegrationStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(enum_of(&sim, "/components/schemas/IntegrationStatus/enum"), stored);
    assert_eq!(enum_of(&sim, "/components/schemas/Module/enum"), MODULES.to_vec());
    let psas: Vec<&str> = synthesize_sim::domain::psa::PsaKind::ALL
        .iter()
        .map(|k| k.key())
        .collect();
    assert_eq!(enum_of(&sim, "/components/schemas/PsaInfo/properties/kind/enum"), psas);
    assert_eq!(
        enum_of(&sim, "/components/schemas/NewPartner/properties/psa/enum"),
        psas
    );
}

#[tokio::test]
async fn documented_error_examples_are_what_the_server_sends() {
    let mut app = spawn().await;
    let doc = parse(VENDOR_OPENAPI);
    let service = app.mapped_setup().await;

    let r = app.vendor_as("", "GET", "/organization", None).await;
    assert_eq!(
        (r.status, &r.body),
        (401, example(&doc, "Unauthorized", "unauthorized"))
    );

    let r = app
        .vendor("POST", "/organization/accounts", Some(json!({"id": "x"})))
        .await;
    assert_eq!(
        (r.status, &r.body),
        (400, example(&doc, "ValidationFailed", "validation"))
    );
    let r = app
        .vendor_raw("POST", "/organization/accounts", Some("application/json"), r#"{"a":}"#)
        .await;
    assert_eq!(
        (r.status, &r.body),
        (400, example(&doc, "ValidationFailed", "malformedJson"))
    );

    let r = app.vendor("GET", "/service/not-an-id", None).await;
    assert_eq!((r.status, &r.body), (400, example(&doc, "InvalidId", "invalidId")));
    let r = app
        .vendor(
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"accountId": "acme-1"})),
        )
        .await;
    assert_eq!(
        (r.status, &r.body),
        (400, example(&doc, "ValidationFailedOrInvalidId", "validation"))
    );
    let r = app
        .vendor(
            "POST",
            "/service/not-an-id/count",
            Some(json!({"accountId": "acme-1", "unitCount": 1})),
        )
        .await;
    assert_eq!(
        (r.status, &r.body),
        (400, example(&doc, "ValidationFailedOrInvalidId", "invalidId"))
    );

    let r = app.count(&service, "1002", 1.0).await;
    assert_eq!((r.status, &r.body), (404, example(&doc, "NotFound", "notFound")));

    let r = app
        .vendor(
            "POST",
            "/organization/accounts",
            Some(json!([{"id": "acme-1", "name": "Acme Corp"}])),
        )
        .await;
    assert_eq!((r.status, &r.body), (409, example(&doc, "Conflict", "duplicate")));

    let big = format!(r#"[{{"id":"x","name":"{}"}}]"#, "a".repeat(1024 * 1024));
    let r = app
        .vendor_raw("POST", "/organization/accounts", Some("application/json"), &big)
        .await;
    assert_eq!((r.status, &r.body), (413, example(&doc, "PayloadTooLarge", "tooLarge")));

    // Over 100 calls in one second (the window may roll over once on the way).
    let mut limited = None;
    for _ in 0..1000 {
        let r = app.vendor("GET", "/organization", None).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let r = limited.expect("the rate limit answers 429");
    assert_eq!(&r.body, example(&doc, "TooManyRequests", "limited"));
    let retry = r.headers.get("retry-after").expect("Retry-After is sent");
    assert!(retry.to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert!(doc["components"]["responses"]["TooManyRequests"]["headers"]["Retry-After"].is_object());
}

#[tokio::test]
async fn vendor_answers_match_the_document() {
    let mut app = spawn_with(|c| c.rate_limit = 0).await;
    let mut ck = Checker::new(VENDOR_OPENAPI);
    let service = app.mapped_setup().await;
    let one = format!("/service/{service}");
    let count = format!("/service/{service}/count");
    let ck = &mut ck;

    vendor(&app, ck, "GET", "", "", None, 200).await;
    let portal = json!({"integrationPortalUrl": "https://vendor.example/gradient"});
    vendor(&app, ck, "PATCH", "", "", Some(portal), 200).await;
    vendor(&app, ck, "PATCH", "", "", Some(json!({})), 400).await;

    let backup = json!({"name": "Cloud Backup", "description": "per GB", "category": "backup",
        "subcategory": "cloud backup", "supportArticle": "https://kb.example/backup", "supportContact": "help@vendor.example"});
    let created = vendor(&app, ck, "POST", "/service", "/service", Some(backup), 201).await;
    assert!(created["skus"].as_array().unwrap().len() >= 2);
    let wrong = json!({"name": "X", "category": "Security"});
    vendor(&app, ck, "POST", "/service", "/service", Some(wrong), 400).await;

    let t = "/service/{serviceId}";
    vendor(&app, ck, "GET", t, &one, None, 200).await;
    vendor(&app, ck, "GET", t, "/service/not-an-id", None, 400).await;
    vendor(&app, ck, "GET", t, &format!("/service/{UNKNOWN_OBJECT_ID}"), None, 404).await;
    let article = json!({"supportArticle": "https://kb.example/edr"});
    vendor(&app, ck, "PATCH", t, &one, Some(article), 200).await;
    vendor(&app, ck, "PATCH", t, "/service/not-an-id", Some(json!({})), 400).await;

    let t = "/service/{serviceId}/count";
    let c = json!({"accountId": "acme-1", "unitCount": 12.5});
    vendor(&app, ck, "POST", t, &count, Some(c.clone()), 201).await;
    vendor(&app, ck, "POST", t, &format!("{count}?no_build=True"), Some(c), 201).await;
    let nobody = json!({"accountId": "nobody", "unitCount": 1});
    vendor(&app, ck, "POST", t, &count, Some(nobody), 404).await;
    vendor(&app, ck, "POST", t, &count, Some(json!({"unitCount": -1})), 400).await;

    vendor(&app, ck, "GET", "/organization", "/organization", None, 200).await;
    let t = "/organization/status/{status}";
    vendor(&app, ck, "PATCH", t, "/organization/status/active", None, 200).await;
    vendor(&app, ck, "PATCH", t, "/organization/status/Active", None, 400).await;
    let t = "/organization/clients";
    let clients = vendor(&app, ck, "GET", t, "/organization/clients?search=a", None, 200).await;
    assert!(!clients["clients"].as_array().unwrap().is_empty());
    vendor(&app, ck, "GET", t, "/organization/clients?previousId=nope", None, 400).await;

    let t = "/organization/accounts";
    let all = vendor(&app, ck, "GET", t, t, None, 200).await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let some = "/organization/accounts?returnUnmapped=false&accountIds=acme-1,cedar-1";
    vendor(&app, ck, "GET", t, some, None, 200).await;
    vendor(
        &app,
        ck,
        "GET",
        t,
        "/organization/accounts?returnUnmapped=maybe",
        None,
        400,
    )
    .await;
    let birch = json!([{"id": "birch-1", "name": "Birch Dental", "description": ""}]);
    vendor(&app, ck, "POST", t, t, Some(birch.clone()), 201).await;
    vendor(&app, ck, "POST", t, t, Some(birch), 409).await;
    vendor(&app, ck, "POST", t, t, Some(json!([{"name": ""}])), 400).await;
    let update = json!([{"id": "birch-1", "description": "Birch Dental Group"}]);
    vendor(&app, ck, "PATCH", t, t, Some(update), 200).await;
    vendor(&app, ck, "PATCH", t, t, Some(json!({"id": "nobody"})), 404).await;
    let t = "/organization/accounts/{accountId}";
    let rename = json!({"name": "Birch Dental Group"});
    vendor(
        &app,
        ck,
        "PATCH",
        t,
        "/organization/accounts/birch-1",
        Some(rename),
        200,
    )
    .await;
    vendor(&app, ck, "PATCH", t, "/organization/accounts/nobody", None, 404).await;

    let t = "/organization/services";
    let svc = json!({"id": "svc-backup", "name": "Backup", "description": ""});
    vendor(&app, ck, "POST", t, t, Some(svc.clone()), 201).await;
    vendor(&app, ck, "POST", t, t, Some(svc), 409).await;
    let listed = vendor(&app, ck, "GET", t, t, None, 200).await;
    assert_eq!(listed[0]["_id"], "svc-backup");
    let only = "/organization/services?serviceIds[]=svc-backup&returnUnmapped=false";
    vendor(&app, ck, "GET", t, only, None, 200).await;
    vendor(
        &app,
        ck,
        "GET",
        t,
        "/organization/services?returnUnmapped=maybe",
        None,
        400,
    )
    .await;
    let arrears = json!([{"id": "svc-backup", "isArrears": true}]);
    vendor(&app, ck, "PATCH", t, t, Some(arrears), 200).await;
    let t = "/organization/services/{serviceId}";
    let rename = json!({"name": "Backup Plus"});
    vendor(
        &app,
        ck,
        "PATCH",
        t,
        "/organization/services/svc-backup",
        Some(rename),
        200,
    )
    .await;
    vendor(&app, ck, "PATCH", t, "/organization/services/nothing", None, 404).await;

    let t = "/alerting/{accountId}";
    let alert = json!({"title": "Disk full", "description": "C: at 99%", "alertId": "a-1", "priority": 2, "status": 1});
    let queued = vendor(&app, ck, "POST", t, "/alerting/acme-1", Some(alert), 201).await;
    vendor(
        &app,
        ck,
        "POST",
        t,
        "/alerting/acme-1",
        Some(json!({"title": "x"})),
        400,
    )
    .await;
    let t = "/alerting/debug/{messageId}";
    let debug = format!("/alerting/debug/{}", queued["messageId"].as_str().unwrap());
    vendor(&app, ck, "GET", t, &debug, None, 200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let done = vendor(&app, ck, "GET", t, &debug, None, 200).await;
    assert_ne!(done["status"], "pending", "{done}");
    vendor(
        &app,
        ck,
        "GET",
        t,
        &format!("/alerting/debug/{UNKNOWN_UUID}"),
        None,
        404,
    )
    .await;

    let r = app.vendor_as("", "GET", "", None).await;
    ck.check_status("GET", "/api/vendor-api", &r, 401);

    let all_routes: BTreeSet<(String, String)> = VENDOR_ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(ck.succeeded, all_routes, "every operation answered a checked 2xx");
}

#[tokio::test]
async fn sim_answers_match_the_document() {
    let mut app = spawn_with(|c| c.rate_limit = 0).await;
    let mut ck = Checker::new(SIM_OPENAPI);
    let ck = &mut ck;
    let i = format!("/integrations/{INTEGRATION}");
    let at = |suffix: &str| format!("{i}{suffix}");

    for path in [
        "/health", "/info", "/psa", "/tickets", "/alerts", "/journal", "/billing", "/parity",
    ] {
        sim(&app, ck, "GET", path, path, None, 200).await;
    }
    sim(&app, ck, "GET", "/journal", "/journal?limit=x", None, 400).await;
    sim(&app, ck, "GET", "/integrations", "/integrations", None, 200).await;
    sim(&app, ck, "GET", "/integrations/{id}", &i, None, 200).await;
    sim(&app, ck, "GET", "/integrations/{id}", "/integrations/nope", None, 404).await;

    // A QA cycle, through the partner's actions.
    sim(
        &app,
        ck,
        "POST",
        "/integrations/{id}/disconnect",
        &at("/disconnect"),
        None,
        200,
    )
    .await;
    sim(&app, ck, "POST", "/integrations/{id}/token", &at("/token"), None, 409).await;
    let modules = json!({"modules": ["nonsense"]});
    sim(
        &app,
        ck,
        "POST",
        "/integrations/{id}/connect",
        &at("/connect"),
        Some(modules),
        400,
    )
    .await;
    sim(
        &app,
        ck,
        "POST",
        "/integrations/{id}/connect",
        &at("/connect"),
        None,
        200,
    )
    .await;
    let keys = sim(&app, ck, "POST", "/integrations/{id}/token", &at("/token"), None, 200).await;
    app.token = keys["gradientToken"].as_str().unwrap().to_string();
    let t = "/integrations/{id}/step";
    sim(
        &app,
        ck,
        "POST",
        t,
        &at("/step"),
        Some(json!({"step": "account_mapping"})),
        409,
    )
    .await;
    sim(&app, ck, "POST", t, &at("/step"), Some(json!({"step": "bogus"})), 400).await;

    // The vendor's side.
    let portal = json!({"integrationPortalUrl": "https://vendor.example/gradient"});
    app.vendor("PATCH", "", Some(portal)).await.ok(200);
    let service = app.create_service("Endpoint Protection").await;
    app.create_accounts(json!([
        {"id": "acme-1", "name": "Acme Corp", "description": ""},
        {"id": "cedar-1", "name": "Cedar Ridge Law LLP", "description": ""}
    ]))
    .await;
    app.set_status("pending").await.ok(200);

    let t = "/integrations/{id}/vendor-portal";
    let url = sim(&app, ck, "GET", t, &at("/vendor-portal?format=json"), None, 200).await;
    assert_eq!(url["url"], "https://vendor.example/gradient");
    sim(&app, ck, "GET", t, &at("/vendor-portal"), None, 302).await;

    let t = "/integrations/{id}/step";
    sim(
        &app,
        ck,
        "POST",
        t,
        &at("/step"),
        Some(json!({"step": "account_mapping"})),
        200,
    )
    .await;
    sim(
        &app,
        ck,
        "GET",
        "/integrations/{id}/mappings",
        &at("/mappings"),
        None,
        200,
    )
    .await;
    let t = "/integrations/{id}/mappings/accounts";
    sim(&app, ck, "GET", t, &at("/mappings/accounts?limit=1&q=acme"), None, 200).await;
    sim(&app, ck, "GET", t, &at("/mappings/accounts?limit=0"), None, 400).await;
    let cedar = app.psa_account_id("Cedar Ridge Law, LLP").await;
    let t = "/integrations/{id}/mappings/accounts/{accountId}";
    let map = json!({"psaAccountId": cedar});
    sim(&app, ck, "PUT", t, &at("/mappings/accounts/cedar-1"), Some(map), 200).await;
    sim(
        &app,
        ck,
        "PUT",
        t,
        &at("/mappings/accounts/cedar-1"),
        Some(json!({})),
        400,
    )
    .await;
    let unknown = json!({"psaAccountId": cedar});
    sim(&app, ck, "PUT", t, &at("/mappings/accounts/nobody"), Some(unknown), 404).await;
    let t = "/integrations/{id}/step";
    sim(
        &app,
        ck,
        "POST",
        t,
        &at("/step"),
        Some(json!({"step": "service_mapping"})),
        200,
    )
    .await;
    let edr = app.psa_product_id("SEC-EDR").await;
    let t = "/integrations/{id}/mappings/services/{serviceId}";
    let map = json!({"psaProductIds": [edr]});
    sim(
        &app,
        ck,
        "PUT",
        t,
        &at(&format!("/mappings/services/{service}")),
        Some(map),
        200,
    )
    .await;
    let bad = json!({"psaProductIds": "SEC-EDR"});
    sim(
        &app,
        ck,
        "PUT",
        t,
        &at(&format!("/mappings/services/{service}")),
        Some(bad),
        400,
    )
    .await;
    sim(
        &app,
        ck,
        "POST",
        "/integrations/{id}/auto-map",
        &at("/auto-map"),
        None,
        200,
    )
    .await;
    let t = "/integrations/{id}/step";
    sim(&app, ck, "POST", t, &at("/step"), Some(json!({"step": "review"})), 200).await;
    sim(&app, ck, "POST", "/integrations/{id}/finish", &at("/finish"), None, 200).await;
    let t = "/integrations/{id}/alert-board";
    sim(
        &app,
        ck,
        "PUT",
        t,
        &at("/alert-board"),
        Some(json!({"boardId": "nope"})),
        404,
    )
    .await;
    sim(
        &app,
        ck,
        "PUT",
        t,
        &at("/alert-board"),
        Some(json!({"boardId": 7})),
        400,
    )
    .await;
    sim(
        &app,
        ck,
        "PUT",
        t,
        &at("/alert-board"),
        Some(json!({"boardId": null})),
        200,
    )
    .await;

    // Usage, an alert, and the billing page.
    app.count(&service, "acme-1", 50.0).await.ok(201);
    let alert = json!({"title": "Disk full", "description": "C: at 99%", "alertId": "a-1", "priority": 2, "status": 1});
    app.vendor("POST", "/alerting/acme-1", Some(alert)).await.ok(201);
    sim(&app, ck, "POST", "/billing/rebuild", "/billing/rebuild", None, 200).await;
    // The rebuild closed the count's sync run.
    let runs = sim(&app, ck, "GET", "/runs", "/runs", None, 200).await;
    sim(&app, ck, "GET", "/runs", "/runs?limit=0", None, 400).await;
    let run = format!("/runs/{}", runs["runs"][0]["id"]);
    let detail = sim(&app, ck, "GET", "/runs/{id}", &run, None, 200).await;
    sim(&app, ck, "GET", "/runs/{id}", "/runs/999999", None, 404).await;
    sim(&app, ck, "GET", "/runs/{id}", &format!("{run}?limit=0"), None, 400).await;
    let fed = detail["cardIds"]["counted"][0].as_str().expect("the count fed a card");
    let history = format!("/billing/history?cardIds={fed}");
    sim(&app, ck, "GET", "/billing/history", &history, None, 200).await;
    let bad = "/billing/history?runs=0";
    sim(&app, ck, "GET", "/billing/history", bad, None, 400).await;
    let list = "/billing?view=list&groupBy=account&includeActioned=true";
    sim(&app, ck, "GET", "/billing", list, None, 200).await;

    let t = "/billing/cards/{cardId}";
    let billing = sim(&app, ck, "GET", "/billing", "/billing", None, 200).await;
    let counted = open_card(&billing, |c| c["vendorQuantity"].is_number());
    sim(
        &app,
        ck,
        "POST",
        &format!("{t}/approve"),
        &format!("/billing/cards/{counted}/approve"),
        None,
        200,
    )
    .await;
    sim(
        &app,
        ck,
        "POST",
        &format!("{t}/approve"),
        &format!("/billing/cards/{counted}/approve"),
        None,
        409,
    )
    .await;
    let billing = sim(&app, ck, "GET", "/billing", "/billing", None, 200).await;
    let lined = open_card(&billing, |c| c["contractLineId"].is_string());
    let adjust = format!("/billing/cards/{lined}/adjust");
    sim(&app, ck, "POST", &format!("{t}/adjust"), &adjust, Some(json!({})), 400).await;
    let dated = json!({"effectiveDate": "2026-01-01", "quantity": 3});
    sim(&app, ck, "POST", &format!("{t}/adjust"), &adjust, Some(dated), 200).await;
    let billing = sim(&app, ck, "GET", "/billing", "/billing", None, 200).await;
    let other = open_card(&billing, |_| true);
    sim(
        &app,
        ck,
        "POST",
        &format!("{t}/dismiss"),
        &format!("/billing/cards/{other}/dismiss"),
        None,
        200,
    )
    .await;
    let missing = format!("/billing/cards/{UNKNOWN_UUID}/dismiss");
    sim(&app, ck, "POST", &format!("{t}/dismiss"), &missing, None, 404).await;
    let billing = sim(&app, ck, "GET", "/billing", "/billing", None, 200).await;
    let last = open_card(&billing, |_| true);
    let bulk = json!({"action": "dismiss", "cardIds": [last]});
    sim(&app, ck, "POST", "/billing/bulk", "/billing/bulk", Some(bulk), 200).await;
    sim(
        &app,
        ck,
        "POST",
        "/billing/bulk",
        "/billing/bulk",
        Some(json!({"action": "adjust"})),
        400,
    )
    .await;
    let acted = "/billing?includeActioned=true";
    sim(&app, ck, "GET", "/billing", acted, None, 200).await;

    tokio::time::sleep(Duration::from_millis(300)).await;
    let alerts = sim(&app, ck, "GET", "/alerts", "/alerts", None, 200).await;
    assert!(!alerts.as_array().unwrap().is_empty());
    sim(&app, ck, "GET", "/tickets", "/tickets", None, 200).await;
    sim(&app, ck, "GET", "/psa", "/psa", None, 200).await;
    let journal = sim(&app, ck, "GET", "/journal", "/journal?limit=500", None, 200).await;
    assert!(!journal["entries"].as_array().unwrap().is_empty());
    sim(&app, ck, "GET", "/info", "/info", None, 200).await;
    sim(&app, ck, "GET", "/integrations", "/integrations", None, 200).await;

    // The QA checklist and report, once they are served.
    for path in ["/qa", "/qa/report", "/qa/report?format=html"] {
        let r = app.sim("GET", path, None).await;
        if route_missing(&r) {
            eprintln!("GET /sim{path} is not served yet: skipped");
            continue;
        }
        let template = path.split('?').next().unwrap();
        ck.check_status("GET", &format!("/sim{template}"), &r, 200);
    }

    let t = "/integrations/{id}/mappings/accounts/{accountId}";
    sim(&app, ck, "DELETE", t, &at("/mappings/accounts/cedar-1"), None, 200).await;
    sim(&app, ck, "DELETE", t, &at("/mappings/accounts/nobody"), None, 404).await;
    let t = "/integrations/{id}/mappings/services/{serviceId}";
    sim(
        &app,
        ck,
        "DELETE",
        t,
        &at(&format!("/mappings/services/{service}")),
        None,
        200,
    )
    .await;
    sim(&app, ck, "POST", "/integrations/{id}/finish", &at("/finish"), None, 409).await;
    sim(
        &app,
        ck,
        "POST",
        "/integrations/{id}/disconnect",
        &at("/disconnect"),
        None,
        200,
    )
    .await;
    sim(
        &app,
        ck,
        "POST",
        "/integrations/{id}/auto-map",
        &at("/auto-map"),
        None,
        409,
    )
    .await;
    // Fault injection.
    let rule = json!({"route": "/api/vendor-api/organization", "method": "GET", "status": 503, "times": 1});
    let added = sim(&app, ck, "POST", "/faults", "/faults", Some(rule), 201).await;
    sim(&app, ck, "POST", "/faults", "/faults", Some(json!({"route": "x"})), 400).await;
    assert_eq!(app.vendor("GET", "/organization", None).await.status, 503);
    sim(&app, ck, "GET", "/faults", "/faults", None, 200).await;
    let one = format!("/faults/{}", added["id"]);
    sim(&app, ck, "DELETE", "/faults/{id}", &one, None, 200).await;
    sim(&app, ck, "DELETE", "/faults/{id}", &one, None, 404).await;
    sim(&app, ck, "DELETE", "/faults", "/faults", None, 200).await;
    sim(&app, ck, "GET", "/journal", "/journal?status=503", None, 200).await;

    // The control plane.
    sim(&app, ck, "GET", "/clock", "/clock", None, 200).await;
    let tick = Some(json!({"advanceMs": 1000}));
    sim(&app, ck, "POST", "/clock", "/clock", tick, 200).await;
    let back = Some(json!({"advanceMs": -1}));
    sim(&app, ck, "POST", "/clock", "/clock", back, 400).await;
    let named = || Some(json!({"name": "doc"}));
    sim(&app, ck, "POST", "/snapshots", "/snapshots", named(), 201).await;
    sim(&app, ck, "POST", "/snapshots", "/snapshots", named(), 409).await;
    sim(&app, ck, "GET", "/snapshots", "/snapshots", None, 200).await;
    let export = "/snapshots/{name}/export";
    let file = sim(&app, ck, "GET", export, "/snapshots/doc/export", None, 200).await;
    sim(&app, ck, "GET", export, "/snapshots/nope/export", None, 404).await;
    let import = "/snapshots/import";
    sim(&app, ck, "POST", import, "/snapshots/import?name=doc2", Some(file), 201).await;
    sim(&app, ck, "POST", import, import, Some(json!({})), 400).await;
    let restore = "/snapshots/{name}/restore";
    sim(&app, ck, "POST", restore, "/snapshots/doc2/restore", None, 200).await;
    sim(&app, ck, "POST", restore, "/snapshots/nope/restore", None, 404).await;
    sim(&app, ck, "DELETE", "/snapshots/{name}", "/snapshots/doc2", None, 200).await;
    sim(&app, ck, "DELETE", "/snapshots/{name}", "/snapshots/doc2", None, 404).await;
    let company = app.psa_account_id("Acme Corp").await;
    let gone = format!("/psa/companies/{company}");
    sim(&app, ck, "DELETE", "/psa/companies/{id}", &gone, None, 200).await;
    sim(&app, ck, "DELETE", "/psa/companies/{id}", &gone, None, 404).await;

    // CSV usage import.
    let u = "/usage/csv";
    sim(&app, ck, "GET", u, u, None, 200).await;
    let good = json!({"csv": "Account Name,SKU,Quantity\nHarbor View Realty,BKP-GB,262.75\n"});
    sim(&app, ck, "POST", u, u, Some(good), 200).await;
    sim(&app, ck, "GET", u, u, None, 200).await;
    let bad = json!({"csv": "Account Name,SKU,Quantity\nNobody,BKP-GB,1\n"});
    sim(&app, ck, "POST", u, u, Some(bad), 400).await;
    sim(&app, ck, "GET", "/billing", "/billing", None, 200).await;
    sim(&app, ck, "DELETE", u, u, None, 200).await;

    // Isolated partners, and the partner-wide routes acting for one.
    let p = "/partners";
    let made = sim(&app, ck, "POST", p, p, Some(json!({"name": "Doc MSP"})), 201).await;
    sim(&app, ck, "POST", p, p, Some(json!({"psa": "kaseya"})), 400).await;
    let nobody = json!({"vendorId": UNKNOWN_OBJECT_ID});
    sim(&app, ck, "POST", p, p, Some(nobody), 404).await;
    sim(&app, ck, "GET", p, p, None, 200).await;
    let other = made["partnerId"].as_str().unwrap().to_string();
    // Its own clock: moved, read, handed back; an unknown partner is a 404.
    let c = "/partners/{id}/clock";
    let theirs = format!("/partners/{other}/clock");
    let day = Some(json!({"advanceMs": 86_400_000}));
    sim(&app, ck, "POST", c, &theirs, day, 200).await;
    sim(&app, ck, "POST", c, &theirs, Some(json!({"advanceMs": -1})), 400).await;
    sim(&app, ck, "GET", c, &theirs, None, 200).await;
    sim(&app, ck, "DELETE", c, &theirs, None, 200).await;
    let nobody_clock = format!("/partners/{UNKNOWN_OBJECT_ID}/clock");
    sim(&app, ck, "GET", c, &nobody_clock, None, 404).await;
    sim(&app, ck, "POST", c, &nobody_clock, Some(json!({"freeze": true})), 404).await;
    sim(&app, ck, "DELETE", c, &nobody_clock, None, 404).await;
    let not_theirs = format!("{i}?partnerId={other}");
    sim(&app, ck, "GET", "/integrations/{id}", &not_theirs, None, 404).await;
    for path in [
        "/info",
        "/psa",
        "/tickets",
        "/alerts",
        "/billing",
        "/integrations",
        "/usage/csv",
        "/journal",
    ] {
        sim(&app, ck, "GET", path, &format!("{path}?partnerId={other}"), None, 200).await;
        let unknown = format!("{path}?partnerId={UNKNOWN_OBJECT_ID}");
        sim(&app, ck, "GET", path, &unknown, None, 404).await;
    }

    // Seeds and scenarios.
    sim(&app, ck, "GET", "/seeds", "/seeds", None, 200).await;
    let unknown = json!({"seed": "kaseya"});
    sim(&app, ck, "POST", "/reset", "/reset", Some(unknown), 400).await;
    let autotask = json!({"seed": "autotask"});
    sim(&app, ck, "POST", "/reset", "/reset", Some(autotask), 200).await;
    sim(&app, ck, "GET", "/scenarios", "/scenarios", None, 200).await;
    let s = "/scenarios/{name}";
    sim(&app, ck, "POST", s, "/scenarios/over-billed", None, 200).await;
    sim(&app, ck, "POST", s, "/scenarios/nope", None, 404).await;
    sim(&app, ck, "GET", "/billing", "/billing", None, 200).await;
    sim(&app, ck, "GET", "/info", "/info", None, 200).await;

    sim(&app, ck, "POST", "/reset", "/reset", None, 200).await;
    sim(&app, ck, "GET", "/health", "/health", None, 200).await;
    sim(
        &app,
        ck,
        "POST",
        "/session",
        "/session",
        Some(json!({"token": "x"})),
        200,
    )
    .await;

    let served: BTreeSet<(String, String)> = SIM_ROUTES
        .iter()
        .filter(|(_, p)| *p != SIM_DOC)
        .filter(|(_, p)| !optional(p) || ck.succeeded.iter().any(|(_, s)| s == p))
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(ck.succeeded, served, "every operation answered a checked 2xx");
}

/// The id of the first open card that `pick` accepts.
fn open_card(billing: &Value, pick: impl Fn(&Value) -> bool) -> String {
    billing["cards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["state"] == "open" && pick(c))
        .unwrap_or_else(|| panic!("no such open card in {billing}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}
