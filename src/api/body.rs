//! Request bodies, read as production's Express app reads them: body-parser's JSON and
//! urlencoded parsers run as middleware before any NestJS guard, so a body they refuse (400,
//! 413, 415) is answered before the token is looked at, on every route.
//!
//! body-parser's order: the parser is chosen by Content-Type; its charset is checked (415);
//! the body is read up to the limit (413); it is decoded (invalid bytes become U+FFFD) and
//! parsed (400). Only a JSON or form content type is parsed; any other leaves the body unread.
//! A gzip or deflate body is inflated first, within the same limit (see `inflate`).

use crate::api::inflate::{self, Coding};
use crate::domain::lint::{Lint, LintCode};
use crate::error::ApiError;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use serde_json::{Map, Value};
use std::time::Duration;

/// The body a handler sees: the parsed value (`{}` when none was parsed) and whether it came
/// as a form (whose values are all strings).
#[derive(Debug, Clone)]
pub struct RequestBody {
    pub value: Value,
    pub form: bool,
}

/// What reading a body gave: the bytes as received (for the journal), the error production
/// answers if it refused the body (an accepted body waits in the request, see `of`), the
/// lints, and whether part of the body was left unread (the connection then cannot carry
/// another request).
pub struct Read {
    pub raw: web::Bytes,
    pub result: Result<(), ApiError>,
    pub lints: Vec<Lint>,
    pub unread: bool,
    /// The body's framing broke or it stalled: the HTTP layer is closing the connection, so the
    /// answer must leave without waiting on anything else.
    pub broken: bool,
}

/// Reads and parses the request's body (at most `limit` bytes), hands the raw bytes back to the
/// request's payload, and stores the parsed body for the handler.
///
/// The whole body must arrive within `timeout` (408 after), and a body whose framing breaks
/// (a chunk cut short, a connection closed mid-body) is 400: both as JSON errors the journal
/// records, never actix's text/plain.
pub async fn read(req: &mut ServiceRequest, limit: usize, timeout: Duration) -> Result<Read, actix_web::Error> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let kind = body_kind(content_type.as_deref());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());

    // body-parser inflates what it parses, and only a request that has a body; the rest is
    // read as it is (and bounded).
    let has_body = declared.is_some() || req.headers().contains_key(header::TRANSFER_ENCODING);
    let coding = match kind {
        BodyKind::Json | BodyKind::Form if has_body => {
            inflate::coding(req.headers().get(header::CONTENT_ENCODING).map(|v| v.as_bytes()))
        }
        _ => Coding::Identity,
    };
    let mut inflater = inflate::Inflater::new(&coding, limit);
    // What the coding refused: 415 (before a byte is read), 413 past the limit once inflated,
    // 400 for a broken stream.
    let mut refused = match &coding {
        Coding::Unsupported(name) => Some(inflate::unsupported(name)),
        _ => None,
    };
    // raw-body refuses a declared length over the limit without reading a byte; a compressed
    // body's declared length is not what the limit counts.
    let mut unread = refused.is_some() || (inflater.is_none() && declared.is_some_and(|n| n > limit));
    let mut bytes = web::BytesMut::new();
    let mut broken = None;
    if !unread {
        let mut payload = req.take_payload();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let chunk = match next_chunk(&mut payload, deadline).await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => {
                    // The rest of the body is unreadable: the connection is closed after.
                    broken = Some(e);
                    unread = true;
                    break;
                }
            };
            if let Some(i) = &mut inflater {
                if let Err(stop) = i.feed(&chunk) {
                    refused = Some(stopped(stop));
                    unread = true;
                    break;
                }
                continue;
            }
            if bytes.len() + chunk.len() > limit {
                unread = true;
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    // The journal keeps the body as the parser read it, inflated.
    if let (Some(i), None, false) = (inflater.take(), &refused, unread) {
        match i.finish() {
            Ok(inflated) => bytes.extend_from_slice(&inflated),
            Err(stop) => refused = Some(stopped(stop)),
        }
    }
    let raw = bytes.freeze();
    req.set_payload(Payload::from(raw.clone()));

    let mut lints = vec![];
    let charset = charset_of(content_type.as_deref());
    let result = match kind {
        // The charset is checked before the body is read, so a 415 wins over a 413.
        BodyKind::Json => match check_json_charset(charset.as_deref()) {
            Err(e) => Err(e),
            Ok(_) if refused.is_some() => Err(refused.take().expect("checked")),
            Ok(_) if unread => Err(ApiError::PayloadTooLarge),
            Ok(decoder) => {
                let text = decode(&raw, decoder, charset.is_none(), &mut lints);
                parse_json(text.as_bytes()).map(|value| RequestBody { value, form: false })
            }
        },
        BodyKind::Form => match charset.as_deref() {
            // body-parser 1.x's urlencoded parser takes UTF-8 only.
            Some(c) if c != "utf-8" => Err(unsupported_charset(c)),
            _ if refused.is_some() => Err(refused.take().expect("checked")),
            _ if unread => Err(ApiError::PayloadTooLarge),
            _ => {
                let text = decode(&raw, Decoder::Utf8, charset.is_none(), &mut lints);
                lints.extend(crate::domain::mistakes::json_sent_as_form(&text));
                parse_form(&text).map(|value| RequestBody { value, form: true })
            }
        },
        // Unparsed types are not read in production; a body over the limit is still refused
        // here (stricter, so that nothing unbounded is held), as docs/vendor-api.md says.
        BodyKind::Ignored if unread => Err(ApiError::PayloadTooLarge),
        BodyKind::Ignored => {
            if !raw.iter().all(u8::is_ascii_whitespace) {
                lints.push(Lint::new(
                    LintCode::BodyNotJson,
                    format!(
                        "a {}-byte body arrived with content type {}; it was ignored",
                        raw.len(),
                        content_type
                            .as_deref()
                            .map(|c| format!("{c:?}"))
                            .unwrap_or_else(|| "(none)".into())
                    ),
                ));
            }
            Ok(RequestBody {
                value: Value::Object(Map::new()),
                form: false,
            })
        }
    };
    let is_broken = broken.is_some();
    let result = match broken {
        Some(e) => Err(e),
        None => result,
    };
    // The parsed body moves into the request, where the handler takes it: no copy of it.
    let result = result.map(|body| {
        req.extensions_mut().insert(body);
    });
    Ok(Read {
        raw,
        result,
        lints,
        unread,
        broken: is_broken,
    })
}

