//! Strict reading of a processor's options: each read removes the option, leftovers are errors.

use crate::document::FieldPath;
use crate::error::ConfigError;
use crate::template::{Escape, Template};
use crate::value::{Map, Value};

/// A processor's options as written, consumed as the processor is built.
#[derive(Debug)]
pub struct Config {
    type_name: String,
    map: Map,
}

/// A field-name option: a fixed path, or a template rendered per document then parsed.
#[derive(Debug, Clone)]
pub enum FieldRef {
    /// A path known when the pipeline loads.
    Static(FieldPath),
    /// A path that holds `{{…}}`.
    Dynamic(Template),
}

impl FieldRef {
    /// Builds from option text (templates allowed).
    pub fn new(property: &str, text: &str) -> Result<FieldRef, ConfigError> {
        if text.contains("{{") {
            let t = Template::compile_with(text, Escape::Json)
                .map_err(|e| ConfigError::property(property, e))?;
            Ok(FieldRef::Dynamic(t))
        } else {
            FieldPath::parse(text)
                .map(FieldRef::Static)
                .map_err(|e| ConfigError::property(property, e.reason))
        }
    }

    /// The path for this document.
    pub fn resolve(
        &self,
        doc: &crate::document::IngestDocument,
    ) -> Result<std::borrow::Cow<'_, FieldPath>, crate::error::IngestError> {
        match self {
            FieldRef::Static(p) => Ok(std::borrow::Cow::Borrowed(p)),
            FieldRef::Dynamic(t) => FieldPath::parse(&t.render(doc)).map(std::borrow::Cow::Owned),
        }
    }

    /// The path for this document, or `None` when a template renders to an empty string.
    pub fn resolve_non_empty(
        &self,
        doc: &crate::document::IngestDocument,
    ) -> Result<Option<std::borrow::Cow<'_, FieldPath>>, crate::error::IngestError> {
        match self {
            FieldRef::Static(p) => Ok(Some(std::borrow::Cow::Borrowed(p))),
            FieldRef::Dynamic(t) => {
                let text = t.render(doc);
                if text.is_empty() {
                    return Ok(None);
                }
                FieldPath::parse(&text).map(|p| Some(std::borrow::Cow::Owned(p)))
            }
        }
    }

    /// The option as written.
    pub fn as_str(&self) -> &str {
        match self {
            FieldRef::Static(p) => p.original(),
            FieldRef::Dynamic(t) => t.source(),
        }
    }
}

impl Config {
    /// Wraps a processor's option map.
    pub fn new(type_name: &str, map: Map) -> Self {
        Config {
            type_name: type_name.to_string(),
            map,
        }
    }

