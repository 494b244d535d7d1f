//! Grok: expressions like `%{IP:client.ip} %{NUMBER:bytes:long}` compiled onto Oniguruma, the
//! engine Elasticsearch's Joni ports (Elasticsearch's libs/grok: Grok, GrokCaptureConfig,
//! GrokCaptureExtracter, GrokCaptureType). Shared by the grok and redact processors.

mod bank;

pub use bank::{PatternBank, Patterns};

use crate::document::FieldPath;
use crate::error::IngestError;
use crate::value::Value;
use onig::{MatchParam, Regex, RegexOptions, Region, SearchOptions, Syntax};
use std::collections::HashMap;

/// Elasticsearch's `ingest.grok.watchdog.max_execution_time` default, in milliseconds.
pub const WATCHDOG_MILLIS: u64 = 1000;

/// Backtracking budget standing in for the one-second watchdog: Oniguruma counts retries, not
/// time; about 150 million retries take a second here (measured, debug and release alike).
const RETRY_LIMIT: u32 = 150_000_000;

/// Java `toRegex`'s sanity limit on expansions.
const MAX_TO_REGEX_ITERATIONS: usize = 100_000;

unsafe extern "C" {
    // Part of the Oniguruma library the `onig` crate links; the crate only wraps the per-match limit.
    fn onig_set_retry_limit_in_search_of_match_param(
        param: *mut std::ffi::c_void,
        limit: std::ffi::c_ulong,
    ) -> std::ffi::c_int;
}

/// The type a capture is converted to (`%{NUMBER:x:int}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureType {
    /// The matched text.
    String,
    /// `int`: `Integer.parseInt`.
    Int,
    /// `long`: `Long.parseLong`.
    Long,
    /// `float`: `Float.parseFloat`.
    Float,
    /// `double`: `Double.parseDouble`.
    Double,
    /// `boolean`: `Boolean.parseBoolean` (anything but `true`, any case, is false).
    Boolean,
}

impl CaptureType {
    fn from_name(s: &str) -> CaptureType {
        match s {
            "int" => CaptureType::Int,
            "long" => CaptureType::Long,
            "float" => CaptureType::Float,
            "double" => CaptureType::Double,
            "boolean" => CaptureType::Boolean,
            _ => CaptureType::String,
        }
    }

    /// Converts matched text as Elasticsearch does; parse failures are Java's NumberFormatException.
    pub fn convert(self, s: &str) -> Result<Value, IngestError> {
        let nfe = || number_format(s);
        Ok(match self {
            CaptureType::String => Value::String(s.to_string()),
            CaptureType::Int => Value::Int(java_parse_int(s).ok_or_else(nfe)?),
            CaptureType::Long => Value::Long(java_parse_long(s).ok_or_else(nfe)?),
            CaptureType::Float => Value::Float(java_parse_float(s)?),
            CaptureType::Double => Value::Double(java_parse_double(s)?),
            CaptureType::Boolean => Value::Bool(s.eq_ignore_ascii_case("true")),
        })
    }
}

/// One named value a grok expression captures (all groups sharing one name).
#[derive(Debug)]
pub struct CaptureConfig {
    /// The field name (the part after the pattern name: `client.ip` in `%{IP:client.ip}`).
    pub name: String,
    /// The field path, or the error setting it would raise.
    pub path: Result<FieldPath, IngestError>,
    /// The conversion.
    pub kind: CaptureType,
    groups: Vec<u32>,
}

/// A compiled grok expression.
#[derive(Debug)]
pub struct Grok {
    regex: Regex,
    captures: Vec<CaptureConfig>,
}