fn stopped(stop: inflate::Stop) -> ApiError {
    match stop {
        inflate::Stop::TooLarge => ApiError::PayloadTooLarge,
        inflate::Stop::Broken(e) => e,
    }
}

/// The next chunk of the body; a stalled body answers 408 and broken framing (a malformed
/// chunked encoding, a connection cut mid-body) 400, both as JSON errors the journal records.
pub(crate) async fn next_chunk(
    payload: &mut Payload,
    deadline: tokio::time::Instant,
) -> Result<Option<web::Bytes>, ApiError> {
    match tokio::time::timeout_at(deadline, payload.next()).await {
        Err(_) => Err(ApiError::RequestTimeout),
        Ok(None) => Ok(None),
        Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
        // raw-body's wording (body-parser's reader) for a body that stops short.
        Ok(Some(Err(actix_web::error::PayloadError::Incomplete(_)))) => {
            Err(ApiError::BadRequest("request aborted".into()))
        }
        Ok(Some(Err(e))) => Err(ApiError::BadRequest(format!("Malformed request body: {e}"))),
    }
}

/// The body the middleware parsed for this request (`{}` if none), taken out of the request:
/// its one reader is the handler, so it moves rather than being copied.
pub fn of(req: &HttpRequest) -> RequestBody {
    req.extensions_mut().remove::<RequestBody>().unwrap_or(RequestBody {
        value: Value::Object(Map::new()),
        form: false,
    })
}

/// The `charset` parameter of a Content-Type, lowercased, as content-type's parser reads it.
fn charset_of(content_type: Option<&str>) -> Option<String> {
    content_type?.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"').to_ascii_lowercase())
    })
}

fn unsupported_charset(charset: &str) -> ApiError {
    ApiError::UnsupportedMediaType(format!("unsupported charset \"{}\"", charset.to_uppercase()))
}

