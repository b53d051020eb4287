//! What real clients send (the PowerShell SDK, CIPP, the Python and Go clients) and the server
//! must accept: header casing, bodies in every form they arrive in, numeric ids, path escapes,
//! deprecated fields, and the shapes clients read back.

mod common;
use common::*;
use serde_json::{json, Value};

const JSON_CT: &str = "application/json; charset=utf-8";

/// The newest journal entry for a method and route pattern.
async fn last_call(app: &TestApp, method: &str, route: &str) -> Value {
    app.journal(&format!("method={method}&route=/api/vendor-api{route}&limit=1"))
        .await
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {method} {route} in the journal"))
}

#[tokio::test]
async fn the_token_header_is_taken_in_any_case() {
    let app = spawn().await;
    let expected = app.vendor("GET", "/organization", None).await.ok(200);
    // Written byte for byte, so the casing on the wire is the client's.
    for name in ["GRADIENT-TOKEN", "Gradient-Token", "gradient-token", "gRaDiEnT-tOkEn"] {
        let r = app
            .raw_http(
                &format!(
                    "GET /api/vendor-api/organization HTTP/1.1\r\n{name}: {}\r\nAccept: application/json",
                    app.token
                ),
                b"",
            )
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.text);
        assert_eq!(r.header("content-type"), Some(JSON_CT));
        assert_eq!(r.body, expected, "{name}");
    }
}

#[tokio::test]
async fn post_accounts_takes_one_object_or_an_array() {
    let mut app = spawn().await;
    app.reconnect().await;
    // New-PSAccount's `,$x | ConvertTo-Json` is a bare object; CIPP too, for one new tenant.
    let one = app
        .vendor(
            "POST",
            "/organization/accounts",
            Some(json!({"id": "solo-1", "name": "Solo Co", "description": ""})),
        )
        .await
        .ok(201);
    assert_eq!(
        one,
        json!([{"id": "solo-1", "name": "Solo Co", "description": "", "mappingId": null}])
    );
    let many = app
        .vendor(
            "POST",
            "/organization/accounts",
            Some(json!([
                {"id": "pair-1", "name": "Pair One", "description": "first"},
                {"id": "pair-2", "name": "Pair Two", "description": "second"}
            ])),
        )
        .await
        .ok(201);
    assert_eq!(
        many,
        json!([
            {"id": "pair-1", "name": "Pair One", "description": "first", "mappingId": null},
            {"id": "pair-2", "name": "Pair Two", "description": "second", "mappingId": null}
        ])
    );
    let listed = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    assert_eq!(ids(&listed), vec!["solo-1", "pair-1", "pair-2"]);
    assert_eq!(
        listed[0],
        json!({"id": "solo-1", "name": "Solo Co", "description": "", "isMapped": false, "mappingId": null})
    );
    // Organization services take both forms too.
    let svc = app
        .vendor(
            "POST",
            "/organization/services",
            Some(json!({"id": "svc-1", "name": "Vault", "description": ""})),
        )
        .await
        .ok(201);
    assert_eq!(
        svc,
        json!([{"_id": "svc-1", "id": "svc-1", "name": "Vault", "description": "", "isMapped": false}])
    );
}

#[tokio::test]
async fn patch_account_takes_a_form_or_json() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    let mapping_id = app.vendor("GET", "/organization/accounts", None).await.ok(200)[0]["mappingId"].clone();
    assert!(mapping_id.is_string());
    // The Python client form-encodes.
    let r = app
        .vendor_raw(
            "PATCH",
            "/organization/accounts/acme-1",
            Some("application/x-www-form-urlencoded"),
            "name=New+Name&description=x",
        )
        .await;
    assert_eq!(r.content_type, JSON_CT);
    assert_eq!(
        r.ok(200),
        json!({"id": "acme-1", "name": "New Name", "description": "x", "mappingId": mapping_id})
    );
    // The SDK sends JSON; fields left out are kept.
    let r = app
        .vendor(
            "PATCH",
            "/organization/accounts/acme-1",
            Some(json!({"name": "Acme Corporation"})),
        )
        .await
        .ok(200);
    assert_eq!(
        r,
        json!({"id": "acme-1", "name": "Acme Corporation", "description": "x", "mappingId": mapping_id})
    );
    // A form with booleans and an empty description.
    app.vendor_raw(
        "PATCH",
        "/organization/accounts/acme-1",
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        "description=&isActive=true&isArrears=False",
    )
    .await
    .ok(200);
    let listed = app
        .vendor("GET", "/organization/accounts?accountIds=acme-1", None)
        .await
        .ok(200);
    assert_eq!(
        listed,
        json!([{"id": "acme-1", "name": "Acme Corporation", "description": "", "isMapped": true, "mappingId": mapping_id}])
    );
    // Bulk PATCH, one object or an array.
    let r = app
        .vendor(
            "PATCH",
            "/organization/accounts",
            Some(json!({"id": "cedar-1", "description": "law firm"})),
        )
        .await
        .ok(200);
    assert_eq!(r[0]["description"], "law firm");
    assert_eq!(r[0]["name"], "Cedar Ridge Law LLP");
}

