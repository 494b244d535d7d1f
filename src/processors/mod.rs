//! One file per processor; `factory` maps a type name to its constructor.

use crate::document::{AccessPattern, FieldPath, IngestDocument};
use crate::error::IngestError;
use crate::pipeline::{Factory, FieldRef, Flow};
use crate::value::Value;
use std::borrow::Cow;

mod append;
mod bytes;
mod command_line_args;
mod community_id;
mod convert;
mod csv;
mod date;
mod date_index_name;
mod dissect;
mod dot_expander;
mod drop;
mod fail;
mod fingerprint;
mod foreach;
mod geoip;
mod grok;
mod gsub;
mod html_strip;
mod join;
mod json;
mod kv;
mod lowercase;
mod network_direction;
mod pipeline;
mod redact;
mod registered_domain;
mod remove;
mod rename;
mod reroute;
mod script;
mod set;
mod sort;
mod split;
mod terminate;
mod trim;
mod uppercase;
mod uri_parts;
mod urldecode;
mod user_agent;

// Shared with Painless' `Processors.*` helpers and the REST emulation.
#[allow(unused_imports)]
pub(crate) use command_line_args::{Shell, parse as parse_command_line};
#[allow(unused_imports)]
pub(crate) use community_id::{FlowFields, community_id};
pub(crate) use date_index_name::resolve_index_name;
#[allow(unused_imports)]
pub(crate) use uri_parts::uri_parts;

/// Elasticsearch processors that need cluster state or services no offline run has: ML models
/// (`inference`), enrich indices (`enrich`), the calling user (`set_security_user`).
pub const CLUSTER_ONLY: [&str; 3] = ["inference", "enrich", "set_security_user"];

/// Replaces the value of the field at `path` with what `new` makes of it and the path (`None`: leave the
/// document as it is), writing to `target` when given: the shape of processors that read a
/// field (`ignore_missing`: absent is `None`) and write a value derived from it. Without a
/// target, on classic access, the field is rewritten where it is, walking its path once: a
/// classic path that resolved has only maps and lists above it, so setting it again would
/// replace the same slot.
pub(crate) fn rewrite_field(
    doc: &mut IngestDocument,
    path: Cow<'_, FieldPath>,
    target: Option<&FieldRef>,
    ignore_missing: bool,
    new: impl FnOnce(&FieldPath, Option<&Value>) -> Result<Option<Value>, IngestError>,
) -> Result<Flow, IngestError> {
    if target.is_none() && doc.access_pattern() == AccessPattern::Classic {
        let slot = if ignore_missing {
            doc.get_mut_opt(&path)
        } else {
            Some(doc.get_mut(&path)?)
        };
        if let Some(value) = new(&path, slot.as_deref())?
            && let Some(slot) = slot
        {
            *slot = value;
        }
        return Ok(Flow::Continue);
    }
    let current = if ignore_missing {
        doc.get_opt(&path)
    } else {
        Some(doc.get(&path)?)
    };
    let Some(value) = new(&path, current)? else {
        return Ok(Flow::Continue);
    };
    let target = match target {
        Some(t) => t.resolve(doc)?,
        None => path,
    };
    doc.set(&target, value)?;
    Ok(Flow::Continue)
}

/// A processor's built outputs by input, at most 1,000 (Elasticsearch's cache size for geoip
/// and user agents), shared by the threads running the processor: a repeated input gets a
/// copy instead of a rebuild. When full it starts over.
#[derive(Debug)]
pub(crate) struct Memo<K, V> {
    entries: std::sync::Mutex<std::collections::HashMap<K, V, crate::value::HashState>>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            entries: std::sync::Mutex::new(std::collections::HashMap::default()),
        }
    }
}

impl<K: std::hash::Hash + Eq, V: Clone> Memo<K, V> {
    /// Most entries kept.
    const SIZE: usize = 1000;

    /// A copy of the value built for `key`, or the one `build` makes (then kept). `build`
    /// runs without the lock held, so other threads' hits need not wait for it.
    pub(crate) fn get_or_build<Q, E>(
        &self,
        key: &Q,
        build: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let lock = || self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(v) = lock().get(key) {
            return Ok(v.clone());
        }
        let v = build()?;
        let mut entries = lock();
        if entries.len() >= Self::SIZE {
            entries.clear();
        }
        entries.insert(key.to_owned(), v.clone());
        Ok(v)
    }
}

