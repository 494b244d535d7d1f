//! `lowercase` (Java `toLowerCase(Locale.ROOT)`), plus the code `uppercase`, `trim` and `gsub`
//! share: Elasticsearch's AbstractStringProcessor (a string or a list of strings, `target_field`,
//! `ignore_missing`).

use crate::document::{FieldPath, IngestDocument};
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;

/// The options every string processor reads: `field`, `target_field` (default `field`),
/// `ignore_missing`.
#[derive(Debug)]
pub(crate) struct StringField {
    field: FieldRef,
    target: Option<FieldRef>,
    ignore_missing: bool,
}

impl StringField {
    /// Reads `field`, `target_field` and `ignore_missing`.
    pub(crate) fn read(cfg: &mut Config) -> Result<StringField, BuildError> {
        Ok(StringField {
            field: cfg.req_field("field")?,
            target: cfg.opt_field("target_field")?,
            ignore_missing: cfg.bool_or("ignore_missing", false)?,
        })
    }

    /// Applies `f` to the field's string, or to each string of its list, and writes the result
    /// to the target, with AbstractStringProcessor's errors.
    pub(crate) fn apply(
        &self,
        doc: &mut IngestDocument,
        f: impl Fn(&str) -> Result<Value, IngestError>,
    ) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        super::rewrite_field(
            doc,
            path,
            self.target.as_ref(),
            self.ignore_missing,
            |field, v| self.new_value(field, v, &f),
        )
    }

    /// The value to write for the field's current value; `None` to leave the document as it is.
    fn new_value(
        &self,
        path: &FieldPath,
        value: Option<&Value>,
        f: impl Fn(&str) -> Result<Value, IngestError>,
    ) -> Result<Option<Value>, IngestError> {
        Ok(Some(match value {
            None | Some(Value::Null) if self.ignore_missing => return Ok(None),
            None | Some(Value::Null) => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] is null, cannot process it."
                )));
            }
            Some(Value::String(s)) => f(s)?,
            Some(Value::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for v in items {
                    match v {
                        Value::String(s) => out.push(f(s)?),
                        // Java calls `value.getClass()` on the item for its message.
                        Value::Null => {
                            return Err(IngestError::new(
                                "null_pointer_exception",
                                "Cannot invoke \"Object.getClass()\" because \"value\" is null",
                            ));
                        }
                        other => {
                            return Err(IngestError::illegal_argument(format!(
                                "value [{}] of type [{}] in list field [{path}] cannot be cast to [java.lang.String]",
                                other.to_java_string(),
                                other.java_type()
                            )));
                        }
                    }
                }
                Value::List(out)
            }
            Some(other) => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] of type [{}] cannot be cast to [java.lang.String]",
                    other.java_type()
                )));
            }
        }))
    }
}

/// A string processor whose work is a plain function of the string.
#[derive(Debug)]
pub(crate) struct MapString {
    opts: StringField,
    op: fn(&str) -> String,
}

impl MapString {
    /// Builds a processor applying `op` to a string field.
    pub(crate) fn build(
        cfg: &mut Config,
        op: fn(&str) -> String,
    ) -> Result<Box<dyn Processor>, BuildError> {
        Ok(Box::new(MapString {
            opts: StringField::read(cfg)?,
            op,
        }))
    }
}

impl Processor for MapString {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        self.opts.apply(doc, |s| Ok(Value::String((self.op)(s))))
    }
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    MapString::build(cfg, str::to_lowercase)
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn lowercases() {
        give(
            "lowercase",
            r#"{"field":"a"}"#,
            r#"{"a":"HeLLo ÄÖ İ"}"#,
            r#"{"a":"hello äö i̇"}"#,
        );
        give(
            "lowercase",
            r#"{"field":"a","target_field":"b"}"#,
            r#"{"a":["X","Y"]}"#,
            r#"{"a":["X","Y"],"b":["x","y"]}"#,
        );
        give(
            "lowercase",
            r#"{"field":"a","ignore_missing":true}"#,
            "{}",
            "{}",
        );
        give(
            "lowercase",
            r#"{"field":"a","ignore_missing":true}"#,
            r#"{"a":null}"#,
            r#"{"a":null}"#,
        );
    }

    #[test]
    fn errors() {
        fails(
            "lowercase",
            r#"{"field":"a"}"#,
            "{}",
            "field [a] not present as part of path [a]",
        );
        fails(
            "lowercase",
            r#"{"field":"a"}"#,
            r#"{"a":null}"#,
            "field [a] is null, cannot process it.",
        );
        fails(
            "lowercase",
            r#"{"field":"a"}"#,
            r#"{"a":1}"#,
            "field [a] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        fails(
            "lowercase",
            r#"{"field":"a","ignore_missing":true}"#,
            r#"{"a":["x",2]}"#,
            "value [2] of type [java.lang.Integer] in list field [a] cannot be cast to [java.lang.String]",
        );
        bad_config("lowercase", "{}", "[field] required property is missing");
    }
}