#[tokio::test]
async fn patch_service_takes_no_body_an_empty_object_or_a_form() {
    let app = spawn().await;
    let service = app.create_service("Endpoint Protection").await;
    let original = app.vendor("GET", &format!("/service/{service}"), None).await.ok(200);
    assert_eq!(original["message"], "Success - Retrieved Vendor Service");
    let unchanged = |r: Value| {
        assert_eq!(r["status"], 200);
        assert_eq!(r["message"], "Success - Updated Vendor Service");
        r["data"]["skus"].clone()
    };
    // Update-PSVendorService: no body, no Content-Type, no Content-Length.
    let r = app
        .raw_http(
            &format!(
                "PATCH /api/vendor-api/service/{service} HTTP/1.1\r\nGradient-Token: {}\r\nAccept: application/json",
                app.token
            ),
            b"",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("content-type"), Some(JSON_CT));
    assert_eq!(unchanged(r.body), original["data"]["skus"]);
    // An empty body with Content-Length: 0, and `{}`.
    let r = app.vendor_raw("PATCH", &format!("/service/{service}"), None, "").await;
    assert_eq!(unchanged(r.ok(200)), original["data"]["skus"]);
    let r = app
        .vendor_raw("PATCH", &format!("/service/{service}"), Some("application/json"), "{}")
        .await;
    assert_eq!(unchanged(r.ok(200)), original["data"]["skus"]);
    // The Python client's form.
    let r = app
        .vendor_raw(
            "PATCH",
            &format!("/service/{service}"),
            Some("application/x-www-form-urlencoded"),
            "name=Endpoint+Protection+Pro&description=Per+device%2C+monthly&category=security",
        )
        .await
        .ok(200);
    let sku = &r["data"]["skus"][0];
    assert_eq!(r["data"]["skus"].as_array().unwrap().len(), 1);
    assert_eq!(sku["id"], service);
    assert_eq!(sku["name"], "Endpoint Protection Pro");
    assert_eq!(sku["description"], "Per device, monthly");
    assert_eq!(sku["subcategory"], EDR_CATEGORY.1);
    let vendor = app.vendor("GET", "", None).await.ok(200);
    assert_eq!(vendor["data"]["skus"][0]["name"], "Endpoint Protection Pro");
}

#[tokio::test]
async fn patch_status_takes_no_body_an_empty_object_or_anything() {
    let mut app = spawn().await;
    app.reconnect().await;
    let check = |r: RawReply, status: &str| {
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.header("content-type"), Some(JSON_CT));
        assert_eq!(r.body["status"], 200);
        assert_eq!(r.body["message"], "Success - Updated Integration Status");
        assert_eq!(r.body["data"]["status"], status);
        assert_eq!(r.body["data"]["integrationId"], INTEGRATION);
    };
    let head = |status: &str, extra: &str| {
        format!(
            "PATCH /api/vendor-api/organization/status/{status} HTTP/1.1\r\nGRADIENT-TOKEN: {}{extra}",
            app.token
        )
    };
    // The SDK and CIPP: no body, no Content-Type.
    check(app.raw_http(&head("pending", ""), b"").await, "pending");
    // The Python client: `{}`.
    check(
        app.raw_http(
            &head("active", "\r\nContent-Type: application/json\r\nContent-Length: 2"),
            b"{}",
        )
        .await,
        "active",
    );
    // Anything the body parser does not read: here without a content type.
    check(
        app.raw_http(
            &head("inactive", "\r\nContent-Type: text/plain\r\nContent-Length: 9"),
            b"<<junk>>!",
        )
        .await,
        "inactive",
    );
    check(
        app.raw_http(&head("pending", "\r\nContent-Length: 5"), b"hello").await,
        "pending",
    );
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["status"], "pending");
}

