//! Pipelines: reading definitions (YAML or JSON, as Elasticsearch accepts them), building
//! processors through the registry, and running documents through them.

mod config;
mod processor;

pub use config::{Config, FieldRef, missing};
pub use processor::{
    Env, Flow, Observer, Processor, ProcessorNode, Status, run_list, run_on_failure,
};

use crate::document::{AccessPattern, IngestDocument};
use crate::error::{ConfigError, IngestError, LoadError, ProcessorPlace};
use crate::painless::Condition;
use crate::resources::Resources;
use crate::value::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A compiled pipeline.
#[derive(Debug)]
pub struct Pipeline {
    /// The pipeline id (a file's stem when loaded from a folder).
    pub id: Arc<str>,
    /// `description`.
    pub description: Option<String>,
    /// `version`.
    pub version: Option<i64>,
    /// `_meta`.
    pub meta: Option<Map>,
    /// `processors`.
    pub processors: Vec<ProcessorNode>,
    /// Pipeline-level `on_failure`.
    pub on_failure: Vec<ProcessorNode>,
    /// `field_access_pattern` (9.2+): how its processors resolve field paths while it runs.
    pub access_pattern: AccessPattern,
    /// The file it was read from, if any.
    pub file: Option<PathBuf>,
}

/// Why building a processor failed: its own options, or a processor nested in it.
#[derive(Debug)]
pub enum BuildError {
    /// The processor's own configuration.
    Config(ConfigError),
    /// A nested processor (foreach's `processor`), already placed.
    Nested(Box<LoadError>),
}

impl From<ConfigError> for BuildError {
    fn from(e: ConfigError) -> Self {
        BuildError::Config(e)
    }
}

/// Builds one processor type from its options.
pub type Factory = fn(&mut Config, &Builder<'_>) -> Result<Box<dyn Processor>, BuildError>;

/// Builds processors for one pipeline file: knows the file, the pipeline id and shared resources.
pub struct Builder<'r> {
    /// Databases and pattern banks processors load from.
    pub resources: &'r Resources,
    file: PathBuf,
    pipeline_id: String,
    access_pattern: AccessPattern,
    lines: Vec<Option<usize>>,
    failure_lines: Vec<Option<usize>>,
    current: std::cell::RefCell<String>,
}

impl<'r> Builder<'r> {
    /// The `field_access_pattern` of the pipeline being built. Paths resolve with the pattern of
    /// the pipeline running a document (`IngestDocument::access_pattern`); this is for processors
    /// that want to know it when they load.
    pub fn access_pattern(&self) -> AccessPattern {
        self.access_pattern
    }

    /// The index path of the processor being built, e.g. `processors[2]`.
    pub fn current_path(&self) -> String {
        self.current.borrow().clone()
    }

    fn place_error(&self, place: ProcessorPlace, error: ConfigError) -> LoadError {
        LoadError::Processor {
            file: self.file.clone(),
            pipeline: self.pipeline_id.clone(),
            place,
            error,
        }
    }

    /// Builds a list of processors (`processors`, `on_failure`); `path` names the list.
    pub fn build_list(&self, v: &Value, path: &str) -> Result<Vec<ProcessorNode>, LoadError> {
        let Value::List(items) = v else {
            return Err(self.place_error(
                ProcessorPlace {
                    path: path.to_string(),
                    ..Default::default()
                },
                ConfigError::general(format!(
                    "[{path}] must be a list of processors, not {}",
                    v.java_type()
                )),
            ));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| self.build_node(item, &format!("{path}[{i}]")))
            .collect()
    }

    fn line_for(&self, path: &str) -> Option<usize> {
        let parse_idx = |prefix: &str| -> Option<usize> {
            let rest = path.strip_prefix(prefix)?;
            let end = rest.find(']')?;
            if end + 1 != rest.len() {
                return None;
            }
            // end is the byte offset of an ASCII ']', so a char boundary.
            rest[..end].parse().ok()
        };
        if let Some(i) = parse_idx("processors[") {
            return self.lines.get(i).copied().flatten();
        }
        if let Some(i) = parse_idx("on_failure[") {
            return self.failure_lines.get(i).copied().flatten();
        }
        None
    }

