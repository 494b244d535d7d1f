//! The processor trait and the wrapper that gives every processor `if`, `tag`, `on_failure` and
//! `ignore_failure` (Elasticsearch's CompoundProcessor and ConditionalProcessor).

use crate::document::IngestDocument;
use crate::error::IngestError;
use crate::painless::Condition;
use crate::pipeline::PipelineSet;
use crate::value::Value;
use std::sync::Arc;

/// What a processor asks the pipeline to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Go on with the next processor.
    Continue,
    /// Drop the document: the pipeline stops and nothing is indexed.
    Drop,
}

/// One processor, built once from its options; runs per document.
pub trait Processor: Send + Sync + std::fmt::Debug {
    /// Runs on one document.
    fn execute(&self, doc: &mut IngestDocument, env: &mut Env<'_>) -> Result<Flow, IngestError>;
}

/// What a run can see besides the document: the other pipelines, and the call stack.
pub struct Env<'a> {
    /// Pipelines a `pipeline` processor may call, by id.
    pub pipelines: &'a PipelineSet,
    /// Ids of the pipelines being run, outermost first.
    pub stack: Vec<Arc<str>>,
    /// Receives one event per processor run, for verbose traces and coverage.
    pub observer: Option<&'a mut dyn Observer>,
}

impl<'a> Env<'a> {
    /// A fresh environment over a set of pipelines.
    pub fn new(pipelines: &'a PipelineSet) -> Self {
        Env {
            pipelines,
            stack: Vec::new(),
            observer: None,
        }
    }
}

/// How one processor run ended, as `_simulate?verbose` reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Ran and succeeded.
    Success,
    /// Its `if` was false.
    Skipped,
    /// Failed; the failure went on to a handler or up.
    Error(IngestError),
    /// Failed and `ignore_failure` swallowed it.
    ErrorIgnored(IngestError),
    /// Dropped the document.
    Dropped,
}

/// Receives processor results as a document runs (verbose traces, coverage, timing).
pub trait Observer {
    /// Called before each processor runs.
    fn processor_start(&mut self, _node: &ProcessorNode) {}

    /// Called after each processor, with the document as it then is.
    fn processor_done(&mut self, node: &ProcessorNode, status: &Status, doc: &IngestDocument);
}

/// A processor with the options every processor shares.
#[derive(Debug)]
pub struct ProcessorNode {
    /// The processor type name, e.g. `set`.
    pub type_name: String,
    /// `tag`, if given.
    pub tag: Option<String>,
    /// `description`, if given.
    pub description: Option<String>,
    /// `if`, compiled.
    pub condition: Option<Condition>,
    /// `if` as written (the script source), for verbose results.
    pub condition_source: Option<String>,
    /// `ignore_failure`.
    pub ignore_failure: bool,
    /// `on_failure` handlers.
    pub on_failure: Vec<ProcessorNode>,
    /// Where the processor was written: index path and file line.
    pub place: crate::error::ProcessorPlace,
    /// The processor itself.
    pub inner: Box<dyn Processor>,
}

impl ProcessorNode {
    /// Runs this processor with its condition and failure handling.
    pub fn execute(
        &self,
        doc: &mut IngestDocument,
        env: &mut Env<'_>,
    ) -> Result<Flow, IngestError> {
        if let Some(obs) = env.observer.as_deref_mut() {
            obs.processor_start(self);
        }
        let result = self.run_guarded(doc, env);
        match result {
            Ok(Some(flow)) => {
                let status = if flow == Flow::Drop {
                    Status::Dropped
                } else {
                    Status::Success
                };
                self.notify(env, &status, doc);
                Ok(flow)
            }
            Ok(None) => {
                self.notify(env, &Status::Skipped, doc);
                Ok(Flow::Continue)
            }
            Err(mut e) => {
                if e.processor_type.is_none() {
                    e.processor_type = Some(self.type_name.clone());
                    e.processor_tag = self.tag.clone();
                    e.pipeline = env.stack.last().map(|s| s.to_string());
                }
                if e.fatal {
                    self.notify(env, &Status::Error(e.clone()), doc);
                    return Err(e);
                }
                if self.ignore_failure {
                    self.notify(env, &Status::ErrorIgnored(e), doc);
                    return Ok(Flow::Continue);
                }
                self.notify(env, &Status::Error(e.clone()), doc);
                if self.on_failure.is_empty() {
                    return Err(e);
                }
                run_on_failure(&self.on_failure, &e, doc, env)
            }
        }
    }

    fn notify(&self, env: &mut Env<'_>, status: &Status, doc: &IngestDocument) {
        if let Some(obs) = env.observer.as_deref_mut() {
            obs.processor_done(self, status, doc);
        }
    }

    /// `None` when the condition skipped the processor.
    fn run_guarded(
        &self,
        doc: &mut IngestDocument,
        env: &mut Env<'_>,
    ) -> Result<Option<Flow>, IngestError> {
        if let Some(cond) = &self.condition
            && !cond.eval(doc)?
        {
            return Ok(None);
        }
        self.inner.execute(doc, env).map(Some)
    }
}

/// Runs a list of processors in order, as Elasticsearch's CompoundProcessor does.
pub fn run_list(
    list: &[ProcessorNode],
    doc: &mut IngestDocument,
    env: &mut Env<'_>,
) -> Result<Flow, IngestError> {
    for node in list {
        if node.execute(doc, env)? == Flow::Drop {
            return Ok(Flow::Drop);
        }
        // Elasticsearch's CompoundProcessor: terminate stops this pipeline; reroute stops this
        // pipeline and its callers (the flag is only cleared when the new target's pipelines run).
        if doc.terminated || doc.rerouted {
            break;
        }
    }
    Ok(Flow::Continue)
}

const FAILURE_KEYS: [&str; 4] = [
    "on_failure_message",
    "on_failure_processor_type",
    "on_failure_processor_tag",
    "on_failure_pipeline",
];

/// Puts the failure metadata into `_ingest`, runs the handlers, and removes it again.
pub fn run_on_failure(
    handlers: &[ProcessorNode],
    error: &IngestError,
    doc: &mut IngestDocument,
    env: &mut Env<'_>,
) -> Result<Flow, IngestError> {
    let ingest = &mut doc.ingest;
    // FAILURE_KEYS is a fixed array of four: constant indices 0..=3 are checked at compile time.
    ingest.insert(
        FAILURE_KEYS[0].into(),
        Value::from(error.root_reason().to_string()),
    );
    ingest.insert(
        FAILURE_KEYS[1].into(),
        error
            .processor_type
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null),
    );
    ingest.insert(
        FAILURE_KEYS[2].into(),
        error
            .processor_tag
            .clone()
            .map(Value::String)
            .unwrap_or(Value::Null),
    );
    if let Some(p) = &error.pipeline {
        ingest.insert(FAILURE_KEYS[3].into(), Value::from(p.clone()));
    }
    let result = run_list(handlers, doc, env);
    for k in FAILURE_KEYS {
        doc.ingest.shift_remove(k);
    }
    result
}