impl Grok {
    /// Expands `expression` with `patterns` and compiles it; the error is the message Elasticsearch
    /// appends to `Invalid regex pattern found in: […]. `.
    pub fn compile(patterns: &Patterns, expression: &str) -> Result<Grok, String> {
        let regex_text = to_regex(patterns, expression)?;
        let (renamed, names) = rename_groups(&regex_text);
        let regex = Regex::with_options(&renamed, RegexOptions::REGEX_OPTION_NONE, Syntax::ruby())
            .map_err(|e| e.description().to_string())?;
        let mut found: Vec<(u32, usize, Vec<u32>)> = Vec::new();
        regex.foreach_name(|name, groups| {
            if let Some(idx) = name.strip_prefix('g').and_then(|n| n.parse::<usize>().ok()) {
                let mut groups = groups.to_vec();
                groups.sort_unstable();
                let first = groups.first().copied().unwrap_or(u32::MAX);
                found.push((first, idx, groups));
            }
            true
        });
        // Joni keeps names in the order they first appear; Oniguruma's table is unordered.
        found.sort_unstable_by_key(|f| f.0);
        let captures = found
            .into_iter()
            .map(|(_, idx, groups)| {
                let full = names.get(idx).map(String::as_str).unwrap_or("");
                let parts = java_split_colon(full);
                let name = parts.get(1).or(parts.first()).copied().unwrap_or("");
                let kind = match parts.as_slice() {
                    [_, _, kind] => CaptureType::from_name(kind),
                    _ => CaptureType::String,
                };
                CaptureConfig {
                    name: name.to_string(),
                    path: FieldPath::parse(name),
                    kind,
                    groups,
                }
            })
            .collect();
        Ok(Grok { regex, captures })
    }

    /// The values this expression can capture, in Elasticsearch's order.
    pub fn capture_configs(&self) -> &[CaptureConfig] {
        &self.captures
    }

    /// Searches `text` from byte `from`; `Ok(None)` when nothing matches, `Err` when the
    /// watchdog stand-in (the backtracking budget) fires.
    pub fn search(
        &self,
        text: &str,
        from: usize,
        region: &mut Region,
    ) -> Result<Option<(usize, usize)>, IngestError> {
        let mut param = MatchParam::default();
        param.set_retry_limit_in_match(RETRY_LIMIT);
        // SAFETY: `param` owns a valid OnigMatchParam for the duration of the call.
        unsafe {
            onig_set_retry_limit_in_search_of_match_param(
                param.as_raw().cast(),
                std::ffi::c_ulong::from(RETRY_LIMIT),
            );
        }
        let res = self.regex.search_with_param(
            text,
            from.min(text.len()),
            text.len(),
            SearchOptions::SEARCH_OPTION_NONE,
            Some(region),
            param,
        );
        match res {
            Ok(Some(_)) => Ok(region.pos(0)),
            Ok(None) => Ok(None),
            Err(_) => Err(IngestError::new(
                "runtime_exception",
                format!("grok pattern matching was interrupted after [{WATCHDOG_MILLIS}] ms"),
            )),
        }
    }

    /// Matches `text`; on a match returns the captured values by field name, in Elasticsearch's
    /// order, a name captured more than once becoming a list.
    pub fn captures(&self, text: &str) -> Result<Option<Vec<(usize, Value)>>, IngestError> {
        let mut region = Region::new();
        if self.search(text, 0, &mut region)?.is_none() {
            return Ok(None);
        }
        // (index of the first config with this name, value)
        let mut out: Vec<(usize, Value)> = Vec::new();
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        for (ci, cfg) in self.captures.iter().enumerate() {
            for &g in &cfg.groups {
                let Some((b, e)) = region.pos(g as usize) else {
                    continue;
                };
                let Some(s) = text.get(b..e) else { continue };
                let v = cfg.kind.convert(s)?;
                match by_name.get(cfg.name.as_str()) {
                    Some(&slot) => {
                        // Slots are recorded as `out.len()` right before the push below.
                        let existing = &mut out[slot].1;
                        match existing {
                            Value::List(l) => l.push(v),
                            other => {
                                let first = std::mem::take(other);
                                *other = Value::List(vec![first, v]);
                            }
                        }
                    }
                    None => {
                        by_name.insert(cfg.name.as_str(), out.len());
                        out.push((ci, v));
                    }
                }
            }
        }
        Ok(Some(out))
    }
}