    /// Builds one processor from `{type: {options}}`.
    pub fn build_node(&self, v: &Value, path: &str) -> Result<ProcessorNode, LoadError> {
        let mut place = ProcessorPlace {
            path: path.to_string(),
            line: self.line_for(path),
            ..Default::default()
        };
        let Value::Map(m) = v else {
            return Err(self.place_error(
                place,
                ConfigError::general(format!(
                    "a processor must be an object of one key (its type), not {}",
                    v.java_type()
                )),
            ));
        };
        let mut entries = m.iter();
        let (Some((type_name, options)), None) = (entries.next(), entries.next()) else {
            return Err(self.place_error(
                place,
                ConfigError::general(
                    "processors list contains nested objects but should be a list of single-entry objects",
                ),
            ));
        };
        place.processor_type = type_name.clone();
        let options = match options {
            Value::Map(o) => o.clone(),
            Value::Null => Map::default(),
            other => {
                return Err(self.place_error(
                    place,
                    ConfigError::general(format!(
                        "the options of processor [{type_name}] must be an object, not {}",
                        other.java_type()
                    )),
                ));
            }
        };
        let mut cfg = Config::new(type_name, options);
        let tag = cfg.opt_str_or_int("tag").ok().flatten();
        place.tag = tag.clone();
        let fail = |e: ConfigError| self.place_error(place.clone(), e);
        let Some(factory) = crate::processors::factory(type_name) else {
            let message = if crate::processors::CLUSTER_ONLY.contains(&type_name.as_str()) {
                format!(
                    "processor [{type_name}] needs a running Elasticsearch cluster and cannot run offline"
                )
            } else {
                format!("No processor type exists with name [{type_name}]")
            };
            return Err(fail(ConfigError::general(message)));
        };
        let description = cfg.opt_str("description").map_err(fail)?;
        let ignore_failure = cfg.bool_or("ignore_failure", false).map_err(fail)?;
        let (condition, condition_source) = match cfg.take("if") {
            None => (None, None),
            Some(script) => {
                let source = match &script {
                    Value::Map(m) => m.get("source").map(Value::to_java_string),
                    other => Some(other.to_java_string()),
                };
                let c = Condition::from_config(&script)
                    .map_err(|e| fail(ConfigError::property("if", e)))?;
                (Some(c), source)
            }
        };
        let on_failure = match cfg.take("on_failure") {
            None => Vec::new(),
            Some(Value::List(l)) if l.is_empty() => {
                return Err(fail(ConfigError::property(
                    "on_failure",
                    "processors list cannot be empty",
                )));
            }
            Some(list) => self.build_list(&list, &format!("{path}.on_failure"))?,
        };
        let outer = self.current.replace(path.to_string());
        let built = factory(&mut cfg, self);
        self.current.replace(outer);
        let inner = match built {
            Ok(p) => p,
            Err(BuildError::Config(e)) => return Err(fail(e)),
            Err(BuildError::Nested(e)) => return Err(*e),
        };
        cfg.finish().map_err(fail)?;
        Ok(ProcessorNode {
            type_name: type_name.clone(),
            tag,
            description,
            condition,
            condition_source,
            ignore_failure,
            on_failure,
            place,
            inner,
        })
    }
}

