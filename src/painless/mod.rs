//! Painless: conditions (`if`) and scripts (`script` processor).

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::value::Value;

/// A compiled `if` condition.
#[derive(Debug)]
pub struct Condition {
    source: String,
}

impl Condition {
    /// Compiles an `if` option: a source string or `{source, lang, params}`.
    pub fn from_config(v: &Value) -> Result<Condition, String> {
        match v {
            Value::String(s) => Err(format!("painless is not supported yet: [{s}]")),
            other => Err(format!("unsupported condition [{}]", other.to_json())),
        }
    }

    /// Evaluates against a read-only view of the document.
    pub fn eval(&self, _doc: &IngestDocument) -> Result<bool, IngestError> {
        Err(IngestError::new("script_exception", self.source.clone()))
    }
}
