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
        let mut cause = Map::default();
        cause.insert("type".into(), kind.into());
        cause.insert("reason".into(), reason.into());
        cause.extend(extra);
        // Elasticsearch writes `root_cause` first, then the exception's own fields.
        let mut err = Map::default();
        err.insert(
            "root_cause".into(),
            Value::List(vec![Value::Map(cause.clone())]),
        );
        err.extend(cause);
        let mut body = Map::default();
        body.insert("error".into(), Value::Map(err));
        body.insert("status".into(), Value::Int(status as i32));
        RestError {
            status,
            body: Value::Map(body),
        }
    }

    /// 404 with `resource_not_found_exception`.
    pub fn not_found(reason: &str) -> Self {
        Self::new(404, "resource_not_found_exception", reason, Map::default())
    }

    /// 400 with `illegal_argument_exception`.
    pub fn bad_request(reason: &str) -> Self {
        Self::new(400, "illegal_argument_exception", reason, Map::default())
    }

    /// A pipeline load error as Elasticsearch reports it (`parse_exception` with processor fields).
    pub fn from_load(e: &LoadError) -> Self {
        match e {
            LoadError::Processor { place, error, .. } => {
                let mut extra = Map::default();
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
                Self::new(400, "parse_exception", message, Map::default())
            }
            other => Self::new(400, "parse_exception", &other.to_string(), Map::default()),
        }
    }
}

