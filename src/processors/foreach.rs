//! `foreach`: runs one processor on every element of a list or every entry of a map
//! (Elasticsearch's ForEachProcessor).

// Helpers return the core `IngestError` unboxed, as `IngestDocument`'s methods do.
#![allow(clippy::result_large_err)]

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor, ProcessorNode};
use crate::value::{Map, Value};

/// The place reported for the nested processor in load errors.
const NESTED_PATH: &str = "foreach.processor";

#[derive(Debug)]
struct ForEach {
    field: FieldPath,
    processor: ProcessorNode,
    ignore_missing: bool,
}

pub(crate) fn build(cfg: &mut Config, b: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    let field = FieldPath::parse(&field).map_err(|e| ConfigError::property("field", e.reason))?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let processor = cfg
        .opt_map("processor")?
        .ok_or_else(|| crate::pipeline::missing("processor"))?;
    if processor.len() != 1 {
        return Err(
            ConfigError::property("processor", "Must specify exactly one processor type").into(),
        );
    }
    let processor = b
        .build_node(
            &Value::Map(processor),
            &format!("{}.{NESTED_PATH}", b.current_path()),
        )
        .map_err(|e| BuildError::Nested(Box::new(e)))?;
    Ok(Box::new(ForEach {
        field,
        processor,
        ignore_missing,
    }))
}

/// Puts `value` under `_ingest.<key>`, returning what was there (Java's `Map.put`).
fn put(doc: &mut IngestDocument, key: &str, value: Value) -> Value {
    doc.ingest
        .insert(key.to_string(), value)
        .unwrap_or_default()
}

/// Java's `Strings.hasText` for a `_key` value.
fn has_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.chars().any(|c| !c.is_whitespace()) => Some(s.clone()),
        _ => None,
    }
}

impl ForEach {
    fn run_list(
        &self,
        doc: &mut IngestDocument,
        env: &mut Env<'_>,
        items: Vec<Value>,
    ) -> Result<Option<Value>, IngestError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let previous = put(doc, "_value", item);
            let result = self.processor.execute(doc, env);
            let value = put(doc, "_value", previous);
            match result? {
                Flow::Drop => return Ok(None),
                Flow::Continue => out.push(value),
            }
        }
        Ok(Some(Value::List(out)))
    }

    fn run_map(
        &self,
        doc: &mut IngestDocument,
        env: &mut Env<'_>,
        entries: Map,
    ) -> Result<Option<Value>, IngestError> {
        let mut out = Map::with_capacity_and_hasher(entries.len(), Default::default());
        for (key, item) in entries {
            let previous_key = put(doc, "_key", Value::String(key));
            let previous = put(doc, "_value", item);
            let result = self.processor.execute(doc, env);
            let new_key = put(doc, "_key", previous_key);
            let value = put(doc, "_value", previous);
            if let Some(k) = has_text(&new_key) {
                out.insert(k, value);
            }
            if result? == Flow::Drop {
                return Ok(None);
            }
        }
        Ok(Some(Value::Map(out)))
    }
}

