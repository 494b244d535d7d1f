//! `grok`: extracts fields from a string with grok expressions (Elasticsearch's GrokProcessor).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::grok::{Grok, invalid_patterns, read_bank, read_patterns};
use crate::pipeline::{BuildError, Builder, Config, Env, FieldRef, Flow, Processor};
use crate::value::Value;

const MATCH_KEY: &str = "_ingest._grok_match_index";

#[derive(Debug)]
struct GrokProcessor {
    field: FieldRef,
    grok: Grok,
    several: bool,
    trace_match: bool,
    ignore_missing: bool,
    match_key: FieldPath,
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let field = cfg.req_field("field")?;
    let patterns = read_patterns(cfg)?;
    let trace_match = cfg.bool_or("trace_match", false)?;
    let ignore_missing = cfg.bool_or("ignore_missing", false)?;
    // Elasticsearch 8.x defaults to the legacy bank.
    let ecs = cfg.str_or("ecs_compatibility", "disabled")?;
    let ecs_v1 = match ecs.as_str() {
        "disabled" => false,
        "v1" => true,
        other => {
            return Err(ConfigError::property(
                "ecs_compatibility",
                format!("unsupported mode '{other}'"),
            )
            .into());
        }
    };
    let bank = read_bank(cfg, &patterns, ecs_v1)?;
    let grok = Grok::compile(&bank, &combine(&patterns, trace_match))
        .map_err(|m| invalid_patterns(&patterns, m))?;
    Ok(Box::new(GrokProcessor {
        field,
        grok,
        several: patterns.len() > 1,
        trace_match,
        ignore_missing,
        match_key: FieldPath::parse(MATCH_KEY).map_err(|e| ConfigError::general(e.reason))?,
    }))
}

