//! A drop-in for every real client: the official SDK's empty strings, bodies read as
//! body-parser reads them (charsets, limit, order of checks), Express's routing, and rules
//! only where the evidence has them. Byte-exact cases go over raw TCP.

mod common;
use common::*;
use serde_json::{json, Value};

const JSON_CT: &str = "application/json; charset=utf-8";

/// The newest journal entry.
async fn last_entry(app: &TestApp) -> Value {
    app.journal("limit=1")
        .await
        .into_iter()
        .next()
        .expect("a journal entry")
}

fn lint<'a>(entry: &'a Value, code: &str) -> &'a Value {
    entry["lints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["code"] == code)
        .unwrap_or_else(|| panic!("no {code} lint in {entry}"))
}

/// A raw request head with the current token (or none).
fn head(app: &TestApp, request_line: &str, token: bool, headers: &str) -> String {
    let token = if token {
        format!("\r\nGRADIENT-TOKEN: {}", app.token)
    } else {
        String::new()
    };
    format!("{request_line} HTTP/1.1{token}{headers}")
}

/// Sends `body` byte for byte with a Content-Type and its exact length, with the token or without.
async fn raw_body(app: &TestApp, request_line: &str, token: bool, content_type: &str, body: &[u8]) -> RawReply {
    let headers = format!("\r\nContent-Type: {content_type}\r\nContent-Length: {}", body.len());
    app.raw_http(&head(app, request_line, token, &headers), body).await
}

// --- 1. the SDK's empty strings ------------------------------------------------------------

#[tokio::test]
async fn sdk_empty_strings_in_a_vendor_patch_blank_fields_with_a_lint() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.vendor(
        "PATCH",
        "",
        Some(json!({"description": "Backups", "vendorSupportPageUrl": "https://help.example.com"})),
    )
    .await
    .ok(200);
    // Initialize-PSUpdateVendorRequest -IntegrationPortalUrl U, as the SDK serializes it.
    let sdk = br#"{
    "name":  "",
    "description":  "",
    "vendorSupportPageUrl":  "",
    "integrationPortalUrl":  "https://portal.example.com/gradient"
}"#;
    let r = raw_body(&app, "PATCH /api/vendor-api", true, "application/json", sdk).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let data = &r.body["data"];
    assert_eq!(
        (data["name"].as_str(), data["description"].as_str()),
        (Some(""), Some(""))
    );
    assert_eq!(data["vendorSupportPageUrl"], "");
    assert_eq!(data["integrationPortalUrl"], "https://portal.example.com/gradient");
    let entry = last_entry(&app).await;
    assert_eq!(lint_codes(&entry), vec!["empty_string_blanks"]);
    let l = lint(&entry, "empty_string_blanks");
    assert_eq!(
        l["message"],
        "sent as \"\" and now empty: name, description, vendorSupportPageUrl"
    );
    assert!(l["fix"].as_str().unwrap().contains("only the keys"), "{l}");
    // Blanking what is already blank says nothing.
    app.vendor("PATCH", "", Some(json!({"name": "", "description": "Again"})))
        .await
        .ok(200);
    assert!(lint_codes(&last_entry(&app).await).is_empty());
}

#[tokio::test]
async fn an_empty_account_id_is_refused_and_empty_text_blanks_with_a_lint() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let before = app.stored().await;
    // Initialize-PSUpdateVendorAccountRequest -Name X: `"id":""` would rename the account to nothing.
    let r = app
        .vendor(
            "PATCH",
            "/organization/accounts/acme-1",
            Some(json!({"id": "", "name": "Acme Renamed", "description": ""})),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.content_type, JSON_CT);
    assert_eq!(
        r.body,
        json!({"statusCode": 400, "message": ["id should not be empty"], "error": "Bad Request"})
    );
    // The bulk PATCH names the item.
    let r = app
        .vendor(
            "PATCH",
            "/organization/accounts",
            Some(json!([{"id": "", "name": "X"}])),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"statusCode": 400, "message": ["0.id should not be empty"], "error": "Bad Request"})
    );
    assert_eq!(app.stored().await, before, "nothing changed");
    // Without the id, "" blanks text (stored as sent), with a lint naming the field.
    app.vendor(
        "PATCH",
        "/organization/accounts/cedar-1",
        Some(json!({"description": "Law firm"})),
    )
    .await
    .ok(200);
    let r = app
        .vendor(
            "PATCH",
            "/organization/accounts/cedar-1",
            Some(json!({"name": "Cedar", "description": ""})),
        )
        .await
        .ok(200);
    assert_eq!(
        r,
        json!({"id": "cedar-1", "name": "Cedar", "description": "", "mappingId": r["mappingId"]})
    );
    let entry = last_entry(&app).await;
    assert_eq!(
        lint(&entry, "empty_string_blanks")["message"],
        "sent as \"\" and now empty: description"
    );
}

