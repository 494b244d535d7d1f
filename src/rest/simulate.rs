//! `_ingest/pipeline/_simulate`: request parsing, running, and the response shapes Elasticsearch gives.

use super::{RestError, error_body, es_processor_lists};
use crate::document::{IngestDocument, METADATA_KEYS};
use crate::error::IngestError;
use crate::pipeline::{Env, Flow, Observer, Pipeline, PipelineSet, ProcessorNode, Status};
use crate::resources::Resources;
use crate::value::{Map, Value};

/// The id Elasticsearch gives an inline pipeline in `_simulate`.
pub const SIMULATE_PIPELINE_ID: &str = "_simulate_pipeline";

/// Options of a simulate call.
#[derive(Debug, Clone, Default)]
pub struct SimulateOptions {
    /// `?verbose=true`: one result per processor.
    pub verbose: bool,
    /// The `_ingest.timestamp` given to documents.
    pub now: String,
}

/// Runs a `_simulate` request body against a stored pipeline `id` or the body's inline `pipeline`.
pub fn simulate(
    body: &Value,
    id: Option<&str>,
    pipelines: &mut PipelineSet,
    resources: &Resources,
    opts: &SimulateOptions,
) -> Result<Value, RestError> {
    let body = match body {
        Value::String(s) => Value::from_json_str(s)
            .map_err(|e| RestError::new(400, "parse_exception", &e.to_string(), Map::default()))?,
        other => other.clone(),
    };
    let Some(body) = body.as_map() else {
        return Err(RestError::new(
            400,
            "parse_exception",
            "request body is required",
            Map::default(),
        ));
    };
    let pipeline_id = match id {
        Some(id) => {
            if pipelines.get(id).is_none() {
                return Err(RestError::new(
                    400,
                    "illegal_argument_exception",
                    &format!("pipeline [{id}] does not exist"),
                    Map::default(),
                ));
            }
            id.to_string()
        }
        None => {
            let Some(def) = body.get("pipeline") else {
                let mut extra = Map::default();
                extra.insert("property_name".into(), "pipeline".into());
                return Err(RestError::new(
                    400,
                    "parse_exception",
                    "[pipeline] required property is missing",
                    extra,
                ));
            };
            let def = es_processor_lists(def);
            let p = Pipeline::from_value(SIMULATE_PIPELINE_ID, &def, None, None, resources)
                .map_err(|e| RestError::from_load(&e))?;
            pipelines.insert(p);
            SIMULATE_PIPELINE_ID.to_string()
        }
    };
    let docs = match body.get("docs") {
        Some(Value::List(l)) if !l.is_empty() => l,
        _ => {
            let mut extra = Map::default();
            extra.insert("property_name".into(), "docs".into());
            return Err(RestError::new(
                400,
                "parse_exception",
                "must specify at least one document in [docs]",
                extra,
            ));
        }
    };
    let mut out = Vec::with_capacity(docs.len());
    for d in docs {
        let doc = parse_doc(d, &opts.now)?;
        out.push(run_one(&pipeline_id, doc, pipelines, opts.verbose));
    }
    if id.is_none() {
        pipelines.remove(SIMULATE_PIPELINE_ID);
    }
    let mut resp = Map::default();
    resp.insert("docs".into(), Value::List(out));
    Ok(Value::Map(resp))
}

fn parse_doc(d: &Value, now: &str) -> Result<IngestDocument, RestError> {
    let m = d.as_map().ok_or_else(|| {
        RestError::new(
            400,
            "parse_exception",
            "each doc must be an object",
            Map::default(),
        )
    })?;
    let Some(Value::Map(source)) = m.get("_source") else {
        let mut extra = Map::default();
        extra.insert("property_name".into(), "_source".into());
        return Err(RestError::new(
            400,
            "parse_exception",
            "[_source] required property is missing",
            extra,
        ));
    };
    let mut doc = IngestDocument::new(source.clone(), now);
    for key in METADATA_KEYS {
        if let Some(v) = m.get(*key) {
            let v = match (*key, v) {
                ("_index" | "_id" | "_routing", other) => Value::String(other.to_java_string()),
                (_, other) => other.clone(),
            };
            doc.ctx.insert((*key).to_string(), v);
        }
    }
    if !m.contains_key("_index") {
        doc.ctx.insert("_index".into(), "_index".into());
    }
    if !m.contains_key("_id") {
        doc.ctx.insert("_id".into(), "_id".into());
    }
    Ok(doc)
}

