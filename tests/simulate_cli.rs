//! `pipette simulate` on request bodies shaped like Elasticsearch's 90_simulate.yml requests:
//! the response bodies must be the ones Elasticsearch 8.x gives.

use assert_cmd::Command;
use pipette::Value;
use std::path::Path;

const NOW: &str = "2024-05-06T07:08:09.123Z";

/// Runs `pipette simulate ARGS` with `request` on stdin; returns (exit code, stdout, stderr).
fn simulate(args: &[&str], request: &str) -> (i32, String, String) {
    let out = Command::cargo_bin("pipette")
        .expect("binary")
        .arg("simulate")
        .args(["--now", NOW])
        .args(args)
        .write_stdin(request)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The response, parsed; panics with the output when the exit code is not `code`.
fn response(args: &[&str], request: &str, code: i32) -> Value {
    let (rc, out, err) = simulate(args, request);
    assert_eq!(rc, code, "exit code; stdout:\n{out}\nstderr:\n{err}");
    Value::from_json_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// `a.0.b` path lookup.
fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |cur, p| match cur {
        Value::Map(m) => m.get(p),
        Value::List(l) => l.get(p.parse::<usize>().ok()?),
        _ => None,
    })
}

fn json(text: &str) -> Value {
    Value::from_json_str(text).expect("valid JSON in the test")
}

/// Asserts `path → expected` pairs (`null` expects the key to be absent or null).
fn check(v: &Value, expect: &[(&str, &str)]) {
    for (path, want) in expect {
        let got = at(v, path).cloned().unwrap_or(Value::Null);
        assert_eq!(got, json(want), "{path} in\n{}", v.to_json_pretty(2));
    }
}

fn len(v: &Value, path: &str) -> usize {
    match at(v, path) {
        Some(Value::List(l)) => l.len(),
        Some(Value::Map(m)) => m.len(),
        other => panic!("{path}: not a list or map: {other:?}"),
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("write fixture");
}

const INLINE: &str = r#"{
  "pipeline": {
    "description": "_description",
    "processors": [
      {"set": {"field": "field2", "value": "_value"}},
      {"drop": {"if": "ctx.foo == 'drop'"}},
      {"rename": {"field": "must_exist", "target_field": "x", "if": "ctx.foo == 'fail'"}}
    ]
  },
  "docs": [
    {"_index": "index", "_id": "id", "_source": {"foo": "bar"}},
    {"_index": "index", "_id": "id2", "_source": {"foo": "drop"}},
    {"_source": {"foo": "fail"}}
  ]
}"#;

