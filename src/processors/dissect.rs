//! `dissect`: splits a string by the delimiters of a `%{key}` pattern (Elasticsearch's
//! DissectProcessor and DissectParser, including their quirks).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::Value;
use fancy_regex::Regex;
use std::sync::LazyLock;

/// Text before the first `%{` (Java's `.` stops at line terminators).
// Fixed patterns below, all exercised by this file's tests: they compile.
static LEADING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^\n\r\u{85}\u{2028}\u{2029}]*?)%\{").expect("valid regex"));
/// One key and the delimiter after it (up to the next `%{`, or the rest).
static KEY_DELIMITER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)%\{([^}]*?)}(.+?(?=%\{)|.*$)").expect("valid regex"));
static LEFT_MODIFIER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)([+*&?])(.*?)(->)?$").expect("valid regex"));
static RIGHT_PADDING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)^(.*?)(->)?$").expect("valid regex"));
static APPEND_WITH_ORDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)[+](.*?)(/)([0-9]+)(->)?$").expect("valid regex"));

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modifier {
    None,
    AppendWithOrder,
    Append,
    FieldName,
    FieldValue,
    NamedSkip,
}

#[derive(Debug, Clone)]
struct Key {
    modifier: Modifier,
    skip: bool,
    skip_right_padding: bool,
    append_position: i32,
    name: String,
}

fn key_error(key: &str, reason: &str) -> String {
    format!("Unable to parse key: {key} Reason: {reason}")
}

/// The last match of `re` in `s` (Java's `while (matcher.find())` keeps the last one).
fn last_captures<'t>(re: &Regex, s: &'t str) -> Option<fancy_regex::Captures<'t, str>> {
    re.captures_iter(s).filter_map(Result::ok).last()
}

impl Key {
    /// Elasticsearch's `DissectKey(String)`.
    fn parse(key: &str) -> Result<Key, String> {
        let mut modifier = Modifier::None;
        let mut seen = 0;
        for c in key.chars() {
            let m = match c {
                '/' => Modifier::AppendWithOrder,
                '+' => Modifier::Append,
                '*' => Modifier::FieldName,
                '&' => Modifier::FieldValue,
                '?' => Modifier::NamedSkip,
                _ => continue,
            };
            let prior = modifier;
            modifier = m;
            seen += 1;
            if seen > 1 && !(prior == Modifier::Append && m == Modifier::AppendWithOrder) {
                return Err(key_error(key, "multiple modifiers are not allowed."));
            }
        }
        let mut k = Key {
            modifier,
            skip: key.is_empty(),
            skip_right_padding: false,
            append_position: 0,
            name: String::new(),
        };
        let mut name: Option<String> = None;
        let group =
            |c: &fancy_regex::Captures<'_, str>, i: usize| c.get(i).map(|m| m.as_str().to_string());
        match modifier {
            Modifier::None => {
                if let Some(c) = last_captures(&RIGHT_PADDING, key) {
                    name = group(&c, 1);
                    k.skip_right_padding = c.get(2).is_some();
                }
                k.skip = name.as_deref().is_none_or(str::is_empty);
            }
            Modifier::AppendWithOrder => {
                if let Some(c) = last_captures(&APPEND_WITH_ORDER, key) {
                    name = group(&c, 1);
                    let digits = c.get(3).map(|m| m.as_str()).unwrap_or("");
                    k.append_position = digits
                        .parse::<i16>()
                        .map_err(|_| format!("Value out of range. Value:\"{digits}\" Radix:10"))?
                        as i32;
                    k.skip_right_padding = c.get(4).is_some();
                }
            }
            _ => {
                if let Some(c) = last_captures(&LEFT_MODIFIER, key) {
                    name = group(&c, 2);
                    k.skip_right_padding = c.get(3).is_some();
                }
                if modifier == Modifier::NamedSkip {
                    k.skip = true;
                }
            }
        }
        match name {
            Some(n) if !n.is_empty() || k.skip => {
                k.name = n;
                Ok(k)
            }
            _ => Err(key_error(key, "The key name could not be determined")),
        }
    }
}

#[derive(Debug)]
struct Pair {
    key: Key,
    delimiter: Vec<u8>,
}

/// A compiled dissect pattern (Elasticsearch's `DissectParser`).
#[derive(Debug)]
struct DissectPattern {
    pattern: String,
    leading: String,
    pairs: Vec<Pair>,
    max_results: usize,
    append_separator: String,
}

fn pattern_error(pattern: &str, reason: &str) -> String {
    format!("Unable to parse pattern: {pattern} Reason: {reason}")
}

