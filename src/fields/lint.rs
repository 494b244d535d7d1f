//! `pipette fields lint`: checks fields.yml files against package-spec's JSON schema for field
//! definitions (`spec/integration/data_stream/fields/fields.spec.yml`): allowed keys, key types,
//! enumerations, the name pattern and the conditional rules (`object_type` needs `type: object`,
//! `metric_type` a numeric type, `fields` a `group` or `nested`, …), gated by the package's
//! `format_version` where the spec's version patches change them. Duplicate names are reported
//! too (elastic-package's semantic check).

use super::SpecVersion;
use crate::value::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One lint finding.
#[derive(Debug, Clone, PartialEq)]
pub struct LintProblem {
    /// The fields file.
    pub file: PathBuf,
    /// 1-based line of the field's `name:` (or of the file start), when found.
    pub line: Option<usize>,
    /// The field's full dotted name (empty when the item has none).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for LintProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if self.field.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": field [{}]: {}", self.field, self.message)
        }
    }
}

const TYPES: &[&str] = &[
    "aggregate_metric_double",
    "alias",
    "histogram",
    "constant_keyword",
    "text",
    "match_only_text",
    "keyword",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "date",
    "date_nanos",
    "boolean",
    "binary",
    "integer_range",
    "float_range",
    "long_range",
    "double_range",
    "date_range",
    "ip_range",
    "group",
    "geo_point",
    "object",
    "ip",
    "nested",
    "flattened",
    "wildcard",
    "version",
    "unsigned_long",
    "counted_keyword",
];
const STRING_KEYS: &[&str] = &[
    "description",
    "value",
    "date_format",
    "pattern",
    "copy_to",
    "analyzer",
    "search_analyzer",
    "normalizer",
    "path",
    "footnote",
    "format",
    "title",
];
const BOOL_KEYS: &[&str] = &[
    "dimension",
    "doc_values",
    "index",
    "enabled",
    "ignore_malformed",
    "include_in_parent",
    "include_in_root",
    "subobjects",
    "default_field",
    "norms",
];
const INT_KEYS: &[&str] = &["scaling_factor", "ignore_above"];
const OTHER_KEYS: &[&str] = &[
    "name",
    "type",
    "expected_values",
    "example",
    "metric_type",
    "unit",
    "external",
    "fields",
    "dynamic",
    "multi_fields",
    "null_value",
    "object_type",
    "object_type_mapping_type",
    "normalize",
    "default_metric",
    "metrics",
    "runtime",
    "level",
    "group",
];
const METRIC_TYPES: &[&str] = &["counter", "gauge"];
const UNITS: &[&str] = &[
    "byte", "percent", "d", "h", "m", "s", "ms", "micros", "nanos",
];
const OBJECT_TYPES: &[&str] = &[
    "boolean",
    "byte",
    "double",
    "float",
    "histogram",
    "keyword",
    "long",
    "object",
    "short",
    "text",
    "integer",
    "half_float",
    "scaled_float",
    "unsigned_long",
];
const MAPPING_TYPES: &[&str] = &[
    "*", "array", "double", "false", "long", "null", "object", "string", "true",
];
const AGGREGATIONS: &[&str] = &["min", "max", "sum", "value_count", "avg"];
const RUNTIME_TYPES: &[&str] = &[
    "boolean",
    "date",
    "double",
    "geo_point",
    "ip",
    "keyword",
    "long",
];
const METRIC_FIELD_TYPES: &[&str] = &[
    "histogram",
    "aggregate_metric_double",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
];
const NUMERIC_OBJECT_TYPES: &[&str] = &[
    "histogram",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
];

fn name_ok(name: &str) -> bool {
    // ^[\-*_\/@A-Za-z0-9]+(\.[\-*_\/@A-Za-z0-9]+)*$
    !name.is_empty()
        && name.split('.').all(|seg| {
            !seg.is_empty()
                && seg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '*' | '_' | '/' | '@'))
        })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Int(_) | Value::Long(_) => "integer",
        Value::Float(_) | Value::Double(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "array",
        Value::Map(_) => "object",
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Linter<'a> {
    file: &'a Path,
    lines: Vec<&'a str>,
    /// Next line to search a `name:` from (definitions appear in file order).
    cursor: usize,
    version: SpecVersion,
    out: Vec<LintProblem>,
    seen: HashMap<String, usize>,
}

