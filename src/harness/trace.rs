//! Verbose traces: what each processor did to a document — its status (as `_simulate?verbose`
//! names it) and the fields it added, changed or removed — for `pipette run --verbose` and
//! `pipette test --verbose`.

use super::clock::Clock;
use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::pipeline::{Env, Flow, Observer, PipelineSet, ProcessorNode, Status};
use crate::value::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Where a processor node was written: its pipeline id and file.
#[derive(Debug, Clone)]
pub struct NodeOrigin {
    /// Pipeline id.
    pub pipeline: String,
    /// Pipeline file, when loaded from one.
    pub file: Option<PathBuf>,
}

/// Maps every processor node of a set (top-level, `on_failure`, pipeline `on_failure`) to the
/// pipeline it belongs to, by address (nodes live inside `Arc<Pipeline>`s and do not move).
pub fn node_origins(set: &PipelineSet) -> HashMap<usize, NodeOrigin> {
    fn walk(nodes: &[ProcessorNode], origin: &NodeOrigin, out: &mut HashMap<usize, NodeOrigin>) {
        for n in nodes {
            out.insert(n as *const ProcessorNode as usize, origin.clone());
            walk(&n.on_failure, origin, out);
        }
    }
    let mut out = HashMap::new();
    for (id, p) in set.iter() {
        let origin = NodeOrigin {
            pipeline: id.clone(),
            file: p.file.clone(),
        };
        walk(&p.processors, &origin, &mut out);
        walk(&p.on_failure, &origin, &mut out);
    }
    out
}

/// A field change made by one processor.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A new field (dotted path, value).
    Added(String, Value),
    /// A changed field (dotted path, old value, new value).
    Changed(String, Value, Value),
    /// A removed field (dotted path, old value).
    Removed(String, Value),
}

/// One processor run, as the trace shows it.
#[derive(Debug, Clone)]
pub struct Step {
    /// Pipeline id (`?` when unknown, e.g. a `foreach` inner processor of an unknown pipeline).
    pub pipeline: String,
    /// Pipeline file.
    pub file: Option<PathBuf>,
    /// 1-based line of the processor in the file, where known.
    pub line: Option<usize>,
    /// Position in the pipeline, e.g. `processors[3].on_failure[0]`.
    pub path: String,
    /// Processor type.
    pub processor_type: String,
    /// `tag`, if any.
    pub tag: Option<String>,
    /// `success`, `skipped`, `error`, `error_ignored` or `dropped` (`_simulate?verbose`'s names).
    pub status: &'static str,
    /// The error, for `error` and `error_ignored`.
    pub error: Option<String>,
    /// Fields added, changed or removed (source, metadata and `_ingest` fields).
    pub changes: Vec<Change>,
    /// Nesting depth (processors of a called pipeline are one deeper than the `pipeline` processor).
    pub depth: usize,
}

/// An [`Observer`] that records a [`Step`] per processor.
pub struct Tracer {
    origins: HashMap<usize, NodeOrigin>,
    last: BTreeMap<String, Value>,
    /// The recorded steps, in the order processors started.
    pub steps: Vec<Step>,
    /// Open `pipeline` processors: index of their step.
    open: Vec<usize>,
    current: Option<NodeOrigin>,
}

impl Tracer {
    /// A tracer for runs over `set`, starting from the document `doc`.
    pub fn new(set: &PipelineSet, doc: &IngestDocument) -> Self {
        Tracer {
            origins: node_origins(set),
            last: flatten_doc(doc),
            steps: Vec::new(),
            open: Vec::new(),
            current: None,
        }
    }

    fn step(&mut self, node: &ProcessorNode) -> Step {
        let origin = self
            .origins
            .get(&(node as *const ProcessorNode as usize))
            .cloned()
            .or_else(|| self.current.clone());
        if let Some(o) = &origin {
            self.current = Some(o.clone());
        }
        Step {
            pipeline: origin
                .as_ref()
                .map(|o| o.pipeline.clone())
                .unwrap_or_else(|| "?".into()),
            file: origin.and_then(|o| o.file),
            line: node.place.line,
            path: node.place.path.clone(),
            processor_type: node.type_name.clone(),
            tag: node.tag.clone(),
            status: "success",
            error: None,
            changes: Vec::new(),
            depth: self.open.len(),
        }
    }
}