/// The `doc` object of a simulate response: metadata as strings, `_source`, `_ingest`.
pub fn doc_body(doc: &IngestDocument) -> Value {
    let mut m = Map::default();
    for key in METADATA_KEYS {
        if let Some(v) = doc.ctx.get(*key)
            && !v.is_null()
        {
            let v = match v {
                Value::Map(_) | Value::List(_) => v.clone(),
                other => Value::String(other.to_java_string()),
            };
            m.insert((*key).to_string(), v);
        }
    }
    m.insert("_source".into(), Value::Map(doc.source()));
    let mut ingest = doc.ingest.clone();
    if let Some(Value::String(t)) = ingest.get_mut("timestamp")
        && let Some(printed) = xcontent_date(t)
    {
        *t = printed;
    }
    m.insert("_ingest".into(), Value::Map(ingest));
    Value::Map(m)
}

/// A timestamp as Elasticsearch's XContent prints a `ZonedDateTime` in a response
/// (`strict_date_optional_time_nanos`: seconds always, 3 to 9 fraction digits); `None` when the
/// text is not a date-time.
fn xcontent_date(text: &str) -> Option<String> {
    let t = crate::painless::time::parse_timestamp(text)?;
    let mut fraction = format!("{:09}", t.and_utc().timestamp_subsec_nanos());
    while fraction.len() > 3 && fraction.ends_with('0') {
        fraction.pop();
    }
    Some(format!("{}.{fraction}Z", t.format("%Y-%m-%dT%H:%M:%S")))
}

fn run_one(id: &str, mut doc: IngestDocument, pipelines: &PipelineSet, verbose: bool) -> Value {
    let Some(p) = pipelines.get(id).cloned() else {
        return Value::Null;
    };
    if verbose {
        let mut rec = Recorder::default();
        {
            let mut env = Env::new(pipelines);
            env.observer = Some(&mut rec);
            // Per-processor results carry the outcome; a pipeline-level failure has its own entry.
            let _ = p.execute(&mut doc, &mut env);
        }
        let mut m = Map::default();
        m.insert("processor_results".into(), Value::List(rec.results));
        return Value::Map(m);
    }
    let mut env = Env::new(pipelines);
    let mut m = Map::default();
    match p.execute(&mut doc, &mut env) {
        Ok(Flow::Drop) => return Value::Null,
        Ok(Flow::Continue) => {
            m.insert("doc".into(), doc_body(&doc));
        }
        Err(e) => {
            m.insert("error".into(), error_body(&e));
        }
    }
    Value::Map(m)
}

/// The message Elasticsearch's pipeline-cycle error starts with.
const CYCLE_PREFIX: &str = "Cycle detected for pipeline: ";

/// Collects `processor_results` for `?verbose`, shaped as Elasticsearch's TrackingResultProcessor
/// records them.
#[derive(Default)]
struct Recorder {
    results: Vec<Value>,
    /// For each `pipeline` processor being run, the index of its (not yet written) entry.
    pending: Vec<usize>,
}

impl Recorder {
    /// One `processor_results` entry: type, status, description, tag and `if` (SimulateProcessorResult).
    fn entry(node: &ProcessorNode, status: &str, condition_result: bool) -> Map {
        let mut m = Map::default();
        m.insert("processor_type".into(), node.type_name.clone().into());
        m.insert("status".into(), status.into());
        if let Some(d) = &node.description {
            m.insert("description".into(), d.clone().into());
        }
        if let Some(t) = &node.tag {
            m.insert("tag".into(), t.clone().into());
        }
        if let Some(cond) = &node.condition_source {
            let mut c = Map::default();
            c.insert("condition".into(), cond.clone().into());
            c.insert("result".into(), condition_result.into());
            m.insert("if".into(), Value::Map(c));
        }
        m
    }

