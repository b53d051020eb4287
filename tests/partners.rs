//! Isolated partners (`POST /sim/partners`): each partner's token sees only its own partner's
//! accounts, services, mappings and counts, and answers another partner's ids exactly as
//! production answers ids it does not know; `/sim` reads are scoped by `partnerId` or
//! `X-Sim-Partner`; several partners run whole flows at once without seeing each other.

mod common;
use common::*;
use serde_json::{json, Value};

/// One created partner, driven as a test outside the project would drive it.
#[derive(Clone)]
struct Partner {
    base: String,
    client: reqwest::Client,
    id: String,
    integration: String,
    token: String,
}

impl Partner {
    async fn create(app: &TestApp, body: Value) -> Partner {
        let made = app.sim("POST", "/partners", Some(body)).await.ok(201);
        Partner {
            base: app.base.clone(),
            client: app.client.clone(),
            id: made["partnerId"].as_str().unwrap().to_string(),
            integration: made["integrationId"].as_str().unwrap().to_string(),
            token: made["gradientToken"].as_str().unwrap().to_string(),
        }
    }

    /// The test harness's client, with this partner's token.
    fn app(&self) -> TestApp {
        TestApp {
            base: self.base.clone(),
            client: self.client.clone(),
            token: self.token.clone(),
        }
    }

    /// A partner-wide `/sim` call for this partner (by query string).
    async fn sim(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.app()
            .sim(method, &format!("{path}{sep}partnerId={}", self.id), body)
            .await
    }

    /// A `/sim` call on this partner's integration.
    async fn on_integration(&self, method: &str, suffix: &str, body: Option<Value>) -> Reply {
        self.sim(method, &format!("/integrations/{}{suffix}", self.integration), body)
            .await
    }

    async fn vendor(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.app().vendor(method, path, body).await
    }

    async fn mappings(&self) -> Value {
        self.on_integration("GET", "/mappings", None).await.ok(200)
    }

    /// The whole flow a vendor's CI runs: the integration creates its service and accounts and
    /// asks to be mapped; the partner maps them (Acme Corp by name, `second` by hand) and
    /// finishes; the integration sends a count per account; the billing view is rebuilt.
    async fn flow(&self, service_name: &str, accounts: &[(&str, &str, f64)]) -> Value {
        let created = self
            .vendor(
                "POST",
                "/service",
                Some(json!({"name": service_name, "description": "per device",
                    "category": EDR_CATEGORY.0, "subcategory": EDR_CATEGORY.1})),
            )
            .await;
        // Vendor-level services are the vendor's, shared by its partners, as in production: a
        // flow that finds it made already reuses it.
        let skus = if created.status == 201 {
            created.body["skus"].clone()
        } else {
            self.vendor("GET", "", None).await.ok(200)["data"]["skus"].clone()
        };
        let service = skus
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == service_name)
            .unwrap_or_else(|| panic!("no service {service_name}: {}", created.text))["id"]
            .as_str()
            .unwrap()
            .to_string();
        let list: Vec<Value> = accounts
            .iter()
            .map(|(id, name, _)| json!({"id": id, "name": name, "description": ""}))
            .collect();
        self.vendor("POST", "/organization/accounts", Some(json!(list)))
            .await
            .ok(201);
        self.vendor("PATCH", "/organization/status/pending", None).await.ok(200);
        self.on_integration("POST", "/step", Some(json!({"step": "account_mapping"})))
            .await
            .ok(200);
        let m = self.mappings().await;
        for (id, name, _) in accounts {
            let company = m["psaAccounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"].as_str().unwrap().starts_with(&name[..4]))
                .unwrap()["id"]
                .clone();
            self.on_integration(
                "PUT",
                &format!("/mappings/accounts/{id}"),
                Some(json!({"psaAccountId": company})),
            )
            .await
            .ok(200);
        }
        self.on_integration("POST", "/step", Some(json!({"step": "service_mapping"})))
            .await
            .ok(200);
        let edr = m["psaProducts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["productCode"] == "SEC-EDR")
            .unwrap()["id"]
            .clone();
        self.on_integration(
            "PUT",
            &format!("/mappings/services/{service}"),
            Some(json!({"psaProductIds": [edr]})),
        )
        .await
        .ok(200);
        self.on_integration("POST", "/step", Some(json!({"step": "review"})))
            .await
            .ok(200);
        self.on_integration("POST", "/finish", None).await.ok(200);
        for (id, _, n) in accounts {
            self.vendor(
                "POST",
                &format!("/service/{service}/count"),
                Some(json!({"accountId": id, "unitCount": n})),
            )
            .await
            .ok(201);
        }
        self.sim("POST", "/billing/rebuild", None).await.ok(200)
    }
}