/// The constructor for a processor type, if pipette knows it.
pub fn factory(type_name: &str) -> Option<Factory> {
    Some(match type_name {
        "append" => append::build,
        "bytes" => bytes::build,
        "command_line_args" => command_line_args::build,
        "community_id" => community_id::build,
        "convert" => convert::build,
        "csv" => csv::build,
        "date" => date::build,
        "date_index_name" => date_index_name::build,
        "dissect" => dissect::build,
        "dot_expander" => dot_expander::build,
        "drop" => drop::build,
        "fail" => fail::build,
        "fingerprint" => fingerprint::build,
        "foreach" => foreach::build,
        "geoip" => geoip::build,
        "grok" => grok::build,
        "gsub" => gsub::build,
        "html_strip" => html_strip::build,
        "ip_location" => geoip::build_ip_location,
        "join" => join::build,
        "json" => json::build,
        "kv" => kv::build,
        "lowercase" => lowercase::build,
        "network_direction" => network_direction::build,
        "pipeline" => pipeline::build,
        "redact" => redact::build,
        "registered_domain" => registered_domain::build,
        "remove" => remove::build,
        "rename" => rename::build,
        "reroute" => reroute::build,
        "script" => script::build,
        "set" => set::build,
        "sort" => sort::build,
        "split" => split::build,
        "terminate" => terminate::build,
        "trim" => trim::build,
        "uppercase" => uppercase::build,
        "uri_parts" => uri_parts::build,
        "urldecode" => urldecode::build,
        "user_agent" => user_agent::build,
        _ => return None,
    })
}

/// Every processor type pipette knows, sorted.
pub fn known_types() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = [
        "append",
        "bytes",
        "command_line_args",
        "community_id",
        "convert",
        "csv",
        "date",
        "date_index_name",
        "dissect",
        "dot_expander",
        "drop",
        "fail",
        "fingerprint",
        "foreach",
        "geoip",
        "grok",
        "gsub",
        "html_strip",
        "ip_location",
        "join",
        "json",
        "kv",
        "lowercase",
        "network_direction",
        "pipeline",
        "redact",
        "registered_domain",
        "remove",
        "rename",
        "reroute",
        "script",
        "set",
        "sort",
        "split",
        "terminate",
        "trim",
        "uppercase",
        "uri_parts",
        "urldecode",
        "user_agent",
    ]
    .into_iter()
    .filter(|t| factory(t).is_some())
    .collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
pub(crate) mod testing {
    //! One-line helpers for processor tests: build from JSON options, run on a JSON document.

    use crate::document::IngestDocument;
    use crate::pipeline::{Env, Flow, Pipeline, PipelineSet};
    use crate::resources::Resources;
    use crate::value::Value;

    /// Builds a one-processor pipeline `{type: options}`, or gives the load error.
    pub fn pipeline(type_name: &str, options: &str) -> Result<Pipeline, String> {
        load(&format!(
            r#"{{"processors":[{{"{type_name}":{options}}}]}}"#
        ))
    }

    /// Builds the pipeline defined by `def` (JSON), or gives the load error.
    pub fn load(def: &str) -> Result<Pipeline, String> {
        let v = Value::from_json_str(def).map_err(|e| e.to_string())?;
        Pipeline::from_value("test", &v, None, None, &Resources::new()).map_err(|e| e.to_string())
    }

    /// Runs `p` on the JSON object `doc`: how the run ended and the document after it, or the
    /// error's reason.
    pub fn execute(p: &Pipeline, doc: &str) -> Result<(Flow, IngestDocument), String> {
        let Value::Map(m) = Value::from_json_str(doc).map_err(|e| e.to_string())? else {
            return Err("document must be an object".into());
        };
        let mut d = IngestDocument::new(m, "2024-01-01T00:00:00.000Z");
        let set = PipelineSet::new();
        let mut env = Env::new(&set);
        let flow = p.execute(&mut d, &mut env).map_err(|e| e.reason)?;
        Ok((flow, d))
    }

    /// Runs `{type: options}` on `doc`; returns the source as JSON, or the error's reason.
    pub fn run(type_name: &str, options: &str, doc: &str) -> Result<String, String> {
        match execute(&pipeline(type_name, options)?, doc)? {
            (Flow::Drop, _) => Ok("null".into()),
            (Flow::Continue, d) => Ok(Value::Map(d.into_source()).to_json()),
        }
    }

    /// Asserts that `{type: options}` turns `input` into `output`.
    pub fn give(type_name: &str, options: &str, input: &str, output: &str) {
        let got = run(type_name, options, input);
        let want = Value::from_json_str(output).expect("valid expected JSON");
        match got {
            Ok(json) => {
                let got = Value::from_json_str(&json).expect("output is JSON");
                assert!(
                    got == want,
                    "{type_name} {options} on {input}: got {json}, want {output}"
                );
            }
            Err(e) => panic!("{type_name} {options} on {input}: failed with {e}"),
        }
    }

    /// Asserts that `{type: options}` fails on `input` with this message.
    pub fn fails(type_name: &str, options: &str, input: &str, message: &str) {
        match run(type_name, options, input) {
            Ok(json) => panic!("{type_name} {options} on {input}: expected failure, got {json}"),
            Err(e) => assert_eq!(e, message, "{type_name} {options} on {input}"),
        }
    }

    /// Asserts that `{type: options}` does not load, with a message containing `part`.
    pub fn bad_config(type_name: &str, options: &str, part: &str) {
        match pipeline(type_name, options) {
            Ok(_) => panic!("{type_name} {options}: expected a config error"),
            Err(e) => assert!(e.contains(part), "{e} does not contain {part}"),
        }
    }
}
