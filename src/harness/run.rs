//! Running tests: load a dataset's pipelines once, run each input's events as `_simulate` would,
//! compare with the goldens (or write them), validate fields, and collect coverage.

use super::HarnessError;
use super::clock::Clock;
use super::compare::{delete_dotted, first_difference, get_dotted, json_eq};
use super::config::TestConfig;
use super::diff::{pretty, unified};
use super::discover::{Dataset, Suite};
use super::golden::{format_expected, html_escaping_for, read_expected, write_atomic};
use super::input::read_events;
use super::result::{DatasetReport, Mismatch, Outcome, RunReport, TestFileResult, plural};
use crate::document::IngestDocument;
use crate::error::{IngestError, LoadError};
use crate::fields::{CaseFields, EcsSource, FieldSchema};
use crate::pipeline::PipelineSet;
use crate::resources::Resources;
use crate::value::{Map, Value};
use chrono::Datelike;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Stack size of the threads that run pipelines: deep (but legitimate) documents and scripts
/// need more than the default 8 MB / 2 MB. Only the pages actually touched use memory.
pub const THREAD_STACK_SIZE: usize = 256 << 20;

/// Options of a test run.
#[derive(Debug, Clone, Default)]
pub struct TestOptions {
    /// Write `-expected.json` goldens from the actual output instead of only comparing.
    pub generate: bool,
    /// The `_ingest.timestamp` clock.
    pub clock: Clock,
    /// Folder of ECS definitions (`<ref>/ecs_nested.yml`), if any.
    pub ecs_dir: Option<PathBuf>,
    /// Uncovered fields fail the run.
    pub fail_on_uncovered: bool,
    /// Threads for running datasets in parallel (`None`: rayon's default).
    pub jobs: Option<usize>,
}

/// The default ECS folder: `$PIPETTE_ECS_DIR`, else `~/.elastic-package/cache/fields/ecs`.
pub fn default_ecs_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PIPETTE_ECS_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".elastic-package/cache/fields/ecs"))
}

/// Runs every dataset of a suite; results keep discovery order whatever the parallelism.
pub fn run_suite(suite: &Suite, opts: &TestOptions, resources: &Resources) -> RunReport {
    run_suite_with_progress(suite, opts, resources, &|_, _| {})
}

/// [`run_suite`], calling `done` (from any thread) as each dataset finishes, with its results.
pub fn run_suite_with_progress(
    suite: &Suite,
    opts: &TestOptions,
    resources: &Resources,
    done: &(dyn Fn(&Dataset, &[TestFileResult]) + Sync),
) -> RunReport {
    let run_all = || -> Vec<(Vec<TestFileResult>, DatasetReport)> {
        suite
            .datasets
            .par_iter()
            .map(|d| {
                let r = run_dataset(d, opts, resources);
                done(d, &r.0);
                r
            })
            .collect()
    };
    // Our own pool, for its big stacks (rayon's default is 2 MB, too little for deep documents).
    let mut pool = rayon::ThreadPoolBuilder::new().stack_size(THREAD_STACK_SIZE);
    if let Some(n) = opts.jobs {
        pool = pool.num_threads(n.max(1));
    }
    let per_dataset = match pool.build() {
        Ok(pool) => pool.install(run_all),
        Err(_) => run_all(),
    };
    let mut report = RunReport {
        fail_on_uncovered: opts.fail_on_uncovered,
        ..RunReport::default()
    };
    for (results, ds) in per_dataset {
        report.results.extend(results);
        report.datasets.push(ds);
    }
    report
}

/// A load error's cause, normalised for grouping: the processor type and message.
pub fn load_error_cause(e: &LoadError) -> String {
    match e {
        LoadError::Processor { place, error, .. } => {
            let prop = error
                .property
                .as_ref()
                .map(|p| format!("[{p}] "))
                .unwrap_or_default();
            format!(
                "pipeline load: [{}] {prop}{}",
                place.processor_type,
                normalise(&error.message, &place.processor_type)
            )
        }
        LoadError::Pipeline { message, .. } => format!("pipeline load: {}", normalise(message, "")),
        LoadError::Syntax { .. } => "pipeline load: invalid YAML/JSON".into(),
        LoadError::Io { .. } => "pipeline load: cannot read file".into(),
    }
}

