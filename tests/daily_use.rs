//! Daily-use features, through the binary: verbose traces, processor coverage, watch mode, CI
//! reports, shell completions and `pipette fields`.

mod common;

use assert_cmd::Command;
use common::{copy_tree, fixture, pipette};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

const NOW: &str = "2024-01-01T00:00:00Z";

fn daily(rel: &str) -> PathBuf {
    fixture("daily").join(rel)
}

fn stdout_of(c: &mut Command) -> (i32, String, String) {
    let out = c.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run_verbose(extra: &[&str]) -> (i32, String, String) {
    stdout_of(
        pipette()
            .arg("run")
            .arg(daily("repo/pipelines/web/default.yml"))
            .arg(daily("repo/sample_events/web/test-lines.log"))
            .args(["--verbose", "--now", NOW])
            .args(extra),
    )
}

#[test]
fn run_verbose_shows_each_processor_and_its_changes() {
    let (code, out, err) = run_verbose(&["--color", "never"]);
    assert_eq!(code, 0, "{err}");
    let pipe = daily("repo/pipelines/web/default.yml")
        .display()
        .to_string();
    let sub = daily("repo/pipelines/web/sub.yml").display().to_string();
    for want in [
        format!("ran     set [set-kind] @ {pipe}:3\n          + event.kind: \"event\"\n"),
        "          - message (was \"hello\")\n".to_string(),
        format!("skipped uppercase [upper-if-debug] @ {pipe}:11\n"),
        format!(
            "ignored fail [always-fails] @ {pipe}:15\n          fail_processor_exception: ignored failure"
        ),
        format!(
            "ran     pipeline [call-sub] @ {pipe}:19\n  ran     set [sub-set] @ {sub}:2\n            + labels.sub: \"yes\"\n"
        ),
        format!("dropped drop [drop-noise] @ {pipe}:22\nresult:\nnull\n"),
    ] {
        assert!(out.contains(&want), "missing {want:?} in\n{out}");
    }
    // Document 2 is dropped: the processor after the drop does not appear in its trace.
    let second = out.split("── document 2").nth(1).expect("two documents");
    assert!(!second.contains("never-reached-for-noise"), "{second}");
    assert!(!out.contains('\u{1b}'));
}

#[test]
fn run_verbose_colours_follow_color_flag() {
    let (_, out, _) = run_verbose(&["--color", "always"]);
    assert!(out.contains("\u{1b}["), "{out}");
}

#[test]
fn run_verbose_json_trace() {
    let (code, out, err) = run_verbose(&["--trace-format", "json"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let first: serde_json::Value = serde_json::from_str(lines[0]).expect("json");
    let trace = first["trace"].as_array().expect("trace");
    let statuses: Vec<&str> = trace
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        [
            "success",
            "success",
            "skipped",
            "error_ignored",
            "success",
            "success",
            "skipped",
            "success"
        ]
    );
    assert_eq!(trace[0]["line"], 3);
    assert_eq!(trace[0]["tag"], "set-kind");
    assert_eq!(trace[0]["changes"][0]["op"], "add");
    assert_eq!(trace[0]["changes"][0]["field"], "event.kind");
    assert_eq!(trace[5]["pipeline"], "sub");
    assert_eq!(trace[5]["depth"], 1);
    assert_eq!(first["doc"]["labels"]["sub"], "yes");
    let second: serde_json::Value = serde_json::from_str(lines[1]).expect("json");
    assert!(second["doc"].is_null());
    assert_eq!(
        second["trace"].as_array().unwrap().last().unwrap()["status"],
        "dropped"
    );
}

#[test]
fn run_takes_config_fields() {
    let (code, out, err) = stdout_of(
        pipette()
            .arg("run")
            .arg(daily("repo/pipelines/web/default.yml"))
            .arg(daily("repo/sample_events/web/test-lines.log"))
            .args(["--compact", "--now", NOW, "--test-config", "--config"])
            .arg(daily("run-config.yml"))
            .args(["--field", "labels.env=\"prod\"", "--field", "count=3"]),
    );
    assert_eq!(code, 0, "{err}");
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["tags"], serde_json::json!(["daily"]));
    assert_eq!(first["service"]["name"], "from-config");
    assert_eq!(first["labels"]["env"], "prod");
    assert_eq!(first["count"], 3);
    let (code, _, err) = stdout_of(
        pipette()
            .arg("run")
            .arg(daily("repo/pipelines/web/default.yml"))
            .args(["--field", "novalue"]),
    );
    assert_eq!(code, 2);
    assert!(err.contains("expected KEY=VALUE"), "{err}");
}

#[test]
fn test_verbose_traces_failing_documents() {
    let (code, out, _) = stdout_of(
        pipette()
            .args(["test", "--verbose", "--color", "never", "--now", NOW])
            .arg(fixture("repo_fail")),
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("Trace: repo_fail/web test-fail.log document 1\n"),
        "{out}"
    );
    assert!(out.contains("          + event.kind: \"alert\"\n"), "{out}");
    // Traces come before the summary.
    assert!(out.find("Trace:").unwrap() < out.find("Summary:").unwrap());
    let (_, json, _) = stdout_of(
        pipette()
            .args(["test", "--verbose", "--report-format", "json", "--now", NOW])
            .arg(fixture("repo_fail")),
    );
    let v: serde_json::Value = serde_json::from_str(&json).expect("json");
    let traces = &v["results"][0]["traces"];
    assert_eq!(traces[0]["document"], 1);
    assert_eq!(traces[0]["steps"][1]["processor_type"], "set");
}

#[test]
fn coverage_as_cobertura_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let xml = dir.path().join("coverage.xml");
    let (code, out, err) = stdout_of(
        pipette()
            .args([
                "test",
                "--color",
                "never",
                "--now",
                NOW,
                "--coverage-output",
            ])
            .arg(&xml)
            .arg(daily("repo")),
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("Processor coverage"), "{out}");
    // upper-if-debug never runs (its `if` is false for both documents).
    assert!(
        out.contains(" 85.7%    6/7   pipelines/web/default.yml\n           never ran: line 11 uppercase [upper-if-debug]\n"),
        "{out}"
    );
    assert!(
        out.contains("100.0%    1/1   pipelines/web/sub.yml"),
        "{out}"
    );
    assert!(out.contains("repo.web: all covered"), "{out}");
    let x = std::fs::read_to_string(&xml).unwrap();
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE coverage SYSTEM \"http://cobertura.sourceforge.net/xml/coverage-04.dtd\">\n<coverage "), "{x}");
    assert!(
        x.contains("<class name=\"default\" filename=\"pipelines/web/default.yml\""),
        "{x}"
    );
    // set-kind (lines 3-6) ran for both documents; the last set only for the first.
    assert!(x.contains("<line number=\"3\" hits=\"2\"></line>"), "{x}");
    assert!(x.contains("<line number=\"6\" hits=\"2\"></line>"), "{x}");
    assert!(x.contains("<line number=\"11\" hits=\"0\"></line>"), "{x}");
    assert!(x.contains("<line number=\"25\" hits=\"1\"></line>"), "{x}");
    assert!(
        x.contains("<method name=\"uppercase\" signature=\"\" line-rate=\"0\""),
        "{x}"
    );
    assert!(x.contains("lines-covered=\"26\" lines-valid=\"30\""), "{x}");
}