impl DissectPattern {
    fn compile(pattern: &str, append_separator: &str) -> Result<Self, String> {
        let leading = last_captures(&LEADING, pattern)
            .and_then(|c| c.get(1).map(|m| m.as_str().to_string()))
            .unwrap_or_default();
        // leading is group 1 of a match anchored at 0: a prefix of pattern, ending on a char boundary.
        let rest = &pattern[leading.len()..];
        let mut pairs = Vec::new();
        for c in KEY_DELIMITER.captures_iter(rest) {
            let c = c.map_err(|e| pattern_error(pattern, &e.to_string()))?;
            let key = Key::parse(c.get(1).map(|m| m.as_str()).unwrap_or(""))?;
            let delimiter = c
                .get(2)
                .map(|m| m.as_str())
                .unwrap_or("")
                .as_bytes()
                .to_vec();
            pairs.push(Pair { key, delimiter });
        }
        let mut names: Vec<&str> = pairs
            .iter()
            .filter(|p| !p.key.skip)
            .map(|p| p.key.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        let max_results = names.len();
        if pairs.is_empty() || max_results == 0 {
            return Err(pattern_error(
                pattern,
                "Unable to find any keys or delimiters.",
            ));
        }
        // A plain key that shares its name with an append key takes part in the append.
        let append_names: Vec<String> = pairs
            .iter()
            .filter(|p| matches!(p.key.modifier, Modifier::Append | Modifier::AppendWithOrder))
            .map(|p| p.key.name.clone())
            .collect();
        for p in &mut pairs {
            if p.key.modifier == Modifier::None && append_names.contains(&p.key.name) {
                p.key.modifier = Modifier::Append;
            }
        }
        // `*name` and `&name` come in pairs.
        let mut groups: Vec<(&str, usize)> = Vec::new();
        for p in &pairs {
            if matches!(p.key.modifier, Modifier::FieldName | Modifier::FieldValue) {
                match groups.iter_mut().find(|(n, _)| *n == p.key.name) {
                    Some(g) => g.1 += 1,
                    None => groups.push((&p.key.name, 1)),
                }
            }
        }
        if let Some((name, n)) = groups.iter().find(|(_, n)| *n != 2) {
            let joined = vec![*name; *n].join(",");
            return Err(pattern_error(
                pattern,
                &format!(
                    "Found invalid key/reference associations: '{joined}' Please ensure each '*<key>' is matched with a matching '&<key>"
                ),
            ));
        }
        Ok(DissectPattern {
            pattern: pattern.to_string(),
            leading,
            pairs,
            max_results,
            append_separator: append_separator.to_string(),
        })
    }

    /// `DissectParser.parse`: the key/value results, or `None` when the input does not match.
    fn parse(&self, input: &str) -> Option<Vec<(String, String)>> {
        let mut m = Match::default();
        let lead_len = self.leading.encode_utf16().count();
        if input.encode_utf16().count() > lead_len && input.starts_with(&self.leading) {
            let bytes = input.as_bytes();
            let text = |a: usize, b: usize| {
                String::from_utf8_lossy(bytes.get(a..b).unwrap_or_default()).into_owned()
            };
            let matches_at = |i: usize, d: &[u8]| {
                d.iter()
                    .enumerate()
                    .filter(|(j, c)| bytes.get(i + j) == Some(c))
                    .count()
            };
            let mut it = self.pairs.iter();
            let mut pair = it.next()?;
            let mut key = &pair.key;
            let mut delimiter: &[u8] = &pair.delimiter;
            // Elasticsearch starts at the UTF-16 length of the leading delimiter.
            let mut i = lead_len;
            let mut value_start = i;
            while i < bytes.len() {
                // i < bytes.len() (loop condition); delimiter[0] only read when it is not empty.
                if delimiter.is_empty() || bytes[i] != delimiter[0] {
                    i += 1;
                    continue;
                }
                let ahead = matches_at(i, delimiter);
                if ahead != delimiter.len() {
                    i += 1;
                    continue;
                }
                m.add(key, text(value_start, i));
                i += ahead;
                // Consecutive delimiters: empty values, unless `->` skips the padding.
                while i < bytes.len() && matches_at(i, delimiter) == delimiter.len() {
                    i += delimiter.len();
                    if !key.skip_right_padding {
                        let Some(next) = it.next() else {
                            break;
                        };
                        pair = next;
                        key = &pair.key;
                        m.add(key, String::new());
                    }
                }
                let Some(next) = it.next() else {
                    break;
                };
                pair = next;
                key = &pair.key;
                delimiter = &pair.delimiter;
                value_start = i;
            }
            if m.matches != self.pairs.len() && delimiter.is_empty() {
                m.add(key, text(value_start, bytes.len()));
            }
        }
        let results = m.results(&self.append_separator);
        (m.matches == self.pairs.len() && results.len() == self.max_results).then_some(results)
    }
}

/// Elasticsearch's `DissectMatch`: collects values by key kind.
#[derive(Default)]
struct Match {
    matches: usize,
    implicit_order: i32,
    simple: Vec<(String, String)>,
    /// name → (key from `*name`, value from `&name`)
    references: Vec<(String, Option<String>, Option<String>)>,
    /// name → (value, order)
    appends: Vec<(String, Vec<(String, i32)>)>,
}

impl Match {
    fn add(&mut self, key: &Key, value: String) {
        self.matches += 1;
        if key.skip {
            return;
        }
        match key.modifier {
            Modifier::None => match self.simple.iter_mut().find(|(n, _)| *n == key.name) {
                Some(e) => e.1 = value,
                None => self.simple.push((key.name.clone(), value)),
            },
            Modifier::Append | Modifier::AppendWithOrder => {
                let order = if key.modifier == Modifier::Append {
                    // Elasticsearch's implicit order starts at -1000.
                    let o = self.implicit_order - 1000;
                    self.implicit_order += 1;
                    o
                } else {
                    key.append_position
                };
                match self.appends.iter_mut().find(|(n, _)| *n == key.name) {
                    Some(e) => e.1.push((value, order)),
                    None => self.appends.push((key.name.clone(), vec![(value, order)])),
                }
            }
            Modifier::FieldName | Modifier::FieldValue => {
                let idx = match self.references.iter().position(|(n, _, _)| *n == key.name) {
                    Some(i) => i,
                    None => {
                        self.references.push((key.name.clone(), None, None));
                        self.references.len() - 1
                    }
                };
                // idx is a position found in, or just pushed onto, self.references.
                if key.modifier == Modifier::FieldName {
                    self.references[idx].1 = Some(value);
                } else {
                    self.references[idx].2 = Some(value);
                }
            }
            Modifier::NamedSkip => {}
        }
    }

