//! Reports of a run: human (optionally coloured), JSON, and xUnit (JUnit XML).

use super::diff::colorize;
use super::result::{Outcome, RunReport, TestFileResult, plural};
use crate::value::{Map, Value};
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

/// Options of the human report.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// Emit ANSI colours.
    pub color: bool,
    /// Diffs shown per failing test file (0: none).
    pub max_diffs: usize,
    /// Show the commonest failure causes (multi-package runs).
    pub show_causes: bool,
    /// Uncovered fields listed per dataset (the count is always shown).
    pub max_uncovered: usize,
}

impl Default for HumanOptions {
    fn default() -> Self {
        HumanOptions {
            color: false,
            max_diffs: 5,
            show_causes: false,
            max_uncovered: usize::MAX,
        }
    }
}

fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{style}{text}{style:#}")
    } else {
        text.to_string()
    }
}

fn outcome_style(o: Outcome) -> Style {
    let c = match o {
        Outcome::Pass => AnsiColor::Green,
        Outcome::Fail => AnsiColor::Red,
        Outcome::Error => AnsiColor::Magenta,
        Outcome::Skip => AnsiColor::Yellow,
    };
    Style::new().fg_color(Some(c.into())).bold()
}

fn indent(text: &str, by: &str) -> String {
    let mut s = String::with_capacity(text.len() + text.len() / 8);
    for line in text.lines() {
        s.push_str(by);
        s.push_str(line);
        s.push('\n');
    }
    s
}

/// One line per test file, details under failures, dataset notes and coverage, then a summary.
pub fn human(report: &RunReport, opts: HumanOptions) -> String {
    let mut out = String::new();
    let c = opts.color;
    let dim = Style::new().dimmed();
    for r in &report.results {
        human_line(&mut out, r, opts);
    }
    for d in &report.datasets {
        for n in &d.notes {
            let _ = writeln!(
                out,
                "{} {}.{}: {n}",
                paint(c, dim, "note:"),
                d.package,
                d.data_stream
            );
        }
        if !d.uncovered.is_empty() {
            let _ = writeln!(
                out,
                "{} {}.{}: {} not covered by any {}document:",
                paint(
                    c,
                    Style::new().fg_color(Some(AnsiColor::Yellow.into())),
                    "coverage:"
                ),
                d.package,
                d.data_stream,
                plural(d.uncovered.len(), "defined field", "defined fields"),
                if report.fail_on_uncovered {
                    ""
                } else {
                    "expected "
                }
            );
            let shown: Vec<&str> = d
                .uncovered
                .iter()
                .take(opts.max_uncovered)
                .map(String::as_str)
                .collect();
            out.push_str(&indent(&shown.join("\n"), "    "));
            if d.uncovered.len() > shown.len() {
                let _ = writeln!(out, "    … and {} more", d.uncovered.len() - shown.len());
            }
        }
    }
    let s = report.summary();
    out.push('\n');
    let _ = writeln!(
        out,
        "{} {}, {}, {}, {} ({} matched)",
        paint(c, Style::new().bold(), "Summary:"),
        plural(s.packages, "package", "packages"),
        plural(s.data_streams, "data stream", "data streams"),
        plural(s.test_files, "test file", "test files"),
        plural(s.documents, "document", "documents"),
        s.documents_matched
    );
    let _ = writeln!(
        out,
        "         {} passed, {} failed, {} error{}, {} skipped{}",
        paint(c, outcome_style(Outcome::Pass), &s.passed.to_string()),
        paint(c, outcome_style(Outcome::Fail), &s.failed.to_string()),
        paint(c, outcome_style(Outcome::Error), &s.errors.to_string()),
        if s.errors == 1 { "" } else { "s" },
        s.skipped,
        if s.uncovered_fields > 0 {
            format!(
                ", {}",
                plural(s.uncovered_fields, "uncovered field", "uncovered fields")
            )
        } else {
            String::new()
        }
    );
    if opts.show_causes {
        let causes = report.top_causes(15);
        if !causes.is_empty() {
            let _ = writeln!(out, "\nCommonest failure causes (test files, documents):");
            for cc in causes {
                let _ = writeln!(out, "  {:>5} {:>6}  {}", cc.files, cc.documents, cc.cause);
            }
        }
    }
    out
}