/// Java's `NumberFormatException` for a bad number.
fn number_format(s: &str) -> IngestError {
    IngestError::new(
        "number_format_exception",
        format!("For input string: \"{s}\""),
    )
}

/// Java `String.split(":")`: trailing empty strings removed.
fn java_split_colon(s: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = s.split(':').collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// A `%{NAME[:semantic][=definition]}` reference found in an expression.
struct Reference<'a> {
    start: usize,
    end: usize,
    /// `NAME[:semantic]`, used as the capture group's name.
    name: &'a str,
    pattern: &'a str,
    has_semantic: bool,
}

/// Finds the first reference, as Elasticsearch's GROK_PATTERN regex would:
/// `%\{(?<name>(?<pattern>[A-z0-9]+)(?::(?<subname>[[:alnum:]@\[\]_:.-]+))?)(?:=(?<definition>(?:[^{}]+|\.+)+))?\}`.
fn next_reference(s: &str) -> Option<Reference<'_>> {
    let mut from = 0;
    // Every cut below is in bounds and on a char boundary: it sits right after an ASCII byte
    // found in `s` (`%`, `{`, `:`, `=`, `}`) or after whole chars counted by their UTF-8 length.
    while let Some(off) = s[from..].find("%{") {
        let start = from + off;
        from = start + 1;
        let body = start + 2;
        let pat_len = s[body..]
            .bytes()
            .take_while(|b| (b'A'..=b'z').contains(b) || b.is_ascii_digit())
            .count();
        if pat_len == 0 {
            continue;
        }
        let pat_end = body + pat_len;
        let mut name_end = pat_end;
        let mut has_semantic = false;
        if s[pat_end..].starts_with(':') {
            let sub_len: usize = s[pat_end + 1..]
                .chars()
                .take_while(|&c| c.is_alphanumeric() || "@[]_:.-".contains(c))
                .map(char::len_utf8)
                .sum();
            if sub_len > 0 {
                name_end = pat_end + 1 + sub_len;
                has_semantic = true;
            }
        }
        let rest = &s[name_end..];
        let end = if let Some(def) = rest.strip_prefix('=') {
            let def_len = def.find(['{', '}']).unwrap_or(def.len());
            if def_len > 0 && def[def_len..].starts_with('}') {
                name_end + 1 + def_len + 1
            } else {
                continue;
            }
        } else if rest.starts_with('}') {
            name_end + 1
        } else {
            continue;
        };
        return Some(Reference {
            start,
            end,
            name: &s[body..name_end],
            pattern: &s[body..pat_end],
            has_semantic,
        });
    }
    None
}

/// Elasticsearch's `Grok.toRegex`: replaces references until none is left.
fn to_regex(patterns: &Patterns, expression: &str) -> Result<String, String> {
    let mut done = String::new();
    let mut rest = expression.to_string();
    for _ in 0..MAX_TO_REGEX_ITERATIONS {
        let Some(r) = next_reference(&rest) else {
            done.push_str(&rest);
            return Ok(done);
        };
        let Some(def) = patterns.get(r.pattern) else {
            return Err(format!(
                "Unable to find pattern [{}] in Grok's pattern dictionary",
                r.pattern
            ));
        };
        if def.contains(&format!("%{{{}}}", r.pattern))
            || def.contains(&format!("%{{{}:", r.pattern))
        {
            return Err(format!(
                "circular reference in pattern back [{}]",
                r.pattern
            ));
        }
        let part = if r.has_semantic {
            format!("(?<{}>{def})", r.name)
        } else {
            format!("(?:{def})")
        };
        // next_reference's offsets are char boundaries within `rest`.
        done.push_str(&rest[..r.start]);
        // As above.
        rest = format!("{part}{}", &rest[r.end..]);
    }
    Err("Can not convert grok patterns to regular expression".into())
}

