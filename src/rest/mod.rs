//! An in-process emulation of the Elasticsearch REST APIs that ingest tests call: pipelines CRUD,
//! `_simulate`, and `index`/`get`/`bulk` over an in-memory store.

mod simulate;

pub use simulate::{SimulateOptions, simulate};

use crate::document::IngestDocument;
use crate::error::{IngestError, LoadError};
use crate::pipeline::{Env, Flow, Pipeline, PipelineSet};
use crate::resources::Resources;
use crate::value::{Map, Value};
use std::collections::BTreeMap;

/// An error response: HTTP status and Elasticsearch's error body.
#[derive(Debug, Clone, PartialEq)]
pub struct RestError {
    /// HTTP status code.
    pub status: u16,
    /// The whole response body (`{"error": {...}, "status": N}`).
    pub body: Value,
}

impl RestError {
    /// An error with one root cause of the given type and reason, plus extra fields.
    pub fn new(status: u16, kind: &str, reason: &str, extra: Map) -> Self {
        let mut cause = Map::new();
        cause.insert("type".into(), kind.into());
        cause.insert("reason".into(), reason.into());
        cause.extend(extra);
        let mut err = cause.clone();
        err.insert("root_cause".into(), Value::List(vec![Value::Map(cause)]));
        let mut body = Map::new();
        body.insert("error".into(), Value::Map(err));
        body.insert("status".into(), Value::Int(status as i32));
        RestError {
            status,
            body: Value::Map(body),
        }
    }

    /// 404 with `resource_not_found_exception`.
    pub fn not_found(reason: &str) -> Self {
        Self::new(404, "resource_not_found_exception", reason, Map::new())
    }

    /// 400 with `illegal_argument_exception`.
    pub fn bad_request(reason: &str) -> Self {
        Self::new(400, "illegal_argument_exception", reason, Map::new())
    }

    /// A pipeline load error as Elasticsearch reports it (`parse_exception` with processor fields).
    pub fn from_load(e: &LoadError) -> Self {
        match e {
            LoadError::Processor { place, error, .. } => {
                let mut extra = Map::new();
                if let Some(tag) = &place.tag {
                    extra.insert("processor_tag".into(), tag.clone().into());
                }
                if !place.processor_type.is_empty() {
                    extra.insert("processor_type".into(), place.processor_type.clone().into());
                }
                if let Some(p) = &error.property {
                    extra.insert("property_name".into(), p.clone().into());
                }
                Self::new(400, "parse_exception", &error.to_string(), extra)
            }
            LoadError::Pipeline { message, .. } => {
                Self::new(400, "parse_exception", message, Map::new())
            }
            other => Self::new(400, "parse_exception", &other.to_string(), Map::new()),
        }
    }
}

/// The error object Elasticsearch renders for a failed document.
pub fn error_body(e: &IngestError) -> Value {
    fn one(e: &IngestError) -> Map {
        let mut m = Map::new();
        m.insert("type".into(), e.kind.clone().into());
        m.insert("reason".into(), e.reason.clone().into());
        for (k, v) in &e.details {
            m.insert(k.clone(), v.clone());
        }
        if let Some(c) = &e.caused_by {
            m.insert("caused_by".into(), Value::Map(one(c)));
        }
        m
    }
    let mut top = one(e);
    let mut root = Map::new();
    root.insert("type".into(), e.kind.clone().into());
    root.insert("reason".into(), e.reason.clone().into());
    top.insert("root_cause".into(), Value::List(vec![Value::Map(root)]));
    Value::Map(top)
}

#[derive(Debug, Default)]
struct Index {
    default_pipeline: Option<String>,
    final_pipeline: Option<String>,
    docs: BTreeMap<String, (Map, i64)>,
}

/// An in-memory cluster: stored pipelines and indices.
pub struct Cluster {
    resources: Resources,
    definitions: BTreeMap<String, Value>,
    pipelines: PipelineSet,
    indices: BTreeMap<String, Index>,
    next_id: u64,
    /// The `_ingest.timestamp` given to documents.
    pub now: String,
}

