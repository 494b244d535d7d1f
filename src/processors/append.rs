//! `append`: adds values to a field, turning a scalar into a list.

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::template::{Escape, ValueSource};
use crate::value::Value;

#[derive(Debug)]
struct Append {
    field: FieldRef,
    source: Source,
    allow_duplicates: bool,
    ignore_empty_values: bool,
}

#[derive(Debug)]
enum Source {
    Value(ValueSource),
    CopyFrom(FieldPath),
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let value = cfg.take("value");
    let copy_from = cfg.opt_str("copy_from")?;
    let allow_duplicates = cfg.bool_or("allow_duplicates", true)?;
    let ignore_empty_values = cfg.bool_or("ignore_empty_values", false)?;
    let media_type = cfg.str_or("media_type", "application/json")?;
    let escape = Escape::from_media_type(&media_type).ok_or_else(|| {
        ConfigError::property(
            "media_type",
            format!("property does not contain a supported media type [{media_type}]"),
        )
    })?;
    let source = match (value, copy_from) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::property(
                "copy_from",
                "cannot set both `copy_from` and `value` in the same processor",
            )
            .into());
        }
        (None, None) => return Err(crate::pipeline::missing("value").into()),
        (Some(v), None) => Source::Value(
            ValueSource::compile(&v, escape).map_err(|e| ConfigError::property("value", e))?,
        ),
        (None, Some(c)) => Source::CopyFrom(
            FieldPath::parse(&c).map_err(|e| ConfigError::property("copy_from", e.reason))?,
        ),
    };
    Ok(Box::new(Append {
        field,
        source,
        allow_duplicates,
        ignore_empty_values,
    }))
}

fn is_empty(v: &Value) -> bool {
    matches!(v, Value::Null) || matches!(v, Value::String(s) if s.is_empty())
}

impl Processor for Append {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        let mut value = match &self.source {
            Source::Value(vs) => vs.render(doc),
            // With ignore_empty_values, a missing source counts as empty (Elasticsearch 9.x).
            Source::CopyFrom(from) if self.ignore_empty_values => {
                doc.get_opt(from).cloned().unwrap_or(Value::Null)
            }
            Source::CopyFrom(from) => doc.get(from)?.clone(),
        };
        if self.ignore_empty_values {
            value = match value {
                Value::List(l) => {
                    let kept: Vec<Value> = l.into_iter().filter(|v| !is_empty(v)).collect();
                    if kept.is_empty() {
                        return Ok(Flow::Continue);
                    }
                    Value::List(kept)
                }
                v if is_empty(&v) => return Ok(Flow::Continue),
                v => v,
            };
        }
        doc.append(&path, value, self.allow_duplicates)?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::give;

    #[test]
    fn missing_copy_from_is_empty_when_ignoring_empty_values() {
        give(
            "append",
            r#"{"field":"a","copy_from":"src","ignore_empty_values":true}"#,
            r#"{"a":[1]}"#,
            r#"{"a":[1]}"#,
        );
    }

    #[test]
    fn appends() {
        give(
            "append",
            r#"{"field":"a","value":"x"}"#,
            "{}",
            r#"{"a":["x"]}"#,
        );
        give(
            "append",
            r#"{"field":"a","value":["{{b}}",2]}"#,
            r#"{"a":1,"b":"y"}"#,
            r#"{"a":[1,"y",2],"b":"y"}"#,
        );
        give(
            "append",
            r#"{"field":"a","value":"x","allow_duplicates":false}"#,
            r#"{"a":"x"}"#,
            r#"{"a":"x"}"#,
        );
        give(
            "append",
            r#"{"field":"a","value":["","z"],"ignore_empty_values":true}"#,
            "{}",
            r#"{"a":["z"]}"#,
        );
    }
}
