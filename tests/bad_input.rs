//! Hostile pipelines and bad input (issue #6): every case runs the `pipette` binary and must end
//! with a clear error naming the file (exit 2), or fail that one document / test file (exit 1),
//! never with a panic, a hang, a stack overflow or an abort. Every run has a timeout.

mod common;

use assert_cmd::Command;
use common::copy_tree;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Generous: the debug binary on a shared 2-core machine; a hang still fails.
const TIMEOUT: Duration = Duration::from_secs(120);

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

fn pipette() -> Command {
    let mut c = common::pipette();
    c.env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .timeout(TIMEOUT);
    c
}

/// What a run produced.
struct Run {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(cmd: &mut Command) -> Run {
        let out = cmd.output().expect("spawn pipette");
        Run {
            code: out.status.code(),
            signal: out.status.signal(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn text(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Problems with this run against the expected exit code and substrings (empty: fine).
    fn problems(&self, code: i32, needles: &[&str]) -> Vec<String> {
        let mut p = Vec::new();
        if let Some(sig) = self.signal {
            p.push(format!(
                "killed by signal {sig} (crash, or the {TIMEOUT:?} timeout)"
            ));
        } else if self.code != Some(code) {
            p.push(format!("exit code {:?}, want {code}", self.code));
        }
        let text = self.text();
        for bad in [
            "panicked",
            "overflowed its stack",
            "RUST_BACKTRACE",
            "memory allocation",
        ] {
            if text.contains(bad) {
                p.push(format!("output mentions [{bad}]"));
            }
        }
        for n in needles {
            if !text.contains(n) {
                p.push(format!("output lacks [{n}]"));
            }
        }
        if !p.is_empty() {
            let cut = |s: &str| s.chars().take(1500).collect::<String>();
            p.push(format!(
                "stdout:\n{}\nstderr:\n{}",
                cut(&self.stdout),
                cut(&self.stderr)
            ));
        }
        p
    }

    fn expect(&self, code: i32, needles: &[&str]) {
        let p = self.problems(code, needles);
        assert!(p.is_empty(), "{}", p.join("\n"));
    }
}

/// A throw-away repository (`pipelines/web/default.yml`, one JSON input, its golden, fields)
/// that each case then breaks in one place.
struct Repo {
    _tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("repo");
        copy_tree(&fixtures().join("repo"), &root);
        Repo { _tmp: tmp, root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> &Repo {
        let p = self.path(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, contents).expect("write");
        self
    }

    fn remove(&self, rel: &str) -> &Repo {
        std::fs::remove_file(self.path(rel)).expect("rm");
        self
    }

    fn test(&self, extra: &[&str]) -> Run {
        Run::of(pipette().arg("test").args(extra).arg(&self.root))
    }
}

/// Writes each case's bytes to its file in a fresh repository and asserts that `pipette test`
/// exits 2 naming the problem: `common` and the case's own needle in the output. Reports every
/// case that does not.
fn each_file_fails<'a>(
    cases: impl IntoIterator<Item = (&'a str, &'a [u8], &'a str)>,
    common: &[&str],
) {
    let mut failures = Vec::new();
    for (file, bytes, needle) in cases {
        let repo = Repo::new();
        repo.write(file, bytes);
        let needles: Vec<&str> = common.iter().copied().chain([needle]).collect();
        let p = repo.test(&[]).problems(2, &needles);
        if !p.is_empty() {
            failures.push(format!(
                "{file} {:?}: {}",
                String::from_utf8_lossy(bytes),
                p.join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const INPUT: &str = "sample_events/web/test-a.json";
const GOLDEN: &str = "expected/web/test-a.json-expected.json";
const PIPELINE: &str = "pipelines/web/default.yml";
const CONFIG: &str = "sample_events/web/test-a.json-config.yml";
const FIELDS: &str = "fields/web/fields.yml";

/// Runs `pipette run <file> --compact` with the file alone in a fresh folder (siblings would be
/// loaded too), one document on stdin.
fn run_pipeline_file(src: &Path, stdin: &str) -> Run {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join(src.file_name().expect("name"));
    std::fs::copy(src, &file).expect("copy");
    Run::of(
        pipette()
            .args(["run", "--compact", "--now", "2024-05-06T07:08:09.123Z"])
            .arg(&file)
            .write_stdin(stdin),
    )
}

/// Runs `pipette run` on a pipeline given as text (written as `name`).
fn run_pipeline_text(name: &str, text: impl AsRef<[u8]>, stdin: &str) -> Run {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join(name);
    std::fs::write(&file, text).expect("write");
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(&file)
            .write_stdin(stdin),
    )
}

const DOC: &str = "{\"message\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\",\"tags\":[\"a\"]}\n";

/// The pipeline catalogue: tests/bad_input/pipelines/<file> → exit code and what the output
/// must say. Load errors (exit 2) name the file, and the line when the processor's is known;
/// run-time errors (exit 1) print Elasticsearch's error object.
const CATALOGUE: &[(&str, i32, &[&str])] = &[
    // Malformed YAML and JSON: the parser's line and column.
    (
        "yaml_unclosed_flow.yml",
        2,
        &["yaml_unclosed_flow.yml: did not find expected ',' or ']' at line 4 column 12"],
    ),
    (
        "yaml_bad_indent.yml",
        2,
        &["yaml_bad_indent.yml: did not find expected key at line 4 column 6"],
    ),
    (
        "yaml_tab.yml",
        2,
        &["yaml_tab.yml: found character that cannot start any token at line 2 column 1"],
    ),
    (
        "yaml_anchor_bomb.yml",
        2,
        &["yaml_anchor_bomb.yml: repetition limit exceeded"],
    ),
    (
        "yaml_unknown_anchor.yml",
        2,
        &["yaml_unknown_anchor.yml: unknown anchor at line 2 column 28"],
    ),
    (
        "json_trailing_comma.json",
        2,
        &["json_trailing_comma.json: trailing comma at line 1 column 53"],
    ),
    (
        "json_truncated.json",
        2,
        &["json_truncated.json: EOF while parsing a list at line 2 column 0"],
    ),
    (
        "json_not_json.json",
        2,
        &["json_not_json.json: expected value at line 1 column 1"],
    ),
    ("empty.yml", 2, &["empty.yml: empty document"]),
    (
        "only_comments.yml",
        2,
        &["only_comments.yml: pipeline [only_comments]: a pipeline must be an object, not null"],
    ),
    // Wrong shapes.
    (
        "top_list.yml",
        2,
        &[
            "top_list.yml: pipeline [top_list]: a pipeline must be an object, not java.util.ArrayList",
        ],
    ),
    (
        "top_scalar.yml",
        2,
        &["a pipeline must be an object, not java.lang.String"],
    ),
    (
        "processors_missing.yml",
        2,
        &[
            "processors_missing.yml: pipeline [processors_missing]: [processors] required property is missing",
        ],
    ),
    (
        "processors_not_list.yml",
        2,
        &["[processors] must be a list of processors, not java.util.HashMap"],
    ),
    (
        "processor_scalar.yml",
        2,
        &[
            "processor_scalar.yml:2: pipeline [processor_scalar], processors[0]",
            "a processor must be an object of one key (its type), not java.lang.String",
        ],
    ),
    (
        "processor_two_types.yml",
        2,
        &[
            "processor_two_types.yml:2:",
            "processors list contains nested objects but should be a list of single-entry objects",
        ],
    ),
    (
        "processor_options_scalar.yml",
        2,
        &[
            "processor_options_scalar.yml:2:",
            "the options of processor [set] must be an object, not java.lang.Integer",
        ],
    ),
    (
        "unknown_pipeline_option.yml",
        2,
        &[
            "unknown_pipeline_option.yml: pipeline [unknown_pipeline_option]: unknown pipeline option [frob]",
        ],
    ),
    // Unknown processors and options, missing required options, options of the wrong type.
    (
        "unknown_processor.yml",
        2,
        &[
            "unknown_processor.yml:3: pipeline [unknown_processor], processors[1] [frobnicate]: No processor type exists with name [frobnicate]",
        ],
    ),
    (
        "nested_unknown_processor.yml",
        2,
        &[
            "processors[0].on_failure[0] [frobnicate]: No processor type exists with name [frobnicate]",
        ],
    ),
    (
        "unknown_option.yml",
        2,
        &[
            "unknown_option.yml:2:",
            "processor [set] doesn't support one or more provided configuration parameters [frob]",
        ],
    ),
    (
        "missing_required.yml",
        2,
        &[
            "missing_required.yml:2:",
            "[set]: [field] required property is missing",
        ],
    ),
    (
        "kv_missing_split.yml",
        2,
        &["[kv]: [field_split] required property is missing"],
    ),
    (
        "wrong_type_string.yml",
        2,
        &["[field] property isn't a string, but of type [java.util.ArrayList]"],
    ),
    (
        "wrong_type_bool.yml",
        2,
        &["[ignore_failure] property isn't a boolean, but of type [java.lang.String]"],
    ),
    (
        "wrong_type_list.yml",
        2,
        &["[field] property isn't a list, but of type [java.util.HashMap]"],
    ),
    (
        "bad_enum.yml",
        2,
        &["[convert]: [type] type [frob] not supported, cannot convert field."],
    ),
    // Empty processor lists.
    (
        "empty_on_failure.yml",
        2,
        &["[on_failure] processors list cannot be empty"],
    ),
    (
        "empty_pipeline_on_failure.yml",
        2,
        &["pipeline [empty_pipeline_on_failure] cannot have an empty on_failure option defined"],
    ),
    (
        "foreach_without_processor.yml",
        2,
        &["[foreach]: [processor] required property is missing"],
    ),
    (
        "foreach_empty_processor.yml",
        2,
        &["[foreach]: [processor] Must specify exactly one processor type"],
    ),
    (
        "grok_empty_patterns.yml",
        2,
        &["[patterns] List of patterns must not be empty"],
    ),
    // Painless that does not compile, or reaches for what the sandbox does not have.
    (
        "painless_syntax.yml",
        2,
        &[
            "painless_syntax.yml:2:",
            "[source] compile error at line 1, column 9: unexpected token [;]",
        ],
    ),
    (
        "painless_unterminated_string.yml",
        2,
        &["[source] compile error at line 1, column 9: unterminated string literal"],
    ),
    (
        "painless_unknown_method.yml",
        1,
        &["dynamic method [java.lang.String, frobnicate/0] not found"],
    ),
    (
        "painless_unknown_class.yml",
        2,
        &["cannot resolve type [java]"],
    ),
    (
        "painless_process.yml",
        2,
        &["cannot resolve symbol [Runtime]"],
    ),
    (
        "painless_system_env.yml",
        2,
        &["cannot resolve symbol [System]"],
    ),
    (
        "painless_bad_lang.yml",
        2,
        &["script_lang not supported [python]"],
    ),
    (
        "painless_stored_script.yml",
        2,
        &["stored script [my-script] is not available offline"],
    ),
    (
        "painless_if_syntax.yml",
        2,
        &["[set]: [if] compile error at line 1, column 9"],
    ),
    // Patterns that do not compile.
    (
        "grok_unknown_pattern.yml",
        2,
        &["Unable to find pattern [NOPE] in Grok's pattern dictionary"],
    ),
    (
        "grok_bad_regex.yml",
        2,
        &["Invalid regex pattern found in: [(unclosed]"],
    ),
    (
        "grok_recursive_definition.yml",
        2,
        &["circular reference detected: A->B->A"],
    ),
    (
        "dissect_bad_pattern.yml",
        2,
        &["Unable to parse pattern: %{a"],
    ),
    (
        "dissect_no_keys.yml",
        2,
        &["Unable to parse pattern: no keys here"],
    ),
    (
        "gsub_bad_regex.yml",
        2,
        &["[gsub]: [pattern] Invalid regex pattern"],
    ),
    (
        "template_unclosed.yml",
        2,
        &["[value] unclosed tag in template [{{message]"],
    ),
    // Run-time failures: the document fails, the run goes on (exit 1).
    (
        "cycle_self.yml",
        1,
        &["Cycle detected for pipeline: cycle_self"],
    ),
    (
        "missing_sub_pipeline.yml",
        1,
        &["Pipeline processor configured for non-existent pipeline [nope]"],
    ),
    (
        "painless_divide_by_zero.yml",
        1,
        &["\"script_exception\"", "/ by zero"],
    ),
    (
        "painless_infinite_loop.yml",
        1,
        &["The maximum number of statements that can be executed in a loop has been reached."],
    ),
    (
        "painless_unbounded_recursion.yml",
        1,
        &["the script exceeded the maximum call depth"],
    ),
    (
        "painless_null_pointer.yml",
        1,
        &["cannot access method/field [length] from a null def reference"],
    ),
    (
        "painless_self_reference.yml",
        1,
        &["Failed to generate the source document for ingest pipeline [painless_self_reference]"],
    ),
    (
        "painless_if_runtime_error.yml",
        1,
        &["cannot access method/field [x] from a null def reference"],
    ),
    (
        "grok_catastrophic.yml",
        1,
        &["grok pattern matching was interrupted after [1000] ms"],
    ),
    (
        "date_bad_timezone.yml",
        1,
        &["Unknown time-zone ID: Mars/Olympus"],
    ),
    ("date_bad_locale.yml", 1, &["unable to parse date"]),
    (
        "yaml_duplicate_key.yml",
        2,
        &["mapping key \"processors\" already defined at line 1"],
    ),
];

/// Catalogue files whose right answer pipette does not give yet (each has its own ignored test).
const KNOWN_WRONG: &[&str] = &[];

#[test]
fn pipeline_catalogue() {
    let dir = fixtures().join("pipelines");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("catalogue")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut failures = Vec::new();
    for f in &files {
        if KNOWN_WRONG.contains(&f.as_str()) {
            continue;
        }
        let Some((_, code, needles)) = CATALOGUE.iter().find(|c| c.0 == f) else {
            failures.push(format!(
                "{f}: in tests/bad_input/pipelines but not in CATALOGUE"
            ));
            continue;
        };
        let run = run_pipeline_file(&dir.join(f), DOC);
        let p = run.problems(*code, needles);
        if !p.is_empty() {
            failures.push(format!("== {f}\n{}", p.join("\n")));
        }
    }
    for (f, _, _) in CATALOGUE {
        if !files.iter().any(|x| x == f) {
            failures.push(format!("{f}: in CATALOGUE but no such file"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn yaml_duplicate_keys_are_rejected() {
    run_pipeline_file(&fixtures().join("pipelines/yaml_duplicate_key.yml"), DOC)
        .expect(2, &["yaml_duplicate_key.yml", "already defined"]);
}

#[test]
fn date_unknown_locale_says_so() {
    run_pipeline_file(&fixtures().join("pipelines/date_bad_locale.yml"), DOC)
        .expect(1, &["Unknown language: xx"]);
}

#[test]
fn mutual_sub_pipeline_cycle() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("a.yml"),
        "processors:\n  - pipeline: {name: b}\n",
    )
    .expect("a");
    std::fs::write(
        tmp.path().join("b.yml"),
        "processors:\n  - pipeline: {name: a}\n",
    )
    .expect("b");
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(tmp.path().join("a.yml"))
            .write_stdin(DOC),
    )
    .expect(1, &["Cycle detected for pipeline: a"]);
}

#[test]
fn a_hundred_nested_sub_pipelines_hit_the_limit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    for i in 0..150 {
        std::fs::write(
            tmp.path().join(format!("p{i}.yml")),
            format!("processors:\n  - pipeline: {{name: p{}}}\n", i + 1),
        )
        .expect("write");
    }
    std::fs::write(tmp.path().join("p150.yml"), "processors: []\n").expect("write");
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(tmp.path().join("p0.yml"))
            .write_stdin(DOC),
    )
    .expect(1, &["Too many nested pipelines"]);
}

#[test]
fn a_broken_sibling_is_only_a_warning_for_run() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("main.yml"),
        "processors:\n  - set: {field: a, value: 1}\n",
    )
    .expect("main");
    std::fs::write(tmp.path().join("broken.yml"), "processors: [").expect("broken");
    std::fs::write(tmp.path().join("binary.json"), [0xff, 0xfe, 0x00, 0x01]).expect("binary");
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(tmp.path().join("main.yml"))
            .write_stdin("{}\n"),
    )
    .expect(
        0,
        &[
            "{\"a\":1}",
            "warning: skipping sibling pipeline",
            "broken.yml",
            "binary.json",
        ],
    );
}

// ---- Pipeline files that are not text, and deep nesting in definitions and Painless. ----

#[test]
fn binary_pipeline_file() {
    run_pipeline_text("bin.yml", [0x7f, b'E', b'L', b'F', 0xff, 0x00, 0x80], DOC)
        .expect(2, &["bin.yml: not valid UTF-8 (at byte 4)"]);
    run_pipeline_text("bin.json", [b'{', 0xc3, 0x28, b'}'], DOC)
        .expect(2, &["bin.json: not valid UTF-8 (at byte 1)"]);
}

#[test]
fn nul_bytes_in_a_pipeline_file() {
    run_pipeline_text(
        "nul.yml",
        "processors:\n  - set: {field: a, value: \"\0\"}\n\0",
        DOC,
    )
    .expect(2, &["nul.yml"]);
}

#[test]
fn ten_thousand_levels_of_json_and_yaml_in_a_pipeline() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    run_pipeline_text(
        "deep.json",
        format!("{{\"processors\":[{{\"set\":{{\"field\":\"a\",\"value\":{deep}}}}}]}}"),
        DOC,
    )
    .expect(2, &["deep.json: recursion limit exceeded at line 1"]);
    run_pipeline_text(
        "deep.yml",
        format!("processors:\n  - set: {{field: a, value: {deep}}}\n"),
        DOC,
    )
    .expect(2, &["deep.yml: recursion limit exceeded at line 2"]);
    // Block-style nesting.
    let mut y = String::from("processors:\n  - set:\n      field: a\n      value:\n");
    for i in 0..10_000 {
        y.push_str(&" ".repeat(8 + i));
        y.push_str("k:\n");
    }
    run_pipeline_text("deep_block.yml", y, DOC)
        .expect(2, &["deep_block.yml: recursion limit exceeded"]);
}

#[test]
fn ten_thousand_nested_on_failure_handlers() {
    let mut y = String::from("processors:\n");
    let mut indent = 2;
    for _ in 0..10_000 {
        y.push_str(&format!("{}- fail:\n", " ".repeat(indent)));
        y.push_str(&format!("{}    message: boom\n", " ".repeat(indent)));
        y.push_str(&format!("{}    on_failure:\n", " ".repeat(indent)));
        indent += 6;
    }
    y.push_str(&format!(
        "{}- set: {{field: a, value: 1}}\n",
        " ".repeat(indent)
    ));
    run_pipeline_text("deep_on_failure.yml", y, DOC)
        .expect(2, &["deep_on_failure.yml: recursion limit exceeded"]);
}

/// Runs Painless sources as `script` processors; returns the cases that crashed or hung.
fn painless_crashes(cases: &[(&str, String)]) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, src) in cases {
        let text = format!(
            "processors:\n  - script:\n      source: '{}'\n",
            src.replace('\'', "''")
        );
        let run = run_pipeline_text(&format!("deep_{name}.yml"), text, DOC);
        // Either a compile error (exit 2) or a run-time error / success; never a crash.
        let p = run.problems(run.code.unwrap_or(-1).clamp(0, 2), &[]);
        if run.signal.is_some() || !p.is_empty() {
            failures.push(format!("{name}: {}", p.join("\n")));
        }
    }
    failures
}

#[test]
fn ten_thousand_levels_of_painless() {
    let failures = painless_crashes(&[
        (
            "parens",
            format!("ctx.a = {}1{};", "(".repeat(10_000), ")".repeat(10_000)),
        ),
        (
            "blocks",
            format!("{}{}", "{".repeat(10_000), "}".repeat(10_000)),
        ),
        ("not", format!("ctx.a = {}true;", "!".repeat(10_000))),
        ("minus", format!("ctx.a = {}1;", "- ".repeat(10_000))),
        (
            "lists",
            format!("ctx.a = {}{};", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        (
            "maps",
            format!("ctx.a = {}{};", "[1:".repeat(10_000), "]".repeat(10_000)),
        ),
        ("ifs", format!("{}ctx.a = 1;", "if (true) ".repeat(10_000))),
        ("casts", format!("ctx.a = {}1;", "(int) ".repeat(10_000))),
        ("lambdas", format!("ctx.a = {}1;", "() -> ".repeat(10_000))),
        ("sum_of_300", format!("ctx.a = 1{};", " + 1".repeat(300))),
    ]);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn long_painless_chains() {
    let failures = painless_crashes(&[
        ("sum_of_1000", format!("ctx.a = 1{};", " + 1".repeat(1_000))),
        (
            "concat_of_1000",
            format!("ctx.a = ''{};", " + ctx.message".repeat(1_000)),
        ),
        (
            "and_chain",
            format!("ctx.a = true{};", " && true".repeat(10_000)),
        ),
        (
            "calls",
            format!("ctx.a = 'x'{};", ".toString()".repeat(10_000)),
        ),
        (
            "index",
            format!("def x = [1]; ctx.a = x{};", "[0]".repeat(10_000)),
        ),
        (
            "ternary",
            format!("ctx.a = {}1;", "true ? 1 : ".repeat(10_000)),
        ),
        (
            "assign_chain",
            format!("def a; {}1; ctx.a = a;", "a = ".repeat(10_000)),
        ),
    ]);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn painless_sum_of_300_under_pipette_test() {
    let repo = Repo::new();
    let pipeline = format!(
        "processors:\n  - set: {{field: a, value: 1}}\n  - script: {{source: \"ctx.b = 1{};\"}}\n  - remove: {{field: b}}\n",
        " + 1".repeat(300)
    );
    repo.write(PIPELINE, &pipeline);
    repo.write("pipelines/other/default.yml", &pipeline);
    repo.write(
        "sample_events/other/test-a.json",
        "{\"events\": [{\"message\": \"x\"}]}\n",
    );
    repo.write(
        "expected/other/test-a.json-expected.json",
        std::fs::read(repo.path(GOLDEN)).expect("golden"),
    );
    repo.write(
        "fields/other/fields.yml",
        std::fs::read(repo.path(FIELDS)).expect("fields"),
    );
    repo.test(&[]).expect(0, &["2 passed"]);
}

#[test]
fn a_long_painless_program_is_fine() {
    // 5,900 statements one after the other (64,900 bytes): long, not deep.
    let src = "ctx.n = 1; ".repeat(5_900);
    run_pipeline_text(
        "long.yml",
        format!("processors:\n  - script:\n      source: '{src}'\n"),
        DOC,
    )
    .expect(0, &["\"n\":1"]);
}

#[test]
fn painless_over_64_kib_is_refused_like_elasticsearch() {
    // ScriptService refuses inline scripts over `script.max_size_in_bytes` (65,535).
    let src = "ctx.n = 1; ".repeat(20_000);
    run_pipeline_text(
        "too_long.yml",
        format!("processors:\n  - script:\n      source: '{src}'\n"),
        DOC,
    )
    .expect(
        2,
        &[
            "too_long.yml",
            "exceeded max allowed inline script size in bytes [65535] with size [220000] for script [ctx.n = 1; ctx.n = 1;",
        ],
    );
}

#[test]
fn painless_chains_past_1000_levels_are_compile_errors() {
    // Within 64 KiB, chains can still be 30,000 levels deep: the parser stops at 1,000,
    // before the tree is built (or evaluated, or dropped).
    for (name, src) in [
        ("sum", format!("ctx.a = 1{};", "+1".repeat(30_000))),
        (
            "index",
            format!("def x = [1]; ctx.a = x{};", "[0]".repeat(20_000)),
        ),
        ("field", format!("ctx.a = ctx{};", ".b".repeat(30_000))),
        ("assign", format!("def a; {}1;", "a=".repeat(30_000))),
        ("ternary", format!("ctx.a = {}1;", "true?1:".repeat(9_000))),
    ] {
        run_pipeline_text(
            &format!("chain_{name}.yml"),
            format!("processors:\n  - script:\n      source: '{src}'\n"),
            DOC,
        )
        .expect(
            2,
            &[
                &format!("chain_{name}.yml"),
                "expression is nested too deeply (more than 1000 levels)",
            ],
        );
    }
}

#[test]
fn painless_chains_near_the_limit_run() {
    run_pipeline_text(
        "chain_991.yml",
        format!(
            "processors:\n  - script:\n      source: 'ctx.a = 1{};'\n",
            " + 1".repeat(990)
        ),
        DOC,
    )
    .expect(0, &["\"a\":991"]);
}

// ---- Painless that builds deep or huge values at run time. ----

#[test]
fn painless_building_a_deep_list_at_run_time() {
    run_pipeline_text(
        "deep_runtime.yml",
        "processors:\n  - script: {source: \"def a = []; for (int i = 0; i < 100000; i++) { a = [a]; } ctx.n = 1;\"}\n",
        DOC,
    )
    .expect(0, &["\"n\":1"]);
}

#[test]
fn painless_building_a_deep_ctx_at_run_time() {
    run_pipeline_text(
        "deep_ctx.yml",
        "processors:\n  - script: {source: \"def a = ctx; for (int i = 0; i < 100000; i++) { a.x = [:]; a = a.x; }\"}\n",
        DOC,
    )
    .expect(1, &["\"error\""]);
}

/// Runs `pipette run` under a 3 GB address-space limit, so a memory bomb fails fast instead of
/// eating the machine.
fn run_limited(name: &str, text: &str) -> Run {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join(name);
    std::fs::write(&file, text).expect("write");
    let bin = assert_cmd::cargo::cargo_bin("pipette");
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("ulimit -v 3000000; exec \"$0\" run --compact \"$1\"")
        .arg(bin)
        .arg(&file)
        .env("RUST_BACKTRACE", "0")
        .timeout(TIMEOUT)
        .write_stdin(DOC);
    Run::of(&mut c)
}

/// What a script over the memory budget fails with (src/painless/budget.rs).
const OUT_OF_MEMORY: &[&str] = &[
    "\"error\"",
    "\"script_exception\"",
    "\"out_of_memory_error\"",
    "Java heap space (pipette: ",
];

#[test]
fn painless_string_doubling() {
    run_limited(
        "bomb_string.yml",
        "processors:\n  - script: {source: \"String s = 'x'; for (int i = 0; i < 64; i++) { s = s + s; } ctx.n = s.length();\"}\n",
    )
    .expect(1, OUT_OF_MEMORY);
}

#[test]
fn painless_list_doubling() {
    run_limited(
        "bomb_list.yml",
        "processors:\n  - script: {source: \"def l = [1]; for (int i = 0; i < 64; i++) { l.addAll(l); } ctx.n = l.size();\"}\n",
    )
    .expect(1, OUT_OF_MEMORY);
}

#[test]
fn painless_huge_repeat() {
    run_limited(
        "bomb_repeat.yml",
        "processors:\n  - script: {source: \"ctx.n = 'x'.repeat(2000000000).length();\"}\n",
    )
    .expect(1, OUT_OF_MEMORY);
}

#[test]
fn painless_memory_bombs() {
    // One document each; every one fails alone, the process lives on.
    let bombs = [
        "StringBuilder b = new StringBuilder('x'); for (int i = 0; i < 64; i++) { b.append(b); }",
        "ctx.n = Collections.nCopies(2000000000, 1).size();",
        "String[] a = new String[2000000000];",
        "long[][] a = new long[100000][100000];",
        "ctx.n = String.format('%2000000000d', [1]);",
        "def s = ctx.message; for (int i = 0; i < 40; i++) { s = String.join(s, [s, s, s]); }",
        "def s = ctx.message; for (int i = 0; i < 40; i++) { s = [s, s, s, s].stream().collect(Collectors.joining(s)); }",
        "def l = new ArrayList(Collections.nCopies(1000000, 1)); for (int i = 0; i < 40; i++) { l = new ArrayList(l); l.addAll(l); }",
        "String s = 'x'.repeat(8000000); String t; for (int i = 0; i < 1000; i++) { t = s + i; }",
    ];
    let mut failures = Vec::new();
    for (i, src) in bombs.iter().enumerate() {
        let run = run_limited(
            &format!("bomb_{i}.yml"),
            &format!("processors:\n  - script: {{source: \"{src}\"}}\n"),
        );
        let p = run.problems(1, OUT_OF_MEMORY);
        if !p.is_empty() {
            failures.push(format!("{src}: {}", p.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_memory_bomb_fails_only_its_own_document() {
    // The budget starts afresh for every execution: the next document runs normally.
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("bomb_then_fine.yml");
    std::fs::write(
        &file,
        "processors:\n  - script: {source: \"if (ctx.bomb == true) { ctx.n = 'x'.repeat(2000000000); } else { ctx.n = 'x'.repeat(1000000).length(); }\"}\n",
    )
    .expect("write");
    let run = Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(&file)
            .write_stdin("{\"bomb\":true}\n{\"bomb\":false}\n{\"bomb\":false}\n"),
    );
    run.expect(1, &["out_of_memory_error", "\"n\":1000000"]);
    assert_eq!(
        run.stdout.matches("\"n\":1000000").count(),
        2,
        "{}",
        run.stdout
    );
}

// ---- Painless regular expressions: Elasticsearch's regex limit factor. ----

#[test]
fn painless_catastrophic_regex_hits_the_limit_factor() {
    // `(a*)*\1b` backtracks exponentially on 64 `a`s and a `!`; Elasticsearch's
    // LimitedCharSequence stops it at 6 x 65 chars read.
    run_pipeline_text(
        "regex_limit.yml",
        "processors:\n  - script: {source: \"ctx.hit = ctx.message =~ /(a*)*\\\\1b/;\"}\n",
        DOC,
    )
    .expect(
        1,
        &[
            "\"circuit_breaking_exception\"",
            "[scripting] Regular expression considered too many characters, pattern: [(a*)*\\\\1b], limit factor: [6], char limit: [390], count: [391], wrapped: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...], this limit can be changed by changed by the [script.painless.regex.limit-factor] setting",
        ],
    );
}

#[test]
fn painless_regex_limit_is_caught_by_catch_exception() {
    // CircuitBreakingException is a RuntimeException: a script can catch it.
    run_pipeline_text(
        "regex_limit_caught.yml",
        "processors:\n  - script: {source: \"try { ctx.hit = ctx.message =~ /(a*)*\\\\1b/; } catch (Exception e) { ctx.caught = true; }\"}\n",
        DOC,
    )
    .expect(0, &["\"caught\":true"]);
}

// ---- Deep documents built by processors and test configs. ----

fn dotted(n: usize) -> String {
    vec!["a"; n].join(".")
}

#[test]
fn set_with_a_100000_segment_field() {
    run_pipeline_text(
        "deep_set.yml",
        format!(
            "processors:\n  - set: {{field: \"{}\", value: 1}}\n",
            dotted(100_000)
        ),
        DOC,
    )
    .expect(0, &["{\"a\":{\"a\":"]);
}

#[test]
fn dot_expander_on_a_100000_segment_key() {
    let repo = Repo::new();
    repo.write(PIPELINE, "processors:\n  - dot_expander: {field: \"*\"}\n")
        .write(
            INPUT,
            format!("{{\"events\":[{{\"{}\":1}}]}}", dotted(100_000)),
        );
    let run = repo.test(&[]);
    run.expect(run.code.unwrap_or(-1).clamp(1, 2), &["test-a.json"]);
}

#[test]
fn config_field_with_a_100000_segment_key() {
    let repo = Repo::new();
    repo.write(
        CONFIG,
        format!("fields:\n  ? \"{}\"\n  : 1\n", vec!["b"; 100_000].join(".")),
    );
    let run = repo.test(&[]);
    run.expect(run.code.unwrap_or(-1).clamp(1, 2), &["test-a.json"]);
}

#[test]
fn a_2000_segment_field_is_fine() {
    run_pipeline_text(
        "deepish.yml",
        format!(
            "processors:\n  - set: {{field: \"{}\", value: 1}}\n",
            dotted(2_000)
        ),
        DOC,
    )
    .expect(0, &["{\"a\":{\"a\":"]);
}

// ---- Test inputs. ----

#[test]
fn the_base_repository_passes() {
    Repo::new().test(&[]).expect(0, &["1 passed"]);
}

#[test]
fn malformed_json_inputs() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"",
            "invalid JSON: EOF while parsing a value at line 1 column 0",
        ),
        (
            b"{\"events\": [{\"message\": \"x\"},]}",
            "invalid JSON: trailing comma at line 1 column 30",
        ),
        (
            b"{\"events\": [{\"message\": \"x\"}",
            "invalid JSON: EOF while parsing a list at line 1 column 28",
        ),
        (
            b"{\"events\": 5}",
            "\"events\" must be a list, found a number",
        ),
        (
            b"{\"events\": [1]}",
            "event 0 must be an object, found a number",
        ),
        (
            b"[{\"message\": \"x\"}]",
            "expected an object with an \"events\" list, found a list",
        ),
        (
            b"{\"message\":\"x\"}\n{\"message\":\"y\"}\n",
            "invalid JSON: trailing characters at line 2 column 1",
        ),
        (b"\xff\xfe{\"events\": []}", "not valid UTF-8"),
        (b"\x00\x01\x02\x03", "invalid JSON"),
        (
            b"{\"events\": [{\"message\": \"\\ud800\"}]}",
            "invalid JSON: unexpected end of hex escape",
        ),
        (
            b"{\"events\": [{\"n\": 1e999999}]}",
            "invalid JSON: number out of range",
        ),
    ];
    each_file_fails(
        cases.iter().map(|(bytes, needle)| (INPUT, *bytes, *needle)),
        &["ERROR", "sample_events/web/test-a.json: "],
    );
}

#[test]
fn ten_thousand_levels_of_json_in_an_input() {
    let repo = Repo::new();
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    repo.write(INPUT, format!("{{\"events\":[{{\"message\":{deep}}}]}}"));
    repo.test(&[]).expect(
        2,
        &["sample_events/web/test-a.json: invalid JSON: recursion limit exceeded at line 1"],
    );
    let deep = format!("{}1{}", "{\"a\":".repeat(10_000), "}".repeat(10_000));
    repo.write(INPUT, format!("{{\"events\":[{deep}]}}"));
    repo.test(&[]).expect(2, &["recursion limit exceeded"]);
}

#[test]
fn unsupported_input_extensions() {
    let repo = Repo::new();
    repo.write("sample_events/web/test-c.txt", "hello\n");
    repo.test(&[]).expect(
        2,
        &["sample_events/web/test-c.txt: unsupported extension for test case file (ext: .txt)"],
    );
}

#[test]
fn input_without_extension_matches_elastic_package() {
    let repo = Repo::new();
    repo.write("sample_events/web/README", "hello\n");
    repo.test(&[])
        .expect(2, &["unsupported extension for test case file (ext: )"]);
}

#[test]
fn log_inputs_with_binary_and_invalid_utf8() {
    let repo = Repo::new();
    repo.remove(INPUT).remove(GOLDEN);
    let mut bytes: Vec<u8> = (0u8..=255).collect();
    bytes.extend_from_slice(b"\nline two \xc3\x28 \xf0\x9f\x98\n\r\n\n");
    repo.write("sample_events/web/test-b.log", &bytes);
    repo.test(&["--generate"])
        .expect(0, &["test-b.log", "[generated]"]);
    let golden = std::fs::read_to_string(repo.path("expected/web/test-b.log-expected.json"))
        .expect("golden");
    let v: serde_json::Value = serde_json::from_str(&golden).expect("golden is JSON");
    assert_eq!(v["expected"].as_array().map(Vec::len), Some(5), "{golden}");
    // Compares equal with itself afterwards.
    let again = repo.test(&[]);
    assert_ne!(again.code, Some(2), "{}", again.text());
}

#[test]
fn empty_inputs() {
    let repo = Repo::new();
    repo.write(INPUT, "{\"events\": []}");
    repo.write("sample_events/web/test-e.log", "");
    repo.test(&["--generate"])
        .expect(0, &["test-e.log", "0/0 documents"]);
    assert_eq!(
        std::fs::read_to_string(repo.path("expected/web/test-e.log-expected.json"))
            .expect("golden"),
        "{\n    \"expected\": null\n}\n"
    );
}

#[test]
fn huge_log_line_and_many_events() {
    let repo = Repo::new();
    repo.remove(INPUT).remove(GOLDEN);
    let mut big = "x".repeat(20_000_000);
    big.push('\n');
    repo.write("sample_events/web/test-big.log", big);
    let mut many = String::from("{\"events\":[");
    for i in 0..100_000 {
        if i > 0 {
            many.push(',');
        }
        many.push_str(&format!("{{\"message\":\"m{i}\"}}"));
    }
    many.push_str("]}");
    repo.write("sample_events/web/test-many.json", many);
    let start = Instant::now();
    repo.test(&["--generate"])
        .expect(0, &["test-big.log", "test-many.json", "100000/100000"]);
    assert!(start.elapsed() < TIMEOUT);
    repo.test(&[]).expect(0, &["2 passed"]);
}

#[test]
fn huge_string_through_every_kind_of_processor() {
    // A 5 MB message through processors that scan it (grok, dissect, kv, gsub, split, json,
    // script, user_agent, uri_parts, urldecode, html_strip).
    let repo = Repo::new();
    repo.write(
        PIPELINE,
        r#"processors:
  - set: {field: copy, copy_from: message}
  - grok: {field: message, patterns: ["%{WORD:w} %{GREEDYDATA:rest}"], ignore_failure: true}
  - dissect: {field: message, pattern: "%{a} %{b}", ignore_failure: true}
  - kv: {field: message, field_split: " ", value_split: "=", target_field: kv, ignore_failure: true}
  - gsub: {field: copy, pattern: "a+b", replacement: "-"}
  - split: {field: copy, separator: ",", target_field: parts}
  - json: {field: message, target_field: j, ignore_failure: true}
  - script: {source: "ctx.len = ctx.message.length(); ctx.m = /a+b/.matcher(ctx.message).find();"}
  - user_agent: {field: message, ignore_failure: true}
  - uri_parts: {field: message, ignore_failure: true}
  - urldecode: {field: message, target_field: dec, ignore_failure: true}
  - html_strip: {field: message, target_field: stripped}
  - remove: {field: [copy, parts, kv, j, dec, stripped, user_agent, url, w, rest, a, b]  , ignore_missing: true}
"#,
    );
    let msg = "a=b ".repeat(1_250_000);
    repo.write(INPUT, format!("{{\"events\":[{{\"message\":\"{msg}\"}}]}}"));
    let run = repo.test(&["--generate"]);
    run.expect(run.code.unwrap_or(-1).clamp(0, 1), &["test-a.json"]);
}

// ---- Test configs, goldens, fields files. ----

#[test]
fn malformed_test_configs() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            CONFIG,
            b"fields: [a\n",
            "test-a.json-config.yml: invalid YAML: did not find expected ',' or ']' at line 2 column 1",
        ),
        (
            "sample_events/web/test-common-config.yml",
            b"- 1\n",
            "test-common-config.yml: a test config must be an object, not java.util.ArrayList",
        ),
        (
            CONFIG,
            b"fields: 3\n",
            "test-a.json-config.yml: [fields] must be an object, not java.lang.Integer",
        ),
        (
            CONFIG,
            b"dynamic_fields:\n  a: \"([\"\n",
            "test-a.json-config.yml: [dynamic_fields.a] invalid pattern [([]",
        ),
        (
            CONFIG,
            b"dynamic_fields: [a]\n",
            "[dynamic_fields] must be an object",
        ),
        (
            CONFIG,
            b"multiline:\n  first_line_pattern: \"([\"\n",
            "[multiline.first_line_pattern] invalid pattern",
        ),
        (
            CONFIG,
            b"numeric_keyword_fields: 7\n",
            "test-a.json-config.yml",
        ),
        (CONFIG, b"skip: yes\n", "test-a.json-config.yml"),
        (CONFIG, b"\xff\xfe\x00", "test-a.json-config.yml"),
        (
            CONFIG,
            b"fields:\n  message.inner: 1\n",
            "can't set custom field [message.inner]",
        ),
    ];
    each_file_fails(cases.iter().copied(), &["ERROR"]);
}

#[test]
fn golden_files_of_the_wrong_shape() {
    let cases: &[(&[u8], &str)] = &[
        (
            b"",
            "invalid JSON: EOF while parsing a value at line 1 column 0",
        ),
        (
            b"{\"expected\": [{\"a\":1",
            "invalid JSON: EOF while parsing an object at line 1 column 20",
        ),
        (
            b"{\"expected\": {\"a\": 1}}",
            "\"expected\" must be a list, found an object",
        ),
        (
            b"[{\"a\": 1}]",
            "expected an object with an \"expected\" list, found a list",
        ),
        (
            b"{\"expected\": [3]}",
            "expected document 0 must be an object or null, found a number",
        ),
        (
            b"{\"expected\": \"x\"}",
            "\"expected\" must be a list, found a string",
        ),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not valid UTF-8"),
        (
            b"null",
            "expected an object with an \"expected\" list, found null",
        ),
    ];
    each_file_fails(
        cases
            .iter()
            .map(|(bytes, needle)| (GOLDEN, *bytes, *needle)),
        &["expected/web/test-a.json-expected.json: "],
    );
}

#[test]
fn golden_with_fewer_or_more_documents_fails_the_test_only() {
    let repo = Repo::new();
    repo.write(GOLDEN, "{\"expected\": []}");
    repo.test(&[]).expect(1, &["expected 0 documents, got 1"]);
    repo.write(
        GOLDEN,
        "{\"expected\": [{\"a\": 1, \"message\": \"x\"}, {\"a\": 2}]}",
    );
    repo.test(&[]).expect(1, &["document missing from output"]);
}

#[test]
fn malformed_fields_files() {
    let cases: &[(&[u8], &str)] = &[
        (b"- name: [a\n", "fields/web/fields.yml"),
        (b"name: 3\n", "fields/web/fields.yml"),
        (b"\xff\xfe\x00\x01garbage", "fields/web/fields.yml"),
        (b"- name: a\n  type: [keyword]\n", "fields/web/fields.yml"),
        (
            b"- name: a\n  type: group\n  fields: 7\n",
            "fields/web/fields.yml",
        ),
    ];
    each_file_fails(
        cases
            .iter()
            .map(|(bytes, needle)| (FIELDS, *bytes, *needle)),
        &["field definitions"],
    );
}

#[test]
fn deeply_nested_field_groups() {
    let repo = Repo::new();
    let mut y = String::new();
    for i in 0..2_000 {
        let pad = " ".repeat(i * 4);
        y.push_str(&format!(
            "{pad}- name: g{i}\n{pad}  type: group\n{pad}  fields:\n"
        ));
    }
    y.push_str(&format!("{}- name: leaf\n", " ".repeat(2_000 * 4)));
    repo.write(FIELDS, y);
    repo.test(&[]).expect(2, &["fields/web/fields.yml"]);
}

// ---- Empty, unreadable and special files; symlink loops. ----

fn running_as_root_can_read(p: &Path) -> bool {
    std::fs::read(p).is_ok()
}

#[test]
fn unreadable_files_are_named() {
    use std::os::unix::fs::PermissionsExt;
    for rel in [PIPELINE, INPUT, GOLDEN, FIELDS, CONFIG] {
        let repo = Repo::new();
        if rel == CONFIG {
            repo.write(CONFIG, "fields: {}\n");
        }
        let p = repo.path(rel);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).expect("chmod");
        if running_as_root_can_read(&p) {
            eprintln!(
                "skipping unreadable_files_are_named: running as root, chmod 000 does not stop reads"
            );
            return;
        }
        let needle = rel.rsplit('/').next().unwrap_or(rel);
        repo.test(&[]).expect(2, &[needle, "ermission denied"]);
    }
}

#[test]
fn empty_files() {
    for (rel, needle) in [
        (PIPELINE, "default.yml: empty document"),
        (CONFIG, "PASS"),
        (FIELDS, "PASS"),
    ] {
        let repo = Repo::new();
        repo.write(rel, "");
        let code = if needle == "PASS" { 0 } else { 2 };
        let run = repo.test(&[]);
        // An empty fields file defines nothing: the fields used become undefined (exit 1).
        let code = if rel == FIELDS { 1 } else { code };
        run.expect(code, &[if rel == FIELDS { "undefined" } else { needle }]);
    }
}

#[test]
fn symlink_loops_and_special_files_in_the_tree() {
    use std::os::unix::fs::symlink;
    let repo = Repo::new();
    // A self loop, a loop between two links, links to parent folders, a dangling link, a FIFO.
    symlink("loop.yml", repo.path("pipelines/web/loop.yml")).expect("symlink");
    symlink("b.yml", repo.path("pipelines/web/a.yml")).expect("symlink");
    symlink("a.yml", repo.path("pipelines/web/b.yml")).expect("symlink");
    symlink("..", repo.path("pipelines/web/up")).expect("symlink");
    symlink(".", repo.path("fields/web/self")).expect("symlink");
    symlink("../..", repo.path("sample_events/web/root")).expect("symlink");
    symlink(
        "/nonexistent/x.json",
        repo.path("expected/web/dangling.json"),
    )
    .expect("symlink");
    symlink("../web", repo.path("fields/web/again.yml")).expect("symlink");
    let fifo = repo.path("pipelines/web/fifo.yml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let run = repo.test(&[]);
    run.expect(0, &["1 passed"]);
    if made.is_ok_and(|s| s.success()) {
        assert!(fifo.exists());
    }
}

#[test]
fn looping_symlink_input_is_reported() {
    use std::os::unix::fs::symlink;
    let repo = Repo::new();
    symlink("test-l.log", repo.path("sample_events/web/test-l.log")).expect("symlink");
    repo.test(&[]).expect(2, &["test-l.log"]);
}

#[test]
fn symlink_loops_in_a_package_folder() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("packages");
    copy_tree(&fixtures().join("packages"), &root);
    let ds = root.join("kit/data_stream/events");
    symlink("..", ds.join("up")).expect("symlink");
    symlink("../..", root.join("kit/data_stream/loop")).expect("symlink");
    symlink(".", root.join("self")).expect("symlink");
    symlink("x.yml", ds.join("elasticsearch/ingest_pipeline/x.yml")).expect("symlink");
    symlink("..", ds.join("fields/up")).expect("symlink");
    symlink("test-l.log", ds.join("_dev/test/pipeline/.hidden-loop")).expect("symlink");
    Run::of(pipette().arg("test").arg(&root)).expect(0, &["PASS  kit/events test-events.log"]);
    Run::of(pipette().arg("test").arg(root.join("kit"))).expect(0, &["1 passed"]);
    Run::of(pipette().arg("test").arg(&ds)).expect(0, &["1 passed"]);
}

#[test]
fn broken_package_manifests() {
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "kit/manifest.yml",
            b"name: [\n",
            "kit/manifest.yml: invalid YAML",
        ),
        (
            "kit/manifest.yml",
            b"\xff\xfe",
            "kit/manifest.yml: not valid UTF-8",
        ),
        (
            "kit/data_stream/events/manifest.yml",
            b"title: [\n",
            "events/manifest.yml: invalid YAML",
        ),
    ];
    let mut failures = Vec::new();
    for (rel, bytes, needle) in cases {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("packages");
        copy_tree(&fixtures().join("packages"), &root);
        std::fs::write(root.join(rel), bytes).expect("write");
        let p = Run::of(pipette().arg("test").arg(&root)).problems(2, &[needle]);
        if !p.is_empty() {
            failures.push(format!("{rel}: {}", p.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

// ---- `pipette run` inputs. ----

#[test]
fn run_with_bad_stdin_and_inputs() {
    let pipeline = fixtures().join("repo/pipelines/web/default.yml");
    // Garbage lines become messages; invalid NDJSON lines are errors naming the line.
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(&pipeline)
            .write_stdin(b"\xff\xfe\x00binary\n".to_vec()),
    )
    .expect(0, &["\"a\":1"]);
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(&pipeline)
            .write_stdin("{\"message\":\"x\"}\n{\"broken\n[1,2]\n"),
    )
    .expect(
        2,
        &[
            "<stdin>: line 2",
            "<stdin>: line 3: expected a JSON object, found a list",
        ],
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let deep = tmp.path().join("deep.json");
    std::fs::write(
        &deep,
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
    )
    .expect("w");
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(&pipeline)
            .arg(&deep),
    )
    .expect(2, &["deep.json", "recursion limit exceeded"]);
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(&pipeline)
            .arg(tmp.path().join("missing.json")),
    )
    .expect(2, &["missing.json: cannot read"]);
    Run::of(
        pipette()
            .args(["run", "--compact"])
            .arg(&pipeline)
            .arg(tmp.path()),
    )
    .expect(2, &[&tmp.path().display().to_string()]);
    Run::of(pipette().args(["run"]).arg(tmp.path().join("nope.yml"))).expect(2, &["nope.yml"]);
}

#[test]
fn run_stops_quietly_on_a_closed_pipe() {
    // `pipette run ... | head -1`: exit 0, no "Broken pipe" panic.
    let pipeline = fixtures().join("repo/pipelines/web/default.yml");
    let bin = assert_cmd::cargo::cargo_bin("pipette");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("yes '{\"message\":\"x\"}' | head -n 200000 | \"$0\" run --compact \"$1\" | head -n 1; echo \"rc=${PIPESTATUS:-}\"")
        .arg(bin)
        .arg(&pipeline)
        .output()
        .expect("sh");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"a\":1"));
}

// ---- Golden-file safety for `pipette test --generate`. ----

/// Every file under `root` with its contents, except the goldens folder.
fn snapshot(root: &Path, skip: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && !e.path().starts_with(skip))
        .map(|e| {
            (
                e.path().to_path_buf(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect();
    v.sort();
    v
}

fn stray_temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".pipette-") || n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// A repository with `n` big inputs whose goldens exist (stale: "old"), plus the files a
/// golden run must not touch.
fn big_generate_repo(n: usize, events: usize) -> Repo {
    let repo = Repo::new();
    repo.remove(INPUT).remove(GOLDEN);
    for f in 0..n {
        let mut s = String::from("{\"events\":[");
        for i in 0..events {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!(
                "{{\"message\":\"file {f} event {i} {}\"}}",
                "x".repeat(50)
            ));
        }
        s.push_str("]}");
        repo.write(&format!("sample_events/web/test-{f:02}.json"), s);
        repo.write(
            &format!("expected/web/test-{f:02}.json-expected.json"),
            "{\n    \"expected\": [\n        \"old\"\n    ]\n}\n",
        );
    }
    repo.write("expected/web/notes.txt", "mine\n");
    repo.write(
        "expected/web/test-gone.json-expected.json",
        "{\"expected\": [\"orphan\"]}\n",
    );
    repo.write("expected/web/.hidden", "hidden\n");
    repo
}

#[test]
fn generate_touches_only_the_goldens_of_the_inputs_run() {
    let repo = big_generate_repo(2, 10);
    let outside = repo.root.parent().expect("parent").join("outside.json");
    std::fs::write(&outside, "outside\n").expect("outside");
    // A golden that is a symlink to a file outside the tree: replaced, never written through.
    std::fs::remove_file(repo.path("expected/web/test-01.json-expected.json")).expect("rm");
    std::os::unix::fs::symlink(
        &outside,
        repo.path("expected/web/test-01.json-expected.json"),
    )
    .expect("symlink");
    let expected_dir = repo.path("expected");
    let before = snapshot(&repo.root, &expected_dir);
    repo.test(&["--generate"]).expect(0, &["[generated]"]);
    assert_eq!(
        snapshot(&repo.root, &expected_dir),
        before,
        "files outside expected/ changed"
    );
    assert_eq!(
        std::fs::read_to_string(&outside).expect("outside"),
        "outside\n"
    );
    let dir = repo.path("expected/web");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).expect("notes"),
        "mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("test-gone.json-expected.json")).expect("orphan"),
        "{\"expected\": [\"orphan\"]}\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".hidden")).expect("hidden"),
        "hidden\n"
    );
    assert!(
        stray_temp_files(&dir).is_empty(),
        "{:?}",
        stray_temp_files(&dir)
    );
    let mut names: Vec<String> = std::fs::read_dir(repo.root.parent().expect("p"))
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["outside.json", "repo"],
        "wrote beside the repository"
    );
}

