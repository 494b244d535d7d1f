//! `pipette simulate`: answers an Elasticsearch `_ingest/pipeline/_simulate` request offline.

use super::{EXIT_USAGE, fail};
use crate::harness::Clock;
use crate::pipeline::{PipelineSet, load_file};
use crate::rest::{RestError, SimulateOptions, simulate};
use crate::value::Value;
use clap::Args;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

pub(crate) const SIMULATE_LONG_ABOUT: &str = "\
Answer an Elasticsearch `POST _ingest/pipeline/_simulate` request offline: read the request body
(JSON: `docs`, and an inline `pipeline` unless --pipeline or --id names one) from REQUEST or stdin,
and print the response body Elasticsearch gives, as pretty JSON: `docs[].doc` (`_index`, `_id`,
`_version`, `_source`, `_ingest.timestamp`), an `error` object for a failed document, `null` for a
dropped one, and with --verbose one `processor_results` entry per processor run.

Stored pipelines (the ones `pipeline` processors call, and --id) are the pipeline files in
--pipelines DIR, each stored under its file name without extension. --pipeline FILE simulates that
file as `_ingest/pipeline/<name>/_simulate` would.

Exit codes: 0 a response was written (documents that failed in the pipeline are part of it);
2 a malformed request or bad arguments, or Elasticsearch's 400 answer (an invalid pipeline, no
`docs`, an unknown --id): its error body is printed on stdout, a one-line summary on stderr.";

/// `pipette simulate` arguments.
#[derive(Debug, Args)]
#[command(long_about = SIMULATE_LONG_ABOUT)]
pub struct SimulateArgs {
    /// The request body (JSON) [default: stdin]
    pub request: Option<PathBuf>,

    /// Simulate this pipeline file (YAML or JSON) instead of the body's inline `pipeline`
    #[arg(long, value_name = "FILE", conflicts_with = "id")]
    pub pipeline: Option<PathBuf>,

    /// Simulate the stored pipeline with this name (from --pipelines)
    #[arg(long, value_name = "NAME", requires = "pipelines")]
    pub id: Option<String>,

    /// Folder of stored pipelines (`NAME.yml`, `NAME.yaml` or `NAME.json`)
    #[arg(long, value_name = "DIR")]
    pub pipelines: Option<PathBuf>,

    /// One result per processor (`?verbose=true`)
    #[arg(long)]
    pub verbose: bool,

    /// Fixed `_ingest.timestamp` (RFC 3339) [default: the real time]
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

/// Runs `pipette simulate`; returns the exit code.
pub fn execute(args: &SimulateArgs, resources: &crate::Resources) -> u8 {
    let clock = match args.now.as_deref().map(Clock::parse).transpose() {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => return fail(e),
    };
    let (name, text) = match read_request(args.request.as_deref()) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let body = match parse_request(&text) {
        Ok(b) => b,
        Err(e) => return fail(format!("{name}: {e}")),
    };
    let mut set = match &args.pipelines {
        Some(dir) => match load_stored(dir, resources) {
            Ok(s) => s,
            Err(e) => return fail(e),
        },
        None => PipelineSet::new(),
    };
    let id = match (&args.pipeline, &args.id) {
        (Some(file), _) => match load_file(file, resources) {
            Ok(p) => {
                let id = p.id.to_string();
                set.insert(p);
                Some(id)
            }
            Err(e) => {
                return match e {
                    crate::error::LoadError::Io { .. } | crate::error::LoadError::Syntax { .. } => {
                        fail(e)
                    }
                    other => rest_error(&RestError::from_load(&other)),
                };
            }
        },
        (None, id) => id.clone(),
    };
    let opts = SimulateOptions {
        verbose: args.verbose,
        now: clock.timestamp().into_owned(),
    };
    match simulate(&body, id.as_deref(), &mut set, resources, &opts) {
        Ok(response) => print(&response),
        Err(e) => rest_error(&e),
    }
}

/// The request text and a name for messages.
fn read_request(path: Option<&Path>) -> Result<(String, String), String> {
    match path {
        Some(p) if p.as_os_str() != "-" => std::fs::read_to_string(p)
            .map(|t| (p.display().to_string(), t))
            .map_err(|e| format!("{}: cannot read: {e}", p.display())),
        _ => {
            let mut t = String::new();
            std::io::stdin()
                .read_to_string(&mut t)
                .map_err(|e| format!("<stdin>: cannot read: {e}"))?;
            Ok(("<stdin>".to_string(), t))
        }
    }
}

/// Parses a request body: one JSON object.
pub fn parse_request(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Err("the request body is empty (expected a JSON object with `docs`)".into());
    }
    match Value::from_json_str(text) {
        Ok(v @ Value::Map(_)) => Ok(v),
        Ok(other) => Err(format!(
            "the request body must be a JSON object, not {}",
            json_kind(&other)
        )),
        Err(e) => Err(format!("not valid JSON: {e}")),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::List(_) => "an array",
        Value::String(_) => "a string",
        Value::Map(_) => "an object",
        _ => "a number",
    }
}

/// Every pipeline file in a folder, stored under its file stem; files that do not load are
/// reported and left out.
fn load_stored(dir: &Path, resources: &crate::Resources) -> Result<PipelineSet, String> {
    let files = crate::pipeline::pipeline_files(dir).map_err(|e| e.to_string())?;
    let mut set = PipelineSet::new();
    for f in files {
        match load_file(&f, resources) {
            Ok(p) => {
                set.insert(p);
            }
            Err(e) => eprintln!("warning: not stored: {e}"),
        }
    }
    Ok(set)
}

fn print(v: &Value) -> u8 {
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(v.to_json_pretty(2).as_bytes())
        .and_then(|_| out.write_all(b"\n"))
        .and_then(|_| out.flush());
    match written {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => fail(format!("cannot write output: {e}")),
    }
}

/// Prints Elasticsearch's error body on stdout and a summary on stderr; the usage exit code.
fn rest_error(e: &RestError) -> u8 {
    let _ = print(&e.body);
    let cause = e
        .body
        .as_map()
        .and_then(|m| m.get("error"))
        .and_then(Value::as_map);
    let field = |k: &str| {
        cause
            .and_then(|c| c.get(k))
            .map(Value::to_java_string)
            .unwrap_or_default()
    };
    eprintln!(
        "error: Elasticsearch would answer {}: {}: {}",
        e.status,
        field("type"),
        field("reason")
    );
    EXIT_USAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_must_be_json_objects() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#"{"docs":[]}"#, None),
            ("", Some("the request body is empty")),
            ("[1]", Some("must be a JSON object, not an array")),
            ("\"x\"", Some("must be a JSON object, not a string")),
            ("{\"docs\": [", Some("not valid JSON")),
        ];
        for (text, want) in cases {
            match (parse_request(text), want) {
                (Ok(_), None) => {}
                (Err(e), Some(w)) => assert!(e.contains(w), "{text}: {e}"),
                (got, _) => panic!("{text}: unexpected {got:?}"),
            }
        }
    }
}
