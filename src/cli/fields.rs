//! `pipette fields`: lint fields.yml files against package-spec, print a dataset's resolved schema.

use super::{Cli, fail};
use crate::fields::lint::{LintProblem, lint_dirs, lint_text};
use crate::fields::{FieldInfo, SpecVersion};
use crate::harness::run::load_dataset_schema;
use crate::harness::{Dataset, default_ecs_dir, discover};
use crate::value::{Map, Value};
use clap::{Args, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

/// `pipette fields` arguments.
#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: FieldsCommand,
}

/// `pipette fields` subcommands.
#[derive(Debug, Subcommand)]
pub enum FieldsCommand {
    /// Check fields.yml files against package-spec's rules (keys, types, names, conditions)
    #[command(long_about = "\
Check fields.yml files against package-spec's schema for field definitions: allowed keys, key
types, `type`/`metric_type`/`unit`/`object_type`/… values, the name pattern, and the conditional
rules (`object_type` only with `type: object`, `metric_type` only on numeric fields, `fields` only
on `group`/`nested`, `default_metric`/`metrics` exactly with `aggregate_metric_double`, …), plus
names defined twice in a data stream. Rules that changed between package-spec versions follow the
package's `format_version` (manifest.yml), else the latest.

PATH: a fields file, a folder of fields files, or anything `pipette test` accepts (every data
stream's fields are linted). Exit code 1 when a problem is found.")]
    Lint(LintArgs),
    /// Print a data stream's resolved fields (ECS imports included) as a table or JSON
    Show(ShowArgs),
}

/// `pipette fields lint` arguments.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// A fields file or folder, a repository, package or data stream
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Output format
    #[arg(long, value_enum, default_value_t = OutFormat::Table, value_name = "FORMAT")]
    pub format: OutFormat,
}

/// `pipette fields show` arguments.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A repository, package or data stream
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// Only this data stream (its name, or `package.data_stream`)
    #[arg(long, short = 'd', value_name = "NAME")]
    pub dataset: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value_t = OutFormat::Table, value_name = "FORMAT")]
    pub format: OutFormat,

    /// Folder of ECS definitions (`<ref>/ecs_nested.yml`) for `external: ecs` fields
    /// [default: $PIPETTE_ECS_DIR, else ~/.elastic-package/cache/fields/ecs]
    #[arg(long, value_name = "DIR")]
    pub ecs_dir: Option<PathBuf>,
}

/// `--format` of `pipette fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutFormat {
    /// Aligned text (lint: one problem per line).
    Table,
    /// JSON.
    Json,
}

/// Runs `pipette fields`; returns the exit code.
pub fn execute(args: &FieldsArgs, cli: &Cli) -> u8 {
    match &args.command {
        FieldsCommand::Lint(a) => lint(a, cli),
        FieldsCommand::Show(a) => show(a),
    }
}

/// The `format_version` of the package holding `dir` (manifest.yml in it or a parent).
fn spec_version_near(dir: &Path) -> SpecVersion {
    let start = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    for d in start.ancestors() {
        let m = d.join("manifest.yml");
        if let Ok(Some(Value::Map(mm))) = crate::harness::config::read_yaml_opt(&m)
            && mm.get("type").and_then(Value::as_str) != Some("data_stream")
            && let Some(v) = mm.get("format_version")
        {
            return SpecVersion::parse(&v.to_java_string()).unwrap_or(SpecVersion::LATEST);
        }
    }
    SpecVersion::LATEST
}

fn lint(args: &LintArgs, cli: &Cli) -> u8 {
    let p = &args.path;
    let (files, problems) = if p.is_file() {
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => return fail(format!("{}: cannot read: {e}", p.display())),
        };
        let dir = p.parent().unwrap_or(Path::new("."));
        (1, lint_text(p, &text, spec_version_near(dir)))
    } else if p.is_dir() && is_fields_dir(p) {
        lint_dirs(&[p.as_path()], spec_version_near(p))
    } else {
        let suite = match discover(p) {
            Ok(s) => s,
            Err(e) => return fail(e),
        };
        let mut files = 0;
        let mut all = Vec::new();
        for ds in &suite.datasets {
            let dirs = ds.existing_field_dirs();
            let version = ds
                .format_version
                .as_deref()
                .and_then(SpecVersion::parse)
                .unwrap_or(SpecVersion::LATEST);
            let (n, pr) = lint_dirs(&dirs, version);
            files += n;
            for x in pr {
                if !all.contains(&x) {
                    all.push(x);
                }
            }
        }
        (files, all)
    };
    match args.format {
        OutFormat::Json => {
            let list = problems
                .iter()
                .map(|x| {
                    let mut m = Map::default();
                    m.insert("file".into(), x.file.display().to_string().into());
                    m.insert(
                        "line".into(),
                        x.line
                            .map(|l| Value::from_i64(l as i64))
                            .unwrap_or(Value::Null),
                    );
                    m.insert("field".into(), x.field.as_str().into());
                    m.insert("message".into(), x.message.as_str().into());
                    Value::Map(m)
                })
                .collect();
            let mut top = Map::default();
            top.insert("files".into(), Value::from_i64(files as i64));
            top.insert("problems".into(), Value::List(list));
            emit(&(Value::Map(top).to_json_pretty(2) + "\n"));
        }
        OutFormat::Table => {
            let color = cli.color.for_stdout();
            let mut text = String::new();
            for x in &problems {
                text.push_str(&render_problem(x, color));
                text.push('\n');
            }
            text.push_str(&format!(
                "{} checked, {}\n",
                crate::harness::result::plural(files, "fields file", "fields files"),
                crate::harness::result::plural(problems.len(), "problem", "problems")
            ));
            emit(&text);
        }
    }
    u8::from(!problems.is_empty())
}