fn status_parts(status: &Status) -> (&'static str, Option<String>) {
    match status {
        Status::Success => ("success", None),
        Status::Skipped => ("skipped", None),
        Status::Error(e) => ("error", Some(e.to_string())),
        Status::ErrorIgnored(e) => ("error_ignored", Some(e.to_string())),
        Status::Dropped => ("dropped", None),
    }
}

impl Observer for Tracer {
    fn processor_start(&mut self, node: &ProcessorNode) {
        if node.type_name == "pipeline" {
            let s = self.step(node);
            self.steps.push(s);
            self.open.push(self.steps.len() - 1);
        }
    }

    fn processor_done(&mut self, node: &ProcessorNode, status: &Status, doc: &IngestDocument) {
        let now = flatten_doc(doc);
        let mut changes = diff(&self.last, &now);
        // The failure metadata is removed by the wrapper once the handlers ran, not by the
        // processor that runs next.
        changes.retain(
            |c| !matches!(c, Change::Removed(p, _) if p.starts_with("_ingest.on_failure_")),
        );
        self.last = now;
        let (name, error) = status_parts(status);
        if node.type_name == "pipeline"
            && let Some(at) = self.open.pop()
        {
            if let Some(s) = self.steps.get_mut(at) {
                s.status = name;
                s.error = error;
                s.changes = changes;
            }
            // Back in the caller's pipeline.
            self.current = self
                .origins
                .get(&(node as *const ProcessorNode as usize))
                .cloned();
            return;
        }
        let mut s = self.step(node);
        s.status = name;
        s.error = error;
        s.changes = changes;
        self.steps.push(s);
    }
}

/// The fields of a document as dotted paths → values: `_source` leaves, metadata (`_index`, …)
/// and `_ingest` leaves (`_ingest.timestamp` and `_ingest.pipeline` left out: they are not a
/// processor's doing). Lists are leaves.
pub fn flatten_doc(doc: &IngestDocument) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    flatten_into("", &doc.source(), &mut out);
    for (k, v) in doc.metadata() {
        if !v.is_null() {
            out.insert(k, v);
        }
    }
    let mut ingest = doc.ingest.clone();
    ingest.shift_remove("timestamp");
    ingest.shift_remove("pipeline");
    flatten_into("_ingest", &ingest, &mut out);
    out
}

fn flatten_into(prefix: &str, m: &Map, out: &mut BTreeMap<String, Value>) {
    for (k, v) in m {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Map(inner) if !inner.is_empty() => flatten_into(&key, inner, out),
            other => {
                out.insert(key, other.clone());
            }
        }
    }
}

/// The changes between two flattened documents, sorted by path.
pub fn diff(before: &BTreeMap<String, Value>, after: &BTreeMap<String, Value>) -> Vec<Change> {
    let mut out = Vec::new();
    for (k, v) in before {
        match after.get(k) {
            None => out.push(Change::Removed(k.clone(), v.clone())),
            Some(w) if w != v => out.push(Change::Changed(k.clone(), v.clone(), w.clone())),
            Some(_) => {}
        }
    }
    for (k, v) in after {
        if !before.contains_key(k) {
            out.push(Change::Added(k.clone(), v.clone()));
        }
    }
    out.sort_by(|a, b| change_path(a).cmp(change_path(b)));
    out
}

fn change_path(c: &Change) -> &str {
    match c {
        Change::Added(p, _) | Change::Changed(p, _, _) | Change::Removed(p, _) => p,
    }
}

/// A document run through a pipeline with an observer: the outcome and the trace.
#[derive(Debug, Clone)]
pub struct Traced {
    /// The output document (`Null` when dropped), or the pipeline's error.
    pub result: Result<Value, IngestError>,
    /// One step per processor.
    pub steps: Vec<Step>,
}

/// Builds the document a test or `run` sends (`_ingest.timestamp` from the clock, `_index`).
pub fn new_document(source: Map, index: Option<&str>, clock: &Clock) -> IngestDocument {
    let mut doc = IngestDocument::new(source, &clock.timestamp());
    if let Some(i) = index {
        doc.ctx.insert("_index".into(), Value::from(i));
    }
    doc
}