/// The error object Elasticsearch renders for a failed document.
pub fn error_body(e: &IngestError) -> Value {
    fn one(e: &IngestError) -> Map {
        let mut m = Map::default();
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
    let mut root = Map::default();
    root.insert("type".into(), e.kind.clone().into());
    root.insert("reason".into(), e.reason.clone().into());
    let mut top = Map::default();
    top.insert("root_cause".into(), Value::List(vec![Value::Map(root)]));
    top.extend(one(e));
    Value::Map(top)
}

/// A stored document: its `_source`, version and routing.
#[derive(Debug)]
struct Stored {
    source: Map,
    version: i64,
    routing: Option<String>,
}

/// Index-request metadata (`version`, `version_type`, `routing`), before the pipeline may change it.
#[derive(Debug, Default, Clone)]
struct IndexMeta {
    version: Option<i64>,
    version_type: Option<String>,
    routing: Option<String>,
}

#[derive(Debug, Default)]
struct Index {
    default_pipeline: Option<String>,
    final_pipeline: Option<String>,
    docs: BTreeMap<String, Stored>,
}

/// An in-memory cluster: stored pipelines and indices.
pub struct Cluster {
    resources: Resources,
    definitions: BTreeMap<String, Value>,
    pipelines: PipelineSet,
    indices: BTreeMap<String, Index>,
    /// Index aliases: alias name → the index it points to.
    aliases: BTreeMap<String, String>,
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
            aliases: BTreeMap::new(),
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
            "ingest.get_pipeline" => {
                let summary = params.get("summary").is_some_and(is_true);
                self.get_pipeline(param("id").as_deref(), summary)
            }
            "ingest.delete_pipeline" => {
                let id = param("id").ok_or_else(|| RestError::bad_request("id is missing"))?;
                self.delete_pipeline(&id)
            }
            "ingest.simulate" => {
                let verbose = params.get("verbose").is_some_and(is_true);
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
                let require_alias = params.get("require_alias").is_some_and(is_true);
                let Value::Map(source) = body else {
                    return Err(RestError::new(
                        400,
                        "mapper_parsing_exception",
                        "failed to parse",
                        Map::default(),
                    ));
                };
                let meta = IndexMeta {
                    version: params
                        .get("version")
                        .and_then(|v| v.to_java_string().parse().ok()),
                    version_type: param("version_type"),
                    routing: param("routing"),
                };
                self.index(&index, id, pipeline.as_deref(), require_alias, source, meta)
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
                if let Some(Value::Map(aliases)) = body.as_map().and_then(|b| b.get("aliases")) {
                    for alias in aliases.keys() {
                        self.aliases.insert(alias.clone(), index.clone());
                    }
                }
                Ok(ack_with(&[
                    ("acknowledged", true.into()),
                    ("shards_acknowledged", true.into()),
                    ("index", index.into()),
                ]))
            }
            "indices.delete" => {
                let index = param("index").unwrap_or_default();
                self.indices.remove(&index);
                self.aliases.retain(|_, target| *target != index);
                Ok(ack_with(&[]))
            }
            "indices.get" => {
                let index = param("index").unwrap_or_default();
                self.indices_get(&index)
            }
            "search" => self.search(param("index").as_deref(), params),
            "ingest.processor_grok" => {
                let sorted = params.get("s").is_some_and(is_true);
                grok_patterns(param("ecs_compatibility").as_deref(), sorted)
            }
            "indices.refresh" | "cluster.health" => Ok(ack_with(&[("status", "green".into())])),
            other => Err(RestError::new(
                400,
                "unsupported_api",
                &format!("the API [{other}] is not emulated offline"),
                Map::default(),
            )),
        }
    }

    fn put_pipeline(&mut self, id: &str, body: Value) -> Result<Value, RestError> {
        // RestPutPipelineAction rejects a processor entry with several keys before anything else.
        if contains_nested_processors(&body) {
            return Err(RestError::bad_request(
                "[processors] contains nested objects but should be a list of single-entry objects",
            ));
        }
        let pipeline =
            Pipeline::from_value(id, &es_processor_lists(&body), None, None, &self.resources)
                .map_err(|e| RestError::from_load(&e))?;
        self.pipelines.insert(pipeline);
        self.definitions.insert(id.to_string(), body);
        Ok(ack_with(&[]))
    }

    fn get_pipeline(&self, id: Option<&str>, summary: bool) -> Result<Value, RestError> {
        let mut out = Map::default();
        for (name, def) in &self.definitions {
            if id.is_none_or(|pat| pat.split(',').any(|p| wildcard_match(p, name))) {
                // `?summary=true` lists the ids only, each with an empty object.
                let shown = if summary {
                    Value::Map(Map::default())
                } else {
                    def.clone()
                };
                out.insert(name.clone(), shown);
            }
        }
        if out.is_empty() && id.is_some() {
            return Err(RestError::new(
                404,
                "resource_not_found_exception",
                "pipeline missing",
                Map::default(),
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
        require_alias: bool,
        source: Map,
        meta: IndexMeta,
    ) -> Result<Value, RestError> {
        let id = id.unwrap_or_else(|| {
            self.next_id += 1;
            format!("auto-{}", self.next_id)
        });
        let mut doc = IngestDocument::new(source, &self.now);
        doc.ctx.insert("_index".into(), index.into());
        doc.ctx.insert("_id".into(), id.clone().into());
        if let Some(v) = meta.version {
            doc.ctx.insert("_version".into(), Value::Long(v));
        }
        if let Some(t) = &meta.version_type {
            doc.ctx.insert("_version_type".into(), t.clone().into());
        }
        if let Some(r) = &meta.routing {
            doc.ctx.insert("_routing".into(), r.clone().into());
        }
        let default = self
            .indices
            .get(index)
            .and_then(|i| i.default_pipeline.clone());
        let first = pipeline.map(str::to_string).or(default);
        let fail = |e: IngestError| RestError {
            status: 400,
            body: {
                let mut m = Map::default();
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
        if require_alias && !self.aliases.contains_key(&target) {
            return Err(RestError::new(
                404,
                "index_not_found_exception",
                &format!(
                    "no such index [{target}] and [require_alias] request flag is [true] and [{target}] is not an alias"
                ),
                Map::default(),
            ));
        }
        // Writing through an alias writes to the index it points to.
        let target = self.aliases.get(&target).cloned().unwrap_or(target);
        let final_id = doc.ctx.get("_id").map(Value::to_java_string).unwrap_or(id);
        let routing = doc
            .ctx
            .get("_routing")
            .filter(|v| !v.is_null())
            .map(Value::to_java_string);
        // An external version (set by the request or by the pipeline) is stored as given.
        let external = doc
            .ctx
            .get("_version_type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.starts_with("external"));
        let requested = match doc.ctx.get("_version") {
            Some(Value::Int(i)) => Some(*i as i64),
            Some(Value::Long(l)) => Some(*l),
            _ => None,
        };
        let entry = self.indices.entry(target.clone()).or_default();
        let existed = entry.docs.contains_key(&final_id);
        let version = match (external, requested) {
            (true, Some(v)) => v,
            _ => entry
                .docs
                .get(&final_id)
                .map(|d| d.version + 1)
                .unwrap_or(1),
        };
        let result = if existed { "updated" } else { "created" };
        // Elasticsearch stores `_source` as JSON: a Float comes back as the Double its text reads as.
        let source = Value::Map(doc.into_source());
        let stored = match Value::from_json_str(&source.to_json()) {
            Ok(Value::Map(m)) => m,
            _ => source.as_map().cloned().unwrap_or_default(),
        };
        entry.docs.insert(
            final_id.clone(),
            Stored {
                source: stored,
                version,
                routing,
            },
        );
        Ok(ack_with(&[
            ("_index", target.into()),
            ("_id", final_id.into()),
            ("_version", Value::Long(version)),
            ("result", result.into()),
        ]))
    }

    fn get(&self, index: &str, id: &str) -> Result<Value, RestError> {
        let index = self.aliases.get(index).map(String::as_str).unwrap_or(index);
        let Some(stored) = self.indices.get(index).and_then(|i| i.docs.get(id)) else {
            let mut m = Map::default();
            m.insert("_index".into(), index.into());
            m.insert("_id".into(), id.into());
            m.insert("found".into(), false.into());
            return Err(RestError {
                status: 404,
                body: Value::Map(m),
            });
        };
        let mut m = Map::default();
        m.insert("_index".into(), index.into());
        m.insert("_id".into(), id.into());
        m.insert("_version".into(), Value::Long(stored.version));
        if let Some(r) = &stored.routing {
            m.insert("_routing".into(), r.clone().into());
        }
        m.insert("found".into(), true.into());
        m.insert("_source".into(), Value::Map(stored.source.clone()));
        Ok(Value::Map(m))
    }

    fn indices_get(&self, name: &str) -> Result<Value, RestError> {
        let concrete = self.aliases.get(name).map(String::as_str).unwrap_or(name);
        if !self.indices.contains_key(concrete) {
            let mut extra = Map::default();
            extra.insert("index".into(), name.into());
            return Err(RestError::new(
                404,
                "index_not_found_exception",
                &format!("no such index [{name}]"),
                extra,
            ));
        }
        let mut aliases = Map::default();
        for (alias, target) in &self.aliases {
            if target == concrete {
                aliases.insert(alias.clone(), Value::Map(Map::default()));
            }
        }
        let mut info = Map::default();
        info.insert("aliases".into(), Value::Map(aliases));
        info.insert("mappings".into(), Value::Map(Map::default()));
        info.insert("settings".into(), Value::Map(Map::default()));
        let mut out = Map::default();
        out.insert(concrete.to_string(), Value::Map(info));
        Ok(Value::Map(out))
    }

    /// Lists stored documents: `query` may only be `match_all`; `sort` (field names, `{field: order}`
    /// or `{field: {order}}`) and `size` are honoured. Anything else is reported as not emulated.
    fn search(&self, index: Option<&str>, params: &Map) -> Result<Value, RestError> {
        let empty = Map::default();
        let body = match params.get("body") {
            Some(Value::Map(b)) => b,
            None | Some(Value::Null) => &empty,
            Some(_) => return Err(RestError::bad_request("search body must be an object")),
        };
        for (k, v) in body {
            let ok = match k.as_str() {
                "sort" | "size" => true,
                "query" => v
                    .as_map()
                    .is_some_and(|q| q.len() == 1 && q.contains_key("match_all")),
                _ => false,
            };
            if !ok {
                return Err(RestError::new(
                    400,
                    "unsupported_api",
                    &format!("search option [{k}] is not emulated offline"),
                    Map::default(),
                ));
            }
        }
        let sort = sort_keys(body.get("sort"));
        let wanted = |name: &str| {
            index.is_none_or(|pat| {
                pat.split(',').any(|p| {
                    let p = self.aliases.get(p).map(String::as_str).unwrap_or(p);
                    p == "_all" || wildcard_match(p, name)
                })
            })
        };
        let mut hits: Vec<(&String, &String, &Map)> = Vec::new();
        for (name, idx) in &self.indices {
            if wanted(name) {
                for (id, stored) in &idx.docs {
                    hits.push((name, id, &stored.source));
                }
            }
        }
        hits.sort_by(|a, b| {
            for (field, desc) in &sort {
                let ord = compare_sort_values(lookup_path(a.2, field), lookup_path(b.2, field));
                let ord = if *desc { ord.reverse() } else { ord };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
        let total = hits.len();
        let size = body
            .get("size")
            .and_then(Value::as_f64)
            .map(|s| s.max(0.0) as usize)
            .unwrap_or(10);
        let rendered: Vec<Value> = hits
            .into_iter()
            .take(size)
            .map(|(name, id, source)| {
                let mut h = Map::default();
                h.insert("_index".into(), name.clone().into());
                h.insert("_id".into(), id.clone().into());
                h.insert(
                    "_score".into(),
                    if sort.is_empty() {
                        Value::Double(1.0)
                    } else {
                        Value::Null
                    },
                );
                h.insert("_source".into(), Value::Map(source.clone()));
                if !sort.is_empty() {
                    let keys = sort
                        .iter()
                        .map(|(f, _)| lookup_path(source, f).cloned().unwrap_or(Value::Null))
                        .collect();
                    h.insert("sort".into(), Value::List(keys));
                }
                Value::Map(h)
            })
            .collect();
        let total = if params.get("rest_total_hits_as_int").is_some_and(is_true) {
            Value::Long(total as i64)
        } else {
            let mut t = Map::default();
            t.insert("value".into(), Value::Long(total as i64));
            t.insert("relation".into(), "eq".into());
            Value::Map(t)
        };
        let mut hits_obj = Map::default();
        hits_obj.insert("total".into(), total);
        hits_obj.insert("hits".into(), Value::List(rendered));
        Ok(ack_with(&[
            ("timed_out", false.into()),
            ("hits", Value::Map(hits_obj)),
        ]))
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
            let require_alias = meta.get("require_alias").is_some_and(is_true);
            let meta = IndexMeta {
                version: meta
                    .get("version")
                    .and_then(|v| v.to_java_string().parse().ok()),
                version_type: meta.get("version_type").map(Value::to_java_string),
                routing: meta.get("routing").map(Value::to_java_string),
            };
            let result = match self.index(&idx, id, p.as_deref(), require_alias, source, meta) {
                Ok(v) => v,
                Err(e) => {
                    errors = true;
                    e.body
                }
            };
            let mut item = Map::default();
            item.insert(op, result);
            items.push(Value::Map(item));
        }
        Ok(ack_with(&[
            ("errors", errors.into()),
            ("items", Value::List(items)),
        ]))
    }
}

/// `GET _ingest/processor/grok`: the built-in pattern bank of an `ecs_compatibility` mode
/// (`disabled`, the default, or `v1`), in load order or sorted by name (`?s=true`).
fn grok_patterns(ecs_compatibility: Option<&str>, sorted: bool) -> Result<Value, RestError> {
    let ecs_v1 = match ecs_compatibility.unwrap_or("disabled") {
        "disabled" => false,
        "v1" => true,
        other => {
            return Err(RestError::bad_request(&format!(
                "unsupported ECS compatibility mode [{other}]"
            )));
        }
    };
    let bank = crate::grok::PatternBank::builtin(ecs_v1);
    let mut patterns: Vec<(&str, &str)> = bank.iter().collect();
    if sorted {
        patterns.sort_by(|a, b| a.0.cmp(b.0));
    }
    let map: Map = patterns
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::from(v.to_string())))
        .collect();
    Ok(ack_with(&[("patterns", Value::Map(map))]))
}

/// A search `sort` as (field, descending) pairs.
fn sort_keys(sort: Option<&Value>) -> Vec<(String, bool)> {
    let items: Vec<&Value> = match sort {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(l)) => l.iter().collect(),
        Some(one) => vec![one],
    };
    let mut out = Vec::new();
    for item in items {
        match item {
            Value::String(f) => out.push((f.clone(), false)),
            Value::Map(m) => {
                for (f, spec) in m {
                    let order = match spec {
                        Value::Map(o) => o.get("order").map(Value::to_java_string),
                        other => Some(other.to_java_string()),
                    };
                    out.push((f.clone(), order.as_deref() == Some("desc")));
                }
            }
            _ => {}
        }
    }
    out
}

/// A dotted path into a stored `_source`.
fn lookup_path<'a>(source: &'a Map, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = source.get(parts.next()?)?;
    for p in parts {
        cur = cur.as_map()?.get(p)?;
    }
    Some(cur)
}

/// Sort order of two field values: numbers by value, then strings; missing values last.
fn compare_sort_values(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) if x.is_number() && y.is_number() => {
                p.partial_cmp(&q).unwrap_or(Ordering::Equal)
            }
            _ => x.to_java_string().cmp(&y.to_java_string()),
        },
    }
}