impl Linter<'_> {
    fn find_line(&mut self, name: &str) -> Option<usize> {
        for i in self.cursor..self.lines.len() {
            // In bounds: the loop's range.
            let t = self.lines[i]
                .trim_start()
                .trim_start_matches("- ")
                .trim_start();
            if let Some(rest) = t.strip_prefix("name:") {
                let v = rest.trim().trim_matches(|c| c == '"' || c == '\'');
                if v == name {
                    self.cursor = i + 1;
                    return Some(i + 1);
                }
            }
        }
        None
    }

    fn problem(&mut self, line: Option<usize>, field: &str, message: String) {
        self.out.push(LintProblem {
            file: self.file.to_path_buf(),
            line,
            field: field.to_string(),
            message,
        });
    }

    fn list(&mut self, v: &Value, prefix: &str, what: &str) {
        let Value::List(items) = v else {
            let m = format!(
                "{what} must be a list of field definitions, not {}",
                kind(v)
            );
            self.problem(None, prefix, m);
            return;
        };
        for item in items {
            self.item(item, prefix);
        }
    }

    fn item(&mut self, v: &Value, prefix: &str) {
        let Value::Map(m) = v else {
            let msg = format!("a field definition must be an object, not {}", kind(v));
            self.problem(None, prefix, msg);
            return;
        };
        let name = match m.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                let msg = format!("[name] must be a string, not {}", kind(other));
                self.problem(None, prefix, msg);
                return;
            }
            None => {
                self.problem(None, prefix, "[name] is required".into());
                return;
            }
        };
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let line = self.find_line(&name);
        let p = |s: &mut Self, msg: String| s.problem(line, &full, msg);
        if !name_ok(&name) {
            p(
                self,
                format!(
                    "name [{name}] does not match the pattern ^[\\-*_\\/@A-Za-z0-9]+(\\.[\\-*_\\/@A-Za-z0-9]+)*$"
                ),
            );
        }
        let v310 = self.version >= SpecVersion(3, 1, 0);
        let v300 = self.version >= SpecVersion(3, 0, 0);
        // Before 2.0.0 unknown keys were allowed (and `array` was a type).
        let v200 = self.version >= SpecVersion(2, 0, 0);
        let v280 = self.version >= SpecVersion(2, 8, 0);
        for (k, val) in m {
            let known = STRING_KEYS.contains(&k.as_str())
                || BOOL_KEYS.contains(&k.as_str())
                || INT_KEYS.contains(&k.as_str())
                || OTHER_KEYS.contains(&k.as_str());
            if v200 && (!known || (k == "subobjects" && !v310) || (k == "runtime" && !v280)) {
                p(
                    self,
                    format!("unknown key [{k}] (not allowed by package-spec)"),
                );
                continue;
            }
            if STRING_KEYS.contains(&k.as_str()) && !matches!(val, Value::String(_)) {
                p(self, format!("[{k}] must be a string, not {}", kind(val)));
            }
            if BOOL_KEYS.contains(&k.as_str()) && !matches!(val, Value::Bool(_)) {
                p(self, format!("[{k}] must be a boolean, not {}", kind(val)));
            }
            if INT_KEYS.contains(&k.as_str()) && !matches!(val, Value::Int(_) | Value::Long(_)) {
                p(self, format!("[{k}] must be an integer, not {}", kind(val)));
            }
        }
        let s = |k: &str| m.get(k).and_then(Value::as_str);
        let enum_check = |s: &mut Self, key: &str, allowed: &[&str]| {
            if let Some(val) = m.get(key) {
                match val.as_str() {
                    Some(x) if allowed.contains(&x) => {}
                    _ => s.problem(
                        line,
                        &full,
                        format!(
                            "[{key}] must be one of {}, not {}",
                            list(allowed),
                            val.to_json()
                        ),
                    ),
                }
            }
        };
        let mut types: Vec<&str> = TYPES
            .iter()
            .copied()
            .filter(|t| v310 || *t != "counted_keyword")
            .filter(|t| self.version >= SpecVersion(2, 7, 0) || *t != "aggregate_metric_double")
            .collect();
        if !v200 {
            types.push("array");
        }
        enum_check(self, "type", &types);
        enum_check(self, "metric_type", METRIC_TYPES);
        enum_check(self, "unit", UNITS);
        enum_check(self, "external", &["ecs"]);
        enum_check(self, "object_type", OBJECT_TYPES);
        enum_check(self, "object_type_mapping_type", MAPPING_TYPES);
        for k in ["level", "group"] {
            if let Some(val) = m.get(k)
                && !matches!(val, Value::String(_) | Value::Int(_) | Value::Long(_))
            {
                p(
                    self,
                    format!("[{k}] must be a string or an integer, not {}", kind(val)),
                );
            }
        }
        if let Some(d) = m.get("dynamic")
            && !matches!(d, Value::Bool(_))
            && !matches!(d.as_str(), Some("strict" | "runtime"))
        {
            p(
                self,
                format!(
                    "[dynamic] must be one of true, false, \"strict\", \"runtime\", not {}",
                    d.to_json()
                ),
            );
        }
        if let Some(ev) = m.get("expected_values")
            && !matches!(ev, Value::List(l) if l.iter().all(|x| matches!(x, Value::String(_))))
        {
            p(self, "[expected_values] must be a list of strings".into());
        }
        if let Some(n) = m.get("normalize")
            && !matches!(n, Value::List(l) if l.iter().all(|x| x.as_str() == Some("array")))
        {
            p(self, "[normalize] must be a list of \"array\"".into());
        }
        if let Some(r) = m.get("runtime")
            && !matches!(r, Value::Bool(_) | Value::String(_))
        {
            p(
                self,
                format!("[runtime] must be a string or a boolean, not {}", kind(r)),
            );
        }
        if let Some(e) = m.get("example")
            && let Value::List(l) = e
            && l.iter()
                .any(|x| matches!(x, Value::List(_) | Value::Map(_) | Value::Null))
        {
            p(
                self,
                "[example] list items must be strings, numbers or booleans".into(),
            );
        }

        // Conditional rules (allOf in the spec).
        let ty = s("type");
        let is_amd = ty == Some("aggregate_metric_double");
        for k in ["default_metric", "metrics"] {
            match (is_amd, m.get(k)) {
                (true, None) => p(
                    self,
                    format!("[{k}] is required for type aggregate_metric_double"),
                ),
                (false, Some(_)) => p(
                    self,
                    format!("[{k}] is only allowed with type aggregate_metric_double"),
                ),
                _ => {}
            }
        }
        if is_amd {
            if let Some(d) = m.get("default_metric")
                && !d.as_str().is_some_and(|x| AGGREGATIONS.contains(&x))
            {
                p(
                    self,
                    format!("[default_metric] must be one of {}", list(AGGREGATIONS)),
                );
            }
            if let Some(ms) = m.get("metrics")
                && !matches!(ms, Value::List(l) if l.iter().all(|x| x.as_str().is_some_and(|x| AGGREGATIONS.contains(&x))))
            {
                p(
                    self,
                    format!("[metrics] must be a list of {}", list(AGGREGATIONS)),
                );
            }
        }
        if v280 && m.contains_key("runtime") && !ty.is_some_and(|t| RUNTIME_TYPES.contains(&t)) {
            p(
                self,
                format!(
                    "[runtime] is only allowed with types {}",
                    list(RUNTIME_TYPES)
                ),
            );
        }
        if m.contains_key("metric_type")
            && !m.contains_key("object_type")
            && !ty.is_some_and(|t| METRIC_FIELD_TYPES.contains(&t))
            && !m.contains_key("external")
        {
            p(self, "[metric_type] needs a numeric type (or histogram, aggregate_metric_double) or external".into());
        }
        // The spec's "object_type needs type object" rule is removed before 2.0.0.
        if v200 && m.contains_key("object_type") && ty != Some("object") {
            p(
                self,
                "[object_type] is only allowed with type object".into(),
            );
        }
        if ty == Some("object")
            && m.contains_key("metric_type")
            && m.contains_key("object_type")
            && !s("object_type").is_some_and(|t| NUMERIC_OBJECT_TYPES.contains(&t))
        {
            p(
                self,
                format!(
                    "[object_type] of a metric must be one of {}",
                    list(NUMERIC_OBJECT_TYPES)
                ),
            );
        }
        if ty == Some("object") && v300 {
            let has_ot = m.contains_key("object_type");
            let enabled = m.get("enabled");
            let ok = if self.version >= SpecVersion(3, 0, 3) {
                (has_ot && enabled.is_none_or(|e| *e == Value::Bool(true)))
                    ^ (!has_ot && enabled == Some(&Value::Bool(false)))
            } else {
                has_ot
            };
            if !ok {
                p(self, "a field of type object needs [object_type] (or [enabled: false] without object_type)".into());
            }
        }
        if v300 && m.contains_key("fields") && ty.is_some_and(|t| t != "group" && t != "nested") {
            p(
                self,
                format!(
                    "a field with [fields] must be of type group or nested, not {}",
                    ty.unwrap_or("")
                ),
            );
        }
        if m.contains_key("subobjects") && ty != Some("object") {
            p(self, "[subobjects] is only allowed with type object".into());
        }
        if ty != Some("group") && !m.contains_key("fields") {
            match self.seen.get(&full) {
                Some(first) => {
                    let msg = format!("defined more than once (first at line {first})");
                    p(self, msg);
                }
                None => {
                    self.seen.insert(full.clone(), line.unwrap_or(0));
                }
            }
        }
        if let Some(children) = m.get("fields") {
            self.list(children, &full, "[fields]");
        }
        if let Some(mf) = m.get("multi_fields") {
            let saved = self.cursor;
            let mut inner = Linter {
                file: self.file,
                lines: self.lines.clone(),
                cursor: saved,
                version: self.version,
                out: Vec::new(),
                seen: HashMap::new(),
            };
            inner.list(mf, &full, "[multi_fields]");
            self.cursor = inner.cursor;
            self.out.extend(inner.out);
        }
    }
}

