//! Ids and keys: ObjectId-shaped ids, API keys and the GRADIENT-TOKEN. Types that can only hold
//! valid values, so that the rest of the code never re-checks a string.

use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;

/// A 24-hex id held lowercase, as MongoDB's ObjectId prints (vendor, service, integration, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectId(String);

impl ObjectId {
    /// An id from its 12 bytes; fresh ones come from `Clock::object_id`.
    pub fn from_bytes(bytes: [u8; 12]) -> Self {
        let mut hex = [0u8; 24];
        hex::encode_to_slice(bytes, &mut hex).expect("24 hex digits for 12 bytes");
        ObjectId(String::from_utf8(hex.to_vec()).expect("hex digits are ASCII"))
    }

    /// A stable id derived from a name, for seed rows that name no id: the first 12 bytes of
    /// SHA-256 of `namespace:name`, hashed in place (the large seed derives 11,000 at start-up).
    pub fn derived(namespace: &str, name: &str) -> Self {
        ObjectId::derived_from(namespace, &[name])
    }

    /// `derived` of a name made of parts joined by `:`, without joining them.
    pub fn derived_from(namespace: &str, parts: &[&str]) -> Self {
        let mut hash = Sha256::new().chain_update(namespace);
        for part in parts {
            hash.update(":");
            hash.update(part);
        }
        let digest = hash.finalize();
        let mut bytes = [0u8; 12];
        bytes.copy_from_slice(&digest[..12]);
        ObjectId::from_bytes(bytes)
    }

    /// 24 hex digits in either case (Mongoose casts `"5F1D..."` too), kept lowercase.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit());
        ok.then(|| ObjectId(s.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An API key (vendor or partner half of the token): 128 random bits, 32 hex characters.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from 128 random bits; fresh ones come from `Clock::api_key`.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        ApiKey(hex::encode(bytes))
    }

    /// A secret of the simulator itself (the control token): from the OS, never from the
    /// seeded generator, so `--deterministic` cannot make it guessable.
    pub fn secret() -> Self {
        use rand::RngCore;
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        ApiKey::from_bytes(bytes)
    }

    /// A key named by a seed file; any non-empty string without a colon will do.
    pub fn from_seed(s: &str) -> Option<Self> {
        (!s.is_empty() && !s.contains(':')).then(|| ApiKey(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.0)
    }

    /// The last four characters, the only part of a key the simulator ever shows again.
    pub fn hint(&self) -> String {
        tail4(&self.0)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKey(…{})", self.hint())
    }
}

/// SHA-256 of a key, hex: what the database keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHash(pub String);

impl KeyHash {
    pub fn of(key: &str) -> Self {
        KeyHash(hex::encode(Sha256::digest(key.as_bytes())))
    }
}

pub fn tail4(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// The GRADIENT-TOKEN: standard base64 of `VENDOR_KEY:PARTNER_KEY`, split at the first colon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradientToken {
    pub vendor_key: String,
    /// Empty when the token carries only the vendor half (`VENDOR_KEY:`).
    pub partner_key: String,
}

impl GradientToken {
    /// The header that carries it (header names match case-insensitively).
    pub const HEADER: &'static str = "gradient-token";

    pub fn parse(header: &str) -> Option<Self> {
        let raw = header.trim();
        // Node's Buffer.from(x, 'base64') forgives missing padding; so do we.
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(raw)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(raw.trim_end_matches('=')))
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (vendor, partner) = text.split_once(':')?;
        if vendor.is_empty() {
            return None;
        }
        Some(GradientToken {
            vendor_key: vendor.to_string(),
            partner_key: partner.to_string(),
        })
    }

    pub fn encode(vendor_key: &str, partner_key: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("{vendor_key}:{partner_key}"))
    }

    /// How the journal names the key a token carried: the partner key's last four characters,
    /// as the integration card and the console name it (the token itself stays unshown).
    /// `…` alone for a token that carries no partner key or does not decode.
    pub fn key_hint(header: &str) -> String {
        match Self::parse(header) {
            Some(t) if !t.partner_key.is_empty() => format!("…{}", tail4(&t.partner_key)),
            _ => "…".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_named_by_its_partner_keys_tail() {
        let token = GradientToken::encode("vendorkey", "5c2e8b71d9a64f3ea0b7c4d1e2f3a9b6");
        assert_eq!(GradientToken::key_hint(&token), "…a9b6");
        assert_eq!(GradientToken::key_hint(&GradientToken::encode("vendorkey", "")), "…");
        assert_eq!(GradientToken::key_hint("not base64!"), "…");
    }

    #[test]
    fn object_id_accepts_24_hex_in_either_case_kept_lowercase() {
        assert!(ObjectId::parse("64f1a2b3c4d5e6f708192a3c").is_some());
        assert_eq!(
            ObjectId::parse("64F1A2B3C4D5E6F708192A3C").unwrap().as_str(),
            "64f1a2b3c4d5e6f708192a3c"
        );
        assert!(ObjectId::parse("64f1a2b3c4d5e6f708192a3").is_none());
        assert!(ObjectId::parse("1002").is_none());
        assert!(ObjectId::parse("zzf1a2b3c4d5e6f708192a3c").is_none());
        let fresh = ObjectId::from_bytes([0xab; 12]);
        assert!(ObjectId::parse(fresh.as_str()).is_some());
        assert_eq!(
            ObjectId::derived("company", "Acme"),
            ObjectId::derived("company", "Acme")
        );
        // Every seed's ids depend on this: SHA-256 of "namespace:name", its first 12 bytes in hex.
        assert_eq!(
            ObjectId::derived("company", "Acme").as_str(),
            hex::encode(&Sha256::digest(b"company:Acme")[..12])
        );
        assert_eq!(fresh.as_str(), "ab".repeat(12));
        assert_eq!(
            ObjectId::derived_from("line", &["Acme", "MSA", "EDR"]),
            ObjectId::derived("line", "Acme:MSA:EDR")
        );
    }

    #[test]
    fn token_splits_at_first_colon_and_forgives_padding() {
        let t = GradientToken::encode("vk", "pk:with:colons");
        let parsed = GradientToken::parse(&t).unwrap();
        assert_eq!(parsed.vendor_key, "vk");
        assert_eq!(parsed.partner_key, "pk:with:colons");
        let unpadded = GradientToken::encode("abc", "de").trim_end_matches('=').to_string();
        assert_eq!(GradientToken::parse(&unpadded).unwrap().partner_key, "de");
        assert_eq!(
            GradientToken::parse(&GradientToken::encode("vk", ""))
                .unwrap()
                .partner_key,
            ""
        );
        assert!(GradientToken::parse("not base64!").is_none());
        assert!(GradientToken::parse(&GradientToken::encode("", "pk")).is_none());
        assert!(GradientToken::parse("bm9jb2xvbg==").is_none()); // "nocolon"
    }
}