#[tokio::test]
async fn no_build_takes_the_powershell_spelling() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    for (flag, n) in [("True", 1), ("TRUE", 2), ("False", 3), ("0", 4), ("1", 5), ("", 6)] {
        app.vendor(
            "POST",
            &format!("/service/{service}/count?no_build={flag}"),
            Some(json!({"accountId": "acme-1", "unitCount": n})),
        )
        .await
        .ok(201);
    }
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 6.0);
}

#[tokio::test]
async fn numeric_ids_are_stored_as_strings_with_a_lint() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let created = app
        .vendor(
            "POST",
            "/organization/accounts",
            Some(json!([{"id": 1002, "name": "Bluebird Dental Group", "description": ""}, {"id": 1003.0, "name": "Numeric Float"}])),
        )
        .await
        .ok(201);
    assert_eq!(ids(&created), vec!["1002", "1003"]);
    let post = last_call(&app, "POST", "/organization/accounts").await;
    assert_eq!(lint_codes(&post), vec!["numeric_id", "numeric_id"]);
    assert_eq!(
        post["lints"][0]["message"],
        "`0.id` was sent as the number 1002; stored as the string \"1002\""
    );
    let listed = app
        .vendor("GET", "/organization/accounts?accountIds=1002", None)
        .await
        .ok(200);
    assert_eq!(listed[0]["id"], "1002");
    assert_eq!(listed[0]["isMapped"], false);
    // A string and a number name the same account everywhere.
    app.map_account("1002", "Bluebird Dental Group").await;
    app.vendor(
        "POST",
        &format!("/service/{service}/count"),
        Some(json!({"accountId": 1002, "unitCount": 21})),
    )
    .await
    .ok(201);
    let count = last_call(&app, "POST", "/service/{serviceId}/count").await;
    assert_eq!(lint_codes(&count), vec!["numeric_id"]);
    assert_eq!(
        count["lints"][0]["message"],
        "`accountId` was sent as the number 1002; stored as the string \"1002\""
    );
    let b = app.rebuild().await;
    assert_eq!(
        card_for(&b, "Bluebird Dental Group", "SEC-EDR").unwrap()["vendorQuantity"],
        21.0
    );
    app.vendor(
        "PATCH",
        "/organization/accounts/1002",
        Some(json!({"description": "dental"})),
    )
    .await
    .ok(200);
    // A string id carries no lint.
    app.count(&service, "1002", 22.0).await.ok(201);
    let count = last_call(&app, "POST", "/service/{serviceId}/count").await;
    assert_eq!(lint_codes(&count), Vec::<&str>::new());
}

#[tokio::test]
async fn skus_and_the_vendor_carry_equal_id_and_underscore_id() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let created = app
        .vendor(
            "POST",
            "/service",
            Some(json!({"name": "Mail Shield", "description": "per mailbox", "category": "security", "subcategory": "email security"})),
        )
        .await
        .ok(201);
    let vendor = app.vendor("GET", "", None).await.ok(200);
    let one = app.vendor("GET", &format!("/service/{service}"), None).await.ok(200);
    for data in [&created, &vendor["data"], &one["data"]] {
        assert_eq!(data["_id"], "65a0c0ffee0000000000d3e0");
        assert_eq!(data["id"], data["_id"]);
        for sku in data["skus"].as_array().unwrap() {
            assert!(sku["id"].is_string());
            assert_eq!(sku["_id"], sku["id"]);
        }
    }
    assert_eq!(vendor["data"]["skus"].as_array().unwrap().len(), 2);
    assert_eq!(one["data"]["skus"].as_array().unwrap().len(), 1);
    assert_eq!(one["data"]["skus"][0]["id"], service);
    // The PowerShell helper maps name -> _id; counts sent to that id land.
    let by_underscore = vendor["data"]["skus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Endpoint Protection")
        .unwrap()["_id"]
        .as_str()
        .unwrap()
        .to_string();
    app.count(&by_underscore, "acme-1", 9.0).await.ok(201);
    let clients = app.vendor("GET", "/organization/clients", None).await.ok(200);
    for c in clients["clients"].as_array().unwrap() {
        assert_eq!(c["_id"], c["id"]);
    }
}

