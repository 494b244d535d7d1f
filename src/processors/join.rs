//! `join`: joins a list's elements (Java `toString()`) with a separator.

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;

#[derive(Debug)]
struct Join {
    field: FieldRef,
    target: Option<FieldRef>,
    separator: String,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    Ok(Box::new(Join {
        field: cfg.req_field("field")?,
        separator: cfg.req_str("separator")?,
        target: cfg.opt_field("target_field")?,
    }))
}

impl Processor for Join {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        let joined = match doc.get(&path)? {
            Value::Null => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] is null, cannot join."
                )));
            }
            Value::List(items) => {
                let mut out = String::new();
                for (i, v) in items.iter().enumerate() {
                    if v.is_null() {
                        // Object::toString on a null element.
                        return Err(IngestError::new(
                            "null_pointer_exception",
                            "Cannot invoke \"Object.toString()\" because \"<parameter1>\" is null",
                        ));
                    }
                    if i > 0 {
                        out.push_str(&self.separator);
                    }
                    out.push_str(&v.to_java_string());
                }
                out
            }
            other => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] of type [{}] cannot be cast to [java.util.List]",
                    other.java_type()
                )));
            }
        };
        let target = match &self.target {
            Some(t) => t.resolve(doc)?,
            None => path,
        };
        doc.set(&target, Value::String(joined))?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn joins() {
        give(
            "join",
            r#"{"field":"a","separator":"-"}"#,
            r#"{"a":["x",1,2.0,true]}"#,
            r#"{"a":"x-1-2.0-true"}"#,
        );
        give(
            "join",
            r#"{"field":"a","separator":", ","target_field":"b"}"#,
            r#"{"a":[[1,2],{"k":"v"}]}"#,
            r#"{"a":[[1,2],{"k":"v"}],"b":"[1, 2], {k=v}"}"#,
        );
        give(
            "join",
            r#"{"field":"a","separator":"-"}"#,
            r#"{"a":[]}"#,
            r#"{"a":""}"#,
        );
    }

    #[test]
    fn errors() {
        fails(
            "join",
            r#"{"field":"a","separator":"-"}"#,
            r#"{"a":"x"}"#,
            "field [a] of type [java.lang.String] cannot be cast to [java.util.List]",
        );
        fails(
            "join",
            r#"{"field":"a","separator":"-"}"#,
            r#"{"a":null}"#,
            "field [a] is null, cannot join.",
        );
        fails(
            "join",
            r#"{"field":"a","separator":"-"}"#,
            "{}",
            "field [a] not present as part of path [a]",
        );
        bad_config(
            "join",
            r#"{"field":"a"}"#,
            "[separator] required property is missing",
        );
        bad_config(
            "join",
            r#"{"field":"a","separator":"-","ignore_missing":true}"#,
            "[ignore_missing]",
        );
    }
}