fn edr_quantities(billing: &Value) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = billing["cards"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["productCode"] == "SEC-EDR" && c["vendorQuantity"].is_number())
        .map(|c| {
            (
                c["accountName"].as_str().unwrap().to_string(),
                c["vendorQuantity"].as_f64().unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_new_partner_has_its_own_psa_integration_and_keys() {
    let app = spawn().await;
    let before = app.snapshot().await;
    let made = app.sim("POST", "/partners", None).await.ok(201);
    for key in [
        "partnerId",
        "integrationId",
        "vendorApiKey",
        "partnerApiKey",
        "gradientToken",
    ] {
        assert!(made[key].is_string(), "{key} missing: {made}");
    }
    // A vendor's key is the vendor's own, for every partner; the partner key is new.
    assert_eq!(made["vendorApiKey"], VENDOR_KEY);
    assert_ne!(made["partnerApiKey"], KICKOFF_PARTNER_KEY);
    assert_eq!(
        made["gradientToken"],
        token_for(VENDOR_KEY, made["partnerApiKey"].as_str().unwrap())
    );
    assert_eq!(made["name"], "Flamingo Demo MSP 2");
    assert_eq!(made["psa"], "ConnectWise PSA");

    let list = app.sim("GET", "/partners", None).await.ok(200);
    let partners = list["partners"].as_array().unwrap();
    assert_eq!(partners.len(), 2);
    assert_eq!(partners[0]["isDefault"], true);
    assert_eq!(partners[1]["id"], made["partnerId"]);
    assert_eq!(partners[1]["integrationIds"], json!([made["integrationId"]]));

    let b = Partner {
        base: app.base.clone(),
        client: app.client.clone(),
        id: made["partnerId"].as_str().unwrap().to_string(),
        integration: made["integrationId"].as_str().unwrap().to_string(),
        token: made["gradientToken"].as_str().unwrap().to_string(),
    };
    // The token works at once, and names the new partner.
    let org = b.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(org["organizationId"], made["partnerId"]);
    assert_eq!(org["name"], "Flamingo Demo MSP 2");
    // Connected with a generated key: the partner's first steps are done.
    let card = b.on_integration("GET", "", None).await.ok(200);
    assert_eq!(card["state"], "setup");
    assert_eq!(card["status"], "inactive");
    assert_eq!(card["partnerId"], made["partnerId"]);
    assert!(card["tokenFirstUsedAt"].is_string());

    // The same PSA as the seed's, under ids of its own.
    let seeded_psa = app.sim("GET", "/psa", None).await.ok(200);
    let own_psa = b.sim("GET", "/psa", None).await.ok(200);
    let names = |p: &Value| -> Vec<String> {
        p["companies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&seeded_psa), names(&own_psa));
    for key in ["companies", "products", "boards"] {
        let (a, b) = (ids(&seeded_psa, key), ids(&own_psa, key));
        assert_eq!(a.len(), b.len());
        assert!(a.iter().all(|id| !b.contains(id)), "{key} ids are shared");
    }
    let billing = b.sim("GET", "/billing", None).await.ok(200);
    assert!(!billing["cards"].as_array().unwrap().is_empty());
    assert!(billing["builtAt"].is_string());

    // The seeded partner, named or not, is as it was.
    assert_eq!(app.snapshot().await, before);
    let integrations = app.sim("GET", "/integrations", None).await.ok(200);
    assert_eq!(integrations.as_array().unwrap().len(), 1);
    assert_eq!(integrations[0]["id"], INTEGRATION);
    let mine = b.sim("GET", "/integrations", None).await.ok(200);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], made["integrationId"]);
}

#[tokio::test]
async fn one_partners_token_can_neither_read_nor_change_anothers_accounts_counts_or_mappings() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await; // the seeded partner: acme-1, cedar-1 mapped
    app.count(&service, "acme-1", 40.0).await.ok(201);
    let b = Partner::create(&app, json!({"name": "Other MSP"})).await;
    let a_before = app.snapshot().await;
    let a_billing = edr_quantities(&app.rebuild().await);
    assert_eq!(a_billing, vec![("Acme Corp".to_string(), 40.0)]);

    // Reading: B's token lists none of A's accounts, and answers A's ids as production
    // answers ids it does not know.
    let accounts = b.vendor("GET", "/organization/accounts", None).await.ok(200);
    assert_eq!(accounts, json!([]));
    let foreign = b
        .vendor(
            "PATCH",
            "/organization/accounts/acme-1",
            Some(json!({"name": "Hijacked"})),
        )
        .await;
    let unknown = b
        .vendor(
            "PATCH",
            "/organization/accounts/never-made",
            Some(json!({"name": "Hijacked"})),
        )
        .await;
    assert_eq!(foreign.status, 404);
    assert_eq!(
        foreign.body,
        json!({"statusCode": 404, "message": "No account found with id: acme-1", "error": "Not Found"})
    );
    assert_eq!(unknown.body["message"], "No account found with id: never-made");

    // Counting: A's mapped account and service are not B's.
    let count = b
        .vendor(
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"accountId": "acme-1", "unitCount": 999})),
        )
        .await;
    assert_eq!(count.status, 404, "{}", count.text);
    let never = b
        .vendor(
            "POST",
            &format!("/service/{service}/count"),
            Some(json!({"accountId": "never-made", "unitCount": 999})),
        )
        .await;
    assert_eq!(
        (count.status, count.body["error"].clone()),
        (never.status, never.body["error"].clone())
    );

    // Get Clients: B's PSA only.
    let clients = b.vendor("GET", "/organization/clients", None).await.ok(200);
    let a_companies = ids(&app.sim("GET", "/psa", None).await.ok(200), "companies");
    for c in clients["clients"].as_array().unwrap() {
        assert!(!a_companies.contains(&c["id"].as_str().unwrap().to_string()));
    }

    // B makes an account with the same id: its own, A's keeps its name.
    b.vendor(
        "POST",
        "/organization/accounts",
        Some(json!([{"id": "acme-1", "name": "Acme at B", "description": ""}])),
    )
    .await
    .ok(201);
    // Mapping B's account to A's PSA company is refused: that company is not in B's PSA.
    let a_acme = app.psa_account_id("Acme Corp").await;
    b.vendor("PATCH", "/organization/status/pending", None).await.ok(200);
    b.on_integration("POST", "/step", Some(json!({"step": "account_mapping"})))
        .await
        .ok(200);
    let crossed = b
        .on_integration(
            "PUT",
            "/mappings/accounts/acme-1",
            Some(json!({"psaAccountId": a_acme})),
        )
        .await;
    assert_eq!(crossed.status, 404);
    assert_eq!(
        crossed.body["message"],
        format!("No PSA account found with id: {a_acme}")
    );
    // B's mappings show B's account only, mapped (auto, by name? "Acme at B" is no PSA name).
    let m = b.mappings().await;
    assert_eq!(m["accounts"].as_array().unwrap().len(), 1);
    assert!(m["accounts"][0]["psaAccountId"].is_null());
    assert!(!m["psaAccounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == a_acme.as_str()));

    // A's token is as blind to B.
    let a_sees = app.vendor("GET", "/organization/accounts", None).await.ok(200);
    assert!(!a_sees.text_contains("Acme at B"));
    // And nothing of A's changed.
    assert_eq!(app.snapshot().await, a_before);
    assert_eq!(edr_quantities(&app.rebuild().await), a_billing);
}

trait TextContains {
    fn text_contains(&self, s: &str) -> bool;
}

impl TextContains for Value {
    fn text_contains(&self, s: &str) -> bool {
        self.to_string().contains(s)
    }
}

#[tokio::test]
async fn a_partner_key_works_only_with_its_own_vendors_key() {
    let seed = two_vendor_seed();
    let path = seed.path().to_path_buf();
    let app = spawn_with(|c| c.seed = Some(path)).await;
    let osprey = Partner::create(&app, json!({"vendorId": "65a0c0ffee0000000000d3e1"})).await;
    let made: Value = app.sim("GET", "/partners", None).await.ok(200);
    assert_eq!(made["partners"][1]["integrationIds"].as_array().unwrap().len(), 2);
    osprey.vendor("GET", "/organization", None).await.ok(200);
    // The partner key of an Osprey integration under Pelican's vendor key: 401, as production.
    let decoded = {
        use base64::Engine;
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(&osprey.token).unwrap()).unwrap()
    };
    let (vendor_key, partner_key) = decoded.split_once(':').unwrap();
    assert_eq!(vendor_key, OTHER_VENDOR_KEY);
    let crossed = app
        .vendor_as(&token_for(VENDOR_KEY, partner_key), "GET", "/organization", None)
        .await;
    assert_eq!(crossed.status, 401);
    assert_eq!(crossed.body, json!({"statusCode": 401, "message": "Unauthorized"}));
    // The new partner's Pelican integration is Ready to Connect: it has no key yet.
    let list = osprey.sim("GET", "/integrations", None).await.ok(200);
    let states: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"ready_to_connect") && states.contains(&"setup"),
        "{states:?}"
    );
}