/// Elasticsearch's `combinePatterns`: alternatives, each tagged with its index when tracing.
fn combine(patterns: &[String], trace_match: bool) -> String {
    if patterns.len() == 1 {
        // patterns.len() == 1.
        return patterns[0].clone();
    }
    patterns
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if trace_match {
                format!("(?<{MATCH_KEY}.{i}>{p})")
            } else {
                format!("(?:{p})")
            }
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The string at `path` as `getFieldValue(path, String.class, ignoreMissing)` then a null check
/// give it; `None` means "nothing to do".
fn string_field(
    doc: &IngestDocument,
    path: &FieldPath,
    ignore_missing: bool,
) -> Result<Option<String>, IngestError> {
    match doc.get_string(path, ignore_missing)? {
        Some(s) => Ok(Some(s.to_string())),
        None if ignore_missing => Ok(None),
        None => Err(IngestError::illegal_argument(format!(
            "field [{path}] is null, cannot process it."
        ))),
    }
}

impl Processor for GrokProcessor {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let path = self.field.resolve(doc)?;
        let Some(text) = string_field(doc, &path, self.ignore_missing)? else {
            return Ok(Flow::Continue);
        };
        let Some(matches) = self.grok.captures(&text)? else {
            return Err(IngestError::illegal_argument(format!(
                "Provided Grok expressions do not match field value: [{text}]"
            )));
        };
        let configs = self.grok.capture_configs();
        for (ci, value) in matches {
            let Some(cfg) = configs.get(ci) else { continue };
            let target = cfg.path.clone()?;
            doc.set(&target, value)?;
        }
        if self.trace_match {
            let index = if self.several {
                match doc.get(&self.match_key)? {
                    Value::Map(m) => m.keys().next().cloned(),
                    other => {
                        return Err(IngestError::new(
                            "class_cast_exception",
                            format!(
                                "class {} cannot be cast to class java.util.HashMap",
                                other.java_type()
                            ),
                        ));
                    }
                }
            } else {
                Some("0".to_string())
            };
            if let Some(index) = index {
                doc.set(&self.match_key, Value::String(index))?;
            }
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use crate::processors::testing::{bad_config, fails, give, run};

    #[test]
    fn extracts_typed_fields() {
        for (opts, input, output) in [
            (
                r#"{"field":"m","patterns":["%{NUMBER:val:float} %{NUMBER:status:int} <%{WORD:msg}>"]}"#,
                r#"{"m":"123.42 400 <foo>"}"#,
                r#"{"m":"123.42 400 <foo>","val":123.42,"status":400,"msg":"foo"}"#,
            ),
            (
                r#"{"field":"m","patterns":["<%{NUMBER:msg}>"],"pattern_definitions":{"NUMBER":"foo"}}"#,
                r#"{"m":"<foo>"}"#,
                r#"{"m":"<foo>","msg":"foo"}"#,
            ),
            (
                r#"{"field":"m","patterns":["%{IP:source.ip} %{INT:n:long}? ?%{WORD:w}"]}"#,
                r#"{"m":"10.1.2.3 x"}"#,
                r#"{"m":"10.1.2.3 x","source":{"ip":"10.1.2.3"},"w":"x"}"#,
            ),
            (
                r#"{"field":"m","patterns":["^%{IPORHOST:a} (%{IPORHOST:a} )?"]}"#,
                r#"{"m":"1.2.3.4 5.6.7.8 "}"#,
                r#"{"m":"1.2.3.4 5.6.7.8 ","a":["1.2.3.4","5.6.7.8"]}"#,
            ),
            (
                r#"{"field":"m","patterns":["%{SYSLOGBASE2}"],"ecs_compatibility":"v1"}"#,
                r#"{"m":"Mar  1 10:00:00 myhost sshd[42]:"}"#,
                r#"{"m":"Mar  1 10:00:00 myhost sshd[42]:","timestamp":"Mar  1 10:00:00","host":{"hostname":"myhost"},"process":{"name":"sshd","pid":42}}"#,
            ),
            (
                r#"{"field":"m","patterns":["%{WORD:w}"],"ignore_missing":true}"#,
                r#"{"x":1}"#,
                r#"{"x":1}"#,
            ),
            (
                r#"{"field":"m","patterns":["%{WORD:w}"],"ignore_missing":true}"#,
                r#"{"m":null}"#,
                r#"{"m":null}"#,
            ),
        ] {
            give("grok", opts, input, output);
        }
    }

    #[test]
    fn trace_match_records_the_pattern_index() {
        let opts = r#"{"field":"f","patterns":["%{ONE:one}","%{TWO:two}"],"pattern_definitions":{"ONE":"1","TWO":"2"},"trace_match":true}"#;
        give(
            "grok",
            opts,
            r#"{"f":"abc2xyz"}"#,
            r#"{"f":"abc2xyz","two":"2"}"#,
        );
        // The index lands in _ingest, which `run` does not show; check through a set processor.
        let p = r#"{"processors":[{"grok":{"field":"f","patterns":["%{ONE:one}","%{TWO:two}"],"pattern_definitions":{"ONE":"1","TWO":"2"},"trace_match":true}},{"set":{"field":"i","value":"{{_ingest._grok_match_index}}"}}]}"#;
        let pl = crate::processors::testing::load(p).unwrap();
        let (_, d) = crate::processors::testing::execute(&pl, r#"{"f":"abc2xyz"}"#).unwrap();
        assert_eq!(d.ctx["i"], crate::value::Value::from("1"));
        assert_eq!(
            d.ingest["_grok_match_index"],
            crate::value::Value::from("1")
        );
    }

    #[test]
    fn failures_read_as_elasticsearch() {
        fails(
            "grok",
            r#"{"field":"m","patterns":["%{INT:i}"]}"#,
            r#"{"m":"abc"}"#,
            "Provided Grok expressions do not match field value: [abc]",
        );
        fails(
            "grok",
            r#"{"field":"m","patterns":["%{INT:i}"]}"#,
            r#"{}"#,
            "field [m] not present as part of path [m]",
        );
        fails(
            "grok",
            r#"{"field":"m","patterns":["%{INT:i}"]}"#,
            r#"{"m":null}"#,
            "field [m] is null, cannot process it.",
        );
        fails(
            "grok",
            r#"{"field":"m","patterns":["%{INT:i}"]}"#,
            r#"{"m":3}"#,
            "field [m] of type [java.lang.Integer] cannot be cast to [java.lang.String]",
        );
        fails(
            "grok",
            r#"{"field":"m","patterns":["%{WORD:i:int}"]}"#,
            r#"{"m":"x"}"#,
            "For input string: \"x\"",
        );
        bad_config(
            "grok",
            r#"{"field":"m","patterns":["%{INVALID_PATTERN:field}"]}"#,
            "[patterns] Invalid regex pattern found in: [%{INVALID_PATTERN:field}]. Unable to find pattern [INVALID_PATTERN] in Grok's pattern dictionary",
        );
        bad_config(
            "grok",
            r#"{"field":"m","patterns":["%{MY_PATTERN:name}!"],"pattern_definitions":{"MY_PATTERN":"["}}"#,
            "[patterns] Invalid regex pattern found in: [%{MY_PATTERN:name}!]. premature end of char-class",
        );
        bad_config(
            "grok",
            r#"{"field":"m","patterns":["a","%{A}"],"pattern_definitions":{"A":"%{B}","B":"%{A}"}}"#,
            "[patterns] Invalid regex pattern found in: [a, %{A}]. circular reference detected: A->B->A",
        );
        bad_config(
            "grok",
            r#"{"field":"m","patterns":[]}"#,
            "[patterns] List of patterns must not be empty",
        );
        bad_config(
            "grok",
            r#"{"field":"m"}"#,
            "[patterns] required property is missing",
        );
        bad_config(
            "grok",
            r#"{"field":"m","patterns":["x"],"ecs_compatibility":"v2"}"#,
            "[ecs_compatibility] unsupported mode 'v2'",
        );
    }

    #[test]
    fn first_matching_alternative_wins_at_the_leftmost_position() {
        let out = run(
            "grok",
            r#"{"field":"m","patterns":["%{INT:n}","%{WORD:w}"]}"#,
            r#"{"m":"abc 12"}"#,
        )
        .unwrap();
        assert_eq!(out, r#"{"m":"abc 12","w":"abc"}"#);
    }
}

#[cfg(test)]
mod corpus {
    use crate::processors::testing::pipeline;
    use crate::value::Value;
    use std::path::Path;

    fn collect(v: &Value, out: &mut Vec<Value>) {
        match v {
            Value::Map(m) => {
                for (k, x) in m {
                    if k == "grok" && matches!(x, Value::Map(_)) {
                        out.push(x.clone());
                    }
                    collect(x, out);
                }
            }
            Value::List(l) => l.iter().for_each(|x| collect(x, out)),
            _ => {}
        }
    }

    /// Every grok processor of the integration corpus compiles (skips without /work/shared).
    #[test]
    fn corpus_grok_patterns_compile() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/packages");
        if !dir.is_dir() {
            println!("skipped: {} is absent", dir.display());
            return;
        }
        let (mut total, mut failed) = (0, Vec::new());
        for entry in walkdir::WalkDir::new(&dir)
            .into_iter()
            .filter_map(Result::ok)
        {
            let p = entry.path();
            let in_pipelines = p.components().any(|c| c.as_os_str() == "ingest_pipeline");
            if !in_pipelines || !p.is_file() {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(p) else {
                continue;
            };
            let Ok(doc) = crate::yaml::parse(&text) else {
                continue;
            };
            let mut groks = Vec::new();
            collect(&doc, &mut groks);
            for mut g in groks {
                if let Value::Map(m) = &mut g {
                    for k in ["on_failure", "if", "tag", "description", "ignore_failure"] {
                        m.shift_remove(k);
                    }
                }
                total += 1;
                if let Err(e) = pipeline("grok", &g.to_json()) {
                    failed.push(format!("{}: {e}", p.display()));
                }
            }
        }
        println!(
            "grok corpus: {} of {total} processors compile",
            total - failed.len()
        );
        assert!(
            failed.is_empty(),
            "{} failed:\n{}",
            failed.len(),
            failed.join("\n")
        );
    }
}