#[test]
fn xunit_has_a_case_per_file_and_per_field_validation() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&daily("repo"), dir.path());
    // labels.sub is no longer defined: field validation fails.
    std::fs::write(
        dir.path().join("fields/web/fields.yml"),
        "- name: event\n  type: group\n  fields:\n    - name: kind\n      type: keyword\n    - name: original\n      type: keyword\n    - name: module\n      type: keyword\n- name: tags\n  type: keyword\n",
    )
    .unwrap();
    let (code, out, _) = stdout_of(
        pipette()
            .args(["test", "--report-format", "xunit", "--now", NOW])
            .arg(dir.path()),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("<testcase name=\"test-lines.log\""), "{out}");
    assert!(
        out.contains("<testcase name=\"test-lines.log fields\""),
        "{out}"
    );
    assert!(out.contains("1 field validation problem"), "{out}");
    assert!(out.contains("labels.sub"), "{out}");
    let (_, pass, _) = stdout_of(
        pipette()
            .args(["test", "--report-format", "xunit", "--now", NOW])
            .arg(daily("repo")),
    );
    assert!(
        pass.contains("<testcase name=\"test-lines.log fields\""),
        "{pass}"
    );
    assert!(!pass.contains("<failure"), "{pass}");
}

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let (code, out, err) = stdout_of(pipette().args(["completions", shell]));
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains("pipette"), "{shell}");
        assert!(out.contains("coverage-output"), "{shell}: {out}");
    }
    let (code, _, _) = stdout_of(pipette().args(["completions", "tcsh"]));
    assert_eq!(code, 2);
}