#[tokio::test]
async fn sim_reads_and_writes_act_for_the_named_partner_only() {
    let mut app = spawn().await;
    let service = app.mapped_setup().await;
    app.count(&service, "acme-1", 12.0).await.ok(201);
    app.rebuild().await;
    let b = Partner::create(&app, json!({})).await;
    let a_billing = app.billing().await;

    // The header names the partner as the query does.
    let by_header = app
        .send(app.client.get(app.url("/sim/billing")).header("X-Sim-Partner", &b.id))
        .await
        .ok(200);
    let by_query = b.sim("GET", "/billing", None).await.ok(200);
    assert_eq!(by_header["cards"], by_query["cards"]);
    assert!(edr_quantities(&by_query).is_empty(), "A's count shows at B");
    assert_ne!(by_query["cards"], a_billing["cards"]);
    // A's QA and B's are their own.
    let a_qa = app.sim("GET", "/qa", None).await.ok(200);
    let b_qa = b.sim("GET", "/qa", None).await.ok(200);
    assert_eq!(a_qa.as_array().unwrap().len(), 1);
    assert_eq!(a_qa[0]["integrationId"], INTEGRATION);
    assert_eq!(b_qa.as_array().unwrap().len(), 1);
    assert_eq!(b_qa[0]["integrationId"], b.integration.as_str());

    // Unknown partner: the /sim error shape; different names: 400.
    let unknown = app
        .sim("GET", "/billing?partnerId=64f1a2b3c4d5e6f708192aff", None)
        .await;
    assert_eq!(
        unknown.body,
        json!({"statusCode": 404, "message": "No partner found with id: 64f1a2b3c4d5e6f708192aff", "error": "Not Found"})
    );
    let both = app
        .send(
            app.client
                .get(app.url(&format!("/sim/psa?partnerId={}", b.id)))
                .header("X-Sim-Partner", "someone-else"),
        )
        .await;
    assert_eq!(both.status, 400);
    assert_eq!(
        both.body["message"],
        json!(["partnerId and the X-Sim-Partner header name different partners"])
    );

    // B's partner-side writes never touch A: the PSA losing one of A's companies, a CSV
    // import, a card action.
    let a_before = app.snapshot().await;
    let a_acme = app.psa_account_id("Acme Corp").await;
    let gone = b.sim("DELETE", &format!("/psa/companies/{a_acme}"), None).await;
    assert_eq!(gone.status, 404);
    b.sim(
        "POST",
        "/usage/csv",
        Some(json!({"csv": "Account Name,SKU,Quantity\nAcme Corp,SEC-EDR,7\n"})),
    )
    .await
    .ok(200);
    assert_eq!(app.sim("GET", "/usage/csv", None).await.ok(200)["usage"], json!([]));
    let a_card = card_for(&a_billing, "Acme Corp", "SEC-EDR").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let crossed = b.sim("POST", &format!("/billing/cards/{a_card}/dismiss"), None).await;
    assert_eq!(crossed.status, 404);
    let b_card = edr_quantities(&b.sim("GET", "/billing", None).await.ok(200));
    assert_eq!(b_card, vec![("Acme Corp".to_string(), 7.0)]);
    // Naming B, A's integration is as unknown as any: no mapping, no disconnect, no QA.
    let a_integration = format!("/integrations/{INTEGRATION}");
    for (method, path) in [
        ("GET", a_integration.clone()),
        ("DELETE", format!("{a_integration}/mappings/accounts/acme-1")),
        ("POST", format!("{a_integration}/disconnect")),
    ] {
        let r = b.sim(method, &path, None).await;
        assert_eq!(
            r.body,
            json!({"statusCode": 404, "message": format!("No integration found with id: {INTEGRATION}"), "error": "Not Found"}),
            "{method} {path}"
        );
    }
    let unknown_partner = app
        .sim("POST", &format!("{a_integration}/disconnect?partnerId=nobody"), None)
        .await;
    assert_eq!(unknown_partner.body["message"], "No partner found with id: nobody");
    assert_eq!(
        b.sim("GET", &format!("/qa?integrationId={INTEGRATION}"), None)
            .await
            .ok(200),
        json!([])
    );
    assert_eq!(app.snapshot().await, a_before);
    assert_eq!(app.billing().await["cards"], a_billing["cards"]);
}

