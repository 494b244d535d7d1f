//! The `pipette` binary on small fixtures (tests/fixtures), using only processors that work today
//! (set, rename, remove, append, drop, pipeline).

mod common;

use common::{copy_tree, fixture, pipette};
use predicates::prelude::*;
use std::path::{Path, PathBuf};

const NOW: &str = "2024-05-06T07:08:09.123Z";

#[test]
fn passing_repository_layout() {
    pipette()
        .args(["test", "--color", "never"])
        .arg(fixture("repo_pass"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "PASS  demo/web test-access.log (3/3 documents matched)",
        ))
        .stdout(predicate::str::contains(
            "PASS  demo/web test-events.json (3/3 documents matched)",
        ))
        .stdout(predicate::str::contains(
            "2 passed, 0 failed, 0 errors, 0 skipped",
        ))
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn uncovered_fields_are_listed_and_can_fail_the_run() {
    pipette()
        .args(["test"])
        .arg(fixture("repo_pass"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "coverage: demo.web: 1 defined field not covered by any expected document:\n    route\n",
        ));
    pipette()
        .args(["test", "--fail-on-uncovered", "--report-format", "json"])
        .arg(fixture("repo_pass"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            r#""uncovered_fields": [
        "route"
      ]"#,
        ));
}

#[test]
fn failing_test_shows_a_diff_and_exits_1() {
    pipette()
        .args(["test"])
        .arg(fixture("repo_fail"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "FAIL  repo_fail/web test-fail.log (1/2 documents matched)",
        ))
        .stdout(predicate::str::contains(
            "document 1: value differs [event.kind]",
        ))
        .stdout(predicate::str::contains("--- want"))
        .stdout(predicate::str::contains("-    \"kind\": \"event\","))
        .stdout(predicate::str::contains("+    \"kind\": \"alert\","));
}

#[test]
fn color_always_and_no_color() {
    pipette()
        .args(["test", "--color", "always"])
        .arg(fixture("repo_fail"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "\u{1b}[31m-    \"kind\": \"event\",",
        ));
    pipette()
        .env("NO_COLOR", "1")
        .args(["test", "--color", "auto"])
        .arg(fixture("repo_fail"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("\u{1b}[").not());
}

#[test]
fn generate_round_trip_writes_identical_goldens() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("repo");
    copy_tree(&fixture("repo_pass"), &root);
    let expected = root.join("expected/web");
    std::fs::remove_dir_all(&expected).expect("rm");
    // Without goldens: an error naming the missing file, exit 2.
    pipette()
        .args(["test"])
        .arg(&root)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("test-access.log-expected.json"));
    pipette()
        .args(["test", "--generate", "--now", NOW])
        .arg(&root)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("[generated]"));
    for name in [
        "test-access.log-expected.json",
        "test-events.json-expected.json",
    ] {
        let want =
            std::fs::read_to_string(fixture("repo_pass/expected/web").join(name)).expect("fixture");
        let got = std::fs::read_to_string(expected.join(name)).expect("generated");
        assert_eq!(got, want, "{name}");
    }
    // Only the goldens of the inputs run, no temporary files left behind.
    assert_eq!(std::fs::read_dir(&expected).expect("dir").count(), 2);
    // A later run with the real clock passes: event.ingested is a dynamic field.
    pipette().args(["test"]).arg(&root).assert().code(0);
}