/// A run-time error's cause, normalised for grouping: processor type, exception type, message.
pub fn ingest_error_cause(e: &IngestError) -> String {
    let t = e.processor_type.as_deref().unwrap_or("");
    format!(
        "pipeline error: [{t}] {}: {}",
        e.kind,
        normalise(&e.reason, t)
    )
}

/// Replaces bracketed values (`[foo.bar]`, nesting included) by `[…]`, keeping `keep`; first
/// line only, at most 160 characters.
fn normalise(msg: &str, keep: &str) -> String {
    let first = msg.lines().next().unwrap_or("");
    let mut out = String::new();
    let mut depth = 0usize;
    let mut inner = String::new();
    for c in first.chars() {
        match c {
            '[' => {
                if depth > 0 {
                    inner.push(c);
                }
                depth += 1;
            }
            ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('[');
                    out.push_str(if inner == keep || inner.is_empty() {
                        &inner
                    } else {
                        "…"
                    });
                    out.push(']');
                    inner.clear();
                } else {
                    inner.push(c);
                }
            }
            _ if depth > 0 => inner.push(c),
            _ => out.push(c),
        }
    }
    if depth > 0 {
        out.push('[');
        out.push_str(&inner);
    }
    if out.chars().count() > 160 {
        let mut s: String = out.chars().take(160).collect();
        s.push('…');
        s
    } else {
        out
    }
}

/// The error object a `_simulate` response shows for a failed document.
pub fn error_value(e: &IngestError) -> Value {
    fn body(e: &IngestError, root: bool) -> Map {
        let mut m = Map::default();
        if root {
            let mut rc = Map::default();
            rc.insert("type".into(), e.kind.clone().into());
            rc.insert("reason".into(), e.reason.clone().into());
            m.insert("root_cause".into(), Value::List(vec![Value::Map(rc)]));
        }
        m.insert("type".into(), e.kind.clone().into());
        m.insert("reason".into(), e.reason.clone().into());
        if let Some(t) = &e.processor_type {
            m.insert("processor_type".into(), t.clone().into());
        }
        if let Some(t) = &e.processor_tag {
            m.insert("processor_tag".into(), t.clone().into());
        }
        if let Some(p) = &e.pipeline {
            m.insert("pipeline_origin".into(), p.clone().into());
        }
        for (k, v) in &e.details {
            m.insert(k.clone(), v.clone());
        }
        if let Some(c) = &e.caused_by {
            m.insert("caused_by".into(), Value::Map(body(c, false)));
        }
        m
    }
    let mut top = Map::default();
    top.insert("error".into(), Value::Map(body(e, true)));
    Value::Map(top)
}

/// Runs one event through the entry pipeline as `_simulate` would; `Ok(Null)` when dropped.
/// The output is what elastic-package sees: the document as it reads back from JSON.
#[allow(clippy::result_large_err)] // the error is PipelineSet::run's, passed through unboxed
pub fn run_event(
    set: &PipelineSet,
    entry: &str,
    source: Map,
    index: Option<&str>,
    clock: &Clock,
) -> Result<Value, IngestError> {
    let mut doc = IngestDocument::new(source, &clock.timestamp());
    if let Some(i) = index {
        doc.ctx.insert("_index".into(), Value::from(i));
    }
    match set.run(entry, doc)? {
        None => Ok(Value::Null),
        Some(d) => {
            let mut v = Value::Map(d.into_source());
            as_read_back(&mut v);
            Ok(v)
        }
    }
}

/// serde_json's nesting limit: deeper documents do not read back, and are kept as they are.
const JSON_DEPTH_LIMIT: usize = 128;