#[test]
fn documents_dropped_documents_and_errors() {
    let r = response(&[], INLINE, 0);
    assert_eq!(len(&r, "docs"), 3);
    check(
        &r,
        &[
            ("docs.0.doc._index", r#""index""#),
            ("docs.0.doc._id", r#""id""#),
            ("docs.0.doc._version", r#""-3""#),
            ("docs.0.doc._source", r#"{"foo":"bar","field2":"_value"}"#),
            (
                "docs.0.doc._ingest.timestamp",
                r#""2024-05-06T07:08:09.123Z""#,
            ),
            ("docs.1", "null"),
            ("docs.2.error.type", r#""illegal_argument_exception""#),
            (
                "docs.2.error.reason",
                r#""field [must_exist] doesn't exist""#,
            ),
            (
                "docs.2.error.root_cause.0.reason",
                r#""field [must_exist] doesn't exist""#,
            ),
        ],
    );
    // A document given without `_index` / `_id` gets Elasticsearch's placeholders.
    let (_, out, _) = simulate(&[], INLINE);
    assert!(!out.contains("processor_results"));
}

#[test]
fn verbose_results_with_skipped_and_dropped() {
    let r = response(&["--verbose"], INLINE, 0);
    check(
        &r,
        &[
            ("docs.0.processor_results.0.processor_type", r#""set""#),
            ("docs.0.processor_results.0.status", r#""success""#),
            (
                "docs.0.processor_results.0.doc._source.field2",
                r#""_value""#,
            ),
            (
                "docs.0.processor_results.0.doc._ingest.pipeline",
                r#""_simulate_pipeline""#,
            ),
            ("docs.0.processor_results.1.status", r#""skipped""#),
            (
                "docs.0.processor_results.1.if",
                r#"{"condition":"ctx.foo == 'drop'","result":false}"#,
            ),
            ("docs.0.processor_results.1.doc", "null"),
            ("docs.1.processor_results.1.status", r#""dropped""#),
            ("docs.1.processor_results.1.if.result", "true"),
            ("docs.2.processor_results.2.status", r#""error""#),
            (
                "docs.2.processor_results.2.error.reason",
                r#""field [must_exist] doesn't exist""#,
            ),
        ],
    );
    assert_eq!(len(&r, "docs.0.processor_results"), 3);
    assert_eq!(len(&r, "docs.1.processor_results"), 2);
}

#[test]
fn verbose_ignore_failure_and_on_failure() {
    // 90_simulate.yml "ignore_failure and thrown exception" / "true conditional and on failure".
    let request = r#"{
      "pipeline": {"processors": [
        {"set": {"tag": "setstatus-1", "field": "status", "value": 200}},
        {"rename": {"tag": "rename-1", "field": "foofield", "target_field": "field1", "ignore_failure": true}},
        {"rename": {"tag": "status-1", "field": "status", "target_field": "new_status", "ignore_failure": true}},
        {"rename": {"tag": "gunna_fail", "if": "true", "field": "foo1", "target_field": "fieldA",
          "on_failure": [{"set": {"field": "failed1", "value": "failed1", "tag": "failed1"}}]}}
      ]},
      "docs": [{"_index": "index", "_id": "id", "_source": {"field1": "123.42 400 <foo>"}}]
    }"#;
    let r = response(&["--verbose"], request, 0);
    let results = "docs.0.processor_results";
    assert_eq!(len(&r, results), 5);
    check(
        &r,
        &[
            ("docs.0.processor_results.1.status", r#""error_ignored""#),
            (
                "docs.0.processor_results.1.ignored_error.error.reason",
                r#""field [foofield] doesn't exist""#,
            ),
            ("docs.0.processor_results.1.doc._source.status", "200"),
            ("docs.0.processor_results.2.status", r#""success""#),
            ("docs.0.processor_results.2.doc._source.new_status", "200"),
            ("docs.0.processor_results.3.status", r#""error""#),
            ("docs.0.processor_results.3.if.result", "true"),
            ("docs.0.processor_results.4.tag", r#""failed1""#),
            (
                "docs.0.processor_results.4.doc._ingest.on_failure_processor_tag",
                r#""gunna_fail""#,
            ),
        ],
    );
    // A successful processor's entry has exactly processor_type, status, tag and doc.
    assert_eq!(len(&r, "docs.0.processor_results.2"), 4);
}

#[test]
fn stored_pipelines_called_verbosely() {
    // 90_simulate.yml "Pipeline Processor with Multiple Pipelines" as Elasticsearch 8.x answers it.
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "pipeline1.json",
        r#"{"processors": [{"set": {"field": "pipeline1", "value": true}}, {"pipeline": {"name": "pipeline2"}}]}"#,
    );
    write(
        dir.path(),
        "pipeline2.yml",
        "processors:\n  - set:\n      field: pipeline2\n      value: true\n",
    );
    let request = r#"{
      "pipeline": {"processors": [
        {"set": {"field": "pipeline0", "value": true, "description": "first_set"}},
        {"pipeline": {"name": "pipeline1"}}
      ]},
      "docs": [{"_index": "index", "_id": "id", "_source": {"field1": "123.42 400 <foo>"}}]
    }"#;
    let pipelines = dir.path().to_str().expect("utf-8 path");
    let r = response(&["--verbose", "--pipelines", pipelines], request, 0);
    assert_eq!(len(&r, "docs.0.processor_results"), 5);
    check(
        &r,
        &[
            ("docs.0.processor_results.0.description", r#""first_set""#),
            ("docs.0.processor_results.0.doc._source.pipeline1", "null"),
            (
                "docs.0.processor_results.1",
                r#"{"processor_type":"pipeline","status":"success"}"#,
            ),
            ("docs.0.processor_results.2.doc._source.pipeline1", "true"),
            (
                "docs.0.processor_results.2.doc._ingest.pipeline",
                r#""pipeline1""#,
            ),
            ("docs.0.processor_results.3.processor_type", r#""pipeline""#),
            ("docs.0.processor_results.3.doc", "null"),
            ("docs.0.processor_results.4.doc._source.pipeline2", "true"),
        ],
    );

    // The same folder, simulated by name and by file.
    let docs = r#"{"docs": [{"_source": {}}]}"#;
    let by_id = response(&["--pipelines", pipelines, "--id", "pipeline1"], docs, 0);
    check(
        &by_id,
        &[(
            "docs.0.doc._source",
            r#"{"pipeline1":true,"pipeline2":true}"#,
        )],
    );
    let file = dir.path().join("pipeline2.yml");
    let by_file = response(&["--pipeline", file.to_str().expect("utf-8")], docs, 0);
    check(&by_file, &[("docs.0.doc._source", r#"{"pipeline2":true}"#)]);
    let missing = response(&["--pipelines", pipelines, "--id", "nope"], docs, 2);
    check(
        &missing,
        &[
            ("status", "400"),
            ("error.type", r#""illegal_argument_exception""#),
            ("error.reason", r#""pipeline [nope] does not exist""#),
        ],
    );
}

#[test]
fn a_pipeline_cycle_is_one_error_result() {
    // 90_simulate.yml "Pipeline Processor with Circular Pipelines".
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "outer.json",
        r#"{"processors": [{"pipeline": {"name": "inner"}}]}"#,
    );
    write(
        dir.path(),
        "inner.json",
        r#"{"processors": [{"pipeline": {"name": "outer"}}]}"#,
    );
    let request = r#"{"pipeline": {"processors": [{"pipeline": {"name": "outer"}}]},
      "docs": [{"_index": "index", "_id": "id", "_source": {"field1": "x"}}]}"#;
    let pipelines = dir.path().to_str().expect("utf-8 path");
    let r = response(&["--verbose", "--pipelines", pipelines], request, 0);
    assert_eq!(len(&r, "docs.0.processor_results"), 1);
    check(
        &r,
        &[
            ("docs.0.processor_results.0.processor_type", r#""pipeline""#),
            ("docs.0.processor_results.0.status", r#""error""#),
            (
                "docs.0.processor_results.0.error.reason",
                r#""Cycle detected for pipeline: outer""#,
            ),
        ],
    );
    // 90_simulate.yml (8.x) "provided pipeline that does not exist".
    let missing = r#"{"pipeline": {"processors": [{"pipeline": {"name": "____pipeline_doesnot_exist___"}}]},
      "docs": [{"_source": {}}]}"#;
    let r = response(&["--verbose"], missing, 0);
    check(
        &r,
        &[
            ("docs.0.processor_results.0.status", r#""error""#),
            (
                "docs.0.processor_results.0.error.root_cause.0.type",
                r#""illegal_argument_exception""#,
            ),
            (
                "docs.0.processor_results.0.error.root_cause.0.reason",
                r#""Pipeline processor configured for non-existent pipeline [____pipeline_doesnot_exist___]""#,
            ),
        ],
    );
    let plain = response(&["--pipelines", pipelines], request, 0);
    check(
        &plain,
        &[(
            "docs.0.error.reason",
            r#""Cycle detected for pipeline: outer""#,
        )],
    );
}

#[test]
fn invalid_requests_and_pipelines() {
    // 90_simulate.yml "provided invalid pipeline definition": Elasticsearch's 400 body, exit 2.
    let request = r#"{"pipeline": {"processors": [{"set": {"tag": "fails", "value": "_value"}}]},
      "docs": [{"_source": {}}]}"#;
    let (rc, out, err) = simulate(&[], request);
    assert_eq!(rc, 2, "{out}{err}");
    let body = json(&out);
    check(
        &body,
        &[
            ("status", "400"),
            ("error.type", r#""parse_exception""#),
            ("error.reason", r#""[field] required property is missing""#),
            ("error.processor_type", r#""set""#),
            ("error.processor_tag", r#""fails""#),
            ("error.property_name", r#""field""#),
            ("error.root_cause.0.type", r#""parse_exception""#),
        ],
    );
    assert!(err.contains("400"), "{err}");

    // No pipeline: a 400 naming the missing property.
    let none = response(&[], r#"{"docs": [{"_source": {}}]}"#, 2);
    check(
        &none,
        &[(
            "error.reason",
            r#""[pipeline] required property is missing""#,
        )],
    );
    // No documents.
    let no_docs = response(&[], r#"{"pipeline": {"processors": []}, "docs": []}"#, 2);
    check(
        &no_docs,
        &[(
            "error.reason",
            r#""must specify at least one document in [docs]""#,
        )],
    );

    // Malformed bodies: a message on stderr, nothing on stdout.
    for bad in ["", "{\"docs\": [", "[]"] {
        let (rc, out, err) = simulate(&[], bad);
        assert_eq!(rc, 2, "{bad:?}");
        assert!(out.is_empty(), "{bad:?}: {out}");
        assert!(err.starts_with("error: <stdin>: "), "{bad:?}: {err}");
    }
}

#[test]
fn a_processor_entry_with_several_keys_is_several_processors() {
    // Elasticsearch's readProcessorConfigs: every key of a list entry is a processor; `{}` none.
    let request = r#"{"pipeline": {"processors": [{}, {"set": {"field": "a", "value": 1}, "lowercase": {"field": "b"}}]},
      "docs": [{"_source": {"b": "X"}}]}"#;
    let r = response(&[], request, 0);
    check(&r, &[("docs.0.doc._source", r#"{"b":"x","a":1}"#)]);
}