#[tokio::test]
async fn every_answer_is_json() {
    let mut app = spawn_with(|c| c.rate_limit = 40).await;
    let service = app.mapped_setup().await;
    let mut seen = std::collections::BTreeSet::new();
    let calls: Vec<(&str, String, Option<Value>, Option<&str>)> = vec![
        ("GET", "/api/vendor-api".into(), None, Some("t")),
        (
            "PATCH",
            "/api/vendor-api".into(),
            Some(json!({"name": "Pelican"})),
            Some("t"),
        ),
        (
            "POST",
            "/api/vendor-api/service".into(),
            Some(json!({"name": "X", "description": "d", "category": "other", "subcategory": "other"})),
            Some("t"),
        ),
        ("GET", format!("/api/vendor-api/service/{service}"), None, Some("t")),
        (
            "POST",
            format!("/api/vendor-api/service/{service}/count"),
            Some(json!({"accountId": "acme-1", "unitCount": 1})),
            Some("t"),
        ),
        ("GET", "/api/vendor-api/organization".into(), None, Some("t")),
        ("GET", "/api/vendor-api/organization/clients".into(), None, Some("t")),
        ("GET", "/api/vendor-api/organization/accounts".into(), None, Some("t")),
        (
            "POST",
            "/api/vendor-api/alerting/acme-1".into(),
            Some(json!({"title": "t", "description": "d", "alertId": "a", "priority": 1, "status": 1})),
            Some("t"),
        ),
        (
            "POST",
            "/api/vendor-api/organization/accounts".into(),
            Some(json!({"id": "acme-1", "name": "dup"})),
            Some("t"),
        ),
        (
            "POST",
            format!("/api/vendor-api/service/{service}/count"),
            Some(json!({})),
            Some("t"),
        ),
        ("GET", "/api/vendor-api/service/1002".into(), None, Some("t")),
        ("GET", "/api/vendor-api/organization".into(), None, None),
        ("GET", "/api/vendor-api/nope".into(), None, None),
        ("DELETE", "/api/vendor-api".into(), None, Some("t")),
        ("OPTIONS", "/api/vendor-api/organization".into(), None, None),
        ("PUT", "/api/vendor-api/service".into(), None, Some("t")),
        ("GET", "/vendor-api/organization".into(), None, Some("t")),
        ("GET", "/api/nope".into(), None, None),
    ];
    for (method, path, body, token) in calls {
        let mut rb = app
            .client
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), app.url(&path));
        if token.is_some() {
            rb = rb.header("GRADIENT-TOKEN", &app.token);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = app.send(rb).await;
        assert_eq!(r.content_type, JSON_CT, "{method} {path} ({})", r.status);
        assert!(!r.body.is_null(), "{method} {path}: {}", r.text);
        seen.insert(r.status);
    }
    // The body limit's answer is JSON.
    let big = app
        .vendor_raw(
            "POST",
            "/organization/accounts",
            Some("application/json"),
            &format!(r#"{{"id":"big","name":"{}"}}"#, "x".repeat(1024 * 1024)),
        )
        .await;
    assert_eq!((big.status, big.content_type.as_str()), (413, JSON_CT));
    seen.insert(big.status);
    // The limiter's own answer is JSON too.
    let mut limited = None;
    for _ in 0..100 {
        let r = app.vendor("GET", "/organization", None).await;
        if r.status == 429 {
            limited = Some(r);
            break;
        }
    }
    let limited = limited.expect("40 a second is reached within 100 calls");
    assert_eq!(limited.content_type, JSON_CT);
    seen.insert(limited.status);
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        vec![200, 201, 400, 401, 404, 409, 413, 429]
    );
}

