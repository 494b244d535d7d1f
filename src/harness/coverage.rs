//! Processor coverage: which processors of each pipeline file ran at least once over the tests,
//! written as Cobertura XML the way `elastic-package test pipeline --test-coverage` writes it
//! (`internal/testrunner/runners/pipeline/coverage.go`): one class per pipeline file, one method
//! per top-level processor named by its type, one line per source line of the processor (from
//! the line of its `- type:` item to its last line), each with the processor's hit count.
//! A hit is a run of the processor (its `if` true), as Elasticsearch's per-processor ingest stats
//! count them; `on_failure` handlers and pipeline-level `on_failure` are not counted, as in
//! elastic-package.

use super::clock::Clock;
use super::config::TestConfig;
use super::discover::{Dataset, Suite};
use super::input::read_events;
use super::result::RunReport;
use super::trace::{new_document, run_observed};
use crate::document::IngestDocument;
use crate::pipeline::{Observer, PipelineSet, ProcessorNode, Status};
use crate::resources::Resources;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One top-level processor and how often it ran.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessorHits {
    /// Processor type.
    pub processor_type: String,
    /// `tag`, if any.
    pub tag: Option<String>,
    /// First line (the `- type:` item), 1-based.
    pub first_line: usize,
    /// Last line of its definition.
    pub last_line: usize,
    /// Runs over all tests.
    pub hits: u64,
}

/// One pipeline file's processors.
#[derive(Debug, Clone)]
pub struct PipelineCoverage {
    /// Package name.
    pub package: String,
    /// Data stream name.
    pub data_stream: String,
    /// Pipeline id (file stem).
    pub pipeline: String,
    /// The pipeline file.
    pub file: PathBuf,
    /// Top-level processors, in order (those without a known line are left out).
    pub processors: Vec<ProcessorHits>,
    /// Top-level processors whose line is not known (JSON pipelines, routing rules).
    pub unplaced: usize,
}

impl PipelineCoverage {
    /// Processors that ran at least once.
    pub fn covered(&self) -> usize {
        self.processors.iter().filter(|p| p.hits > 0).count()
    }
}

/// Coverage of a whole run, by pipeline file (in dataset order, then pipeline id).
#[derive(Debug, Clone, Default)]
pub struct CoverageReport {
    /// The folder file names are relative to (the repository, or the folder holding packages).
    pub root: PathBuf,
    /// One entry per pipeline file.
    pub pipelines: Vec<PipelineCoverage>,
    /// Datasets whose pipelines did not load (name, message).
    pub errors: Vec<(String, String)>,
}

/// Counts runs of top-level processors, found by address.
struct HitCounter<'a> {
    index: &'a HashMap<usize, (usize, usize)>,
    hits: &'a mut [PipelineCoverage],
}

impl Observer for HitCounter<'_> {
    fn processor_done(&mut self, node: &ProcessorNode, status: &Status, _doc: &IngestDocument) {
        if matches!(status, Status::Skipped) {
            return;
        }
        if let Some(&(p, i)) = self.index.get(&(node as *const ProcessorNode as usize))
            && let Some(h) = self.hits.get_mut(p).and_then(|p| p.processors.get_mut(i))
        {
            h.hits += 1;
        }
    }
}

/// The last line of each item starting at `firsts` (1-based, ascending): the last line before
/// the next item (or the end of the `processors` list) that is neither blank nor a comment.
pub fn last_lines(text: &str, firsts: &[usize]) -> Vec<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let content = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let mut out = Vec::with_capacity(firsts.len());
    for (k, &first) in firsts.iter().enumerate() {
        let end = match firsts.get(k + 1) {
            Some(&next) => next.saturating_sub(1),
            None => {
                // Up to the next top-level key.
                let mut e = lines.len();
                for (i, l) in lines.iter().enumerate().skip(first) {
                    if !l.starts_with([' ', '\t', '-', '#']) && !l.trim().is_empty() {
                        e = i;
                        break;
                    }
                }
                e
            }
        };
        let mut last = first;
        for n in (first..=end.min(lines.len())).rev() {
            // 1 <= n <= lines.len(): the range and the test before.
            if n >= 1 && content(lines[n - 1]) {
                last = n;
                break;
            }
        }
        out.push(last.max(first));
    }
    out
}

