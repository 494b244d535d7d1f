//! `set`: sets a field to a value (templated) or to a copy of another field.

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::template::{Escape, ValueSource};
use crate::value::Value;

#[derive(Debug)]
struct Set {
    field: FieldRef,
    source: Source,
    override_: bool,
    ignore_empty_value: bool,
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
    let override_ = cfg.bool_or("override", true)?;
    let ignore_empty_value = cfg.bool_or("ignore_empty_value", false)?;
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
    Ok(Box::new(Set {
        field,
        source,
        override_,
        ignore_empty_value,
    }))
}

fn is_empty(v: &Value) -> bool {
    matches!(v, Value::Null) || matches!(v, Value::String(s) if s.is_empty())
}

impl Processor for Set {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        if !self.override_ && doc.get_opt(&path).is_some_and(|v| !v.is_null()) {
            return Ok(Flow::Continue);
        }
        let value = match &self.source {
            Source::Value(vs) => {
                let v = vs.render(doc);
                if self.ignore_empty_value && vs.is_template() && is_empty(&v) {
                    return Ok(Flow::Continue);
                }
                v
            }
            Source::CopyFrom(from) => {
                let v = doc.get_opt(from).cloned();
                match v {
                    Some(v) if !(self.ignore_empty_value && is_empty(&v)) => v,
                    _ if self.ignore_empty_value => return Ok(Flow::Continue),
                    _ => {
                        return Err(IngestError::illegal_argument(format!(
                            "field [{}] not present as part of path [{}]",
                            from.parts().first().map(String::as_str).unwrap_or(""),
                            from.original()
                        )));
                    }
                }
            }
        };
        doc.set(&path, value)?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, give};

    #[test]
    fn sets_values_and_templates() {
        give(
            "set",
            r#"{"field":"a.b","value":1}"#,
            "{}",
            r#"{"a":{"b":1}}"#,
        );
        give(
            "set",
            r#"{"field":"x","value":"{{y}}!"}"#,
            r#"{"y":2}"#,
            r#"{"x":"2!","y":2}"#,
        );
        give(
            "set",
            r#"{"field":"x","value":"{{y}}","ignore_empty_value":true}"#,
            "{}",
            "{}",
        );
        give(
            "set",
            r#"{"field":"x","value":"n","override":false}"#,
            r#"{"x":"o"}"#,
            r#"{"x":"o"}"#,
        );
        give(
            "set",
            r#"{"field":"x","value":"n","override":false}"#,
            r#"{"x":null}"#,
            r#"{"x":"n"}"#,
        );
        give(
            "set",
            r#"{"field":"x","copy_from":"y"}"#,
            r#"{"y":[1]}"#,
            r#"{"y":[1],"x":[1]}"#,
        );
        give(
            "set",
            r#"{"field":"{{k}}","value":1}"#,
            r#"{"k":"z"}"#,
            r#"{"k":"z","z":1}"#,
        );
    }

    #[test]
    fn config_errors() {
        bad_config(
            "set",
            r#"{"value":1}"#,
            "[field] required property is missing",
        );
        bad_config(
            "set",
            r#"{"field":"a"}"#,
            "[value] required property is missing",
        );
        bad_config(
            "set",
            r#"{"field":"a","value":1,"copy_from":"b"}"#,
            "copy_from",
        );
        bad_config("set", r#"{"field":"a","value":1,"bogus":1}"#, "[bogus]");
    }
}