impl Cluster {
    /// An empty cluster.
    pub fn new(resources: Resources, now: &str) -> Self {
        Cluster {
            resources,
            definitions: BTreeMap::new(),
            pipelines: PipelineSet::new(),
            indices: BTreeMap::new(),
            next_id: 0,
            now: now.to_string(),
        }
    }

    /// The stored pipelines.
    pub fn pipelines(&self) -> &PipelineSet {
        &self.pipelines
    }

    /// Calls one API by its REST-spec name (`ingest.put_pipeline`, `index`, …) with its parameters.
    pub fn call(&mut self, api: &str, params: &Map) -> Result<Value, RestError> {
        let body = params.get("body").cloned().unwrap_or(Value::Null);
        let param = |k: &str| params.get(k).map(Value::to_java_string);
        match api {
            "ingest.put_pipeline" => {
                let id = param("id").ok_or_else(|| RestError::bad_request("id is missing"))?;
                self.put_pipeline(&id, body)
            }
            "ingest.get_pipeline" => self.get_pipeline(param("id").as_deref()),
            "ingest.delete_pipeline" => {
                let id = param("id").ok_or_else(|| RestError::bad_request("id is missing"))?;
                self.delete_pipeline(&id)
            }
            "ingest.simulate" => {
                let verbose = params.get("verbose").is_some_and(|v| {
                    matches!(v, Value::Bool(true)) || v.to_java_string() == "true"
                });
                let opts = SimulateOptions {
                    verbose,
                    now: self.now.clone(),
                };
                simulate(
                    &body,
                    param("id").as_deref(),
                    &mut self.pipelines,
                    &self.resources,
                    &opts,
                )
            }
            "index" | "create" => {
                let index = param("index").unwrap_or_default();
                let id = param("id");
                let pipeline = param("pipeline");
                let Value::Map(source) = body else {
                    return Err(RestError::new(
                        400,
                        "mapper_parsing_exception",
                        "failed to parse",
                        Map::new(),
                    ));
                };
                self.index(&index, id, pipeline.as_deref(), source)
            }
            "get" => {
                let index = param("index").unwrap_or_default();
                let id = param("id").unwrap_or_default();
                self.get(&index, &id)
            }
            "bulk" => self.bulk(
                &body,
                param("index").as_deref(),
                param("pipeline").as_deref(),
            ),
            "indices.create" => {
                let index = param("index").unwrap_or_default();
                let settings = body
                    .as_map()
                    .and_then(|b| b.get("settings"))
                    .cloned()
                    .unwrap_or(Value::Null);
                let setting = |k: &str| -> Option<String> {
                    let s = settings.as_map()?;
                    s.get(&format!("index.{k}"))
                        .or_else(|| s.get("index").and_then(|i| i.as_map()?.get(k)))
                        .or_else(|| s.get(k))
                        .map(Value::to_java_string)
                };
                let idx = Index {
                    default_pipeline: setting("default_pipeline"),
                    final_pipeline: setting("final_pipeline"),
                    docs: BTreeMap::new(),
                };
                self.indices.insert(index.clone(), idx);
                Ok(ack_with(&[
                    ("acknowledged", true.into()),
                    ("shards_acknowledged", true.into()),
                    ("index", index.into()),
                ]))
            }
            "indices.delete" => {
                let index = param("index").unwrap_or_default();
                self.indices.remove(&index);
                Ok(ack_with(&[]))
            }
            "indices.refresh" | "cluster.health" => Ok(ack_with(&[("status", "green".into())])),
            other => Err(RestError::new(
                400,
                "unsupported_api",
                &format!("the API [{other}] is not emulated offline"),
                Map::new(),
            )),
        }
    }