#[tokio::test]
async fn empty_ids_in_a_count_are_absent() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let acme = app
        .vendor("GET", "/organization/clients?search=acme", None)
        .await
        .ok(200)["clients"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/service/{service}/count");
    // New-PSBilling with only -ClientOId: `"accountId":""` beside it.
    app.vendor(
        "POST",
        &path,
        Some(json!({"accountId": "", "clientOId": acme, "unitCount": 7})),
    )
    .await
    .ok(201);
    assert_eq!(lint_codes(&last_entry(&app).await), vec!["deprecated_client_o_id"]);
    // With only -AccountId: `"clientOId":""` is no deprecated use.
    app.vendor(
        "POST",
        &path,
        Some(json!({"clientOId": "", "accountId": "cedar-1", "unitCount": 3})),
    )
    .await
    .ok(201);
    assert!(lint_codes(&last_entry(&app).await).is_empty());
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 7.0);
    assert_eq!(
        card_for(&b, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["vendorQuantity"],
        3.0
    );
    // Both empty: neither is there.
    let before = app.stored().await;
    let r = app
        .vendor(
            "POST",
            &path,
            Some(json!({"clientOId": "", "accountId": "", "unitCount": 1})),
        )
        .await;
    assert_eq!(
        r.body,
        json!({"statusCode": 400, "message": ["accountId should not be empty"], "error": "Bad Request"})
    );
    assert_eq!(app.stored().await, before);
}

#[tokio::test]
async fn sdk_alert_and_service_bodies_are_accepted() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    // Initialize-PSCreateAlertingDto without -ServiceId and -DueDateTime.
    app.vendor(
        "POST",
        "/alerting/acme-1",
        Some(json!({"title": "Disk", "description": "C: full", "alertId": "a-1", "priority": 2, "status": 1, "dueDateTime": null, "serviceId": ""})),
    )
    .await
    .ok(201);
    // Gradient's own Sherweb integration: an empty description.
    let r = app
        .vendor(
            "POST",
            "/service",
            Some(
                json!({"name": "Seats", "description": "", "category": "productivity", "subcategory": "hosted email"}),
            ),
        )
        .await
        .ok(201);
    let sku = r["skus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Seats")
        .unwrap();
    assert_eq!(sku["description"], "");
    // A PATCH may empty it too; an absent description is still refused on create.
    let id = sku["id"].as_str().unwrap();
    app.vendor("PATCH", &format!("/service/{id}"), Some(json!({"description": ""})))
        .await
        .ok(200);
    let r = app
        .vendor(
            "POST",
            "/service",
            Some(json!({"name": "Seats", "category": "productivity", "subcategory": "hosted email"})),
        )
        .await;
    assert_eq!(r.body["message"], json!(["description must be a string"]));
}

// --- 2 and 3. bodies as body-parser reads them, before the token ---------------------------

#[tokio::test]
async fn charsets_other_than_utf_are_415_before_the_token() {
    let mut app = spawn().await;
    app.reconnect().await;
    let before = app.stored().await;
    let body = br#"{"id":"m-1","name":"M\xfcller"}"#;
    for (charset, token) in [
        ("iso-8859-1", true),
        ("ISO-8859-1", false),
        ("latin1", true),
        ("windows-1252", false),
        ("utf-9", true),
    ] {
        let r = raw_body(
            &app,
            "POST /api/vendor-api/organization/accounts",
            token,
            &format!("application/json; charset={charset}"),
            body,
        )
        .await;
        assert_eq!(r.status, 415, "{charset}: {}", r.text);
        assert_eq!(r.header("content-type"), Some(JSON_CT));
        assert_eq!(
            r.body,
            json!({"statusCode": 415, "message": format!("unsupported charset \"{}\"", charset.to_uppercase()), "error": "Unsupported Media Type"})
        );
    }
    // body-parser's urlencoded parser takes UTF-8 only.
    let r = raw_body(
        &app,
        "PATCH /api/vendor-api/organization/accounts/acme-1",
        true,
        "application/x-www-form-urlencoded; charset=iso-8859-1",
        b"name=X",
    )
    .await;
    assert_eq!(r.status, 415, "{}", r.text);
    assert_eq!(r.body["message"], "unsupported charset \"ISO-8859-1\"");
    assert_eq!(app.stored().await, before);
}