#[test]
fn generate_keeps_goldens_when_documents_fail_or_inputs_are_broken() {
    let repo = Repo::new();
    let old = std::fs::read_to_string(repo.path(GOLDEN)).expect("golden");
    repo.write(PIPELINE, "processors:\n  - fail: {message: boom}\n");
    repo.test(&["--generate"])
        .expect(1, &["golden file not written"]);
    assert_eq!(
        std::fs::read_to_string(repo.path(GOLDEN)).expect("golden"),
        old
    );
    let repo = Repo::new();
    repo.write(INPUT, "{\"events\": [");
    repo.test(&["--generate"]).expect(2, &["invalid JSON"]);
    assert_eq!(
        std::fs::read_to_string(repo.path(GOLDEN)).expect("golden"),
        old
    );
    let repo = Repo::new();
    repo.write(PIPELINE, "processors: [");
    repo.test(&["--generate"]).expect(2, &["default.yml"]);
    assert_eq!(
        std::fs::read_to_string(repo.path(GOLDEN)).expect("golden"),
        old
    );
}

#[test]
fn generate_onto_a_folder_named_like_the_golden() {
    let repo = Repo::new();
    repo.remove(GOLDEN);
    std::fs::create_dir(repo.path(GOLDEN)).expect("mkdir");
    std::fs::write(repo.path(GOLDEN).join("keep"), "keep").expect("keep");
    repo.test(&["--generate"])
        .expect(2, &["test-a.json-expected.json: cannot write"]);
    assert_eq!(
        std::fs::read_to_string(repo.path(GOLDEN).join("keep")).expect("keep"),
        "keep"
    );
    assert!(stray_temp_files(&repo.path("expected/web")).is_empty());
}