/// The pipelines of one dataset, with their top-level processors placed on lines, and an index
/// from node address to (pipeline position in `out`, processor position).
fn register(
    ds: &Dataset,
    set: &PipelineSet,
    out: &mut Vec<PipelineCoverage>,
) -> HashMap<usize, (usize, usize)> {
    let mut index = HashMap::new();
    for (id, p) in set.iter() {
        let Some(file) = &p.file else { continue };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let placed: Vec<(usize, &ProcessorNode)> = p
            .processors
            .iter()
            .filter_map(|n| n.place.line.map(|l| (l, n)))
            .collect();
        let firsts: Vec<usize> = placed.iter().map(|(l, _)| *l).collect();
        let lasts = last_lines(&text, &firsts);
        let at = out.len();
        let mut pc = PipelineCoverage {
            package: ds.package.clone(),
            data_stream: ds.name.clone(),
            pipeline: id.clone(),
            file: file.clone(),
            processors: Vec::new(),
            unplaced: p.processors.len() - placed.len(),
        };
        for (i, ((first, node), last)) in placed.iter().zip(lasts).enumerate() {
            index.insert(*node as *const ProcessorNode as usize, (at, i));
            pc.processors.push(ProcessorHits {
                processor_type: node.type_name.clone(),
                tag: node.tag.clone(),
                first_line: *first,
                last_line: last,
                hits: 0,
            });
        }
        out.push(pc);
    }
    index
}

/// Runs every test input of every dataset again, counting processor runs. Skipped tests and
/// inputs that do not read are left out (the test report shows them).
pub fn collect(suite: &Suite, clock: &Clock, resources: &Resources) -> CoverageReport {
    // File names are relative to the repository root; for elastic-package packages, to the
    // folder holding the package, so that they start with the package's name (as
    // elastic-package's do).
    let root = suite
        .datasets
        .first()
        .and_then(|d| d.package_root.as_ref())
        .and_then(|r| std::fs::canonicalize(r).ok())
        .and_then(|r| r.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| suite.root.clone());
    let mut report = CoverageReport {
        root,
        ..CoverageReport::default()
    };
    for ds in &suite.datasets {
        let set = match super::run::load_dataset_pipelines(ds, resources) {
            Ok(s) => s,
            Err(e) => {
                report.errors.push((ds.full_name(), e));
                continue;
            }
        };
        let start = report.pipelines.len();
        let index = register(ds, &set, &mut report.pipelines);
        let index_name = ds.simulated_index();
        for input in &ds.inputs {
            let Ok(config) = TestConfig::for_input(input) else {
                continue;
            };
            if config.skip.is_some() || ds.skip.is_some() {
                continue;
            }
            let Ok(events) = read_events(input, &config) else {
                continue;
            };
            for ev in events {
                let doc = new_document(ev, Some(&index_name), clock);
                let mut counter = HitCounter {
                    index: &index,
                    hits: &mut report.pipelines,
                };
                let _ = run_observed(&set, &ds.entry, doc, &mut counter);
            }
        }
        // Entry pipeline first, then the others by id.
        report.pipelines[start..].sort_by(|a, b| {
            (a.pipeline != ds.entry, &a.pipeline).cmp(&(b.pipeline != ds.entry, &b.pipeline))
        });
    }
    report
}