/// Runs a document through the pipeline `entry` of `set` with an observer, as
/// [`super::run_event`] does without one; `Ok(None)` when dropped.
#[allow(clippy::result_large_err)] // the error is the pipeline's, passed through unboxed
pub fn run_observed(
    set: &PipelineSet,
    entry: &str,
    mut doc: IngestDocument,
    observer: &mut dyn Observer,
) -> Result<Option<IngestDocument>, IngestError> {
    let p = set.get(entry).ok_or_else(|| {
        IngestError::illegal_argument(format!("pipeline with id [{entry}] does not exist"))
    })?;
    let mut env = Env::new(set);
    env.observer = Some(observer);
    match p.execute(&mut doc, &mut env)? {
        Flow::Drop => Ok(None),
        Flow::Continue => Ok(Some(doc)),
    }
}

/// Runs one event with a [`Tracer`]. The output is [`super::run_event`]'s for the same event
/// (the event runs a second time, untraced, under the same frozen clock), so that a verbose run
/// prints exactly what a plain one does.
pub fn trace_event(
    set: &PipelineSet,
    entry: &str,
    source: Map,
    index: Option<&str>,
    clock: &Clock,
) -> Traced {
    let clock = clock.frozen();
    let doc = new_document(source.clone(), index, &clock);
    let mut tracer = Tracer::new(set, &doc);
    let _ = run_observed(set, entry, doc, &mut tracer);
    Traced {
        result: super::run_event(set, entry, source, index, &clock),
        steps: tracer.steps,
    }
}

/// Options of the terminal rendering.
#[derive(Debug, Clone, Copy)]
pub struct TraceStyle {
    /// ANSI colours.
    pub color: bool,
    /// Longest value shown before it is cut (characters).
    pub max_value: usize,
}

impl Default for TraceStyle {
    fn default() -> Self {
        TraceStyle {
            color: false,
            max_value: 80,
        }
    }
}

fn short(v: &Value, max: usize) -> String {
    let s = v.to_json();
    if s.chars().count() > max {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        s
    }
}

