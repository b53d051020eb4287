//! What the journal keeps of a call's credentials: every credential-looking value is cut to its
//! last four characters before it is kept, whichever header or query parameter carried it, and
//! every long value is cut to a bound.

/// Longest path, query string or header value kept in an entry; longer ones are cut.
pub const MAX_FIELD_BYTES: usize = 2048;
/// Most request headers kept in an entry.
pub const MAX_HEADERS: usize = 64;

/// Cuts a string to at most `limit` bytes (on a character boundary), marking the cut.
pub fn clip_str(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_string();
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// The last four characters of a secret, the only part ever kept.
pub fn redacted(secret: &str) -> String {
    format!("…{}", crate::domain::ids::tail4(secret))
}

/// Header or parameter names that carry credentials whatever their value looks like.
fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "token",
        "auth",
        "key",
        "secret",
        "password",
        "passwd",
        "cookie",
        "session",
        "signature",
        "credential",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// A word that looks like a key or token: long, of base64/hex/url-safe characters, with both
/// letters and digits (so words, dates and version strings pass untouched).
fn looks_like_secret(word: &str) -> bool {
    word.len() >= 16
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-.~".contains(&b))
        && word.bytes().any(|b| b.is_ascii_digit())
        && word.bytes().any(|b| b.is_ascii_alphabetic())
}

/// A value as the journal keeps it: under a credential's name, everything after an auth scheme
/// (`Bearer`, `Basic`) is cut to its last four characters; elsewhere, every credential-looking
/// word is.
pub fn redact_value(name: &str, value: &str) -> String {
    if is_secret_name(name) {
        let value = value.trim();
        return match value.split_once(' ') {
            Some((scheme, rest)) if scheme.bytes().all(|b| b.is_ascii_alphabetic()) => {
                format!("{scheme} {}", redacted(rest.trim()))
            }
            _ => redacted(value),
        };
    }
    value
        .split(' ')
        .map(|w| {
            if looks_like_secret(w) {
                redacted(w)
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A query string with every credential-looking parameter value redacted (names kept).
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) => {
                let name = percent_encoding::percent_decode_str(k).decode_utf8_lossy();
                let value = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                let kept = redact_value(&name, &value);
                if kept == value {
                    pair.to_string()
                } else {
                    format!("{k}={kept}")
                }
            }
            None if looks_like_secret(pair) => redacted(pair),
            None => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The request headers as the journal keeps them: redacted, each value and their number bounded.
pub fn recorded_headers(headers: &actix_web::http::header::HeaderMap) -> Vec<(String, String)> {
    recorded_headers_with(headers, None)
}

/// The same, given the GRADIENT-TOKEN's hint when the caller has it already (a token decodes
/// in base64 for its hint: once a call is enough).
pub fn recorded_headers_with(
    headers: &actix_web::http::header::HeaderMap,
    token_hint: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .take(MAX_HEADERS)
        .map(|(k, v)| {
            let value = v.to_str().unwrap_or("<binary>");
            // The token is named by its partner key's tail, as the console names keys.
            let shown = if k.as_str() == crate::domain::ids::GradientToken::HEADER {
                match token_hint {
                    // The hint of the header's first value, which is the token the call used.
                    Some(hint) if headers.get(k).is_some_and(|first| first == v) => hint.to_string(),
                    _ => crate::domain::ids::GradientToken::key_hint(value),
                }
            } else {
                redact_value(k.as_str(), value)
            };
            (k.as_str().to_string(), clip_str(&shown, MAX_FIELD_BYTES))
        })
        .collect();
    // By name: actix's header map has no stable order, and golden journals need one.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_cut_to_their_last_four_wherever_they_arrive() {
        let token = crate::domain::ids::GradientToken::encode(
            "a3f1c9e27b4d4e0f9c1a6b2d8e7f5a40",
            "5c2e8b71d9a64f3ea0b7c4d1e2f3a9b6",
        );
        let tail = crate::domain::ids::tail4(&token);
        assert_eq!(
            redact_value("authorization", &format!("Bearer {token}")),
            format!("Bearer …{tail}")
        );
        assert_eq!(
            redact_value("Authorization", &format!("Basic {token}")),
            format!("Basic …{tail}")
        );
        assert_eq!(redact_value("x-api-key", "short"), "…hort");
        assert_eq!(redact_value("cookie", "sid=abc; other=def"), "…=def");
        // Under an innocent name, a token-looking value is still cut; ordinary values are not.
        assert_eq!(redact_value("x-forwarded-for", &token), format!("…{tail}"));
        assert_eq!(
            redact_value("user-agent", "axios/1.6.7 node/20.11.1"),
            "axios/1.6.7 node/20.11.1"
        );
        assert_eq!(
            redact_value("content-type", "application/json; charset=utf-8"),
            "application/json; charset=utf-8"
        );
        assert_eq!(
            redact_value("accept", "application/json, text/plain, */*"),
            "application/json, text/plain, */*"
        );
        let q = redact_query(&format!(
            "returnUnmapped=true&token={}&x={token}",
            percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC)
        ));
        assert!(!q.contains(&token[..20]), "{q}");
        assert!(q.starts_with("returnUnmapped=true&token=…"), "{q}");
        assert_eq!(redact_query("page=2&limit=50"), "page=2&limit=50");
        assert_eq!(clip_str("héllo", 2), "h…");
    }
}