fn human_line(out: &mut String, r: &TestFileResult, opts: HumanOptions) {
    let c = opts.color;
    let tag = match r.outcome {
        Outcome::Pass => "PASS ",
        Outcome::Fail => "FAIL ",
        Outcome::Error => "ERROR",
        Outcome::Skip => "SKIP ",
    };
    let counts = match r.outcome {
        Outcome::Skip => String::new(),
        Outcome::Error if r.docs_total == 0 => String::new(),
        _ => format!(
            " ({}/{} matched)",
            r.docs_matched,
            plural(r.docs_total, "document", "documents")
        ),
    };
    let _ = writeln!(
        out,
        "{} {}/{} {}{}{}",
        paint(c, outcome_style(r.outcome), tag),
        r.package,
        r.data_stream,
        r.name,
        counts,
        if r.generated.is_some() {
            " [generated]"
        } else {
            ""
        }
    );
    match r.outcome {
        Outcome::Pass => {}
        Outcome::Skip | Outcome::Error => {
            out.push_str(&indent(&r.message, "      "));
        }
        Outcome::Fail => {
            out.push_str(&indent(&r.message, "      "));
            for (i, e) in r.doc_errors.iter().take(opts.max_diffs.max(1)) {
                let _ = writeln!(out, "      document {i}: pipeline error: {e}");
            }
            if r.doc_errors.len() > opts.max_diffs.max(1) {
                let _ = writeln!(
                    out,
                    "      … and {} more documents failed",
                    r.doc_errors.len() - opts.max_diffs.max(1)
                );
            }
            for m in r.mismatches.iter().take(opts.max_diffs) {
                let _ = writeln!(out, "      document {}: {}", m.index, m.cause);
                let d = if c { colorize(&m.diff) } else { m.diff.clone() };
                out.push_str(&indent(&d, "        "));
            }
            if r.mismatches.len() > opts.max_diffs {
                let more = r.mismatches.len() - opts.max_diffs;
                let causes: Vec<String> = r
                    .mismatches
                    .iter()
                    .skip(opts.max_diffs)
                    .map(|m| format!("document {}: {}", m.index, m.cause))
                    .take(10)
                    .collect();
                let _ = writeln!(out, "      … and {more} more differing:");
                out.push_str(&indent(&causes.join("\n"), "        "));
            }
            for p in r.dynamic_problems.iter().chain(&r.field_problems).take(20) {
                let _ = writeln!(out, "      {p}");
            }
            let n = r.dynamic_problems.len() + r.field_problems.len();
            if n > 20 {
                let _ = writeln!(out, "      … and {} more problems", n - 20);
            }
        }
    }
}

fn strings(v: &[String]) -> Value {
    Value::List(v.iter().map(|s| Value::from(s.as_str())).collect())
}

fn count(n: usize) -> Value {
    Value::from_i64(n as i64)
}

