//! Errors: load-time configuration errors and run-time ingest failures, shaped as Elasticsearch's.

use crate::value::Map;
use std::path::PathBuf;

/// A failure while a processor runs: Elasticsearch's exception type and message.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestError {
    /// Elasticsearch's exception type, e.g. `illegal_argument_exception`.
    pub kind: String,
    /// The message (`reason`); this is what `_ingest.on_failure_message` holds.
    pub reason: String,
    /// Type of the processor that failed, once known.
    pub processor_type: Option<String>,
    /// Tag of the processor that failed, once known.
    pub processor_tag: Option<String>,
    /// Id of the innermost pipeline the failure happened in, when nested.
    pub pipeline: Option<String>,
    /// Extra fields of the error body (`script_stack`, `script`, `lang`, `position`, …).
    pub details: Map,
    /// The wrapped cause, as Elasticsearch nests `caused_by`.
    pub caused_by: Option<Box<IngestError>>,
    /// Fails the whole document: `ignore_failure` and `on_failure` do not apply (Elasticsearch
    /// raises such errors after the pipeline, e.g. a source document that refers to itself).
    pub fatal: bool,
}

impl IngestError {
    /// An error of the given Elasticsearch type with a message.
    pub fn new(kind: &str, reason: impl Into<String>) -> Self {
        IngestError {
            kind: kind.to_string(),
            reason: reason.into(),
            processor_type: None,
            processor_tag: None,
            pipeline: None,
            details: Map::default(),
            caused_by: None,
            fatal: false,
        }
    }

    /// `illegal_argument_exception`, the commonest processor failure.
    pub fn illegal_argument(reason: impl Into<String>) -> Self {
        Self::new("illegal_argument_exception", reason)
    }

    /// `illegal_state_exception`.
    pub fn illegal_state(reason: impl Into<String>) -> Self {
        Self::new("illegal_state_exception", reason)
    }

    /// The message Elasticsearch reports as the root cause (`on_failure_message`).
    pub fn root_reason(&self) -> &str {
        &self.reason
    }
}

impl std::fmt::Display for IngestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.reason)?;
        if let Some(t) = &self.processor_type {
            write!(f, " (processor {t}")?;
            if let Some(tag) = &self.processor_tag {
                write!(f, ", tag {tag}")?;
            }
            if let Some(p) = &self.pipeline {
                write!(f, ", pipeline {p}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl std::error::Error for IngestError {}

/// A configuration error found while a processor is built (Elasticsearch's `parse_exception`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// The option the error is about, if any.
    pub property: Option<String>,
    /// The message, without the `[property]` prefix.
    pub message: String,
}

impl ConfigError {
    /// An error about one option.
    pub fn property(name: &str, message: impl Into<String>) -> Self {
        ConfigError {
            property: Some(name.to_string()),
            message: message.into(),
        }
    }

    /// An error about the processor as a whole.
    pub fn general(message: impl Into<String>) -> Self {
        ConfigError {
            property: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.property {
            Some(p) => write!(f, "[{p}] {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Where in a pipeline file a processor sits: `processors[3].on_failure[0]`, its type and tag.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProcessorPlace {
    /// Index path inside the pipeline, e.g. `processors[3].on_failure[0]`.
    pub path: String,
    /// Processor type.
    pub processor_type: String,
    /// Processor tag, if any.
    pub tag: Option<String>,
    /// 1-based line in the pipeline file, where known.
    pub line: Option<usize>,
}

/// An error loading a pipeline: names the file, the processor and the cause.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid YAML or JSON.
    #[error("{file}: {message}")]
    Syntax {
        /// The file.
        file: PathBuf,
        /// The parser's message (with line and column where known).
        message: String,
    },
    /// The pipeline's top level is wrong.
    #[error("{file}: pipeline [{pipeline}]: {message}")]
    Pipeline {
        /// The file.
        file: PathBuf,
        /// Pipeline id.
        pipeline: String,
        /// What is wrong.
        message: String,
    },
    /// One processor's configuration is wrong.
    #[error("{file}{}: pipeline [{pipeline}], {} [{}]{}: {error}", line_suffix(place.line), place.path, place.processor_type, tag_suffix(&place.tag), )]
    Processor {
        /// The file.
        file: PathBuf,
        /// Pipeline id.
        pipeline: String,
        /// Which processor.
        place: ProcessorPlace,
        /// The cause.
        error: ConfigError,
    },
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(":{l}")).unwrap_or_default()
}

fn tag_suffix(tag: &Option<String>) -> String {
    tag.as_ref()
        .map(|t| format!(" tag [{t}]"))
        .unwrap_or_default()
}
