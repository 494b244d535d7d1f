//! `pipette run`: one pipeline over documents, printed one by one as they are processed.

use super::fail;
use crate::harness::run::{error_value, load_with_siblings};
use crate::harness::stream::{EventReader, InputKind};
use crate::harness::{Clock, run_event};
use clap::Args;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

const RUN_LONG_ABOUT: &str = "\
Run one pipeline file (YAML or JSON; pipelines beside it can be called by the `pipeline`
processor) over documents, and print each resulting document as pretty JSON: `null` when the
document was dropped, `{\"error\": {...}}` when the pipeline failed on it.

Inputs: `.json` (`{\"events\": [...]}`, a list of objects, or one object), `.ndjson`/`.jsonl`
(one object per line), anything else one event per line (`{\"message\": line}`). Without INPUT,
stdin is read and its format detected from the first line. Documents are read, processed and
written one at a time.";

/// `pipette run` arguments.
#[derive(Debug, Args)]
#[command(long_about = RUN_LONG_ABOUT)]
pub struct RunArgs {
    /// The pipeline file (its id is the file name without extension)
    pub pipeline: PathBuf,

    /// Input files [default: stdin]
    pub inputs: Vec<PathBuf>,

    /// Fixed `_ingest.timestamp` (RFC 3339) [default: the real time]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,

    /// Print one compact JSON document per line (NDJSON) instead of pretty JSON
    #[arg(long)]
    pub compact: bool,
}

/// Runs `pipette run`; returns the exit code.
pub fn execute(args: &RunArgs, resources: &crate::Resources) -> u8 {
    let clock = match args.now.as_deref().map(Clock::parse).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let (set, id, warnings) = match load_with_siblings(&args.pipeline, resources) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut input_errors = 0usize;
    let mut doc_errors = 0usize;
    let mut open_errors = 0usize;
    let mut process =
        |name: &str, reader: Box<dyn BufRead>, kind: InputKind| -> Result<(), std::io::Error> {
            for event in EventReader::new(reader, kind) {
                match event {
                    Err(e) => {
                        input_errors += 1;
                        eprintln!("error: {name}: {e}");
                    }
                    Ok(source) => {
                        let v = match run_event(&set, &id, source, None, &clock) {
                            Ok(v) => v,
                            Err(e) => {
                                doc_errors += 1;
                                error_value(&e)
                            }
                        };
                        let text = if args.compact {
                            v.to_json()
                        } else {
                            v.to_json_pretty(2)
                        };
                        out.write_all(text.as_bytes())?;
                        out.write_all(b"\n")?;
                        out.flush()?;
                    }
                }
            }
            Ok(())
        };
    let result = if args.inputs.is_empty() {
        let stdin = std::io::stdin();
        process("<stdin>", Box::new(stdin.lock()), InputKind::Auto)
    } else {
        let mut r = Ok(());
        for input in &args.inputs {
            let file = match std::fs::File::open(input) {
                Ok(f) => f,
                Err(e) => {
                    open_errors += 1;
                    eprintln!("error: {}: cannot read: {e}", input.display());
                    continue;
                }
            };
            let name = input.display().to_string();
            r = process(
                &name,
                Box::new(BufReader::new(file)),
                InputKind::for_path(input),
            );
            if r.is_err() {
                break;
            }
        }
        r
    };
    if let Err(e) = result {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return 0;
        }
        return fail(format!("cannot write output: {e}"));
    }
    if input_errors + open_errors > 0 {
        2
    } else if doc_errors > 0 {
        1
    } else {
        0
    }
}