fn render_problem(x: &LintProblem, color: bool) -> String {
    if !color {
        return x.to_string();
    }
    let red = anstyle::Style::new().fg_color(Some(anstyle::AnsiColor::Red.into()));
    let text = x.to_string();
    match text.split_once(": ") {
        Some((place, rest)) => format!("{red}{place}{red:#}: {rest}"),
        None => text,
    }
}

/// A folder holding fields files directly (not a repository or package).
fn is_fields_dir(p: &Path) -> bool {
    if p.join("manifest.yml").is_file() || p.join("pipelines").is_dir() {
        return false;
    }
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "yml"))
        })
        .unwrap_or(false)
}

fn details(f: &FieldInfo) -> String {
    let mut d = Vec::new();
    if !f.external.is_empty() {
        d.push(format!("external: {}", f.external));
    }
    if !f.object_type.is_empty() {
        d.push(format!("object_type: {}", f.object_type));
    }
    if !f.value.is_empty() {
        d.push(format!("value: {}", f.value));
    }
    if !f.pattern.is_empty() {
        d.push(format!("pattern: {}", f.pattern));
    }
    if !f.normalize.is_empty() {
        d.push(format!("normalize: {}", f.normalize.join(",")));
    }
    if !f.expected_values.is_empty() {
        d.push(format!("expected: {}", f.expected_values.join(",")));
    }
    if !f.multi_fields.is_empty() {
        d.push(format!("multi_fields: {}", f.multi_fields.join(", ")));
    }
    d.join("; ")
}

fn info_value(f: &FieldInfo) -> Value {
    let strs = |v: &[String]| Value::List(v.iter().map(|s| Value::from(s.as_str())).collect());
    let mut m = Map::default();
    m.insert("name".into(), f.name.as_str().into());
    m.insert("type".into(), f.ty.as_str().into());
    for (k, v) in [
        ("object_type", &f.object_type),
        ("external", &f.external),
        ("pattern", &f.pattern),
        ("value", &f.value),
    ] {
        if !v.is_empty() {
            m.insert(k.into(), v.as_str().into());
        }
    }
    if !f.normalize.is_empty() {
        m.insert("normalize".into(), strs(&f.normalize));
    }
    if !f.expected_values.is_empty() {
        m.insert("expected_values".into(), strs(&f.expected_values));
    }
    if !f.multi_fields.is_empty() {
        m.insert("multi_fields".into(), strs(&f.multi_fields));
    }
    Value::Map(m)
}

fn selected(ds: &Dataset, want: Option<&str>) -> bool {
    match want {
        None => true,
        Some(w) => ds.name == w || ds.full_name() == w,
    }
}

fn show(args: &ShowArgs) -> u8 {
    let suite = match discover(&args.path) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let datasets: Vec<&Dataset> = suite
        .datasets
        .iter()
        .filter(|d| selected(d, args.dataset.as_deref()))
        .collect();
    if datasets.is_empty() {
        return fail(match &args.dataset {
            Some(d) => format!("no data stream named [{d}] under {}", args.path.display()),
            None => format!("no data stream found under {}", args.path.display()),
        });
    }
    let ecs_dir = args.ecs_dir.clone().or_else(default_ecs_dir);
    let mut json = Map::default();
    let mut text = String::new();
    for ds in datasets {
        let schema = match load_dataset_schema(ds, ecs_dir.as_deref()) {
            Ok(s) => s,
            Err(e) => return fail(format!("{}: field definitions: {e}", ds.full_name())),
        };
        let defs = schema.definitions();
        match args.format {
            OutFormat::Json => {
                json.insert(
                    ds.full_name(),
                    Value::List(defs.iter().map(info_value).collect()),
                );
            }
            OutFormat::Table => {
                let w = defs.iter().map(|f| f.name.len()).max().unwrap_or(4).max(4);
                let tw = defs.iter().map(|f| f.ty.len()).max().unwrap_or(4).max(4);
                text.push_str(&format!(
                    "{} ({} fields from {})\n",
                    ds.full_name(),
                    defs.len(),
                    schema
                        .files()
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                text.push_str(&format!("{:w$}  {:tw$}  DETAILS\n", "NAME", "TYPE"));
                for f in &defs {
                    let line = format!("{:w$}  {:tw$}  {}", f.name, f.ty, details(f));
                    text.push_str(line.trim_end());
                    text.push('\n');
                }
                text.push('\n');
            }
        }
    }
    match args.format {
        OutFormat::Json => emit(&(Value::Map(json).to_json_pretty(2) + "\n")),
        OutFormat::Table => emit(&(text.trim_end_matches('\n').to_string() + "\n")),
    }
    0
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth reporting.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
