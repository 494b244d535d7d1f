//! Test configs: `test-common-config.yml` merged with `<input>-config.yml`, as elastic-package
//! (go-ucfg) merges them, and the package-level `_dev/test/config.yml`.

use super::HarnessError;
use crate::value::{Map, Value};
use regex::Regex;
use std::path::{Path, PathBuf};

/// The common config's file name, beside the inputs.
pub const COMMON_CONFIG: &str = "test-common-config.yml";
/// Suffix of an input's own config (`test-x.log` → `test-x.log-config.yml`).
pub const CONFIG_SUFFIX: &str = "-config.yml";

/// Why a test is skipped (`skip: {reason, link}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Skip {
    /// Why.
    pub reason: String,
    /// Where the issue is tracked.
    pub link: String,
}

/// A dynamic field: its dotted name and the pattern its (string) values must match.
#[derive(Debug, Clone)]
pub struct DynamicField {
    /// Dotted field name.
    pub field: String,
    /// The pattern as written.
    pub pattern: String,
    /// The compiled pattern (Go RE2 syntax, unanchored).
    pub regex: Regex,
}

/// One input's effective test configuration.
#[derive(Debug, Clone, Default)]
pub struct TestConfig {
    /// Fields put into every event (dotted keys create nested objects).
    pub fields: Map,
    /// Fields whose values change from run to run; removed before comparing.
    pub dynamic_fields: Vec<DynamicField>,
    /// Keyword fields that may hold numbers.
    pub numeric_keyword_fields: Vec<String>,
    /// Numeric fields that may hold strings.
    pub string_number_fields: Vec<String>,
    /// `multiline.first_line_pattern` for `.log` inputs.
    pub first_line_pattern: Option<Regex>,
    /// `skip`, when the test is disabled.
    pub skip: Option<Skip>,
}

impl TestConfig {
    /// The config for one input file: the common config, then the input's own on top.
    pub fn for_input(input: &Path) -> Result<TestConfig, HarnessError> {
        let dir = input.parent().unwrap_or(Path::new("."));
        let mut cfg = TestConfig::default();
        let common = dir.join(COMMON_CONFIG);
        if let Some(v) = read_yaml_opt(&common)? {
            cfg.apply(&v, &common)?;
        }
        let own = own_config_path(input);
        if let Some(v) = read_yaml_opt(&own)? {
            cfg.apply(&v, &own)?;
        }
        Ok(cfg)
    }

    /// Merges one config file on top: map options merge key by key, others are replaced.
    pub fn apply(&mut self, v: &Value, file: &Path) -> Result<(), HarnessError> {
        let bad = |msg: String| HarnessError::input(file, msg);
        let m = match v {
            Value::Null => return Ok(()),
            Value::Map(m) => m,
            other => {
                return Err(bad(format!(
                    "a test config must be an object, not {}",
                    other.java_type()
                )));
            }
        };
        if let Some(f) = m.get("fields") {
            match f {
                Value::Null => {}
                Value::Map(fm) => {
                    for (k, v) in fm {
                        self.fields.insert(k.clone(), go_number_typing(v));
                    }
                }
                other => {
                    return Err(bad(format!(
                        "[fields] must be an object, not {}",
                        other.java_type()
                    )));
                }
            }
        }
        if let Some(d) = m.get("dynamic_fields") {
            match d {
                Value::Null => {}
                Value::Map(dm) => {
                    for (k, p) in dm {
                        let pattern = match p {
                            Value::String(s) => s.clone(),
                            Value::Null => String::new(),
                            other if !matches!(other, Value::Map(_) | Value::List(_)) => {
                                other.to_java_string()
                            }
                            other => {
                                return Err(bad(format!(
                                    "[dynamic_fields.{k}] must be a pattern string, not {}",
                                    other.java_type()
                                )));
                            }
                        };
                        let regex = go_regex(&pattern).map_err(|e| {
                            bad(format!(
                                "[dynamic_fields.{k}] invalid pattern [{pattern}]: {e}"
                            ))
                        })?;
                        let entry = DynamicField {
                            field: k.clone(),
                            pattern,
                            regex,
                        };
                        match self.dynamic_fields.iter_mut().find(|x| x.field == *k) {
                            Some(x) => *x = entry,
                            None => self.dynamic_fields.push(entry),
                        }
                    }
                }
                other => {
                    return Err(bad(format!(
                        "[dynamic_fields] must be an object, not {}",
                        other.java_type()
                    )));
                }
            }
        }
        if let Some(l) = m.get("numeric_keyword_fields") {
            self.numeric_keyword_fields = string_list(l, "numeric_keyword_fields").map_err(bad)?;
        }
        if let Some(l) = m.get("string_number_fields") {
            self.string_number_fields = string_list(l, "string_number_fields").map_err(bad)?;
        }
        if let Some(ml) = m.get("multiline") {
            match ml {
                Value::Null => {}
                Value::Map(mm) => match mm.get("first_line_pattern") {
                    None | Some(Value::Null) => {}
                    Some(Value::String(p)) if p.is_empty() => self.first_line_pattern = None,
                    Some(Value::String(p)) => {
                        self.first_line_pattern = Some(go_regex(p).map_err(|e| {
                            bad(format!(
                                "[multiline.first_line_pattern] invalid pattern [{p}]: {e}"
                            ))
                        })?);
                    }
                    Some(other) => {
                        return Err(bad(format!(
                            "[multiline.first_line_pattern] must be a string, not {}",
                            other.java_type()
                        )));
                    }
                },
                other => {
                    return Err(bad(format!(
                        "[multiline] must be an object, not {}",
                        other.java_type()
                    )));
                }
            }
        }
        if let Some(s) = m.get("skip") {
            self.skip = parse_skip(s).map_err(bad)?;
        }
        Ok(())
    }
}

