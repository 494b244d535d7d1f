//! `pipette run`: one pipeline over documents, printed one by one as they are processed.

use super::{Cli, fail};
use crate::harness::TestConfig;
use crate::harness::input::put_dotted;
use crate::harness::run::{error_value, load_with_siblings};
use crate::harness::stream::{EventReader, InputKind};
use crate::harness::trace::{TraceStyle, render_text, steps_value, trace_event};
use crate::harness::{Clock, run_event};
use crate::value::sort_keys;
use crate::value::{Map, Value};
use clap::{Args, ValueEnum};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

pub(crate) const RUN_LONG_ABOUT: &str = "\
Run one pipeline file (YAML or JSON; pipelines beside it can be called by the `pipeline`
processor) over documents, and print each resulting document as pretty JSON: `null` when the
document was dropped, `{\"error\": {...}}` when the pipeline failed on it.

Inputs: `.json` (`{\"events\": [...]}`, a list of objects, or one object), `.ndjson`/`.jsonl`
(one object per line), anything else one event per line (`{\"message\": line}`). Without INPUT,
stdin is read and its format detected from the first line. Documents are read, processed and
written one at a time.

Fields can be added to every event as a test config adds them: --config FILE (a test config's
`fields`, several merged in order), --test-config (each input's own test-common-config.yml and
<input>-config.yml, as `pipette test` uses them), --field KEY=VALUE (VALUE read as JSON when it
is JSON, else as a string; applied last).

--verbose shows, before each document, what every processor did: ran, skipped (its `if` was
false), FAILED, ignored (failed with ignore_failure) or dropped, with its type, tag, file:line,
and the fields it added (+), changed (~) or removed (-). With --trace-format json, each document
is printed as one JSON object per line: {\"doc\": ..., \"trace\": [...]} (\"error\" instead of
\"doc\" when the pipeline failed; \"doc\": null when dropped).";

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

    /// Show what each processor did (status, file:line, fields added/changed/removed)
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Format of the --verbose trace: text (for terminals) or json (one object per document)
    #[arg(long, value_enum, default_value_t = TraceFormat::Text, value_name = "FORMAT")]
    pub trace_format: TraceFormat,

    /// Add a test config's `fields` to every event (repeatable; later files win)
    #[arg(long, value_name = "FILE")]
    pub config: Vec<PathBuf>,

    /// Add each input's own test configs (test-common-config.yml, <input>-config.yml)
    #[arg(long)]
    pub test_config: bool,

    /// Add a field to every event: KEY=VALUE, dotted KEY, VALUE as JSON or else a string (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub field: Vec<String>,
}

/// `--trace-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// Readable lines per processor.
    Text,
    /// One JSON object per document with its trace.
    Json,
}

/// The fields to add to events: `--config` files, then `--field`s (the input's own test configs
/// go in between, per input).
struct ExtraFields {
    base: Vec<(String, Value)>,
    fields: Vec<(String, Value)>,
    test_config: bool,
}

impl ExtraFields {
    fn from_args(args: &RunArgs) -> Result<Self, String> {
        let mut cfg = TestConfig::default();
        for f in &args.config {
            match crate::harness::config::read_yaml_opt(f) {
                Ok(Some(v)) => cfg.apply(&v, f).map_err(|e| e.to_string())?,
                Ok(None) => return Err(format!("{}: cannot read: no such file", f.display())),
                Err(e) => return Err(e.to_string()),
            }
        }
        let mut fields = Vec::new();
        for kv in &args.field {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(format!("--field {kv}: expected KEY=VALUE"));
            };
            if k.is_empty() {
                return Err(format!("--field {kv}: the key is empty"));
            }
            let value = Value::from_json_str(v).unwrap_or_else(|_| Value::from(v));
            fields.push((k.to_string(), value));
        }
        Ok(ExtraFields {
            base: cfg.fields.into_iter().collect(),
            fields,
            test_config: args.test_config,
        })
    }

    fn is_empty(&self) -> bool {
        self.base.is_empty() && self.fields.is_empty() && !self.test_config
    }

    /// The fields for one input, in the order they are applied.
    fn for_input(&self, input: Option<&Path>) -> Result<Vec<(String, Value)>, String> {
        let mut out = self.base.clone();
        if self.test_config
            && let Some(input) = input
        {
            let cfg = TestConfig::for_input(input).map_err(|e| e.to_string())?;
            out.extend(cfg.fields);
        }
        out.extend(self.fields.iter().cloned());
        Ok(out)
    }
}