impl Pipeline {
    /// Builds a pipeline from its definition (the body Elasticsearch's put-pipeline API takes).
    pub fn from_value(
        id: &str,
        def: &Value,
        file: Option<&Path>,
        source_text: Option<&str>,
        resources: &Resources,
    ) -> Result<Pipeline, LoadError> {
        let file_buf = file.map(Path::to_path_buf).unwrap_or_default();
        let perr = |message: String| LoadError::Pipeline {
            file: file_buf.clone(),
            pipeline: id.to_string(),
            message,
        };
        let Value::Map(m) = def else {
            return Err(perr(format!(
                "a pipeline must be an object, not {}",
                def.java_type()
            )));
        };
        for k in m.keys() {
            if !matches!(
                k.as_str(),
                "description"
                    | "processors"
                    | "on_failure"
                    | "version"
                    | "_meta"
                    | "deprecated"
                    | "field_access_pattern"
            ) {
                return Err(perr(format!("unknown pipeline option [{k}]")));
            }
        }
        // Elasticsearch 9.2+ (Pipeline.create; IngestPipelineFieldAccessPattern.getAccessPattern
        // gives the message for an unknown name).
        let access_pattern = match m.get("field_access_pattern") {
            None | Some(Value::Null) => AccessPattern::Classic,
            Some(Value::String(s)) => AccessPattern::from_name(s).ok_or_else(|| {
                perr(format!(
                    "Invalid ingest pipeline access pattern name [{s}] given"
                ))
            })?,
            Some(other) => {
                return Err(perr(format!(
                    "[field_access_pattern] property isn't a string, but of type [{}]",
                    other.java_type()
                )));
            }
        };
        let (lines, failure_lines) = source_text
            .map(|t| (item_lines(t, "processors"), item_lines(t, "on_failure")))
            .unwrap_or_default();
        let builder = Builder {
            resources,
            file: file_buf.clone(),
            pipeline_id: id.to_string(),
            access_pattern,
            lines,
            failure_lines,
            current: std::cell::RefCell::new(String::new()),
        };
        let processors = match m.get("processors") {
            None | Some(Value::Null) => {
                return Err(perr("[processors] required property is missing".into()));
            }
            Some(v) => builder.build_list(v, "processors")?,
        };
        let on_failure = match m.get("on_failure") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::List(l)) if l.is_empty() => {
                return Err(perr(format!(
                    "pipeline [{id}] cannot have an empty on_failure option defined"
                )));
            }
            Some(v) => builder.build_list(v, "on_failure")?,
        };
        let description = match m.get("description") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                return Err(perr(format!(
                    "[description] property isn't a string, but of type [{}]",
                    other.java_type()
                )));
            }
        };
        let version = match m.get("version") {
            None | Some(Value::Null) => None,
            Some(Value::Int(i)) => Some(*i as i64),
            Some(Value::Long(l)) => Some(*l),
            Some(other) => {
                return Err(perr(format!(
                    "[version] property isn't an integer, but of type [{}]",
                    other.java_type()
                )));
            }
        };
        let meta = match m.get("_meta") {
            None | Some(Value::Null) => None,
            Some(Value::Map(mm)) => Some(mm.clone()),
            Some(other) => {
                return Err(perr(format!(
                    "[_meta] property isn't a map, but of type [{}]",
                    other.java_type()
                )));
            }
        };
        Ok(Pipeline {
            id: Arc::from(id),
            description,
            version,
            meta,
            processors,
            on_failure,
            access_pattern,
            file: file.map(Path::to_path_buf),
        })
    }

    /// Runs the pipeline on a document: `Ok(Flow::Drop)` when a processor dropped it.
    pub fn execute(
        &self,
        doc: &mut IngestDocument,
        env: &mut Env<'_>,
    ) -> Result<Flow, IngestError> {
        if env.stack.iter().any(|p| **p == *self.id) {
            return Err(IngestError::illegal_state(format!(
                "Cycle detected for pipeline: {}",
                self.id
            )));
        }
        if env.stack.len() >= 100 {
            return Err(IngestError::illegal_state(format!(
                "Too many nested pipelines. Cannot have more than 100 nested pipelines (at [{}])",
                self.id
            )));
        }
        let previous = doc
            .ingest
            .insert("pipeline".into(), Value::from(self.id.to_string()));
        env.stack.push(self.id.clone());
        // Field paths resolve with this pipeline's access pattern while it runs, and with the
        // caller's again once it returns (IngestDocument.executePipeline's access-pattern stack).
        let outer_access = doc.set_access_pattern(self.access_pattern);
        let result = match run_list(&self.processors, doc, env) {
            Err(e) if !e.fatal && !self.on_failure.is_empty() => {
                run_on_failure(&self.on_failure, &e, doc, env)
            }
            other => other,
        };
        doc.set_access_pattern(outer_access);
        env.stack.pop();
        doc.terminated = false;
        match previous {
            Some(p) => {
                doc.ingest.insert("pipeline".into(), p);
            }
            None => {
                doc.ingest.shift_remove("pipeline");
            }
        }
        result
    }
}

/// The 1-based lines of the items of a top-level YAML list `key:` (heuristic: `- type:` items).
fn item_lines(text: &str, key: &str) -> Vec<Option<usize>> {
    let mut out = Vec::new();
    let mut in_list = false;
    let mut item_indent: Option<usize> = None;
    let header = format!("{key}:");
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let is_item = trimmed.starts_with("- ") || trimmed == "-";
        if indent == 0 && !is_item && !trimmed.is_empty() && !trimmed.starts_with('#') {
            in_list = trimmed.starts_with(&header);
            item_indent = None;
            // in_list means trimmed starts with header, so header.len() is a char boundary.
            if in_list && trimmed[header.len()..].trim_start().starts_with('[') {
                in_list = false;
            }
            continue;
        }
        if !in_list || !is_item {
            continue;
        }
        match item_indent {
            None => {
                item_indent = Some(indent);
                out.push(Some(i + 1));
            }
            Some(ind) if ind == indent => out.push(Some(i + 1)),
            _ => {}
        }
    }
    out
}

