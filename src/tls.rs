//! `--tls`: HTTPS, so that clients which hard-code `https://app.usegradient.com` (CIPP, the
//! SDK's integration templates) reach the simulator through a hosts entry. With
//! `--tls-cert`/`--tls-key` the given certificate is served; without them, a local CA is
//! created once beside the database and issues, at every start, a fresh certificate for
//! `app.usegradient.com`, `localhost` and `127.0.0.1`: trusting the CA once is enough.

use crate::config::Config;
use rand::RngCore;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The names the local CA's certificate is issued for.
pub const HOSTS: [&str; 2] = ["app.usegradient.com", "localhost"];
pub const CA_FILE: &str = "synthesize-sim-ca.pem";
const CA_KEY_FILE: &str = "synthesize-sim-ca-key.pem";
const CERT_FILE: &str = "synthesize-sim-tls.pem";
const KEY_FILE: &str = "synthesize-sim-tls-key.pem";

/// A ready TLS setup: the rustls configuration and, when the local CA issued the certificate,
/// the CA file clients must trust.
pub struct Tls {
    pub server_config: rustls::ServerConfig,
    pub ca_file: Option<PathBuf>,
}

/// Builds the TLS configuration `--tls` asks for.
pub fn setup(config: &Config) -> Result<Tls, String> {
    let (chain, key, ca_file) = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("--tls-cert {}: {e}", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("--tls-key {}: {e}", key.display()))?;
            (chain, key, None)
        }
        _ => {
            let dir = beside(&config.db);
            let (chain, key) = local_ca_certificate(&dir)?;
            (chain, key, Some(dir.join(CA_FILE)))
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server_config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS certificate: {e}"))?;
    Ok(Tls { server_config, ca_file })
}

/// The folder of the database file (the current one for `:memory:`).
fn beside(db: &str) -> PathBuf {
    if db == ":memory:" {
        return PathBuf::from(".");
    }
    match Path::new(db).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The date `days` away from today, as (year, month, day) for rcgen's `date_time_ymd`.
fn days_from_now(days: i64) -> (i32, u8, u8) {
    use chrono::Datelike;
    let d = chrono::Utc::now().date_naive() + chrono::Duration::days(days);
    (d.year(), d.month() as u8, d.day() as u8)
}

macro_rules! date {
    ($days:expr) => {{
        let (y, m, d) = days_from_now($days);
        rcgen::date_time_ymd(y, m, d)
    }};
}

fn ca_params() -> Result<CertificateParams, String> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "synthesize-sim local CA");
    dn.push(DnType::OrganizationName, "synthesize-sim");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = date!(-1);
    params.not_after = date!(10 * 365);
    Ok(params)
}

fn random_serial() -> SerialNumber {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes[0] &= 0x7f; // a positive integer
    SerialNumber::from_slice(&bytes)
}