/// The decoders iconv-lite has for the `utf-*` names body-parser lets through.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decoder {
    Utf8,
    Utf16 { big_endian: Option<bool> },
    Utf32 { big_endian: Option<bool> },
    Utf7,
}

/// body-parser's JSON parser takes any `utf-*` charset (utf-8 when none is named) and refuses
/// the rest with 415; a `utf-*` name iconv-lite does not know is refused the same way.
fn check_json_charset(charset: Option<&str>) -> Result<Decoder, ApiError> {
    let Some(charset) = charset else {
        return Ok(Decoder::Utf8);
    };
    if !charset.starts_with("utf-") {
        return Err(unsupported_charset(charset));
    }
    // iconv-lite compares names lowercased with everything but letters and digits removed.
    let name: String = charset.chars().filter(char::is_ascii_alphanumeric).collect();
    Ok(match name.as_str() {
        "utf8" => Decoder::Utf8,
        "utf16" => Decoder::Utf16 { big_endian: None },
        "utf16le" => Decoder::Utf16 {
            big_endian: Some(false),
        },
        "utf16be" => Decoder::Utf16 { big_endian: Some(true) },
        "utf32" => Decoder::Utf32 { big_endian: None },
        "utf32le" => Decoder::Utf32 {
            big_endian: Some(false),
        },
        "utf32be" => Decoder::Utf32 { big_endian: Some(true) },
        "utf7" => Decoder::Utf7,
        _ => return Err(unsupported_charset(charset)),
    })
}

/// Decodes as iconv-lite does: malformed input becomes U+FFFD and a leading byte order mark is
/// dropped. Invalid UTF-8 in a body that named no charset is the signature of Windows
/// PowerShell's ISO-8859-1 bodies: accepted garbled, as production does, with a lint.
fn decode(raw: &[u8], decoder: Decoder, no_charset: bool, lints: &mut Vec<Lint>) -> String {
    let text = match decoder {
        Decoder::Utf8 => match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => {
                let text = String::from_utf8_lossy(raw).into_owned();
                let replaced = text.chars().filter(|c| *c == '\u{FFFD}').count();
                lints.push(Lint::new(
                    LintCode::BodyNotUtf8,
                    format!(
                        "the body is not valid UTF-8 (content type {}); {replaced} character(s) became U+FFFD",
                        if no_charset {
                            "without a charset"
                        } else {
                            "with charset utf-8"
                        }
                    ),
                ));
                text
            }
        },
        Decoder::Utf16 { big_endian } => {
            let big = big_endian.unwrap_or(raw.starts_with(&[0xFE, 0xFF]));
            let units = raw.chunks(2).map(|c| match c {
                [a, b] if big => u16::from_be_bytes([*a, *b]),
                [a, b] => u16::from_le_bytes([*a, *b]),
                _ => 0xFFFD,
            });
            char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')).collect()
        }
        Decoder::Utf32 { big_endian } => {
            let big = big_endian.unwrap_or(raw.starts_with(&[0, 0, 0xFE, 0xFF]));
            raw.chunks(4)
                .map(|c| match c {
                    [a, b, c, d] => {
                        let n = if big {
                            u32::from_be_bytes([*a, *b, *c, *d])
                        } else {
                            u32::from_le_bytes([*a, *b, *c, *d])
                        };
                        char::from_u32(n).unwrap_or('\u{FFFD}')
                    }
                    _ => '\u{FFFD}',
                })
                .collect()
        }
        Decoder::Utf7 => decode_utf7(raw),
    };
    match text.strip_prefix('\u{FEFF}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// UTF-7 (RFC 2152): `+` opens a run of modified base64 holding UTF-16BE, closed by `-`
/// (absorbed) or by any character outside base64; `+-` is a literal `+`.
fn decode_utf7(raw: &[u8]) -> String {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    // The bits past the last whole byte are padding, never checked.
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone),
    );
    let mut out = String::new();
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        i += 1;
        if b != b'+' {
            out.push(if b.is_ascii() { b as char } else { '\u{FFFD}' });
            continue;
        }
        let start = i;
        while i < raw.len() && (raw[i].is_ascii_alphanumeric() || raw[i] == b'+' || raw[i] == b'/') {
            i += 1;
        }
        let run = &raw[start..i];
        if i < raw.len() && raw[i] == b'-' {
            i += 1;
        }
        if run.is_empty() {
            out.push('+');
            continue;
        }
        // A run of 4n+1 characters cannot be base64: its last character carries no byte.
        let run = if run.len() % 4 == 1 { &run[..run.len() - 1] } else { run };
        let bytes = engine.decode(run).unwrap_or_default();
        let units = bytes.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]]));
        out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')));
    }
    out
}