#[tokio::test]
async fn explicit_nulls_count_as_absent() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.vendor(
        "POST",
        &format!("/service/{service}/count"),
        Some(json!({"clientOId": null, "accountId": "acme-1", "unitCount": 12})),
    )
    .await
    .ok(201);
    let count = last_call(&app, "POST", "/service/{serviceId}/count").await;
    assert_eq!(
        lint_codes(&count),
        Vec::<&str>::new(),
        "a null clientOId is not a deprecated one"
    );
    let alert = app
        .vendor(
            "POST",
            "/alerting/acme-1",
            Some(json!({"title": "Disk full", "description": "C: at 99%", "alertId": "a-9", "priority": 2, "status": 1, "dueDateTime": null, "serviceId": null})),
        )
        .await
        .ok(201);
    assert_eq!(alert["alertId"], "a-9");
    let created = app
        .vendor(
            "POST",
            "/organization/accounts",
            Some(json!([{"id": "null-desc", "name": "Null Desc", "description": null, "isArrears": null}])),
        )
        .await
        .ok(201);
    assert_eq!(created[0]["description"], "");
    let patched = app
        .vendor(
            "PATCH",
            "/organization/accounts/acme-1",
            Some(json!({"id": null, "name": null, "description": "kept name"})),
        )
        .await
        .ok(200);
    assert_eq!(patched["id"], "acme-1");
    assert_eq!(patched["name"], "Acme Corp");
    assert_eq!(patched["description"], "kept name");
    // The alert becomes a ticket.
    let done = app.alert_outcome(alert["messageId"].as_str().unwrap()).await;
    assert_eq!(done["status"], "success", "{done}");
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 12.0);
}

#[tokio::test]
async fn empty_descriptions_are_kept() {
    let mut app = spawn().await;
    app.reconnect().await;
    let created = app
        .create_accounts(json!([{"id": "e-1", "name": "Empty", "description": ""}]))
        .await;
    assert_eq!(created[0]["description"], "");
    app.vendor(
        "PATCH",
        "/organization/accounts/e-1",
        Some(json!({"description": "something"})),
    )
    .await
    .ok(200);
    let cleared = app
        .vendor("PATCH", "/organization/accounts/e-1", Some(json!({"description": ""})))
        .await
        .ok(200);
    assert_eq!(cleared["description"], "");
    let svc = app
        .vendor(
            "POST",
            "/organization/services",
            Some(json!([{"id": "s-1", "name": "S", "description": ""}])),
        )
        .await
        .ok(201);
    assert_eq!(svc[0]["description"], "");
    // PATCH of the vendor may clear a text field.
    let v = app
        .vendor("PATCH", "", Some(json!({"vendorSupportPageUrl": ""})))
        .await
        .ok(200);
    assert_eq!(v["data"]["vendorSupportPageUrl"], "");
    assert_eq!(v["message"], "Success - Updated Vendor");
}

#[tokio::test]
async fn fractional_unit_counts_are_kept_exactly() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 12.5).await.ok(201);
    // The SDK's byte conversion: 1024 bytes in MB.
    app.vendor(
        "POST",
        &format!("/service/{service}/count"),
        Some(json!({"accountId": "cedar-1", "unitCount": 0.0009765625})),
    )
    .await
    .ok(201);
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 12.5);
    assert_eq!(
        card_for(&b, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["vendorQuantity"],
        0.0009765625
    );
    // Zero is a count, and an exponent is a number.
    app.vendor(
        "POST",
        &format!("/service/{service}/count"),
        Some(json!({"accountId": "acme-1", "unitCount": 0})),
    )
    .await
    .ok(201);
    app.vendor_raw(
        "POST",
        &format!("/service/{service}/count"),
        Some("application/json"),
        r#"{"accountId":"cedar-1","unitCount":2.5e1}"#,
    )
    .await
    .ok(201);
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 0.0);
    assert_eq!(
        card_for(&b, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["vendorQuantity"],
        25.0
    );
}

#[tokio::test]
async fn both_base_url_styles_reach_the_same_routes() {
    let app = spawn().await;
    let get = |url: String| {
        let app = &app;
        async move { app.send(app.client.get(url).header("GRADIENT-TOKEN", &app.token)).await }
    };
    // PowerShell SDK: BaseUrl "http://host:port", it adds "/api/vendor-api/...".
    let ps = get(format!("{}{}", app.base, "/api/vendor-api/organization")).await;
    // Python and Go: BaseUrl "http://host:port/api" (Go trims a trailing "/"), adding "/vendor-api/...".
    for base in [format!("{}/api", app.base), format!("{}/api/", app.base)] {
        let joined = format!("{}{}", base.trim_end_matches('/'), "/vendor-api/organization");
        let r = get(joined).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, ps.body);
    }
    assert_eq!(ps.status, 200);
    // A client given the bare host that adds only "/vendor-api" fails loudly, in JSON.
    let wrong = get(format!("{}/vendor-api/organization", app.base)).await;
    assert_eq!(wrong.status, 404);
    assert_eq!(wrong.content_type, JSON_CT);
    assert_eq!(
        wrong.body,
        json!({"statusCode": 404, "message": "Cannot GET /vendor-api/organization", "error": "Not Found"})
    );
}

