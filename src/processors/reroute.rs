//! `reroute`: sends the document to another data stream (`<type>-<dataset>-<namespace>`) or to a
//! fixed `destination`, and stops the pipelines it runs in (Elasticsearch's RerouteProcessor).

use crate::document::{FieldPath, IngestDocument};
use crate::error::{ConfigError, IngestError};
use crate::pipeline::{BuildError, Builder, Config, Env, Flow, Processor};
use crate::value::Value;

/// Characters replaced by `_` in a dataset (`-` separates the name's parts).
const DISALLOWED_IN_DATASET: &[char] = &[
    '\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':', '-',
];
/// Characters replaced by `_` in a namespace.
const DISALLOWED_IN_NAMESPACE: &[char] =
    &['\\', '/', '*', '?', '"', '<', '>', '|', ' ', ',', '#', ':'];
/// Longest dataset or namespace, in UTF-16 units (Java's `substring`).
const MAX_LENGTH: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Dataset,
    Namespace,
}

impl Part {
    fn disallowed(self) -> &'static [char] {
        match self {
            Part::Dataset => DISALLOWED_IN_DATASET,
            Part::Namespace => DISALLOWED_IN_NAMESPACE,
        }
    }
}

/// Lower-cases (Locale.ROOT), cuts to 100 UTF-16 units and replaces disallowed characters.
fn sanitize(s: &str, part: Part) -> String {
    let lower = s.to_lowercase();
    let mut units = 0usize;
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        units += c.len_utf16();
        if units > MAX_LENGTH {
            break;
        }
        out.push(if part.disallowed().contains(&c) {
            '_'
        } else {
            c
        });
    }
    out
}

/// A dataset or namespace: a `{{field}}` reference or a fixed value.
#[derive(Debug)]
enum ValueSource {
    /// A field reference (trimmed), as a nested path and as a literal dotted key at the root.
    Field {
        key: String,
        path: Option<FieldPath>,
    },
    Fixed(String),
}

impl ValueSource {
    fn field(reference: &str) -> ValueSource {
        let key = reference.trim().to_string();
        ValueSource::Field {
            path: FieldPath::parse(&key).ok(),
            key,
        }
    }

    /// Elasticsearch's `DataStreamValueSource`: one whole `{{field}}` (or `{{{field}}}`), or
    /// a value free of disallowed characters.
    fn parse(text: &str, part: Part) -> Result<ValueSource, String> {
        if text.contains("{{") || text.contains("}}") {
            let invalid = || format!("'{text}' is not a valid field reference");
            if !text.starts_with("{{") || !text.ends_with("}}") || text.len() < 4 {
                return Err(invalid());
            }
            // text is at least 4 bytes, starting with ASCII "{{" and ending with ASCII "}}".
            let mut reference = &text[2..text.len() - 2];
            if reference.len() >= 2 && reference.starts_with('{') && reference.ends_with('}') {
                // At least 2 bytes, starting with ASCII '{' and ending with ASCII '}'.
                reference = &reference[1..reference.len() - 1];
            }
            if reference.contains('{') || reference.contains('}') {
                return Err(invalid());
            }
            Ok(ValueSource::field(reference))
        } else if sanitize(text, part) != text {
            Err(format!("'{text}' contains disallowed characters"))
        } else {
            Ok(ValueSource::Fixed(text.to_string()))
        }
    }

    /// The value for this document: `None` when the field is missing or null; the field may be
    /// nested or a dotted key at the root (ES 8.8+, #96243). A non-string value is an error.
    fn resolve(&self, doc: &IngestDocument, part: Part) -> Result<Option<String>, IngestError> {
        let (key, path) = match self {
            ValueSource::Fixed(v) => return Ok(Some(v.clone())),
            ValueSource::Field { key, path } => (key, path),
        };
        let value = path
            .as_ref()
            .and_then(|p| doc.get_opt(p))
            .filter(|v| !v.is_null())
            .or_else(|| doc.ctx.get(key.as_str()).filter(|v| !v.is_null()));
        match value {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(sanitize(s, part))),
            Some(other) => Err(IngestError::illegal_argument(format!(
                "field [{key}] of type [{}] cannot be cast to [java.lang.String]",
                other.java_type()
            ))),
        }
    }
}

#[derive(Debug)]
enum Target {
    Destination(String),
    DataStream {
        dataset: Vec<ValueSource>,
        namespace: Vec<ValueSource>,
    },
}

#[derive(Debug)]
struct Reroute {
    target: Target,
}

fn sources(cfg: &mut Config, key: &str, part: Part) -> Result<Vec<ValueSource>, ConfigError> {
    let texts = cfg.opt_str_list(key)?.unwrap_or_default();
    texts
        .iter()
        .map(|t| ValueSource::parse(t, part).map_err(|e| ConfigError::property(key, e)))
        .collect()
}

