//! Request fields, checked as class-validator checks them: one message per broken rule.
//! (Reading and parsing the body itself is HTTP's business: see `api::body`.)

use super::lint::{Lint, LintCode, Linted};
use super::Rejection;
use serde_json::{Map, Value};

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

    /// The command these fields make if every rule held, else the messages; the lints come
    /// along either way. `value` is `None` only when a rule broke (each getter answers `None`
    /// after adding its message), so a command is built without unwrapping anything.
    pub fn finish<T>(self, value: Option<T>) -> Linted<T, Rejection> {
        let result = match value {
            Some(v) if self.errors.is_empty() => Ok(v),
            _ => Err(Rejection::Invalid(self.errors)),
        };
        Linted::new(result, self.lints)
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
pub fn objects(body: &Value) -> Result<ObjectList<'_>, Rejection> {
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
                return Err(Rejection::Invalid(errors));
            }
            if out.is_empty() {
                return Err(Rejection::invalid("body should not be empty"));
            }
            Ok((out, true))
        }
        _ => Err(Rejection::invalid("body must be an object or an array of objects")),
    }
}

/// The body as one object, or a 400.
pub fn object(body: &Value) -> Result<&Map<String, Value>, Rejection> {
    body.as_object()
        .ok_or_else(|| Rejection::invalid("body must be an object"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
    fn form_booleans() {
        assert_eq!(parse_bool("True"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