/// The JSON report: `results` (one object per test file), `datasets` (coverage, notes), `summary`.
pub fn json(report: &RunReport) -> String {
    let mut results = Vec::new();
    for r in &report.results {
        let mut m = Map::default();
        m.insert("package".into(), r.package.as_str().into());
        m.insert("data_stream".into(), r.data_stream.as_str().into());
        m.insert("name".into(), r.name.as_str().into());
        m.insert("path".into(), r.path.display().to_string().into());
        m.insert("result".into(), r.outcome.as_str().into());
        m.insert("docs_total".into(), count(r.docs_total));
        m.insert("docs_matched".into(), count(r.docs_matched));
        m.insert("message".into(), r.message.as_str().into());
        m.insert("details".into(), r.details().into());
        let mismatches = r
            .mismatches
            .iter()
            .map(|x| {
                let mut mm = Map::default();
                mm.insert("index".into(), count(x.index));
                mm.insert("cause".into(), x.cause.as_str().into());
                mm.insert("diff".into(), x.diff.as_str().into());
                Value::Map(mm)
            })
            .collect();
        m.insert("mismatches".into(), Value::List(mismatches));
        let errors = r
            .doc_errors
            .iter()
            .map(|(i, e)| {
                let mut mm = Map::default();
                mm.insert("index".into(), count(*i));
                mm.insert("error".into(), e.as_str().into());
                Value::Map(mm)
            })
            .collect();
        m.insert("document_errors".into(), Value::List(errors));
        m.insert("field_problems".into(), strings(&r.field_problems));
        m.insert(
            "dynamic_field_problems".into(),
            strings(&r.dynamic_problems),
        );
        m.insert("causes".into(), strings(&r.causes));
        if let Some(s) = &r.skip {
            let mut sm = Map::default();
            sm.insert("reason".into(), s.reason.as_str().into());
            sm.insert("link".into(), s.link.as_str().into());
            m.insert("skip".into(), Value::Map(sm));
        }
        if let Some(g) = &r.generated {
            m.insert("generated".into(), g.display().to_string().into());
        }
        m.insert(
            "time_ms".into(),
            Value::Long(r.duration.as_millis().min(i64::MAX as u128) as i64),
        );
        results.push(Value::Map(m));
    }
    let datasets = report
        .datasets
        .iter()
        .map(|d| {
            let mut m = Map::default();
            m.insert("package".into(), d.package.as_str().into());
            m.insert("data_stream".into(), d.data_stream.as_str().into());
            m.insert("uncovered_fields".into(), strings(&d.uncovered));
            m.insert("notes".into(), strings(&d.notes));
            Value::Map(m)
        })
        .collect();
    let s = report.summary();
    let mut sm = Map::default();
    for (k, v) in [
        ("packages", s.packages),
        ("data_streams", s.data_streams),
        ("test_files", s.test_files),
        ("documents", s.documents),
        ("documents_matched", s.documents_matched),
        ("passed", s.passed),
        ("failed", s.failed),
        ("errors", s.errors),
        ("skipped", s.skipped),
        ("uncovered_fields", s.uncovered_fields),
    ] {
        sm.insert(k.into(), count(v));
    }
    sm.insert("exit_code".into(), Value::Int(report.exit_code()));
    let causes = report
        .top_causes(25)
        .into_iter()
        .map(|c| {
            let mut m = Map::default();
            m.insert("cause".into(), c.cause.into());
            m.insert("files".into(), count(c.files));
            m.insert("documents".into(), count(c.documents));
            Value::Map(m)
        })
        .collect();
    sm.insert("top_causes".into(), Value::List(causes));
    let mut top = Map::default();
    top.insert("results".into(), Value::List(results));
    top.insert("datasets".into(), Value::List(datasets));
    top.insert("summary".into(), Value::Map(sm));
    let mut text = Value::Map(top).to_json_pretty(2);
    text.push('\n');
    text
}

/// The test case of one test file's field validation (`<file> fields`): failed when an output
/// document has field problems (undefined fields, wrong types, unexpected `error.message`),
/// skipped when the test did not run.
fn field_validation_case(r: &TestFileResult) -> quick_junit::TestCase {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus};
    let status = match r.outcome {
        Outcome::Skip | Outcome::Error => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(if r.outcome == Outcome::Skip {
                "test skipped"
            } else {
                "not validated: the test could not run"
            });
            s
        }
        _ if r.field_problems.is_empty() => TestCaseStatus::success(),
        _ => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(plural(
                r.field_problems.len(),
                "field validation problem",
                "field validation problems",
            ));
            s.set_type("fields");
            s.set_description(r.field_problems.join("\n"));
            s
        }
    };
    let mut tc = TestCase::new(format!("{} fields", r.name), status);
    tc.set_classname(format!("{}.{}", r.package, r.data_stream));
    tc.set_assertions(r.docs_total);
    tc
}