#[tokio::test]
async fn path_ids_keep_a_plus_and_decode_percent_escapes() {
    let mut app = spawn().await;
    app.reconnect().await;
    app.create_accounts(json!([
        {"id": "a+b", "name": "Plus"},
        {"id": "x/y", "name": "Slash"},
        {"id": "c d", "name": "Space"},
        {"id": "50%", "name": "Percent"},
        {"id": "contoso.onmicrosoft.com", "name": "Contoso"}
    ]))
    .await;
    let patch = |path: &str, name: &str| {
        let (app, path, body) = (&app, path.to_string(), json!({"description": name}));
        async move {
            app.vendor("PATCH", &format!("/organization/accounts/{path}"), Some(body))
                .await
        }
    };
    let cases = [
        ("a+b", "a+b"),
        ("a%2Bb", "a+b"),
        ("x%2Fy", "x/y"),
        ("x%2fy", "x/y"), // .NET's HttpUtility.UrlEncode writes lowercase escapes
        ("c%20d", "c d"),
        ("50%25", "50%"),
        ("contoso.onmicrosoft.com", "contoso.onmicrosoft.com"),
    ];
    for (path, id) in cases {
        let r = patch(path, path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text);
        assert_eq!(r.body["id"], id, "{path}");
        assert_eq!(r.body["description"], path);
    }
    // The SDK encodes a space as "+": production (Express) keeps the "+", so no account matches.
    let r = patch("c+d", "x").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body,
        json!({"statusCode": 404, "message": "No account found with id: c+d", "error": "Not Found"})
    );
    // The same bytes written raw.
    let r = app
        .raw_http(
            &format!(
                "PATCH /api/vendor-api/organization/accounts/x%2Fy HTTP/1.1\r\nGRADIENT-TOKEN: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10",
                app.token
            ),
            b"name=Slash",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["id"], "x/y");
    // Alerts take the same ids in their path.
    let alert = app
        .vendor(
            "POST",
            "/alerting/x%2Fy",
            Some(json!({"title": "t", "description": "d", "alertId": "a-1", "priority": 1, "status": 1})),
        )
        .await
        .ok(201);
    let alerts = app.sim("GET", "/alerts", None).await.ok(200);
    let stored = serde_json::to_string(&alerts).unwrap();
    assert!(stored.contains(alert["messageId"].as_str().unwrap()));
    assert!(stored.contains(r#""x/y""#), "{stored}");
}

#[tokio::test]
async fn post_service_answers_bare_vendor_data_with_the_new_sku() {
    let mut app = spawn().await;
    app.reconnect().await;
    let body = json!({"name": "M365 Backup", "description": "per user", "category": "backup", "subcategory": "cloud backup", "supportArticle": "https://meetgradient.com", "supportContact": "support@example.com"});
    let created = app.vendor("POST", "/service", Some(body.clone())).await;
    assert_eq!(created.content_type, JSON_CT);
    let created = created.ok(201);
    // CIPP: (response).skus | Where name -eq ... | .id
    assert!(created.get("data").is_none() && created.get("status").is_none());
    let skus = created["skus"].as_array().unwrap();
    let sku = skus.iter().find(|s| s["name"] == "M365 Backup").unwrap();
    assert_eq!(sku["description"], "per user");
    assert_eq!(sku["category"], "backup");
    assert_eq!(sku["subcategory"], "cloud backup");
    assert_eq!(sku["supportArticle"], "https://meetgradient.com");
    assert_eq!(sku["supportContact"], "support@example.com");
    assert_eq!(sku["id"].as_str().unwrap().len(), 24);
    // A second service of the same name is created (clients de-duplicate), with a lint.
    let again = app.vendor("POST", "/service", Some(body)).await.ok(201);
    let same: Vec<_> = again["skus"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "M365 Backup")
        .collect();
    assert_eq!(same.len(), 2);
    assert_ne!(same[0]["id"], same[1]["id"]);
    let entry = last_call(&app, "POST", "/service").await;
    assert_eq!(lint_codes(&entry), vec!["duplicate_service_name"]);
}

#[tokio::test]
async fn deprecated_client_o_id_counts_for_the_mapped_account() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let clients = app
        .vendor("GET", "/organization/clients?search=acme", None)
        .await
        .ok(200);
    assert_eq!(clients["clients"].as_array().unwrap().len(), 1);
    let acme = clients["clients"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        lint_codes(&last_call(&app, "GET", "/organization/clients").await),
        vec!["deprecated_clients_route"]
    );
    app.vendor(
        "POST",
        &format!("/service/{service}/count"),
        Some(json!({"clientOId": acme, "unitCount": 33})),
    )
    .await
    .ok(201);
    let entry = last_call(&app, "POST", "/service/{serviceId}/count").await;
    assert_eq!(lint_codes(&entry), vec!["deprecated_client_o_id"]);
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 33.0);
    // accountId wins when both are sent.
    app.vendor(
        "POST",
        &format!("/service/{service}/count"),
        Some(json!({"clientOId": acme, "accountId": "cedar-1", "unitCount": 4})),
    )
    .await
    .ok(201);
    let b = app.rebuild().await;
    assert_eq!(card_for(&b, "Acme Corp", "SEC-EDR").unwrap()["vendorQuantity"], 33.0);
    assert_eq!(
        card_for(&b, "Cedar Ridge Law, LLP", "SEC-EDR").unwrap()["vendorQuantity"],
        4.0
    );
    // A PSA client with no mapped account is refused.
    let bluebird = app
        .vendor("GET", "/organization/clients?search=BLUEBIRD", None)
        .await
        .ok(200)["clients"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .vendor(
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"clientOId": bluebird, "unitCount": 1})),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], format!("No account map found with id: {bluebird}"));
}

