//! pipette: Elasticsearch ingest pipelines, emulated offline, and a test harness around them.

pub mod document;
pub mod error;
pub mod fields;
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