    /// The entry for a processor that ended with `status`.
    fn outcome(node: &ProcessorNode, status: &Status, doc: &IngestDocument) -> Map {
        let (name, err, with_doc): (&str, Option<&IngestError>, bool) = match status {
            Status::Success => ("success", None, true),
            Status::Skipped => ("skipped", None, false),
            Status::Error(e) => ("error", Some(e), false),
            Status::ErrorIgnored(e) => ("error_ignored", Some(e), true),
            Status::Dropped => ("dropped", None, false),
        };
        let mut m = Self::entry(node, name, !matches!(status, Status::Skipped));
        match (status, err) {
            (Status::ErrorIgnored(_), Some(e)) => {
                let mut w = Map::default();
                w.insert("error".into(), error_body(e));
                m.insert("ignored_error".into(), Value::Map(w));
            }
            (_, Some(e)) => {
                m.insert("error".into(), error_body(e));
            }
            _ => {}
        }
        if with_doc {
            m.insert("doc".into(), doc_body(doc));
        }
        m
    }

    /// A `pipeline` processor finished: fill in the entry written for it when it started.
    fn pipeline_done(&mut self, node: &ProcessorNode, status: &Status, doc: &IngestDocument) {
        let Some(at) = self.pending.pop() else {
            return;
        };
        let error = match status {
            Status::Error(e) | Status::ErrorIgnored(e) => Some(e),
            _ => None,
        };
        let entry = match error {
            // Elasticsearch checks the called pipeline for cycles on a copy of the document before
            // running it verbosely: a cycle gives one error result for the outermost pipeline
            // processor and nothing for the processors it would have run.
            Some(e) if e.reason.starts_with(CYCLE_PREFIX) && self.pending.is_empty() => {
                self.results.truncate(at + 1);
                Self::outcome(node, status, doc)
            }
            // The processor failed itself (no such pipeline): nothing inside ran. In verbose mode
            // Elasticsearch's TrackingResultProcessor raises that one as an IllegalArgumentException.
            Some(_) if self.results.len() == at + 1 => {
                let status = match status {
                    Status::Error(e) => Status::Error(missing_pipeline_as_verbose(e)),
                    Status::ErrorIgnored(e) => Status::ErrorIgnored(missing_pipeline_as_verbose(e)),
                    other => other.clone(),
                };
                Self::outcome(node, &status, doc)
            }
            // Skipped by its `if`.
            None if matches!(status, Status::Skipped) => Self::outcome(node, status, doc),
            // Ran: the entry marks the call (no document); the processors inside report the outcome.
            _ => Self::entry(node, "success", true),
        };
        if let Some(slot) = self.results.get_mut(at) {
            *slot = Value::Map(entry);
        }
    }
}

/// The missing-pipeline error as verbose `_simulate` reports it (`illegal_argument_exception`).
fn missing_pipeline_as_verbose(e: &IngestError) -> IngestError {
    let mut e = e.clone();
    if e.reason
        .starts_with("Pipeline processor configured for non-existent pipeline [")
    {
        e.kind = "illegal_argument_exception".into();
    }
    e
}

impl Observer for Recorder {
    fn processor_start(&mut self, node: &ProcessorNode) {
        if node.type_name == "pipeline" {
            self.pending.push(self.results.len());
            self.results.push(Value::Null);
        }
    }

    fn processor_done(&mut self, node: &ProcessorNode, status: &Status, doc: &IngestDocument) {
        if node.type_name == "pipeline" {
            self.pipeline_done(node, status, doc);
            return;
        }
        self.results
            .push(Value::Map(Self::outcome(node, status, doc)));
    }
}

#[cfg(test)]
mod xcontent_tests {
    use super::xcontent_date;

    #[test]
    fn timestamps_print_as_strict_date_optional_time_nanos() {
        for (given, printed) in [
            ("2024-01-01T00:00Z", "2024-01-01T00:00:00.000Z"),
            ("2024-01-01T00:00:00.000Z", "2024-01-01T00:00:00.000Z"),
            ("2023-09-14T03:37:21.612363Z", "2023-09-14T03:37:21.612363Z"),
            ("2023-09-14T03:37:21.5Z", "2023-09-14T03:37:21.500Z"),
        ] {
            assert_eq!(xcontent_date(given).as_deref(), Some(printed), "{given}");
        }
        assert_eq!(xcontent_date("yesterday"), None);
    }
}