/// A form body as body-parser's urlencoded parser gives it: an object of strings.
fn parse_form(text: &str) -> Result<Value, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(text).map_err(|e| ApiError::BadRequest(format!("Malformed form body: {e}")))?;
    Ok(Value::Object(
        pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect(),
    ))
}

/// Parses a JSON body as body-parser does: zero bytes are `{}` (its special case for a common
/// client mistake), a UTF-8 byte order mark is skipped (its decoder strips it), only an object or
/// an array may stand at the top (its `strict` mode), and a syntax error names the token and its
/// position, counted in UTF-16 code units as Node's `JSON.parse` counts them.
pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    if let Some(at) = bytes.iter().position(|b| !blank(b)) {
        if !matches!(bytes[at], b'{' | b'[') {
            let token = String::from_utf8_lossy(&bytes[at..]).chars().next().unwrap_or_default();
            return Err(ApiError::BadRequest(format!(
                "Unexpected token {token} in JSON at position {at}"
            )));
        }
    }
    serde_json::from_slice(bytes).map_err(|e| {
        if e.is_eof() {
            return ApiError::BadRequest("Unexpected end of JSON input".into());
        }
        let at = byte_offset(bytes, e.line(), e.column()).min(bytes.len());
        let token = String::from_utf8_lossy(&bytes[at..])
            .chars()
            .next()
            .map(|c| c.to_string())
            .unwrap_or_default();
        let position = String::from_utf8_lossy(&bytes[..at]).encode_utf16().count();
        ApiError::BadRequest(format!("Unexpected token {token} in JSON at position {position}"))
    })
}

/// The byte offset of serde's (line, column), whose column counts bytes from 1.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in bytes.split(|b| *b == b'\n').enumerate() {
        if i + 1 == line {
            return offset + column.saturating_sub(1);
        }
        offset += l.len() + 1;
    }
    offset
}

/// How a body arrived, decided from its Content-Type as NestJS's body parsers decide: only
/// `application/json` is parsed as JSON and `application/x-www-form-urlencoded` as a form; any
/// other type, or none, leaves the body unread, so the handler sees `{}` (production then
/// answers the validation errors of an empty object).
pub enum BodyKind {
    Json,
    Form,
    Ignored,
}

pub fn body_kind(content_type: Option<&str>) -> BodyKind {
    let Some(ct) = content_type else {
        return BodyKind::Ignored;
    };
    let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => BodyKind::Json,
        "application/x-www-form-urlencoded" => BodyKind::Form,
        _ => BodyKind::Ignored,
    }
}

