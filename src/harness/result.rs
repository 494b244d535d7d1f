//! Results of a test run: one per test file, coverage per dataset, and the summary.

use super::config::Skip;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `1 document`, `2 documents`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The outcome of one test file, as elastic-package names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// Every document matched and validated.
    Pass,
    /// A document differs, or a check on the output failed.
    Fail,
    /// The test could not run: broken pipeline, malformed input, config or golden file.
    Error,
    /// Disabled by a `skip` config.
    Skip,
}

impl Outcome {
    /// `pass`, `fail`, `error`, `skip`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Error => "error",
            Outcome::Skip => "skip",
        }
    }
}

/// One document whose output differs from the golden file.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// Index of the document in the input (0-based).
    pub index: usize,
    /// Normalised cause, e.g. `missing field [event.category]`.
    pub cause: String,
    /// Unified diff of the expected vs actual document.
    pub diff: String,
}

/// The result of one test file.
#[derive(Debug, Clone)]
pub struct TestFileResult {
    /// Package name.
    pub package: String,
    /// Data stream name.
    pub data_stream: String,
    /// Input file name (`test-foo.log`).
    pub name: String,
    /// Input file path.
    pub path: PathBuf,
    /// The outcome.
    pub outcome: Outcome,
    /// Documents the input produced (events sent through the pipeline).
    pub docs_total: usize,
    /// Documents equal to their golden counterpart.
    pub docs_matched: usize,
    /// The one-line reason for a failure, error or skip.
    pub message: String,
    /// Documents that differ from the golden file.
    pub mismatches: Vec<Mismatch>,
    /// Documents the pipeline failed on (index, error).
    pub doc_errors: Vec<(usize, String)>,
    /// Field validation problems (`document N: field: message`).
    pub field_problems: Vec<String>,
    /// Dynamic fields whose value does not match their pattern.
    pub dynamic_problems: Vec<String>,
    /// Normalised causes of failure (for grouping across a run); each counted once per file.
    pub causes: Vec<String>,
    /// The skip config, when skipped.
    pub skip: Option<Skip>,
    /// The golden file written by `--generate`, if any.
    pub generated: Option<PathBuf>,
    /// Wall time of the test.
    pub duration: Duration,
}

impl TestFileResult {
    /// A result with nothing run yet.
    pub fn new(package: &str, data_stream: &str, path: PathBuf) -> Self {
        TestFileResult {
            package: package.to_string(),
            data_stream: data_stream.to_string(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
            outcome: Outcome::Pass,
            docs_total: 0,
            docs_matched: 0,
            message: String::new(),
            mismatches: Vec::new(),
            doc_errors: Vec::new(),
            field_problems: Vec::new(),
            dynamic_problems: Vec::new(),
            causes: Vec::new(),
            skip: None,
            generated: None,
            duration: Duration::ZERO,
        }
    }

    /// Marks the result as an error with a message (its cause is the message).
    pub fn error(mut self, message: String, cause: String) -> Self {
        self.outcome = Outcome::Error;
        self.message = message;
        self.causes = vec![cause];
        self
    }

    /// The human-readable details: reason, document errors, diffs, problems (no colour).
    pub fn details(&self) -> String {
        let mut s = String::new();
        if !self.message.is_empty() {
            s.push_str(&self.message);
            s.push('\n');
        }
        for (i, e) in &self.doc_errors {
            s.push_str(&format!("document {i}: pipeline error: {e}\n"));
        }
        for m in &self.mismatches {
            s.push_str(&format!("document {}: {}\n", m.index, m.cause));
            s.push_str(&m.diff);
        }
        for p in &self.dynamic_problems {
            s.push_str(p);
            s.push('\n');
        }
        for p in &self.field_problems {
            s.push_str(p);
            s.push('\n');
        }
        s
    }
}

/// Coverage and notes for one dataset.
#[derive(Debug, Clone, Default)]
pub struct DatasetReport {
    /// Package name.
    pub package: String,
    /// Data stream name.
    pub data_stream: String,
    /// Defined fields no golden (or, when generating, produced) document contains.
    pub uncovered: Vec<String>,
    /// Things the user should know about the data stream.
    pub notes: Vec<String>,
}

/// A whole run: results in discovery order, dataset reports, and options that affect the verdict.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// One result per test file.
    pub results: Vec<TestFileResult>,
    /// One report per dataset.
    pub datasets: Vec<DatasetReport>,
    /// Uncovered fields make the run fail.
    pub fail_on_uncovered: bool,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Distinct packages.
    pub packages: usize,
    /// Distinct data streams.
    pub data_streams: usize,
    /// Test files.
    pub test_files: usize,
    /// Documents run.
    pub documents: usize,
    /// Documents that matched their golden.
    pub documents_matched: usize,
    /// Test files passed.
    pub passed: usize,
    /// Test files failed.
    pub failed: usize,
    /// Test files in error.
    pub errors: usize,
    /// Test files skipped.
    pub skipped: usize,
    /// Uncovered fields, over all datasets.
    pub uncovered_fields: usize,
}

impl RunReport {
    /// Totals.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        let mut pk: Vec<&str> = self.datasets.iter().map(|d| d.package.as_str()).collect();
        pk.extend(self.results.iter().map(|r| r.package.as_str()));
        pk.sort_unstable();
        pk.dedup();
        s.packages = pk.len();
        let mut ds: Vec<(&str, &str)> = self
            .datasets
            .iter()
            .map(|d| (d.package.as_str(), d.data_stream.as_str()))
            .collect();
        ds.sort_unstable();
        ds.dedup();
        s.data_streams = ds.len();
        s.test_files = self.results.len();
        for r in &self.results {
            s.documents += r.docs_total;
            s.documents_matched += r.docs_matched;
            match r.outcome {
                Outcome::Pass => s.passed += 1,
                Outcome::Fail => s.failed += 1,
                Outcome::Error => s.errors += 1,
                Outcome::Skip => s.skipped += 1,
            }
        }
        s.uncovered_fields = self.datasets.iter().map(|d| d.uncovered.len()).sum();
        s
    }

    /// 0 when everything passed, 2 when an input could not be run (error), else 1 on failures
    /// (or uncovered fields with `fail_on_uncovered`).
    pub fn exit_code(&self) -> i32 {
        let s = self.summary();
        if s.errors > 0 {
            2
        } else if s.failed > 0 || (self.fail_on_uncovered && s.uncovered_fields > 0) {
            1
        } else {
            0
        }
    }

    /// Failure causes by how many test files show them (then documents), commonest first.
    pub fn top_causes(&self, limit: usize) -> Vec<CauseCount> {
        let mut counts: BTreeMap<&str, CauseCount> = BTreeMap::new();
        for r in &self.results {
            for c in &r.causes {
                let e = counts.entry(c.as_str()).or_insert_with(|| CauseCount {
                    cause: c.clone(),
                    files: 0,
                    documents: 0,
                });
                e.files += 1;
                e.documents += r.mismatches.iter().filter(|m| m.cause == *c).count();
            }
        }
        let mut v: Vec<CauseCount> = counts.into_values().collect();
        v.sort_by(|a, b| {
            b.files
                .cmp(&a.files)
                .then(b.documents.cmp(&a.documents))
                .then(a.cause.cmp(&b.cause))
        });
        v.truncate(limit);
        v
    }
}

/// One failure cause and how often it occurs.
#[derive(Debug, Clone, PartialEq)]
pub struct CauseCount {
    /// The normalised cause.
    pub cause: String,
    /// Test files showing it.
    pub files: usize,
    /// Mismatching documents showing it.
    pub documents: usize,
}