/// What writing a value as JSON and reading it back makes of it, done in place: Long →
/// Integer when it fits, Float → the Double its printed text reads as, NaN and infinities →
/// their text. A finite Double prints its shortest round-trip digits, so it reads back as
/// itself and is left alone. A value nesting containers [`JSON_DEPTH_LIMIT`] deep does not
/// read back and is left as it is. One walk finds both the depth and the values to change.
fn as_read_back(v: &mut Value) {
    let mut changes = Vec::new();
    if read_back_changes(v, JSON_DEPTH_LIMIT - 1, &mut changes) {
        return;
    }
    for v in changes {
        *v = match &*v {
            Value::Long(l) => Value::from_i64(*l),
            Value::Float(f) if f.is_finite() => {
                let text = crate::value::java_float_to_string(*f);
                Value::Double(text.parse().unwrap_or(f64::from(*f)))
            }
            other => Value::String(other.to_java_string()),
        };
    }
}

/// Collects into `out` the scalars under `v` that reading back changes; `true` (and stops)
/// when containers nest `limit` deep or more below `v`.
fn read_back_changes<'a>(v: &'a mut Value, limit: usize, out: &mut Vec<&'a mut Value>) -> bool {
    match v {
        Value::List(_) | Value::Map(_) if limit == 0 => true,
        Value::List(l) => l.iter_mut().any(|x| read_back_child(x, limit - 1, out)),
        Value::Map(m) => m.values_mut().any(|x| read_back_child(x, limit - 1, out)),
        _ => {
            if changes_on_read_back(v) {
                out.push(v);
            }
            false
        }
    }
}

/// [`read_back_changes`] for a container's item: a scalar (most items) is decided here,
/// without a call per leaf.
fn read_back_child<'a>(v: &'a mut Value, limit: usize, out: &mut Vec<&'a mut Value>) -> bool {
    match v {
        Value::List(_) | Value::Map(_) => read_back_changes(v, limit, out),
        _ => {
            if changes_on_read_back(v) {
                out.push(v);
            }
            false
        }
    }
}

/// Whether writing this scalar as JSON and reading it back gives another value.
fn changes_on_read_back(v: &Value) -> bool {
    match v {
        Value::Long(l) => i32::try_from(*l).is_ok(),
        Value::Float(_) => true,
        Value::Double(d) => !d.is_finite(),
        _ => false,
    }
}

struct Loaded {
    set: PipelineSet,
    schema: FieldSchema,
}

/// Why a dataset's pipelines or fields did not load: a message and its grouping cause; `skip`
/// when the pipeline needs a live cluster (the tests are skipped, not failed).
pub(crate) struct LoadFailure {
    pub(crate) message: String,
    cause: String,
    /// The pipeline needs a cluster: its tests are skipped, not failed.
    pub(crate) skip: bool,
}

impl From<(String, String)> for LoadFailure {
    fn from((message, cause): (String, String)) -> Self {
        LoadFailure {
            message,
            cause,
            skip: false,
        }
    }
}

/// The reason to skip when a pipeline fails to load only because it uses a cluster-only processor.
pub fn cluster_only_reason(e: &LoadError) -> Option<String> {
    let LoadError::Processor { place, .. } = e else {
        return None;
    };
    let t = place.processor_type.as_str();
    crate::processors::CLUSTER_ONLY.contains(&t).then(|| {
        format!(
            "pipeline uses the [{t}] processor, which needs a running Elasticsearch cluster ({})",
            e
        )
    })
}

fn load_failure(e: &LoadError) -> LoadFailure {
    match cluster_only_reason(e) {
        Some(reason) => LoadFailure {
            message: reason,
            cause: load_error_cause(e),
            skip: true,
        },
        None => LoadFailure {
            message: e.to_string(),
            cause: load_error_cause(e),
            skip: false,
        },
    }
}

/// Loads a dataset's pipelines as a test run does (routing rules appended to `default`); the
/// error is the message its tests report.
pub fn load_dataset_pipelines(ds: &Dataset, resources: &Resources) -> Result<PipelineSet, String> {
    load_pipelines(ds, resources).map_err(|f| f.message)
}