#[tokio::test]
async fn utf_charsets_are_decoded() {
    let mut app = spawn().await;
    app.reconnect().await;
    let utf16le: Vec<u8> = r#"{"id":"m-16","name":"Müller 😀"}"#.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let utf16be_bom: Vec<u8> = "\u{feff}{\"id\":\"m-16be\",\"name\":\"Müller\"}"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    for (charset, body, id, name) in [
        ("utf-16le", utf16le, "m-16", "Müller 😀"),
        ("UTF-16", utf16be_bom, "m-16be", "Müller"),
        (
            "utf-8",
            r#"{"id":"m-8","name":"Müller"}"#.as_bytes().to_vec(),
            "m-8",
            "Müller",
        ),
    ] {
        let r = app
            .raw_http(
                &head(
                    &app,
                    "POST /api/vendor-api/organization/accounts",
                    true,
                    &format!(
                        "\r\nContent-Type: application/json; charset=\"{charset}\"\r\nContent-Length: {}",
                        body.len()
                    ),
                ),
                &body,
            )
            .await;
        assert_eq!(r.status, 201, "{charset}: {}", r.text);
        assert_eq!(r.body[0]["id"], id);
        assert_eq!(r.body[0]["name"], name);
    }
}

#[tokio::test]
async fn windows_powershell_latin1_bodies_are_kept_garbled_with_a_lint() {
    let mut app = spawn().await;
    app.reconnect().await;
    // Windows PowerShell 5.1 sends the string body as ISO-8859-1: "Müller" is M 0xFC ller.
    let body = b"{\"id\":\"m-1\",\"name\":\"M\xfcller\",\"description\":\"Stra\xdfe\"}";
    let r = raw_body(
        &app,
        "POST /api/vendor-api/organization/accounts",
        true,
        "application/json",
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body[0]["name"], "M\u{FFFD}ller");
    assert_eq!(r.body[0]["description"], "Stra\u{FFFD}e");
    let entry = last_entry(&app).await;
    assert_eq!(entry["path"], "/api/vendor-api/organization/accounts");
    let l = lint(&entry, "body_not_utf8");
    assert!(l["message"].as_str().unwrap().contains("2 character(s)"), "{l}");
    assert!(l["why"].as_str().unwrap().contains("ISO-8859-1"), "{l}");
    assert!(l["fix"].as_str().unwrap().contains("UTF8.GetBytes"), "{l}");
    let stored = app
        .vendor("GET", "/organization/accounts?accountIds=m-1", None)
        .await
        .ok(200);
    assert_eq!(stored[0]["name"], "M\u{FFFD}ller");
}

