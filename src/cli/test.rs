//! `pipette test`: run pipeline tests and render the report.

use super::{Cli, fail};
use crate::harness::coverage;
use crate::harness::report::{self, HumanOptions};
use crate::harness::run::{load_dataset_pipelines, run_suite_with_progress};
use crate::harness::trace::{TraceStyle, render_text, steps_value, trace_event};
use crate::harness::{
    Clock, Dataset, Layout, Outcome, RunReport, Suite, TestConfig, TestFileResult, TestOptions,
    default_ecs_dir, discover,
};
use crate::value::{Map, Value};
use clap::{Args, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

pub(crate) const TEST_LONG_ABOUT: &str = "\
Run pipeline tests the way `elastic-package test pipeline` does, without Elasticsearch.

PATH can be:
  * a repository laid out as pipelines/<ds>/default.yml, fields/<ds>/, sample_events/<ds>/
    (test-*.log, test-*.json, test-common-config.yml, <input>-config.yml) and
    expected/<ds>/<input>-expected.json; the package name is manifest.yml's `name` or the folder's;
  * one elastic-package package (manifest.yml, data_stream/*/_dev/test/pipeline/), or one of
    its data_stream/<ds> folders;
  * a folder of packages.

Each test input's events go through the data stream's entry pipeline (sub-pipelines beside it);
the output documents are compared with the golden file (key order ignored, numbers by value,
dynamic_fields left out), validated against the data stream's fields, and the fields that no
expected document covers are listed.

--verbose adds, for each failing document, what every processor did to it (status, file:line,
fields added/changed/removed), as `pipette run --verbose` shows it; in the json report it is a
`traces` list on the failing test file.

--coverage prints which processors ran at least once over the tests, per pipeline file, and the
field coverage; --coverage-output FILE also writes it as Cobertura XML (the format of
`elastic-package test pipeline --test-coverage`): one class per pipeline file, one method per
top-level processor, one line per source line of the processor, hits = times it ran.

--watch runs the tests, then again for the data streams whose pipelines, fields, inputs, configs
or golden files change (until Ctrl-C).";

/// `pipette test` arguments.
#[derive(Debug, Args)]
#[command(long_about = TEST_LONG_ABOUT)]
pub struct TestArgs {
    /// Repository, package, data stream folder, or folder of packages
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Write the `-expected.json` golden files from the actual output (only for the inputs run)
    #[arg(long, short = 'g')]
    pub generate: bool,

    /// Fixed `_ingest.timestamp` (RFC 3339, e.g. 2024-01-02T03:04:05Z) [default: the real time]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,

    /// Folder of ECS definitions (`<ref>/ecs_nested.yml`) for `external: ecs` fields
    /// [default: $PIPETTE_ECS_DIR, else ~/.elastic-package/cache/fields/ecs]
    #[arg(long, value_name = "DIR")]
    pub ecs_dir: Option<PathBuf>,

    /// Fail (exit 1) when defined fields are not covered by any expected document
    #[arg(long)]
    pub fail_on_uncovered: bool,

    /// Report format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human, value_name = "FORMAT")]
    pub report_format: ReportFormat,

    /// Write the report to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub report_output: Option<PathBuf>,

    /// Run this many data streams in parallel [default: one per CPU]
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Diffs shown per failing test file in the human report (0: none)
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub max_diffs: usize,

    /// Show what each processor did to the failing documents
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Print processor coverage (per pipeline file) and field coverage
    #[arg(long)]
    pub coverage: bool,

    /// Write processor coverage as Cobertura XML to FILE (implies --coverage)
    #[arg(long, value_name = "FILE")]
    pub coverage_output: Option<PathBuf>,

    /// Re-run the affected data streams whenever their files change (Ctrl-C stops)
    #[arg(long, short = 'w', conflicts_with = "generate")]
    pub watch: bool,

    /// With --watch, clear the screen before each run
    #[arg(long, requires = "watch")]
    pub clear: bool,
}

/// `--report-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One line per test file, diffs for failures, a summary
    Human,
    /// One JSON object per test file, dataset coverage, and a summary
    Json,
    /// JUnit XML (GitHub, GitLab, Jenkins)
    Xunit,
}

/// Runs `pipette test`; returns the exit code.
pub fn execute(args: &TestArgs, cli: &Cli, resources: &crate::Resources) -> u8 {
    let clock = match args.now.as_deref().map(Clock::parse).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    if args.jobs == Some(0) {
        return fail("--jobs must be at least 1");
    }
    let suite = match discover(&args.path) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let opts = TestOptions {
        generate: args.generate,
        clock,
        ecs_dir: args.ecs_dir.clone().or_else(default_ecs_dir),
        fail_on_uncovered: args.fail_on_uncovered,
        jobs: args.jobs,
    };
    if args.watch {
        return super::watch::watch(args, cli, &opts, suite, resources);
    }
    run_once(args, cli, &opts, &suite, resources, true)
}

/// One run over a suite: tests, report, traces, coverage; returns the exit code.
pub fn run_once(
    args: &TestArgs,
    cli: &Cli,
    opts: &TestOptions,
    suite: &Suite,
    resources: &crate::Resources,
    progress: bool,
) -> u8 {
    let to_stdout = args.report_output.is_none();
    let show_bar = progress
        && to_stdout
        && args.report_format == ReportFormat::Human
        && suite.datasets.len() > 1
        && std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal();
    let run = if show_bar {
        let bar = indicatif::ProgressBar::new(suite.datasets.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} data streams  {elapsed}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let done = |d: &Dataset, _: &[TestFileResult]| {
            bar.set_message(d.full_name());
            bar.inc(1);
        };
        let r = run_suite_with_progress(suite, opts, resources, &done);
        bar.finish_and_clear();
        r
    } else {
        run_suite_with_progress(suite, opts, resources, &|_, _| {})
    };
    let many = suite.layout == Layout::Packages || suite.package_count() > 1;
    let color = to_stdout && cli.color.for_stdout();
    let traces = if args.verbose {
        failing_traces(suite, &run, &opts.clock, resources, args.max_diffs.max(1))
    } else {
        Vec::new()
    };
    let mut text = match args.report_format {
        ReportFormat::Human => {
            let mut t = report::human(
                &run,
                HumanOptions {
                    color,
                    max_diffs: args.max_diffs,
                    show_causes: many,
                    max_uncovered: if many { 10 } else { usize::MAX },
                },
            );
            // Traces go between the results and the summary.
            let cut = t
                .rfind("Summary:")
                .and_then(|i| t.get(..i)?.rfind("\n\n"))
                .unwrap_or(t.len());
            let summary = t.split_off(cut);
            for tr in &traces {
                t.push_str(&format!(
                    "\nTrace: {}/{} {} document {}\n",
                    tr.result.package, tr.result.data_stream, tr.result.name, tr.document
                ));
                t.push_str(&render_text(
                    &tr.steps,
                    TraceStyle {
                        color,
                        ..TraceStyle::default()
                    },
                ));
            }
            t.push_str(&summary);
            t
        }
        ReportFormat::Json => {
            let j = report::json(&run);
            if traces.is_empty() {
                j
            } else {
                with_json_traces(&j, &run, &traces)
            }
        }
        ReportFormat::Xunit => match report::xunit(&run) {
            Ok(x) => x,
            Err(e) => return fail(format!("cannot write the xunit report: {e}")),
        },
    };
    if args.coverage || args.coverage_output.is_some() {
        let cov = coverage::collect(suite, &opts.clock, resources);
        if let Some(f) = &args.coverage_output {
            let ts = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
                .unwrap_or(0);
            if let Err(e) = std::fs::write(f, cov.cobertura(ts)) {
                return fail(format!("{}: cannot write coverage: {e}", f.display()));
            }
        }
        let summary = cov.summary(Some(&run), if many { 5 } else { 20 });
        if to_stdout && args.report_format == ReportFormat::Human {
            text.push('\n');
            text.push_str(&summary);
        } else {
            eprint!("{summary}");
        }
    }
    match &args.report_output {
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
        }
        Some(f) => {
            if let Err(e) = std::fs::write(f, &text) {
                return fail(format!("{}: cannot write report: {e}", f.display()));
            }
        }
    }
    let code = run.exit_code();
    if code == 2 && (args.report_format != ReportFormat::Human || !to_stdout) {
        // The report went elsewhere: still say on stderr what could not run.
        let mut seen: Vec<&str> = Vec::new();
        for r in run.results.iter().filter(|r| r.outcome == Outcome::Error) {
            if !seen.contains(&r.message.as_str()) {
                seen.push(&r.message);
            }
        }
        for m in seen.iter().take(10) {
            eprintln!("error: {}", m.lines().next().unwrap_or(""));
        }
        if seen.len() > 10 {
            eprintln!("error: … and {} more", seen.len() - 10);
        }
    }
    code as u8
}

/// The trace of one failing document.
struct FailingTrace<'a> {
    result: &'a TestFileResult,
    position: usize,
    document: usize,
    steps: Vec<crate::harness::trace::Step>,
}

/// Traces of the failing documents (differing or failed in the pipeline), up to `max` per file.
fn failing_traces<'a>(
    suite: &Suite,
    run: &'a RunReport,
    clock: &Clock,
    resources: &crate::Resources,
    max: usize,
) -> Vec<FailingTrace<'a>> {
    let mut out = Vec::new();
    for (position, r) in run.results.iter().enumerate() {
        if r.outcome != Outcome::Fail {
            continue;
        }
        let Some(ds) = suite
            .datasets
            .iter()
            .find(|d| d.package == r.package && d.name == r.data_stream)
        else {
            continue;
        };
        let mut docs: Vec<usize> = r
            .mismatches
            .iter()
            .map(|m| m.index)
            .chain(r.doc_errors.iter().map(|(i, _)| *i))
            .collect();
        docs.sort_unstable();
        docs.dedup();
        if docs.is_empty() {
            continue;
        }
        let Ok(set) = load_dataset_pipelines(ds, resources) else {
            continue;
        };
        let Ok(config) = TestConfig::for_input(&r.path) else {
            continue;
        };
        let Ok(events) = crate::harness::input::read_events(&r.path, &config) else {
            continue;
        };
        let index = ds.simulated_index();
        for i in docs.into_iter().take(max) {
            let Some(ev) = events.get(i) else { continue };
            let t = trace_event(&set, &ds.entry, ev.clone(), Some(&index), clock);
            out.push(FailingTrace {
                result: r,
                position,
                document: i,
                steps: t.steps,
            });
        }
    }
    out
}

/// The json report with a `traces` list (`{"document": i, "steps": [...]}`) on failing results.
fn with_json_traces(json: &str, run: &RunReport, traces: &[FailingTrace<'_>]) -> String {
    let Ok(Value::Map(mut top)) = Value::from_json_str(json) else {
        return json.to_string();
    };
    if let Some(Value::List(results)) = top.get_mut("results") {
        for t in traces {
            if t.position >= run.results.len() {
                continue;
            }
            if let Some(Value::Map(m)) = results.get_mut(t.position) {
                let entry = m
                    .entry("traces".to_string())
                    .or_insert_with(|| Value::List(Vec::new()));
                if let Value::List(l) = entry {
                    let mut tm = Map::default();
                    tm.insert("document".into(), Value::from_i64(t.document as i64));
                    tm.insert("steps".into(), steps_value(&t.steps));
                    l.push(Value::Map(tm));
                }
            }
        }
    }
    let mut text = Value::Map(top).to_json_pretty(2);
    text.push('\n');
    text
}