/// A boolean request parameter: `true` or `"true"`.
fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(true)) || v.to_java_string() == "true"
}

/// Whether a pipeline body's `processors` list has an entry with more than one key
/// (Elasticsearch's `Pipeline.containsNestedProcessors`, checked by the put-pipeline API only).
pub fn contains_nested_processors(def: &Value) -> bool {
    def.as_map()
        .and_then(|m| m.get("processors"))
        .and_then(Value::as_list)
        .is_some_and(|l| l.iter().any(|p| p.as_map().is_some_and(|m| m.len() > 1)))
}

/// A pipeline body with its processor lists read as Elasticsearch's `readProcessorConfigs` reads
/// them: every key of a list entry is one processor (`{}` gives none, `{"a":…,"b":…}` gives two),
/// in `processors`, `on_failure` and, recursively, in processors' own `on_failure`.
pub fn es_processor_lists(def: &Value) -> Value {
    let Value::Map(m) = def else {
        return def.clone();
    };
    let mut out = m.clone();
    for key in ["processors", "on_failure"] {
        if let Some(Value::List(l)) = m.get(key) {
            out.insert(key.to_string(), Value::List(split_processor_list(l)));
        }
    }
    Value::Map(out)
}

fn split_processor_list(list: &[Value]) -> Vec<Value> {
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Value::Map(entries) = item else {
            out.push(item.clone());
            continue;
        };
        for (kind, options) in entries {
            let options = match options {
                Value::Map(o) => {
                    let mut o = o.clone();
                    if let Some(Value::List(l)) = o.get("on_failure") {
                        let split = split_processor_list(l);
                        o.insert("on_failure".into(), Value::List(split));
                    }
                    Value::Map(o)
                }
                other => other.clone(),
            };
            let mut one = Map::default();
            one.insert(kind.clone(), options);
            out.push(Value::Map(one));
        }
    }
    out
}