/// The default when a list is empty: the document's own `data_stream.<key>`.
fn or_default(mut list: Vec<ValueSource>, key: &str) -> Vec<ValueSource> {
    if list.is_empty() {
        list.push(ValueSource::field(&format!("data_stream.{key}")));
    }
    list
}

pub(crate) fn build(cfg: &mut Config, _: &Builder<'_>) -> Result<Box<dyn Processor>, BuildError> {
    let dataset = sources(cfg, "dataset", Part::Dataset)?;
    let namespace = sources(cfg, "namespace", Part::Namespace)?;
    let target = match cfg.opt_str("destination")? {
        Some(_) if !dataset.is_empty() || !namespace.is_empty() => {
            return Err(ConfigError::property(
                "destination",
                "can only be set if dataset and namespace are not set",
            )
            .into());
        }
        Some(d) => Target::Destination(d),
        None => Target::DataStream {
            dataset: or_default(dataset, "dataset"),
            namespace: or_default(namespace, "namespace"),
        },
    };
    Ok(Box::new(Reroute { target }))
}

fn first_resolved(
    sources: &[ValueSource],
    doc: &IngestDocument,
    part: Part,
) -> Result<Option<String>, IngestError> {
    for s in sources {
        if let Some(v) = s.resolve(doc, part)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Sets a `data_stream.*` / `event.dataset` field: a dotted key at the root when the document
/// has one (ES 8.8+, #96243), else the nested field.
fn set_field(doc: &mut IngestDocument, name: &str, value: &str) -> Result<(), IngestError> {
    if let Some(v) = doc.ctx.get_mut(name) {
        *v = Value::from(value);
        return Ok(());
    }
    doc.set(&FieldPath::parse(name)?, Value::from(value))
}

impl Processor for Reroute {
    fn execute(&self, doc: &mut IngestDocument, _: &mut Env<'_>) -> Result<Flow, IngestError> {
        let (dataset, namespace) = match &self.target {
            Target::Destination(d) => {
                doc.ctx.insert("_index".into(), Value::from(d.as_str()));
                doc.rerouted = true;
                return Ok(Flow::Continue);
            }
            Target::DataStream { dataset, namespace } => (dataset, namespace),
        };
        let index = match doc.ctx.get("_index") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(IngestError::illegal_argument(format!(
                    "field [_index] of type [{}] cannot be cast to [java.lang.String]",
                    other.java_type()
                )));
            }
            None => {
                return Err(IngestError::illegal_argument(
                    "field [_index] not present as part of path [_index]",
                ));
            }
        };
        let naming = || {
            IngestError::illegal_argument(format!(
                "invalid data stream name: [{index}]; must follow naming scheme <type>-<dataset>-<namespace>"
            ))
        };
        let first = index.find('-').ok_or_else(naming)?;
        let second = index[first + 1..]
            .find('-')
            .map(|i| first + 1 + i)
            .ok_or_else(naming)?;
        // first < second are offsets of ASCII '-' in index: char boundaries.
        let kind = &index[..first];
        let dataset = first_resolved(dataset, doc, Part::Dataset)?
            .unwrap_or_else(|| index[first + 1..second].to_string());
        let namespace = first_resolved(namespace, doc, Part::Namespace)?
            .unwrap_or_else(|| index[second + 1..].to_string());
        let target = format!("{kind}-{dataset}-{namespace}");
        doc.ctx.insert("_index".into(), Value::from(target));
        doc.rerouted = true;
        set_field(doc, "data_stream.type", kind)?;
        set_field(doc, "data_stream.dataset", &dataset)?;
        set_field(doc, "data_stream.namespace", &namespace)?;
        // ECS: event.dataset follows data_stream.dataset, but only when the document has it.
        let event_dataset = FieldPath::parse("event.dataset")?;
        if doc.has_field(&event_dataset) {
            doc.set(&event_dataset, Value::from(dataset))?;
        } else if doc.ctx.contains_key("event.dataset") {
            set_field(doc, "event.dataset", &dataset)?;
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::processors::testing::{bad_config, give, pipeline};

    fn run_with_index(options: &str, index: &str, doc: &str) -> (String, String) {
        let p = pipeline("reroute", options).expect("loads");
        let Value::Map(m) = Value::from_json_str(doc).expect("json") else {
            panic!("object")
        };
        let mut d = IngestDocument::new(m, "2024-01-01T00:00:00.000Z");
        d.ctx.insert("_index".into(), Value::from(index));
        let set = crate::pipeline::PipelineSet::new();
        let mut env = Env::new(&set);
        p.execute(&mut d, &mut env).expect("runs");
        assert!(d.rerouted);
        let idx = d
            .ctx
            .get("_index")
            .map(Value::to_java_string)
            .unwrap_or_default();
        (idx, Value::Map(d.into_source()).to_json())
    }

    #[test]
    fn routes_by_fields_with_fallbacks() {
        for (options, doc, index, source) in [
            // Fixed dataset; the namespace falls back to data_stream.namespace, then to _index.
            (
                r#"{"dataset":"aws.vpcflow","namespace":["{{data_stream.namespace}}","default"]}"#,
                r#"{"event":{"dataset":"x"}}"#,
                "logs-aws.vpcflow-default",
                r#"{"event":{"dataset":"aws.vpcflow"},"data_stream":{"type":"logs","dataset":"aws.vpcflow","namespace":"default"}}"#,
            ),
            // Field references are sanitised; missing and null values fall through.
            (
                r#"{"dataset":["{{a}}","{{ b }}"],"namespace":"{{{c}}}"}"#,
                r#"{"a":null,"b":"My-App:Logs","c":"Prod Env"}"#,
                "logs-my_app_logs-prod_env",
                r#"{"a":null,"b":"My-App:Logs","c":"Prod Env","data_stream":{"type":"logs","dataset":"my_app_logs","namespace":"prod_env"}}"#,
            ),
            // Dotted keys at the root are read and updated in place (ES #96243).
            (
                r#"{"dataset":"aws.vpcflow"}"#,
                r#"{"data_stream.dataset":"x","data_stream.namespace":"ns","event.dataset":"x"}"#,
                "logs-aws.vpcflow-ns",
                r#"{"data_stream.dataset":"aws.vpcflow","data_stream.namespace":"ns","event.dataset":"aws.vpcflow","data_stream":{"type":"logs"}}"#,
            ),
            // Nothing resolves: the parts of the current _index are kept.
            (
                "{}",
                "{}",
                "logs-generic-default",
                r#"{"data_stream":{"type":"logs","dataset":"generic","namespace":"default"}}"#,
            ),
        ] {
            let (idx, src) = run_with_index(options, "logs-generic-default", doc);
            assert_eq!(idx, index, "{options}");
            let want = Value::from_json_str(source).unwrap();
            assert!(
                Value::from_json_str(&src).unwrap() == want,
                "{options}: got {src}"
            );
        }
        let (idx, _) = run_with_index(r#"{"destination":"other"}"#, "logs-a-b", "{}");
        assert_eq!(idx, "other");
        let p = pipeline("reroute", r#"{"dataset":"{{n}}"}"#).unwrap();
        let mut m = crate::value::Map::default();
        m.insert("n".into(), Value::Int(42));
        let mut d = IngestDocument::new(m, "t");
        d.ctx.insert("_index".into(), Value::from("logs-a-b"));
        let set = crate::pipeline::PipelineSet::new();
        let e = p.execute(&mut d, &mut Env::new(&set)).unwrap_err();
        assert_eq!(
            e.reason,
            "field [n] of type [java.lang.Integer] cannot be cast to [java.lang.String]"
        );
    }

    #[test]
    fn sanitises_like_elasticsearch() {
        assert_eq!(sanitize("A-B/C", Part::Dataset), "a_b_c");
        assert_eq!(sanitize("A-B/C", Part::Namespace), "a-b_c");
        assert_eq!(sanitize(&"x".repeat(150), Part::Dataset).len(), 100);
    }

    #[test]
    fn stops_the_pipeline_and_checks_the_index() {
        // The default simulate index `_index` does not follow the naming scheme.
        crate::processors::testing::fails(
            "reroute",
            r#"{"dataset":"a"}"#,
            "{}",
            "invalid data stream name: [_index]; must follow naming scheme <type>-<dataset>-<namespace>",
        );
        let def = r#"{"processors":[{"reroute":{"destination":"x"}},{"set":{"field":"after","value":1}}]}"#;
        let p = crate::processors::testing::load(def).unwrap();
        let (_, d) = crate::processors::testing::execute(&p, "{}").unwrap();
        assert!(!d.ctx.contains_key("after"));
        give("reroute", r#"{"destination":"x"}"#, "{}", "{}");
    }

    #[test]
    fn config_errors() {
        bad_config(
            "reroute",
            r#"{"dataset":"a-b"}"#,
            "'a-b' contains disallowed characters",
        );
        bad_config(
            "reroute",
            r#"{"dataset":"x{{a}}"}"#,
            "'x{{a}}' is not a valid field reference",
        );
        bad_config(
            "reroute",
            r#"{"dataset":"{{a}}-{{b}}"}"#,
            "is not a valid field reference",
        );
        bad_config(
            "reroute",
            r#"{"destination":"x","dataset":"a"}"#,
            "can only be set if dataset and namespace are not set",
        );
        bad_config("reroute", r#"{"namespace":1}"#, "property isn't a list");
    }
}
