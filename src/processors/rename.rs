//! `rename`: moves a field to a new name.

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};

#[derive(Debug)]
struct Rename {
    field: FieldRef,
    target: FieldRef,
    ignore_missing: bool,
    override_: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    Ok(Box::new(Rename {
        field: cfg.req_field("field")?,
        target: cfg.req_field("target_field")?,
        ignore_missing: cfg.bool_or("ignore_missing", false)?,
        override_: cfg.bool_or("override", false)?,
    }))
}

impl Processor for Rename {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        // An empty rendered path counts as a missing field (Elasticsearch's RenameProcessor).
        let from = self.field.resolve_non_empty(doc)?;
        let from = match from {
            Some(p) if doc.has_field_strict(&p)? => p,
            _ if self.ignore_missing => return Ok(Flow::Continue),
            other => {
                let name = other.map(|p| p.to_string()).unwrap_or_default();
                return Err(IngestError::illegal_argument(format!(
                    "field [{name}] doesn't exist"
                )));
            }
        };
        let to = self.target.resolve(doc)?;
        if doc.has_field_strict(&to)? && !self.override_ {
            return Err(IngestError::illegal_argument(format!(
                "field [{to}] already exists"
            )));
        }
        let value = doc.remove(&from)?;
        if let Err(e) = doc.set(&to, value.clone()) {
            doc.set(&from, value)?;
            return Err(e);
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{fails, give};

    #[test]
    fn empty_templated_field_is_missing() {
        give(
            "rename",
            r#"{"field":"{{nope}}","target_field":"b","ignore_missing":true}"#,
            r#"{"a":1}"#,
            r#"{"a":1}"#,
        );
        fails(
            "rename",
            r#"{"field":"{{nope}}","target_field":"b"}"#,
            r#"{"a":1}"#,
            "field [] doesn't exist",
        );
    }

    #[test]
    fn renames() {
        give(
            "rename",
            r#"{"field":"a","target_field":"b.c"}"#,
            r#"{"a":1}"#,
            r#"{"b":{"c":1}}"#,
        );
        give(
            "rename",
            r#"{"field":"a","target_field":"b","ignore_missing":true}"#,
            "{}",
            "{}",
        );
        fails(
            "rename",
            r#"{"field":"a","target_field":"b"}"#,
            "{}",
            "field [a] doesn't exist",
        );
        fails(
            "rename",
            r#"{"field":"a","target_field":"b"}"#,
            r#"{"a":1,"b":2}"#,
            "field [b] already exists",
        );
        give(
            "rename",
            r#"{"field":"a","target_field":"b","override":true}"#,
            r#"{"a":1,"b":2}"#,
            r#"{"b":1}"#,
        );
    }
}