/// Lints one fields file's text; `version` is the package's `format_version`.
pub fn lint_text(file: &Path, text: &str, version: SpecVersion) -> Vec<LintProblem> {
    let mut l = Linter {
        file,
        lines: text.lines().collect(),
        cursor: 0,
        version,
        out: Vec::new(),
        seen: HashMap::new(),
    };
    if text
        .lines()
        .all(|x| x.trim().is_empty() || x.trim_start().starts_with('#'))
    {
        return Vec::new();
    }
    match crate::yaml::parse(text) {
        Ok(v) => l.list(&v, "", "a fields file"),
        Err(e) => l.problem(None, "", format!("invalid YAML: {e}")),
    }
    l.out
}

/// Lints the `*.yml` files of the given folders (duplicates are checked per folder set, as
/// a data stream's fields are merged).
pub fn lint_dirs(dirs: &[&Path], version: SpecVersion) -> (usize, Vec<LintProblem>) {
    let mut files = Vec::new();
    for d in dirs {
        files.extend(super::yml_files(d));
    }
    let mut out = Vec::new();
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                out.push(LintProblem {
                    file: f.clone(),
                    line: None,
                    field: String::new(),
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        let mut l = Linter {
            file: f,
            lines: text.lines().collect(),
            cursor: 0,
            version,
            out: Vec::new(),
            seen: HashMap::new(),
        };
        if !text
            .lines()
            .all(|x| x.trim().is_empty() || x.trim_start().starts_with('#'))
        {
            match crate::yaml::parse(&text) {
                Ok(v) => l.list(&v, "", "a fields file"),
                Err(e) => l.problem(None, "", format!("invalid YAML: {e}")),
            }
        }
        for (name, line) in &l.seen {
            if let Some((first_file, first_line)) = seen.get(name) {
                out.push(LintProblem {
                    file: f.clone(),
                    line: Some(*line).filter(|l| *l > 0),
                    field: name.clone(),
                    message: format!(
                        "defined more than once (also in {}:{first_line})",
                        first_file.display()
                    ),
                });
            } else {
                seen.insert(name.clone(), (f.clone(), *line));
            }
        }
        out.extend(l.out);
    }
    out.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    (files.len(), out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lint(text: &str) -> Vec<String> {
        lint_text(Path::new("f.yml"), text, SpecVersion::LATEST)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn clean_file_has_no_problems() {
        assert!(
            lint("- name: a\n  type: group\n  fields:\n    - name: b\n      type: keyword\n      description: x\n")
                .is_empty()
        );
    }

    #[test]
    fn finds_spec_violations() {
        let p = lint(
            "- name: a\n  type: keywrd\n- name: b c\n  type: keyword\n  colour: red\n- name: d\n  type: keyword\n  object_type: long\n- name: e\n  type: keyword\n  fields:\n    - name: f\n      type: long\n- name: g\n  type: object\n- name: a\n  type: long\n  index: yes\n",
        );
        let all = p.join("\n");
        assert!(
            all.contains("f.yml:1: field [a]: [type] must be one of"),
            "{all}"
        );
        assert!(
            all.contains("f.yml:3: field [b c]: name [b c] does not match"),
            "{all}"
        );
        assert!(all.contains("unknown key [colour]"), "{all}");
        assert!(
            all.contains("f.yml:6: field [d]: [object_type] is only allowed with type object"),
            "{all}"
        );
        assert!(
            all.contains("field [e]: a field with [fields] must be of type group or nested"),
            "{all}"
        );
        assert!(
            all.contains("field [g]: a field of type object needs [object_type]"),
            "{all}"
        );
        assert!(
            all.contains("f.yml:16: field [a]: [index] must be a boolean, not string"),
            "{all}"
        );
        assert!(
            all.contains("f.yml:16: field [a]: defined more than once (first at line 1)"),
            "{all}"
        );
    }

    #[test]
    fn old_format_versions_allow_more() {
        let text = "- name: a\n  type: array\n  release: ga\n";
        assert!(lint_text(Path::new("f.yml"), text, SpecVersion(1, 0, 0)).is_empty());
        assert_eq!(
            lint_text(Path::new("f.yml"), text, SpecVersion(2, 0, 0)).len(),
            2
        );
    }
}
