//! `kv`: splits `key=value` pairs into fields (Elasticsearch's KeyValueProcessor).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;
use fancy_regex::Regex;
use std::collections::HashSet;

/// Java's non-MULTILINE `$`: end of input, or before a final line terminator.
const JAVA_END: &str = r"(?=(?:\r\n|[\n\r\x{85}\x{2028}\x{2029}])?\z)";

#[derive(Debug)]
struct Kv {
    field: FieldRef,
    target: Option<FieldRef>,
    field_split: Splitter,
    value_split: Splitter,
    value_split_text: String,
    include: Option<HashSet<String>>,
    exclude: Option<HashSet<String>>,
    prefix: String,
    trim_key: Option<Regex>,
    trim_value: Option<Regex>,
    strip_brackets: Option<Regex>,
    ignore_missing: bool,
}

/// A Java `Pattern.split` with a fixed limit; an invalid short separator fails per document,
/// as Java's `String.split` only compiles it then.
#[derive(Debug)]
struct Splitter {
    regex: Result<Regex, String>,
    limit: usize,
}

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| e.to_string())
}

impl Splitter {
    fn new(property: &str, pattern: &str, limit: usize) -> Result<Splitter, ConfigError> {
        let regex = compile(pattern);
        let short = pattern.chars().count() <= 2;
        if let Err(e) = &regex
            && !short
        {
            return Err(ConfigError::property(property, e.clone()));
        }
        Ok(Splitter { regex, limit })
    }

    /// Java `Pattern.split(input, limit)`.
    fn split<'t>(&self, input: &'t str) -> Result<Vec<&'t str>, IngestError> {
        let re = self
            .regex
            .as_ref()
            .map_err(|e| IngestError::new("pattern_syntax_exception", e.clone()))?;
        java_split(re, input, self.limit)
    }
}

/// Java `Pattern.split`: a zero-width match at the start adds no leading empty string; with
/// limit 0, trailing empty strings are dropped; with limit n, at most n parts.
fn java_split<'t>(re: &Regex, input: &'t str, limit: usize) -> Result<Vec<&'t str>, IngestError> {
    let mut parts: Vec<&'t str> = Vec::new();
    let mut index = 0;
    for m in re.find_iter(input) {
        let m = m.map_err(|e| IngestError::illegal_argument(e.to_string()))?;
        if limit > 0 && parts.len() >= limit - 1 {
            break;
        }
        if index == 0 && m.start() == 0 && m.end() == 0 {
            continue;
        }
        // index is 0 or a previous match end; regex offsets are char boundaries.
        parts.push(&input[index..m.start()]);
        index = m.end();
    }
    if index == 0 && parts.is_empty() {
        return Ok(vec![input]);
    }
    // index is 0 or a match end: a char boundary.
    parts.push(&input[index..]);
    if limit == 0 {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    Ok(parts)
}

/// Java `Matcher.replaceAll("")`.
fn remove_all(re: &Regex, s: &str) -> Result<String, IngestError> {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for m in re.find_iter(s) {
        let m = m.map_err(|e| IngestError::illegal_argument(e.to_string()))?;
        // last is 0 or a previous match end; regex offsets are char boundaries.
        out.push_str(&s[last..m.start()]);
        last = m.end();
    }
    // last is 0 or a match end: a char boundary.
    out.push_str(&s[last..]);
    Ok(out)
}