#[tokio::test]
async fn body_errors_answer_before_the_token_on_every_route_with_a_body() {
    let mut app = spawn_with(|c| c.body_limit = 1024).await;
    let service = app.mapped_setup().await;
    let before = app.stored().await;
    let routes = [
        // body-parser runs before routing: a GET with a body, and a route that does not exist.
        "GET /api/vendor-api/organization".to_string(),
        "POST /api/vendor-api/nothing".into(),
        "PATCH /api/vendor-api".into(),
        "POST /api/vendor-api/service".into(),
        format!("PATCH /api/vendor-api/service/{service}"),
        format!("POST /api/vendor-api/service/{service}/count"),
        "PATCH /api/vendor-api/organization/status/active".into(),
        "POST /api/vendor-api/organization/accounts".into(),
        "PATCH /api/vendor-api/organization/accounts".into(),
        "PATCH /api/vendor-api/organization/accounts/acme-1".into(),
        "POST /api/vendor-api/organization/services".into(),
        "PATCH /api/vendor-api/organization/services".into(),
        "PATCH /api/vendor-api/organization/services/s-1".into(),
        "POST /api/vendor-api/alerting/acme-1".into(),
    ];
    let big = format!("{{\"a\":\"{}\"}}", "x".repeat(2048));
    for route in &routes {
        // No token at all, and a wrong one: the body's fault is what production names.
        for token in [None, Some("bm90OmF0b2tlbg==")] {
            let auth = token.map(|t| format!("\r\nGRADIENT-TOKEN: {t}")).unwrap_or_default();
            let send =
                |ct: &str, body: &[u8]| format!("{auth}\r\nContent-Type: {ct}\r\nContent-Length: {}", body.len());
            let r = app
                .raw_http(
                    &head(&app, route, false, &send("application/json", b"{\"a\":}")),
                    b"{\"a\":}",
                )
                .await;
            assert_eq!(r.status, 400, "{route} malformed: {}", r.text);
            assert_eq!(
                r.body,
                json!({"statusCode": 400, "message": "Unexpected token } in JSON at position 5", "error": "Bad Request"})
            );
            let r = app
                .raw_http(
                    &head(&app, route, false, &send("application/json", b"  \r\n ")),
                    b"  \r\n ",
                )
                .await;
            assert_eq!(r.status, 400, "{route} blank: {}", r.text);
            assert_eq!(r.body["message"], "Unexpected end of JSON input");
            let r = app
                .raw_http(
                    &head(&app, route, false, &send("application/json; charset=latin1", b"{}")),
                    b"{}",
                )
                .await;
            assert_eq!(r.status, 415, "{route} charset: {}", r.text);
            let r = app
                .raw_http(
                    &head(&app, route, false, &send("application/json", big.as_bytes())),
                    big.as_bytes(),
                )
                .await;
            assert_eq!(r.status, 413, "{route} too large: {}", r.text);
            assert_eq!(r.body["message"], "request entity too large");
            // A body the parser accepts leaves the token to answer.
            let r = app
                .raw_http(&head(&app, route, false, &send("application/json", b"{}")), b"{}")
                .await;
            let expected = if route.ends_with("/nothing") { 404 } else { 401 };
            assert_eq!(r.status, expected, "{route} valid body: {}", r.text);
        }
    }
    assert_eq!(app.stored().await, before);
    // With a good token, a blank JSON body on the lenient PATCH routes is body-parser's 400 too;
    // zero bytes are `{}`.
    let r = raw_body(
        &app,
        &format!("PATCH /api/vendor-api/service/{service}"),
        true,
        "application/json",
        b" ",
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = raw_body(
        &app,
        &format!("PATCH /api/vendor-api/service/{service}"),
        true,
        "application/json",
        b"",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

// --- 4. Express routing ----------------------------------------------------------------------

#[tokio::test]
async fn paths_match_in_any_case_and_parameters_keep_theirs() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let r = app
        .raw_http(&head(&app, "GET /API/Vendor-Api/Organization", true, ""), b"")
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["integrationId"], INTEGRATION);
    app.create_accounts(json!([{"id": "MixedCase-1", "name": "Mixed"}]))
        .await;
    let body = br#"{"description":"kept"}"#;
    let r = raw_body(
        &app,
        "PATCH /api/VENDOR-API/ORGANIZATION/ACCOUNTS/MixedCase-1/",
        true,
        "application/json",
        body,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["id"], "MixedCase-1");
    // The journal keeps the path as sent and the route it reached.
    let entry = last_entry(&app).await;
    assert_eq!(entry["path"], "/api/VENDOR-API/ORGANIZATION/ACCOUNTS/MixedCase-1/");
    assert_eq!(entry["route"], "/api/vendor-api/organization/accounts/{accountId}");
    // Parameters stay exact: another case is another account.
    let r = raw_body(
        &app,
        "PATCH /Api/Vendor-Api/Organization/Accounts/mixedcase-1",
        true,
        "application/json",
        b"{}",
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(r.body["message"], "No account found with id: mixedcase-1");
    // An unknown path is named as sent.
    let r = app
        .raw_http(&head(&app, "GET /API/Vendor-Api/Nothing", true, ""), b"")
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "Cannot GET /API/Vendor-Api/Nothing");
    // A count through an upper-case path and an upper-case ObjectId.
    let upper = service.to_uppercase();
    let body = br#"{"accountId":"acme-1","unitCount":4}"#;
    let r = raw_body(
        &app,
        &format!("POST /API/VENDOR-API/SERVICE/{upper}/COUNT"),
        true,
        "application/json",
        body,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 4.0);
}

#[tokio::test]
async fn object_ids_are_taken_in_either_case() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let r = app
        .vendor("GET", &format!("/service/{}", service.to_uppercase()), None)
        .await
        .ok(200);
    assert_eq!(r["data"]["skus"][0]["id"], service.as_str());
    let clients = app.vendor("GET", "/organization/clients", None).await.ok(200);
    let first = clients["clients"][0]["id"].as_str().unwrap().to_uppercase();
    let next = app
        .vendor("GET", &format!("/organization/clients?previousId={first}"), None)
        .await
        .ok(200);
    assert_ne!(next["clients"][0]["id"], clients["clients"][0]["id"]);
    assert_eq!(next["clients"][0]["id"], clients["clients"][1]["id"]);
    // Not hex is still refused.
    let r = app.vendor("GET", &format!("/service/{}", "G".repeat(24)), None).await;
    assert_eq!(r.body["message"], "You have provided an invalid Id type");
}