/// A body for the PATCH routes that take JSON, form-encoding or nothing at all.
pub fn parse_lenient(bytes: &[u8], kind: BodyKind) -> Result<Value, ApiError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Value::Object(Map::new()));
    }
    match kind {
        BodyKind::Json => parse_json(bytes),
        BodyKind::Form => parse_form(&String::from_utf8_lossy(bytes)),
        BodyKind::Ignored => Ok(Value::Object(Map::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(raw: &[u8], charset: Option<&str>) -> Result<String, ApiError> {
        let decoder = check_json_charset(charset)?;
        Ok(decode(raw, decoder, charset.is_none(), &mut vec![]))
    }

    #[test]
    fn charsets_as_body_parser_takes_them() {
        assert_eq!(
            charset_of(Some("application/json; Charset=\"UTF-16LE\"")).as_deref(),
            Some("utf-16le")
        );
        assert_eq!(charset_of(Some("application/json")), None);
        for refused in ["iso-8859-1", "latin1", "windows-1252", "utf-9", "utf8"] {
            match decoded(b"{}", Some(refused)) {
                Err(ApiError::UnsupportedMediaType(m)) => {
                    assert_eq!(m, format!("unsupported charset \"{}\"", refused.to_uppercase()))
                }
                other => panic!("{refused}: {other:?}"),
            }
        }
        let utf16le: Vec<u8> = "\u{feff}{\"n\":\"Müller\"}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(decoded(&utf16le, Some("utf-16")).unwrap(), "{\"n\":\"Müller\"}");
        assert_eq!(decoded(&utf16le, Some("utf-16le")).unwrap(), "{\"n\":\"Müller\"}");
        let utf16be: Vec<u8> = "{\"n\":\"Müller\"}".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(decoded(&utf16be, Some("utf-16be")).unwrap(), "{\"n\":\"Müller\"}");
        let utf32be: Vec<u8> = "{\"n\":\"😀\"}"
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        assert_eq!(decoded(&utf32be, Some("utf-32be")).unwrap(), "{\"n\":\"😀\"}");
        assert_eq!(
            decoded(b"{\"n\":\"M+APw-ller 1+-1\"}", Some("utf-7")).unwrap(),
            "{\"n\":\"Müller 1+1\"}"
        );
        // Windows PowerShell's ISO-8859-1 "Müller": 0xFC is not UTF-8.
        let mut lints = vec![];
        assert_eq!(decode(b"M\xFCller", Decoder::Utf8, true, &mut lints), "M\u{FFFD}ller");
        assert_eq!(lints.len(), 1);
        assert_eq!(lints[0].code, LintCode::BodyNotUtf8);
    }

    #[test]
    fn json_errors_name_the_position() {
        match parse_json(br#"{"a":}"#) {
            Err(ApiError::BadRequest(m)) => {
                assert_eq!(m, "Unexpected token } in JSON at position 5")
            }
            other => panic!("{other:?}"),
        }
        match parse_json(b"{\n \"a\": 1,\n x}") {
            Err(ApiError::BadRequest(m)) => assert!(m.contains("position 12"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(parse_json(br#"{"a":"#), Err(ApiError::BadRequest(m)) if m == "Unexpected end of JSON input"));
        // Node counts UTF-16 code units: é and € are one each, 😀 two.
        match parse_json("{\"a\":\"é€😀\",}".as_bytes()) {
            Err(ApiError::BadRequest(m)) => assert_eq!(m, "Unexpected token } in JSON at position 12"),
            other => panic!("{other:?}"),
        }
        // Strict: only an object or an array at the top.
        for (body, message) in [
            ("5", "Unexpected token 5 in JSON at position 0"),
            ("  \"name\"", "Unexpected token \" in JSON at position 2"),
            ("null", "Unexpected token n in JSON at position 0"),
            ("\u{feff}{\"a\":1}x", "Unexpected token x in JSON at position 7"),
        ] {
            assert!(
                matches!(parse_json(body.as_bytes()), Err(ApiError::BadRequest(ref m)) if m == message),
                "{body}"
            );
        }
        assert_eq!(parse_json("\u{feff}[1]".as_bytes()).unwrap(), json!([1]));
        // Zero bytes are body-parser's `{}`; blanks are not.
        assert_eq!(parse_json(b"").unwrap(), json!({}));
        assert!(matches!(parse_json(b" "), Err(ApiError::BadRequest(m)) if m == "Unexpected end of JSON input"));
    }

    #[test]
    fn only_json_content_types_are_read_as_json() {
        assert!(matches!(body_kind(Some("application/json")), BodyKind::Json));
        assert!(matches!(
            body_kind(Some("Application/JSON; charset=utf-8")),
            BodyKind::Json
        ));
        assert!(matches!(
            body_kind(Some("application/x-www-form-urlencoded")),
            BodyKind::Form
        ));
        assert!(matches!(body_kind(Some("text/plain")), BodyKind::Ignored));
        assert!(matches!(body_kind(None), BodyKind::Ignored));
        assert_eq!(parse_lenient(b"junk", BodyKind::Ignored).unwrap(), json!({}));
    }

    #[test]
    fn lenient_bodies() {
        assert_eq!(parse_lenient(b"", BodyKind::Json).unwrap(), json!({}));
        assert_eq!(
            parse_lenient(b"name=A+B&id=1", BodyKind::Form).unwrap(),
            json!({"name":"A B","id":"1"})
        );
    }
}