    fn put_pipeline(&mut self, id: &str, body: Value) -> Result<Value, RestError> {
        let pipeline = Pipeline::from_value(id, &body, None, None, &self.resources)
            .map_err(|e| RestError::from_load(&e))?;
        self.pipelines.insert(pipeline);
        self.definitions.insert(id.to_string(), body);
        Ok(ack_with(&[]))
    }

    fn get_pipeline(&self, id: Option<&str>) -> Result<Value, RestError> {
        let mut out = Map::new();
        for (name, def) in &self.definitions {
            if id.is_none_or(|pat| pat.split(',').any(|p| wildcard_match(p, name))) {
                out.insert(name.clone(), def.clone());
            }
        }
        if out.is_empty() && id.is_some() {
            return Err(RestError::new(
                404,
                "resource_not_found_exception",
                "pipeline missing",
                Map::new(),
            ));
        }
        Ok(Value::Map(out))
    }

    fn delete_pipeline(&mut self, id: &str) -> Result<Value, RestError> {
        let matching: Vec<String> = self
            .definitions
            .keys()
            .filter(|n| id.split(',').any(|p| wildcard_match(p, n)))
            .cloned()
            .collect();
        if matching.is_empty() {
            return Err(RestError::not_found(&format!("pipeline [{id}] is missing")));
        }
        for n in matching {
            self.definitions.remove(&n);
            self.pipelines.remove(&n);
        }
        Ok(ack_with(&[]))
    }

    fn run_pipeline(&self, id: &str, doc: &mut IngestDocument) -> Result<Flow, IngestError> {
        let p = self.pipelines.get(id).cloned().ok_or_else(|| {
            IngestError::illegal_argument(format!("pipeline with id [{id}] does not exist"))
        })?;
        let mut env = Env::new(&self.pipelines);
        p.execute(doc, &mut env)
    }

    fn index(
        &mut self,
        index: &str,
        id: Option<String>,
        pipeline: Option<&str>,
        source: Map,
    ) -> Result<Value, RestError> {
        let id = id.unwrap_or_else(|| {
            self.next_id += 1;
            format!("auto-{}", self.next_id)
        });
        let mut doc = IngestDocument::new(source, &self.now);
        doc.ctx.insert("_index".into(), index.into());
        doc.ctx.insert("_id".into(), id.clone().into());
        let default = self
            .indices
            .get(index)
            .and_then(|i| i.default_pipeline.clone());
        let first = pipeline.map(str::to_string).or(default);
        let fail = |e: IngestError| RestError {
            status: 400,
            body: {
                let mut m = Map::new();
                m.insert("error".into(), error_body(&e));
                m.insert("status".into(), Value::Int(400));
                Value::Map(m)
            },
        };
        let noop = |index: &str, id: &str| {
            ack_with(&[
                ("_index", index.into()),
                ("_id", id.into()),
                ("result", "noop".into()),
            ])
        };
        if let Some(p) = first.filter(|p| p != "_none")
            && self.run_pipeline(&p, &mut doc).map_err(fail)? == Flow::Drop
        {
            return Ok(noop(index, &id));
        }
        let target = doc
            .ctx
            .get("_index")
            .map(Value::to_java_string)
            .unwrap_or_else(|| index.to_string());
        if let Some(fp) = self
            .indices
            .get(&target)
            .and_then(|i| i.final_pipeline.clone())
            && self.run_pipeline(&fp, &mut doc).map_err(fail)? == Flow::Drop
        {
            return Ok(noop(&target, &id));
        }
        let target = doc
            .ctx
            .get("_index")
            .map(Value::to_java_string)
            .unwrap_or(target);
        // A date-math name (`<logs-{now/d}>`, as date_index_name writes) resolves when indexing.
        let target = if target.starts_with('<') && target.ends_with('>') {
            let now = chrono::DateTime::parse_from_rfc3339(&self.now)
                .map(|t| t.timestamp_millis())
                .unwrap_or(0);
            crate::processors::resolve_index_name(&target, now)
                .map_err(|e| RestError::bad_request(&e))?
        } else {
            target
        };
        let final_id = doc.ctx.get("_id").map(Value::to_java_string).unwrap_or(id);
        let entry = self.indices.entry(target.clone()).or_default();
        let version = entry.docs.get(&final_id).map(|d| d.1 + 1).unwrap_or(1);
        let result = if version == 1 { "created" } else { "updated" };
        // Elasticsearch stores `_source` as JSON: a Float comes back as the Double its text reads as.
        let source = Value::Map(doc.into_source());
        let stored = match Value::from_json_str(&source.to_json()) {
            Ok(Value::Map(m)) => m,
            _ => source.as_map().cloned().unwrap_or_default(),
        };
        entry.docs.insert(final_id.clone(), (stored, version));
        Ok(ack_with(&[
            ("_index", target.into()),
            ("_id", final_id.into()),
            ("_version", Value::Long(version)),
            ("result", result.into()),
        ]))
    }