/// Writes one result document: compact (NDJSON) or pretty JSON, then a newline.
/// Writes one output document and a newline; `buf` is the text buffer, reused across documents.
fn write_doc(
    out: &mut impl std::io::Write,
    v: &Value,
    compact: bool,
    buf: &mut String,
) -> std::io::Result<()> {
    buf.clear();
    if compact {
        v.write_json_to(buf);
    } else {
        buf.push_str(&v.to_json_pretty(2));
    }
    buf.push('\n');
    out.write_all(buf.as_bytes())
}

fn add_fields(ev: &mut Map, fields: &[(String, Value)]) -> Result<(), String> {
    for (k, v) in fields {
        put_dotted(ev, k, v.clone()).map_err(|e| format!("can't set field [{k}]: {e}"))?;
    }
    sort_keys(ev);
    Ok(())
}

/// Runs `pipette run`; returns the exit code.
pub fn execute(args: &RunArgs, cli: &Cli, resources: &crate::Resources) -> u8 {
    let clock = match args.now.as_deref().map(Clock::parse).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let extra = match ExtraFields::from_args(args) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let style = TraceStyle {
        color: cli.color.for_stdout(),
        ..TraceStyle::default()
    };
    let mut doc_no = 0usize;
    let (set, id, warnings) = match load_with_siblings(&args.pipeline, resources) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    for w in warnings {
        eprintln!("warning: {w}");
    }
    // Files never make us wait for input, so their results go out in large blocks; stdin may
    // (a pipe from a live source), so there each result is flushed as soon as it is made.
    let flush_each = args.inputs.is_empty();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut input_errors = 0usize;
    let mut doc_errors = 0usize;
    let mut open_errors = 0usize;
    let mut buf = String::new();
    let mut process = |name: &str,
                       path: Option<&Path>,
                       reader: Box<dyn BufRead>,
                       kind: InputKind|
     -> Result<(), std::io::Error> {
        let fields = if extra.is_empty() {
            Vec::new()
        } else {
            match extra.for_input(path) {
                Ok(f) => f,
                Err(e) => {
                    input_errors += 1;
                    eprintln!("error: {e}");
                    return Ok(());
                }
            }
        };
        for event in EventReader::new(reader, kind) {
            let mut source = match event {
                Err(e) => {
                    input_errors += 1;
                    eprintln!("error: {name}: {e}");
                    continue;
                }
                Ok(source) => source,
            };
            if !fields.is_empty()
                && let Err(e) = add_fields(&mut source, &fields)
            {
                input_errors += 1;
                eprintln!("error: {name}: {e}");
                continue;
            }
            doc_no += 1;
            if args.verbose {
                let t = trace_event(&set, &id, source, None, &clock);
                let v = match t.result {
                    Ok(v) => v,
                    Err(e) => {
                        doc_errors += 1;
                        error_value(&e)
                    }
                };
                match args.trace_format {
                    TraceFormat::Json => {
                        let mut m = Map::default();
                        match v {
                            Value::Map(mut em) if em.contains_key("error") => {
                                m.insert(
                                    "error".into(),
                                    em.shift_remove("error").unwrap_or(Value::Null),
                                );
                            }
                            other => {
                                m.insert("doc".into(), other);
                            }
                        }
                        m.insert("trace".into(), steps_value(&t.steps));
                        out.write_all(Value::Map(m).to_json().as_bytes())?;
                        out.write_all(b"\n")?;
                    }
                    TraceFormat::Text => {
                        let head = format!("── document {doc_no} ({name}) ──\n");
                        out.write_all(head.as_bytes())?;
                        out.write_all(render_text(&t.steps, style).as_bytes())?;
                        out.write_all(b"result:\n")?;
                        write_doc(&mut out, &v, args.compact, &mut buf)?;
                    }
                }
                out.flush()?;
                continue;
            }
            let v = match run_event(&set, &id, source, None, &clock) {
                Ok(v) => v,
                Err(e) => {
                    doc_errors += 1;
                    error_value(&e)
                }
            };
            write_doc(&mut out, &v, args.compact, &mut buf)?;
            if flush_each {
                out.flush()?;
            }
        }
        out.flush()
    };
    let result = if args.inputs.is_empty() {
        let stdin = std::io::stdin();
        process("<stdin>", None, Box::new(stdin.lock()), InputKind::Auto)
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
                Some(input),
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