/// Renames every named group (`(?<name>`, `(?'name'`, `\k<name>`, `\g<name>`) to `g<N>`:
/// Oniguruma only accepts word characters in names, Joni accepts grok's `NUMBER:a.b:int`.
/// Returns the new expression and the original names by N.
fn rename_groups(re: &str) -> (String, Vec<String>) {
    let b = re.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut names: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut intern = |name: &str| -> usize {
        *index.entry(name.to_string()).or_insert_with(|| {
            names.push(name.to_string());
            names.len() - 1
        })
    };
    let mut class_depth = 0usize;
    let mut i = 0;
    // Cuts of `re` happen only at an ASCII byte (`\\`, `(`) or at offsets `find` returned, so
    // they are char boundaries; byte indices are behind length checks or `starts_with`.
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            if class_depth == 0
                && i + 2 < b.len()
                && matches!(b[i + 1], b'k' | b'g')
                && matches!(b[i + 2], b'<' | b'\'')
            {
                let close = if b[i + 2] == b'<' { '>' } else { '\'' };
                if let Some(len) = re[i + 3..].find(close) {
                    let name = &re[i + 3..i + 3 + len];
                    let is_number = name
                        .trim_start_matches(['+', '-'])
                        .bytes()
                        .all(|d| d.is_ascii_digit());
                    if !name.is_empty() && !is_number && !name.contains(')') {
                        let n = intern(name);
                        out.extend_from_slice(&b[i..i + 3]);
                        out.extend_from_slice(format!("g{n}").as_bytes());
                        out.push(close as u8);
                        i += 3 + len + 1;
                        continue;
                    }
                }
            }
            // Copy the escape and the whole next character.
            let next_len = re[i + 1..].chars().next().map_or(0, char::len_utf8);
            out.extend_from_slice(&b[i..i + 1 + next_len]);
            i += 1 + next_len;
            continue;
        }
        if class_depth > 0 {
            match c {
                b'[' => class_depth += 1,
                b']' => class_depth -= 1,
                _ => {}
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            b'[' => {
                class_depth = 1;
                out.push(c);
                i += 1;
                if b.get(i) == Some(&b'^') {
                    out.push(b'^');
                    i += 1;
                }
                // A `]` right after `[` or `[^` is a literal.
                if b.get(i) == Some(&b']') {
                    out.push(b']');
                    i += 1;
                }
                continue;
            }
            b'(' if re[i..].starts_with("(?#") => {
                let len = re[i..].find(')').map_or(re.len() - i, |l| l + 1);
                out.extend_from_slice(&b[i..i + len]);
                i += len;
                continue;
            }
            b'(' if re[i..].starts_with("(?<") || re[i..].starts_with("(?'") => {
                let open = b[i + 2];
                let close = if open == b'<' { '>' } else { '\'' };
                let is_look_behind = open == b'<' && matches!(b.get(i + 3), Some(b'=' | b'!'));
                if !is_look_behind && let Some(len) = re[i + 3..].find(close) {
                    let name = &re[i + 3..i + 3 + len];
                    if !name.is_empty() && !name.contains(')') {
                        let n = intern(name);
                        out.extend_from_slice(format!("(?<g{n}>").as_bytes());
                        i += 3 + len + 1;
                        continue;
                    }
                }
                out.push(c);
                i += 1;
                continue;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    let text = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    (text, names)
}

/// Java `String.trim()`: strips characters up to U+0020.
fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn parse_java_integer(s: &str) -> Option<i128> {
    let (neg, digits) = crate::dates::java_num::split_sign(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Long.parseLong never needs more than 19 digits; longer strings (leading zeros aside) overflow.
    let trimmed = digits.trim_start_matches('0');
    if trimmed.len() > 20 {
        return None;
    }
    let v: i128 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().ok()?
    };
    Some(if neg { -v } else { v })
}

/// The `patterns` option grok and redact share: a required list, as strings.
pub(crate) fn read_patterns(
    cfg: &mut crate::pipeline::Config,
) -> Result<Vec<String>, crate::error::ConfigError> {
    Ok(cfg
        .opt_list("patterns")?
        .ok_or_else(|| crate::pipeline::missing("patterns"))?
        .iter()
        .map(crate::value::Value::to_java_string)
        .collect())
}

/// A config error about `patterns`, worded as Elasticsearch words it.
pub(crate) fn invalid_patterns(patterns: &[String], msg: String) -> crate::pipeline::BuildError {
    crate::error::ConfigError::property(
        "patterns",
        format!(
            "Invalid regex pattern found in: [{}]. {msg}",
            patterns.join(", ")
        ),
    )
    .into()
}

/// The bank for grok and redact: a built-in bank overridden by `pattern_definitions`.
pub(crate) fn read_bank(
    cfg: &mut crate::pipeline::Config,
    patterns: &[String],
    ecs_v1: bool,
) -> Result<Patterns, crate::pipeline::BuildError> {
    if patterns.is_empty() {
        return Err(crate::error::ConfigError::property(
            "patterns",
            "List of patterns must not be empty",
        )
        .into());
    }
    let custom: indexmap::IndexMap<String, String> = cfg
        .opt_map("pattern_definitions")?
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.to_java_string()))
        .collect();
    Patterns::new(PatternBank::builtin(ecs_v1), custom).map_err(|m| invalid_patterns(patterns, m))
}