/// Loads a dataset's pipelines (routing rules appended to `default`).
pub(crate) fn load_pipelines(
    ds: &Dataset,
    resources: &Resources,
) -> Result<PipelineSet, LoadFailure> {
    if let Some(e) = &ds.error {
        return Err((e.clone(), "invalid package".to_string()).into());
    }
    let mut set =
        PipelineSet::load_dir(&ds.pipeline_dir, resources).map_err(|e| load_failure(&e))?;
    if let Some(rules) = &ds.routing_rules {
        add_routing_rules(&mut set, &ds.pipeline_dir, rules, resources)?;
    }
    Ok(set)
}

fn load_dataset(
    ds: &Dataset,
    opts: &TestOptions,
    resources: &Resources,
) -> Result<Loaded, LoadFailure> {
    let set = load_pipelines(ds, resources)?;
    if set.get(&ds.entry).is_none() {
        return Err(LoadFailure::from((
            format!(
                "{}: entry pipeline [{}] not found (expected {}.yml or {}.json)",
                ds.pipeline_dir.display(),
                ds.entry,
                ds.entry,
                ds.entry
            ),
            "entry pipeline not found".into(),
        )));
    }
    let schema = load_dataset_schema(ds, opts.ecs_dir.as_deref()).map_err(|e| {
        LoadFailure::from((
            format!("field definitions: {e}"),
            "invalid field definitions".into(),
        ))
    })?;
    Ok(Loaded { set, schema })
}

/// Builds a dataset's field schema as a test run does (ECS from `ecs_dir` when it exists).
pub fn load_dataset_schema(
    ds: &Dataset,
    ecs_dir: Option<&Path>,
) -> Result<FieldSchema, crate::fields::FieldsError> {
    let ecs = ecs_dir.filter(|d| d.is_dir()).map(|dir| EcsSource {
        dir: dir.to_path_buf(),
        reference: ds.ecs_reference.clone(),
    });
    let dirs = ds.existing_field_dirs();
    match (&ds.package_root, &ecs) {
        // An elastic-package data stream: build its schema as elastic-package does.
        (Some(root), Some(ecs)) => FieldSchema::for_data_stream(root, &ds.name, &ecs.dir),
        _ => FieldSchema::load(&dirs, ecs.as_ref()),
    }
}

/// Reloads the `default` pipeline with the reroute processors of `routing_rules.yml` appended,
/// as elastic-package installs it.
fn add_routing_rules(
    set: &mut PipelineSet,
    pipeline_dir: &Path,
    rules: &Path,
    resources: &Resources,
) -> Result<(), LoadFailure> {
    let processors = super::routing::reroute_processors(rules)
        .map_err(|e| LoadFailure::from((e.to_string(), "invalid routing rules".to_string())))?;
    if processors.is_empty() {
        return Ok(());
    }
    for name in super::routing::ROUTED_PIPELINES {
        let file = pipeline_dir.join(name);
        if !file.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&file).map_err(|e| {
            LoadFailure::from((
                format!("{}: {e}", file.display()),
                "pipeline load: cannot read file".to_string(),
            ))
        })?;
        let text = crate::pipeline::expand_ingest_pipeline_refs(&text);
        let load = |e: LoadError| load_failure(&e);
        let mut def = crate::pipeline::parse_definition(&text, &file).map_err(load)?;
        super::routing::append_processors(&mut def, &processors).map_err(|m| {
            LoadFailure::from((
                format!("{}: {m}", file.display()),
                "invalid routing rules".to_string(),
            ))
        })?;
        let id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("default");
        let p =
            crate::pipeline::Pipeline::from_value(id, &def, Some(&file), Some(&text), resources)
                .map_err(load)?;
        set.insert(p);
    }
    Ok(())
}