#[test]
fn fields_lint_reports_spec_violations() {
    let file = daily("bad_fields/fields.yml");
    let (code, out, _) = stdout_of(
        pipette()
            .args(["fields", "lint", "--color", "never"])
            .arg(&file),
    );
    assert_eq!(code, 1, "{out}");
    let f = file.display();
    for want in [
        format!("{f}:3: field [bad name]: name [bad name] does not match the pattern"),
        format!("{f}:5: field [typo]: [type] must be one of"),
        format!("{f}:7: field [extra]: unknown key [colour] (not allowed by package-spec)"),
        format!("{f}:10: field [obj]: [object_type] is only allowed with type object"),
        "1 fields file checked, 4 problems".to_string(),
    ] {
        assert!(out.contains(&want), "missing {want:?} in\n{out}");
    }
    let (code, out, _) = stdout_of(pipette().args(["fields", "lint"]).arg(daily("repo")));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 fields file checked, 0 problems"), "{out}");
    let (_, json, _) = stdout_of(
        pipette()
            .args(["fields", "lint", "--format", "json"])
            .arg(&file),
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), 4);
    assert_eq!(v["problems"][0]["line"], 3);
}

#[test]
fn fields_show_prints_the_resolved_schema() {
    let (code, out, err) = stdout_of(
        pipette()
            .args(["fields", "show", "-d", "web"])
            .arg(daily("repo")),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("repo.web (5 fields from "), "{out}");
    assert!(
        out.contains("\nNAME            TYPE     DETAILS\n"),
        "{out}"
    );
    assert!(out.contains("\nevent.kind      keyword\n"), "{out}");
    assert!(out.contains("\nlabels.sub      keyword\n"), "{out}");
    let (_, json, _) = stdout_of(
        pipette()
            .args(["fields", "show", "--format", "json"])
            .arg(daily("repo")),
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["repo.web"][0]["name"], "event.kind");
    assert_eq!(v["repo.web"][0]["type"], "keyword");
    let (code, _, err) = stdout_of(
        pipette()
            .args(["fields", "show", "-d", "nope"])
            .arg(daily("repo")),
    );
    assert_eq!(code, 2);
    assert!(err.contains("no data stream named [nope]"), "{err}");
}

/// Reads the child's stdout lines on a thread; `wait_for` returns once a line contains the text.
struct Lines(mpsc::Receiver<String>, String);

impl Lines {
    fn wait_for(&mut self, text: &str) -> bool {
        // A generous bound so a broken watcher fails the test instead of hanging it.
        while let Ok(line) = self.0.recv_timeout(Duration::from_secs(60)) {
            self.1.push_str(&line);
            self.1.push('\n');
            if line.contains(text) {
                return true;
            }
        }
        false
    }
}

#[test]
fn watch_reruns_the_changed_dataset() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("repo");
    copy_tree(&daily("repo"), &dir);
    let bin = assert_cmd::cargo::cargo_bin("pipette");
    let mut child = std::process::Command::new(bin)
        .args(["test", "--watch", "--color", "never", "--now", NOW])
        .arg(&dir)
        .env("PIPETTE_ECS_DIR", "/nonexistent")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Lines(rx, String::new());
    let ok = lines.wait_for("Watching");
    if ok {
        // Break the golden: the re-run fails.
        let golden = dir.join("expected/web/test-lines.log-expected.json");
        let text = std::fs::read_to_string(&golden).unwrap();
        std::fs::write(&golden, text.replace("\"web\"", "\"www\"")).unwrap();
    }
    let rerun = ok && lines.wait_for("re-running repo.web");
    let failed = rerun && lines.wait_for("FAIL  repo/web test-lines.log");
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok && rerun && failed, "{}", lines.1);
    assert!(
        lines.1.contains("PASS  repo/web test-lines.log"),
        "{}",
        lines.1
    );
}

#[test]
fn long_help_reaches_the_subcommands() {
    let (_, run, _) = stdout_of(pipette().args(["run", "--help"]));
    assert!(
        run.contains("--verbose shows, before each document"),
        "{run}"
    );
    let (_, test, _) = stdout_of(pipette().args(["test", "--help"]));
    assert!(
        test.contains("--coverage-output FILE also writes it as Cobertura XML"),
        "{test}"
    );
    assert!(test.contains("--watch runs the tests"), "{test}");
}