#[tokio::test]
async fn creating_a_partner_refuses_bad_input_and_writes_nothing() {
    let app = spawn().await;
    let before = app.sim("GET", "/partners", None).await.ok(200);
    let cases = [
        (json!({"nme": "x"}), 400, json!(["property nme should not exist"])),
        (
            json!({"psa": "kaseya"}),
            400,
            json!(["psa must be one of the following values: connectwise, autotask, halopsa, bms, pulseway, syncro"]),
        ),
        (
            json!({"name": ""}),
            400,
            json!(["name must be a non-empty string of at most 200 characters"]),
        ),
        (
            json!({"vendorId": 5}),
            400,
            json!(["vendorId must be a non-empty string"]),
        ),
        (
            json!({"vendorId": "65a0c0ffee00000000000abc"}),
            404,
            json!("No vendor found with id: 65a0c0ffee00000000000abc"),
        ),
        (json!([1]), 400, json!(["the body must be a JSON object"])),
    ];
    for (body, status, message) in cases {
        let r = app.sim("POST", "/partners", Some(body.clone())).await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert_eq!(r.body["message"], message, "{body}");
    }
    assert_eq!(app.sim("GET", "/partners", None).await.ok(200), before);
}

#[tokio::test]
async fn another_psa_reset_snapshots_and_determinism() {
    let app = spawn_with(|c| {
        c.deterministic = true;
        c.clock = Some("2027-01-31T12:00:00.000Z".into());
    })
    .await;
    let autotask = Partner::create(&app, json!({"psa": "autotask", "name": "Autotask MSP"})).await;
    let billing = autotask.sim("GET", "/billing", None).await.ok(200);
    assert_eq!(billing["psa"]["kind"], "autotask");
    assert_eq!(app.billing().await["psa"]["kind"], "connectwise");

    // Snapshots keep every partner; a reset keeps only the seed's.
    app.sim("POST", "/snapshots", Some(json!({"name": "two"})))
        .await
        .ok(201);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_eq!(
        app.sim("GET", "/partners", None).await.ok(200)["partners"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(autotask.sim("GET", "/billing", None).await.status, 404);
    autotask.vendor("GET", "/organization", None).await;
    assert_eq!(autotask.vendor("GET", "/organization", None).await.status, 401);
    app.sim("POST", "/snapshots/two/restore", None).await.ok(200);
    autotask.vendor("GET", "/organization", None).await.ok(200);
    assert_eq!(
        autotask.sim("GET", "/billing", None).await.ok(200)["cards"],
        billing["cards"]
    );

    // Deterministic ids and keys: a second server makes the same partner.
    let again = spawn_with(|c| {
        c.deterministic = true;
        c.clock = Some("2027-01-31T12:00:00.000Z".into());
    })
    .await;
    let twin = Partner::create(&again, json!({"psa": "autotask", "name": "Autotask MSP"})).await;
    assert_eq!(
        (&twin.id, &twin.integration, &twin.token),
        (&autotask.id, &autotask.integration, &autotask.token)
    );
}

/// Four partners, created at once and each running its whole flow at once, on several
/// threads: every one ends with its own counts, accounts and QA, and the seeded partner
/// untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn partners_run_whole_flows_at_once_and_each_sees_only_its_own() {
    let app = spawn_with(|c| c.rate_limit = 0).await;
    // Created at once, too.
    let made = futures_join(
        (0..4)
            .map(|n| {
                let app = TestApp {
                    base: app.base.clone(),
                    client: app.client.clone(),
                    token: app.token.clone(),
                };
                tokio::spawn(async move { Partner::create(&app, json!({"name": format!("Parallel MSP {n}")})).await })
            })
            .collect(),
    )
    .await;
    let runs = futures_join(
        made.iter()
            .enumerate()
            .map(|(n, p)| {
                let p = p.clone();
                tokio::spawn(async move {
                    // Each partner's own figures, and an account only it has.
                    let acme = 10.0 + n as f64;
                    let cedar = 100.0 + n as f64;
                    let billing = p
                        .flow(
                            "Endpoint Protection",
                            &[("acme-1", "Acme Corp", acme), ("cedar-1", "Cedar Ridge Law LLP", cedar)],
                        )
                        .await;
                    (p, billing, acme, cedar)
                })
            })
            .collect(),
    )
    .await;
    for (p, billing, acme, cedar) in &runs {
        assert_eq!(
            edr_quantities(billing),
            vec![
                ("Acme Corp".to_string(), *acme),
                ("Cedar Ridge Law, LLP".to_string(), *cedar)
            ],
            "partner {}",
            p.id
        );
        // Read again after every flow ended: still only its own.
        assert_eq!(
            edr_quantities(&p.sim("GET", "/billing", None).await.ok(200)),
            edr_quantities(billing)
        );
        let accounts = p.vendor("GET", "/organization/accounts", None).await.ok(200);
        assert_eq!(accounts.as_array().unwrap().len(), 2);
        let qa = p.sim("GET", "/qa", None).await.ok(200);
        assert_eq!(qa.as_array().unwrap().len(), 1);
        let done: Vec<&str> = qa[0]["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["done"] == true)
            .map(|s| s["key"].as_str().unwrap())
            .collect();
        for step in ["authenticated", "accounts_mapped", "services_mapped", "usage_visible"] {
            assert!(done.contains(&step), "{step} not done for {}: {done:?}", p.id);
        }
        // Its journal: its own calls, every one of them.
        let journal = p.sim("GET", "/journal?limit=1000", None).await.ok(200);
        let entries = journal["entries"].as_array().unwrap();
        assert!(entries.len() >= 6, "{} calls", entries.len());
        assert!(entries.iter().all(|e| e["integrationId"] == p.integration.as_str()));
    }
    let everyone = app.sim("GET", "/journal?limit=1000", None).await.ok(200);
    let own: usize = futures_join(
        runs.iter()
            .map(|(p, ..)| {
                let p = p.clone();
                tokio::spawn(async move {
                    p.sim("GET", "/journal?limit=1000", None).await.ok(200)["matching"]
                        .as_u64()
                        .unwrap() as usize
                })
            })
            .collect(),
    )
    .await
    .into_iter()
    .sum();
    assert_eq!(
        everyone["matching"].as_u64().unwrap() as usize,
        own,
        "unnamed: every partner's calls"
    );
    // The seeded partner saw none of it.
    assert!(edr_quantities(&app.rebuild().await).is_empty());
    assert_eq!(
        app.vendor("GET", "/organization/accounts", None).await.ok(200),
        json!([])
    );
}

/// Awaits every task, in order.
async fn futures_join<T: Send + 'static>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = vec![];
    for t in tasks {
        out.push(t.await.expect("task ran"));
    }
    out
}

/// The tables schema 2 gave a `partner_id` (with `event`, whose global rows name a partner).
const SCOPED: [&str; 9] = [
    "psa_company",
    "psa_agreement",
    "psa_product",
    "psa_line",
    "psa_board",
    "psa_ticket",
    "card_action",
    "csv_usage",
    "event",
];

#[tokio::test]
async fn a_schema_1_database_is_migrated_with_its_partner_whole() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.db");
    let path = current.clone();
    let mut app = spawn_with(|c| {
        c.db = path.to_str().unwrap().to_string();
        c.clock = Some("2027-01-31T12:00:00.000Z".into());
    })
    .await;
    busy_state(&mut app).await;
    let before = partner_view(&app).await;

    // The same rows in a file of schema 1, as a build from before partners wrote it.
    let old = dir.path().join("old.db");
    let c = rusqlite::Connection::open(&old).unwrap();
    c.execute_batch(include_str!("fixtures/schema-v1.sql")).unwrap();
    c.execute("ATTACH DATABASE ?1 AS src", [current.to_str().unwrap()])
        .unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in &tables {
        // Columns of both: schema 1 also had some that later schemas dropped.
        let cols: Vec<String> = c
            .prepare(
                "SELECT name FROM pragma_table_info(?1, 'main')
                 WHERE name IN (SELECT name FROM pragma_table_info(?1, 'src'))",
            )
            .unwrap()
            .query_map([t], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let cols = cols.join(", ");
        c.execute(&format!("INSERT INTO main.{t} ({cols}) SELECT {cols} FROM src.{t}"), [])
            .unwrap();
    }
    c.execute_batch(
        "INSERT INTO main.meta (key, value) SELECT 'billing_cards', cards FROM src.billing_view;
         INSERT INTO main.meta (key, value) SELECT 'billing_built_at', built_at FROM src.billing_view;
         UPDATE main.meta SET value = '1' WHERE key = 'schema_version';
         DETACH DATABASE src;",
    )
    .unwrap();
    c.pragma_update(None, "user_version", 1).unwrap();
    c.pragma_update(None, "application_id", synthesize_sim::store::APPLICATION_ID)
        .unwrap();
    drop(c);

    let path = old.clone();
    let mut migrated = spawn_with(|c| {
        c.db = path.to_str().unwrap().to_string();
        c.clock = Some("2027-01-31T12:00:00.000Z".into());
    })
    .await;
    migrated.token = app.token.clone();
    assert_eq!(partner_view(&migrated).await, before);
    let c = rusqlite::Connection::open(&old).unwrap();
    let version: i32 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, synthesize_sim::store::USER_VERSION);
    let broken: i64 = c
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(broken, 0);
    for t in SCOPED {
        let unscoped: i64 = c
            .query_row(
                &format!(
                    "SELECT COUNT(*) FROM {t} WHERE partner_id IS NULL AND {}",
                    if t == "event" { "integration_id IS NULL" } else { "1" }
                ),
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(unscoped, 0, "{t} has rows of no partner");
    }
    // The migrated partner works on: a new partner beside it, and counts still land.
    let b = Partner::create(&migrated, json!({})).await;
    assert_eq!(b.vendor("GET", "/organization/accounts", None).await.ok(200), json!([]));
    assert_eq!(
        partner_view(&migrated).await["billing"]["cards"],
        before["billing"]["cards"]
    );
}

#[tokio::test]
async fn a_snapshot_file_from_before_partners_still_imports() {
    let mut app = spawn_with(|c| c.clock = Some("2027-01-31T12:00:00.000Z".into())).await;
    busy_state(&mut app).await;
    let before = partner_view(&app).await;
    app.sim("POST", "/snapshots", Some(json!({"name": "now"})))
        .await
        .ok(201);
    let mut file = app.sim("GET", "/snapshots/now/export", None).await.ok(200);
    // As a build of schema 1 wrote it: no partner_id, the billing view in meta.
    file["schemaVersion"] = json!("1");
    file.as_object_mut().unwrap().remove("pendingRebuilds");
    let tables = file["tables"].as_object_mut().unwrap();
    for t in SCOPED {
        let table = &mut tables[t];
        let at = table["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c == "partner_id")
            .unwrap();
        table["columns"].as_array_mut().unwrap().remove(at);
        for row in table["rows"].as_array_mut().unwrap() {
            row.as_array_mut().unwrap().remove(at);
        }
    }
    let view = tables.remove("billing_view").unwrap();
    let row = view["rows"][0].as_array().unwrap().clone();
    let meta = tables["meta"]["rows"].as_array_mut().unwrap();
    meta.push(json!(["billing_cards", row[1]]));
    meta.push(json!(["billing_built_at", row[2]]));

    app.sim("POST", "/snapshots/import?name=old", Some(file)).await.ok(201);
    app.sim("POST", "/reset", None).await.ok(200);
    assert_ne!(app.billing().await["cards"], before["billing"]["cards"]);
    app.sim("POST", "/snapshots/old/restore", None).await.ok(200);
    assert_eq!(partner_view(&app).await, before);
    // Another schema is still refused.
    let mut other = app.sim("GET", "/snapshots/now/export", None).await.ok(200);
    other["schemaVersion"] = json!("0");
    let r = app.sim("POST", "/snapshots/import?name=zero", Some(other)).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_partners_alerts_become_tickets_on_its_own_board_only() {
    let app = spawn().await;
    let b = Partner::create(&app, json!({})).await;
    b.flow("Endpoint Protection", &[("acme-1", "Acme Corp", 3.0)]).await;
    let alert = json!({"title": "Threat quarantined", "description": "EDR blocked x.exe", "alertId": "a-1", "priority": 3, "status": 1});
    let created = b.vendor("POST", "/alerting/acme-1", Some(alert)).await.ok(201);
    let message = created["messageId"].as_str().unwrap().to_string();
    let done = b.app().alert_outcome(&message).await;
    assert_eq!(done["status"], "success", "{done}");
    let own = board_tickets(&b.sim("GET", "/tickets", None).await.ok(200));
    assert_eq!(own.len(), 1);
    assert_eq!(own[0]["accountName"], "Acme Corp");
    assert_eq!(b.sim("GET", "/alerts", None).await.ok(200).as_array().unwrap().len(), 1);
    // The seeded partner's PSA and alert list see none of it; its token cannot read B's alert.
    assert!(board_tickets(&app.sim("GET", "/tickets", None).await.ok(200)).is_empty());
    assert_eq!(app.sim("GET", "/alerts", None).await.ok(200), json!([]));
    assert_eq!(
        app.vendor("GET", &format!("/alerting/debug/{message}"), None)
            .await
            .status,
        404
    );
}
