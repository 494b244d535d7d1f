//! Helpers shared by the fuzz targets: splitting one input into parts, a sample document,
//! and running a one-processor pipeline.

#![allow(dead_code)]

use pipette::value::{Map, Value};
use pipette::{IngestDocument, Pipeline, PipelineSet, Resources};
use std::sync::OnceLock;

/// The fixed `_ingest.timestamp` every target uses.
pub const NOW: &str = "2024-05-06T07:08:09.123Z";

/// Shared resources (GeoIP readers, pattern banks), built once per process.
pub fn resources() -> &'static Resources {
    static R: OnceLock<Resources> = OnceLock::new();
    R.get_or_init(Resources::new)
}

/// Splits the input at NUL bytes into at most `n` UTF-8 strings (missing parts are empty).
pub fn parts(data: &[u8], n: usize) -> Option<Vec<String>> {
    let text = std::str::from_utf8(data).ok()?;
    let mut v: Vec<String> = text.splitn(n, '\0').map(str::to_string).collect();
    v.resize(n, String::new());
    Some(v)
}

/// A small document with strings, numbers, a list and a nested object.
pub fn sample_source(message: &str) -> Map {
    let mut m = Map::default();
    m.insert("message".into(), Value::String(message.to_string()));
    m.insert("n".into(), Value::Int(42));
    m.insert("l".into(), Value::Long(1 << 40));
    m.insert("d".into(), Value::Double(1.5));
    m.insert(
        "tags".into(),
        Value::List(vec![Value::from("a"), Value::from("b")]),
    );
    let mut inner = Map::default();
    inner.insert("ip".into(), Value::from("192.168.1.7"));
    inner.insert("flag".into(), Value::Bool(true));
    m.insert("source".into(), Value::Map(inner));
    m
}

/// A document over `sample_source(message)`.
pub fn sample_doc(message: &str) -> IngestDocument {
    IngestDocument::new(sample_source(message), NOW)
}

/// Builds a pipeline `{processors: [{type: options}]}` and, when it loads, runs `message`
/// through it. Load errors and run-time errors are fine; only panics, hangs and crashes are bugs.
pub fn run_one_processor(type_name: &str, options: Map, message: &str) {
    let mut proc_ = Map::default();
    proc_.insert(type_name.to_string(), Value::Map(options));
    let mut def = Map::default();
    def.insert("processors".into(), Value::List(vec![Value::Map(proc_)]));
    run_definition(&Value::Map(def), message);
}

/// Loads a pipeline definition and runs one sample document through it.
pub fn run_definition(def: &Value, message: &str) {
    let Ok(p) = Pipeline::from_value("fuzz", def, None, None, resources()) else {
        return;
    };
    let mut set = PipelineSet::new();
    set.insert(p);
    if let Ok(Some(doc)) = set.run("fuzz", sample_doc(message)) {
        let v = Value::Map(doc.into_source());
        let _ = v.to_json();
    }
}