#[test]
fn generate_in_a_package_escapes_html_for_old_format_versions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("packages");
    copy_tree(&fixture("packages"), &root);
    let golden =
        root.join("shop/data_stream/orders/_dev/test/pipeline/test-orders.log-expected.json");
    std::fs::remove_file(&golden).expect("rm");
    pipette()
        .args(["test", "--generate", "--now", NOW])
        .arg(&root)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "SKIP  shop/orders test-skipped.log",
        ))
        .stdout(predicate::str::contains(
            "waiting for a fix (https://example.com/issue/1)",
        ));
    let text = std::fs::read_to_string(&golden).expect("golden");
    assert!(
        text.contains(r#""note": "\u003cb\u003e\u0026\u003c/b\u003e""#),
        "{text}"
    );
    assert!(
        text.contains(r#""dataset": "logs-shop.orders-default""#),
        "{text}"
    );
    let want = std::fs::read_to_string(fixture(
        "packages/shop/data_stream/orders/_dev/test/pipeline/test-orders.log-expected.json",
    ))
    .expect("fixture");
    assert_eq!(text, want);
    assert!(
        !root
            .join("shop/data_stream/orders/_dev/test/pipeline/test-skipped.log-expected.json")
            .exists()
    );
}

#[test]
fn broken_pipeline_names_file_and_processor_exit_2() {
    pipette()
        .args(["test"])
        .arg(fixture("repo_broken"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains("ERROR repo_broken/web test-broken.log"))
        .stdout(predicate::str::contains(
            "pipelines/web/default.yml:6: pipeline [default], processors[1] [frobnicate] tag [frob-1]: No processor type exists with name [frobnicate]",
        ));
}

#[test]
fn malformed_input_is_an_error_exit_2() {
    pipette()
        .args(["test", "--report-format", "json"])
        .arg(fixture("repo_bad_input"))
        .assert()
        .code(2)
        .stdout(predicate::str::contains(r#""result": "error""#))
        .stderr(predicate::str::contains("test-bad.json: invalid JSON"));
}

#[test]
fn json_report() {
    let out = pipette()
        .args(["test", "--report-format", "json"])
        .arg(fixture("repo_fail"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).expect("json report");
    let r = &v["results"][0];
    assert_eq!(r["package"], "repo_fail");
    assert_eq!(r["data_stream"], "web");
    assert_eq!(r["name"], "test-fail.log");
    assert_eq!(r["result"], "fail");
    assert_eq!(r["docs_total"], 2);
    assert_eq!(r["docs_matched"], 1);
    assert_eq!(r["mismatches"][0]["cause"], "value differs [event.kind]");
    assert_eq!(r["field_problems"], serde_json::json!([]));
    assert!(
        r["details"]
            .as_str()
            .unwrap_or("")
            .contains("+    \"kind\": \"alert\",")
    );
    assert_eq!(v["summary"]["failed"], 1);
    assert_eq!(v["summary"]["exit_code"], 1);
}

#[test]
fn xunit_report_to_a_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("report.xml");
    pipette()
        .args(["test", "--report-format", "xunit", "--report-output"])
        .arg(&file)
        .arg(fixture("repo_fail"))
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty());
    let xml = std::fs::read_to_string(&file).expect("report");
    assert!(xml.contains("<testsuites"), "{xml}");
    assert!(
        xml.contains(r#"<testcase name="test-fail.log" classname="repo_fail.web""#),
        "{xml}"
    );
    assert!(xml.contains("<failure"), "{xml}");
}

#[test]
fn run_streams_stdin_documents() {
    let pipeline = fixture("repo_pass/pipelines/web/default.yml");
    pipette()
        .args(["run", "--compact", "--now", NOW])
        .arg(&pipeline)
        .write_stdin("{\"message\":\"hello\"}\n{\"route\":\"drop\"}\n")
        .assert()
        .code(0)
        .stdout(
            "{\"ecs\":{\"version\":\"8.11.0\"},\"event\":{\"original\":\"hello\",\"ingested\":\"2024-05-06T07:08:09.123Z\",\"kind\":\"event\"},\"tags\":[\"kept\",\"demo\"]}\nnull\n",
        );
    // Plain lines become {"message": line}.
    pipette()
        .args(["run", "--compact", "--now", NOW])
        .arg(&pipeline)
        .write_stdin("just a line\n")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"original\":\"just a line\""));
}

#[test]
fn run_prints_errors_as_objects() {
    pipette()
        .args(["run", "--compact"])
        .arg(fixture("repo_fail/pipelines/web/default.yml"))
        .arg(fixture("repo_pass/sample_events/web/test-events.json"))
        .write_stdin("")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"original\":\"first\""));
    pipette()
        .args(["run", "--compact"])
        .arg(fixture("repo_fail/pipelines/web/default.yml"))
        .write_stdin("{\"other\":1}\n")
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with(
            "{\"error\":{\"root_cause\":[{\"type\":\"illegal_argument_exception\"",
        ))
        .stdout(predicate::str::contains("\"processor_type\":\"rename\""));
}