fn trimmer(property: &str, chars: Option<String>) -> Result<Option<Regex>, ConfigError> {
    chars
        .map(|t| {
            compile(&format!("(^([{t}]+))|([{t}]+{JAVA_END})"))
                .map_err(|e| ConfigError::property(property, e))
        })
        .transpose()
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let target = cfg.opt_field("target_field")?;
    let field_split = cfg.req_str("field_split")?;
    let value_split_text = cfg.req_str("value_split")?;
    let trim_key = trimmer("trim_key", cfg.opt_str("trim_key")?)?;
    let trim_value = trimmer("trim_value", cfg.opt_str("trim_value")?)?;
    let prefix = cfg.opt_str("prefix")?.unwrap_or_default();
    let strip_brackets = if cfg.bool_or("strip_brackets", false)? {
        Some(
            compile(&format!(r#"(^[\(\[<"'])|([\]\)>"']{JAVA_END})"#))
                .map_err(ConfigError::general)?,
        )
    } else {
        None
    };
    let to_set = |l: Option<Vec<Value>>| {
        l.map(|l| l.iter().map(Value::to_java_string).collect::<HashSet<_>>())
    };
    let include = to_set(cfg.opt_list("include_keys")?);
    let exclude = to_set(cfg.opt_list("exclude_keys")?);
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    Ok(Box::new(Kv {
        field,
        target,
        field_split: Splitter::new("field_split", &field_split, 0)?,
        value_split: Splitter::new("value_split", &value_split_text, 2)?,
        value_split_text,
        include,
        exclude,
        prefix,
        trim_key,
        trim_value,
        strip_brackets,
        ignore_missing,
    }))
}

/// A field option rendered to text (templates allowed), as `renderTemplate` gives it.
fn render(f: &FieldRef, doc: &IngestDocument) -> String {
    match f {
        FieldRef::Static(p) => p.original().to_string(),
        FieldRef::Dynamic(t) => t.render(doc),
    }
}

impl Kv {
    fn keep(&self, key: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.contains(key))
            && self.exclude.as_ref().is_none_or(|s| !s.contains(key))
    }
}

impl Processor for Kv {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let target = self
            .target
            .as_ref()
            .map(|t| render(t, doc))
            .unwrap_or_default();
        let path_prefix = if target.is_empty() {
            self.prefix.clone()
        } else {
            format!("{target}.{}", self.prefix)
        };
        let path_text = render(&self.field, doc);
        let exists = !path_text.is_empty() && {
            let p = FieldPath::parse(&path_text)?;
            doc.has_field_strict(&p)?
        };
        if !exists {
            if self.ignore_missing {
                return Ok(Flow::Continue);
            }
            return Err(IngestError::illegal_argument(format!(
                "field [{path_text}] doesn't exist"
            )));
        }
        let path = FieldPath::parse(&path_text)?;
        let text = match doc.get(&path)? {
            Value::String(s) => s.clone(),
            Value::Null if self.ignore_missing => return Ok(Flow::Continue),
            Value::Null => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path_text}] is null, cannot extract key-value pairs."
                )));
            }
            other => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path_text}] of type [{}] cannot be cast to [java.lang.String]",
                    other.java_type()
                )));
            }
        };
        for part in self.field_split.split(&text)? {
            let kv = self.value_split.split(part)?;
            let [key, value] = kv.as_slice() else {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path_text}] does not contain value_split [{}]",
                    self.value_split_text
                )));
            };
            let key = match &self.trim_key {
                Some(re) => remove_all(re, key)?,
                None => key.to_string(),
            };
            if !self.keep(&key) {
                continue;
            }
            let mut value = match &self.strip_brackets {
                Some(re) => remove_all(re, value)?,
                None => value.to_string(),
            };
            if let Some(re) = &self.trim_value {
                value = remove_all(re, &value)?;
            }
            let target = FieldPath::parse(&format!("{path_prefix}{key}"))?;
            if doc.has_field(&target) {
                doc.append(&target, Value::String(value), true)?;
            } else {
                doc.set(&target, Value::String(value))?;
            }
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn splits_pairs() {
        for (opts, input, output) in [
            (
                r#"{"field":"f","field_split":" ","value_split":"="}"#,
                r#"{"f":"goodbye=everybody hello=world"}"#,
                r#"{"f":"goodbye=everybody hello=world","goodbye":"everybody","hello":"world"}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"=","target_field":"t","prefix":"p_"}"#,
                r#"{"f":"a=1 b=2"}"#,
                r#"{"f":"a=1 b=2","t":{"p_a":"1","p_b":"2"}}"#,
            ),
            (
                r#"{"field":"f","field_split":"&","value_split":"="}"#,
                r#"{"f":"a=1&a=2&a=3"}"#,
                r#"{"f":"a=1&a=2&a=3","a":["1","2","3"]}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"=","include_keys":["a"]}"#,
                r#"{"f":"a=1 b=2"}"#,
                r#"{"f":"a=1 b=2","a":"1"}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"=","exclude_keys":["a"]}"#,
                r#"{"f":"a=1 b=2"}"#,
                r#"{"f":"a=1 b=2","b":"2"}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"=","trim_key":"<>","trim_value":"<>"}"#,
                r#"{"f":"<a>=<1> b=2"}"#,
                r#"{"f":"<a>=<1> b=2","a":"1","b":"2"}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"=","strip_brackets":true}"#,
                r#"{"f":"a=(1) b=\"x\" c=<y> d='z'"}"#,
                r#"{"f":"a=(1) b=\"x\" c=<y> d='z'","a":"1","b":"x","c":"y","d":"z"}"#,
            ),
            (
                r#"{"field":"f","field_split":"\\s*,\\s*","value_split":":"}"#,
                r#"{"f":"a:1 ,  b:2:3,"}"#,
                r#"{"f":"a:1 ,  b:2:3,","a":"1","b":"2:3"}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"=","ignore_missing":true}"#,
                r#"{}"#,
                r#"{}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"=","ignore_missing":true}"#,
                r#"{"f":null}"#,
                r#"{"f":null}"#,
            ),
            (
                r#"{"field":"f","field_split":" ","value_split":"="}"#,
                r#"{"f":"a="}"#,
                r#"{"f":"a=","a":""}"#,
            ),
        ] {
            give("kv", opts, input, output);
        }
    }

    #[test]
    fn errors() {
        let o = r#"{"field":"f","field_split":" ","value_split":"="}"#;
        fails(
            "kv",
            o,
            r#"{"f":"a=1 b"}"#,
            "field [f] does not contain value_split [=]",
        );
        fails("kv", o, r#"{}"#, "field [f] doesn't exist");
        fails(
            "kv",
            o,
            r#"{"f":null}"#,
            "field [f] is null, cannot extract key-value pairs.",
        );
        fails(
            "kv",
            o,
            r#"{"f":1}"#,
            "field [f] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        fails(
            "kv",
            o,
            r#"{"f":""}"#,
            "field [f] does not contain value_split [=]",
        );
        bad_config(
            "kv",
            r#"{"field":"f","value_split":"="}"#,
            "[field_split] required property is missing",
        );
    }
}
