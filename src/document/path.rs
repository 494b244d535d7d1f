//! Dotted field paths, split once when a pipeline loads.

use crate::error::IngestError;
use std::sync::{Arc, OnceLock};

/// Which map a path starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathRoot {
    /// Source and metadata (`ctx`); `_source.` prefixes are stripped.
    Ctx,
    /// `_ingest.` metadata.
    Ingest,
}

/// How field paths resolve: the pipeline option `field_access_pattern` (Elasticsearch 9.2+,
/// `IngestPipelineFieldAccessPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccessPattern {
    /// Split on dots, each element a nested key (or a list index); the default.
    #[default]
    Classic,
    /// Dotted keys (`{"a.b": 1}`) are found too; list indices only as `[n]`.
    Flexible,
}

impl AccessPattern {
    /// The pattern named `classic` or `flexible`.
    pub fn from_name(name: &str) -> Option<AccessPattern> {
        match name {
            "classic" => Some(AccessPattern::Classic),
            "flexible" => Some(AccessPattern::Flexible),
            _ => None,
        }
    }

    /// The option value naming this pattern.
    pub fn name(self) -> &'static str {
        match self {
            AccessPattern::Classic => "classic",
            AccessPattern::Flexible => "flexible",
        }
    }
}

/// One element of a path parsed for the flexible access pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Element {
    /// A key (never empty).
    Field(String),
    /// A list index written `[n]` (never negative).
    Index(usize),
}

impl std::fmt::Display for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Element::Field(name) => f.write_str(name),
            Element::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A parsed field path. Its classic elements are split when it is parsed; the flexible ones on
/// first use (only a pipeline with `field_access_pattern: flexible` needs them).
#[derive(Debug, Clone)]
pub struct FieldPath {
    original: Arc<str>,
    /// The map the path starts in.
    pub root: PathRoot,
    parts: Arc<[String]>,
    flexible: OnceLock<Result<Arc<[Element]>, Box<IngestError>>>,
}

impl PartialEq for FieldPath {
    fn eq(&self, other: &Self) -> bool {
        // Everything else is derived from the text.
        self.original == other.original
    }
}

impl Eq for FieldPath {}

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
            flexible: OnceLock::new(),
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

    /// The path's elements for the flexible access pattern, parsed on first use (Elasticsearch
    /// parses them at each access, so a bad path fails when a document reaches it).
    pub(crate) fn flexible_elements(&self) -> Result<&[Element], IngestError> {
        match self
            .flexible
            .get_or_init(|| parse_flexible(&self.original, &self.parts).map_err(Box::new))
        {
            Ok(elements) => Ok(elements),
            Err(e) => Err((**e).clone()),
        }
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

/// Splits each dot-separated part into a key and its `[n]` indices, as Elasticsearch's
/// `FieldPath.parseFlexibleFields` does: `a.b[0][1]` → `a`, `b`, `[0]`, `[1]`; a digit part
/// between dots (`a.0`) stays a key.
fn parse_flexible(original: &str, parts: &[String]) -> Result<Arc<[Element]>, IngestError> {
    let invalid = || IngestError::illegal_argument(format!("path [{original}] is not valid"));
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        let Some(mut open) = part.find('[') else {
            if part.contains(']') {
                return Err(invalid());
            }
            if part.is_empty() {
                return Err(IngestError::illegal_argument("fieldName cannot be empty"));
            }
            out.push(Element::Field(part.clone()));
            continue;
        };
        if open == 0 {
            return Err(invalid());
        }
        // open is the byte offset of an ASCII '[', so a char boundary.
        out.push(Element::Field(part[..open].to_string()));
        loop {
            // open is at an ASCII '[' (a char boundary) inside part.
            let Some(close) = part[open..].find(']').map(|c| c + open) else {
                return Err(invalid());
            };
            // '[' and ']' are one byte each and close > open: both ends are char boundaries.
            let raw = &part[open + 1..close];
            // Integer.parseInt: an optional sign, then digits, within int range.
            let index: i32 = raw.parse().map_err(|_| {
                IngestError::illegal_argument(format!(
                    "[{raw}] is not an integer, cannot be used as an index as part of path [{original}]"
                ))
            })?;
            if index < 0 {
                // Element.index throws java.lang.IndexOutOfBoundsException(int).
                return Err(IngestError::new(
                    "index_out_of_bounds_exception",
                    format!("Index out of range: {index}"),
                ));
            }
            out.push(Element::Index(index as usize));
            if close == part.len() - 1 {
                break;
            }
            // close is not the last byte (checked just above), so close + 1 is in range.
            if part.as_bytes()[close + 1] != b'[' {
                return Err(invalid());
            }
            open = close + 1;
        }
    }
    Ok(out.into())
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