/// Compiles a Go (RE2) pattern: a `{` or `}` that is not part of a repetition is a literal in Go.
pub fn go_regex(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&go_regex_source(pattern))
}

/// The regex crate's spelling of a Go pattern: literal `{` / `}` escaped.
fn go_regex_source(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        // In bounds: the loop condition.
        let c = chars[i];
        match c {
            '\\' => {
                out.push(c);
                if let Some(n) = chars.get(i + 1) {
                    out.push(*n);
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal member.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '{' if !in_class => {
                // A repetition `{n}`, `{n,}` or `{n,m}`: digits and commas, then `}`. Scanning
                // only those keeps a pattern of many `{` linear.
                let body: String = chars
                    .iter()
                    .skip(i + 1)
                    .take_while(|c| c.is_ascii_digit() || **c == ',')
                    .collect();
                let (a, b) = body.split_once(',').unwrap_or((&body, "0"));
                let valid = chars.get(i + 1 + body.len()) == Some(&'}')
                    && !a.is_empty()
                    && !b.contains(',');
                if valid {
                    out.push('{');
                    out.push_str(&body);
                    out.push('}');
                    i += body.len() + 2;
                    continue;
                }
                out.push_str("\\{");
            }
            '}' if !in_class => out.push_str("\\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// `test-x.log` → `test-x.log-config.yml` beside it.
pub fn own_config_path(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    input.with_file_name(format!("{name}{CONFIG_SUFFIX}"))
}

/// Parses `skip: {reason, link}`; `null` means not skipped.
pub fn parse_skip(v: &Value) -> Result<Option<Skip>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Map(m) => {
            let get = |k: &str| match m.get(k) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(format!(
                    "[skip.{k}] must be a string, not {}",
                    other.java_type()
                )),
            };
            let reason = get("reason")?;
            if reason.is_empty() {
                return Err("[skip.reason] is required".into());
            }
            Ok(Some(Skip {
                reason,
                link: get("link")?,
            }))
        }
        other => Err(format!(
            "[skip] must be an object, not {}",
            other.java_type()
        )),
    }
}

/// The pipeline section's skip from a package's `_dev/test/config.yml` (`pipeline.skip`).
pub fn global_pipeline_skip(file: &Path) -> Result<Option<Skip>, HarnessError> {
    let Some(v) = read_yaml_opt(file)? else {
        return Ok(None);
    };
    match v.as_map().and_then(|m| m.get("pipeline")) {
        Some(Value::Map(p)) => match p.get("skip") {
            Some(s) => parse_skip(s).map_err(|e| HarnessError::input(file, e)),
            None => Ok(None),
        },
        _ => Ok(None),
    }
}

fn string_list(v: &Value, name: &str) -> Result<Vec<String>, String> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::List(l) => l
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!(
                    "[{name}] must be a list of strings, found {}",
                    other.java_type()
                )),
            })
            .collect(),
        Value::String(s) => Ok(vec![s.clone()]),
        other => Err(format!(
            "[{name}] must be a list of strings, not {}",
            other.java_type()
        )),
    }
}