/// Java `Integer.parseInt(s)`.
pub fn java_parse_int(s: &str) -> Option<i32> {
    parse_java_integer(s).and_then(|v| i32::try_from(v).ok())
}

/// Java `Long.parseLong(s)`.
pub fn java_parse_long(s: &str) -> Option<i64> {
    parse_java_integer(s).and_then(|v| i64::try_from(v).ok())
}

/// The decimal text Java's `FloatingDecimal` accepts, without a `f`/`d` suffix; `None` if invalid.
fn java_float_text(s: &str) -> Result<String, IngestError> {
    let t = java_trim(s);
    if t.is_empty() {
        return Err(IngestError::new("number_format_exception", "empty String"));
    }
    let (neg, body) = crate::dates::java_num::split_sign(t);
    let sign = if neg { "-" } else { "" };
    if body == "NaN" {
        return Ok("NaN".into());
    }
    if body == "Infinity" {
        return Ok(format!("{sign}inf"));
    }
    let body = body.strip_suffix(['f', 'F', 'd', 'D']).unwrap_or(body);
    let bytes = body.as_bytes();
    let mut i = 0;
    let int_digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    i += int_digits;
    let mut frac_digits = 0;
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        // i <= bytes.len(): it only moved past a byte `get` found.
        frac_digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        i += frac_digits;
    }
    if int_digits + frac_digits == 0 {
        return Err(number_format(s));
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        // As above.
        let exp_digits = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits == 0 {
            return Err(number_format(s));
        }
        i += exp_digits;
    }
    if i != bytes.len() {
        return Err(number_format(s));
    }
    Ok(format!("{sign}{body}"))
}

/// Java `Float.parseFloat(s)`.
pub fn java_parse_float(s: &str) -> Result<f32, IngestError> {
    java_float_text(s)?
        .parse::<f32>()
        .map_err(|_| number_format(s))
}