/// Loads the local CA (creating it on first use) and issues a fresh server certificate with it.
fn local_ca_certificate(dir: &Path) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let err = |what: &str, e: &dyn std::fmt::Display| format!("local CA in {}: {what}: {e}", dir.display());
    let (ca_path, ca_key_path) = (dir.join(CA_FILE), dir.join(CA_KEY_FILE));
    let ca_key = if ca_path.exists() && ca_key_path.exists() {
        let pem = std::fs::read_to_string(&ca_key_path).map_err(|e| err("reading the key", &e))?;
        KeyPair::from_pem(&pem).map_err(|e| err("the key", &e))?
    } else {
        let key = KeyPair::generate().map_err(|e| err("key", &e))?;
        let mut params = ca_params()?;
        params.serial_number = Some(random_serial());
        let cert = params.self_signed(&key).map_err(|e| err("certificate", &e))?;
        write_private(&ca_key_path, &key.serialize_pem()).map_err(|e| err("writing the key", &e))?;
        std::fs::write(&ca_path, cert.pem()).map_err(|e| err("writing the certificate", &e))?;
        key
    };
    // The issuer: the CA's name and key are all a signature needs, so the stored CA is rebuilt
    // from them rather than parsed.
    let issuer = ca_params()?.self_signed(&ca_key).map_err(|e| err("certificate", &e))?;

    let mut params = CertificateParams::new(HOSTS.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        .map_err(|e| err("names", &e))?;
    params.subject_alt_names.push(SanType::IpAddress([127, 0, 0, 1].into()));
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv6Addr::LOCALHOST.into()));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "app.usegradient.com (synthesize-sim)");
    params.distinguished_name = dn;
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Within the 398 days browsers and macOS accept for a server certificate.
    params.not_before = date!(-1);
    params.not_after = date!(397);
    params.serial_number = Some(random_serial());
    let key = KeyPair::generate().map_err(|e| err("server key", &e))?;
    let cert = params
        .signed_by(&key, &issuer, &ca_key)
        .map_err(|e| err("server certificate", &e))?;
    write_private(&dir.join(KEY_FILE), &key.serialize_pem()).map_err(|e| err("writing the server key", &e))?;
    std::fs::write(dir.join(CERT_FILE), cert.pem()).map_err(|e| err("writing the server certificate", &e))?;
    Ok((
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    ))
}

/// Writes a private key readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// The start-up lines for HTTPS: where the CA is and how to trust it on each system.
pub fn startup_text(ca_file: &Path) -> String {
    let ca = ca_file.canonicalize().unwrap_or_else(|_| ca_file.to_path_buf());
    let ca = display_path(&ca);
    format!(
        "  HTTPS CA            {ca}\n\
         \x20   trust it once (docs/production-url.md):\n\
         \x20   Windows   Import-Certificate -FilePath \"{ca}\" -CertStoreLocation Cert:\\CurrentUser\\Root\n\
         \x20   macOS     sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain \"{ca}\"\n\
         \x20   Linux     sudo cp \"{ca}\" /usr/local/share/ca-certificates/synthesize-sim.crt && sudo update-ca-certificates\n"
    )
}

/// A path as its system's user writes it. On Windows, `canonicalize` answers the verbatim form
/// (`\\?\C:\...`), which PowerShell and `certutil` take but nobody types: the prefix goes.
fn display_path(path: &Path) -> String {
    let shown = path.display().to_string();
    match shown.strip_prefix(r"\\?\") {
        Some(rest) if !rest.starts_with("UNC\\") => rest.to_string(),
        _ => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_as_typed() {
        assert_eq!(
            display_path(Path::new(r"\\?\C:\Users\dev\synthesize-sim-ca.pem")),
            r"C:\Users\dev\synthesize-sim-ca.pem"
        );
        assert_eq!(
            display_path(Path::new(r"\\?\UNC\server\share\ca.pem")),
            r"\\?\UNC\server\share\ca.pem"
        );
        assert_eq!(display_path(Path::new("/home/dev/ca.pem")), "/home/dev/ca.pem");
    }

    #[test]
    fn the_local_ca_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        local_ca_certificate(dir.path()).unwrap();
        let ca = std::fs::read(dir.path().join(CA_FILE)).unwrap();
        let first = std::fs::read(dir.path().join(CERT_FILE)).unwrap();
        local_ca_certificate(dir.path()).unwrap();
        assert_eq!(std::fs::read(dir.path().join(CA_FILE)).unwrap(), ca, "the CA is kept");
        assert_ne!(
            std::fs::read(dir.path().join(CERT_FILE)).unwrap(),
            first,
            "the server certificate is fresh"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(CA_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the CA key is private");
        }
        assert_eq!(beside(":memory:"), PathBuf::from("."));
        assert_eq!(beside("data/sim.db"), PathBuf::from("data"));
        assert_eq!(beside("sim.db"), PathBuf::from("."));
    }
}