/// Go decodes YAML numbers to float64 and `json.Marshal` prints integral ones without a fraction.
fn go_number_typing(v: &Value) -> Value {
    match v {
        Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.0e15 => Value::from_i64(*d as i64),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1.0e7 => Value::from_i64(*f as i64),
        Value::List(l) => Value::List(l.iter().map(go_number_typing).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), go_number_typing(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Reads a YAML file; `None` when it does not exist; an empty file is `Null`.
pub fn read_yaml_opt(file: &Path) -> Result<Option<Value>, HarnessError> {
    let text = match std::fs::read(file) {
        Ok(b) => String::from_utf8(b)
            .map_err(|_| HarnessError::input(file, "not valid UTF-8".to_string()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(HarnessError::input(file, format!("cannot read: {e}"))),
    };
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---")
    {
        return Ok(Some(Value::Null));
    }
    crate::yaml::parse(&text)
        .map(Some)
        .map_err(|e| HarnessError::input(file, format!("invalid YAML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(layers: &[&str]) -> Result<TestConfig, HarnessError> {
        let mut c = TestConfig::default();
        for l in layers {
            let v = crate::yaml::parse(l).unwrap();
            c.apply(&v, Path::new("x.yml"))?;
        }
        Ok(c)
    }

    #[test]
    fn merges_like_ucfg() {
        let c = cfg(&[
            "fields:\n  a: 1\n  b.c: x\ndynamic_fields:\n  event.ingested: '.*'\nnumeric_keyword_fields: [x]\n",
            "fields:\n  a: 2\n  d: 1.0\ndynamic_fields:\n  t: '^\\d+$'\nnumeric_keyword_fields: [y]\n",
        ])
        .unwrap();
        assert_eq!(c.fields.to_owned().len(), 3);
        assert_eq!(Value::Map(c.fields).to_json(), r#"{"a":2,"b.c":"x","d":1}"#);
        let names: Vec<_> = c.dynamic_fields.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(names, ["event.ingested", "t"]);
        assert_eq!(c.numeric_keyword_fields, ["y"]);
    }

    #[test]
    fn skip_and_multiline() {
        let c = cfg(&["skip:\n  reason: broken\n  link: https://x\nmultiline:\n  first_line_pattern: '^\\d'\n"]).unwrap();
        assert_eq!(c.skip.unwrap().reason, "broken");
        assert!(c.first_line_pattern.unwrap().is_match("1 a"));
    }

    #[test]
    fn go_regex_literal_braces() {
        for (p, text, want) in [
            ("^{", "{\"a\":1}", true),
            ("^{", "a", false),
            ("a{2}", "aa", true),
            ("a{2,}b", "aaab", true),
            ("x{y}", "x{y}", true),
            ("[{]", "{", true),
            ("[]a]", "]", true),
            (r"\{", "{", true),
            ("a{1,2}$", "baa", true),
            ("a{1,2,3}", "a{1,2,3}", true),
            ("a{,2}", "a{,2}", true),
            ("a{2x}", "a{2x}", true),
            ("^{}$", "{}", true),
        ] {
            assert_eq!(go_regex(p).unwrap().is_match(text), want, "{p} on {text}");
        }
        assert!(go_regex("(").is_err());
        // Many unclosed braces stay literal (and take linear time).
        let many = "{".repeat(100_000);
        assert_eq!(go_regex_source(&many), "\\{".repeat(100_000));
    }

    #[test]
    fn malformed_configs_are_errors() {
        for bad in [
            "fields: [1]\n",
            "dynamic_fields:\n  a: '('\n",
            "skip: {link: x}\n",
            "numeric_keyword_fields: {a: 1}\n",
            "- 1\n",
        ] {
            let e = cfg(&[bad]).unwrap_err().to_string();
            assert!(e.starts_with("x.yml: "), "{bad}: {e}");
        }
    }
}
