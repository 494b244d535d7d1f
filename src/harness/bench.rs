//! Pipeline benchmarks, like `elastic-package benchmark pipeline` but offline and on one thread:
//! a dataset's test inputs cycled to a number of documents, run through its entry pipeline with
//! JSON read in and written out, timed against a floor (reading and writing documents as large as
//! the outputs, no processors), plus a second, instrumented pass timing every processor.
//!
//! ```no_run
//! use pipette::harness::{bench::{BenchOptions, bench_dataset}, discover};
//! let suite = discover(std::path::Path::new(".")).unwrap();
//! for ds in &suite.datasets {
//!     let b = bench_dataset(ds, &BenchOptions::default(), &pipette::Resources::new());
//!     println!("{}: {:.0} docs/s", b.data_stream, b.docs_per_second());
//! }
//! ```

use super::clock::Clock;
use super::config::TestConfig;
use super::discover::Dataset;
use super::input::read_events;
use super::run::{error_value, run_event};
use crate::document::IngestDocument;
use crate::pipeline::{Env, Observer, PipelineSet, ProcessorNode, Status};
use crate::resources::Resources;
use crate::value::{Map, Value};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// Options of a benchmark run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Documents to run per dataset (the test inputs' events, cycled).
    pub docs: usize,
    /// The `_ingest.timestamp` clock.
    pub clock: Clock,
    /// How many processors the top lists show.
    pub top: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            docs: 100_000,
            clock: Clock::default(),
            top: 10,
        }
    }
}

/// Time spent in one processor (`type @ file:line`), summed over the instrumented pass.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorTime {
    /// `type @ file:line`, as elastic-package keys processors.
    pub key: String,
    /// Times it ran (its `if` was absent or true).
    pub runs: u64,
    /// Times its `if` was false.
    pub skipped: u64,
    /// Time in the runs, their `if` included.
    pub run_time: Duration,
    /// Time evaluating the `if` when it was false.
    pub skip_time: Duration,
}

impl ProcessorTime {
    /// All the time the processor cost: runs and false conditions.
    pub fn total(&self) -> Duration {
        self.run_time + self.skip_time
    }

    /// Mean time of one run (elastic-package's "average time per doc": time / count).
    pub fn mean(&self) -> Duration {
        if self.runs == 0 {
            Duration::ZERO
        } else {
            self.run_time / u32::try_from(self.runs).unwrap_or(u32::MAX)
        }
    }
}

/// One dataset's benchmark.
#[derive(Debug, Clone, Default)]
pub struct DatasetBench {
    /// Package name.
    pub package: String,
    /// Data stream name.
    pub data_stream: String,
    /// Events read from the test inputs.
    pub source_docs: usize,
    /// Documents run (the events, cycled).
    pub docs: usize,
    /// Documents that failed in the pipeline (still timed: their error is written instead).
    pub failed_docs: usize,
    /// Median over batches of the time per document: read JSON, run the pipeline, write JSON.
    pub per_doc: Duration,
    /// Median over batches of the time per document with no processors: read and write JSON
    /// documents as large as the outputs.
    pub floor_per_doc: Duration,
    /// Wall time of the timed pass over all documents.
    pub elapsed: Duration,
    /// Wall time of the instrumented pass (processor times are shares of it).
    pub profiled: Duration,
    /// Every processor seen in the instrumented pass, by total time, `pipeline` processors left
    /// out (their time is their pipeline's).
    pub processors: Vec<ProcessorTime>,
    /// Why the dataset could not be benchmarked.
    pub error: Option<String>,
    /// Why the dataset was skipped (pipeline needs a cluster, or its tests are skipped).
    pub skipped: Option<String>,
}

impl DatasetBench {
    /// Documents per second, from the median time per document.
    pub fn docs_per_second(&self) -> f64 {
        per_second(self.per_doc)
    }

    /// Documents per second of the floor.
    pub fn floor_docs_per_second(&self) -> f64 {
        per_second(self.floor_per_doc)
    }

    /// Time per document over the floor's.
    pub fn floor_ratio(&self) -> f64 {
        if self.floor_per_doc.is_zero() {
            0.0
        } else {
            self.per_doc.as_secs_f64() / self.floor_per_doc.as_secs_f64()
        }
    }