/// Runs one dataset's test files (in order) and computes its coverage.
pub fn run_dataset(
    ds: &Dataset,
    opts: &TestOptions,
    resources: &Resources,
) -> (Vec<TestFileResult>, DatasetReport) {
    let mut report = DatasetReport {
        package: ds.package.clone(),
        data_stream: ds.name.clone(),
        ..DatasetReport::default()
    };
    if ds.error.is_some() && ds.inputs.is_empty() {
        let r = TestFileResult::new(&ds.package, &ds.name, ds.pipeline_dir.clone()).error(
            ds.error.clone().unwrap_or_default(),
            "invalid package".into(),
        );
        return (vec![r], report);
    }
    let mut loaded: Option<Result<Loaded, LoadFailure>> = None;
    let mut covered: Vec<Map> = Vec::new();
    let mut results = Vec::with_capacity(ds.inputs.len());
    for input in &ds.inputs {
        let start = Instant::now();
        let mut r = TestFileResult::new(&ds.package, &ds.name, input.clone());
        let config = match TestConfig::for_input(input) {
            Ok(c) => c,
            Err(e) => {
                results.push(r.error(e.to_string(), "invalid test config".into()));
                continue;
            }
        };
        if let Some(skip) = config.skip.clone().or_else(|| ds.skip.clone()) {
            r.outcome = Outcome::Skip;
            r.message = if skip.link.is_empty() {
                skip.reason.clone()
            } else {
                format!("{} ({})", skip.reason, skip.link)
            };
            r.skip = Some(skip);
            results.push(r);
            continue;
        }
        let l = loaded.get_or_insert_with(|| load_dataset(ds, opts, resources));
        let l = match l {
            Ok(l) => l,
            Err(f) if f.skip => {
                r.outcome = Outcome::Skip;
                r.message = f.message.clone();
                r.skip = Some(crate::harness::Skip {
                    reason: f.message.clone(),
                    link: String::new(),
                });
                results.push(r);
                continue;
            }
            Err(f) => {
                results.push(r.error(f.message.clone(), f.cause.clone()));
                continue;
            }
        };
        r = run_file(ds, l, input, &config, opts, r, &mut covered);
        r.duration = start.elapsed();
        results.push(r);
    }
    if let Some(Ok(l)) = &loaded {
        report.uncovered = l.schema.uncovered(covered.iter());
    }
    (results, report)
}