#[test]
fn usage_errors_exit_2() {
    pipette()
        .args(["test", "--report-format", "nope"])
        .assert()
        .code(2);
    pipette()
        .args(["test", "/nonexistent/pipette/path"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no such folder"));
    pipette()
        .args(["test", "--now", "yesterday"])
        .arg(fixture("repo_pass"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("invalid --now"));
    pipette()
        .args(["run"])
        .arg(fixture("repo_broken/pipelines/web/default.yml"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "No processor type exists with name [frobnicate]",
        ));
    pipette().args(["--help"]).assert().code(0);
}

/// Writes a one-data-stream package `p` (logs `ds`) with this default pipeline under `root`.
fn write_package(root: &Path, pipeline: &str, input: &str) -> PathBuf {
    let ds = root.join("p/data_stream/ds");
    for d in [
        "elasticsearch/ingest_pipeline",
        "fields",
        "_dev/test/pipeline",
    ] {
        std::fs::create_dir_all(ds.join(d)).expect("mkdir");
    }
    let files = [
        (
            root.join("p/manifest.yml"),
            "format_version: 3.0.0\nname: p\ntitle: P\nversion: 0.1.0\ntype: integration\n",
        ),
        (ds.join("manifest.yml"), "title: DS\ntype: logs\n"),
        (
            ds.join("fields/fields.yml"),
            "- name: ts\n  type: keyword\n- name: '@timestamp'\n  type: date\n",
        ),
        (
            ds.join("elasticsearch/ingest_pipeline/default.yml"),
            pipeline,
        ),
        (ds.join("_dev/test/pipeline/test-a.json"), input),
    ];
    for (path, text) in files {
        std::fs::write(path, text).expect("write");
    }
    ds.join("_dev/test/pipeline")
}

#[test]
fn routing_rules_become_reroute_processors() {
    pipette()
        .args(["test", "--color", "never"])
        .arg(fixture("routing"))
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "PASS  router/events test-route.json (4/4 documents matched)",
        ));
}

#[test]
fn year_less_dates_take_the_year_the_golden_was_written_in() {
    use chrono::Datelike;
    let tmp = tempfile::tempdir().expect("tempdir");
    let pipeline = "processors:\n  - date:\n      field: ts\n      formats: ['MMM d HH:mm:ss']\n";
    let tests = write_package(
        tmp.path(),
        pipeline,
        r#"{"events": [{"ts": "Mar 4 05:06:07"}]}"#,
    );
    let year = chrono::Utc::now().year() - 2;
    pipette()
        .args([
            "test",
            "--generate",
            "--now",
            &format!("{year}-06-01T00:00:00Z"),
        ])
        .arg(tmp.path())
        .assert()
        .code(0);
    let golden = std::fs::read_to_string(tests.join("test-a.json-expected.json")).expect("golden");
    assert!(
        golden.contains(&format!("\"{year}-03-04T05:06:07.000Z\"")),
        "{golden}"
    );
    // The real clock: the golden's year is found and the test passes, with a note.
    pipette()
        .args(["test", "--report-format", "json"])
        .arg(tmp.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains(format!(
            "year-less dates read as {year}"
        )));
    // A fixed clock is taken as given: Elasticsearch would use its year.
    pipette()
        .args(["test", "--now", &format!("{}-06-01T00:00:00Z", year + 1)])
        .arg(tmp.path())
        .assert()
        .code(1);
}

#[test]
fn cluster_only_processors_skip_the_test() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let pipeline = "processors:\n  - enrich:\n      policy_name: users\n      field: ts\n      target_field: user\n";
    write_package(tmp.path(), pipeline, r#"{"events": [{"ts": "x"}]}"#);
    pipette()
        .args(["test", "--color", "never"])
        .arg(tmp.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("SKIP  p/ds test-a.json"))
        .stdout(predicate::str::contains(
            "pipeline uses the [enrich] processor, which needs a running Elasticsearch cluster",
        ));
}
