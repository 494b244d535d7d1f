//! Field definitions (fields.yml, ECS): validation of output documents and field coverage.

use crate::value::Map;
use std::path::{Path, PathBuf};

/// Where ECS definitions come from for fields declared `external: ecs`.
#[derive(Debug, Clone)]
pub struct EcsSource {
    /// Folder holding `<ref>/ecs_nested.yml` (e.g. `~/.elastic-package/cache/fields/ecs`).
    pub dir: PathBuf,
    /// The reference from `_dev/build/build.yml` (`git@v8.11.0` → `v8.11.0`), if any.
    pub reference: Option<String>,
}

/// An error reading field definitions.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct FieldsError {
    /// The file.
    pub file: PathBuf,
    /// What is wrong.
    pub message: String,
}

/// One problem found validating a document.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    /// The dotted field name.
    pub field: String,
    /// What is wrong, as elastic-package words it.
    pub message: String,
}

/// A dataset's field schema.
#[derive(Debug, Default)]
pub struct FieldSchema {}

impl FieldSchema {
    /// Loads every `*.yml` in the given folders (a dataset's `fields/`), resolving `external: ecs`.
    pub fn load(_dirs: &[&Path], _ecs: Option<&EcsSource>) -> Result<FieldSchema, FieldsError> {
        Ok(FieldSchema::default())
    }

    /// Validates one output document (`_source`) with elastic-package's rules.
    pub fn validate(&self, _doc: &Map, _numeric_keyword_fields: &[String]) -> Vec<FieldProblem> {
        Vec::new()
    }

    /// Defined leaf fields that none of the documents contains, sorted.
    pub fn uncovered<'a>(&self, _docs: impl IntoIterator<Item = &'a Map>) -> Vec<String> {
        Vec::new()
    }
}