/// Pipelines that can call each other by id.
#[derive(Debug, Default)]
pub struct PipelineSet {
    pipelines: BTreeMap<String, Arc<Pipeline>>,
}

impl PipelineSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a pipeline.
    pub fn insert(&mut self, p: Pipeline) -> Arc<Pipeline> {
        let p = Arc::new(p);
        self.pipelines.insert(p.id.to_string(), p.clone());
        p
    }

    /// The pipeline with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Pipeline>> {
        self.pipelines.get(id)
    }

    /// Removes a pipeline; true when it existed.
    pub fn remove(&mut self, id: &str) -> bool {
        self.pipelines.remove(id).is_some()
    }

    /// All pipelines, by id.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Arc<Pipeline>)> {
        self.pipelines.iter()
    }

    /// Loads every `*.yml`, `*.yaml` and `*.json` pipeline in a folder; ids are file stems.
    pub fn load_dir(dir: &Path, resources: &Resources) -> Result<PipelineSet, LoadError> {
        let mut set = PipelineSet::new();
        for f in pipeline_files(dir)? {
            set.insert(load_file(&f, resources)?);
        }
        Ok(set)
    }

    /// Runs the pipeline `id` on a document. `Ok(None)` when the document was dropped.
    pub fn run(
        &self,
        id: &str,
        mut doc: IngestDocument,
    ) -> Result<Option<IngestDocument>, IngestError> {
        let p = self.get(id).ok_or_else(|| {
            IngestError::illegal_argument(format!("pipeline with id [{id}] does not exist"))
        })?;
        let mut env = Env::new(self);
        match p.execute(&mut doc, &mut env)? {
            Flow::Drop => Ok(None),
            Flow::Continue => Ok(Some(doc)),
        }
    }
}

/// The pipeline files of a folder (`*.yml`, `*.yaml`, `*.json`), sorted.
pub fn pipeline_files(dir: &Path) -> Result<Vec<PathBuf>, LoadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
        file: dir.to_path_buf(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yml" | "yaml" | "json")
                )
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Replaces elastic-package's `{{ IngestPipeline "name" }}` with the pipeline id `name`.
pub fn expand_ingest_pipeline_refs(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("IngestPipeline") {
        return std::borrow::Cow::Borrowed(text);
    }
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        // A fixed pattern, covered by the tests: it compiles.
        regex::Regex::new(r#"\{\{\s*IngestPipeline\s+"([^"]*)"\s*\}\}"#).expect("valid regex")
    });
    RE.replace_all(text, "$1")
}

/// Parses pipeline text (YAML or JSON) into a Value, with the file named in errors.
pub fn parse_definition(text: &str, file: &Path) -> Result<Value, LoadError> {
    let is_json = file.extension().and_then(|e| e.to_str()) == Some("json");
    let result = if is_json {
        Value::from_json_str(text).map_err(|e| e.to_string())
    } else {
        // elastic-package installs a YAML pipeline as JSON written from a Go map, whose keys come
        // out sorted: that is the order Elasticsearch's HashMaps (e.g. script `params`) see.
        crate::yaml::parse(text).map(|mut v| {
            crate::value::sort_keys_within(vec![&mut v]);
            v
        })
    };
    result.map_err(|message| LoadError::Syntax {
        file: file.to_path_buf(),
        message,
    })
}

