//! `routing_rules.yml`: elastic-package turns each rule into a `reroute` processor appended to the
//! data stream's `default` pipeline (internal/elasticsearch/ingest/datastream.go).

use super::HarnessError;
use crate::value::{Map, Value};
use std::path::Path;

/// The file names whose pipeline gets the reroute processors (the `.link` variants aside).
pub const ROUTED_PIPELINES: [&str; 2] = ["default.yml", "default.json"];

/// The `reroute` processors of a `routing_rules.yml`, in file order: one per rule, tagged with
/// the rule set's `source_dataset`.
pub fn reroute_processors(file: &Path) -> Result<Vec<Value>, HarnessError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| HarnessError::input(file, format!("cannot read: {e}")))?;
    processors_from_text(&text).map_err(|m| HarnessError::input(file, m))
}

fn processors_from_text(text: &str) -> Result<Vec<Value>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc = crate::yaml::parse(text)?;
    let sets = match doc {
        Value::Null => return Ok(Vec::new()),
        Value::List(l) => l,
        other => {
            return Err(format!(
                "expected a list of routing rules, found {}",
                other.java_type()
            ));
        }
    };
    let mut out = Vec::new();
    for set in sets {
        let Value::Map(set) = set else {
            return Err("each routing rule set must be an object".into());
        };
        let source = match set.get("source_dataset") {
            Some(Value::String(s)) => s.clone(),
            None | Some(Value::Null) => String::new(),
            Some(other) => other.to_java_string(),
        };
        let rules = match set.get("rules") {
            Some(Value::List(l)) => l.as_slice(),
            None | Some(Value::Null) => &[],
            Some(_) => return Err("rules in routing_rules.yml must be a list".into()),
        };
        for rule in rules {
            let Value::Map(rule) = rule else {
                return Err("each rule in routing_rules.yml must be an object".into());
            };
            let dataset = strings(rule.get("target_dataset"), "target_dataset")?;
            let namespace = strings(rule.get("namespace"), "namespace")?;
            let mut opts = Map::default();
            opts.insert("tag".into(), Value::from(source.as_str()));
            // elastic-package always writes `if`; an empty one is left out here (no condition).
            if let Some(Value::String(cond)) = rule.get("if")
                && !cond.is_empty()
            {
                opts.insert("if".into(), Value::from(cond.as_str()));
            }
            opts.insert("dataset".into(), Value::List(dataset));
            opts.insert("namespace".into(), Value::List(namespace));
            let mut p = Map::default();
            p.insert("reroute".into(), Value::Map(opts));
            out.push(Value::Map(p));
        }
    }
    Ok(out)
}

/// elastic-package's `convertValue`: a string or a list of strings; only `namespace` may be absent.
fn strings(v: Option<&Value>, label: &str) -> Result<Vec<Value>, String> {
    match v {
        Some(Value::String(s)) => Ok(vec![Value::from(s.as_str())]),
        Some(Value::List(l)) => l
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(Value::from(s.as_str())),
                _ => Err(format!(
                    "{label} in routing_rules.yml has to be a string or an array of strings"
                )),
            })
            .collect(),
        None | Some(Value::Null) if label == "namespace" => Ok(Vec::new()),
        None | Some(Value::Null) => Err(format!("{label} in routing_rules.yml cannot be empty")),
        Some(_) => Err(format!(
            "{label} in routing_rules.yml has to be a string or an array of strings"
        )),
    }
}

/// Appends `extra` processors to a pipeline definition's `processors` list.
pub fn append_processors(def: &mut Value, extra: &[Value]) -> Result<(), String> {
    let Value::Map(m) = def else {
        return Err("a pipeline must be an object".into());
    };
    match m.get_mut("processors") {
        Some(Value::List(l)) => l.extend(extra.iter().cloned()),
        None | Some(Value::Null) => {
            m.insert("processors".into(), Value::List(extra.to_vec()));
        }
        Some(other) => {
            return Err(format!(
                "unexpected processors type, expected a list, found {}",
                other.java_type()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_become_reroute_processors() {
        let text = "- source_dataset: p.ds\n  rules:\n    - target_dataset: p.a\n      if: ctx.x == 1\n      namespace:\n        - '{{data_stream.namespace}}'\n        - default\n    - target_dataset: ['{{k}}', '{{data_stream.dataset}}']\n";
        let got: Vec<String> = processors_from_text(text)
            .unwrap()
            .iter()
            .map(Value::to_json)
            .collect();
        assert_eq!(
            got,
            [
                r#"{"reroute":{"tag":"p.ds","if":"ctx.x == 1","dataset":["p.a"],"namespace":["{{data_stream.namespace}}","default"]}}"#,
                r#"{"reroute":{"tag":"p.ds","dataset":["{{k}}","{{data_stream.dataset}}"],"namespace":[]}}"#,
            ]
        );
        assert!(
            processors_from_text("- source_dataset: a\n  rules:\n    - if: x\n")
                .unwrap_err()
                .contains("target_dataset in routing_rules.yml cannot be empty")
        );
        assert!(processors_from_text("").unwrap().is_empty());
    }

    #[test]
    fn appends_to_the_pipeline() {
        let mut def =
            Value::from_json_str(r#"{"processors":[{"set":{"field":"a","value":1}}]}"#).unwrap();
        let extra = Value::from_json_str(r#"{"reroute":{}}"#).unwrap();
        append_processors(&mut def, &[extra]).unwrap();
        assert_eq!(
            def.to_json(),
            r#"{"processors":[{"set":{"field":"a","value":1}},{"reroute":{}}]}"#
        );
    }
}
