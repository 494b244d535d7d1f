//! `remove`: removes fields, or keeps only the listed ones (`keep`).

use crate::document::{FieldPath, IngestDocument, is_metadata_key};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::{Map, Value};

#[derive(Debug)]
struct Remove {
    fields: Vec<FieldRef>,
    keep: Vec<FieldRef>,
    ignore_missing: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let fields = cfg.opt_str_list("field")?;
    let keep = cfg.opt_str_list("keep")?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let to_refs = |key: &str, l: Vec<String>| -> Result<Vec<FieldRef>, ConfigError> {
        l.iter().map(|s| FieldRef::new(key, s)).collect()
    };
    let (fields, keep) = match (fields, keep) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::property(
                "keep",
                "Too many fields specified, only one of `field` or `keep` is allowed",
            )
            .into());
        }
        (None, None) => {
            return Err(ConfigError::property(
                "keep",
                "At least one of `field` or `keep` is required",
            )
            .into());
        }
        (Some(f), None) => (to_refs("field", f)?, Vec::new()),
        (None, Some(k)) => (Vec::new(), to_refs("keep", k)?),
    };
    Ok(Box::new(Remove {
        fields,
        keep,
        ignore_missing,
    }))
}

impl Processor for Remove {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        if !self.keep.is_empty() {
            let paths: Vec<FieldPath> = self
                .keep
                .iter()
                .map(|k| k.resolve(doc).map(|p| p.into_owned()))
                .collect::<Result<_, _>>()?;
            let parts: Vec<&[String]> = paths.iter().map(|p| p.parts()).collect();
            let keys: Vec<String> = doc
                .ctx
                .keys()
                .filter(|k| !is_metadata_key(k))
                .cloned()
                .collect();
            for k in keys {
                let sub: Vec<&[String]> = parts
                    .iter()
                    // The filter keeps paths with a first element, so [1..] is in range.
                    .filter(|p| p.first() == Some(&k))
                    .map(|p| &p[1..])
                    .collect();
                if sub.is_empty() {
                    doc.ctx.shift_remove(&k);
                } else if !sub.iter().any(|s| s.is_empty())
                    && let Some(Value::Map(m)) = doc.ctx.get_mut(&k)
                {
                    keep_only(m, &sub);
                }
            }
            return Ok(Flow::Continue);
        }
        for f in &self.fields {
            let path = f.resolve(doc)?;
            if self.ignore_missing {
                doc.remove_if_present(&path);
            } else {
                doc.remove(&path)?;
            }
        }
        Ok(Flow::Continue)
    }
}

fn keep_only(m: &mut Map, paths: &[&[String]]) {
    let keys: Vec<String> = m.keys().cloned().collect();
    for k in keys {
        let sub: Vec<&[String]> = paths
            .iter()
            // The filter keeps paths with a first element, so [1..] is in range.
            .filter(|p| p.first() == Some(&k))
            .map(|p| &p[1..])
            .collect();
        if sub.is_empty() {
            m.shift_remove(&k);
        } else if !sub.iter().any(|s| s.is_empty())
            && let Some(Value::Map(inner)) = m.get_mut(&k)
        {
            keep_only(inner, &sub);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn removes_fields() {
        give(
            "remove",
            r#"{"field":"a.b"}"#,
            r#"{"a":{"b":1,"c":2}}"#,
            r#"{"a":{"c":2}}"#,
        );
        give(
            "remove",
            r#"{"field":["a","z"],"ignore_missing":true}"#,
            r#"{"a":1,"b":2}"#,
            r#"{"b":2}"#,
        );
        fails(
            "remove",
            r#"{"field":"z"}"#,
            "{}",
            "field [z] not present as part of path [z]",
        );
        give(
            "remove",
            r#"{"keep":["a.b","c"]}"#,
            r#"{"a":{"b":1,"x":2},"c":[1],"d":3}"#,
            r#"{"a":{"b":1},"c":[1]}"#,
        );
        bad_config("remove", "{}", "At least one of");
    }
}