    /// The results map (`getResults`), as ordered pairs with unique keys.
    fn results(&self, separator: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut put = |k: String, v: String| match out.iter_mut().find(|(n, _)| *n == k) {
            Some(e) => e.1 = v,
            None => out.push((k, v)),
        };
        for (k, v) in &self.simple {
            put(k.clone(), v.clone());
        }
        for (_, k, v) in &self.references {
            // A missing reference half makes the match invalid through the count checks.
            put(k.clone().unwrap_or_default(), v.clone().unwrap_or_default());
        }
        for (name, values) in &self.appends {
            let mut values = values.clone();
            values.sort_by_key(|(_, order)| *order);
            let joined: Vec<String> = values.into_iter().map(|(v, _)| v).collect();
            put(name.clone(), joined.join(separator));
        }
        out
    }
}

#[derive(Debug)]
struct Dissect {
    field: FieldPath,
    pattern: DissectPattern,
    ignore_missing: bool,
    /// The parsed paths of the key names the pattern itself spells (not `*name` references,
    /// whose names come from the input), so a document does not parse them again.
    paths: Vec<(String, FieldPath)>,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_str("field")?;
    let field = FieldPath::parse(&field).map_err(|e| ConfigError::property("field", e.reason))?;
    let pattern = cfg.req_str("pattern")?;
    let append_separator = cfg.str_or("append_separator", "")?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let pattern =
        DissectPattern::compile(&pattern, &append_separator).map_err(ConfigError::general)?;
    let mut paths: Vec<(String, FieldPath)> = Vec::new();
    for pair in &pattern.pairs {
        let key = &pair.key;
        let spelled =
            !key.skip && !matches!(key.modifier, Modifier::FieldName | Modifier::FieldValue);
        if spelled
            && !paths.iter().any(|(n, _)| *n == key.name)
            && let Ok(path) = FieldPath::parse(&key.name)
        {
            paths.push((key.name.clone(), path));
        }
    }
    Ok(Box::new(Dissect {
        field,
        pattern,
        ignore_missing,
        paths,
    }))
}

impl Processor for Dissect {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let input = match doc.get_string(&self.field, self.ignore_missing)? {
            Some(s) => s,
            None if self.ignore_missing => return Ok(Flow::Continue),
            None => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{}] is null, cannot process it.",
                    self.field
                )));
            }
        };
        let Some(results) = self.pattern.parse(input) else {
            return Err(IngestError::new(
                "dissect_exception",
                format!(
                    "Unable to find match for dissect pattern: {} against source: {input}",
                    self.pattern.pattern
                ),
            ));
        };
        for (key, value) in results {
            let value = Value::String(value);
            match self.paths.iter().find(|(n, _)| *n == key) {
                Some((_, path)) => doc.set(path, value)?,
                None => doc.set(&FieldPath::parse(&key)?, value)?,
            }
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, fails, give};

    fn dissect(pattern: &str, input: &str) -> Option<Vec<(String, String)>> {
        DissectPattern::compile(pattern, "")
            .unwrap()
            .parse(input)
            .map(|mut r| {
                r.sort();
                r
            })
    }

    fn kv(pairs: &[(&str, &str)]) -> Option<Vec<(String, String)>> {
        let mut v: Vec<(String, String)> = pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        v.sort();
        Some(v)
    }

    #[test]
    fn modifiers() {
        assert_eq!(
            dissect("%{a} %{b},%{c}", "foo bar,baz"),
            kv(&[("a", "foo"), ("b", "bar"), ("c", "baz")])
        );
        assert_eq!(dissect("%{a},%{b}:%{c}", "foo,bar,baz"), None);
        assert_eq!(
            dissect("%{a->} %{b} %{c}", "foo         bar baz"),
            kv(&[("a", "foo"), ("b", "bar"), ("c", "baz")])
        );
        assert_eq!(
            dissect("%{a} %{+a} %{+a}", "foo bar baz"),
            kv(&[("a", "foobarbaz")])
        );
        assert_eq!(
            dissect("%{a} %{+a/2} %{+a/1}", "foo bar baz"),
            kv(&[("a", "foobazbar")])
        );
        assert_eq!(
            dissect("%{*a} %{b} %{&a}", "foo bar baz"),
            kv(&[("foo", "baz"), ("b", "bar")])
        );
        assert_eq!(
            dissect("%{a} %{?skipme} %{c}", "foo bar baz"),
            kv(&[("a", "foo"), ("c", "baz")])
        );
        assert_eq!(
            dissect("%{a} %{} %{c}", "foo bar baz"),
            kv(&[("a", "foo"), ("c", "baz")])
        );
        assert_eq!(
            dissect("%{a},%{b},%{c},%{d}", "foo,,,"),
            kv(&[("a", "foo"), ("b", ""), ("c", ""), ("d", "")])
        );
        assert_eq!(
            dissect("[%{ts}] %{msg}", "[2020] hello world"),
            kv(&[("ts", "2020"), ("msg", "hello world")])
        );
        assert_eq!(dissect("[%{ts}] %{msg}", "2020] hello"), None);
        // Adjacent keys: the second becomes part of the first one's delimiter (Elasticsearch quirk).
        assert_eq!(dissect("%{a}%{b}", "xy"), None);
        assert_eq!(dissect("%{a}%{b}", "x%{b}"), kv(&[("a", "x")]));
        let sep = DissectPattern::compile("%{a} %{+a}", "-").unwrap();
        assert_eq!(sep.parse("x y"), kv(&[("a", "x-y")]));
    }

    #[test]
    fn pattern_errors() {
        let err = |p: &str| DissectPattern::compile(p, "").unwrap_err();
        assert_eq!(
            err("nothing"),
            "Unable to parse pattern: nothing Reason: Unable to find any keys or delimiters."
        );
        assert_eq!(
            err("%{?a}"),
            "Unable to parse pattern: %{?a} Reason: Unable to find any keys or delimiters."
        );
        assert_eq!(
            err("%{+a} %{*b}"),
            "Unable to parse pattern: %{+a} %{*b} Reason: Found invalid key/reference associations: 'b' Please ensure each '*<key>' is matched with a matching '&<key>"
        );
        assert_eq!(
            err("%{+*a}"),
            "Unable to parse key: +*a Reason: multiple modifiers are not allowed."
        );
        assert_eq!(
            err("%{+}"),
            "Unable to parse key: + Reason: The key name could not be determined"
        );
    }

    #[test]
    fn processor() {
        give(
            "dissect",
            r#"{"field":"m","pattern":"%{a.b} %{c}"}"#,
            r#"{"m":"x y"}"#,
            r#"{"m":"x y","a":{"b":"x"},"c":"y"}"#,
        );
        give(
            "dissect",
            r#"{"field":"m","pattern":"%{a}","ignore_missing":true}"#,
            "{}",
            "{}",
        );
        fails(
            "dissect",
            r#"{"field":"m","pattern":"%{a} %{b}"}"#,
            r#"{"m":"xy"}"#,
            "Unable to find match for dissect pattern: %{a} %{b} against source: xy",
        );
        fails(
            "dissect",
            r#"{"field":"m","pattern":"%{a}"}"#,
            r#"{"m":null}"#,
            "field [m] is null, cannot process it.",
        );
        fails(
            "dissect",
            r#"{"field":"m","pattern":"%{a}"}"#,
            "{}",
            "field [m] not present as part of path [m]",
        );
        fails(
            "dissect",
            r#"{"field":"m","pattern":"%{a}"}"#,
            r#"{"m":1}"#,
            "field [m] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        bad_config(
            "dissect",
            r#"{"field":"m","pattern":"x"}"#,
            "Unable to parse pattern: x",
        );
        bad_config(
            "dissect",
            r#"{"field":"m"}"#,
            "[pattern] required property is missing",
        );
    }
}
