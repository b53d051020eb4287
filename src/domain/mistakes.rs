//! The newcomer mistakes a refused call's shape gives away, named off the wire: production's
//! answer stays as it is (a bare 401, NestJS's 404, class-validator's 400), and the journal and
//! the terminal say what was probably meant.

use super::ids::{tail4, GradientToken};
use super::lint::{Lint, LintCode};
use base64::Engine;

/// Where every vendor API route starts.
pub const VENDOR_API: &str = "/api/vendor-api";

/// The width at which `base64` (GNU coreutils, without `-w0`) breaks its output: a token cut
/// there lost the rest of its partner key to the next line.
const BASE64_WRAP: usize = 76;

/// Why a call had no token to check: none at all, or one in the header other APIs use.
pub fn missing_token(authorization: Option<&str>) -> Lint {
    match authorization {
        Some(value) => {
            let scheme = value.split_whitespace().next().unwrap_or("");
            Lint::new(
                LintCode::TokenInAuthorization,
                format!(
                    "no GRADIENT-TOKEN header, but an Authorization one ({scheme} …): production reads the token only \
                     from GRADIENT-TOKEN"
                ),
            )
        }
        None => Lint::new(LintCode::TokenMissing, "no GRADIENT-TOKEN header"),
    }
}

/// Why a GRADIENT-TOKEN value does not read as base64(VENDOR_KEY:PARTNER_KEY). `None` when it
/// does: whether its keys are known is the store's to say (see `TokenRefusal`).
pub fn unreadable_token(value: &str) -> Option<Lint> {
    if GradientToken::parse(value).is_some() {
        return None;
    }
    let raw = value.trim();
    if raw.is_empty() {
        return Some(Lint::new(LintCode::TokenMissing, "the GRADIENT-TOKEN header is empty"));
    }
    let not_base64 = |why: &str| Some(Lint::new(LintCode::TokenNotBase64, why.to_string()));
    if raw.contains(char::is_whitespace) || raw.contains("\\n") {
        let scheme = raw.split_whitespace().next().unwrap_or("");
        if ["bearer", "basic", "token"].contains(&scheme.to_ascii_lowercase().as_str()) {
            return not_base64(&format!(
                "the value starts with \"{scheme} \": GRADIENT-TOKEN takes the base64 alone, with no scheme"
            ));
        }
        return Some(Lint::new(
            LintCode::TokenLineBreak,
            "the token has a line break (or a space) inside: base64 wraps its output at 76 columns unless told not to",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(raw)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(raw.trim_end_matches('=')));
    match decoded.map(String::from_utf8) {
        Err(_) if raw.contains(':') => {
            not_base64("the value is the keys themselves (VENDOR_KEY:PARTNER_KEY), not their base64")
        }
        Err(_) => not_base64("the value is not base64"),
        Ok(Err(_)) => not_base64("the value decodes to bytes that are not text, so not to VENDOR_KEY:PARTNER_KEY"),
        Ok(Ok(text)) if !text.contains(':') => Some(Lint::new(
            LintCode::TokenOneKey,
            "the token decodes to one key and no colon: it needs both, VENDOR_KEY:PARTNER_KEY",
        )),
        Ok(Ok(_)) => Some(Lint::new(
            LintCode::TokenOneKey,
            "the token's vendor key half is empty (:PARTNER_KEY): the vendor key comes first",
        )),
    }
}

/// Why a readable token was refused, as the key lookups found it.
pub enum TokenRefusal {
    /// `VENDOR_KEY:` on a route that needs the partner too, or with vendor-only tokens off.
    VendorOnly { vendor_level_route: bool },
    /// No vendor has the first half; `swapped` when the second half is a vendor key.
    UnknownVendorKey { swapped: bool },
    /// The vendor is known, but none of its integrations has the second half;
    /// `other_vendor` when another vendor's integration does.
    UnknownPartnerKey { other_vendor: bool },
}

/// The lint of a refused readable token, naming keys by their last four characters only.
pub fn token_refusal(header: &str, token: &GradientToken, refusal: TokenRefusal) -> Lint {
    let vendor = tail4(&token.vendor_key);
    let partner = tail4(&token.partner_key);
    match refusal {
        TokenRefusal::VendorOnly { vendor_level_route } => Lint::new(
            LintCode::TokenOneKey,
            if vendor_level_route {
                "the token carries the vendor key only (VENDOR_KEY:): add the partner key, or start the simulator with \
                 --allow-vendor-only-token to accept it on the vendor-level routes"
            } else {
                "the token carries the vendor key only (VENDOR_KEY:): this route acts for a partner and needs its \
                 partner key too"
            },
        ),
        TokenRefusal::UnknownVendorKey { swapped: true } => Lint::new(
            LintCode::UnknownVendorKey,
            format!("the halves are swapped: …{partner} is the vendor key, which comes first"),
        ),
        TokenRefusal::UnknownVendorKey { swapped: false } => Lint::new(
            LintCode::UnknownVendorKey,
            format!("no vendor has the key …{vendor} (the first half of the token)"),
        ),
        TokenRefusal::UnknownPartnerKey { .. } if header.trim().len() == BASE64_WRAP => Lint::new(
            LintCode::TokenLineBreak,
            format!(
                "the token stops at {BASE64_WRAP} characters, where base64 breaks its lines: the rest of the partner key \
                 (…{partner} here) went to the next line"
            ),
        ),
        TokenRefusal::UnknownPartnerKey { other_vendor: true } => Lint::new(
            LintCode::UnknownPartnerKey,
            format!("the partner key …{partner} belongs to another vendor's integration, not to vendor …{vendor}'s"),
        ),
        TokenRefusal::UnknownPartnerKey { other_vendor: false } => Lint::new(
            LintCode::UnknownPartnerKey,
            format!("the vendor key is right, but no integration has the partner key …{partner}"),
        ),
    }
}

/// The likely mistake behind a call that missed `/api/vendor-api`: the base URL without `/api`,
/// with it twice, or not at all. `None` when the path does not look like a vendor API call.
pub fn stray_path(path: &str) -> Option<Lint> {
    let lower = path.to_ascii_lowercase();
    if lower.starts_with(VENDOR_API) {
        return None;
    }
    let meant = |code: LintCode, why: &str, rest: &str| {
        Some(Lint::new(code, format!("did you mean {VENDOR_API}{rest}? {why}")))
    };
    if let Some(at) = lower.find(VENDOR_API) {
        let rest = &path[at + VENDOR_API.len()..];
        return meant(
            LintCode::BaseUrlDoubled,
            "The base URL already ends in /api (or more) and the client adds /api/vendor-api again",
            rest,
        );
    }
    if let Some(rest) = lower.strip_prefix("/vendor-api") {
        if rest.is_empty() || rest.starts_with('/') {
            return meant(
                LintCode::BaseUrlWithoutApi,
                "The path lacks /api: the base URL is the host (the client adds /api/vendor-api) or host/api \
                 (the client adds /vendor-api)",
                &path["/vendor-api".len()..],
            );
        }
    }
    let rest = lower
        .strip_prefix("/api")
        .filter(|r| r.starts_with('/'))
        .unwrap_or(&lower);
    let first = rest.trim_start_matches('/').split('/').next().unwrap_or("");
    if ["organization", "service", "alerting"].contains(&first) {
        let rest = &path[path.len() - rest.len()..];
        return meant(
            LintCode::BaseUrlWithoutApi,
            "Every vendor API route starts with /api/vendor-api",
            rest,
        );
    }
    None
}

/// A body that reads as JSON but came with a form's content type (`curl -d`, Python's urllib):
/// production parses it as a form, so its fields are missing.
pub fn json_sent_as_form(text: &str) -> Option<Lint> {
    let t = text.trim_start();
    (t.starts_with('{') || t.starts_with('[')).then(|| {
        Lint::new(
            LintCode::JsonSentAsForm,
            "the body is JSON but its Content-Type is application/x-www-form-urlencoded: it was read as a form",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "a3f1c9e27b4d4e0f9c1a6b2d8e7f5a40";
    const P: &str = "5c2e8b71d9a64f3ea0b7c4d1e2f3a9b6";

    fn code(l: Option<Lint>) -> Option<LintCode> {
        l.map(|l| l.code)
    }

    #[test]
    fn each_unreadable_token_gets_its_own_cause() {
        let token = GradientToken::encode(V, P);
        assert_eq!(code(unreadable_token(&token)), None);
        let wrapped = format!("{}\n{}", &token[..76], &token[76..]);
        assert_eq!(code(unreadable_token(&wrapped)), Some(LintCode::TokenLineBreak));
        let bearer = unreadable_token(&format!("Bearer {token}")).unwrap();
        assert_eq!(bearer.code, LintCode::TokenNotBase64);
        assert!(bearer.message.contains("\"Bearer \""), "{}", bearer.message);
        let raw = unreadable_token(&format!("{V}:{P}")).unwrap();
        assert!(raw.message.contains("the keys themselves"), "{}", raw.message);
        assert_eq!(code(unreadable_token("%%%")), Some(LintCode::TokenNotBase64));
        assert_eq!(code(unreadable_token(" ")), Some(LintCode::TokenMissing));
        let one = base64::engine::general_purpose::STANDARD.encode(V);
        assert_eq!(code(unreadable_token(&one)), Some(LintCode::TokenOneKey));
        let partner_only = GradientToken::encode("", P);
        assert_eq!(code(unreadable_token(&partner_only)), Some(LintCode::TokenOneKey));
        assert_eq!(missing_token(Some("Bearer xyz")).code, LintCode::TokenInAuthorization);
        assert_eq!(missing_token(None).code, LintCode::TokenMissing);
    }

    #[test]
    fn a_refused_readable_token_says_which_half_is_wrong() {
        let token = GradientToken::encode(V, P);
        let parsed = GradientToken::parse(&token).unwrap();
        let l = token_refusal(&token, &parsed, TokenRefusal::UnknownVendorKey { swapped: false });
        assert_eq!(l.code, LintCode::UnknownVendorKey);
        assert!(l.message.contains("…5a40") && !l.message.contains(V), "{}", l.message);
        let l = token_refusal(&token, &parsed, TokenRefusal::UnknownPartnerKey { other_vendor: false });
        assert_eq!(l.code, LintCode::UnknownPartnerKey);
        assert!(l.message.contains("…a9b6") && !l.message.contains(P), "{}", l.message);
        // Cut where base64 wraps: the partner key lost its end to the next line.
        let cut = &token[..76];
        let parsed = GradientToken::parse(cut).unwrap();
        let l = token_refusal(cut, &parsed, TokenRefusal::UnknownPartnerKey { other_vendor: false });
        assert_eq!(l.code, LintCode::TokenLineBreak);
        let l = token_refusal(&token, &parsed, TokenRefusal::UnknownVendorKey { swapped: true });
        assert!(l.message.contains("swapped"));
    }

    #[test]
    fn a_stray_path_names_the_vendor_api_path_meant() {
        let meant = |p: &str| stray_path(p).map(|l| (l.code, l.message));
        let (c, m) = meant("/vendor-api/organization").unwrap();
        assert_eq!(c, LintCode::BaseUrlWithoutApi);
        assert!(m.starts_with("did you mean /api/vendor-api/organization?"), "{m}");
        let (c, m) = meant("/api/api/vendor-api/organization/accounts").unwrap();
        assert_eq!(c, LintCode::BaseUrlDoubled);
        assert!(
            m.starts_with("did you mean /api/vendor-api/organization/accounts?"),
            "{m}"
        );
        let (_, m) = meant("/api/organization").unwrap();
        assert!(m.starts_with("did you mean /api/vendor-api/organization?"), "{m}");
        let (_, m) = meant("/service/abc/count").unwrap();
        assert!(m.starts_with("did you mean /api/vendor-api/service/abc/count?"), "{m}");
        assert!(
            meant("/api/vendor-api/nowhere").is_none(),
            "inside the API: its own 404"
        );
        assert!(meant("/favicon.ico").is_none());
        assert!(meant("/vendor-apix").is_none());
    }

    #[test]
    fn json_looking_form_bodies_are_named() {
        assert!(json_sent_as_form(" {\"id\":\"a\"}").is_some());
        assert!(json_sent_as_form("[{\"id\":\"a\"}]").is_some());
        assert!(json_sent_as_form("id=a&name=b").is_none());
    }
}