impl Processor for ForEach {
    fn execute(&self, doc: &mut IngestDocument, env: &mut Env<'_>) -> Result<Flow, IngestError> {
        let value = if self.ignore_missing {
            doc.get_opt(&self.field).cloned()
        } else {
            Some(doc.get(&self.field)?.clone())
        };
        // Iterate over a copy: the processor may change the field itself.
        let result = match value {
            None | Some(Value::Null) => {
                if self.ignore_missing {
                    return Ok(Flow::Continue);
                }
                return Err(IngestError::illegal_argument(format!(
                    "field [{}] is null, cannot loop over its elements.",
                    self.field
                )));
            }
            Some(Value::List(items)) => self.run_list(doc, env, items)?,
            Some(Value::Map(entries)) => self.run_map(doc, env, entries)?,
            Some(other) => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{}] of type [{}] cannot be cast to a list or map",
                    self.field,
                    other.java_type()
                )));
            }
        };
        match result {
            None => Ok(Flow::Drop),
            Some(v) => {
                doc.set(&self.field, v)?;
                Ok(Flow::Continue)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give, run};

    #[test]
    fn lists() {
        give(
            "foreach",
            r#"{"field":"l","processor":{"set":{"field":"_ingest._value","value":"{{_ingest._value}}!"}}}"#,
            r#"{"l":["a","b"]}"#,
            r#"{"l":["a!","b!"]}"#,
        );
        give(
            "foreach",
            r#"{"field":"l","processor":{"set":{"field":"_ingest._value.x","value":"{{_ingest._value.y}}!"}}}"#,
            r#"{"l":[{"y":1},{"y":2}]}"#,
            r#"{"l":[{"y":1,"x":"1!"},{"y":2,"x":"2!"}]}"#,
        );
        // Changes to other fields persist; each element is seen once.
        give(
            "foreach",
            r#"{"field":"l","processor":{"append":{"field":"seen","value":"{{_ingest._value}}"}}}"#,
            r#"{"l":[1,2]}"#,
            r#"{"l":[1,2],"seen":["1","2"]}"#,
        );
        give(
            "foreach",
            r#"{"field":"l","ignore_missing":true,"processor":{"drop":{}}}"#,
            "{}",
            "{}",
        );
        assert_eq!(
            run(
                "foreach",
                r#"{"field":"l","processor":{"drop":{}}}"#,
                r#"{"l":[1]}"#
            ),
            Ok("null".to_string())
        );
    }

    #[test]
    fn nested_foreach_restores_value() {
        give(
            "foreach",
            r#"{"field":"l","processor":{"foreach":{"field":"_ingest._value.v","processor":{"set":{"field":"_ingest._value","value":"{{_ingest._value}}!"}}}}}"#,
            r#"{"l":[{"v":["a"]},{"v":["b","c"]}]}"#,
            r#"{"l":[{"v":["a!"]},{"v":["b!","c!"]}]}"#,
        );
    }

    #[test]
    fn maps() {
        give(
            "foreach",
            r#"{"field":"m","processor":{"set":{"field":"_ingest._value","value":"{{_ingest._value}}!"}}}"#,
            r#"{"m":{"a":"x","b":"y"}}"#,
            r#"{"m":{"a":"x!","b":"y!"}}"#,
        );
        give(
            "foreach",
            r#"{"field":"m","processor":{"set":{"field":"_ingest._key","value":"{{_ingest._key}}{{_ingest._value}}"}}}"#,
            r#"{"m":{"a":"x","b":"y"}}"#,
            r#"{"m":{"ax":"x","by":"y"}}"#,
        );
        give(
            "foreach",
            r#"{"field":"m","processor":{"set":{"field":"_ingest._key","value":""}}}"#,
            r#"{"m":{"a":"x"}}"#,
            r#"{"m":{}}"#,
        );
    }

    #[test]
    fn errors() {
        let up = r#"{"field":"l","processor":{"set":{"field":"_ingest._value","value":"{{_ingest._value}}!"}}}"#;
        fails(
            "foreach",
            up,
            r#"{"l":null}"#,
            "field [l] is null, cannot loop over its elements.",
        );
        fails(
            "foreach",
            up,
            "{}",
            "field [l] not present as part of path [l]",
        );
        fails(
            "foreach",
            up,
            r#"{"l":"s"}"#,
            "field [l] of type [java.lang.String] cannot be cast to a list or map",
        );
        fails(
            "foreach",
            r#"{"field":"l","processor":{"fail":{"message":"bad {{_ingest._value}}"}}}"#,
            r#"{"l":["a",1]}"#,
            "bad a",
        );
        bad_config(
            "foreach",
            r#"{"field":"l","processor":{"set":{"field":"a","value":1},"drop":{}}}"#,
            "[processor] Must specify exactly one processor type",
        );
        bad_config(
            "foreach",
            r#"{"field":"l"}"#,
            "[processor] required property is missing",
        );
        bad_config(
            "foreach",
            r#"{"field":"l","processor":{"set":{"value":1}}}"#,
            "[field] required property is missing",
        );
    }
}
