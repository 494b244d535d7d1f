//! `pipette bench`: pipeline speed per dataset, against the floor of JSON in and out.

use super::fail;
use crate::harness::bench::{BenchOptions, bench_dataset, human, json};
use crate::harness::{Clock, discover};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

const BENCH_LONG_ABOUT: &str = "\
Benchmark pipelines the way `elastic-package benchmark pipeline` does, without Elasticsearch,
on one thread.

PATH is found as by `pipette test`. For each data stream, the events of its test inputs are
cycled to --docs documents; each is read from JSON, run through the entry pipeline, and written
as JSON. Reported: documents per second and µs per document (medians over batches); the floor,
measured in the same run in batches alternating with the pipeline's: reading and writing
documents as large as the outputs with no processors, and the ratio to it; then, from a second,
instrumented pass, the top processors by total time (share of the pass) and by mean time per
run, keyed `type @ file:line` (`pipeline` processors left out: their time is their pipeline's).
A processor's time includes its `if`.";

/// `pipette bench` arguments.
#[derive(Debug, Args)]
#[command(long_about = BENCH_LONG_ABOUT)]
pub struct BenchArgs {
    /// Repository, package, data stream folder, or folder of packages
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Documents per data stream (the test inputs' events, cycled)
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    pub docs: usize,

    /// Processors shown in each top list
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,

    /// Fixed `_ingest.timestamp` (RFC 3339) [default: the real time]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,

    /// Report format
    #[arg(long, value_enum, default_value_t = BenchFormat::Human, value_name = "FORMAT")]
    pub report_format: BenchFormat,
}

/// `--report-format` of `pipette bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchFormat {
    /// Speed, floor and top processors per data stream
    Human,
    /// elastic-package's benchmark report shape, with the floor added
    Json,
}

/// Runs `pipette bench`; returns the exit code (2 when a data stream could not be run).
pub fn execute(args: &BenchArgs, resources: &crate::Resources) -> u8 {
    let clock = match args.now.as_deref().map(Clock::parse).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    if args.docs == 0 {
        return fail("--docs must be at least 1");
    }
    let suite = match discover(&args.path) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let opts = BenchOptions {
        docs: args.docs,
        clock,
        top: args.top,
    };
    let mut out = std::io::stdout().lock();
    let mut results = Vec::with_capacity(suite.datasets.len());
    for ds in &suite.datasets {
        let b = bench_dataset(ds, &opts, resources);
        if args.report_format == BenchFormat::Human {
            // One data stream at a time, as each finishes.
            let _ = out
                .write_all(human(std::slice::from_ref(&b), args.top).as_bytes())
                .and_then(|_| out.flush());
        }
        results.push(b);
    }
    if args.report_format == BenchFormat::Json {
        let _ = out
            .write_all(json(&results, args.top).as_bytes())
            .and_then(|_| out.flush());
    }
    if results.iter().any(|b| b.error.is_some()) {
        2
    } else {
        0
    }
}