#[tokio::test]
async fn get_clients_pages_by_fifty_and_searches_without_case() {
    let seed = many_companies_seed(60);
    let app = spawn_with(|c| c.seed = Some(seed.path().to_path_buf())).await;
    let first = app.vendor("GET", "/organization/clients", None).await.ok(200);
    assert_eq!(first["meta"], json!({"total": 70, "pageSize": 50, "hasMore": true}));
    let page1 = first["clients"].as_array().unwrap();
    assert_eq!(page1.len(), 50);
    for c in page1 {
        let keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["_id", "id", "name"]);
    }
    let last = page1[49]["id"].as_str().unwrap();
    let second = app
        .vendor("GET", &format!("/organization/clients?previousId={last}"), None)
        .await
        .ok(200);
    assert_eq!(second["meta"], json!({"total": 70, "pageSize": 50, "hasMore": false}));
    let page2 = second["clients"].as_array().unwrap();
    assert_eq!(page2.len(), 20);
    let mut names: Vec<&str> = page1.iter().chain(page2).map(|c| c["name"].as_str().unwrap()).collect();
    let in_order = names.clone();
    names.sort();
    assert_eq!(in_order, names, "pages follow one order");
    names.dedup();
    assert_eq!(names.len(), 70);
    // The traps: a prospect and a company whose only agreement is cancelled.
    assert!(!names.contains(&"Kestrel Ventures"));
    assert!(!names.contains(&"Lakeside Bakery"));
    assert!(names.contains(&"Acme Corp") && names.contains(&"Zulu Client 059"));
    // Search: a case-insensitive substring, paged the same way.
    let zulu = app
        .vendor("GET", "/organization/clients?search=ZULU%20client%2000", None)
        .await
        .ok(200);
    assert_eq!(zulu["meta"], json!({"total": 10, "pageSize": 50, "hasMore": false}));
    assert_eq!(zulu["clients"][0]["name"], "Zulu Client 000");
    let all_zulu = app
        .vendor("GET", "/organization/clients?search=zulu", None)
        .await
        .ok(200);
    assert_eq!(all_zulu["meta"], json!({"total": 60, "pageSize": 50, "hasMore": true}));
    for trap in ["kestrel", "Lakeside", "BAKERY"] {
        let r = app
            .vendor("GET", &format!("/organization/clients?search={trap}"), None)
            .await
            .ok(200);
        assert_eq!(
            r,
            json!({"meta": {"total": 0, "pageSize": 50, "hasMore": false}, "clients": []}),
            "{trap}"
        );
    }
    let law = app
        .vendor("GET", "/organization/clients?search=law", None)
        .await
        .ok(200);
    assert_eq!(law["clients"][0]["name"], "Cedar Ridge Law, LLP");
    assert_eq!(law["meta"]["total"], 1);
}