/// Java `Double.parseDouble(s)`.
pub fn java_parse_double(s: &str) -> Result<f64, IngestError> {
    java_float_text(s)?
        .parse::<f64>()
        .map_err(|_| number_format(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use indexmap::IndexMap;

    fn grok(expr: &str) -> Result<Grok, String> {
        let p = Patterns::new(PatternBank::builtin(false), IndexMap::new())?;
        Grok::compile(&p, expr)
    }

    fn caps(expr: &str, text: &str) -> Option<String> {
        let g = grok(expr).unwrap();
        g.captures(text).unwrap().map(|v| {
            v.into_iter()
                .map(|(i, v)| format!("{}={}", g.capture_configs()[i].name, v.to_json()))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    #[test]
    fn expands_and_captures() {
        for (expr, text, want) in [
            (
                "%{NUMBER:val:float} %{NUMBER:status:int} <%{WORD:msg}>",
                "123.42 400 <foo>",
                "val=123.42 status=400 msg=\"foo\"",
            ),
            ("%{WORD:a.b} %{INT:n:long}", "x 5", "a.b=\"x\" n=5"),
            (
                "(?<raw.name>\\d+)-%{WORD:w:boolean}",
                "12-TRUE",
                "raw.name=\"12\" w=true",
            ),
            ("%{INT:d}(?: %{INT:d})?", "1", "d=\"1\""),
            ("%{INT:d}(?: %{INT:d})?", "1 2", "d=[\"1\",\"2\"]"),
            ("%{WORD:a}|%{INT:a:int}", "-77", "a=-77"),
            ("%{IP:ip}", "my ip 10.0.0.1 is", "ip=\"10.0.0.1\""),
            ("héllo %{WORD:w}", "héllo wörld", "w=\"wörld\""),
            ("", "anything", ""),
            ("%{WORD=ignored:x}", "abc", ""),
        ] {
            assert_eq!(caps(expr, text).as_deref(), Some(want), "{expr} on {text}");
        }
        assert_eq!(caps("^%{INT:x}$", "a1"), None);
    }

    #[test]
    fn compile_errors_read_as_elasticsearch() {
        assert_eq!(
            grok("%{NOPE:x}").unwrap_err(),
            "Unable to find pattern [NOPE] in Grok's pattern dictionary"
        );
        assert_eq!(grok("[").unwrap_err(), "premature end of char-class");
    }

    #[test]
    fn conversion_errors_are_number_format_exceptions() {
        let g = grok("%{WORD:x:int}").unwrap();
        let e = g.captures("abc").unwrap_err();
        assert_eq!(
            (e.kind.as_str(), e.reason.as_str()),
            ("number_format_exception", "For input string: \"abc\"")
        );
    }

    #[test]
    fn java_number_parsing() {
        assert_eq!(java_parse_int("+12"), Some(12));
        assert_eq!(java_parse_int("2147483648"), None);
        assert_eq!(java_parse_long("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(java_parse_int(""), None);
        assert_eq!(java_parse_double(" 1.5d ").unwrap(), 1.5);
        assert_eq!(java_parse_double("1e3").unwrap(), 1000.0);
        assert_eq!(java_parse_float(".5").unwrap(), 0.5);
        assert!(java_parse_double("-Infinity").unwrap().is_infinite());
        assert!(java_parse_double("inf").is_err());
        assert_eq!(java_parse_double("").unwrap_err().reason, "empty String");
    }

    #[test]
    fn catastrophic_patterns_hit_the_watchdog() {
        let g = grok("^(\\w+\\s?)*$").unwrap();
        let text = "An input line that is long enough to make backtracking explode quickly!";
        let started = std::time::Instant::now();
        let e = g.captures(text).unwrap_err();
        assert_eq!(
            e.reason,
            "grok pattern matching was interrupted after [1000] ms"
        );
        eprintln!("watchdog fired after {:?}", started.elapsed());
        assert!(started.elapsed().as_secs() < 30);
    }

    #[test]
    fn renames_groups_but_not_lookbehind_or_classes() {
        let (r, n) = rename_groups(r"(?<a:b>x)(?<=y)[(?<z>]\(?<q>(?'c.d'e)\k<a:b>");
        assert_eq!(r, r"(?<g0>x)(?<=y)[(?<z>]\(?<q>(?<g1>e)\k<g0>");
        assert_eq!(n, ["a:b", "c.d"]);
    }
}
