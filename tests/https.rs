//! `--tls`: clients that hard-code `https://app.usegradient.com` reach the simulator through a
//! hosts entry and a trusted local CA. Here the client resolves the name to 127.0.0.1 itself
//! and verifies the certificate against the CA file only (no system roots).

mod common;
use common::{token_for, KICKOFF_PARTNER_KEY, VENDOR_KEY};
use std::net::SocketAddr;
use std::path::Path;
use synthesize_sim::config::Config;
use synthesize_sim::Application;

fn start(tweak: impl FnOnce(&mut Config)) -> (u16, Option<String>) {
    let (port, note, _) = start_keeping_store(tweak);
    (port, note)
}

/// `start`, and the store, to close it (a clean stop) before another start on its file.
fn start_keeping_store(
    tweak: impl FnOnce(&mut Config),
) -> (u16, Option<String>, std::sync::Arc<synthesize_sim::store::Store>) {
    let mut config = Config::for_tests();
    config.tls = true;
    tweak(&mut config);
    let app = Application::build(config).expect("simulator builds with --tls");
    assert_eq!(app.scheme(), "https");
    let (port, note) = (app.port(), app.tls_note());
    let store = app.state.ops.store.clone();
    tokio::spawn(app.server());
    (port, note, store)
}

fn client(root_pem: Option<&[u8]>, port: u16) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .resolve("app.usegradient.com", SocketAddr::from(([127, 0, 0, 1], port)));
    if let Some(pem) = root_pem {
        b = b.add_root_certificate(reqwest::Certificate::from_pem(pem).unwrap());
    }
    b.build().unwrap()
}

async fn get_vendor(client: &reqwest::Client, base: &str) -> reqwest::Result<(u16, serde_json::Value)> {
    let r = client
        .get(format!("{base}/api/vendor-api/organization"))
        .header("Gradient-Token", token_for(VENDOR_KEY, KICKOFF_PARTNER_KEY))
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await?))
}

#[tokio::test]
async fn app_usegradient_com_is_served_with_a_certificate_from_the_local_ca() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sim.db").to_string_lossy().into_owned();
    let (port, note, store) = start_keeping_store(|c| c.db = db.clone());
    let ca_file = dir.path().join("synthesize-sim-ca.pem");
    let ca = std::fs::read(&ca_file).expect("the CA is kept beside the database");
    let note = note.expect("start-up text names the CA");
    assert!(note.contains("synthesize-sim-ca.pem"), "{note}");
    for system in [
        "Windows",
        "macOS",
        "Linux",
        "Import-Certificate -FilePath",
        r"-CertStoreLocation Cert:\CurrentUser\Root",
        "security add-trusted-cert",
        "update-ca-certificates",
    ] {
        assert!(note.contains(system), "{system} in {note}");
    }

    let trusting = client(Some(&ca), port);
    for base in [
        format!("https://app.usegradient.com:{port}"),
        format!("https://localhost:{port}"),
        format!("https://127.0.0.1:{port}"),
    ] {
        let (status, body) = get_vendor(&trusting, &base)
            .await
            .unwrap_or_else(|e| panic!("{base}: {e:?}"));
        assert_eq!(status, 200, "{base}: {body}");
        assert_eq!(body["integrationId"], common::INTEGRATION);
    }
    // Verification is real: without the CA the same request fails the handshake.
    let err = get_vendor(&client(None, port), &format!("https://app.usegradient.com:{port}"))
        .await
        .expect_err("an untrusted certificate is refused");
    assert!(err.is_connect() || err.is_request(), "{err:?}");

    // A second start keeps the CA: trusting it once is enough.
    store.close().unwrap();
    let (port2, _) = start(|c| c.db = db.clone());
    assert_eq!(std::fs::read(&ca_file).unwrap(), ca);
    let (status, _) = get_vendor(
        &client(Some(&ca), port2),
        &format!("https://app.usegradient.com:{port2}"),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_given_certificate_and_key_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["app.usegradient.com".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    let db = dir.path().join("sim.db").to_string_lossy().into_owned();
    let (port, note) = start(|c| {
        c.db = db;
        c.tls_cert = Some(cert_file.clone());
        c.tls_key = Some(key_file.clone());
    });
    assert!(note.is_none(), "no local CA is involved");
    assert!(!Path::new(&dir.path().join("synthesize-sim-ca.pem")).exists());
    let (status, _) = get_vendor(
        &client(Some(cert.pem().as_bytes()), port),
        &format!("https://app.usegradient.com:{port}"),
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_unreadable_certificate_stops_the_start_with_its_path() {
    let mut config = Config::for_tests();
    config.tls = true;
    config.tls_cert = Some("no/such/cert.pem".into());
    config.tls_key = Some("no/such/key.pem".into());
    let err = Application::build(config).err().expect("start refused");
    assert!(err.to_string().contains("--tls-cert no/such/cert.pem"), "{err}");
}