#[tokio::test]
async fn get_accounts_filters_by_ids_and_mapping() {
    let mut app = spawn().await;
    app.mapped_setup().await;
    app.create_accounts(json!([{"id": "dune-1", "name": "Dune Holdings"}, {"id": "elm-1", "name": "Elm"}]))
        .await;
    let get = |q: &str| {
        let (app, q) = (&app, q.to_string());
        async move {
            app.vendor("GET", &format!("/organization/accounts{q}"), None)
                .await
                .ok(200)
        }
    };
    let all = get("").await;
    assert_eq!(ids(&all), vec!["acme-1", "cedar-1", "dune-1", "elm-1"]);
    for q in [
        "?accountIds=acme-1,dune-1",
        "?accountIds=acme-1&accountIds=dune-1",
        "?accountIds=acme-1,%20dune-1",
        "?accountIds=dune-1,acme-1,ghost",
    ] {
        assert_eq!(ids(&get(q).await), vec!["acme-1", "dune-1"], "{q}");
    }
    let mapped = get("?returnUnmapped=false").await;
    assert_eq!(ids(&mapped), vec!["acme-1", "cedar-1"]);
    assert!(mapped
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["isMapped"] == true && a["mappingId"].is_string()));
    assert_eq!(ids(&get("?returnUnmapped=False").await), vec!["acme-1", "cedar-1"]);
    assert_eq!(ids(&get("?returnUnmapped=true").await).len(), 4);
    assert_eq!(
        ids(&get("?accountIds=acme-1,dune-1&returnUnmapped=false").await),
        vec!["acme-1"]
    );
    assert_eq!(get("?accountIds=ghost").await, json!([]));
    let dune = &get("?accountIds=dune-1").await[0];
    assert_eq!(
        dune,
        &json!({"id": "dune-1", "name": "Dune Holdings", "description": "", "isMapped": false, "mappingId": null})
    );
}

#[tokio::test]
async fn a_utf8_byte_order_mark_is_skipped() {
    // A JSON file saved by Windows tools starts with a BOM; body-parser's decoder drops it.
    let mut app = spawn().await;
    app.reconnect().await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend_from_slice(br#"[{"id":"bom-1","name":"Bom"}]"#);
    let r = app
        .send(
            app.client
                .post(app.url("/api/vendor-api/organization/accounts"))
                .header("GRADIENT-TOKEN", &app.token)
                .header("content-type", "application/json; charset=utf-8")
                .body(body),
        )
        .await;
    assert_eq!(r.ok(201)[0]["id"], "bom-1");
}

#[tokio::test]
async fn one_trailing_slash_is_optional_as_in_express() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    let org = app.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(app.vendor("GET", "/organization/", None).await.ok(200), org);
    let vendor = app.vendor("GET", "", None).await.ok(200);
    assert_eq!(app.vendor("GET", "/", None).await.ok(200), vendor);
    let accounts = app
        .vendor("GET", "/organization/accounts/?returnUnmapped=false", None)
        .await
        .ok(200);
    assert_eq!(ids(&accounts), vec!["acme-1", "cedar-1"]);
    app.vendor(
        "POST",
        &format!("/service/{service}/count/?no_build=true"),
        Some(json!({"accountId": "acme-1", "unitCount": 5})),
    )
    .await
    .ok(201);
    let r = app
        .vendor("PATCH", "/organization/accounts/x%2Fy/", Some(json!({"name": "n"})))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["message"], "No account found with id: x/y");
    // The journal keeps the path as sent, and the route it reached.
    let entry = last_call(&app, "POST", "/service/{serviceId}/count").await;
    assert_eq!(entry["path"], format!("/api/vendor-api/service/{service}/count/"));
    assert_eq!(entry["query"], "no_build=true");
}