/// Loads one pipeline file; its id is the file stem.
pub fn load_file(file: &Path, resources: &Resources) -> Result<Pipeline, LoadError> {
    let raw = std::fs::read(file).map_err(|source| LoadError::Io {
        file: file.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(raw).map_err(|e| LoadError::Syntax {
        file: file.to_path_buf(),
        message: format!("not valid UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
    })?;
    let text = expand_ingest_pipeline_refs(&text);
    let def = parse_definition(&text, file)?;
    let id = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("pipeline")
        .to_string();
    Pipeline::from_value(&id, &def, Some(file), Some(&text), resources)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_definitions_get_sorted_keys_like_go_json() {
        let v = parse_definition("b: 1\na: {d: 1, c: 2}\n", Path::new("p.yml")).unwrap();
        assert_eq!(v.to_json(), r#"{"a":{"c":2,"d":1},"b":1}"#);
        let v = parse_definition(r#"{"b":1,"a":2}"#, Path::new("p.json")).unwrap();
        assert_eq!(v.to_json(), r#"{"b":1,"a":2}"#);
    }

    #[test]
    fn item_lines_finds_top_level_processors() {
        let text = "description: x\nprocessors:\n  - set:\n      field: a\n  - remove:\n      field: b\non_failure:\n- set:\n    field: e\n";
        assert_eq!(item_lines(text, "processors"), vec![Some(3), Some(5)]);
        assert_eq!(item_lines(text, "on_failure"), vec![Some(8)]);
    }

    fn build(id: &str, json: &str) -> Result<Pipeline, LoadError> {
        let def = Value::from_json_str(json).unwrap();
        Pipeline::from_value(id, &def, None, None, &Resources::new())
    }

    #[test]
    fn field_access_pattern_option() {
        let p = |json: &str| build("p", json).map(|p| p.access_pattern);
        assert_eq!(p(r#"{"processors":[]}"#).unwrap(), AccessPattern::Classic);
        assert_eq!(
            p(r#"{"processors":[],"field_access_pattern":"flexible"}"#).unwrap(),
            AccessPattern::Flexible
        );
        assert_eq!(
            p(r#"{"processors":[],"field_access_pattern":"classic"}"#).unwrap(),
            AccessPattern::Classic
        );
        let err = p(r#"{"processors":[],"field_access_pattern":"loose"}"#).unwrap_err();
        assert!(
            err.to_string()
                .contains("Invalid ingest pipeline access pattern name [loose] given"),
            "{err}"
        );
        let err = p(r#"{"processors":[],"field_access_pattern":1}"#).unwrap_err();
        assert!(
            err.to_string().contains(
                "[field_access_pattern] property isn't a string, but of type [java.lang.Integer]"
            ),
            "{err}"
        );
    }

    #[test]
    fn each_pipeline_runs_with_its_own_access_pattern() {
        let mut set = PipelineSet::new();
        set.insert(
            build(
                "outer",
                r#"{"field_access_pattern":"flexible","processors":[
                    {"set":{"field":"x.y","value":1}},
                    {"pipeline":{"name":"inner"}},
                    {"set":{"field":"m.n","copy_from":"k.l"}}]}"#,
            )
            .unwrap(),
        );
        set.insert(
            build(
                "inner",
                r#"{"processors":[{"set":{"field":"p.q","value":2}},{"set":{"field":"k.l","value":3}}]}"#,
            )
            .unwrap(),
        );
        let doc = IngestDocument::new(Map::default(), "t");
        let out = set.run("outer", doc).unwrap().unwrap();
        assert_eq!(out.access_pattern(), AccessPattern::Classic);
        assert_eq!(
            Value::Map(out.source()).to_json(),
            r#"{"x.y":1,"p":{"q":2},"k":{"l":3},"m.n":3}"#
        );
        // A classic pipeline does not see the dotted key the flexible one wrote.
        let mut set2 = PipelineSet::new();
        set2.insert(
            build(
                "c",
                r#"{"processors":[{"set":{"field":"r","copy_from":"x.y"}}]}"#,
            )
            .unwrap(),
        );
        let e = set2.run("c", out).unwrap_err();
        assert_eq!(
            e.root_reason(),
            "field [x] not present as part of path [x.y]"
        );
    }

    #[test]
    fn scripts_see_plain_maps_in_flexible_pipelines() {
        let mut set = PipelineSet::new();
        set.insert(
            build(
                "s",
                r#"{"field_access_pattern":"flexible","processors":[
                    {"script":{"source":"ctx.r = ctx['a.b']; ctx.n = ctx.a == null"}}]}"#,
            )
            .unwrap(),
        );
        let Value::Map(m) = Value::from_json_str(r#"{"a.b":5}"#).unwrap() else {
            panic!()
        };
        let out = set.run("s", IngestDocument::new(m, "t")).unwrap().unwrap();
        assert_eq!(
            Value::Map(out.source()).to_json(),
            r#"{"a.b":5,"r":5,"n":true}"#
        );
    }

    #[test]
    fn ingest_pipeline_refs_become_ids() {
        assert_eq!(
            expand_ingest_pipeline_refs(r#"name: '{{ IngestPipeline "sub" }}'"#),
            "name: 'sub'"
        );
    }
}