    /// The processor type being configured.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// Removes and returns an option, if present and not null.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        match self.map.shift_remove(key) {
            Some(Value::Null) | None => None,
            Some(v) => Some(v),
        }
    }

    /// True when an option is present (and not null).
    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    /// A required option of any type.
    pub fn req_value(&mut self, key: &str) -> Result<Value, ConfigError> {
        self.take(key).ok_or_else(|| missing(key))
    }

    /// An optional string option.
    pub fn opt_str(&mut self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(ConfigError::property(
                key,
                format!(
                    "property isn't a string, but of type [{}]",
                    other.java_type()
                ),
            )),
        }
    }

    /// A required string option.
    pub fn req_str(&mut self, key: &str) -> Result<String, ConfigError> {
        self.opt_str(key)?.ok_or_else(|| missing(key))
    }

    /// A string option with a default.
    pub fn str_or(&mut self, key: &str, default: &str) -> Result<String, ConfigError> {
        Ok(self.opt_str(key)?.unwrap_or_else(|| default.to_string()))
    }

    /// A string option that also accepts numbers (Elasticsearch's `readStringOrIntProperty`).
    pub fn opt_str_or_int(&mut self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v @ (Value::Int(_) | Value::Long(_))) => Ok(Some(v.to_java_string())),
            Some(other) => Err(ConfigError::property(
                key,
                format!(
                    "property isn't a string or int, but of type [{}]",
                    other.java_type()
                ),
            )),
        }
    }

    /// A boolean option with a default; only real booleans are accepted.
    pub fn bool_or(&mut self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.take(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(b),
            Some(other) => Err(ConfigError::property(
                key,
                format!(
                    "property isn't a boolean, but of type [{}]",
                    other.java_type()
                ),
            )),
        }
    }

    /// An optional integer option (numbers or numeric strings).
    pub fn opt_int(&mut self, key: &str) -> Result<Option<i64>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Int(i)) => Ok(Some(i as i64)),
            Some(Value::Long(l)) => Ok(Some(l)),
            Some(v) => {
                let text = v.to_java_string();
                text.trim().parse::<i64>().map(Some).map_err(|_| {
                    ConfigError::property(
                        key,
                        format!("property cannot be converted to an int [{text}]"),
                    )
                })
            }
        }
    }

    /// An optional list option; a single string counts as a one-item list.
    pub fn opt_str_list(&mut self, key: &str) -> Result<Option<Vec<String>>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s])),
            Some(Value::List(l)) => l
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    other => Ok(other.to_java_string()),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(ConfigError::property(
                key,
                format!("property isn't a list, but of type [{}]", other.java_type()),
            )),
        }
    }

    /// An optional list option that must be a list (Elasticsearch's `readOptionalList`).
    pub fn opt_list(&mut self, key: &str) -> Result<Option<Vec<Value>>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l)),
            Some(other) => Err(ConfigError::property(
                key,
                format!("property isn't a list, but of type [{}]", other.java_type()),
            )),
        }
    }

    /// An optional map option.
    pub fn opt_map(&mut self, key: &str) -> Result<Option<Map>, ConfigError> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Map(m)) => Ok(Some(m)),
            Some(other) => Err(ConfigError::property(
                key,
                format!("property isn't a map, but of type [{}]", other.java_type()),
            )),
        }
    }

    /// A required field-name option (templates allowed).
    pub fn req_field(&mut self, key: &str) -> Result<FieldRef, ConfigError> {
        let s = self.req_str(key)?;
        FieldRef::new(key, &s)
    }

    /// An optional field-name option (templates allowed).
    pub fn opt_field(&mut self, key: &str) -> Result<Option<FieldRef>, ConfigError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => FieldRef::new(key, &s).map(Some),
        }
    }

    /// A required template option.
    pub fn req_template(&mut self, key: &str) -> Result<Template, ConfigError> {
        let s = self.req_str(key)?;
        Template::compile(&s).map_err(|e| ConfigError::property(key, e))
    }

    /// An optional template option.
    pub fn opt_template(&mut self, key: &str) -> Result<Option<Template>, ConfigError> {
        match self.opt_str(key)? {
            None => Ok(None),
            Some(s) => Template::compile(&s)
                .map(Some)
                .map_err(|e| ConfigError::property(key, e)),
        }
    }

    /// Fails when options remain that no reader took (Elasticsearch rejects unknown options).
    pub fn finish(self) -> Result<(), ConfigError> {
        if self.map.is_empty() {
            return Ok(());
        }
        let keys: Vec<&str> = self.map.keys().map(String::as_str).collect();
        Err(ConfigError::general(format!(
            "processor [{}] doesn't support one or more provided configuration parameters {}",
            self.type_name,
            format_args!("[{}]", keys.join(", "))
        )))
    }
}

/// Elasticsearch's message for a missing required option.
pub fn missing(key: &str) -> ConfigError {
    ConfigError::property(key, "required property is missing")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(json: &str) -> Config {
        let Value::Map(m) = Value::from_json_str(json).unwrap() else {
            panic!()
        };
        Config::new("set", m)
    }

    #[test]
    fn strict_reading() {
        let mut c = cfg(r#"{"field":"a","flag":"true","extra":1}"#);
        assert_eq!(c.req_str("field").unwrap(), "a");
        assert_eq!(
            c.bool_or("flag", false).unwrap_err().to_string(),
            "[flag] property isn't a boolean, but of type [java.lang.String]"
        );
        assert_eq!(
            c.req_str("value").unwrap_err().to_string(),
            "[value] required property is missing"
        );
        assert_eq!(
            c.finish().unwrap_err().to_string(),
            "processor [set] doesn't support one or more provided configuration parameters [extra]"
        );
    }
}
