//! pipette: Elasticsearch ingest pipelines, emulated offline, and a test harness around them.

// `IngestError` carries Elasticsearch's whole error shape (type, reason, processor, pipeline,
// details, cause) and travels only on the failure path; boxing it everywhere buys nothing.
#![allow(clippy::result_large_err)]

pub mod cli;
pub mod dates;
pub mod document;
pub mod error;
pub mod fields;
pub mod grok;
pub mod harness;
pub mod painless;
pub mod pipeline;
pub mod processors;
pub mod resources;
pub mod rest;
pub mod template;
pub mod value;
pub mod yaml;

pub use document::IngestDocument;
pub use error::{IngestError, LoadError};
pub use pipeline::{Pipeline, PipelineSet};
pub use resources::Resources;
pub use value::{Map, Value};