fn run_file(
    ds: &Dataset,
    l: &Loaded,
    input: &Path,
    config: &TestConfig,
    opts: &TestOptions,
    mut r: TestFileResult,
    covered: &mut Vec<Map>,
) -> TestFileResult {
    let events = match read_events(input, config) {
        Ok(e) => e,
        Err(e) => return r.error(e.to_string(), "invalid test input".into()),
    };
    r.docs_total = events.len();
    let index = ds.simulated_index();
    let golden = ds.expected_file(input);
    let run_all = |clock: &Clock| -> (Vec<Value>, Vec<(usize, IngestError)>) {
        let mut actual = Vec::with_capacity(events.len());
        let mut errors = Vec::new();
        for (i, ev) in events.iter().enumerate() {
            match run_event(&l.set, &ds.entry, ev.clone(), Some(&index), clock) {
                Ok(v) => actual.push(v),
                Err(e) => {
                    errors.push((i, e));
                    actual.push(Value::Null);
                }
            }
        }
        (actual, errors)
    };
    let (mut actual, mut errors) = run_all(&opts.clock);
    // Year-less dates take the year of the day the pipeline runs; the golden file holds the
    // year it was generated in. With the real clock, find that year (see `golden_year`).
    let mut year_note = None;
    if !opts.generate
        && opts.clock == Clock::Real
        && let Ok(expected) = read_expected(&golden)
        && let Some((year, a, e)) = golden_year(&expected, &actual, config, &run_all)
    {
        actual = a;
        errors = e;
        year_note = Some(year);
    }
    for (i, e) in errors {
        let cause = ingest_error_cause(&e);
        if !r.causes.contains(&cause) {
            r.causes.push(cause);
        }
        r.doc_errors.push((i, e.to_string()));
    }
    let expected = if opts.generate {
        if r.doc_errors.is_empty() {
            let text = format_expected(&actual, html_escaping_for(ds.format_version.as_deref()));
            if let Err(e) = write_atomic(&golden, &text) {
                return r.error(e.to_string(), "cannot write golden file".into());
            }
            r.generated = Some(golden.clone());
        }
        actual.clone()
    } else {
        match read_expected(&golden) {
            Ok(e) => e,
            Err(e) => return r.error(e.to_string(), "invalid or missing golden file".into()),
        }
    };
    covered.extend(expected.iter().filter_map(|d| d.as_map().cloned()));

    // Comparison, with dynamic fields removed from both sides.
    let strip = |docs: &[Value]| -> Result<Vec<Value>, String> {
        docs.iter()
            .map(|d| match d {
                Value::Map(m) => {
                    let mut m = m.clone();
                    for df in &config.dynamic_fields {
                        delete_dotted(&mut m, &df.field).map_err(|e| {
                            format!("can't remove dynamic field [{}]: {e}", df.field)
                        })?;
                    }
                    Ok(Value::Map(m))
                }
                other => Ok(other.clone()),
            })
            .collect()
    };
    let (want, got) = match (strip(&expected), strip(&actual)) {
        (Ok(w), Ok(g)) => (w, g),
        (Err(e), _) => {
            return r.error(format!("{}: {e}", golden.display()), "dynamic field".into());
        }
        (_, Err(e)) => return r.error(format!("{}: {e}", input.display()), "dynamic field".into()),
    };
    let errored: Vec<usize> = r.doc_errors.iter().map(|(i, _)| *i).collect();
    for i in 0..want.len().max(got.len()) {
        if errored.contains(&i) {
            continue;
        }
        match (want.get(i), got.get(i)) {
            (Some(w), Some(g)) if json_eq(w, g) => r.docs_matched += 1,
            (w, g) => {
                let (cause, diff) = match (w, g) {
                    (Some(w), Some(g)) => (
                        first_difference(w, g)
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "value differs".into()),
                        unified(&pretty(w), &pretty(g)),
                    ),
                    (Some(w), None) => (
                        "document missing from output".to_string(),
                        unified(&pretty(w), ""),
                    ),
                    (None, Some(g)) => (
                        "unexpected extra document".to_string(),
                        unified("", &pretty(g)),
                    ),
                    (None, None) => continue,
                };
                if !r.causes.contains(&cause) {
                    r.causes.push(cause.clone());
                }
                r.mismatches.push(Mismatch {
                    index: i,
                    cause,
                    diff,
                });
            }
        }
    }
    if want.len() != got.len() {
        r.message = format!(
            "expected {}, got {}",
            plural(want.len(), "document", "documents"),
            got.len()
        );
    }

    // Checks on the output documents (dropped ones aside).
    for (i, doc) in actual.iter().enumerate() {
        let Value::Map(m) = doc else { continue };
        for df in &config.dynamic_fields {
            if let Some(Value::String(s)) = get_dotted(m, &df.field)
                && !df.regex.is_match(s)
            {
                let p = format!(
                    "document {i}: dynamic field \"{}\" doesn't match the pattern ({}): {s}",
                    df.field, df.pattern
                );
                if !r.dynamic_problems.contains(&p) {
                    r.dynamic_problems.push(p);
                }
            }
        }
        if let Some(msg) = get_dotted(m, "error")
            .and_then(|e| e.as_map())
            .and_then(|e| e.get("message"))
            && !msg.is_null()
        {
            let text = match msg {
                Value::List(l) => l
                    .iter()
                    .map(Value::to_java_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_java_string(),
            };
            r.field_problems
                .push(format!("document {i}: unexpected pipeline error: {text}"));
            let cause = "unexpected pipeline error (error.message set)".to_string();
            if !r.causes.contains(&cause) {
                r.causes.push(cause);
            }
            continue;
        }
        let case = CaseFields {
            numeric_keyword_fields: config.numeric_keyword_fields.clone(),
            string_number_fields: config.string_number_fields.clone(),
        };
        for p in l.schema.validate_case(m, &case) {
            r.field_problems
                .push(format!("document {i}: {}", p.message));
            let cause = format!("field problem: {}", p.message);
            if !r.causes.contains(&cause) {
                r.causes.push(cause);
            }
        }
    }
    if !r.dynamic_problems.is_empty() && !r.causes.iter().any(|c| c == "dynamic field pattern") {
        r.causes.push("dynamic field pattern".into());
    }

    let failed = !r.mismatches.is_empty()
        || !r.doc_errors.is_empty()
        || !r.dynamic_problems.is_empty()
        || !r.field_problems.is_empty();
    if failed {
        r.outcome = Outcome::Fail;
        if r.message.is_empty() {
            r.message = failure_message(&r);
        }
        if opts.generate && !r.doc_errors.is_empty() {
            r.message.push_str(&format!(
                " (golden file not written: {} failed)",
                plural(r.doc_errors.len(), "document", "documents")
            ));
        }
    } else {
        r.outcome = Outcome::Pass;
    }
    if let Some(year) = year_note {
        let note = format!(
            "year-less dates read as {year}, the year the expected file was generated (Elasticsearch uses the current year)"
        );
        if r.message.is_empty() {
            r.message = note;
        } else {
            r.message = format!("{}; {note}", r.message);
        }
    }
    r
}

