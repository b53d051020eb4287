//! Request bodies: JSON or form parsing with production's error wording, and a class-validator
//! style field checker that collects one message per broken rule.

use super::lint::{Lint, LintCode};
use crate::error::ApiError;
use serde_json::{Map, Value};

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
        BodyKind::Form => {
            let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes)
                .map_err(|e| ApiError::BadRequest(format!("Malformed form body: {e}")))?;
            Ok(Value::Object(
                pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect(),
            ))
        }
        BodyKind::Ignored => Ok(Value::Object(Map::new())),
    }
}

/// Checks the fields of one object, as class-validator with `whitelist` would: unknown fields
/// are ignored, `null` counts as absent, and every broken rule adds a message.
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    prefix: String,
    pub errors: Vec<String>,
    pub lints: Vec<Lint>,
    strict_types: bool,
    /// Form bodies carry every value as a string; "true"/"1" then count as booleans.
    form: bool,
}

impl<'a> Fields<'a> {
    pub fn new(obj: &'a Map<String, Value>, strict_types: bool) -> Self {
        Fields {
            obj,
            prefix: String::new(),
            errors: vec![],
            lints: vec![],
            strict_types,
            form: false,
        }
    }

    /// Messages for items of an array body are prefixed with the index: `0.id must be a string`.
    pub fn item(obj: &'a Map<String, Value>, index: Option<usize>, strict_types: bool) -> Self {
        let mut f = Fields::new(obj, strict_types);
        if let Some(i) = index {
            f.prefix = format!("{i}.");
        }
        f
    }

    pub fn form(mut self, form: bool) -> Self {
        self.form = form;
        self
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn err(&mut self, key: &str, rule: &str) {
        self.errors.push(format!("{}{key} {rule}", self.prefix));
    }

    pub fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn required_string(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            None => {
                self.err(key, "should not be empty");
                self.err(key, "must be a string");
                None
            }
            Some(Value::String(s)) if s.is_empty() => {
                self.err(key, "should not be empty");
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err(key, "must be a string");
                None
            }
        }
    }

    /// A string that may be empty (class-validator's IsString alone); absent is an error only
    /// when `required`.
    pub fn string(&mut self, key: &str, required: bool) -> Option<String> {
        match self.get(key) {
            None if required => {
                self.err(key, "must be a string");
                None
            }
            _ => self.optional_string(key),
        }
    }

    pub fn optional_string(&mut self, key: &str) -> Option<String> {
        match self.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err(key, "must be a string");
                None
            }
        }
    }

    /// A vendor id: a string, or a JSON number that production coerces (kept as its decimal
    /// string, with a lint warning) unless `--strict-types`.
    pub fn id_string(&mut self, key: &str, required: bool) -> Option<String> {
        match self.get(key) {
            Some(Value::Number(n)) if !self.strict_types => {
                let s = js_number_string(n);
                self.lints.push(Lint::new(
                    LintCode::NumericId,
                    format!(
                        "`{}{key}` was sent as the number {n}; stored as the string \"{s}\"",
                        self.prefix
                    ),
                ));
                Some(s)
            }
            None if !required => None,
            _ if required => self.required_string(key),
            _ => self.optional_string(key),
        }
    }

    pub fn one_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let value = self.required_string(key)?;
        if allowed.contains(&value.as_str()) {
            Some(value)
        } else {
            self.err(
                key,
                &format!("must be one of the following values: {}", allowed.join(", ")),
            );
            None
        }
    }

    /// A finite number within the bounds; `integer` adds class-validator's IsInt rule.
    pub fn number(&mut self, key: &str, min: Option<f64>, max: Option<f64>, integer: bool) -> Option<f64> {
        let n = match self.get(key) {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) if self.form => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        let Some(n) = n.filter(|n| n.is_finite()) else {
            if integer {
                self.err(key, "must be an integer number");
            } else {
                self.err(key, "must be a number conforming to the specified constraints");
            }
            return None;
        };
        let before = self.errors.len();
        if integer && n.fract() != 0.0 {
            self.err(key, "must be an integer number");
        }
        if let Some(min) = min.filter(|m| n < *m) {
            self.err(key, &format!("must not be less than {min}"));
        }
        if let Some(max) = max.filter(|m| n > *m) {
            self.err(key, &format!("must not be greater than {max}"));
        }
        (self.errors.len() == before).then_some(n)
    }

    pub fn optional_bool(&mut self, key: &str) -> Option<bool> {
        match self.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) if self.form => match parse_bool(s) {
                Some(b) => Some(b),
                None => {
                    self.err(key, "must be a boolean value");
                    None
                }
            },
            Some(_) => {
                self.err(key, "must be a boolean value");
                None
            }
        }
    }

    pub fn optional_date(&mut self, key: &str) -> Option<String> {
        let s = self.optional_string(key)?;
        if chrono::DateTime::parse_from_rfc3339(&s).is_ok()
            || chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").is_ok()
            || chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
        {
            Some(s)
        } else {
            self.err(key, "must be a valid ISO 8601 date string");
            None
        }
    }
}