fn rel(root: &Path, file: &Path) -> String {
    let abs_root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    let abs_file = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    abs_file
        .strip_prefix(&abs_root)
        .map(Path::to_path_buf)
        .unwrap_or(abs_file)
        .to_string_lossy()
        .replace('\\', "/")
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn rate(covered: usize, valid: usize) -> String {
    if valid == 0 {
        "0".into()
    } else {
        let r = covered as f64 / valid as f64;
        let s = format!("{r:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl CoverageReport {
    /// (covered, valid) source lines: every line of a processor, covered when it ran.
    pub fn line_totals(&self) -> (usize, usize) {
        let mut covered = 0;
        let mut valid = 0;
        for p in &self.pipelines {
            for h in &p.processors {
                let n = h.last_line - h.first_line + 1;
                valid += n;
                if h.hits > 0 {
                    covered += n;
                }
            }
        }
        (covered, valid)
    }

    /// (covered, total) processors with a known line.
    pub fn processor_totals(&self) -> (usize, usize) {
        let covered = self.pipelines.iter().map(PipelineCoverage::covered).sum();
        let total = self.pipelines.iter().map(|p| p.processors.len()).sum();
        (covered, total)
    }

    /// Cobertura XML (coverage-04 DTD), with elastic-package's element layout; `timestamp` in
    /// nanoseconds since the epoch, as elastic-package writes it.
    pub fn cobertura(&self, timestamp: i64) -> String {
        let (lc, lv) = self.line_totals();
        let mut x = String::new();
        x.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        x.push_str(
            "<!DOCTYPE coverage SYSTEM \"http://cobertura.sourceforge.net/xml/coverage-04.dtd\">\n",
        );
        let _ = writeln!(
            x,
            "<coverage line-rate=\"{}\" branch-rate=\"0\" version=\"\" timestamp=\"{timestamp}\" lines-covered=\"{lc}\" lines-valid=\"{lv}\" branches-covered=\"0\" branches-valid=\"0\" complexity=\"0\">",
            rate(lc, lv)
        );
        let root = std::fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        let _ = writeln!(
            x,
            "  <sources>\n    <source>{}</source>\n  </sources>",
            xml_escape(&root.to_string_lossy())
        );
        x.push_str("  <packages>\n");
        let mut i = 0;
        while i < self.pipelines.len() {
            // In bounds: the loop condition.
            let (pk, ds) = (&self.pipelines[i].package, &self.pipelines[i].data_stream);
            let group: Vec<&PipelineCoverage> = self.pipelines[i..]
                .iter()
                .take_while(|p| &p.package == pk && &p.data_stream == ds)
                .collect();
            i += group.len();
            let (mut gc, mut gv) = (0, 0);
            for p in &group {
                for h in &p.processors {
                    let n = h.last_line - h.first_line + 1;
                    gv += n;
                    if h.hits > 0 {
                        gc += n;
                    }
                }
            }
            let _ = writeln!(
                x,
                "    <package name=\"{}\" line-rate=\"{}\" branch-rate=\"0\" complexity=\"0\">\n      <classes>",
                xml_escape(&format!("{pk}.{ds}")),
                rate(gc, gv)
            );
            for p in group {
                let (mut cc, mut cv) = (0, 0);
                for h in &p.processors {
                    let n = h.last_line - h.first_line + 1;
                    cv += n;
                    if h.hits > 0 {
                        cc += n;
                    }
                }
                let _ = writeln!(
                    x,
                    "        <class name=\"{}\" filename=\"{}\" line-rate=\"{}\" branch-rate=\"0\" complexity=\"0\">\n          <methods>",
                    xml_escape(&p.pipeline),
                    xml_escape(&rel(&self.root, &p.file)),
                    rate(cc, cv)
                );
                let mut all_lines = String::new();
                for h in &p.processors {
                    let covered = if h.hits > 0 { "1" } else { "0" };
                    let _ = writeln!(
                        x,
                        "            <method name=\"{}\" signature=\"\" line-rate=\"{covered}\" branch-rate=\"0\" complexity=\"0\">\n              <lines>",
                        xml_escape(&h.processor_type)
                    );
                    for n in h.first_line..=h.last_line {
                        let line = format!("<line number=\"{n}\" hits=\"{}\"></line>", h.hits);
                        let _ = writeln!(x, "                {line}");
                        let _ = writeln!(all_lines, "            {line}");
                    }
                    x.push_str("              </lines>\n            </method>\n");
                }
                x.push_str("          </methods>\n          <lines>\n");
                x.push_str(&all_lines);
                x.push_str("          </lines>\n        </class>\n");
            }
            x.push_str("      </classes>\n    </package>\n");
        }
        x.push_str("  </packages>\n</coverage>\n");
        x
    }

    /// A short readable summary: processors run per pipeline file, those never run (up to
    /// `max_missed` per file), and the field coverage of the test run.
    pub fn summary(&self, run: Option<&RunReport>, max_missed: usize) -> String {
        let mut out =
            String::from("Processor coverage (top-level processors run at least once):\n");
        for p in &self.pipelines {
            let total = p.processors.len();
            let covered = p.covered();
            let pct = if total == 0 {
                100.0
            } else {
                covered as f64 * 100.0 / total as f64
            };
            let _ = writeln!(
                out,
                "  {:>5.1}%  {covered:>3}/{total:<3} {}",
                pct,
                rel(&self.root, &p.file)
            );
            let missed: Vec<&ProcessorHits> = p.processors.iter().filter(|h| h.hits == 0).collect();
            for h in missed.iter().take(max_missed) {
                let tag = h
                    .tag
                    .as_ref()
                    .map(|t| format!(" [{t}]"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "           never ran: line {} {}{tag}",
                    h.first_line, h.processor_type
                );
            }
            if missed.len() > max_missed {
                let _ = writeln!(out, "           … and {} more", missed.len() - max_missed);
            }
            if p.unplaced > 0 {
                let _ = writeln!(
                    out,
                    "           ({} processors without a source line not counted)",
                    p.unplaced
                );
            }
        }
        for (ds, e) in &self.errors {
            let _ = writeln!(
                out,
                "  {ds}: not measured: {}",
                e.lines().next().unwrap_or("")
            );
        }
        let (c, t) = self.processor_totals();
        let (lc, lv) = self.line_totals();
        let _ = writeln!(
            out,
            "  total: {c}/{t} processors, {lc}/{lv} lines ({})",
            if lv == 0 {
                "n/a".to_string()
            } else {
                format!("{:.1}%", lc as f64 * 100.0 / lv as f64)
            }
        );
        if let Some(run) = run {
            out.push_str("Field coverage (defined fields no expected document contains):\n");
            for d in &run.datasets {
                let _ = writeln!(
                    out,
                    "  {}.{}: {}",
                    d.package,
                    d.data_stream,
                    if d.uncovered.is_empty() {
                        "all covered".to_string()
                    } else {
                        format!("{} not covered", d.uncovered.len())
                    }
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_skip_blank_and_comments() {
        let text = "processors:\n  - set:\n      field: a\n\n  # next\n  - remove:\n      field: b\n      ignore_missing: true\n\non_failure:\n  - set:\n      field: x\n";
        assert_eq!(last_lines(text, &[2, 6]), vec![3, 8]);
    }

    #[test]
    fn cobertura_shape() {
        let r = CoverageReport {
            root: PathBuf::from("."),
            pipelines: vec![PipelineCoverage {
                package: "p".into(),
                data_stream: "d".into(),
                pipeline: "default".into(),
                file: PathBuf::from("pipelines/d/default.yml"),
                processors: vec![
                    ProcessorHits {
                        processor_type: "set".into(),
                        tag: None,
                        first_line: 2,
                        last_line: 3,
                        hits: 4,
                    },
                    ProcessorHits {
                        processor_type: "remove".into(),
                        tag: Some("r".into()),
                        first_line: 4,
                        last_line: 4,
                        hits: 0,
                    },
                ],
                unplaced: 0,
            }],
            errors: vec![],
        };
        let x = r.cobertura(7);
        assert!(x.contains("lines-covered=\"2\" lines-valid=\"3\""), "{x}");
        assert!(x.contains("<package name=\"p.d\""), "{x}");
        assert!(
            x.contains("<class name=\"default\" filename=\"pipelines/d/default.yml\""),
            "{x}"
        );
        assert!(x.contains("<method name=\"remove\""), "{x}");
        assert!(x.contains("<line number=\"4\" hits=\"0\"></line>"), "{x}");
        assert_eq!(x.matches("<line number=\"2\" hits=\"4\">").count(), 2);
        let s = r.summary(None, 5);
        assert!(s.contains(" 50.0%    1/2"), "{s}");
        assert!(s.contains("never ran: line 4 remove [r]"), "{s}");
    }
}