/// Runs documents under a given clock: outputs (dropped or failed: null) and failures.
type RunAll<'a> = dyn Fn(&Clock) -> (Vec<Value>, Vec<(usize, IngestError)>) + 'a;

/// Elasticsearch fills dates parsed without a year with the current year (DateProcessor), so a
/// golden file only reproduces in the year it was generated. When the output depends on the
/// clock's year and does not match, the file is run again with the clock moved back one year
/// at a time (up to ten); the year under which the most documents match (all, ideally) is
/// taken as the generation year. `None` when the output does not depend on the year or no
/// earlier year matches more documents.
#[allow(clippy::type_complexity)]
fn golden_year(
    expected: &[Value],
    actual: &[Value],
    config: &TestConfig,
    run_all: &RunAll<'_>,
) -> Option<(i32, Vec<Value>, Vec<(usize, IngestError)>)> {
    let matched = |docs: &[Value]| -> usize {
        expected
            .iter()
            .zip(docs)
            .filter(|(w, g)| json_eq(&without_dynamic(w, config), &without_dynamic(g, config)))
            .count()
    };
    let now = chrono::Utc::now();
    let mut best = matched(actual);
    if best == expected.len() && expected.len() == actual.len() {
        return None;
    }
    let mut found = None;
    for back in 1..=10 {
        let year = now.year() - back;
        let Some(t) = now
            .with_year(year)
            .or_else(|| now.with_day(28).and_then(|t| t.with_year(year)))
        else {
            continue;
        };
        let (docs, errors) = run_all(&Clock::fixed(t));
        if back == 1 && docs == actual {
            // The output does not depend on the year.
            return None;
        }
        let n = matched(&docs);
        if n > best {
            best = n;
            found = Some((year, docs, errors));
            if best == expected.len() {
                break;
            }
        }
    }
    found
}

/// A document with the test config's dynamic fields removed (unremovable ones are left).
fn without_dynamic(doc: &Value, config: &TestConfig) -> Value {
    match doc {
        Value::Map(m) => {
            let mut m = m.clone();
            for df in &config.dynamic_fields {
                let _ = delete_dotted(&mut m, &df.field);
            }
            Value::Map(m)
        }
        other => other.clone(),
    }
}

fn failure_message(r: &TestFileResult) -> String {
    let mut parts = Vec::new();
    if !r.doc_errors.is_empty() {
        parts.push(format!(
            "{} failed in the pipeline",
            plural(r.doc_errors.len(), "document", "documents")
        ));
    }
    if !r.mismatches.is_empty() {
        parts.push(format!(
            "{} from the expected results",
            plural(r.mismatches.len(), "document differs", "documents differ")
        ));
    }
    if !r.dynamic_problems.is_empty() {
        parts.push("dynamic fields don't match their patterns".to_string());
    }
    if !r.field_problems.is_empty() {
        parts.push(format!(
            "{} with fields found in documents",
            plural(r.field_problems.len(), "problem", "problems")
        ));
    }
    parts.join("; ")
}