fn ack_with(extra: &[(&str, Value)]) -> Value {
    let mut m = Map::default();
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
            // `find` matched all of `part` at `pos`.
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> Value {
        Value::from_json_str(text).expect("valid JSON")
    }

    fn cluster() -> Cluster {
        Cluster::new(Resources::new(), "2024-01-01T00:00:00.000Z")
    }

    fn call(c: &mut Cluster, api: &str, params: &str) -> Result<Value, RestError> {
        let Value::Map(p) = json(params) else {
            panic!("params must be an object")
        };
        c.call(api, &p)
    }

    #[test]
    fn processor_lists_read_as_elasticsearch_reads_them() {
        let cases = [
            (r#"{"processors":[{},{}]}"#, r#"{"processors":[]}"#),
            (
                r#"{"processors":[{"a":{"x":1},"b":{}}]}"#,
                r#"{"processors":[{"a":{"x":1}},{"b":{}}]}"#,
            ),
            (
                r#"{"processors":[{"a":{"on_failure":[{"b":{},"c":{}}]}}],"on_failure":[{}]}"#,
                r#"{"processors":[{"a":{"on_failure":[{"b":{}},{"c":{}}]}}],"on_failure":[]}"#,
            ),
            (r#"{"processors":"x"}"#, r#"{"processors":"x"}"#),
        ];
        for (input, want) in cases {
            assert_eq!(es_processor_lists(&json(input)), json(want), "{input}");
        }
        assert!(contains_nested_processors(&json(
            r#"{"processors":[{"a":{}},{"b":{},"c":{}}]}"#
        )));
        assert!(!contains_nested_processors(&json(
            r#"{"processors":[{},{"a":{}}]}"#
        )));
    }

    #[test]
    fn put_pipeline_validation() {
        let mut c = cluster();
        let nested = call(
            &mut c,
            "ingest.put_pipeline",
            r#"{"id":"p","body":{"processors":[{"set":{},"date":{}}]}}"#,
        )
        .expect_err("nested processors are rejected");
        assert_eq!(nested.status, 400);
        assert_eq!(
            lookup(&nested.body, &["error", "type"]),
            Some(&json(r#""illegal_argument_exception""#))
        );
        call(
            &mut c,
            "ingest.put_pipeline",
            r#"{"id":"p","body":{"description":"d","processors":[{},{}]}}"#,
        )
        .expect("empty entries are no processors");
        let summary = call(&mut c, "ingest.get_pipeline", r#"{"summary":true}"#).expect("get");
        assert_eq!(summary, json(r#"{"p":{}}"#));
        let full = call(&mut c, "ingest.get_pipeline", r#"{"id":"p"}"#).expect("get");
        assert_eq!(lookup(&full, &["p", "description"]), Some(&json(r#""d""#)));
    }

    fn lookup<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
        path.iter().try_fold(v, |cur, k| cur.as_map()?.get(*k))
    }

    #[test]
    fn search_lists_sorted_documents() {
        let mut c = cluster();
        for (id, n) in [("a", 60), ("b", 40), ("c", 50)] {
            call(
                &mut c,
                "index",
                &format!(r#"{{"index":"i","id":"{id}","body":{{"n":{n}}}}}"#),
            )
            .expect("index");
        }
        let r = call(
            &mut c,
            "search",
            r#"{"index":"i","rest_total_hits_as_int":true,"body":{"sort":[{"n":{"order":"desc"}}]}}"#,
        )
        .expect("search");
        assert_eq!(lookup(&r, &["hits", "total"]), Some(&Value::Long(3)));
        let ids: Vec<String> = lookup(&r, &["hits", "hits"])
            .and_then(Value::as_list)
            .expect("hits")
            .iter()
            .filter_map(|h| h.as_map()?.get("_id").map(Value::to_java_string))
            .collect();
        assert_eq!(ids, ["a", "c", "b"]);
        let unsupported = call(
            &mut c,
            "search",
            r#"{"index":"i","body":{"query":{"term":{"n":40}}}}"#,
        );
        assert!(unsupported.is_err(), "queries are not emulated");
    }

    #[test]
    fn require_alias_needs_an_alias() {
        let mut c = cluster();
        let missing = call(
            &mut c,
            "index",
            r#"{"index":"x","require_alias":true,"body":{"a":1}}"#,
        )
        .expect_err("no alias");
        assert_eq!(missing.status, 404);
        assert!(call(&mut c, "indices.get", r#"{"index":"x"}"#).is_err());
        call(
            &mut c,
            "indices.create",
            r#"{"index":"backing","body":{"aliases":{"x":{}}}}"#,
        )
        .expect("create");
        let ok = call(
            &mut c,
            "index",
            r#"{"index":"x","id":"1","require_alias":true,"body":{"a":1}}"#,
        )
        .expect("through the alias");
        assert_eq!(lookup(&ok, &["_index"]), Some(&json(r#""backing""#)));
        assert!(call(&mut c, "get", r#"{"index":"x","id":"1"}"#).is_ok());
    }

    #[test]
    fn grok_pattern_bank() {
        let mut c = cluster();
        let legacy = call(&mut c, "ingest.processor_grok", r#"{"s":true}"#).expect("bank");
        let patterns = lookup(&legacy, &["patterns"])
            .and_then(Value::as_map)
            .expect("patterns");
        assert_eq!(
            patterns.get("PATH"),
            Some(&json(r#""(?:%{UNIXPATH}|%{WINPATH})""#))
        );
        let names: Vec<&String> = patterns.keys().collect();
        assert!(names.windows(2).all(|w| w[0] <= w[1]), "sorted");
        let v1 = call(
            &mut c,
            "ingest.processor_grok",
            r#"{"ecs_compatibility":"v1"}"#,
        );
        assert!(v1.is_ok());
        let bad = call(
            &mut c,
            "ingest.processor_grok",
            r#"{"ecs_compatibility":"v8"}"#,
        )
        .expect_err("unknown mode");
        assert_eq!(bad.status, 400);
    }

    #[test]
    fn wildcards() {
        for (pattern, name, want) in [
            ("*", "abc", true),
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "abc", true),
            ("a*d", "abc", false),
            ("abc", "abc", true),
            ("ab", "abc", false),
        ] {
            assert_eq!(wildcard_match(pattern, name), want, "{pattern} {name}");
        }
    }
}