    /// The top `n` processors by total time.
    pub fn top_by_total(&self, n: usize) -> Vec<&ProcessorTime> {
        let mut v: Vec<&ProcessorTime> = self
            .processors
            .iter()
            .filter(|p| !p.total().is_zero())
            .collect();
        v.sort_by(|a, b| b.total().cmp(&a.total()).then(a.key.cmp(&b.key)));
        v.truncate(n);
        v
    }

    /// The top `n` processors by mean time per run.
    pub fn top_by_mean(&self, n: usize) -> Vec<&ProcessorTime> {
        let mut v: Vec<&ProcessorTime> = self
            .processors
            .iter()
            .filter(|p| !p.mean().is_zero())
            .collect();
        v.sort_by(|a, b| b.mean().cmp(&a.mean()).then(a.key.cmp(&b.key)));
        v.truncate(n);
        v
    }

    /// A processor's share of the instrumented pass, in percent.
    pub fn share(&self, p: &ProcessorTime) -> f64 {
        if self.profiled.is_zero() {
            0.0
        } else {
            p.total().as_secs_f64() * 100.0 / self.profiled.as_secs_f64()
        }
    }
}

fn per_second(d: Duration) -> f64 {
    if d.is_zero() {
        0.0
    } else {
        1.0 / d.as_secs_f64()
    }
}

/// Loads a dataset's pipelines as `pipette test` does: `Err(Err(reason))` when it needs a cluster.
fn load(ds: &Dataset, resources: &Resources) -> Result<PipelineSet, Result<String, String>> {
    let set = super::run::load_pipelines(ds, resources).map_err(|f| {
        if f.skip {
            Err(f.message)
        } else {
            Ok(f.message)
        }
    })?;
    if set.get(&ds.entry).is_none() {
        return Err(Ok(format!(
            "{}: entry pipeline [{}] not found",
            ds.pipeline_dir.display(),
            ds.entry
        )));
    }
    Ok(set)
}