/// The xUnit (JUnit XML) report: one suite per data stream, two test cases per test file (the
/// file's verdict, then its field validation, `<file> fields`), and with `--fail-on-uncovered`
/// a `field coverage` case per data stream.
pub fn xunit(report: &RunReport) -> Result<String, String> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut rep = Report::new("pipette");
    let mut suites: Vec<TestSuite> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for r in &report.results {
        let key = (r.package.clone(), r.data_stream.clone());
        if current.as_ref() != Some(&key) {
            suites.push(TestSuite::new(format!(
                "pipeline/{}.{}",
                r.package, r.data_stream
            )));
            current = Some(key);
        }
        let status = match r.outcome {
            Outcome::Pass => TestCaseStatus::success(),
            Outcome::Skip => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(r.message.as_str());
                s
            }
            Outcome::Fail | Outcome::Error => {
                let kind = if r.outcome == Outcome::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(r.message.as_str());
                s.set_type(r.outcome.as_str());
                s.set_description(r.details());
                s
            }
        };
        let mut tc = TestCase::new(r.name.as_str(), status);
        tc.set_classname(format!("{}.{}", r.package, r.data_stream));
        tc.set_time(r.duration);
        tc.set_assertions(r.docs_total);
        let fields = field_validation_case(r);
        if let Some(s) = suites.last_mut() {
            s.add_test_case(tc);
            s.add_test_case(fields);
        }
    }
    for d in &report.datasets {
        if d.uncovered.is_empty() || !report.fail_on_uncovered {
            continue;
        }
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(format!("{} uncovered fields", d.uncovered.len()));
        s.set_description(d.uncovered.join("\n"));
        let mut tc = TestCase::new("field coverage", s);
        tc.set_classname(format!("{}.{}", d.package, d.data_stream));
        let mut suite = TestSuite::new(format!("coverage/{}.{}", d.package, d.data_stream));
        suite.add_test_case(tc);
        suites.push(suite);
    }
    rep.add_test_suites(suites);
    rep.to_string().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harness::result::{DatasetReport, Mismatch};
    use std::path::PathBuf;

    fn sample() -> RunReport {
        let mut pass = TestFileResult::new("p", "d", PathBuf::from("test-a.log"));
        pass.docs_total = 2;
        pass.docs_matched = 2;
        let mut fail = TestFileResult::new("p", "d", PathBuf::from("test-b.log"));
        fail.outcome = Outcome::Fail;
        fail.docs_total = 1;
        fail.message = "1 documents differ".into();
        fail.mismatches.push(Mismatch {
            index: 0,
            cause: "value differs [a]".into(),
            diff: "--- want\n+++ got\n@@ -1 +1 @@\n-1\n+2\n".into(),
        });
        fail.causes.push("value differs [a]".into());
        RunReport {
            results: vec![pass, fail],
            datasets: vec![DatasetReport {
                package: "p".into(),
                data_stream: "d".into(),
                uncovered: vec!["x.y".into()],
                notes: vec![],
            }],
            fail_on_uncovered: false,
        }
    }

    #[test]
    fn human_report() {
        let r = sample();
        let text = human(
            &r,
            HumanOptions {
                show_causes: true,
                ..HumanOptions::default()
            },
        );
        assert!(
            text.contains("PASS  p/d test-a.log (2/2 documents matched)"),
            "{text}"
        );
        assert!(
            text.contains("FAIL  p/d test-b.log (0/1 document matched)"),
            "{text}"
        );
        assert!(text.contains("document 0: value differs [a]"), "{text}");
        assert!(
            text.contains("1 passed, 1 failed, 0 errors, 0 skipped"),
            "{text}"
        );
        assert!(
            text.contains(
                "Summary: 1 package, 1 data stream, 2 test files, 3 documents (2 matched)"
            ),
            "{text}"
        );
        assert!(text.contains("x.y"), "{text}");
        assert!(text.contains("value differs [a]\n"), "{text}");
        assert!(!text.contains('\u{1b}'));
        assert_eq!(r.exit_code(), 1);
    }

    #[test]
    fn json_and_xunit_reports() {
        let r = sample();
        let j = Value::from_json_str(&json(&r)).unwrap();
        let first = &j.as_map().unwrap()["results"].as_list().unwrap()[1];
        assert_eq!(first.as_map().unwrap()["result"], Value::from("fail"));
        assert_eq!(
            j.as_map().unwrap()["summary"].as_map().unwrap()["exit_code"],
            Value::Int(1)
        );
        let x = xunit(&r).unwrap();
        assert!(x.contains("<testcase name=\"test-b.log\""), "{x}");
        assert!(x.contains("<failure"), "{x}");
        assert!(x.contains("<testcase name=\"test-b.log fields\""), "{x}");
        let mut r = r;
        r.results[1]
            .field_problems
            .push("document 0: field \"z\" is undefined".into());
        let x = xunit(&r).unwrap();
        assert!(x.contains("1 field validation problem"), "{x}");
        assert!(
            x.contains("field &quot;z&quot; is undefined")
                || x.contains("field \"z\" is undefined"),
            "{x}"
        );
    }
}
