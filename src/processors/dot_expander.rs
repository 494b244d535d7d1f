//! `dot_expander`: turns a literal dotted key (`{"a.b": 1}`) into nested objects
//! (Elasticsearch's DotExpanderProcessor).

// Helpers return the core `IngestError` unboxed, as `IngestDocument`'s methods do.
#![allow(clippy::result_large_err)]

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::{Map, Value};

#[derive(Debug)]
struct DotExpander {
    /// The literal key, or `*` for every dotted key.
    field: String,
    /// The object holding the key, when not the document root.
    path: Option<FieldPath>,
    override_: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    if !field.contains('.') && field != "*" {
        return Err(ConfigError::property(
            "field",
            "field does not contain a dot and is not a wildcard",
        )
        .into());
    }
    if field.starts_with('.') || field.ends_with('.') {
        return Err(ConfigError::property("field", "Field can't start or end with a dot").into());
    }
    if field.contains("..") {
        return Err(ConfigError::property("field", "No space between dots").into());
    }
    let path = match cfg.opt_str("path")? {
        None => None,
        Some(p) => Some(FieldPath::parse(&p).map_err(|e| ConfigError::property("path", e.reason))?),
    };
    let override_ = cfg.bool_or("override", false)?;
    Ok(Box::new(DotExpander {
        field,
        path,
        override_,
    }))
}

impl DotExpander {
    /// The map the keys live in: the root `ctx`, or the object at `path`.
    fn map<'d>(&self, doc: &'d mut IngestDocument) -> Result<&'d mut Map, IngestError> {
        let Some(path) = &self.path else {
            return Ok(&mut doc.ctx);
        };
        match doc.get_mut(path)? {
            Value::Map(m) => Ok(m),
            other => Err(IngestError::illegal_argument(format!(
                "field [{path}] of type [{}] cannot be cast to [java.util.Map]",
                other.java_type()
            ))),
        }
    }

    fn full_path(&self, key: &str) -> String {
        match &self.path {
            Some(p) => format!("{}.{key}", p.original()),
            None => key.to_string(),
        }
    }

    /// Expands one key (Elasticsearch's `expandDot`).
    fn expand(&self, doc: &mut IngestDocument, key: &str) -> Result<(), IngestError> {
        if !self.map(doc)?.contains_key(key) {
            return Ok(());
        }
        let full = self.full_path(key);
        let target = FieldPath::parse(&full)?;
        if doc.has_field(&target) {
            let value = self.map(doc)?.shift_remove(key).unwrap_or_default();
            if self.override_ {
                doc.set(&target, value)?;
            } else {
                doc.append(&target, value, true)?;
            }
            return Ok(());
        }
        // A prefix that holds a value (not an object) cannot become an object.
        for (i, _) in full.match_indices('.') {
            // i is the offset of an ASCII '.' in full: a char boundary.
            let partial = &full[..i];
            let Ok(pp) = FieldPath::parse(partial) else {
                break;
            };
            match doc.get_opt(&pp) {
                None => break,
                Some(Value::Map(_)) => {}
                Some(_) => {
                    return Err(IngestError::illegal_argument(format!(
                        "cannot expand [{full}], because [{partial}] is not an object field, but a value field"
                    )));
                }
            }
        }
        let value = self.map(doc)?.shift_remove(key).unwrap_or_default();
        doc.set(&target, value)
    }
}

impl Processor for DotExpander {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        if self.field == "*" {
            let keys: Vec<String> = self
                .map(doc)?
                .keys()
                .filter(|k| k.find('.').is_some_and(|i| i > 0))
                .cloned()
                .collect();
            for key in keys {
                self.expand(doc, &key)?;
            }
        } else {
            self.expand(doc, &self.field)?;
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn expands() {
        give(
            "dot_expander",
            r#"{"field":"a.b"}"#,
            r#"{"a.b":1}"#,
            r#"{"a":{"b":1}}"#,
        );
        give(
            "dot_expander",
            r#"{"field":"a.b"}"#,
            r#"{"a.b":1,"a":{"c":2}}"#,
            r#"{"a":{"b":1,"c":2}}"#,
        );
        // Existing target: appended unless override.
        give(
            "dot_expander",
            r#"{"field":"a.b"}"#,
            r#"{"a.b":1,"a":{"b":2}}"#,
            r#"{"a":{"b":[2,1]}}"#,
        );
        give(
            "dot_expander",
            r#"{"field":"a.b","override":true}"#,
            r#"{"a.b":1,"a":{"b":2}}"#,
            r#"{"a":{"b":1}}"#,
        );
        give(
            "dot_expander",
            r#"{"field":"a.b"}"#,
            r#"{"x":1}"#,
            r#"{"x":1}"#,
        );
        give(
            "dot_expander",
            r#"{"field":"*"}"#,
            r#"{"a.b":1,"c.d.e":2,"f":3}"#,
            r#"{"a":{"b":1},"c":{"d":{"e":2}},"f":3}"#,
        );
        give(
            "dot_expander",
            r#"{"field":"x.y","path":"o"}"#,
            r#"{"o":{"x.y":1}}"#,
            r#"{"o":{"x":{"y":1}}}"#,
        );
        give(
            "dot_expander",
            r#"{"field":"*","path":"o.p"}"#,
            r#"{"o":{"p":{"x.y":1,"z":2}}}"#,
            r#"{"o":{"p":{"x":{"y":1},"z":2}}}"#,
        );
    }

    #[test]
    fn errors() {
        fails(
            "dot_expander",
            r#"{"field":"a.b"}"#,
            r#"{"a.b":1,"a":"v"}"#,
            "cannot expand [a.b], because [a] is not an object field, but a value field",
        );
        fails(
            "dot_expander",
            r#"{"field":"x.y","path":"o"}"#,
            r#"{"o":"s"}"#,
            "field [o] of type [java.lang.String] cannot be cast to [java.util.Map]",
        );
        fails(
            "dot_expander",
            r#"{"field":"x.y","path":"o"}"#,
            "{}",
            "field [o] not present as part of path [o]",
        );
        bad_config(
            "dot_expander",
            r#"{"field":"ab"}"#,
            "[field] field does not contain a dot and is not a wildcard",
        );
        bad_config(
            "dot_expander",
            r#"{"field":".a"}"#,
            "Field can't start or end with a dot",
        );
        bad_config(
            "dot_expander",
            r#"{"field":"a..b"}"#,
            "No space between dots",
        );
    }
}
