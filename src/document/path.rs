//! Dotted field paths, split once when a pipeline loads.

use crate::error::IngestError;
use std::sync::Arc;

/// Which map a path starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRoot {
    /// Source and metadata (`ctx`); `_source.` prefixes are stripped.
    Ctx,
    /// `_ingest.` metadata.
    Ingest,
}

/// A parsed field path in Elasticsearch's classic dotted syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath {
    original: Arc<str>,
    /// The map the path starts in.
    pub root: PathRoot,
    parts: Arc<[String]>,
}

impl FieldPath {
    /// Parses `path` as Elasticsearch's `FieldPath` does.
    pub fn parse(path: &str) -> Result<FieldPath, IngestError> {
        if path.is_empty() {
            return Err(IngestError::illegal_argument(
                "path cannot be null nor empty",
            ));
        }
        let (root, rest) = if let Some(r) = path.strip_prefix("_ingest.") {
            (PathRoot::Ingest, r)
        } else if let Some(r) = path.strip_prefix("_source.") {
            (PathRoot::Ctx, r)
        } else {
            (PathRoot::Ctx, path)
        };
        // Java's String.split drops trailing empty strings.
        let mut parts: Vec<String> = rest.split('.').map(str::to_string).collect();
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
        if parts.is_empty() {
            return Err(IngestError::illegal_argument(format!(
                "path [{path}] is not valid"
            )));
        }
        Ok(FieldPath {
            original: Arc::from(path),
            root,
            parts: parts.into(),
        })
    }

    /// The path as written.
    pub fn original(&self) -> &str {
        &self.original
    }

    /// The path's elements after the root prefix.
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    pub(crate) fn not_present(&self, key: &str) -> IngestError {
        IngestError::illegal_argument(format!(
            "field [{key}] not present as part of path [{}]",
            self.original
        ))
    }

    pub(crate) fn invalid(&self) -> IngestError {
        IngestError::illegal_argument(format!("path [{}] is not valid", self.original))
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.original)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_errors() {
        let p = FieldPath::parse("_ingest.on_failure_message").unwrap();
        assert_eq!(p.root, PathRoot::Ingest);
        assert_eq!(p.parts(), ["on_failure_message"]);
        let p = FieldPath::parse("_source.a.b").unwrap();
        assert_eq!((p.root, p.parts().len()), (PathRoot::Ctx, 2));
        assert_eq!(
            FieldPath::parse("").unwrap_err().reason,
            "path cannot be null nor empty"
        );
        assert_eq!(
            FieldPath::parse(".").unwrap_err().reason,
            "path [.] is not valid"
        );
    }
}