fn paint(on: bool, style: anstyle::Style, text: &str) -> String {
    if on {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

/// Where a step was written: `file:line` (or the pipeline id and position when there is no file).
pub fn step_place(s: &Step) -> String {
    match (&s.file, s.line) {
        (Some(f), Some(l)) => format!("{}:{l}", f.display()),
        (Some(f), None) => format!("{} {}", f.display(), s.path),
        (None, Some(l)) => format!("[{}]:{l}", s.pipeline),
        (None, None) => format!("[{}] {}", s.pipeline, s.path),
    }
}

/// The trace as terminal lines: `status type @ file:line [tag]`, then the field changes
/// (`+ added`, `~ changed: old → new`, `- removed`).
pub fn render_text(steps: &[Step], style: TraceStyle) -> String {
    use anstyle::{AnsiColor, Style};
    use std::fmt::Write as _;
    let col = |c: AnsiColor| Style::new().fg_color(Some(c.into()));
    let mut out = String::new();
    for s in steps {
        let pad = "  ".repeat(s.depth);
        let (label, st) = match s.status {
            "success" => ("ran    ", col(AnsiColor::Green)),
            "skipped" => ("skipped", Style::new().dimmed()),
            "error" => ("FAILED ", col(AnsiColor::Red).bold()),
            "error_ignored" => ("ignored", col(AnsiColor::Yellow)),
            "dropped" => ("dropped", col(AnsiColor::Magenta)),
            other => (other, Style::new()),
        };
        let tag = s
            .tag
            .as_ref()
            .map(|t| format!(" [{t}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{pad}{} {}{tag} @ {}",
            paint(style.color, st, label),
            paint(style.color, Style::new().bold(), &s.processor_type),
            paint(style.color, Style::new().dimmed(), &step_place(s)),
        );
        let inner = format!("{pad}          ");
        if let Some(e) = &s.error {
            let first = e.lines().next().unwrap_or("");
            let _ = writeln!(
                out,
                "{inner}{}",
                paint(style.color, col(AnsiColor::Red), first)
            );
        }
        for c in &s.changes {
            let line = match c {
                Change::Added(p, v) => paint(
                    style.color,
                    col(AnsiColor::Green),
                    &format!("+ {p}: {}", short(v, style.max_value)),
                ),
                Change::Changed(p, a, b) => paint(
                    style.color,
                    col(AnsiColor::Yellow),
                    &format!(
                        "~ {p}: {} → {}",
                        short(a, style.max_value),
                        short(b, style.max_value)
                    ),
                ),
                Change::Removed(p, v) => paint(
                    style.color,
                    col(AnsiColor::Red),
                    &format!("- {p} (was {})", short(v, style.max_value)),
                ),
            };
            let _ = writeln!(out, "{inner}{line}");
        }
    }
    out
}

/// The trace as JSON: a list of steps with `pipeline`, `file`, `line`, `path`, `processor_type`,
/// `tag`, `status`, `error`, `depth` and `changes` (`{"op": "add"|"change"|"remove", "field",
/// "value", "old"}`).
pub fn steps_value(steps: &[Step]) -> Value {
    let list = steps
        .iter()
        .map(|s| {
            let mut m = Map::default();
            m.insert("pipeline".into(), s.pipeline.as_str().into());
            m.insert(
                "file".into(),
                s.file
                    .as_ref()
                    .map(|f| Value::from(f.display().to_string()))
                    .unwrap_or(Value::Null),
            );
            m.insert(
                "line".into(),
                s.line
                    .map(|l| Value::from_i64(l as i64))
                    .unwrap_or(Value::Null),
            );
            m.insert("path".into(), s.path.as_str().into());
            m.insert("processor_type".into(), s.processor_type.as_str().into());
            m.insert(
                "tag".into(),
                s.tag.clone().map(Value::String).unwrap_or(Value::Null),
            );
            m.insert("status".into(), s.status.into());
            if let Some(e) = &s.error {
                m.insert("error".into(), e.as_str().into());
            }
            m.insert("depth".into(), Value::from_i64(s.depth as i64));
            let changes = s
                .changes
                .iter()
                .map(|c| {
                    let mut cm = Map::default();
                    match c {
                        Change::Added(p, v) => {
                            cm.insert("op".into(), "add".into());
                            cm.insert("field".into(), p.as_str().into());
                            cm.insert("value".into(), v.clone());
                        }
                        Change::Changed(p, a, b) => {
                            cm.insert("op".into(), "change".into());
                            cm.insert("field".into(), p.as_str().into());
                            cm.insert("old".into(), a.clone());
                            cm.insert("value".into(), b.clone());
                        }
                        Change::Removed(p, v) => {
                            cm.insert("op".into(), "remove".into());
                            cm.insert("field".into(), p.as_str().into());
                            cm.insert("old".into(), v.clone());
                        }
                    }
                    Value::Map(cm)
                })
                .collect();
            m.insert("changes".into(), Value::List(changes));
            Value::Map(m)
        })
        .collect();
    Value::List(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Resources;
    use crate::pipeline::Pipeline;

    fn set_of(yaml: &str) -> PipelineSet {
        let def = crate::pipeline::parse_definition(yaml, std::path::Path::new("p.yml")).unwrap();
        let p = Pipeline::from_value(
            "p",
            &def,
            Some(std::path::Path::new("p.yml")),
            Some(yaml),
            &Resources::new(),
        )
        .unwrap();
        let mut set = PipelineSet::new();
        set.insert(p);
        set
    }

    #[test]
    fn trace_records_status_and_changes() {
        let set = set_of(
            "processors:\n  - set:\n      tag: s1\n      field: a\n      value: 1\n  - rename:\n      field: b\n      target_field: c\n  - lowercase:\n      field: a\n      if: ctx.x != null\n  - fail:\n      message: boom\n      ignore_failure: true\n",
        );
        let mut src = Map::default();
        src.insert("b".into(), "v".into());
        let t = trace_event(&set, "p", src, None, &Clock::default());
        let st: Vec<&str> = t.steps.iter().map(|s| s.status).collect();
        assert_eq!(st, ["success", "success", "skipped", "error_ignored"]);
        assert_eq!(t.steps[0].line, Some(2));
        assert_eq!(t.steps[0].tag.as_deref(), Some("s1"));
        assert_eq!(
            t.steps[0].changes,
            vec![Change::Added("a".into(), Value::Int(1))]
        );
        assert_eq!(
            t.steps[1].changes,
            vec![
                Change::Removed("b".into(), "v".into()),
                Change::Added("c".into(), "v".into())
            ]
        );
        assert!(t.steps[3].error.as_deref().unwrap().contains("boom"));
        let text = render_text(&t.steps, TraceStyle::default());
        assert!(text.contains("ran     set [s1] @ p.yml:2\n"), "{text}");
        assert!(text.contains("+ c: \"v\""), "{text}");
        assert!(text.contains("- b (was \"v\")"), "{text}");
        assert!(text.contains("skipped lowercase @ p.yml:9"), "{text}");
        let j = steps_value(&t.steps).to_json();
        assert!(j.contains(r#""status":"error_ignored""#), "{j}");
    }
}