/// A JSON number as JavaScript's `String(n)` writes it after `JSON.parse` (every number a
/// double): `1002.0` is "1002", and integers past 2^53 lose the digits they lose in Node.
fn js_number_string(n: &serde_json::Number) -> String {
    match n.as_f64() {
        // -0 is written "0", as JavaScript writes it.
        Some(f) if f.is_finite() && f.abs() < 1e21 => format!("{}", f + 0.0),
        _ => n.to_string(),
    }
}

/// `no_build` and form booleans: true/false in any case, and 1/0.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" | "" => Some(false),
        _ => None,
    }
}

/// The objects of a body, and whether it was an array (messages then carry the index).
pub type ObjectList<'a> = (Vec<&'a Map<String, Value>>, bool);

/// A body that may be one object or an array of them (the "oneOf" bodies).
pub fn objects(body: &Value) -> Result<ObjectList<'_>, ApiError> {
    match body {
        Value::Object(o) => Ok((vec![o], false)),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut errors = vec![];
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::Object(o) => out.push(o),
                    _ => errors.push(format!("{i} must be an object")),
                }
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            if out.is_empty() {
                return Err(ApiError::validation_one("body should not be empty"));
            }
            Ok((out, true))
        }
        _ => Err(ApiError::validation_one(
            "body must be an object or an array of objects",
        )),
    }
}

/// The body as one object, or a 400.
pub fn object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::validation_one("body must be an object"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn fields_collect_class_validator_messages() {
        let v = json!({"name": "", "id": 7, "unitCount": "x", "category": "Security", "priority": 5});
        let mut f = Fields::new(v.as_object().unwrap(), false);
        assert_eq!(f.required_string("name"), None);
        assert_eq!(f.id_string("id", true).as_deref(), Some("7"));
        assert_eq!(f.number("unitCount", Some(0.0), None, false), None);
        assert_eq!(f.one_of("category", &["security"]), None);
        assert_eq!(f.number("priority", Some(1.0), Some(4.0), true), None);
        assert_eq!(f.required_string("description"), None);
        assert_eq!(
            f.errors,
            vec![
                "name should not be empty",
                "unitCount must be a number conforming to the specified constraints",
                "category must be one of the following values: security",
                "priority must not be greater than 4",
                "description should not be empty",
                "description must be a string",
            ]
        );
        assert_eq!(f.lints.len(), 1);
        let floats = json!({"a": 1002.0, "b": 1.5, "c": 9007199254740993u64, "d": -0.0});
        let mut f = Fields::new(floats.as_object().unwrap(), false);
        assert_eq!(f.id_string("a", true).as_deref(), Some("1002"));
        assert_eq!(f.id_string("b", true).as_deref(), Some("1.5"));
        assert_eq!(f.id_string("c", true).as_deref(), Some("9007199254740992"));
        assert_eq!(f.id_string("d", true).as_deref(), Some("0"));
        let mut strict = Fields::item(v.as_object().unwrap(), Some(2), true);
        assert_eq!(strict.id_string("id", true), None);
        assert_eq!(strict.errors, vec!["2.id must be a string"]);
    }

    #[test]
    fn lenient_bodies() {
        assert_eq!(parse_lenient(b"", BodyKind::Json).unwrap(), json!({}));
        assert_eq!(
            parse_lenient(b"name=A+B&id=1", BodyKind::Form).unwrap(),
            json!({"name":"A B","id":"1"})
        );
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