#[test]
fn generate_keeps_the_golden_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    // Not the default 0644, so that keeping and resetting the mode differ.
    std::fs::set_permissions(repo.path(GOLDEN), std::fs::Permissions::from_mode(0o640))
        .expect("chmod");
    repo.test(&["--generate"]).expect(0, &["[generated]"]);
    let mode = std::fs::metadata(repo.path(GOLDEN))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o640);
    // A new golden gets the usual 0644 (umask 022) too.
    repo.write(
        "sample_events/web/test-n.json",
        "{\"events\":[{\"message\":\"x\"}]}",
    );
    repo.test(&["--generate"]).expect(0, &["[generated]"]);
    let mode = std::fs::metadata(repo.path("expected/web/test-n.json-expected.json"))
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o444,
        0o444,
        "new golden not readable by group/others"
    );
}

/// Spawns `pipette test --generate`, and sends `signal` once `when` says so; returns the exit.
fn interrupt_generate(
    repo: &Repo,
    signal: &str,
    when: &dyn Fn(Duration) -> bool,
) -> std::process::ExitStatus {
    let bin = assert_cmd::cargo::cargo_bin("pipette");
    let mut child = std::process::Command::new(bin)
        .args(["test", "--generate", "-j", "1"])
        .arg(&repo.root)
        .env("PIPETTE_ECS_DIR", "/nonexistent")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if when(start.elapsed()) {
            let _ = std::process::Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status();
            break;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    child.wait().expect("wait")
}

#[test]
fn interrupted_generate_leaves_each_golden_old_or_new() {
    // The complete new goldens, from an uninterrupted run.
    let reference = big_generate_repo(6, 20_000);
    reference
        .test(&["--generate", "-j", "1"])
        .expect(0, &["[generated]"]);
    let dir_of = |r: &Repo| r.path("expected/web");
    let new: Vec<String> = (0..6)
        .map(|f| {
            std::fs::read_to_string(
                dir_of(&reference).join(format!("test-{f:02}.json-expected.json")),
            )
            .expect("new golden")
        })
        .collect();
    let old = "{\n    \"expected\": [\n        \"old\"\n    ]\n}\n";
    let mut report = Vec::new();
    for (signal, delay_ms) in [
        ("-INT", 300u64),
        ("-TERM", 900),
        ("-INT", 1_800),
        ("-TERM", 3_000),
    ] {
        let repo = big_generate_repo(6, 20_000);
        let expected_dir = repo.path("expected");
        let before = snapshot(&repo.root, &expected_dir);
        let status = interrupt_generate(&repo, signal, &|t| t >= Duration::from_millis(delay_ms));
        let mut states = Vec::new();
        for (f, new) in new.iter().enumerate() {
            let text = std::fs::read_to_string(
                dir_of(&repo).join(format!("test-{f:02}.json-expected.json")),
            )
            .expect("golden must still exist");
            let state = if text == old {
                "old"
            } else if text == *new {
                "new"
            } else {
                panic!(
                    "{signal} after {delay_ms} ms: golden {f} is neither old nor new ({} bytes)",
                    text.len()
                )
            };
            states.push(state);
        }
        assert_eq!(
            snapshot(&repo.root, &expected_dir),
            before,
            "files outside expected/ changed"
        );
        let dir = dir_of(&repo);
        assert_eq!(
            std::fs::read_to_string(dir.join("notes.txt")).expect("notes"),
            "mine\n"
        );
        let stray = stray_temp_files(&dir);
        report.push(format!(
            "{signal} after {delay_ms} ms: {status:?}, goldens {states:?}, temp files {stray:?}"
        ));
        assert!(stray.is_empty(), "{}", report.join("\n"));
    }
    eprintln!("{}", report.join("\n"));
}

#[test]
fn interrupted_generate_leaves_no_temp_files() {
    // One very large golden, so the write takes long enough to be caught in the act.
    let repo = big_generate_repo(1, 400_000);
    let dir = repo.path("expected/web");
    let watched = dir.clone();
    let status = interrupt_generate(&repo, "-TERM", &move |_| {
        !stray_temp_files(&watched).is_empty()
    });
    let stray = stray_temp_files(&dir);
    assert!(
        stray.is_empty(),
        "exit {status:?}, stray temp files: {stray:?}"
    );
}