#[tokio::test]
async fn head_is_answered_by_the_get_route_without_a_body() {
    let mut app = spawn().await;
    app.reconnect().await;
    let get = app
        .raw_http(&head(&app, "GET /api/vendor-api/organization", true, ""), b"")
        .await;
    let r = app
        .raw_http(&head(&app, "HEAD /api/vendor-api/organization", true, ""), b"")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some(JSON_CT));
    assert_eq!(r.header("content-length"), get.header("content-length"));
    assert_eq!(r.text, "", "no body");
    let r = app.raw_http(&head(&app, "HEAD /API/Vendor-Api", false, ""), b"").await;
    assert_eq!((r.status, r.text.as_str()), (401, ""));
    // HEAD where no GET route exists: 404, as Express answers it.
    let r = app
        .raw_http(
            &head(&app, "HEAD /api/vendor-api/organization/status/active", true, ""),
            b"",
        )
        .await;
    assert_eq!(r.status, 404);
    let entry = last_entry(&app).await;
    assert_eq!(entry["method"], "HEAD");
    assert_eq!(
        entry["responseBody"].as_str().map(|s| s.contains("Cannot HEAD")),
        Some(true),
        "{entry}"
    );
}

// --- 5. rules only where evidenced -----------------------------------------------------------

#[tokio::test]
async fn any_portal_url_is_stored_with_a_lint_when_a_browser_cannot_open_it() {
    let mut app = spawn().await;
    app.reconnect().await;
    for url in [
        "portal.example.com/gradient",
        "ftp://portal.example.com",
        "https://",
        "https://portal example",
    ] {
        let r = app
            .vendor("PATCH", "", Some(json!({"integrationPortalUrl": url})))
            .await
            .ok(200);
        assert_eq!(r["data"]["integrationPortalUrl"], url);
        let entry = last_entry(&app).await;
        assert_eq!(lint_codes(&entry), vec!["portal_url_not_browsable"], "{url}");
    }
    for url in ["https://portal.example.com/gradient?x=1", "HTTP://portal.example.com"] {
        app.vendor("PATCH", "", Some(json!({"integrationPortalUrl": url})))
            .await
            .ok(200);
        assert!(lint_codes(&last_entry(&app).await).is_empty(), "{url}");
    }
}

#[tokio::test]
async fn alert_priority_and_status_are_required() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let before = app.stored().await;
    let r = app
        .vendor(
            "POST",
            "/alerting/acme-1",
            Some(json!({"title": "t", "description": "d", "alertId": "a"})),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.body["message"],
        json!(["priority must be an integer number", "status must be an integer number"])
    );
    assert_eq!(app.stored().await, before);
}

/// The newest spec's enum has three values (SDK `dynamicServices`, VendorIntegrationStatusEnum):
/// the two only older docs list are refused as its validator refuses them, with a lint naming why.
#[tokio::test]
async fn old_statuses_are_refused_with_a_lint() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.set_status("pending").await.ok(200);
    let before = app.stored().await;
    for status in ["disabled", "error"] {
        let r = app.set_status(status).await;
        assert_eq!(r.status, 400, "{status}");
        assert_eq!(
            r.body,
            json!({"statusCode": 400, "message": ["status must be one of the following values: active, inactive, pending"], "error": "Bad Request"})
        );
        assert_eq!(lint_codes(&last_entry(&app).await), vec!["old_status_value"]);
    }
    assert_eq!(app.stored().await, before);
    let r = app.set_status("Active").await;
    assert_eq!(r.status, 400);
    assert!(lint_codes(&last_entry(&app).await).is_empty());
}

/// The case-insensitive routing knows every route: its list is the OpenAPI document's.
#[test]
fn the_routing_list_is_the_documented_route_list() {
    let doc: Value = serde_json::from_str(include_str!("../docs/openapi/vendor-api.json")).unwrap();
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|p| p.strip_prefix("/api/vendor-api").unwrap().to_string())
        .collect();
    let mut known: Vec<String> = synthesize_sim::api::express::VENDOR_ROUTES
        .iter()
        .map(|r| r.to_string())
        .collect();
    documented.sort();
    known.sort();
    assert_eq!(known, documented);
}
