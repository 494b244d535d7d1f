//! `split`: Java `String.split(separator, preserve_trailing ? -1 : 0)` into a list of strings.

use super::gsub::java_regex;
use crate::document::IngestDocument;
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;
use fancy_regex::Regex;

#[derive(Debug)]
struct Split {
    field: FieldRef,
    target: Option<FieldRef>,
    separator: Regex,
    ignore_missing: bool,
    preserve_trailing: bool,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let separator = cfg.req_str("separator")?;
    let target = cfg.opt_field("target_field")?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    let preserve_trailing = cfg.bool_or("preserve_trailing", false)?;
    let separator = java_regex(&separator)
        .map_err(|e| ConfigError::property("separator", format!("Invalid regex pattern. {e}")))?;
    Ok(Box::new(Split {
        field,
        target,
        separator,
        ignore_missing,
        preserve_trailing,
    }))
}

/// Java `String.split(regex, limit)` for limit 0 (drop trailing empties) or -1 (keep them).
fn java_split(re: &Regex, s: &str, keep_trailing: bool) -> Result<Vec<String>, IngestError> {
    let mut parts = Vec::new();
    let mut last = 0;
    for m in re.find_iter(s) {
        let m = m.map_err(|e| IngestError::illegal_state(e.to_string()))?;
        // A zero-width match at the very beginning never yields a leading empty string.
        if last == 0 && m.start() == 0 && m.end() == 0 {
            continue;
        }
        // last is 0 or a previous match end; regex offsets are char boundaries.
        parts.push(&s[last..m.start()]);
        last = m.end();
    }
    if parts.is_empty() {
        return Ok(vec![s.to_string()]);
    }
    // last is 0 or a match end: a char boundary.
    parts.push(&s[last..]);
    if !keep_trailing {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    Ok(parts.into_iter().map(str::to_string).collect())
}

impl Processor for Split {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        let parts = match doc.get_string(&path, self.ignore_missing)? {
            Some(s) => java_split(&self.separator, s, self.preserve_trailing)?,
            None if self.ignore_missing => return Ok(Flow::Continue),
            None => {
                return Err(IngestError::illegal_argument(format!(
                    "field [{path}] is null, cannot split."
                )));
            }
        };
        let target = match &self.target {
            Some(t) => t.resolve(doc)?,
            None => path,
        };
        doc.set(
            &target,
            Value::List(parts.into_iter().map(Value::String).collect()),
        )?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give};

    #[test]
    fn splits_like_java() {
        let cases = [
            (
                r#"{"field":"a","separator":","}"#,
                r#""a,b,,c,,""#,
                r#"["a","b","","c"]"#,
            ),
            (
                r#"{"field":"a","separator":",","preserve_trailing":true}"#,
                r#""a,b,,c,,""#,
                r#"["a","b","","c","",""]"#,
            ),
            (
                r#"{"field":"a","separator":"\\s+"}"#,
                r#""  a  b ""#,
                r#"["","a","b"]"#,
            ),
            (
                r#"{"field":"a","separator":""}"#,
                r#""abc""#,
                r#"["a","b","c"]"#,
            ),
            (r#"{"field":"a","separator":","}"#, r#""""#, r#"[""]"#),
            (r#"{"field":"a","separator":","}"#, r#"",,""#, "[]"),
            (
                r#"{"field":"a","separator":"\\|"}"#,
                r#""x|y""#,
                r#"["x","y"]"#,
            ),
            (
                r#"{"field":"a","separator":"(?=b)"}"#,
                r#""abab""#,
                r#"["a","ba","b"]"#,
            ),
        ];
        for (opts, input, output) in cases {
            give(
                "split",
                opts,
                &format!(r#"{{"a":{input}}}"#),
                &format!(r#"{{"a":{output}}}"#),
            );
        }
        give(
            "split",
            r#"{"field":"a","separator":",","target_field":"b"}"#,
            r#"{"a":"1,2"}"#,
            r#"{"a":"1,2","b":["1","2"]}"#,
        );
        give(
            "split",
            r#"{"field":"a","separator":",","ignore_missing":true}"#,
            "{}",
            "{}",
        );
    }

    #[test]
    fn errors() {
        fails(
            "split",
            r#"{"field":"a","separator":","}"#,
            r#"{"a":null}"#,
            "field [a] is null, cannot split.",
        );
        fails(
            "split",
            r#"{"field":"a","separator":","}"#,
            r#"{"a":["x"]}"#,
            "field [a] of type [java.util.ArrayList] cannot be cast to [java.lang.String]",
        );
        fails(
            "split",
            r#"{"field":"a","separator":","}"#,
            "{}",
            "field [a] not present as part of path [a]",
        );
        bad_config(
            "split",
            r#"{"field":"a"}"#,
            "[separator] required property is missing",
        );
        bad_config(
            "split",
            r#"{"field":"a","separator":"("}"#,
            "[separator] Invalid regex pattern.",
        );
    }
}