/// The events of a dataset's test inputs (skipped inputs left out), in input order.
fn events(ds: &Dataset) -> Result<Vec<Map>, String> {
    let mut out = Vec::new();
    for input in &ds.inputs {
        let config = TestConfig::for_input(input).map_err(|e| e.to_string())?;
        if config.skip.is_some() {
            continue;
        }
        out.extend(read_events(input, &config).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Documents per timed batch: pipeline and floor batches alternate, and the medians of their
/// times per document are compared, so both see the same machine load.
fn batch_size(docs: usize) -> usize {
    (docs / 20).clamp(1, 1000)
}

fn median(mut v: Vec<Duration>) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    // v is not empty (checked above), so v.len() / 2 < v.len().
    v.sort_unstable();
    v[v.len() / 2]
}

/// Benchmarks one dataset (on the calling thread).
pub fn bench_dataset(ds: &Dataset, opts: &BenchOptions, resources: &Resources) -> DatasetBench {
    let mut b = DatasetBench {
        package: ds.package.clone(),
        data_stream: ds.name.clone(),
        ..DatasetBench::default()
    };
    if let Some(e) = &ds.error {
        b.error = Some(e.clone());
        return b;
    }
    if let Some(s) = &ds.skip {
        b.skipped = Some(s.reason.clone());
        return b;
    }
    let set = match load(ds, resources) {
        Ok(s) => s,
        Err(Ok(e)) => {
            b.error = Some(e);
            return b;
        }
        Err(Err(skip)) => {
            b.skipped = Some(skip);
            return b;
        }
    };
    let events = match events(ds) {
        Ok(e) if e.is_empty() => {
            b.error = Some("no test events to run".into());
            return b;
        }
        Ok(e) => e,
        Err(e) => {
            b.error = Some(e);
            return b;
        }
    };
    b.source_docs = events.len();
    b.docs = opts.docs.max(1);
    let index = ds.simulated_index();
    let inputs: Vec<String> = events
        .into_iter()
        .map(|e| Value::Map(e).to_json())
        .collect();
    // Read, run, write: what `pipette run --compact` does per document (its output buffer
    // reused, as there).
    let mut buf = String::new();
    let mut run_one = |text: &str| -> (usize, bool) {
        let source = match Value::from_json_str(text) {
            Ok(Value::Map(m)) => m,
            _ => Map::default(),
        };
        buf.clear();
        let failed = match run_event(&set, &ds.entry, source, Some(&index), &opts.clock) {
            Ok(v) => {
                v.write_json_to(&mut buf);
                false
            }
            Err(e) => {
                error_value(&e).write_json_to(&mut buf);
                true
            }
        };
        (black_box(&buf).len(), failed)
    };
    // The outputs, for the floor (and a warm-up of caches and lazily built state).
    let outputs: Vec<String> = inputs
        .iter()
        .map(|t| {
            let source = match Value::from_json_str(t) {
                Ok(Value::Map(m)) => m,
                _ => Map::default(),
            };
            match run_event(&set, &ds.entry, source, Some(&index), &opts.clock) {
                Ok(v) => v.to_json(),
                Err(e) => error_value(&e).to_json(),
            }
        })
        .collect();
    let mut floor_buf = String::new();
    let mut floor_one = |text: &str| -> usize {
        let v = Value::from_json_str(text).unwrap_or(Value::Null);
        floor_buf.clear();
        v.write_json_to(&mut floor_buf);
        black_box(&floor_buf).len()
    };

    let batch = batch_size(b.docs);
    let (mut runs, mut floors) = (Vec::new(), Vec::new());
    let mut done = 0usize;
    let started = Instant::now();
    let mut floor_total = Duration::ZERO;
    while done < b.docs {
        let n = batch.min(b.docs - done);
        let t = Instant::now();
        for i in done..done + n {
            // outputs has one entry per input, and inputs is not empty (no events returned early).
            black_box(floor_one(&outputs[i % outputs.len()]));
        }
        let f = t.elapsed();
        floor_total += f;
        // 1 <= n <= 1000 (batch_size clamps; done < b.docs): no division by zero or truncation.
        floors.push(f / n as u32);
        let t = Instant::now();
        for i in done..done + n {
            // inputs is not empty: a dataset without events returned early.
            let (_, failed) = run_one(&inputs[i % inputs.len()]);
            b.failed_docs += usize::from(failed);
        }
        runs.push(t.elapsed() / n as u32);
        done += n;
    }
    b.elapsed = started.elapsed().saturating_sub(floor_total);
    b.per_doc = median(runs);
    b.floor_per_doc = median(floors);

    // The instrumented pass.
    let mut timer = Timer::default();
    let started = Instant::now();
    for i in 0..b.docs {
        // inputs is not empty: a dataset without events returned early.
        let source = match Value::from_json_str(&inputs[i % inputs.len()]) {
            Ok(Value::Map(m)) => m,
            _ => Map::default(),
        };
        let mut doc = IngestDocument::new(source, &opts.clock.timestamp());
        doc.ctx.insert("_index".into(), Value::from(index.as_str()));
        if let Some(p) = set.get(&ds.entry) {
            let mut env = Env::new(&set);
            env.observer = Some(&mut timer);
            let _ = black_box(p.execute(&mut doc, &mut env));
        }
        timer.stack.clear();
    }
    b.profiled = started.elapsed();
    b.processors = timer.by_key(&set);
    b
}

/// Times every processor run: a stack of start times (processors nest: `pipeline`, `foreach`).
#[derive(Default)]
struct Timer {
    stack: Vec<(usize, Instant)>,
    /// By node address: type, line, the enclosing node's address, and the time.
    nodes: HashMap<usize, NodeTime, crate::value::HashState>,
}

struct NodeTime {
    type_name: String,
    line: Option<usize>,
    parent: Option<usize>,
    time: ProcessorTime,
}

impl Observer for Timer {
    fn processor_start(&mut self, node: &ProcessorNode) {
        self.stack
            .push((node as *const ProcessorNode as usize, Instant::now()));
    }

    fn processor_done(&mut self, node: &ProcessorNode, status: &Status, _: &IngestDocument) {
        let now = Instant::now();
        let Some((addr, start)) = self.stack.pop() else {
            return;
        };
        let parent = self.stack.last().map(|(a, _)| *a);
        let entry = self.nodes.entry(addr).or_insert_with(|| NodeTime {
            type_name: node.type_name.clone(),
            line: node.place.line,
            parent,
            time: ProcessorTime {
                key: String::new(),
                runs: 0,
                skipped: 0,
                run_time: Duration::ZERO,
                skip_time: Duration::ZERO,
            },
        });
        let took = now - start;
        if *status == Status::Skipped {
            entry.time.skipped += 1;
            entry.time.skip_time += took;
        } else {
            entry.time.runs += 1;
            entry.time.run_time += took;
        }
    }
}

/// The file name of every processor node of the set, by address (on_failure handlers included).
fn node_files(set: &PipelineSet) -> HashMap<usize, String> {
    fn walk(nodes: &[ProcessorNode], file: &str, out: &mut HashMap<usize, String>) {
        for n in nodes {
            out.insert(n as *const ProcessorNode as usize, file.to_string());
            walk(&n.on_failure, file, out);
        }
    }
    let mut out = HashMap::new();
    for (id, p) in set.iter() {
        let file = p
            .file
            .as_deref()
            .and_then(Path::file_name)
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| id.clone());
        walk(&p.processors, &file, &mut out);
        walk(&p.on_failure, &file, &mut out);
    }
    out
}

impl Timer {
    /// Times keyed `type @ file:line`, `pipeline` processors left out, by total time.
    fn by_key(self, set: &PipelineSet) -> Vec<ProcessorTime> {
        let files = node_files(set);
        // Nodes inside another processor (foreach's) are in the file of the nearest known one.
        let file_of = |mut addr: usize| -> String {
            for _ in 0..100 {
                if let Some(f) = files.get(&addr) {
                    return f.clone();
                }
                match self.nodes.get(&addr).and_then(|n| n.parent) {
                    Some(p) => addr = p,
                    None => break,
                }
            }
            "?".into()
        };
        let mut by_key: Vec<ProcessorTime> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for (addr, n) in &self.nodes {
            if n.type_name == "pipeline" {
                continue;
            }
            let line = n.line.map_or_else(|| "?".to_string(), |l| l.to_string());
            let key = format!("{} @ {}:{line}", n.type_name, file_of(*addr));
            let i = *index.entry(key.clone()).or_insert_with(|| {
                by_key.push(ProcessorTime {
                    key,
                    runs: 0,
                    skipped: 0,
                    run_time: Duration::ZERO,
                    skip_time: Duration::ZERO,
                });
                by_key.len() - 1
            });
            // i is an index into by_key, stored in the map when its entry was pushed.
            let t = &mut by_key[i];
            t.runs += n.time.runs;
            t.skipped += n.time.skipped;
            t.run_time += n.time.run_time;
            t.skip_time += n.time.skip_time;
        }
        by_key.sort_by(|a, b| b.total().cmp(&a.total()).then(a.key.cmp(&b.key)));
        by_key
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// The human report: per dataset, speed, the floor, and the top processors.
pub fn human(results: &[DatasetBench], top: usize) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    for b in results {
        let name = format!("{}.{}", b.package, b.data_stream);
        if let Some(e) = &b.error {
            let _ = writeln!(s, "{name}: error: {e}\n");
            continue;
        }
        if let Some(r) = &b.skipped {
            let _ = writeln!(s, "{name}: skipped: {r}\n");
            continue;
        }
        let _ = writeln!(
            s,
            "{name}: {} documents ({} source documents cycled), one thread",
            b.docs, b.source_docs
        );
        let _ = writeln!(
            s,
            "  pipeline  {:>9.1} µs/doc  {:>10.0} docs/s   (read JSON, run, write JSON; median of batches)",
            micros(b.per_doc),
            b.docs_per_second()
        );
        let _ = writeln!(
            s,
            "  floor     {:>9.1} µs/doc  {:>10.0} docs/s   (read and write the outputs' JSON, no processors)",
            micros(b.floor_per_doc),
            b.floor_docs_per_second()
        );
        let _ = writeln!(s, "  ratio     {:>9.1}× the floor", b.floor_ratio());
        if b.failed_docs > 0 {
            let _ = writeln!(
                s,
                "  failed    {} documents failed in the pipeline (timed with their error written)",
                b.failed_docs
            );
        }
        let by_total = b.top_by_total(top);
        if !by_total.is_empty() {
            let _ = writeln!(s, "  top {} processors by total time:", by_total.len());
            for p in by_total {
                let _ = writeln!(s, "    {:>6.2}%  {}", b.share(p), p.key);
            }
        }
        let by_mean = b.top_by_mean(top);
        if !by_mean.is_empty() {
            let _ = writeln!(
                s,
                "  top {} processors by mean time per run:",
                by_mean.len()
            );
            for p in by_mean {
                let _ = writeln!(s, "    {:>8.2} µs  {}", micros(p.mean()), p.key);
            }
        }
        s.push('\n');
    }
    s
}

fn named(name: &str, value: Value, unit: Option<&str>, description: Option<&str>) -> Value {
    let mut m = Map::default();
    m.insert("name".into(), Value::from(name));
    if let Some(d) = description {
        m.insert("description".into(), Value::from(d));
    }
    if let Some(u) = unit {
        m.insert("unit".into(), Value::from(u));
    }
    m.insert("value".into(), value);
    Value::Map(m)
}

fn test(name: &str, description: &str, results: Vec<Value>) -> Value {
    let mut m = Map::default();
    m.insert("name".into(), Value::from(name));
    m.insert("description".into(), Value::from(description));
    m.insert("result".into(), Value::List(results));
    Value::Map(m)
}

/// The JSON report: one object per dataset in elastic-package's pipeline benchmark shape
/// (`parameters`, `test`: `pipeline_performance`, `procs_by_total_time`,
/// `procs_by_avg_time_per_doc`), with the floor added; times per processor in nanoseconds.
pub fn json(results: &[DatasetBench], top: usize) -> String {
    let mut list = Vec::new();
    for b in results {
        let mut m = Map::default();
        m.insert("type".into(), Value::from("pipeline"));
        m.insert("package".into(), Value::from(b.package.as_str()));
        m.insert("data_stream".into(), Value::from(b.data_stream.as_str()));
        if let Some(e) = &b.error {
            m.insert("error".into(), Value::from(e.as_str()));
            list.push(Value::Map(m));
            continue;
        }
        if let Some(r) = &b.skipped {
            m.insert("skipped".into(), Value::from(r.as_str()));
            list.push(Value::Map(m));
            continue;
        }
        m.insert(
            "description".into(),
            Value::from(format!(
                "pipeline benchmark for {}/{}",
                b.package, b.data_stream
            )),
        );
        let count = |n: usize| Value::from_i64(i64::try_from(n).unwrap_or(i64::MAX));
        m.insert(
            "parameters".into(),
            Value::List(vec![
                named("source_doc_count", count(b.source_docs), None, None),
                named("doc_count", count(b.docs), None, None),
                named("threads", Value::Int(1), None, None),
            ]),
        );
        let ns = |d: Duration| Value::from_i64(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        let performance = vec![
            named(
                "processing_time",
                Value::Double(b.elapsed.as_secs_f64()),
                Some("s"),
                Some("time to read, run and write all documents"),
            ),
            named(
                "eps",
                Value::Double(b.docs_per_second()),
                None,
                Some("processed events per second (median of batches)"),
            ),
            named(
                "time_per_doc",
                Value::Double(micros(b.per_doc)),
                Some("µs"),
                Some("median time per document: read JSON, run the pipeline, write JSON"),
            ),
            named(
                "floor_time_per_doc",
                Value::Double(micros(b.floor_per_doc)),
                Some("µs"),
                Some("median time per document to read and write the outputs' JSON, no processors"),
            ),
            named(
                "floor_ratio",
                Value::Double(b.floor_ratio()),
                None,
                Some("time per document over the floor's"),
            ),
            named(
                "failed_docs",
                count(b.failed_docs),
                None,
                Some("documents that failed in the pipeline"),
            ),
        ];
        let by_total = b
            .top_by_total(top)
            .into_iter()
            .map(|p| named(&p.key, Value::Double(b.share(p)), Some("%"), None))
            .collect();
        let by_mean = b
            .top_by_mean(top)
            .into_iter()
            .map(|p| named(&p.key, ns(p.mean()), Some("ns"), None))
            .collect();
        m.insert(
            "test".into(),
            Value::List(vec![
                test(
                    "pipeline_performance",
                    "one thread, JSON in and out",
                    performance,
                ),
                test(
                    "procs_by_total_time",
                    &format!("top {top} processors by time spent"),
                    by_total,
                ),
                test(
                    "procs_by_avg_time_per_doc",
                    &format!("top {top} processors by average time per document"),
                    by_mean,
                ),
            ]),
        );
        list.push(Value::Map(m));
    }
    let mut top_map = Map::default();
    top_map.insert("benchmarks".into(), Value::List(list));
    let mut s = Value::Map(top_map).to_json_pretty(2);
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::discover;

    fn repo() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn benchmarks_the_repository_datasets() {
        let suite = discover(&repo()).unwrap();
        let ds = suite
            .datasets
            .iter()
            .find(|d| d.name == "event")
            .expect("the event dataset");
        let opts = BenchOptions {
            docs: 40,
            clock: Clock::parse("2024-01-02T03:04:05Z").unwrap(),
            top: 3,
        };
        let b = bench_dataset(ds, &opts, &Resources::new());
        assert_eq!(b.error, None);
        assert_eq!(b.docs, 40);
        assert!(b.source_docs > 0);
        assert_eq!(b.failed_docs, 0);
        assert!(!b.per_doc.is_zero() && !b.floor_per_doc.is_zero());
        // Every processor key names the file and a line; pipeline processors are left out.
        assert!(!b.processors.is_empty());
        for p in &b.processors {
            assert!(
                p.key.contains(" @ default.yml:") && !p.key.starts_with("pipeline "),
                "{}",
                p.key
            );
        }
        let ua = b
            .processors
            .iter()
            .find(|p| p.key.starts_with("user_agent @"))
            .expect("user_agent timed");
        assert_eq!(ua.runs + ua.skipped, 40);
        assert_eq!(b.top_by_total(3).len(), 3);
        let text = human(std::slice::from_ref(&b), 3);
        assert!(text.contains("top 3 processors by total time:"), "{text}");
        let v = Value::from_json_str(&json(&[b], 3)).unwrap();
        let first = &v.as_map().unwrap()["benchmarks"].as_list().unwrap()[0];
        let tests = first.as_map().unwrap()["test"].as_list().unwrap();
        let names: Vec<&str> = tests
            .iter()
            .map(|t| t.as_map().unwrap()["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "pipeline_performance",
                "procs_by_total_time",
                "procs_by_avg_time_per_doc"
            ]
        );
    }

    #[test]
    fn dataset_errors_are_reported_not_benchmarked() {
        let ds = Dataset {
            package: "p".into(),
            name: "d".into(),
            kind: "logs".into(),
            pipeline_dir: repo().join("no-such-dir"),
            entry: "default".into(),
            field_dirs: Vec::new(),
            ecs_reference: None,
            format_version: None,
            inputs: Vec::new(),
            expected_dir: repo(),
            skip: None,
            routing_rules: None,
            error: None,
            package_root: None,
        };
        let b = bench_dataset(&ds, &BenchOptions::default(), &Resources::new());
        assert!(b.error.as_deref().unwrap_or("").contains("no-such-dir"));
        assert!(human(&[b], 10).contains("p.d: error:"));
    }

    /// `run_event` gives what writing the document as JSON and reading it back gives.
    #[test]
    fn outputs_are_what_json_reads_back() {
        let mut set = PipelineSet::new();
        let def = Value::from_json_str(r#"{"processors":[]}"#).unwrap();
        let p = crate::pipeline::Pipeline::from_value("p", &def, None, None, &Resources::new())
            .unwrap();
        set.insert(p);
        let mut deep = Value::Int(1);
        for _ in 0..140 {
            deep = Value::List(vec![deep, Value::Float(0.1)]);
        }
        // With the document itself: 127 containers deep read back, 128 do not.
        let nest = |n: usize| {
            let mut v = Value::Float(0.3);
            for _ in 0..n {
                v = Value::List(vec![v, Value::Long(2)]);
            }
            v
        };
        let cases = [
            Value::Float(0.1),
            Value::Float(1.0e10),
            Value::Float(-0.0),
            Value::Float(f32::NAN),
            Value::Double(f64::INFINITY),
            Value::Double(0.1 + 0.2),
            Value::Double(1e300),
            Value::Long(7),
            Value::Long(1 << 40),
            Value::Int(-3),
            Value::String("a\"b\u{1}\u{2028}é".into()),
            Value::List(vec![Value::Float(2.5), Value::Null, Value::Bool(true)]),
            nest(126),
            nest(127),
            deep,
        ];
        for case in cases {
            let mut source = Map::default();
            source.insert("v".into(), case.clone());
            let clock = Clock::parse("2024-01-02T03:04:05Z").unwrap();
            let got = run_event(&set, "p", source.clone(), None, &clock).unwrap();
            let written = Value::Map(source).to_json();
            let want = Value::from_json_str(&written).unwrap_or(Value::Map({
                let mut m = Map::default();
                m.insert("v".into(), case.clone());
                m
            }));
            // Value's equality is Java's: Float and Double, Integer and Long never equal.
            assert_eq!(got.to_json(), want.to_json(), "{}", case.to_json());
            assert_eq!(got, want, "{}", case.to_json());
        }
    }
}