    fn get(&self, index: &str, id: &str) -> Result<Value, RestError> {
        let Some((source, version)) = self.indices.get(index).and_then(|i| i.docs.get(id)) else {
            let mut m = Map::new();
            m.insert("_index".into(), index.into());
            m.insert("_id".into(), id.into());
            m.insert("found".into(), false.into());
            return Err(RestError {
                status: 404,
                body: Value::Map(m),
            });
        };
        let mut m = Map::new();
        m.insert("_index".into(), index.into());
        m.insert("_id".into(), id.into());
        m.insert("_version".into(), Value::Long(*version));
        m.insert("found".into(), true.into());
        m.insert("_source".into(), Value::Map(source.clone()));
        Ok(Value::Map(m))
    }

    fn bulk(
        &mut self,
        body: &Value,
        index: Option<&str>,
        pipeline: Option<&str>,
    ) -> Result<Value, RestError> {
        let lines: Vec<Value> = match body {
            Value::List(l) => l
                .iter()
                .map(|x| match x {
                    Value::String(s) => Value::from_json_str(s).unwrap_or(Value::Null),
                    other => other.clone(),
                })
                .collect(),
            Value::String(s) => s
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| Value::from_json_str(l).unwrap_or(Value::Null))
                .collect(),
            _ => return Err(RestError::bad_request("bulk body must be NDJSON")),
        };
        let mut items = Vec::new();
        let mut errors = false;
        let mut it = lines.into_iter();
        while let Some(action) = it.next() {
            let Some((op, meta)) = action.as_map().and_then(|m| m.iter().next()) else {
                continue;
            };
            let op = op.clone();
            let meta = meta.as_map().cloned().unwrap_or_default();
            let Some(Value::Map(source)) = it.next() else {
                break;
            };
            let idx = meta
                .get("_index")
                .map(Value::to_java_string)
                .or(index.map(str::to_string))
                .unwrap_or_default();
            let id = meta.get("_id").map(Value::to_java_string);
            let p = meta
                .get("pipeline")
                .map(Value::to_java_string)
                .or(pipeline.map(str::to_string));
            let result = match self.index(&idx, id, p.as_deref(), source) {
                Ok(v) => v,
                Err(e) => {
                    errors = true;
                    e.body
                }
            };
            let mut item = Map::new();
            item.insert(op, result);
            items.push(Value::Map(item));
        }
        Ok(ack_with(&[
            ("errors", errors.into()),
            ("items", Value::List(items)),
        ]))
    }
}

fn ack_with(extra: &[(&str, Value)]) -> Value {
    let mut m = Map::new();
    if extra.is_empty() {
        m.insert("acknowledged".into(), true.into());
    }
    for (k, v) in extra {
        m.insert((*k).to_string(), v.clone());
    }
    Value::Map(m)
}

/// Elasticsearch's simple wildcard match (`*` only).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}
