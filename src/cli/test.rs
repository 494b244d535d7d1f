//! `pipette test`: run pipeline tests and render the report.

use super::{Cli, fail};
use crate::harness::report::{self, HumanOptions};
use crate::harness::{Clock, Layout, Outcome, TestOptions, default_ecs_dir, discover, run_suite};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

const TEST_LONG_ABOUT: &str = "\
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
expected document covers are listed.";

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
    let run = run_suite(&suite, &opts, resources);
    let to_stdout = args.report_output.is_none();
    let many = suite.layout == Layout::Packages || suite.package_count() > 1;
    let text = match args.report_format {
        ReportFormat::Human => report::human(
            &run,
            HumanOptions {
                color: to_stdout && cli.color.for_stdout(),
                max_diffs: args.max_diffs,
                show_causes: many,
                max_uncovered: if many { 10 } else { usize::MAX },
            },
        ),
        ReportFormat::Json => report::json(&run),
        ReportFormat::Xunit => match report::xunit(&run) {
            Ok(x) => x,
            Err(e) => return fail(format!("cannot write the xunit report: {e}")),
        },
    };
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