/// Loads the pipeline at `file` with the pipelines beside it (siblings that fail to load are
/// returned as warnings, so an unrelated broken file does not stop the run).
pub fn load_with_siblings(
    file: &Path,
    resources: &Resources,
) -> Result<(PipelineSet, String, Vec<String>), HarnessError> {
    let main = crate::pipeline::load_file(file, resources)?;
    let id = main.id.to_string();
    let mut set = PipelineSet::new();
    let mut warnings = Vec::new();
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    // Siblings that do not load are only warnings: the pipeline run may not call them.
    for f in crate::pipeline::pipeline_files(dir).unwrap_or_default() {
        if f.file_name() == file.file_name() {
            continue;
        }
        match crate::pipeline::load_file(&f, resources) {
            Ok(p) => {
                set.insert(p);
            }
            Err(e) => warnings.push(format!("skipping sibling pipeline: {e}")),
        }
    }
    set.insert(main);
    Ok((set, id, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_normalised() {
        let mut e = IngestError::illegal_argument(
            "field [foo.bar] not present as part of path [foo.bar.baz]",
        );
        e.processor_type = Some("rename".into());
        assert_eq!(
            ingest_error_cause(&e),
            "pipeline error: [rename] illegal_argument_exception: field […] not present as part of path […]"
        );
        assert_eq!(
            normalise("No processor type exists with name [grok]", "grok"),
            "No processor type exists with name [grok]"
        );
        assert_eq!(
            normalise("bad: [a[0].contains(x)] and [b]", ""),
            "bad: […] and […]"
        );
    }

    #[test]
    fn finite_doubles_read_back_as_themselves() {
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut samples = vec![
            0.1,
            -0.0,
            1e-3,
            9_999_999.0,
            1e7,
            5e-324,
            f64::MAX,
            1e23,
            2.0e-3,
        ];
        for _ in 0..20_000 {
            bits = bits
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            samples.push(f64::from_bits(bits));
            samples.push((bits >> 11) as f64 / 1e6);
        }
        for d in samples.into_iter().filter(|d| d.is_finite()) {
            let text = crate::value::java_double_to_string(d);
            let back: f64 = text.parse().unwrap();
            assert_eq!(back.to_bits(), d.to_bits(), "{d:e} printed as {text}");
        }
    }

    #[test]
    fn read_back_converts_scalars_unless_too_deep() {
        let mut v = Value::List(vec![
            Value::Long(7),
            Value::Long(1 << 40),
            Value::Float(0.1),
            Value::Double(0.25),
            Value::Double(f64::NAN),
            Value::Float(f32::NEG_INFINITY),
        ]);
        as_read_back(&mut v);
        assert_eq!(
            v,
            Value::List(vec![
                Value::Int(7),
                Value::Long(1 << 40),
                Value::Double(0.1),
                Value::Double(0.25),
                Value::String("NaN".into()),
                Value::String("-Infinity".into()),
            ])
        );
        // Containers nested 128 deep: kept as they are; 127 deep: converted.
        let nest = |depth: usize| {
            let mut v = Value::List(vec![Value::Long(1)]);
            for _ in 1..depth {
                v = Value::List(vec![Value::Long(2), v]);
            }
            v
        };
        for (depth, converted) in [(127, true), (128, false)] {
            let mut v = nest(depth);
            as_read_back(&mut v);
            let first = match &v {
                Value::List(l) => l[0].clone(),
                _ => unreachable!(),
            };
            let want = if converted {
                Value::Int(2)
            } else {
                Value::Long(2)
            };
            assert_eq!(first, want, "depth {depth}");
        }
    }

    #[test]
    fn error_value_shape() {
        let mut e = IngestError::illegal_argument("boom");
        e.processor_type = Some("fail".into());
        let v = error_value(&e).to_json();
        assert_eq!(
            v,
            r#"{"error":{"root_cause":[{"type":"illegal_argument_exception","reason":"boom"}],"type":"illegal_argument_exception","reason":"boom","processor_type":"fail"}}"#
        );
    }
}
